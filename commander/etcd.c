#include "commander/etcd.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "common/http.h"
#include "common/util.h"

/* A request body: keys and values are base64, the rest is small. */
#define BODY_MAX (4 * ETCD_VAL_MAX + 4 * ETCD_KEY_MAX + 1024)
#define B64_KEY  (ETCD_KEY_MAX * 4 / 3 + 8)
#define B64_VAL  (ETCD_VAL_MAX * 4 / 3 + 8)

/* ---- parsers ---- */

static cJSON *
parse_obj(const char *body, size_t len, int *rc)
{
	cJSON *j;

	*rc = 0;
	if (body == NULL || len > ETCD_REPLY_MAX) {
		*rc = body == NULL ? -EINVAL : -EMSGSIZE;
		return NULL;
	}
	if ((j = cJSON_ParseWithLength(body, len)) == NULL ||
	    !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		*rc = -EINVAL;
		return NULL;
	}
	return j;
}

/* An int64 as the gateway sends it: a decimal string, or (lenient) a JSON
 * number that is an exact integer.  Absent is 0 (zero values are
 * omitted). */
static int
get_i64(const cJSON *o, const char *name, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	*out = 0;
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsString(v))
		return util_parse_i64(v->valuestring, INT64_MIN, INT64_MAX, out)
		           ? -EINVAL
		           : 0;
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		/* beyond 2^53 a double is not the integer that was sent */
		if (!isfinite(d) || d != floor(d) ||
		    fabs(d) > 9007199254740992.0)
			return -EINVAL;
		*out = (int64_t)d;
		return 0;
	}
	return -EINVAL;
}

static int
header_rev(const cJSON *o, int64_t *rev)
{
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "header");

	*rev = 0;
	if (h == NULL)
		return 0;
	if (!cJSON_IsObject(h))
		return -EINVAL;
	return get_i64(h, "revision", rev);
}

/* Base64 text of field name into out (at most max bytes): 0, -EINVAL,
 * -EMSGSIZE.  Absent is empty. */
static int
get_b64(const cJSON *o, const char *name, uint8_t *out, size_t max, size_t *n)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	size_t slen;

	*n = 0;
	if (v == NULL)
		return 0;
	if (!cJSON_IsString(v))
		return -EINVAL;
	slen = strlen(v->valuestring);
	if (slen / 4 * 3 > max + 2)
		return -EMSGSIZE;
	if (sodium_base642bin(out, max, v->valuestring, slen, NULL, n, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0)
		return -EINVAL; /* not base64, or (rarely) too long */
	return 0;
}

static int
parse_kv(const cJSON *o, struct etcd_kv *kv)
{
	size_t n;
	int rc;

	memset(kv, 0, sizeof(*kv));
	if (!cJSON_IsObject(o))
		return -EINVAL;
	if ((rc = get_b64(o, "key", (uint8_t *)kv->key, ETCD_KEY_MAX - 1,
	                  &n)) != 0)
		return rc;
	/* our keys are text: one with a NUL in it is not ours */
	if (n == 0 || memchr(kv->key, '\0', n) != NULL)
		return -EINVAL;
	kv->key[n] = '\0';
	if ((rc = get_b64(o, "value", kv->value, ETCD_VAL_MAX, &kv->vlen)) != 0)
		return rc;
	kv->value[kv->vlen] = '\0';
	if ((rc = get_i64(o, "create_revision", &kv->create_rev)) != 0 ||
	    (rc = get_i64(o, "mod_revision", &kv->mod_rev)) != 0 ||
	    (rc = get_i64(o, "version", &kv->version)) != 0 ||
	    (rc = get_i64(o, "lease", &kv->lease)) != 0)
		return rc;
	if (kv->create_rev < 0 || kv->mod_rev < 0 || kv->version < 0)
		return -EINVAL;
	return 0;
}

