/*
 * fleet_test.c: the commander's node state machine and block analytics,
 * driven by tables and explicit clocks (no daemon, no sleeps).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commander/fleet.h"
#include "common/util.h"
#include "tests/test.h"

#define WALL0 1700000000000ULL /* wall clock = WALL0 + monotonic */

static struct fleet_conf
conf_for_tests(void)
{
	struct fleet_conf c;

	fleet_conf_defaults(&c);
	c.interval_ms = 1000;
	c.unreachable_after = 3;
	c.lag_blocks = 5;
	c.stall_ms = 10000;
	c.stale_tip_ms = 20000;
	c.spread_settle_ms = 1000;
	return c;
}

static struct fleet *
mkfleet(const struct fleet_conf *c)
{
	char err[128];
	struct fleet *f = fleet_new(c, err, sizeof(err));

	if (f == NULL) {
		printf("  fleet_new: %s\n", err);
		exit(1);
	}
	return f;
}

static void
add(struct fleet *f, const char *name, const char *group, const char *net,
    const char *role)
{
	struct fleet_node_conf nc = {.priority = 1};
	char err[128];

	util_strlcpy(nc.name, name, sizeof(nc.name));
	util_strlcpy(nc.group, group, sizeof(nc.group));
	util_strlcpy(nc.network, net, sizeof(nc.network));
	util_strlcpy(nc.role, role, sizeof(nc.role));
	if (fleet_add_node(f, &nc, err, sizeof(err)) != 0) {
		printf("  fleet_add_node: %s\n", err);
		exit(1);
	}
}

static int
hello(struct fleet *f, const char *name, const char *group, const char *net,
      enum proto_role role, uint64_t t, struct event_list *evs)
{
	struct proto_hello h = {.chain = CHAIN_COMETBFT, .role = role};
	char err[200];

	util_strlcpy(h.node, name, sizeof(h.node));
	util_strlcpy(h.group, group, sizeof(h.group));
	util_strlcpy(h.network, net, sizeof(h.network));
	util_strlcpy(h.version, "0.1.0", sizeof(h.version));
	return fleet_hello(f, &h, t, WALL0 + t, evs, err, sizeof(err));
}

struct obs {
	uint64_t t;
	bool up, reach, sync;
	uint64_t height, ref;
	enum fleet_state want;
};

/* shorthand rows */
#define OK(t, h, ref, want)                                                    \
	{                                                                      \
		t, true, true, false, h, ref, want                             \
	}
#define SYNC(t, h, ref, want)                                                  \
	{                                                                      \
		t, true, true, true, h, ref, want                              \
	}
#define DOWN(t, want)                                                          \
	{                                                                      \
		t, false, false, false, 0, 0, want                             \
	}
#define DEAF(t, h, want)                                                       \
	{                                                                      \
		t, true, false, false, h, 0, want                              \
	}

static int
beat(struct fleet *f, const char *name, const struct obs *o,
     struct fleet_hb_result *res, struct event_list *evs)
{
	struct proto_heartbeat hb = {0};

	hb.st.up = o->up;
	hb.st.reachable = o->reach;
	hb.st.syncing = o->sync;
	hb.st.height = o->height;
	hb.st.ref_height = o->ref;
	hb.st.height_seen_ms = o->height ? WALL0 + o->t : 0;
	return fleet_heartbeat(f, name, &hb, o->t, WALL0 + o->t, res, evs);
}

static size_t
count_type(const struct event_list *evs, enum event_type t)
{
	size_t n = 0;

	for (size_t i = 0; i < evs->n; i++)
		n += evs->v[i].type == t;
	return n;
}

struct sm_case {
	const char *name;
	uint32_t up_after, down_after;
	size_t changes;       /* state_change events expected in all */
	struct obs steps[12]; /* until want == FLEET_UNKNOWN */
};

#define U FLEET_UP
#define L FLEET_LAGGING
#define S FLEET_SYNCING
#define T FLEET_STALLED
#define D FLEET_DOWN

/* lag_blocks 5, stall 10 s; one node, so its fleet reference is itself:
 * OK(time, height, pilot reference, expected state) */
