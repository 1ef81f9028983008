/*
 * ingest_test: the commander's endpoint in-process on a loopback port, fed
 * crafted frames through a real nng REQ socket.  Every kind of bad frame
 * (unlisted key, bad MAC, replay, reordered counter, stale or future
 * timestamp, oversized, truncated, garbage, undecodable, wrong type) must
 * get no reply, be counted under its reason, and leave the endpoint serving
 * a good pilot.  The suite runs against both endpoints: the epoll one that
 * serves tcp:// and nng's REP socket (the reference).  Then raw sockets
 * test what only the epoll endpoint parses itself: SP headers, lengths,
 * backtraces, byte-at-a-time input, pipelining, timeouts, a client that
 * never reads its replies, and the connection limit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "commander/ingest.h"
#include "commander/registry.h"
#include "common/keys.h"
#include "common/log.h"
#include "common/util.h"
#include "proto/codec.h"
#include "proto/envelope.h"
#include "tests/test.h"

static struct keys_identity cmd_id, good_id, other_id;
static struct env_peer good_peer, other_peer;
static struct registry *reg;
static struct ingest *in;
static nng_socket req;
static uint64_t counter = 1000;
static uint8_t frame[2 * ENV_MAX_FRAME];

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static size_t
seal_msg(const struct env_peer *peer, const uint8_t *pk,
         const struct proto_msg *m, uint64_t ctr, uint64_t ts,
         struct env_req_ctx *ctx)
{
	char json[CODEC_MAX_JSON];
	size_t jlen = 0, flen = 0;

	CHECK(codec_encode(m, json, sizeof(json), &jlen) == 0);
	CHECK(env_seal_request(peer, pk, ctr, ts, json, jlen, frame,
	                       sizeof(frame), &flen, ctx) == ENV_OK);
	return flen;
}

static void
hello_msg(struct proto_msg *m, const char *node)
{
	memset(m, 0, sizeof(*m));
	m->type = PROTO_HELLO;
	util_strlcpy(m->u.hello.node, node, sizeof(m->u.hello.node));
	util_strlcpy(m->u.hello.version, "test", sizeof(m->u.hello.version));
	m->u.hello.chain = CHAIN_COMETBFT;
	m->u.hello.role = ROLE_RPC;
	util_strlcpy(m->u.hello.network, "net-1", sizeof(m->u.hello.network));
}

static void
heartbeat_msg(struct proto_msg *m, uint64_t height)
{
	memset(m, 0, sizeof(*m));
	m->type = PROTO_HEARTBEAT;
	m->u.hb.seq = height;
	m->u.hb.st.time_ms = clock_wall_ms();
	m->u.hb.st.up = true;
	m->u.hb.st.reachable = true;
	m->u.hb.st.height = height;
}

/* Send len bytes of frame; a new send cancels any unanswered request. */
static void
send_raw(const void *buf, size_t len)
{
	CHECK(nng_send(req, (void *)buf, len, 0) == 0);
}

/* Await a reply for at most ms; 0 and the opened reply, or -1. */
static int
recv_reply(unsigned ms, const struct env_req_ctx *ctx, struct proto_msg *out)
{
	uint8_t pt[ENV_MAX_FRAME];
	size_t ptlen, sz;
	char *buf;
	int rc = -1;

	nng_socket_set_ms(req, NNG_OPT_RECVTIMEO, (nng_duration)ms);
	if (nng_recv(req, &buf, &sz, NNG_FLAG_ALLOC) != 0)
		return -1;
	if (env_open_reply(&good_peer, ctx, (uint8_t *)buf, sz, pt, sizeof(pt),
	                   &ptlen) == ENV_OK &&
	    codec_decode((char *)pt, ptlen, out, NULL, 0) == 0 &&
	    out->type == PROTO_REPLY)
		rc = 0;
	nng_free(buf, sz);
	return rc;
}

/* Poll until the drop count of why reaches want (deadline 5 s). */
static uint64_t
wait_drops(enum ingest_drop why, uint64_t want)
{
	struct ingest_stats st;

	for (int i = 0; i < 500; i++) {
		ingest_get_stats(in, &st);
		if (st.dropped[why] >= want)
			return st.dropped[why];
		sleep_ms(10);
	}
	return st.dropped[why];
}

