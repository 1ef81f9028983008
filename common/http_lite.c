/*
 * http_lite.c: plain HTTP/1.1 over TCP or a unix socket.  Each thread
 * keeps a few idle keep-alive connections: a probe every second reuses its
 * connection to the node, since on loopback the kernel's work for a new
 * connection (both ends of it, billed to the caller) is most of a probe's
 * cost.  A reused connection that the server closed meanwhile is noticed
 * before the request (readable while idle) or by an answer of nothing at
 * all, and the request is then sent once more on a fresh connection.
 * Non-blocking sockets and poll against one monotonic deadline bound the
 * whole exchange; only name resolution (getaddrinfo) can block past it,
 * and a numeric address never resolves.
 */
#include "common/http_lite.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/http_parse.h"
#include "common/util.h"

#define LITE_DEFAULT_TIMEOUT_MS 5000
#define LITE_RETRY_AFTER_MAX    (24L * 3600)
#define LITE_HEADER_MAX         1024  /* one extra header line */
#define LITE_POOL               4     /* idle connections kept per thread */
#define LITE_IDLE_MAX_MS        30000 /* older idle connections are closed */

/* ---- idle connections, per thread ---- */

struct lite_conn {
	int fd; /* -1: free slot */
	uint64_t used_ms;
	char key[320]; /* "unix:PATH" or "tcp:HOST:PORT" */
};

struct lite_pool {
	struct lite_conn c[LITE_POOL];
};

static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static pthread_key_t pool_key;
static bool pool_key_ok;

static void
pool_free(void *arg)
{
	struct lite_pool *p = arg;

	for (size_t i = 0; p && i < LITE_POOL; i++)
		if (p->c[i].fd >= 0)
			close(p->c[i].fd);
	free(p);
}

static void
pool_init_once(void)
{
	pool_key_ok = pthread_key_create(&pool_key, pool_free) == 0;
}

static struct lite_pool *
pool_get(bool create)
{
	struct lite_pool *p;

	pthread_once(&pool_once, pool_init_once);
	if (!pool_key_ok)
		return NULL;
	if ((p = pthread_getspecific(pool_key)) != NULL || !create)
		return p;
	if ((p = malloc(sizeof(*p))) == NULL)
		return NULL;
	for (size_t i = 0; i < LITE_POOL; i++)
		p->c[i].fd = -1;
	if (pthread_setspecific(pool_key, p) != 0) {
		free(p);
		return NULL;
	}
	return p;
}

/* An idle connection for key that is still usable, or -1. */
static int
pool_take(const char *key, uint64_t now)
{
	struct lite_pool *p = pool_get(false);

	for (size_t i = 0; p && i < LITE_POOL; i++) {
		struct lite_conn *c = &p->c[i];
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		int fd = c->fd;

		if (fd < 0 || strcmp(c->key, key) != 0)
			continue;
		c->fd = -1;
		/* Readable while idle: closed by the server (or junk). */
		if (now - c->used_ms > LITE_IDLE_MAX_MS ||
		    poll(&pfd, 1, 0) != 0) {
			close(fd);
			continue;
		}
		return fd;
	}
	return -1;
}

/* Keep fd for the next request to key; the oldest idle one makes room. */
static void
pool_put(const char *key, int fd, uint64_t now)
{
	struct lite_pool *p = pool_get(true);
	struct lite_conn *slot = NULL;

	for (size_t i = 0; p && i < LITE_POOL; i++)
		if (slot == NULL || p->c[i].fd < 0 ||
		    (slot->fd >= 0 && p->c[i].used_ms < slot->used_ms))
			slot = &p->c[i];
	if (slot == NULL) {
		close(fd);
		return;
	}
	if (slot->fd >= 0)
		close(slot->fd);
	slot->fd = fd;
	slot->used_ms = now;
	util_strlcpy(slot->key, key, sizeof(slot->key));
}

void
http_lite_thread_cleanup(void)
{
	struct lite_pool *p = pool_get(false);

	if (p == NULL)
		return;
	pthread_setspecific(pool_key, NULL);
	pool_free(p);
}

/* ---- URL ---- */

