/*
 * fuzz_http_response: arbitrary bytes through the HTTP response parser,
 * whole and cut in pieces at points the input chooses, then EOF.  It must
 * never crash or read out of bounds; the same bytes must give the same
 * outcome however they are split; a complete response's body must be
 * within the bound and NUL-terminated; the head buffer never outgrows its
 * ceiling.  Also URL splitting and Retry-After values.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/http_lite.h"
#include "common/http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX 4096

/* Feed in pieces of step bytes (0: whole); rc after EOF, body length. */
static int
run(const char *d, size_t n, size_t step, long *status, size_t *len)
{
	struct http_parse p;
	size_t off = 0, used;
	int rc = 0;

	http_parse_init(&p, MAX, n > 0 && d[0] == 'H' && n % 7 == 0);
	while (off < n && rc == 0) {
		size_t k = step && n - off > step ? step : n - off;

		rc = http_parse_feed(&p, d + off, k, &used);
		if (used > k || p.hcap > HTTP_PARSE_HEAD_MAX || p.len > MAX)
			__builtin_trap();
		off += used;
	}
	if (rc == 0)
		rc = http_parse_eof(&p);
	*status = p.status;
	*len = p.len;
	if (rc == 1) {
		size_t l;
		char *b = http_parse_take(&p, &l);

		if (b == NULL || l > MAX || b[l] != '\0')
			__builtin_trap();
		free(b);
	}
	http_parse_free(&p);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data;
	size_t step = size ? (size_t)data[0] % 17 + 1 : 1, l1, l2, l3;
	long s1, s2, s3;
	int r1 = run(d, size, 0, &s1, &l1), r2 = run(d, size, step, &s2, &l2),
	    r3 = run(d, size, 1, &s3, &l3);
	struct http_lite_url u;
	char *z;

	if (r1 != r2 || r1 != r3 || s1 != s2 || s1 != s3 ||
	    (r1 == 1 && (l1 != l2 || l1 != l3)))
		__builtin_trap();
	(void)http_parse_retry_after(d, size < 80 ? size : 80, 1445412480,
	                             86400);
	if ((z = malloc(size + 1)) != NULL) {
		memcpy(z, data, size);
		z[size] = '\0';
		if (http_lite_parse_url(z, &u) == 0 &&
		    (u.path + u.path_len > z + strlen(z) || u.host[0] == '\0'))
			__builtin_trap();
		free(z);
	}
	return 0;
}
