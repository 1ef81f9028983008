/*
 * loopback_recv.h: a small HTTP/1.1 receiver on 127.0.0.1 for tests that
 * play a web service (Slack, Telegram, Discord, PagerDuty, Alertmanager,
 * a webhook).  It records every request (method, path, headers, body,
 * when) and answers from a script: queued answers first (status, extra
 * headers, body), or a hang (read the request, never answer), or garbage
 * (bytes that are not HTTP); then the default answer.
 *
 * Header-only (static functions) so a test or a bench program includes it.
 * One connection at a time; every answer closes the connection.
 */
#ifndef SEXTANT_TESTS_LOOPBACK_RECV_H
#define SEXTANT_TESTS_LOOPBACK_RECV_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* each user takes what it needs: no warning for the rest */
#define LR_STATIC static __attribute__((unused))

#define LR_MAX_REQ    64
#define LR_MAX_SCRIPT 16
#define LR_HDR_MAX    8192
#define LR_BODY_MAX   (1024 * 1024)

enum lr_mode { LR_ANSWER = 0, LR_HANG, LR_GARBAGE };

struct lr_answer {
	enum lr_mode mode;
	int status;
	char headers[256]; /* extra "Name: value\r\n" lines */
	char body[512];
};

struct lr_request {
	char method[16];
	char path[1024];
	char headers[LR_HDR_MAX]; /* raw header block */
	char *body;               /* NUL-terminated, malloc'd */
	size_t len;
	uint64_t mono_ms; /* when the whole request was in */
	uint64_t wall_ms;
};

struct lr {
	int fd;
	int port;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	struct lr_request req[LR_MAX_REQ];
	size_t nreq;
	struct lr_answer script[LR_MAX_SCRIPT];
	size_t nscript, next;
	struct lr_answer dflt;
	/* optional: called for each request, outside the lock */
	void (*on_request)(void *arg, const struct lr_request *);
	void *arg;
};

LR_STATIC uint64_t
lr_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

LR_STATIC uint64_t
lr_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Value of header name in a raw block, copied into out; false if none. */
LR_STATIC bool
lr_header(const char *block, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	const char *p = block;

	while (p && *p) {
		const char *eol = strstr(p, "\r\n");
		size_t l = eol ? (size_t)(eol - p) : strlen(p);

		if (l > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			size_t vl;

			while (*v == ' ')
				v++;
			vl = l - (size_t)(v - p);
			if (vl >= cap)
				vl = cap - 1;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return true;
		}
		p = eol ? eol + 2 : NULL;
	}
	return false;
}

LR_STATIC bool
lr_write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		if (w <= 0)
			return false;
		s += w;
		n -= (size_t)w;
	}
	return true;
}

/* Read one request from fd into r.  0, or -1 (closed, malformed). */
LR_STATIC int
lr_read_request(int fd, struct lr_request *r)
{
	char *buf = malloc(LR_HDR_MAX + 1), *end, cl[32], ex[64];
	size_t n = 0, hlen, want;
	ssize_t k;

	memset(r, 0, sizeof(*r));
	if (buf == NULL)
		return -1;
	for (;;) {
		if (n == LR_HDR_MAX)
			goto bad;
		k = recv(fd, buf + n, LR_HDR_MAX - n, 0);
		if (k <= 0)
			goto bad;
		n += (size_t)k;
		buf[n] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
	}
	hlen = (size_t)(end - buf) + 4;
	if (sscanf(buf, "%15s %1023s", r->method, r->path) != 2)
		goto bad;
	{
		const char *h = strstr(buf, "\r\n") + 2;
		size_t hl = (size_t)(end - h) + 2;

		if (hl >= sizeof(r->headers))
			hl = sizeof(r->headers) - 1;
		memcpy(r->headers, h, hl);
		r->headers[hl] = '\0';
	}
	want = 0;
	if (lr_header(r->headers, "Content-Length", cl, sizeof(cl)))
		want = (size_t)strtoul(cl, NULL, 10);
	if (want > LR_BODY_MAX)
		goto bad;
	if (lr_header(r->headers, "Expect", ex, sizeof(ex)) &&
	    strcasecmp(ex, "100-continue") == 0)
		lr_write_all(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	if ((r->body = malloc(want + 1)) == NULL)
		goto bad;
	r->len = n - hlen < want ? n - hlen : want;
	memcpy(r->body, buf + hlen, r->len);
	while (r->len < want) {
		k = recv(fd, r->body + r->len, want - r->len, 0);
		if (k <= 0)
			goto bad;
		r->len += (size_t)k;
	}
	r->body[r->len] = '\0';
	r->mono_ms = lr_mono();
	r->wall_ms = lr_wall();
	free(buf);
	return 0;
bad:
	free(buf);
	free(r->body);
	r->body = NULL;
	return -1;
}

LR_STATIC const char *
lr_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 202:
		return "Accepted";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	default:
		return "Status";
	}
}

