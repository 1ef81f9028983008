/* alert_conf.c: [alerts] and [channel NAME] option tables (alert_conf.h). */
#include "commander/alert_conf.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static const char *const sev_names[] = {"info", "warning", "critical", NULL};
static const char *const type_names[] = {
    [SINK_SLACK] = "slack",     [SINK_TELEGRAM] = "telegram",
    [SINK_DISCORD] = "discord", [SINK_PAGERDUTY] = "pagerduty",
    [SINK_WEBHOOK] = "webhook", [SINK_ALERTMANAGER] = "alertmanager",
    [SINK_LOG] = "log",         [SINK__COUNT] = NULL,
};

#define TELEGRAM_URL  "https://api.telegram.org"
#define PAGERDUTY_URL "https://events.pagerduty.com/v2/enqueue"

void
alert_conf_init(struct alerts_conf *a)
{
	memset(a, 0, sizeof(*a));
	alert_conf_defaults(&a->rules);
	a->am_resend_ms = 60000;
	a->timeout_ms = 10000;
	a->retry_min_ms = 1000;
	a->retry_max_ms = 300000;
	a->give_up_ms = 24 * 3600 * 1000ull;
	a->inited = true;
}

/* A secret: literal, or "env:NAME" read from the environment now. */
static int
secret(char *dst, size_t cap, const char *val, char *err, size_t errlen)
{
	if (strncmp(val, "env:", 4) == 0) {
		const char *name = val + 4, *v;

		if (!name[0]) {
			snprintf(err, errlen, "env: needs a variable name");
			return -1;
		}
		if ((v = getenv(name)) == NULL || !v[0]) {
			snprintf(err, errlen,
			         "environment variable %.64s is not set", name);
			return -1;
		}
		val = v;
	}
	if (strlen(val) >= cap) {
		snprintf(err, errlen, "longer than %zu characters", cap - 1);
		return -1;
	}
	memcpy(dst, val, strlen(val) + 1);
	return 0;
}

#define SECRET_PARSER(fn, field)                                               \
	static int fn(void *f, const char *val, char *err, size_t errlen)      \
	{                                                                      \
		return secret(f, sizeof(((struct sink_conf *)0)->field), val,  \
		              err, errlen);                                    \
	}
SECRET_PARSER(parse_url, url)
SECRET_PARSER(parse_token, token)
SECRET_PARSER(parse_secret, secret)

#define AO(field) offsetof(struct alerts_conf, field)
#define RO(r, f)  offsetof(struct alerts_conf, rules.rule[r].f)

#define RULE(r, n)                                                             \
	{.name = n,                                                            \
	 .type = CONF_BOOL,                                                    \
	 .off = RO(r, enabled),                                                \
	 .help = "rule on or off"},                                            \
	{                                                                      \
		.name = n "_severity", .type = CONF_ENUM,                      \
		.off = RO(r, severity), .names = sev_names,                    \
		.help = "info, warning or critical"                            \
	}
#define COND(r, n)                                                             \
	RULE(r, n),                                                            \
	{                                                                      \
		.name = n "_for", .type = CONF_DURATION_MS,                    \
		.off = RO(r, for_ms), .max = 86400000,                         \
		.help = "how long the condition holds before firing"           \
	}
#define THRESHOLD(r, n, lo, hi, what)                                          \
	{                                                                      \
		.name = n "_threshold", .type = CONF_U64,                      \
		.off = RO(r, threshold), .min = lo, .max = hi, .help = what    \
	}

