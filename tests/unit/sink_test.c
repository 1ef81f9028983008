/* sink_test: the exact request each alert channel documents, escaping and
 * length limits, how answers are read, and that secrets stay out of logs. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>

#include "commander/sink.h"
#include "common/keys.h"
#include "tests/test.h"

static struct alert
mk(enum alert_kind k, const char *summary)
{
	struct alert a;

	memset(&a, 0, sizeof(a));
	a.kind = k;
	a.rule = AR_NODE_DOWN;
	a.severity = SEV_CRITICAL;
	snprintf(a.key, sizeof(a.key), "node_down/val1");
	snprintf(a.node, sizeof(a.node), "val1");
	snprintf(a.group, sizeof(a.group), "cosmos-val");
	snprintf(a.network, sizeof(a.network), "demo-1");
	snprintf(a.summary, sizeof(a.summary), "%s", summary);
	a.started_ms = 1700000000000ull;
	a.time_ms = 1700000060000ull;
	if (k == ALERT_RESOLVE)
		a.ended_ms = 1700000200000ull;
	return a;
}

static cJSON *
body_json(const struct sink_req *r)
{
	return cJSON_ParseWithLength(r->body, r->len);
}

static const char *
jstr(cJSON *o, const char *path)
{
	char buf[128], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && o;
	     tok = strtok_r(NULL, ".", &save))
		o = cJSON_IsArray(o) ? cJSON_GetArrayItem(o, atoi(tok))
		                     : cJSON_GetObjectItemCaseSensitive(o, tok);
	return cJSON_IsString(o) ? o->valuestring : NULL;
}

static void
test_slack(void)
{
	struct sink_conf c = {.type = SINK_SLACK,
	                      .url =
	                          "http://127.0.0.1:9/services/T0/B0/XSECRET"};
	struct alert a[2] = {mk(ALERT_FIRE, "val1 is down"),
	                     mk(ALERT_RESOLVE, "val1 is down")};
	struct sink_req r;
	cJSON *j;

	CHECK(sink_ops_for(SINK_SLACK)->format(&c, a, 2, &r) == 0);
	CHECK_EQ_STR(r.url, c.url);
	j = body_json(&r);
	CHECK(j != NULL);
	CHECK(strstr(jstr(j, "text"), "[critical] FIRING node_down/val1") !=
	      NULL);
	CHECK(strstr(jstr(j, "text"), "[RESOLVED] node_down/val1") != NULL);
	CHECK_EQ_STR(jstr(j, "blocks.0.type"), "section");
	CHECK_EQ_STR(jstr(j, "blocks.0.text.type"), "mrkdwn");
	cJSON_Delete(j);
	sink_req_free(&r);
}

static void
test_telegram_mdv2_and_limit(void)
{
	struct sink_conf c = {.type = SINK_TELEGRAM,
	                      .url = "http://127.0.0.1:9",
	                      .token = "123:ABC",
	                      .chat_id = "-100"};
	struct alert a[40];
	struct sink_req r;
	cJSON *j;
	const char *t;
	size_t chars = 0;

	for (int i = 0; i < 40; i++)
		a[i] =
		    mk(ALERT_FIRE, "val1_x *bold* [link](x) v1.2-3! "
		                   "\xc3\xa9\xc3\xa9\xc3\xa9 "
		                   "........................................"
		                   "........................................");
	CHECK(sink_ops_for(SINK_TELEGRAM)->format(&c, a, 40, &r) == 0);
	CHECK_EQ_STR(r.url, "http://127.0.0.1:9/bot123:ABC/sendMessage");
	j = body_json(&r);
	CHECK_EQ_STR(jstr(j, "chat_id"), "-100");
	CHECK_EQ_STR(jstr(j, "parse_mode"), "MarkdownV2");
	t = jstr(j, "text");
	CHECK(
	    strstr(t, "val1\\_x \\*bold\\* \\[link\\]\\(x\\) v1\\.2\\-3\\!") !=
	    NULL);
	/* every special character outside entities is escaped */
	for (const char *p = t; *p; p++) {
		if (*p == '\\') {
			p++;
			continue;
		}
		CHECKF(strchr("_[]()~`>#+-=|{}.!", *p) == NULL || (p - t) < 10,
		       "unescaped '%c' at %td", *p, p - t);
	}
	/* visible length (escapes do not count) within 4096 characters */
	for (const char *p = t; *p; p++) {
		if (*p == '\\')
			p++;
		if (((unsigned char)*p & 0xC0) != 0x80)
			chars++;
	}
	CHECKF(chars <= 4096, "%zu characters", chars);
	CHECK(chars > 3500); /* cut, not dropped */
	cJSON_Delete(j);
	sink_req_free(&r);
}

