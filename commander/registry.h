/*
 * registry.h: the pilots the commander knows.  The table of authorized keys
 * (authorized_pilots) is loaded once and never changes shape afterwards, so
 * a lookup by key takes no lock; each pilot's mutable state (replay counter,
 * registration, last status) is guarded by the registry's mutex.
 *
 * It is the minimal fleet store: fleet.c's state machine will take over the
 * per-node state through the ingest handler seam (ingest.h), and this file
 * keeps the keys, the counters and the registration.
 */
#ifndef SEXTANT_COMMANDER_REGISTRY_H
#define SEXTANT_COMMANDER_REGISTRY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/keys.h"
#include "proto/envelope.h"
#include "proto/msg.h"

#define REGISTRY_ADDR_MAX       64
#define REGISTRY_MAX_FILE       (16 * 1024 * 1024)
#define REGISTRY_START_GRACE_MS 5000

struct registry_pilot {
	/* fixed at load */
	uint8_t pk[KEYS_PK_BYTES];
	char name[PROTO_NAME_MAX];
	unsigned line;        /* in authorized_pilots; 0: from src */
	char *src;            /* where a key not from the file came from */
	struct env_peer peer; /* shared key, precomputed once */

	/* under the registry mutex */
	uint64_t last_counter;
	bool registered;
	struct proto_hello hello;
	char addr[REGISTRY_ADDR_MAX]; /* last seen from */
	uint64_t registered_mono;
	uint64_t seen_mono; /* last accepted request, 0 = never */
	bool have_status;
	struct proto_status st;
	uint64_t heartbeats;
	uint64_t fleet_ref; /* last fleet_ref_height sent back */
};

/* A copy of one pilot's state for logs and APIs (no secrets). */
struct registry_view {
	char name[PROTO_NAME_MAX];
	bool registered;
	struct proto_hello hello;
	char addr[REGISTRY_ADDR_MAX];
	uint64_t seen_mono;
	bool have_status;
	struct proto_status st;
	uint64_t heartbeats;
	uint64_t fleet_ref;
};

struct registry;

/*
 * Parse an authorized_pilots text: "sextant-ed25519 BASE64 NAME" per line,
 * '#' comments and blank lines ignored.  my_sk is the commander's secret key
 * (for the shared keys).  A fresh registry (caller frees with
 * registry_free), or NULL with err as "name:line: message 'value'".
 */
struct registry *registry_parse(const char *name, const char *text,
                                const uint8_t my_sk[KEYS_SK_BYTES], char *err,
                                size_t errlen);
/* Same, reading path (bounded by REGISTRY_MAX_FILE). */
struct registry *registry_load(const char *path,
                               const uint8_t my_sk[KEYS_SK_BYTES], char *err,
                               size_t errlen);

/* A key given elsewhere than authorized_pilots (a [node NAME] key). */
struct registry_extra {
	const char *src;  /* "commander.ini: [node val1] key", for messages */
	const char *line; /* "sextant-ed25519 BASE64" (a comment is ignored) */
	const char *name; /* the node it authorizes */
};

/*
 * authorized_pilots (path; NULL or "" for none) plus extra keys, checked
 * together: a key or a node name listed twice is refused, naming both
 * places.  Errors as registry_parse, or "src: message 'value'".
 */
struct registry *registry_load_with(const char *path,
                                    const struct registry_extra *extra,
                                    size_t nextra,
                                    const uint8_t my_sk[KEYS_SK_BYTES],
                                    char *err, size_t errlen);
/* Wipes the shared keys; accepts NULL. */
void registry_free(struct registry *reg);

size_t registry_count(const struct registry *reg);
/* Do a and b authorize the same keys under the same node names?  (A
 * reload compares the running table with the file as it is now.) */
bool registry_same(struct registry *a, struct registry *b);
/* The pilot with that key, or NULL.  No lock: the table is immutable. */
struct registry_pilot *registry_find(struct registry *reg,
                                     const uint8_t pk[KEYS_PK_BYTES]);

/*
 * Authenticate and decrypt a request from p (env_open_request) with its
 * replay counter, atomically with respect to other contexts.  Until a
 * pilot's first request since the registry was created, requests stamped
 * more than REGISTRY_START_GRACE_MS before that creation are refused as
 * stale: they can only be replays from before a commander restart.
 */
enum env_err registry_open(struct registry *reg, struct registry_pilot *p,
                           uint64_t now_wall_ms, uint64_t window_ms,
                           const uint8_t *frame, size_t len, uint8_t *pt,
                           size_t cap, size_t *ptlen, struct env_req_ctx *ctx);

/*
 * The default handlers (wired into ingest by the commander's main).
 * Registration: a hello whose node name is not the authorized one gets
 * PROTO_ST_UNKNOWN_NODE.  A heartbeat before a hello gets
 * PROTO_ST_NEED_HELLO.  reply->fleet_ref_height is the median height of the
 * healthy nodes of the pilot's network.  These log registrations.
 */
void registry_on_hello(struct registry *reg, struct registry_pilot *p,
                       const struct proto_hello *h, const char *addr,
                       uint64_t now_mono, struct proto_reply *reply);
void registry_on_heartbeat(struct registry *reg, struct registry_pilot *p,
                           const struct proto_heartbeat *hb, const char *addr,
                           uint64_t now_mono, struct proto_reply *reply);

/* A node counts as healthy for the fleet median if it reported within this
 * long, was reachable and not syncing. */
void registry_set_fresh_ms(struct registry *reg, uint64_t ms);
void registry_set_interval_ms(struct registry *reg, uint32_t ms);

/* Median height of healthy nodes of network, 0 if none. */
uint64_t registry_fleet_ref(struct registry *reg, const char *network,
                            uint64_t now_mono);

/* Copy up to n pilots' state in file order; returns how many copied. */
size_t registry_snapshot(struct registry *reg, struct registry_view *out,
                         size_t n);

#endif
