/*
 * api_test: the commander's HTTP API in-process, over a real fleet model
 * and a real store in a temp dir, on loopback port 0, hit with libcurl
 * through common/http.h: every endpoint, auth (401/403, read token), the
 * rate limit (429), bad parameters (400), oversized bodies (413), 404/405,
 * SSE resume with Last-Event-ID, the stream cap, and a client that stops
 * reading without slowing anyone else down.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "commander/api.h"
#include "commander/budget.h"
#include "commander/events.h"
#include "commander/fleet.h"
#include "commander/store.h"
#include "common/http.h"
#include "common/http_stream.h"
#include "common/util.h"
#include "tests/test.h"

#define WRITE_TOKEN "write-token-0123456789"
#define READ_TOKEN  "read-token-0123456789"

static char tmpdir[256];
static struct fleet *fl;
static struct budget *bud;
static struct store *st;
static struct api *api; /* both tokens, no rate limit */
static char base[64];

/* ---- fixtures ---- */

static void
flush_events(struct event_list *evs)
{
	if (evs->n > 0)
		store_append_many(st, evs->v, evs->n, NULL);
	event_list_clear(evs);
}

static void
make_fleet(void)
{
	static const struct {
		const char *name, *group, *net;
		enum proto_role role;
		int behind; /* -1: down */
	} nodes[] = {
	    {"val1", "g1", "net-a", ROLE_VALIDATOR, 0},
	    {"val2", "g1", "net-a", ROLE_VALIDATOR, 0},
	    {"rpc1", "", "net-a", ROLE_RPC, 50},
	    {"odd \"name\"", "", "net-b", ROLE_RPC, -1},
	};
	struct event_list evs = {0};
	struct fleet_conf fc;
	char err[256];
	size_t i;
	int t;

	fleet_conf_defaults(&fc);
	fl = fleet_new(&fc, err, sizeof(err));
	for (i = 0; i < UTIL_NELEM(nodes); i++) {
		struct fleet_node_conf nc = {0};
		struct proto_hello h = {.role = nodes[i].role};

		util_strlcpy(nc.name, nodes[i].name, sizeof(nc.name));
		util_strlcpy(nc.group, nodes[i].group, sizeof(nc.group));
		util_strlcpy(nc.network, nodes[i].net, sizeof(nc.network));
		util_strlcpy(nc.role, proto_role_str(nodes[i].role),
		             sizeof(nc.role));
		fleet_add_node(fl, &nc, err, sizeof(err));
		util_strlcpy(h.node, nodes[i].name, sizeof(h.node));
		util_strlcpy(h.version, "test", sizeof(h.version));
		util_strlcpy(h.network, nodes[i].net, sizeof(h.network));
		util_strlcpy(h.group, nodes[i].group, sizeof(h.group));
		fleet_hello(fl, &h, clock_mono_ms(), clock_wall_ms(), &evs, err,
		            sizeof(err));
	}
	for (t = 0; t < 3; t++)
		for (i = 0; i < UTIL_NELEM(nodes); i++) {
			struct proto_heartbeat hb = {.seq = (uint64_t)t};
			struct fleet_hb_result res;
			uint64_t tip = 1000 + (uint64_t)t;

			hb.st.time_ms = clock_wall_ms();
			hb.st.up = hb.st.reachable = nodes[i].behind >= 0;
			hb.st.height = nodes[i].behind >= 0
			                   ? tip - (uint64_t)nodes[i].behind
			                   : 0;
			hb.st.height_seen_ms = clock_wall_ms();
			hb.st.ref_height = tip;
			hb.st.refs_ok = 1;
			hb.st.peers = 5;
			hb.st.peers_known = true;
			hb.st.signing = i == 0;
			hb.st.lease_epoch = i == 0 ? 3 : 0;
			fleet_heartbeat(fl, nodes[i].name, &hb, clock_mono_ms(),
			                clock_wall_ms(), &res, &evs);
		}
	{
		/* rpc1 holds a restart grant */
		struct budget_conf bc;
		struct budget_req br = {.node = "rpc1",
		                        .group = "",
		                        .network = "net-a",
		                        .reason = "lagging 50 blocks"};
		struct proto_cmd cmd;

		budget_conf_defaults(&bc);
		bud = budget_new(&bc);
		budget_request(bud, &br, clock_mono_ms(), clock_wall_ms(), &cmd,
		               &evs);
	}
	flush_events(&evs);
	event_list_free(&evs);
}

static struct api *
start_api(void (*tweak)(struct api_conf *))
{
	struct api_deps deps = {
	    .fleet = fl, .store = st, .budget = bud, .version = "t"};
	struct api_conf c;
	char err[256];
	struct api *a;

	api_conf_defaults(&c);
	util_strlcpy(c.listen, "http://127.0.0.1:0", sizeof(c.listen));
	util_strlcpy(c.token, WRITE_TOKEN, sizeof(c.token));
	util_strlcpy(c.read_token, READ_TOKEN, sizeof(c.read_token));
	c.rate_per_s = 0;
	c.max_body = 1024;
	c.keepalive_ms = 1000;
	if (tweak)
		tweak(&c);
	if (api_conf_finish(&c, err, sizeof(err)) != 0 ||
	    (a = api_start(&c, &deps, err, sizeof(err))) == NULL) {
		printf("  api_start: %s\n", err);
		return NULL;
	}
	return a;
}

