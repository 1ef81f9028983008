/*
 * ingest_tcp.c: the pilot endpoint for tcp:// URLs, served with epoll and
 * speaking nng's SP/TCP wire as a REP socket does (commander/sp.h), so
 * pilots' nng REQ sockets interoperate unchanged.
 *
 * Why not nng: its REP socket hands each request through about eight
 * thread switches (transport reader, protocol, context aio, sender...); at
 * 1,000 pilots at 1 Hz that alone cost a fifth of a core.  Here a request
 * costs one wake-up of one thread: epoll_wait, read, process, write,
 * re-arm.
 *
 * Threads.  `contexts` symmetric threads wait on one epoll set in which
 * every connection is registered EPOLLONESHOT: the thread that receives a
 * connection's event owns it exclusively until it re-arms it, so no lock
 * guards a connection's buffers, and requests from one connection are
 * handled one at a time in order, as nng's REP would for one REQ pipe.
 * The handler runs inline on that thread, because the common case
 * (a heartbeat that changes nothing) never blocks and a hand-off to a
 * worker pool would cost the very wake-ups this file exists to avoid.
 * When a heartbeat does produce an event the handler blocks in evlog's
 * group commit until the fsync; that holds only this thread and this
 * connection (whose pilot is waiting for that reply anyway) while the other
 * threads keep serving, and evlog batches whatever the blocked threads
 * appended into one fsync.  So `contexts` is exactly the number of
 * requests that may wait on the disk at once, as it was with nng's
 * contexts; 10,000 pilots registering at once (each hello an event) drain
 * at `contexts` events per fsync.  Each thread takes one event per
 * epoll_wait so that a blocked thread never sits on other ready
 * connections.
 *
 * Bounds.  At most max_conns connections (accepted and closed at once
 * beyond that, logged rate-limited); each holds no buffer while idle: a
 * read goes to the thread's buffer and only an incomplete message's bytes
 * are kept, sized to that message (at most one message,
 * SP_BTRACE_MAX + ENV_MAX_FRAME).  A declared length over INGEST_RECVMAX
 * (nng's limit here, twice the envelope limit) is a size drop and closes
 * the connection before anything is allocated; one between the envelope
 * limit and that is a size drop whose bytes are skipped, not stored.  A
 * bad SP header or a message ending inside its backtrace is a format drop
 * and closes the connection, as nng would; too many hops is a format drop
 * only.  Replies go straight to the socket; what the socket does not take
 * is kept, and while any is kept the connection is armed for EPOLLOUT
 * only: a client that does not read its replies is no longer read from
 * either (at most one read's worth of requests is answered into the
 * buffer, WBUF_SOFT_MAX plus one reply), and is closed after STALL_MS
 * (or idle_ms if shorter) without progress.  A message must arrive whole
 * within that same stall time, and incomplete messages of all connections
 * together hold at most RBUF_TOTAL_MAX (a connection that would pass it is
 * closed), so peers trickling large messages cannot pin memory.  The SP
 * header must arrive within handshake_ms (10 s, as nng's); a connection
 * with no request for idle_ms is closed (a pilot's nng socket simply
 * redials).  A once-a-second timer finds these and shuts the socket down;
 * its owner thread then sees the hang-up and frees it, so a connection is
 * only ever freed by the thread that owns it.
 *
 * The peer address comes from accept(), formatted once per connection.
 */
#include "commander/ingest_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "commander/sp.h"
#include "common/log.h"
#include "common/util.h"

#define INGEST_RECVMAX   (2 * ENV_MAX_FRAME)
#define KEEP_MAX         (SP_BTRACE_MAX + ENV_MAX_FRAME)
#define RX_CAP           (64 * 1024)
#define RBUF_TOTAL_MAX   (64u << 20)
#define WBUF_SOFT_MAX    (256 * 1024)
#define STALL_MS         30000
#define DEF_HANDSHAKE_MS 10000
#define DEF_IDLE_MS      600000
#define MAX_THREADS      256
#define ACCEPTS_PER_TURN 64
#define CONN_LOG_WINDOW  10000
#define CONN_LOG_BURST   5

