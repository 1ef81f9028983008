/* pilot_parts_test: the small pure parts of the pilot daemon: the restart
 * gate, the doppelganger parsers and watch, host health parsers, the
 * monitor's environment, and the exposition of /health and /metrics. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/prom.h"
#include "pilot/conf.h"
#include "pilot/doppel.h"
#include "pilot/expo.h"
#include "pilot/hostinfo.h"
#include "pilot/restart.h"
#include "pilot/standalone.h"
#include "tests/test.h"

/* ---- restart gate ---- */

static void
test_gate_standalone_goes(void)
{
	struct restart_gate g;

	restart_gate_init(&g, false, false, 1000);
	/* the budget is a fleet's: alone, the fallback does not apply */
	CHECK(restart_gate_want(&g, "lag", 5) == RESTART_GO);
	CHECK(!g.asking);
	CHECK_EQ_STR(g.reason, "lag");
}

static void
test_gate_rows(void)
{
	static const struct {
		const char *name;
		bool allow;
		int event; /* 0 grant, 1 deny, 2 silent reply, 3 unreachable,
		              4 tick after the wait */
		enum restart_verdict want;
	} rows[] = {
	    {"grant", false, 0, RESTART_GO},
	    {"deny", true, 1, RESTART_NO},
	    {"reply without an answer waits", true, 2, RESTART_WAIT},
	    {"unreachable, allow", true, 3, RESTART_GO},
	    {"unreachable, deny", false, 3, RESTART_NO},
	    {"no answer in time, allow", true, 4, RESTART_GO},
	    {"no answer in time, deny", false, 4, RESTART_NO},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct restart_gate g;
		struct proto_cmd c = {0};
		enum restart_verdict v = RESTART_WAIT;

		restart_gate_init(&g, true, rows[i].allow, 1000);
		CHECKF(restart_gate_want(&g, "severe", 100) == RESTART_WAIT,
		       "%s", rows[i].name);
		CHECK(g.asking);
		switch (rows[i].event) {
		case 0:
			c.verb = VERB_RESTART_GRANT;
			v = restart_gate_reply(&g, &c, 200);
			break;
		case 1:
			c.verb = VERB_RESTART_DENY;
			snprintf(c.reason, sizeof(c.reason), "budget");
			v = restart_gate_reply(&g, &c, 200);
			CHECK(strstr(g.why, "budget") != NULL);
			break;
		case 2:
			v = restart_gate_reply(&g, NULL, 200);
			break;
		case 3:
			v = restart_gate_unreachable(&g, "no reply in time");
			break;
		case 4:
			CHECK(restart_gate_tick(&g, 1099) == RESTART_WAIT);
			v = restart_gate_tick(&g, 1100);
			break;
		}
		CHECKF(v == rows[i].want, "%s: %s", rows[i].name,
		       restart_verdict_str(v));
		CHECKF(g.asking == (v == RESTART_WAIT), "%s", rows[i].name);
	}
}

static void
test_gate_keeps_asking_from_first_want(void)
{
	struct restart_gate g;

	restart_gate_init(&g, true, true, 1000);
	CHECK(restart_gate_want(&g, "a", 100) == RESTART_WAIT);
	/* the next check wants it again: the wait is not restarted */
	CHECK(restart_gate_want(&g, "b", 900) == RESTART_WAIT);
	CHECK_EQ_STR(g.reason, "b");
	CHECK(restart_gate_tick(&g, 1100) == RESTART_GO);
	/* a cancelled request answers nothing */
	CHECK(restart_gate_want(&g, "c", 2000) == RESTART_WAIT);
	restart_gate_cancel(&g);
	CHECK(restart_gate_unreachable(&g, "x") == RESTART_NO);
}

/* ---- doppelganger ---- */

#define ADDR "5E4B0A7B3C2D1E0F9A8B7C6D5E4F3A2B1C0D9E8F"