/* ---- requests ---- */

struct reply {
	long status;
	char *body;
	long retry_after;
	cJSON *json;
};

static void
reply_free(struct reply *r)
{
	free(r->body);
	cJSON_Delete(r->json);
	memset(r, 0, sizeof(*r));
}

static int
req(int port, const char *method, const char *path, const char *bearer,
    const char *body, const char *const *headers, struct reply *out)
{
	char url[4096], err[256];
	struct http_req q = {.method = method,
	                     .url = url,
	                     .bearer = bearer,
	                     .body = body,
	                     .body_len = body ? strlen(body) : 0,
	                     .headers = headers,
	                     .timeout_ms = 5000};
	struct http_resp resp;
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	if ((rc = http_do(&q, &resp, err, sizeof(err))) != 0) {
		printf("  %s %s: %s\n", method, path, err);
		return rc;
	}
	out->status = resp.status;
	out->body = resp.body;
	out->retry_after = resp.retry_after_s;
	out->json = cJSON_ParseWithLength(resp.body, resp.len);
	return 0;
}

static struct reply
get(const char *path, const char *bearer)
{
	struct reply r;

	req(api_port(api), "GET", path, bearer, NULL, NULL, &r);
	return r;
}

static bool
is_error_json(const struct reply *r)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(r->json, "error");

	return cJSON_IsString(e) && e->valuestring[0] != '\0';
}

static const cJSON *
find_named(const cJSON *arr, const char *name)
{
	const cJSON *n;

	cJSON_ArrayForEach(n, arr)
	{
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(n, "name");

		if (cJSON_IsString(v) && strcmp(v->valuestring, name) == 0)
			return n;
	}
	return NULL;
}

/* ---- cases ---- */

static void
fleet_endpoint(void)
{
	struct reply r = get("/api/v1/fleet", READ_TOKEN);
	const cJSON *nodes, *v, *rpc, *nets;

	CHECK_EQ_INT(r.status, 200);
	nodes = cJSON_GetObjectItemCaseSensitive(r.json, "nodes");
	CHECK_EQ_INT(cJSON_GetArraySize(nodes), 4);
	v = find_named(nodes, "val1");
	CHECK(v != NULL);
	CHECK_EQ_STR(cJSON_GetObjectItem(v, "state")->valuestring, "up");
	CHECK_EQ_STR(cJSON_GetObjectItem(v, "role")->valuestring, "validator");
	CHECK_EQ_STR(cJSON_GetObjectItem(v, "group")->valuestring, "g1");
	CHECK(cJSON_GetObjectItem(v, "height")->valuedouble == 1002);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(v, "signing")));
	rpc = find_named(nodes, "rpc1");
	CHECK(rpc != NULL &&
	      cJSON_GetObjectItem(rpc, "lag")->valuedouble == 50);
	CHECK(find_named(nodes, "odd \"name\"") != NULL);
	nets = cJSON_GetObjectItemCaseSensitive(r.json, "networks");
	CHECK(find_named(nets, "net-a") != NULL);
	CHECK(find_named(nets, "net-b") != NULL);
	{
		const cJSON *g = cJSON_GetArrayItem(
		    cJSON_GetObjectItemCaseSensitive(r.json, "restart_grants"),
		    0);

		CHECK(g != NULL &&
		      strcmp(cJSON_GetObjectItem(g, "node")->valuestring,
		             "rpc1") == 0 &&
		      strcmp(cJSON_GetObjectItem(g, "reason")->valuestring,
		             "lagging 50 blocks") == 0);
	}
	reply_free(&r);
}

static void
node_endpoint(void)
{
	struct reply r = get("/api/v1/nodes/val1", READ_TOKEN);
	const cJSON *s;

	CHECK_EQ_INT(r.status, 200);
	CHECK_EQ_STR(cJSON_GetObjectItem(r.json, "name")->valuestring, "val1");
	s = cJSON_GetObjectItem(r.json, "status");
	CHECK(cJSON_IsObject(s) &&
	      cJSON_GetObjectItem(s, "height")->valuedouble == 1002);
	reply_free(&r);

	r = get("/api/v1/nodes/odd%20%22name%22", READ_TOKEN);
	CHECK_EQ_INT(r.status, 200);
	reply_free(&r);
	r = get("/api/v1/nodes/nope", READ_TOKEN);
	CHECK_EQ_INT(r.status, 404);
	CHECK(is_error_json(&r));
	reply_free(&r);
	r = get("/api/v1/nodes/", READ_TOKEN);
	CHECK_EQ_INT(r.status, 404);
	reply_free(&r);
	r = get("/api/v1/nodes/a/b", READ_TOKEN);
	CHECK_EQ_INT(r.status, 404);
	reply_free(&r);
	r = get("/api/v1/nodes/%zz", READ_TOKEN);
	CHECK_EQ_INT(r.status, 400);
	reply_free(&r);
	{
		char longp[3000] = "/api/v1/nodes/";

		memset(longp + strlen(longp), 'n', 2000);
		r = get(longp, READ_TOKEN);
		CHECK_EQ_INT(r.status, 414);
		CHECK(is_error_json(&r));
		reply_free(&r);
	}
}