const struct conf_opt alert_conf_alerts_opts[] = {
    {.name = "repeat",
     .type = CONF_DURATION_MS,
     .off = AO(rules.repeat_ms),
     .help = "re-notify while firing; 0 never"},
    {.name = "test_on_start",
     .type = CONF_BOOL,
     .off = AO(test_on_start),
     .help = "send a test message to every channel at start"},
    {.name = "alertmanager_resend",
     .type = CONF_DURATION_MS,
     .off = AO(am_resend_ms),
     .max = 3600000,
     .help = "re-send active alerts to Alertmanager; 0 never"},
    {.name = "timeout",
     .type = CONF_DURATION_MS,
     .off = AO(timeout_ms),
     .min = 100,
     .max = 120000,
     .help = "one delivery request"},
    {.name = "retry_min",
     .type = CONF_DURATION_MS,
     .off = AO(retry_min_ms),
     .min = 10,
     .max = 3600000,
     .help = "first backoff when the service names no wait"},
    {.name = "retry_max",
     .type = CONF_DURATION_MS,
     .off = AO(retry_max_ms),
     .min = 10,
     .max = 86400000,
     .help = "longest backoff"},
    {.name = "give_up",
     .type = CONF_DURATION_MS,
     .off = AO(give_up_ms),
     .min = 1000,
     .help = "drop a message still undelivered after this long"},
    {.name = "dashboard_url",
     .type = CONF_STR,
     .off = AO(dashboard_url),
     .size = sizeof(((struct alerts_conf *)0)->dashboard_url),
     .help = "link back from alerts (optional)"},
    COND(AR_NODE_DOWN, "node_down"),
    COND(AR_UNREACHABLE, "pilot_unreachable"),
    COND(AR_LAGGING, "lagging"),
    THRESHOLD(AR_LAGGING, "lagging", 1, 1000000000, "blocks behind"),
    COND(AR_STALLED, "stalled"),
    COND(AR_LOW_PEERS, "low_peers"),
    THRESHOLD(AR_LOW_PEERS, "low_peers", 1, 100000, "fewer peers than"),
    COND(AR_DISK_FULL, "disk_full"),
    THRESHOLD(AR_DISK_FULL, "disk_full", 1, 100, "disk used percent"),
    COND(AR_STALE_TIP, "stale_tip"),
    COND(AR_DOUBLE_SIGN_RISK, "double_sign_risk"),
    COND(AR_CRASH_LOOP, "crash_loop"),
    RULE(AR_RESTARTED, "restarted"),
    RULE(AR_REORG, "reorg"),
    RULE(AR_FAILOVER_STARTED, "failover_started"),
    RULE(AR_FAILOVER_FINISHED, "failover_finished"),
    RULE(AR_FAILOVER_FAILED, "failover_failed"),
    RULE(AR_LEASE_LOST, "lease_lost"),
    RULE(AR_DOPPELGANGER, "doppelganger"),
    CONF_END,
};

#define CO(field) offsetof(struct sink_conf, field)
#define CS(field) sizeof(((struct sink_conf *)0)->field)

const struct conf_opt alert_conf_channel_opts[] = {
    {.name = "type",
     .type = CONF_ENUM,
     .off = CO(type),
     .names = type_names,
     .help = "slack, telegram, discord, pagerduty, webhook, alertmanager, "
             "log"},
    {.name = "url",
     .type = CONF_CUSTOM,
     .off = CO(url),
     .secret = true,
     .parse = parse_url,
     .help = "webhook URL or API base URL; env:NAME reads it from the "
             "environment"},
    {.name = "token",
     .type = CONF_CUSTOM,
     .off = CO(token),
     .secret = true,
     .parse = parse_token,
     .help = "Telegram bot token or PagerDuty routing key; env:NAME"},
    {.name = "chat_id",
     .type = CONF_STR,
     .off = CO(chat_id),
     .size = CS(chat_id),
     .help = "Telegram chat"},
    {.name = "secret",
     .type = CONF_CUSTOM,
     .off = CO(secret),
     .secret = true,
     .parse = parse_secret,
     .help = "webhook HMAC-SHA256 key; env:NAME"},
    {.name = "html",
     .type = CONF_BOOL,
     .off = CO(html),
     .help = "Telegram: HTML instead of MarkdownV2"},
    {.name = "min_severity",
     .type = CONF_ENUM,
     .off = CO(min_severity),
     .names = sev_names,
     .help = "lowest severity this channel takes"},
    {.name = "node",
     .type = CONF_STR,
     .off = CO(node),
     .size = CS(node),
     .help = "only alerts about this node"},
    {.name = "group",
     .type = CONF_STR,
     .off = CO(group),
     .size = CS(group),
     .help = "only alerts about this group"},
    {.name = "network",
     .type = CONF_STR,
     .off = CO(network),
     .size = CS(network),
     .help = "only alerts about this network"},
    {.name = "per_minute",
     .type = CONF_U32,
     .off = CO(per_minute),
     .max = 6000,
     .help = "messages per minute at most; 0 no limit"},
    CONF_END,
};

