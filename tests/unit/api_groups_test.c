/*
 * api_groups_test: the failover endpoints over a real fleet, real groups
 * and a real store: listing, one group, switchover (auth, bad bodies,
 * refusals with their reason as 409, acceptance as 202), the ack-only
 * release with its confirmation, the lease holder in /api/v1/fleet and the
 * lease metrics, and the events the calls record.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "commander/api.h"
#include "commander/fleet.h"
#include "commander/groups.h"
#include "commander/store.h"
#include "common/http.h"
#include "common/util.h"
#include "tests/test.h"

#define WRITE_TOKEN "write-token-0123456789"
#define READ_TOKEN  "read-token-0123456789"

static const struct failover_params P = FAILOVER_DEFAULT_PARAMS;
static char dir[] = "/tmp/sextant-apigroups-test.XXXXXX";
static struct fleet *fl;
static struct groups *gs;
static struct store *st;
static struct api *api;
static struct event_list evs;

static void
beat(const char *node, uint64_t now)
{
	struct proto_heartbeat hb = {0};
	struct fleet_hb_result fr;
	struct proto_cmd cmd;

	hb.st.up = hb.st.reachable = true;
	hb.st.height = hb.st.ref_height = 500;
	fleet_heartbeat(fl, node, &hb, now, clock_wall_ms(), &fr, &evs);
	groups_heartbeat(gs, node, &hb, &fr, now, clock_wall_ms(), &cmd, &evs);
}

/* Both groups to a settled holder (a in g, c in h), epoch 1. */
static void
setup(void)
{
	static const char *const nodes[][2] = {
	    {"a", "g"}, {"b", "g"}, {"c", "h"}, {"d", "h"}};
	struct fleet_conf fc;
	struct groups_persist p[8];
	char err[256], path[300];
	uint64_t now = clock_mono_ms(), span = failover_lease_span(&P);
	size_t n = 0;

	fleet_conf_defaults(&fc);
	fc.interval_ms = 1000;
	fl = fleet_new(&fc, err, sizeof(err));
	gs = groups_new();
	groups_add(gs, "g", FO_MODE_LEASE, true, &P);
	groups_add(gs, "h", FO_MODE_ACK_ONLY, true, &P);
	for (size_t i = 0; i < 4; i++) {
		struct fleet_node_conf nc = {.role = "validator"};
		struct proto_hello hl = {.chain = CHAIN_COMETBFT,
		                         .role = ROLE_VALIDATOR,
		                         .network = "n-1"};

		util_strlcpy(nc.name, nodes[i][0], sizeof(nc.name));
		util_strlcpy(nc.group, nodes[i][1], sizeof(nc.group));
		nc.priority = i % 2 ? 5 : 10;
		CHECK(fleet_add_node(fl, &nc, err, sizeof(err)) == 0);
		CHECK(groups_add_member(gs, nodes[i][1], nodes[i][0],
		                        nc.priority) == 0);
		util_strlcpy(hl.node, nodes[i][0], sizeof(hl.node));
		util_strlcpy(hl.group, nodes[i][1], sizeof(hl.group));
		CHECK(fleet_hello(fl, &hl, now, clock_wall_ms(), &evs, err,
		                  sizeof(err)) == 0);
	}
	groups_start(gs, "g", NULL, now);
	groups_start(gs, "h", NULL, now);
	/* the groups' clock runs ahead of the wall: no waiting */
	now += span;
	for (size_t i = 0; i < 4; i++)
		beat(nodes[i][0], now);
	CHECK(groups_tick(gs, fl, now, clock_wall_ms(), &evs, p, 8, &n) == 0);
	CHECK_EQ_INT(n, 2);
	for (size_t i = 0; i < n; i++)
		groups_persisted(gs, &p[i], true, 0, &evs);
	for (size_t i = 0; i < 4; i++)
		beat(nodes[i][0], now + 10);
	snprintf(path, sizeof(path), "%s/events.db", dir);
	CHECK(store_open(path, &st, err, sizeof(err)) == 0);
	event_list_clear(&evs);
}

static void
start(void)
{
	struct api_deps deps = {
	    .fleet = fl, .store = st, .groups = gs, .version = "t"};
	struct api_conf c;
	char err[256];

	api_conf_defaults(&c);
	util_strlcpy(c.listen, "http://127.0.0.1:0", sizeof(c.listen));
	util_strlcpy(c.token, WRITE_TOKEN, sizeof(c.token));
	util_strlcpy(c.read_token, READ_TOKEN, sizeof(c.read_token));
	c.rate_per_s = 0;
	CHECK(api_conf_finish(&c, err, sizeof(err)) == 0);
	api = api_start(&c, &deps, err, sizeof(err));
	CHECKF(api != NULL, "%s", err);
}

