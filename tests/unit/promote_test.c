/* promote_test: the order of the steps that make a node sign or stop, and
 * every failure path, with recording fakes for the effects. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pilot/promote.h"
#include "tests/test.h"

struct fake {
	char calls[512];
	int fail_raise, fail_enable, fail_disable, fail_restart, fail_lease;
	int doppel_seq[8]; /* results of successive polls */
	unsigned npoll;
	uint64_t height;
	struct proto_sign_state floor;
	uint64_t lease_epoch, lease_expires;
	unsigned lease_writes;
};

static void
rec(struct fake *f, const char *what)
{
	if (f->calls[0])
		strncat(f->calls, ",", sizeof(f->calls) - strlen(f->calls) - 1);
	strncat(f->calls, what, sizeof(f->calls) - strlen(f->calls) - 1);
}

static int
f_raise(void *arg, const struct proto_sign_state *floor, char *err,
        size_t errlen)
{
	struct fake *f = arg;

	rec(f, "raise");
	f->floor = *floor;
	if (f->fail_raise) {
		snprintf(err, errlen, "corrupt state file");
		return -EBADMSG;
	}
	return 0;
}

static int
f_dbegin(void *arg, char *err, size_t errlen)
{
	rec(arg, "dbegin");
	return 0;
}

static int
f_dpoll(void *arg, char *err, size_t errlen)
{
	struct fake *f = arg;
	int r = f->doppel_seq[f->npoll < 8 ? f->npoll : 7];

	f->npoll++;
	rec(f, "dpoll");
	snprintf(err, errlen, r == DOPPEL_SEEN ? "signed elsewhere" : "");
	return r;
}

static int
f_lease(void *arg, uint64_t epoch, uint64_t expires, char *err, size_t errlen)
{
	struct fake *f = arg;

	rec(f, expires ? "lease" : "lease0");
	f->lease_epoch = epoch;
	f->lease_expires = expires;
	f->lease_writes++;
	if (f->fail_lease) {
		snprintf(err, errlen, "disk full");
		return -ENOSPC;
	}
	return 0;
}

static int
f_enable(void *arg, char *err, size_t errlen)
{
	struct fake *f = arg;

	rec(f, "enable");
	if (f->fail_enable) {
		snprintf(err, errlen, "copy failed");
		return -EIO;
	}
	return 0;
}

static int
f_disable(void *arg, char *err, size_t errlen)
{
	struct fake *f = arg;

	rec(f, "disable");
	if (f->fail_disable) {
		snprintf(err, errlen, "unlink failed");
		return -EIO;
	}
	return 0;
}

static int
f_restart(void *arg, char *err, size_t errlen)
{
	struct fake *f = arg;

	rec(f, "restart");
	if (f->fail_restart) {
		snprintf(err, errlen, "engine gone");
		return -ECONNREFUSED;
	}
	return 0;
}

static uint64_t
f_height(void *arg)
{
	return ((struct fake *)arg)->height;
}

static const struct promote_ops all_ops = {
    .raise = f_raise,
    .doppel_begin = f_dbegin,
    .doppel_poll = f_dpoll,
    .lease_file = f_lease,
    .enable = f_enable,
    .disable = f_disable,
    .restart_node = f_restart,
    .height = f_height,
};

/* Granted epoch 4, ttl 10 s, sent at 1000, watermark height wm. */
static void
granted(struct lease_state *l, struct promote *p, uint64_t wm)
{
	struct proto_cmd g = {
	    .verb = VERB_LEASE_GRANT, .epoch = 4, .ttl_ms = 10000};

	g.watermark.height = wm;
	g.watermark.round = 2;
	g.watermark.step = 3;
	lease_init(l, LEASE_MODE_LEASE);
	CHECK(lease_on_grant(l, &g, 1000, 1100) == LEASE_PROMOTE);
	promote_begin(p, l);
}

static void
test_order_without_doppelganger(void)
{
	struct promote_ops o = all_ops;
	struct fake f = {.height = 90};
	struct lease_state l;
	struct promote p;

	o.doppel_begin = NULL;
	o.doppel_poll = NULL;
	granted(&l, &p, 50);
	CHECK(promote_step(&p, &l, &o, &f, 1200) == PROMOTE_EV_SIGNING);
	/* the lease file is written before the key goes in */
	CHECK_EQ_STR(f.calls, "raise,lease,enable,restart");
	CHECK(l.signing && !l.promoting);
	CHECK_EQ_INT(f.lease_epoch, 4);
	CHECK_EQ_INT(f.lease_expires, 11000); /* sent + ttl */
	/* the node's height is above the watermark: {90, 0, 0} */
	CHECK_EQ_INT(f.floor.height, 90);
	CHECK_EQ_INT(f.floor.round, 0);
	CHECK(!promote_active(&p));
}

