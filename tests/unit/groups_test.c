/*
 * groups_test: the commander's failover glue (commander/groups.c) over the
 * real fleet model: the durable record's codec with hostile input, the
 * first grant only after the durable write and the start span, failover
 * when the holder's lease lapses, switchover with an acknowledgement (no
 * expiry wait), refusals, ack-only release, a failed write, time arriving
 * out of order, and the events each step leaves.
 */
#include <errno.h>
#include <stdlib.h>

#include "commander/fleet.h"
#include "commander/groups.h"
#include "tests/test.h"

#define T0 1000000ull

static const struct failover_params P = FAILOVER_DEFAULT_PARAMS;

struct world {
	struct fleet *fl;
	struct groups *gs;
	struct event_list evs;
	uint64_t height;
};

static void
world_init(struct world *w, enum failover_mode mode)
{
	struct fleet_conf fc;
	struct fleet_node_conf a = {.name = "a",
	                            .group = "g",
	                            .network = "n-1",
	                            .role = "validator",
	                            .priority = 10};
	struct fleet_node_conf b = {.name = "b",
	                            .group = "g",
	                            .network = "n-1",
	                            .role = "validator",
	                            .priority = 5};
	struct proto_hello h = {.chain = CHAIN_COMETBFT,
	                        .role = ROLE_VALIDATOR,
	                        .network = "n-1",
	                        .group = "g"};
	char err[256];

	memset(w, 0, sizeof(*w));
	w->height = 100;
	fleet_conf_defaults(&fc);
	fc.interval_ms = 1000;
	w->fl = fleet_new(&fc, err, sizeof(err));
	CHECK(w->fl != NULL);
	CHECK(fleet_add_node(w->fl, &a, err, sizeof(err)) == 0);
	CHECK(fleet_add_node(w->fl, &b, err, sizeof(err)) == 0);
	strcpy(h.node, "a");
	CHECK(fleet_hello(w->fl, &h, T0, T0, &w->evs, err, sizeof(err)) == 0);
	strcpy(h.node, "b");
	CHECK(fleet_hello(w->fl, &h, T0, T0, &w->evs, err, sizeof(err)) == 0);
	w->gs = groups_new();
	CHECK(groups_add(w->gs, "g", mode, true, &P) == 0);
	CHECK(groups_add_member(w->gs, "g", "a", 10) == 0);
	CHECK(groups_add_member(w->gs, "g", "b", 5) == 0);
	event_list_clear(&w->evs);
}

static void
world_free(struct world *w)
{
	groups_free(w->gs);
	fleet_free(w->fl);
	event_list_free(&w->evs);
}

struct hbopt {
	bool signing;
	uint64_t lease_epoch, demoted;
	bool down;
};

/* A heartbeat from node at now: true with *cmd when the reply carries a
 * lease command. */
static bool
beat(struct world *w, const char *node, uint64_t now, const struct hbopt *o,
     struct proto_cmd *cmd)
{
	struct proto_heartbeat hb = {0};
	struct fleet_hb_result fr;

	hb.st.up = !(o && o->down);
	hb.st.reachable = !(o && o->down);
	hb.st.height = w->height;
	hb.st.ref_height = w->height;
	hb.st.signing = o && o->signing;
	hb.st.lease_epoch = o ? o->lease_epoch : 0;
	hb.st.sign.height = o && o->signing ? w->height - 1 : 0;
	hb.demoted_epoch = o ? o->demoted : 0;
	CHECK(fleet_heartbeat(w->fl, node, &hb, now, now, &fr, &w->evs) == 0);
	return groups_heartbeat(w->gs, node, &hb, &fr, now, now, cmd, &w->evs);
}

/* The step of the last lease event, or "". */
static const char *
last_step(const struct world *w)
{
	static char step[32];
	const char *p;

	step[0] = '\0';
	for (size_t i = w->evs.n; i-- > 0;) {
		if (w->evs.v[i].type != EV_LEASE_CHANGE)
			continue;
		if ((p = strstr(w->evs.v[i].details, "\"step\":\"")) != NULL)
			sscanf(p + 8, "%31[^\"]", step);
		break;
	}
	return step;
}

