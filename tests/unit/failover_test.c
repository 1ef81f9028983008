/*
 * failover_test: the commander's lease state machine, row by row, and a
 * randomized model check of the whole protocol: pilots (pilot/lease.c) and
 * the commander (commander/failover.c) exchanging delayed, lost and
 * reordered heartbeats while pilots are killed, frozen, partitioned and the
 * commander restarts.  After every run: no height signed twice, and no
 * signature at or below the watermark a promotion started from.
 */
#include <stdlib.h>

#include "commander/failover.h"
#include "pilot/lease.h"
#include "tests/test.h"

static const struct failover_params P = FAILOVER_DEFAULT_PARAMS;

static struct failover_member
member(const char *node, uint32_t prio)
{
	struct failover_member m = {
	    .node = node, .priority = prio, .connected = true, .healthy = true};

	return m;
}

/* Drive g to a settled holder `a` in epoch 1. */
static void
settle(struct failover_group *g, struct failover_member *ms, size_t n)
{
	struct proto_cmd cmd;

	failover_init(g, "val", FO_MODE_LEASE, 0, "", NULL, &P, 0);
	CHECK(failover_tick(g, &P, ms, n, 0) == FO_STEP_BLOCKED);
	/* fresh commander, no holder ever: may grant after the start span */
	CHECK(failover_tick(g, &P, ms, n, failover_lease_span(&P)) ==
	      FO_STEP_PERSIST);
	CHECK_EQ_STR(g->holder, "a");
	CHECK(g->epoch == 1);
	/* nothing is granted before it is durable */
	CHECK(!failover_on_heartbeat(g, &P, &ms[0], 13000, &cmd));
	failover_persisted(g);
	CHECK(failover_on_heartbeat(g, &P, &ms[0], 13000, &cmd));
	CHECK(cmd.verb == VERB_LEASE_GRANT && cmd.epoch == 1);
	CHECK(g->phase == FO_HELD);
}

static void
test_span(void)
{
	/* 10 s ttl + 2 s margin + 1000 ppm of 10 s */
	CHECK(failover_lease_span(&P) == 12010);
}

static void
test_pick_ranks(void)
{
	struct failover_member ms[4] = {member("a", 10), member("b", 50),
	                                member("c", 50), member("d", 90)};

	ms[1].lag = 3;
	ms[3].healthy = false; /* best priority but unhealthy */
	CHECK_EQ_STR(failover_pick(&P, ms, 4, NULL)->node, "c");
	ms[2].lag = P.max_lag_blocks + 1; /* too far behind */
	CHECK_EQ_STR(failover_pick(&P, ms, 4, NULL)->node, "b");
	CHECK_EQ_STR(failover_pick(&P, ms, 4, "b")->node, "a");
	ms[0].connected = false;
	CHECK(failover_pick(&P, ms, 4, "b") == NULL);
}

static void
test_renew_and_revoke_others(void)
{
	struct failover_group g;
	struct failover_member ms[2] = {member("a", 90), member("b", 10)};
	struct proto_cmd cmd;

	settle(&g, ms, 2);
	CHECK(failover_on_heartbeat(&g, &P, &ms[0], 14000, &cmd));
	CHECK(cmd.verb == VERB_LEASE_GRANT && g.expires_ms == 14000 + 12010);
	/* b is no holder: nothing for it, unless it claims to sign */
	CHECK(!failover_on_heartbeat(&g, &P, &ms[1], 14000, &cmd));
	ms[1].signing = true;
	ms[1].lease_epoch = 1;
	CHECK(failover_on_heartbeat(&g, &P, &ms[1], 14000, &cmd));
	CHECK(cmd.verb == VERB_LEASE_REVOKE && cmd.epoch == 1);
	/* both signing in one epoch is reported as a risk at once */
	ms[0].signing = true;
	ms[0].lease_epoch = 1;
	CHECK(failover_tick(&g, &P, ms, 2, 14100) == FO_STEP_RISK);
}