enum kill_reason {
	KILL_NONE,
	KILL_HANDSHAKE,
	KILL_IDLE,
	KILL_STALL,
	KILL_SLOW
};

struct conn {
	int fd;
	unsigned slot;
	atomic_bool up;  /* the peer's SP header arrived and is a REQ's */
	atomic_int kill; /* enum kill_reason, set by the timer */
	char addr[REGISTRY_ADDR_MAX];
	uint8_t hdr[SP_HDR_LEN];
	size_t hdrlen;
	uint8_t *rbuf; /* an incomplete message; NULL when none */
	size_t rlen, rcap;
	size_t skip;   /* bytes of an oversized message still to discard */
	uint8_t *wbuf; /* replies the socket did not take yet */
	size_t wlen, woff, wcap;
	uint64_t accepted_ms;
	atomic_uint_fast64_t last_rx_ms; /* last request (or the accept) */
	atomic_uint_fast64_t last_tx_ms; /* last write progress */
	atomic_bool wpending;
	atomic_uint_fast64_t partial_ms; /* an incomplete message kept since */
	/* bumped (release) before each hand-back to epoll and read (acquire)
	 * by the next owner: the kernel orders the hand-over already, this
	 * says so in C11 terms, which is what ThreadSanitizer checks */
	atomic_uint handoff;
};

struct worker {
	struct ingest_tcp *t;
	pthread_t thr;
	bool started;
	struct ingest_scratch s;
	uint8_t rx[RX_CAP];
	/* a reply as it goes on the wire: length, backtrace, sealed frame */
	uint8_t out[SP_LEN_LEN + SP_BTRACE_MAX + INGEST_REPLY_MAX];
};

struct ingest_tcp {
	struct ingest *in;
	int lfd, epfd, tfd, efd;
	int port;
	unsigned nthr;
	struct worker **w;
	uint32_t handshake_ms, idle_ms, stall_ms;

	pthread_mutex_t mu; /* the table below */
	bool mu_init;
	struct conn **slots;
	unsigned *freelist;
	unsigned max_conns, nfree;
	atomic_bool listen_paused;
	atomic_size_t rbytes; /* held by incomplete messages, all connections */

	pthread_mutex_t log_mu;
	uint64_t log_start;
	uint32_t logged;
	uint64_t suppressed;
};

/* epoll tags for the three non-connection descriptors */
static char tag_listen, tag_timer, tag_stop;

bool
ingest_tcp_url(const char *url)
{
	return url != NULL && strncmp(url, "tcp://", 6) == 0 &&
	       strrchr(url + 6, ':') != NULL;
}

static void conn_log(struct ingest_tcp *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Connection-level trouble (refused, timed out): rate-limited like drops. */
static void
conn_log(struct ingest_tcp *t, const char *fmt, ...)
{
	uint64_t now, suppressed = 0;
	bool print;
	char buf[256];
	va_list ap;

	pthread_mutex_lock(&t->log_mu);
	now = clock_mono_ms(); /* under the lock: windows only move on */
	if (now - t->log_start >= CONN_LOG_WINDOW) {
		suppressed = t->suppressed;
		t->log_start = now;
		t->logged = 0;
		t->suppressed = 0;
	}
	print = t->logged < CONN_LOG_BURST;
	if (print)
		t->logged++;
	else
		t->suppressed++;
	pthread_mutex_unlock(&t->log_mu);
	if (suppressed)
		log_warnx("ingest: %" PRIu64 " more connection notices not "
		          "logged",
		          suppressed);
	if (!print)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warnx("ingest: %s", buf);
}

/* A drop found on the wire, before a frame reached ingest_process: it
 * still counts as received, so received = replied + dropped holds. */
static void
wire_drop(struct ingest *in, enum ingest_drop why, const char *addr,
          const char *what, size_t n)
{
	atomic_fetch_add_explicit(&in->received, 1, memory_order_relaxed);
	ingest_drop(in, why, addr, "%s (%zu bytes)", what, n);
}

static void
fmt_addr(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)ss;

		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		snprintf(buf, size, "%s:%u", ip, ntohs(s->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)ss;

		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		snprintf(buf, size, "[%s]:%u", ip, ntohs(s->sin6_port));
	} else
		snprintf(buf, size, "(peer family %u)", ss->ss_family);
}

