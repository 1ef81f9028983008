/*
 * fleet.h: the commander's view of its nodes.  Owner: fleet/store helper
 * (commander/fleet.[ch]).
 *
 * Pure decision code: no clock, no I/O, no logging.  Every entry point
 * takes `now_ms` (the commander's monotonic clock, for timeouts) and, where
 * something changes, appends event records to a caller's event_list; the
 * caller stores and logs them after the call returns.  Event time_ms is
 * the `wall_ms` argument (events are shown to people and kept on disk).
 *
 * Thread safety: a fleet carries its own mutex and every function below
 * takes it, so each call is atomic and the nng callbacks, the tick and the
 * HTTP API may call in from different threads.  Snapshots are copies.
 *
 * Node state machine (per node):
 *   unknown --first heartbeat--> <candidate>
 *   each heartbeat classifies the node into a candidate state:
 *     down      process not running, or its RPC not answering
 *     syncing   node says it is catching up (major sync)
 *     stalled   height has not advanced for stall_ms while the reference
 *               moved past it (a halted chain is a stale tip, not a stall)
 *     lagging   reference - height > lag_blocks
 *     up        otherwise
 *   hysteresis: the state changes only after `down_after` consecutive
 *   observations that disagree with it (or `up_after` when the latest
 *   candidate is up); it then takes the latest candidate.
 *   unreachable: no heartbeat for unreachable_after * interval_ms (checked
 *   by fleet_tick), or a listed node whose pilot sent no hello that long
 *   after the commander started; the next heartbeat leaves it at once (no
 *   hysteresis: unreachable says nothing about the node's health).  This
 *   transition's event has type EV_UNREACHABLE; all others EV_STATE_CHANGE
 *   (details: from, to, reason, height, lag, ref_height).
 *   A node whose RPC answers without a height counts as up.
 *
 * Lag reference: max(pilot's own reference, fleet reference).  The pilot's
 * public references may be down (0) or serve a stale tip; the fleet's
 * median may trail when the whole fleet is behind.  Either one being ahead
 * is evidence the chain is ahead, and each is already a median, so one bad
 * endpoint cannot inflate it.  Lag only drives states and alerts here; the
 * pilot's restart decisions use their own numbers.
 *
 * Fleet reference height per network: upper median of the heights of
 * nodes that are reachable (fresh heartbeat), up, answering RPC, not
 * syncing and report a height.  It uses raw observations, not derived
 * states, so lag never feeds back into its own reference.  Upper median:
 * with two nodes, one lagging, the reference is the one keeping up.
 */
#ifndef SEXTANT_COMMANDER_FLEET_H
#define SEXTANT_COMMANDER_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "commander/events.h"
#include "proto/msg.h"

enum fleet_state {
	FLEET_UNKNOWN = 0, /* configured, no heartbeat yet */
	FLEET_UP,
	FLEET_SYNCING,
	FLEET_LAGGING,
	FLEET_STALLED,
	FLEET_DOWN,
	FLEET_UNREACHABLE,
	FLEET__COUNT
};
const char *fleet_state_str(enum fleet_state);           /* "up", ...; "?" */
int fleet_state_parse(const char *, enum fleet_state *); /* 0 / -EINVAL */

/* Block propagation spread histogram bounds, ms (Prometheus `le`). */
#define FLEET_SPREAD_NBUCKETS 11
extern const uint64_t fleet_spread_bounds_ms[FLEET_SPREAD_NBUCKETS];

struct fleet_conf {
	uint32_t interval_ms;       /* heartbeat interval sent to pilots */
	uint32_t unreachable_after; /* missed intervals -> unreachable (K) */
	uint32_t up_after;          /* observations to re-enter up */
	uint32_t down_after;        /* observations to leave a state */
	uint64_t lag_blocks;        /* lag above this -> lagging */
	uint64_t stall_ms;          /* no height progress -> stalled */
	uint64_t stale_tip_ms;      /* no new height in a network */
	uint32_t ring_heights;      /* heights remembered per network */
	uint64_t spread_settle_ms;  /* wait before a height's spread counts */
	bool accept_unlisted;       /* hello from a node not in inventory */
};
/* Defaults: 5 s interval, K=3, up_after 2, down_after 2, lag 20 blocks,
 * stall 180 s, stale tip 300 s, 128 heights, settle 30 s, unlisted
 * accepted (the registry already authenticated the key). */
void fleet_conf_defaults(struct fleet_conf *);

/*
 * One inventory row, as the commander's config gives it ([node NAME]).
 * Empty group/network/role mean "take it from the pilot's hello"; a
 * non-empty value that the hello contradicts refuses the hello.
 */
struct fleet_node_conf {
	char name[PROTO_NAME_MAX];
	char group[PROTO_NAME_MAX];   /* validator identity, "" none */
	char network[PROTO_NAME_MAX]; /* chain id */
	char role[16];                /* "validator"/"sentry"/"rpc"/"" */
	uint32_t priority;            /* failover rank, higher first */
};

struct fleet;

/* NULL on ENOMEM or an invalid conf (err says which field).  Caller frees
 * with fleet_free (accepts NULL). */
struct fleet *fleet_new(const struct fleet_conf *conf, char *err,
                        size_t errlen);
void fleet_free(struct fleet *);

/* Add an inventory node: 0, -EEXIST (duplicate name), -EINVAL (bad role or
 * name; err says which and quotes it), -ENOMEM. */
int fleet_add_node(struct fleet *, const struct fleet_node_conf *nc, char *err,
                   size_t errlen);