/* clang-format off */
static const struct sm_case sm_cases[] = {
{"healthy first beat is up at once", 2, 2, 1, {
	OK(0, 100, 100, U)}},
{"first beat lagging is lagging at once", 2, 2, 1, {
	OK(0, 100, 120, L)}},
{"lag at the threshold is up, one more is lagging", 1, 1, 2, {
	OK(0, 100, 105, U), OK(1000, 100, 106, L)}},
{"one lagging beat does not leave up", 2, 2, 1, {
	OK(0, 100, 100, U), OK(1000, 101, 120, U), OK(2000, 102, 102, U)}},
{"two lagging beats do", 2, 2, 2, {
	OK(0, 100, 100, U), OK(1000, 101, 120, U), OK(2000, 102, 120, L)}},
{"back to up needs up_after beats", 3, 2, 2, {
	OK(0, 100, 120, L), OK(1000, 119, 120, L), OK(2000, 120, 120, L),
	OK(3000, 121, 121, U)}},
{"flapping never leaves up", 2, 2, 1, {
	OK(0, 100, 100, U), OK(1000, 101, 120, U), OK(2000, 102, 102, U),
	OK(3000, 103, 130, U), OK(4000, 104, 104, U), OK(5000, 105, 140, U)}},
{"mixed bad beats take the latest", 2, 2, 2, {
	OK(0, 100, 100, U), DOWN(1000, U), SYNC(2000, 50, 200, S)}},
{"process gone is down", 2, 2, 2, {
	OK(0, 100, 100, U), DOWN(1000, U), DOWN(2000, D)}},
{"RPC silent is down", 2, 2, 3, {
	OK(0, 100, 100, U), DEAF(1000, 100, U), DEAF(2000, 100, D),
	OK(3000, 101, 101, D), OK(4000, 102, 102, U)}},
{"down_after 1 reacts at once", 1, 1, 3, {
	OK(0, 100, 100, U), DOWN(1000, D), OK(2000, 101, 101, U)}},
{"syncing", 2, 2, 2, {
	SYNC(0, 10, 1000, S), SYNC(1000, 500, 1000, S), OK(2000, 1000, 1000, S),
	OK(3000, 1001, 1001, U)}},
{"no progress while the chain moves is stalled", 2, 2, 3, {
	OK(0, 100, 100, U), OK(5000, 100, 102, U), OK(10000, 100, 104, U),
	OK(11000, 100, 105, T), OK(12000, 101, 105, T), OK(13000, 102, 105, U)}},
{"stall_ms is the boundary", 1, 1, 2, {
	OK(0, 100, 100, U), OK(9999, 100, 101, U), OK(10000, 100, 101, T)}},
{"a halted chain is not a stall", 2, 2, 1, {
	OK(0, 100, 100, U), OK(10000, 100, 100, U), OK(20000, 100, 100, U),
	OK(30000, 100, 100, U)}},
/* alone, with no reference, it is its own fleet reference: a node that
 * stops cannot be told from a chain that stops (that is a stale tip) */
{"alone with no reference is not stalled", 1, 1, 1, {
	OK(0, 100, 0, U), OK(9999, 100, 0, U), OK(10000, 100, 0, U)}},
{"height unknown but running is up", 2, 2, 1, {
	OK(0, 0, 100, U)}},
};
/* clang-format on */

static void
test_state_machine(void)
{
	for (size_t c = 0; c < UTIL_NELEM(sm_cases); c++) {
		const struct sm_case *k = &sm_cases[c];
		struct fleet_conf conf = conf_for_tests();
		struct fleet *f;
		struct event_list evs = {0};
		struct fleet_hb_result res;

		conf.up_after = k->up_after;
		conf.down_after = k->down_after;
		f = mkfleet(&conf);
		add(f, "n1", "", "net", "rpc");
		CHECK_EQ_INT(hello(f, "n1", "", "net", ROLE_RPC, 0, &evs), 0);
		for (size_t i = 0; i < UTIL_NELEM(k->steps) &&
		                   k->steps[i].want != FLEET_UNKNOWN;
		     i++) {
			int r = beat(f, "n1", &k->steps[i], &res, &evs);

			CHECKF(r == 0 && res.state == k->steps[i].want,
			       "%s: step %zu: r=%d state %s, want %s", k->name,
			       i, r, fleet_state_str(res.state),
			       fleet_state_str(k->steps[i].want));
			CHECK_EQ_INT(res.healthy, res.state == FLEET_UP);
			CHECK_EQ_INT(res.interval_ms, 1000);
		}
		CHECKF(count_type(&evs, EV_STATE_CHANGE) == k->changes,
		       "%s: %zu state changes, want %zu", k->name,
		       count_type(&evs, EV_STATE_CHANGE), k->changes);
		event_list_free(&evs);
		fleet_free(f);
	}
}