static uint64_t
append_note(const char *node, const char *msg)
{
	struct event ev;
	uint64_t id = 0;

	event_make(&ev, clock_wall_ms(), EV_COMMANDER, SEV_INFO, node, "", "",
	           "%s", msg);
	store_append(st, &ev, &id);
	return id;
}

static void
events_query(void)
{
	uint64_t a = append_note("val2", "first"), b, last;
	struct reply r;
	const cJSON *evs, *e;
	char path[256];
	int n = 0;

	b = append_note("val2", "second");
	last = store_last_id(st);
	snprintf(path, sizeof(path),
	         "/api/v1/events?since=%" PRIu64 "&node=val2&type=commander",
	         a - 1);
	r = get(path, READ_TOKEN);
	CHECK_EQ_INT(r.status, 200);
	evs = cJSON_GetObjectItem(r.json, "events");
	cJSON_ArrayForEach(e, evs)
	{
		CHECK_EQ_STR(cJSON_GetObjectItem(e, "node")->valuestring,
		             "val2");
		n++;
	}
	CHECK_EQ_INT(n, 2);
	CHECK(cJSON_GetObjectItem(r.json, "next_since")->valuedouble ==
	      (double)b);
	CHECK(cJSON_GetObjectItem(r.json, "last_id")->valuedouble ==
	      (double)last);
	reply_free(&r);

	r = get("/api/v1/events?limit=1&newest=true", READ_TOKEN);
	CHECK_EQ_INT(r.status, 200);
	evs = cJSON_GetObjectItem(r.json, "events");
	CHECK_EQ_INT(cJSON_GetArraySize(evs), 1);
	CHECK(cJSON_GetArrayItem(evs, 0) &&
	      cJSON_GetObjectItem(cJSON_GetArrayItem(evs, 0), "id")
	              ->valuedouble == (double)last);
	reply_free(&r);

	r = get("/api/v1/events?type=state_change&limit=1000", READ_TOKEN);
	CHECK_EQ_INT(r.status, 200);
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(r.json, "events"))
	    CHECK_EQ_STR(cJSON_GetObjectItem(e, "type")->valuestring,
	                 "state_change");
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "events")) > 0);
	reply_free(&r);
}

static void
events_bad_params(void)
{
	static const char *const bad[] = {
	    "/api/v1/events?limit=0",
	    "/api/v1/events?limit=1001",
	    "/api/v1/events?limit=ten",
	    "/api/v1/events?limit=-1",
	    "/api/v1/events?since=abc",
	    "/api/v1/events?since=-5",
	    "/api/v1/events?since=99999999999999999999999",
	    "/api/v1/events?type=bogus",
	    "/api/v1/events?newest=maybe",
	    "/api/v1/events?nodes=val1",
	    "/api/v1/events?node=%zz",
	    "/api/v1/events?node=%00x",
	    "/api/v1/events?node="
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "a",
	    "/api/v1/events/stream?since=x",
	};
	size_t i;

	for (i = 0; i < UTIL_NELEM(bad); i++) {
		struct reply r = get(bad[i], READ_TOKEN);

		CHECKF(r.status == 400 && is_error_json(&r), "%s: %ld %s",
		       bad[i], r.status, r.body ? r.body : "");
		reply_free(&r);
	}
}

static void
metrics_endpoint(void)
{
	struct reply r = get("/metrics", READ_TOKEN);

	CHECK_EQ_INT(r.status, 200);
	CHECK(r.body && strstr(r.body, "sextant_node_up{node=\"val1\","
	                               "group=\"g1\",role=\"validator\","
	                               "network=\"net-a\"} 1\n"));
	CHECK(r.body && strstr(r.body, "node=\"odd \\\"name\\\"\""));
	CHECK(r.body && strstr(r.body, "# TYPE sextant_block_propagation_"
	                               "spread_seconds histogram\n"));
	CHECK(r.body && strstr(r.body, "sextant_fleet_reference_height{"
	                               "network=\"net-a\"} 1002\n"));
	CHECK(r.body && r.body[strlen(r.body) - 1] == '\n');
	reply_free(&r);
}

static void
healthz_and_dashboard(void)
{
	struct reply r = get("/healthz", NULL);

	CHECK_EQ_INT(r.status, 200);
	CHECK_EQ_STR(cJSON_GetObjectItem(r.json, "status")->valuestring, "ok");
	reply_free(&r);
	r = get("/", NULL);
	CHECK_EQ_INT(r.status, 200);
	CHECK(r.body && strstr(r.body, "<!doctype html>") == r.body);
	CHECK(r.body && strstr(r.body, "EventSource"));
	reply_free(&r);
}

