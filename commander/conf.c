#include "commander/conf.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "commander/ingest.h"
#include "common/conf.h"
#include "common/fileio.h"
#include "common/util.h"

#define FIELD_SIZE(T, member) sizeof(((T *)0)->member)
#define STR_OPT(T, member)                                                     \
	.type = CONF_STR, .off = offsetof(T, member),                          \
	.size = FIELD_SIZE(T, member)
#define DUR_OPT(T, member) .type = CONF_DURATION_MS, .off = offsetof(T, member)

/* A [node] key too long for its field (reported by the finish step, which
 * unlike the parser does not quote the value). */
#define TOO_LONG "\001"

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
     .help = "one 'sextant-ed25519 KEY NODENAME' line per pilot; empty: "
             "only the keys of [node] sections"},
    {.name = "state_dir",
     STR_OPT(struct commander_conf_main, state_dir),
     .def = "/var/lib/sextant-commander",
     .help = "where the commander keeps state across restarts"},
    {.name = "interval",
     DUR_OPT(struct commander_conf_main, interval_ms),
     .min = 100,
     .max = 3600 * 1000,
     .def = "2s",
     .help = "heartbeat interval asked of pilots"},
    {.name = "log_interval",
     DUR_OPT(struct commander_conf_main, log_interval_ms),
     .min = 0,
     .max = 24 * 3600 * 1000,
     .def = "60s",
     .help = "each node's height and lag is logged when its state changes "
             "and at least this often; 0: every interval"},
    {.name = "window",
     DUR_OPT(struct commander_conf_main, window_ms),
     .min = 1000,
     .max = 3600 * 1000,
     .def = "60s",
     .help = "requests stamped further than this from now are refused"},
    {.name = "contexts",
     .type = CONF_U32,
     .off = offsetof(struct commander_conf_main, contexts),
     .min = 1,
     .max = INGEST_MAX_CONTEXTS,
     .def = "64",
     .help = "requests processed concurrently"},
    {.name = "stale",
     DUR_OPT(struct commander_conf_main, stale_ms),
     .min = 100,
     .max = 24 * 3600 * 1000,
     .def = "30s",
     .help = "a node silent this long leaves the fleet median"},
    CONF_END,
};

/* Defaults equal fleet_conf_defaults() (checked by a unit test). */
static const struct conf_opt fleet_opts[] = {
    {.name = "unreachable_after",
     .type = CONF_U32,
     .off = offsetof(struct fleet_conf, unreachable_after),
     .min = 1,
     .max = 1000,
     .def = "3",
     .help = "missed heartbeat intervals before a pilot is unreachable"},
    {.name = "up_after",
     .type = CONF_U32,
     .off = offsetof(struct fleet_conf, up_after),
     .min = 1,
     .max = 1000,
     .def = "2",
     .help = "observations before a node counts as up again"},
    {.name = "down_after",
     .type = CONF_U32,
     .off = offsetof(struct fleet_conf, down_after),
     .min = 1,
     .max = 1000,
     .def = "2",
     .help = "observations before a node leaves a state"},
    {.name = "lag_blocks",
     .type = CONF_U64,
     .off = offsetof(struct fleet_conf, lag_blocks),
     .min = 1,
     .max = 1000000000,
     .def = "20",
     .help = "blocks behind the reference that make a node lagging"},
    {.name = "stall",
     DUR_OPT(struct fleet_conf, stall_ms),
     .min = 1000,
     .max = 24 * 3600 * 1000,
     .def = "180s",
     .help = "no height progress this long while the chain moves: stalled"},
    {.name = "stale_tip",
     DUR_OPT(struct fleet_conf, stale_tip_ms),
     .min = 1000,
     .max = 24 * 3600 * 1000,
     .def = "300s",
     .help = "no new height in a network this long: stale tip"},
    {.name = "ring_heights",
     .type = CONF_U32,
     .off = offsetof(struct fleet_conf, ring_heights),
     .min = 1,
     .max = 100000,
     .def = "128",
     .help = "heights remembered per network (propagation, reorgs)"},
    {.name = "spread_settle",
     DUR_OPT(struct fleet_conf, spread_settle_ms),
     .min = 0,
     .max = 3600 * 1000,
     .def = "30s",
     .help = "wait before a height's propagation spread is counted"},
    {.name = "accept_unlisted",
     .type = CONF_BOOL,
     .off = offsetof(struct fleet_conf, accept_unlisted),
     .def = "yes",
     .help = "register authorized pilots that have no [node] section"},
    CONF_END,
};