/* The kvs of a range response object. */
static int
range_kvs(const cJSON *o, struct etcd_kv *kvs, size_t max, size_t *n)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "kvs"), *e;
	int rc;

	*n = 0;
	if (a == NULL)
		return 0; /* an empty range */
	if (!cJSON_IsArray(a))
		return -EINVAL;
	cJSON_ArrayForEach(e, a)
	{
		if (*n >= max)
			return -EMSGSIZE;
		if ((rc = parse_kv(e, &kvs[*n])) != 0)
			return rc;
		(*n)++;
	}
	return 0;
}

int
etcd_parse_grant(const char *body, size_t len, int64_t *id, int64_t *ttl_s)
{
	const cJSON *e;
	cJSON *j;
	int rc;

	*id = *ttl_s = 0;
	if ((j = parse_obj(body, len, &rc)) == NULL)
		return rc;
	e = cJSON_GetObjectItemCaseSensitive(j, "error");
	if (e != NULL && !(cJSON_IsString(e) && e->valuestring[0] == '\0'))
		rc = -EINVAL;
	else if ((rc = get_i64(j, "ID", id)) == 0 &&
	         (rc = get_i64(j, "TTL", ttl_s)) == 0 &&
	         (*id == 0 || *ttl_s <= 0))
		rc = -EINVAL;
	cJSON_Delete(j);
	if (rc != 0)
		*id = *ttl_s = 0;
	return rc;
}

int
etcd_parse_keepalive(const char *body, size_t len, int64_t *id, int64_t *ttl_s)
{
	const cJSON *r;
	const char *nl;
	cJSON *j;
	int rc;

	*id = *ttl_s = 0;
	/* a stream of lines: the first answers our one request */
	if (body != NULL && (nl = memchr(body, '\n', len)) != NULL)
		len = (size_t)(nl - body);
	if ((j = parse_obj(body, len, &rc)) == NULL)
		return rc;
	r = cJSON_GetObjectItemCaseSensitive(j, "result");
	if (r == NULL) {
		if (cJSON_GetObjectItemCaseSensitive(j, "error") != NULL)
			rc = -EINVAL; /* the caller looks at the status */
		else
			r = j;
	} else if (!cJSON_IsObject(r)) {
		rc = -EINVAL;
	}
	if (rc == 0 && (rc = get_i64(r, "ID", id)) == 0 &&
	    (rc = get_i64(r, "TTL", ttl_s)) == 0 && *ttl_s < 0)
		*ttl_s = 0; /* -1 and friends: gone */
	cJSON_Delete(j);
	if (rc != 0)
		*id = *ttl_s = 0;
	return rc;
}

int
etcd_parse_range(const char *body, size_t len, struct etcd_kv *kvs, size_t max,
                 size_t *n, int64_t *rev)
{
	cJSON *j;
	int rc;

	*n = 0;
	*rev = 0;
	if ((j = parse_obj(body, len, &rc)) == NULL)
		return rc;
	if ((rc = header_rev(j, rev)) == 0)
		rc = range_kvs(j, kvs, max, n);
	cJSON_Delete(j);
	if (rc != 0)
		*n = 0, *rev = 0;
	return rc;
}

int
etcd_parse_txn(const char *body, size_t len, bool *succeeded, int64_t *rev,
               struct etcd_kv *kv, bool *have)
{
	const cJSON *s, *rs, *first, *rr;
	size_t n = 0;
	cJSON *j;
	int rc;

