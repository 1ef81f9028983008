#include "pilot/conf.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "common/keys.h"
#include "common/util.h"
#include "pilot/lease.h"

#define FIELD_SIZE(T, member) sizeof(((T *)0)->member)
#define STR_OPT(T, member)                                                     \
	.type = CONF_STR, .off = offsetof(T, member),                          \
	.size = FIELD_SIZE(T, member)
#define XSTR(x) STR(x)
#define STR(x)  #x

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

/* [commander] url: one line per commander of an HA cluster (they share
 * one key); kept as one space-separated list. */
static int
parse_commander_url(void *field, const char *val, char *err, size_t errlen)
{
	char *list = field;
	size_t len = strlen(list), n = len ? 1 : 0, vlen = strlen(val);

	if (vlen == 0)
		return 0; /* "url =" as -nv prints a standalone pilot */
	for (const char *p = list; *p; p++)
		n += *p == ' ';
	if (n == PILOT_MAX_COMMANDERS) {
		snprintf(err, errlen, "at most %d commanders",
		         PILOT_MAX_COMMANDERS);
		return -1;
	}
	if (vlen >= PILOT_URL_MAX) {
		snprintf(err, errlen, "longer than %d characters",
		         PILOT_URL_MAX - 1);
		return -1;
	}
	if (strpbrk(val, " \t") != NULL) {
		snprintf(err, errlen, "one URL per line");
		return -1;
	}
	snprintf(list + len, PILOT_MAX_COMMANDERS * PILOT_URL_MAX - len, "%s%s",
	         len ? " " : "", val);
	return 0;
}

static void
print_commander_urls(const void *field, FILE *f)
{
	for (const char *p = field; *p; p++)
		if (*p == ' ')
			fputs("\nurl = ", f);
		else
			fputc(*p, f);
}