/*
 * A pilot said hello (the registry has authenticated it as hello->node).
 * 0: registered (an EV_REGISTERED event is appended).
 * -ENOENT: not in inventory and !accept_unlisted -> PROTO_ST_UNKNOWN_NODE.
 * -EPERM: contradicts the inventory (err says how) -> PROTO_ST_BAD_REQUEST;
 *         a warning event is appended too.
 * -EINVAL: malformed (empty/unterminated name, role or chain out of range)
 *         -> PROTO_ST_BAD_REQUEST.
 * -ENOMEM.
 * A hello restarts the pilot's restart-counter baseline (pilots restart
 * their counters) and counts as contact for the unreachable timeout.
 */
int fleet_hello(struct fleet *, const struct proto_hello *hello,
                uint64_t now_ms, uint64_t wall_ms, struct event_list *evs,
                char *err, size_t errlen);

/* What a heartbeat changed, for the reply and the restart budget. */
struct fleet_hb_result {
	uint64_t fleet_ref_height; /* for proto_reply.fleet_ref_height */
	uint32_t interval_ms;      /* for proto_reply.interval_ms */
	enum fleet_state state;    /* after this heartbeat */
	bool healthy;              /* state == FLEET_UP */
	char group[PROTO_NAME_MAX];
	char network[PROTO_NAME_MAX];
};

/*
 * A heartbeat from `node`.  0, or -ENOTCONN (no hello since the commander
 * started: reply PROTO_ST_NEED_HELLO), -ENOENT (unknown node), -ENOMEM.
 * Appends state changes, decisions, reorgs and the like to evs.
 */
int fleet_heartbeat(struct fleet *, const char *node,
                    const struct proto_heartbeat *hb, uint64_t now_ms,
                    uint64_t wall_ms, struct fleet_hb_result *out,
                    struct event_list *evs);

/* Evaluate timeouts: unreachable pilots, stale tips, settled spreads.
 * Call about once a second.  0 or -ENOMEM. */
int fleet_tick(struct fleet *, uint64_t now_ms, uint64_t wall_ms,
               struct event_list *evs);

/* The fleet reference height of a network; 0 when no healthy node. */
uint64_t fleet_ref_height(struct fleet *, const char *network);

/* ---- Snapshots for the API, the dashboard and failover ---- */

/* Everything the fleet table shows for one node. */
struct fleet_node_view {
	char name[PROTO_NAME_MAX];
	char group[PROTO_NAME_MAX];
	char network[PROTO_NAME_MAX];
	enum proto_role role;
	bool role_known;        /* false until config or hello says */
	enum proto_chain chain; /* from hello */
	uint32_t priority;
	bool listed;      /* in the commander's inventory */
	bool connected;   /* hello seen and not unreachable */
	char version[32]; /* pilot version from hello */
	enum fleet_state state;
	uint64_t state_since_ms; /* wall ms of the last change */
	uint64_t last_seen_ms;   /* wall ms of the last heartbeat */
	uint64_t height;
	uint64_t ref_height;      /* max(pilot ref, fleet ref) used */
	uint64_t lag;             /* ref_height - height, or 0 */
	uint64_t last_restart_ms; /* wall ms restarts last rose; 0 */
	struct proto_status st;   /* the last status, verbatim */
};

/* 0 and *out filled, or -ENOENT. */
int fleet_node_get(struct fleet *, const char *name,
                   struct fleet_node_view *out);
/* All nodes, sorted by name.  *out is malloc'd (caller frees with free()),
 * NULL when *n == 0.  0 or -ENOMEM. */
int fleet_nodes(struct fleet *, struct fleet_node_view **out, size_t *n);

/* Block propagation spread of one network, Prometheus-ready: bucket[i] is
 * the cumulative count of observations <= fleet_spread_bounds_ms[i]; count
 * is the +Inf bucket; sum_ms the sum. */
struct fleet_spread_hist {
	uint64_t bucket[FLEET_SPREAD_NBUCKETS];
	uint64_t count;
	uint64_t sum_ms;
};

struct fleet_network_view {
	char name[PROTO_NAME_MAX];
	uint64_t ref_height;    /* fleet reference (median of healthy) */
	uint64_t tip_height;    /* highest height any node reported */
	uint64_t tip_seen_ms;   /* wall ms the tip last advanced */
	bool stale;             /* no new height for stale_tip_ms */
	uint64_t reorgs;        /* reorgs detected since start */
	uint32_t nodes;         /* nodes in this network */
	uint32_t nodes_healthy; /* those counted in ref_height */
	struct fleet_spread_hist spread;
};

/* All networks, sorted by name; caller frees *out with free().  0/-ENOMEM */
int fleet_networks(struct fleet *, struct fleet_network_view **out, size_t *n);

/* One remembered height of a network (the ring), for the dashboard. */
struct fleet_block_view {
	uint64_t height;
	char hash[PROTO_HASH_MAX]; /* first hash reported, or "" */
	uint64_t first_seen_ms;    /* earliest pilot-reported time */
	char first_node[PROTO_NAME_MAX];
	uint32_t nodes_seen;    /* nodes that reported it */
	uint64_t max_spread_ms; /* latest seen - first seen */
	uint32_t hashes;        /* distinct hashes (>1: reorg) */
};

/* The newest up to max heights of network, newest first, into out[].
 * Returns how many, or -ENOENT for an unknown network. */
int fleet_blocks(struct fleet *, const char *network,
                 struct fleet_block_view *out, size_t max);

/* Counts per state, for metrics: counts[FLEET__COUNT]. */
void fleet_state_counts(struct fleet *, uint32_t counts[FLEET__COUNT]);

#endif