static bool
has_step(const struct world *w, const char *step)
{
	char pat[64];

	snprintf(pat, sizeof(pat), "\"step\":\"%s\"", step);
	for (size_t i = 0; i < w->evs.n; i++)
		if (w->evs.v[i].type == EV_LEASE_CHANGE &&
		    strstr(w->evs.v[i].details, pat))
			return true;
	return false;
}

/* A tick; watermark-only records are written at once (as the daemon
 * does) and left out: returns the number of epoch records in out. */
static size_t
tick(struct world *w, uint64_t now, struct groups_persist *out)
{
	size_t n = 0, k = 0;

	CHECK(groups_tick(w->gs, w->fl, now, now, &w->evs, out, 4, &n) == 0);
	for (size_t i = 0; i < n; i++) {
		if (out[i].epoch_step) {
			out[k++] = out[i];
			continue;
		}
		/* never lower than what is durable already */
		CHECK(out[i].rec.watermark.height > 0);
		groups_persisted(w->gs, &out[i], true, now, &w->evs);
	}
	return k;
}

/* Write what the tick asked for, as the daemon does. */
static void
persist_all(struct world *w, struct groups_persist *p, size_t n, bool ok)
{
	for (size_t i = 0; i < n; i++) {
		if (ok)
			groups_persist_event(&p[i], 0, &w->evs);
		groups_persisted(w->gs, &p[i], ok, 0, &w->evs);
	}
}

/* From a fresh start to a holding epoch 1; returns the time reached. */
static uint64_t
settle(struct world *w)
{
	struct groups_persist p[4];
	struct proto_cmd cmd;
	uint64_t now = T0, span = failover_lease_span(&P);
	size_t n;

	CHECK(groups_start(w->gs, "g", NULL, now) == 0);
	CHECK(!beat(w, "a", now, NULL, &cmd));
	CHECK(!beat(w, "b", now, NULL, &cmd));
	CHECK(tick(w, now + 500, p) == 0);
	/* a fresh commander may be a restarted one that lost its disk */
	CHECK_EQ_STR(last_step(w), "waiting");
	for (now = T0 + 1000; now < T0 + span; now += 1000) {
		beat(w, "a", now, NULL, &cmd);
		beat(w, "b", now, NULL, &cmd);
		CHECK(tick(w, now, p) == 0);
	}
	beat(w, "a", now, NULL, &cmd);
	beat(w, "b", now, NULL, &cmd);
	n = tick(w, now, p);
	CHECK_EQ_INT(n, 1);
	CHECK(p[0].epoch_step && p[0].rec.epoch == 1);
	CHECK_EQ_STR(p[0].rec.holder, "a");
	/* nothing is granted before the write is durable */
	CHECK(!beat(w, "a", now + 10, NULL, &cmd));
	persist_all(w, p, n, true);
	CHECK_EQ_STR(last_step(w), "persisted");
	CHECK(beat(w, "a", now + 20, NULL, &cmd));
	CHECK(cmd.verb == VERB_LEASE_GRANT && cmd.epoch == 1);
	CHECK_EQ_STR(cmd.group, "g");
	CHECK(cmd.ttl_ms == P.ttl_ms);
	CHECK_EQ_STR(last_step(w), "granted");
	return now + 20;
}