	*succeeded = false;
	*rev = 0;
	*have = false;
	memset(kv, 0, sizeof(*kv));
	if ((j = parse_obj(body, len, &rc)) == NULL)
		return rc;
	if ((rc = header_rev(j, rev)) != 0)
		goto out;
	s = cJSON_GetObjectItemCaseSensitive(j, "succeeded");
	if (s != NULL && !cJSON_IsBool(s)) {
		rc = -EINVAL;
		goto out;
	}
	*succeeded = s != NULL && cJSON_IsTrue(s);
	rs = cJSON_GetObjectItemCaseSensitive(j, "responses");
	if (rs == NULL)
		goto out;
	if (!cJSON_IsArray(rs)) {
		rc = -EINVAL;
		goto out;
	}
	first = cJSON_GetArrayItem(rs, 0);
	if (first == NULL)
		goto out;
	if (!cJSON_IsObject(first)) {
		rc = -EINVAL;
		goto out;
	}
	rr = cJSON_GetObjectItemCaseSensitive(first, "response_range");
	if (rr == NULL)
		goto out;
	if (!cJSON_IsObject(rr)) {
		rc = -EINVAL;
		goto out;
	}
	/* one key was asked for: a second kv is not an answer to that */
	{
		struct etcd_kv two[1];
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(rr, "kvs");

		if (a != NULL && cJSON_IsArray(a) && cJSON_GetArraySize(a) > 1)
			rc = -EMSGSIZE;
		else
			rc = range_kvs(rr, two, 1, &n);
		if (rc == 0 && n == 1) {
			*kv = two[0];
			*have = true;
		}
	}
out:
	cJSON_Delete(j);
	if (rc != 0) {
		*succeeded = false;
		*rev = 0;
		*have = false;
		memset(kv, 0, sizeof(*kv));
	}
	return rc;
}

int
etcd_parse_header(const char *body, size_t len, int64_t *rev)
{
	cJSON *j;
	int rc;

	*rev = 0;
	if ((j = parse_obj(body, len, &rc)) == NULL)
		return rc;
	rc = header_rev(j, rev);
	cJSON_Delete(j);
	if (rc != 0)
		*rev = 0;
	return rc;
}

int
etcd_parse_auth(const char *body, size_t len, char *token, size_t size)
{
	const cJSON *e, *t;
	cJSON *j;
	size_t n = 0;
	int rc;

	if (size > 0)
		token[0] = '\0';
	if ((j = parse_obj(body, len, &rc)) == NULL)
		return rc;
	e = cJSON_GetObjectItemCaseSensitive(j, "error");
	t = cJSON_GetObjectItemCaseSensitive(j, "token");
	if ((e != NULL && !(cJSON_IsString(e) && e->valuestring[0] == '\0')) ||
	    !cJSON_IsString(t) || (n = strlen(t->valuestring)) == 0)
		rc = -EINVAL;
	else if (n >= size)
		rc = -EMSGSIZE;
	else
		/* it goes into a header line: nothing that could end it */
		for (size_t i = 0; i < n && rc == 0; i++)
			if (t->valuestring[i] <= ' ' || t->valuestring[i] > '~')
				rc = -EINVAL;
	if (rc == 0)
		memcpy(token, t->valuestring, n + 1);
	if (cJSON_IsString(t))
		sodium_memzero(t->valuestring, n);
	cJSON_Delete(j);
	return rc;
}

int
etcd_parse_error(const char *body, size_t len, char *msg, size_t size,
                 int *code)
{
	const cJSON *m, *c;
	cJSON *j;
	size_t i = 0;
	int rc;

	*code = -1;
	if (size > 0)
		msg[0] = '\0';
	if ((j = parse_obj(body, len, &rc)) == NULL)
		return rc;
	m = cJSON_GetObjectItemCaseSensitive(j, "error");
	if (!cJSON_IsString(m) || m->valuestring[0] == '\0')
		m = cJSON_GetObjectItemCaseSensitive(j, "message");
	if (!cJSON_IsString(m) || m->valuestring[0] == '\0') {
		cJSON_Delete(j);
		return -EINVAL;
	}
	/* it is quoted in a log line: printable ASCII only */
	for (const char *p = m->valuestring; *p && i + 1 < size; p++)
		msg[i++] = *p >= ' ' && *p <= '~' ? *p : '?';
	if (size > 0)
		msg[i] = '\0';
	c = cJSON_GetObjectItemCaseSensitive(j, "code");
	if (cJSON_IsNumber(c) && c->valuedouble >= 0 &&
	    c->valuedouble <= 1000 && c->valuedouble == floor(c->valuedouble))
		*code = (int)c->valuedouble;
	cJSON_Delete(j);
	return 0;
}