static void
auth(void)
{
	const char *mark = "{\"message\":\"maintenance window\","
	                   "\"node\":\"val1\",\"severity\":\"warning\"}";
	struct reply r;
	int port = api_port(api);
	char path[128];
	const cJSON *e;

	r = get("/api/v1/fleet", NULL);
	CHECK_EQ_INT(r.status, 401);
	CHECK(is_error_json(&r));
	reply_free(&r);
	r = get("/api/v1/fleet", "wrong-token-0123456789");
	CHECK_EQ_INT(r.status, 401);
	reply_free(&r);
	r = get("/api/v1/fleet", WRITE_TOKEN);
	CHECK_EQ_INT(r.status, 200);
	reply_free(&r);
	r = get("/metrics", NULL);
	CHECK_EQ_INT(r.status, 401);
	reply_free(&r);
	r = get("/api/v1/fleet?access_token=" READ_TOKEN, NULL);
	CHECK_EQ_INT(r.status, 200);
	reply_free(&r);

	req(port, "POST", "/api/v1/events/mark", NULL, mark, NULL, &r);
	CHECK_EQ_INT(r.status, 401);
	reply_free(&r);
	req(port, "POST", "/api/v1/events/mark", READ_TOKEN, mark, NULL, &r);
	CHECK_EQ_INT(r.status, 403);
	CHECK(is_error_json(&r));
	reply_free(&r);
	/* a query token never authorises a write */
	req(port, "POST", "/api/v1/events/mark?access_token=" WRITE_TOKEN, NULL,
	    mark, NULL, &r);
	CHECK_EQ_INT(r.status, 401);
	reply_free(&r);
	req(port, "POST", "/api/v1/events/mark", WRITE_TOKEN, mark, NULL, &r);
	CHECKF(r.status == 201, "%ld %s", r.status, r.body ? r.body : "");
	if (cJSON_GetObjectItem(r.json, "id") == NULL) {
		CHECK(0);
		reply_free(&r);
		return;
	}
	snprintf(path, sizeof(path), "/api/v1/events?since=%.0f",
	         cJSON_GetObjectItem(r.json, "id")->valuedouble - 1);
	reply_free(&r);
	r = get(path, READ_TOKEN);
	e = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "events"), 0);
	CHECK(e != NULL);
	if (e != NULL) {
		const cJSON *d = cJSON_GetObjectItem(e, "details");

		CHECK_EQ_STR(cJSON_GetObjectItem(e, "message")->valuestring,
		             "note: maintenance window");
		CHECK_EQ_STR(cJSON_GetObjectItem(e, "severity")->valuestring,
		             "warning");
		CHECK_EQ_STR(cJSON_GetObjectItem(e, "node")->valuestring,
		             "val1");
		/* the remote address the rate limit keys on */
		CHECK(cJSON_IsObject(d) &&
		      strcmp(cJSON_GetObjectItem(d, "remote")->valuestring,
		             "127.0.0.1") == 0);
	}
	reply_free(&r);
}

static void
no_write_token(struct api_conf *c)
{
	c->token[0] = '\0';
	c->read_token[0] = '\0';
}

static void
writes_disabled(void)
{
	struct api *a = start_api(no_write_token);
	struct reply r;

	CHECK(a != NULL);
	if (a == NULL)
		return;
	req(api_port(a), "POST", "/api/v1/events/mark", "anything-at-all-123",
	    "{\"message\":\"x\"}", NULL, &r);
	CHECK_EQ_INT(r.status, 403);
	reply_free(&r);
	/* reads are open without a read token */
	req(api_port(a), "GET", "/api/v1/fleet", NULL, NULL, NULL, &r);
	CHECK_EQ_INT(r.status, 200);
	reply_free(&r);
	api_stop(a);
}

static void
bad_requests(void)
{
	int port = api_port(api);
	char big[2048];
	struct reply r;

	r = get("/nope", READ_TOKEN);
	CHECK_EQ_INT(r.status, 404);
	CHECK(is_error_json(&r));
	reply_free(&r);
	req(port, "DELETE", "/api/v1/fleet", WRITE_TOKEN, NULL, NULL, &r);
	CHECK_EQ_INT(r.status, 405);
	CHECK(is_error_json(&r));
	reply_free(&r);
	req(port, "GET", "/api/v1/events/mark", WRITE_TOKEN, NULL, NULL, &r);
	CHECK_EQ_INT(r.status, 405);
	reply_free(&r);

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	req(port, "POST", "/api/v1/events/mark", WRITE_TOKEN, big, NULL, &r);
	CHECK_EQ_INT(r.status, 413);
	CHECK(is_error_json(&r));
	reply_free(&r);
	req(port, "POST", "/api/v1/events/mark", WRITE_TOKEN, "{not json", NULL,
	    &r);
	CHECK_EQ_INT(r.status, 400);
	reply_free(&r);
	req(port, "POST", "/api/v1/events/mark", WRITE_TOKEN,
	    "{\"message\":\"\"}", NULL, &r);
	CHECK_EQ_INT(r.status, 400);
	reply_free(&r);
	req(port, "POST", "/api/v1/events/mark", WRITE_TOKEN,
	    "{\"message\":\"x\",\"node\":\"ghost\"}", NULL, &r);
	CHECK_EQ_INT(r.status, 400);
	reply_free(&r);
	req(port, "POST", "/api/v1/events/mark", WRITE_TOKEN,
	    "{\"message\":\"x\",\"severity\":\"loud\"}", NULL, &r);
	CHECK_EQ_INT(r.status, 400);
	reply_free(&r);
	/* the server still answers after all that */
	r = get("/healthz", NULL);
	CHECK_EQ_INT(r.status, 200);
	reply_free(&r);
}

