/*
 * http_test.c: the HTTP client against a tiny HTTP server that runs in
 * this process, on 127.0.0.1 and on a unix socket: statuses, a server that
 * never answers, bodies over the bound, Retry-After in both forms, auth
 * headers, refused connections and protocols other than http(s).
 */
#include "common/http.h"
#include "common/util.h"

#include "tests/test.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int srv_port;
static char srv_sock[108];
static atomic_bool srv_stop;

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

static void
reply(int fd, const char *status, const char *extra, const char *body)
{
	char head[512];

	snprintf(head, sizeof(head),
	         "HTTP/1.1 %s\r\nContent-Length: %zu\r\nConnection: close\r\n"
	         "%s\r\n",
	         status, strlen(body), extra ? extra : "");
	send_all(fd, head, strlen(head));
	send_all(fd, body, strlen(body));
}

/* Value of header name in the request head req, into out. */
static void
header_value(const char *req, const char *name, char *out, size_t n)
{
	const char *p = req;
	size_t k = strlen(name);

	out[0] = '\0';
	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, k) == 0 && p[k] == ':') {
			const char *v = p + k + 1, *e;

			while (*v == ' ')
				v++;
			e = strstr(v, "\r\n");
			snprintf(out, n, "%.*s", (int)(e ? e - v : 0), v);
			return;
		}
	}
}