static void
test_watermark_above_height(void)
{
	struct fake f = {.height = 10};
	struct promote_ops o = all_ops;
	struct lease_state l;
	struct promote p;

	o.doppel_begin = NULL;
	granted(&l, &p, 50);
	CHECK(promote_step(&p, &l, &o, &f, 1200) == PROMOTE_EV_SIGNING);
	CHECK_EQ_INT(f.floor.height, 50);
	CHECK_EQ_INT(f.floor.round, 2);
	CHECK_EQ_INT(f.floor.step, 3);
}

static void
test_doppelganger_runs_across_steps(void)
{
	struct fake f = {
	    .height = 90,
	    .doppel_seq = {DOPPEL_MORE, -EAGAIN, DOPPEL_MORE, DOPPEL_CLEAR}};
	struct lease_state l;
	struct promote p;

	granted(&l, &p, 50);
	CHECK(promote_step(&p, &l, &all_ops, &f, 1200) == PROMOTE_EV_NONE);
	/* polls are spaced: a step within PROMOTE_POLL_MS does nothing */
	CHECK(promote_step(&p, &l, &all_ops, &f, 1300) == PROMOTE_EV_NONE);
	CHECK_EQ_INT(f.npoll, 1);
	CHECK(promote_step(&p, &l, &all_ops, &f, 1700) == PROMOTE_EV_NONE);
	CHECK(promote_step(&p, &l, &all_ops, &f, 2200) == PROMOTE_EV_NONE);
	CHECK(!l.signing && l.promoting);
	CHECK(promote_step(&p, &l, &all_ops, &f, 2700) == PROMOTE_EV_SIGNING);
	CHECK_EQ_STR(f.calls, "raise,dbegin,dpoll,dpoll,dpoll,dpoll,lease,"
	                      "enable,restart");
	CHECK(l.signing);
}

static void
test_doppelganger_seen_aborts(void)
{
	struct fake f = {.doppel_seq = {DOPPEL_MORE, DOPPEL_SEEN}};
	struct lease_state l;
	struct promote p;

	granted(&l, &p, 50);
	CHECK(promote_step(&p, &l, &all_ops, &f, 1200) == PROMOTE_EV_NONE);
	CHECK(promote_step(&p, &l, &all_ops, &f, 1800) == PROMOTE_EV_FAILED);
	CHECK_EQ_STR(f.calls, "raise,dbegin,dpoll,dpoll");
	CHECK(!l.signing && !l.promoting && !l.holding);
	CHECK(strstr(p.msg, "doppelganger") != NULL);
	CHECK(strstr(l.reason, "signed elsewhere") != NULL);
}

static void
test_lease_expires_during_doppelganger(void)
{
	struct fake f = {.doppel_seq = {DOPPEL_MORE}};
	struct lease_state l;
	struct promote p;

	granted(&l, &p, 50);
	CHECK(promote_step(&p, &l, &all_ops, &f, 1200) == PROMOTE_EV_NONE);
	/* no renewal: at 11000 the lease is gone */
	CHECK(lease_tick(&l, 11000) == LEASE_DEMOTE);
	CHECK(promote_step(&p, &l, &all_ops, &f, 11000) == PROMOTE_EV_DEMOTE);
	CHECK(strstr(f.calls, "enable") == NULL);
	CHECK(!promote_active(&p));
}

static void
test_raise_failure(void)
{
	struct fake f = {.fail_raise = 1};
	struct lease_state l;
	struct promote p;

	granted(&l, &p, 50);
	CHECK(promote_step(&p, &l, &all_ops, &f, 1200) == PROMOTE_EV_FAILED);
	CHECK_EQ_STR(f.calls, "raise");
	CHECK(!l.signing && !l.holding);
	CHECK(strstr(p.msg, "corrupt state file") != NULL);
}

static void
test_lease_file_failure(void)
{
	struct promote_ops o = all_ops;
	struct fake f = {.fail_lease = 1};
	struct lease_state l;
	struct promote p;

	o.doppel_begin = NULL;
	granted(&l, &p, 0);
	CHECK(promote_step(&p, &l, &o, &f, 1200) == PROMOTE_EV_FAILED);
	CHECK_EQ_STR(f.calls, "raise,lease");
	CHECK(!l.signing);
}

static void
test_enable_failure_needs_demote(void)
{
	struct promote_ops o = all_ops;
	struct fake f = {.fail_enable = 1};
	struct lease_state l;
	struct promote p;

	o.doppel_begin = NULL;
	granted(&l, &p, 0);
	CHECK(promote_step(&p, &l, &o, &f, 1200) == PROMOTE_EV_DEMOTE);
	CHECK(!l.signing && !l.holding);
}

static void
test_restart_failure_needs_demote(void)
{
	struct promote_ops o = all_ops;
	struct fake f = {.fail_restart = 1};
	struct lease_state l;
	struct promote p;

	o.doppel_begin = NULL;
	granted(&l, &p, 0);
	CHECK(promote_step(&p, &l, &o, &f, 1200) == PROMOTE_EV_DEMOTE);
	CHECK_EQ_STR(f.calls, "raise,lease,enable,restart");
	CHECK(!l.signing);
}

