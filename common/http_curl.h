/*
 * http_curl.h: libcurl, loaded with dlopen at its first use, for what the
 * built-in client (http_lite.c) does not do: https.  A pilot that only
 * talks plain http to its node never maps libcurl and the thirty
 * libraries behind it (TLS, Kerberos, LDAP, ...), about 9 MB of RSS.
 */
#ifndef SEXTANT_HTTP_CURL_H
#define SEXTANT_HTTP_CURL_H

#include <stddef.h>

#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

#include "common/http.h"

/* The few entry points used, resolved once. */
struct http_curl_api {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *);
	void (*easy_reset)(CURL *);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
};

/*
 * libcurl, loaded and globally initialised on the first call (thread-safe);
 * NULL with the reason in err when it is missing or unusable.  The
 * environment variable SEXTANT_LIBCURL names another file to load (tests).
 */
const struct http_curl_api *http_curl_load(char *err, size_t errlen);

/* http_do through libcurl; same contract. */
int http_curl_do(const struct http_req *req, struct http_resp *resp, char *err,
                 size_t errlen);

/* Release this thread's cached curl handle, if any. */
void http_curl_thread_cleanup(void);

#endif
