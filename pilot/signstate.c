#include "pilot/signstate.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/util.h"

int
signstate_parse(const char *buf, size_t len, struct proto_sign_state *st,
                char *err, size_t errlen)
{
	cJSON *root, *h, *r, *s;
	uint64_t height;
	int rc = -EBADMSG;

	memset(st, 0, sizeof(*st));
	if (len > SIGNSTATE_MAX_FILE) {
		snprintf(err, errlen, "larger than %d bytes",
		         SIGNSTATE_MAX_FILE);
		return -EBADMSG;
	}
	if ((root = cJSON_ParseWithLength(buf, len)) == NULL ||
	    !cJSON_IsObject(root)) {
		snprintf(err, errlen, "not a JSON object");
		goto out;
	}
	h = cJSON_GetObjectItemCaseSensitive(root, "height");
	r = cJSON_GetObjectItemCaseSensitive(root, "round");
	s = cJSON_GetObjectItemCaseSensitive(root, "step");
	if (!cJSON_IsString(h) ||
	    util_parse_u64(h->valuestring, 0, INT64_MAX, &height) != 0) {
		snprintf(err, errlen, "height is not a decimal string");
		goto out;
	}
	/* round and step are plain JSON integers in CometBFT's encoding */
	if (!cJSON_IsNumber(r) || r->valuedouble < 0 ||
	    r->valuedouble > INT32_MAX ||
	    r->valuedouble != (int)r->valuedouble) {
		snprintf(err, errlen, "round is not a small integer");
		goto out;
	}
	if (!cJSON_IsNumber(s) || s->valuedouble < 0 || s->valuedouble > 3 ||
	    s->valuedouble != (int)s->valuedouble) {
		snprintf(err, errlen, "step is not 0..3");
		goto out;
	}
	st->height = height;
	st->round = (int32_t)r->valuedouble;
	st->step = (int32_t)s->valuedouble;
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

int
signstate_format(const struct proto_sign_state *st, char *buf, size_t cap)
{
	int n =
	    snprintf(buf, cap,
	             "{\n  \"height\": \"%" PRIu64 "\",\n  \"round\": %" PRId32
	             ",\n  \"step\": %" PRId32 ",\n  \"signature\": \"\",\n"
	             "  \"signbytes\": \"\"\n}\n",
	             st->height, st->round, st->step);

	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

int
signstate_read(const char *path, struct proto_sign_state *st, char *err,
               size_t errlen)
{
	char *buf, why[128];
	size_t len;
	int rc;

	memset(st, 0, sizeof(*st));
	if ((rc = file_read_all(path, SIGNSTATE_MAX_FILE, &buf, &len)) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	rc = signstate_parse(buf, len, st, why, sizeof(why));
	free(buf);
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", path, why);
	return rc;
}

int
signstate_raise(const char *path, const struct proto_sign_state *floor,
                struct proto_sign_state *now, char *err, size_t errlen)
{
	struct proto_sign_state cur;
	char buf[512];
	int rc, n;

	rc = signstate_read(path, &cur, err, errlen);
	if (rc != 0 && rc != -ENOENT)
		return rc;
	if (rc == 0 && proto_sign_cmp(&cur, floor) >= 0) {
		*now = cur;
		return 0;
	}
	if ((n = signstate_format(floor, buf, sizeof(buf))) < 0) {
		snprintf(err, errlen, "%s: cannot format", path);
		return n;
	}
	if ((rc = file_write_atomic(path, buf, (size_t)n, 0600)) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	*now = *floor;
	return 0;
}

int
signstate_write_lease(const char *path, uint64_t epoch,
                      uint64_t expires_mono_ms, char *err, size_t errlen)
{
	char buf[96];
	int n, rc;

	n = snprintf(buf, sizeof(buf),
	             "epoch=%" PRIu64 " expires_mono_ms=%" PRIu64 "\n", epoch,
	             expires_mono_ms);
	if ((rc = file_write_atomic(path, buf, (size_t)n, 0600)) != 0)
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
	return rc;
}

int
signstate_parse_lease(const char *buf, uint64_t *epoch,
                      uint64_t *expires_mono_ms)
{
	unsigned long long e, x;
	int used = 0;

	if (sscanf(buf, "epoch=%llu expires_mono_ms=%llu%n", &e, &x, &used) !=
	        2 ||
	    (buf[used] != '\n' && buf[used] != '\0'))
		return -EBADMSG;
	*epoch = e;
	*expires_mono_ms = x;
	return 0;
}
