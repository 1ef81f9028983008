/* lease_test: the pilot's side of the signing lease, row by row, with
 * injected monotonic time. */
#include "pilot/lease.h"
#include "tests/test.h"

static struct proto_cmd
grant(uint64_t epoch, uint32_t ttl, uint64_t wm)
{
	struct proto_cmd c = {
	    .verb = VERB_LEASE_GRANT, .epoch = epoch, .ttl_ms = ttl};

	c.watermark.height = wm;
	return c;
}

/* A pilot that holds epoch 3 (ttl 10 s from a request sent at t=1000) and
 * signs. */
static void
holding(struct lease_state *l)
{
	struct proto_cmd g = grant(3, 10000, 50);

	lease_init(l, LEASE_MODE_LEASE);
	CHECK(lease_on_grant(l, &g, 1000, 1200) == LEASE_PROMOTE);
	CHECK(lease_promoted(l, 1300));
	CHECK(l->signing);
}

static void
test_starts_not_signing(void)
{
	struct lease_state l;

	lease_init(&l, LEASE_MODE_LEASE);
	CHECK(!l.signing && !l.holding && l.epoch == 0);
	CHECK(lease_tick(&l, 5) == LEASE_NONE);
}

static void
test_grant_rows(void)
{
	static const struct {
		const char *name;
		uint64_t epoch, sent, now;
		uint32_t ttl;
		enum lease_action want;
	} rows[] = {
	    {"fresh grant promotes", 1, 100, 150, 1000, LEASE_PROMOTE},
	    {"epoch 0 is never valid", 0, 100, 150, 1000, LEASE_IGNORED},
	    {"expired on arrival", 1, 100, 1100, 1000, LEASE_IGNORED},
	    {"arrives 1 ms before expiry", 1, 100, 1099, 1000, LEASE_PROMOTE},
	    {"sent in the future: impossible", 1, 200, 150, 1000,
	     LEASE_IGNORED},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct lease_state l;
		struct proto_cmd g = grant(rows[i].epoch, rows[i].ttl, 0);

		lease_init(&l, LEASE_MODE_LEASE);
		CHECKF(lease_on_grant(&l, &g, rows[i].sent, rows[i].now) ==
		           rows[i].want,
		       "row '%s'", rows[i].name);
	}
}

static void
test_expiry_counts_from_send(void)
{
	struct lease_state l;

	holding(&l);
	/* sent at 1000 + ttl 10000: expiry 11000, not 11200 (arrival) */
	CHECK(lease_tick(&l, 10999) == LEASE_NONE);
	CHECK(l.signing);
	CHECK(lease_tick(&l, 11000) == LEASE_DEMOTE);
	lease_demoted(&l);
	CHECK(!l.signing && !l.holding);
	CHECK(l.demoted_epoch == 3); /* reported as given up */
	CHECK(lease_tick(&l, 20000) == LEASE_NONE);
}

static void
test_renewal(void)
{
	struct lease_state l;
	struct proto_cmd g = grant(3, 10000, 60);

	holding(&l);
	CHECK(lease_on_grant(&l, &g, 5000, 5100) == LEASE_RENEWED);
	CHECK(l.expires_ms == 15000);
	CHECK(l.watermark.height == 60);
	/* a reordered older reply of the same epoch never shortens it */
	CHECK(lease_on_grant(&l, &g, 4000, 5200) == LEASE_RENEWED);
	CHECK(l.expires_ms == 15000);
	CHECK(lease_tick(&l, 14999) == LEASE_NONE);
	CHECK(lease_tick(&l, 15000) == LEASE_DEMOTE);
}

static void
test_watermark_only_rises(void)
{
	struct lease_state l;
	struct proto_cmd g = grant(3, 10000, 10);

	holding(&l); /* watermark 50 */
	CHECK(lease_on_grant(&l, &g, 2000, 2100) == LEASE_RENEWED);
	CHECK(l.watermark.height == 50);
}

static void
test_old_epoch_ignored(void)
{
	struct lease_state l;
	struct proto_cmd g = grant(2, 10000, 0);

	holding(&l);
	CHECK(lease_on_grant(&l, &g, 2000, 2100) == LEASE_IGNORED);
	CHECK(l.epoch == 3 && l.expires_ms == 11000);
	CHECK(lease_on_revoke(&l, 2, 2200) == LEASE_IGNORED);
	CHECK(l.signing);
}

static void
test_revoke(void)
{
	struct lease_state l;
	struct proto_cmd g = grant(3, 10000, 0);

	holding(&l);
	CHECK(lease_on_revoke(&l, 3, 2000) == LEASE_DEMOTE);
	lease_demoted(&l);
	CHECK(!l.signing && l.demoted_epoch == 3);
	/* a late duplicate grant of the revoked epoch must not resume */
	CHECK(lease_on_grant(&l, &g, 1900, 2100) == LEASE_IGNORED);
	CHECK(!l.signing);
	/* a new epoch does */
	g.epoch = 4;
	CHECK(lease_on_grant(&l, &g, 2200, 2300) == LEASE_PROMOTE);
	/* revoke while not signing still acknowledges */
	lease_init(&l, LEASE_MODE_LEASE);
	CHECK(lease_on_revoke(&l, 7, 10) == LEASE_NONE);
	CHECK(l.demoted_epoch == 7);
}

