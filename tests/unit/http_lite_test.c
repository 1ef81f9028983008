/*
 * http_lite_test.c: the built-in HTTP/1.1 client.  The response parser
 * alone (every framing, fed whole and a byte at a time, and malformed,
 * truncated, oversized input), URL splitting, the request on the wire, and
 * hostile servers on 127.0.0.1 that truncate, overflow, never answer or
 * dribble a byte at a time: each must end in an error within the request's
 * bound, never a hang.  And https: libcurl loaded on demand, or a clear
 * error naming the URL when it cannot be.
 */
#include "common/http.h"
#include "common/http_lite.h"
#include "common/http_parse.h"
#include "common/util.h"

#include "tests/test.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the parser alone ---- */

/* Feed s whole (step 0) or in pieces of step bytes, then EOF if asked. */
static int
parse(const char *s, size_t n, size_t step, size_t max, bool no_body, bool eof,
      struct http_parse *p)
{
	size_t off = 0, used;
	int rc = 0;

	http_parse_init(p, max, no_body);
	while (off < n && rc == 0) {
		size_t k = step && n - off > step ? step : n - off;

		rc = http_parse_feed(p, s + off, k, &used);
		off += used;
	}
	if (rc == 0 && eof)
		rc = http_parse_eof(p);
	return rc;
}

static void
test_parse_framings(void)
{
	static const struct {
		const char *in;
		bool no_body, eof;
		int rc;
		long status;
		const char *body;
	} t[] = {
	    {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 0, 0, 1, 200,
	     "hello"},
	    {"HTTP/1.0 200 OK\nContent-Length: 2\n\nhi", 0, 0, 1, 200, "hi"},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	     "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n",
	     0, 0, 1, 200, "hello world"},
	    {"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, Chunked\r\n\r\n"
	     "A\r\n0123456789\r\n0\r\n\r\n",
	     0, 0, 1, 200, "0123456789"},
	    {"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close", 0, 1, 1,
	     200, "until close"},
	    {"HTTP/1.1 204 No Content\r\n\r\n", 0, 0, 1, 204, ""},
	    {"HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", 0, 0, 1,
	     304, ""},
	    {"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", 1, 0, 1, 200, ""},
	    {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 500 Oops\r\n"
	     "Content-Length: 3\r\n\r\nbad",
	     0, 0, 1, 500, "bad"},
	    {"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 0, 0, 1,
	     404, ""},
	    {"HTTP/1.1 401\r\nContent-Length: 0\r\n\r\n", 0, 0, 1, 401, ""},
	    /* malformed */
	    {"HTTP/2 200\r\n\r\n", 0, 0, -EBADMSG, 0, NULL},
	    {"SSH-2.0-OpenSSH\r\n\r\n", 0, 0, -EBADMSG, 0, NULL},
	    {"HTTP/1.1 2000 OK\r\n\r\n", 0, 0, -EBADMSG, 0, NULL},
	    {"HTTP/1.1 099 Low\r\n\r\n", 0, 0, -EBADMSG, 0, NULL},
	    {"HTTP/1.1 101 Switching\r\n\r\n", 0, 0, -EBADMSG, 0, NULL},
	    {"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", 0, 0, -EBADMSG, 0,
	     NULL},
	    {"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", 0, 0, -EBADMSG, 0,
	     NULL},
	    {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, 0, -EBADMSG, 0,
	     NULL},
	    {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n"
	     "\r\n",
	     0, 0, -EBADMSG, 0, NULL},
	    {"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
	     0, 0, -EBADMSG, 0, NULL},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0,
	     0, -EBADMSG, 0, NULL},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", 0, 0,
	     -EBADMSG, 0, NULL},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	     "FFFFFFFFFFFFFFFFFFFF\r\n",
	     0, 0, -EBADMSG, 0, NULL},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	     "3\r\nabcX\r\n",
	     0, 0, -EBADMSG, 0, NULL},
	    /* over the body bound (64 here) */
	    {"HTTP/1.1 200 OK\r\nContent-Length: 65\r\n\r\n", 0, 0, -EMSGSIZE,
	     0, NULL},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	     "FFFFFFFFFFFFFFF\r\n",
	     0, 0, -EMSGSIZE, 0, NULL},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	     "20\r\n0123456789abcdef0123456789abcdef\r\n"
	     "21\r\n",
	     0, 0, -EMSGSIZE, 0, NULL},
	    /* truncated */
	    {"", 0, 1, -ECONNRESET, 0, NULL},
	    {"HTTP/1.1 200 OK\r\nContent-Le", 0, 1, -EBADMSG, 0, NULL},
	    {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", 0, 1,
	     -EBADMSG, 0, NULL},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", 0,
	     1, -EBADMSG, 0, NULL},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n", 0, 1,
	     -EBADMSG, 0, NULL},
	};
	size_t i, step;

	for (i = 0; i < UTIL_NELEM(t); i++) {
		for (step = 0; step <= 1; step++) {
			struct http_parse p;
			int rc = parse(t[i].in, strlen(t[i].in), step, 64,
			               t[i].no_body, t[i].eof, &p);

			CHECKF(rc == t[i].rc, "row %zu step %zu: rc %d", i,
			       step, rc);
			if (rc == 1) {
				size_t len;
				char *b = http_parse_take(&p, &len);

				CHECKF(p.status == t[i].status,
				       "row %zu: status %ld", i, p.status);
				CHECKF(b && strcmp(b, t[i].body) == 0 &&
				           len == strlen(t[i].body),
				       "row %zu: body '%s'", i, b ? b : "");
				free(b);
			}
			http_parse_free(&p);
		}
	}
}