struct reply {
	long status;
	cJSON *json;
	char *body;
};

static struct reply
call(const char *method, const char *path, const char *token, const char *body)
{
	char url[512], err[256];
	struct http_req q = {.method = method,
	                     .url = url,
	                     .bearer = token,
	                     .body = body,
	                     .body_len = body ? strlen(body) : 0,
	                     .timeout_ms = 5000};
	struct http_resp resp;
	struct reply r = {0};

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", api_port(api),
	         path);
	if (http_do(&q, &resp, err, sizeof(err)) != 0) {
		printf("  %s %s: %s\n", method, path, err);
		return r;
	}
	r.status = resp.status;
	r.body = resp.body;
	r.json = cJSON_ParseWithLength(resp.body, resp.len);
	return r;
}

static void
done(struct reply *r)
{
	cJSON_Delete(r->json);
	free(r->body);
}

static const char *
jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static double
jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static void
test_list_and_get(void)
{
	struct reply r = call("GET", "/api/v1/groups", READ_TOKEN, NULL);
	const cJSON *g;

	CHECK_EQ_INT(r.status, 200);
	g = cJSON_GetArrayItem(
	    cJSON_GetObjectItemCaseSensitive(r.json, "groups"), 0);
	CHECK_EQ_STR(jstr(g, "name"), "g");
	CHECK_EQ_STR(jstr(g, "holder"), "a");
	CHECK_EQ_STR(jstr(g, "phase"), "held");
	CHECK_EQ_STR(jstr(g, "mode"), "lease");
	CHECK(jnum(g, "epoch") == 1);
	CHECK(jnum(g, "expires_in_ms") > 0);
	CHECK_EQ_INT(
	    cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(g, "members")),
	    2);
	done(&r);
	r = call("GET", "/api/v1/groups", NULL, NULL);
	CHECK_EQ_INT(r.status, 401);
	done(&r);
	r = call("GET", "/api/v1/groups/h", READ_TOKEN, NULL);
	CHECK_EQ_INT(r.status, 200);
	CHECK_EQ_STR(jstr(r.json, "mode"), "ack-only");
	CHECK_EQ_STR(jstr(r.json, "holder"), "c");
	done(&r);
	r = call("GET", "/api/v1/groups/nope", READ_TOKEN, NULL);
	CHECK_EQ_INT(r.status, 404);
	done(&r);
	r = call("GET", "/api/v1/groups/g/extra", READ_TOKEN, NULL);
	CHECK_EQ_INT(r.status, 404);
	done(&r);
}

static void
test_fleet_and_metrics(void)
{
	struct reply r = call("GET", "/api/v1/fleet", READ_TOKEN, NULL);
	const cJSON *n;
	int holders = 0;

	CHECK_EQ_INT(r.status, 200);
	cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(r.json, "nodes"))
	{
		bool h = cJSON_IsTrue(
		    cJSON_GetObjectItemCaseSensitive(n, "lease_holder"));

		holders += h;
		if (strcmp(jstr(n, "name"), "a") == 0)
			CHECK(h && jnum(n, "group_epoch") == 1);
		if (strcmp(jstr(n, "name"), "b") == 0)
			CHECK(!h && strcmp(jstr(n, "group_holder"), "a") == 0);
	}
	CHECK_EQ_INT(holders, 2);
	CHECK_EQ_INT(cJSON_GetArraySize(
	                 cJSON_GetObjectItemCaseSensitive(r.json, "groups")),
	             2);
	done(&r);
	r = call("GET", "/metrics", READ_TOKEN, NULL);
	CHECK_EQ_INT(r.status, 200);
	CHECK(r.body && strstr(r.body, "sextant_lease_epoch{group=\"g\"} 1\n"));
	CHECK(
	    r.body &&
	    strstr(r.body, "sextant_lease_holder{group=\"g\",node=\"a\"} 1\n"));
	CHECK(
	    r.body &&
	    strstr(r.body, "sextant_lease_holder{group=\"g\",node=\"b\"} 0\n"));
	CHECK(r.body &&
	      strstr(r.body,
	             "sextant_lease_phase{group=\"h\",phase=\"held\"} 1\n"));
	done(&r);
}