static void
tight_rate(struct api_conf *c)
{
	c->rate_per_s = 2;
	c->rate_burst = 3;
}

static void
rate_limit(void)
{
	struct api *a = start_api(tight_rate);
	uint64_t deadline;
	struct reply r;
	int i, ok = 0;

	CHECK(a != NULL);
	if (a == NULL)
		return;
	for (i = 0; i < 3; i++) {
		req(api_port(a), "GET", "/healthz", NULL, NULL, NULL, &r);
		ok += r.status == 200;
		reply_free(&r);
	}
	CHECK_EQ_INT(ok, 3);
	req(api_port(a), "GET", "/healthz", NULL, NULL, NULL, &r);
	CHECK_EQ_INT(r.status, 429);
	CHECK(is_error_json(&r));
	CHECK(r.retry_after >= 1);
	reply_free(&r);
	/* the bucket refills at 2/s: a request gets through again soon */
	deadline = clock_mono_ms() + 3000;
	do {
		struct timespec ts = {0, 100 * 1000000L};

		nanosleep(&ts, NULL);
		req(api_port(a), "GET", "/healthz", NULL, NULL, NULL, &r);
		ok = r.status == 200;
		reply_free(&r);
	} while (!ok && clock_mono_ms() < deadline);
	CHECK(ok);
	api_stop(a);
}

/* ---- SSE ---- */

struct collect {
	uint64_t ids[64];
	int n, want;
	bool bad;
	bool started;
	struct http_sse sse;
};

static int
on_sse(void *arg, const struct http_sse_event *ev)
{
	struct collect *c = arg;
	cJSON *o = cJSON_ParseWithLength(ev->data, ev->data_len);
	uint64_t id = 0;

	if (util_parse_u64(ev->id, 1, UINT64_MAX, &id) != 0 || o == NULL ||
	    cJSON_GetObjectItem(o, "id") == NULL ||
	    cJSON_GetObjectItem(o, "id")->valuedouble != (double)id ||
	    strcmp(cJSON_GetObjectItem(o, "type")->valuestring, ev->event) != 0)
		c->bad = true;
	cJSON_Delete(o);
	if (c->n < 64)
		c->ids[c->n++] = id;
	return c->n >= c->want;
}

static int
on_bytes(void *arg, const char *p, size_t n)
{
	struct collect *c = arg;

	/* the first body bytes ("retry: ...") follow the stream's start */
	__atomic_store_n(&c->started, true, __ATOMIC_RELEASE);
	return http_sse_feed(&c->sse, p, n);
}

static int
stream(const char *query, const char *last_id, int want, struct collect *c)
{
	char url[256], hdr[64], err[256];
	const char *hdrs[2] = {hdr, NULL};
	struct http_stream_req q = {.url = url,
	                            .bearer = READ_TOKEN,
	                            .headers = last_id ? hdrs : NULL,
	                            .max_ms = 5000};
	long status;
	int rc;

	c->want = want; /* the caller zeroed *c */
	snprintf(url, sizeof(url), "%s/api/v1/events/stream%s", base, query);
	snprintf(hdr, sizeof(hdr), "Last-Event-ID: %s", last_id ? last_id : "");
	http_sse_init(&c->sse, 0, on_sse, c);
	rc = http_stream_get(&q, on_bytes, c, &status, err, sizeof(err));
	http_sse_free(&c->sse);
	if (rc != 0 || status != 200)
		printf("  stream: rc %d status %ld %s\n", rc, status, err);
	return rc == 0 && status == 200 ? 0 : -1;
}

static void
sse_resume(void)
{
	uint64_t first, ids[5];
	char last[32];
	struct collect c;
	int i;

	first = append_note("val1", "r0");
	for (i = 0; i < 5; i++)
		ids[i] = append_note("val1", "missed");
	/* the client saw `first`: exactly the five after it come back */
	snprintf(last, sizeof(last), "%" PRIu64, first);
	memset(&c, 0, sizeof(c));
	CHECK_EQ_INT(stream("", last, 5, &c), 0);
	CHECK_EQ_INT(c.n, 5);
	for (i = 0; i < c.n && i < 5; i++)
		CHECK_EQ_INT(c.ids[i], ids[i]);
	CHECK(!c.bad);
	/* the header wins over ?since= (a reconnecting browser) */
	snprintf(last, sizeof(last), "%" PRIu64, ids[3]);
	memset(&c, 0, sizeof(c));
	CHECK_EQ_INT(stream("?since=1", last, 1, &c), 0);
	CHECK(c.n == 1 && c.ids[0] == ids[4]);
	/* ?since= alone */
	snprintf(last, sizeof(last), "?since=%" PRIu64, ids[2]);
	memset(&c, 0, sizeof(c));
	CHECK_EQ_INT(stream(last, NULL, 2, &c), 0);
	CHECK(c.n == 2 && c.ids[0] == ids[3] && c.ids[1] == ids[4]);
}