static void
test_doppel_parse_commit(void)
{
	static const char ok[] =
	    "{\"jsonrpc\":\"2.0\",\"id\":-1,\"result\":{\"signed_header\":"
	    "{\"header\":{},\"commit\":{\"height\":\"42\",\"round\":0,"
	    "\"signatures\":[{\"block_id_flag\":1,\"validator_address\":\"\","
	    "\"signature\":null},{\"block_id_flag\":2,\"validator_address\":"
	    "\"5e4b0a7b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f\",\"signature\":\"x\"}"
	    "]}},\"canonical\":true}}";
	static const char other[] =
	    "{\"result\":{\"signed_header\":{\"commit\":{\"height\":\"43\","
	    "\"signatures\":[{\"block_id_flag\":2,\"validator_address\":"
	    "\"AAAA\"},{\"block_id_flag\":1,\"validator_address\":\"" ADDR
	    "\"}]}}}}";
	static const char *const bad[] = {
	    "",
	    "[]",
	    "{\"result\":{}}",
	    "{\"result\":{\"signed_header\":{\"commit\":{\"height\":42,"
	    "\"signatures\":[]}}}}",
	    "{\"result\":{\"signed_header\":{\"commit\":{\"height\":\"-1\","
	    "\"signatures\":[]}}}}",
	    "{\"result\":{\"signed_header\":{\"commit\":{\"height\":\"4\","
	    "\"signatures\":{}}}}}",
	    "{\"result\":{\"signed_header\":{\"commit\":{\"height\":\"4\","
	    "\"signatures\":[1]}}}}",
	    "{\"result\":{\"signed_header\":{\"commit\":{\"height\":"
	    "\"99999999999999999999\",\"signatures\":[]}}}}",
	    "{\"result\":{\"signed_header\":{\"commit\":{\"height\":\"4\","
	    "\"signatures\":[",
	};
	uint64_t h = 0;
	bool seen = true;
	char err[128];

	CHECK(doppel_parse_commit(ok, strlen(ok), ADDR, &h, &seen, err,
	                          sizeof(err)) == 0);
	CHECK_EQ_INT(h, 42);
	CHECK(seen); /* case does not matter */
	CHECK(doppel_parse_commit(other, strlen(other), ADDR, &h, &seen, err,
	                          sizeof(err)) == 0);
	CHECK_EQ_INT(h, 43);
	CHECK(!seen); /* an absent vote is not a signature */
	static const char rpcerr[] =
	    "{\"jsonrpc\":\"2.0\",\"id\":-1,\"error\":{\"code\":-32603,"
	    "\"message\":\"height 50 must be less than or equal to 49\"}}";
	CHECK(doppel_parse_commit(rpcerr, strlen(rpcerr), ADDR, &h, &seen, err,
	                          sizeof(err)) == -EAGAIN);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECKF(doppel_parse_commit(bad[i], strlen(bad[i]), ADDR, &h,
		                           &seen, err, sizeof(err)) == -EBADMSG,
		       "bad[%zu]", i);
}

static void
test_doppel_addresses(void)
{
	static const char key[] =
	    "{\"address\":\"" ADDR "\",\"pub_key\":{},\"priv_key\":{}}";
	static const char status[] =
	    "{\"result\":{\"validator_info\":{\"address\":\"" ADDR "\"}}}";
	char a[DOPPEL_ADDR_MAX];

	CHECK(doppel_parse_key_address(key, strlen(key), a, sizeof(a)) == 0);
	CHECK_EQ_STR(a, ADDR);
	CHECK(doppel_parse_status_address(status, strlen(status), a,
	                                  sizeof(a)) == 0);
	CHECK_EQ_STR(a, ADDR);
	CHECK(doppel_parse_key_address("{\"address\":\"xyz\"}", 17, a,
	                               sizeof(a)) == -EBADMSG);
	CHECK(doppel_parse_key_address("{\"address\":\"\"}", 14, a,
	                               sizeof(a)) == -EBADMSG);
	CHECK(doppel_parse_key_address("nope", 4, a, sizeof(a)) == -EBADMSG);
	CHECK(doppel_parse_status_address("{}", 2, a, sizeof(a)) == -EBADMSG);
	CHECK(doppel_parse_key_address(key, strlen(key), a, 8) == -EBADMSG);
}

static void
test_doppel_watch(void)
{
	struct doppel d;

	doppel_start(&d, ADDR, 3, 100);
	CHECK_EQ_INT(doppel_next(&d), 101);
	CHECK(doppel_feed(&d, 100, false) == DOPPEL_MORE); /* not asked */
	CHECK_EQ_INT(doppel_next(&d), 101);
	CHECK(doppel_feed(&d, 101, false) == DOPPEL_MORE);
	CHECK(doppel_feed(&d, 102, false) == DOPPEL_MORE);
	CHECK(doppel_feed(&d, 103, false) == DOPPEL_CLEAR);
	doppel_start(&d, ADDR, 3, 100);
	CHECK(doppel_feed(&d, 101, false) == DOPPEL_MORE);
	CHECK(doppel_feed(&d, 102, true) == DOPPEL_SEEN);
	CHECK_EQ_INT(d.seen_at, 102);
}

/* ---- host health ---- */