/* Which signing claims a lease covers. */
static void
test_claim_covered(void)
{
	struct failover_group g;
	struct failover_member ms[2] = {member("a", 90), member("b", 10)};
	struct failover_member m;
	struct proto_cmd cmd;

	settle(&g, ms, 2);
	CHECK(failover_on_heartbeat(&g, &P, &ms[0], 14000, &cmd));
	m = ms[0];
	CHECK(failover_claim_covered(&g, &m, 14000)); /* not signing */
	m.signing = true;
	m.lease_epoch = 1;
	CHECK(failover_claim_covered(&g, &m, 14000));
	CHECK(failover_claim_covered(&g, &m, 14000 + 12009));
	/* past its commander-side expiry: not any more */
	CHECK(!failover_claim_covered(&g, &m, 14000 + 12010));
	/* another epoch than the holder's */
	m.lease_epoch = 2;
	CHECK(!failover_claim_covered(&g, &m, 14000));
	m.lease_epoch = 0; /* signing without a lease */
	CHECK(!failover_claim_covered(&g, &m, 14000));
	/* not the holder */
	m = ms[1];
	m.signing = true;
	m.lease_epoch = 1;
	CHECK(!failover_claim_covered(&g, &m, 14000));
	/* the holder after it acknowledged giving the lease up */
	ms[0].demoted_epoch = 1;
	CHECK(!failover_on_heartbeat(&g, &P, &ms[0], 15000, &cmd));
	CHECK(g.acked);
	m = ms[0];
	m.signing = true;
	m.lease_epoch = 1;
	CHECK(!failover_claim_covered(&g, &m, 15000));
}

/* An ack counts only from a pilot that says it stopped signing: one
 * whose demote failed may still have the key in its node. */
static void
test_ack_needs_stopped(void)
{
	struct failover_group g;
	struct failover_member ms[2] = {member("a", 90), member("b", 10)};
	struct proto_cmd cmd;
	char err[128];

	settle(&g, ms, 2);
	CHECK(failover_switchover(&g, &P, ms, 2, "b", 14000, err,
	                          sizeof(err)) == 0);
	ms[0].signing = true;
	ms[0].lease_epoch = 1;
	CHECK(failover_on_heartbeat(&g, &P, &ms[0], 14100, &cmd));
	CHECK(cmd.verb == VERB_LEASE_REVOKE);
	/* says it gave epoch 1 up, but still signs */
	ms[0].demoted_epoch = 1;
	CHECK(failover_on_heartbeat(&g, &P, &ms[0], 14200, &cmd));
	CHECK(cmd.verb == VERB_LEASE_REVOKE);
	CHECK(!g.acked);
	CHECK(failover_tick(&g, &P, ms, 2, 14300) == FO_STEP_NONE);
	CHECK(g.phase == FO_REVOKING);
	/* stopped: now it is an acknowledgement */
	ms[0].signing = false;
	ms[0].lease_epoch = 0;
	CHECK(!failover_on_heartbeat(&g, &P, &ms[0], 14400, &cmd));
	CHECK(g.acked);
	CHECK(failover_tick(&g, &P, ms, 2, 14500) == FO_STEP_PERSIST);
}

/* A holder in trouble, with a standby ready, is renewed only up to its
 * failover deadline plus ttl/10; never shortened on our side; in full
 * without a standby, or once fine again. */
