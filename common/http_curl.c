/*
 * http_curl.c: requests through libcurl's easy interface, with libcurl
 * loaded by dlopen on the first https request rather than linked: see
 * http_curl.h.  Each thread has its own handle (nothing is shared between
 * threads but the loading and curl_global_init, which run once).
 */
#include "common/http_curl.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/http_parse.h"

#define HTTP_DEFAULT_TIMEOUT_MS 5000
/* Retry-After values past a day are treated as a day: a sink that asks for
 * more is broken, and the caller still gets a bounded wait. */
#define HTTP_RETRY_AFTER_MAX (24L * 3600)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static struct http_curl_api api;
static const struct http_curl_api *cu; /* &api once loaded, else NULL */
static char load_err[256];
/* Each thread keeps one easy handle, and with it curl's connection cache:
 * repeated https requests reuse their keep-alive connection. */
static pthread_key_t curl_key;
static bool curl_key_ok;

static void
handle_free(void *c)
{
	if (cu != NULL)
		cu->easy_cleanup(c);
}

static void
curl_load_once(void)
{
	const char *file = getenv("SEXTANT_LIBCURL");
	void *dl;

	if (file == NULL || file[0] == '\0')
		file = "libcurl.so.4";
	/* RTLD_NODELETE: handles cached in threads outlive any unload. */
	if ((dl = dlopen(file, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)) ==
	    NULL) {
		snprintf(load_err, sizeof(load_err),
		         "https needs libcurl, which cannot be loaded (%s); "
		         "install libcurl4",
		         dlerror());
		return;
	}
#define SYM(field, name)                                                       \
	if ((*(void **)&api.field = dlsym(dl, name)) == NULL) {                \
		snprintf(load_err, sizeof(load_err),                           \
		         "%s lacks %s: not a usable libcurl", file, name);     \
		return;                                                        \
	}
	SYM(global_init, "curl_global_init");
	SYM(easy_init, "curl_easy_init");
	SYM(easy_cleanup, "curl_easy_cleanup");
	SYM(easy_reset, "curl_easy_reset");
	SYM(easy_setopt, "curl_easy_setopt");
	SYM(easy_perform, "curl_easy_perform");
	SYM(easy_getinfo, "curl_easy_getinfo");
	SYM(easy_strerror, "curl_easy_strerror");
	SYM(slist_append, "curl_slist_append");
	SYM(slist_free_all, "curl_slist_free_all");
#undef SYM
	if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(load_err, sizeof(load_err), "curl_global_init failed");
		return;
	}
	curl_key_ok = pthread_key_create(&curl_key, handle_free) == 0;
	cu = &api;
}

const struct http_curl_api *
http_curl_load(char *err, size_t errlen)
{
	pthread_once(&curl_once, curl_load_once);
	if (cu == NULL && errlen > 0)
		snprintf(err, errlen, "%s", load_err);
	return cu;
}

void
http_curl_thread_cleanup(void)
{
	CURL *c;

	if (!curl_key_ok || (c = pthread_getspecific(curl_key)) == NULL)
		return;
	pthread_setspecific(curl_key, NULL);
	cu->easy_cleanup(c);
}

/* This thread's handle, reset to defaults; NULL when out of memory. */
static CURL *
handle_get(void)
{
	CURL *c;

	if (curl_key_ok && (c = pthread_getspecific(curl_key)) != NULL) {
		cu->easy_reset(c);
		return c;
	}
	if ((c = cu->easy_init()) == NULL)
		return NULL;
	if (curl_key_ok && pthread_setspecific(curl_key, c) == 0)
		return c;
	return c; /* uncached: handle_put frees it */
}

static void
handle_put(CURL *c)
{
	if (!curl_key_ok || pthread_getspecific(curl_key) != c)
		cu->easy_cleanup(c);
}

struct body_buf {
	char *p;
	size_t len;
	size_t cap;
	size_t max;
	bool over;
	int nomem;
};

struct hdr_state {
	long retry_after_s;
};