static void
test_telegram_html(void)
{
	struct sink_conf c = {.type = SINK_TELEGRAM,
	                      .url = "http://127.0.0.1:9",
	                      .token = "t",
	                      .chat_id = "1",
	                      .html = true};
	struct alert a = mk(ALERT_FIRE, "a<b & c>d");
	struct sink_req r;
	cJSON *j;

	CHECK(sink_ops_for(SINK_TELEGRAM)->format(&c, &a, 1, &r) == 0);
	j = body_json(&r);
	CHECK_EQ_STR(jstr(j, "parse_mode"), "HTML");
	CHECK(strstr(jstr(j, "text"), "a&lt;b &amp; c&gt;d") != NULL);
	CHECK(strstr(jstr(j, "text"), "<b>sextant</b>") != NULL);
	cJSON_Delete(j);
	sink_req_free(&r);
}

static void
test_discord_limit(void)
{
	struct sink_conf c = {.type = SINK_DISCORD,
	                      .url = "http://127.0.0.1:9/api/webhooks/1/tok"};
	struct alert a[16];
	struct sink_req r;
	cJSON *j;
	size_t chars = 0;

	for (int i = 0; i < 16; i++)
		a[i] = mk(ALERT_FIRE, "@everyone val1 is down and the text is "
		                      "long enough to overflow two thousand "
		                      "characters when sixteen are grouped");
	CHECK(sink_ops_for(SINK_DISCORD)->format(&c, a, 16, &r) == 0);
	j = body_json(&r);
	for (const char *p = jstr(j, "content"); *p; p++)
		chars += ((unsigned char)*p & 0xC0) != 0x80;
	CHECK(chars == 2000);
	CHECK(cJSON_IsArray(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(j, "allowed_mentions"), "parse")));
	cJSON_Delete(j);
	sink_req_free(&r);
}

static void
test_pagerduty(void)
{
	struct sink_conf c = {.type = SINK_PAGERDUTY,
	                      .url = "http://127.0.0.1:9/v2/enqueue",
	                      .token = "0123456789abcdef0123456789abcdef"};
	struct alert a = mk(ALERT_FIRE, "val1 is down");
	struct sink_req r;
	cJSON *j;

	CHECK(sink_ops_for(SINK_PAGERDUTY)->max_batch == 1);
	CHECK(sink_ops_for(SINK_PAGERDUTY)->format(&c, &a, 1, &r) == 0);
	j = body_json(&r);
	CHECK_EQ_STR(jstr(j, "routing_key"), c.token);
	CHECK_EQ_STR(jstr(j, "event_action"), "trigger");
	CHECK_EQ_STR(jstr(j, "dedup_key"), "node_down/val1");
	CHECK_EQ_STR(jstr(j, "payload.summary"), "val1 is down");
	CHECK_EQ_STR(jstr(j, "payload.source"), "val1");
	CHECK_EQ_STR(jstr(j, "payload.severity"), "critical");
	CHECK_EQ_STR(jstr(j, "payload.timestamp"), "2023-11-14T22:13:20.000Z");
	cJSON_Delete(j);
	sink_req_free(&r);
	a = mk(ALERT_RESOLVE, "val1 is down");
	CHECK(sink_ops_for(SINK_PAGERDUTY)->format(&c, &a, 1, &r) == 0);
	j = body_json(&r);
	CHECK_EQ_STR(jstr(j, "event_action"), "resolve");
	CHECK_EQ_STR(jstr(j, "dedup_key"), "node_down/val1");
	CHECK(cJSON_GetObjectItem(j, "payload") == NULL);
	cJSON_Delete(j);
	sink_req_free(&r);
	CHECK(sink_ops_for(SINK_PAGERDUTY)->format(&c, &a, 2, &r) == -EINVAL);
}

