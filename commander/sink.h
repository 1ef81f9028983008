/*
 * sink.h: alert channels, one const struct sink_ops each (Slack, Telegram,
 * Discord, PagerDuty Events v2, a generic JSON webhook, Alertmanager v2).
 * PURE: a sink turns a batch of alerts into an HTTP request and an HTTP
 * answer into an outcome; the delivery worker does the I/O through
 * common/http.h.  Every base URL is configurable so tests aim at loopback.
 * Tokens, routing keys and webhook URLs are secrets: never logged, and
 * sink_redact() gives a URL fit for logs.
 */
#ifndef SEXTANT_COMMANDER_SINK_H
#define SEXTANT_COMMANDER_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "commander/alert.h"

enum sink_type {
	SINK_SLACK = 0,
	SINK_TELEGRAM,
	SINK_DISCORD,
	SINK_PAGERDUTY,
	SINK_WEBHOOK,
	SINK_ALERTMANAGER,
	SINK_LOG,
	SINK__COUNT
};

struct sink_conf {
	char name[PROTO_NAME_MAX]; /* [channel NAME] */
	enum sink_type type;
	char url[512];    /* webhook URL or API base URL */
	char token[256];  /* telegram bot token, PD routing key */
	char chat_id[64]; /* telegram */
	char secret[128]; /* webhook HMAC-SHA256 key */
	bool html;        /* telegram: HTML, not MarkdownV2 */
	enum event_severity min_severity;
	char node[PROTO_NAME_MAX]; /* filters; "" = any */
	char group[PROTO_NAME_MAX];
	char network[PROTO_NAME_MAX];
	uint32_t per_minute;     /* rate limit; 0 = none */
	char dashboard_url[256]; /* links back, or "" */
};

/* One HTTP request to make.  body is malloc'd: sink_req_free. */
#define SINK_MAX_HEADERS 4
struct sink_req {
	char url[1024];
	char *body;
	size_t len;
	char headers[SINK_MAX_HEADERS][160]; /* "Name: value" */
	int nheaders;
};
void sink_req_free(struct sink_req *);

enum sink_outcome {
	SINK_DELIVERED = 0,
	SINK_RETRY,  /* 429, 5xx, timeout: try again after *retry_ms */
	SINK_FAILED, /* other 4xx: retrying cannot help */
};

struct sink_ops {
	enum sink_type type;
	const char *name;
	/* Alerts that fire together go in one message (grouped) unless the
	 * service has one event per alert (PagerDuty): max_batch says. */
	size_t max_batch;
	/* Build the request for alerts[0..n).  0, -ENOMEM, -EINVAL. */
	int (*format)(const struct sink_conf *, const struct alert *alerts,
	              size_t n, struct sink_req *out);
	/* Classify an answer.  status 0: no answer (network error).
	 * retry_after_s: the Retry-After header, -1 if none.  For RETRY,
	 * *retry_ms is the service's wait if it named one, else 0 (the
	 * worker backs off). */
	enum sink_outcome (*classify)(long status, const char *body, size_t len,
	                              long retry_after_s, uint64_t *retry_ms);
};

const struct sink_ops *sink_ops_for(enum sink_type);
const char *sink_type_str(enum sink_type);
int sink_type_parse(const char *, enum sink_type *);

/* Does a channel take this alert (severity floor and filters)?  Resolves
 * follow their trigger's severity. */
bool sink_accepts(const struct sink_conf *, const struct alert *);

/* url with any path, query and credentials replaced by "/…": for logs. */
const char *sink_redact(const char *url, char *buf, size_t cap);

/* Telegram MarkdownV2 / HTML escaping, and cutting to the service's
 * length limit in characters (UTF-8 code points) without splitting an
 * escape or a character.  Return the length written (NUL excluded). */
size_t sink_escape_mdv2(const char *in, char *out, size_t cap);
size_t sink_escape_html(const char *in, char *out, size_t cap);
size_t sink_cut_utf8(char *s, size_t max_chars);

/* RFC 3339 UTC with milliseconds. */
const char *sink_rfc3339(uint64_t ms, char *buf, size_t cap);

/*
 * Render the text of a batch for chat services: one line per alert,
 * "[CRITICAL] FIRING node_down/val1: val1 is down (since ...)".  buf is
 * cap bytes.  Returns the length.
 */
size_t sink_render_text(const struct alert *alerts, size_t n, char *buf,
                        size_t cap);

/* The shared reading of an answer: 2xx delivered; no answer, 408, 429 and
 * 5xx retried (after Retry-After when given); other 4xx failed. */
/* Print root as the request body and free it (even on failure).
 * 0 or -ENOMEM. */
struct cJSON;
int sink_json_out(struct cJSON *root, struct sink_req *out);

enum sink_outcome sink_classify_http(long status, long retry_after_s,
                                     uint64_t *retry_ms);

#endif