static uint64_t
drops(enum ingest_drop why)
{
	struct ingest_stats st;

	ingest_get_stats(in, &st);
	return st.dropped[why];
}

/* A good pilot's message round trip; the reply status, or -1. */
static int
good_exchange(const struct proto_msg *m, struct proto_msg *reply)
{
	struct env_req_ctx ctx;
	size_t len = seal_msg(&good_peer, good_id.pk, m, ++counter,
	                      clock_wall_ms(), &ctx);

	send_raw(frame, len);
	if (recv_reply(3000, &ctx, reply) != 0)
		return -1;
	return reply->u.reply.status;
}

/* Expect: no reply, and one more drop counted under why. */
static void
expect_dropped(const void *buf, size_t len, enum ingest_drop why)
{
	struct env_req_ctx ctx;
	struct proto_msg reply;
	uint64_t before = drops(why);

	send_raw(buf, len);
	CHECKF(wait_drops(why, before + 1) == before + 1,
	       "reason %s: %llu drops, want %llu", ingest_drop_str(why),
	       (unsigned long long)drops(why),
	       (unsigned long long)(before + 1));
	memset(&ctx, 0, sizeof(ctx));
	CHECK(recv_reply(200, &ctx, &reply) != 0);
}

static void
test_heartbeat_before_hello(void)
{
	struct proto_msg m, r;

	heartbeat_msg(&m, 10);
	CHECK_EQ_INT(good_exchange(&m, &r), PROTO_ST_NEED_HELLO);
}

static void
test_hello_wrong_name(void)
{
	struct proto_msg m, r;

	hello_msg(&m, "impostor");
	CHECK_EQ_INT(good_exchange(&m, &r), PROTO_ST_UNKNOWN_NODE);
}

static void
test_good_pilot_served(void)
{
	struct proto_msg m, r;

	hello_msg(&m, "good");
	CHECK_EQ_INT(good_exchange(&m, &r), PROTO_ST_OK);
	heartbeat_msg(&m, 42);
	CHECK_EQ_INT(good_exchange(&m, &r), PROTO_ST_OK);
	/* the fleet median of one healthy node is its own height */
	heartbeat_msg(&m, 43);
	sleep_ms(600); /* the fleet median is cached for 500 ms */
	CHECK_EQ_INT(good_exchange(&m, &r), PROTO_ST_OK);
	CHECK_EQ_INT(r.u.reply.fleet_ref_height, 43);
}

static void
test_unlisted_key(void)
{
	struct env_req_ctx ctx;
	struct proto_msg m;
	size_t len;

	hello_msg(&m, "good");
	len =
	    seal_msg(&other_peer, other_id.pk, &m, 5000, clock_wall_ms(), &ctx);
	expect_dropped(frame, len, INGEST_DROP_UNKNOWN);
}

static void
test_bad_mac(void)
{
	struct env_req_ctx ctx;
	struct proto_msg m;
	size_t len;

	heartbeat_msg(&m, 44);
	len = seal_msg(&good_peer, good_id.pk, &m, ++counter, clock_wall_ms(),
	               &ctx);
	frame[len - 1] ^= 0x01; /* in the MAC */
	expect_dropped(frame, len, INGEST_DROP_AUTH);
	frame[len - 1] ^= 0x01;
	frame[len - 20] ^= 0x80; /* in the ciphertext */
	expect_dropped(frame, len, INGEST_DROP_AUTH);
	frame[len - 20] ^= 0x80;
	frame[44] ^= 0x01; /* in the counter: the header is authenticated */
	expect_dropped(frame, len, INGEST_DROP_AUTH);
}

static void
test_wrong_sender_key(void)
{
	struct env_req_ctx ctx;
	struct proto_msg m;
	size_t len;

	/* sealed by an unlisted pilot but claiming the good pilot's key */
	heartbeat_msg(&m, 44);
	len = seal_msg(&other_peer, good_id.pk, &m, ++counter, clock_wall_ms(),
	               &ctx);
	expect_dropped(frame, len, INGEST_DROP_AUTH);
}

static void
test_replay(void)
{
	struct env_req_ctx ctx;
	struct proto_msg m, r;
	uint8_t copy[ENV_MAX_FRAME];
	size_t len;

	heartbeat_msg(&m, 45);
	len = seal_msg(&good_peer, good_id.pk, &m, ++counter, clock_wall_ms(),
	               &ctx);
	memcpy(copy, frame, len);
	send_raw(frame, len);
	CHECK(recv_reply(3000, &ctx, &r) == 0);
	expect_dropped(copy, len, INGEST_DROP_REPLAY);
}