/* Percent-decode a URL's user or password: strict, and no CR or LF. */
static int
pct_decode(const char *s, size_t n, char *out, size_t outlen)
{
	if (util_pct_decode(s, n, false, out, outlen) != 0 ||
	    strpbrk(out, "\r\n") != NULL)
		return -EINVAL;
	return 0;
}

int
http_lite_parse_url(const char *url, struct http_lite_url *u)
{
	const char *a, *ae, *at, *h, *he, *port = NULL, *p, *c;
	size_t hl, pl = 0, i;
	bool v6;

	memset(u, 0, sizeof(*u));
	for (p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return -EINVAL;
	if (strncasecmp(url, "http://", 7) == 0)
		a = url + 7;
	else if (strstr(url, "://") != NULL)
		return -EPROTONOSUPPORT;
	else
		a = url; /* no scheme: http, as curl guesses */
	ae = a + strcspn(a, "/?#");
	at = NULL;
	for (p = a; p < ae; p++)
		if (*p == '@')
			at = p;
	h = a;
	if (at != NULL) {
		c = memchr(a, ':', (size_t)(at - a));
		if (pct_decode(a, (size_t)((c ? c : at) - a), u->user,
		               sizeof(u->user)) != 0 ||
		    (c && pct_decode(c + 1, (size_t)(at - c - 1), u->password,
		                     sizeof(u->password)) != 0))
			return -EINVAL;
		u->has_user = true;
		h = at + 1;
	}
	if (*h == '[') {
		if ((he = memchr(h, ']', (size_t)(ae - h))) == NULL)
			return -EINVAL;
		h++;
		if (he + 1 < ae) {
			if (he[1] != ':')
				return -EINVAL;
			port = he + 2;
		}
		for (p = h; p < he; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':' &&
			    *p != '.')
				return -EINVAL;
	} else {
		he = memchr(h, ':', (size_t)(ae - h));
		if (he != NULL)
			port = he + 1;
		else
			he = ae;
	}
	hl = (size_t)(he - h);
	if (hl == 0 || hl >= sizeof(u->host))
		return -EINVAL;
	memcpy(u->host, h, hl);
	u->host[hl] = '\0';
	if (port != NULL) {
		unsigned long v = 0;

		pl = (size_t)(ae - port);
		for (i = 0; i < pl; i++) {
			if (port[i] < '0' || port[i] > '9' || i >= 5)
				return -EINVAL;
			v = v * 10 + (unsigned long)(port[i] - '0');
		}
		if (pl > 0 && (v == 0 || v > 65535))
			return -EINVAL;
		if (pl > 0)
			snprintf(u->port, sizeof(u->port), "%lu", v);
	}
	if (u->port[0] == '\0')
		snprintf(u->port, sizeof(u->port), "80");
	v6 = memchr(u->host, ':', hl) != NULL;
	snprintf(u->hostport, sizeof(u->hostport), "%s%s%s%s%s", v6 ? "[" : "",
	         u->host, v6 ? "]" : "", strcmp(u->port, "80") ? ":" : "",
	         strcmp(u->port, "80") ? u->port : "");
	u->path = ae;
	u->path_len = strcspn(ae, "#");
	return 0;
}

/* ---- request ---- */

struct sbuf {
	char *p;
	size_t len, cap;
	bool bad; /* out of memory */
};

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->bad)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 512;
		char *np;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->bad = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void
sb_free(struct sbuf *b)
{
	if (b->p != NULL)
		explicit_bzero(b->p, b->cap); /* it may carry credentials */
	free(b->p);
	b->p = NULL;
}

static void
base64(struct sbuf *b, const unsigned char *s, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                          "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];
	size_t i;

	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		q[0] = tab[v >> 18 & 63];
		q[1] = tab[v >> 12 & 63];
		q[2] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? tab[v & 63] : '=';
		sb_add(b, q, 4);
	}
}

/* Does the caller's header list set this header (so ours is left out)? */
static bool
caller_sets(const char *const *hdrs, const char *name)
{
	size_t n = strlen(name), i;

	for (i = 0; hdrs && hdrs[i]; i++)
		if (strncasecmp(hdrs[i], name, n) == 0 &&
		    (hdrs[i][n] == ':' || hdrs[i][n] == ';'))
			return true;
	return false;
}

