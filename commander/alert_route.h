/*
 * alert_route.h: which channel gets which alert, grouped how, and what a
 * silence holds back.  PURE: no clock, no I/O, no logging; `now_ms` is
 * wall-clock milliseconds like the rules engine's.
 *
 * Per channel (struct sink_conf) the router keeps the set of conditions
 * whose trigger it sent ("notified").  From that set:
 *   - a resolve goes only where its trigger went (a silenced trigger
 *     gets no resolve either);
 *   - a firing condition a channel has not been told about (its silence
 *     expired or was deleted, or the channel is new) is sent on the next
 *     evaluation, so a silence postpones an alert and never loses it;
 *   - a notified condition that is no longer active and got no resolve
 *     (the engine's state was lost) gets a resolve anyway;
 *   - Alertmanager channels get every notified active alert again each
 *     resend interval, as Alertmanager requires of its clients.
 * The alerts of one evaluation go to a channel as one message, split in
 * pieces of the channel's max_batch (PagerDuty: one alert each).
 * The router's state is saved and restored with the engine's
 * (alert_router_export/import).
 */
#ifndef SEXTANT_COMMANDER_ALERT_ROUTE_H
#define SEXTANT_COMMANDER_ALERT_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "commander/alert.h"
#include "commander/sink.h"

#define ALERT_SILENCE_COMMENT_MAX 256
#define ALERT_SILENCE_AUTHOR_MAX  64

/*
 * A silence: every non-empty matcher must match (shell patterns, fnmatch:
 * "val*"); at least one matcher is required so nothing silences all.
 * rule is a rule name ("node_down").  Active while now < expires_ms.
 */
struct alert_silence {
	uint64_t id; /* set by the store */
	char rule[32];
	char node[PROTO_NAME_MAX];
	char group[PROTO_NAME_MAX];
	char network[PROTO_NAME_MAX];
	uint64_t created_ms;
	uint64_t expires_ms;
	char comment[ALERT_SILENCE_COMMENT_MAX];
	char author[ALERT_SILENCE_AUTHOR_MAX];
};

/* 0, or -EINVAL with err naming the bad field (no matcher, an unknown
 * rule, expiry not after now, a bad pattern, text with control
 * characters). */
int alert_silence_check(const struct alert_silence *, uint64_t now_ms,
                        char *err, size_t errlen);
/* Does an active silence match this alert? */
bool alert_silence_matches(const struct alert_silence *, const struct alert *,
                           uint64_t now_ms);

enum alert_msg_kind {
	ALERT_MSG_ALERTS = 0, /* what one evaluation produced */
	ALERT_MSG_RESEND,     /* Alertmanager: active alerts again */
	ALERT_MSG_TEST,       /* `sextant alert test` */
};
const char *alert_msg_kind_str(enum alert_msg_kind);
int alert_msg_kind_parse(const char *, enum alert_msg_kind *);

/* One message for one channel.  v is malloc'd (alert_msg_list_free). */
struct alert_msg {
	size_t sink; /* index into alert_route_in.sinks */
	enum alert_msg_kind kind;
	struct alert *v;
	size_t n;
};

struct alert_msg_list {
	struct alert_msg *v;
	size_t n, cap;
};
void alert_msg_list_free(struct alert_msg_list *); /* accepts NULL */

struct alert_route_in {
	const struct sink_conf *sinks;
	size_t nsinks;
	const struct alert_silence *silences;
	size_t nsilences;
	const struct alert *alerts; /* this evaluation's notifications */
	size_t nalerts;
	/* every condition firing now (alert_active): required, the router
	 * resolves what it notified and is no longer here */
	const struct alert *active;
	size_t nactive;
	uint64_t am_resend_ms; /* 0: never re-send */
	uint64_t now_ms;
};

struct alert_router;

/* NULL on ENOMEM.  alert_router_free accepts NULL. */
struct alert_router *alert_router_new(void);
void alert_router_free(struct alert_router *);

/* Route one evaluation: append messages to out (caller frees).  Channels
 * missing from in->sinks are forgotten.  0 or -ENOMEM (state unchanged
 * on failure is not promised: re-import the saved state). */
int alert_route(struct alert_router *, const struct alert_route_in *in,
                struct alert_msg_list *out);

/* How many conditions a channel has been told about (tests, metrics). */
size_t alert_router_notified(struct alert_router *, const char *channel);

/* Save/restore (text, one line per notified condition).  export: *buf
 * malloc'd, caller frees.  import: bad lines skipped and counted. */
int alert_router_export(struct alert_router *, char **buf, size_t *len);
int alert_router_import(struct alert_router *, const char *buf, size_t len,
                        size_t *bad);

/*
 * Alerts as JSON text (the queue's payload): an array of objects with
 * every field of struct alert.  encode: *out malloc'd (caller frees), 0 or
 * -ENOMEM.  decode: *out malloc'd array (caller frees), 0, -EINVAL
 * (malformed, bounded: at most max alerts), -ENOMEM.
 */
int alert_json_encode(const struct alert *v, size_t n, char **out);
int alert_json_decode(const char *text, size_t len, size_t max,
                      struct alert **out, size_t *n);
/* One alert as a cJSON object for the API (caller deletes). */
struct cJSON *alert_to_cjson(const struct alert *);

#endif