static void
test_reordered(void)
{
	struct env_req_ctx c1, c2;
	struct proto_msg m, r;
	uint8_t older[ENV_MAX_FRAME];
	size_t l1, l2;

	heartbeat_msg(&m, 46);
	l1 = seal_msg(&good_peer, good_id.pk, &m, counter + 5, clock_wall_ms(),
	              &c1);
	memcpy(older, frame, l1);
	l2 = seal_msg(&good_peer, good_id.pk, &m, counter + 10, clock_wall_ms(),
	              &c2);
	counter += 10;
	send_raw(frame, l2);
	CHECK(recv_reply(3000, &c2, &r) == 0);
	expect_dropped(older, l1, INGEST_DROP_REPLAY);
}

static void
test_stale(void)
{
	struct env_req_ctx ctx;
	struct proto_msg m;
	size_t len;

	heartbeat_msg(&m, 47);
	len = seal_msg(&good_peer, good_id.pk, &m, ++counter,
	               clock_wall_ms() - 10 * 60 * 1000, &ctx);
	expect_dropped(frame, len, INGEST_DROP_STALE);
	len = seal_msg(&good_peer, good_id.pk, &m, ++counter,
	               clock_wall_ms() + 10 * 60 * 1000, &ctx);
	expect_dropped(frame, len, INGEST_DROP_STALE);
}

static void
test_oversized(void)
{
	struct env_req_ctx ctx;
	struct proto_msg m;
	size_t len;

	/* a real header, then padding past the limit */
	heartbeat_msg(&m, 48);
	len = seal_msg(&good_peer, good_id.pk, &m, ++counter, clock_wall_ms(),
	               &ctx);
	memset(frame + len, 'x', ENV_MAX_FRAME + 1 - len);
	expect_dropped(frame, ENV_MAX_FRAME + 1, INGEST_DROP_SIZE);
}

static void
test_huge_cut_by_nng(void)
{
	struct proto_msg m, r;
	size_t big = 4 * ENV_MAX_FRAME;
	uint8_t *buf = calloc(1, big);
	int st = -1;

	/* nng refuses it before allocating and closes the connection; the
	 * endpoint must keep serving (the dialer reconnects) */
	send_raw(buf, big);
	free(buf);
	heartbeat_msg(&m, 49);
	for (int i = 0; i < 50 && st != PROTO_ST_OK; i++)
		st = good_exchange(&m, &r);
	CHECK_EQ_INT(st, PROTO_ST_OK);
}

static void
test_truncated(void)
{
	struct env_req_ctx ctx;
	struct proto_msg m;
	size_t len;

	heartbeat_msg(&m, 50);
	len = seal_msg(&good_peer, good_id.pk, &m, ++counter, clock_wall_ms(),
	               &ctx);
	expect_dropped(frame, len - 5, INGEST_DROP_AUTH);
	expect_dropped(frame, 20, INGEST_DROP_SIZE);
	expect_dropped(frame, 0, INGEST_DROP_SIZE);
}

static void
test_garbage(void)
{
	uint8_t junk[512];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 131 + 7);
	expect_dropped(junk, sizeof(junk), INGEST_DROP_FORMAT);
	/* a reply-direction frame sent to the commander */
	memcpy(junk, frame, 8);
	junk[5] ^= 0x03;
	expect_dropped(junk, sizeof(junk), INGEST_DROP_FORMAT);
}

static void
test_undecodable(void)
{
	struct env_req_ctx ctx;
	const char *bad[] = {"not json", "{\"v\":1,\"type\":\"heartbeat\"}",
	                     "{\"v\":99,\"type\":\"hello\"}", "[]"};
	size_t flen;

	for (size_t i = 0; i < UTIL_NELEM(bad); i++) {
		CHECK(env_seal_request(&good_peer, good_id.pk, ++counter,
		                       clock_wall_ms(), bad[i], strlen(bad[i]),
		                       frame, sizeof(frame), &flen,
		                       &ctx) == ENV_OK);
		expect_dropped(frame, flen, INGEST_DROP_DECODE);
	}
}