static void
test_renewal_capped_in_trouble(void)
{
	struct failover_group g;
	struct failover_member ms[2] = {member("a", 90), member("b", 10)};
	struct proto_cmd cmd;
	uint64_t t = 16000, exp, slack = P.ttl_ms / FAILOVER_TROUBLE_SLACK_DIV;

	settle(&g, ms, 2);
	CHECK(failover_tick(&g, &P, ms, 2, t) == FO_STEP_NONE);
	CHECK(g.standby);
	CHECK(failover_on_heartbeat(&g, &P, &ms[0], t, &cmd));
	CHECK(cmd.ttl_ms == P.ttl_ms);
	exp = t + failover_lease_span(&P); /* 28010 */
	CHECK(g.expires_ms == exp);
	/* its reports say the node is down from 21000 (before the fleet
	 * agrees): deadline 27000, leases up to 27000 + slack */
	ms[0].suspect_since_ms = 21000;
	CHECK(failover_on_heartbeat(&g, &P, &ms[0], 22000, &cmd));
	CHECK(cmd.verb == VERB_LEASE_GRANT);
	CHECK_EQ_INT(cmd.ttl_ms, 27000 - 22000 + slack);
	CHECK(g.expires_ms == 27000 + slack + P.margin_ms + 10);
	/* the fleet agrees: in trouble since its first report (groups.c) */
	ms[0].trouble_since_ms = 21000;
	ms[0].healthy = false;
	CHECK(failover_on_heartbeat(&g, &P, &ms[0], 26000, &cmd));
	CHECK_EQ_INT(cmd.ttl_ms, 1000 + slack);
	CHECK(g.expires_ms == 27000 + slack + P.margin_ms + 10);
	/* failover at the deadline; it ends at that expiry, not a whole
	 * span after the last renewal */
	CHECK(failover_tick(&g, &P, ms, 2, 26999) == FO_STEP_NONE);
	CHECK(failover_tick(&g, &P, ms, 2, 27000) == FO_STEP_STARTED);
	CHECK(failover_on_heartbeat(&g, &P, &ms[0], 28000, &cmd));
	CHECK(cmd.verb == VERB_LEASE_REVOKE);
	CHECK(failover_tick(&g, &P, ms, 2, g.expires_ms - 1) == FO_STEP_NONE);
	CHECK(failover_tick(&g, &P, ms, 2, g.expires_ms) == FO_STEP_PERSIST);
	/* a renewal after the deadline (the tick not yet run) gets the
	 * slack only; one that would end earlier moves nothing back */
	ms[0].healthy = true;
	ms[0].trouble_since_ms = 0;
	ms[0].suspect_since_ms = 0;
	settle(&g, ms, 2);
	CHECK(failover_tick(&g, &P, ms, 2, 20000) == FO_STEP_NONE);
	CHECK(failover_on_heartbeat(&g, &P, &ms[0], 27000, &cmd));
	exp = g.expires_ms;
	ms[0].suspect_since_ms = 21000;
	CHECK(failover_on_heartbeat(&g, &P, &ms[0], 28000, &cmd));
	CHECK_EQ_INT(cmd.ttl_ms, slack);
	CHECK(g.expires_ms == exp);

	/* no standby: a lone holder in trouble keeps its full lease */
	ms[0].healthy = true;
	ms[0].trouble_since_ms = 0;
	ms[0].suspect_since_ms = 0;
	settle(&g, ms, 2);
	ms[1].connected = false;
	CHECK(failover_tick(&g, &P, ms, 2, 20000) == FO_STEP_NONE);
	CHECK(!g.standby);
	ms[0].suspect_since_ms = 21000;
	CHECK(failover_on_heartbeat(&g, &P, &ms[0], 26000, &cmd));
	CHECK(cmd.ttl_ms == P.ttl_ms);
	/* with one, but fine again: full */
	ms[1].connected = true;
	CHECK(failover_tick(&g, &P, ms, 2, 26500) == FO_STEP_NONE);
	ms[0].suspect_since_ms = 0;
	CHECK(failover_on_heartbeat(&g, &P, &ms[0], 27000, &cmd));
	CHECK(cmd.ttl_ms == P.ttl_ms);
}

/* The double-sign alarm is keyed on the epoch: a claim no lease covers
 * counts only once it persists; a covered claim and a persistent one, or
 * two claims of one epoch, are a risk. */
