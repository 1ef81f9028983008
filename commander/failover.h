/*
 * failover.h: the commander's side of the signing lease, one state machine
 * per validator group (FAILOVER.md).  PURE: no clock, no I/O, no logging;
 * `now_ms` is the commander's MONOTONIC clock and members' state comes in
 * as arguments.
 *
 * Safety rules it keeps:
 *   - a new epoch is handed out only after the caller has made it durable
 *     (failover_tick returns FO_STEP_PERSIST; the caller writes epoch,
 *     holder and watermark with fsync and then calls failover_persisted);
 *     the watermark is durable so a restart never lowers it;
 *   - a different pilot is granted only once the old holder acknowledged
 *     that it stopped signing, or (lease mode) its lease has expired on the
 *     commander's side: counted from the reply that renewed it, plus the
 *     skew margin;
 *   - after a restart nothing goes to a different pilot before a full ttl
 *     plus the margin has passed;
 *   - in ack-only mode only an acknowledgement (or an operator's explicit
 *     failover_force_release) frees the lease.
 */
#ifndef SEXTANT_COMMANDER_FAILOVER_H
#define SEXTANT_COMMANDER_FAILOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/msg.h"

enum failover_mode {
	FO_MODE_LEASE = 0, /* automatic failover; the holder self-fences */
	FO_MODE_ACK_ONLY,  /* promote only after the holder acknowledges */
};

struct failover_params {
	uint32_t ttl_ms;            /* lease length handed to pilots */
	uint32_t margin_ms;         /* fixed skew margin */
	uint32_t drift_ppm;         /* clock-rate drift allowance */
	uint64_t failover_after_ms; /* holder in trouble this long: fail over */
	uint64_t max_lag_blocks;    /* a candidate is synced within this */
};
#define FAILOVER_DEFAULT_PARAMS                                                \
	{                                                                      \
		.ttl_ms = 10000, .margin_ms = 2000, .drift_ppm = 1000,         \
		.failover_after_ms = 6000, .max_lag_blocks = 5                 \
	}

/*
 * A signing claim no lease covers (a report of signing from a member that
 * is not the holder in good standing: an older epoch, after its lease's
 * commander-side end, or after it acknowledged giving the lease up) counts
 * as a double-sign risk only once it persists: reports at least this far
 * apart, all claiming it.  A frozen pilot's last report, delivered late,
 * is one report, and the pilot fences itself before it sends another; a
 * pilot whose fence failed keeps claiming on every heartbeat.
 */
#define FAILOVER_RISK_GRACE_MS 1000
/* Heartbeat interval to ask of the candidate and of the holder while a
 * failover is under way (groups_interval_hint): the grant and the revoke
 * ride on their replies. */
#define FAILOVER_FAST_INTERVAL_MS 250
/* A holder in trouble is renewed up to its failover deadline plus
 * ttl / this (see failover_on_heartbeat). */
#define FAILOVER_TROUBLE_SLACK_DIV 10

/* What the commander knows of one node of the group, from the fleet. */
struct failover_member {
	const char *node;
	uint32_t priority;         /* higher is preferred */
	bool connected;            /* heartbeats arriving */
	bool healthy;              /* up, reachable, not syncing */
	uint64_t lag;              /* blocks behind the reference */
	uint64_t trouble_since_ms; /* when it stopped being connected and
	                            * healthy; 0 while fine */
	uint64_t suspect_since_ms; /* first of its latest run of bad
	                            * reports (node down, RPC silent,
	                            * syncing), before the fleet's
	                            * debounce; 0 if its last report was
	                            * fine */
	bool signing;              /* it reports signing */
	uint64_t lease_epoch;      /* epoch it reports holding */
	uint64_t demoted_epoch;    /* epoch it reports having given up */
	struct proto_sign_state sign;
	/* its signing claims that no lease covers (failover_claim_covered):
	 * receive times of the first and the latest report of the current
	 * run, for one claimed epoch; 0 when its last report was covered */
	uint64_t claim_since_ms;
	uint64_t claim_last_ms;
};

enum failover_phase {
	FO_IDLE = 0, /* no lease outstanding: choose a holder */
	FO_HELD,     /* holder has (or may have) the lease; renewing */
	FO_REVOKING, /* taking it back: wait for ack or expiry */
	FO_PERSIST,  /* new epoch chosen; waiting for the durable write */
	FO_READY,    /* new epoch durable; grant on candidate's heartbeat */
};

