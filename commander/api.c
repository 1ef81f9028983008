/*
 * api.c: the server core.  One nng tree handler at "/" takes every method
 * and path, so that routing, 404/405, auth, the rate limit and the body
 * limit all answer in JSON from one place instead of nng's HTML pages.
 */
#include "commander/api.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "commander/api_int.h"
#include "common/fileio.h"
#include "common/util.h"

#define OPT(n, t, m, ...)                                                      \
	{                                                                      \
		.name = (n), .type = (t), .off = offsetof(struct api_conf, m), \
		.size = sizeof(((struct api_conf *)0)->m), __VA_ARGS__         \
	}

const struct conf_opt api_conf_opts[] = {
    OPT("listen", CONF_STR, listen, .def = API_DEFAULT_LISTEN,
        .help = "http://HOST:PORT; keep 127.0.0.1 unless a proxy "
                "fronts it"),
    OPT("token", CONF_STR, token, .secret = true, .env = "SEXTANT_API_TOKEN",
        .help = "bearer token for mutating endpoints"),
    OPT("token_file", CONF_STR, token_file,
        .help = "file holding the token (mode 0600)"),
    OPT("read_token", CONF_STR, read_token, .secret = true,
        .env = "SEXTANT_API_READ_TOKEN",
        .help = "bearer token for reads; empty: reads are open"),
    OPT("read_token_file", CONF_STR, read_token_file,
        .help = "file holding the read token (mode 0600)"),
    OPT("rate_per_s", CONF_U32, rate_per_s, .min = 0, .max = 100000,
        .def = "20", .help = "requests per second per client; 0: off"),
    OPT("rate_burst", CONF_U32, rate_burst, .min = 1, .max = 100000,
        .def = "40", .help = "requests a client may burst"),
    OPT("max_body", CONF_U32, max_body, .min = 0, .max = 16 << 20,
        .def = "65536", .help = "largest request body, bytes"),
    OPT("max_streams", CONF_U32, max_streams, .min = 0, .max = 4096,
        .def = "32", .help = "concurrent event streams"),
    OPT("keepalive", CONF_DURATION_MS, keepalive_ms, .min = 1000, .max = 300000,
        .def = "15s", .help = "comment line on an idle event stream"),
    OPT("write_timeout", CONF_DURATION_MS, write_timeout_ms, .min = 100,
        .max = 600000, .def = "10s",
        .help = "a stream write slower than this drops the client"),
    CONF_END,
};

void
api_conf_defaults(struct api_conf *c)
{
	memset(c, 0, sizeof(*c));
	util_strlcpy(c->listen, API_DEFAULT_LISTEN, sizeof(c->listen));
	c->rate_per_s = 20;
	c->rate_burst = 40;
	c->max_body = 65536;
	c->max_streams = 32;
	c->keepalive_ms = 15000;
	c->write_timeout_ms = 10000;
}