static void
test_wrong_type(void)
{
	struct env_req_ctx ctx;
	struct proto_msg m;
	size_t len;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_REPLY;
	len = seal_msg(&good_peer, good_id.pk, &m, ++counter, clock_wall_ms(),
	               &ctx);
	expect_dropped(frame, len, INGEST_DROP_TYPE);
}

static void
test_still_serving(void)
{
	struct proto_msg m, r;
	struct ingest_stats st;
	uint64_t total = 0;

	heartbeat_msg(&m, 60);
	CHECK_EQ_INT(good_exchange(&m, &r), PROTO_ST_OK);
	/* nng counts a reply when its send completes, which may be just
	 * after the reply arrived here */
	for (int k = 0; k < 200; k++) {
		ingest_get_stats(in, &st);
		total = 0;
		for (int i = 0; i < INGEST_DROP__COUNT; i++)
			total += st.dropped[i];
		if (st.received == st.replied + total)
			break;
		sleep_ms(10);
	}
	/* every frame either answered or dropped, nothing lost */
	CHECKF(st.received == st.replied + total,
	       "received %llu replied %llu dropped %llu send_failed %llu",
	       (unsigned long long)st.received, (unsigned long long)st.replied,
	       (unsigned long long)total, (unsigned long long)st.send_failed);
	CHECK_EQ_INT(st.dropped[INGEST_DROP_INTERNAL], 0);
}

/* ---- the epoll endpoint's own wire handling, from a raw socket ---- */

static const uint8_t sp_req[8] = {0, 'S', 'P', 0, 0, 0x30, 0, 0};
static const uint8_t sp_rep[8] = {0, 'S', 'P', 0, 0, 0x31, 0, 0};

static int
raw_dial(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons((uint16_t)port)};
	struct timeval tv = {3, 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
put_be(uint8_t *b, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

static uint64_t
get_be(const uint8_t *b, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | b[i];
	return v;
}

static bool
write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);

		if (w <= 0)
			return false;
		p += w;
		len -= (size_t)w;
	}
	return true;
}

/* Read exactly len bytes (3 s timeout); false on EOF, error or timeout. */
static bool
read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t r = recv(fd, p, len, 0);

		if (r <= 0)
			return false;
		p += r;
		len -= (size_t)r;
	}
	return true;
}

/* Whether the commander closed fd within ms (after whatever it sent). */
static bool
closed_within(int fd, unsigned ms)
{
	struct timeval tv = {ms / 1000, (long)(ms % 1000) * 1000};
	uint8_t junk[4096];
	ssize_t r;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while ((r = recv(fd, junk, sizeof(junk), 0)) > 0)
		;
	return r == 0 || (r < 0 && errno == ECONNRESET);
}

/* An SP message: length, backtrace (nbt words, the last the id), body. */
static size_t
sp_msg(uint8_t *out, const uint32_t *bt, size_t nbt, const void *body,
       size_t blen)
{
	put_be(out, 4 * nbt + blen, 8);
	for (size_t i = 0; i < nbt; i++)
		put_be(out + 8 + 4 * i, bt[i], 4);
	memcpy(out + 8 + 4 * nbt, body, blen);
	return 8 + 4 * nbt + blen;
}

/* Read one SP reply on fd: check its backtrace is bt, open its body. */
static int
raw_reply(int fd, const uint32_t *bt, size_t nbt, const struct env_req_ctx *ctx,
          struct proto_msg *out)
{
	static uint8_t buf[ENV_MAX_FRAME + 64], pt[ENV_MAX_FRAME];
	size_t len, ptlen;

	if (!read_all(fd, buf, 8) || (len = get_be(buf, 8)) > sizeof(buf) ||
	    len < 4 * nbt || !read_all(fd, buf, len))
		return -1;
	for (size_t i = 0; i < nbt; i++)
		if (get_be(buf + 4 * i, 4) != bt[i])
			return -2;
	if (env_open_reply(&good_peer, ctx, buf + 4 * nbt, len - 4 * nbt, pt,
	                   sizeof(pt), &ptlen) != ENV_OK ||
	    codec_decode((char *)pt, ptlen, out, NULL, 0) != 0)
		return -3;
	return 0;
}

static struct ingest *raw_in;
static int raw_port;

