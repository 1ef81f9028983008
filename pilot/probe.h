/*
 * probe.h: asking a node (or a reference endpoint) how it is.
 * One const struct probe_ops per chain family; each family's response
 * parsers are pure functions over bytes (fuzzed in tests/fuzz).  Only
 * common/http.c touches the network.  Timeouts are short and bounded.
 */
#ifndef SEXTANT_PILOT_PROBE_H
#define SEXTANT_PILOT_PROBE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto/msg.h"

struct probe_target {
	enum proto_chain chain;
	char url[256];              /* RPC base URL */
	char user[64];              /* bitcoin: rpcuser, or "" */
	char password[128];         /* bitcoin: rpcpassword (secret) */
	char cookie_file[PATH_MAX]; /* bitcoin: .cookie, re-read on 401 */
	char command[PATH_MAX];     /* command family: program to run */
	uint32_t timeout_ms;        /* per request; 0: 3000 */
	/* A reference: only its height counts, so skip peers and the other
	 * extras (they were half of an idle pilot's CPU). */
	bool height_only;
};

struct probe_result {
	bool reachable; /* the RPC answered sensibly */
	bool syncing;
	uint64_t height;
	char tip_hash[PROTO_HASH_MAX];
	uint32_t peers;
	bool peers_known;
	uint64_t finalized; /* substrate: finalized head, 0 = unknown */
	uint64_t highest;   /* the node's own view of the tip, 0 = unknown */
	char error[PROTO_TEXT_MAX]; /* why not reachable, or "" */
};

struct probe_ops {
	enum proto_chain chain;
	const char *name;
	/* Probe the node at t; fills r (never NULL); returns 0 if reachable. */
	int (*probe)(const struct probe_target *t, struct probe_result *r);
};

const struct probe_ops *probe_ops_for(enum proto_chain chain);
/* The ops whose name is name ("cometbft", "substrate", "ethereum", "beacon",
 * "bitcoin", "command"), or NULL. */
const struct probe_ops *probe_ops_by_name(const char *name);

/* Probe t with its family's ops.  0 if reachable, else -1 (r->error). */
int probe_run(const struct probe_target *t, struct probe_result *r);

/*
 * Probe n reference endpoints concurrently and take the median height of
 * those that answered.  *answered is a bitmask of the ones that did
 * (n <= 32).  0 with *median set, or -1 if none answered.
 */
int probe_reference(const struct probe_target *refs, unsigned n,
                    uint64_t *median, uint32_t *answered);
/*
 * The same, keeping every reference's result in out[n] (caller's array),
 * for callers that merge in other heights (the fleet's view) themselves.
 * Returns how many answered.
 */
unsigned probe_reference_all(const struct probe_target *refs, unsigned n,
                             struct probe_result *out);

#endif
