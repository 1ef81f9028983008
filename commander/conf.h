/*
 * conf.h: the commander's configuration.  One sub-struct per INI section,
 * each with an option table in conf.c; [node NAME] inventory sections are
 * added there by the fleet code.  commander_conf_load() parses into a fresh
 * struct and runs the finish step, which also loads the commander's key and
 * the authorized_pilots file, so `-n` reports every error a start would.
 */
#ifndef SEXTANT_COMMANDER_CONF_H
#define SEXTANT_COMMANDER_CONF_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "commander/registry.h"
#include "common/keys.h"

struct commander_conf_main {
	char listen[256];
	char key[PATH_MAX]; /* the commander's secret key file */
	char authorized_pilots[PATH_MAX];
	char state_dir[PATH_MAX];
	uint64_t interval_ms; /* fleet log period; suggested to pilots */
	uint64_t window_ms;   /* replay time window */
	uint32_t contexts;    /* concurrent requests in flight */
	uint64_t stale_ms;    /* a node silent this long is not healthy */
};

struct commander_conf {
	char path[PATH_MAX];
	struct commander_conf_main commander;

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
/* Frees the registry and wipes the key; accepts NULL. */
void commander_conf_free(struct commander_conf *c);

#endif
