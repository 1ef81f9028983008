#include "pilot/doppel.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"

#define FLAG_COMMIT 2
#define FLAG_NIL    3

static cJSON *
parse(const char *buf, size_t len)
{
	if (buf == NULL || len == 0 || len > DOPPEL_PARSE_MAX)
		return NULL;
	return cJSON_ParseWithLength(buf, len);
}

/* The envelope's result, or the document itself when it has none. */
static const cJSON *
result_of(const cJSON *root, bool *rpc_error)
{
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(root, "result");

	*rpc_error = cJSON_GetObjectItemCaseSensitive(root, "error") != NULL &&
	             res == NULL;
	return res ? res : root;
}

static bool
hex_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n >= max)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
		      (*s >= 'A' && *s <= 'F')))
			return false;
	return true;
}

int
doppel_parse_commit(const char *buf, size_t len, const char *addr,
                    uint64_t *height, bool *signed_by, char *err, size_t errlen)
{
	const cJSON *res, *sh, *commit, *h, *sigs, *s;
	cJSON *root;
	bool rpc_error;
	int rc = -EBADMSG;

	*signed_by = false;
	if ((root = parse(buf, len)) == NULL || !cJSON_IsObject(root)) {
		snprintf(err, errlen, "commit: not a JSON object");
		goto out;
	}
	res = result_of(root, &rpc_error);
	if (rpc_error) {
		snprintf(err, errlen, "commit: not available yet");
		rc = -EAGAIN;
		goto out;
	}
	sh = cJSON_GetObjectItemCaseSensitive(res, "signed_header");
	commit = cJSON_GetObjectItemCaseSensitive(sh, "commit");
	h = cJSON_GetObjectItemCaseSensitive(commit, "height");
	sigs = cJSON_GetObjectItemCaseSensitive(commit, "signatures");
	if (!cJSON_IsObject(commit) || !cJSON_IsString(h) ||
	    util_parse_u64(h->valuestring, 0, INT64_MAX, height) != 0) {
		snprintf(err, errlen, "commit: no signed_header.commit.height");
		goto out;
	}
	if (!cJSON_IsArray(sigs)) {
		snprintf(err, errlen, "commit: signatures is not an array");
		goto out;
	}
	cJSON_ArrayForEach(s, sigs)
	{
		const cJSON *a =
		    cJSON_GetObjectItemCaseSensitive(s, "validator_address");
		const cJSON *f =
		    cJSON_GetObjectItemCaseSensitive(s, "block_id_flag");

		if (!cJSON_IsObject(s) || !cJSON_IsNumber(f)) {
			snprintf(err, errlen, "commit: malformed signature");
			goto out;
		}
		/* absent votes carry an empty address */
		if (!cJSON_IsString(a) ||
		    (f->valueint != FLAG_COMMIT && f->valueint != FLAG_NIL))
			continue;
		if (strcasecmp(a->valuestring, addr) == 0)
			*signed_by = true;
	}
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

static int
copy_addr(const cJSON *a, char *addr, size_t addrlen)
{
	if (!cJSON_IsString(a) || !hex_ok(a->valuestring, DOPPEL_ADDR_MAX) ||
	    util_strcpy_checked(addr, a->valuestring, addrlen) != 0)
		return -EBADMSG;
	return 0;
}

int
doppel_parse_key_address(const char *buf, size_t len, char *addr,
                         size_t addrlen)
{
	cJSON *root = parse(buf, len);
	int rc;

	rc = copy_addr(cJSON_GetObjectItemCaseSensitive(root, "address"), addr,
	               addrlen);
	cJSON_Delete(root);
	return rc;
}

int
doppel_parse_status_address(const char *buf, size_t len, char *addr,
                            size_t addrlen)
{
	cJSON *root = parse(buf, len);
	const cJSON *res, *vi;
	bool rpc_error;
	int rc;

	res = root ? result_of(root, &rpc_error) : NULL;
	vi = cJSON_GetObjectItemCaseSensitive(res, "validator_info");
	rc = copy_addr(cJSON_GetObjectItemCaseSensitive(vi, "address"), addr,
	               addrlen);
	cJSON_Delete(root);
	return rc;
}

void
doppel_start(struct doppel *d, const char *addr, uint32_t k, uint64_t height)
{
	memset(d, 0, sizeof(*d));
	util_strlcpy(d->addr, addr, sizeof(d->addr));
	d->blocks = k ? k : 1;
	d->first = d->next = height + 1;
}

uint64_t
doppel_next(const struct doppel *d)
{
	return d->next;
}

enum doppel_result
doppel_feed(struct doppel *d, uint64_t height, bool signed_by)
{
	if (height != d->next)
		return DOPPEL_MORE; /* not the one asked for: ask again */
	if (signed_by) {
		d->seen_at = height;
		return DOPPEL_SEEN;
	}
	d->next++;
	return d->next - d->first >= d->blocks ? DOPPEL_CLEAR : DOPPEL_MORE;
}