static size_t
write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct body_buf *b = arg;
	size_t n = size * nmemb;

	if (n > b->max - b->len) {
		b->over = true;
		return 0; /* short write: curl aborts with CURLE_WRITE_ERROR */
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (cap > b->max + 1)
			cap = b->max + 1;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->nomem = 1;
			return 0;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

static size_t
header_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	static const char name[] = "Retry-After:";
	struct hdr_state *h = arg;
	size_t n = size * nmemb;

	/* A new status line (after 100 Continue, say) starts a new header
	 * set: only the final response's Retry-After counts. */
	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0)
		h->retry_after_s = -1;
	else if (n > sizeof(name) - 1 &&
	         strncasecmp(data, name, sizeof(name) - 1) == 0)
		h->retry_after_s = http_parse_retry_after(
		    data + sizeof(name) - 1, n - (sizeof(name) - 1), time(NULL),
		    HTTP_RETRY_AFTER_MAX);
	return n;
}

static int
map_error(CURL *c, CURLcode rc, const struct body_buf *b, uint32_t timeout_ms,
          const char *cerr, char *err, size_t errlen)
{
	long oserr = 0;

	if (b->over) {
		snprintf(err, errlen, "body over %zu bytes", b->max);
		return -EMSGSIZE;
	}
	if (b->nomem) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	cu->easy_getinfo(c, CURLINFO_OS_ERRNO, &oserr);
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(err, errlen, "timeout after %u ms", timeout_ms);
		return -ETIMEDOUT;
	case CURLE_FILESIZE_EXCEEDED:
		snprintf(err, errlen, "body over %zu bytes", b->max);
		return -EMSGSIZE;
	case CURLE_COULDNT_CONNECT:
		if (oserr == 0 || oserr == ECONNREFUSED) {
			snprintf(err, errlen, "connection refused");
			return -ECONNREFUSED;
		}
		snprintf(err, errlen, "cannot connect: %s",
		         strerror((int)oserr));
		return -(int)oserr;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		snprintf(err, errlen, "cannot resolve host");
		return -EHOSTUNREACH;
	case CURLE_UNSUPPORTED_PROTOCOL:
		snprintf(err, errlen, "unsupported protocol (http/https only)");
		return -EPROTONOSUPPORT;
	case CURLE_URL_MALFORMAT:
		snprintf(err, errlen, "malformed URL");
		return -EINVAL;
	case CURLE_OUT_OF_MEMORY:
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	case CURLE_GOT_NOTHING:
		snprintf(err, errlen, "empty reply from server");
		return -ECONNRESET;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		snprintf(err, errlen, "connection reset: %s",
		         cerr[0] ? cerr : cu->easy_strerror(rc));
		return -ECONNRESET;
	default:
		snprintf(err, errlen, "%s",
		         cerr[0] ? cerr : cu->easy_strerror(rc));
		return -EIO;
	}
}

static int
set_opts(CURL *c, const struct http_req *req, struct body_buf *b,
         struct hdr_state *h, struct curl_slist **hdrs, char *cerr)
{
	uint32_t tmo =
	    req->timeout_ms ? req->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
	const char *method = req->method ? req->method : "GET";
	struct curl_slist *l = NULL, *n;
	char line[1024];
	int bad = 0;
	size_t i;

#define SET(opt, val) bad |= cu->easy_setopt(c, opt, val) != CURLE_OK
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, cerr);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	SET(CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_TIMEOUT_MS, (long)tmo);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)tmo);
	SET(CURLOPT_WRITEFUNCTION, write_cb);
	SET(CURLOPT_WRITEDATA, b);
	SET(CURLOPT_HEADERFUNCTION, header_cb);
	SET(CURLOPT_HEADERDATA, h);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)b->max);
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	if (req->unix_socket)
		SET(CURLOPT_UNIX_SOCKET_PATH, req->unix_socket);
	if (req->ca_file)
		SET(CURLOPT_CAINFO, req->ca_file);
	if (req->cert_file)
		SET(CURLOPT_SSLCERT, req->cert_file);
	if (req->key_file)
		SET(CURLOPT_SSLKEY, req->key_file);
	if (req->user) {
		SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		SET(CURLOPT_USERNAME, req->user);
		SET(CURLOPT_PASSWORD, req->password ? req->password : "");
	}

	if (strcmp(method, "GET") == 0)
		SET(CURLOPT_HTTPGET, 1L);
	else if (strcmp(method, "HEAD") == 0)
		SET(CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "POST") == 0)
		SET(CURLOPT_POST, 1L);
	else
		SET(CURLOPT_CUSTOMREQUEST, method);
	if (req->body || strcmp(method, "POST") == 0) {
		SET(CURLOPT_POSTFIELDS, req->body ? req->body : "");
		SET(CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(req->body ? req->body_len : 0));
		snprintf(line, sizeof(line), "Content-Type: %s",
		         req->content_type ? req->content_type
		                           : "application/json");
		if ((n = cu->slist_append(l, line)) == NULL)
			goto nomem;
		l = n;
		/* Nodes answer small requests at once; the 100-continue
		 * round trip only adds latency. */
		if ((n = cu->slist_append(l, "Expect:")) == NULL)
			goto nomem;
		l = n;
	}