static void
test_switchover(void)
{
	static const struct {
		const char *token, *body;
		long status;
		const char *err;
	} rows[] = {
	    {NULL, "{}", 401, ""},
	    {READ_TOKEN, "{}", 403, ""},
	    {WRITE_TOKEN, "[1]", 400, "not a JSON object"},
	    {WRITE_TOKEN, "{\"to\": 5}", 400, "to:"},
	    {WRITE_TOKEN, "{\"to\": \"zz\"}", 409, "not in the group"},
	    {WRITE_TOKEN, "{\"to\": \"a\"}", 409, "already holds"},
	};
	struct reply r;
	struct store_filter f = {.limit = 10, .type = "lease_change"};
	struct event *ev = NULL;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		r = call("POST", "/api/v1/groups/g/switchover", rows[i].token,
		         rows[i].body);
		CHECKF(r.status == rows[i].status &&
		           strstr(jstr(r.json, "error"), rows[i].err),
		       "row %zu: %ld %s", i, r.status, r.body);
		done(&r);
	}
	r = call("POST", "/api/v1/groups/nope/switchover", WRITE_TOKEN, "{}");
	CHECK_EQ_INT(r.status, 404);
	done(&r);
	r = call("POST", "/api/v1/groups/g/flip", WRITE_TOKEN, "{}");
	CHECK_EQ_INT(r.status, 404);
	done(&r);
	/* an empty body picks the best candidate */
	r = call("POST", "/api/v1/groups/g/switchover", WRITE_TOKEN, NULL);
	CHECKF(r.status == 202, "%ld %s", r.status, r.body);
	CHECK_EQ_STR(jstr(r.json, "phase"), "revoking");
	CHECK_EQ_STR(jstr(r.json, "candidate"), "b");
	CHECK(cJSON_IsTrue(
	    cJSON_GetObjectItemCaseSensitive(r.json, "switchover")));
	done(&r);
	r = call("POST", "/api/v1/groups/g/switchover", WRITE_TOKEN,
	         "{\"to\": \"b\"}");
	CHECK_EQ_INT(r.status, 409);
	done(&r);
	/* on record */
	CHECK(store_query(st, &f, &ev, &n) == 0);
	CHECK(n == 1 && strstr(ev[0].details, "\"step\":\"started\"") &&
	      strcmp(ev[0].group, "g") == 0);
	free(ev);
}

static void
test_release(void)
{
	static const struct {
		const char *path, *body;
		long status;
		const char *err;
	} rows[] = {
	    {"/api/v1/groups/h/release", "{}", 400, "confirm"},
	    {"/api/v1/groups/h/release", "{\"confirm\": \"g\"}", 400,
	     "confirm"},
	    {"/api/v1/groups/h/release", "{\"confirm\": true}", 400, "confirm"},
	    {"/api/v1/groups/g/release", "{\"confirm\": \"g\"}", 409,
	     "lease mode"},
	    {"/api/v1/groups/x/release", "{\"confirm\": \"x\"}", 404,
	     "no "
	     "group"},
	};
	struct reply r;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		r = call("POST", rows[i].path, WRITE_TOKEN, rows[i].body);
		CHECKF(r.status == rows[i].status &&
		           strstr(jstr(r.json, "error"), rows[i].err),
		       "row %zu: %ld %s", i, r.status, r.body);
		done(&r);
	}
	r = call("POST", "/api/v1/groups/h/release", READ_TOKEN,
	         "{\"confirm\": \"h\"}");
	CHECK_EQ_INT(r.status, 403);
	done(&r);
	r = call("POST", "/api/v1/groups/h/release", WRITE_TOKEN,
	         "{\"confirm\": \"h\"}");
	CHECKF(r.status == 200, "%ld %s", r.status, r.body);
	CHECK_EQ_STR(jstr(r.json, "holder"), "");
	done(&r);
	r = call("POST", "/api/v1/groups/h/release", WRITE_TOKEN,
	         "{\"confirm\": \"h\"}");
	CHECK_EQ_INT(r.status, 409);
	CHECK(strstr(jstr(r.json, "error"), "no holder") != NULL);
	done(&r);
}

int
main(void)
{
	char cmd[128];
	int rc;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	setup();
	start();
	if (api != NULL) {
		RUN(test_list_and_get);
		RUN(test_fleet_and_metrics);
		RUN(test_switchover);
		RUN(test_release);
	}
	api_stop(api);
	store_close(st);
	groups_free(gs);
	fleet_free(fl);
	event_list_free(&evs);
	http_thread_cleanup();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	rc = system(cmd);
	(void)rc;
	return TEST_END();
}