static void
test_parse_bounds(void)
{
	struct http_parse p;
	size_t n = HTTP_PARSE_HEAD_MAX + 100, used;
	char *big = malloc(n + 1);
	int rc;

	/* A head that never ends: refused at the bound, not buffered. */
	memcpy(big, "HTTP/1.1 200 OK\r\n", 17);
	memset(big + 17, 'a', n - 17);
	big[n] = '\0';
	CHECK_EQ_INT(parse(big, n, 0, 0, false, false, &p), -E2BIG);
	CHECK(p.hcap <= HTTP_PARSE_HEAD_MAX);
	http_parse_free(&p);

	/* Trailers are bounded too. */
	http_parse_init(&p, 0, false);
	rc = http_parse_feed(&p,
	                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
	                     "\r\n\r\n0\r\n",
	                     50, &used);
	CHECK_EQ_INT(rc, 0);
	rc = http_parse_feed(&p, big, n, &used);
	CHECK_EQ_INT(rc, -E2BIG);
	http_parse_free(&p);

	/* A binary body (docker's multiplexed logs) keeps its NULs. */
	http_parse_init(&p, 0, false);
	rc = http_parse_feed(&p,
	                     "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"
	                     "\1\0\0\0\0\0\0\1x",
	                     47, &used);
	CHECK_EQ_INT(rc, 1);
	CHECK(p.len == 9 && p.body[0] == 1 && p.body[8] == 'x');
	http_parse_free(&p);

	/* Bytes after the response are not taken. */
	http_parse_init(&p, 0, false);
	rc = http_parse_feed(
	    &p, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nAB", 40, &used);
	CHECK_EQ_INT(rc, 1);
	CHECK_EQ_INT(used, 39);
	http_parse_free(&p);
	free(big);
}

static void
test_retry_after_forms(void)
{
	time_t now = 1445412480; /* Wed, 21 Oct 2015 07:28:00 GMT */

	CHECK_EQ_INT(http_parse_retry_after(" 7 ", 3, now, 86400), 7);
	CHECK_EQ_INT(http_parse_retry_after("99999999999", 11, now, 86400),
	             86400);
	CHECK_EQ_INT(http_parse_retry_after("Wed, 21 Oct 2015 07:30:00 GMT", 29,
	                                    now, 86400),
	             120);
	CHECK_EQ_INT(http_parse_retry_after("Wednesday, 21-Oct-15 07:29:00 GMT",
	                                    33, now, 86400),
	             60);
	CHECK_EQ_INT(
	    http_parse_retry_after("Wed Oct 21 07:28:30 2015", 24, now, 86400),
	    30);
	CHECK_EQ_INT(http_parse_retry_after("Tue, 20 Oct 2015 07:28:00 GMT", 29,
	                                    now, 86400),
	             0);
	CHECK_EQ_INT(http_parse_retry_after("soon", 4, now, 86400), -1);
	CHECK_EQ_INT(http_parse_retry_after("", 0, now, 86400), -1);
	CHECK_EQ_INT(http_parse_retry_after("7s", 2, now, 86400), -1);
}

static void
test_url(void)
{
	struct http_lite_url u;

	CHECK_EQ_INT(
	    http_lite_parse_url("http://127.0.0.1:26657/status?x=1#f", &u), 0);
	CHECK_EQ_STR(u.host, "127.0.0.1");
	CHECK_EQ_STR(u.port, "26657");
	CHECK_EQ_STR(u.hostport, "127.0.0.1:26657");
	CHECKF(u.path_len == 11 && strncmp(u.path, "/status?x=1", 11) == 0,
	       "path %.*s", (int)u.path_len, u.path);

	CHECK_EQ_INT(http_lite_parse_url("HTTP://node", &u), 0);
	CHECK_EQ_STR(u.port, "80");
	CHECK_EQ_STR(u.hostport, "node");
	CHECK(u.path_len == 0);

	CHECK_EQ_INT(http_lite_parse_url("http://[::1]:8545", &u), 0);
	CHECK_EQ_STR(u.host, "::1");
	CHECK_EQ_STR(u.hostport, "[::1]:8545");

	CHECK_EQ_INT(http_lite_parse_url("http://us%3Ar:p%40ss@h:1/", &u), 0);
	CHECK(u.has_user);
	CHECK_EQ_STR(u.user, "us:r");
	CHECK_EQ_STR(u.password, "p@ss");
	CHECK_EQ_STR(u.host, "h");

	CHECK_EQ_INT(http_lite_parse_url("localhost:8080/x", &u), 0);
	CHECK_EQ_STR(u.port, "8080");

	CHECK_EQ_INT(http_lite_parse_url("https://h/", &u), -EPROTONOSUPPORT);
	CHECK_EQ_INT(http_lite_parse_url("ftp://h/", &u), -EPROTONOSUPPORT);
	CHECK_EQ_INT(http_lite_parse_url("http://h:0/", &u), -EINVAL);
	CHECK_EQ_INT(http_lite_parse_url("http://h:65536/", &u), -EINVAL);
	CHECK_EQ_INT(http_lite_parse_url("http://h:123456/", &u), -EINVAL);
	CHECK_EQ_INT(http_lite_parse_url("http://h:8x/", &u), -EINVAL);
	CHECK_EQ_INT(http_lite_parse_url("http:///path", &u), -EINVAL);
	CHECK_EQ_INT(http_lite_parse_url("http://[::1/", &u), -EINVAL);
	CHECK_EQ_INT(http_lite_parse_url("http://h/a b", &u), -EINVAL);
	CHECK_EQ_INT(http_lite_parse_url("http://h/\r\nX: y", &u), -EINVAL);
}

/* ---- scripted servers on 127.0.0.1 ---- */

/* What the server does after reading the request. */
struct script {
	const char *parts[8]; /* sent in turn, with pause_ms between */
	size_t lens[8];       /* 0: strlen */
	int pause_ms;
	bool hang;         /* then wait (for the client to go) */
	int dribble_ms;    /* >0: then a byte every dribble_ms, forever */
	size_t head_bytes; /* >0: then this many bytes of headers */
	bool no_read;      /* do not even read the request */
};

struct server {
	int lfd, port;
	char sock[108];
	const struct script *sc;
	char req[8192]; /* the request as received */
	size_t reqlen;
	pthread_t t;
};

static void
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* Until the client closes or 5 s pass. */
static void
wait_client_gone(int fd)
{
	uint64_t end = clock_mono_ms() + 5000;
	char c[256];

	while (clock_mono_ms() < end) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		if (poll(&p, 1, 50) > 0 && recv(fd, c, sizeof(c), 0) <= 0)
			return;
	}
}