static void
test_record_codec(void)
{
	struct groups_record r = {.epoch = 42,
	                          .holder = "val-1",
	                          .watermark = {.height = 123456,
	                                        .round = 2,
	                                        .step = 3}},
	                     back;
	char buf[512];
	static const char *const bad[] = {
	    "",
	    "[]",
	    "{",
	    "null",
	    "{\"holder\":\"a\"}",
	    "{\"epoch\":-1,\"holder\":\"a\"}",
	    "{\"epoch\":1.5,\"holder\":\"a\"}",
	    "{\"epoch\":1e300,\"holder\":\"a\"}",
	    "{\"epoch\":\"1\",\"holder\":\"a\"}",
	    "{\"epoch\":1}",
	    "{\"epoch\":1,\"holder\":7}",
	    "{\"epoch\":1,\"holder\":\"a\",\"watermark\":[]}",
	    "{\"epoch\":1,\"holder\":\"a\",\"watermark\":{\"height\":1}}",
	    "{\"epoch\":1,\"holder\":\"a\",\"watermark\":{\"height\":1,"
	    "\"round\":-1,\"step\":0}}",
	    "{\"epoch\":1,\"holder\":\"a\",\"watermark\":{\"height\":1,"
	    "\"round\":0,\"step\":3000000000}}",
	    "{\"epoch\":1,\"holder\":"
	    "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
	};
	char *big;

	CHECK(groups_record_encode(&r, buf, sizeof(buf)) == 0);
	CHECK(groups_record_decode(buf, strlen(buf), &back) == 0);
	CHECK(back.epoch == 42 && strcmp(back.holder, "val-1") == 0);
	CHECK(back.watermark.height == 123456 && back.watermark.round == 2 &&
	      back.watermark.step == 3);
	CHECK(groups_record_encode(&r, buf, 10) == -ENOSPC);
	/* a watermark may be absent (older records) */
	CHECK(groups_record_decode("{\"epoch\":3,\"holder\":\"\"}", 24,
	                           &back) == 0);
	CHECK(back.epoch == 3 && back.holder[0] == '\0');
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		back.epoch = 99;
		CHECKF(groups_record_decode(bad[i], strlen(bad[i]), &back) ==
		               -EINVAL &&
		           back.epoch == 0,
		       "row %zu '%s'", i, bad[i]);
	}
	/* truncated: every prefix of a good record is refused or equal */
	for (size_t k = 0; k < strlen(buf); k++)
		CHECKF(groups_record_decode(buf, k, &back) == -EINVAL,
		       "prefix %zu", k);
	big = malloc(8192);
	memset(big, ' ', 8191);
	big[8191] = '\0';
	memcpy(big, "{\"epoch\":1,\"holder\":\"a\"}", 24);
	CHECK(groups_record_decode(big, 8191, &back) == -EINVAL);
	free(big);
}

static void
test_first_grant(void)
{
	struct world w;
	struct proto_cmd cmd;
	char holder[PROTO_NAME_MAX];
	uint64_t epoch = 0, now;

	world_init(&w, FO_MODE_LEASE);
	now = settle(&w);
	CHECK(groups_holder(w.gs, "g", holder, sizeof(holder), &epoch));
	CHECK_EQ_STR(holder, "a");
	CHECK(epoch == 1);
	/* renewals carry the same epoch and make no events */
	event_list_clear(&w.evs);
	CHECK(beat(&w, "a", now + 1000,
	           &(struct hbopt){.signing = true, .lease_epoch = 1}, &cmd));
	CHECK(cmd.verb == VERB_LEASE_GRANT && cmd.epoch == 1);
	CHECK_EQ_INT(w.evs.n, 0);
	/* the standby gets nothing */
	CHECK(!beat(&w, "b", now + 1000, NULL, &cmd));
	/* not a member: nothing */
	CHECK(!groups_holder(w.gs, "nope", holder, sizeof(holder), &epoch));
	world_free(&w);
}

