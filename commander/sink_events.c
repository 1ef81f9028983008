/* sink_events.c: the channels that take structured events (PagerDuty Events
 * v2, a generic JSON webhook with an optional HMAC signature, Alertmanager
 * v2) and the log channel. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commander/sink.h"
#include "common/keys.h"
#include "common/util.h"

static const char *
pd_severity(enum event_severity s)
{
	return s == SEV_CRITICAL  ? "critical"
	       : s == SEV_WARNING ? "warning"
	                          : "info";
}

/* One alert per request: PagerDuty deduplicates on dedup_key. */
static int
pagerduty_format(const struct sink_conf *c, const struct alert *a, size_t n,
                 struct sink_req *out)
{
	char when[40], summary[1025];
	cJSON *root, *p, *d;

	if (n != 1)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	util_strlcpy(out->url, c->url, sizeof(out->url));
	if ((root = cJSON_CreateObject()) == NULL)
		return -ENOMEM;
	cJSON_AddStringToObject(root, "routing_key", c->token);
	cJSON_AddStringToObject(root, "event_action",
	                        a->kind == ALERT_RESOLVE ? "resolve"
	                                                 : "trigger");
	cJSON_AddStringToObject(root, "dedup_key", a->key);
	if (a->kind != ALERT_RESOLVE) {
		util_strlcpy(summary, a->summary, sizeof(summary));
		sink_cut_utf8(summary, 1024);
		p = cJSON_AddObjectToObject(root, "payload");
		cJSON_AddStringToObject(p, "summary", summary);
		cJSON_AddStringToObject(p, "source",
		                        a->node[0]    ? a->node
		                        : a->group[0] ? a->group
		                                      : a->network);
		cJSON_AddStringToObject(p, "severity",
		                        pd_severity(a->severity));
		cJSON_AddStringToObject(
		    p, "timestamp",
		    sink_rfc3339(a->started_ms, when, sizeof(when)));
		cJSON_AddStringToObject(p, "component", "sextant");
		if (a->network[0])
			cJSON_AddStringToObject(p, "group", a->network);
		cJSON_AddStringToObject(p, "class", alert_rule_str(a->rule));
		d = cJSON_AddObjectToObject(p, "custom_details");
		cJSON_AddStringToObject(d, "node", a->node);
		cJSON_AddStringToObject(d, "group", a->group);
		cJSON_AddStringToObject(d, "network", a->network);
	}
	cJSON_AddStringToObject(root, "client", "sextant");
	if (c->dashboard_url[0])
		cJSON_AddStringToObject(root, "client_url", c->dashboard_url);
	return sink_json_out(root, out);
}

static enum sink_outcome
generic_classify(long status, const char *body, size_t len, long ra,
                 uint64_t *retry_ms)
{
	return sink_classify_http(status, ra, retry_ms);
}

static cJSON *
alert_json(const struct alert *a)
{
	char when[40];
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(
	    o, "status", a->kind == ALERT_RESOLVE ? "resolved" : "firing");
	cJSON_AddStringToObject(o, "kind", alert_kind_str(a->kind));
	cJSON_AddStringToObject(o, "rule", alert_rule_str(a->rule));
	cJSON_AddStringToObject(o, "severity", event_severity_str(a->severity));
	cJSON_AddStringToObject(o, "dedup_key", a->key);
	cJSON_AddBoolToObject(o, "notice", a->notice);
	cJSON_AddStringToObject(o, "node", a->node);
	cJSON_AddStringToObject(o, "group", a->group);
	cJSON_AddStringToObject(o, "network", a->network);
	cJSON_AddStringToObject(o, "summary", a->summary);
	cJSON_AddStringToObject(
	    o, "started_at", sink_rfc3339(a->started_ms, when, sizeof(when)));
	if (a->kind == ALERT_RESOLVE)
		cJSON_AddStringToObject(
		    o, "ended_at",
		    sink_rfc3339(a->ended_ms, when, sizeof(when)));
	cJSON_AddStringToObject(o, "sent_at",
	                        sink_rfc3339(a->time_ms, when, sizeof(when)));
	return o;
}

static int
webhook_format(const struct sink_conf *c, const struct alert *a, size_t n,
               struct sink_req *out)
{
	cJSON *root, *arr;
	int rc;