/* The ack of a revoke (demoted_epoch, which the commander takes as "it
 * stopped signing") waits until the demote is done: a failed demote is
 * never acknowledged, and the revoked epoch's grants stay stale. */
static void
test_revoke_acked_once_stopped(void)
{
	struct lease_state l;
	struct proto_cmd g = grant(3, 10000, 0);

	holding(&l);
	CHECK(lease_on_revoke(&l, 3, 2000) == LEASE_DEMOTE);
	CHECK(l.demoted_epoch == 0); /* still signing: no ack yet */
	/* the demote failed; a duplicate grant of epoch 3 meanwhile */
	CHECK(lease_on_grant(&l, &g, 1900, 2100) == LEASE_IGNORED);
	CHECK(l.signing && !l.holding);
	CHECK(lease_tick(&l, 3000) == LEASE_DEMOTE); /* retried */
	CHECK(l.demoted_epoch == 0);
	lease_demoted(&l);
	CHECK(!l.signing && l.demoted_epoch == 3);
	/* revoked while promoting, and the promote fails before enabling:
	 * nothing signs, so that is the ack */
	lease_init(&l, LEASE_MODE_LEASE);
	g.epoch = 5;
	CHECK(lease_on_grant(&l, &g, 0, 10) == LEASE_PROMOTE);
	CHECK(lease_on_revoke(&l, 5, 20) == LEASE_DEMOTE);
	CHECK(l.demoted_epoch == 0);
	lease_promote_failed(&l, "doppelganger check: timeout");
	CHECK(l.demoted_epoch == 5);
	/* a failed promote of an epoch still held is no ack */
	lease_init(&l, LEASE_MODE_LEASE);
	CHECK(lease_on_grant(&l, &g, 0, 10) == LEASE_PROMOTE);
	lease_promote_failed(&l, "cannot raise the sign state");
	CHECK(l.demoted_epoch == 0);
}

static void
test_clock_backwards_demotes(void)
{
	struct lease_state l;

	holding(&l);
	CHECK(lease_tick(&l, 5000) == LEASE_NONE);
	CHECK(lease_tick(&l, 4999) == LEASE_DEMOTE);
	lease_demoted(&l);
	CHECK(!l.signing);
}

static void
test_promote_races(void)
{
	struct lease_state l;
	struct proto_cmd g = grant(1, 1000, 0);

	/* the lease runs out while the promote (doppelganger wait) runs */
	lease_init(&l, LEASE_MODE_LEASE);
	CHECK(lease_on_grant(&l, &g, 0, 10) == LEASE_PROMOTE);
	CHECK(!lease_promoted(&l, 1000));
	CHECK(!l.signing && !l.holding);
	/* revoked while promoting: the tick must demote */
	lease_init(&l, LEASE_MODE_LEASE);
	CHECK(lease_on_grant(&l, &g, 0, 10) == LEASE_PROMOTE);
	CHECK(lease_on_revoke(&l, 1, 20) == LEASE_DEMOTE);
	CHECK(!lease_promoted(&l, 30));
	/* a failed promote leaves it not signing */
	lease_init(&l, LEASE_MODE_LEASE);
	CHECK(lease_on_grant(&l, &g, 0, 10) == LEASE_PROMOTE);
	lease_promote_failed(&l, "doppelganger seen");
	CHECK(!l.signing && !l.holding);
	CHECK(lease_tick(&l, 20) == LEASE_NONE);
}

static void
test_ack_only_never_self_fences(void)
{
	struct lease_state l;
	struct proto_cmd g = grant(1, 1000, 0);

	lease_init(&l, LEASE_MODE_ACK_ONLY);
	CHECK(lease_on_grant(&l, &g, 0, 10) == LEASE_PROMOTE);
	CHECK(lease_promoted(&l, 20));
	CHECK(lease_tick(&l, 1000000) == LEASE_NONE);
	CHECK(l.signing);
	CHECK(lease_on_revoke(&l, 1, 1000001) == LEASE_DEMOTE);
}

int
main(void)
{
	RUN(test_starts_not_signing);
	RUN(test_grant_rows);
	RUN(test_expiry_counts_from_send);
	RUN(test_renewal);
	RUN(test_watermark_only_rises);
	RUN(test_old_epoch_ignored);
	RUN(test_revoke);
	RUN(test_revoke_acked_once_stopped);
	RUN(test_clock_backwards_demotes);
	RUN(test_promote_races);
	RUN(test_ack_only_never_self_fences);
	return TEST_END();
}