static void
test_failover_on_lapse(void)
{
	struct world w;
	struct groups_persist p[4];
	struct groups_view *v = malloc(sizeof(*v));
	struct proto_cmd cmd;
	uint64_t now, t;
	size_t n = 0;
	bool started = false;

	world_init(&w, FO_MODE_LEASE);
	now = settle(&w);
	CHECK(beat(&w, "a", now,
	           &(struct hbopt){.signing = true, .lease_epoch = 1}, &cmd));
	/* a goes silent; b keeps reporting */
	for (t = now + 500; t < now + 30000 && n == 0; t += 500) {
		CHECK(!beat(&w, "b", t, NULL, &cmd));
		n = tick(&w, t, p);
		started = started || has_step(&w, "started");
	}
	/* a new epoch never before the old one's commander-side expiry */
	t -= 500;
	CHECKF(t >= now + failover_lease_span(&P), "new epoch at +%llu",
	       (unsigned long long)(t - now));
	CHECK(started);
	CHECK(has_step(&w, "lost"));
	CHECK_EQ_INT(n, 1);
	CHECK(p[0].rec.epoch == 2);
	CHECK_EQ_STR(p[0].rec.holder, "b");
	/* the watermark a signed travels with the new epoch */
	CHECK(p[0].rec.watermark.height == w.height - 1);
	persist_all(&w, p, n, true);
	CHECK(beat(&w, "b", t, NULL, &cmd));
	CHECK(cmd.verb == VERB_LEASE_GRANT && cmd.epoch == 2);
	CHECK(cmd.watermark.height == w.height - 1);
	CHECK_EQ_STR(last_step(&w), "granted");
	/* a comes back still believing it holds epoch 1: told to stop */
	event_list_clear(&w.evs);
	CHECK(beat(&w, "a", t + 10,
	           &(struct hbopt){.signing = true, .lease_epoch = 1}, &cmd));
	CHECK(cmd.verb == VERB_LEASE_REVOKE && cmd.epoch == 1);
	CHECK_EQ_STR(last_step(&w), "revoked");
	/* once only per epoch */
	event_list_clear(&w.evs);
	CHECK(beat(&w, "a", t + 20,
	           &(struct hbopt){.signing = true, .lease_epoch = 1}, &cmd));
	CHECK_EQ_INT(w.evs.n, 0);
	CHECK(groups_get(w.gs, "g", t + 20, v) == 0);
	CHECK_EQ_STR(v->holder, "b");
	CHECK(v->epoch == 2 && v->phase == FO_HELD && v->nmembers == 2);
	free(v);
	world_free(&w);
}

static void
test_switchover_with_ack(void)
{
	struct world w;
	struct groups_persist p[4];
	struct proto_cmd cmd;
	char err[256];
	uint64_t now;
	size_t n;

	world_init(&w, FO_MODE_LEASE);
	now = settle(&w);
	CHECK(!beat(&w, "b", now, NULL, &cmd));
	CHECK(groups_switchover(w.gs, w.fl, "nope", NULL, now, now, &w.evs, err,
	                        sizeof(err)) == -ENOENT);
	CHECK(groups_switchover(w.gs, w.fl, "g", "a", now, now, &w.evs, err,
	                        sizeof(err)) == -EBUSY);
	CHECK(strstr(err, "already holds") != NULL);
	CHECK(groups_switchover(w.gs, w.fl, "g", "zz", now, now, &w.evs, err,
	                        sizeof(err)) == -EBUSY);
	CHECK(strstr(err, "not in the group") != NULL);
	CHECK(groups_switchover(w.gs, w.fl, "g", "b", now, now, &w.evs, err,
	                        sizeof(err)) == 0);
	CHECK_EQ_STR(last_step(&w), "started");
	/* a second one while the first runs is refused */
	CHECK(groups_switchover(w.gs, w.fl, "g", "b", now, now, &w.evs, err,
	                        sizeof(err)) == -EBUSY);
	/* the holder is told to stop, and acknowledges */
	CHECK(beat(&w, "a", now + 100,
	           &(struct hbopt){.signing = true, .lease_epoch = 1}, &cmd));
	CHECK(cmd.verb == VERB_LEASE_REVOKE && cmd.epoch == 1);
	CHECK(!beat(&w, "a", now + 200, &(struct hbopt){.demoted = 1}, &cmd));
	CHECK_EQ_STR(last_step(&w), "released");
	/* no expiry wait after an acknowledgement */
	n = tick(&w, now + 300, p);
	CHECK_EQ_INT(n, 1);
	CHECK(p[0].rec.epoch == 2);
	CHECK_EQ_STR(p[0].rec.holder, "b");
	persist_all(&w, p, n, true);
	CHECK(beat(&w, "b", now + 400, NULL, &cmd));
	CHECK(cmd.verb == VERB_LEASE_GRANT && cmd.epoch == 2);
	world_free(&w);
}