static void *
server_thread(void *arg)
{
	struct server *s = arg;
	const struct script *sc = s->sc;
	int fd = accept(s->lfd, NULL, NULL);
	size_t i;

	if (fd < 0)
		return NULL;
	while (!sc->no_read && s->reqlen < sizeof(s->req) - 1) {
		char *e;
		ssize_t n = recv(fd, s->req + s->reqlen,
		                 sizeof(s->req) - 1 - s->reqlen, 0);

		if (n <= 0)
			break;
		s->reqlen += (size_t)n;
		s->req[s->reqlen] = '\0';
		if ((e = strstr(s->req, "\r\n\r\n")) != NULL) {
			const char *cl = strstr(s->req, "Content-Length: ");
			size_t want = cl ? (size_t)atoi(cl + 16) : 0;

			if (s->reqlen - (size_t)(e + 4 - s->req) >= want)
				break;
		}
	}
	for (i = 0; i < 8 && sc->parts[i]; i++) {
		if (i > 0 && sc->pause_ms)
			poll(NULL, 0, sc->pause_ms);
		send_all(fd, sc->parts[i],
		         sc->lens[i] ? sc->lens[i] : strlen(sc->parts[i]));
	}
	if (sc->head_bytes) {
		char line[1024];
		size_t sent = 0;

		memset(line, 'h', sizeof(line));
		memcpy(line, "X-Pad: ", 7);
		line[sizeof(line) - 2] = '\r';
		line[sizeof(line) - 1] = '\n';
		while (sent < sc->head_bytes) {
			if (send(fd, line, sizeof(line), MSG_NOSIGNAL) <= 0)
				break;
			sent += sizeof(line);
		}
	}
	if (sc->dribble_ms) {
		uint64_t end = clock_mono_ms() + 5000;

		while (clock_mono_ms() < end &&
		       send(fd, "a", 1, MSG_NOSIGNAL) == 1)
			poll(NULL, 0, sc->dribble_ms);
	}
	if (sc->hang || sc->no_read)
		wait_client_gone(fd);
	close(fd);
	return NULL;
}