static void
test_state_event_fields(void)
{
	struct fleet_conf c = conf_for_tests();
	struct fleet *f;
	struct event_list evs = {0};
	struct fleet_hb_result res;
	struct obs o1 = OK(0, 100, 100, U), o2 = OK(1000, 90, 100, U);

	c.down_after = 1;
	f = mkfleet(&c);
	add(f, "val1", "g1", "net", "validator");
	hello(f, "val1", "g1", "net", ROLE_VALIDATOR, 0, &evs);
	beat(f, "val1", &o1, &res, &evs);
	event_list_clear(&evs);
	beat(f, "val1", &o2, &res, &evs);
	CHECK_EQ_INT(evs.n, 1);
	if (evs.n == 1) {
		const struct event *e = &evs.v[0];

		CHECK_EQ_INT(e->type, EV_STATE_CHANGE);
		CHECK_EQ_INT(e->severity, SEV_WARNING);
		CHECK_EQ_STR(e->node, "val1");
		CHECK_EQ_STR(e->group, "g1");
		CHECK_EQ_STR(e->network, "net");
		CHECK_EQ_INT(e->time_ms, WALL0 + 1000);
		CHECK(strstr(e->message, "up -> lagging") != NULL);
		CHECK(strstr(e->details, "\"to\":\"lagging\"") != NULL);
		CHECK(strstr(e->details, "\"lag\":10") != NULL);
	}
	event_list_free(&evs);
	fleet_free(f);
}

static void
test_unreachable(void)
{
	struct fleet_conf c = conf_for_tests(); /* 1 s, K = 3 */
	struct fleet *f = mkfleet(&c);
	struct event_list evs = {0};
	struct fleet_hb_result res;
	struct obs o = OK(0, 100, 100, U);
	struct fleet_node_view v;

	add(f, "a", "", "net", "");
	add(f, "never", "", "net", "");
	/* heartbeat before hello, unknown node */
	CHECK_EQ_INT(beat(f, "a", &o, &res, &evs), -ENOTCONN);
	CHECK_EQ_INT(beat(f, "zz", &o, &res, &evs), -ENOENT);
	CHECK_EQ_INT(hello(f, "a", "", "net", ROLE_RPC, 0, &evs), 0);
	CHECK_EQ_INT(beat(f, "a", &o, &res, &evs), 0);
	event_list_clear(&evs);

	/* a tick whose clock was read before the heartbeat's (another
	 * thread) must not see a wrapped, huge silence */
	o.t = 2000;
	CHECK_EQ_INT(beat(f, "a", &o, &res, &evs), 0);
	CHECK_EQ_INT(fleet_tick(f, 1999, WALL0 + 1999, &evs), 0);
	CHECK_EQ_INT(count_type(&evs, EV_UNREACHABLE), 0);
	o.t = 0;
	CHECK_EQ_INT(beat(f, "a", &o, &res, &evs), 0); /* late, older */
	event_list_clear(&evs);
	/* K intervals after the newest contact: still reachable */
	CHECK_EQ_INT(fleet_tick(f, 5000, WALL0 + 5000, &evs), 0);
	CHECK_EQ_INT(count_type(&evs, EV_UNREACHABLE), 1); /* "never" */
	event_list_clear(&evs);
	fleet_node_get(f, "a", &v);
	CHECK_EQ_INT(v.state, FLEET_UP);
	/* one ms later: unreachable */
	CHECK_EQ_INT(fleet_tick(f, 5001, WALL0 + 5001, &evs), 0);
	CHECK_EQ_INT(count_type(&evs, EV_UNREACHABLE), 1);
	fleet_node_get(f, "a", &v);
	CHECK_EQ_INT(v.state, FLEET_UNREACHABLE);
	CHECK(!v.connected);
	fleet_node_get(f, "never", &v);
	CHECK_EQ_INT(v.state, FLEET_UNREACHABLE);
	/* no repeat */
	event_list_clear(&evs);
	fleet_tick(f, 10000, WALL0 + 10000, &evs);
	CHECK_EQ_INT(evs.n, 0);
	/* unreachable pilots leave the reference */
	CHECK_EQ_INT(fleet_ref_height(f, "net"), 0);

	/* the next heartbeat leaves unreachable at once, hysteresis or not */
	o.t = 11000;
	o.height = 200;
	o.ref = 200;
	CHECK_EQ_INT(beat(f, "a", &o, &res, &evs), 0);
	CHECK_EQ_INT(res.state, FLEET_UP);
	CHECK_EQ_INT(count_type(&evs, EV_STATE_CHANGE), 1);
	CHECK_EQ_INT(fleet_ref_height(f, "net"), 200);

	/* a hello alone counts as contact */
	event_list_clear(&evs);
	CHECK_EQ_INT(hello(f, "never", "", "net", ROLE_RPC, 11000, &evs), 0);
	fleet_tick(f, 13000, WALL0 + 13000, &evs);
	CHECK_EQ_INT(count_type(&evs, EV_UNREACHABLE), 0);
	event_list_free(&evs);
	fleet_free(f);
}

