/*
 * ingest_test: the commander's endpoint in-process on a loopback port, fed
 * crafted frames through a real nng REQ socket.  Every kind of bad frame
 * (unlisted key, bad MAC, replay, reordered counter, stale or future
 * timestamp, oversized, truncated, garbage, undecodable, wrong type) must
 * get no reply, be counted under its reason, and leave the endpoint serving
 * a good pilot.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	ingest_get_stats(in, &st);
	for (int i = 0; i < INGEST_DROP__COUNT; i++)
		total += st.dropped[i];
	/* every frame either answered or dropped, nothing lost */
	CHECKF(st.received == st.replied + total,
	       "received %llu replied %llu dropped %llu",
	       (unsigned long long)st.received, (unsigned long long)st.replied,
	       (unsigned long long)total);
	CHECK_EQ_INT(st.dropped[INGEST_DROP_INTERNAL], 0);
}

int
main(void)
{
	char err[256], line[KEYS_PUB_LINE_MAX], text[512], url[64];
	struct ingest_params p;

	/* drop logs go to stderr; keep them for reading a failure */
	log_init("ingest_test", 1, 0);
	if (keys_init() != 0 || keys_generate(&cmd_id) != 0 ||
	    keys_generate(&good_id) != 0 || keys_generate(&other_id) != 0)
		return 1;
	snprintf(text, sizeof(text), "# test\n%s\n",
	         keys_format_public(good_id.pk, "good", line, sizeof(line)));
	if ((reg = registry_parse("authorized", text, cmd_id.sk, err,
	                          sizeof(err))) == NULL) {
		printf("FAIL setup: %s\n", err);
		return 1;
	}
	if (env_peer_init(&good_peer, good_id.sk, cmd_id.pk) != 0 ||
	    env_peer_init(&other_peer, other_id.sk, cmd_id.pk) != 0)
		return 1;
	memset(&p, 0, sizeof(p));
	p.listen = "tcp://127.0.0.1:0";
	p.contexts = 4;
	p.window_ms = 60000;
	p.reg = reg;
	p.id = &cmd_id;
	if (ingest_start(&p, &in, err, sizeof(err)) != 0) {
		printf("FAIL setup: %s\n", err);
		return 1;
	}
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", ingest_port(in));
	if (nng_req0_open(&req) != 0 ||
	    nng_socket_set_ms(req, NNG_OPT_REQ_RESENDTIME,
	                      NNG_DURATION_INFINITE) != 0 ||
	    nng_socket_set_ms(req, NNG_OPT_RECONNMINT, 20) != 0 ||
	    nng_socket_set_ms(req, NNG_OPT_SENDTIMEO, 3000) != 0 ||
	    nng_dial(req, url, NULL, 0) != 0) {
		printf("FAIL setup: cannot dial %s\n", url);
		return 1;
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
	registry_free(reg);
	env_peer_wipe(&good_peer);
	env_peer_wipe(&other_peer);
	keys_wipe(&cmd_id);
	keys_wipe(&good_id);
	keys_wipe(&other_id);
	return TEST_END();
}