static bool
name_ok(const char *s)
{
	if (!s[0] || strlen(s) >= PROTO_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

void *
alert_conf_open(struct alerts_conf *a, const char *inst, char *err,
                size_t errlen)
{
	struct sink_conf *c;

	if (!a->inited)
		alert_conf_init(a);
	if (inst == NULL)
		return a;
	if (!name_ok(inst)) {
		snprintf(err, errlen,
		         "channel name '%.80s' must be 1-%d letters, digits, "
		         "'.', '_' or '-'",
		         inst, PROTO_NAME_MAX - 1);
		return NULL;
	}
	for (size_t i = 0; i < a->nchan; i++)
		if (strcmp(a->chan[i].name, inst) == 0) {
			snprintf(err, errlen, "channel '%s' defined twice",
			         inst);
			return NULL;
		}
	if (a->nchan == ALERT_CHANNELS_MAX) {
		snprintf(err, errlen, "more than %d channels",
		         ALERT_CHANNELS_MAX);
		return NULL;
	}
	c = &a->chan[a->nchan++];
	memset(c, 0, sizeof(*c));
	util_strlcpy(c->name, inst, sizeof(c->name));
	c->type = SINK__COUNT; /* required: finish says so */
	c->min_severity = SEV_INFO;
	return c;
}

void *
alert_conf_get(const struct alerts_conf *a, size_t i, const char **inst)
{
	*inst = a->chan[i].name;
	return (void *)&a->chan[i];
}

static void *
self_open(void *cfg, const char *inst, char *err, size_t errlen)
{
	return alert_conf_open(cfg, inst, err, errlen);
}

static size_t
self_count(const void *cfg)
{
	return ((const struct alerts_conf *)cfg)->nchan;
}

static void *
self_get(const void *cfg, size_t i, const char **inst)
{
	return alert_conf_get(cfg, i, inst);
}

const struct conf_section alert_conf_sections[] = {
    {.name = "alerts", .opts = alert_conf_alerts_opts, .open = self_open},
    {.name = "channel",
     .repeated = true,
     .opts = alert_conf_channel_opts,
     .open = self_open,
     .count = self_count,
     .get = self_get},
    CONF_SECTIONS_END,
};

static bool
http_url(const char *u)
{
	return strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0;
}

int
alert_conf_finish(struct alerts_conf *a, const char *path, char *err,
                  size_t errlen)
{
	if (!a->inited)
		alert_conf_init(a);
	if (a->retry_max_ms < a->retry_min_ms) {
		snprintf(err, errlen,
		         "%s: [alerts]: retry_max is below retry_min", path);
		return -1;
	}
	for (size_t i = 0; i < a->nchan; i++) {
		struct sink_conf *c = &a->chan[i];
		const char *why = NULL;

		if ((unsigned)c->type >= SINK__COUNT) {
			why = "type is required (slack, telegram, discord, "
			      "pagerduty, webhook, alertmanager or log)";
		} else if (c->type == SINK_TELEGRAM) {
			if (!c->url[0])
				util_strlcpy(c->url, TELEGRAM_URL,
				             sizeof(c->url));
			if (!c->token[0])
				why = "telegram needs token (the bot token)";
			else if (!c->chat_id[0])
				why = "telegram needs chat_id";
			else if (strpbrk(c->token, "/?#@ "))
				why = "token has characters a bot token never "
				      "has";
		} else if (c->type == SINK_PAGERDUTY) {
			if (!c->url[0])
				util_strlcpy(c->url, PAGERDUTY_URL,
				             sizeof(c->url));
			if (!c->token[0])
				why = "pagerduty needs token (the integration "
				      "routing key)";
		} else if (c->type != SINK_LOG && !c->url[0]) {
			why = "url is required";
		}
		if (why == NULL && c->type != SINK_LOG && !http_url(c->url))
			why = "url must start with http:// or https:// (value "
			      "hidden)";
		if (why) {
			snprintf(err, errlen, "%s: [channel %s]: %s", path,
			         c->name, why);
			return -1;
		}
		/* base URLs get a path appended: "http://am:9093/" would
		 * make "//api/v2/alerts", which Alertmanager redirects */
		if (c->type == SINK_TELEGRAM || c->type == SINK_ALERTMANAGER) {
			size_t l = strlen(c->url);

			while (l > 0 && c->url[l - 1] == '/')
				c->url[--l] = '\0';
		}
		if (!c->dashboard_url[0])
			util_strlcpy(c->dashboard_url, a->dashboard_url,
			             sizeof(c->dashboard_url));
	}
	return 0;
}
