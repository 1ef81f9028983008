/*
 * etcd.h: a minimal etcd v3 client over the JSON gateway (protocols.md §8),
 * for commander HA (ha.h).  Two halves:
 *
 *   - pure, bounded parsers of the gateway's replies (etcd_parse_*): no
 *     I/O, fuzzed (tests/fuzz/fuzz_etcd_reply.c).  They know the quirks:
 *     64-bit integers arrive as strings, zero values are omitted (a failed
 *     txn has no "succeeded", an empty range no "kvs", a gone lease no
 *     "TTL"), keepalive replies are wrapped in {"result":...};
 *   - the calls (etcd_lease_grant ...), each one POST through common/http.h
 *     to the current endpoint; on a transport error or a 5xx the next
 *     endpoint is tried, once round the list.
 *
 * Keys and values are bytes on the wire (base64); here keys are C strings
 * and values are bounded byte strings.
 */
#ifndef SEXTANT_COMMANDER_ETCD_H
#define SEXTANT_COMMANDER_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETCD_MAX_ENDPOINTS 8
#define ETCD_URL_MAX       256
#define ETCD_KEY_MAX       256  /* incl. NUL */
#define ETCD_VAL_MAX       4096 /* bytes */
#define ETCD_REPLY_MAX     (256 * 1024)
#define ETCD_MAX_KVS       64   /* kvs kept from one range */
#define ETCD_USER_MAX      128  /* incl. NUL */
#define ETCD_PASSWORD_MAX  256  /* incl. NUL */
#define ETCD_TOKEN_MAX     2048 /* incl. NUL; JWT tokens run long */
#define ETCD_PATH_MAX      4096
#define ETCD_ERRMSG_MAX    256

struct etcd_kv {
	char key[ETCD_KEY_MAX]; /* NUL-terminated; a key with a NUL byte is
	                         * refused by the parser */
	uint8_t value[ETCD_VAL_MAX + 1]; /* NUL-terminated too, for text */
	size_t vlen;
	int64_t create_rev;
	int64_t mod_rev;
	int64_t version;
	int64_t lease;
};

/* ---- pure parsers: 0, or -EINVAL (malformed, out of range), -EMSGSIZE
 * (over ETCD_REPLY_MAX or a key/value over its bound).  Outputs are zeroed
 * first, so a refusal leaves nothing half-filled. ---- */

/* /v3/lease/grant: the lease id and its TTL in seconds.  An "error" field
 * or a missing/zero ID is -EINVAL. */
int etcd_parse_grant(const char *body, size_t len, int64_t *id, int64_t *ttl_s);
/* /v3/lease/keepalive: the first line, {"result":{...}} (a bare object is
 * accepted too).  *ttl_s 0 means the lease is gone. */
int etcd_parse_keepalive(const char *body, size_t len, int64_t *id,
                         int64_t *ttl_s);
/* /v3/kv/range: up to max kvs (more is -EMSGSIZE), *n of them; *rev the
 * header revision (0 if absent). */
int etcd_parse_range(const char *body, size_t len, struct etcd_kv *kvs,
                     size_t max, size_t *n, int64_t *rev);
/* /v3/kv/txn: succeeded (absent = false), the header revision and, when the
 * first response is a response_range with a kv, that kv (*have). */
int etcd_parse_txn(const char *body, size_t len, bool *succeeded, int64_t *rev,
                   struct etcd_kv *kv, bool *have);
/* Any reply with a header (put, deleterange, revoke): its revision. */
int etcd_parse_header(const char *body, size_t len, int64_t *rev);
/* /v3/auth/authenticate: the token (printable, no spaces, NUL-terminated
 * in token[size]); too long is -EMSGSIZE, an "error" or none -EINVAL. */
int etcd_parse_auth(const char *body, size_t len, char *token, size_t size);
/*
 * An error reply, {"error":"etcdserver: ...","message":...,"code":16}:
 * the message (printable ASCII only, cut to size) and the gRPC code (-1
 * absent).  -EINVAL when body is no such object.
 */
int etcd_parse_error(const char *body, size_t len, char *msg, size_t size,
                     int *code);
/* Whether an error reply (HTTP status, body) says our token is not (or no
 * longer) good: a 401, gRPC code 16 (Unauthenticated), or the message
 * "invalid auth token" / "revision of auth store is old". */
