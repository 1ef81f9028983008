/* alert_test: condition rules with `for`, repeat and resolve; notices from
 * events; state that survives a restart; hostile saved state. */
#include <stdlib.h>

#include "commander/alert.h"
#include "tests/test.h"

static struct fleet_node_view
node(const char *name, enum fleet_state st)
{
	struct fleet_node_view v;

	memset(&v, 0, sizeof(v));
	snprintf(v.name, sizeof(v.name), "%s", name);
	snprintf(v.group, sizeof(v.group), "valgrp");
	snprintf(v.network, sizeof(v.network), "demo-1");
	v.state = st;
	v.connected = true;
	v.st.peers_known = true;
	v.st.peers = 10;
	return v;
}

static size_t
count(const struct alert_list *l, enum alert_kind k, enum alert_rule r)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		n += l->v[i].kind == k && l->v[i].rule == r;
	return n;
}

static void
test_fire_repeat_resolve(void)
{
	struct alert_conf c;
	struct alert_engine *e;
	struct alert_list l = {0};
	struct fleet_node_view v = node("val1", FLEET_DOWN);

	alert_conf_defaults(&c);
	c.repeat_ms = 600000;
	e = alert_engine_new(&c);
	CHECK(alert_eval(e, &v, 1, NULL, 0, 1000, &l) == 0);
	CHECK(l.n == 0); /* pending: held for less than 60 s */
	CHECK(alert_eval(e, &v, 1, NULL, 0, 60999, &l) == 0);
	CHECK(l.n == 0);
	CHECK(alert_eval(e, &v, 1, NULL, 0, 61000, &l) == 0);
	CHECK(count(&l, ALERT_FIRE, AR_NODE_DOWN) == 1);
	CHECK_EQ_STR(l.v[0].key, "node_down/val1");
	CHECK(l.v[0].severity == SEV_CRITICAL);
	CHECK(l.v[0].started_ms == 1000);
	alert_list_clear(&l);
	CHECK(alert_eval(e, &v, 1, NULL, 0, 61000 + 599999, &l) == 0);
	CHECK(l.n == 0);
	CHECK(alert_eval(e, &v, 1, NULL, 0, 61000 + 600000, &l) == 0);
	CHECK(count(&l, ALERT_REPEAT, AR_NODE_DOWN) == 1);
	alert_list_clear(&l);
	v.state = FLEET_UP;
	CHECK(alert_eval(e, &v, 1, NULL, 0, 700000, &l) == 0);
	CHECK(count(&l, ALERT_RESOLVE, AR_NODE_DOWN) == 1);
	CHECK(l.v[0].ended_ms == 700000 && l.v[0].started_ms == 1000);
	alert_list_clear(&l);
	CHECK(alert_eval(e, &v, 1, NULL, 0, 700001, &l) == 0);
	CHECK(l.n == 0); /* resolved once */
	alert_list_free(&l);
	alert_engine_free(e);
}

static void
test_flap_shorter_than_for_is_silent(void)
{
	struct alert_conf c;
	struct alert_engine *e;
	struct alert_list l = {0};
	struct fleet_node_view v = node("val1", FLEET_STALLED);

	alert_conf_defaults(&c);
	e = alert_engine_new(&c);
	CHECK(alert_eval(e, &v, 1, NULL, 0, 0, &l) == 0);
	v.state = FLEET_UP;
	CHECK(alert_eval(e, &v, 1, NULL, 0, 30000, &l) == 0);
	v.state = FLEET_STALLED;
	CHECK(alert_eval(e, &v, 1, NULL, 0, 40000, &l) == 0);
	CHECK(alert_eval(e, &v, 1, NULL, 0, 90000, &l) == 0);
	CHECK(l.n == 0); /* the 60 s restarted at 40000 */
	CHECK(alert_eval(e, &v, 1, NULL, 0, 100000, &l) == 0);
	CHECK(count(&l, ALERT_FIRE, AR_STALLED) == 1);
	alert_list_free(&l);
	alert_engine_free(e);
}

