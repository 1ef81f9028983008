/*
 * alert_worker_test: alerts through the whole path (rules, routing, the
 * SQLite queue, the delivery threads, HTTP) into loopback receivers that
 * play each service: the exact request shapes, 429 with each service's
 * own wait, 500, a hang, garbage, 400; fire -> deliver -> repeat ->
 * resolve; a commander restart with queued messages; silences; grouping;
 * the rate limit; and no secret in any log line or event.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

#include "commander/alerts.h"
#include "commander/store_alertq.h"
#include "common/http.h"
#include "common/keys.h"
#include "common/util.h"
#include "tests/test.h"
#include "tests/unit/loopback_recv.h"

static char tmpdir[64] = "/tmp/sxt-alertw.XXXXXX";
static char dbpath[128];
static uint64_t T0; /* an hour ago: queued messages are due at once */

/* ---- every log line, to look for secrets ---- */

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static char *logbuf;
static size_t loglen;

static void
capture(void *arg, enum log_level lvl, const char *line)
{
	size_t l = strlen(line);
	char *nb;

	pthread_mutex_lock(&log_mu);
	if ((nb = realloc(logbuf, loglen + l + 2)) != NULL) {
		logbuf = nb;
		memcpy(logbuf + loglen, line, l);
		loglen += l;
		logbuf[loglen++] = '\n';
		logbuf[loglen] = '\0';
	}
	pthread_mutex_unlock(&log_mu);
	if (getenv("ALERT_TEST_VERBOSE"))
		fprintf(stderr, "log: %s\n", line);
}

static bool
log_has(const char *s)
{
	bool r;

	pthread_mutex_lock(&log_mu);
	r = logbuf && strstr(logbuf, s) != NULL;
	pthread_mutex_unlock(&log_mu);
	return r;
}

static const char *const secrets[] = {
    "SECRETSLACKPATH",    "SECRET-TELEGRAM-TOKEN", "SECRETDISCORDTOKEN",
    "SECRETPDROUTINGKEY", "SECRETHOOKQUERY",       "hmac-SECRET-key",
    "SECRETAMPASS",
};

/* ---- configuration ---- */

static struct alerts_conf
base_conf(void)
{
	struct alerts_conf c;

	alert_conf_init(&c);
	for (int i = 0; i < AR__COUNT; i++)
		c.rules.rule[i].for_ms = 0;
	c.rules.repeat_ms = 2000;
	c.timeout_ms = 500;
	c.retry_min_ms = 100;
	c.retry_max_ms = 400;
	return c;
}

static struct sink_conf *
chan(struct alerts_conf *c, const char *name, enum sink_type t, int port,
     const char *path)
{
	struct sink_conf *s = alert_conf_open(c, name, NULL, 0);

	s->type = t;
	if (port)
		snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d%s", port,
		         path);
	return s;
}

static int
finish(struct alerts_conf *c)
{
	char err[256];
	int rc = alert_conf_finish(c, "test.ini", err, sizeof(err));

	if (rc)
		printf("  finish: %s\n", err);
	return rc;
}

static struct store *
open_store(void)
{
	struct store *s = NULL;
	char err[256];

	if (store_open(dbpath, &s, err, sizeof(err)) != 0)
		printf("  store_open: %s\n", err);
	return s;
}

static struct alerts *
start(const struct alerts_conf *c, struct store *s)
{
	struct alerts_params p = {
	    .conf = c, .store = s, .log = capture, .log_arg = NULL};
	struct alerts *a = NULL;
	char err[256];

	if (alerts_new(&p, &a, err, sizeof(err)) != 0)
		printf("  alerts_new: %s\n", err);
	return a;
}

/* ---- fleet snapshots ---- */

static struct fleet_node_view
node(const char *name, enum fleet_state state)
{
	struct fleet_node_view v;

	memset(&v, 0, sizeof(v));
	snprintf(v.name, sizeof(v.name), "%s", name);
	snprintf(v.group, sizeof(v.group), "grp-%s", name);
	snprintf(v.network, sizeof(v.network), "mainnet");
	v.state = state;
	v.connected = true;
	return v;
}

static int
tick1(struct alerts *a, const char *name, enum fleet_state st, uint64_t now)
{
	struct fleet_node_view v = node(name, st);

	return alerts_tick_snapshot(a, &v, 1, NULL, 0, now);
}

static uint64_t
delivered(struct store *s, const char *channel)
{
	struct store_alertq_stats qs;

	return store_alertq_stats(s, channel, &qs) == 0 ? qs.delivered : 0;
}

static bool
wait_delivered(struct store *s, const char *channel, uint64_t n,
               uint64_t timeout_ms)
{
	uint64_t until = lr_mono() + timeout_ms;

	while (delivered(s, channel) < n) {
		if (lr_mono() > until)
			return false;
		usleep(10000);
	}
	return true;
}