static void *
conn_thread(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char req[16384], path[256] = "", method[16] = "", auth[256], ctype[128],
	                 clen[32], out[20000];
	size_t len = 0;
	char *end = NULL;

	while (len < sizeof(req) - 1) {
		ssize_t n = recv(fd, req + len, sizeof(req) - 1 - len, 0);

		if (n <= 0)
			break;
		len += (size_t)n;
		req[len] = '\0';
		if ((end = strstr(req, "\r\n\r\n")) != NULL) {
			header_value(req, "Content-Length", clen, sizeof(clen));
			if (len - (size_t)(end + 4 - req) >= (size_t)atoi(clen))
				break;
		}
	}
	req[len] = '\0';
	sscanf(req, "%15s %255s", method, path);
	header_value(req, "Authorization", auth, sizeof(auth));
	header_value(req, "Content-Type", ctype, sizeof(ctype));

	if (strcmp(path, "/ok") == 0) {
		reply(fd, "200 OK", NULL, "hello");
	} else if (strcmp(path, "/404") == 0) {
		reply(fd, "404 Not Found", NULL, "{\"message\":\"nope\"}");
	} else if (strcmp(path, "/204") == 0) {
		send_all(fd, "HTTP/1.1 204 No Content\r\n\r\n", 27);
	} else if (strcmp(path, "/hang") == 0) {
		/* Accept, read, and never answer. */
		while (!atomic_load(&srv_stop))
			poll(NULL, 0, 10);
	} else if (strcmp(path, "/big") == 0 ||
	           strcmp(path, "/bigchunked") == 0) {
		bool chunked = strcmp(path, "/bigchunked") == 0;
		size_t total = 2 * 1024 * 1024, sent = 0;
		char chunk[8192 + 16];

		snprintf(out, sizeof(out),
		         chunked
		             ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
		               "\r\nConnection: close\r\n\r\n"
		             : "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
		               "Connection: close\r\n\r\n",
		         total);
		send_all(fd, out, strlen(out));
		memset(chunk, 'x', sizeof(chunk));
		while (sent < total && !atomic_load(&srv_stop)) {
			if (chunked) {
				send_all(fd, "2000\r\n", 6);
				send_all(fd, chunk, 8192);
				send_all(fd, "\r\n", 2);
			} else {
				send_all(fd, chunk, 8192);
			}
			sent += 8192;
		}
		if (chunked)
			send_all(fd, "0\r\n\r\n", 5);
	} else if (strcmp(path, "/retry-secs") == 0) {
		reply(fd, "429 Too Many Requests", "Retry-After: 7\r\n",
		      "slow down");
	} else if (strcmp(path, "/retry-date") == 0) {
		char h[128], d[64];
		time_t t = time(NULL) + 120;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(d, sizeof(d), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		snprintf(h, sizeof(h), "Retry-After: %s\r\n", d);
		reply(fd, "503 Service Unavailable", h, "");
	} else if (strcmp(path, "/retry-past") == 0) {
		reply(fd, "503 Service Unavailable",
		      "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n", "");
	} else if (strcmp(path, "/retry-bad") == 0) {
		reply(fd, "429 Too Many Requests", "Retry-After: soon\r\n", "");
	} else if (strcmp(path, "/echo") == 0) {
		snprintf(out, sizeof(out), "%s|%s|%s|%s", method, auth, ctype,
		         end ? end + 4 : "");
		reply(fd, "200 OK", NULL, out);
	} else {
		reply(fd, "400 Bad Request", NULL, "");
	}
	close(fd);
	return NULL;
}

static void *
accept_thread(void *arg)
{
	int lfd = (int)(intptr_t)arg;

	while (!atomic_load(&srv_stop)) {
		struct pollfd p = {.fd = lfd, .events = POLLIN};
		pthread_t t;
		int fd;

		if (poll(&p, 1, 50) <= 0)
			continue;
		if ((fd = accept(lfd, NULL, NULL)) < 0)
			continue;
		if (pthread_create(&t, NULL, conn_thread,
		                   (void *)(intptr_t)fd) == 0)
			pthread_detach(t);
		else
			close(fd);
	}
	close(lfd);
	return NULL;
}

static pthread_t srv_tcp, srv_unix;

static int
server_start(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	socklen_t sl = sizeof(sin);
	int fd, ufd, one = 1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(fd, 64) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) != 0)
		return -1;
	srv_port = ntohs(sin.sin_port);
	snprintf(srv_sock, sizeof(srv_sock), "/tmp/sxt-http-%d.sock",
	         (int)getpid());
	unlink(srv_sock);
	util_strlcpy(sun.sun_path, srv_sock, sizeof(sun.sun_path));
	if ((ufd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    bind(ufd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(ufd, 16) != 0)
		return -1;
	if (pthread_create(&srv_tcp, NULL, accept_thread, (void *)(intptr_t)fd))
		return -1;
	if (pthread_create(&srv_unix, NULL, accept_thread,
	                   (void *)(intptr_t)ufd))
		return -1;
	return 0;
}

static void
server_stop(void)
{
	atomic_store(&srv_stop, true);
	pthread_join(srv_tcp, NULL);
	pthread_join(srv_unix, NULL);
	unlink(srv_sock);
}

static int
get(const char *path, uint32_t tmo, size_t max, struct http_resp *resp,
    char *err, size_t errlen)
{
	char url[128];
	struct http_req req = {.url = url, .timeout_ms = tmo, .max_body = max};

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", srv_port, path);
	return http_do(&req, resp, err, errlen);
}

static void
test_status_codes(void)
{
	static const struct {
		const char *path;
		long status;
		const char *body;
	} t[] = {
	    {"/ok", 200, "hello"},
	    {"/404", 404, "{\"message\":\"nope\"}"},
	    {"/204", 204, ""},
	    {"/nowhere", 400, ""},
	};
	size_t i;

	for (i = 0; i < UTIL_NELEM(t); i++) {
		struct http_resp resp;
		char err[128];
		int rc = get(t[i].path, 2000, 0, &resp, err, sizeof(err));

		CHECKF(rc == 0, "%s: rc %d (%s)", t[i].path, rc, err);
		CHECKF(resp.status == t[i].status, "%s: status %ld", t[i].path,
		       resp.status);
		CHECKF(resp.body != NULL && strcmp(resp.body, t[i].body) == 0,
		       "%s: body \"%s\"", t[i].path,
		       resp.body ? resp.body : "(null)");
		CHECK(resp.len == strlen(t[i].body));
		CHECK(resp.retry_after_s == -1);
		http_resp_free(&resp);
		http_resp_free(&resp); /* a second free is harmless */
	}
}

static void
test_timeout_bounded(void)
{
	struct http_resp resp;
	char err[128];
	uint64_t t0 = clock_mono_ms(), dt;
	int rc = get("/hang", 300, 0, &resp, err, sizeof(err));

	dt = clock_mono_ms() - t0;
	CHECK_EQ_INT(rc, -ETIMEDOUT);
	CHECK_EQ_STR(err, "timeout after 300 ms");
	CHECKF(dt >= 250 && dt < 1300, "took %llu ms", (unsigned long long)dt);
	CHECK(resp.body == NULL && resp.status == 0);
	http_resp_free(&resp);
}

static void
test_body_bound(void)
{
	static const char *paths[] = {"/big", "/bigchunked"};
	size_t i;

	for (i = 0; i < UTIL_NELEM(paths); i++) {
		struct http_resp resp;
		char err[128];
		int rc;

		rc = get(paths[i], 5000, 1024 * 1024, &resp, err, sizeof(err));
		CHECKF(rc == -EMSGSIZE, "%s: rc %d (%s)", paths[i], rc, err);
		CHECKF(strstr(err, "body over 1048576 bytes") != NULL, "%s: %s",
		       paths[i], err);
		CHECK(resp.body == NULL);
		http_resp_free(&resp);
		/* With room for it, the same body arrives whole. */
		rc = get(paths[i], 5000, 2 * 1024 * 1024, &resp, err,
		         sizeof(err));
		CHECKF(rc == 0, "%s: rc %d (%s)", paths[i], rc, err);
		CHECK(resp.len == 2 * 1024 * 1024);
		CHECK(resp.body && resp.body[resp.len] == '\0');
		http_resp_free(&resp);
	}
}

static void
test_retry_after(void)
{
	struct http_resp resp;
	char err[128];

	CHECK_EQ_INT(get("/retry-secs", 2000, 0, &resp, err, sizeof(err)), 0);
	CHECK_EQ_INT(resp.status, 429);
	CHECK_EQ_INT(resp.retry_after_s, 7);
	http_resp_free(&resp);

	CHECK_EQ_INT(get("/retry-date", 2000, 0, &resp, err, sizeof(err)), 0);
	CHECK_EQ_INT(resp.status, 503);
	CHECKF(resp.retry_after_s >= 115 && resp.retry_after_s <= 121,
	       "retry_after %ld", resp.retry_after_s);
	http_resp_free(&resp);

	CHECK_EQ_INT(get("/retry-past", 2000, 0, &resp, err, sizeof(err)), 0);
	CHECK_EQ_INT(resp.retry_after_s, 0);
	http_resp_free(&resp);

	CHECK_EQ_INT(get("/retry-bad", 2000, 0, &resp, err, sizeof(err)), 0);
	CHECK_EQ_INT(resp.retry_after_s, -1);
	http_resp_free(&resp);
}

static void
test_refused(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sin);
	struct http_resp resp;
	struct http_req req = {0};
	char url[64], err[128];
	uint64_t t0;
	int fd = socket(AF_INET, SOCK_STREAM, 0), rc;

	/* A port that was just free: bound, then closed, never listened. */
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)&sin, &sl) == 0);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", ntohs(sin.sin_port));
	req.url = url;
	req.timeout_ms = 2000;
	t0 = clock_mono_ms();
	rc = http_do(&req, &resp, err, sizeof(err));
	CHECK_EQ_INT(rc, -ECONNREFUSED);
	CHECK_EQ_STR(err, "connection refused");
	CHECK(clock_mono_ms() - t0 < 1000);

	/* A unix socket nobody listens on. */
	req.url = "http://localhost/ok";
	req.unix_socket = "/nonexistent/sextant-test.sock";
	rc = http_do(&req, &resp, err, sizeof(err));
	CHECKF(rc < 0 && err[0] != '\0', "rc %d", rc);
}