static uint64_t
raw_drops(enum ingest_drop why)
{
	struct ingest_stats st;

	ingest_get_stats(raw_in, &st);
	return st.dropped[why];
}

static uint64_t
raw_wait_drops(enum ingest_drop why, uint64_t want)
{
	for (int i = 0; i < 300 && raw_drops(why) < want; i++)
		sleep_ms(10);
	return raw_drops(why);
}

/* Our REP header is the first thing the endpoint sends. */
static int
raw_open(void)
{
	uint8_t h[8];
	int fd = raw_dial(raw_port);

	if (fd < 0)
		return -1;
	if (!read_all(fd, h, 8) || memcmp(h, sp_rep, 8) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
test_tcp_not_sp(void)
{
	uint64_t before = raw_drops(INGEST_DROP_FORMAT);
	const char *http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	int fd = raw_open();

	CHECK(fd >= 0);
	CHECK(write_all(fd, http, strlen(http)));
	CHECK(closed_within(fd, 3000));
	CHECK(raw_wait_drops(INGEST_DROP_FORMAT, before + 1) == before + 1);
	close(fd);
}

static void
test_tcp_wrong_protocol(void)
{
	uint64_t before = raw_drops(INGEST_DROP_FORMAT);
	int fd = raw_open();

	/* another REP (or anything but a REQ) */
	CHECK(write_all(fd, sp_rep, 8));
	CHECK(closed_within(fd, 3000));
	CHECK(raw_wait_drops(INGEST_DROP_FORMAT, before + 1) == before + 1);
	close(fd);
}

static void
test_tcp_huge_length(void)
{
	uint64_t before = raw_drops(INGEST_DROP_SIZE);
	uint8_t len[8];
	int fd = raw_open();

	/* 2^64 - 1 bytes announced: refused before any allocation */
	memset(len, 0xff, sizeof(len));
	CHECK(write_all(fd, sp_req, 8) && write_all(fd, len, 8));
	CHECK(closed_within(fd, 3000));
	CHECK(raw_wait_drops(INGEST_DROP_SIZE, before + 1) == before + 1);
	close(fd);
}

static void
test_tcp_no_request_id(void)
{
	static const uint32_t hops[2] = {1, 2}; /* no top bit: no id */
	uint64_t before = raw_drops(INGEST_DROP_FORMAT);
	uint8_t m[64];
	int fd = raw_open();

	CHECK(write_all(fd, sp_req, 8) &&
	      write_all(fd, m, sp_msg(m, hops, 2, "", 0)));
	CHECK(closed_within(fd, 3000));
	CHECK(raw_wait_drops(INGEST_DROP_FORMAT, before + 1) == before + 1);
	close(fd);
}

/* A good heartbeat sealed into frame; its length. */
static size_t
raw_heartbeat(uint64_t height, struct env_req_ctx *ctx)
{
	struct proto_msg m;

	heartbeat_msg(&m, height);
	return seal_msg(&good_peer, good_id.pk, &m, ++counter, clock_wall_ms(),
	                ctx);
}

static void
test_tcp_hops_and_partial(void)
{
	/* through two devices: the reply must carry all three words back */
	static const uint32_t bt[3] = {7, 9, 0x80000123u};
	static uint8_t m[ENV_MAX_FRAME + 64];
	struct env_req_ctx ctx;
	struct proto_msg r;
	size_t len = raw_heartbeat(70, &ctx), n;
	int fd = raw_open();
	bool ok = true;

	n = sp_msg(m, bt, 3, frame, len);
	/* one byte per write: every read boundary the endpoint can meet */
	ok = write_all(fd, sp_req, 8);
	for (size_t i = 0; ok && i < n; i++)
		ok = write_all(fd, m + i, 1);
	CHECK(ok);
	CHECK_EQ_INT(raw_reply(fd, bt, 3, &ctx, &r), 0);
	CHECK_EQ_INT(r.u.reply.status, PROTO_ST_OK);
	close(fd);
}

static void
test_tcp_too_many_hops(void)
{
	uint32_t bt[10];
	static uint8_t m[ENV_MAX_FRAME + 64];
	struct env_req_ctx ctx;
	struct proto_msg r;
	uint64_t before = raw_drops(INGEST_DROP_FORMAT);
	size_t len;
	int fd = raw_open();

	/* nine hops is over nng's default TTL of 8: dropped, but the
	 * connection stays up for the next request */
	for (int i = 0; i < 9; i++)
		bt[i] = (uint32_t)i + 1;
	bt[8] |= 0x80000000u;
	len = raw_heartbeat(71, &ctx);
	CHECK(write_all(fd, sp_req, 8) &&
	      write_all(fd, m, sp_msg(m, bt, 9, frame, len)));
	CHECK(raw_wait_drops(INGEST_DROP_FORMAT, before + 1) == before + 1);
	bt[0] = 0x80000456u;
	len = raw_heartbeat(72, &ctx);
	CHECK(write_all(fd, m, sp_msg(m, bt, 1, frame, len)));
	CHECK_EQ_INT(raw_reply(fd, bt, 1, &ctx, &r), 0);
	close(fd);
}

static void
test_tcp_pipelined(void)
{
	static uint8_t m[3 * (ENV_MAX_FRAME + 64)];
	struct env_req_ctx ctx[3];
	struct proto_msg r;
	uint32_t id[3];
	size_t n = 0;
	int fd = raw_open();

	/* three requests in one write, answered in order */
	for (int i = 0; i < 3; i++) {
		size_t len = raw_heartbeat(80 + (uint64_t)i, &ctx[i]);

		id[i] = 0x80000010u + (uint32_t)i;
		n += sp_msg(m + n, &id[i], 1, frame, len);
	}
	CHECK(write_all(fd, sp_req, 8) && write_all(fd, m, n));
	for (int i = 0; i < 3; i++)
		CHECKF(raw_reply(fd, &id[i], 1, &ctx[i], &r) == 0, "reply %d",
		       i);
	close(fd);
}

static void
test_tcp_handshake_timeout(void)
{
	struct ingest_stats st;
	uint64_t before;
	int fd;

	ingest_get_stats(raw_in, &st);
	before = st.conns_timed_out;
	fd = raw_open(); /* and then say nothing */
	CHECK(fd >= 0);
	/* handshake_ms is 500 here; the timer looks once a second */
	CHECK(closed_within(fd, 4000));
	/* counted when its owner thread frees it, just after the close */
	for (int i = 0; i < 300; i++) {
		ingest_get_stats(raw_in, &st);
		if (st.conns_timed_out > before)
			break;
		sleep_ms(10);
	}
	CHECK(st.conns_timed_out == before + 1);
	close(fd);
}

/*
 * A client that sends and never reads: the endpoint stops reading it once
 * its replies back up, keeps serving others meanwhile, and closes it when
 * no reply has moved for the stall time (idle_ms, 1.5 s here).
 */
static void
test_tcp_backpressure(void)
{
	static uint8_t m[ENV_MAX_FRAME + 64];
	struct ingest_stats st, st2;
	struct env_req_ctx ctx;
	struct proto_msg r;
	uint32_t id = 0x80000001u;
	int small = 4096, fd, fd2, sent = 0;
	uint64_t t0;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	{
		struct sockaddr_in sa = {.sin_family = AF_INET,
		                         .sin_port = htons((uint16_t)raw_port)};

		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		CHECK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	}
	CHECK(write_all(fd, sp_req, 8));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	/* send until our own socket will take no more for 300 ms */
	t0 = clock_mono_ms();
	while (clock_mono_ms() - t0 < 300 && sent < 200000) {
		size_t len = raw_heartbeat(90, &ctx),
		       n = sp_msg(m, &id, 1, frame, len);
		ssize_t w = send(fd, m, n, MSG_NOSIGNAL);

		if (w == (ssize_t)n) {
			sent++;
			t0 = clock_mono_ms();
			continue;
		}
		if (w > 0)
			break; /* the rest would block: we are stuck anyway */
		sleep_ms(5);
	}
	CHECKF(sent > 100, "only %d requests went out", sent);
	/* the endpoint stopped answering it: replied stops moving */
	ingest_get_stats(raw_in, &st2);
	t0 = clock_mono_ms();
	do {
		st = st2;
		sleep_ms(300);
		ingest_get_stats(raw_in, &st2);
	} while (st2.replied != st.replied && clock_mono_ms() - t0 < 10000);
	CHECKF(st2.replied == st.replied, "replied %llu then %llu",
	       (unsigned long long)st.replied, (unsigned long long)st2.replied);
	CHECKF(st2.replied < st2.received || st2.replied < (uint64_t)sent,
	       "all %d requests answered into a socket nobody reads", sent);
	/* another pilot is served meanwhile */
	fd2 = raw_open();
	CHECK(fd2 >= 0);
	{
		uint32_t id2 = 0x80000777u;
		size_t len = raw_heartbeat(91, &ctx);

		CHECK(write_all(fd2, sp_req, 8) &&
		      write_all(fd2, m, sp_msg(m, &id2, 1, frame, len)));
		CHECK_EQ_INT(raw_reply(fd2, &id2, 1, &ctx, &r), 0);
	}
	close(fd2);
	/* and the stalled one is closed */
	ingest_get_stats(raw_in, &st);
	for (int i = 0; i < 400 && st.conns_timed_out == st2.conns_timed_out;
	     i++) {
		sleep_ms(10);
		ingest_get_stats(raw_in, &st);
	}
	CHECK(st.conns_timed_out > st2.conns_timed_out);
	close(fd);
}

/* Half a message, then silence: closed once the message has taken longer
 * than the stall time (idle_ms, 1.5 s here). */
static void
test_tcp_slow_message(void)
{
	static uint8_t m[ENV_MAX_FRAME + 64];
	struct env_req_ctx ctx;
	struct ingest_stats st;
	uint32_t id = 0x80000042u;
	uint64_t before;
	size_t n;
	int fd = raw_open();

	ingest_get_stats(raw_in, &st);
	before = st.conns_timed_out;
	n = sp_msg(m, &id, 1, frame, raw_heartbeat(95, &ctx));
	CHECK(write_all(fd, sp_req, 8) && write_all(fd, m, n / 2));
	CHECK(closed_within(fd, 5000));
	for (int i = 0; i < 300 && st.conns_timed_out == before; i++) {
		sleep_ms(10);
		ingest_get_stats(raw_in, &st);
	}
	CHECK(st.conns_timed_out == before + 1);
	close(fd);
}

static void
test_tcp_max_conns(void)
{
	struct ingest_stats st;
	int fd[6], n = 0;
	uint64_t before;

	/* the earlier tests' connections leave the server's slots
	 * asynchronously; start from an empty endpoint (deadline 5 s) */
	for (int i = 0; i < 500; i++) {
		ingest_get_stats(raw_in, &st);
		if (st.conns == 0)
			break;
		sleep_ms(10);
	}
	CHECKF(st.conns == 0, "%llu connections still open",
	       (unsigned long long)st.conns);
	before = st.conns_refused;
	/* max_conns is 4: some of six are refused (closed at once) */
	for (int i = 0; i < 6; i++)
		fd[i] = raw_dial(raw_port);
	for (int i = 0; i < 6; i++) {
		uint8_t h[8];

		if (fd[i] >= 0 && read_all(fd[i], h, 8))
			n++;
	}
	CHECKF(n == 4, "%d of 6 connections served, want 4", n);
	ingest_get_stats(raw_in, &st);
	CHECK(st.conns_refused == before + 2);
	for (int i = 0; i < 6; i++)
		if (fd[i] >= 0)
			close(fd[i]);
}

static struct registry *
new_registry(void)
{
	char err[256], line[KEYS_PUB_LINE_MAX], text[512];
	struct registry *r;

	snprintf(text, sizeof(text), "# test\n%s\n",
	         keys_format_public(good_id.pk, "good", line, sizeof(line)));
	if ((r = registry_parse("authorized", text, cmd_id.sk, err,
	                        sizeof(err))) == NULL)
		printf("FAIL setup: %s\n", err);
	return r;
}

/* The frame-level suite against one endpoint (nng's or ours). */
static int
run_suite(bool use_nng)
{
	char err[256], url[64];
	struct ingest_params p;

	printf("# %s endpoint\n", use_nng ? "nng" : "epoll");
	if ((reg = new_registry()) == NULL)
		return -1;
	memset(&p, 0, sizeof(p));
	p.listen = "tcp://127.0.0.1:0";
	p.contexts = 4;
	p.window_ms = 60000;
	p.reg = reg;
	p.id = &cmd_id;
	p.use_nng = use_nng;
	if (ingest_start(&p, &in, err, sizeof(err)) != 0) {
		printf("FAIL setup: %s\n", err);
		return -1;
	}
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", ingest_port(in));
	if (nng_req0_open(&req) != 0 ||
	    nng_socket_set_ms(req, NNG_OPT_REQ_RESENDTIME,
	                      NNG_DURATION_INFINITE) != 0 ||
	    nng_socket_set_ms(req, NNG_OPT_RECONNMINT, 20) != 0 ||
	    nng_socket_set_ms(req, NNG_OPT_SENDTIMEO, 3000) != 0 ||
	    nng_dial(req, url, NULL, 0) != 0) {
		printf("FAIL setup: cannot dial %s\n", url);
		return -1;
	}

	RUN(test_heartbeat_before_hello);
	RUN(test_hello_wrong_name);
	RUN(test_good_pilot_served);
	RUN(test_unlisted_key);
	RUN(test_bad_mac);
	RUN(test_wrong_sender_key);
	RUN(test_replay);
	RUN(test_reordered);
	RUN(test_stale);
	RUN(test_oversized);
	RUN(test_truncated);
	RUN(test_garbage);
	RUN(test_undecodable);
	RUN(test_wrong_type);
	RUN(test_huge_cut_by_nng);
	RUN(test_still_serving);

	nng_close(req);
	ingest_stop(in);
	in = NULL;
	registry_free(reg);
	reg = NULL;
	return 0;
}

static int
run_raw(void)
{
	char err[256];
	struct ingest_params p;
	struct proto_msg m, r;

	printf("# epoll endpoint, raw sockets\n");
	if ((reg = new_registry()) == NULL)
		return -1;
	memset(&p, 0, sizeof(p));
	p.listen = "tcp://127.0.0.1:0";
	p.contexts = 2;
	p.window_ms = 60000;
	p.reg = reg;
	p.id = &cmd_id;
	p.handshake_ms = 500;
	p.idle_ms = 1500;
	p.max_conns = 4;
	if (ingest_start(&p, &raw_in, err, sizeof(err)) != 0) {
		printf("FAIL setup: %s\n", err);
		return -1;
	}
	raw_port = ingest_port(raw_in);
	/* say hello once so heartbeats are answered OK */
	{
		struct env_req_ctx ctx;
		uint32_t id = 0x80000001u;
		static uint8_t msg[ENV_MAX_FRAME + 64];
		size_t len;
		int fd = raw_open();

		hello_msg(&m, "good");
		len = seal_msg(&good_peer, good_id.pk, &m, ++counter,
		               clock_wall_ms(), &ctx);
		if (fd < 0 || !write_all(fd, sp_req, 8) ||
		    !write_all(fd, msg, sp_msg(msg, &id, 1, frame, len)) ||
		    raw_reply(fd, &id, 1, &ctx, &r) != 0) {
			printf("FAIL setup: raw hello\n");
			return -1;
		}
		close(fd);
	}
	RUN(test_tcp_not_sp);
	RUN(test_tcp_wrong_protocol);
	RUN(test_tcp_huge_length);
	RUN(test_tcp_no_request_id);
	RUN(test_tcp_hops_and_partial);
	RUN(test_tcp_too_many_hops);
	RUN(test_tcp_pipelined);
	RUN(test_tcp_handshake_timeout);
	RUN(test_tcp_backpressure);
	RUN(test_tcp_slow_message);
	RUN(test_tcp_max_conns);
	ingest_stop(raw_in);
	registry_free(reg);
	reg = NULL;
	return 0;
}

int
main(void)
{
	/* drop logs go to stderr; keep them for reading a failure */
	log_init("ingest_test", 1, 0);
	if (keys_init() != 0 || keys_generate(&cmd_id) != 0 ||
	    keys_generate(&good_id) != 0 || keys_generate(&other_id) != 0)
		return 1;
	if (env_peer_init(&good_peer, good_id.sk, cmd_id.pk) != 0 ||
	    env_peer_init(&other_peer, other_id.sk, cmd_id.pk) != 0)
		return 1;
	if (run_suite(false) != 0 || run_suite(true) != 0 || run_raw() != 0)
		return 1;
	env_peer_wipe(&good_peer);
	env_peer_wipe(&other_peer);
	keys_wipe(&cmd_id);
	keys_wipe(&good_id);
	keys_wipe(&other_id);
	return TEST_END();
}