static void
test_release_ack_only(void)
{
	struct world w, l;
	struct proto_cmd cmd;
	char err[256];
	uint64_t now;

	world_init(&l, FO_MODE_LEASE);
	settle(&l);
	CHECK(groups_release(l.gs, "g", 0, &l.evs, err, sizeof(err)) == -EPERM);
	CHECK(groups_release(l.gs, "x", 0, &l.evs, err, sizeof(err)) ==
	      -ENOENT);
	world_free(&l);

	world_init(&w, FO_MODE_ACK_ONLY);
	now = settle(&w);
	CHECK(beat(&w, "a", now,
	           &(struct hbopt){.signing = true, .lease_epoch = 1}, &cmd));
	CHECK(groups_release(w.gs, "g", now, &w.evs, err, sizeof(err)) == 0);
	CHECK_EQ_STR(last_step(&w), "force_release");
	CHECK(groups_release(w.gs, "g", now, &w.evs, err, sizeof(err)) ==
	      -EALREADY);
	world_free(&w);
}

static void
test_persist_failure(void)
{
	struct world w;
	struct groups_persist p[4];
	struct proto_cmd cmd;
	uint64_t now = T0 + failover_lease_span(&P);
	size_t n;

	world_init(&w, FO_MODE_LEASE);
	CHECK(groups_start(w.gs, "g", NULL, T0) == 0);
	beat(&w, "a", now, NULL, &cmd);
	beat(&w, "b", now, NULL, &cmd);
	n = tick(&w, now, p);
	CHECK_EQ_INT(n, 1);
	persist_all(&w, p, n, false);
	CHECK_EQ_STR(last_step(&w), "persist_failed");
	CHECK(!beat(&w, "a", now + 10, NULL, &cmd));
	/* the next tick takes a new epoch: the failed one is never used */
	n = tick(&w, now + 500, p);
	CHECK_EQ_INT(n, 1);
	CHECK(p[0].rec.epoch == 2);
	world_free(&w);
}

/* A holder whose node goes down while its pilot still reports: the
 * failover counts from its first report of a down node (not from the
 * fleet's debounce), its renewals stop at that deadline + ttl/10, and the
 * candidate and the holder are asked for fast heartbeats meanwhile. */