static void
test_risk_grace(void)
{
	struct failover_group g;
	struct failover_member ms[2] = {member("a", 90), member("b", 10)};
	struct proto_cmd cmd;
	uint64_t t = 20000, exp, now;

	settle(&g, ms, 2);
	CHECK(failover_on_heartbeat(&g, &P, &ms[0], t, &cmd));
	exp = g.expires_ms;
	ms[0].connected = false;
	ms[0].trouble_since_ms = t;
	CHECK(failover_tick(&g, &P, ms, 2, t + 6000) == FO_STEP_STARTED);
	CHECK(failover_tick(&g, &P, ms, 2, exp) == FO_STEP_PERSIST);
	failover_persisted(&g);
	CHECK(failover_on_heartbeat(&g, &P, &ms[1], exp + 100, &cmd));
	CHECK(cmd.verb == VERB_LEASE_GRANT && cmd.epoch == 2);
	ms[1].signing = true;
	ms[1].lease_epoch = 2;
	now = exp + 5000;
	/* a, back from a freeze, delivers its last report: signing epoch 1 */
	ms[0].connected = true;
	ms[0].trouble_since_ms = 0;
	ms[0].signing = true;
	ms[0].lease_epoch = 1;
	CHECK(!failover_claim_covered(&g, &ms[0], now));
	ms[0].claim_since_ms = ms[0].claim_last_ms = now;
	CHECK(failover_tick(&g, &P, ms, 2, now) == FO_STEP_NONE);
	/* a duplicate of it (a hello and a resend) moments later: still */
	ms[0].claim_last_ms = now + 50;
	CHECK(failover_tick(&g, &P, ms, 2, now + 600) == FO_STEP_NONE);
	/* its next report says it stopped: the run ends, no alarm ever */
	ms[0].signing = false;
	ms[0].claim_since_ms = ms[0].claim_last_ms = 0;
	CHECK(failover_tick(&g, &P, ms, 2, now + 2000) == FO_STEP_NONE);
	/* ... but a pilot that keeps claiming it is a real risk */
	ms[0].signing = true;
	ms[0].claim_since_ms = now + 3000;
	ms[0].claim_last_ms = now + 3000 + FAILOVER_RISK_GRACE_MS - 1;
	CHECK(failover_tick(&g, &P, ms, 2, now + 5000) == FO_STEP_NONE);
	ms[0].claim_last_ms = now + 3000 + FAILOVER_RISK_GRACE_MS;
	CHECK(failover_tick(&g, &P, ms, 2, now + 5000) == FO_STEP_RISK);
	CHECK(strstr(g.reason, "double-sign risk") != NULL);
	/* reported once, not on every tick */
	CHECK(failover_tick(&g, &P, ms, 2, now + 5500) == FO_STEP_NONE);
	/* a silent member's last word is not a claim now */
	ms[0].connected = false;
	ms[1].lease_epoch = 2;
	CHECK(failover_tick(&g, &P, ms, 2, now + 6000) != FO_STEP_RISK);
	/* two claims of one epoch: no lease explains that, at once */
	ms[0].connected = true;
	ms[0].lease_epoch = 2;
	ms[0].claim_since_ms = ms[0].claim_last_ms = now + 7000;
	g.reason[0] = '\0';
	CHECK(failover_tick(&g, &P, ms, 2, now + 7000) == FO_STEP_RISK);
}

static void
test_watermark_is_max_reported(void)
{
	struct failover_group g;
	struct failover_member ms[2] = {member("a", 90), member("b", 10)};
	struct proto_cmd cmd;

	settle(&g, ms, 2);
	ms[0].sign.height = 120;
	ms[1].sign.height = 80;
	failover_on_heartbeat(&g, &P, &ms[0], 14000, &cmd);
	failover_on_heartbeat(&g, &P, &ms[1], 14000, &cmd);
	ms[0].sign.height = 100; /* a lower report never lowers it */
	failover_on_heartbeat(&g, &P, &ms[0], 14500, &cmd);
	CHECK(g.watermark.height == 120);
	CHECK(cmd.watermark.height == 120);
}

static void
test_failover_waits_for_expiry(void)
{
	struct failover_group g;
	struct failover_member ms[2] = {member("a", 90), member("b", 10)};
	struct proto_cmd cmd;
	uint64_t last = 20000, exp;

	settle(&g, ms, 2);
	CHECK(failover_on_heartbeat(&g, &P, &ms[0], last, &cmd));
	exp = last + failover_lease_span(&P);
	/* a goes silent at 20000 */
	ms[0].connected = false;
	ms[0].trouble_since_ms = last;
	CHECK(failover_tick(&g, &P, ms, 2, last + P.failover_after_ms - 1) ==
	      FO_STEP_NONE);
	CHECK(failover_tick(&g, &P, ms, 2, last + P.failover_after_ms) ==
	      FO_STEP_STARTED);
	CHECK(g.phase == FO_REVOKING);
	CHECK_EQ_STR(g.candidate, "b");
	/* never before the commander-side expiry */
	CHECK(failover_tick(&g, &P, ms, 2, exp - 1) == FO_STEP_NONE);
	CHECK(!failover_on_heartbeat(&g, &P, &ms[1], exp - 1, &cmd));
	CHECK(failover_tick(&g, &P, ms, 2, exp) == FO_STEP_PERSIST);
	CHECK(g.epoch == 2);
	CHECK(!failover_on_heartbeat(&g, &P, &ms[1], exp + 1, &cmd));
	failover_persisted(&g);
	CHECK(failover_on_heartbeat(&g, &P, &ms[1], exp + 2, &cmd));
	CHECK(cmd.verb == VERB_LEASE_GRANT && cmd.epoch == 2);
	CHECK_EQ_STR(g.holder, "b");
	/* the old holder comes back believing in epoch 1: told to stop */
	ms[0].connected = true;
	ms[0].trouble_since_ms = 0;
	ms[0].signing = true;
	ms[0].lease_epoch = 1;
	CHECK(failover_on_heartbeat(&g, &P, &ms[0], exp + 3, &cmd));
	CHECK(cmd.verb == VERB_LEASE_REVOKE && cmd.epoch == 1);
}