enum failover_step {
	FO_STEP_NONE = 0,
	FO_STEP_STARTED, /* failover or switchover began (reason says why) */
	FO_STEP_PERSIST, /* write (epoch, holder) durably, then persisted() */
	FO_STEP_BLOCKED, /* wants to act but cannot (no candidate, waiting) */
	FO_STEP_RISK,    /* two members report signing: double-sign risk */
};

struct failover_group {
	char name[PROTO_NAME_MAX];
	enum failover_mode mode;
	/* durable: */
	uint64_t epoch;
	char holder[PROTO_NAME_MAX];
	/* volatile: */
	enum failover_phase phase;
	uint64_t expires_ms;    /* holder's lease, commander side; 0 none */
	bool acked;             /* holder acknowledged giving it up */
	uint64_t hold_until_ms; /* no grant to another before this */
	char candidate[PROTO_NAME_MAX];
	bool switchover;                   /* operator asked for this one */
	struct proto_sign_state watermark; /* highest sign state reported */
	uint64_t started_ms;               /* when the current failover began */
	bool standby;                      /* at the last tick, someone other
	                                    * than the holder was eligible */
	char reason[PROTO_TEXT_MAX];
};

/*
 * Set up g from its durable state (epoch 0, "" and NULL when new).  With a
 * persisted holder, that holder may still hold a lease: the group starts
 * HELD, expiring a full ttl + margin from now_ms, and no other pilot is
 * granted before then.
 */
void failover_init(struct failover_group *g, const char *name,
                   enum failover_mode mode, uint64_t epoch, const char *holder,
                   const struct proto_sign_state *watermark,
                   const struct failover_params *p, uint64_t now_ms);

/* The commander-side lease length for a grant sent at now: ttl + margin. */
uint64_t failover_lease_span(const struct failover_params *p);

/*
 * A heartbeat from member m: raises the watermark and says what to put in
 * m's reply (a LEASE_GRANT renewal or first grant, or a LEASE_REVOKE).
 * Returns true if *cmd was filled.  Call it as the reply is about to be
 * sent: the commander-side expiry counts from now_ms.
 *
 * A holder in trouble (or suspect) while another member is eligible is
 * renewed only up to its failover deadline (trouble start +
 * failover_after) plus ttl / FAILOVER_TROUBLE_SLACK_DIV: a lease it cannot
 * use does not
 * hold the failover up for a whole ttl after the deadline.  A renewal
 * never moves the commander-side expiry back.  Its acknowledgement (a
 * demoted_epoch of ours) counts only while it reports not signing.
 */
bool failover_on_heartbeat(struct failover_group *g,
                           const struct failover_params *p,
                           const struct failover_member *m, uint64_t now_ms,
                           struct proto_cmd *cmd);

/*
 * Whether m's signing claim, if any, is covered by a lease now: m is the
 * holder, claims our epoch, has not given it up, and (lease mode) its
 * commander-side expiry is ahead.  True when m does not claim to sign.
 */
bool failover_claim_covered(const struct failover_group *g,
                            const struct failover_member *m, uint64_t now_ms);

/*
 * Periodic evaluation over all members.  See enum failover_step.  RISK:
 * two members claim to sign in one epoch, or two sign and at least one of
 * the claims is not covered by a lease and has persisted
 * FAILOVER_RISK_GRACE_MS (claim_since_ms .. claim_last_ms).
 */
enum failover_step failover_tick(struct failover_group *g,
                                 const struct failover_params *p,
                                 const struct failover_member *ms, size_t n,
                                 uint64_t now_ms);

/* The caller made (g->epoch, g->holder) durable: grants may go out. */
void failover_persisted(struct failover_group *g);
/* The durable write failed: do not grant; try again on the next tick. */
void failover_persist_failed(struct failover_group *g);

/*
 * Operator switchover to `target` (NULL: best candidate).  0, or -1 with
 * err (no holder to switch from, target not eligible, one in progress).
 */
int failover_switchover(struct failover_group *g,
                        const struct failover_params *p,
                        const struct failover_member *ms, size_t n,
                        const char *target, uint64_t now_ms, char *err,
                        size_t errlen);

/* Operator's word that the holder is fenced by hand (ack-only mode). */
void failover_force_release(struct failover_group *g);

/* Rank members for promotion, like Sentinel's compareSlavesForPromotion:
 * eligible first, then priority, then least lag, then name.  Returns the
 * best eligible member other than `exclude`, or NULL. */
const struct failover_member *failover_pick(const struct failover_params *p,
                                            const struct failover_member *ms,
                                            size_t n, const char *exclude);

const char *failover_phase_str(enum failover_phase);
const char *failover_mode_str(enum failover_mode);
const char *failover_step_str(enum failover_step);

#endif
