/*
 * groups.h: the commander's failover groups, around the pure lease state
 * machine of failover.h.  One failover_group per [group NAME]; its members
 * are the inventory nodes of that group.
 *
 * This module keeps what failover.c needs as arguments (each member's last
 * heartbeat, since when it is in trouble, what it reports about signing),
 * turns the machine's steps and transitions into EV_LEASE_CHANGE events
 * (details {"step", "epoch", "holder", "candidate"}; the alert rules match
 * the step names "started", "granted", "blocked", "lost", "risk"), and
 * says what must be written durably.  It does no I/O, reads no clock and
 * logs nothing: `now_ms` is the commander's monotonic clock, `wall_ms`
 * stamps events.  The caller writes each groups_persist record (store kv,
 * fsync) and reports the outcome with groups_persisted.
 *
 * Thread-safe: one mutex; heartbeats (nng threads), the tick (main loop)
 * and the API call in concurrently.  Times that arrive out of order from
 * different threads are clamped so that time never runs backwards here.
 */
#ifndef SEXTANT_COMMANDER_GROUPS_H
#define SEXTANT_COMMANDER_GROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "commander/events.h"
#include "commander/failover.h"
#include "commander/fleet.h"
#include "proto/msg.h"

#define GROUPS_MAX_MEMBERS 16
#define GROUPS_KV_PREFIX   "failover/" /* + group name: the durable record */

struct groups;

/* NULL on ENOMEM.  Caller frees with groups_free (accepts NULL). */
struct groups *groups_new(void);
void groups_free(struct groups *);

/* Add a group (before groups_start).  0, -EEXIST, -EINVAL (bad name or
 * params), -ENOMEM. */
int groups_add(struct groups *, const char *name, enum failover_mode mode,
               bool enabled, const struct failover_params *p);
/* Add an inventory node to its group.  0, -ENOENT (no such group),
 * -EEXIST, -ENOSPC (GROUPS_MAX_MEMBERS). */
int groups_add_member(struct groups *, const char *group, const char *node,
                      uint32_t priority);

/* The durable record of a group, as kept under GROUPS_KV_PREFIX name. */
struct groups_record {
	uint64_t epoch;
	char holder[PROTO_NAME_MAX];
	struct proto_sign_state watermark;
};
/* {"epoch":N,"holder":"..","watermark":{"height":H,"round":R,"step":S}}
 * into buf: 0, or -ENOSPC. */
int groups_record_encode(const struct groups_record *, char *buf, size_t size);
/* Bounded parse of the above: 0, or -EINVAL (malformed, a field out of
 * range, a holder name too long). */
int groups_record_decode(const char *text, size_t len,
                         struct groups_record *out);

/* Start group name from its durable record (NULL: never persisted):
 * failover_init at now_ms.  0 or -ENOENT. */
int groups_start(struct groups *, const char *name,
                 const struct groups_record *rec, uint64_t now_ms);

/* Group names in configuration order: *out[i] point into g (valid until
 * groups_free). */
size_t groups_names(struct groups *, const char **out, size_t max);

/*
 * A heartbeat from node: record what it says, and return true with *cmd
 * filled when its reply must carry a lease command (a grant, a renewal or
 * a revoke).  Call it as late as possible before the reply is sealed: the
 * commander-side expiry counts from now_ms.  A node in no group: false.
 * Transitions (granted, released, lost, revoked) append events.
 */
bool groups_heartbeat(struct groups *, const char *node,
                      const struct proto_heartbeat *hb,
                      const struct fleet_hb_result *fr, uint64_t now_ms,
                      uint64_t wall_ms, struct proto_cmd *cmd,
                      struct event_list *evs);

/*
 * The heartbeat interval to ask of node now, or 0 for the usual one:
 * FAILOVER_FAST_INTERVAL_MS while a failover or switchover of its group is
 * under way and node is the candidate (its grant rides on a reply, so the
 * grant waits for its next heartbeat) or the holder being revoked (its
 * acknowledgement rides on a request).  The caller puts it in the reply's
 * interval_ms when it is shorter than the fleet's.
 */
