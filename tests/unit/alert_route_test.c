/* alert_route_test: which channel gets which alert, grouping, silences
 * (with expiry), Alertmanager re-sends, saved state and the queue's JSON. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>

#include "commander/alert_route.h"
#include "tests/test.h"

#define T0 1700000000000ull

static struct alert
mk(enum alert_kind kind, enum alert_rule rule, enum event_severity sev,
   const char *node, const char *group, const char *net)
{
	struct alert a;

	memset(&a, 0, sizeof(a));
	a.kind = kind;
	a.rule = rule;
	a.severity = sev;
	snprintf(a.key, sizeof(a.key), "%s/%s", alert_rule_str(rule),
	         node[0] ? node : group);
	snprintf(a.node, sizeof(a.node), "%s", node);
	snprintf(a.group, sizeof(a.group), "%s", group);
	snprintf(a.network, sizeof(a.network), "%s", net);
	snprintf(a.summary, sizeof(a.summary), "%s on %s", alert_rule_str(rule),
	         a.key);
	a.started_ms = T0;
	a.time_ms = T0;
	return a;
}

static struct sink_conf
sink(const char *name, enum sink_type t, enum event_severity min)
{
	struct sink_conf c;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	c.type = t;
	c.min_severity = min;
	snprintf(c.url, sizeof(c.url), "http://127.0.0.1:1/x");
	return c;
}

/* Alerts of one channel in out, in order; how many messages it got. */
static size_t
msgs_for(const struct alert_msg_list *out, size_t sink, size_t *nalerts)
{
	size_t m = 0;

	*nalerts = 0;
	for (size_t i = 0; i < out->n; i++)
		if (out->v[i].sink == sink) {
			m++;
			*nalerts += out->v[i].n;
		}
	return m;
}

static bool
has(const struct alert_msg_list *out, size_t sink, enum alert_kind k,
    const char *key)
{
	for (size_t i = 0; i < out->n; i++)
		for (size_t j = 0; out->v[i].sink == sink && j < out->v[i].n;
		     j++)
			if (out->v[i].v[j].kind == k &&
			    strcmp(out->v[i].v[j].key, key) == 0)
				return true;
	return false;
}

/* One route call; out is cleared first. */
static int
route(struct alert_router *r, const struct sink_conf *s, size_t ns,
      const struct alert_silence *sil, size_t nsil, const struct alert *al,
      size_t nal, const struct alert *act, size_t nact, uint64_t now,
      uint64_t resend, struct alert_msg_list *out)
{
	struct alert_route_in in = {
	    .sinks = s,
	    .nsinks = ns,
	    .silences = sil,
	    .nsilences = nsil,
	    .alerts = al,
	    .nalerts = nal,
	    .active = act,
	    .nactive = nact,
	    .am_resend_ms = resend,
	    .now_ms = now,
	};

	alert_msg_list_free(out);
	return alert_route(r, &in, out);
}

