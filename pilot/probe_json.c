/*
 * probe_json.c: typed, bounded access to JSON responses for the probe
 * parsers.  Pure: every refusal is a reason in r->error, never a log line.
 */
#include "pilot/probe_int.h"
#include "pilot/probe_parse.h"

#include "common/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
probe_seterr(struct probe_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
}

const char *
pj_quote(char dst[48], const char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && s[i] != '\0' && o < 32; i++)
		dst[o++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (i < n && s[i] != '\0') {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
	return dst;
}

cJSON *
pj_parse(const char *buf, size_t len, size_t max, const char *what,
         struct probe_result *r)
{
	cJSON *root;
	char *copy;

	if (buf == NULL || len == 0) {
		probe_seterr(r, "%s: empty body", what);
		return NULL;
	}
	if (len > max) {
		probe_seterr(r, "%s: body over %zu bytes", what, max);
		return NULL;
	}
	/* cJSON stops at a NUL: one inside the body would hide trailing
	 * garbage from the whole-input check below. */
	if (memchr(buf, '\0', len) != NULL) {
		probe_seterr(r, "%s: NUL byte in body", what);
		return NULL;
	}
	if ((copy = malloc(len + 1)) == NULL) {
		probe_seterr(r, "%s: out of memory", what);
		return NULL;
	}
	memcpy(copy, buf, len);
	copy[len] = '\0';
	root = cJSON_ParseWithLengthOpts(copy, len + 1, NULL, 1);
	free(copy);
	if (root == NULL) {
		probe_seterr(r, "%s: not JSON", what);
		return NULL;
	}
	if (!cJSON_IsObject(root)) {
		probe_seterr(r, "%s: not a JSON object", what);
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

const cJSON *
pj_rpc_result(const cJSON *root, const char *what, struct probe_result *r,
              long *code)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
	const cJSON *res;
	char q[48];

	if (code)
		*code = 0;
	if (e != NULL && !cJSON_IsNull(e)) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "code");
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
		long cv = 0;

		if (cJSON_IsNumber(c) && c->valuedouble >= -1e9 &&
		    c->valuedouble <= 1e9)
			cv = (long)c->valuedouble;
		if (code)
			*code = cv;
		if (cJSON_IsString(m))
			probe_seterr(r, "%s: RPC error %ld: %s", what, cv,
			             pj_quote(q, m->valuestring,
			                      strlen(m->valuestring)));
		else if (cJSON_IsString(e))
			probe_seterr(r, "%s: RPC error: %s", what,
			             pj_quote(q, e->valuestring,
			                      strlen(e->valuestring)));
		else
			probe_seterr(r, "%s: RPC error %ld", what, cv);
		return NULL;
	}
	res = cJSON_GetObjectItemCaseSensitive(root, "result");
	if (res == NULL) {
		probe_seterr(r, "%s: result missing", what);
		return NULL;
	}
	return res;
}

const cJSON *
pj_object(const cJSON *obj, const char *key, const char *what,
          struct probe_result *r)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (v == NULL || cJSON_IsNull(v)) {
		probe_seterr(r, "%s: %s missing", what, key);
		return NULL;
	}
	if (!cJSON_IsObject(v)) {
		probe_seterr(r, "%s: %s not an object", what, key);
		return NULL;
	}
	return v;
}

/* v (named key) as a string, or NULL with r->error set. */
static const char *
item_string(const cJSON *v, const char *key, const char *what,
            struct probe_result *r)
{
	if (v == NULL || cJSON_IsNull(v)) {
		probe_seterr(r, "%s: %s missing", what, key);
		return NULL;
	}
	if (!cJSON_IsString(v)) {
		probe_seterr(r, "%s: %s not a string", what, key);
		return NULL;
	}
	return v->valuestring;
}

static const char *
member_string(const cJSON *obj, const char *key, const char *what,
              struct probe_result *r)
{
	return item_string(cJSON_GetObjectItemCaseSensitive(obj, key), key,
	                   what, r);
}

