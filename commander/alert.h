/*
 * alert.h: alert rules over fleet state and events.  PURE: no clock, no
 * I/O, no logging; `now_ms` is wall-clock milliseconds (alerts are shown
 * to people and survive restarts).
 *
 * Two kinds of rule:
 *   condition rules hold while something is true (node down, lagging...):
 *     pending when it first holds, firing once it held for the rule's
 *     `for` duration, repeated every repeat interval while firing, and
 *     resolved (with a resolve message) when it stops holding;
 *   notice rules are one-off facts from events (restarted, reorg,
 *     failover finished...): they fire once and need no resolve.
 * Every alert has a stable dedup key "rule/subject" (subject: a node, a
 * group or a network) so channels such as PagerDuty and Alertmanager can
 * match a resolve to its trigger.  The engine's state can be saved and
 * restored (alert_engine_export/import) so it survives a restart.
 */
#ifndef SEXTANT_COMMANDER_ALERT_H
#define SEXTANT_COMMANDER_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "commander/events.h"
#include "commander/fleet.h"

enum alert_rule {
	AR_NODE_DOWN = 0,     /* condition: state down */
	AR_UNREACHABLE,       /* condition: pilot unreachable */
	AR_LAGGING,           /* condition: lag >= threshold blocks */
	AR_STALLED,           /* condition: state stalled */
	AR_LOW_PEERS,         /* condition: peers < threshold */
	AR_DISK_FULL,         /* condition: disk used >= threshold % */
	AR_STALE_TIP,         /* condition: a network's tip stopped */
	AR_DOUBLE_SIGN_RISK,  /* condition: 2+ nodes of a group sign */
	AR_CRASH_LOOP,        /* condition: pilot's restart cap reached */
	AR_RESTARTED,         /* notice: a restart was granted/done */
	AR_REORG,             /* notice */
	AR_FAILOVER_STARTED,  /* notice */
	AR_FAILOVER_FINISHED, /* notice */
	AR_FAILOVER_FAILED,   /* notice: blocked, no candidate */
	AR_LEASE_LOST,        /* notice: a holder lost its lease */
	AR_DOPPELGANGER,      /* notice: key seen signing elsewhere */
	AR_TEST, /* notice: `sextant alert test`, never from rules */
	AR__COUNT
};

struct alert_rule_conf {
	bool enabled;
	enum event_severity severity;
	uint64_t for_ms;    /* condition must hold this long */
	uint64_t threshold; /* lag blocks, peers, disk % */
};

struct alert_conf {
	struct alert_rule_conf rule[AR__COUNT];
	uint64_t repeat_ms; /* re-notify while firing; 0 never */
};
/* Defaults: every rule on; down/unreachable/double-sign/crash loop/
 * failover failed/doppelganger/lease lost critical, the rest warning;
 * for 60 s on conditions (0 on double-sign), lag 20 blocks, peers < 3,
 * disk >= 90 %, repeat every 4 h. */
void alert_conf_defaults(struct alert_conf *);

enum alert_kind {
	ALERT_FIRE = 0, /* a condition started firing, or a notice */
	ALERT_REPEAT,   /* still firing after repeat_ms */
	ALERT_RESOLVE,  /* the condition stopped holding */
};

/* One notification to route and deliver: copied by value. */
struct alert {
	enum alert_kind kind;
	enum alert_rule rule;
	enum event_severity severity;
	bool notice;                       /* one-off: no resolve will follow */
	char key[2 * PROTO_NAME_MAX + 32]; /* "rule/subject" */
	char node[PROTO_NAME_MAX];
	char group[PROTO_NAME_MAX];
	char network[PROTO_NAME_MAX];
	char summary[EVENT_MSG_MAX]; /* one line for people */
	uint64_t started_ms;         /* when the condition began */
	uint64_t ended_ms;           /* resolve: when it stopped; else 0 */
	uint64_t time_ms;            /* of this notification */
	uint64_t source_event;       /* event id that caused it, or 0 */
};

struct alert_list {
	struct alert *v;
	size_t n, cap;
};
void alert_list_clear(struct alert_list *);
void alert_list_free(struct alert_list *);

struct alert_engine;

/* NULL on ENOMEM.  Caller frees with alert_engine_free (NULL ok). */
struct alert_engine *alert_engine_new(const struct alert_conf *conf);
void alert_engine_free(struct alert_engine *);

/*
 * Evaluate the condition rules over a fleet snapshot (nodes and networks)
 * and append FIRE / REPEAT / RESOLVE notifications to out.  Conditions of
 * nodes that disappeared from the snapshot resolve.  0 or -ENOMEM.
 */
int alert_eval(struct alert_engine *, const struct fleet_node_view *nodes,
               size_t nnodes, const struct fleet_network_view *nets,
               size_t nnets, uint64_t now_ms, struct alert_list *out);

/* Turn one stored event into notices (restart, reorg, failover...).
 * 0 or -ENOMEM. */
int alert_on_event(struct alert_engine *, const struct event *ev,
                   uint64_t now_ms, struct alert_list *out);

/* The firing and pending conditions, for the API: malloc'd copies with
 * kind FIRE (firing) — caller frees *out.  0 or -ENOMEM. */
int alert_active(struct alert_engine *, struct alert **out, size_t *n);

/*
 * Save/restore the condition state (one line per alert, text) so a restart
 * neither re-fires what already fired nor forgets to resolve it.  export:
 * *buf malloc'd, caller frees.  import: bad lines are skipped and counted
 * in *bad.  0 or -ENOMEM.
 */
int alert_engine_export(struct alert_engine *, char **buf, size_t *len);
int alert_engine_import(struct alert_engine *, const char *buf, size_t len,
                        size_t *bad);

const char *alert_rule_str(enum alert_rule);
int alert_rule_parse(const char *, enum alert_rule *);
const char *alert_kind_str(enum alert_kind);

#endif