bool
etcd_reply_token_invalid(long status, const char *body, size_t len)
{
	char msg[ETCD_ERRMSG_MAX];
	int code;

	if (status == 401)
		return true;
	if (body == NULL ||
	    etcd_parse_error(body, len, msg, sizeof(msg), &code) != 0)
		return false;
	/* 16: gRPC Unauthenticated.  An old auth revision (the users or
	 * roles changed) also wants a fresh token. */
	return code == 16 || strstr(msg, "invalid auth token") != NULL ||
	       strstr(msg, "revision of auth store is old") != NULL;
}

/* ---- requests ---- */

int
etcd_b64(const void *in, size_t n, char *out, size_t size)
{
	if (sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL) > size)
		return -ENOSPC;
	sodium_bin2base64(out, size, in, n, sodium_base64_VARIANT_ORIGINAL);
	return 0;
}

int
etcd_init(struct etcd *c, const char *const *endpoints, size_t n,
          uint32_t timeout_ms)
{
	memset(c, 0, sizeof(*c));
	if (n == 0 || n > ETCD_MAX_ENDPOINTS)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(endpoints[i]);

		while (l > 0 && endpoints[i][l - 1] == '/')
			l--;
		if (l == 0 || l >= ETCD_URL_MAX)
			return -EINVAL;
		memcpy(c->ep[i], endpoints[i], l);
		c->ep[i][l] = '\0';
	}
	c->nep = n;
	c->timeout_ms = timeout_ms ? timeout_ms : 2000;
	return 0;
}

int
etcd_set_auth(struct etcd *c, const char *user, const char *password)
{
	sodium_memzero(c->token, sizeof(c->token));
	if (user == NULL || password == NULL || user[0] == '\0' ||
	    password[0] == '\0' ||
	    util_strcpy_checked(c->user, user, sizeof(c->user)) != 0 ||
	    util_strcpy_checked(c->password, password, sizeof(c->password)) !=
	        0) {
		c->user[0] = '\0';
		sodium_memzero(c->password, sizeof(c->password));
		return -EINVAL;
	}
	return 0;
}

int
etcd_set_tls(struct etcd *c, const char *ca_file, const char *cert_file,
             const char *key_file)
{
	if (util_strcpy_checked(c->ca_file, ca_file ? ca_file : "",
	                        sizeof(c->ca_file)) != 0 ||
	    util_strcpy_checked(c->cert_file, cert_file ? cert_file : "",
	                        sizeof(c->cert_file)) != 0 ||
	    util_strcpy_checked(c->key_file, key_file ? key_file : "",
	                        sizeof(c->key_file)) != 0)
		return -ENAMETOOLONG;
	return 0;
}

void
etcd_wipe(struct etcd *c)
{
	if (c == NULL)
		return;
	sodium_memzero(c->password, sizeof(c->password));
	sodium_memzero(c->token, sizeof(c->token));
}

/* s as a JSON string (quoted, escaped) at out: 0 or -ENOSPC. */
static int
json_str(char *out, size_t size, const char *s)
{
	size_t o = 0;

	if (size < 3)
		return -ENOSPC;
	out[o++] = '"';
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (o + 8 >= size)
			return -ENOSPC;
		if (ch == '"' || ch == '\\') {
			out[o++] = '\\';
			out[o++] = (char)ch;
		} else if (ch < 0x20) {
			o += (size_t)snprintf(out + o, size - o, "\\u%04x", ch);
		} else {
			out[o++] = (char)ch;
		}
	}
	out[o++] = '"';
	out[o] = '\0';
	return 0;
}

static void
fill_req(const struct etcd *c, struct http_req *rq, const char *url,
         const char *body, const char *const *headers)
{
	*rq = (struct http_req){
	    .method = "POST",
	    .url = url,
	    .body = body,
	    .body_len = strlen(body),
	    .headers = headers,
	    .timeout_ms = c->timeout_ms,
	    .max_body = ETCD_REPLY_MAX,
	    .ca_file = c->ca_file[0] ? c->ca_file : NULL,
	    .cert_file = c->cert_file[0] ? c->cert_file : NULL,
	    .key_file = c->key_file[0] ? c->key_file : NULL,
	};
}

