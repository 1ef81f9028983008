/*
 * http.c: one synchronous HTTP request.  Plain http:// and unix sockets go
 * through the built-in client (http_lite.c); https through libcurl, loaded
 * on first use (http_curl.c), so a daemon that never speaks https never
 * maps libcurl.  Any thread may call http_do.
 */
#include "common/http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/http_curl.h"
#include "common/http_lite.h"

int
http_init(void)
{
	/* Nothing to do before threads start: libcurl, when an https URL
	 * needs it, is loaded and initialised once under pthread_once. */
	return 0;
}

void
http_thread_cleanup(void)
{
	http_lite_thread_cleanup();
	http_curl_thread_cleanup();
}

int
http_do(const struct http_req *req, struct http_resp *resp, char *err,
        size_t errlen)
{
	int r;

	memset(resp, 0, sizeof(*resp));
	resp->retry_after_s = -1;
	if (errlen > 0)
		err[0] = '\0';
	if (req == NULL || req->url == NULL) {
		snprintf(err, errlen, "no URL");
		return -EINVAL;
	}
	r = http_lite_do(req, resp, err, errlen);
	if (r != -EPROTONOSUPPORT)
		return r;
	if (strncasecmp(req->url, "https://", 8) != 0) {
		snprintf(err, errlen, "unsupported protocol (http/https only)");
		return -EPROTONOSUPPORT;
	}
	return http_curl_do(req, resp, err, errlen);
}

void
http_resp_free(struct http_resp *resp)
{
	if (resp == NULL)
		return;
	free(resp->body);
	resp->body = NULL;
	resp->len = 0;
}