static const struct conf_opt commander_opts[] = {
    {.name = "url",
     .type = CONF_CUSTOM,
     .off = offsetof(struct pilot_conf_commander, url),
     .multi = true,
     .parse = parse_commander_url,
     .print = print_commander_urls,
     .help = "tcp://HOST:PORT of the commander; repeat the line for each "
             "commander of an HA cluster (they share one key); unset: "
             "standalone"},
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

/* ---- [supervise] ---- */

static const char *const backend_names[] = {"none", "process", "docker",
                                            "systemd", NULL};

const char *
pilot_backend_str(int backend)
{
	if (backend < 0 || backend >= (int)UTIL_NELEM(backend_names) - 1)
		return "?";
	return backend_names[backend];
}

/* A repeated key: each value appends one entry; an empty value is no
 * entry (so "arg =" as -nv prints an empty list reads back). */
static int
strlist_add(struct pilot_strlist *l, unsigned max, const char *val, char *err,
            size_t errlen)
{
	if (val[0] == '\0')
		return 0;
	if (l->n == max) {
		snprintf(err, errlen, "at most %u values", max);
		return -1;
	}
	if (util_strlcpy(l->v[l->n], val, PILOT_ARG_MAX) >= PILOT_ARG_MAX) {
		l->v[l->n][0] = '\0';
		snprintf(err, errlen, "longer than %d characters",
		         PILOT_ARG_MAX - 1);
		return -1;
	}
	l->n++;
	return 0;
}

static int
parse_arg(void *field, const char *val, char *err, size_t errlen)
{
	return strlist_add(field, PILOT_MAX_ARGS, val, err, errlen);
}

static int
parse_env(void *field, const char *val, char *err, size_t errlen)
{
	const char *eq = strchr(val, '=');

	if (val[0] != '\0' && (eq == NULL || eq == val)) {
		snprintf(err, errlen, "not NAME=VALUE");
		return -1;
	}
	return strlist_add(field, PILOT_MAX_ENV, val, err, errlen);
}

/* As print_ref_urls: the key repeats for every value after the first. */
static void
print_strlist(const struct pilot_strlist *l, const char *key, FILE *f)
{
	for (unsigned i = 0; i < l->n; i++)
		fprintf(f, "%s%s", i ? key : "", l->v[i]);
}

static void
print_args(const void *field, FILE *f)
{
	print_strlist(field, "\narg = ", f);
}

static void
print_env(const void *field, FILE *f)
{
	print_strlist(field, "\nenv = ", f);
}

/* "64M", "512k", "1G" or plain bytes. */
static int
parse_size(void *field, const char *val, char *err, size_t errlen)
{
	char num[32];
	size_t n = strlen(val);
	uint64_t mul = 1, v;

	if (n > 0 && n < sizeof(num)) {
		switch (val[n - 1]) {
		case 'k':
		case 'K':
			mul = 1024;
			break;
		case 'm':
		case 'M':
			mul = 1024 * 1024;
			break;
		case 'g':
		case 'G':
			mul = 1024 * 1024 * 1024;
			break;
		}
	}
	if (n == 0 || n >= sizeof(num)) {
		snprintf(err, errlen, "not a size (like 64M, 512k)");
		return -1;
	}
	memcpy(num, val, n + 1);
	if (mul != 1)
		num[n - 1] = '\0';
	if (util_parse_u64(num, 1, UINT64_MAX / mul, &v) != 0) {
		snprintf(err, errlen, "not a size (like 64M, 512k)");
		return -1;
	}
	v *= mul;
	if (v < 4096) {
		snprintf(err, errlen, "below 4k");
		return -1;
	}
	*(uint64_t *)field = v;
	return 0;
}

static void
print_size(const void *field, FILE *f)
{
	uint64_t v = *(const uint64_t *)field;

	if (v % (1024 * 1024 * 1024) == 0)
		fprintf(f, "%" PRIu64 "G", v / (1024 * 1024 * 1024));
	else if (v % (1024 * 1024) == 0)
		fprintf(f, "%" PRIu64 "M", v / (1024 * 1024));
	else if (v % 1024 == 0)
		fprintf(f, "%" PRIu64 "k", v / 1024);
	else
		fprintf(f, "%" PRIu64, v);
}

#define SV struct pilot_conf_supervise
static const struct conf_opt supervise_opts[] = {
    {.name = "backend",
     .type = CONF_ENUM,
     .off = offsetof(SV, backend),
     .names = backend_names,
     .def = "none",
     .help = "none (watch only), process, docker or systemd"},
    {.name = "target",
     STR_OPT(SV, target),
     .help = "docker: container name or id; systemd: unit name"},
    {.name = "command",
     STR_OPT(SV, command),
     .help = "process: the node program, a path (no PATH search)"},
    {.name = "arg",
     .type = CONF_CUSTOM,
     .off = offsetof(SV, args),
     .multi = true,
     .parse = parse_arg,
     .print = print_args,
     .help = "process: one argument; repeat in order"},
    {.name = "env",
     .type = CONF_CUSTOM,
     .off = offsetof(SV, env),
     .multi = true,
     .parse = parse_env,
     .print = print_env,
     .help = "process: NAME=VALUE added to its environment; repeat"},
    {.name = "workdir",
     STR_OPT(SV, workdir),
     .help = "process: working directory; empty: the pilot's"},
    {.name = "log_file",
     STR_OPT(SV, log_file),
     .help = "process: the node's stdout and stderr; empty: "
             "STATE_DIR/node.log"},
    {.name = "log_max_size",
     .type = CONF_CUSTOM,
     .off = offsetof(SV, log_max_bytes),
     .parse = parse_size,
     .print = print_size,
     .def = "64M",
     .help = "process: rotate the log file at this size"},
    {.name = "log_keep",
     .type = CONF_U32,
     .off = offsetof(SV, log_keep),
     .min = 1,
     .max = 100,
     .def = "3",
     .help = "process: rotated log files kept"},
    {.name = "stop_timeout",
     .type = CONF_DURATION_MS,
     .off = offsetof(SV, stop_timeout_ms),
     .min = 100,
     .max = 600 * 1000,
     .def = "30s",
     .help = "graceful stop: SIGKILL (or the engine's kill) after this"},
    {.name = "call_timeout",
     .type = CONF_DURATION_MS,
     .off = offsetof(SV, call_timeout_ms),
     .min = 100,
     .max = 600 * 1000,
     .def = "10s",
     .help = "bound on one engine API call or systemctl run"},
    {.name = "start",
     .type = CONF_BOOL,
     .off = offsetof(SV, start),
     .def = "yes",
     .help = "process: start the node when the pilot starts"},
    {.name = "docker_host",
     STR_OPT(SV, docker_host),
     .help = "docker: unix:///path of the engine; empty: $DOCKER_HOST "
             "or /var/run/docker.sock"},
    CONF_END,
};
#undef SV

/* ---- [policy] ---- */

#define PO struct pilot_conf_policy
#define RULE_OPT(key, rule, what)                                              \
	{                                                                      \
		.name = key, .type = CONF_BOOL,                                \
		.off = offsetof(PO, p.enabled[rule]), .def = "yes",            \
		.help = what                                                   \
	}
static const struct conf_opt policy_opts[] = {
    {.name = "check_interval",
     .type = CONF_DURATION_MS,
     .off = offsetof(PO, check_interval_ms),
     .min = 100,
     .max = 24 * 3600 * 1000,
     .def = XSTR(POLICY_DEFAULT_CHECK_MS) "ms",
     .help = "how often the restart policy judges the node"},
    {.name = "moderate_lag",
     .type = CONF_U64,
     .off = offsetof(PO, p.moderate_lag),
     .min = 1,
     .def = XSTR(POLICY_DEFAULT_MODERATE),
     .help = "blocks; restart unless in major sync or producing"},
    {.name = "severe_lag",
     .type = CONF_U64,
     .off = offsetof(PO, p.severe_lag),
     .min = 2,
     .def = XSTR(POLICY_DEFAULT_SEVERE),
     .help = "blocks; restart whatever else"},
    {.name = "stall_min_lag",
     .type = CONF_U64,
     .off = offsetof(PO, p.stall_min_lag),
     .def = "0",
     .help = "stall and trend restart only at this lag; 0: severe_lag"},
    {.name = "cooldown",
     .type = CONF_DURATION_MS,
     .off = offsetof(PO, p.cooldown_ms),
     .def = XSTR(POLICY_DEFAULT_COOLDOWN_MS) "ms",
     .help = "no restart within this of the last one"},
    {.name = "stall",
     .type = CONF_DURATION_MS,
     .off = offsetof(PO, p.stall_ms),
     .min = 1,
     .def = XSTR(POLICY_DEFAULT_STALL_MS) "ms",
     .help = "no height progress this long: stalled"},
    {.name = "trend_window",
     .type = CONF_DURATION_MS,
     .off = offsetof(PO, p.trend_ms),
     .min = 1,
     .def = XSTR(POLICY_DEFAULT_TREND_MS) "ms",
     .help = "window over which a rising lag is judged"},
    {.name = "unreachable_checks",
     .type = CONF_U32,
     .off = offsetof(PO, p.unreachable_checks),
     .min = 1,
     .max = 1000,
     .def = "3",
     .help = "checks with a dead RPC before it counts"},
    {.name = "exited_checks",
     .type = CONF_U32,
     .off = offsetof(PO, p.exited_checks),
     .min = 1,
     .max = 1000,
     .def = "1",
     .help = "checks with the node not running before it counts"},
    {.name = "cap_restarts",
     .type = CONF_U32,
     .off = offsetof(PO, p.cap_restarts),
     .max = POLICY_CAP_MAX,
     .def = "3",
     .help = "crash-loop cap: at most this many restarts per cap_window "
             "(0: no cap)"},
    {.name = "cap_window",
     .type = CONF_DURATION_MS,
     .off = offsetof(PO, p.cap_window_ms),
     .def = "1h",
     .help = "the crash-loop cap's window"},
    {.name = "backoff",
     .type = CONF_DURATION_MS,
     .off = offsetof(PO, p.backoff_base_ms),
     .def = XSTR(POLICY_DEFAULT_COOLDOWN_MS) "ms",
     .help = "gap after a restart that did not help; doubles (0: off)"},
    {.name = "backoff_max",
     .type = CONF_DURATION_MS,
     .off = offsetof(PO, p.backoff_max_ms),
     .def = "1h",
     .help = "the doubling stops here"},
    {.name = "backoff_reset",
     .type = CONF_DURATION_MS,
     .off = offsetof(PO, p.backoff_reset_ms),
     .def = XSTR(POLICY_DEFAULT_COOLDOWN_MS) "ms",
     .help = "healthy this long: the backoff is forgotten"},
    {.name = "dry_run",
     .type = CONF_BOOL,
     .off = offsetof(PO, p.dry_run),
     .def = "no",
     .help = "decide and log, never restart"},
    RULE_OPT("rule_exited", POLICY_RULE_EXITED,
             "restart a node that is not running"),
    RULE_OPT("rule_unreachable", POLICY_RULE_UNREACHABLE,
             "restart a node whose RPC is dead"),
    RULE_OPT("rule_severe_lag", POLICY_RULE_SEVERE_LAG,
             "restart at severe lag"),
    RULE_OPT("rule_moderate_lag", POLICY_RULE_MODERATE_LAG,
             "restart at moderate lag (not syncing, not producing)"),
    RULE_OPT("rule_stall", POLICY_RULE_STALL,
             "restart a stalled node (lag >= stall_min_lag)"),
    RULE_OPT("rule_trend", POLICY_RULE_TREND,
             "restart a node falling behind (lag >= stall_min_lag)"),
    CONF_END,
};
#undef RULE_OPT
#undef PO

/* ---- [logrules] ---- */

static const char *const tristate_names[] = {"auto", "yes", "no", NULL};

static int
parse_rule(void *field, const char *val, char *err, size_t errlen)
{
	if (val[0] == '\0')
		return 0; /* "rule =": no rules, as -nv prints them */
	return logrules_conf_parse(field, val, err, errlen);
}

static void
print_rules(const void *field, FILE *f)
{
	if (((const struct logrules *)field)->n > 0)
		logrules_conf_print(field, f);
}

static const struct conf_opt logrules_opts[] = {
    {.name = "defaults",
     .type = CONF_ENUM,
     .off = offsetof(struct pilot_conf_logrules, defaults),
     .names = tristate_names,
     .def = "auto",
     .help = "Substrate / Aleph Zero wording; auto: for substrate, or "
             "when the height comes from the logs"},
    {.name = LOGRULES_CONF_KEY,
     .type = CONF_CUSTOM,
     .off = offsetof(struct pilot_conf_logrules, user),
     .multi = true,
     .parse = parse_rule,
     .print = print_rules,
     .help = "SIGNAL: pattern with {n} and {hash}; repeat for more"},
    CONF_END,
};

/* ---- [signer] ---- */

static const char *const signer_names[] = {"none", "keyswap", "command", NULL};
static const char *const mode_names[] = {"lease", "ack-only", NULL};

#define SG struct pilot_conf_signer
static const struct conf_opt signer_opts[] = {
    {.name = "backend",
     .type = CONF_ENUM,
     .off = offsetof(SG, backend),
     .names = signer_names,
     .def = "none",
     .help = "none, keyswap or command: how the node is made to sign"},
    {.name = "mode",
     .type = CONF_ENUM,
     .off = offsetof(SG, mode),
     .names = mode_names,
     .def = "lease",
     .help = "lease: stop signing at lease expiry; ack-only: only when "
             "told (as the group's mode on the commander)"},
    {.name = "key_source",
     STR_OPT(SG, sc.key_src),
     .help = "keyswap: the consensus key, in a pilot-only path (0600)"},
    {.name = "key_target",
     STR_OPT(SG, sc.key_dst),
     .help = "keyswap: where the node reads its key"},
    {.name = "standby_key",
     STR_OPT(SG, sc.standby_key),
     .help = "keyswap: a non-validator key put there on demote; empty: "
             "the key is removed"},
    {.name = "state_file",
     STR_OPT(SG, sc.state_file),
     .help = "the node's priv_validator_state.json (watermark)"},
    {.name = "lease_file",
     STR_OPT(SG, sc.lease_file),
     .help = "lease deadline for a lease-aware signer; empty: none"},
    {.name = "promote_command",
     STR_OPT(SG, sc.promote_cmd),
     .help = "command: program and arguments (no shell)"},
    {.name = "demote_command",
     STR_OPT(SG, sc.demote_cmd),
     .help = "command: program and arguments (no shell)"},
    {.name = "timeout",
     .type = CONF_DURATION_MS,
     .off = offsetof(SG, timeout_ms),
     .min = 100,
     .max = 600 * 1000,
     .def = "30s",
     .help = "command: bound on each run"},
    {.name = "restart_node",
     .type = CONF_BOOL,
     .off = offsetof(SG, sc.restart_node),
     .def = "yes",
     .help = "keyswap: restart the node after swapping the key"},
    {.name = "doppelganger",
     .type = CONF_ENUM,
     .off = offsetof(SG, doppelganger),
     .names = tristate_names,
     .def = "auto",
     .help = "watch new commits for our signature before signing; "
             "auto: yes for cometbft"},
    {.name = "doppelganger_blocks",
     .type = CONF_U32,
     .off = offsetof(SG, sc.doppelganger_blocks),
     .min = 1,
     .max = 1000,
     .def = "3",
     .help = "new blocks to watch"},
    {.name = "validator_address",
     STR_OPT(SG, validator_address),
     .help = "hex address to look for; empty: from key_source, else "
             "the node's /status"},
    CONF_END,
};
#undef SG

/* ---- [budget] ---- */

static const char *const fallback_names[] = {"allow", "deny", NULL};

static const struct conf_opt budget_opts[] = {
    {.name = "fallback",
     .type = CONF_ENUM,
     .off = offsetof(struct pilot_conf_budget, fallback),
     .names = fallback_names,
     .def = "allow",
     .help = "restart without the commander's grant when it cannot be "
             "asked: allow or deny"},
    {.name = "grant_wait",
     .type = CONF_DURATION_MS,
     .off = offsetof(struct pilot_conf_budget, grant_wait_ms),
     .min = 100,
     .max = 3600 * 1000,
     .def = "30s",
     .help = "how long to wait for a grant or deny"},
    CONF_END,
};

/* ---- [http] ---- */

#define HTTP_DEFAULT "http://127.0.0.1:" XSTR(PILOT_HTTP_DEFAULT_PORT)

bool
pilot_conf_http_default(const struct pilot_conf *c)
{
	return strcmp(c->http.listen, HTTP_DEFAULT) == 0;
}

static const struct conf_opt http_opts[] = {
    {.name = "listen",
     STR_OPT(struct pilot_conf_http, listen),
     .def = HTTP_DEFAULT,
     .env = "SEXTANT_HTTP_LISTEN",
     .help = "/health and /metrics at [http://]HOST:PORT; off: none"},
    {.name = "public",
     .type = CONF_BOOL,
     .off = offsetof(struct pilot_conf_http, is_public),
     .def = "no",
     .env = "SEXTANT_HTTP_PUBLIC",
     .help = "allow an address other than loopback"},
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

#define OPENER(sec)                                                            \
	static void *open_##sec(void *cfg, const char *inst, char *err,        \
	                        size_t errlen)                                 \
	{                                                                      \
		return &((struct pilot_conf *)cfg)->sec;                       \
	}
OPENER(supervise)
OPENER(policy)
OPENER(logrules)
OPENER(signer)
OPENER(budget)
OPENER(http)
#undef OPENER

static const struct conf_section pilot_sections[] = {
    {.name = "pilot", .opts = pilot_opts, .open = open_pilot},
    {.name = "commander", .opts = commander_opts, .open = open_commander},
    {.name = "node", .opts = node_opts, .open = open_node},
    {.name = "reference", .opts = reference_opts, .open = open_reference},
    {.name = "supervise", .opts = supervise_opts, .open = open_supervise},
    {.name = "policy", .opts = policy_opts, .open = open_policy},
    {.name = "logrules", .opts = logrules_opts, .open = open_logrules},
    {.name = "signer", .opts = signer_opts, .open = open_signer},
    {.name = "budget", .opts = budget_opts, .open = open_budget},
    {.name = "http", .opts = http_opts, .open = open_http},
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

static int
finish_commander(struct pilot_conf *c, char *err, size_t errlen)
{
	char msg[256];

	c->has_commander = c->commander.url[0] != '\0';
	if (!c->has_commander) {
		if (c->commander.key[0])
			FINISH_FAIL("[commander] key: set without url");
		return 0;
	}
	for (const char *u = c->commander.url; *u;) {
		size_t n = strcspn(u, " ");

		if (!url_scheme_ok(u))
			FINISH_FAIL(
			    "[commander] url: not tcp://HOST:PORT '%.*s'",
			    (int)n, u);
		u += n;
		u += *u == ' ';
	}
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

static int
finish_supervise(struct pilot_conf *c, char *err, size_t errlen)
{
	struct pilot_conf_supervise *sv = &c->supervise;
	const char *b = pilot_backend_str(sv->backend);

	if (sv->backend != PILOT_BACKEND_PROCESS) {
		if (sv->command[0] || sv->args.n || sv->env.n ||
		    sv->workdir[0] || sv->log_file[0])
			FINISH_FAIL("[supervise] command, arg, env, workdir, "
			            "log_file: only with backend = process, "
			            "not '%s'",
			            b);
	}
	if (sv->docker_host[0] && sv->backend != PILOT_BACKEND_DOCKER)
		FINISH_FAIL("[supervise] docker_host: only with backend = "
		            "docker, not '%s'",
		            b);
	switch (sv->backend) {
	case PILOT_BACKEND_PROCESS:
		if (sv->command[0] == '\0')
			FINISH_FAIL("[supervise] command: required with "
			            "backend = process");
		if (strchr(sv->command, '/') == NULL)
			FINISH_FAIL("[supervise] command: a path, there is no "
			            "PATH search '%s'",
			            sv->command);
		if (sv->target[0] == '\0')
			util_strlcpy(sv->target, c->pilot.name,
			             sizeof(sv->target));
		if (sv->log_file[0] == '\0' &&
		    (size_t)snprintf(sv->log_file, sizeof(sv->log_file),
		                     "%s/node.log", c->pilot.state_dir) >=
		        sizeof(sv->log_file))
			FINISH_FAIL("[pilot] state_dir: too long '%s'",
			            c->pilot.state_dir);
		break;
	case PILOT_BACKEND_DOCKER:
	case PILOT_BACKEND_SYSTEMD:
		if (sv->target[0] == '\0')
			FINISH_FAIL("[supervise] target: required with "
			            "backend = %s",
			            b);
		break;
	default:
		break;
	}
	if (sv->docker_host[0] && strncmp(sv->docker_host, "unix://", 7) != 0)
		FINISH_FAIL("[supervise] docker_host: not unix:///PATH '%s'",
		            sv->docker_host);
	return 0;
}

static bool
has_signal(const struct logrules *r, enum logrule_signal sig)
{
	for (unsigned i = 0; i < r->n; i++)
		if (r->rule[i].signal == sig)
			return true;
	return false;
}

static int
finish_logrules(struct pilot_conf *c, char *err, size_t errlen)
{
	struct pilot_conf_logrules *lr = &c->logrules;
	bool has_logs = c->supervise.backend != PILOT_BACKEND_NONE;
	bool has_rpc = c->pilot.chain == CHAIN_COMMAND ? c->node.command[0]
	                                               : c->node.rpc_url[0];
	bool defaults;

	if (!has_rpc) {
		if (!has_logs)
			FINISH_FAIL("[node] %s: required (or a [supervise] "
			            "backend whose log lines give the height)",
			            c->pilot.chain == CHAIN_COMMAND
			                ? "command"
			                : "rpc_url");
		c->height_from_logs = true;
	}
	if (lr->defaults == PILOT_AUTO)
		defaults =
		    c->pilot.chain == CHAIN_SUBSTRATE || c->height_from_logs;
	else
		defaults = lr->defaults == PILOT_YES;
	if (!has_logs && (lr->user.n > 0 || lr->defaults == PILOT_YES))
		FINISH_FAIL("[logrules]: set, but [supervise] backend = none "
		            "reads no logs");
	lr->rules = lr->user;
	if (defaults) {
		struct logrules d;

		logrules_init(&d);
		logrules_add_defaults(&d);
		for (unsigned i = 0; i < d.n; i++)
			if (logrules_add(&lr->rules, &d.rule[i]) != 0)
				FINISH_FAIL(
				    "[logrules] rule: more than %d with "
				    "the defaults (set defaults = no)",
				    LOGRULES_MAX);
	}
	c->use_logrules = has_logs && lr->rules.n > 0;
	if (c->height_from_logs && !has_signal(&lr->rules, LOGRULE_IMPORTED))
		FINISH_FAIL("[logrules] rule: the height comes from the logs "
		            "(no [node] rpc_url), but no 'imported' rule");
	return 0;
}

static bool
hex_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
		      (*s >= 'A' && *s <= 'F')))
			return false;
	return true;
}