/*
 * Get a token from endpoint i: 0, -EACCES (etcd refused us: err quotes
 * why), -EIO (no answer, or an odd one).  The body, holding the password,
 * and the reply, holding the token, are wiped.
 */
static int
authenticate(struct etcd *c, size_t i, char *err, size_t errlen)
{
	char url[ETCD_URL_MAX + 64], e[256], msg[ETCD_ERRMSG_MAX];
	char body[6 * (ETCD_USER_MAX + ETCD_PASSWORD_MAX) + 64];
	char name[6 * ETCD_USER_MAX + 4];
	struct http_resp r;
	struct http_req rq;
	size_t o;
	int rc, code;

	sodium_memzero(c->token, sizeof(c->token));
	if (json_str(name, sizeof(name), c->user) != 0)
		return -EINVAL;
	o = (size_t)snprintf(body, sizeof(body),
	                     "{\"name\":%s,\"password\":", name);
	if (json_str(body + o, sizeof(body) - o - 1, c->password) != 0) {
		sodium_memzero(body, sizeof(body));
		return -EINVAL;
	}
	strcat(body, "}");
	snprintf(url, sizeof(url), "%s/v3/auth/authenticate", c->ep[i]);
	fill_req(c, &rq, url, body, NULL);
	rc = http_do(&rq, &r, e, sizeof(e));
	sodium_memzero(body, sizeof(body));
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", c->ep[i], e);
		return -EIO;
	}
	if (r.status >= 200 && r.status < 300) {
		if ((rc = etcd_parse_auth(r.body, r.len, c->token,
		                          sizeof(c->token))) != 0) {
			snprintf(err, errlen,
			         "%s/v3/auth/authenticate: no token in the "
			         "reply",
			         c->ep[i]);
			rc = -EIO;
		}
	} else if (r.status >= 500) {
		snprintf(err, errlen, "%s/v3/auth/authenticate: HTTP %ld",
		         c->ep[i], r.status);
		rc = -EIO;
	} else if (etcd_parse_error(r.body, r.len, msg, sizeof(msg), &code) ==
	           0) {
		snprintf(err, errlen, "%s: etcd refused user '%s': %s",
		         c->ep[i], c->user, msg);
		rc = -EACCES;
	} else {
		/* not etcd's JSON: the gateway's own plain-text refusal */
		size_t n = 0;

		for (const char *p = r.body ? r.body : "";
		     *p && n + 1 < sizeof(msg); p++)
			msg[n++] = *p >= ' ' && *p <= '~' ? *p : ' ';
		msg[n] = '\0';
		while (n > 0 && msg[n - 1] == ' ')
			msg[--n] = '\0';
		snprintf(err, errlen,
		         "%s/v3/auth/authenticate: HTTP %ld '%s'%s", c->ep[i],
		         r.status, msg,
		         strstr(msg, "CommonName") != NULL
		             ? " (with --client-cert-auth, etcd's gateway "
		               "refuses a client certificate that has a "
		               "CommonName: issue one without)"
		             : "");
		rc = -EACCES;
	}
	if (r.body)
		sodium_memzero(r.body, r.len);
	http_resp_free(&r);
	return rc;
}

/*
 * One request to endpoint i, with a token when we authenticate: 0 with
 * resp (any status), -EIO with err (no answer), -EACCES (refused user).
 * A reply saying the token is no longer good gets one new token and one
 * retry: simple tokens expire (--auth-token-ttl), and the request was
 * refused before etcd did anything with it.
 */
static int
post_one(struct etcd *c, size_t i, const char *path, const char *body,
         struct http_resp *resp, char *err, size_t errlen)
{
	char url[ETCD_URL_MAX + 64], e[256];
	char auth[ETCD_TOKEN_MAX + 32];
	const char *hdrs[2] = {auth, NULL};
	struct http_req rq;
	int rc = 0;