static void
arm(struct ingest_tcp *t, struct conn *c)
{
	int fd = c->fd;
	struct epoll_event ev = {
	    .events = (atomic_load_explicit(&c->wpending, memory_order_relaxed)
	                   ? EPOLLOUT
	                   : EPOLLIN | EPOLLRDHUP) |
	              EPOLLONESHOT,
	    .data.ptr = c};

	/* c is not ours once epoll_ctl returns: nothing of it is read after
	 * this point */
	atomic_fetch_add_explicit(&c->handoff, 1, memory_order_release);
	epoll_ctl(t->epfd, EPOLL_CTL_MOD, fd, &ev);
}

static void
conn_close(struct ingest_tcp *t, struct conn *c, const char *why)
{
	static const char *const kills[] = {
	    [KILL_HANDSHAKE] = "no SP header in time",
	    [KILL_IDLE] = "idle too long",
	    [KILL_STALL] = "not reading its replies",
	    [KILL_SLOW] = "a message took too long to arrive",
	};
	int k = atomic_load(&c->kill);

	if (k != KILL_NONE) {
		atomic_fetch_add(&t->in->conns_timed_out, 1);
		conn_log(t, "closed connection from %s: %s", c->addr, kills[k]);
	} else if (why != NULL)
		conn_log(t, "closed connection from %s: %s", c->addr, why);
	if (c->wlen > c->woff)
		atomic_fetch_add_explicit(&t->in->send_failed, 1,
		                          memory_order_relaxed);
	pthread_mutex_lock(&t->mu);
	t->slots[c->slot] = NULL;
	t->freelist[t->nfree++] = c->slot;
	pthread_mutex_unlock(&t->mu);
	atomic_fetch_sub(&t->in->conns, 1);
	atomic_fetch_sub(&t->rbytes, c->rcap);
	close(c->fd); /* also leaves the epoll set */
	free(c->rbuf);
	free(c->wbuf);
	free(c);
}

/* Send what is kept: 0 (all sent, or the rest kept), -1 to close. */
static int
flush(struct conn *c)
{
	while (c->woff < c->wlen) {
		ssize_t n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff,
		                 MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		c->woff += (size_t)n;
		atomic_store_explicit(&c->last_tx_ms, clock_mono_ms(),
		                      memory_order_relaxed);
	}
	/* drained: give the memory back, an idle connection holds none */
	free(c->wbuf);
	c->wbuf = NULL;
	c->wlen = c->woff = c->wcap = 0;
	atomic_store_explicit(&c->wpending, false, memory_order_relaxed);
	return 0;
}

/* Queue n bytes behind what is kept; -1 on ENOMEM. */
static int
keep(struct conn *c, const uint8_t *p, size_t n)
{
	if (c->wcap - c->wlen < n) {
		size_t ncap =
		    c->wcap * 2 > c->wlen + n ? c->wcap * 2 : c->wlen + n;
		uint8_t *nb = realloc(c->wbuf, ncap);

		if (nb == NULL)
			return -1;
		c->wbuf = nb;
		c->wcap = ncap;
	}
	memcpy(c->wbuf + c->wlen, p, n);
	if (c->wlen == c->woff)
		atomic_store_explicit(&c->last_tx_ms, clock_mono_ms(),
		                      memory_order_relaxed);
	c->wlen += n;
	atomic_store_explicit(&c->wpending, true, memory_order_relaxed);
	return 0;
}