static cJSON *
body_json(struct lr *lr, size_t i)
{
	cJSON *j;

	pthread_mutex_lock(&lr->mu);
	j = i < lr->nreq ? cJSON_Parse(lr->req[i].body) : NULL;
	pthread_mutex_unlock(&lr->mu);
	return j;
}

static const char *
jstr(const cJSON *o, const char *path)
{
	/* "a.b.c" through objects */
	char buf[128], *save = NULL, *k;

	snprintf(buf, sizeof(buf), "%s", path);
	for (k = strtok_r(buf, ".", &save); k && o;
	     k = strtok_r(NULL, ".", &save))
		o = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(o) ? o->valuestring : NULL;
}

static bool
has_header(struct lr *lr, size_t i, const char *name, const char *want)
{
	char v[256];

	return lr_header(lr->req[i].headers, name, v, sizeof(v)) &&
	       (want == NULL || strcmp(v, want) == 0);
}

/* Poll until `want` alert events mention `what` (or the deadline). */
static size_t
delivery_events(struct store *s, const char *what, size_t want,
                uint64_t timeout_ms)
{
	uint64_t until = lr_mono() + timeout_ms;
	size_t hits;

	for (;;) {
		struct store_filter f = {.limit = 1000, .type = "alert"};
		struct event *ev = NULL;
		size_t n = 0;

		hits = 0;
		if (store_query(s, &f, &ev, &n) == 0)
			for (size_t i = 0; i < n; i++)
				hits += strstr(ev[i].message, what) != NULL;
		free(ev);
		if (hits >= want || lr_mono() > until)
			return hits;
		usleep(10000);
	}
}

/* ---- the services ---- */

enum { S_SLACK, S_TG, S_DISCORD, S_PD, S_HOOK, S_AM, S__N };
static struct lr rx[S__N];

static const char *const rx_body[S__N] = {
    [S_SLACK] = "ok",
    [S_TG] = "{\"ok\":true,\"result\":{\"message_id\":1}}",
    [S_DISCORD] = "",
    [S_PD] = "{\"status\":\"success\",\"message\":\"Event processed\"}",
    [S_HOOK] = "{}",
    [S_AM] = "",
};
static const int rx_status[S__N] = {200, 200, 204, 202, 200, 200};

static void
all_channels(struct alerts_conf *c)
{
	struct sink_conf *s;

	chan(c, "slack", SINK_SLACK, rx[S_SLACK].port,
	     "/services/T000/B000/SECRETSLACKPATH");
	s = chan(c, "tg", SINK_TELEGRAM, rx[S_TG].port, "");
	snprintf(s->token, sizeof(s->token), "123456:SECRET-TELEGRAM-TOKEN");
	snprintf(s->chat_id, sizeof(s->chat_id), "-100123");
	chan(c, "discord", SINK_DISCORD, rx[S_DISCORD].port,
	     "/api/webhooks/42/SECRETDISCORDTOKEN");
	s = chan(c, "pd", SINK_PAGERDUTY, rx[S_PD].port, "/v2/enqueue");
	snprintf(s->token, sizeof(s->token), "SECRETPDROUTINGKEY0123456789abc");
	s = chan(c, "hook", SINK_WEBHOOK, rx[S_HOOK].port,
	         "/hook?key=SECRETHOOKQUERY");
	snprintf(s->secret, sizeof(s->secret), "hmac-SECRET-key");
	chan(c, "am", SINK_ALERTMANAGER, rx[S_AM].port, "");
	chan(c, "log", SINK_LOG, 0, "");
}

static void
reset_receivers(void)
{
	for (int i = 0; i < S__N; i++) {
		lr_stop(&rx[i]);
		lr_start(&rx[i], 0, rx_status[i], rx_body[i]);
	}
}