	snprintf(url, sizeof(url), "%s%s", c->ep[i], path);
	for (int attempt = 0; attempt < 2; attempt++) {
		if (c->user[0] && c->token[0] == '\0' &&
		    (rc = authenticate(c, i, err, errlen)) != 0)
			return rc == -EACCES ? rc : -EIO;
		snprintf(auth, sizeof(auth), "Authorization: %s", c->token);
		fill_req(c, &rq, url, body, c->user[0] ? hdrs : NULL);
		rc = http_do(&rq, resp, e, sizeof(e));
		sodium_memzero(auth, sizeof(auth));
		if (rc != 0) {
			snprintf(err, errlen, "%s: %s", c->ep[i], e);
			return -EIO;
		}
		if (!c->user[0] || attempt > 0 ||
		    (resp->status >= 200 && resp->status < 300) ||
		    !etcd_reply_token_invalid(resp->status, resp->body,
		                              resp->len))
			return 0;
		http_resp_free(resp);
		sodium_memzero(c->token, sizeof(c->token));
	}
	return 0;
}

/*
 * POST body to path on the current endpoint, then the others.  0 with
 * resp (caller frees) on a 2xx; -ENOENT when etcd says "not found";
 * -EACCES when it refuses our user; -EIO otherwise.  A 5xx (no raft leader,
 * timeouts) or a transport failure moves on to the next endpoint; a 4xx is
 * etcd's answer.
 */
static int
post(struct etcd *c, const char *path, const char *body, struct http_resp *resp,
     char *err, size_t errlen)
{
	int rc = -EIO;

	memset(resp, 0, sizeof(*resp));
	for (size_t k = 0; k < c->nep; k++) {
		size_t i = (c->cur + k) % c->nep;

		if ((rc = post_one(c, i, path, body, resp, err, errlen)) ==
		    -EACCES) {
			c->cur = i; /* an answer, and not one to retry */
			return rc;
		}
		if (rc != 0)
			continue;
		if (resp->status >= 200 && resp->status < 300) {
			c->cur = i;
			return 0;
		}
		snprintf(err, errlen, "%s%s: HTTP %ld %.160s", c->ep[i], path,
		         resp->status, resp->body ? resp->body : "");
		if (resp->status >= 500) {
			http_resp_free(resp);
			rc = -EIO;
			continue;
		}
		c->cur = i;
		rc = resp->body && strstr(resp->body, "not found") ? -ENOENT
		                                                   : -EIO;
		http_resp_free(resp);
		return rc;
	}
	return rc;
}

int
etcd_lease_grant(struct etcd *c, int64_t ttl_s, int64_t *id, int64_t *ttl_out,
                 char *err, size_t errlen)
{
	struct http_resp r;
	char body[128];
	int rc;

	*id = *ttl_out = 0;
	snprintf(body, sizeof(body), "{\"TTL\":\"%" PRId64 "\",\"ID\":\"0\"}",
	         ttl_s);
	if ((rc = post(c, "/v3/lease/grant", body, &r, err, errlen)) != 0)
		return rc;
	if ((rc = etcd_parse_grant(r.body, r.len, id, ttl_out)) != 0)
		snprintf(err, errlen, "lease grant: unexpected reply '%.160s'",
		         r.body);
	http_resp_free(&r);
	return rc;
}

int
etcd_lease_keepalive(struct etcd *c, int64_t id, int64_t *ttl_out, char *err,
                     size_t errlen)
{
	struct http_resp r;
	char body[64];
	int64_t got;
	int rc;

	*ttl_out = 0;
	snprintf(body, sizeof(body), "{\"ID\":\"%" PRId64 "\"}", id);
	rc = post(c, "/v3/lease/keepalive", body, &r, err, errlen);
	if (rc == -ENOENT)
		return 0; /* gone: TTL 0 */
	if (rc != 0)
		return rc;
	if ((rc = etcd_parse_keepalive(r.body, r.len, &got, ttl_out)) != 0)
		snprintf(err, errlen,
		         "lease keepalive: unexpected reply '%.160s'", r.body);
	else if (got != 0 && got != id) {
		rc = -EINVAL;
		*ttl_out = 0;
		snprintf(err, errlen,
		         "lease keepalive: reply for another "
		         "lease");
	}
	http_resp_free(&r);
	return rc;
}