static void
test_hostinfo_parsers(void)
{
	static const char mem[] = "MemTotal:        2000000 kB\n"
	                          "MemFree:          100000 kB\n"
	                          "MemAvailable:     500000 kB\n";
	uint32_t v = 7;

	CHECK(hostinfo_parse_meminfo(mem, strlen(mem), &v) == 0);
	CHECK_EQ_INT(v, 75);
	CHECK(hostinfo_parse_meminfo("MemTotal: 0 kB\nMemAvailable: 0 kB\n", 35,
	                             &v) == -EINVAL);
	CHECK(hostinfo_parse_meminfo("MemTotal: 10 kB\n", 16, &v) == -EINVAL);
	CHECK(hostinfo_parse_meminfo("MemTotal: 10 kB\nMemAvailable: 11 kB\n",
	                             36, &v) == -EINVAL);
	CHECK(hostinfo_parse_meminfo("MemTotal:\nMemAvailable: 1 kB\n", 29,
	                             &v) == -EINVAL);
	CHECK(hostinfo_parse_meminfo("", 0, &v) == -EINVAL);
	CHECK(hostinfo_parse_meminfo(
	          "MemTotal: 99999999999999999999999 kB\nMemAvailable: 1\n", 54,
	          &v) == -EINVAL);
	CHECK(hostinfo_parse_loadavg("0.42 0.30 0.25 1/123 4567\n", 26, &v) ==
	      0);
	CHECK_EQ_INT(v, 42);
	CHECK(hostinfo_parse_loadavg("12.5 1 1", 8, &v) == 0);
	CHECK_EQ_INT(v, 1250);
	CHECK(hostinfo_parse_loadavg("3 1 1", 5, &v) == 0);
	CHECK_EQ_INT(v, 300);
	CHECK(hostinfo_parse_loadavg("x", 1, &v) == -EINVAL);
	CHECK(hostinfo_parse_loadavg("", 0, &v) == -EINVAL);
	CHECK(hostinfo_parse_loadavg("1.2x", 4, &v) == -EINVAL);
	CHECK(hostinfo_parse_loadavg("12345678901234", 14, &v) == -EINVAL);
	CHECK(hostinfo_disk_used_pct("/", &v) == 0 && v <= 100);
	CHECK(hostinfo_disk_used_pct("/nonexistent/x", &v) == -ENOENT);
}

/* ---- the monitor's environment ---- */

static const char *const *envv;