/* Check the request shape of each service for one alert. */
static void
check_shapes(size_t i, const char *kind)
{
	bool resolve = strcmp(kind, "resolved") == 0;
	cJSON *j;
	const char *t;

	/* Slack: text + a section block, JSON */
	j = body_json(&rx[S_SLACK], i);
	CHECK(j != NULL);
	CHECK_EQ_STR(rx[S_SLACK].req[i].method, "POST");
	CHECK_EQ_STR(rx[S_SLACK].req[i].path,
	             "/services/T000/B000/SECRETSLACKPATH");
	CHECK(has_header(&rx[S_SLACK], i, "Content-Type", "application/json"));
	CHECK((t = jstr(j, "text")) != NULL && strstr(t, "node_down/val1"));
	CHECK(t && strstr(t, resolve                       ? "[RESOLVED]"
	                     : strcmp(kind, "repeat") == 0 ? "STILL FIRING"
	                                                   : "] FIRING"));
	{
		cJSON *b = cJSON_GetArrayItem(
		    cJSON_GetObjectItemCaseSensitive(j, "blocks"), 0);

		CHECK_EQ_STR(jstr(b, "type") ? jstr(b, "type") : "", "section");
		CHECK_EQ_STR(jstr(b, "text.type") ? jstr(b, "text.type") : "",
		             "mrkdwn");
	}
	cJSON_Delete(j);

	/* Telegram: /bot<token>/sendMessage, MarkdownV2 escaped */
	j = body_json(&rx[S_TG], i);
	CHECK(j != NULL);
	CHECK_EQ_STR(rx[S_TG].req[i].path,
	             "/bot123456:SECRET-TELEGRAM-TOKEN/sendMessage");
	CHECK_EQ_STR(jstr(j, "chat_id") ? jstr(j, "chat_id") : "", "-100123");
	CHECK_EQ_STR(jstr(j, "parse_mode") ? jstr(j, "parse_mode") : "",
	             "MarkdownV2");
	CHECK((t = jstr(j, "text")) != NULL && strstr(t, "node\\_down/val1"));
	/* every MarkdownV2 special outside the heading is escaped */
	for (const char *p = t ? strchr(t, '\n') : NULL; p && *p; p++)
		if (strchr("_*[]()~`>#+-=|{}.!", *p))
			CHECKF(p[-1] == '\\', "unescaped '%c' in %s", *p, t);
	CHECK(t && strlen(t) <= 4096);
	cJSON_Delete(j);

	/* Discord: content <= 2000, no mentions */
	j = body_json(&rx[S_DISCORD], i);
	CHECK(j != NULL);
	CHECK_EQ_STR(rx[S_DISCORD].req[i].path,
	             "/api/webhooks/42/SECRETDISCORDTOKEN");
	CHECK((t = jstr(j, "content")) != NULL && strlen(t) <= 2000 &&
	      strstr(t, "node_down/val1"));
	CHECK(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(j, "allowed_mentions"), "parse")));
	cJSON_Delete(j);

	/* PagerDuty Events v2: trigger/resolve on the dedup key */
	j = body_json(&rx[S_PD], i);
	CHECK(j != NULL);
	CHECK_EQ_STR(rx[S_PD].req[i].path, "/v2/enqueue");
	CHECK_EQ_STR(jstr(j, "routing_key") ? jstr(j, "routing_key") : "",
	             "SECRETPDROUTINGKEY0123456789abc");
	CHECK_EQ_STR(jstr(j, "event_action") ? jstr(j, "event_action") : "",
	             resolve ? "resolve" : "trigger");
	CHECK_EQ_STR(jstr(j, "dedup_key") ? jstr(j, "dedup_key") : "",
	             "node_down/val1");
	if (!resolve) {
		CHECK_EQ_STR(jstr(j, "payload.severity")
		                 ? jstr(j, "payload.severity")
		                 : "",
		             "critical");
		CHECK_EQ_STR(
		    jstr(j, "payload.source") ? jstr(j, "payload.source") : "",
		    "val1");
		CHECK(jstr(j, "payload.summary") != NULL);
		CHECK((t = jstr(j, "payload.timestamp")) != NULL &&
		      strlen(t) == 24 && t[23] == 'Z');
	}
	cJSON_Delete(j);

	/* webhook: HMAC-SHA256 of the exact body */
	{
		char hex[65], want[80];

		pthread_mutex_lock(&rx[S_HOOK].mu);
		keys_hmac_sha256_hex("hmac-SECRET-key", 15,
		                     rx[S_HOOK].req[i].body,
		                     rx[S_HOOK].req[i].len, hex);
		pthread_mutex_unlock(&rx[S_HOOK].mu);
		snprintf(want, sizeof(want), "sha256=%s", hex);
		CHECK(has_header(&rx[S_HOOK], i, "X-Sextant-Signature", want));
		CHECK_EQ_STR(rx[S_HOOK].req[i].path,
		             "/hook?key=SECRETHOOKQUERY");
		j = body_json(&rx[S_HOOK], i);
		t = jstr(cJSON_GetArrayItem(
		             cJSON_GetObjectItemCaseSensitive(j, "alerts"), 0),
		         "status");
		CHECK_EQ_STR(t ? t : "", resolve ? "resolved" : "firing");
		cJSON_Delete(j);
	}

	/* Alertmanager v2: an array of postableAlert */
	j = body_json(&rx[S_AM], i);
	CHECK(cJSON_IsArray(j));
	CHECK_EQ_STR(rx[S_AM].req[i].path, "/api/v2/alerts");
	{
		cJSON *al = cJSON_GetArrayItem(j, 0);

		CHECK_EQ_STR(jstr(al, "labels.alertname")
		                 ? jstr(al, "labels.alertname")
		                 : "",
		             "node_down");
		CHECK_EQ_STR(jstr(al, "labels.instance")
		                 ? jstr(al, "labels.instance")
		                 : "",
		             "val1");
		CHECK(jstr(al, "startsAt") != NULL);
		CHECK((jstr(al, "endsAt") != NULL) == resolve);
	}
	cJSON_Delete(j);
}