static void
test_protocols(void)
{
	static const char *urls[] = {"file:///etc/hostname", "ftp://127.0.0.1/",
	                             "gopher://127.0.0.1/",
	                             "dict://127.0.0.1/"};
	size_t i;

	for (i = 0; i < UTIL_NELEM(urls); i++) {
		struct http_resp resp;
		struct http_req req = {.url = urls[i], .timeout_ms = 1000};
		char err[128];
		int rc = http_do(&req, &resp, err, sizeof(err));

		CHECKF(rc == -EPROTONOSUPPORT, "%s: rc %d (%s)", urls[i], rc,
		       err);
		CHECK(resp.body == NULL);
	}
}

static void
test_unix_socket(void)
{
	struct http_resp resp;
	struct http_req req = {.url = "http://localhost/ok",
	                       .unix_socket = srv_sock,
	                       .timeout_ms = 2000};
	char err[128];

	CHECK_EQ_INT(http_do(&req, &resp, err, sizeof(err)), 0);
	CHECK_EQ_INT(resp.status, 200);
	CHECK(resp.body && strcmp(resp.body, "hello") == 0);
	http_resp_free(&resp);
}

static void
test_auth_and_body(void)
{
	static const char *hdrs[] = {"X-Extra: 1", NULL};
	struct http_resp resp;
	char url[128], err[128];
	struct http_req req = {.url = url, .timeout_ms = 2000};

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/echo", srv_port);
	/* Basic: base64("__cookie__:abc") */
	req.user = "__cookie__";
	req.password = "abc";
	req.method = "POST";
	req.body = "{\"a\":1}";
	req.body_len = 7;
	CHECK_EQ_INT(http_do(&req, &resp, err, sizeof(err)), 0);
	CHECK(resp.body != NULL);
	if (resp.body)
		CHECK_EQ_STR(resp.body,
		             "POST|Basic "
		             "X19jb29raWVfXzphYmM=|application/json|{\"a\":1}");
	http_resp_free(&resp);

	req.user = NULL;
	req.password = NULL;
	req.bearer = "tok123";
	req.method = NULL;
	req.body = NULL;
	req.headers = hdrs;
	CHECK_EQ_INT(http_do(&req, &resp, err, sizeof(err)), 0);
	if (resp.body)
		CHECK_EQ_STR(resp.body, "GET|Bearer tok123||");
	http_resp_free(&resp);

	/* A body shorter than the string: body_len rules. */
	req.bearer = NULL;
	req.method = "PUT";
	req.body = "abcdef";
	req.body_len = 3;
	req.content_type = "text/plain";
	CHECK_EQ_INT(http_do(&req, &resp, err, sizeof(err)), 0);
	if (resp.body)
		CHECK_EQ_STR(resp.body, "PUT||text/plain|abc");
	http_resp_free(&resp);
}

