/*
 * http_parse.h: the HTTP/1.1 response parser of the built-in client
 * (http_lite.c), pure and bounded: bytes in, in any split; a status, a few
 * headers and a decoded body out.  Content-Length, chunked and
 * read-to-close bodies; 1xx interim responses are skipped.
 */
#ifndef SEXTANT_HTTP_PARSE_H
#define SEXTANT_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The status line and headers together; more is a hostile server. */
#define HTTP_PARSE_HEAD_MAX (32 * 1024)

enum http_parse_state {
	HTTP_PARSE_HEAD,
	HTTP_PARSE_BODY_LEN,   /* Content-Length bytes to go */
	HTTP_PARSE_BODY_CLOSE, /* until the server closes */
	HTTP_PARSE_CHUNK_SIZE,
	HTTP_PARSE_CHUNK_DATA,
	HTTP_PARSE_CHUNK_END, /* the CRLF after a chunk's data */
	HTTP_PARSE_TRAILER,
	HTTP_PARSE_DONE,
};

struct http_parse {
	enum http_parse_state state;
	bool no_body;   /* answer to HEAD: headers only */
	size_t max;     /* bound on the decoded body */
	long status;    /* of the final response, 0 until its head is in */
	bool keep_open; /* the server did not say Connection: close */
	char retry_after[64]; /* Retry-After value, trimmed, or "" */
	char *head;           /* the head being assembled */
	size_t hlen, hcap;
	uint64_t remaining; /* body or chunk bytes to go */
	char line[80];      /* a chunk-size or trailer line (bounded) */
	size_t llen;
	size_t trailer; /* trailer bytes so far */
	char *body;     /* decoded body, NUL-terminated; see http_parse_take */
	size_t len, cap;
	size_t seen; /* bytes fed in all */
};

/* max 0: 1 MiB.  no_body: the request was HEAD.  Free with http_parse_free
 * (accepts NULL). */
void http_parse_init(struct http_parse *, size_t max, bool no_body);
void http_parse_free(struct http_parse *);

/*
 * Feed n bytes.  Returns 0 when more are needed, 1 when the response is
 * complete (*used says how many of these bytes it took), or -EBADMSG
 * (malformed), -E2BIG (head over HTTP_PARSE_HEAD_MAX), -EMSGSIZE (body
 * over max), -ENOMEM.  After 1 or an error, feed no more.
 */
int http_parse_feed(struct http_parse *, const char *p, size_t n, size_t *used);

/*
 * The server closed the connection: 1 when that completes the response
 * (a read-to-close body), else -EBADMSG (truncated) or -ECONNRESET
 * (nothing at all arrived).
 */
int http_parse_eof(struct http_parse *);

/* Hand over the body (never NULL after success: "" when empty); caller
 * frees.  NULL only when out of memory. */
char *http_parse_take(struct http_parse *, size_t *len);

/*
 * Retry-After is delta-seconds or an HTTP-date (RFC 9110 10.2.3): seconds
 * from now, clamped to [0, max_s], or -1 when unreadable.
 */
long http_parse_retry_after(const char *v, size_t n, time_t now, long max_s);

#endif