static void
test_fire_repeat_resolve_shapes(void)
{
	struct alerts_conf c = base_conf();
	struct store *s;
	struct alerts *a;
	const char *names[] = {"slack", "tg", "discord", "pd", "hook", "am"};

	reset_receivers();
	all_channels(&c);
	CHECK(finish(&c) == 0);
	CHECK((s = open_store()) != NULL);
	CHECK((a = start(&c, s)) != NULL);
	if (a == NULL)
		return;
	/* fire */
	CHECK(tick1(a, "val1", FLEET_DOWN, T0) == 0);
	for (int i = 0; i < S__N; i++)
		CHECKF(lr_wait(&rx[i], 1, 5000) == 1, "%s", names[i]);
	CHECK(wait_delivered(s, "log", 1, 5000));
	CHECK(log_has("alert: [critical] FIRING node_down/val1"));
	check_shapes(0, "firing");
	/* nothing new before the repeat interval */
	CHECK(tick1(a, "val1", FLEET_DOWN, T0 + 1000) == 0);
	/* repeat */
	CHECK(tick1(a, "val1", FLEET_DOWN, T0 + 2000) == 0);
	for (int i = 0; i < S__N; i++)
		CHECKF(lr_wait(&rx[i], 2, 5000) == 2, "%s", names[i]);
	check_shapes(1, "repeat");
	/* resolve */
	CHECK(tick1(a, "val1", FLEET_UP, T0 + 3000) == 0);
	for (int i = 0; i < S__N; i++)
		CHECKF(lr_wait(&rx[i], 3, 5000) == 3, "%s", names[i]);
	check_shapes(2, "resolved");
	CHECK(wait_delivered(s, "log", 3, 5000));
	CHECK(log_has("alert: [RESOLVED] node_down/val1"));
	for (int i = 0; i < S__N; i++) /* and nothing more */
		CHECKF(lr_count(&rx[i]) == 3, "%s", names[i]);
	/* each delivery is an event (recorded just after the answer) */
	CHECK(delivery_events(s, "delivered to pd", 3, 3000) == 3);
	alerts_free(a);
	store_close(s);
	unlink(dbpath);
}

/* A 429 with the service's own wait, then success: measure the gap. */
static void
one_429(int svc, enum sink_type type, const char *name, const char *headers,
        const char *body, uint64_t wait_ms)
{
	struct alerts_conf c = base_conf();
	struct store *s;
	struct alerts *a;
	struct sink_conf *sc;
	uint64_t gap;

	reset_receivers();
	c.retry_min_ms = 8000; /* a backoff would be far off the wait */
	c.retry_max_ms = 8000;
	sc = chan(&c, name, type, rx[svc].port, "/x");
	snprintf(sc->token, sizeof(sc->token), "123456:SECRET-TELEGRAM-TOKEN");
	snprintf(sc->chat_id, sizeof(sc->chat_id), "1");
	CHECK(finish(&c) == 0);
	lr_script(&rx[svc], LR_ANSWER, 429, headers, body);
	CHECK((s = open_store()) != NULL);
	CHECK((a = start(&c, s)) != NULL);
	CHECK(alerts_test(a, name, clock_wall_ms(), NULL) == 0);
	CHECK(lr_wait(&rx[svc], 2, wait_ms + 4000) == 2);
	CHECK(wait_delivered(s, name, 1, 2000));
	if (lr_count(&rx[svc]) >= 2) {
		gap = rx[svc].req[1].mono_ms - rx[svc].req[0].mono_ms;
		printf("  %s: 429 asked %" PRIu64 " ms, retried after %" PRIu64
		       " ms\n",
		       name, wait_ms, gap);
		CHECKF(gap >= wait_ms && gap < wait_ms + 1000,
		       "%s: gap %" PRIu64 " for a wait of %" PRIu64, name, gap,
		       wait_ms);
	}
	alerts_free(a);
	store_close(s);
	unlink(dbpath);
}

static void
test_429_respects_each_services_wait(void)
{
	/* Slack: the Retry-After header */
	one_429(S_SLACK, SINK_SLACK, "slack", "Retry-After: 1\r\n",
	        "rate_limited", 1000);
	/* Telegram: parameters.retry_after in the body, no header */
	one_429(S_TG, SINK_TELEGRAM, "tg", "",
	        "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many "
	        "Requests: retry after 2\",\"parameters\":{\"retry_after\":2}}",
	        2000);
	/* Discord: the body's float wins over the rounded header */
	one_429(S_DISCORD, SINK_DISCORD, "discord",
	        "Retry-After: 1\r\nX-RateLimit-Global: false\r\n",
	        "{\"message\":\"You are being rate limited.\",\"retry_after\":"
	        "1.5,\"global\":false}",
	        1500);
}