static int
load_token(const char *field, const char *path, char *tok, size_t size,
           char *err, size_t errlen)
{
	char why[256], *buf = NULL, *p, *e;
	size_t len;
	int rc;

	if (path[0] == '\0')
		return 0;
	if (tok[0] != '\0') {
		snprintf(err, errlen, "%s: set both inline and as %s_file '%s'",
		         field, field, path);
		return -1;
	}
	if (file_check_secrecy(path, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s_file: %s", field, why);
		return -1;
	}
	if ((rc = file_read_all(path, 4096, &buf, &len)) != 0) {
		snprintf(err, errlen, "%s_file: '%s': %s", field, path,
		         strerror(-rc));
		return -1;
	}
	for (p = buf; isspace((unsigned char)*p); p++)
		;
	for (e = p + strlen(p); e > p && isspace((unsigned char)e[-1]); e--)
		;
	*e = '\0';
	rc = util_strcpy_checked(tok, p, size);
	sodium_memzero(buf, len);
	free(buf);
	if (rc != 0) {
		snprintf(err, errlen, "%s_file: '%s': token too long", field,
		         path);
		return -1;
	}
	return 0;
}

static int
check_token(const char *field, const char *tok, char *err, size_t errlen)
{
	const char *p;

	if (tok[0] == '\0')
		return 0;
	for (p = tok; *p; p++)
		if (!isgraph((unsigned char)*p)) {
			snprintf(err, errlen,
			         "%s: only printable characters without spaces",
			         field);
			return -1;
		}
	if (p - tok < 16) {
		snprintf(err, errlen, "%s: too short (16 characters at least)",
		         field);
		return -1;
	}
	return 0;
}

int
api_conf_finish(struct api_conf *c, char *err, size_t errlen)
{
	nng_url *u = NULL;

	if (load_token("token", c->token_file, c->token, sizeof(c->token), err,
	               errlen) != 0 ||
	    load_token("read_token", c->read_token_file, c->read_token,
	               sizeof(c->read_token), err, errlen) != 0 ||
	    check_token("token", c->token, err, errlen) != 0 ||
	    check_token("read_token", c->read_token, err, errlen) != 0)
		return -1;
	if (c->token[0] != '\0' && strcmp(c->token, c->read_token) == 0) {
		snprintf(err, errlen, "read_token: must differ from token");
		return -1;
	}
	if (nng_url_parse(&u, c->listen) != 0 ||
	    strcmp(u->u_scheme, "http") != 0 || u->u_port[0] == '\0') {
		snprintf(err, errlen, "listen: not http://HOST:PORT '%s'",
		         c->listen);
		if (u != NULL)
			nng_url_free(u);
		return -1;
	}
	nng_url_free(u);
	if (c->rate_per_s > 0 && c->rate_burst == 0)
		c->rate_burst = 1;
	return 0;
}

/* ---- helpers for handlers ---- */

void
api_reply_json(struct api_response *r, int status, struct cJSON *o)
{
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	free(r->body);
	r->body = NULL;
	r->content_type = NULL;
	if (s == NULL) {
		api_reply_error(r, 500, "out of memory");
		return;
	}
	r->status = status;
	r->body = s;
	r->body_len = strlen(s);
}

void
api_reply_error(struct api_response *r, int status, const char *fmt, ...)
{
	char msg[512], *s;
	cJSON *o;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	free(r->body);
	r->body = NULL;
	r->content_type = NULL;
	r->status = status;
	if ((o = cJSON_CreateObject()) != NULL &&
	    cJSON_AddStringToObject(o, "error", msg) != NULL &&
	    (s = cJSON_PrintUnformatted(o)) != NULL) {
		r->body = s;
		r->body_len = strlen(s);
	}
	cJSON_Delete(o);
}

int
api_query_get(const char *q, const char *name, char *buf, size_t size)
{
	size_t nlen = strlen(name);

	while (q != NULL && *q != '\0') {
		const char *amp = strchr(q, '&');
		const char *end = amp ? amp : q + strlen(q);
		const char *eq = memchr(q, '=', (size_t)(end - q));
		const char *kend = eq ? eq : end;

		if ((size_t)(kend - q) == nlen && memcmp(q, name, nlen) == 0) {
			if (eq == NULL) {
				if (size == 0)
					return -ENOSPC;
				buf[0] = '\0';
				return 1;
			}
			int rc = util_pct_decode(eq + 1, (size_t)(end - eq - 1),
			                         true, buf, size);
			return rc < 0 ? rc : 1;
		}
		q = amp ? amp + 1 : end;
	}
	return 0;
}

bool
api_token_equal(const char *presented, const char *configured)
{
	unsigned char a[crypto_generichash_BYTES];
	unsigned char b[crypto_generichash_BYTES];
	bool eq;

	if (presented == NULL || configured == NULL || configured[0] == '\0')
		return false;
	/* Hashing first makes the comparison independent of where the
	 * strings differ and of the presented length. */
	crypto_generichash(a, sizeof(a), (const unsigned char *)presented,
	                   strlen(presented), NULL, 0);
	crypto_generichash(b, sizeof(b), (const unsigned char *)configured,
	                   strlen(configured), NULL, 0);
	eq = sodium_memcmp(a, b, sizeof(a)) == 0;
	sodium_memzero(a, sizeof(a));
	sodium_memzero(b, sizeof(b));
	return eq;
}

/* ---- routes ---- */

int
api_route(struct api *api, const char *method, const char *path,
          enum api_access access, api_handler_fn fn, void *arg)
{
	return api_route_add(api, method, path, access, fn, arg, false);
}

int
api_route_add(struct api *api, const char *method, const char *path,
              enum api_access access, api_handler_fn fn, void *arg, bool stream)
{
	struct api_route r = {
	    .access = access, .fn = fn, .arg = arg, .stream = stream};
	size_t len = strlen(path), i;
	int rc = 0;

	if (path[0] != '/' || fn == NULL)
		return -EINVAL;
	if (len >= 2 && strcmp(path + len - 2, "/*") == 0) {
		r.prefix = true;
		len--;
	}
	if (len >= sizeof(r.path) ||
	    util_strcpy_checked(r.method, method, sizeof(r.method)) != 0)
		return -EINVAL;
	memcpy(r.path, path, len);
	r.path[len] = '\0';
	pthread_mutex_lock(&api->mu);
	for (i = 0; i < api->nroutes; i++)
		if (strcmp(api->routes[i].method, r.method) == 0 &&
		    strcmp(api->routes[i].path, r.path) == 0 &&
		    api->routes[i].prefix == r.prefix)
			rc = -EEXIST;
	if (rc == 0 && api->nroutes == API_MAX_ROUTES)
		rc = -ENOSPC;
	if (rc == 0)
		api->routes[api->nroutes++] = r;
	pthread_mutex_unlock(&api->mu);
	return rc;
}

static bool
route_matches(const struct api_route *r, const char *path, const char **tail)
{
	size_t n = strlen(r->path);

	if (!r->prefix) {
		*tail = "";
		return strcmp(r->path, path) == 0;
	}
	if (strncmp(r->path, path, n) != 0 || path[n] == '\0')
		return false;
	*tail = path + n;
	return true;
}

/* ---- per-request state ---- */

struct call {
	struct api *api;
	nng_aio *haio; /* the server's handler aio */
	nng_http_req *req;
	nng_http_conn *conn;
	nng_aio *body_aio;
	char *body;
	size_t body_len;
	char remote[API_ADDR_MAX];
	char path[1024];
	const char *query;
	struct api_route route;
	const char *tail;
	char allow[64];   /* methods of the path, for 405 */
	bool unread_body; /* the request has a body still on the wire */
};

void
api_count_code(struct api *api, int code)
{
	size_t i;

	for (i = 0; i < API_MAX_CODES; i++) {
		if (api->codes[i].code == code || api->codes[i].code == 0) {
			api->codes[i].code = code;
			api->codes[i].n++;
			return;
		}
	}
}

static void
finish(struct call *c, struct api_response *r, bool close)
{
	struct api *api = c->api;
	nng_http_res *res = NULL;
	char ra[16];

	if (nng_http_res_alloc(&res) != 0)
		goto fail;
	if (r->body == NULL)
		api_reply_error(r, r->status ? r->status : 500, "no body");
	if (nng_http_res_set_status(res, (uint16_t)r->status) != 0 ||
	    nng_http_res_set_header(
	        res, "Content-Type",
	        r->content_type ? r->content_type : "application/json") != 0 ||
	    nng_http_res_set_header(res, "Cache-Control", "no-store") != 0 ||
	    nng_http_res_set_header(res, "X-Content-Type-Options", "nosniff") !=
	        0 ||
	    (r->body != NULL &&
	     nng_http_res_copy_data(res, r->body, r->body_len) != 0))
		goto fail;
	if (r->status == 401)
		nng_http_res_set_header(res, "WWW-Authenticate",
		                        "Bearer realm=\"sextant\"");
	if (r->retry_after_s > 0) {
		snprintf(ra, sizeof(ra), "%" PRIu32, r->retry_after_s);
		nng_http_res_set_header(res, "Retry-After", ra);
	}
	for (size_t i = 0; i < UTIL_NELEM(r->headers); i++)
		if (r->headers[i].name != NULL &&
		    nng_http_res_set_header(res, r->headers[i].name,
		                            r->headers[i].value) != 0)
			goto fail;
	if (close)
		nng_http_res_set_header(res, "Connection", "close");
	free(r->body);
	r->body = NULL;
	pthread_mutex_lock(&api->mu);
	api_count_code(api, r->status);
	api->inflight--;
	pthread_cond_broadcast(&api->cv);
	pthread_mutex_unlock(&api->mu);
	nng_aio_set_output(c->haio, 0, res);
	nng_aio_finish(c->haio, 0);
	return;
fail:
	free(r->body);
	r->body = NULL;
	if (res != NULL)
		nng_http_res_free(res);
	pthread_mutex_lock(&api->mu);
	api_count_code(api, 500);
	api->inflight--;
	pthread_cond_broadcast(&api->cv);
	pthread_mutex_unlock(&api->mu);
	nng_aio_finish(c->haio, NNG_ENOMEM);
}

static void
call_free(struct call *c)
{
	if (c == NULL)
		return;
	if (c->body_aio != NULL)
		nng_aio_reap(c->body_aio);
	free(c->body);
	free(c);
}

static void fail_now(struct call *c, int status, uint32_t retry_after,
                     bool close, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
fail_now(struct call *c, int status, uint32_t retry_after, bool close,
         const char *fmt, ...)
{
	struct api_response r = {0};
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	api_reply_error(&r, status, "%s", msg);
	r.retry_after_s = retry_after;
	if (status == 405) {
		r.headers[0].name = "Allow";
		r.headers[0].value = c->allow;
	}
	/* a body we did not read would be parsed as the next request on a
	 * kept-alive connection: hang up after this answer instead */
	finish(c, &r, close || c->unread_body);
	call_free(c);
}

/* The presented bearer token (header, or access_token for reads). */
static void
presented_token(struct call *c, bool allow_query, char *buf, size_t size)
{
	const char *h = nng_http_req_get_header(c->req, "Authorization");

	buf[0] = '\0';
	if (h != NULL) {
		while (*h == ' ')
			h++;
		if (strncasecmp(h, "Bearer ", 7) == 0) {
			h += 7;
			while (*h == ' ')
				h++;
			util_strlcpy(buf, h, size);
		}
		return;
	}
	if (allow_query &&
	    api_query_get(c->query, "access_token", buf, size) != 1)
		buf[0] = '\0';
}

/* 0 allowed, else the HTTP status to answer (with *why). */
static int
authorize(struct call *c, const char **why)
{
	const struct api_conf *cf = &c->api->conf;
	char tok[API_TOKEN_MAX + 1];
	int rc = 0;

	switch (c->route.access) {
	case API_OPEN:
		return 0;
	case API_READ:
		if (cf->read_token[0] == '\0')
			return 0;
		presented_token(c, true, tok, sizeof(tok));
		if (api_token_equal(tok, cf->read_token) ||
		    api_token_equal(tok, cf->token))
			rc = 0;
		else {
			*why = tok[0] ? "invalid token" : "token required";
			rc = 401;
		}
		break;
	case API_WRITE:
		if (cf->token[0] == '\0') {
			*why = "mutating endpoints are disabled: no [api] "
			       "token is configured";
			return 403;
		}
		presented_token(c, false, tok, sizeof(tok));
		if (api_token_equal(tok, cf->token))
			rc = 0;
		else if (api_token_equal(tok, cf->read_token)) {
			*why = "the read token cannot change anything";
			rc = 403;
		} else {
			*why = tok[0] ? "invalid token" : "token required";
			rc = 401;
		}
		break;
	}
	sodium_memzero(tok, sizeof(tok));
	return rc;
}

/* Token bucket per client address; 0 allowed, else seconds to wait. */
static uint32_t
rate_take(struct api *api, const char *addr, uint64_t now)
{
	const struct api_conf *cf = &api->conf;
	struct api_bucket *b = NULL, *oldest = &api->buckets[0];
	uint32_t wait = 0;
	size_t i;

	if (cf->rate_per_s == 0)
		return 0;
	pthread_mutex_lock(&api->mu);
	for (i = 0; i < API_BUCKETS; i++) {
		if (strcmp(api->buckets[i].addr, addr) == 0) {
			b = &api->buckets[i];
			break;
		}
		if (api->buckets[i].last_ms < oldest->last_ms)
			oldest = &api->buckets[i];
	}
	if (b == NULL) {
		b = oldest; /* the stalest client starts over, full */
		util_strlcpy(b->addr, addr, sizeof(b->addr));
		b->tokens = cf->rate_burst;
		b->last_ms = now;
	}
	b->tokens += (double)(now - b->last_ms) * cf->rate_per_s / 1000.0;
	if (b->tokens > cf->rate_burst)
		b->tokens = cf->rate_burst;
	b->last_ms = now;
	if (b->tokens >= 1.0)
		b->tokens -= 1.0;
	else {
		wait = (uint32_t)ceil((1.0 - b->tokens) / cf->rate_per_s);
		if (wait == 0)
			wait = 1;
		api->rate_limited++;
	}
	pthread_mutex_unlock(&api->mu);
	return wait;
}

/*
 * nng 1.5 has no public way to ask an HTTP connection for its peer.  In
 * every 1.x release since 1.2 (nng_stream) the connection's first member
 * is its nng_stream, which has one; newer majors are not trusted, and
 * all their clients then share one bucket.
 */
static void
remote_addr(nng_http_conn *conn, char *buf, size_t size)
{
	static int trusted = -1;
	nng_stream *s;
	nng_sockaddr sa;

	util_strlcpy(buf, "?", size);
	if (trusted < 0) {
		unsigned maj = 0, min = 0;

		trusted = sscanf(nng_version(), "%u.%u", &maj, &min) == 2 &&
		          maj == 1 && min >= 2;
	}
	if (!trusted || conn == NULL || (s = *(nng_stream **)conn) == NULL ||
	    nng_stream_get_addr(s, NNG_OPT_REMADDR, &sa) != 0)
		return;
	if (sa.s_family == NNG_AF_INET)
		inet_ntop(AF_INET, &sa.s_in.sa_addr, buf, (socklen_t)size);
	else if (sa.s_family == NNG_AF_INET6)
		inet_ntop(AF_INET6, sa.s_in6.sa_addr, buf, (socklen_t)size);
}

static void
dispatch(struct call *c)
{
	struct api_response r = {0};
	struct api_request q = {
	    .method = nng_http_req_get_method(c->req),
	    .path = c->path,
	    .tail = c->tail,
	    .query = c->query,
	    .body = c->body ? c->body : "",
	    .body_len = c->body_len,
	    .remote = c->remote,
	    .header_last_event_id =
	        nng_http_req_get_header(c->req, "Last-Event-ID"),
	    .arg = c->route.arg,
	};

	if (strcmp(q.method, "HEAD") == 0)
		q.method = "GET"; /* nng strips the body of HEAD replies */
	c->route.fn(&q, &r);
	if (r.status == 0)
		api_reply_error(&r, 500, "handler gave no answer");
	finish(c, &r, false);
	call_free(c);
}

static void
body_done(void *arg)
{
	struct call *c = arg;

	if (nng_aio_result(c->body_aio) != 0) {
		/* the client stalled or left mid-body: just hang up */
		pthread_mutex_lock(&c->api->mu);
		c->api->inflight--;
		pthread_cond_broadcast(&c->api->cv);
		pthread_mutex_unlock(&c->api->mu);
		nng_aio_finish(c->haio, NNG_ECONNABORTED);
		call_free(c);
		return;
	}
	c->body[c->body_len] = '\0';
	c->unread_body = false;
	dispatch(c);
}

static int
stream_cursor(struct call *c, uint64_t *cursor, const char **why)
{
	const char *h = nng_http_req_get_header(c->req, "Last-Event-ID");
	char buf[32];
	int rc;

	/* the header wins: a browser reconnecting keeps its first URL */
	if (h != NULL && h[0] != '\0') {
		if (util_parse_u64(h, 0, UINT64_MAX >> 11, cursor) != 0) {
			*why = "Last-Event-ID: not an event id";
			return -1;
		}
		return 0;
	}
	rc = api_query_get(c->query, "since", buf, sizeof(buf));
	if (rc == 1) {
		if (util_parse_u64(buf, 0, UINT64_MAX >> 11, cursor) != 0) {
			*why = "since: not an event id";
			return -1;
		}
		return 0;
	}
	if (rc < 0) {
		*why = "since: not an event id";
		return -1;
	}
	*cursor = UINT64_MAX; /* only what happens from now on */
	return 0;
}

static void
open_stream(struct call *c)
{
	struct api *api = c->api;
	const char *why = NULL;
	uint64_t cursor;
	int rc;

	if (stream_cursor(c, &cursor, &why) != 0) {
		fail_now(c, 400, 0, false, "%s", why);
		return;
	}
	rc = api_sse_open(api, c->conn, c->req, cursor);
	if (rc == -EBUSY) {
		fail_now(c, 503, 5, false, "%s", "too many event streams");
		return;
	}
	if (rc != 0) {
		fail_now(c, 500, 0, false, "%s", "cannot open a stream");
		return;
	}
	/* hijacked: no response object, the stream writes its own */
	pthread_mutex_lock(&api->mu);
	api_count_code(api, 200);
	api->inflight--;
	pthread_cond_broadcast(&api->cv);
	pthread_mutex_unlock(&api->mu);
	nng_aio_set_output(c->haio, 0, NULL);
	nng_aio_finish(c->haio, 0);
	call_free(c);
}

static void
allowed_methods(struct api *api, const char *path, char *buf, size_t size)
{
	const char *tail;
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < api->nroutes; i++) {
		if (!route_matches(&api->routes[i], path, &tail) ||
		    strstr(buf, api->routes[i].method) != NULL)
			continue;
		if (buf[0] != '\0')
			util_strlcpy(buf + strlen(buf), ", ",
			             size - strlen(buf));
		util_strlcpy(buf + strlen(buf), api->routes[i].method,
		             size - strlen(buf));
	}
}

static void
handle(nng_aio *aio)
{
	nng_http_req *req = nng_aio_get_input(aio, 0);
	nng_http_handler *h = nng_aio_get_input(aio, 1);
	nng_http_conn *conn = nng_aio_get_input(aio, 2);
	struct api *api = nng_http_handler_get_data(h);
	const char *method = nng_http_req_get_method(req);
	const char *uri = nng_http_req_get_uri(req);
	const char *qm, *cl, *why = NULL;
	struct call *c;
	bool found = false, path_found = false;
	uint32_t wait;
	uint64_t len = 0;
	size_t i;
	int st;

	pthread_mutex_lock(&api->mu);
	if (api->stopping) {
		pthread_mutex_unlock(&api->mu);
		nng_aio_finish(aio, NNG_ECLOSED);
		return;
	}
	api->inflight++;
	pthread_mutex_unlock(&api->mu);

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		pthread_mutex_lock(&api->mu);
		api->inflight--;
		pthread_cond_broadcast(&api->cv);
		pthread_mutex_unlock(&api->mu);
		nng_aio_finish(aio, NNG_ENOMEM);
		return;
	}
	c->api = api;
	c->haio = aio;
	c->req = req;
	c->conn = conn;
	remote_addr(conn, c->remote, sizeof(c->remote));
	cl = nng_http_req_get_header(req, "Content-Length");
	c->unread_body =
	    nng_http_req_get_header(req, "Transfer-Encoding") != NULL ||
	    (cl != NULL && strcmp(cl, "0") != 0);

	if ((wait = rate_take(api, c->remote, clock_mono_ms())) != 0) {
		fail_now(c, 429, wait, false, "%s", "rate limit exceeded");
		return;
	}
	qm = strchr(uri, '?');
	c->query = qm ? qm + 1 : "";
	if ((st = util_pct_decode(uri, qm ? (size_t)(qm - uri) : strlen(uri),
	                          false, c->path, sizeof(c->path))) != 0) {
		if (st == -ENOSPC)
			fail_now(c, 414, 0, false, "path over %zu bytes",
			         sizeof(c->path) - 1);
		else
			fail_now(c, 400, 0, false, "%s", "malformed path");
		return;
	}

	pthread_mutex_lock(&api->mu);
	for (i = 0; i < api->nroutes; i++) {
		const char *tail;

		if (!route_matches(&api->routes[i], c->path, &tail))
			continue;
		path_found = true;
		if (strcmp(api->routes[i].method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 &&
		     strcmp(api->routes[i].method, "GET") == 0)) {
			c->route = api->routes[i];
			c->tail = tail;
			found = true;
			break;
		}
	}
	if (!found && path_found)
		allowed_methods(api, c->path, c->allow, sizeof(c->allow));
	pthread_mutex_unlock(&api->mu);
	if (!found) {
		if (path_found)
			fail_now(c, 405, 0, false, "method not allowed; use %s",
			         c->allow);
		else
			fail_now(c, 404, 0, false, "no such endpoint: %s",
			         c->path);
		return;
	}
	/* tail points into path, which lives in c */
	if (c->route.prefix)
		c->tail = c->path + strlen(c->route.path);

	if ((st = authorize(c, &why)) != 0) {
		fail_now(c, st, 0, false, "%s", why);
		return;
	}

	if (nng_http_req_get_header(req, "Transfer-Encoding") != NULL) {
		/* we never read chunked bodies; the rest of the connection
		 * would be garbage, so it closes */
		fail_now(c, 411, 0, true, "%s", "Content-Length required");
		return;
	}
	if ((cl = nng_http_req_get_header(req, "Content-Length")) != NULL &&
	    util_parse_u64(cl, 0, UINT64_MAX, &len) != 0) {
		fail_now(c, 400, 0, true, "%s", "bad Content-Length");
		return;
	}
	if (len > api->conf.max_body) {
		char lim[24];

		/* the body is not read: close rather than parse it */
		snprintf(lim, sizeof(lim), "%" PRIu32, api->conf.max_body);
		fail_now(c, 413, 0, true, "request body over %s bytes", lim);
		return;
	}
	if (c->route.stream) {
		open_stream(c);
		return;
	}
	if (len == 0) {
		c->unread_body = false;
		dispatch(c);
		return;
	}
	if ((c->body = malloc((size_t)len + 1)) == NULL ||
	    nng_aio_alloc(&c->body_aio, body_done, c) != 0) {
		fail_now(c, 500, 0, true, "%s", "out of memory");
		return;
	}
	{
		nng_iov iov = {.iov_buf = c->body, .iov_len = (size_t)len};

		c->body_len = (size_t)len;
		nng_aio_set_iov(c->body_aio, 1, &iov);
		nng_aio_set_timeout(c->body_aio, API_BODY_TIMEOUT_MS);
		nng_http_conn_read_all(conn, c->body_aio);
	}
}