static void
test_demote_order(void)
{
	struct promote_ops o = all_ops;
	struct fake f = {0};
	struct lease_state l;
	struct promote p;
	char err[256];

	o.doppel_begin = NULL;
	granted(&l, &p, 0);
	CHECK(promote_step(&p, &l, &o, &f, 1200) == PROMOTE_EV_SIGNING);
	f.calls[0] = '\0';
	CHECK(lease_on_revoke(&l, 4, 2000) == LEASE_DEMOTE);
	CHECK(promote_demote(&p, &l, &o, &f, err, sizeof(err)) == 0);
	/* the deadline goes first: the fastest fence */
	CHECK_EQ_STR(f.calls, "lease0,disable,restart");
	CHECK_EQ_INT(f.lease_expires, 0);
	CHECK(!l.signing);
	CHECK_EQ_INT(l.demoted_epoch, 4);
}

static void
test_demote_failure_retries(void)
{
	struct promote_ops o = all_ops;
	struct fake f = {0};
	struct lease_state l;
	struct promote p;
	char err[256];

	o.doppel_begin = NULL;
	granted(&l, &p, 0);
	CHECK(promote_step(&p, &l, &o, &f, 1200) == PROMOTE_EV_SIGNING);
	f.fail_disable = 1;
	CHECK(lease_tick(&l, 11000) == LEASE_DEMOTE);
	CHECK(promote_demote(&p, &l, &o, &f, err, sizeof(err)) != 0);
	CHECK(strstr(err, "unlink failed") != NULL);
	/* still signing as far as the state knows: the next tick asks again */
	CHECK(l.signing);
	CHECK(lease_tick(&l, 11100) == LEASE_DEMOTE);
	f.fail_disable = 0;
	CHECK(promote_demote(&p, &l, &o, &f, err, sizeof(err)) == 0);
	CHECK(!l.signing);
	CHECK(lease_tick(&l, 11200) == LEASE_NONE);
}

static void
test_demote_restart_failure_still_demotes(void)
{
	struct promote_ops o = all_ops;
	struct fake f = {0};
	struct lease_state l;
	struct promote p;
	char err[256];

	o.doppel_begin = NULL;
	granted(&l, &p, 0);
	CHECK(promote_step(&p, &l, &o, &f, 1200) == PROMOTE_EV_SIGNING);
	f.fail_restart = 1;
	CHECK(lease_on_revoke(&l, 4, 2000) == LEASE_DEMOTE);
	CHECK(promote_demote(&p, &l, &o, &f, err, sizeof(err)) == 0);
	CHECK(!l.signing);
	CHECK(strstr(err, "engine gone") != NULL);
}

static void
test_renewal_moves_the_deadline(void)
{
	struct promote_ops o = all_ops;
	struct fake f = {0};
	struct lease_state l;
	struct promote p;
	struct proto_cmd g = {
	    .verb = VERB_LEASE_GRANT, .epoch = 4, .ttl_ms = 10000};
	char err[64];

	o.doppel_begin = NULL;
	granted(&l, &p, 0);
	CHECK(promote_step(&p, &l, &o, &f, 1200) == PROMOTE_EV_SIGNING);
	CHECK(lease_on_grant(&l, &g, 5000, 5050) == LEASE_RENEWED);
	CHECK(promote_renewed(&p, &l, &o, &f, err, sizeof(err)) == 0);
	CHECK_EQ_INT(f.lease_expires, 15000);
	/* without a lease file nothing is written */
	o.lease_file = NULL;
	f.lease_writes = 0;
	CHECK(promote_renewed(&p, &l, &o, &f, err, sizeof(err)) == 0);
	CHECK_EQ_INT(f.lease_writes, 0);
}

static void
test_revoked_while_promoting(void)
{
	struct fake f = {.doppel_seq = {DOPPEL_MORE}};
	struct lease_state l;
	struct promote p;

	granted(&l, &p, 0);
	CHECK(promote_step(&p, &l, &all_ops, &f, 1200) == PROMOTE_EV_NONE);
	CHECK(lease_on_revoke(&l, 4, 1300) == LEASE_DEMOTE);
	CHECK(promote_step(&p, &l, &all_ops, &f, 1800) == PROMOTE_EV_DEMOTE);
	CHECK(strstr(f.calls, "enable") == NULL);
}

int
main(void)
{
	RUN(test_order_without_doppelganger);
	RUN(test_watermark_above_height);
	RUN(test_doppelganger_runs_across_steps);
	RUN(test_doppelganger_seen_aborts);
	RUN(test_lease_expires_during_doppelganger);
	RUN(test_raise_failure);
	RUN(test_lease_file_failure);
	RUN(test_enable_failure_needs_demote);
	RUN(test_restart_failure_needs_demote);
	RUN(test_demote_order);
	RUN(test_demote_failure_retries);
	RUN(test_demote_restart_failure_still_demotes);
	RUN(test_renewal_moves_the_deadline);
	RUN(test_revoked_while_promoting);
	return TEST_END();
}
