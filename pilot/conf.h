/*
 * conf.h: the pilot's configuration.  One sub-struct per INI section, each
 * described by an option table in conf.c, so a new section is a struct here
 * plus a table row there.  pilot_conf_load() parses into a fresh struct and
 * runs the finish step (cross-field checks, loading the keys); the daemon
 * swaps it in only when both succeed.
 */
#ifndef SEXTANT_PILOT_CONF_H
#define SEXTANT_PILOT_CONF_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/keys.h"
#include "proto/msg.h"

#define PILOT_MAX_REFS 8
#define PILOT_URL_MAX  256

struct pilot_conf_pilot {
	char name[PROTO_NAME_MAX]; /* node name, as authorized_pilots */
	int chain;                 /* enum proto_chain */
	int role;                  /* enum proto_role */
	char network[PROTO_NAME_MAX];
	char group[PROTO_NAME_MAX];
	uint64_t interval_ms;
	char state_dir[PATH_MAX];
	char key[PATH_MAX]; /* the pilot's secret key file */
};

struct pilot_conf_commander {
	char url[PILOT_URL_MAX]; /* "" = standalone */
	char key[PATH_MAX];      /* public key line, or a .pub path */
	uint64_t timeout_ms;     /* send and receive, each */
	uint64_t reconnect_min_ms;
	uint64_t reconnect_max_ms;
};

struct pilot_conf_node {
	char rpc_url[PILOT_URL_MAX];
	uint64_t timeout_ms;
	char user[64];
	char password[128]; /* secret */
	char cookie_file[PATH_MAX];
	char command[PATH_MAX];
};

struct pilot_conf_reference {
	unsigned n;
	char url[PILOT_MAX_REFS][PILOT_URL_MAX];
	uint64_t timeout_ms;
};

struct pilot_conf {
	char path[PATH_MAX]; /* the file it came from */
	struct pilot_conf_pilot pilot;
	struct pilot_conf_commander commander;
	struct pilot_conf_node node;
	struct pilot_conf_reference reference;

	/* Filled by the finish step, not by the file. */
	bool has_commander;
	uint8_t commander_pk[KEYS_PK_BYTES];
	bool has_identity;
	struct keys_identity id; /* secret: wiped by pilot_conf_free */
};

/*
 * Parse and validate path.  A fresh config (caller frees with
 * pilot_conf_free), or NULL with err holding "file:line: message 'value'"
 * or "file: [section] key: message".
 */
struct pilot_conf *pilot_conf_load(const char *path, char *err, size_t errlen);
/* Same from text (tests); name is used in messages. */
struct pilot_conf *pilot_conf_load_string(const char *name, const char *text,
                                          char *err, size_t errlen);
/* The normalized config for -nv. */
void pilot_conf_dump(const struct pilot_conf *c, FILE *f);
/* Wipes the identity; accepts NULL. */
void pilot_conf_free(struct pilot_conf *c);

#endif