	memset(out, 0, sizeof(*out));
	util_strlcpy(out->url, c->url, sizeof(out->url));
	if ((root = cJSON_CreateObject()) == NULL)
		return -ENOMEM;
	cJSON_AddNumberToObject(root, "version", 1);
	arr = cJSON_AddArrayToObject(root, "alerts");
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, alert_json(&a[i]));
	if ((rc = sink_json_out(root, out)) != 0)
		return rc;
	if (c->secret[0]) {
		char hex[65];

		keys_hmac_sha256_hex(c->secret, strlen(c->secret), out->body,
		                     out->len, hex);
		snprintf(out->headers[out->nheaders++], sizeof(out->headers[0]),
		         "X-Sextant-Signature: sha256=%s", hex);
	}
	return 0;
}

/*
 * Alertmanager identifies an alert by its labels; endsAt in the past
 * resolves it.  Active alerts must be re-sent (the router repeats them);
 * endsAt is left out while firing so Alertmanager's resolve_timeout ends
 * an alert whose commander went away.
 */
static int
alertmanager_format(const struct sink_conf *c, const struct alert *a, size_t n,
                    struct sink_req *out)
{
	char when[40];
	cJSON *arr;

	memset(out, 0, sizeof(*out));
	if ((size_t)snprintf(out->url, sizeof(out->url), "%s/api/v2/alerts",
	                     c->url) >= sizeof(out->url))
		return -EINVAL;
	if ((arr = cJSON_CreateArray()) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject(), *l, *an;
		const char *subject = a[i].node[0]    ? a[i].node
		                      : a[i].group[0] ? a[i].group
		                                      : a[i].network;

		cJSON_AddItemToArray(arr, o);
		l = cJSON_AddObjectToObject(o, "labels");
		cJSON_AddStringToObject(l, "alertname",
		                        alert_rule_str(a[i].rule));
		cJSON_AddStringToObject(l, "instance", subject);
		cJSON_AddStringToObject(l, "severity",
		                        event_severity_str(a[i].severity));
		cJSON_AddStringToObject(l, "source", "sextant");
		if (a[i].group[0])
			cJSON_AddStringToObject(l, "group", a[i].group);
		if (a[i].network[0])
			cJSON_AddStringToObject(l, "network", a[i].network);
		if (a[i].notice)
			cJSON_AddStringToObject(l, "dedup_key", a[i].key);
		an = cJSON_AddObjectToObject(o, "annotations");
		cJSON_AddStringToObject(an, "summary", a[i].summary);
		cJSON_AddStringToObject(
		    o, "startsAt",
		    sink_rfc3339(a[i].started_ms, when, sizeof(when)));
		if (a[i].kind == ALERT_RESOLVE || a[i].notice)
			cJSON_AddStringToObject(
			    o, "endsAt",
			    sink_rfc3339(a[i].kind == ALERT_RESOLVE
			                     ? a[i].ended_ms
			                     : a[i].time_ms + 300000,
			                 when, sizeof(when)));
		if (c->dashboard_url[0])
			cJSON_AddStringToObject(o, "generatorURL",
			                        c->dashboard_url);
	}
	return sink_json_out(arr, out);
}

/* The log channel never reaches the network: the worker logs the text. */
static int
log_format(const struct sink_conf *c, const struct alert *a, size_t n,
           struct sink_req *out)
{
	char text[8192];

	memset(out, 0, sizeof(*out));
	sink_render_text(a, n, text, sizeof(text));
	if ((out->body = strdup(text)) == NULL)
		return -ENOMEM;
	out->len = strlen(text);
	return 0;
}

const struct sink_ops sink_pagerduty_ops = {
    .type = SINK_PAGERDUTY,
    .name = "pagerduty",
    .max_batch = 1,
    .format = pagerduty_format,
    .classify = generic_classify,
};

const struct sink_ops sink_webhook_ops = {
    .type = SINK_WEBHOOK,
    .name = "webhook",
    .max_batch = 64,
    .format = webhook_format,
    .classify = generic_classify,
};

const struct sink_ops sink_alertmanager_ops = {
    .type = SINK_ALERTMANAGER,
    .name = "alertmanager",
    .max_batch = 64,
    .format = alertmanager_format,
    .classify = generic_classify,
};

const struct sink_ops sink_log_ops = {
    .type = SINK_LOG,
    .name = "log",
    .max_batch = 64,
    .format = log_format,
    .classify = generic_classify,
};