static const char *
fake_getenv(const char *name)
{
	size_t n = strlen(name);

	for (const char *const *e = envv; *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static void
test_standalone_env(void)
{
	static const char *const env[] = {
	    "CONTAINER_NAME=aleph-node", "RPC_URL=wss://ws.azero.dev",
	    "CHECK_INTERVAL=30",         "BLOCK_LAG_20=25",
	    "BLOCK_LAG_100=150",         NULL};
	struct pilot_conf *c;
	char *text, err[512];

	envv = env;
	CHECK(standalone_env_present(fake_getenv));
	CHECK(standalone_conf_text(fake_getenv, &text, err, sizeof(err)) == 0);
	c = pilot_conf_load_string("environment", text, err, sizeof(err));
	CHECKF(c != NULL, "%s", err);
	free(text);
	if (c == NULL)
		return;
	CHECK_EQ_STR(c->pilot.name, "aleph-node");
	CHECK_EQ_INT(c->pilot.chain, CHAIN_SUBSTRATE);
	CHECK_EQ_INT(c->supervise.backend, PILOT_BACKEND_DOCKER);
	CHECK_EQ_STR(c->supervise.target, "aleph-node");
	CHECK_EQ_INT(c->reference.n, 1);
	CHECK_EQ_STR(c->reference.url[0], "https://ws.azero.dev");
	CHECK_EQ_INT(c->policy.check_interval_ms, 30000);
	/* the monitor restarted at MORE than its thresholds */
	CHECK_EQ_INT(c->policy.p.moderate_lag, 26);
	CHECK_EQ_INT(c->policy.p.severe_lag, 151);
	CHECK(c->height_from_logs && c->use_logrules);
	CHECK(!c->has_commander);
	pilot_conf_free(c);
}

static void
test_standalone_env_defaults_and_errors(void)
{
	static const char *const min[] = {"CONTAINER_NAME=n", NULL};
	static const char *const bad_num[] = {"CONTAINER_NAME=n",
	                                      "CHECK_INTERVAL=6O", NULL};
	static const char *const inject[] = {
	    "CONTAINER_NAME=n", "RPC_URL=http://x\n[commander]\nurl=tcp://e",
	    NULL};
	static const char *const none[] = {"RPC_URL=http://x", NULL};
	static const char *const order[] = {"CONTAINER_NAME=n",
	                                    "BLOCK_LAG_20=200", NULL};
	struct pilot_conf *c;
	char *text, err[512];

	envv = min;
	CHECK(standalone_conf_text(fake_getenv, &text, err, sizeof(err)) == 0);
	c = pilot_conf_load_string("environment", text, err, sizeof(err));
	free(text);
	CHECKF(c != NULL, "%s", err);
	if (c) {
		CHECK_EQ_INT(c->policy.check_interval_ms, 60000);
		CHECK_EQ_INT(c->policy.p.moderate_lag, 21);
		CHECK_EQ_INT(c->policy.p.severe_lag, 101);
		CHECK_EQ_INT(c->reference.n, 0);
		pilot_conf_free(c);
	}
	envv = bad_num;
	CHECK(standalone_conf_text(fake_getenv, &text, err, sizeof(err)) == -1);
	CHECK(strstr(err, "CHECK_INTERVAL") && strstr(err, "'6O'"));
	envv = inject;
	CHECK(standalone_conf_text(fake_getenv, &text, err, sizeof(err)) == -1);
	CHECK(strstr(err, "RPC_URL: control character") != NULL);
	envv = none;
	CHECK(!standalone_env_present(fake_getenv));
	envv = order;
	CHECK(standalone_conf_text(fake_getenv, &text, err, sizeof(err)) == 0);
	c = pilot_conf_load_string("environment", text, err, sizeof(err));
	free(text);
	CHECK(c == NULL);
	CHECK(strstr(err, "moderate_lag 201 must be below severe_lag 101") !=
	      NULL);
	pilot_conf_free(c);
}

/* ---- config ---- */

static void
test_conf_policy_defaults_are_the_policy_s(void)
{
	struct policy_conf want;
	struct pilot_conf *c;
	char err[256];

	c = pilot_conf_load_string(
	    "t", "[pilot]\nname = n\n[node]\nrpc_url = http://x\n", err,
	    sizeof(err));
	CHECKF(c != NULL, "%s", err);
	if (c == NULL)
		return;
	policy_conf_defaults(&want);
	CHECK(memcmp(&want, &c->policy.p, sizeof(want)) == 0);
	CHECK_EQ_INT(c->policy.check_interval_ms, POLICY_DEFAULT_CHECK_MS);
	CHECK_EQ_STR(c->http_url, "http://127.0.0.1:9618");
	CHECK_EQ_INT(c->supervise.backend, PILOT_BACKEND_NONE);
	CHECK(!c->use_logrules);
	pilot_conf_free(c);
}

static void
test_conf_errors(void)
{
	static const struct {
		const char *text, *want;
	} rows[] = {
	    {"[http]\nlisten = 0.0.0.0:9618\n",
	     "[http] listen: not a loopback address"},
	    {"[http]\nlisten = 9618\n",
	     "[http] listen: not [http://]HOST:PORT"},
	    {"[http]\nlisten = 127.0.0.1:70000\n",
	     "[http] listen: not [http://]HOST:PORT"},
	    {"[supervise]\nbackend = process\n",
	     "[supervise] command: required with backend = process"},
	    {"[supervise]\nbackend = process\ncommand = simnode\n",
	     "[supervise] command: a path, there is no PATH search 'simnode'"},
	    {"[supervise]\nbackend = docker\n",
	     "[supervise] target: required with backend = docker"},
	    {"[supervise]\ncommand = /bin/true\n",
	     "only with backend = process, not 'none'"},
	    {"[supervise]\nbackend = process\ncommand = /bin/x\nenv = FOO\n",
	     "t:8: env: not NAME=VALUE 'FOO'"},
	    {"[supervise]\nbackend = process\ncommand = /bin/x\n"
	     "log_max_size = 12Q\n",
	     "log_max_size: not a size"},
	    {"[policy]\nmoderate_lag = 100\nsevere_lag = 50\n",
	     "[policy] moderate_lag 100 must be below severe_lag 50"},
	    {"[policy]\nrule_stall = maybe\n", "rule_stall: not yes/no"},
	    {"[logrules]\nrule = produced: Prepared\n",
	     "[logrules]: set, but [supervise] backend = none reads no logs"},
	    {"[supervise]\nbackend = docker\ntarget = n\n[logrules]\n"
	     "rule = bogus: x\n",
	     "rule:"},
	    {"[signer]\nbackend = keyswap\n",
	     "[signer] backend: only for role = validator, not 'rpc'"},
	    {"[budget]\nfallback = maybe\n",
	     "fallback: not one of allow, deny"},
	};
	static const char base[] = "[pilot]\nname = n\n[node]\nrpc_url = "
	                           "http://127.0.0.1:1\n";

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char text[1024], err[512] = "";
		struct pilot_conf *c;

		snprintf(text, sizeof(text), "%s%s", base, rows[i].text);
		c = pilot_conf_load_string("t", text, err, sizeof(err));
		CHECKF(c == NULL && strstr(err, rows[i].want) != NULL,
		       "row %zu: got '%s', want '%s'", i, err, rows[i].want);
		pilot_conf_free(c);
	}
}

static void
test_conf_logs_give_the_height(void)
{
	struct pilot_conf *c;
	char err[256];

	/* no RPC: the imported height from the container's logs */
	c = pilot_conf_load_string("t",
	                           "[pilot]\nname = n\n[supervise]\n"
	                           "backend = docker\ntarget = n\n",
	                           err, sizeof(err));
	CHECKF(c != NULL, "%s", err);
	if (c) {
		CHECK(c->height_from_logs && c->use_logrules);
		CHECK(c->logrules.rules.n > 0);
		pilot_conf_free(c);
	}
	c = pilot_conf_load_string("t",
	                           "[pilot]\nname = n\n[supervise]\n"
	                           "backend = docker\ntarget = n\n"
	                           "[logrules]\ndefaults = no\n",
	                           err, sizeof(err));
	CHECK(c == NULL && strstr(err, "no 'imported' rule") != NULL);
	pilot_conf_free(c);
	c = pilot_conf_load_string("t", "[pilot]\nname = n\n", err,
	                           sizeof(err));
	CHECK(c == NULL && strstr(err, "[node] rpc_url: required") != NULL);
	pilot_conf_free(c);
}

/* ---- exposition ---- */

static void
test_expo(void)
{
	struct expo_view v = {0};
	struct prom_buf b = {0};

	v.node = "val \"1\"\n";
	v.chain = "cometbft";
	v.role = "validator";
	v.version = "0.1.0";
	v.checked = v.up = v.reachable = true;
	v.height = 9007199254740993ULL; /* above 2^53: exact */
	v.ref_height = 9007199254740995ULL;
	v.lag_known = true;
	v.lag = 2;
	v.moderate_lag = 20;
	v.action = POLICY_NONE;
	v.restarts_by_rule[POLICY_RULE_SEVERE_LAG] = 3;
	snprintf(v.decision, sizeof(v.decision), "none: in sync");
	CHECK(expo_healthy(&v));
	CHECK(expo_metrics(&v, &b) == 0);
	CHECK(strstr(b.data, "sextant_pilot_node_height 9007199254740993\n"));
	CHECK(strstr(b.data, "node=\"val \\\"1\\\"\\n\""));
	CHECK(strstr(
	    b.data, "sextant_pilot_restarts_total{reason=\"severe_lag\"} 3\n"));
	CHECK(strstr(b.data,
	             "sextant_pilot_restarts_total{reason=\"exited\"} 0\n"));
	CHECK(b.data[b.len - 1] == '\n');
	prom_buf_reset(&b);
	CHECK(expo_health_json(&v, &b) == 0);
	CHECK(strstr(b.data, "\"status\":\"ok\""));
	v.action = POLICY_CAPPED;
	CHECK(!expo_healthy(&v));
	v.action = POLICY_NONE;
	v.lag = 20;
	CHECK(!expo_healthy(&v));
	v.lag = 0;
	v.has_commander = true;
	CHECK(!expo_healthy(&v));
	v.commander_connected = true;
	CHECK(expo_healthy(&v));
	v.checked = false;
	CHECK(!expo_healthy(&v));
	prom_buf_free(&b);
}

static void
test_prom_buf_bound(void)
{
	struct prom_buf b = {.max = 64};

	for (int i = 0; i < 100; i++)
		prom_sample_u64(&b, "x_total", NULL, 0, (uint64_t)i);
	CHECK(b.failed);
	CHECK(b.len <= 64);
	prom_buf_free(&b);
}

int
main(void)
{
	RUN(test_gate_standalone_goes);
	RUN(test_gate_rows);
	RUN(test_gate_keeps_asking_from_first_want);
	RUN(test_doppel_parse_commit);
	RUN(test_doppel_addresses);
	RUN(test_doppel_watch);
	RUN(test_hostinfo_parsers);
	RUN(test_standalone_env);
	RUN(test_standalone_env_defaults_and_errors);
	RUN(test_conf_policy_defaults_are_the_policy_s);
	RUN(test_conf_errors);
	RUN(test_conf_logs_give_the_height);
	RUN(test_expo);
	RUN(test_prom_buf_bound);
	return TEST_END();
}
