#include "pilot/conf.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "common/keys.h"
#include "common/util.h"

#define FIELD_SIZE(T, member) sizeof(((T *)0)->member)
#define STR_OPT(T, member)                                                     \
	.type = CONF_STR, .off = offsetof(T, member),                          \
	.size = FIELD_SIZE(T, member)

/* Same order as enum proto_chain / proto_role (checked in finish). */
static const char *const chain_names[] = {
    "cometbft", "substrate", "ethereum", "beacon", "bitcoin", "command", NULL};
static const char *const role_names[] = {"validator", "sentry", "rpc", NULL};

static const struct conf_opt pilot_opts[] = {
    {.name = "name",
     STR_OPT(struct pilot_conf_pilot, name),
     .help = "this node's name, as the commander's authorized_pilots"},
    {.name = "chain",
     .type = CONF_ENUM,
     .off = offsetof(struct pilot_conf_pilot, chain),
     .names = chain_names,
     .def = "cometbft",
     .help = "chain family of the node (selects the probe)"},
    {.name = "role",
     .type = CONF_ENUM,
     .off = offsetof(struct pilot_conf_pilot, role),
     .names = role_names,
     .def = "rpc",
     .help = "validator, sentry or rpc"},
    {.name = "network",
     STR_OPT(struct pilot_conf_pilot, network),
     .help = "chain id; the commander compares nodes of one network"},
    {.name = "group",
     STR_OPT(struct pilot_conf_pilot, group),
     .help = "validator identity this node serves, or empty"},
    {.name = "interval",
     .type = CONF_DURATION_MS,
     .off = offsetof(struct pilot_conf_pilot, interval_ms),
     .min = 100,
     .max = 3600 * 1000,
     .def = "10s",
     .help = "how often to probe the node and report"},
    {.name = "state_dir",
     STR_OPT(struct pilot_conf_pilot, state_dir),
     .def = "/var/lib/sextant-pilot",
     .help = "where the pilot keeps state across restarts"},
    {.name = "key",
     STR_OPT(struct pilot_conf_pilot, key),
     .def = "/etc/sextant/pilot.key",
     .env = "SEXTANT_PILOT_KEY",
     .help = "the pilot's secret key file (sextant keygen)"},
    CONF_END,
};

static const struct conf_opt commander_opts[] = {
    {.name = "url",
     STR_OPT(struct pilot_conf_commander, url),
     .help = "tcp://HOST:PORT of the commander; unset: standalone"},
    {.name = "key",
     STR_OPT(struct pilot_conf_commander, key),
     .help = "the commander's public key line, or its .pub file"},
    {.name = "timeout",
     .type = CONF_DURATION_MS,
     .off = offsetof(struct pilot_conf_commander, timeout_ms),
     .min = 100,
     .max = 600 * 1000,
     .def = "5s",
     .help = "bound on sending a request and on awaiting its reply"},
    {.name = "reconnect_min",
     .type = CONF_DURATION_MS,
     .off = offsetof(struct pilot_conf_commander, reconnect_min_ms),
     .min = 10,
     .max = 3600 * 1000,
     .def = "500ms",
     .help = "first redial delay; it doubles up to reconnect_max"},
    {.name = "reconnect_max",
     .type = CONF_DURATION_MS,
     .off = offsetof(struct pilot_conf_commander, reconnect_max_ms),
     .min = 10,
     .max = 3600 * 1000,
     .def = "30s",
     .help = "longest redial delay"},
    CONF_END,
};

static const struct conf_opt node_opts[] = {
    {.name = "rpc_url",
     STR_OPT(struct pilot_conf_node, rpc_url),
     .help = "the node's RPC base URL"},
    {.name = "timeout",
     .type = CONF_DURATION_MS,
     .off = offsetof(struct pilot_conf_node, timeout_ms),
     .min = 50,
     .max = 60 * 1000,
     .def = "3s",
     .help = "bound on one probe request"},
    {.name = "user",
     STR_OPT(struct pilot_conf_node, user),
     .help = "RPC user (bitcoin)"},
    {.name = "password",
     STR_OPT(struct pilot_conf_node, password),
     .env = "SEXTANT_NODE_PASSWORD",
     .secret = true,
     .help = "RPC password (bitcoin); better set in the environment"},
    {.name = "cookie_file",
     STR_OPT(struct pilot_conf_node, cookie_file),
     .help = "bitcoin .cookie file, re-read after a 401"},
    {.name = "command",
     STR_OPT(struct pilot_conf_node, command),
     .help = "chain = command: program printing the height"},
    CONF_END,
};

