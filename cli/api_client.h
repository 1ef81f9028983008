/*
 * api_client.h: what the API subcommands share: the --api URL and the
 * token, one request, one GET returning JSON, and terminal helpers.
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
struct http_resp;

#define CLI_API_BASE_MAX 512

struct cli_api {
	char base[CLI_API_BASE_MAX]; /* no trailing slash */
	char token[512];             /* "" = none */
	uint32_t timeout_ms;
};

/* Resolve URL and token: 0, or -1 after printing why. */
int cli_api_setup(struct cli_api *, const char *prog, const char *api_url,
                  const char *token_file);
void cli_api_clear(struct cli_api *); /* wipes the token */

/*
 * method base+path with body (JSON text, or NULL for none), with the
 * token and timeout set up: 0 with *resp the answer, whatever its status
 * (caller frees with http_resp_free), or -1 after printing the transport's
 * error.
 */
int cli_api_request(struct cli_api *, const char *prog, const char *method,
                    const char *path, const char *body, struct http_resp *resp);

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

/* --json: o indented, then a newline, on stdout. */
void cli_json_print(const struct cJSON *o);

/* Field helpers over cJSON objects. */
const char *cli_json_str(const struct cJSON *o, const char *key);
double cli_json_num(const struct cJSON *o, const char *key, double def);

/* "2024-05-01 12:00:03" local time from wall ms; "-" for 0. */
const char *cli_fmt_time(uint64_t ms, char *buf, size_t size);
/* "12s ago", "3m ago"; "-" for 0. */
const char *cli_fmt_ago(uint64_t ms, uint64_t now_ms, char *buf, size_t size);

#endif