static bool
has_crlf(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") != NULL;
}

/* The request head and body in one buffer: one write, one segment. */
static int
build_request(const struct http_req *req, const struct http_lite_url *u,
              struct sbuf *b)
{
	const char *method = req->method ? req->method : "GET";
	const char *const *hx = req->headers;
	char num[32];
	size_t i;
	bool body = req->body != NULL || strcmp(method, "POST") == 0;

	if (method[0] == '\0' || strpbrk(method, " \r\n") != NULL ||
	    has_crlf(req->bearer) || has_crlf(req->content_type))
		return -EINVAL;
	for (i = 0; hx && hx[i]; i++)
		if (has_crlf(hx[i]) || strlen(hx[i]) > LITE_HEADER_MAX)
			return -EINVAL;
	sb_str(b, method);
	sb_str(b, " ");
	if (u->path_len == 0 || u->path[0] != '/')
		sb_str(b, "/");
	sb_add(b, u->path, u->path_len);
	sb_str(b, " HTTP/1.1\r\n");
	if (!caller_sets(hx, "Host")) {
		sb_str(b, "Host: ");
		sb_str(b, u->hostport);
		sb_str(b, "\r\n");
	}
	if (!caller_sets(hx, "User-Agent"))
		sb_str(b, "User-Agent: sextant\r\n");
	if (!caller_sets(hx, "Accept"))
		sb_str(b, "Accept: */*\r\n");
	if ((req->user || u->has_user) && !caller_sets(hx, "Authorization")) {
		struct sbuf cred = {0};

		sb_str(&cred, req->user ? req->user : u->user);
		sb_str(&cred, ":");
		sb_str(&cred, req->user ? (req->password ? req->password : "")
		                        : u->password);
		if (cred.bad) {
			sb_free(&cred);
			return -ENOMEM;
		}
		sb_str(b, "Authorization: Basic ");
		base64(b, (const unsigned char *)cred.p, cred.len);
		sb_str(b, "\r\n");
		sb_free(&cred);
	} else if (req->bearer && !caller_sets(hx, "Authorization")) {
		sb_str(b, "Authorization: Bearer ");
		sb_str(b, req->bearer);
		sb_str(b, "\r\n");
	}
	if (body) {
		if (!caller_sets(hx, "Content-Type")) {
			sb_str(b, "Content-Type: ");
			sb_str(b, req->content_type ? req->content_type
			                            : "application/json");
			sb_str(b, "\r\n");
		}
		snprintf(num, sizeof(num), "%zu",
		         req->body ? req->body_len : (size_t)0);
		sb_str(b, "Content-Length: ");
		sb_str(b, num);
		sb_str(b, "\r\n");
	}
	/* curl's conventions: "Name:" drops a header, "Name;" sends it
	 * empty. */
	for (i = 0; hx && hx[i]; i++) {
		const char *c = strpbrk(hx[i], ":;");

		if (c == NULL || c == hx[i])
			return -EINVAL;
		if (*c == ':' && c[1 + strspn(c + 1, " \t")] == '\0')
			continue;
		if (*c == ';' && c[1] == '\0') {
			sb_add(b, hx[i], (size_t)(c - hx[i]));
			sb_str(b, ":\r\n");
			continue;
		}
		sb_str(b, hx[i]);
		sb_str(b, "\r\n");
	}
	sb_str(b, "\r\n");
	if (body && req->body)
		sb_add(b, req->body, req->body_len);
	return b->bad ? -ENOMEM : 0;
}

/* ---- socket ---- */