static int
parse_ref_url(void *field, const char *val, char *err, size_t errlen)
{
	struct pilot_conf_reference *r = field;

	if (r->n == PILOT_MAX_REFS) {
		snprintf(err, errlen, "at most %d references", PILOT_MAX_REFS);
		return -1;
	}
	if (val[0] == '\0')
		return 0; /* "url =" as -nv prints no references */
	if (util_strlcpy(r->url[r->n], val, PILOT_URL_MAX) >= PILOT_URL_MAX) {
		r->url[r->n][0] = '\0';
		snprintf(err, errlen, "longer than %d characters",
		         PILOT_URL_MAX - 1);
		return -1;
	}
	r->n++;
	return 0;
}

/* conf_dump prints "url = " first; the rest repeat the key, so the output
 * reads back as the same config. */
static void
print_ref_urls(const void *field, FILE *f)
{
	const struct pilot_conf_reference *r = field;

	for (unsigned i = 0; i < r->n; i++)
		fprintf(f, "%s%s", i ? "\nurl = " : "", r->url[i]);
}

static const struct conf_opt reference_opts[] = {
    {.name = "url",
     .type = CONF_CUSTOM,
     .off = 0,
     .multi = true,
     .parse = parse_ref_url,
     .print = print_ref_urls,
     .help = "a reference endpoint of the same chain; repeat for more"},
    {.name = "timeout",
     .type = CONF_DURATION_MS,
     .off = offsetof(struct pilot_conf_reference, timeout_ms),
     .min = 50,
     .max = 60 * 1000,
     .def = "3s",
     .help = "bound on one reference request"},
    CONF_END,
};

static void *
open_pilot(void *cfg, const char *inst, char *err, size_t errlen)
{
	return &((struct pilot_conf *)cfg)->pilot;
}

static void *
open_commander(void *cfg, const char *inst, char *err, size_t errlen)
{
	return &((struct pilot_conf *)cfg)->commander;
}

static void *
open_node(void *cfg, const char *inst, char *err, size_t errlen)
{
	return &((struct pilot_conf *)cfg)->node;
}

static void *
open_reference(void *cfg, const char *inst, char *err, size_t errlen)
{
	return &((struct pilot_conf *)cfg)->reference;
}

static const struct conf_section pilot_sections[] = {
    {.name = "pilot", .opts = pilot_opts, .open = open_pilot},
    {.name = "commander", .opts = commander_opts, .open = open_commander},
    {.name = "node", .opts = node_opts, .open = open_node},
    {.name = "reference", .opts = reference_opts, .open = open_reference},
    CONF_SECTIONS_END,
};

static bool
name_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
		      *s == '-'))
			return false;
	return true;
}

static bool
url_scheme_ok(const char *u)
{
	return strncmp(u, "tcp://", 6) == 0 || strncmp(u, "ipc://", 6) == 0 ||
	       strncmp(u, "tls+tcp://", 10) == 0;
}

/* The pinned commander key: an inline public line, or a .pub file. */
static int
load_commander_key(struct pilot_conf *c, char *msg, size_t msglen)
{
	const char *k = c->commander.key;

	if (strncmp(k, "sextant-ed25519 ", 16) == 0)
		return keys_parse_public(k, c->commander_pk, NULL, 0, msg,
		                         msglen);
	return keys_load_public(k, c->commander_pk, NULL, 0, msg, msglen);
}