static void
test_bad_input(void)
{
	struct http_resp resp;
	struct http_req req = {0};
	char err[128];

	CHECK_EQ_INT(http_do(&req, &resp, err, sizeof(err)), -EINVAL);
	req.url = "http://[::1";
	CHECK(http_do(&req, &resp, err, sizeof(err)) < 0);
	CHECK(err[0] != '\0');
}

static void *
hammer(void *arg)
{
	int *fails = arg, i;

	for (i = 0; i < 40; i++) {
		struct http_resp resp;
		char err[128];

		if (get("/ok", 3000, 0, &resp, err, sizeof(err)) != 0 ||
		    resp.status != 200 || strcmp(resp.body, "hello") != 0)
			(*fails)++;
		http_resp_free(&resp);
	}
	return NULL;
}

static void
test_threads(void)
{
	pthread_t t[8];
	int fails[8] = {0}, i, total = 0;

	for (i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, hammer, &fails[i]);
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		total += fails[i];
	}
	CHECK_EQ_INT(total, 0);
}

int
main(void)
{
	if (http_init() != 0 || server_start() != 0) {
		printf("FAIL setup\n");
		return 1;
	}
	RUN(test_status_codes);
	RUN(test_timeout_bounded);
	RUN(test_body_bound);
	RUN(test_retry_after);
	RUN(test_refused);
	RUN(test_protocols);
	RUN(test_unix_socket);
	RUN(test_auth_and_body);
	RUN(test_bad_input);
	RUN(test_threads);
	server_stop();
	return TEST_END();
}