/* Send p straight away if nothing is queued, keep the rest; -1 to close. */
static int
reply(struct conn *c, const uint8_t *p, size_t n)
{
	size_t off = 0;

	while (c->wlen == c->woff && off < n) {
		ssize_t w = send(c->fd, p + off, n - off, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		off += (size_t)w;
	}
	if (off < n && keep(c, p + off, n - off) != 0)
		return -1;
	return 0;
}

/* One complete SP message: 0, or -1 to close the connection. */
static int
on_message(struct worker *w, struct conn *c, const uint8_t *msg, size_t len)
{
	struct ingest *in = w->t->in;
	size_t bt, outlen;
	uint8_t *o = w->out;

	switch (sp_backtrace(msg, len, SP_DEFAULT_TTL, &bt)) {
	case SP_OK:
		break;
	case SP_E_TTL:
		wire_drop(in, INGEST_DROP_FORMAT, c->addr,
		          "request through too many SP hops", len);
		return 0;
	default:
		wire_drop(in, INGEST_DROP_FORMAT, c->addr,
		          "SP message without a request id", len);
		return -1;
	}
	atomic_store_explicit(&c->last_rx_ms, clock_mono_ms(),
	                      memory_order_relaxed);
	if (ingest_process(in, &w->s, msg + bt, len - bt, c->addr,
	                   o + SP_LEN_LEN + bt, INGEST_REPLY_MAX, &outlen) != 0)
		return 0; /* dropped: REP sends nothing back */
	sp_len_put(o, bt + outlen);
	memcpy(o + SP_LEN_LEN, msg, bt);
	atomic_fetch_add_explicit(&in->replied, 1, memory_order_relaxed);
	return reply(c, o, SP_LEN_LEN + bt + outlen);
}

/*
 * Consume buf[0..len): the header, skipped bytes, whole messages, as long
 * as the kept output stays under WBUF_SOFT_MAX.  Returns the bytes used,
 * or -1 to close; what is left is an incomplete message (or unprocessed
 * because of backpressure).
 */
static ssize_t
consume(struct worker *w, struct conn *c, const uint8_t *buf, size_t len)
{
	struct ingest *in = w->t->in;
	size_t used = 0, mlen;

	while (used < len) {
		const uint8_t *p = buf + used;
		size_t n = len - used;

		if (!atomic_load_explicit(&c->up, memory_order_relaxed)) {
			size_t take = SP_HDR_LEN - c->hdrlen;
			enum sp_status st;

			if (take > n)
				take = n;
			memcpy(c->hdr + c->hdrlen, p, take);
			c->hdrlen += take;
			used += take;
			st = sp_header_check(c->hdr, c->hdrlen, SP_PROTO_REQ);
			if (st == SP_MORE)
				continue;
			if (st != SP_OK) {
				wire_drop(in, INGEST_DROP_FORMAT, c->addr,
				          st == SP_E_PROTO
				              ? "SP peer is not a REQ socket"
				              : "not an SP header",
				          c->hdrlen);
				return -1;
			}
			atomic_store(&c->up, true);
			continue;
		}
		if (c->skip > 0) {
			size_t k = c->skip < n ? c->skip : n;

			c->skip -= k;
			used += k;
			continue;
		}
		if (c->wlen - c->woff >= WBUF_SOFT_MAX)
			break;
		switch (sp_frame_len(p, n, INGEST_RECVMAX, &mlen)) {
		case SP_MORE:
			return (ssize_t)used;
		case SP_E_TOOBIG:
			wire_drop(
			    in, INGEST_DROP_SIZE, c->addr,
			    "SP message over the limit, connection closed",
			    mlen);
			return -1;
		default:
			break;
		}
		if (mlen > KEEP_MAX) {
			/* within nng's limit but no envelope can be this
			 * big: count it, do not store it */
			wire_drop(in, INGEST_DROP_SIZE, c->addr,
			          "frame too large", mlen);
			c->skip = mlen;
			used += SP_LEN_LEN;
			continue;
		}
		if (n - SP_LEN_LEN < mlen)
			return (ssize_t)used;
		if (on_message(w, c, p + SP_LEN_LEN, mlen) != 0)
			return -1;
		used += SP_LEN_LEN + mlen;
	}
	return (ssize_t)used;
}

/* The size an incomplete message at buf needs in all, or n if unknown. */
static size_t
need_of(const struct conn *c, const uint8_t *buf, size_t n)
{
	size_t mlen;

	if (atomic_load_explicit(&c->up, memory_order_relaxed) &&
	    c->skip == 0 && sp_frame_len(buf, n, KEEP_MAX, &mlen) == SP_OK)
		return SP_LEN_LEN + mlen;
	return n < SP_LEN_LEN ? SP_LEN_LEN : n;
}

/*
 * Keep buf[0..n) (the unconsumed tail) in c->rbuf, sized for the message it
 * starts.  0, or -1: out of memory, or the endpoint's incomplete messages
 * would pass RBUF_TOTAL_MAX (many peers each trickling a large message).
 */
static int
keep_tail(struct ingest_tcp *t, struct conn *c, const uint8_t *buf, size_t n)
{
	bool inside =
	    c->rbuf != NULL && buf >= c->rbuf && buf < c->rbuf + c->rcap;
	size_t need;
	uint8_t *nb;

	if (n == 0) {
		atomic_fetch_sub(&t->rbytes, c->rcap);
		free(c->rbuf);
		c->rbuf = NULL;
		c->rlen = c->rcap = 0;
		atomic_store_explicit(&c->partial_ms, 0, memory_order_relaxed);
		return 0;
	}
	need = need_of(c, buf, n);
	if (need < n)
		need = n; /* several messages held back by backpressure */
	if (inside)
		memmove(c->rbuf, buf, n);
	if (c->rcap < need) {
		if (atomic_load(&t->rbytes) + (need - c->rcap) > RBUF_TOTAL_MAX)
			return -1;
		if ((nb = realloc(c->rbuf, need)) == NULL)
			return -1;
		atomic_fetch_add(&t->rbytes, need - c->rcap);
		c->rbuf = nb;
		c->rcap = need;
	}
	if (!inside)
		memcpy(c->rbuf, buf, n);
	/* a message must arrive whole within the stall time, counted from
	 * the last one completed */
	if (!inside || buf != c->rbuf)
		atomic_store_explicit(&c->partial_ms, clock_mono_ms(),
		                      memory_order_relaxed);
	c->rlen = n;
	return 0;
}

/* Read once and serve: 0 to re-arm, -1 to close. */
static int
conn_input(struct worker *w, struct conn *c, const char **why)
{
	struct ingest_tcp *t = w->t;
	uint8_t *buf;
	size_t cap, len;
	ssize_t n, used;

	if (c->rlen > 0) {
		/* an incomplete message: read only up to its end */
		buf = c->rbuf;
		len = c->rlen;
		cap = c->rcap - c->rlen;
	} else {
		buf = w->rx;
		len = 0;
		cap = sizeof(w->rx);
	}
	if (cap > 0) {
		do
			n = recv(c->fd, buf + len, cap, 0);
		while (n < 0 && errno == EINTR);
		if (n == 0) {
			*why = NULL; /* the pilot went away: not news */
			return -1;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			*why = strerror(errno);
			return -1;
		}
		len += (size_t)n;
	}
	if ((used = consume(w, c, buf, len)) < 0) {
		*why = "protocol error";
		return -1;
	}
	if (keep_tail(t, c, buf + used, len - (size_t)used) != 0) {
		*why = "out of buffer memory";
		return -1;
	}
	return 0;
}

/* The owner's turn with connection c. */
static void
conn_event(struct worker *w, struct conn *c, uint32_t events)
{
	struct ingest_tcp *t = w->t;
	const char *why = NULL;

	if (events & EPOLLERR)
		goto close;
	if (c->wlen > c->woff) {
		if (flush(c) != 0)
			goto close;
		if (c->wlen > c->woff) {
			arm(t, c);
			return;
		}
		/* drained: serve what backpressure held back */
		if (c->rlen > 0) {
			ssize_t used = consume(w, c, c->rbuf, c->rlen);

			if (used < 0 || keep_tail(t, c, c->rbuf + used,
			                          c->rlen - (size_t)used) != 0)
				goto close;
			if (c->wlen > c->woff) {
				arm(t, c);
				return;
			}
		}
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP)) {
		if (conn_input(w, c, &why) != 0)
			goto close;
	}
	arm(t, c);
	return;
close:
	conn_close(t, c, why);
}

