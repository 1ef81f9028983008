/*
 * http_stream.h: a long-lived HTTP GET whose body arrives in pieces, and a
 * parser for server-sent events (the WHATWG event-stream format).  The
 * request half uses libcurl, like http.c; the parser is pure and bounded.
 */
#ifndef SEXTANT_HTTP_STREAM_H
#define SEXTANT_HTTP_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct http_stream_req {
	const char *url;
	const char *bearer;          /* "Authorization: Bearer ..." */
	const char *const *headers;  /* extra "Name: value", NULL-ended */
	uint32_t connect_timeout_ms; /* 0: 5000 */
	uint32_t idle_timeout_ms;    /* no byte for this long; 0: none */
	uint32_t max_ms;             /* whole transfer; 0: unlimited */
};

/* Called with each piece of a 2xx body; nonzero stops the transfer. */
typedef int (*http_stream_fn)(void *arg, const char *data, size_t len);

/*
 * GET req->url and hand the body to fn as it arrives.  0 when the server
 * ended the body or fn stopped it; -ETIMEDOUT (idle or max), -ECONNREFUSED,
 * -EIO, with a reason in err.  *status gets the HTTP status (0 if none);
 * a non-2xx body is not given to fn but quoted (bounded) in err.
 */
int http_stream_get(const struct http_stream_req *req, http_stream_fn fn,
                    void *arg, long *status, char *err, size_t errlen);

/* One dispatched event.  Strings stay valid during the callback only. */
struct http_sse_event {
	const char *id;    /* last event id seen on the stream, or "" */
	const char *event; /* type; "message" when the field was absent */
	const char *data;  /* data lines joined by "\n" */
	size_t data_len;
};

/* Nonzero stops http_sse_feed, which returns that value. */
typedef int (*http_sse_fn)(void *arg, const struct http_sse_event *ev);

struct http_sse {
	http_sse_fn fn;
	void *arg;
	size_t max; /* bound on one line and on one event's data */
	char *line; /* the line being assembled */
	size_t llen, lcap;
	char *data;
	size_t dlen, dcap;
	bool has_data;
	bool after_cr; /* a "\r\n" pair is one line end */
	char id[64];
	char event[64];
};

/* max 0: 1 MiB.  Free with http_sse_free (accepts NULL). */
void http_sse_init(struct http_sse *, size_t max, http_sse_fn fn, void *arg);
/* Feed bytes in any split: 0, fn's nonzero value, -EMSGSIZE (a line or an
 * event over max), -ENOMEM. */
int http_sse_feed(struct http_sse *, const char *p, size_t n);
void http_sse_free(struct http_sse *);

#endif