uint32_t groups_interval_hint(struct groups *, const char *node);

/* Something to write durably: (epoch, holder, watermark) of a group.
 * epoch_step: the machine waits for it (FO_STEP_PERSIST) before granting;
 * otherwise it only raises the durable watermark. */
struct groups_persist {
	char group[PROTO_NAME_MAX];
	struct groups_record rec;
	bool epoch_step;
};

/*
 * Evaluate every group (about twice a second): members' connectivity and
 * health from the fleet (fleet_node_get), failover_tick, events for each
 * step, and up to max records to persist in out (*nout of them).
 * 0 or -ENOMEM (events dropped).
 */
int groups_tick(struct groups *, struct fleet *fleet, uint64_t now_ms,
                uint64_t wall_ms, struct event_list *evs,
                struct groups_persist *out, size_t max, size_t *nout);

/*
 * The caller wrote p (ok) or failed to: the machine may now grant, or
 * tries again later (a failure appends a "persist_failed" event).  Record
 * groups_persist_event's event before calling this with ok, so that the
 * history shows the epoch recorded before it shows it granted.
 */
void groups_persisted(struct groups *, const struct groups_persist *p, bool ok,
                      uint64_t wall_ms, struct event_list *evs);
/* The "persisted" event of an epoch step (nothing for a watermark). */
void groups_persist_event(const struct groups_persist *p, uint64_t wall_ms,
                          struct event_list *evs);

/*
 * Operator switchover of group to target (NULL: the best candidate).
 * 0 (a "started" event appended), -ENOENT (no such group; err says so),
 * -EBUSY (refused: err says why, e.g. no settled holder, target not
 * eligible).
 */
int groups_switchover(struct groups *, struct fleet *fleet, const char *group,
                      const char *target, uint64_t now_ms, uint64_t wall_ms,
                      struct event_list *evs, char *err, size_t errlen);

/*
 * Operator's word that the holder of an ack-only group is fenced by hand
 * (failover_force_release).  0 (event appended), -ENOENT, -EPERM (not an
 * ack-only group), -EALREADY (no holder to release); err says why.
 */
int groups_release(struct groups *, const char *group, uint64_t wall_ms,
                   struct event_list *evs, char *err, size_t errlen);

struct groups_member_view {
	char node[PROTO_NAME_MAX];
	uint32_t priority;
	bool connected;
	bool healthy;
	uint64_t lag;
	uint64_t trouble_ms; /* how long in trouble; 0 fine */
	bool signing;
	uint64_t lease_epoch;
	uint64_t demoted_epoch;
	struct proto_sign_state sign;
	uint64_t last_heartbeat_ago_ms; /* UINT64_MAX: never */
};

struct groups_view {
	char name[PROTO_NAME_MAX];
	enum failover_mode mode;
	bool enabled;
	struct failover_params params;
	uint64_t epoch;
	char holder[PROTO_NAME_MAX]; /* who holds or may hold it; "" none */
	enum failover_phase phase;
	char candidate[PROTO_NAME_MAX];
	bool switchover;
	struct proto_sign_state watermark;
	char reason[PROTO_TEXT_MAX];
	uint64_t expires_in_ms; /* commander side; 0: none or past */
	size_t nmembers;
	struct groups_member_view members[GROUPS_MAX_MEMBERS];
};

/* Every group, in configuration order; *out malloc'd (caller frees; NULL
 * when *n == 0).  0 or -ENOMEM. */
int groups_list(struct groups *, uint64_t now_ms, struct groups_view **out,
                size_t *n);
/* One group: 0 or -ENOENT. */
int groups_get(struct groups *, const char *name, uint64_t now_ms,
               struct groups_view *out);

/* The lease holder of group (for the fleet table): true with holder and
 * epoch filled when someone holds or may hold it. */
bool groups_holder(struct groups *, const char *group, char *holder,
                   size_t size, uint64_t *epoch);

#endif
