/*
 * alert_conf.h: the commander's alert configuration: an [alerts] section
 * (rules, repeat, delivery) and repeated [channel NAME] sections, as
 * common/conf.h option tables.
 *
 *   [alerts]
 *   repeat = 4h                 ; re-notify while firing, 0 never
 *   test_on_start = no          ; a test message to every channel
 *   alertmanager_resend = 60s   ; Alertmanager wants active alerts again
 *   timeout = 10s               ; one delivery request
 *   retry_min = 1s              ; backoff without a service-given wait
 *   retry_max = 5m
 *   give_up = 24h               ; a message still failing is dropped
 *   dashboard_url = https://ops.example/  ; links back (optional)
 *   node_down = yes             ; per rule: on/off, and
 *   node_down_severity = critical
 *   node_down_for = 60s         ; conditions only
 *   lagging_threshold = 20      ; lagging (blocks), low_peers (peers),
 *                               ; disk_full (percent used)
 *
 *   [channel ops-slack]
 *   type = slack                ; slack telegram discord pagerduty
 *                               ; webhook alertmanager log
 *   url = env:SLACK_WEBHOOK     ; secrets may come from the environment
 *   min_severity = warning
 *   node = val1                 ; filters: exact names ("" any)
 *   per_minute = 20             ; rate limit, 0 none
 *
 * url, token and secret are secrets: never printed by -nv, never logged;
 * "env:NAME" takes the value from environment variable NAME at load.
 *
 * To add these sections to a daemon's config struct TYPE holding a
 * `struct alerts_conf MEMBER`:
 *     ALERT_CONF_GLUE(cmdr_alerts, struct commander_conf, alerts)
 *     static const struct conf_section sections[] = {
 *         ..., ALERT_CONF_SECTION_ROWS(cmdr_alerts), CONF_SECTIONS_END };
 * then call alert_conf_finish() from the daemon's finish step.
 */
#ifndef SEXTANT_COMMANDER_ALERT_CONF_H
#define SEXTANT_COMMANDER_ALERT_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "commander/alert.h"
#include "commander/sink.h"
#include "common/conf.h"

#define ALERT_CHANNELS_MAX 16

struct alerts_conf {
	struct alert_conf rules;
	bool test_on_start;
	uint64_t am_resend_ms; /* 0: never */
	uint64_t timeout_ms;
	uint64_t retry_min_ms, retry_max_ms;
	uint64_t give_up_ms;
	char dashboard_url[256];
	struct sink_conf chan[ALERT_CHANNELS_MAX];
	size_t nchan;
	bool inited; /* defaults applied (conf sections open lazily) */
};

/* Defaults (also what an absent [alerts] section gives). */
void alert_conf_init(struct alerts_conf *);

/* The tables, for ALERT_CONF_SECTION_ROWS. */
extern const struct conf_opt alert_conf_alerts_opts[];
extern const struct conf_opt alert_conf_channel_opts[];

/* conf_section callbacks on a struct alerts_conf: inst NULL opens
 * [alerts] (applying defaults once), else a new [channel inst]. */
void *alert_conf_open(struct alerts_conf *, const char *inst, char *err,
                      size_t errlen);
void *alert_conf_get(const struct alerts_conf *, size_t i, const char **inst);

/* Sections for a config that is a struct alerts_conf itself (tests). */
extern const struct conf_section alert_conf_sections[];

/*
 * Check the whole alert config after loading: every channel has a type
 * and what it needs (url; telegram token and chat_id; pagerduty routing
 * key), URLs are http(s), and fill per-type default URLs (Telegram, and
 * PagerDuty's events endpoint) and the dashboard link.  0, or -1 with err
 * as "path: [channel NAME]: message" (never quoting a secret).
 */
int alert_conf_finish(struct alerts_conf *, const char *path, char *err,
                      size_t errlen);

#define ALERT_CONF_GLUE(P, TYPE, MEMBER)                                       \
	static void *P##_open(void *cfg, const char *inst, char *err,          \
	                      size_t errlen)                                   \
	{                                                                      \
		return alert_conf_open(&((TYPE *)cfg)->MEMBER, inst, err,      \
		                       errlen);                                \
	}                                                                      \
	static size_t P##_count(const void *cfg)                               \
	{                                                                      \
		return ((const TYPE *)cfg)->MEMBER.nchan;                      \
	}                                                                      \
	static void *P##_get(const void *cfg, size_t i, const char **inst)     \
	{                                                                      \
		return alert_conf_get(&((const TYPE *)cfg)->MEMBER, i, inst);  \
	}

#define ALERT_CONF_SECTION_ROWS(P)                                             \
	{.name = "alerts", .opts = alert_conf_alerts_opts, .open = P##_open},  \
	{                                                                      \
		.name = "channel", .repeated = true,                           \
		.opts = alert_conf_channel_opts, .open = P##_open,             \
		.count = P##_count, .get = P##_get                             \
	}

#endif
