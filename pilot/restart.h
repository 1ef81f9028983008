/*
 * restart.h: may the pilot restart its node now?  The restart budget's
 * pilot side, PURE (no clock, no I/O, no logging).
 *
 * A RESTART decision of the policy opens a request.  With a commander, the
 * next heartbeat carries restart_wanted and the reply answers with
 * VERB_RESTART_GRANT (go) or VERB_RESTART_DENY (not now: the request
 * closes and the next check decides afresh).  No answer within the wait,
 * or a commander that cannot be reached, falls back to the configured
 * choice (allow or deny).  Without a commander (standalone) every request
 * is allowed at once: the budget is a fleet's notion.
 */
#ifndef SEXTANT_PILOT_RESTART_H
#define SEXTANT_PILOT_RESTART_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/msg.h"

enum restart_verdict {
	RESTART_WAIT = 0, /* asking: keep restart_wanted in heartbeats */
	RESTART_GO,       /* restart now */
	RESTART_NO,       /* do not; the request is closed */
};

struct restart_gate {
	bool has_commander;
	bool fallback_allow;
	uint64_t wait_ms;

	bool asking;
	uint64_t since_ms;
	char reason[PROTO_TEXT_MAX]; /* what we ask for (heartbeat) */
	char why[PROTO_TEXT_MAX];    /* why the last verdict */
};

void restart_gate_init(struct restart_gate *g, bool has_commander,
                       bool fallback_allow, uint64_t wait_ms);

/* The policy decided RESTART for reason.  GO at once when standalone;
 * otherwise WAIT (a request opens, or the open one goes on). */
enum restart_verdict restart_gate_want(struct restart_gate *g,
                                       const char *reason, uint64_t now_ms);
/* The policy no longer wants a restart: close any request. */
void restart_gate_cancel(struct restart_gate *g);

/* The heartbeat that asked could not be delivered or got no reply: the
 * commander is unreachable, so the fallback decides. */
enum restart_verdict restart_gate_unreachable(struct restart_gate *g,
                                              const char *detail);
/* A reply arrived: cmd is its RESTART_GRANT or RESTART_DENY, or NULL when
 * it carried neither (WAIT until the wait runs out, then the fallback). */
enum restart_verdict restart_gate_reply(struct restart_gate *g,
                                        const struct proto_cmd *cmd,
                                        uint64_t now_ms);
/* Between heartbeats: the fallback once the wait ran out. */
enum restart_verdict restart_gate_tick(struct restart_gate *g, uint64_t now_ms);

const char *restart_verdict_str(enum restart_verdict v);

#endif
