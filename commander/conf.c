#include "commander/conf.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "commander/ingest.h"
#include "common/conf.h"
#include "common/util.h"

#define FIELD_SIZE(T, member) sizeof(((T *)0)->member)
#define STR_OPT(T, member)                                                     \
	.type = CONF_STR, .off = offsetof(T, member),                          \
	.size = FIELD_SIZE(T, member)

static const struct conf_opt commander_opts[] = {
    {.name = "listen",
     STR_OPT(struct commander_conf_main, listen),
     .def = "tcp://127.0.0.1:7400",
     .help = "where pilots dial in"},
    {.name = "key",
     STR_OPT(struct commander_conf_main, key),
     .def = "/etc/sextant/commander.key",
     .env = "SEXTANT_COMMANDER_KEY",
     .help = "the commander's secret key file (sextant keygen)"},
    {.name = "authorized_pilots",
     STR_OPT(struct commander_conf_main, authorized_pilots),
     .def = "/etc/sextant/authorized_pilots",
     .help = "one 'sextant-ed25519 KEY NODENAME' line per pilot"},
    {.name = "state_dir",
     STR_OPT(struct commander_conf_main, state_dir),
     .def = "/var/lib/sextant-commander",
     .help = "where the commander keeps state across restarts"},
    {.name = "interval",
     .type = CONF_DURATION_MS,
     .off = offsetof(struct commander_conf_main, interval_ms),
     .min = 100,
     .max = 3600 * 1000,
     .def = "10s",
     .help = "how often to log the fleet; suggested to pilots"},
    {.name = "window",
     .type = CONF_DURATION_MS,
     .off = offsetof(struct commander_conf_main, window_ms),
     .min = 1000,
     .max = 3600 * 1000,
     .def = "60s",
     .help = "requests stamped further than this from now are refused"},
    {.name = "contexts",
     .type = CONF_U32,
     .off = offsetof(struct commander_conf_main, contexts),
     .min = 1,
     .max = INGEST_MAX_CONTEXTS,
     .def = "16",
     .help = "requests processed concurrently"},
    {.name = "stale",
     .type = CONF_DURATION_MS,
     .off = offsetof(struct commander_conf_main, stale_ms),
     .min = 100,
     .max = 24 * 3600 * 1000,
     .def = "30s",
     .help = "a node silent this long leaves the fleet median"},
    CONF_END,
};

static void *
open_commander(void *cfg, const char *inst, char *err, size_t errlen)
{
	return &((struct commander_conf *)cfg)->commander;
}

/* The fleet code adds [node NAME] here. */
static const struct conf_section commander_sections[] = {
    {.name = "commander", .opts = commander_opts, .open = open_commander},
    CONF_SECTIONS_END,
};

#define FINISH_FAIL(...)                                                       \
	do {                                                                   \
		int n_ = snprintf(err, errlen, "%s: ", c->path);               \
		if (n_ > 0 && (size_t)n_ < errlen)                             \
			snprintf(err + n_, errlen - (size_t)n_, __VA_ARGS__);  \
		return -1;                                                     \
	} while (0)

static int
finish(struct commander_conf *c, char *err, size_t errlen)
{
	const struct commander_conf_main *m = &c->commander;
	char msg[256];

	if (strncmp(m->listen, "tcp://", 6) != 0 &&
	    strncmp(m->listen, "ipc://", 6) != 0 &&
	    strncmp(m->listen, "tls+tcp://", 10) != 0)
		FINISH_FAIL("[commander] listen: not tcp://HOST:PORT '%s'",
		            m->listen);
	if (m->stale_ms < m->interval_ms)
		FINISH_FAIL("[commander] stale: shorter than interval");
	if (keys_init() != 0)
		FINISH_FAIL("libsodium failed to initialise");
	if (keys_load_secret(m->key, &c->id, msg, sizeof(msg)) != 0)
		FINISH_FAIL("[commander] key: %s '%s'", msg, m->key);
	/* registry_load's messages already start with "file:line:" */
	if ((c->reg = registry_load(m->authorized_pilots, c->id.sk, err,
	                            errlen)) == NULL)
		return -1;
	registry_set_fresh_ms(c->reg, m->stale_ms);
	registry_set_interval_ms(c->reg, (uint32_t)m->interval_ms);
	return 0;
}

static struct commander_conf *
load(const char *name, const char *text, char *err, size_t errlen)
{
	struct commander_conf *c;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	util_strlcpy(c->path, name, sizeof(c->path));
	if (text)
		rc = conf_load_string(name, text, commander_sections, c, err,
		                      errlen);
	else
		rc = conf_load(name, commander_sections, c, err, errlen);
	if (rc != 0 || finish(c, err, errlen) != 0) {
		commander_conf_free(c);
		return NULL;
	}
	return c;
}

struct commander_conf *
commander_conf_load(const char *path, char *err, size_t errlen)
{
	return load(path, NULL, err, errlen);
}

struct commander_conf *
commander_conf_load_string(const char *name, const char *text, char *err,
                           size_t errlen)
{
	return load(name, text, err, errlen);
}

void
commander_conf_dump(const struct commander_conf *c, FILE *f)
{
	conf_dump(commander_sections, c, f);
}

void
commander_conf_free(struct commander_conf *c)
{
	if (c == NULL)
		return;
	registry_free(c->reg);
	keys_wipe(&c->id);
	free(c);
}