static void
test_500_hang_garbage_then_delivered(void)
{
	struct alerts_conf c = base_conf();
	struct store *s;
	struct alerts *a;
	char state[16], why[256];
	long status = -1;
	uint64_t id = 0;

	reset_receivers();
	chan(&c, "hook", SINK_WEBHOOK, rx[S_HOOK].port, "/h");
	CHECK(finish(&c) == 0);
	lr_script(&rx[S_HOOK], LR_ANSWER, 500, NULL, "boom");
	lr_script(&rx[S_HOOK], LR_HANG, 0, NULL, NULL);
	lr_script(&rx[S_HOOK], LR_GARBAGE, 0, NULL, NULL);
	CHECK((s = open_store()) != NULL);
	CHECK((a = start(&c, s)) != NULL);
	CHECK(alerts_test(a, "hook", clock_wall_ms(), &id) == 0);
	CHECK(lr_wait(&rx[S_HOOK], 4, 8000) == 4);
	CHECK(wait_delivered(s, "hook", 1, 3000));
	CHECK(alerts_message_state(a, id, state, sizeof(state), &status, why,
	                           sizeof(why)) == 0);
	CHECK_EQ_STR(state, "delivered");
	CHECK_EQ_INT(status, 200);
	{
		cJSON *j = alerts_json(a, clock_wall_ms()), *ch;

		ch = cJSON_GetArrayItem(
		    cJSON_GetObjectItemCaseSensitive(j, "channels"), 0);
		CHECK(cJSON_GetObjectItemCaseSensitive(ch, "retried") &&
		      cJSON_GetObjectItemCaseSensitive(ch, "retried")
		              ->valuedouble == 3);
		cJSON_Delete(j);
	}
	/* the same message each time: one id, four attempts */
	for (int i = 1; i < 4; i++)
		CHECK(strcmp(rx[S_HOOK].req[i].body, rx[S_HOOK].req[0].body) ==
		      0);
	CHECK(log_has("HTTP 500: boom; retry in"));
	CHECK(log_has("timeout after 500 ms"));
	alerts_free(a);
	store_close(s);
	unlink(dbpath);
}

static void
test_no_retry_on_400(void)
{
	struct alerts_conf c = base_conf();
	struct store *s;
	struct alerts *a;
	struct sink_conf *sc;
	char state[16], why[256];
	long status = 0;
	uint64_t id = 0;

	reset_receivers();
	sc = chan(&c, "pd", SINK_PAGERDUTY, rx[S_PD].port, "/v2/enqueue");
	snprintf(sc->token, sizeof(sc->token),
	         "SECRETPDROUTINGKEY0123456789abc");
	CHECK(finish(&c) == 0);
	lr_script(&rx[S_PD], LR_ANSWER, 400, NULL,
	          "{\"status\":\"invalid event\",\"message\":\"Event object "
	          "is invalid\",\"errors\":[\"routing_key SECRETPDROUTINGKEY"
	          "0123456789abc is unknown\"]}");
	CHECK((s = open_store()) != NULL);
	CHECK((a = start(&c, s)) != NULL);
	CHECK(alerts_test(a, "pd", clock_wall_ms(), &id) == 0);
	CHECK(lr_wait(&rx[S_PD], 1, 3000) == 1);
	/* failed is final: poll for it, then make sure nothing follows */
	for (int i = 0; i < 300; i++) {
		state[0] = '\0';
		alerts_message_state(a, id, state, sizeof(state), &status, why,
		                     sizeof(why));
		if (strcmp(state, "failed") == 0)
			break;
		usleep(10000);
	}
	CHECK_EQ_STR(state, "failed");
	CHECK_EQ_INT(status, 400);
	CHECK(strstr(why, "invalid event") != NULL);
	CHECK(strstr(why, "SECRETPDROUTINGKEY") == NULL);
	usleep(1000 * 1000);
	CHECK_EQ_INT(lr_count(&rx[S_PD]), 1);
	CHECK(delivery_events(s, "alert to pd failed: HTTP 400", 1, 3000) == 1);
	{
		struct store_filter f = {.limit = 100, .type = "alert"};
		struct event *ev = NULL;
		size_t n = 0;
		bool found = false;

		CHECK(store_query(s, &f, &ev, &n) == 0);
		for (size_t i = 0; i < n; i++)
			found |=
			    strstr(ev[i].details, "\"status\":400") != NULL;
		CHECK(found);
		free(ev);
	}
	alerts_free(a);
	store_close(s);
	unlink(dbpath);
}

/* Count requests whose body mentions s. */
static size_t
bodies_with(struct lr *lr, const char *s)
{
	size_t n = 0;

	pthread_mutex_lock(&lr->mu);
	for (size_t i = 0; i < lr->nreq; i++)
		n += strstr(lr->req[i].body, s) != NULL;
	pthread_mutex_unlock(&lr->mu);
	return n;
}