static const struct conf_opt budget_opts[] = {
    {.name = "per_group",
     .type = CONF_U32,
     .off = offsetof(struct budget_conf, per_group),
     .max = 100000,
     .def = "1",
     .help = "concurrent restarts in one group; 0 unlimited"},
    {.name = "per_network",
     .type = CONF_U32,
     .off = offsetof(struct budget_conf, per_network),
     .max = 100000,
     .def = "1",
     .help = "concurrent restarts in one network; 0 unlimited"},
    {.name = "grant_timeout",
     DUR_OPT(struct budget_conf, grant_timeout_ms),
     .min = 1000,
     .max = 24 * 3600 * 1000,
     .def = "600s",
     .help = "a grant not released by then (node healthy again) expires"},
    CONF_END,
};

static const struct conf_opt events_opts[] = {
    {.name = "max_age",
     DUR_OPT(struct commander_conf_events, max_age_ms),
     .max = UINT64_MAX / 2,
     .def = "720h",
     .help = "events older than this are deleted; 0 keeps any age"},
    {.name = "max_count",
     .type = CONF_U64,
     .off = offsetof(struct commander_conf_events, max_count),
     .max = UINT64_MAX / 2,
     .def = "1000000",
     .help = "only the newest this many events are kept; 0 any count"},
    CONF_END,
};

static const char *const role_names[] = {"", "validator", "sentry", "rpc",
                                         NULL};

static int
parse_role(void *field, const char *val, char *err, size_t errlen)
{
	for (size_t i = 0; role_names[i]; i++)
		if (strcmp(val, role_names[i]) == 0) {
			util_strlcpy(field, val,
			             FIELD_SIZE(struct fleet_node_conf, role));
			return 0;
		}
	snprintf(err, errlen, "validator, sentry, rpc or empty");
	return -1;
}

static void
print_str(const void *field, FILE *f)
{
	fputs(field, f);
}

/* Public keys are not secret, but a line too long must not be echoed
 * half: the finish step reports it. */
static int
parse_key(void *field, const char *val, char *err, size_t errlen)
{
	if (util_strcpy_checked(field, val, KEYS_PUB_LINE_MAX) != 0)
		util_strlcpy(field, TOO_LONG, KEYS_PUB_LINE_MAX);
	return 0;
}

static const struct conf_opt node_opts[] = {
    {.name = "group",
     STR_OPT(struct commander_node, fc.group),
     .help = "validator identity this node serves; empty: from its pilot"},
    {.name = "network",
     STR_OPT(struct commander_node, fc.network),
     .help = "chain id; empty: from its pilot"},
    {.name = "role",
     .type = CONF_CUSTOM,
     .off = offsetof(struct commander_node, fc.role),
     .parse = parse_role,
     .print = print_str,
     .help = "validator, sentry or rpc; empty: from its pilot"},
    {.name = "priority",
     .type = CONF_U32,
     .off = offsetof(struct commander_node, fc.priority),
     .max = 1000000,
     .def = "0",
     .help = "failover rank in its group: higher is promoted first"},
    {.name = "key",
     .type = CONF_CUSTOM,
     .off = offsetof(struct commander_node, key),
     .parse = parse_key,
     .print = print_str,
     .help = "the pilot's public key 'sextant-ed25519 BASE64'; empty: "
             "listed in authorized_pilots"},
    CONF_END,
};

static const char *const mode_names[] = {
    [FO_MODE_LEASE] = "lease", [FO_MODE_ACK_ONLY] = "ack-only", NULL};

