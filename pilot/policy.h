/*
 * policy.h: the restart policy, a pure function of the check's inputs.
 *
 * It does what the Aleph Zero container monitor does, with its defaults
 * (moderate lag 20, severe lag 100, cooldown 300 s, stall 180 s, trend
 * 300 s), and adds what it lacks: a crash-loop cap, exponential backoff
 * between restarts that did not help, dry-run, per-rule switches, the node
 * being down as a reason, and a reason text for every decision.
 *
 * Boundaries: lag >= moderate_lag is moderate, lag >= severe_lag severe (the
 * monitor used "more than": BLOCK_LAG_20=20 and BLOCK_LAG_100=100 map to 21
 * and 101 for its exact behaviour).  With severe_lag disabled, a lag above
 * severe gets the moderate treatment (excused by major sync or production).
 * Stall and trend need lag >= stall_min_lag (default: severe_lag) and no block
 * production, major sync or not; so with the defaults they matter when
 * severe_lag is disabled or stall_min_lag lowered.  Down rules (exited,
 * unreachable for N checks) come first; a stopped node's heights are
 * stale, so no lag rule judges it.
 *
 * Gates, in order: cooldown since the last restart (NONE), crash-loop cap
 * (CAPPED), backoff (NONE).  The backoff gap after k restarts without a
 * healthy spell of backoff_reset_ms is min(max, base * 2^(k-1)).
 *
 * Nothing here reads a clock, does I/O or logs: the daemon passes now_ms,
 * calls policy_decide() once per check, logs the decision and, when it
 * really restarted the node, calls policy_restarted().  Everything lives in
 * caller-owned structs without pointers, so state can be copied or zeroed.
 */
#ifndef SEXTANT_PILOT_POLICY_H
#define SEXTANT_PILOT_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The monitor's defaults, ours too (the check interval is the daemon's). */
#define POLICY_DEFAULT_CHECK_MS    60000
#define POLICY_DEFAULT_MODERATE    20
#define POLICY_DEFAULT_SEVERE      100
#define POLICY_DEFAULT_COOLDOWN_MS 300000
#define POLICY_DEFAULT_STALL_MS    180000
#define POLICY_DEFAULT_TREND_MS    300000

#define POLICY_CAP_MAX    32 /* most restarts a cap window can count */
#define POLICY_HIST       64 /* lag samples kept for the trend */
#define POLICY_REASON_MAX 200

enum policy_action {
	POLICY_NONE,    /* do nothing; reason says why not */
	POLICY_RESTART, /* restart the node (or, in dry-run, say so) */
	POLICY_CAPPED,  /* a rule wants a restart, the crash-loop cap forbids
	                   it: alert-worthy */
};

/* Rules in the order they are tried; the first that fires is reported. */
enum policy_rule {
	POLICY_RULE_NONE,         /* no rule fired */
	POLICY_RULE_EXITED,       /* the process / container is not running */
	POLICY_RULE_UNREACHABLE,  /* up, but its RPC is dead for N checks */
	POLICY_RULE_SEVERE_LAG,   /* lag >= severe, whatever else */
	POLICY_RULE_MODERATE_LAG, /* lag >= moderate, not syncing/producing */
	POLICY_RULE_STALL,        /* no height progress over the stall window */
	POLICY_RULE_TREND,        /* lag rising over the trend window */
	POLICY_RULE_COUNT
};

/* Why a decision is not a restart (POLICY_HOLD_NONE when it is). */
enum policy_hold {
	POLICY_HOLD_NONE,
	POLICY_HOLD_HEALTHY,     /* no rule's condition holds */
	POLICY_HOLD_LAG_UNKNOWN, /* no reference or local height */
	POLICY_HOLD_MAJOR_SYNC,  /* moderate lag while in major sync */
	POLICY_HOLD_PRODUCING,   /* lag or stall while producing blocks */
	POLICY_HOLD_LAG_LOW,     /* stall/trend but the lag is below severe */
	POLICY_HOLD_COUNTING,    /* unreachable/exited, fewer than N checks */
	POLICY_HOLD_DISABLED,    /* the rule that would fire is disabled */
	POLICY_HOLD_COOLDOWN,    /* within cooldown of the last restart */
	POLICY_HOLD_BACKOFF,     /* backing off after restarts that failed */
	POLICY_HOLD_CAP,         /* crash-loop cap reached (action CAPPED) */
};

struct policy_conf {
	uint64_t moderate_lag;  /* blocks; lag >= this is moderate */
	uint64_t severe_lag;    /* blocks; lag >= this is severe */
	uint64_t stall_min_lag; /* stall/trend need lag >= this; 0: severe */
	uint64_t cooldown_ms;   /* no restart within this of the last */
	uint64_t stall_ms;      /* no height progress this long: stalled */
	uint64_t trend_ms;      /* window for the lag trend */
	uint32_t unreachable_checks; /* consecutive dead-RPC checks (>= 1) */
	uint32_t exited_checks;      /* consecutive not-running checks (>= 1) */
	uint32_t cap_restarts; /* at most this many per cap window; 0: off */
	uint64_t cap_window_ms;
	uint64_t backoff_base_ms; /* gap after the 1st failed restart; 0: off */
	uint64_t backoff_max_ms;  /* the doubling stops here */
	uint64_t backoff_reset_ms; /* healthy this long: backoff forgotten */
	bool dry_run;              /* decide and record, never act */
	bool enabled[POLICY_RULE_COUNT]; /* per rule; [NONE] unused */
};