static void
test_node_down_failover(void)
{
	struct world w;
	struct groups_persist p[4];
	struct proto_cmd cmd;
	const struct hbopt sig = {.signing = true, .lease_epoch = 1};
	const struct hbopt down = {
	    .signing = true, .lease_epoch = 1, .down = true};
	uint64_t now, t, t_down, started = 0;
	size_t n = 0;

	world_init(&w, FO_MODE_LEASE);
	now = settle(&w);
	CHECK(beat(&w, "a", now, &sig, &cmd));
	CHECK(!beat(&w, "b", now, NULL, &cmd));
	CHECK(tick(&w, now, p) == 0);
	CHECK_EQ_INT(groups_interval_hint(w.gs, "a"), 0);
	CHECK_EQ_INT(groups_interval_hint(w.gs, "b"), 0);
	/* its node fails 5 s after a full renewal (slow probes delay the
	 * pilot's reports) */
	t_down = now + 5000;
	beat(&w, "b", now + 2000, NULL, &cmd);
	tick(&w, now + 2000, p);
	beat(&w, "b", now + 4000, NULL, &cmd);
	tick(&w, now + 4000, p);
	for (t = t_down; t < t_down + 30000 && n == 0; t += 500) {
		if ((t - t_down) % 1000 == 0) {
			if (beat(&w, "a", t, &down, &cmd) &&
			    cmd.verb == VERB_LEASE_GRANT) {
				/* never past the deadline + ttl/10 */
				CHECKF(t + cmd.ttl_ms <=
				           t_down + P.failover_after_ms +
				               P.ttl_ms /
				                   FAILOVER_TROUBLE_SLACK_DIV,
				       "renewed at +%llu for %u ms",
				       (unsigned long long)(t - t_down),
				       cmd.ttl_ms);
			}
			beat(&w, "b", t, NULL, &cmd);
		}
		n = tick(&w, t, p);
		if (!started && has_step(&w, "started")) {
			started = t;
			CHECK_EQ_INT(groups_interval_hint(w.gs, "b"),
			             FAILOVER_FAST_INTERVAL_MS);
			CHECK_EQ_INT(groups_interval_hint(w.gs, "a"),
			             FAILOVER_FAST_INTERVAL_MS);
		}
	}
	/* from the first report of a down node, not the fleet's second */
	CHECKF(started == t_down + P.failover_after_ms, "started at +%llu",
	       (unsigned long long)(started - t_down));
	t -= 500;
	/* the last full renewal (now) still bounds it from below; the
	 * renewals after the first bad report add nothing past the
	 * deadline + ttl/10 (+ margin and drift), where it was deadline + a
	 * full span before */
	CHECK(t >= now + failover_lease_span(&P));
	CHECKF(t <= t_down + P.failover_after_ms +
	                P.ttl_ms / FAILOVER_TROUBLE_SLACK_DIV + P.margin_ms +
	                10 + 500,
	       "new epoch at +%llu", (unsigned long long)(t - t_down));
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_STR(p[0].rec.holder, "b");
	CHECK_EQ_INT(groups_interval_hint(w.gs, "b"),
	             FAILOVER_FAST_INTERVAL_MS);
	persist_all(&w, p, n, true);
	CHECK(beat(&w, "b", t, NULL, &cmd));
	CHECK(cmd.verb == VERB_LEASE_GRANT && cmd.epoch == 2);
	CHECK_EQ_INT(groups_interval_hint(w.gs, "b"), 0);
	CHECK_EQ_INT(groups_interval_hint(w.gs, "nope"), 0);
	world_free(&w);
}

/* The double-sign alarm after a failover: the old holder's late report
 * of signing in its old epoch is no alarm; claiming it again a grace
 * later is. */
static void
test_risk_after_failover(void)
{
	struct world w;
	struct groups_persist p[4];
	struct proto_cmd cmd;
	const struct hbopt old = {.signing = true, .lease_epoch = 1};
	const struct hbopt cur = {.signing = true, .lease_epoch = 2};
	uint64_t now, t;
	size_t n = 0;

	world_init(&w, FO_MODE_LEASE);
	now = settle(&w);
	CHECK(beat(&w, "a", now, &old, &cmd));
	for (t = now + 500; t < now + 30000 && n == 0; t += 500) {
		beat(&w, "b", t, NULL, &cmd);
		n = tick(&w, t, p);
	}
	persist_all(&w, p, n, true);
	CHECK(beat(&w, "b", t, NULL, &cmd));
	CHECK(cmd.verb == VERB_LEASE_GRANT && cmd.epoch == 2);
	CHECK(!beat(&w, "b", t + 1000, &cur, &cmd) ||
	      cmd.verb == VERB_LEASE_GRANT);
	/* a thaws: its last report, then (fenced) reports of not signing */
	event_list_clear(&w.evs);
	CHECK(beat(&w, "a", t + 1100, &old, &cmd));
	CHECK(cmd.verb == VERB_LEASE_REVOKE);
	tick(&w, t + 1200, p);
	beat(&w, "a", t + 1400, &(struct hbopt){.demoted = 1}, &cmd);
	beat(&w, "b", t + 2000, &cur, &cmd);
	tick(&w, t + 2000, p);
	beat(&w, "a", t + 2400, &(struct hbopt){.demoted = 1}, &cmd);
	tick(&w, t + 2500, p);
	CHECK(!has_step(&w, "risk"));
	/* a pilot that keeps signing in epoch 1 is a real risk */
	beat(&w, "a", t + 3000, &old, &cmd);
	beat(&w, "b", t + 3000, &cur, &cmd);
	tick(&w, t + 3000, p);
	CHECK(!has_step(&w, "risk"));
	beat(&w, "a", t + 3000 + FAILOVER_RISK_GRACE_MS, &old, &cmd);
	beat(&w, "b", t + 3000 + FAILOVER_RISK_GRACE_MS, &cur, &cmd);
	tick(&w, t + 3000 + FAILOVER_RISK_GRACE_MS, p);
	CHECK(has_step(&w, "risk"));
	world_free(&w);
}