static int
finish_signer(struct pilot_conf *c, char *err, size_t errlen)
{
	struct pilot_conf_signer *sg = &c->signer;
	char msg[256];

	if (sg->backend == PILOT_SIGNER_NONE) {
		if (sg->doppelganger == PILOT_YES)
			FINISH_FAIL("[signer] doppelganger: set, but backend "
			            "= none");
		return 0;
	}
	if (c->pilot.role != ROLE_VALIDATOR)
		FINISH_FAIL("[signer] backend: only for role = validator, "
		            "not '%s'",
		            proto_role_str(c->pilot.role));
	util_strlcpy(sg->sc.backend, signer_names[sg->backend],
	             sizeof(sg->sc.backend));
	sg->sc.cmd_timeout_ms = (uint32_t)sg->timeout_ms;
	if (signer_check(&sg->sc, msg, sizeof(msg)) != 0)
		FINISH_FAIL("[signer] %s", msg);
	if (c->pilot.chain == CHAIN_COMETBFT && sg->sc.state_file[0] == '\0')
		FINISH_FAIL("[signer] state_file: required for cometbft (the "
		            "watermark is raised there before signing)");
	if (sg->doppelganger == PILOT_YES && c->pilot.chain != CHAIN_COMETBFT)
		FINISH_FAIL("[signer] doppelganger: only for cometbft, not "
		            "'%s'",
		            proto_chain_str(c->pilot.chain));
	c->doppelganger = sg->doppelganger == PILOT_AUTO
	                      ? c->pilot.chain == CHAIN_COMETBFT
	                      : sg->doppelganger == PILOT_YES;
	sg->sc.doppelganger = c->doppelganger;
	if (sg->validator_address[0] && !hex_ok(sg->validator_address))
		FINISH_FAIL("[signer] validator_address: not hex '%s'",
		            sg->validator_address);
	return 0;
}

