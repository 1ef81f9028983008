/*
 * lease.h: the pilot's side of the signing lease (FAILOVER.md).  PURE: no
 * clock, no I/O, no logging.  `now_ms` is the pilot's MONOTONIC clock.
 *
 * The rule it enforces: the node signs only while this pilot holds an
 * unexpired lease, and the lease is counted from the moment the request
 * that earned it was SENT, so the pilot's view always ends before the
 * commander's.  A pilot that starts comes up not signing.  Every doubt
 * (a clock that runs backwards, a grant that arrives already expired, a
 * failed promote) ends in "not signing".
 *
 * The daemon performs the actions: PROMOTE (raise the sign state to the
 * watermark, optional doppelganger check, enable signing, then call
 * lease_promoted) and DEMOTE (disable signing, then lease_demoted).
 */
#ifndef SEXTANT_PILOT_LEASE_H
#define SEXTANT_PILOT_LEASE_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/msg.h"

enum lease_mode {
	LEASE_MODE_LEASE = 0, /* self-fence at expiry: safety first */
	LEASE_MODE_ACK_ONLY,  /* never self-fence; stop only when told */
};

enum lease_action {
	LEASE_NONE = 0,
	LEASE_PROMOTE, /* start signing (after raising the sign state) */
	LEASE_DEMOTE,  /* stop signing now */
	LEASE_RENEWED, /* still signing, expiry moved */
	LEASE_IGNORED, /* stale or useless command: nothing changes */
};

struct lease_state {
	enum lease_mode mode;
	bool holding;                      /* an unexpired lease is held */
	bool signing;                      /* the signer is enabled */
	bool promoting;                    /* PROMOTE handed out, not done */
	uint64_t epoch;                    /* highest epoch seen */
	uint64_t expires_ms;               /* monotonic; valid if holding */
	uint64_t last_now;                 /* to catch a clock running back */
	uint64_t demoted_epoch;            /* last epoch given up and no
	                                    * longer signed with: the ack */
	uint64_t revoked_epoch;            /* highest epoch revoked: its
	                                    * grants are stale */
	struct proto_sign_state watermark; /* floor from the grants */
	char reason[PROTO_TEXT_MAX];       /* of the last action */
};

/* A fresh state: not holding, not signing.  Also what a restart gives. */
void lease_init(struct lease_state *l, enum lease_mode mode);

/*
 * A LEASE_GRANT arrived in the reply to a request sent at sent_ms.  Returns
 * PROMOTE if the node must start signing, RENEWED if it already signs,
 * IGNORED for an older epoch or a grant already expired on arrival.
 */
enum lease_action lease_on_grant(struct lease_state *l,
                                 const struct proto_cmd *grant,
                                 uint64_t sent_ms, uint64_t now_ms);

/* A LEASE_REVOKE for `epoch`.  DEMOTE if signing (or promoting): the ack
 * (demoted_epoch) is recorded once lease_demoted() says the demote is
 * done, so that a failed demote is never acknowledged; NONE with the ack
 * recorded at once if not signing.  IGNORED for an epoch older than ours. */
enum lease_action lease_on_revoke(struct lease_state *l, uint64_t epoch,
                                  uint64_t now_ms);

/* Called every loop: DEMOTE at expiry (lease mode) or if time ran back. */
enum lease_action lease_tick(struct lease_state *l, uint64_t now_ms);

/* The daemon finished PROMOTE.  Returns false (and the daemon must demote)
 * if the lease expired or was revoked while it worked. */
bool lease_promoted(struct lease_state *l, uint64_t now_ms);
/* PROMOTE failed (bad state file, doppelganger seen...): not signing. */
void lease_promote_failed(struct lease_state *l, const char *why);
/* The daemon finished DEMOTE. */
void lease_demoted(struct lease_state *l);

const char *lease_action_str(enum lease_action);
const char *lease_mode_str(enum lease_mode);

#endif