static void
test_filters(void)
{
	struct sink_conf s[4] = {
	    sink("all", SINK_SLACK, SEV_INFO),
	    sink("crit", SINK_TELEGRAM, SEV_CRITICAL),
	    sink("val1", SINK_DISCORD, SEV_INFO),
	    sink("testnet", SINK_WEBHOOK, SEV_WARNING),
	};
	struct alert al[3] = {
	    mk(ALERT_FIRE, AR_NODE_DOWN, SEV_CRITICAL, "val1", "g1", "main"),
	    mk(ALERT_FIRE, AR_LAGGING, SEV_WARNING, "val2", "g1", "test"),
	    mk(ALERT_FIRE, AR_LOW_PEERS, SEV_INFO, "rpc1", "", "test"),
	};
	struct alert_router *r = alert_router_new();
	struct alert_msg_list out = {0};
	size_t n;

	snprintf(s[2].node, sizeof(s[2].node), "val1");
	snprintf(s[3].network, sizeof(s[3].network), "test");
	CHECK(route(r, s, 4, NULL, 0, al, 3, al, 3, T0, 0, &out) == 0);
	CHECK_EQ_INT(msgs_for(&out, 0, &n), 1);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(msgs_for(&out, 1, &n), 1);
	CHECK_EQ_INT(n, 1);
	CHECK(has(&out, 1, ALERT_FIRE, "node_down/val1"));
	CHECK_EQ_INT(msgs_for(&out, 2, &n), 1);
	CHECK(n == 1 && has(&out, 2, ALERT_FIRE, "node_down/val1"));
	/* warning floor and network filter: only the lagging testnet one */
	CHECK_EQ_INT(msgs_for(&out, 3, &n), 1);
	CHECK(n == 1 && has(&out, 3, ALERT_FIRE, "lagging/val2"));

	/* resolves go where the trigger went, and only there */
	al[0].kind = ALERT_RESOLVE;
	al[0].ended_ms = T0 + 5000;
	CHECK(route(r, s, 4, NULL, 0, al, 1, al + 1, 2, T0 + 5000, 0, &out) ==
	      0);
	CHECK(has(&out, 0, ALERT_RESOLVE, "node_down/val1"));
	CHECK(has(&out, 1, ALERT_RESOLVE, "node_down/val1"));
	CHECK(has(&out, 2, ALERT_RESOLVE, "node_down/val1"));
	CHECK_EQ_INT(msgs_for(&out, 3, &n), 0);
	CHECK_EQ_INT(alert_router_notified(r, "all"), 2);
	alert_msg_list_free(&out);
	alert_router_free(r);
}

static void
test_grouping_and_batches(void)
{
	struct sink_conf s[3] = {
	    sink("slack", SINK_SLACK, SEV_INFO),
	    sink("pd", SINK_PAGERDUTY, SEV_INFO),
	    sink("hook", SINK_WEBHOOK, SEV_INFO),
	};
	struct alert al[70];
	struct alert_router *r = alert_router_new();
	struct alert_msg_list out = {0};
	size_t n;

	for (int i = 0; i < 70; i++) {
		char name[16];

		snprintf(name, sizeof(name), "n%02d", i);
		al[i] = mk(ALERT_FIRE, AR_NODE_DOWN, SEV_CRITICAL, name, "",
		           "main");
	}
	/* three at once: one Slack message, three PagerDuty events */
	CHECK(route(r, s, 3, NULL, 0, al, 3, al, 3, T0, 0, &out) == 0);
	CHECK_EQ_INT(msgs_for(&out, 0, &n), 1);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(msgs_for(&out, 1, &n), 3);
	CHECK_EQ_INT(msgs_for(&out, 2, &n), 1);
	/* seventy: split at each channel's max_batch */
	CHECK(route(r, s, 3, NULL, 0, al + 3, 67, al, 70, T0 + 1, 0, &out) ==
	      0);
	CHECK_EQ_INT(msgs_for(&out, 0, &n), 3); /* 32 + 32 + 3 */
	CHECK_EQ_INT(n, 67);
	CHECK_EQ_INT(msgs_for(&out, 1, &n), 67);
	CHECK_EQ_INT(msgs_for(&out, 2, &n), 2); /* 64 + 3 */
	for (size_t i = 0; i < out.n; i++)
		CHECK(out.v[i].n <=
		      sink_ops_for(s[out.v[i].sink].type)->max_batch);
	/* nothing new: nothing sent */
	CHECK(route(r, s, 3, NULL, 0, NULL, 0, al, 70, T0 + 2, 0, &out) == 0);
	CHECK_EQ_INT(out.n, 0);
	alert_msg_list_free(&out);
	alert_router_free(r);
}

static struct alert_silence
silence(const char *rule, const char *node, uint64_t expires)
{
	struct alert_silence s;

	memset(&s, 0, sizeof(s));
	snprintf(s.rule, sizeof(s.rule), "%s", rule);
	snprintf(s.node, sizeof(s.node), "%s", node);
	s.expires_ms = expires;
	return s;
}