#define FINISH_FAIL(...)                                                       \
	do {                                                                   \
		int n_ = snprintf(err, errlen, "%s: ", c->path);               \
		if (n_ > 0 && (size_t)n_ < errlen)                             \
			snprintf(err + n_, errlen - (size_t)n_, __VA_ARGS__);  \
		return -1;                                                     \
	} while (0)

/* Cross-field checks and key loading: the config is usable or refused. */
static int
finish(struct pilot_conf *c, char *err, size_t errlen)
{
	char msg[256];

	/* the option tables index enums by position */
	for (int i = 0; i < CHAIN__COUNT; i++)
		if (strcmp(chain_names[i], proto_chain_str(i)) != 0)
			FINISH_FAIL("internal: chain table out of step");
	if (!name_ok(c->pilot.name))
		FINISH_FAIL("[pilot] name: required, letters, digits, '.', "
		            "'_' or '-' '%s'",
		            c->pilot.name);
	if (c->pilot.group[0] && !name_ok(c->pilot.group))
		FINISH_FAIL("[pilot] group: letters, digits, '.', '_' or '-' "
		            "'%s'",
		            c->pilot.group);
	if (c->pilot.role == ROLE_VALIDATOR && c->pilot.group[0] == '\0')
		FINISH_FAIL("[pilot] group: required for a validator");
	if (c->pilot.chain == CHAIN_COMMAND) {
		if (c->node.command[0] == '\0')
			FINISH_FAIL("[node] command: required with chain = "
			            "command");
	} else if (c->node.rpc_url[0] == '\0')
		FINISH_FAIL("[node] rpc_url: required");
	if (c->commander.reconnect_max_ms < c->commander.reconnect_min_ms)
		FINISH_FAIL("[commander] reconnect_max: below reconnect_min");

	c->has_commander = c->commander.url[0] != '\0';
	if (!c->has_commander) {
		if (c->commander.key[0])
			FINISH_FAIL("[commander] key: set without url");
		return 0;
	}
	if (!url_scheme_ok(c->commander.url))
		FINISH_FAIL("[commander] url: not tcp://HOST:PORT '%s'",
		            c->commander.url);
	if (c->pilot.network[0] == '\0')
		FINISH_FAIL("[pilot] network: required with a commander");
	if (c->commander.key[0] == '\0')
		FINISH_FAIL("[commander] key: required with url (the "
		            "commander's public key, pinned)");
	if (load_commander_key(c, msg, sizeof(msg)) != 0)
		FINISH_FAIL("[commander] key: %s '%s'", msg, c->commander.key);
	if (c->pilot.state_dir[0] == '\0')
		FINISH_FAIL("[pilot] state_dir: required with a commander");
	if (keys_init() != 0)
		FINISH_FAIL("libsodium failed to initialise");
	if (keys_load_secret(c->pilot.key, &c->id, msg, sizeof(msg)) != 0)
		FINISH_FAIL("[pilot] key: %s '%s'", msg, c->pilot.key);
	c->has_identity = true;
	return 0;
}

static struct pilot_conf *
load(const char *name, const char *text, char *err, size_t errlen)
{
	struct pilot_conf *c;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	util_strlcpy(c->path, name, sizeof(c->path));
	if (text)
		rc = conf_load_string(name, text, pilot_sections, c, err,
		                      errlen);
	else
		rc = conf_load(name, pilot_sections, c, err, errlen);
	if (rc != 0 || finish(c, err, errlen) != 0) {
		pilot_conf_free(c);
		return NULL;
	}
	return c;
}

struct pilot_conf *
pilot_conf_load(const char *path, char *err, size_t errlen)
{
	return load(path, NULL, err, errlen);
}

struct pilot_conf *
pilot_conf_load_string(const char *name, const char *text, char *err,
                       size_t errlen)
{
	return load(name, text, err, errlen);
}

void
pilot_conf_dump(const struct pilot_conf *c, FILE *f)
{
	conf_dump(pilot_sections, c, f);
}

void
pilot_conf_free(struct pilot_conf *c)
{
	if (c == NULL)
		return;
	keys_wipe(&c->id);
	/* the node password is a secret too */
	explicit_bzero(c->node.password, sizeof(c->node.password));
	free(c);
}
