/*
 * api_send.h: mutating requests to the commander's API (POST, DELETE) for
 * `sextant switchover`, `alert test` and `silence`.  The reading side is
 * api_client.h; this shares its struct cli_api (URL and token).
 */
#ifndef SEXTANT_CLI_API_SEND_H
#define SEXTANT_CLI_API_SEND_H

#include "cli/api_client.h"

/*
 * method base+path with body (JSON text, or NULL for none).  On a 2xx
 * answer: CLI_EXIT_OK with *out the parsed JSON (caller deletes; may be
 * NULL when the body is not JSON) and *status set.  Otherwise
 * CLI_EXIT_FAIL after printing "prog: HTTP N: the API's error" (or the
 * transport's error, *status 0).
 */
int cli_api_send(struct cli_api *, const char *prog, const char *method,
                 const char *path, const char *body, long *status,
                 struct cJSON **out);

/* Percent-encode s as one path segment into buf; -1 if it does not fit. */
int cli_api_path_segment(const char *s, char *buf, size_t size);

#endif