static void
test_silences(void)
{
	struct sink_conf s[1] = {sink("chat", SINK_SLACK, SEV_INFO)};
	struct alert a =
	    mk(ALERT_FIRE, AR_NODE_DOWN, SEV_CRITICAL, "val1", "g", "main");
	struct alert b =
	    mk(ALERT_FIRE, AR_LAGGING, SEV_WARNING, "val2", "g", "main");
	struct alert both[2] = {a, b};
	struct alert_silence sil = silence("", "val1", T0 + 60000);
	struct alert_router *r = alert_router_new();
	struct alert_msg_list out = {0};
	size_t n;

	/* val1 silenced, val2 not */
	CHECK(route(r, s, 1, &sil, 1, both, 2, both, 2, T0, 0, &out) == 0);
	CHECK_EQ_INT(msgs_for(&out, 0, &n), 1);
	CHECK(n == 1 && has(&out, 0, ALERT_FIRE, "lagging/val2"));
	/* still silenced: nothing */
	CHECK(route(r, s, 1, &sil, 1, NULL, 0, both, 2, T0 + 59999, 0, &out) ==
	      0);
	CHECK_EQ_INT(out.n, 0);
	/* the silence expires while val1 is still down: it is sent now */
	CHECK(route(r, s, 1, &sil, 1, NULL, 0, both, 2, T0 + 60000, 0, &out) ==
	      0);
	CHECK(has(&out, 0, ALERT_FIRE, "node_down/val1"));
	CHECK_EQ_INT(msgs_for(&out, 0, &n), 1);
	CHECK_EQ_INT(n, 1);

	/* a resolve whose trigger was silenced is not sent */
	{
		struct alert_router *r2 = alert_router_new();
		struct alert res = a;

		CHECK(route(r2, s, 1, &sil, 1, &a, 1, &a, 1, T0, 0, &out) == 0);
		CHECK_EQ_INT(out.n, 0);
		res.kind = ALERT_RESOLVE;
		CHECK(route(r2, s, 1, &sil, 1, &res, 1, NULL, 0, T0 + 10, 0,
		            &out) == 0);
		CHECK_EQ_INT(out.n, 0);
		/* and after the silence ends nothing comes back */
		CHECK(route(r2, s, 1, &sil, 1, NULL, 0, NULL, 0, T0 + 70000, 0,
		            &out) == 0);
		CHECK_EQ_INT(out.n, 0);
		alert_router_free(r2);
	}
	/* a resolve whose trigger was sent is sent, silence or not */
	{
		struct alert_router *r3 = alert_router_new();
		struct alert res = a;
		struct alert_silence late = silence("node_*", "", T0 + 99999);

		CHECK(route(r3, s, 1, NULL, 0, &a, 1, &a, 1, T0, 0, &out) == 0);
		CHECK(has(&out, 0, ALERT_FIRE, "node_down/val1"));
		/* silenced meanwhile: repeats are held back ... */
		res.kind = ALERT_REPEAT;
		CHECK(route(r3, s, 1, &late, 1, &res, 1, &a, 1, T0 + 5, 0,
		            &out) == 0);
		CHECK_EQ_INT(out.n, 0);
		/* ... the resolve is not */
		res.kind = ALERT_RESOLVE;
		CHECK(route(r3, s, 1, &late, 1, &res, 1, NULL, 0, T0 + 10, 0,
		            &out) == 0);
		CHECK(has(&out, 0, ALERT_RESOLVE, "node_down/val1"));
		alert_router_free(r3);
	}
	alert_msg_list_free(&out);
	alert_router_free(r);
}

static void
test_notices_after_silence(void)
{
	struct sink_conf s[1] = {sink("chat", SINK_SLACK, SEV_INFO)};
	struct alert nt =
	    mk(ALERT_FIRE, AR_RESTARTED, SEV_INFO, "val1", "", "");
	struct alert_silence rs = silence("restarted", "", T0 + 10);
	struct alert_router *r = alert_router_new();
	struct alert_msg_list out = {0};

	nt.notice = true;
	CHECK(route(r, s, 1, &rs, 1, &nt, 1, NULL, 0, T0, 0, &out) == 0);
	CHECK_EQ_INT(out.n, 0);
	CHECK(route(r, s, 1, &rs, 1, &nt, 1, NULL, 0, T0 + 10, 0, &out) == 0);
	CHECK(has(&out, 0, ALERT_FIRE, nt.key));
	CHECK_EQ_INT(alert_router_notified(r, "chat"), 0);
	alert_msg_list_free(&out);
	alert_router_free(r);
}