static void
test_ack_shortcuts_the_wait(void)
{
	struct failover_group g;
	struct failover_member ms[2] = {member("a", 90), member("b", 10)};
	struct proto_cmd cmd;
	char err[128];

	settle(&g, ms, 2);
	failover_on_heartbeat(&g, &P, &ms[0], 20000, &cmd);
	CHECK(failover_switchover(&g, &P, ms, 2, "b", 20100, err,
	                          sizeof(err)) == 0);
	/* the holder is told to stop on its next heartbeat */
	CHECK(failover_on_heartbeat(&g, &P, &ms[0], 21000, &cmd));
	CHECK(cmd.verb == VERB_LEASE_REVOKE && cmd.epoch == 1);
	CHECK(failover_tick(&g, &P, ms, 2, 21100) == FO_STEP_NONE);
	ms[0].demoted_epoch = 1; /* acknowledged */
	CHECK(!failover_on_heartbeat(&g, &P, &ms[0], 22000, &cmd));
	CHECK(failover_tick(&g, &P, ms, 2, 22100) == FO_STEP_PERSIST);
	failover_persisted(&g);
	CHECK(failover_on_heartbeat(&g, &P, &ms[1], 22200, &cmd));
	CHECK(cmd.verb == VERB_LEASE_GRANT && cmd.epoch == 2);
}

static void
test_switchover_refusals(void)
{
	struct failover_group g;
	struct failover_member ms[2] = {member("a", 90), member("b", 10)};
	char err[128];

	failover_init(&g, "val", FO_MODE_LEASE, 0, "", NULL, &P, 0);
	CHECK(failover_switchover(&g, &P, ms, 2, "b", 1, err, sizeof(err)) ==
	      -1);
	settle(&g, ms, 2);
	CHECK(failover_switchover(&g, &P, ms, 2, "a", 1, err, sizeof(err)) ==
	      -1);
	CHECK(strstr(err, "already holds") != NULL);
	CHECK(failover_switchover(&g, &P, ms, 2, "zz", 1, err, sizeof(err)) ==
	      -1);
	ms[1].healthy = false;
	CHECK(failover_switchover(&g, &P, ms, 2, "b", 1, err, sizeof(err)) ==
	      -1);
	CHECK(strstr(err, "not healthy") != NULL);
	CHECK(failover_switchover(&g, &P, ms, 2, NULL, 1, err, sizeof(err)) ==
	      -1);
}

static void
test_ack_only_waits_for_ack(void)
{
	struct failover_group g;
	struct failover_member ms[2] = {member("a", 90), member("b", 10)};
	struct proto_cmd cmd;

	failover_init(&g, "val", FO_MODE_ACK_ONLY, 4, "a", NULL, &P, 0);
	failover_on_heartbeat(&g, &P, &ms[0], 100, &cmd);
	ms[0].connected = false;
	ms[0].trouble_since_ms = 100;
	CHECK(failover_tick(&g, &P, ms, 2, 100000) == FO_STEP_STARTED);
	CHECK(failover_tick(&g, &P, ms, 2, 10000000) == FO_STEP_BLOCKED);
	CHECK(g.phase == FO_REVOKING && g.epoch == 4);
	failover_force_release(&g);
	CHECK(failover_tick(&g, &P, ms, 2, 10000001) == FO_STEP_PERSIST);
	CHECK(g.epoch == 5);
}

static void
test_restart_holds_a_full_span(void)
{
	struct failover_group g;
	struct failover_member ms[2] = {member("a", 90), member("b", 10)};
	struct proto_sign_state wm = {.height = 77};
	struct proto_cmd cmd;
	uint64_t span = failover_lease_span(&P);

	/* restarted at t=1000; a was the holder and is gone */
	failover_init(&g, "val", FO_MODE_LEASE, 9, "a", &wm, &P, 1000);
	CHECK(g.watermark.height == 77);
	ms[0].connected = false;
	ms[0].trouble_since_ms = 1000;
	CHECK(failover_tick(&g, &P, ms, 2, 1000 + P.failover_after_ms) ==
	      FO_STEP_STARTED);
	CHECK(failover_tick(&g, &P, ms, 2, 1000 + span - 1) == FO_STEP_NONE);
	CHECK(failover_tick(&g, &P, ms, 2, 1000 + span) == FO_STEP_PERSIST);
	CHECK(g.epoch == 10);
	failover_persisted(&g);
	CHECK(failover_on_heartbeat(&g, &P, &ms[1], 1000 + span, &cmd));
	CHECK(cmd.watermark.height == 77);
	/* but the old holder itself may be renewed at once */
	failover_init(&g, "val", FO_MODE_LEASE, 9, "a", &wm, &P, 1000);
	ms[0].connected = true;
	ms[0].trouble_since_ms = 0;
	CHECK(failover_on_heartbeat(&g, &P, &ms[0], 1001, &cmd));
	CHECK(cmd.verb == VERB_LEASE_GRANT && cmd.epoch == 9);
}