static void
test_restart_delivers_each_once(void)
{
	struct alerts_conf c = base_conf();
	struct fleet_node_view v[3] = {
	    node("va", FLEET_DOWN), node("vb", FLEET_UP), node("vc", FLEET_UP)};
	struct store *s;
	struct alerts *a;

	reset_receivers();
	c.retry_min_ms = c.retry_max_ms = 1500;
	c.rules.repeat_ms = 0;
	chan(&c, "hook", SINK_WEBHOOK, rx[S_HOOK].port, "/h");
	CHECK(finish(&c) == 0);
	CHECK((s = open_store()) != NULL);
	CHECK((a = start(&c, s)) != NULL);
	/* A is delivered before the restart */
	CHECK(alerts_tick_snapshot(a, v, 3, NULL, 0, T0) == 0);
	CHECK(wait_delivered(s, "hook", 1, 3000));
	/* the service goes down: B, C and a test message D queue up */
	rx[S_HOOK].dflt.status = 503;
	v[1].state = FLEET_DOWN;
	CHECK(alerts_tick_snapshot(a, v, 3, NULL, 0, T0 + 1000) == 0);
	v[2].state = FLEET_DOWN;
	CHECK(alerts_tick_snapshot(a, v, 3, NULL, 0, T0 + 2000) == 0);
	CHECK(alerts_test(a, "hook", T0 + 2500, NULL) == 0);
	CHECK(lr_wait(&rx[S_HOOK], 2, 3000) == 2); /* B tried, 503 */
	/* the commander stops */
	alerts_free(a);
	store_close(s);
	{
		struct store_alertq_stats qs;

		CHECK((s = open_store()) != NULL);
		CHECK(store_alertq_stats(s, "hook", &qs) == 0);
		CHECK_EQ_INT(qs.queued, 3);
		CHECK_EQ_INT(qs.delivered, 1);
	}
	/* ... and starts again, with the service back */
	rx[S_HOOK].dflt.status = 200;
	CHECK((a = start(&c, s)) != NULL);
	CHECK(wait_delivered(s, "hook", 4, 6000));
	usleep(1500 * 1000); /* nothing more may come */
	CHECK(bodies_with(&rx[S_HOOK], "node_down/va") == 1);
	CHECK(bodies_with(&rx[S_HOOK], "node_down/vb") == 2); /* 503, 200 */
	CHECK(bodies_with(&rx[S_HOOK], "node_down/vc") == 1);
	CHECK(bodies_with(&rx[S_HOOK], "\"rule\":\"test\"") == 1);
	CHECK_EQ_INT(lr_count(&rx[S_HOOK]), 5);
	/* in order: B, C, then D */
	if (lr_count(&rx[S_HOOK]) == 5) {
		CHECK(strstr(rx[S_HOOK].req[2].body, "node_down/vb"));
		CHECK(strstr(rx[S_HOOK].req[3].body, "node_down/vc"));
		CHECK(strstr(rx[S_HOOK].req[4].body, "\"rule\":\"test\""));
	}
	/* the engine's state survived: no re-fire, and resolves come */
	CHECK(alerts_tick_snapshot(a, v, 3, NULL, 0, T0 + 3000) == 0);
	usleep(300 * 1000);
	CHECK_EQ_INT(lr_count(&rx[S_HOOK]), 5);
	v[0].state = v[1].state = v[2].state = FLEET_UP;
	CHECK(alerts_tick_snapshot(a, v, 3, NULL, 0, T0 + 4000) == 0);
	CHECK(lr_wait(&rx[S_HOOK], 6, 3000) == 6);
	if (lr_count(&rx[S_HOOK]) >= 6) {
		const char *b = rx[S_HOOK].req[5].body;

		CHECK(strstr(b, "\"status\":\"resolved\"") &&
		      strstr(b, "node_down/va") && strstr(b, "node_down/vb") &&
		      strstr(b, "node_down/vc"));
	}
	alerts_free(a);
	store_close(s);
	unlink(dbpath);
}

static int
parse_sil(const char *body, struct alert_silence *out, char *err)
{
	return alerts_silence_parse(body, strlen(body), T0, out, err, 256);
}