static void
test_webhook_hmac(void)
{
	struct sink_conf c = {.type = SINK_WEBHOOK,
	                      .url = "http://127.0.0.1:9/hook",
	                      .secret = "s3cret"};
	struct alert a = mk(ALERT_FIRE, "val1 is down");
	struct sink_req r;
	char want[65], hdr[128];
	cJSON *j;

	keys_init();
	CHECK(sink_ops_for(SINK_WEBHOOK)->format(&c, &a, 1, &r) == 0);
	keys_hmac_sha256_hex("s3cret", 6, r.body, r.len, want);
	snprintf(hdr, sizeof(hdr), "X-Sextant-Signature: sha256=%s", want);
	CHECK(r.nheaders == 1);
	CHECK_EQ_STR(r.headers[0], hdr);
	j = body_json(&r);
	CHECK_EQ_STR(jstr(j, "alerts.0.status"), "firing");
	CHECK_EQ_STR(jstr(j, "alerts.0.dedup_key"), "node_down/val1");
	CHECK_EQ_STR(jstr(j, "alerts.0.started_at"),
	             "2023-11-14T22:13:20.000Z");
	cJSON_Delete(j);
	sink_req_free(&r);
	/* a known HMAC-SHA256 vector (RFC 4231 test case 2) */
	keys_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28,
	                     want);
	CHECK_EQ_STR(want, "5bdcc146bf60754e6a042426089575c75a003f089d2739839d"
	                   "ec58b964ec3843");
}

static void
test_alertmanager(void)
{
	struct sink_conf c = {.type = SINK_ALERTMANAGER,
	                      .url = "http://127.0.0.1:9093"};
	struct alert a[2] = {mk(ALERT_FIRE, "down"), mk(ALERT_RESOLVE, "down")};
	struct sink_req r;
	cJSON *j;

	CHECK(sink_ops_for(SINK_ALERTMANAGER)->format(&c, a, 2, &r) == 0);
	CHECK_EQ_STR(r.url, "http://127.0.0.1:9093/api/v2/alerts");
	j = body_json(&r);
	CHECK(cJSON_IsArray(j) && cJSON_GetArraySize(j) == 2);
	CHECK_EQ_STR(jstr(j, "0.labels.alertname"), "node_down");
	CHECK_EQ_STR(jstr(j, "0.labels.instance"), "val1");
	CHECK_EQ_STR(jstr(j, "0.labels.severity"), "critical");
	CHECK_EQ_STR(jstr(j, "0.annotations.summary"), "down");
	CHECK(jstr(j, "0.endsAt") == NULL); /* firing: open-ended */
	CHECK_EQ_STR(jstr(j, "1.endsAt"), "2023-11-14T22:16:40.000Z");
	cJSON_Delete(j);
	sink_req_free(&r);
}