static void
test_persist_failure_grants_nothing(void)
{
	struct failover_group g;
	struct failover_member ms[1] = {member("a", 90)};
	struct proto_cmd cmd;

	failover_init(&g, "val", FO_MODE_LEASE, 0, "", NULL, &P, 0);
	CHECK(failover_tick(&g, &P, ms, 1, 20000) == FO_STEP_PERSIST);
	failover_persist_failed(&g);
	CHECK(!failover_on_heartbeat(&g, &P, &ms[0], 20001, &cmd));
	CHECK(failover_tick(&g, &P, ms, 1, 20002) == FO_STEP_PERSIST);
	CHECK(g.epoch == 2);
}

/* ---- model check ---------------------------------------------------- */

#define NP    3
#define STEP  50     /* ms per simulation step */
#define RUNMS 150000 /* simulated ms per run */
#define MAXH  (RUNMS / 1000 + 2)
#define BLOCK 1000 /* block time */
#define HB    1000 /* heartbeat interval */

struct msg {
	int live;
	uint64_t at;   /* delivery time */
	uint64_t sent; /* pilot's send time of the request */
	int has_cmd;
	struct proto_cmd cmd;
	struct failover_member rep; /* request snapshot */
};

struct pilot {
	struct lease_state l;
	int alive, frozen_until_set;
	uint64_t down_until, frozen_until, cut_until, node_down_until;
	uint64_t next_hb;
	int key;               /* node has the key */
	uint64_t lease_file;   /* expiry the node enforces */
	uint64_t state_h;      /* node's sign state height */
	uint64_t promote_done; /* 0: none pending */
	uint64_t demoted_epoch;
	struct msg req, rep;
};

static uint64_t rng;
static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

struct run_result {
	int double_signed, below_watermark, risk_alarms;
	uint64_t failover_ms; /* first fault on the primary to new signer */
};