/* Defaults equal FAILOVER_DEFAULT_PARAMS (checked by a unit test). */
static const struct conf_opt group_opts[] = {
    {.name = "mode",
     .type = CONF_ENUM,
     .off = offsetof(struct commander_group, mode),
     .names = mode_names,
     .def = "lease",
     .help = "lease: automatic failover, holders self-fence at expiry; "
             "ack-only: promote only after the holder says it stopped"},
    {.name = "enabled",
     .type = CONF_BOOL,
     .off = offsetof(struct commander_group, enabled),
     .def = "yes",
     .help = "automatic failover; no: only renewals and switchovers"},
    {.name = "ttl",
     DUR_OPT(struct commander_group, ttl_ms),
     .min = 1000,
     .max = 3600 * 1000,
     .def = "10s",
     .help = "lease length; pilots must heartbeat well within it"},
    {.name = "margin",
     DUR_OPT(struct commander_group, margin_ms),
     .min = 0,
     .max = 3600 * 1000,
     .def = "2s",
     .help = "skew margin the commander adds to a lease before reuse"},
    {.name = "drift_ppm",
     .type = CONF_U32,
     .off = offsetof(struct commander_group, drift_ppm),
     .max = 100000,
     .def = "1000",
     .help = "clock-rate drift allowance, parts per million of the ttl"},
    {.name = "failover_after",
     DUR_OPT(struct commander_group, failover_after_ms),
     .min = 0,
     .max = 24 * 3600 * 1000,
     .def = "6s",
     .help = "holder unhealthy or unreachable this long: fail over"},
    {.name = "max_lag",
     .type = CONF_U64,
     .off = offsetof(struct commander_group, max_lag),
     .max = 1000000000,
     .def = "5",
     .help = "a candidate must be within this many blocks of the tip"},
    CONF_END,
};

/* [ha] endpoint: one etcd client URL per line. */
static int
parse_ha_endpoint(void *field, const char *val, char *err, size_t errlen)
{
	struct ha_conf *h = field;

	if (val[0] == '\0')
		return 0; /* "endpoint =" as -nv prints none */
	if (h->nendpoints == ETCD_MAX_ENDPOINTS) {
		snprintf(err, errlen, "at most %d endpoints",
		         ETCD_MAX_ENDPOINTS);
		return -1;
	}
	if (strncmp(val, "http://", 7) != 0 &&
	    strncmp(val, "https://", 8) != 0) {
		snprintf(err, errlen, "not an http://HOST:PORT etcd URL");
		return -1;
	}
	if (util_strlcpy(h->endpoints[h->nendpoints], val, ETCD_URL_MAX) >=
	    ETCD_URL_MAX) {
		h->endpoints[h->nendpoints][0] = '\0';
		snprintf(err, errlen, "longer than %d characters",
		         ETCD_URL_MAX - 1);
		return -1;
	}
	h->nendpoints++;
	return 0;
}

static void
print_ha_endpoints(const void *field, FILE *f)
{
	const struct ha_conf *h = field;

	for (size_t i = 0; i < h->nendpoints; i++)
		fprintf(f, "%s%s", i ? "\nendpoint = " : "", h->endpoints[i]);
}

static const struct conf_opt ha_opts[] = {
    {.name = "endpoint",
     .type = CONF_CUSTOM,
     .off = 0,
     .multi = true,
     .parse = parse_ha_endpoint,
     .print = print_ha_endpoints,
     .help = "an etcd client URL (http://HOST:2379); repeat for each "
             "member; none: HA off"},
    {.name = "prefix",
     STR_OPT(struct ha_conf, prefix),
     .def = "/sextant",
     .help = "etcd key prefix of this commander cluster (PREFIX/leader, "
             "PREFIX/failover/GROUP)"},
    {.name = "id",
     STR_OPT(struct ha_conf, id),
     .help = "this commander's name, unique in the cluster"},
    {.name = "ttl",
     DUR_OPT(struct ha_conf, ttl_ms),
     .min = 2000,
     .max = 60 * 1000,
     .def = "5s",
     .help = "etcd lease of the leader (whole seconds): a dead leader is "
             "replaced after about this long"},
    {.name = "margin",
     DUR_OPT(struct ha_conf, margin_ms),
     .min = 100,
     .max = 20 * 1000,
     .def = "1s",
     .help = "the leader stops acting this long before its etcd lease "
             "could expire (clock-rate skew)"},
    {.name = "timeout",
     DUR_OPT(struct ha_conf, timeout_ms),
     .min = 50,
     .max = 20 * 1000,
     .def = "1s",
     .help = "bound on one etcd request"},
    {.name = "user",
     STR_OPT(struct ha_conf, user),
     .help = "etcd user (etcd auth); with password_file"},
    {.name = "password_file",
     STR_OPT(struct ha_conf, password_file),
     .help = "file holding the etcd user's password on one line (mode "
             "0600)"},
    {.name = "ca_file",
     STR_OPT(struct ha_conf, ca_file),
     .help = "https endpoints: CA bundle (PEM) that signs etcd's "
             "certificate; empty: the system's CAs"},
    {.name = "cert_file",
     STR_OPT(struct ha_conf, cert_file),
     .help = "https endpoints: client certificate (PEM) for etcd; with "
             "key_file"},
    {.name = "key_file",
     STR_OPT(struct ha_conf, key_file),
     .help = "the client certificate's private key (PEM, mode 0600)"},
    CONF_END,
};