static void
test_silences_and_grouping(void)
{
	struct alerts_conf c = base_conf();
	struct fleet_node_view v[3] = {node("val1", FLEET_DOWN),
	                               node("val2", FLEET_DOWN),
	                               node("val3", FLEET_DOWN)};
	struct alert_silence sil, *list = NULL;
	struct store *s;
	struct alerts *a;
	size_t n = 0;
	char err[256];

	reset_receivers();
	c.rules.repeat_ms = 0;
	chan(&c, "slack", SINK_SLACK, rx[S_SLACK].port, "/s");
	CHECK(finish(&c) == 0);
	CHECK((s = open_store()) != NULL);
	CHECK((a = start(&c, s)) != NULL);
	/* a silence from an API body */
	CHECK(parse_sil("{\"node\":\"val2\",\"duration\":\"1h\","
	                "\"comment\":\"disk swap\",\"author\":\"ops\"}",
	                &sil, err) == 0);
	CHECK(alerts_silence_add(a, &sil, T0, err, sizeof(err)) == 0);
	CHECK(sil.id > 0);
	CHECK(parse_sil("{\"duration\":\"1h\"}", &sil, err) == 0);
	CHECK(alerts_silence_add(a, &sil, T0, err, sizeof(err)) == -EINVAL);
	CHECK(parse_sil("{\"node\":\"x\"}", &sil, err) == -EINVAL);
	CHECK(parse_sil("[", &sil, err) == -EINVAL);
	CHECK(parse_sil("{\"node\":5,\"duration\":\"1h\"}", &sil, err) ==
	      -EINVAL);
	CHECK(parse_sil("{\"node\":\"x\",\"duration\":\"1y\"}", &sil, err) ==
	      -EINVAL);
	/* three down at once: one message, val2 held back */
	CHECK(alerts_tick_snapshot(a, v, 3, NULL, 0, T0) == 0);
	CHECK(lr_wait(&rx[S_SLACK], 1, 3000) == 1);
	usleep(200 * 1000);
	CHECK_EQ_INT(lr_count(&rx[S_SLACK]), 1);
	CHECK(strstr(rx[S_SLACK].req[0].body, "node_down/val1") &&
	      strstr(rx[S_SLACK].req[0].body, "node_down/val3") &&
	      !strstr(rx[S_SLACK].req[0].body, "node_down/val2"));
	/* the silence survives a restart */
	alerts_free(a);
	CHECK((a = start(&c, s)) != NULL);
	CHECK(alerts_silences(a, T0 + 1, &list, &n) == 0);
	CHECK(n == 1 && strcmp(list[0].node, "val2") == 0 &&
	      strcmp(list[0].author, "ops") == 0);
	CHECK(alerts_tick_snapshot(a, v, 3, NULL, 0, T0 + 1000) == 0);
	usleep(200 * 1000);
	CHECK_EQ_INT(lr_count(&rx[S_SLACK]), 1);
	/* deleted: val2 arrives at the next evaluation */
	CHECK(n == 1 && alerts_silence_del(a, list[0].id, T0 + 2000) == 0);
	CHECK(alerts_silence_del(a, 9999, T0 + 2000) == -ENOENT);
	CHECK(alerts_tick_snapshot(a, v, 3, NULL, 0, T0 + 2000) == 0);
	CHECK(lr_wait(&rx[S_SLACK], 2, 3000) == 2);
	if (lr_count(&rx[S_SLACK]) == 2)
		CHECK(strstr(rx[S_SLACK].req[1].body, "node_down/val2") &&
		      !strstr(rx[S_SLACK].req[1].body, "node_down/val1"));
	free(list);
	/* the API's view */
	{
		cJSON *j = alerts_json(a, T0 + 2000);
		char *t = cJSON_PrintUnformatted(j);

		CHECK(cJSON_GetArraySize(
		          cJSON_GetObjectItemCaseSensitive(j, "active")) == 3);
		CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
		          j, "silences")) == 0);
		CHECK(t && strstr(t, "\"name\":\"slack\""));
		free(t);
		cJSON_Delete(j);
	}
	alerts_free(a);
	store_close(s);
	unlink(dbpath);
}

static void
test_rate_limit(void)
{
	struct alerts_conf c = base_conf();
	struct store *s;
	struct alerts *a;
	struct sink_conf *sc;
	uint64_t span, first2;

	reset_receivers();
	sc = chan(&c, "slack", SINK_SLACK, rx[S_SLACK].port, "/s");
	sc->per_minute = 120; /* 2/s, a burst of 2 */
	CHECK(finish(&c) == 0);
	CHECK((s = open_store()) != NULL);
	CHECK((a = start(&c, s)) != NULL);
	for (int i = 0; i < 6; i++)
		CHECK(alerts_test(a, "slack", clock_wall_ms() + i, NULL) == 0);
	CHECK(lr_wait(&rx[S_SLACK], 6, 6000) == 6);
	if (lr_count(&rx[S_SLACK]) == 6) {
		first2 =
		    rx[S_SLACK].req[1].mono_ms - rx[S_SLACK].req[0].mono_ms;
		span = rx[S_SLACK].req[5].mono_ms - rx[S_SLACK].req[0].mono_ms;
		printf("  rate limit 120/min: burst gap %" PRIu64
		       " ms, 6 messages over %" PRIu64 " ms\n",
		       first2, span);
		CHECK(first2 < 400);
		CHECK(span >= 1900 && span < 3500);
		for (int i = 3; i < 6; i++) {
			uint64_t g = rx[S_SLACK].req[i].mono_ms -
			             rx[S_SLACK].req[i - 1].mono_ms;

			CHECKF(g >= 450, "gap %" PRIu64, g);
		}
	}
	alerts_free(a);
	store_close(s);
	unlink(dbpath);
}