static void
test_restart_holds(void)
{
	struct world w;
	struct groups_record rec = {
	    .epoch = 7, .holder = "a", .watermark = {.height = 90}};
	struct groups_persist p[4];
	struct proto_cmd cmd;
	uint64_t now;
	size_t n = 0;

	world_init(&w, FO_MODE_LEASE);
	CHECK(groups_start(w.gs, "g", &rec, T0) == 0);
	/* a is silent: b only after a full span since the start */
	for (now = T0; now < T0 + 40000 && n == 0; now += 500) {
		beat(&w, "b", now, NULL, &cmd);
		n = tick(&w, now, p);
	}
	CHECK_EQ_INT(n, 1);
	CHECKF(now - 500 >= T0 + failover_lease_span(&P), "at +%llu",
	       (unsigned long long)(now - 500 - T0));
	CHECK(p[0].rec.epoch == 8);
	CHECK_EQ_STR(p[0].rec.holder, "b");
	CHECK(p[0].rec.watermark.height == 90);
	world_free(&w);
}

static void
test_time_out_of_order(void)
{
	struct world w;
	struct groups_persist p[4];
	struct proto_cmd cmd;
	uint64_t now;

	world_init(&w, FO_MODE_LEASE);
	now = settle(&w);
	/* a heartbeat read the clock after the tick did, but got the lock
	 * first: the tick must not see the holder in trouble for ages */
	CHECK(beat(
	    &w, "a", now + 5000,
	    &(struct hbopt){.signing = true, .lease_epoch = 1, .down = true},
	    &cmd));
	event_list_clear(&w.evs);
	CHECK(tick(&w, now + 4000, p) == 0);
	CHECK(!has_step(&w, "started"));
	world_free(&w);
}

static void
test_setup_errors(void)
{
	struct groups *gs = groups_new();
	struct failover_params bad = P;

	CHECK(groups_add(gs, "g", FO_MODE_LEASE, true, &P) == 0);
	CHECK(groups_add(gs, "g", FO_MODE_LEASE, true, &P) == -EEXIST);
	CHECK(groups_add(gs, "", FO_MODE_LEASE, true, &P) == -EINVAL);
	bad.ttl_ms = 0;
	CHECK(groups_add(gs, "h", FO_MODE_LEASE, true, &bad) == -EINVAL);
	CHECK(groups_add_member(gs, "x", "a", 1) == -ENOENT);
	CHECK(groups_add_member(gs, "g", "a", 1) == 0);
	CHECK(groups_add_member(gs, "g", "a", 1) == -EEXIST);
	for (int i = 1; i < GROUPS_MAX_MEMBERS; i++) {
		char n[16];

		snprintf(n, sizeof(n), "m%d", i);
		CHECK(groups_add_member(gs, "g", n, 1) == 0);
	}
	CHECK(groups_add_member(gs, "g", "full", 1) == -ENOSPC);
	CHECK(groups_start(gs, "x", NULL, 0) == -ENOENT);
	groups_free(gs);
	groups_free(NULL);
}

int
main(void)
{
	RUN(test_record_codec);
	RUN(test_first_grant);
	RUN(test_failover_on_lapse);
	RUN(test_switchover_with_ack);
	RUN(test_release_ack_only);
	RUN(test_persist_failure);
	RUN(test_node_down_failover);
	RUN(test_risk_after_failover);
	RUN(test_restart_holds);
	RUN(test_time_out_of_order);
	RUN(test_setup_errors);
	return TEST_END();
}