static void
test_classify_rows(void)
{
	static const struct {
		enum sink_type t;
		long status, ra;
		const char *body;
		enum sink_outcome want;
		uint64_t ms;
	} rows[] = {
	    {SINK_SLACK, 200, -1, "ok", SINK_DELIVERED, 0},
	    {SINK_DISCORD, 204, -1, "", SINK_DELIVERED, 0},
	    {SINK_SLACK, 429, 30, "", SINK_RETRY, 30000},
	    {SINK_SLACK, 500, -1, "rollup_error", SINK_RETRY, 0},
	    {SINK_SLACK, 0, -1, "", SINK_RETRY, 0},
	    {SINK_SLACK, 400, -1, "invalid_payload", SINK_FAILED, 0},
	    {SINK_SLACK, 404, -1, "channel_not_found", SINK_FAILED, 0},
	    {SINK_TELEGRAM, 429, -1,
	     "{\"ok\":false,\"error_code\":429,\"parameters\":"
	     "{\"retry_after\":15}}",
	     SINK_RETRY, 15000},
	    {SINK_TELEGRAM, 429, -1, "garbage", SINK_RETRY, 0},
	    {SINK_TELEGRAM, 400, -1, "{\"ok\":false}", SINK_FAILED, 0},
	    {SINK_DISCORD, 429, 65,
	     "{\"message\":\"You are being rate limited.\","
	     "\"retry_after\":64.57,\"global\":false}",
	     SINK_RETRY, 64570},
	    {SINK_DISCORD, 429, -1, "{\"retry_after\":-5}", SINK_RETRY, 0},
	    {SINK_PAGERDUTY, 202, -1, "{\"status\":\"success\"}",
	     SINK_DELIVERED, 0},
	    {SINK_PAGERDUTY, 400, -1, "{\"status\":\"invalid event\"}",
	     SINK_FAILED, 0},
	    {SINK_ALERTMANAGER, 503, 2, "", SINK_RETRY, 2000},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t ms = 12345;
		enum sink_outcome o = sink_ops_for(rows[i].t)->classify(
		    rows[i].status, rows[i].body, strlen(rows[i].body),
		    rows[i].ra, &ms);

		CHECKF(o == rows[i].want, "row %zu outcome %d", i, o);
		CHECKF(o != SINK_RETRY || ms == rows[i].ms,
		       "row %zu retry %llu", i, (unsigned long long)ms);
	}
}

static void
test_filters_and_redaction(void)
{
	struct sink_conf c = {.min_severity = SEV_WARNING, .group = "g1"};
	struct alert a = mk(ALERT_FIRE, "x");
	char buf[128];

	snprintf(a.group, sizeof(a.group), "g1");
	CHECK(sink_accepts(&c, &a));
	a.severity = SEV_INFO;
	CHECK(!sink_accepts(&c, &a));
	a.severity = SEV_CRITICAL;
	snprintf(a.group, sizeof(a.group), "g2");
	CHECK(!sink_accepts(&c, &a));
	CHECK_EQ_STR(sink_redact("https://hooks.slack.com/services/T/B/X", buf,
	                         sizeof(buf)),
	             "https://hooks.slack.com/…");
	CHECK_EQ_STR(sink_redact("http://u:pw@127.0.0.1:9/bot123:tok/send", buf,
	                         sizeof(buf)),
	             "http://127.0.0.1:9/…");
	CHECK(strstr(sink_redact("junk", buf, sizeof(buf)), "junk") == NULL);
}

static void
test_escape_edges(void)
{
	char out[8], s[16];

	/* never cut in the middle of an escape */
	CHECK(sink_escape_mdv2("a.b.c.d", out, sizeof(out)) == 6);
	CHECK(out[5] != '\\');
	snprintf(s, sizeof(s), "\xc3\xa9\xc3\xa9x");
	CHECK(sink_cut_utf8(s, 1) == 2 && strcmp(s, "\xc3\xa9") == 0);
	CHECK(sink_escape_html("&&&", out, sizeof(out)) == 5);
	CHECK_EQ_STR(out, "&amp;");
}

int
main(void)
{
	RUN(test_slack);
	RUN(test_telegram_mdv2_and_limit);
	RUN(test_telegram_html);
	RUN(test_discord_limit);
	RUN(test_pagerduty);
	RUN(test_webhook_hmac);
	RUN(test_alertmanager);
	RUN(test_classify_rows);
	RUN(test_filters_and_redaction);
	RUN(test_escape_edges);
	return TEST_END();
}
