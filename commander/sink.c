/* sink.c: what the alert channels share: the registry, filters, text,
 * escaping, and the common way to read an HTTP answer. */
#include "commander/sink.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "common/util.h"

extern const struct sink_ops sink_slack_ops, sink_telegram_ops,
    sink_discord_ops, sink_pagerduty_ops, sink_webhook_ops,
    sink_alertmanager_ops, sink_log_ops;

static const struct sink_ops *const all[SINK__COUNT] = {
    [SINK_SLACK] = &sink_slack_ops,
    [SINK_TELEGRAM] = &sink_telegram_ops,
    [SINK_DISCORD] = &sink_discord_ops,
    [SINK_PAGERDUTY] = &sink_pagerduty_ops,
    [SINK_WEBHOOK] = &sink_webhook_ops,
    [SINK_ALERTMANAGER] = &sink_alertmanager_ops,
    [SINK_LOG] = &sink_log_ops,
};

const struct sink_ops *
sink_ops_for(enum sink_type t)
{
	return (unsigned)t < SINK__COUNT ? all[t] : NULL;
}

const char *
sink_type_str(enum sink_type t)
{
	return (unsigned)t < SINK__COUNT ? all[t]->name : "?";
}

int
sink_type_parse(const char *s, enum sink_type *t)
{
	for (int i = 0; i < SINK__COUNT; i++)
		if (strcmp(all[i]->name, s) == 0) {
			*t = (enum sink_type)i;
			return 0;
		}
	return -EINVAL;
}

void
sink_req_free(struct sink_req *r)
{
	if (r == NULL)
		return;
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

bool
sink_accepts(const struct sink_conf *c, const struct alert *a)
{
	if (a->severity < c->min_severity)
		return false;
	if (c->node[0] && strcmp(c->node, a->node) != 0)
		return false;
	if (c->group[0] && strcmp(c->group, a->group) != 0)
		return false;
	if (c->network[0] && strcmp(c->network, a->network) != 0)
		return false;
	return true;
}

const char *
sink_redact(const char *url, char *buf, size_t cap)
{
	const char *p = strstr(url, "://"), *host, *end;
	size_t n;

	if (p == NULL) {
		util_strlcpy(buf, "(url)", cap);
		return buf;
	}
	host = p + 3;
	/* drop credentials: user:pass@host */
	if ((end = strpbrk(host, "/?#")) == NULL)
		end = host + strlen(host);
	for (const char *at = host; at < end; at++)
		if (*at == '@')
			host = at + 1;
	n = (size_t)(p + 3 - url);
	snprintf(buf, cap, "%.*s%.*s%s", (int)n, url, (int)(end - host), host,
	         *end ? "/…" : "");
	return buf;
}

size_t
sink_escape_mdv2(const char *in, char *out, size_t cap)
{
	static const char special[] = "_*[]()~`>#+-=|{}.!\\";
	size_t n = 0;

	for (; *in && n + 2 < cap; in++) {
		if (strchr(special, *in))
			out[n++] = '\\';
		out[n++] = *in;
	}
	/* never end on a lone escape */
	if (n > 0 && out[n - 1] == '\\' && (n < 2 || out[n - 2] != '\\'))
		n--;
	out[n] = '\0';
	return n;
}

size_t
sink_escape_html(const char *in, char *out, size_t cap)
{
	size_t n = 0;

	for (; *in; in++) {
		const char *rep = *in == '<'   ? "&lt;"
		                  : *in == '>' ? "&gt;"
		                  : *in == '&' ? "&amp;"
		                               : NULL;
		size_t l = rep ? strlen(rep) : 1;

		if (n + l + 1 > cap)
			break;
		if (rep)
			memcpy(out + n, rep, l);
		else
			out[n] = *in;
		n += l;
	}
	out[n] = '\0';
	return n;
}

size_t
sink_cut_utf8(char *s, size_t max_chars)
{
	size_t i, chars = 0;

	for (i = 0; s[i]; i++) {
		/* a character starts at every byte that is not 10xxxxxx */
		if (((unsigned char)s[i] & 0xC0) != 0x80 &&
		    chars++ == max_chars)
			break;
	}
	s[i] = '\0';
	return i;
}

const char *
sink_rfc3339(uint64_t ms, char *buf, size_t cap)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
	         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	         tm.tm_min, tm.tm_sec, (unsigned)(ms % 1000));
	return buf;
}

size_t
sink_render_text(const struct alert *a, size_t n, char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len + 1 < cap; i++) {
		char when[40], dur[32];
		int w;

		if (a[i].kind == ALERT_RESOLVE)
			w = snprintf(
			    buf + len, cap - len,
			    "[RESOLVED] %s: %s (lasted %s; %s)\n", a[i].key,
			    a[i].summary,
			    util_fmt_duration(a[i].ended_ms - a[i].started_ms,
			                      dur, sizeof(dur)),
			    a[i].node[0] ? a[i].node : a[i].network);
		else
			w = snprintf(
			    buf + len, cap - len,
			    "[%s] %s %s: %s (since %s; node %s, group %s, "
			    "network %s)\n",
			    event_severity_str(a[i].severity),
			    a[i].notice                 ? "NOTICE"
			    : a[i].kind == ALERT_REPEAT ? "STILL FIRING"
			                                : "FIRING",
			    a[i].key, a[i].summary,
			    sink_rfc3339(a[i].started_ms, when, sizeof(when)),
			    a[i].node[0] ? a[i].node : "-",
			    a[i].group[0] ? a[i].group : "-",
			    a[i].network[0] ? a[i].network : "-");
		if (w < 0)
			break;
		len += (size_t)w;
		if (len >= cap)
			len = cap - 1;
	}
	/* drop the last newline */
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	return len;
}

enum sink_outcome
sink_classify_http(long status, long retry_after_s, uint64_t *retry_ms)
{
	*retry_ms = retry_after_s >= 0 ? (uint64_t)retry_after_s * 1000 : 0;
	if (status >= 200 && status < 300)
		return SINK_DELIVERED;
	/* no answer, throttled, or the service's own trouble: worth again */
	if (status == 0 || status == 408 || status == 429 || status >= 500)
		return SINK_RETRY;
	return SINK_FAILED;
}

int
sink_json_out(struct cJSON *root, struct sink_req *out)
{
	char *s;

	if (root == NULL)
		return -ENOMEM;
	s = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (s == NULL)
		return -ENOMEM;
	out->body = s;
	out->len = strlen(s);
	return 0;
}