static void
test_silence_check_and_patterns(void)
{
	struct alert_silence s = silence("", "", T0 + 1000);
	struct alert a =
	    mk(ALERT_FIRE, AR_DISK_FULL, SEV_WARNING, "val7", "g", "main");
	char err[256];

	CHECK(alert_silence_check(&s, T0, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "at least one") != NULL);
	s = silence("no_such_rule", "", T0 + 1000);
	CHECK(alert_silence_check(&s, T0, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "no_such_rule") != NULL);
	s = silence("disk_*", "val?", T0 + 1000);
	CHECK(alert_silence_check(&s, T0, err, sizeof(err)) == 0);
	CHECK(alert_silence_matches(&s, &a, T0));
	CHECK(!alert_silence_matches(&s, &a, T0 + 1000)); /* expired */
	snprintf(a.node, sizeof(a.node), "val10");
	CHECK(!alert_silence_matches(&s, &a, T0));
	s = silence("", "val1", T0);
	CHECK(alert_silence_check(&s, T0, err, sizeof(err)) == -EINVAL);
	s = silence("", "val\n1", T0 + 1);
	CHECK(alert_silence_check(&s, T0, err, sizeof(err)) == -EINVAL);
	/* a group-level alert has no node: a node silence misses it */
	a = mk(ALERT_FIRE, AR_DOUBLE_SIGN_RISK, SEV_CRITICAL, "", "g", "main");
	s = silence("", "*", T0 + 1000);
	CHECK(!alert_silence_matches(&s, &a, T0));
}

static void
test_alertmanager_resend(void)
{
	struct sink_conf s[2] = {
	    sink("am", SINK_ALERTMANAGER, SEV_INFO),
	    sink("chat", SINK_SLACK, SEV_INFO),
	};
	struct alert a =
	    mk(ALERT_FIRE, AR_NODE_DOWN, SEV_CRITICAL, "val1", "", "main");
	struct alert_router *r = alert_router_new();
	struct alert_msg_list out = {0};
	size_t n, m;

	CHECK(route(r, s, 2, NULL, 0, &a, 1, &a, 1, T0, 60000, &out) == 0);
	/* the fire itself, and (first round) nothing else to re-send */
	CHECK_EQ_INT(msgs_for(&out, 0, &n), 1);
	CHECK(out.v[0].kind == ALERT_MSG_ALERTS);
	CHECK(route(r, s, 2, NULL, 0, NULL, 0, &a, 1, T0 + 30000, 60000,
	            &out) == 0);
	CHECK_EQ_INT(out.n, 0);
	CHECK(route(r, s, 2, NULL, 0, NULL, 0, &a, 1, T0 + 60000, 60000,
	            &out) == 0);
	m = msgs_for(&out, 0, &n);
	CHECK_EQ_INT(m, 1);
	CHECK_EQ_INT(n, 1);
	CHECK(m == 1 && out.v[0].kind == ALERT_MSG_RESEND);
	CHECK(has(&out, 0, ALERT_REPEAT, "node_down/val1"));
	CHECK_EQ_INT(msgs_for(&out, 1, &n), 0); /* chat: no re-sends */
	CHECK(route(r, s, 2, NULL, 0, NULL, 0, &a, 1, T0 + 119999, 60000,
	            &out) == 0);
	CHECK_EQ_INT(out.n, 0);
	CHECK(route(r, s, 2, NULL, 0, NULL, 0, &a, 1, T0 + 120000, 60000,
	            &out) == 0);
	CHECK_EQ_INT(msgs_for(&out, 0, &n), 1);
	/* resolved: one resolve, then never re-sent */
	a.kind = ALERT_RESOLVE;
	CHECK(route(r, s, 2, NULL, 0, &a, 1, NULL, 0, T0 + 130000, 60000,
	            &out) == 0);
	CHECK(has(&out, 0, ALERT_RESOLVE, "node_down/val1"));
	CHECK(route(r, s, 2, NULL, 0, NULL, 0, NULL, 0, T0 + 200000, 60000,
	            &out) == 0);
	CHECK_EQ_INT(out.n, 0); /* an empty re-send makes no message */
	alert_msg_list_free(&out);
	alert_router_free(r);
}