static void
test_thresholds_and_disabled(void)
{
	struct alert_conf c;
	struct alert_engine *e;
	struct alert_list l = {0};
	struct fleet_node_view v = node("rpc1", FLEET_LAGGING);

	alert_conf_defaults(&c);
	for (int i = 0; i < AR__COUNT; i++)
		c.rule[i].for_ms = 0;
	c.rule[AR_STALLED].enabled = false;
	e = alert_engine_new(&c);
	v.lag = 19;
	v.ref_height = 100;
	v.st.peers = 2;
	v.st.disk_used_pct = 95;
	CHECK(alert_eval(e, &v, 1, NULL, 0, 5, &l) == 0);
	CHECK(count(&l, ALERT_FIRE, AR_LAGGING) == 0);
	CHECK(count(&l, ALERT_FIRE, AR_LOW_PEERS) == 1);
	CHECK(count(&l, ALERT_FIRE, AR_DISK_FULL) == 1);
	v.lag = 20;
	v.state = FLEET_STALLED;
	CHECK(alert_eval(e, &v, 1, NULL, 0, 6, &l) == 0);
	CHECK(count(&l, ALERT_FIRE, AR_LAGGING) == 1);
	CHECK(count(&l, ALERT_FIRE, AR_STALLED) == 0);
	/* unknown peers never alert */
	alert_list_clear(&l);
	v.st.peers_known = false;
	CHECK(alert_eval(e, &v, 1, NULL, 0, 7, &l) == 0);
	CHECK(count(&l, ALERT_RESOLVE, AR_LOW_PEERS) == 1);
	alert_list_free(&l);
	alert_engine_free(e);
}

static void
test_gone_node_resolves(void)
{
	struct alert_conf c;
	struct alert_engine *e;
	struct alert_list l = {0};
	struct fleet_node_view v = node("val1", FLEET_UNREACHABLE);

	alert_conf_defaults(&c);
	e = alert_engine_new(&c);
	CHECK(alert_eval(e, &v, 1, NULL, 0, 0, &l) == 0);
	CHECK(alert_eval(e, &v, 1, NULL, 0, 60000, &l) == 0);
	CHECK(count(&l, ALERT_FIRE, AR_UNREACHABLE) == 1);
	CHECK(alert_eval(e, NULL, 0, NULL, 0, 70000, &l) == 0);
	CHECK(count(&l, ALERT_RESOLVE, AR_UNREACHABLE) == 1);
	alert_list_free(&l);
	alert_engine_free(e);
}

static void
test_double_sign_and_stale_tip(void)
{
	struct alert_conf c;
	struct alert_engine *e;
	struct alert_list l = {0};
	struct fleet_node_view v[3] = {node("a", FLEET_UP), node("b", FLEET_UP),
	                               node("c", FLEET_UP)};
	struct fleet_network_view net;

	memset(&net, 0, sizeof(net));
	snprintf(net.name, sizeof(net.name), "demo-1");
	net.stale = true;
	net.tip_height = 42;
	alert_conf_defaults(&c);
	c.rule[AR_STALE_TIP].for_ms = 0;
	e = alert_engine_new(&c);
	v[0].st.signing = true;
	v[2].st.signing = true;
	CHECK(alert_eval(e, v, 3, &net, 1, 10, &l) == 0);
	CHECK(count(&l, ALERT_FIRE, AR_DOUBLE_SIGN_RISK) == 1);
	CHECK(count(&l, ALERT_FIRE, AR_STALE_TIP) == 1);
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].rule == AR_DOUBLE_SIGN_RISK) {
			CHECK_EQ_STR(l.v[i].key, "double_sign_risk/valgrp");
			CHECK(strstr(l.v[i].summary, "a and c") != NULL);
		}
	alert_list_free(&l);
	alert_engine_free(e);
}