bool etcd_reply_token_invalid(long status, const char *body, size_t len);

/* ---- the client ---- */

struct etcd {
	char ep[ETCD_MAX_ENDPOINTS][ETCD_URL_MAX]; /* http://HOST:PORT */
	size_t nep;
	size_t cur;          /* the endpoint that answered last */
	uint32_t timeout_ms; /* per request */
	/* etcd auth (etcd_set_auth): user "" = none.  The password is kept
	 * to authenticate again when the token expires; etcd_wipe. */
	char user[ETCD_USER_MAX];
	char password[ETCD_PASSWORD_MAX];
	char token[ETCD_TOKEN_MAX]; /* "" until authenticated */
	/* https (etcd_set_tls): "" = libcurl's defaults */
	char ca_file[ETCD_PATH_MAX];
	char cert_file[ETCD_PATH_MAX];
	char key_file[ETCD_PATH_MAX];
};

/* Fill c from endpoints (http:// or https:// URLs, trailing '/' dropped).
 * 0 or -EINVAL (none, too many, too long). */
int etcd_init(struct etcd *c, const char *const *endpoints, size_t n,
              uint32_t timeout_ms);
/* Authenticate as user with password (copied; the caller wipes its own
 * copy): every request then carries etcd's token, fetched before the first
 * and again once when etcd says it expired.  0 or -EINVAL (empty or too
 * long). */
int etcd_set_auth(struct etcd *c, const char *user, const char *password);
/* For https endpoints: the CA bundle that signs etcd's certificate, and a
 * client certificate and key; NULL or "" keep libcurl's default.  0 or
 * -ENAMETOOLONG. */
int etcd_set_tls(struct etcd *c, const char *ca_file, const char *cert_file,
                 const char *key_file);
/* Wipe the password and token (sodium_memzero); accepts NULL. */
void etcd_wipe(struct etcd *c);

/*
 * Every call: 0 on a well-formed 2xx answer, -ENOENT when etcd says the
 * lease is not found, -EACCES when etcd refuses our user and password
 * (err quotes etcd's message), -EIO (every endpoint failed, or an error
 * status) with a reason in err; parse errors as above.  Callers serialize calls
 * on one struct etcd (it is not locked).
 */
int etcd_lease_grant(struct etcd *c, int64_t ttl_s, int64_t *id,
                     int64_t *ttl_out, char *err, size_t errlen);
/* *ttl_out 0: the lease is gone. */
int etcd_lease_keepalive(struct etcd *c, int64_t id, int64_t *ttl_out,
                         char *err, size_t errlen);
int etcd_lease_revoke(struct etcd *c, int64_t id, char *err, size_t errlen);
/* One key: *found says whether it exists. */
int etcd_get(struct etcd *c, const char *key, struct etcd_kv *out, bool *found,
             char *err, size_t errlen);
/* Every key under prefix (at most max; more is -EMSGSIZE). */
int etcd_get_prefix(struct etcd *c, const char *prefix, struct etcd_kv *kvs,
                    size_t max, size_t *n, char *err, size_t errlen);
int etcd_put(struct etcd *c, const char *key, const void *val, size_t vlen,
             int64_t lease, char *err, size_t errlen);
int etcd_delete(struct etcd *c, const char *key, char *err, size_t errlen);

/*
 * The election step: txn If(create_revision(key) == 0) Then(put key = val
 * with lease) Else(get key).  *won, and *rev = the revision of our put
 * (the txn header revision) when won, else the holder in *cur (*have).
 */
int etcd_campaign(struct etcd *c, const char *key, const char *val,
                  int64_t lease, bool *won, int64_t *rev, struct etcd_kv *cur,
                  bool *have, char *err, size_t errlen);

/*
 * A fenced write: txn If(value(fence_key) == fence_val AND
 * mod_revision(fence_key) == fence_rev) Then(put key = val).  *ok false:
 * the fence no longer holds (we are not the leader), nothing written.
 */
int etcd_put_fenced(struct etcd *c, const char *fence_key,
                    const char *fence_val, int64_t fence_rev, const char *key,
                    const void *val, size_t vlen, bool *ok, char *err,
                    size_t errlen);

/* ---- request bodies (pure; tests) ---- */

/* Standard base64 of n bytes into out (NUL-terminated): 0 or -ENOSPC. */
int etcd_b64(const void *in, size_t n, char *out, size_t size);

#endif
