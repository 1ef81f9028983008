/*
 * conf.h: the commander's configuration.  One sub-struct per INI section,
 * each with an option table in conf.c:
 *   [commander]     transport, key, authorized_pilots, state, intervals
 *   [fleet]         node state machine thresholds (fleet.h)
 *   [budget]        restart budget (budget.h)
 *   [events]        retention of the durable event history
 *   [api]           HTTP API, metrics, dashboard (api.h)
 *   [alerts]        alert rules and delivery (alert_conf.h)
 *   [channel NAME]  one alert channel each
 *   [node NAME]     the inventory: one node each
 *   [group NAME]    one validator identity served by failover leases
 *   [ha]            commander HA on etcd (ha.h); off without endpoints
 * commander_conf_load() parses into a fresh struct and runs the finish step,
 * which also loads the commander's key, the authorized_pilots file and the
 * keys given in [node] sections, so `-n` reports every error a start would.
 */
#ifndef SEXTANT_COMMANDER_CONF_H
#define SEXTANT_COMMANDER_CONF_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "commander/alert_conf.h"
#include "commander/api.h"
#include "commander/budget.h"
#include "commander/failover.h"
#include "commander/fleet.h"
#include "commander/ha.h"
#include "commander/registry.h"
#include "common/keys.h"

/* Inventory and group sections a config may hold (the INI reader also
 * bounds a file to 1024 keys). */
#define COMMANDER_MAX_NODES  1024
#define COMMANDER_MAX_GROUPS 256

struct commander_conf_main {
	char listen[256];
	char key[PATH_MAX];               /* the commander's secret key file */
	char authorized_pilots[PATH_MAX]; /* "" = only [node] keys */
	char state_dir[PATH_MAX];
	uint64_t interval_ms;     /* heartbeat interval asked of pilots */
	uint64_t log_interval_ms; /* each node logged at least this often */
	uint64_t window_ms;       /* replay time window */
	uint32_t contexts;        /* concurrent requests in flight */
	uint64_t stale_ms;        /* a node silent this long is not healthy */
};

/* [events]: retention of the durable history. */
struct commander_conf_events {
	uint64_t max_age_ms; /* 0 = keep any age */
	uint64_t max_count;  /* 0 = any count */
};

/* [node NAME]: one inventory row. */
struct commander_node {
	struct fleet_node_conf fc;   /* name, group, network, role, priority */
	char key[KEYS_PUB_LINE_MAX]; /* "sextant-ed25519 BASE64" or "" */
};

/* [group NAME]: a validator identity with a signing lease. */
struct commander_group {
	char name[PROTO_NAME_MAX];
	int mode;     /* enum failover_mode */
	bool enabled; /* automatic failover (renewals and switchover work
	               * either way) */
	uint64_t ttl_ms;
	uint64_t margin_ms;
	uint32_t drift_ppm;
	uint64_t failover_after_ms;
	uint64_t max_lag;
};

struct commander_conf {
	char path[PATH_MAX];
	struct commander_conf_main commander;
	struct fleet_conf fleet;
	struct budget_conf budget;
	struct commander_conf_events events;
	struct api_conf api;
	struct alerts_conf alerts;
	struct ha_conf ha; /* nendpoints 0: one commander, no HA */
	/* each instance allocated on its own: the parser keeps pointers */
	struct commander_node **nodes;
	size_t nnodes;
	struct commander_group **groups;
	size_t ngroups;

	/* Filled by the finish step, owned by the config. */
	struct keys_identity id; /* secret: wiped by commander_conf_free */
	struct registry *reg;
};

/*
 * Parse and validate path.  A fresh config (caller frees with
 * commander_conf_free), or NULL with err as "file:line: message 'value'".
 */
struct commander_conf *commander_conf_load(const char *path, char *err,
                                           size_t errlen);
struct commander_conf *commander_conf_load_string(const char *name,
                                                  const char *text, char *err,
                                                  size_t errlen);
void commander_conf_dump(const struct commander_conf *c, FILE *f);
/* Frees the registry, the sections and wipes the key; accepts NULL. */
void commander_conf_free(struct commander_conf *c);

/* The failover parameters of a [group] section. */
void commander_group_params(const struct commander_group *g,
                            struct failover_params *p);

#endif