static void
test_echoed_secrets_and_refused(void)
{
	struct alerts_conf c = base_conf();
	struct store *s;
	struct alerts *a;
	struct sink_conf *sc;
	int dead;

	reset_receivers();
	/* a port nobody listens on (a receiver started and stopped) */
	{
		struct lr tmp;

		lr_start(&tmp, 0, 200, "");
		dead = tmp.port;
		lr_stop(&tmp);
	}
	chan(&c, "slack", SINK_SLACK, rx[S_SLACK].port,
	     "/services/T000/B000/SECRETSLACKPATH");
	sc = chan(&c, "tg", SINK_TELEGRAM, dead, "");
	snprintf(sc->token, sizeof(sc->token), "123456:SECRET-TELEGRAM-TOKEN");
	snprintf(sc->chat_id, sizeof(sc->chat_id), "7");
	sc = chan(&c, "am", SINK_ALERTMANAGER, rx[S_AM].port, "");
	snprintf(sc->url, sizeof(sc->url),
	         "http://user:SECRETAMPASS@127.0.0.1:%d", rx[S_AM].port);
	CHECK(finish(&c) == 0);
	/* Slack's error echoes the webhook path back */
	lr_script(&rx[S_SLACK], LR_ANSWER, 404, NULL,
	          "channel_not_found for /services/T000/B000/SECRETSLACKPATH");
	lr_script(&rx[S_AM], LR_ANSWER, 400, NULL,
	          "bad alert from user:SECRETAMPASS");
	CHECK((s = open_store()) != NULL);
	CHECK((a = start(&c, s)) != NULL);
	CHECK(alerts_test(a, NULL, clock_wall_ms(), NULL) == 0);
	CHECK(lr_wait(&rx[S_SLACK], 1, 3000) == 1);
	CHECK(lr_wait(&rx[S_AM], 1, 3000) == 1);
	for (int i = 0; i < 300 && !log_has("channel_not_found"); i++)
		usleep(10000);
	for (int i = 0; i < 300 && !log_has("connection refused"); i++)
		usleep(10000);
	for (int i = 0; i < 300 && !log_has("bad alert from"); i++)
		usleep(10000);
	CHECK(log_has("channel_not_found for (redacted)"));
	CHECK(log_has("bad alert from user:(redacted)"));
	CHECK(log_has("connection refused"));
	alerts_free(a);
	store_close(s);
	unlink(dbpath);
}

/* Last: nothing any test logged or recorded holds a secret. */
static void
test_no_secret_in_logs_or_events(void)
{
	struct store *s;
	struct event *ev = NULL;
	size_t n = 0;

	pthread_mutex_lock(&log_mu);
	CHECK(loglen > 1000); /* the other tests did log */
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		CHECKF(logbuf == NULL || strstr(logbuf, secrets[i]) == NULL,
		       "%s logged", secrets[i]);
	pthread_mutex_unlock(&log_mu);
	/* the events of one more run through every channel */
	{
		struct alerts_conf c = base_conf();
		struct alerts *a;
		struct store_filter f = {.limit = 1000};

		reset_receivers();
		all_channels(&c);
		CHECK(finish(&c) == 0);
		lr_script(&rx[S_TG], LR_ANSWER, 400, NULL,
		          "{\"ok\":false,\"description\":\"bot123456:SECRET-"
		          "TELEGRAM-TOKEN bad\"}");
		CHECK((s = open_store()) != NULL);
		CHECK((a = start(&c, s)) != NULL);
		CHECK(tick1(a, "val1", FLEET_DOWN, T0) == 0);
		for (int i = 0; i < S__N; i++)
			lr_wait(&rx[i], 1, 3000);
		CHECK(wait_delivered(s, "pd", 1, 3000));
		usleep(300 * 1000);
		alerts_free(a);
		CHECK(store_query(s, &f, &ev, &n) == 0);
		CHECK(n > 5);
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0;
			     k < sizeof(secrets) / sizeof(*secrets); k++) {
				CHECKF(strstr(ev[i].message, secrets[k]) ==
				           NULL,
				       "event %s", ev[i].message);
				CHECKF(strstr(ev[i].details, secrets[k]) ==
				           NULL,
				       "event %s", ev[i].details);
			}
		free(ev);
		store_close(s);
	}
	pthread_mutex_lock(&log_mu);
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		CHECKF(strstr(logbuf, secrets[i]) == NULL, "%s logged",
		       secrets[i]);
	pthread_mutex_unlock(&log_mu);
}

int
main(void)
{
	int rc;

	if (mkdtemp(tmpdir) == NULL || http_init() != 0)
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/alerts.db", tmpdir);
	T0 = clock_wall_ms() - 3600 * 1000;
	for (int i = 0; i < S__N; i++)
		lr_start(&rx[i], 0, rx_status[i], rx_body[i]);
	RUN(test_fire_repeat_resolve_shapes);
	RUN(test_429_respects_each_services_wait);
	RUN(test_500_hang_garbage_then_delivered);
	RUN(test_no_retry_on_400);
	RUN(test_restart_delivers_each_once);
	RUN(test_silences_and_grouping);
	RUN(test_rate_limit);
	RUN(test_echoed_secrets_and_refused);
	RUN(test_no_secret_in_logs_or_events);
	for (int i = 0; i < S__N; i++)
		lr_stop(&rx[i]);
	rc = TEST_END();
	unlink(dbpath);
	{
		char p[160];

		snprintf(p, sizeof(p), "%s/alerts.db-wal", tmpdir);
		unlink(p);
		snprintf(p, sizeof(p), "%s/alerts.db-shm", tmpdir);
		unlink(p);
	}
	rmdir(tmpdir);
	free(logbuf);
	return rc;
}
