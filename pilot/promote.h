/*
 * promote.h: the steps that make a node sign or stop (FAILOVER.md,
 * "Promotion" step 4 and self-fencing), in their safe order, around the
 * pure lease state machine (lease.h).  Every effect is an injected
 * function, so the order and the failure paths are unit-tested without
 * files, nodes or networks; the daemon passes the real ones.
 *
 * Promotion, advanced by promote_step() on every tick of the main loop:
 *   RAISE    the node's sign state to max(watermark, {its height, 0, 0});
 *   DOPPEL   optionally watch K new commits for our own signature (one
 *            fetch per call, so the loop never blocks on it);
 *   LEASE    write the lease deadline file (the lease's monotonic expiry)
 *            BEFORE the key is enabled, so a lease-aware signer is fenced
 *            from its first signature;
 *   ENABLE   the signer backend's promote (key in place / command);
 *   RESTART  the node, when the backend needs it (key swap);
 * then lease_promoted(): false means the lease ended meanwhile, and the
 * daemon demotes.  A failure before ENABLE is lease_promote_failed() and
 * nothing was enabled; a failure from ENABLE on also needs a demote.
 *
 * Demotion (promote_demote): expire the lease file first (the fastest
 * fence), disable the signer, restart the node if needed, lease_demoted().
 * A failed disable leaves the lease state signing, so lease_tick() asks
 * for DEMOTE again and the daemon retries.
 */
#ifndef SEXTANT_PILOT_PROMOTE_H
#define SEXTANT_PILOT_PROMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pilot/doppel.h"
#include "pilot/lease.h"
#include "proto/msg.h"

/* Between doppelganger fetches: a last commit seen late can cost the
 * block after it. */
#define PROMOTE_POLL_MS 200

struct promote_ops {
	/* Make the node's sign state at least floor. */
	int (*raise)(void *arg, const struct proto_sign_state *floor, char *err,
	             size_t errlen);
	/* Doppelganger check, or NULL for none.  begin: find our address
	 * and the start height; poll: one fetch, returns an enum
	 * doppel_result, or -EAGAIN (try later) or -errno. */
	int (*doppel_begin)(void *arg, char *err, size_t errlen);
	int (*doppel_poll)(void *arg, char *err, size_t errlen);
	/* Write the lease deadline (expires_ms 0: expired), or NULL. */
	int (*lease_file)(void *arg, uint64_t epoch, uint64_t expires_ms,
	                  char *err, size_t errlen);
	int (*enable)(void *arg, char *err, size_t errlen);
	int (*disable)(void *arg, char *err, size_t errlen);
	/* Restart the node after a key change, or NULL when not needed. */
	int (*restart_node)(void *arg, char *err, size_t errlen);
	/* The node's height now (0: unknown). */
	uint64_t (*height)(void *arg);
};

enum promote_phase {
	PROMOTE_IDLE = 0,
	PROMOTE_RAISE,
	PROMOTE_DOPPEL,
	PROMOTE_LEASE,
	PROMOTE_ENABLE,
	PROMOTE_RESTART,
};

enum promote_event {
	PROMOTE_EV_NONE = 0, /* nothing to do, or waiting (doppelganger) */
	PROMOTE_EV_SIGNING,  /* done: the node signs */
	PROMOTE_EV_FAILED,   /* not signing; lease_promote_failed() done */
	PROMOTE_EV_DEMOTE,   /* the daemon must demote now (something may be
	                      * enabled, or the lease ended meanwhile) */
};

struct promote {
	enum promote_phase phase;
	uint64_t epoch;
	uint64_t next_poll_ms;
	bool file_written; /* the lease file holds this epoch's expiry */
	struct proto_sign_state raised; /* the state in force after RAISE */
	char msg[PROTO_TEXT_MAX];       /* what happened, for the log */
};

/* Begin after lease_on_grant() returned LEASE_PROMOTE. */
void promote_begin(struct promote *p, const struct lease_state *l);
/* Forget a promotion in flight (after a demote). */
void promote_reset(struct promote *p);
bool promote_active(const struct promote *p);

/* Advance as far as possible now.  msg says what happened. */
enum promote_event promote_step(struct promote *p, struct lease_state *l,
                                const struct promote_ops *ops, void *arg,
                                uint64_t now_ms);

/*
 * Demote: lease file expired, signer disabled, node restarted (if
 * restart_node is set), lease_demoted(l).  0, or -errno from the disable
 * with err filled (the lease state is then left signing, to retry).
 * Problems with the lease file or the restart are reported in err but do
 * not fail the demote.
 */
int promote_demote(struct promote *p, struct lease_state *l,
                   const struct promote_ops *ops, void *arg, char *err,
                   size_t errlen);

/* After RENEWED: move the lease file's deadline (when written). */
int promote_renewed(struct promote *p, const struct lease_state *l,
                    const struct promote_ops *ops, void *arg, char *err,
                    size_t errlen);

const char *promote_phase_str(enum promote_phase ph);

#endif