int
pj_dec_string(const cJSON *obj, const char *key, uint64_t max, uint64_t *out,
              const char *what, struct probe_result *r)
{
	const char *s = member_string(obj, key, what, r);
	char q[48];
	int rc;

	if (s == NULL)
		return -1;
	if ((rc = util_parse_u64(s, 0, max, out)) == 0)
		return 0;
	if (rc == -ERANGE)
		probe_seterr(r, "%s: %s out of range: \"%s\"", what, key,
		             pj_quote(q, s, strlen(s)));
	else
		probe_seterr(r, "%s: %s not a decimal string: \"%s\"", what,
		             key, pj_quote(q, s, strlen(s)));
	return -1;
}

int
pj_hex_string(const cJSON *obj, const char *key, uint64_t *out,
              const char *what, struct probe_result *r)
{
	return pj_hex_item(cJSON_GetObjectItemCaseSensitive(obj, key), key, out,
	                   what, r);
}

int
pj_hex_item(const cJSON *v, const char *key, uint64_t *out, const char *what,
            struct probe_result *r)
{
	const char *s = item_string(v, key, what, r);
	char q[48];
	int rc;

	if (s == NULL)
		return -1;
	if ((rc = util_parse_hex_u64(s, false, out)) == 0)
		return 0;
	if (rc == -ERANGE)
		probe_seterr(r, "%s: %s out of range: \"%s\"", what, key,
		             pj_quote(q, s, strlen(s)));
	else
		probe_seterr(r, "%s: %s not a 0x hex quantity: \"%s\"", what,
		             key, pj_quote(q, s, strlen(s)));
	return -1;
}

int
pj_uint_item(const cJSON *v, const char *key, uint64_t *out, const char *what,
             struct probe_result *r)
{
	double d;

	if (v == NULL || cJSON_IsNull(v)) {
		probe_seterr(r, "%s: %s missing", what, key);
		return -1;
	}
	if (!cJSON_IsNumber(v)) {
		probe_seterr(r, "%s: %s not a number", what, key);
		return -1;
	}
	d = v->valuedouble;
	if (!(d >= 0 && d <= (double)PROBE_JSON_INT_MAX)) {
		probe_seterr(r, "%s: %s out of range", what, key);
		return -1;
	}
	if ((double)(uint64_t)d != d) {
		probe_seterr(r, "%s: %s not an integer", what, key);
		return -1;
	}
	*out = (uint64_t)d;
	return 0;
}

int
pj_uint_number(const cJSON *obj, const char *key, uint64_t *out,
               const char *what, struct probe_result *r)
{
	return pj_uint_item(cJSON_GetObjectItemCaseSensitive(obj, key), key,
	                    out, what, r);
}

int
pj_bool(const cJSON *obj, const char *key, bool *out, const char *what,
        struct probe_result *r)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (v == NULL || cJSON_IsNull(v)) {
		probe_seterr(r, "%s: %s missing", what, key);
		return -1;
	}
	if (!cJSON_IsBool(v)) {
		probe_seterr(r, "%s: %s not a boolean", what, key);
		return -1;
	}
	*out = cJSON_IsTrue(v);
	return 0;
}

bool
pj_is_hex(const char *s, size_t n)
{
	size_t i = 0;

	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		i = 2;
	for (; i < n; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		      (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

int
pj_hash(const cJSON *obj, const char *key, char *dst, size_t dstlen,
        const char *what, struct probe_result *r)
{
	const char *s = member_string(obj, key, what, r);
	size_t n;
	char q[48];

	if (s == NULL)
		return -1;
	n = strlen(s);
	if (n >= dstlen) {
		probe_seterr(r, "%s: %s too long (%zu bytes)", what, key, n);
		return -1;
	}
	if (!pj_is_hex(s, n)) {
		probe_seterr(r, "%s: %s not hex: \"%s\"", what, key,
		             pj_quote(q, s, n));
		return -1;
	}
	memcpy(dst, s, n + 1);
	return 0;
}