static void
api_free_cb(void *arg)
{
	struct api *api = arg;

	pthread_mutex_destroy(&api->mu);
	pthread_cond_destroy(&api->cv);
	sodium_memzero(&api->conf, sizeof(api->conf));
	free(api);
}

struct api *
api_start(const struct api_conf *conf, const struct api_deps *deps, char *err,
          size_t errlen)
{
	struct api *api;
	nng_url *url = NULL;
	nng_sockaddr sa;
	int rc;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return NULL;
	}
	if (deps == NULL || deps->fleet == NULL || deps->store == NULL) {
		snprintf(err, errlen, "api: fleet and store are required");
		return NULL;
	}
	if ((api = calloc(1, sizeof(*api))) == NULL) {
		snprintf(err, errlen, "api: out of memory");
		return NULL;
	}
	api->conf = *conf;
	api->deps = *deps;
	api->started_wall_ms = clock_wall_ms();
	pthread_mutex_init(&api->mu, NULL);
	pthread_cond_init(&api->cv, NULL);
	if ((rc = api_views_register(api)) != 0 ||
	    (deps->groups != NULL && (rc = api_groups_register(api)) != 0) ||
	    (deps->alerts != NULL && (rc = api_alerts_register(api)) != 0)) {
		snprintf(err, errlen, "api: routes: %s", strerror(-rc));
		goto fail;
	}
	if ((rc = nng_url_parse(&url, conf->listen)) != 0) {
		snprintf(err, errlen, "api: listen '%s': %s", conf->listen,
		         nng_strerror(rc));
		goto fail;
	}
	if ((rc = nng_http_server_hold(&api->srv, url)) != 0 ||
	    (rc = nng_http_handler_alloc(&api->handler, "/", handle)) != 0 ||
	    (rc = nng_http_handler_set_method(api->handler, NULL)) != 0 ||
	    (rc = nng_http_handler_set_tree(api->handler)) != 0 ||
	    (rc = nng_http_handler_collect_body(api->handler, false, 0)) != 0) {
		snprintf(err, errlen, "api: %s: %s", conf->listen,
		         nng_strerror(rc));
		goto fail;
	}
	nng_url_free(url);
	url = NULL;
	/* once added, the server owns the handler, and the handler api:
	 * api is freed when the last request callback let go of it */
	if ((rc = nng_http_handler_set_data(api->handler, api, api_free_cb)) !=
	        0 ||
	    (rc = nng_http_server_add_handler(api->srv, api->handler)) != 0) {
		nng_http_handler_set_data(api->handler, NULL, NULL);
		snprintf(err, errlen, "api: %s: %s", conf->listen,
		         nng_strerror(rc));
		goto fail;
	}
	if ((rc = api_sse_start(api)) != 0) {
		snprintf(err, errlen, "api: stream thread: %s", strerror(-rc));
		goto fail_started;
	}
	if ((rc = nng_http_server_start(api->srv)) != 0) {
		snprintf(err, errlen, "api: listen on %s: %s", conf->listen,
		         nng_strerror(rc));
		goto fail_started;
	}
	if (nng_http_server_get_addr(api->srv, &sa) == 0 &&
	    sa.s_family == NNG_AF_INET)
		api->port = ntohs(sa.s_in.sa_port);
	else if (sa.s_family == NNG_AF_INET6)
		api->port = ntohs(sa.s_in6.sa_port);
	return api;

fail_started:
	api_stop(api);
	return NULL;
fail:
	if (url != NULL)
		nng_url_free(url);
	if (api->handler != NULL)
		nng_http_handler_free(api->handler);
	if (api->srv != NULL)
		nng_http_server_release(api->srv);
	api_free_cb(api);
	return NULL;
}

int
api_port(const struct api *api)
{
	return api->port;
}

void
api_stop(struct api *api)
{
	nng_http_server *srv;

	if (api == NULL)
		return;
	pthread_mutex_lock(&api->mu);
	api->stopping = true;
	pthread_cond_broadcast(&api->cv);
	pthread_mutex_unlock(&api->mu);
	api_sse_stop(api);
	srv = api->srv;
	nng_http_server_stop(srv);
	pthread_mutex_lock(&api->mu);
	while (api->inflight > 0)
		pthread_cond_wait(&api->cv, &api->mu);
	pthread_mutex_unlock(&api->mu);
	/* the last release frees the handler, whose destructor frees api */
	nng_http_server_release(srv);
}