#undef SET
	if (req->bearer) {
		if ((size_t)snprintf(line, sizeof(line),
		                     "Authorization: Bearer %s",
		                     req->bearer) >= sizeof(line))
			bad = 1;
		else if ((n = cu->slist_append(l, line)) == NULL)
			goto nomem;
		else
			l = n;
		memset(line, 0, sizeof(line));
	}
	for (i = 0; req->headers && req->headers[i]; i++) {
		if ((n = cu->slist_append(l, req->headers[i])) == NULL)
			goto nomem;
		l = n;
	}
	if (l && cu->easy_setopt(c, CURLOPT_HTTPHEADER, l) != CURLE_OK)
		bad = 1;
	*hdrs = l;
	return bad ? -EINVAL : 0;
nomem:
	cu->slist_free_all(l);
	return -ENOMEM;
}

int
http_curl_do(const struct http_req *req, struct http_resp *resp, char *err,
             size_t errlen)
{
	struct body_buf b = {0};
	struct hdr_state h = {.retry_after_s = -1};
	struct curl_slist *hdrs = NULL;
	char cerr[CURL_ERROR_SIZE] = "";
	uint32_t tmo;
	CURL *c;
	CURLcode rc;
	int r;

	memset(resp, 0, sizeof(*resp));
	resp->retry_after_s = -1;
	if (errlen > 0)
		err[0] = '\0';
	if (req == NULL || req->url == NULL) {
		snprintf(err, errlen, "no URL");
		return -EINVAL;
	}
	if (http_curl_load(err, errlen) == NULL) {
		size_t n = errlen ? strlen(err) : 0;

		if (n + 1 < errlen)
			snprintf(err + n, errlen - n, " (for %s)", req->url);
		return -EIO;
	}
	tmo = req->timeout_ms ? req->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
	b.max = req->max_body ? req->max_body : HTTP_DEFAULT_MAX_BODY;
	if ((c = handle_get()) == NULL) {
		snprintf(err, errlen, "curl_easy_init failed");
		return -ENOMEM;
	}
	if ((r = set_opts(c, req, &b, &h, &hdrs, cerr)) != 0) {
		snprintf(err, errlen,
		         r == -ENOMEM ? "out of memory"
		                      : "bad request options");
		goto out;
	}
	rc = cu->easy_perform(c);
	if (rc != CURLE_OK) {
		r = map_error(c, rc, &b, tmo, cerr, err, errlen);
		goto out;
	}
	cu->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	if (b.p == NULL && (b.p = calloc(1, 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	resp->body = b.p;
	resp->len = b.len;
	resp->retry_after_s = h.retry_after_s;
	b.p = NULL;
	r = 0;
out:
	cu->slist_free_all(hdrs);
	/* The buffers the options point at are on this stack: keep no
	 * pointer to them in the cached handle. */
	cu->easy_reset(c);
	handle_put(c);
	free(b.p);
	return r;
}