struct live_arg {
	struct collect c;
	int rc;
};

static void *
live_reader(void *arg)
{
	struct live_arg *a = arg;

	a->rc = stream("", NULL, 2, &a->c);
	return NULL;
}

static int
streams_open(void)
{
	struct reply r = get("/metrics", READ_TOKEN);
	const char *p =
	    r.body ? strstr(r.body, "\nsextant_api_event_streams ") : NULL;
	int n = p ? atoi(p + strlen("\nsextant_api_event_streams ")) : -1;

	reply_free(&r);
	return n;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* With no Last-Event-ID a stream starts at "now" and delivers events
 * appended while it is open. */
static void
sse_live(void)
{
	struct live_arg a = {.rc = -1};
	uint64_t deadline = clock_mono_ms() + 3000, x, y;
	pthread_t t;

	pthread_create(&t, NULL, live_reader, &a);
	while (!__atomic_load_n(&a.c.started, __ATOMIC_ACQUIRE) &&
	       clock_mono_ms() < deadline)
		sleep_ms(20);
	x = append_note("rpc1", "live one");
	y = append_note("rpc1", "live two");
	pthread_join(t, NULL);
	CHECK_EQ_INT(a.rc, 0);
	CHECK(a.c.n == 2 && a.c.ids[0] == x && a.c.ids[1] == y);
	/* the client hung up: its stream is freed */
	deadline = clock_mono_ms() + 3000;
	while (streams_open() != 0 && clock_mono_ms() < deadline)
		sleep_ms(20);
	CHECK_EQ_INT(streams_open(), 0);
}

/* A raw TCP client that opens a stream and then does nothing. */
static int
raw_stream(int port, int rcvbuf)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons((uint16_t)port)};
	struct timeval tv = {3, 0};
	const char *rq = "GET /api/v1/events/stream HTTP/1.1\r\n"
	                 "Host: 127.0.0.1\r\n"
	                 "Authorization: Bearer " READ_TOKEN "\r\n\r\n";
	char buf[512];
	size_t got = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    write(fd, rq, strlen(rq)) != (ssize_t)strlen(rq)) {
		close(fd);
		return -1;
	}
	/* wait for the head: the stream is registered by then */
	while (got < sizeof(buf) - 1) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			return strncmp(buf, "HTTP/1.1 200", 12) == 0 ? fd : -1;
	}
	close(fd);
	return -1;
}

static void
two_streams(struct api_conf *c)
{
	c->max_streams = 2;
	c->write_timeout_ms = 500;
}

static void
stream_cap(void)
{
	struct api *a = start_api(two_streams);
	int f1, f2, f3, port;
	uint64_t deadline;
	struct reply r;

	CHECK(a != NULL);
	if (a == NULL)
		return;
	port = api_port(a);
	f1 = raw_stream(port, 0);
	f2 = raw_stream(port, 0);
	CHECK(f1 >= 0 && f2 >= 0);
	req(port, "GET", "/api/v1/events/stream", READ_TOKEN, NULL, NULL, &r);
	CHECK_EQ_INT(r.status, 503);
	CHECK(is_error_json(&r));
	reply_free(&r);
	/* a client leaving frees its slot */
	close(f1);
	deadline = clock_mono_ms() + 3000;
	f3 = -1;
	while (f3 < 0 && clock_mono_ms() < deadline) {
		sleep_ms(50);
		f3 = raw_stream(port, 0);
	}
	CHECK(f3 >= 0);
	close(f2);
	if (f3 >= 0)
		close(f3);
	api_stop(a);
}

/* A client that stops reading: its stream is dropped after the write
 * timeout, and meanwhile every other request is answered at once. */