static void
test_lost_resolve_and_removed_channel(void)
{
	struct sink_conf s[2] = {
	    sink("a", SINK_SLACK, SEV_INFO),
	    sink("b", SINK_SLACK, SEV_INFO),
	};
	struct alert a =
	    mk(ALERT_FIRE, AR_STALLED, SEV_WARNING, "val1", "", "main");
	struct alert_router *r = alert_router_new();
	struct alert_msg_list out = {0};

	CHECK(route(r, s, 2, NULL, 0, &a, 1, &a, 1, T0, 0, &out) == 0);
	CHECK_EQ_INT(alert_router_notified(r, "a"), 1);
	/* the engine forgot it (no resolve came): resolve anyway */
	CHECK(route(r, s, 2, NULL, 0, NULL, 0, NULL, 0, T0 + 1, 0, &out) == 0);
	CHECK(has(&out, 0, ALERT_RESOLVE, "stalled/val1"));
	CHECK(has(&out, 1, ALERT_RESOLVE, "stalled/val1"));
	CHECK_EQ_INT(alert_router_notified(r, "a"), 0);
	/* channel b leaves the config: its state goes with it */
	CHECK(route(r, s, 2, NULL, 0, &a, 1, &a, 1, T0 + 2, 0, &out) == 0);
	CHECK(route(r, s, 1, NULL, 0, NULL, 0, &a, 1, T0 + 3, 0, &out) == 0);
	CHECK_EQ_INT(alert_router_notified(r, "b"), 0);
	CHECK_EQ_INT(alert_router_notified(r, "a"), 1);
	/* and coming back, it is told what fires */
	CHECK(route(r, s, 2, NULL, 0, NULL, 0, &a, 1, T0 + 4, 0, &out) == 0);
	CHECK(has(&out, 1, ALERT_FIRE, "stalled/val1"));
	CHECK(!has(&out, 0, ALERT_FIRE, "stalled/val1"));
	alert_msg_list_free(&out);
	alert_router_free(r);
}

