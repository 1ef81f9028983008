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
#include "pilot/logrules.h"
#include "pilot/policy.h"
#include "pilot/signer.h"
#include "proto/msg.h"

#define PILOT_MAX_REFS          8
#define PILOT_URL_MAX           256
#define PILOT_MAX_ARGS          32 /* [supervise] arg values */
#define PILOT_MAX_ENV           32 /* [supervise] env values */
#define PILOT_ARG_MAX           256
#define PILOT_HTTP_DEFAULT_PORT 9618

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

/* Commanders of one HA cluster a pilot may list ([commander] url lines). */
#define PILOT_MAX_COMMANDERS 4

struct pilot_conf_commander {
	/* "" = standalone; one URL, or the HA commanders' URLs separated by
	 * single spaces, in the order of the url lines */
	char url[PILOT_MAX_COMMANDERS * PILOT_URL_MAX];
	char key[PATH_MAX];  /* public key line, or a .pub path */
	uint64_t timeout_ms; /* send and receive, each */
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

enum pilot_backend {
	PILOT_BACKEND_NONE = 0, /* watch only: restarts are never executed */
	PILOT_BACKEND_PROCESS,
	PILOT_BACKEND_DOCKER,
	PILOT_BACKEND_SYSTEMD,
};

/* A repeatable string key ([supervise] arg, env). */
struct pilot_strlist {
	unsigned n;
	unsigned max;
	char v[PILOT_MAX_ARGS][PILOT_ARG_MAX];
};

struct pilot_conf_supervise {
	int backend;                     /* enum pilot_backend */
	char target[PROTO_NAME_MAX * 2]; /* container or unit; process label */
	char command[PATH_MAX];          /* process: the program (a path) */
	struct pilot_strlist args;       /* process: its arguments */
	struct pilot_strlist env;        /* process: NAME=VALUE added */
	char workdir[PATH_MAX];
	char log_file[PATH_MAX]; /* process: node's stdout+stderr */
	uint64_t log_max_bytes;
	uint32_t log_keep;
	uint64_t stop_timeout_ms;
	uint64_t call_timeout_ms;
	bool start;                 /* process: start the node with the pilot */
	char docker_host[PATH_MAX]; /* unix:///path, "" = $DOCKER_HOST */
};

struct pilot_conf_policy {
	uint64_t check_interval_ms;
	struct policy_conf p; /* thresholds, rule switches, cap, backoff */
};

enum pilot_tristate { PILOT_AUTO = 0, PILOT_YES, PILOT_NO };

struct pilot_conf_logrules {
	int defaults;          /* enum pilot_tristate: Substrate wording */
	struct logrules user;  /* the `rule` values as written */
	struct logrules rules; /* in force: user's, then the defaults */
};

enum pilot_signer_backend {
	PILOT_SIGNER_NONE = 0,
	PILOT_SIGNER_KEYSWAP,
	PILOT_SIGNER_COMMAND,
};

struct pilot_conf_signer {
	int backend;           /* enum pilot_signer_backend */
	int mode;              /* enum lease_mode: lease or ack-only */
	struct signer_conf sc; /* paths, commands; backend name filled */
	uint64_t timeout_ms;
	int doppelganger;           /* enum pilot_tristate; auto: cometbft */
	char validator_address[64]; /* hex; "" = from the key or /status */
};

enum pilot_budget_fallback { PILOT_FALLBACK_ALLOW = 0, PILOT_FALLBACK_DENY };

struct pilot_conf_budget {
	int fallback;           /* enum pilot_budget_fallback */
	uint64_t grant_wait_ms; /* wait this long for a grant or deny */
};

struct pilot_conf_http {
	char listen[PILOT_URL_MAX]; /* http://HOST:PORT, or "" = off */
	bool is_public;             /* allow a non-loopback address */
};

struct pilot_conf {
	char path[PATH_MAX]; /* the file it came from */
	struct pilot_conf_pilot pilot;
	struct pilot_conf_commander commander;
	struct pilot_conf_node node;
	struct pilot_conf_reference reference;
	struct pilot_conf_supervise supervise;
	struct pilot_conf_policy policy;
	struct pilot_conf_logrules logrules;
	struct pilot_conf_signer signer;
	struct pilot_conf_budget budget;
	struct pilot_conf_http http;

	/* Filled by the finish step, not by the file. */
	bool has_commander;
	uint8_t commander_pk[KEYS_PK_BYTES];
	bool has_identity;
	struct keys_identity id; /* secret: wiped by pilot_conf_free */
	bool use_logrules;       /* rules set, and a way to read the logs */
	bool height_from_logs;   /* no RPC: the imported height is ours */
	bool doppelganger;       /* resolved from the tristate */
	char http_url[PILOT_URL_MAX + 32]; /* "http://HOST:PORT", "" = off */
};

/*
 * Parse and validate path.  A fresh config (caller frees with
 * pilot_conf_free), or NULL with err holding "file:line: message 'value'"
 * or "file: [section] key: message".
 */
struct pilot_conf *pilot_conf_load(const char *path, char *err, size_t errlen);
/* Same from text (tests, the environment mode); name is used in
 * messages. */
struct pilot_conf *pilot_conf_load_string(const char *name, const char *text,
                                          char *err, size_t errlen);
const char *pilot_backend_str(int backend);
/* [http] listen is the built-in default (so a taken port is no error). */
bool pilot_conf_http_default(const struct pilot_conf *c);
/* The normalized config for -nv. */
void pilot_conf_dump(const struct pilot_conf *c, FILE *f);
/* Wipes the identity; accepts NULL. */
void pilot_conf_free(struct pilot_conf *c);

#endif
