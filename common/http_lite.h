/*
 * http_lite.h: the built-in HTTP/1.1 client behind http_do for plain
 * http:// URLs and unix sockets, so a pilot never loads libcurl and the
 * thirty libraries it drags in.  Keep-alive connections are kept per
 * thread; the whole exchange, connect included, is bounded by a monotonic
 * deadline.
 */
#ifndef SEXTANT_HTTP_LITE_H
#define SEXTANT_HTTP_LITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/http.h"

/* A URL split for the request line and the connection. */
struct http_lite_url {
	char host[256]; /* without the brackets of an IPv6 literal */
	char port[8];
	char hostport[272]; /* for the Host header */
	char user[128];     /* from user:password@, percent-decoded */
	char password[128];
	bool has_user;
	const char *path; /* into the URL: "/..." or "?..." */
	size_t path_len;  /* without any "#fragment" */
};

/*
 * Split an http:// URL (pure).  0, -EPROTONOSUPPORT (another scheme) or
 * -EINVAL (malformed: control characters, bad port, overlong parts).
 */
int http_lite_parse_url(const char *url, struct http_lite_url *u);

/*
 * http_do for an http:// URL or a unix socket; same contract as http_do.
 * Returns -EPROTONOSUPPORT for any other scheme (no error text).
 */
int http_lite_do(const struct http_req *req, struct http_resp *resp, char *err,
                 size_t errlen);

/* Close this thread's idle connections (they also go when it exits). */
void http_lite_thread_cleanup(void);

#endif