static void
test_notices_from_events(void)
{
	struct alert_conf c;
	struct alert_engine *e;
	struct alert_list l = {0};
	struct event ev;

	alert_conf_defaults(&c);
	e = alert_engine_new(&c);
	event_make(&ev, 5, EV_LEASE_CHANGE, SEV_WARNING, "val2", "valgrp",
	           "demo-1", "failover: epoch 4 granted to val2");
	event_details(&ev, "step", "granted", "#epoch", "4", NULL);
	ev.id = 77;
	CHECK(alert_on_event(e, &ev, 6, &l) == 0);
	CHECK(l.n == 1 && l.v[0].rule == AR_FAILOVER_FINISHED && l.v[0].notice);
	CHECK(l.v[0].source_event == 77);
	event_make(&ev, 5, EV_STATE_CHANGE, SEV_INFO, "val2", "", "", "x");
	CHECK(alert_on_event(e, &ev, 6, &l) == 0 && l.n == 1);
	event_make(&ev, 5, EV_REORG, SEV_WARNING, "", "", "demo-1", "reorg");
	CHECK(alert_on_event(e, &ev, 6, &l) == 0 && l.n == 2);
	CHECK(l.v[1].rule == AR_REORG);
	alert_list_free(&l);
	alert_engine_free(e);
}

static void
test_state_survives_restart(void)
{
	struct alert_conf c;
	struct alert_engine *e, *e2;
	struct alert_list l = {0};
	struct fleet_node_view v = node("val1", FLEET_DOWN);
	char *buf;
	size_t len, bad;

	alert_conf_defaults(&c);
	e = alert_engine_new(&c);
	alert_eval(e, &v, 1, NULL, 0, 0, &l);
	alert_eval(e, &v, 1, NULL, 0, 60000, &l);
	CHECK(l.n == 1);
	CHECK(alert_engine_export(e, &buf, &len) == 0);
	e2 = alert_engine_new(&c);
	CHECK(alert_engine_import(e2, buf, len, &bad) == 0 && bad == 0);
	free(buf);
	alert_list_clear(&l);
	/* still down after the restart: no second "firing" */
	CHECK(alert_eval(e2, &v, 1, NULL, 0, 61000, &l) == 0);
	CHECK(l.n == 0);
	v.state = FLEET_UP;
	CHECK(alert_eval(e2, &v, 1, NULL, 0, 62000, &l) == 0);
	CHECK(count(&l, ALERT_RESOLVE, AR_NODE_DOWN) == 1);
	CHECK(l.v[0].started_ms == 0);
	alert_list_free(&l);
	alert_engine_free(e);
	alert_engine_free(e2);
}

static void
test_hostile_import(void)
{
	static const char junk[] = "node_down\tx\n"
	                           "no_such_rule\ta\ta\tg\tn\t1\t2\ts\n"
	                           "node_down\ta\ta\tg\tn\tX\t2\ts\n"
	                           "restarted\ta\ta\tg\tn\t1\t2\ts\n"
	                           "node_down\ta\ta\tg\tn\t1\t2\tok\n"
	                           "node_down\ta\ta\tg\tn\t1\t2\tduplicate\n"
	                           "\n\t\t\t\n";
	struct alert_conf c;
	struct alert_engine *e;
	struct alert *act;
	size_t n, bad;
	char big[3000];

	alert_conf_defaults(&c);
	e = alert_engine_new(&c);
	CHECK(alert_engine_import(e, junk, sizeof(junk) - 1, &bad) == 0);
	CHECK(bad == 6);
	CHECK(alert_active(e, &act, &n) == 0 && n == 1);
	free(act);
	memset(big, 'a', sizeof(big));
	CHECK(alert_engine_import(e, big, sizeof(big), &bad) == 0 && bad == 1);
	CHECK(alert_engine_import(e, "node_down\0\n", 11, &bad) == 0 &&
	      bad == 1);
	alert_engine_free(e);
}

int
main(void)
{
	RUN(test_fire_repeat_resolve);
	RUN(test_flap_shorter_than_for_is_silent);
	RUN(test_thresholds_and_disabled);
	RUN(test_gone_node_resolves);
	RUN(test_double_sign_and_stale_tip);
	RUN(test_notices_from_events);
	RUN(test_state_survives_restart);
	RUN(test_hostile_import);
	return TEST_END();
}