static void
test_export_import(void)
{
	struct sink_conf s[2] = {
	    sink("am", SINK_ALERTMANAGER, SEV_INFO),
	    sink("crit", SINK_SLACK, SEV_CRITICAL),
	};
	struct alert al[2] = {
	    mk(ALERT_FIRE, AR_NODE_DOWN, SEV_CRITICAL, "val1", "g", "main"),
	    mk(ALERT_FIRE, AR_LAGGING, SEV_WARNING, "val2", "g", "main"),
	};
	struct alert_router *r = alert_router_new(), *r2 = alert_router_new();
	struct alert_msg_list out = {0};
	char *buf = NULL, *buf2 = NULL;
	size_t len, len2, bad = 9;

	/* a summary with a tab and newline must not split the line */
	snprintf(al[1].summary, sizeof(al[1].summary), "lag\t5\nblocks");
	CHECK(route(r, s, 2, NULL, 0, al, 2, al, 2, T0, 60000, &out) == 0);
	CHECK(alert_router_export(r, &buf, &len) == 0);
	CHECK(alert_router_import(r2, buf, len, &bad) == 0);
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(alert_router_notified(r2, "am"), 2);
	CHECK_EQ_INT(alert_router_notified(r2, "crit"), 1);
	CHECK(alert_router_export(r2, &buf2, &len2) == 0);
	CHECK(len == len2 && memcmp(buf, buf2, len) == 0);
	/* restored: no re-fire, the resend clock kept, resolves routed */
	CHECK(route(r2, s, 2, NULL, 0, NULL, 0, al, 2, T0 + 1000, 60000,
	            &out) == 0);
	CHECK_EQ_INT(out.n, 0);
	al[0].kind = ALERT_RESOLVE;
	CHECK(route(r2, s, 2, NULL, 0, al, 1, al + 1, 1, T0 + 2000, 60000,
	            &out) == 0);
	CHECK(has(&out, 1, ALERT_RESOLVE, "node_down/val1"));
	CHECK(has(&out, 0, ALERT_RESOLVE, "node_down/val1"));
	free(buf);
	free(buf2);
	alert_router_free(r2);

	/* hostile lines are skipped and counted */
	{
		static const char junk[] =
		    "C\tam\t12\n"
		    "X\tsomething\n"
		    "C\t\t5\n"
		    "C\tam\tnotanumber\n"
		    "N\tam\tnode_down\tcritical\tk\tn\tg\tw\t1\t2\tok\n"
		    "N\tam\tno_rule\tcritical\tk2\tn\tg\tw\t1\t2\ts\n"
		    "N\tam\tnode_down\tloud\tk3\tn\tg\tw\t1\t2\ts\n"
		    "N\tam\tnode_down\tcritical\t\tn\tg\tw\t1\t2\ts\n"
		    "N\tam\tnode_down\tcritical\tk4\tn\tg\tw\t-1\t2\ts\n"
		    "N\tam\tnode_down\tcritical\tk5\tn\tg\n";
		char big[5000];

		r2 = alert_router_new();
		CHECK(alert_router_import(r2, junk, sizeof(junk) - 1, &bad) ==
		      0);
		CHECK_EQ_INT(bad, 8);
		CHECK_EQ_INT(alert_router_notified(r2, "am"), 1);
		memset(big, 'x', sizeof(big));
		CHECK(alert_router_import(r2, big, sizeof(big), &bad) == 0);
		CHECK_EQ_INT(bad, 1);
		alert_router_free(r2);
	}
	alert_msg_list_free(&out);
	alert_router_free(r);
}