static void
test_hello_inventory(void)
{
	struct fleet_conf c = conf_for_tests();
	struct fleet *f = mkfleet(&c);
	struct event_list evs = {0};
	struct fleet_node_view v;
	struct fleet_node_conf nc = {0};
	char err[200];
	struct proto_hello h = {0};

	add(f, "val1", "g1", "cosmoshub-4", "validator");
	add(f, "loose", "", "", "");
	/* config errors name the node and quote the value */
	util_strlcpy(nc.name, "x", sizeof(nc.name));
	util_strlcpy(nc.role, "sentri", sizeof(nc.role));
	CHECK_EQ_INT(fleet_add_node(f, &nc, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "'sentri'") != NULL);
	util_strlcpy(nc.name, "val1", sizeof(nc.name));
	nc.role[0] = '\0';
	CHECK_EQ_INT(fleet_add_node(f, &nc, err, sizeof(err)), -EEXIST);

	/* contradictions are refused, with a warning event */
	CHECK_EQ_INT(
	    hello(f, "val1", "g2", "cosmoshub-4", ROLE_VALIDATOR, 0, &evs),
	    -EPERM);
	CHECK_EQ_INT(
	    hello(f, "val1", "g1", "osmosis-1", ROLE_VALIDATOR, 0, &evs),
	    -EPERM);
	CHECK_EQ_INT(
	    hello(f, "val1", "g1", "cosmoshub-4", ROLE_SENTRY, 0, &evs),
	    -EPERM);
	CHECK_EQ_INT(evs.n, 3);
	CHECK_EQ_INT(evs.v[0].severity, SEV_WARNING);
	CHECK_EQ_STR(evs.v[0].node, "val1");
	CHECK(strstr(evs.v[0].message, "'g2'") != NULL);
	CHECK_EQ_INT(
	    hello(f, "val1", "g1", "cosmoshub-4", ROLE_VALIDATOR, 0, &evs), 0);
	CHECK_EQ_INT(evs.v[3].type, EV_REGISTERED);
	CHECK_EQ_INT(evs.v[3].severity, SEV_INFO);

	/* empty inventory fields are learned from the hello */
	CHECK_EQ_INT(hello(f, "loose", "g9", "net9", ROLE_SENTRY, 0, &evs), 0);
	fleet_node_get(f, "loose", &v);
	CHECK_EQ_STR(v.group, "g9");
	CHECK_EQ_STR(v.network, "net9");
	CHECK_EQ_INT(v.role, ROLE_SENTRY);
	CHECK(v.listed);
	/* ... and may change with the next hello */
	CHECK_EQ_INT(hello(f, "loose", "g9", "net10", ROLE_SENTRY, 0, &evs), 0);
	fleet_node_get(f, "loose", &v);
	CHECK_EQ_STR(v.network, "net10");

	/* unlisted: accepted by default */
	CHECK_EQ_INT(hello(f, "new", "", "net9", ROLE_RPC, 0, &evs), 0);
	CHECK_EQ_INT(fleet_node_get(f, "new", &v), 0);
	CHECK(!v.listed);
	fleet_free(f);

	/* ... refused when the config says so */
	c.accept_unlisted = false;
	f = mkfleet(&c);
	CHECK_EQ_INT(hello(f, "new", "", "net9", ROLE_RPC, 0, &evs), -ENOENT);
	CHECK_EQ_INT(fleet_node_get(f, "new", &v), -ENOENT);

	/* malformed hellos */
	h.role = (enum proto_role)7;
	util_strlcpy(h.node, "m", sizeof(h.node));
	CHECK_EQ_INT(fleet_hello(f, &h, 0, 0, &evs, err, sizeof(err)), -EINVAL);
	h.role = ROLE_RPC;
	memset(h.node, 'x', sizeof(h.node)); /* no NUL */
	CHECK_EQ_INT(fleet_hello(f, &h, 0, 0, &evs, err, sizeof(err)), -EINVAL);
	h.node[0] = '\0';
	CHECK_EQ_INT(fleet_hello(f, &h, 0, 0, &evs, err, sizeof(err)), -EINVAL);
	event_list_free(&evs);
	fleet_free(f);

	/* bad confs */
	c = conf_for_tests();
	c.unreachable_after = 0;
	CHECK(fleet_new(&c, err, sizeof(err)) == NULL);
	c = conf_for_tests();
	c.ring_heights = 0;
	CHECK(fleet_new(&c, err, sizeof(err)) == NULL);
}