/* Listen on 127.0.0.1 (or a unix socket) and serve one connection. */
static int
server_start(struct server *s, const struct script *sc, bool unix_sock)
{
	memset(s, 0, sizeof(*s));
	s->sc = sc;
	if (unix_sock) {
		struct sockaddr_un sun = {.sun_family = AF_UNIX};

		snprintf(s->sock, sizeof(s->sock), "/tmp/sxt-lite-%d.sock",
		         (int)getpid());
		unlink(s->sock);
		util_strlcpy(sun.sun_path, s->sock, sizeof(sun.sun_path));
		if ((s->lfd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
		    bind(s->lfd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
			return -1;
	} else {
		struct sockaddr_in sin = {.sin_family = AF_INET};
		socklen_t sl = sizeof(sin);

		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if ((s->lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
		    bind(s->lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
		    getsockname(s->lfd, (struct sockaddr *)&sin, &sl) != 0)
			return -1;
		s->port = ntohs(sin.sin_port);
	}
	if (listen(s->lfd, 4) != 0 ||
	    pthread_create(&s->t, NULL, server_thread, s) != 0)
		return -1;
	return 0;
}

static void
server_join(struct server *s)
{
	pthread_join(s->t, NULL);
	close(s->lfd);
	if (s->sock[0])
		unlink(s->sock);
}

struct outcome {
	int rc;
	long status;
	char body[256];
	size_t len;
	char err[256];
	uint64_t ms;
};

static void
run(const struct script *sc, const char *path, struct http_req *req,
    struct server *s, struct outcome *o)
{
	struct http_req def = {.timeout_ms = 2000};
	struct http_resp resp;
	char url[128];
	uint64_t t0;

	memset(o, 0, sizeof(*o));
	if (req == NULL)
		req = &def;
	if (server_start(s, sc, req->unix_socket != NULL) != 0) {
		o->rc = 1000;
		return;
	}
	if (req->unix_socket)
		req->unix_socket = s->sock;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s->port, path);
	if (req->url == NULL)
		req->url = url;
	t0 = clock_mono_ms();
	o->rc = http_do(req, &resp, o->err, sizeof(o->err));
	o->ms = clock_mono_ms() - t0;
	o->status = resp.status;
	if (resp.body) {
		o->len = resp.len;
		memcpy(o->body, resp.body,
		       resp.len < sizeof(o->body) - 1 ? resp.len + 1
		                                      : sizeof(o->body) - 1);
	}
	http_resp_free(&resp);
	server_join(s);
}

static void
test_served_framings(void)
{
	static const struct script len = {
	    .parts = {"HTTP/1.1 200 OK\r\nContent-", "Length: 11\r\n\r\nhello",
	              " world"},
	    .pause_ms = 20};
	static const struct script chunked = {
	    .parts = {"HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	              "chunked\r\n\r\n3\r\nabc",
	              "\r\n4\r\ndefg\r", "\n0\r\n\r\n"},
	    .pause_ms = 20};
	static const struct script to_close = {
	    .parts = {"HTTP/1.0 500 Internal Server Error\r\n\r\nfirst ",
	              "second"},
	    .pause_ms = 20};
	static const struct script s404 = {
	    .parts = {
	        "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope"}};
	struct server s;
	struct outcome o;

	run(&len, "/", NULL, &s, &o);
	CHECKF(o.rc == 0, "rc %d %s", o.rc, o.err);
	CHECK(o.status == 200 && strcmp(o.body, "hello world") == 0);
	run(&chunked, "/", NULL, &s, &o);
	CHECKF(o.rc == 0, "rc %d %s", o.rc, o.err);
	CHECK(o.status == 200 && strcmp(o.body, "abcdefg") == 0);
	run(&to_close, "/", NULL, &s, &o);
	CHECKF(o.rc == 0, "rc %d %s", o.rc, o.err);
	CHECK(o.status == 500 && strcmp(o.body, "first second") == 0);
	run(&s404, "/", NULL, &s, &o);
	CHECK(o.rc == 0 && o.status == 404 && strcmp(o.body, "nope") == 0);
}

static void
test_request_on_wire(void)
{
	static const struct script ok = {
	    .parts = {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"}};
	static const char *hdrs[] = {"X-Extra: 1", "Expect:", "X-Empty;", NULL};
	struct http_req req = {.method = "POST",
	                       .body = "{\"id\":1}xx",
	                       .body_len = 8,
	                       .user = "__cookie__",
	                       .password = "abc",
	                       .headers = hdrs,
	                       .timeout_ms = 2000};
	struct server s;
	struct outcome o;

	run(&ok, "/rpc?q=1", &req, &s, &o);
	CHECKF(o.rc == 0, "rc %d %s", o.rc, o.err);
	CHECKF(strncmp(s.req, "POST /rpc?q=1 HTTP/1.1\r\n", 24) == 0, "%s",
	       s.req);
	CHECK(strstr(s.req, "\r\nHost: 127.0.0.1:") != NULL);
	CHECK(strstr(s.req, "\r\nAuthorization: Basic "
	                    "X19jb29raWVfXzphYmM=\r\n") != NULL);
	CHECK(strstr(s.req, "\r\nContent-Type: application/json\r\n") != NULL);
	CHECK(strstr(s.req, "\r\nContent-Length: 8\r\n") != NULL);
	CHECK(strstr(s.req, "\r\nX-Extra: 1\r\n") != NULL);
	CHECK(strstr(s.req, "\r\nX-Empty:\r\n") != NULL);
	CHECK(strstr(s.req, "Expect") == NULL);
	CHECK(strstr(s.req, "\r\n\r\n{\"id\":1}") != NULL &&
	      strstr(s.req, "xx") == NULL);

	/* Credentials in the URL, and a Host of the caller's choosing. */
	static const char *host[] = {"Host: node.example", NULL};
	char url[128];
	struct http_req r2 = {.url = url, .headers = host, .timeout_ms = 2000};

	memset(&s, 0, sizeof(s));
	if (server_start(&s, &ok, false) == 0) {
		struct http_resp resp;
		char err[128];

		snprintf(url, sizeof(url), "http://u:p@127.0.0.1:%d", s.port);
		CHECK_EQ_INT(http_do(&r2, &resp, err, sizeof(err)), 0);
		http_resp_free(&resp);
		server_join(&s);
		CHECKF(strncmp(s.req, "GET / HTTP/1.1\r\n", 16) == 0, "%s",
		       s.req);
		CHECK(strstr(s.req, "\r\nAuthorization: Basic dTpw\r\n"));
		CHECK(strstr(s.req, "\r\nHost: node.example\r\n"));
		CHECK(strstr(s.req, "Host: 127") == NULL);
	}

	/* Header injection is refused before anything is sent. */
	static const char *evil[] = {"X-A: 1\r\nX-B: 2", NULL};
	struct http_resp resp;
	char err[128];
	struct http_req r3 = {.url = "http://127.0.0.1:9/", .headers = evil};

	CHECK_EQ_INT(http_do(&r3, &resp, err, sizeof(err)), -EINVAL);
	r3.headers = NULL;
	r3.bearer = "tok\r\nX-B: 2";
	CHECK_EQ_INT(http_do(&r3, &resp, err, sizeof(err)), -EINVAL);
}

static void
test_unix_chunked(void)
{
	/* The Engine API's shape: chunked JSON over the socket, and a
	 * multiplexed log body with NULs in it. */
	static const struct script events = {
	    .parts = {"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\n"
	              "Transfer-Encoding: chunked\r\n\r\n",
	              "c\r\n{\"a\":\"die\"}\n\r\n", "0\r\n\r\n"},
	    .pause_ms = 10};
	static const struct script logs = {
	    .parts = {"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n",
	              "\1\0\0\0\0\0\0\4abc\n"},
	    .lens = {0, 12}};
	struct http_req req = {.url = "http://localhost/v1.41/events",
	                       .unix_socket = "x",
	                       .timeout_ms = 2000};
	struct server s;
	struct outcome o;

	run(&events, "", &req, &s, &o);
	CHECKF(o.rc == 0, "rc %d %s", o.rc, o.err);
	CHECK(o.status == 200 && strcmp(o.body, "{\"a\":\"die\"}\n") == 0);
	CHECK(strncmp(s.req, "GET /v1.41/events HTTP/1.1\r\n", 28) == 0);
	CHECK(strstr(s.req, "\r\nHost: localhost\r\n") != NULL);
	req.url = "http://localhost/logs";
	req.unix_socket = "x";
	run(&logs, "", &req, &s, &o);
	CHECKF(o.rc == 0, "rc %d %s", o.rc, o.err);
	CHECK(o.len == 12 && o.body[0] == 1 && o.body[7] == 4 &&
	      memcmp(o.body + 8, "abc\n", 4) == 0);
}

static void
test_hostile_servers(void)
{
	static const struct script trunc_head = {
	    .parts = {"HTTP/1.1 200 OK\r\nContent-Len"}};
	static const struct script trunc_body = {
	    .parts = {
	        "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this"}};
	static const struct script trunc_chunk = {
	    .parts = {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	              "10\r\nabc"}};
	static const struct script overflow = {
	    .parts = {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	              "1000000000000000000000000000001\r\nabc"},
	    .hang = true};
	static const struct script huge_chunk = {
	    .parts = {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	              "fffffffffffffff\r\nabc"},
	    .hang = true};
	static const struct script huge_len = {
	    .parts =
	        {"HTTP/1.1 200 OK\r\nContent-Length: 9999999999\r\n\r\nabc"},
	    .hang = true};
	static const struct script big_head = {.parts = {"HTTP/1.1 200 OK\r\n"},
	                                       .head_bytes = 200 * 1024,
	                                       .hang = true};
	static const struct script empty = {.parts = {NULL}};
	static const struct script garbage = {
	    .parts = {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not "
	              "http\r\n\r\n"}};
	static const struct {
		const char *name;
		const struct script *sc;
		int rc;
		const char *err;
	} t[] = {
	    {"truncated head", &trunc_head, -EIO, "truncated"},
	    {"truncated body", &trunc_body, -EIO, "truncated"},
	    {"truncated chunk", &trunc_chunk, -EIO, "truncated"},
	    {"chunk size overflow", &overflow, -EIO, "malformed"},
	    {"chunk over bound", &huge_chunk, -EMSGSIZE, "body over"},
	    {"length over bound", &huge_len, -EMSGSIZE, "body over"},
	    {"oversized head", &big_head, -EIO, "head over"},
	    {"empty reply", &empty, -ECONNRESET, "empty reply"},
	    {"not http", &garbage, -EIO, "malformed"},
	};
	size_t i;

	for (i = 0; i < UTIL_NELEM(t); i++) {
		struct server s;
		struct outcome o;

		run(t[i].sc, "/", NULL, &s, &o);
		CHECKF(o.rc == t[i].rc && strstr(o.err, t[i].err) != NULL,
		       "%s: rc %d (%s)", t[i].name, o.rc, o.err);
		CHECKF(o.ms < 1500, "%s: took %llu ms", t[i].name,
		       (unsigned long long)o.ms);
	}
}

static void
test_hung_servers(void)
{
	static const struct script silent = {.parts = {NULL}, .hang = true};
	static const struct script deaf = {.parts = {NULL}, .no_read = true};
	static const struct script dribble = {
	    .parts = {"HTTP/1.1 200 OK\r\nX-Slow: "}, .dribble_ms = 20};
	static const struct script dribble_body = {
	    .parts = {"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"},
	    .dribble_ms = 20};
	static const struct {
		const char *name;
		const struct script *sc;
	} t[] = {
	    {"accepts, never answers", &silent},
	    {"never reads the request", &deaf},
	    {"slowloris head", &dribble},
	    {"slowloris body", &dribble_body},
	};
	size_t i;

	for (i = 0; i < UTIL_NELEM(t); i++) {
		struct http_req req = {.timeout_ms = 300};
		struct server s;
		struct outcome o;

		run(t[i].sc, "/", &req, &s, &o);
		CHECKF(o.rc == -ETIMEDOUT, "%s: rc %d (%s)", t[i].name, o.rc,
		       o.err);
		CHECK_EQ_STR(o.err, "timeout after 300 ms");
		CHECKF(o.ms >= 290 && o.ms < 800, "%s: took %llu ms", t[i].name,
		       (unsigned long long)o.ms);
	}
}

/* ---- a unix socket whose backlog is full ---- */

struct backlog_server {
	int lfd;
	int served;
};

/* After a while, take the connection that filled the backlog, then serve
 * the next one. */
static void *
backlog_thread(void *arg)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
	                         "\r\nok";
	struct backlog_server *b = arg;
	char buf[4096];
	size_t len = 0;
	int fd;

	poll(NULL, 0, 300);
	if ((fd = accept(b->lfd, NULL, NULL)) < 0)
		return NULL;
	close(fd); /* the filler */
	/* the request, unless it already gave up */
	if (poll(&(struct pollfd){.fd = b->lfd, .events = POLLIN}, 1, 3000) <=
	        0 ||
	    (fd = accept(b->lfd, NULL, NULL)) < 0)
		return NULL;
	while (len < sizeof(buf) - 1) {
		ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);

		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL) {
			send_all(fd, ok, sizeof(ok) - 1);
			b->served = 1;
			break;
		}
	}
	close(fd);
	return NULL;
}

static void
test_unix_backlog_full(void)
{
	/* A busy daemon's listen queue can be full: connect() on a
	 * non-blocking unix socket then fails with EAGAIN (there is no
	 * connection in progress to poll for).  A blocking connect would
	 * wait for room; so must we, within the deadline. */
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct backlog_server b = {.lfd = -1};
	char dir[] = "/tmp/sextant-http-backlog.XXXXXX", err[128];
	struct http_resp resp = {0};
	struct http_req req = {.url = "http://localhost/x", .timeout_ms = 3000};
	int filler[8], nfill = 0, rc;
	pthread_t t;

	if (mkdtemp(dir) == NULL) {
		CHECK(0);
		return;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/s", dir);
	req.unix_socket = sa.sun_path;
	b.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (b.lfd < 0 || bind(b.lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(b.lfd, 0) != 0) {
		CHECK(0);
		goto out;
	}
	/* fill the queue until a connect says so */
	while (nfill < 8) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			CHECKF(errno == EAGAIN, "filler: %s", strerror(errno));
			close(fd);
			break;
		}
		filler[nfill++] = fd;
	}
	CHECK(nfill == 1);
	if (pthread_create(&t, NULL, backlog_thread, &b) != 0) {
		CHECK(0);
		goto out;
	}
	rc = http_do(&req, &resp, err, sizeof(err));
	CHECKF(rc == 0 && resp.status == 200 && resp.body &&
	           strcmp(resp.body, "ok") == 0,
	       "rc %d (%s)", rc, err);
	http_resp_free(&resp);
	http_thread_cleanup();
	pthread_join(t, NULL);
	CHECK(b.served == 1);
out:
	while (nfill > 0)
		close(filler[--nfill]);
	if (b.lfd >= 0)
		close(b.lfd);
	unlink(sa.sun_path);
	rmdir(dir);
}

/* ---- keep-alive ---- */

struct ka_server {
	int lfd, port, mode; /* 0 keep, 1 close after each, 2 drop 2nd */
	int accepts, answered;
	atomic_bool stop; /* set by the test, read by the server thread */
	pthread_t t;
};

static void *
ka_thread(void *arg)
{
	struct ka_server *k = arg;
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
	                         "\r\nok";

	while (!k->stop) {
		struct pollfd p = {.fd = k->lfd, .events = POLLIN};
		char buf[4096];
		size_t len = 0;
		int fd, served = 0;

		if (poll(&p, 1, 50) <= 0 ||
		    (fd = accept(k->lfd, NULL, NULL)) < 0)
			continue;
		k->accepts++;
		for (;;) {
			char *e;
			ssize_t n =
			    recv(fd, buf + len, sizeof(buf) - 1 - len, 0);

			if (n <= 0)
				break;
			len += (size_t)n;
			buf[len] = '\0';
			if ((e = strstr(buf, "\r\n\r\n")) == NULL)
				continue;
			len -= (size_t)(e + 4 - buf);
			memmove(buf, e + 4, len);
			if (k->mode == 2 && served == 1)
				break; /* read it, then hang up unanswered */
			send_all(fd, ok, sizeof(ok) - 1);
			k->answered++;
			served++;
			if (k->mode == 1) {
				poll(NULL, 0, 20);
				break;
			}
		}
		close(fd);
	}
	return NULL;
}

static void
test_keep_alive(void)
{
	int mode;

	for (mode = 0; mode <= 2; mode++) {
		struct ka_server k = {.mode = mode};
		struct sockaddr_in sin = {.sin_family = AF_INET};
		socklen_t sl = sizeof(sin);
		char url[64];
		int i;

		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		k.lfd = socket(AF_INET, SOCK_STREAM, 0);
		if (k.lfd < 0 ||
		    bind(k.lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
		    getsockname(k.lfd, (struct sockaddr *)&sin, &sl) != 0 ||
		    listen(k.lfd, 4) != 0 ||
		    pthread_create(&k.t, NULL, ka_thread, &k) != 0) {
			CHECK(0);
			return;
		}
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/",
		         ntohs(sin.sin_port));
		for (i = 0; i < 3; i++) {
			struct http_req req = {.url = url, .timeout_ms = 2000};
			struct http_resp resp;
			char err[128];
			int rc = http_do(&req, &resp, err, sizeof(err));

			CHECKF(rc == 0 && resp.status == 200 &&
			           strcmp(resp.body, "ok") == 0,
			       "mode %d request %d: rc %d (%s)", mode, i, rc,
			       err);
			http_resp_free(&resp);
			if (mode == 1)
				poll(NULL, 0, 60); /* the server's FIN lands */
		}
		http_thread_cleanup(); /* closes the idle connection */
		k.stop = true;
		pthread_join(k.t, NULL);
		close(k.lfd);
		/* keep: one connection for all; closed: one each; the
		 * second request on each connection dropped unanswered:
		 * retried on a new one (A: 1st, 2nd dropped; B: 2nd, 3rd
		 * dropped; C: 3rd). */
		CHECKF(k.accepts == (mode == 0 ? 1 : 3),
		       "mode %d: %d connections", mode, k.accepts);
		CHECK_EQ_INT(k.answered, 3);
	}
}

static void
test_connect_bounded(void)
{
	struct http_resp resp;
	char err[128];
	uint64_t t0 = clock_mono_ms();
	/* TEST-NET-1: nothing answers, connect itself must time out. */
	struct http_req req = {.url = "http://192.0.2.1:9/", .timeout_ms = 300};
	int rc = http_do(&req, &resp, err, sizeof(err));
	uint64_t dt = clock_mono_ms() - t0;

	/* With no route (or a sandbox) the kernel may refuse at once. */
	CHECKF(rc == -ETIMEDOUT || rc == -ENETUNREACH || rc == -EHOSTUNREACH ||
	           rc == -ECONNREFUSED,
	       "rc %d (%s)", rc, err);
	CHECKF(dt < 800, "took %llu ms", (unsigned long long)dt);

	req.url = "http://localhost:1/";
	rc = http_do(&req, &resp, err, sizeof(err));
	CHECKF(rc == -ECONNREFUSED, "localhost: rc %d (%s)", rc, err);

	req.url = "http://localhost/";
	req.unix_socket = "/nonexistent/sextant.sock";
	rc = http_do(&req, &resp, err, sizeof(err));
	CHECKF(rc == -ENOENT && strstr(err, "No such file"), "rc %d (%s)", rc,
	       err);
}

static void
test_https_through_libcurl(void)
{
	struct http_resp resp;
	char err[256];
	struct http_req req = {.url = "https://127.0.0.1:1/",
	                       .timeout_ms = 1000};
	pid_t pid;
	int st = -1, rc;

	/* libcurl missing: a clear error naming the URL (in a child, as
	 * the library is loaded once per process). */
	fflush(stdout);
	if ((pid = fork()) == 0) {
		setenv("SEXTANT_LIBCURL", "/nonexistent/libcurl.so.4", 1);
		rc = http_do(&req, &resp, err, sizeof(err));
		_exit(rc == -EIO && strstr(err, "libcurl") &&
		              strstr(err, "https://127.0.0.1:1/")
		          ? 0
		          : 1);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 0);

	/* With libcurl: it is loaded and does the request. */
	rc = http_do(&req, &resp, err, sizeof(err));
	CHECKF(rc == -ECONNREFUSED, "rc %d (%s)", rc, err);
	http_thread_cleanup();
}

int
main(void)
{
	if (http_init() != 0) {
		printf("FAIL setup\n");
		return 1;
	}
	RUN(test_parse_framings);
	RUN(test_parse_bounds);
	RUN(test_retry_after_forms);
	RUN(test_url);
	RUN(test_served_framings);
	RUN(test_request_on_wire);
	RUN(test_unix_chunked);
	RUN(test_hostile_servers);
	RUN(test_hung_servers);
	RUN(test_keep_alive);
	RUN(test_unix_backlog_full);
	RUN(test_connect_bounded);
	RUN(test_https_through_libcurl);
	return TEST_END();
}