/* Wait for events on fd until the deadline: 0, -ETIMEDOUT or -errno. */
static int
wait_fd(int fd, short events, uint64_t deadline)
{
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = events};
		uint64_t now = clock_mono_ms();
		int r;

		if (now >= deadline)
			return -ETIMEDOUT;
		r = poll(&pfd, 1,
		         deadline - now > 60000 ? 60000
		                                : (int)(deadline - now));
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* Non-blocking connect bounded by the deadline: 0 or -errno. */
static int
connect_fd(int fd, const struct sockaddr *sa, socklen_t salen,
           uint64_t deadline)
{
	int e = 0, r;
	socklen_t el = sizeof(e);

	/* EAGAIN: a unix socket's listen queue is full and nothing is in
	 * progress to poll for; a blocking connect would wait for room, so
	 * try again until the deadline.  (On TCP it means no local port.) */
	for (;;) {
		uint64_t now;

		if (connect(fd, sa, salen) == 0)
			return 0;
		if (errno != EAGAIN || sa->sa_family != AF_UNIX)
			break;
		if ((now = clock_mono_ms()) >= deadline)
			return -ETIMEDOUT;
		poll(NULL, 0, deadline - now > 10 ? 10 : (int)(deadline - now));
	}
	if (errno != EINPROGRESS && errno != EINTR)
		return -errno;
	if ((r = wait_fd(fd, POLLOUT, deadline)) != 0)
		return r;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0)
		return -errno;
	return e ? -e : 0;
}

static int
open_unix(const char *path, uint64_t deadline, int *fdp)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if ((r = connect_fd(fd, (struct sockaddr *)&sa, sizeof(sa),
	                    deadline)) != 0) {
		close(fd);
		return r;
	}
	*fdp = fd;
	return 0;
}

/* Each address in turn until one connects: 0, -EHOSTUNREACH (no name),
 * or the last connect error. */
static int
open_tcp(const struct http_lite_url *u, uint64_t deadline, int *fdp)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL, *ai;
	int r = -ECONNREFUSED, one = 1;

	hints.ai_flags |= AI_NUMERICHOST;
	if (getaddrinfo(u->host, u->port, &hints, &res) != 0) {
		hints.ai_flags &= ~AI_NUMERICHOST;
		hints.ai_flags |= AI_ADDRCONFIG;
		if (getaddrinfo(u->host, u->port, &hints, &res) != 0)
			return -EHOSTUNREACH;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		int fd = socket(ai->ai_family,
		                SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			r = -errno;
			continue;
		}
		if ((r = connect_fd(fd, ai->ai_addr, ai->ai_addrlen,
		                    deadline)) == 0) {
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			                 sizeof(one));
			*fdp = fd;
			break;
		}
		close(fd);
		if (r == -ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	return r;
}

static int
send_all(int fd, const char *p, size_t n, uint64_t deadline)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		if ((w = wait_fd(fd, POLLOUT, deadline)) != 0)
			return (int)w;
	}
	return 0;
}

/* Read and parse until the response is complete: 1, or -errno.  *reuse:
 * the connection is left clean for another request. */
static int
recv_response(int fd, struct http_parse *ps, uint64_t deadline, bool *reuse)
{
	char buf[8192];
	size_t used;

	*reuse = false;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		int r;

		if (n > 0) {
			r = http_parse_feed(ps, buf, (size_t)n, &used);
			if (r == 1)
				*reuse = ps->keep_open && used == (size_t)n;
			if (r != 0)
				return r;
			continue;
		}
		if (n == 0)
			return http_parse_eof(ps);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		if ((r = wait_fd(fd, POLLIN, deadline)) != 0)
			return r;
	}
}

static int
conn_error(int r, const struct http_req *req, uint32_t tmo, char *err,
           size_t errlen)
{
	switch (r) {
	case -ETIMEDOUT:
		snprintf(err, errlen, "timeout after %u ms", tmo);
		return r;
	case -ECONNREFUSED:
		snprintf(err, errlen, "connection refused");
		return r;
	case -EHOSTUNREACH:
		snprintf(err, errlen, "cannot resolve host");
		return r;
	case -ENAMETOOLONG:
		snprintf(err, errlen, "unix socket path too long: '%s'",
		         req->unix_socket);
		return -EINVAL;
	default:
		snprintf(err, errlen, "cannot connect: %s", strerror(-r));
		return r;
	}
}