static bool
loopback_host(const char *h)
{
	return strncmp(h, "127.", 4) == 0 || strcmp(h, "localhost") == 0 ||
	       strcmp(h, "[::1]") == 0;
}

static int
finish_http(struct pilot_conf *c, char *err, size_t errlen)
{
	const char *l = c->http.listen, *colon;
	char host[PILOT_URL_MAX];
	uint64_t port;

	c->http_url[0] = '\0';
	if (l[0] == '\0' || strcmp(l, "off") == 0 || strcmp(l, "no") == 0)
		return 0;
	if (strncmp(l, "http://", 7) == 0)
		l += 7;
	colon = strrchr(l, ':');
	if (colon == NULL || colon == l ||
	    (size_t)(colon - l) >= sizeof(host) ||
	    util_parse_u64(colon + 1, 1, 65535, &port) != 0)
		FINISH_FAIL("[http] listen: not [http://]HOST:PORT '%s'",
		            c->http.listen);
	memcpy(host, l, (size_t)(colon - l));
	host[colon - l] = '\0';
	if (strchr(host, '/') != NULL ||
	    (strchr(host, ':') != NULL && host[0] != '['))
		FINISH_FAIL("[http] listen: not [http://]HOST:PORT '%s'",
		            c->http.listen);
	if (!c->http.is_public && !loopback_host(host))
		FINISH_FAIL("[http] listen: not a loopback address (set "
		            "public = yes to serve it there) '%s'",
		            c->http.listen);
	snprintf(c->http_url, sizeof(c->http_url), "http://%s:%" PRIu64, host,
	         port);
	return 0;
}

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
	if (c->commander.reconnect_max_ms < c->commander.reconnect_min_ms)
		FINISH_FAIL("[commander] reconnect_max: below reconnect_min");
	if (finish_supervise(c, err, errlen) != 0 ||
	    finish_logrules(c, err, errlen) != 0)
		return -1;
	if (policy_conf_check(&c->policy.p, msg, sizeof(msg)) != 0)
		FINISH_FAIL("[policy] %s", msg);
	if (finish_signer(c, err, errlen) != 0 ||
	    finish_http(c, err, errlen) != 0)
		return -1;
	return finish_commander(c, err, errlen);
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