static void
conn_new(struct ingest_tcp *t, int fd, const struct sockaddr_storage *ss)
{
	struct ingest *in = t->in;
	struct conn *c;
	struct epoll_event ev;
	uint8_t hdr[SP_HDR_LEN];
	char addr[REGISTRY_ADDR_MAX];
	int one = 1;
	unsigned slot;

	fmt_addr(ss, addr, sizeof(addr));
	pthread_mutex_lock(&t->mu);
	if (t->nfree == 0) {
		pthread_mutex_unlock(&t->mu);
		/* count before the close: a peer that sees the close may read
		 * the counter at once (ingest_test does) */
		atomic_fetch_add(&in->conns_refused, 1);
		conn_log(t, "refused connection from %s: %u connections open",
		         addr, t->max_conns);
		close(fd);
		return;
	}
	slot = t->freelist[--t->nfree];
	pthread_mutex_unlock(&t->mu);
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		pthread_mutex_lock(&t->mu);
		t->freelist[t->nfree++] = slot;
		pthread_mutex_unlock(&t->mu);
		ingest_drop(in, INGEST_DROP_INTERNAL, addr, "out of memory");
		close(fd);
		return;
	}
	c->fd = fd;
	c->slot = slot;
	memcpy(c->addr, addr, sizeof(addr));
	c->accepted_ms = clock_mono_ms();
	atomic_store(&c->last_rx_ms, c->accepted_ms);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* our header first; a fresh socket's buffer always takes 8 bytes,
	 * but keep whatever it does not */
	sp_header_put(hdr, SP_PROTO_REP);
	if (reply(c, hdr, sizeof(hdr)) != 0) {
		pthread_mutex_lock(&t->mu);
		t->freelist[t->nfree++] = slot;
		pthread_mutex_unlock(&t->mu);
		close(fd);
		free(c->wbuf);
		free(c);
		return;
	}
	pthread_mutex_lock(&t->mu);
	t->slots[slot] = c;
	pthread_mutex_unlock(&t->mu);
	atomic_fetch_add(&in->conns, 1);
	/* the last step: from here another thread may own c */
	atomic_fetch_add_explicit(&c->handoff, 1, memory_order_release);
	ev.events =
	    (c->wlen > 0 ? EPOLLOUT : EPOLLIN | EPOLLRDHUP) | EPOLLONESHOT;
	ev.data.ptr = c;
	if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		atomic_fetch_sub(&in->conns, 1);
		pthread_mutex_lock(&t->mu);
		t->slots[slot] = NULL;
		t->freelist[t->nfree++] = slot;
		pthread_mutex_unlock(&t->mu);
		close(fd);
		free(c->wbuf);
		free(c);
	}
}