static void
slow_client(void)
{
	struct api *a = start_api(two_streams);
	char msg[240], pad[900];
	struct event_list evs = {0};
	uint64_t t0, worst = 0, deadline;
	struct reply r;
	int fd, i, port, dropped = 0;

	CHECK(a != NULL);
	if (a == NULL)
		return;
	port = api_port(a);
	fd = raw_stream(port, 2048);
	CHECK(fd >= 0);
	/* more than the kernel's socket buffers hold (4 MiB send buffer):
	 * 4000 events of about 1.4 KB */
	memset(msg, 'x', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	memset(pad, 'p', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	for (i = 0; i < 4000; i++) {
		struct event *ev = event_list_add(&evs);

		event_make(ev, clock_wall_ms(), EV_COMMANDER, SEV_INFO, "val1",
		           "", "", "%s", msg);
		event_details(ev, "pad", pad, NULL);
		if (evs.n == 500) {
			store_append_many(st, evs.v, evs.n, NULL);
			event_list_clear(&evs);
		}
	}
	event_list_free(&evs);
	/* the pump formats 40 batches before the socket fills; on a loaded
	 * machine that alone took over 5 s */
	deadline = clock_mono_ms() + 20000;
	while (!dropped && clock_mono_ms() < deadline) {
		t0 = clock_mono_ms();
		req(port, "GET", "/healthz", NULL, NULL, NULL, &r);
		if (clock_mono_ms() - t0 > worst)
			worst = clock_mono_ms() - t0;
		CHECK_EQ_INT(r.status, 200);
		reply_free(&r);
		req(port, "GET", "/metrics", READ_TOKEN, NULL, NULL, &r);
		dropped =
		    r.body &&
		    strstr(r.body, "\nsextant_api_event_streams_dropped_total "
		                   "1\n") != NULL;
		reply_free(&r);
		sleep_ms(50);
	}
	CHECKF(dropped, "slow stream not dropped");
	/* under the 500 ms write timeout: no request waited for the stuck
	 * stream's write */
	CHECKF(worst < 450, "a request took %" PRIu64 " ms", worst);
	close(fd);
	api_stop(a);
}

/* ---- pure helpers ---- */

static void
token_compare(void)
{
	CHECK(api_token_equal("abc", "abc"));
	CHECK(!api_token_equal("abd", "abc"));
	CHECK(!api_token_equal("ab", "abc"));
	CHECK(!api_token_equal("abcd", "abc"));
	CHECK(!api_token_equal("", "abc"));
	CHECK(!api_token_equal("", ""));
	CHECK(!api_token_equal(NULL, "abc"));
	CHECK(!api_token_equal("abc", NULL));
}

static void
query_parsing(void)
{
	char b[16];

	CHECK_EQ_INT(api_query_get("a=1&b=x%20y+z", "b", b, sizeof(b)), 1);
	CHECK_EQ_STR(b, "x y z");
	CHECK_EQ_INT(api_query_get("a=1&ab=2", "b", b, sizeof(b)), 0);
	CHECK_EQ_INT(api_query_get("", "b", b, sizeof(b)), 0);
	CHECK_EQ_INT(api_query_get("b", "b", b, sizeof(b)), 1);
	CHECK_EQ_STR(b, "");
	CHECK_EQ_INT(api_query_get("b=%4", "b", b, sizeof(b)), -EINVAL);
	CHECK_EQ_INT(api_query_get("b=%g1", "b", b, sizeof(b)), -EINVAL);
	CHECK_EQ_INT(api_query_get("b=%00", "b", b, sizeof(b)), -EINVAL);
	CHECK_EQ_INT(api_query_get("b=0123456789abcdef", "b", b, sizeof(b)),
	             -ENOSPC);
	CHECK_EQ_INT(api_query_get("b=1&b=2", "b", b, sizeof(b)), 1);
	CHECK_EQ_STR(b, "1");
}

struct sse_log {
	char out[1024];
};

static int
sse_cb(void *arg, const struct http_sse_event *ev)
{
	struct sse_log *l = arg;
	size_t n = strlen(l->out);

	snprintf(l->out + n, sizeof(l->out) - n, "[%s|%s|%s]", ev->id,
	         ev->event, ev->data);
	return 0;
}

static void
sse_parser(void)
{
	const char *in = "\xef\xbb\xbf: comment\n"
	                 "retry: 10\n"
	                 "id: 1\r\nevent: a\r\ndata: x\r\ndata:y\r\n\r\n"
	                 "data: no event\r\r"
	                 "event: skip\n\n"
	                 "id: 7\nevent: b\ndata\n\n";
	struct sse_log whole = {""}, split = {""};
	struct http_sse p;
	size_t i;
	char big[300];

	http_sse_init(&p, 0, sse_cb, &whole);
	CHECK_EQ_INT(http_sse_feed(&p, in + 3, strlen(in) - 3), 0);
	http_sse_free(&p);
	CHECK_EQ_STR(whole.out, "[1|a|x\ny][1|message|no event][7|b|]");
	/* byte by byte: the same events */
	http_sse_init(&p, 0, sse_cb, &split);
	for (i = 3; in[i]; i++)
		CHECK_EQ_INT(http_sse_feed(&p, in + i, 1), 0);
	http_sse_free(&p);
	CHECK_EQ_STR(split.out, whole.out);
	/* a line over the bound is refused, not buffered */
	memset(big, 'd', sizeof(big));
	http_sse_init(&p, 100, sse_cb, &whole);
	CHECK_EQ_INT(http_sse_feed(&p, big, sizeof(big)), -EMSGSIZE);
	http_sse_free(&p);
	http_sse_free(NULL);
}

static int
write_file(const char *path, const char *s, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(s, f);
	fclose(f);
	return chmod(path, mode);
}

static void
conf_finish(void)
{
	struct api_conf c;
	char path[300], err[256];

	snprintf(path, sizeof(path), "%s/token", tmpdir);
	write_file(path, "  file-token-0123456789\n", 0600);
	api_conf_defaults(&c);
	util_strlcpy(c.token_file, path, sizeof(c.token_file));
	CHECK_EQ_INT(api_conf_finish(&c, err, sizeof(err)), 0);
	CHECK_EQ_STR(c.token, "file-token-0123456789");

	chmod(path, 0644);
	api_conf_defaults(&c);
	util_strlcpy(c.token_file, path, sizeof(c.token_file));
	CHECK_EQ_INT(api_conf_finish(&c, err, sizeof(err)), -1);
	CHECK(strstr(err, "token_file") != NULL);

	chmod(path, 0600);
	api_conf_defaults(&c);
	util_strlcpy(c.token_file, path, sizeof(c.token_file));
	util_strlcpy(c.token, "inline-token-0123456789", sizeof(c.token));
	CHECK_EQ_INT(api_conf_finish(&c, err, sizeof(err)), -1);

	api_conf_defaults(&c);
	util_strlcpy(c.token, "short", sizeof(c.token));
	CHECK_EQ_INT(api_conf_finish(&c, err, sizeof(err)), -1);
	CHECK(strstr(err, "too short") != NULL);

	api_conf_defaults(&c);
	util_strlcpy(c.listen, "tcp://127.0.0.1:1", sizeof(c.listen));
	CHECK_EQ_INT(api_conf_finish(&c, err, sizeof(err)), -1);
	CHECK(strstr(err, "tcp://127.0.0.1:1") != NULL);

	api_conf_defaults(&c);
	CHECK_EQ_INT(api_conf_finish(&c, err, sizeof(err)), 0);
	CHECK_EQ_STR(c.listen, "http://127.0.0.1:7401");
}

/* The [api] option table works with the shared config loader. */
static void
conf_table(void)
{
	static const struct conf_section sections[] = {
	    {.name = "api", .opts = api_conf_opts},
	    CONF_SECTIONS_END,
	};
	struct api_conf c;
	char err[256];

	memset(&c, 0, sizeof(c));
	CHECK_EQ_INT(conf_load_string("t.ini", "[api]\nrate_per_s = 5\n",
	                              sections, &c, err, sizeof(err)),
	             0);
	CHECK_EQ_STR(c.listen, "http://127.0.0.1:7401");
	CHECK_EQ_INT(c.rate_per_s, 5);
	CHECK_EQ_INT(c.rate_burst, 40);
	CHECK_EQ_INT(c.max_body, 65536);
	CHECK_EQ_INT(c.keepalive_ms, 15000);
	CHECK_EQ_INT(c.write_timeout_ms, 10000);
	CHECK_EQ_STR(c.token, "");

	memset(&c, 0, sizeof(c));
	setenv("SEXTANT_API_TOKEN", "env-token-0123456789", 1);
	CHECK_EQ_INT(conf_load_string("t.ini", "[api]\n", sections, &c, err,
	                              sizeof(err)),
	             0);
	unsetenv("SEXTANT_API_TOKEN");
	CHECK_EQ_STR(c.token, "env-token-0123456789");

	memset(&c, 0, sizeof(c));
	CHECK(conf_load_string("t.ini", "[api]\nrate = 5\n", sections, &c, err,
	                       sizeof(err)) != 0);
	CHECK(strstr(err, "t.ini:2") != NULL);
	memset(&c, 0, sizeof(c));
	CHECK(conf_load_string("t.ini", "[api]\nmax_body = 99999999\n",
	                       sections, &c, err, sizeof(err)) != 0);
}

int
main(void)
{
	char err[256], db[300];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/api_test.XXXXXX");
	if (mkdtemp(tmpdir) == NULL || http_init() != 0)
		return 1;
	snprintf(db, sizeof(db), "%s/events.db", tmpdir);
	if (store_open(db, &st, err, sizeof(err)) != 0) {
		printf("FAIL setup: %s\n", err);
		return 1;
	}
	make_fleet();
	if ((api = start_api(NULL)) == NULL) {
		printf("FAIL setup: api\n");
		return 1;
	}
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", api_port(api));

	RUN(fleet_endpoint);
	RUN(node_endpoint);
	RUN(events_query);
	RUN(events_bad_params);
	RUN(metrics_endpoint);
	RUN(healthz_and_dashboard);
	RUN(auth);
	RUN(writes_disabled);
	RUN(bad_requests);
	RUN(rate_limit);
	RUN(sse_resume);
	RUN(sse_live);
	RUN(stream_cap);
	RUN(slow_client);
	RUN(token_compare);
	RUN(query_parsing);
	RUN(sse_parser);
	RUN(conf_finish);
	RUN(conf_table);

	api_stop(api);
	store_close(st);
	fleet_free(fl);
	budget_free(bud);
	snprintf(db, sizeof(db), "rm -rf '%s'", tmpdir);
	if (system(db) != 0)
		printf("# could not remove %s\n", tmpdir);
	return TEST_END();
}
