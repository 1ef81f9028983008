/*
 * doppel.h: the doppelganger check before a CometBFT validator signs
 * (FAILOVER.md, promotion step 4).  Before enabling its key, the pilot
 * watches K new blocks' commits (GET /commit?height=N) for a signature by
 * its own validator address: one means the key signs somewhere else, and
 * promotion is aborted.
 *
 * The parsers are pure over bytes and bounded; the watch is a small state
 * machine the daemon advances across its ticks, one fetch per step, so the
 * main loop never blocks on it.  Never logs.
 */
#ifndef SEXTANT_PILOT_DOPPEL_H
#define SEXTANT_PILOT_DOPPEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DOPPEL_ADDR_MAX  64 /* hex address with its NUL */
#define DOPPEL_PARSE_MAX (1024 * 1024)

/*
 * A /commit answer (JSON-RPC envelope, or the bare result).  0 with
 * *height and *signed_by (a signature with flag COMMIT or NIL from addr,
 * compared case-insensitively), -EAGAIN for a JSON-RPC error (the height
 * is not there yet), -EBADMSG with err for anything malformed.
 */
int doppel_parse_commit(const char *buf, size_t len, const char *addr,
                        uint64_t *height, bool *signed_by, char *err,
                        size_t errlen);
/* priv_validator_key.json's "address" (hex) into addr.  0 or -EBADMSG. */
int doppel_parse_key_address(const char *buf, size_t len, char *addr,
                             size_t addrlen);
/* /status's result.validator_info.address into addr.  0 or -EBADMSG. */
int doppel_parse_status_address(const char *buf, size_t len, char *addr,
                                size_t addrlen);

enum doppel_result {
	DOPPEL_MORE = 0, /* fetch doppel_next() (when it is committed) */
	DOPPEL_CLEAR,    /* K commits without our signature */
	DOPPEL_SEEN,     /* our address signed: someone else has the key */
};

struct doppel {
	char addr[DOPPEL_ADDR_MAX];
	uint32_t blocks;  /* K */
	uint64_t first;   /* first height watched: after the start */
	uint64_t next;    /* next height to fetch */
	uint64_t seen_at; /* where our signature was found */
};

/* Watch the k blocks after height (the node's height now). */
void doppel_start(struct doppel *d, const char *addr, uint32_t k,
                  uint64_t height);
uint64_t doppel_next(const struct doppel *d);
/* The commit of `height` arrived (signed_by: ours is in it). */
enum doppel_result doppel_feed(struct doppel *d, uint64_t height,
                               bool signed_by);

#endif