static void
arm_tag(struct ingest_tcp *t, int fd, void *tag)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT,
	                         .data.ptr = tag};

	epoll_ctl(t->epfd, EPOLL_CTL_MOD, fd, &ev);
}

static void
on_listen(struct ingest_tcp *t)
{
	for (int i = 0; i < ACCEPTS_PER_TURN; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(t->lfd, (struct sockaddr *)&ss, &sl,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			conn_new(t, fd, &ss);
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			/* re-arming now would spin on the same error: the
			 * timer re-arms the listener in a second */
			conn_log(t, "accept: %s; pausing for a second",
			         strerror(errno));
			atomic_store(&t->listen_paused, true);
			return;
		}
		/* ECONNABORTED and the like: that peer's loss only */
	}
	arm_tag(t, t->lfd, &tag_listen);
}

/* Whether since is more than limit ms before now.  Other threads stamp
 * times after now was read: a stamp in the future is not old. */
static bool
older(uint64_t now, uint64_t since, uint64_t limit)
{
	return since < now && now - since > limit;
}

/* Once a second: find connections past a deadline and shut them down;
 * each one's owner then sees the hang-up and frees it. */
static void
on_timer(struct ingest_tcp *t)
{
	uint64_t exp, now = clock_mono_ms();

	if (read(t->tfd, &exp, sizeof(exp)) < 0) {
		/* nothing to read: a spurious wake-up */
	}
	pthread_mutex_lock(&t->mu);
	for (unsigned i = 0; i < t->max_conns; i++) {
		struct conn *c = t->slots[i];
		int k = KILL_NONE;
		uint64_t partial;

		if (c == NULL || atomic_load(&c->kill) != KILL_NONE)
			continue;
		/* read once: the owner may finish the message (and store 0)
		 * between two reads, and 0 is older than any limit */
		partial = atomic_load(&c->partial_ms);
		if (!atomic_load(&c->up) &&
		    older(now, c->accepted_ms, t->handshake_ms))
			k = KILL_HANDSHAKE;
		else if (atomic_load(&c->wpending) &&
		         older(now, atomic_load(&c->last_tx_ms), t->stall_ms))
			k = KILL_STALL;
		else if (partial != 0 && older(now, partial, t->stall_ms))
			k = KILL_SLOW;
		else if (older(now, atomic_load(&c->last_rx_ms), t->idle_ms))
			k = KILL_IDLE;
		if (k != KILL_NONE) {
			atomic_store(&c->kill, k);
			shutdown(c->fd, SHUT_RDWR);
		}
	}
	pthread_mutex_unlock(&t->mu);
	if (atomic_exchange(&t->listen_paused, false))
		arm_tag(t, t->lfd, &tag_listen);
	arm_tag(t, t->tfd, &tag_timer);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct ingest_tcp *t = w->t;

	while (!atomic_load(&t->in->stopping)) {
		struct epoll_event ev;
		int n = epoll_wait(t->epfd, &ev, 1, -1);

		if (n <= 0)
			continue;
		if (ev.data.ptr == &tag_stop)
			break;
		if (ev.data.ptr == &tag_listen)
			on_listen(t);
		else if (ev.data.ptr == &tag_timer)
			on_timer(t);
		else {
			struct conn *c = ev.data.ptr;

			atomic_load_explicit(&c->handoff, memory_order_acquire);
			conn_event(w, c, ev.events);
		}
	}
	return NULL;
}

