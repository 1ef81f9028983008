/*
 * budget.h: the restart budget.  Owner: fleet/store helper
 * (commander/budget.[ch]).
 *
 * A pilot that wants to restart its node sets proto_heartbeat.restart_wanted
 * and waits for a VERB_RESTART_GRANT in a reply.  The budget grants at most
 * per_group concurrent restarts in one group (validator identity) and at
 * most per_network in one network (chain id), so both validators of a group
 * or two sentries of a chain are never restarting at once.
 *
 * A grant is held until the node has restarted and is healthy again (state
 * up after the grant, and either its restart counter rose or it was seen
 * unhealthy since), or until grant_timeout_ms passes.  Asking again while
 * holding a grant re-grants (a lost reply must not strand a pilot).
 *
 * Pure: no clock, no I/O, no logging; `now_ms` is the commander's monotonic
 * clock, `wall_ms` stamps events.  Carries its own mutex: each call is
 * atomic.  Grants live in memory, and every grant and release is an event
 * in the durable log: a restarted commander rebuilds the grants it held
 * from those events (budget_restore) so it cannot grant a second
 * concurrent restart in a group whose first one is still running; if the
 * log cannot be read it refuses new grants for one grant timeout instead
 * (budget_holdoff).
 */
#ifndef SEXTANT_COMMANDER_BUDGET_H
#define SEXTANT_COMMANDER_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "commander/events.h"
#include "proto/msg.h"

struct budget_conf {
	uint32_t per_group;        /* 0 = unlimited; default 1 */
	uint32_t per_network;      /* 0 = unlimited; default 1 */
	uint64_t grant_timeout_ms; /* default 600 s */
};
void budget_conf_defaults(struct budget_conf *);

struct budget;

/* NULL on ENOMEM.  Caller frees with budget_free (accepts NULL). */
struct budget *budget_new(const struct budget_conf *);
void budget_free(struct budget *);

/* Who asks, as fleet_heartbeat's result describes it. */
struct budget_req {
	const char *node;
	const char *group;   /* "" = none */
	const char *network; /* "" = none */
	const char *reason;  /* proto_heartbeat.restart_reason */
	uint32_t restarts;   /* proto_status.restarts now */
};

/*
 * A heartbeat with restart_wanted set (call budget_observe first).  Fills
 * *cmd with VERB_RESTART_GRANT or VERB_RESTART_DENY (group = req->group,
 * reason says why) for the reply, and appends events: restart_requested
 * when a request starts, then restart_granted, or restart_denied (again
 * only when the reason changes: a pilot asks every heartbeat).
 * Returns 1 granted, 0 denied, -ENOMEM, -EINVAL (empty or unterminated
 * name).
 */
int budget_request(struct budget *, const struct budget_req *req,
                   uint64_t now_ms, uint64_t wall_ms, struct proto_cmd *cmd,
                   struct event_list *evs);

/*
 * Every accepted heartbeat, before budget_request: releases node's grant
 * once it is healthy again after restarting (EV_RESTART_DONE appended),
 * and forgets a denied request the pilot no longer makes.
 * healthy = fleet_hb_result.healthy; restarts = proto_status.restarts;
 * wanted = proto_heartbeat.restart_wanted.  0 or -ENOMEM.
 */
int budget_observe(struct budget *, const char *node, bool healthy,
                   uint32_t restarts, bool wanted, uint64_t now_ms,
                   uint64_t wall_ms, struct event_list *evs);

/*
 * The whole budget step for one accepted heartbeat, in the right order:
 * budget_observe, then budget_request when hb->restart_wanted, with the
 * node's group and network from fleet_heartbeat's result; the grant or
 * deny is appended to reply->cmds.  0, -ENOSPC (reply already full), or
 * budget_request's errors.  Store evs before sending the reply: a grant
 * must be on record before the pilot acts on it.
 */
struct fleet_hb_result;
int budget_heartbeat(struct budget *, const char *node,
                     const struct proto_heartbeat *hb,
                     const struct fleet_hb_result *fr, uint64_t now_ms,
                     uint64_t wall_ms, struct proto_reply *reply,
                     struct event_list *evs);

/* Release grants older than grant_timeout_ms (EV_RESTART_DONE, warning).
 * Call about once a second.  0 or -ENOMEM. */
int budget_tick(struct budget *, uint64_t now_ms, uint64_t wall_ms,
                struct event_list *evs);

/*
 * Rebuild the grants a previous commander held from its durable events:
 * evs holds its EV_RESTART_GRANTED and EV_RESTART_DONE events in any order
 * (taken in id order; other types are skipped), e.g. the newest of each
 * type from two store_query calls, concatenated.  A grant with no
 * later done event and younger than grant_timeout_ms (by the events' wall
 * time against wall_ms) is held again, its age carried over onto now_ms,
 * and released as usual: once the node is healthy after its restart (the
 * restart counter recorded in the grant event's details when present;
 * else after being seen unhealthy), or at its timeout.  Call before the
 * first heartbeat.  The number of grants restored, or -ENOMEM.
 */
int budget_restore(struct budget *, const struct event *evs, size_t n,
                   uint64_t now_ms, uint64_t wall_ms);

/*
 * When the log cannot be read: deny every new grant until
 * now_ms + grant_timeout_ms, the longest a grant made by the previous
 * commander can still be running.  Re-grants of held grants still pass.
 */
void budget_holdoff(struct budget *, uint64_t now_ms);

/* A held grant, for the API and metrics. */
struct budget_grant_view {
	char node[PROTO_NAME_MAX];
	char group[PROTO_NAME_MAX];
	char network[PROTO_NAME_MAX];
	char reason[PROTO_TEXT_MAX];
	uint64_t granted_wall_ms;
};
/* Held grants; caller frees *out with free() (NULL when *n == 0). */
int budget_grants(struct budget *, struct budget_grant_view **out, size_t *n);

#endif