static void
test_ref_height(void)
{
	struct fleet_conf c = conf_for_tests();
	struct fleet *f = mkfleet(&c);
	struct event_list evs = {0};
	struct fleet_hb_result res;
	static const struct {
		const char *node, *net;
		struct obs o;
	} beats[] = {
	    {"a1", "A", OK(0, 100, 0, U)},
	    {"a2", "A", OK(0, 110, 0, U)},
	    {"a3", "A", OK(0, 105, 0, U)},
	    {"a4", "A", SYNC(0, 50, 0, U)}, /* syncing: not counted */
	    {"a5", "A", DOWN(0, U)},        /* down: not counted */
	    {"a6", "A", DEAF(0, 999, U)},   /* RPC silent: not counted */
	    {"b1", "B", OK(0, 7000, 0, U)}, /* other network */
	    {"b2", "B", OK(0, 7002, 0, U)},
	};

	for (size_t i = 0; i < UTIL_NELEM(beats); i++) {
		add(f, beats[i].node, "", beats[i].net, "");
		hello(f, beats[i].node, "", beats[i].net, ROLE_RPC, 0, &evs);
	}
	for (size_t i = 0; i < UTIL_NELEM(beats); i++)
		CHECK_EQ_INT(beat(f, beats[i].node, &beats[i].o, &res, &evs),
		             0);
	CHECK_EQ_INT(fleet_ref_height(f, "A"), 105);
	CHECK_EQ_INT(fleet_ref_height(f, "B"), 7002); /* upper median */
	CHECK_EQ_INT(fleet_ref_height(f, "C"), 0);

	/* the reply carries it, and lag uses max(pilot ref, fleet ref) */
	struct obs lagger = OK(1000, 90, 0, U);
	add(f, "a7", "", "A", "");
	hello(f, "a7", "", "A", ROLE_RPC, 1000, &evs);
	CHECK_EQ_INT(beat(f, "a7", &lagger, &res, &evs), 0);
	CHECK_EQ_INT(res.fleet_ref_height, 105); /* now 90,100,105,110 */
	CHECK_EQ_INT(res.state, FLEET_LAGGING);  /* 105 - 90 > 5 */
	struct fleet_node_view v;
	fleet_node_get(f, "a7", &v);
	CHECK_EQ_INT(v.ref_height, 105);
	CHECK_EQ_INT(v.lag, 15);
	/* a pilot reference ahead of the fleet wins */
	lagger.t = 2000;
	lagger.ref = 200;
	lagger.height = 100;
	beat(f, "a7", &lagger, &res, &evs);
	fleet_node_get(f, "a7", &v);
	CHECK_EQ_INT(v.ref_height, 200);
	CHECK_EQ_INT(v.lag, 100);
	/* a stale public reference below the fleet does not hide lag */
	lagger.t = 3000;
	lagger.ref = 50;
	lagger.height = 95;
	beat(f, "a7", &lagger, &res, &evs);
	fleet_node_get(f, "a7", &v);
	CHECK_EQ_INT(v.ref_height, fleet_ref_height(f, "A"));
	CHECK(v.lag > 0);

	struct fleet_network_view *nets;
	size_t n;
	CHECK_EQ_INT(fleet_networks(f, &nets, &n), 0);
	CHECK_EQ_INT(n, 2);
	if (n == 2) {
		CHECK_EQ_STR(nets[0].name, "A");
		CHECK_EQ_INT(nets[0].nodes, 7);
		CHECK_EQ_INT(nets[0].nodes_healthy, 4);
		CHECK_EQ_INT(nets[1].tip_height, 7002);
	}
	free(nets);
	event_list_free(&evs);
	fleet_free(f);

	/* two nodes, no public references: the one behind still sees lag */
	f = mkfleet(&c);
	add(f, "x", "", "X", "");
	add(f, "y", "", "X", "");
	hello(f, "x", "", "X", ROLE_RPC, 0, &evs);
	hello(f, "y", "", "X", ROLE_RPC, 0, &evs);
	struct obs ox = OK(0, 100, 0, U), oy = OK(0, 90, 0, U);
	beat(f, "x", &ox, &res, &evs);
	beat(f, "y", &oy, &res, &evs);
	CHECK_EQ_INT(res.fleet_ref_height, 100);
	CHECK_EQ_INT(res.state, FLEET_LAGGING);
	event_list_free(&evs);
	fleet_free(f);
}

/* One heartbeat carrying a tip hash and the pilot's first-seen time. */
static void
seen(struct fleet *f, const char *node, uint64_t now, uint64_t height,
     const char *hash, uint64_t seen_wall, struct event_list *evs)
{
	struct proto_heartbeat hb = {0};
	struct fleet_hb_result res;

	hb.st.up = hb.st.reachable = true;
	hb.st.height = height;
	hb.st.height_seen_ms = seen_wall;
	util_strlcpy(hb.st.tip_hash, hash, sizeof(hb.st.tip_hash));
	if (fleet_heartbeat(f, node, &hb, now, WALL0 + now, &res, evs) != 0)
		printf("  heartbeat %s failed\n", node);
}

static struct fleet *
three_nodes(struct fleet_conf *c, struct event_list *evs)
{
	struct fleet *f = mkfleet(c);
	const char *names[] = {"a", "b", "c", "d"};

	for (size_t i = 0; i < UTIL_NELEM(names); i++) {
		add(f, names[i], "", "net", "");
		hello(f, names[i], "", "net", ROLE_RPC, 0, evs);
	}
	return f;
}