/* tcp://HOST:PORT into a bound, listening socket; 0 or -errno. */
static int
open_listener(struct ingest_tcp *t, const char *url, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
	                         .ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_PASSIVE | AI_NUMERICSERV},
	                *ai = NULL;
	const char *hp = url + 6, *colon = strrchr(hp, ':');
	char host[256], port[16];
	size_t hl = (size_t)(colon - hp);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int one = 1, rv, fd;

	if (hl >= 2 && hp[0] == '[' && hp[hl - 1] == ']') {
		hp++;
		hl -= 2;
	}
	if (hl >= sizeof(host) || strlen(colon + 1) == 0 ||
	    strlen(colon + 1) >= sizeof(port) ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1)) {
		snprintf(err, errlen, "listen %s: not tcp://HOST:PORT", url);
		return -EINVAL;
	}
	memcpy(host, hp, hl);
	host[hl] = '\0';
	util_strlcpy(port, colon + 1, sizeof(port));
	if ((rv = getaddrinfo(hl == 0 || strcmp(host, "*") == 0 ? NULL : host,
	                      port, &hints, &ai)) != 0) {
		snprintf(err, errlen, "listen %s: %s", url, gai_strerror(rv));
		return -EINVAL;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	            0);
	if (fd < 0) {
		rv = -errno;
		freeaddrinfo(ai);
		snprintf(err, errlen, "listen %s: %s", url, strerror(-rv));
		return rv;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* 10,000 pilots may connect at once after a restart */
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(fd, 4096) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		rv = -errno;
		close(fd);
		freeaddrinfo(ai);
		snprintf(err, errlen, "listen %s: %s", url, strerror(-rv));
		return rv == -EADDRINUSE || rv == -EACCES ? rv : -EIO;
	}
	freeaddrinfo(ai);
	t->lfd = fd;
	t->port = ntohs(ss.ss_family == AF_INET6
	                    ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                    : ((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

static int
add_fd(struct ingest_tcp *t, int fd, void *tag, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = tag};

	return epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev);
}

void
ingest_tcp_stop(struct ingest_tcp *t)
{
	uint64_t one = 1;

	if (t == NULL)
		return;
	atomic_store(&t->in->stopping, true);
	/* level-triggered and never read: every thread sees it */
	if (t->efd >= 0 && write(t->efd, &one, sizeof(one)) < 0) {
		/* an eventfd write of 1 cannot fail short of overflow */
	}
	for (unsigned i = 0; t->w && i < t->nthr; i++)
		if (t->w[i] && t->w[i]->started)
			pthread_join(t->w[i]->thr, NULL);
	for (unsigned i = 0; t->slots && i < t->max_conns; i++) {
		struct conn *c = t->slots[i];

		if (c == NULL)
			continue;
		close(c->fd);
		free(c->rbuf);
		free(c->wbuf);
		free(c);
	}
	for (unsigned i = 0; t->w && i < t->nthr; i++)
		free(t->w[i]);
	free(t->w);
	free(t->slots);
	free(t->freelist);
	if (t->lfd >= 0)
		close(t->lfd);
	if (t->tfd >= 0)
		close(t->tfd);
	if (t->efd >= 0)
		close(t->efd);
	if (t->epfd >= 0)
		close(t->epfd);
	if (t->mu_init) {
		pthread_mutex_destroy(&t->mu);
		pthread_mutex_destroy(&t->log_mu);
	}
	free(t);
}

int
ingest_tcp_start(struct ingest *in, const struct ingest_params *p, char *err,
                 size_t errlen)
{
	struct itimerspec its = {.it_interval = {1, 0}, .it_value = {1, 0}};
	struct ingest_tcp *t;
	size_t npilots = registry_count(p->reg);
	int rv;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	t->in = in;
	t->lfd = t->epfd = t->tfd = t->efd = -1;
	pthread_mutex_init(&t->mu, NULL);
	pthread_mutex_init(&t->log_mu, NULL);
	t->mu_init = true;
	t->handshake_ms = p->handshake_ms ? p->handshake_ms : DEF_HANDSHAKE_MS;
	t->idle_ms = p->idle_ms ? p->idle_ms : DEF_IDLE_MS;
	t->stall_ms = t->idle_ms < STALL_MS ? t->idle_ms : STALL_MS;
	/* a pilot redialling may briefly hold two connections */
	t->max_conns =
	    p->max_conns ? p->max_conns : (unsigned)(2 * npilots + 256);
	t->nthr = p->contexts ? p->contexts : INGEST_DEFAULT_CONTEXTS;
	if (t->nthr > MAX_THREADS)
		t->nthr = MAX_THREADS;
	if ((t->slots = calloc(t->max_conns, sizeof(*t->slots))) == NULL ||
	    (t->freelist = calloc(t->max_conns, sizeof(*t->freelist))) ==
	        NULL ||
	    (t->w = calloc(t->nthr, sizeof(*t->w))) == NULL) {
		snprintf(err, errlen, "out of memory");
		rv = -ENOMEM;
		goto fail;
	}
	for (unsigned i = 0; i < t->max_conns; i++)
		t->freelist[i] = t->max_conns - 1 - i;
	t->nfree = t->max_conns;
	if ((rv = open_listener(t, p->listen, err, errlen)) != 0)
		goto fail;
	if ((t->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (t->tfd = timerfd_create(CLOCK_MONOTONIC,
	                             TFD_NONBLOCK | TFD_CLOEXEC)) < 0 ||
	    (t->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    timerfd_settime(t->tfd, 0, &its, NULL) != 0 ||
	    add_fd(t, t->lfd, &tag_listen, EPOLLIN | EPOLLONESHOT) != 0 ||
	    add_fd(t, t->tfd, &tag_timer, EPOLLIN | EPOLLONESHOT) != 0 ||
	    add_fd(t, t->efd, &tag_stop, EPOLLIN) != 0) {
		rv = -errno;
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		goto fail;
	}
	for (unsigned i = 0; i < t->nthr; i++) {
		if ((t->w[i] = calloc(1, sizeof(*t->w[i]))) == NULL) {
			snprintf(err, errlen, "out of memory");
			rv = -ENOMEM;
			goto fail;
		}
		t->w[i]->t = t;
		if ((rv = pthread_create(&t->w[i]->thr, NULL, worker_main,
		                         t->w[i])) != 0) {
			snprintf(err, errlen, "thread: %s", strerror(rv));
			rv = -rv;
			goto fail;
		}
		t->w[i]->started = true;
	}
	in->tcp = t;
	return 0;
fail:
	ingest_tcp_stop(t);
	return rv;
}

int
ingest_tcp_port(struct ingest_tcp *t)
{
	return t->port;
}
