/*
 * api_client.h: what `sextant status`, `events` and `node` share: the
 * --api URL and the token, one GET returning JSON, and terminal helpers.
 * The token comes from SEXTANT_TOKEN or --token-file (refused unless only
 * its owner can read it); the URL from --api, SEXTANT_API or the default.
 * These print their errors to stderr: they are the CLI's edge.
 */
#ifndef SEXTANT_CLI_API_CLIENT_H
#define SEXTANT_CLI_API_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#define CLI_API_DEFAULT "http://127.0.0.1:7401"

struct cJSON;

#define CLI_API_BASE_MAX 512

struct cli_api {
	char base[CLI_API_BASE_MAX]; /* no trailing slash */
	char token[512];             /* "" = none */
	uint32_t timeout_ms;
};

/* The long options every API command takes, for getopt_long tables. */
#define CLI_API_OPT_API        1001
#define CLI_API_OPT_TOKEN_FILE 1002
#define CLI_API_LONGOPTS                                                       \
	{"api", required_argument, NULL, CLI_API_OPT_API},                     \
	{                                                                      \
		"token-file", required_argument, NULL, CLI_API_OPT_TOKEN_FILE  \
	}
#define CLI_API_USAGE                                                          \
	"      --api URL[,URL]   the commander's API (default $SEXTANT_API "   \
	"or\n"                                                                 \
	"                        " CLI_API_DEFAULT "); with HA, every\n"       \
	"                        commander's: the leader is asked\n"           \
	"      --token-file FILE bearer token (mode 0600); default: the\n"     \
	"                        environment SEXTANT_TOKEN\n"

/* Resolve URL and token: 0, or -1 after printing why. */
int cli_api_setup(struct cli_api *, const char *prog, const char *api_url,
                  const char *token_file);
void cli_api_clear(struct cli_api *); /* wipes the token */

/*
 * GET base+path and parse the JSON answer into *out (caller deletes).
 * CLI_EXIT_OK, or CLI_EXIT_FAIL after printing the API's error (its
 * {"error": ...} text and status) or the transport's.
 */
int cli_api_get(struct cli_api *, const char *prog, const char *path,
                struct cJSON **out);

/* Append "name=value" to a query string, percent-encoding the value. */
void cli_api_query_add(char *q, size_t size, const char *name,
                       const char *value);

/* Field helpers over cJSON objects. */
const char *cli_json_str(const struct cJSON *o, const char *key);
double cli_json_num(const struct cJSON *o, const char *key, double def);

/* "2024-05-01 12:00:03" local time from wall ms; "-" for 0. */
const char *cli_fmt_time(uint64_t ms, char *buf, size_t size);
/* "12s ago", "3m ago"; "-" for 0. */
const char *cli_fmt_ago(uint64_t ms, uint64_t now_ms, char *buf, size_t size);

#endif