static void
test_reorg(void)
{
	struct fleet_conf c = conf_for_tests();
	struct event_list evs = {0};
	struct fleet *f = three_nodes(&c, &evs);
	struct fleet_network_view *nets;
	struct fleet_block_view blk[4];
	size_t n;

	event_list_clear(&evs);
	seen(f, "a", 0, 10, "0xaa", WALL0, &evs);
	seen(f, "b", 0, 10, "0xAA", WALL0, &evs);   /* same hash, other case */
	seen(f, "a", 100, 10, "0xaa", WALL0, &evs); /* repeated report */
	CHECK_EQ_INT(count_type(&evs, EV_REORG), 0);
	seen(f, "c", 200, 10, "0xbb", WALL0 + 200, &evs);
	CHECK_EQ_INT(count_type(&evs, EV_REORG), 1);
	for (size_t i = 0; i < evs.n; i++) {
		const struct event *e = &evs.v[i];

		if (e->type != EV_REORG)
			continue;
		CHECK_EQ_INT(e->severity, SEV_WARNING);
		CHECK_EQ_STR(e->network, "net");
		CHECK_EQ_STR(e->node, "c");
		CHECK(strstr(e->details, "\"height\":10") != NULL);
		CHECK(strstr(e->details, "\"hash\":\"0xbb\"") != NULL);
	}
	/* the same competing hash again is not a new reorg */
	seen(f, "d", 300, 10, "0xbb", WALL0 + 300, &evs);
	CHECK_EQ_INT(count_type(&evs, EV_REORG), 1);
	/* a node switching its own hash at the same height is */
	seen(f, "a", 400, 10, "0xcc", WALL0, &evs);
	CHECK_EQ_INT(count_type(&evs, EV_REORG), 2);
	/* a new height is not a reorg */
	seen(f, "a", 500, 11, "0xdd", WALL0 + 500, &evs);
	CHECK_EQ_INT(count_type(&evs, EV_REORG), 2);

	CHECK_EQ_INT(fleet_networks(f, &nets, &n), 0);
	CHECK_EQ_INT(n, 1);
	if (n == 1)
		CHECK_EQ_INT(nets[0].reorgs, 2);
	free(nets);
	CHECK_EQ_INT(fleet_blocks(f, "net", blk, 4), 2);
	CHECK_EQ_INT(blk[0].height, 11);
	CHECK_EQ_INT(blk[1].height, 10);
	CHECK_EQ_INT(blk[1].hashes, 3);
	CHECK_EQ_STR(blk[1].hash, "0xaa");
	CHECK_EQ_INT(blk[1].nodes_seen, 4);
	CHECK_EQ_INT(fleet_blocks(f, "nope", blk, 4), -ENOENT);
	event_list_free(&evs);
	fleet_free(f);
}

static void
test_stale_tip(void)
{
	struct fleet_conf c = conf_for_tests(); /* stale after 20 s */
	struct event_list evs = {0};
	struct fleet *f = three_nodes(&c, &evs);

	/* no height yet: never stale */
	fleet_tick(f, 100000, WALL0 + 100000, &evs);
	event_list_clear(&evs);
	seen(f, "a", 100000, 5, "", WALL0 + 100000, &evs);
	seen(f, "b", 105000, 5, "", WALL0 + 105000, &evs); /* no advance */
	seen(f, "c", 110000, 4, "", WALL0 + 110000, &evs); /* behind */
	fleet_tick(f, 119999, WALL0 + 119999, &evs);
	CHECK_EQ_INT(count_type(&evs, EV_STALE_TIP), 0);
	fleet_tick(f, 120000, WALL0 + 120000, &evs);
	CHECK_EQ_INT(count_type(&evs, EV_STALE_TIP), 1);
	fleet_tick(f, 130000, WALL0 + 130000, &evs);
	CHECK_EQ_INT(count_type(&evs, EV_STALE_TIP), 1);
	if (evs.n > 0) {
		const struct event *e = &evs.v[evs.n - 1];

		CHECK_EQ_INT(e->severity, SEV_WARNING);
		CHECK(strstr(e->details, "\"state\":\"stale\"") != NULL);
	}
	struct fleet_network_view *nets;
	size_t n;
	fleet_networks(f, &nets, &n);
	CHECK(n == 1 && nets[0].stale);
	free(nets);
	/* a new height resumes it, once */
	seen(f, "a", 131000, 6, "", WALL0 + 131000, &evs);
	seen(f, "b", 131000, 6, "", WALL0 + 131000, &evs);
	CHECK_EQ_INT(count_type(&evs, EV_STALE_TIP), 2);
	CHECK_EQ_INT(evs.v[evs.n - 1].severity, SEV_INFO);
	fleet_networks(f, &nets, &n);
	CHECK(n == 1 && !nets[0].stale);
	CHECK(n == 1 && nets[0].tip_seen_ms == WALL0 + 131000);
	free(nets);
	event_list_free(&evs);
	fleet_free(f);
}