int
etcd_lease_revoke(struct etcd *c, int64_t id, char *err, size_t errlen)
{
	struct http_resp r;
	char body[64];
	int rc;

	snprintf(body, sizeof(body), "{\"ID\":\"%" PRId64 "\"}", id);
	if ((rc = post(c, "/v3/lease/revoke", body, &r, err, errlen)) != 0)
		return rc;
	http_resp_free(&r);
	return 0;
}

static int
key_b64(const char *key, char *out)
{
	size_t n = strlen(key);

	if (n == 0 || n >= ETCD_KEY_MAX)
		return -EINVAL;
	return etcd_b64(key, n, out, B64_KEY);
}

int
etcd_get(struct etcd *c, const char *key, struct etcd_kv *out, bool *found,
         char *err, size_t errlen)
{
	char k[B64_KEY], body[B64_KEY + 32];
	struct etcd_kv *kvs;
	struct http_resp r;
	size_t n = 0;
	int64_t rev;
	int rc;

	*found = false;
	if ((rc = key_b64(key, k)) != 0)
		return rc;
	snprintf(body, sizeof(body), "{\"key\":\"%s\"}", k);
	if ((rc = post(c, "/v3/kv/range", body, &r, err, errlen)) != 0)
		return rc;
	if ((kvs = calloc(1, sizeof(*kvs))) == NULL) {
		http_resp_free(&r);
		return -ENOMEM;
	}
	if ((rc = etcd_parse_range(r.body, r.len, kvs, 1, &n, &rev)) != 0)
		snprintf(err, errlen, "range: unexpected reply '%.160s'",
		         r.body);
	else if (n == 1) {
		*out = kvs[0];
		*found = true;
	}
	free(kvs);
	http_resp_free(&r);
	return rc;
}

int
etcd_get_prefix(struct etcd *c, const char *prefix, struct etcd_kv *kvs,
                size_t max, size_t *n, char *err, size_t errlen)
{
	char k[B64_KEY], e[B64_KEY], end[ETCD_KEY_MAX];
	char body[2 * B64_KEY + 64];
	struct http_resp r;
	size_t plen = strlen(prefix);
	int64_t rev;
	int rc;

	*n = 0;
	if (plen == 0 || plen >= ETCD_KEY_MAX ||
	    (unsigned char)prefix[plen - 1] == 0xff)
		return -EINVAL;
	memcpy(end, prefix, plen + 1);
	end[plen - 1]++; /* the first key past every key under prefix */
	if ((rc = key_b64(prefix, k)) != 0 || (rc = key_b64(end, e)) != 0)
		return rc;
	snprintf(body, sizeof(body), "{\"key\":\"%s\",\"range_end\":\"%s\"}", k,
	         e);
	if ((rc = post(c, "/v3/kv/range", body, &r, err, errlen)) != 0)
		return rc;
	if ((rc = etcd_parse_range(r.body, r.len, kvs, max, n, &rev)) != 0)
		snprintf(err, errlen, "range: unexpected reply '%.160s'",
		         r.body);
	http_resp_free(&r);
	return rc;
}

int
etcd_put(struct etcd *c, const char *key, const void *val, size_t vlen,
         int64_t lease, char *err, size_t errlen)
{
	char k[B64_KEY], *body, *v;
	struct http_resp r;
	int64_t rev;
	int rc;

	if (vlen > ETCD_VAL_MAX || (rc = key_b64(key, k)) != 0)
		return -EINVAL;
	if ((body = malloc(BODY_MAX)) == NULL ||
	    (v = malloc(B64_VAL)) == NULL) {
		free(body);
		return -ENOMEM;
	}
	etcd_b64(val, vlen, v, B64_VAL);
	snprintf(body, BODY_MAX,
	         "{\"key\":\"%s\",\"value\":\"%s\",\"lease\":\"%" PRId64 "\"}",
	         k, v, lease);
	rc = post(c, "/v3/kv/put", body, &r, err, errlen);
	free(body);
	free(v);
	if (rc != 0)
		return rc;
	if ((rc = etcd_parse_header(r.body, r.len, &rev)) != 0)
		snprintf(err, errlen, "put: unexpected reply '%.160s'", r.body);
	http_resp_free(&r);
	return rc;
}

