/*
 * logrules.h: reading a node's signals from its log lines.
 *
 * A rule is literal text with at most one number capture {n} and one hash
 * capture {hash} ({{ and }} for literal braces); no regex engine, so a hostile
 * line costs at most line length x pattern length.  Defaults follow Substrate /
 * Aleph Zero:
 *
 *   major_sync_on:  Switched to major sync state.
 *   major_sync_off: No longer in major sync state.
 *   session:        Running session {n}.          (a new session clears
 *                                                  "producing")
 *   produced:       Prepared block for proposing at {n}
 *   imported:       Imported #{n} ({hash}          ("✨ Imported #N (0x…)")
 *   imported:       Imported: #{n} ({hash}         (Aleph sync forest)
 *   imported:       best: #{n} ({hash}             (informant, major sync)
 *
 * The config syntax is the same, one rule per value:
 *   rule = produced: Pre-sealed block for proposal at {n}
 *
 * logsplit turns arbitrary chunks (a file tail, Docker's demultiplexed
 * frames, journalctl output) into whole lines of bounded length, dropping
 * CRs and ANSI colour escapes.  Everything here is pure and never logs.
 */
#ifndef SEXTANT_PILOT_LOGRULES_H
#define SEXTANT_PILOT_LOGRULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LOGRULES_MAX        32  /* rules in one set */
#define LOGRULE_PATTERN_MAX 128 /* bytes of a pattern as written */
#define LOGRULES_HASH_MAX   80  /* captured hash, with its NUL */
#define LOGRULES_CONF_KEY   "rule"

enum logrule_signal {
	LOGRULE_MAJOR_SYNC_ON,
	LOGRULE_MAJOR_SYNC_OFF,
	LOGRULE_PRODUCED, /* a block authored by this node ({n} optional) */
	LOGRULE_SESSION,  /* {n} required */
	LOGRULE_IMPORTED, /* {n} required, {hash} optional */
	LOGRULE_SIGNAL_COUNT
};

/* A compiled rule: the pattern cut into literal and capture pieces. */
struct logrule {
	enum logrule_signal signal;
	char text[LOGRULE_PATTERN_MAX]; /* as written */
	unsigned npieces;
	struct {
		uint8_t kind;      /* internal: literal, number, hash */
		uint16_t off, len; /* literal bytes in lit[] */
	} piece[5];
	char lit[LOGRULE_PATTERN_MAX]; /* literals, {{ unescaped */
};

struct logrules {
	unsigned n;
	struct logrule rule[LOGRULES_MAX];
};

/* What the lines said so far.  Zero it to start. */
struct logrules_state {
	bool major_sync;
	bool producing; /* produced a block in the current session */
	uint64_t produced_height, produced_ms;
	bool session_known;
	uint64_t session;
	uint64_t imported_height; /* 0 = none seen */
	char imported_hash[LOGRULES_HASH_MAX];
	uint64_t last_import_ms;
	uint64_t lines, matched; /* counters for /metrics */
};

/* Parse "signal: pattern".  0, or -1 with err quoting the bad part. */
int logrules_parse_rule(const char *val, struct logrule *out, char *err,
                        size_t errlen);
/* "major_sync_on" ...; -1 from_str when unknown. */
const char *logrule_signal_str(enum logrule_signal s);
int logrule_signal_from_str(const char *s, size_t len);

/* Empty set; append the defaults; append one rule (-1 when full). */
void logrules_init(struct logrules *r);
void logrules_add_defaults(struct logrules *r);
int logrules_add(struct logrules *r, const struct logrule *rule);

/*
 * conf.h CONF_CUSTOM hooks: field is a struct logrules; each value appends
 * one rule (key LOGRULES_CONF_KEY, multi).  print repeats the key for
 * every rule after the first.
 */
int logrules_conf_parse(void *field, const char *val, char *err, size_t errlen);
void logrules_conf_print(const void *field, FILE *f);

/*
 * Match one line (any bytes, NULs included, no newline) against every rule
 * and update st.  Returns a bitmask of 1 << signal for the rules that
 * fired.
 */
unsigned logrules_feed(const struct logrules *r, struct logrules_state *st,
                       const char *line, size_t len, uint64_t now_ms);

/* ---- the line splitter ---- */

#define LOGSPLIT_LINE_MAX     16384 /* hard cap of the line length */
#define LOGSPLIT_LINE_DEFAULT 4096

struct logsplit {
	size_t max;   /* longest line kept; longer lines are cut */
	size_t len;   /* bytes pending in buf */
	bool cutting; /* dropping the rest of an overlong line */
	uint8_t esc;  /* ANSI escape parser state */
	uint64_t lines, truncated;
	char buf[LOGSPLIT_LINE_MAX];
};

typedef void logsplit_fn(void *arg, const char *line, size_t len);

/* max 0: LOGSPLIT_LINE_DEFAULT; clamped to LOGSPLIT_LINE_MAX. */
void logsplit_init(struct logsplit *sp, size_t max);
/* Feed a chunk; fn gets each whole line (an overlong one once, cut). */
void logsplit_feed(struct logsplit *sp, const void *data, size_t len,
                   logsplit_fn *fn, void *arg);
/* Hand over a pending partial line (at EOF), if any. */
void logsplit_flush(struct logsplit *sp, logsplit_fn *fn, void *arg);
/* Forget a pending partial line (the stream restarted). */
void logsplit_reset(struct logsplit *sp);

/* Splitter and rules together: returns the OR of the fired signals. */
unsigned logrules_feed_chunk(const struct logrules *r,
                             struct logrules_state *st, struct logsplit *sp,
                             const void *data, size_t len, uint64_t now_ms);

#endif
