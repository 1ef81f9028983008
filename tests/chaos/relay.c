/*
 * relay: a TCP relay on loopback that a test can cut, for partitions
 * between a pilot and the commander (FAILOVER.md "What the tests must
 * show").  libc only.
 *
 *   relay --listen 127.0.0.1:P --to 127.0.0.1:Q --control 127.0.0.1:C
 *
 * Control (HTTP GET on the control port, e.g. with curl):
 *   /pass       forward traffic (the default)
 *   /drop       close every connection and refuse new ones
 *   /blackhole  keep connections open but forward nothing (a silent link)
 *   /state      prints the mode
 *
 * While the target refuses connections the relay stops listening, so that
 * a client sees what it would see without the relay (ECONNREFUSED, not a
 * connection that closes at once: dialers back off differently), and
 * listens again once the target accepts.  Events go to stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXC 64

enum mode { PASS, DROP, BLACKHOLE };
static const char *const mode_names[] = {"pass", "drop", "blackhole"};

struct pair {
	int a, b; /* client side, server side; -1 when unused */
};

static volatile sig_atomic_t stop;

/* One line per event on stderr, wall ms first: the run's timeline. */
static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
note(const char *fmt, ...)
{
	struct timespec ts;
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(stderr, "%lld relay: ",
	        (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Does the target accept a connection now?  (It sees one that closes.) */
static bool
target_up(const struct sockaddr_in *tsa)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool up;

	if (fd < 0)
		return false;
	up = connect(fd, (const struct sockaddr *)tsa, sizeof(*tsa)) == 0;
	close(fd);
	return up;
}

static int
parse_addr(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *c = strrchr(s, ':');

	if (c == NULL || (size_t)(c - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(c - s));
	host[c - s] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(c + 1));
	/* loopback only: this is a test tool */
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1 ||
	    (ntohl(sa->sin_addr.s_addr) >> 24) != 127)
		return -1;
	return 0;
}

static int
listener(const struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) != 0 ||
	    listen(fd, 64) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
close_pair(struct pair *p)
{
	if (p->a >= 0)
		close(p->a);
	if (p->b >= 0)
		close(p->b);
	p->a = p->b = -1;
}

static void
control(int lfd, enum mode *m, struct pair *pairs)
{
	char req[512], resp[128];
	ssize_t n;
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		return;
	n = read(fd, req, sizeof(req) - 1);
	if (n > 0) {
		req[n] = '\0';
		if (strncmp(req, "GET /pass", 9) == 0)
			*m = PASS;
		else if (strncmp(req, "GET /drop", 9) == 0)
			*m = DROP;
		else if (strncmp(req, "GET /blackhole", 14) == 0)
			*m = BLACKHOLE;
		if (*m == DROP)
			for (int i = 0; i < MAXC; i++)
				close_pair(&pairs[i]);
		note("mode %s", mode_names[*m]);
		n = snprintf(resp, sizeof(resp),
		             "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
		             "Connection: close\r\n\r\n%s\n",
		             strlen(mode_names[*m]) + 1, mode_names[*m]);
		if (write(fd, resp, (size_t)n) < 0) {
			/* the client went away: nothing to do */
		}
	}
	close(fd);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in lsa, tsa, csa;
	struct pair pairs[MAXC];
	const char *l = NULL, *t = NULL, *c = NULL;
	enum mode m = PASS;
	int lfd, cfd;
	uint64_t next_probe = 0; /* while not listening: next target probe */

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--listen") == 0)
			l = argv[i + 1];
		else if (strcmp(argv[i], "--to") == 0)
			t = argv[i + 1];
		else if (strcmp(argv[i], "--control") == 0)
			c = argv[i + 1];
	}
	if (!l || !t || !c || parse_addr(l, &lsa) || parse_addr(t, &tsa) ||
	    parse_addr(c, &csa)) {
		fprintf(stderr, "usage: relay --listen 127.0.0.1:P --to "
		                "127.0.0.1:Q --control 127.0.0.1:C\n");
		return 2;
	}
	if ((lfd = listener(&lsa)) < 0 || (cfd = listener(&csa)) < 0) {
		perror("relay: listen");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	for (int i = 0; i < MAXC; i++)
		pairs[i].a = pairs[i].b = -1;
	while (!stop) {
		struct pollfd pf[2 + 2 * MAXC];
		int n = 0;

		if (lfd < 0 && mono_ms() >= next_probe) {
			if (target_up(&tsa) && (lfd = listener(&lsa)) >= 0)
				note("target accepts again: listening");
			else
				next_probe = mono_ms() + 100;
		}

		pf[n++] = (struct pollfd){.fd = lfd, .events = POLLIN};
		pf[n++] = (struct pollfd){.fd = cfd, .events = POLLIN};
		for (int i = 0; i < MAXC; i++) {
			/* blackhole: read nothing, so nothing moves */
			short ev = m == PASS ? POLLIN : 0;

			pf[n++] =
			    (struct pollfd){.fd = pairs[i].a, .events = ev};
			pf[n++] =
			    (struct pollfd){.fd = pairs[i].b, .events = ev};
		}
		if (poll(pf, (nfds_t)n, lfd < 0 ? 100 : 200) < 0) {
			if (errno == EINTR)
				continue;
			perror("relay: poll");
			return 1;
		}
		if (pf[1].revents & POLLIN)
			control(cfd, &m, pairs);
		if (pf[0].revents & POLLIN) {
			int a = accept(lfd, NULL, NULL), b, slot = -1;

			for (int i = 0; i < MAXC && slot < 0; i++)
				if (pairs[i].a < 0)
					slot = i;
			if (a >= 0 && (m == DROP || slot < 0)) {
				note("refused a connection (%s)",
				     slot < 0 ? "no slot" : "drop");
				close(a);
			} else if (a >= 0) {
				b = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC,
				           0);
				if (b < 0 ||
				    connect(b, (const struct sockaddr *)&tsa,
				            sizeof(tsa)) != 0) {
					note("target: %s: not listening",
					     strerror(errno));
					close(a);
					if (b >= 0)
						close(b);
					close(lfd);
					lfd = -1;
					next_probe = mono_ms() + 100;
				} else {
					note("link %d open", slot);
					pairs[slot].a = a;
					pairs[slot].b = b;
				}
			}
		}
		for (int i = 0; i < MAXC; i++) {
			for (int side = 0; side < 2; side++) {
				struct pollfd *p = &pf[2 + 2 * i + side];
				int from = side ? pairs[i].b : pairs[i].a;
				int to = side ? pairs[i].a : pairs[i].b;
				char buf[16384];
				ssize_t r;

				if (from < 0 || !(p->revents &
				                  (POLLIN | POLLHUP | POLLERR)))
					continue;
				/* A silent link delivers nothing, not even
				 * what a closing peer left in the buffer. */
				if (m == BLACKHOLE) {
					if (p->revents & (POLLHUP | POLLERR)) {
						close_pair(&pairs[i]);
						break;
					}
					continue;
				}
				r = read(from, buf, sizeof(buf));
				if (r <= 0 || write(to, buf, (size_t)r) != r) {
					note("link %d closed by the %s", i,
					     side ? "target" : "client");
					close_pair(&pairs[i]);
					break;
				}
			}
		}
	}
	for (int i = 0; i < MAXC; i++)
		close_pair(&pairs[i]);
	return 0;
}