int
etcd_delete(struct etcd *c, const char *key, char *err, size_t errlen)
{
	char k[B64_KEY], body[B64_KEY + 32];
	struct http_resp r;
	int rc;

	if ((rc = key_b64(key, k)) != 0)
		return rc;
	snprintf(body, sizeof(body), "{\"key\":\"%s\"}", k);
	if ((rc = post(c, "/v3/kv/deleterange", body, &r, err, errlen)) != 0)
		return rc;
	http_resp_free(&r);
	return 0;
}

static int
txn(struct etcd *c, const char *body, bool *ok, int64_t *rev,
    struct etcd_kv *kv, bool *have, char *err, size_t errlen)
{
	struct http_resp r;
	int rc;

	if ((rc = post(c, "/v3/kv/txn", body, &r, err, errlen)) != 0)
		return rc;
	if ((rc = etcd_parse_txn(r.body, r.len, ok, rev, kv, have)) != 0)
		snprintf(err, errlen, "txn: unexpected reply '%.160s'", r.body);
	http_resp_free(&r);
	return rc;
}

int
etcd_campaign(struct etcd *c, const char *key, const char *val, int64_t lease,
              bool *won, int64_t *rev, struct etcd_kv *cur, bool *have,
              char *err, size_t errlen)
{
	char k[B64_KEY], v[B64_KEY], body[4 * B64_KEY + 512];
	int rc;

	*won = *have = false;
	*rev = 0;
	if ((rc = key_b64(key, k)) != 0 || (rc = key_b64(val, v)) != 0)
		return rc;
	snprintf(body, sizeof(body),
	         "{\"compare\":[{\"key\":\"%s\",\"target\":\"CREATE\","
	         "\"result\":\"EQUAL\",\"create_revision\":\"0\"}],"
	         "\"success\":[{\"request_put\":{\"key\":\"%s\","
	         "\"value\":\"%s\",\"lease\":\"%" PRId64 "\"}}],"
	         "\"failure\":[{\"request_range\":{\"key\":\"%s\"}}]}",
	         k, k, v, lease, k);
	return txn(c, body, won, rev, cur, have, err, errlen);
}

int
etcd_put_fenced(struct etcd *c, const char *fence_key, const char *fence_val,
                int64_t fence_rev, const char *key, const void *val,
                size_t vlen, bool *ok, char *err, size_t errlen)
{
	char fk[B64_KEY], fv[B64_KEY], k[B64_KEY], *v, *body;
	struct etcd_kv *kv;
	int64_t rev;
	bool have;
	int rc;

	*ok = false;
	if (vlen > ETCD_VAL_MAX || fence_rev <= 0 ||
	    key_b64(fence_key, fk) != 0 || key_b64(fence_val, fv) != 0 ||
	    key_b64(key, k) != 0)
		return -EINVAL;
	body = malloc(BODY_MAX);
	v = malloc(B64_VAL);
	kv = malloc(sizeof(*kv));
	if (body == NULL || v == NULL || kv == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	etcd_b64(val, vlen, v, B64_VAL);
	snprintf(body, BODY_MAX,
	         "{\"compare\":[{\"key\":\"%s\",\"target\":\"VALUE\","
	         "\"result\":\"EQUAL\",\"value\":\"%s\"},"
	         "{\"key\":\"%s\",\"target\":\"MOD\",\"result\":\"EQUAL\","
	         "\"mod_revision\":\"%" PRId64 "\"}],"
	         "\"success\":[{\"request_put\":{\"key\":\"%s\","
	         "\"value\":\"%s\"}}]}",
	         fk, fv, fk, fence_rev, k, v);
	rc = txn(c, body, ok, &rev, kv, &have, err, errlen);
out:
	free(body);
	free(v);
	free(kv);
	return rc;
}