struct policy_sample {
	uint64_t t_ms;
	uint64_t height;
	uint64_t lag;
};

/* Zero it with policy_state_init(); plain data, no resources. */
struct policy_state {
	/* lag samples for the trend, oldest first from hist_head */
	struct policy_sample hist[POLICY_HIST];
	unsigned hist_n, hist_head;
	/* the previous check, for the catch-up figures */
	bool prev_valid, prev_lag_known;
	uint64_t prev_ms, prev_height, prev_lag;
	/* stall: when the height last rose */
	bool progress_valid;
	uint64_t progress_ms, progress_height;
	bool lagging; /* lag reached moderate since last sync */
	uint32_t unreachable_run, exited_run;
	/* restarts: the cap's ring and the backoff */
	uint64_t restarts[POLICY_CAP_MAX];
	unsigned restarts_n, restarts_head;
	bool restarted; /* at least one restart recorded */
	uint64_t last_restart_ms;
	uint32_t backoff_level; /* restarts since last healthy */
	bool healthy_valid;
	uint64_t healthy_since_ms;
	bool capped; /* the last decision was CAPPED */
	uint64_t total_restarts;
};

struct policy_input {
	uint64_t now_ms;     /* monotonic */
	bool up;             /* the process / container is running */
	bool reachable;      /* its RPC answered (true if it has none) */
	uint64_t height;     /* local height; 0 = unknown */
	uint64_t ref_height; /* reference height; 0 = unknown */
	bool major_sync;     /* in major sync */
	bool producing;      /* produced a block in the current session */
	uint64_t session;    /* current session, 0 = unknown (for reasons) */
};

/* The per-check figures the daemon logs; computed, never acted on. */
struct policy_progress {
	bool lag_known;
	uint64_t lag;           /* ref - height, 0 when ahead */
	bool delta_known;       /* there was a previous check to compare */
	int64_t caught_up;      /* blocks imported since the last check */
	double rate;            /* blocks/s imported since the last check */
	double closing_rate;    /* blocks/s the lag shrank (< 0: grew) */
	bool eta_known;         /* lag > 0 and shrinking */
	uint64_t eta_ms;        /* to lag 0 at closing_rate */
	bool synced;            /* lag just reached 0 after lagging */
	uint64_t synced_height; /* "fully caught up at block #N" */
	bool stalled;           /* condition, whether or not it restarts */
	uint64_t stalled_ms;    /* since the height last rose */
	bool rising;            /* lag trend condition */
	double trend;           /* fitted lag rise over the trend window */
};

struct policy_decision {
	enum policy_action action;
	enum policy_rule rule; /* the rule that fired (or would have) */
	enum policy_hold hold; /* why not a restart */
	bool dry_run;
	bool cap_new;     /* CAPPED, and the last one was not */
	uint64_t wait_ms; /* cooldown/backoff/cap: time left */
	char reason[POLICY_REASON_MAX];
	struct policy_progress progress;
};

/* The monitor's defaults plus ours: every rule on, cap 3 per hour,
 * backoff 300 s doubling to 1 h, reset after 300 s healthy, live. */
void policy_conf_defaults(struct policy_conf *c);
/* Cross-field checks.  0, or -1 with err naming the field and value. */
int policy_conf_check(const struct policy_conf *c, char *err, size_t errlen);

void policy_state_init(struct policy_state *s);

/*
 * Decide for one check.  Records the sample in s and fills d.  In dry-run
 * a RESTART decision is also recorded as if executed (cooldown, cap and
 * backoff then play out as they would live); otherwise the daemon calls
 * policy_restarted() once the restart was done.
 */
void policy_decide(const struct policy_conf *c, struct policy_state *s,
                   const struct policy_input *in, struct policy_decision *d);
/* A restart was executed at now_ms. */
void policy_restarted(struct policy_state *s, uint64_t now_ms);
/* Operator reset: forget the crash-loop history and the backoff. */
void policy_reset(struct policy_state *s);

/*
 * The per-check line, e.g. "lag 45 blocks, caught up 300 blocks, sync rate
 * 5.00 blocks/s, ETA 15.0s" or "fully caught up at block #1380".  Returns
 * buf.
 */
const char *policy_progress_str(const struct policy_progress *p, char *buf,
                                size_t size);

/* Backoff gap required after `level` consecutive restarts (0: none). */
uint64_t policy_backoff_ms(const struct policy_conf *c, uint32_t level);

/* "severe_lag" ...; policy_rule_from_str: -1 if unknown. */
const char *policy_rule_str(enum policy_rule r);
int policy_rule_from_str(const char *s);
const char *policy_action_str(enum policy_action a);
const char *policy_hold_str(enum policy_hold h);

#endif
