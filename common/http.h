/*
 * http.h: the HTTP client wrapper.  libcurl is used here only.
 * Every request has a timeout and a bound on the body it will keep, so a
 * hung or hostile server is a finding, never a hung or bloated daemon.
 */
#ifndef SEXTANT_HTTP_H
#define SEXTANT_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_DEFAULT_MAX_BODY (1024 * 1024)

struct http_req {
	const char *method;      /* "GET" (default when NULL), "POST", ... */
	const char *url;         /* http://127.0.0.1:26657/status */
	const char *unix_socket; /* talk HTTP over this socket, or NULL */
	const char *body;        /* request body, or NULL */
	size_t body_len;
	const char *content_type;   /* for body; NULL: application/json */
	const char *const *headers; /* extra "Name: value", NULL-terminated */
	const char *user;           /* Basic auth, or NULL */
	const char *password;
	const char *bearer; /* "Authorization: Bearer ..." or NULL */
	/* https only (libcurl); NULL: libcurl's defaults.  Plain http://
	 * ignores them. */
	const char *ca_file;   /* CA bundle (PEM) that must sign the server */
	const char *cert_file; /* client certificate (PEM) */
	const char *key_file;  /* its private key (PEM) */
	uint32_t timeout_ms;   /* whole request; 0: 5000 */
	size_t max_body;       /* 0: HTTP_DEFAULT_MAX_BODY */
};

struct http_resp {
	long status; /* HTTP status, 0 if none was received */
	char *body;  /* NUL-terminated; caller frees via http_resp_free */
	size_t len;
	long retry_after_s; /* Retry-After in seconds (int or HTTP-date), -1 */
};

/* One-time global init (curl_global_init); 0 or -EIO. */
int http_init(void);

/*
 * Perform req.  0 when a response arrived (whatever its status), else
 * -ETIMEDOUT, -ECONNREFUSED, -EMSGSIZE (body over max_body), -EIO, with a
 * reason in err.  On success the caller owns resp->body.
 */
int http_do(const struct http_req *req, struct http_resp *resp, char *err,
            size_t errlen);
void http_resp_free(struct http_resp *resp);

/*
 * Each thread keeps a curl handle (and its keep-alive connections) between
 * calls; it is released when the thread exits.  A thread may release it
 * earlier, e.g. the main thread before exit, for leak checkers.
 */
void http_thread_cleanup(void);

#endif