static void
test_json_roundtrip(void)
{
	struct alert v[2] = {
	    mk(ALERT_RESOLVE, AR_DISK_FULL, SEV_WARNING, "val1", "g", "main"),
	    mk(ALERT_FIRE, AR_REORG, SEV_WARNING, "", "", "main"),
	};
	struct alert *back = NULL;
	char *s = NULL;
	size_t n = 0;

	v[0].ended_ms = T0 + 123;
	v[1].notice = true;
	v[1].source_event = 42;
	snprintf(v[1].summary, sizeof(v[1].summary), "quote \" and \xc3\xa9");
	CHECK(alert_json_encode(v, 2, &s) == 0);
	CHECK(alert_json_decode(s, strlen(s), 16, &back, &n) == 0);
	CHECK_EQ_INT(n, 2);
	for (size_t i = 0; i < n && n == 2; i++) {
		CHECK(back[i].kind == v[i].kind && back[i].rule == v[i].rule);
		CHECK(back[i].severity == v[i].severity);
		CHECK(back[i].notice == v[i].notice);
		CHECK_EQ_STR(back[i].key, v[i].key);
		CHECK_EQ_STR(back[i].node, v[i].node);
		CHECK_EQ_STR(back[i].group, v[i].group);
		CHECK_EQ_STR(back[i].network, v[i].network);
		CHECK_EQ_STR(back[i].summary, v[i].summary);
		CHECK(back[i].started_ms == v[i].started_ms);
		CHECK(back[i].ended_ms == v[i].ended_ms);
		CHECK(back[i].time_ms == v[i].time_ms);
		CHECK(back[i].source_event == v[i].source_event);
	}
	free(back);
	/* bounded: more than max alerts refused */
	CHECK(alert_json_decode(s, strlen(s), 1, &back, &n) == -EINVAL);
	/* truncated at every length: refused, never crashes */
	for (size_t l = 0; l < strlen(s); l++) {
		back = NULL;
		CHECK(alert_json_decode(s, l, 16, &back, &n) == -EINVAL);
		free(back);
	}
	free(s);
	{
		static const char *const bad[] = {
		    "{}",
		    "[1]",
		    "[{\"kind\":\"firing\"}]",
		    "[{\"kind\":\"boom\",\"rule\":\"reorg\"}]",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			CHECKF(alert_json_decode(bad[i], strlen(bad[i]), 4,
			                         &back, &n) == -EINVAL,
			       "%s", bad[i]);
	}
	/* a field longer than its array is refused, not cut */
	{
		char big[600], *t;
		cJSON *arr, *o;

		memset(big, 'n', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		CHECK(alert_json_encode(v, 1, &s) == 0);
		arr = cJSON_Parse(s);
		o = cJSON_GetArrayItem(arr, 0);
		cJSON_ReplaceItemInObject(o, "node", cJSON_CreateString(big));
		t = cJSON_PrintUnformatted(arr);
		CHECK(alert_json_decode(t, strlen(t), 4, &back, &n) == -EINVAL);
		free(t);
		free(s);
		cJSON_Delete(arr);
	}
}

static size_t
kinds(const struct alert_list *l, enum alert_kind k)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		n += l->v[i].kind == k;
	return n;
}

/* After a restart the fleet has not heard from anyone: the restored
 * conditions neither resolve nor fire again until nodes report. */
static void
test_engine_restart_grace(void)
{
	struct alert_conf c;
	struct alert_engine *e, *e2;
	struct alert_list l = {0};
	struct fleet_node_view v[2];
	struct fleet_network_view net;
	char *buf = NULL;
	size_t len, bad;

	alert_conf_defaults(&c);
	for (int i = 0; i < AR__COUNT; i++)
		c.rule[i].for_ms = 0;
	memset(v, 0, sizeof(v));
	memset(&net, 0, sizeof(net));
	snprintf(v[0].name, sizeof(v[0].name), "val1");
	snprintf(v[1].name, sizeof(v[1].name), "val2");
	snprintf(v[0].network, sizeof(v[0].network), "main");
	snprintf(v[1].network, sizeof(v[1].network), "main");
	snprintf(net.name, sizeof(net.name), "main");
	net.stale = true;
	net.tip_height = 100;
	v[0].state = FLEET_DOWN;
	v[1].state = FLEET_UP;
	e = alert_engine_new(&c);
	CHECK(alert_eval(e, v, 2, &net, 1, T0, &l) == 0);
	CHECK_EQ_INT(kinds(&l, ALERT_FIRE), 2); /* node_down, stale_tip */
	CHECK(alert_engine_export(e, &buf, &len) == 0);
	alert_engine_free(e);

	e2 = alert_engine_new(&c);
	CHECK(alert_engine_import(e2, buf, len, &bad) == 0 && bad == 0);
	free(buf);
	/* fresh commander: nobody heard from, no networks yet */
	v[0].state = v[1].state = FLEET_UNKNOWN;
	alert_list_clear(&l);
	CHECK(alert_eval(e2, v, 2, NULL, 0, T0 + 1000, &l) == 0);
	CHECK_EQ_INT(l.n, 0);
	/* val1 reports down again: no second fire */
	v[0].state = FLEET_DOWN;
	CHECK(alert_eval(e2, v, 2, NULL, 0, T0 + 2000, &l) == 0);
	CHECK_EQ_INT(l.n, 0);
	/* everyone reported, the network tip moved on: both resolve */
	v[0].state = v[1].state = FLEET_UP;
	net.stale = false;
	CHECK(alert_eval(e2, v, 2, &net, 1, T0 + 3000, &l) == 0);
	CHECK_EQ_INT(kinds(&l, ALERT_RESOLVE), 2);
	CHECK_EQ_INT(l.n, 2);
	alert_list_free(&l);
	alert_engine_free(e2);
}

int
main(void)
{
	RUN(test_filters);
	RUN(test_grouping_and_batches);
	RUN(test_silences);
	RUN(test_notices_after_silence);
	RUN(test_silence_check_and_patterns);
	RUN(test_alertmanager_resend);
	RUN(test_lost_resolve_and_removed_channel);
	RUN(test_export_import);
	RUN(test_json_roundtrip);
	RUN(test_engine_restart_grace);
	return TEST_END();
}