LR_STATIC void
lr_answer_fd(struct lr *lr, int fd, const struct lr_answer *a)
{
	char head[1024];
	int n;

	if (a->mode == LR_GARBAGE) {
		static const char junk[] = "\x01\x02 this is not HTTP\r\n\r\n";

		lr_write_all(fd, junk, sizeof(junk) - 1);
		return;
	}
	if (a->mode == LR_HANG) {
		/* never answer: wait for the client to give up */
		for (;;) {
			struct pollfd p = {.fd = fd, .events = POLLIN};
			char b[256];
			bool stop;

			pthread_mutex_lock(&lr->mu);
			stop = lr->stop;
			pthread_mutex_unlock(&lr->mu);
			if (stop)
				return;
			if (poll(&p, 1, 100) > 0 &&
			    recv(fd, b, sizeof(b), 0) <= 0)
				return;
		}
	}
	n = snprintf(head, sizeof(head),
	             "HTTP/1.1 %d %s\r\n%sContent-Length: %zu\r\n"
	             "Connection: close\r\n\r\n",
	             a->status, lr_reason(a->status), a->headers,
	             a->status == 204 ? (size_t)0 : strlen(a->body));
	lr_write_all(fd, head, (size_t)n);
	if (a->status != 204)
		lr_write_all(fd, a->body, strlen(a->body));
}

LR_STATIC void *
lr_thread(void *arg)
{
	struct lr *lr = arg;

	for (;;) {
		struct pollfd p = {.fd = lr->fd, .events = POLLIN};
		struct lr_request r;
		struct lr_answer a;
		bool stop;
		int c;

		pthread_mutex_lock(&lr->mu);
		stop = lr->stop;
		pthread_mutex_unlock(&lr->mu);
		if (stop)
			break;
		if (poll(&p, 1, 100) <= 0)
			continue;
		if ((c = accept(lr->fd, NULL, NULL)) < 0)
			continue;
		if (lr_read_request(c, &r) != 0) {
			close(c);
			continue;
		}
		if (lr->on_request)
			lr->on_request(lr->arg, &r);
		pthread_mutex_lock(&lr->mu);
		a = lr->next < lr->nscript ? lr->script[lr->next++] : lr->dflt;
		if (lr->nreq < LR_MAX_REQ) {
			lr->req[lr->nreq++] = r;
			r.body = NULL;
		}
		pthread_cond_broadcast(&lr->cv);
		pthread_mutex_unlock(&lr->mu);
		free(r.body);
		lr_answer_fd(lr, c, &a);
		close(c);
	}
	return NULL;
}

/* Listen on 127.0.0.1:port (0: any free port), answering status and
 * body by default; hook (may be NULL) sees each request.  0 or -1. */
LR_STATIC int
lr_start_hook(struct lr *lr, int port, int status, const char *body,
              void (*hook)(void *, const struct lr_request *), void *arg)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int one = 1;

	memset(lr, 0, sizeof(*lr));
	lr->on_request = hook;
	lr->arg = arg;
	pthread_mutex_init(&lr->mu, NULL);
	pthread_cond_init(&lr->cv, NULL);
	lr->dflt.status = status;
	snprintf(lr->dflt.body, sizeof(lr->dflt.body), "%s", body);
	if ((lr->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	setsockopt(lr->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lr->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(lr->fd, 64) != 0 ||
	    getsockname(lr->fd, (struct sockaddr *)&sa, &sl) != 0) {
		close(lr->fd);
		return -1;
	}
	lr->port = ntohs(sa.sin_port);
	if (pthread_create(&lr->th, NULL, lr_thread, lr) != 0) {
		close(lr->fd);
		return -1;
	}
	return 0;
}

LR_STATIC int
lr_start(struct lr *lr, int port, int status, const char *body)
{
	return lr_start_hook(lr, port, status, body, NULL, NULL);
}

LR_STATIC void
lr_stop(struct lr *lr)
{
	pthread_mutex_lock(&lr->mu);
	lr->stop = true;
	pthread_mutex_unlock(&lr->mu);
	pthread_join(lr->th, NULL);
	close(lr->fd);
	for (size_t i = 0; i < lr->nreq; i++)
		free(lr->req[i].body);
	pthread_cond_destroy(&lr->cv);
	pthread_mutex_destroy(&lr->mu);
}

/* Queue an answer for the next request not yet answered. */
LR_STATIC void
lr_script(struct lr *lr, enum lr_mode mode, int status, const char *headers,
          const char *body)
{
	struct lr_answer *a;

	pthread_mutex_lock(&lr->mu);
	if (lr->nscript < LR_MAX_SCRIPT) {
		a = &lr->script[lr->nscript++];
		memset(a, 0, sizeof(*a));
		a->mode = mode;
		a->status = status;
		snprintf(a->headers, sizeof(a->headers), "%s",
		         headers ? headers : "");
		snprintf(a->body, sizeof(a->body), "%s", body ? body : "");
	}
	pthread_mutex_unlock(&lr->mu);
}

/* Wait until at least n requests came in (or timeout_ms): the count. */
LR_STATIC size_t
lr_wait(struct lr *lr, size_t n, uint64_t timeout_ms)
{
	uint64_t until = lr_mono() + timeout_ms;
	size_t got;

	pthread_mutex_lock(&lr->mu);
	while (lr->nreq < n && lr_mono() < until) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&lr->cv, &lr->mu, &ts);
	}
	got = lr->nreq;
	pthread_mutex_unlock(&lr->mu);
	return got;
}

LR_STATIC size_t
lr_count(struct lr *lr)
{
	size_t n;

	pthread_mutex_lock(&lr->mu);
	n = lr->nreq;
	pthread_mutex_unlock(&lr->mu);
	return n;
}

#endif