static void *
open_commander(void *cfg, const char *inst, char *err, size_t errlen)
{
	return &((struct commander_conf *)cfg)->commander;
}

static void *
open_fleet(void *cfg, const char *inst, char *err, size_t errlen)
{
	return &((struct commander_conf *)cfg)->fleet;
}

static void *
open_budget(void *cfg, const char *inst, char *err, size_t errlen)
{
	return &((struct commander_conf *)cfg)->budget;
}

static void *
open_events(void *cfg, const char *inst, char *err, size_t errlen)
{
	return &((struct commander_conf *)cfg)->events;
}

static void *
open_api(void *cfg, const char *inst, char *err, size_t errlen)
{
	return &((struct commander_conf *)cfg)->api;
}

static void *
open_ha(void *cfg, const char *inst, char *err, size_t errlen)
{
	return &((struct commander_conf *)cfg)->ha;
}

static bool
name_ok(const char *s)
{
	if (*s == '\0' || strlen(s) >= PROTO_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

static void *
open_node(void *cfg, const char *inst, char *err, size_t errlen)
{
	struct commander_conf *c = cfg;
	struct commander_node *n, **nv;

	if (!name_ok(inst)) {
		snprintf(err, errlen,
		         "node name '%.80s' must be 1-%d letters, digits, '.', "
		         "'_' or '-'",
		         inst, PROTO_NAME_MAX - 1);
		return NULL;
	}
	for (size_t i = 0; i < c->nnodes; i++)
		if (strcmp(c->nodes[i]->fc.name, inst) == 0) {
			snprintf(err, errlen, "node '%s' defined twice", inst);
			return NULL;
		}
	if (c->nnodes == COMMANDER_MAX_NODES) {
		snprintf(err, errlen, "more than %d [node] sections",
		         COMMANDER_MAX_NODES);
		return NULL;
	}
	if ((nv = realloc(c->nodes, (c->nnodes + 1) * sizeof(*nv))) == NULL ||
	    (c->nodes = nv, n = calloc(1, sizeof(*n))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	util_strlcpy(n->fc.name, inst, sizeof(n->fc.name));
	c->nodes[c->nnodes++] = n;
	return n;
}

static size_t
count_nodes(const void *cfg)
{
	return ((const struct commander_conf *)cfg)->nnodes;
}

static void *
get_node(const void *cfg, size_t i, const char **inst)
{
	const struct commander_conf *c = cfg;

	*inst = c->nodes[i]->fc.name;
	return c->nodes[i];
}

static void *
open_group(void *cfg, const char *inst, char *err, size_t errlen)
{
	struct commander_conf *c = cfg;
	struct commander_group *g, **gv;

	if (!name_ok(inst)) {
		snprintf(err, errlen,
		         "group name '%.80s' must be 1-%d letters, digits, "
		         "'.', '_' or '-'",
		         inst, PROTO_NAME_MAX - 1);
		return NULL;
	}
	for (size_t i = 0; i < c->ngroups; i++)
		if (strcmp(c->groups[i]->name, inst) == 0) {
			snprintf(err, errlen, "group '%s' defined twice", inst);
			return NULL;
		}
	if (c->ngroups == COMMANDER_MAX_GROUPS) {
		snprintf(err, errlen, "more than %d [group] sections",
		         COMMANDER_MAX_GROUPS);
		return NULL;
	}
	if ((gv = realloc(c->groups, (c->ngroups + 1) * sizeof(*gv))) == NULL ||
	    (c->groups = gv, g = calloc(1, sizeof(*g))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	util_strlcpy(g->name, inst, sizeof(g->name));
	c->groups[c->ngroups++] = g;
	return g;
}

static size_t
count_groups(const void *cfg)
{
	return ((const struct commander_conf *)cfg)->ngroups;
}

static void *
get_group(const void *cfg, size_t i, const char **inst)
{
	const struct commander_conf *c = cfg;

	*inst = c->groups[i]->name;
	return c->groups[i];
}

ALERT_CONF_GLUE(cmdr_alerts, struct commander_conf, alerts)

/*
 * conf_dump prints every secret as "(secret)", also an empty one, and
 * "(secret)" does not read back as a usable API token: the [api] table is
 * copied with the two tokens as custom options that print "" when unset.
 * Set tokens still print "(secret)".
 */
static struct conf_opt api_opts[32];

static int
parse_token(void *field, const char *val, char *err, size_t errlen)
{
	if (util_strcpy_checked(field, val, API_TOKEN_MAX) != 0)
		util_strlcpy(field, TOO_LONG, API_TOKEN_MAX);
	return 0;
}

static void
print_token(const void *field, FILE *f)
{
	fputs(((const char *)field)[0] ? "(secret)" : "", f);
}

static const struct conf_opt *
api_table(void)
{
	static bool done;
	size_t i;

	if (done)
		return api_opts;
	for (i = 0; api_conf_opts[i].name && i + 1 < UTIL_NELEM(api_opts);
	     i++) {
		api_opts[i] = api_conf_opts[i];
		if (api_opts[i].secret && api_opts[i].type == CONF_STR) {
			api_opts[i].type = CONF_CUSTOM;
			api_opts[i].secret = false;
			api_opts[i].parse = parse_token;
			api_opts[i].print = print_token;
		}
	}
	api_opts[i] = (struct conf_opt)CONF_END;
	done = true;
	return api_opts;
}

static struct conf_section commander_sections[] = {
    {.name = "commander", .opts = commander_opts, .open = open_commander},
    {.name = "fleet", .opts = fleet_opts, .open = open_fleet},
    {.name = "budget", .opts = budget_opts, .open = open_budget},
    {.name = "events", .opts = events_opts, .open = open_events},
    {.name = "api", .opts = NULL, .open = open_api},
    {.name = "ha", .opts = ha_opts, .open = open_ha},
    ALERT_CONF_SECTION_ROWS(cmdr_alerts),
    {.name = "node",
     .repeated = true,
     .opts = node_opts,
     .open = open_node,
     .count = count_nodes,
     .get = get_node},
    {.name = "group",
     .repeated = true,
     .opts = group_opts,
     .open = open_group,
     .count = count_groups,
     .get = get_group},
    CONF_SECTIONS_END,
};

static const struct conf_section *
sections(void)
{
	commander_sections[4].opts = api_table();
	return commander_sections;
}

#define FINISH_FAIL(...)                                                       \
	do {                                                                   \
		int n_ = snprintf(err, errlen, "%s: ", c->path);               \
		if (n_ > 0 && (size_t)n_ < errlen)                             \
			snprintf(err + n_, errlen - (size_t)n_, __VA_ARGS__);  \
		goto fail;                                                     \
	} while (0)

static const struct commander_group *
find_group(const struct commander_conf *c, const char *name)
{
	for (size_t i = 0; i < c->ngroups; i++)
		if (strcmp(c->groups[i]->name, name) == 0)
			return c->groups[i];
	return NULL;
}

static int
finish_groups(struct commander_conf *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < c->ngroups; i++) {
		const struct commander_group *g = c->groups[i];
		struct failover_params p;
		size_t members = 0;

		for (size_t k = 0; k < c->nnodes; k++)
			if (strcmp(c->nodes[k]->fc.group, g->name) == 0)
				members++;
		if (members == 0)
			FINISH_FAIL("[group %s]: no [node] has group = %s",
			            g->name, g->name);
		commander_group_params(g, &p);
		/* a lease must outlive a few heartbeats, or the holder
		 * self-fences between two renewals */
		if (g->ttl_ms < 2 * c->commander.interval_ms)
			FINISH_FAIL(
			    "[group %s] ttl: shorter than two "
			    "heartbeat intervals ([commander] interval "
			    "%llums) '%llums'",
			    g->name,
			    (unsigned long long)c->commander.interval_ms,
			    (unsigned long long)g->ttl_ms);
	}
	for (size_t k = 0; k < c->nnodes; k++) {
		const struct commander_node *n = c->nodes[k];

		if (n->fc.group[0] && find_group(c, n->fc.group) &&
		    n->fc.role[0] && strcmp(n->fc.role, "validator") != 0)
			FINISH_FAIL("[node %s] role: a member of lease group "
			            "%s must be a validator '%s'",
			            n->fc.name, n->fc.group, n->fc.role);
	}
	return 0;
fail:
	return -1;
}

static int
finish_ha(struct commander_conf *c, char *err, size_t errlen)
{
	const struct ha_conf *h = &c->ha;
	char why[ETCD_PATH_MAX + 128], pw[ETCD_PASSWORD_MAX];
	bool https = false;
	int rc;

	if (h->user[0] && h->password_file[0] == '\0')
		FINISH_FAIL("[ha] user: set without password_file '%s'",
		            h->user);
	if (h->password_file[0] && h->user[0] == '\0')
		FINISH_FAIL("[ha] password_file: set without user '%s'",
		            h->password_file);
	if ((h->cert_file[0] != '\0') != (h->key_file[0] != '\0'))
		FINISH_FAIL("[ha] %s: set without %s '%s'",
		            h->cert_file[0] ? "cert_file" : "key_file",
		            h->cert_file[0] ? "key_file" : "cert_file",
		            h->cert_file[0] ? h->cert_file : h->key_file);
	if (h->nendpoints == 0)
		return 0;
	for (size_t i = 0; i < h->nendpoints; i++)
		https |= strncmp(h->endpoints[i], "https://", 8) == 0;
	if (!https && (h->ca_file[0] || h->cert_file[0]))
		FINISH_FAIL("[ha] %s: no endpoint is https:// '%s'",
		            h->ca_file[0] ? "ca_file" : "cert_file",
		            h->ca_file[0] ? h->ca_file : h->cert_file);
	if (h->ca_file[0] && access(h->ca_file, R_OK) != 0)
		FINISH_FAIL("[ha] ca_file: %s '%s'", strerror(errno),
		            h->ca_file);
	if (h->cert_file[0] && access(h->cert_file, R_OK) != 0)
		FINISH_FAIL("[ha] cert_file: %s '%s'", strerror(errno),
		            h->cert_file);
	if (h->key_file[0] &&
	    file_check_secrecy(h->key_file, why, sizeof(why)) != 0)
		FINISH_FAIL("[ha] key_file: %s", why);
	if (h->user[0]) {
		/* read now, so -n finds a bad file; ha_start reads it again */
		rc = ha_read_password(h->password_file, pw, sizeof(pw), why,
		                      sizeof(why));
		sodium_memzero(pw, sizeof(pw));
		if (rc != 0)
			FINISH_FAIL("[ha] password_file: %s", why);
	}
	if (h->id[0] == '\0')
		FINISH_FAIL("[ha] id: required with endpoint (this "
		            "commander's name in the cluster)");
	if (!name_ok(h->id) || strlen(h->id) >= HA_ID_MAX)
		FINISH_FAIL("[ha] id: letters, digits, '.', '_', '-' only "
		            "'%s'",
		            h->id);
	if (h->prefix[0] != '/' || h->prefix[strlen(h->prefix) - 1] == '/')
		FINISH_FAIL("[ha] prefix: starts with '/' and does not end "
		            "with one '%s'",
		            h->prefix);
	if (h->ttl_ms % 1000 != 0)
		FINISH_FAIL("[ha] ttl: etcd leases are whole seconds '%llums'",
		            (unsigned long long)h->ttl_ms);
	/* a keepalive is sent every ttl/3: the deadline must lie beyond */
	if (h->margin_ms * 3 > h->ttl_ms)
		FINISH_FAIL("[ha] margin: more than a third of ttl (%llums) "
		            "'%llums'",
		            (unsigned long long)h->ttl_ms,
		            (unsigned long long)h->margin_ms);
	if (h->timeout_ms * 3 > h->ttl_ms)
		FINISH_FAIL("[ha] timeout: more than a third of ttl (%llums) "
		            "'%llums'",
		            (unsigned long long)h->ttl_ms,
		            (unsigned long long)h->timeout_ms);
	/* the holder keeps signing through a takeover only if its lease
	 * outlasts the dead leader's etcd lease plus one heartbeat */
	for (size_t i = 0; i < c->ngroups; i++) {
		const struct commander_group *g = c->groups[i];

		if (g->ttl_ms <=
		    h->ttl_ms + h->margin_ms + c->commander.interval_ms)
			FINISH_FAIL(
			    "[group %s] ttl: not longer than [ha] ttl "
			    "+ margin + [commander] interval "
			    "(%llums): the primary would stop signing "
			    "in every takeover '%llums'",
			    g->name,
			    (unsigned long long)(h->ttl_ms + h->margin_ms +
			                         c->commander.interval_ms),
			    (unsigned long long)g->ttl_ms);
	}
	return 0;
fail:
	return -1;
}

static int
finish(struct commander_conf *c, char *err, size_t errlen)
{
	const struct commander_conf_main *m = &c->commander;
	struct registry_extra *extra = NULL;
	char(*src)[192] = NULL;
	size_t nextra = 0;
	char msg[256];

	if (strncmp(m->listen, "tcp://", 6) != 0 &&
	    strncmp(m->listen, "ipc://", 6) != 0 &&
	    strncmp(m->listen, "tls+tcp://", 10) != 0)
		FINISH_FAIL("[commander] listen: not tcp://HOST:PORT '%s'",
		            m->listen);
	if (m->stale_ms < m->interval_ms)
		FINISH_FAIL("[commander] stale: shorter than interval");
	c->fleet.interval_ms = (uint32_t)m->interval_ms;
	if (c->api.token[0] == TOO_LONG[0])
		FINISH_FAIL("[api] token: longer than %d characters",
		            API_TOKEN_MAX - 1);
	if (c->api.read_token[0] == TOO_LONG[0])
		FINISH_FAIL("[api] read_token: longer than %d characters",
		            API_TOKEN_MAX - 1);
	if (api_conf_finish(&c->api, msg, sizeof(msg)) != 0)
		FINISH_FAIL("[api] %s", msg);
	if (alert_conf_finish(&c->alerts, c->path, err, errlen) != 0)
		goto fail;
	if (finish_groups(c, err, errlen) != 0 ||
	    finish_ha(c, err, errlen) != 0)
		goto fail;
	if (keys_init() != 0)
		FINISH_FAIL("libsodium failed to initialise");
	if (keys_load_secret(m->key, &c->id, msg, sizeof(msg)) != 0)
		FINISH_FAIL("[commander] key: %s '%s'", msg, m->key);
	if (c->nnodes && ((extra = calloc(c->nnodes, sizeof(*extra))) == NULL ||
	                  (src = calloc(c->nnodes, sizeof(*src))) == NULL))
		FINISH_FAIL("out of memory");
	for (size_t k = 0; k < c->nnodes; k++) {
		const struct commander_node *n = c->nodes[k];

		if (n->key[0] == '\0')
			continue;
		if (n->key[0] == TOO_LONG[0])
			FINISH_FAIL("[node %s] key: longer than %d characters",
			            n->fc.name, KEYS_PUB_LINE_MAX - 1);
		snprintf(src[nextra], sizeof(src[nextra]),
		         "%.100s: [node %s] key", c->path, n->fc.name);
		extra[nextra].src = src[nextra];
		extra[nextra].line = n->key;
		extra[nextra].name = n->fc.name;
		nextra++;
	}
	/* registry messages already start with "file:line:" */
	if ((c->reg = registry_load_with(m->authorized_pilots, extra, nextra,
	                                 c->id.sk, err, errlen)) == NULL)
		goto fail;
	free(extra);
	free(src);
	registry_set_fresh_ms(c->reg, m->stale_ms);
	registry_set_interval_ms(c->reg, (uint32_t)m->interval_ms);
	return 0;
fail:
	free(extra);
	free(src);
	return -1;
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
	/* an absent [alerts] section still means the defaults */
	alert_conf_init(&c->alerts);
	if (text)
		rc = conf_load_string(name, text, sections(), c, err, errlen);
	else
		rc = conf_load(name, sections(), c, err, errlen);
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
	conf_dump(sections(), c, f);
}

void
commander_group_params(const struct commander_group *g,
                       struct failover_params *p)
{
	p->ttl_ms = (uint32_t)g->ttl_ms;
	p->margin_ms = (uint32_t)g->margin_ms;
	p->drift_ppm = g->drift_ppm;
	p->failover_after_ms = g->failover_after_ms;
	p->max_lag_blocks = g->max_lag;
}

void
commander_conf_free(struct commander_conf *c)
{
	if (c == NULL)
		return;
	registry_free(c->reg);
	keys_wipe(&c->id);
	for (size_t i = 0; i < c->nnodes; i++)
		free(c->nodes[i]);
	free(c->nodes);
	for (size_t i = 0; i < c->ngroups; i++)
		free(c->groups[i]);
	free(c->groups);
	/* the API tokens and channel URLs are secrets too */
	sodium_memzero(&c->api, sizeof(c->api));
	sodium_memzero(&c->alerts, sizeof(c->alerts));
	free(c);
}