static void
hist_get(struct fleet *f, struct fleet_spread_hist *h)
{
	struct fleet_network_view *nets;
	size_t n;

	memset(h, 0, sizeof(*h));
	if (fleet_networks(f, &nets, &n) == 0 && n == 1)
		*h = nets[0].spread;
	free(nets);
}

static void
test_spread(void)
{
	struct fleet_conf c = conf_for_tests(); /* settle 1 s */
	struct event_list evs = {0};
	struct fleet *f = three_nodes(&c, &evs);
	struct fleet_spread_hist h;

	/* reports arrive out of order: the earliest sighting is the
	 * reference whoever reports it last */
	seen(f, "b", 10, 10, "", WALL0 + 1040, &evs);
	seen(f, "c", 20, 10, "", WALL0 + 1300, &evs);
	seen(f, "a", 30, 10, "", WALL0 + 1000, &evs);
	seen(f, "a", 40, 10, "", WALL0 + 1000, &evs); /* repeat: ignored */
	fleet_tick(f, 1009, WALL0, &evs);
	hist_get(f, &h);
	CHECK_EQ_INT(h.count, 0); /* not settled yet */
	fleet_tick(f, 1010, WALL0, &evs);
	hist_get(f, &h);
	CHECK_EQ_INT(h.count, 2);
	CHECK_EQ_INT(h.sum_ms, 40 + 300);
	/* cumulative buckets: 50,100,250,500,... */
	CHECK_EQ_INT(h.bucket[0], 1);
	CHECK_EQ_INT(h.bucket[1], 1);
	CHECK_EQ_INT(h.bucket[2], 1);
	CHECK_EQ_INT(h.bucket[3], 2);
	CHECK_EQ_INT(h.bucket[FLEET_SPREAD_NBUCKETS - 1], 2);
	for (int i = 1; i < FLEET_SPREAD_NBUCKETS; i++)
		CHECK(h.bucket[i] >= h.bucket[i - 1]);
	/* a late report after settling does not count twice */
	seen(f, "d", 5000, 10, "", WALL0 + 4000, &evs);
	fleet_tick(f, 9000, WALL0, &evs);
	hist_get(f, &h);
	CHECK_EQ_INT(h.count, 2);

	struct fleet_block_view b;
	CHECK_EQ_INT(fleet_blocks(f, "net", &b, 1), 1);
	CHECK_EQ_STR(b.first_node, "a");
	CHECK_EQ_INT(b.first_seen_ms, WALL0 + 1000);
	CHECK_EQ_INT(b.max_spread_ms, 3000);
	CHECK_EQ_INT(b.nodes_seen, 4);
	event_list_free(&evs);
	fleet_free(f);
}

static void
test_ring_bounded(void)
{
	struct fleet_conf c = conf_for_tests();
	struct event_list evs = {0};
	struct fleet *f;
	struct fleet_spread_hist h;
	struct fleet_block_view b[16];

	c.ring_heights = 4;
	c.spread_settle_ms = 1000000; /* only eviction settles */
	f = three_nodes(&c, &evs);
	for (uint64_t hgt = 1; hgt <= 10; hgt++) {
		seen(f, "a", hgt, hgt, "", WALL0 + hgt * 1000, &evs);
		/* exactly on a bound: Prometheus' le is inclusive */
		seen(f, "b", hgt, hgt, "", WALL0 + hgt * 1000 + 100, &evs);
	}
	/* heights 1..6 were evicted, each settled with one 100 ms spread */
	hist_get(f, &h);
	CHECK_EQ_INT(h.count, 6);
	CHECK_EQ_INT(h.sum_ms, 6 * 100);
	CHECK_EQ_INT(h.bucket[0], 0);
	CHECK_EQ_INT(h.bucket[1], 6);
	CHECK_EQ_INT(fleet_blocks(f, "net", b, 16), 4);
	CHECK_EQ_INT(b[0].height, 10);
	CHECK_EQ_INT(b[3].height, 7);
	/* a far-behind node does not resurrect an old height */
	seen(f, "c", 20, 2, "", WALL0 + 50000, &evs);
	CHECK_EQ_INT(fleet_blocks(f, "net", b, 16), 4);
	CHECK_EQ_INT(b[3].height, 7);
	hist_get(f, &h);
	CHECK_EQ_INT(h.count, 6);
	event_list_free(&evs);
	fleet_free(f);
}