static void
model_run(uint64_t seed, struct run_result *res)
{
	static const char *names[NP] = {"a", "b", "c"};
	struct pilot pl[NP];
	struct failover_group g;
	struct failover_member ms[NP];
	uint64_t last_hb[NP] = {0}, trouble[NP] = {0};
	uint64_t claim_since[NP] = {0}, claim_last[NP] = {0};
	uint64_t claim_epoch[NP] = {0};
	int signer_of[MAXH];
	uint64_t cmd_down_until = 0, durable_epoch = 0, fault_at = 0;
	char durable_holder[PROTO_NAME_MAX] = "";
	struct proto_sign_state durable_wm = {0};
	int primary_faulted = -1;

	rng = seed * 2654435761u + 1;
	memset(res, 0, sizeof(*res));
	memset(pl, 0, sizeof(pl));
	for (int i = 0; i < MAXH; i++)
		signer_of[i] = -1;
	for (int i = 0; i < NP; i++) {
		lease_init(&pl[i].l, LEASE_MODE_LEASE);
		pl[i].alive = 1;
		pl[i].next_hb = rnd(HB);
	}
	failover_init(&g, "val", FO_MODE_LEASE, 0, "", NULL, &P, 0);

	for (uint64_t t = 0; t < RUNMS; t += STEP) {
		uint64_t h = t / BLOCK;

		/* faults: after things settle, now and then */
		if (t > 20000 && rnd(1000) < 3) {
			int who = (int)rnd(NP + 1), kind = (int)rnd(4);
			uint64_t len = 1000 + rnd(30000);

			if (who == NP) {
				cmd_down_until = t + len;
			} else if (kind == 0) { /* kill the pilot */
				pl[who].alive = 0;
				pl[who].down_until = t + len;
			} else if (kind == 1) {
				pl[who].frozen_until = t + len;
			} else if (kind == 2) {
				pl[who].cut_until = t + len;
			} else {
				pl[who].node_down_until = t + len;
				pl[who].key = pl[who].key; /* node restarts */
			}
			if (who < NP && strcmp(g.holder, names[who]) == 0 &&
			    primary_faulted < 0) {
				primary_faulted = who;
				fault_at = t;
			}
		}
		/* commander restart: volatile state lost */
		if (cmd_down_until && t >= cmd_down_until) {
			failover_init(&g, "val", FO_MODE_LEASE, durable_epoch,
			              durable_holder, &durable_wm, &P, t);
			cmd_down_until = 0;
			for (int i = 0; i < NP; i++)
				last_hb[i] = 0, trouble[i] = t;
		}
		for (int i = 0; i < NP; i++) {
			struct pilot *p = &pl[i];
			int running = p->alive && t >= p->frozen_until;

			if (!p->alive && t >= p->down_until) {
				/* restarted pilot: not signing, key removed */
				lease_init(&p->l, LEASE_MODE_LEASE);
				p->l.demoted_epoch = p->demoted_epoch;
				p->key = 0;
				p->promote_done = 0;
				p->alive = 1;
				running = t >= p->frozen_until;
			}
			if (!running)
				continue;
			/* deliver reply */
			if (p->rep.live && t >= p->rep.at) {
				p->rep.live = 0;
				if (p->rep.has_cmd) {
					struct proto_cmd *c = &p->rep.cmd;
					enum lease_action a =
					    c->verb == VERB_LEASE_GRANT
					        ? lease_on_grant(&p->l, c,
					                         p->rep.sent, t)
					        : lease_on_revoke(&p->l,
					                          c->epoch, t);

					if (a == LEASE_PROMOTE)
						p->promote_done = t + 300;
					if (a == LEASE_RENEWED && p->key)
						p->lease_file = p->l.expires_ms;
					if (a == LEASE_DEMOTE) {
						p->key = 0;
						p->promote_done = 0;
						lease_demoted(&p->l);
					}
				}
			}
			if (p->promote_done && t >= p->promote_done) {
				p->promote_done = 0;
				if (p->state_h < p->l.watermark.height)
					p->state_h = p->l.watermark.height;
				if (lease_promoted(&p->l, t)) {
					p->lease_file = p->l.expires_ms;
					p->key = 1;
				} else {
					p->key = 0;
					lease_demoted(&p->l);
				}
			}
			if (lease_tick(&p->l, t) == LEASE_DEMOTE) {
				p->key = 0;
				p->promote_done = 0;
				lease_demoted(&p->l);
			}
			p->demoted_epoch = p->l.demoted_epoch;
			/* send a heartbeat (a lost reply times out: resend) */
			if (t >= p->next_hb && !p->req.live) {
				struct failover_member *r = &p->req.rep;

				p->next_hb = t + HB;
				memset(&p->req, 0, sizeof(p->req));
				p->req.live = t >= p->cut_until &&
				              cmd_down_until == 0 &&
				              rnd(100) >= 5;
				p->req.at = t + rnd(200);
				p->req.sent = t;
				r->node = names[i];
				r->priority = (uint32_t)(90 - 30 * i);
				r->connected = true;
				r->healthy = t >= p->node_down_until;
				r->signing = p->key;
				r->lease_epoch = p->l.holding ? p->l.epoch : 0;
				r->demoted_epoch = p->l.demoted_epoch;
				r->sign.height = p->state_h;
			}
		}
		/* the commander */
		if (cmd_down_until == 0) {
			for (int i = 0; i < NP; i++) {
				struct pilot *p = &pl[i];
				struct proto_cmd cmd;

				/* a frozen pilot's I/O is frozen with it: its
				 * last request arrives when it thaws, late */
				if (!p->req.live || t < p->req.at ||
				    t < p->frozen_until)
					continue;
				p->req.live = 0;
				last_hb[i] = t;
				ms[i] = p->req.rep;
				ms[i].trouble_since_ms =
				    ms[i].healthy
				        ? 0
				        : (trouble[i] ? trouble[i] : t);
				trouble[i] = ms[i].trouble_since_ms;
				memset(&p->rep, 0, sizeof(p->rep));
				p->rep.has_cmd = failover_on_heartbeat(
				    &g, &P, &ms[i], t, &cmd);
				/* claims no lease covers, as groups.c keeps
				 * them */
				if (failover_claim_covered(&g, &ms[i], t)) {
					claim_since[i] = claim_last[i] = 0;
				} else {
					if (claim_since[i] == 0 ||
					    claim_epoch[i] != ms[i].lease_epoch)
						claim_since[i] = t;
					claim_epoch[i] = ms[i].lease_epoch;
					claim_last[i] = t;
				}
				ms[i].claim_since_ms = claim_since[i];
				ms[i].claim_last_ms = claim_last[i];
				p->rep.cmd = cmd;
				p->rep.sent = p->req.sent;
				p->rep.live =
				    t >= p->cut_until && rnd(100) >= 5;
				p->rep.at = t + rnd(200);
			}
			if (t % 500 == 0) {
				for (int i = 0; i < NP; i++) {
					ms[i].node = names[i];
					ms[i].priority =
					    (uint32_t)(90 - 30 * i);
					if (last_hb[i] == 0 ||
					    t - last_hb[i] > 3 * HB) {
						ms[i].connected = false;
						if (trouble[i] == 0)
							trouble[i] = t;
						ms[i].trouble_since_ms =
						    trouble[i];
					}
				}
				enum failover_step st =
				    failover_tick(&g, &P, ms, NP, t);

				if (st == FO_STEP_RISK)
					res->risk_alarms++;
				if (st == FO_STEP_PERSIST) {
					/* fsync, then allowed to grant */
					durable_epoch = g.epoch;
					snprintf(durable_holder,
					         sizeof(durable_holder), "%s",
					         g.holder);
					durable_wm = g.watermark;
					failover_persisted(&g);
				}
			}
		}
		/* the chain: each signing node signs the new height once */
		if (t % BLOCK == 0) {
			for (int i = 0; i < NP; i++) {
				struct pilot *p = &pl[i];

				if (!p->key || t >= p->lease_file ||
				    t < p->node_down_until || h <= p->state_h)
					continue;
				if (signer_of[h] >= 0 && signer_of[h] != i)
					res->double_signed++;
				if (h <= p->l.watermark.height)
					res->below_watermark++;
				signer_of[h] = i;
				p->state_h = h;
				if (primary_faulted >= 0 &&
				    i != primary_faulted &&
				    res->failover_ms == 0)
					res->failover_ms = t - fault_at;
			}
		}
	}
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
test_model_check_never_double_signs(void)
{
	enum { RUNS = 400 };
	static uint64_t times[RUNS];
	size_t nt = 0;
	const char *env = getenv("FAILOVER_RUNS");
	int runs = env ? atoi(env) : RUNS;

	if (runs > RUNS)
		runs = RUNS;
	for (int s = 1; s <= runs; s++) {
		struct run_result r;

		model_run((uint64_t)s, &r);
		CHECKF(r.double_signed == 0,
		       "seed %d: %d heights signed "
		       "twice",
		       s, r.double_signed);
		CHECKF(r.below_watermark == 0,
		       "seed %d: %d signatures at or "
		       "below the watermark",
		       s, r.below_watermark);
		/* nobody signed twice, so an alarm would be a false one */
		CHECKF(r.risk_alarms == 0,
		       "seed %d: %d double-sign risk alarms, no double sign", s,
		       r.risk_alarms);
		if (r.failover_ms)
			times[nt++] = r.failover_ms;
	}
	CHECK(nt > (size_t)runs / 4); /* faults on the primary did happen */
	if (nt) {
		qsort(times, nt, sizeof(times[0]), cmp_u64);
		printf("  model: %d runs, %zu primary failures; time to the "
		       "next signature p50 %.1fs p99 %.1fs max %.1fs\n",
		       runs, nt, times[nt / 2] / 1000.0,
		       times[nt * 99 / 100] / 1000.0, times[nt - 1] / 1000.0);
	}
}

int
main(void)
{
	RUN(test_span);
	RUN(test_pick_ranks);
	RUN(test_renew_and_revoke_others);
	RUN(test_claim_covered);
	RUN(test_ack_needs_stopped);
	RUN(test_renewal_capped_in_trouble);
	RUN(test_risk_grace);
	RUN(test_watermark_is_max_reported);
	RUN(test_failover_waits_for_expiry);
	RUN(test_ack_shortcuts_the_wait);
	RUN(test_switchover_refusals);
	RUN(test_ack_only_waits_for_ack);
	RUN(test_restart_holds_a_full_span);
	RUN(test_persist_failure_grants_nothing);
	RUN(test_model_check_never_double_signs);
	return TEST_END();
}
