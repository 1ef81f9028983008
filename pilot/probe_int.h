/*
 * probe_int.h: what the probe families share and nobody else needs.
 * The pj_ helpers (probe_json.c) are pure: typed, bounded access to a
 * parsed response that writes a reason into r->error on every refusal.
 * The probe_call helpers (probe.c) are the families' only way to the
 * network.
 */
#ifndef SEXTANT_PILOT_PROBE_INT_H
#define SEXTANT_PILOT_PROBE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/http.h"
#include "pilot/probe.h"

#define PROBE_DEFAULT_TIMEOUT_MS 3000

/* printf into r->error. */
void probe_seterr(struct probe_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Copy at most 32 bytes of s into dst[48], printable ASCII only, for
 * quoting a bad wire value in an error. Returns dst. */
const char *pj_quote(char dst[48], const char *s, size_t n);

/* Parse buf as a JSON object: refuses empty, over max, not JSON, not an
 * object.  The caller frees with cJSON_Delete.  NULL with r->error set. */
cJSON *pj_parse(const char *buf, size_t len, size_t max, const char *what,
                struct probe_result *r);

/*
 * The "result" of a JSON-RPC reply (1.0 or 2.0), or NULL when the reply
 * carries an error (r->error "what: RPC error -32601: Method not found",
 * *code set when code is not NULL) or has no result.
 */
const cJSON *pj_rpc_result(const cJSON *root, const char *what,
                           struct probe_result *r, long *code);

/* Member key of obj, which must be an object (or NULL with r->error). */
const cJSON *pj_object(const cJSON *obj, const char *key, const char *what,
                       struct probe_result *r);
/* Member key: a decimal string in [0, max]. */
int pj_dec_string(const cJSON *obj, const char *key, uint64_t max,
                  uint64_t *out, const char *what, struct probe_result *r);
/* Member key: a "0x" hex string. */
int pj_hex_string(const cJSON *obj, const char *key, uint64_t *out,
                  const char *what, struct probe_result *r);
/* Item v (named key in errors): a "0x" hex string. */
int pj_hex_item(const cJSON *v, const char *key, uint64_t *out,
                const char *what, struct probe_result *r);
/* Item v (named key in errors): an integral JSON number in
 * [0, PROBE_JSON_INT_MAX]. */
int pj_uint_item(const cJSON *v, const char *key, uint64_t *out,
                 const char *what, struct probe_result *r);
/* Member key: an integral JSON number in [0, PROBE_JSON_INT_MAX]. */
int pj_uint_number(const cJSON *obj, const char *key, uint64_t *out,
                   const char *what, struct probe_result *r);
/* Member key: true or false. */
int pj_bool(const cJSON *obj, const char *key, bool *out, const char *what,
            struct probe_result *r);
/* Member key: a hex hash (optional "0x", hex digits only) copied into dst;
 * "" is allowed (no block yet). */
int pj_hash(const cJSON *obj, const char *key, char *dst, size_t dstlen,
            const char *what, struct probe_result *r);
/* Whether s[0..n) is hex digits with an optional "0x" (n may be 0). */
bool pj_is_hex(const char *s, size_t n);

/* One HTTP exchange for a probe. */
struct probe_call {
	const char *what;   /* name for errors: "status", "eth_syncing" */
	const char *method; /* "GET" or "POST" */
	const char *path;   /* appended to the target URL, or "" */
	const char *body;   /* POST body, or NULL */
	const char *user;   /* Basic auth, or NULL */
	const char *password;
	size_t max_body; /* 0: PROBE_PARSE_MAX */
	bool any_status; /* every status is an answer (beacon health) */
};

/*
 * Perform c against t.  0 when a response arrived that the parser should
 * see: status 200 (any status with c->any_status), or any status whose body is
 * a JSON-RPC error (so the parser can quote it).  -1 with r->error "what:
 * timeout after 3000 ms", "what: HTTP 503", ... otherwise.  resp is the
 * caller's to free either way (http_resp_free).
 */
int probe_call(const struct probe_target *t, const struct probe_call *c,
               struct http_resp *resp, struct probe_result *r);

/* POST a JSON-RPC request (version "2.0" or "1.0") for method with params
 * (a JSON array text, NULL for []) through probe_call. */
int probe_jsonrpc(const struct probe_target *t, const char *version,
                  const char *method, const char *params, const char *user,
                  const char *password, struct http_resp *resp,
                  struct probe_result *r);

/* After a successful parse of a non-200 reply: refuse it ("what: HTTP
 * 500").  0 when status was 200. */
int probe_check_status(const struct http_resp *resp, const char *what,
                       struct probe_result *r);

extern const struct probe_ops probe_cometbft_ops;
extern const struct probe_ops probe_substrate_ops;
extern const struct probe_ops probe_ethereum_ops;
extern const struct probe_ops probe_beacon_ops;
extern const struct probe_ops probe_bitcoin_ops;
extern const struct probe_ops probe_command_ops;

#endif