static void
test_snapshots(void)
{
	struct fleet_conf c = conf_for_tests();
	struct fleet *f = mkfleet(&c);
	struct event_list evs = {0};
	struct fleet_node_view *v;
	size_t n;
	struct proto_heartbeat hb = {0};
	struct fleet_hb_result res;
	uint32_t counts[FLEET__COUNT];

	add(f, "zeta", "g", "net", "sentry");
	add(f, "alpha", "g", "net", "validator");
	hello(f, "alpha", "g", "net", ROLE_VALIDATOR, 0, &evs);
	hb.st.up = hb.st.reachable = true;
	hb.st.height = 10;
	hb.st.peers = 12;
	hb.st.peers_known = true;
	hb.st.restarts = 3; /* from before the commander knew: no time */
	hb.st.signing = true;
	hb.st.lease_epoch = 4;
	util_strlcpy(hb.st.decision, "restart: severe lag",
	             sizeof(hb.st.decision));
	fleet_heartbeat(f, "alpha", &hb, 0, WALL0, &res, &evs);
	CHECK_EQ_INT(count_type(&evs, EV_DECISION), 1);
	fleet_heartbeat(f, "alpha", &hb, 500, WALL0 + 500, &res, &evs);
	CHECK_EQ_INT(count_type(&evs, EV_DECISION), 1); /* unchanged */
	hb.st.restarts = 4;
	fleet_heartbeat(f, "alpha", &hb, 1000, WALL0 + 1000, &res, &evs);

	CHECK_EQ_INT(fleet_nodes(f, &v, &n), 0);
	CHECK_EQ_INT(n, 2);
	if (n == 2) {
		CHECK_EQ_STR(v[0].name, "alpha");
		CHECK_EQ_STR(v[1].name, "zeta");
		CHECK_EQ_INT(v[0].state, FLEET_UP);
		CHECK_EQ_INT(v[0].st.peers, 12);
		CHECK(v[0].st.signing);
		CHECK_EQ_INT(v[0].st.lease_epoch, 4);
		CHECK_EQ_INT(v[0].last_restart_ms, WALL0 + 1000);
		CHECK_EQ_INT(v[0].last_seen_ms, WALL0 + 1000);
		CHECK_EQ_INT(v[0].role, ROLE_VALIDATOR);
		CHECK(v[0].connected);
		CHECK_EQ_STR(v[0].version, "0.1.0");
		CHECK_EQ_INT(v[1].state, FLEET_UNKNOWN);
		CHECK_EQ_INT(v[1].role, ROLE_SENTRY);
		CHECK(!v[1].connected);
	}
	free(v);
	fleet_state_counts(f, counts);
	CHECK_EQ_INT(counts[FLEET_UP], 1);
	CHECK_EQ_INT(counts[FLEET_UNKNOWN], 1);

	enum fleet_state s;
	for (int i = 0; i < FLEET__COUNT; i++) {
		CHECK_EQ_INT(
		    fleet_state_parse(fleet_state_str((enum fleet_state)i), &s),
		    0);
		CHECK_EQ_INT(s, i);
	}
	CHECK_EQ_INT(fleet_state_parse("UP", &s), -EINVAL);
	event_list_free(&evs);
	fleet_free(f);
	fleet_free(NULL);
}

/* Many nodes: lookups stay correct through table growth. */
static void
test_many_nodes(void)
{
	struct fleet_conf c = conf_for_tests();
	struct fleet *f = mkfleet(&c);
	struct event_list evs = {0};
	struct fleet_hb_result res;
	char name[32];
	int bad = 0;

	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "node-%d", i);
		add(f, name, "", i % 2 ? "odd" : "even", "rpc");
		if (hello(f, name, "", i % 2 ? "odd" : "even", ROLE_RPC, 0,
		          &evs) != 0)
			bad++;
	}
	for (int i = 0; i < 5000; i++) {
		struct obs o = OK((uint64_t)i, 1000 + (uint64_t)i, 0, U);

		snprintf(name, sizeof(name), "node-%d", i);
		if (beat(f, name, &o, &res, &evs) != 0)
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	/* even: 1000,1002,...,5998 -> upper median of 2500 values */
	CHECK_EQ_INT(fleet_ref_height(f, "even"), 1000 + 2 * 1250);
	event_list_free(&evs);
	fleet_free(f);
}

int
main(void)
{
	RUN(test_state_machine);
	RUN(test_state_event_fields);
	RUN(test_unreachable);
	RUN(test_hello_inventory);
	RUN(test_ref_height);
	RUN(test_reorg);
	RUN(test_stale_tip);
	RUN(test_spread);
	RUN(test_ring_bounded);
	RUN(test_snapshots);
	RUN(test_many_nodes);
	return TEST_END();
}