static int
resp_error(int r, size_t max, uint32_t tmo, char *err, size_t errlen)
{
	switch (r) {
	case -ETIMEDOUT:
		snprintf(err, errlen, "timeout after %u ms", tmo);
		return r;
	case -EMSGSIZE:
		snprintf(err, errlen, "body over %zu bytes", max);
		return r;
	case -E2BIG:
		snprintf(err, errlen, "response head over %d bytes",
		         HTTP_PARSE_HEAD_MAX);
		return -EIO;
	case -EBADMSG:
		snprintf(err, errlen, "malformed or truncated response");
		return -EIO;
	case -ECONNRESET:
		snprintf(err, errlen, "empty reply from server");
		return r;
	case -ENOMEM:
		snprintf(err, errlen, "out of memory");
		return r;
	default:
		snprintf(err, errlen, "connection reset: %s", strerror(-r));
		return -ECONNRESET;
	}
}

int
http_lite_do(const struct http_req *req, struct http_resp *resp, char *err,
             size_t errlen)
{
	struct http_lite_url u;
	struct http_parse ps;
	struct sbuf rq = {0};
	uint32_t tmo =
	    req->timeout_ms ? req->timeout_ms : LITE_DEFAULT_TIMEOUT_MS;
	uint64_t deadline = clock_mono_ms() + tmo;
	const char *method = req->method ? req->method : "GET";
	char key[320];
	int fd = -1, r, sr, attempt;
	bool reuse = false;

	if ((r = http_lite_parse_url(req->url, &u)) != 0) {
		if (r == -EINVAL)
			snprintf(err, errlen, "malformed URL");
		return r;
	}
	if ((r = build_request(req, &u, &rq)) != 0) {
		snprintf(err, errlen,
		         r == -ENOMEM ? "out of memory"
		                      : "bad request options");
		sb_free(&rq);
		return r;
	}
	explicit_bzero(u.password, sizeof(u.password));
	if ((size_t)snprintf(key, sizeof(key), "%s:%s%s%s",
	                     req->unix_socket ? "unix" : "tcp",
	                     req->unix_socket ? req->unix_socket : u.host,
	                     req->unix_socket ? "" : ":",
	                     req->unix_socket ? "" : u.port) >= sizeof(key))
		key[0] = '\0'; /* too long to keep: never pooled */
	http_parse_init(&ps, req->max_body, strcmp(method, "HEAD") == 0);
	for (attempt = 0;; attempt++) {
		bool reused = false;

		if (attempt == 0 && key[0] != '\0' &&
		    (fd = pool_take(key, clock_mono_ms())) >= 0)
			reused = true;
		else if ((r = req->unix_socket
		                  ? open_unix(req->unix_socket, deadline, &fd)
		                  : open_tcp(&u, deadline, &fd)) != 0) {
			sb_free(&rq);
			http_parse_free(&ps);
			return conn_error(r, req, tmo, err, errlen);
		}
		sr = send_all(fd, rq.p, rq.len, deadline);
		/* A server may answer (413, say) and close before reading it
		 * all: its answer counts more than our failed send. */
		r = sr == -ETIMEDOUT ? sr
		                     : recv_response(fd, &ps, deadline, &reuse);
		/* Nothing at all on a reused connection: the server closed
		 * it as we sent.  Once more on a new one. */
		if (reused && ps.seen == 0 && r != -ETIMEDOUT && r != 1) {
			close(fd);
			fd = -1;
			continue;
		}
		break;
	}
	sb_free(&rq);
	if (r == 1 && reuse && key[0] != '\0')
		pool_put(key, fd, clock_mono_ms());
	else
		close(fd);
	if (r != 1) {
		if (sr != 0 && sr != -ETIMEDOUT && r == -ECONNRESET)
			r = sr;
		r = resp_error(r, ps.max, tmo, err, errlen);
		http_parse_free(&ps);
		return r;
	}
	resp->status = ps.status;
	resp->retry_after_s =
	    ps.retry_after[0]
	        ? http_parse_retry_after(ps.retry_after, strlen(ps.retry_after),
	                                 time(NULL), LITE_RETRY_AFTER_MAX)
	        : -1;
	if ((resp->body = http_parse_take(&ps, &resp->len)) == NULL) {
		http_parse_free(&ps);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	http_parse_free(&ps);
	return 0;
}
