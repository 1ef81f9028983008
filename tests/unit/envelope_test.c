/*
 * envelope_test: a sealed frame opens only at the right peer, unchanged,
 * once, in order, in time, and a reply only for the request it answers.
 */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>

#include "proto/envelope.h"
#include "tests/test.h"

#define NOW    1700000000000ULL
#define WINDOW 30000ULL

struct id {
	uint8_t pk[ENV_PK_BYTES], sk[ENV_SK_BYTES];
};

static struct id cmdr, cmdr2, pilot, pilot2;
/* pilot side: to the commander; commander side: from each pilot */
static struct env_peer p_to_c, p_to_c2, p2_to_c, c_from_p, c_from_p2;

static const char msg[] = "{\"v\":1,\"type\":\"heartbeat\"}";

static uint8_t frame[ENV_MAX_FRAME + 64], frame2[ENV_MAX_FRAME + 64];
static uint8_t pt[ENV_MAX_FRAME];

static void
mkid(struct id *id, uint8_t fill)
{
	uint8_t seed[crypto_sign_SEEDBYTES];

	memset(seed, fill, sizeof(seed));
	crypto_sign_seed_keypair(id->pk, id->sk, seed);
}

static void
setup(void)
{
	if (sodium_init() < 0)
		abort();
	mkid(&cmdr, 1);
	mkid(&cmdr2, 2);
	mkid(&pilot, 3);
	mkid(&pilot2, 4);
	if (env_peer_init(&p_to_c, pilot.sk, cmdr.pk) != 0 ||
	    env_peer_init(&p_to_c2, pilot.sk, cmdr2.pk) != 0 ||
	    env_peer_init(&p2_to_c, pilot2.sk, cmdr.pk) != 0 ||
	    env_peer_init(&c_from_p, cmdr.sk, pilot.pk) != 0 ||
	    env_peer_init(&c_from_p2, cmdr.sk, pilot2.pk) != 0)
		abort();
}

/* A request from pilot to cmdr: counter, time. */
static size_t
request(uint64_t counter, uint64_t t, struct env_req_ctx *ctx)
{
	size_t len = 0;
	enum env_err rc =
	    env_seal_request(&p_to_c, pilot.pk, counter, t, msg, sizeof(msg),
	                     frame, sizeof(frame), &len, ctx);

	CHECK_EQ_INT(rc, ENV_OK);
	return len;
}

static enum env_err
open_req(const uint8_t *f, size_t len, uint64_t *last, struct env_req_ctx *ctx)
{
	size_t n = 0;

	return env_open_request(&c_from_p, last, NOW, WINDOW, f, len, pt,
	                        sizeof(pt), &n, ctx);
}

static void
test_shared_key_symmetric(void)
{
	CHECK(sodium_memcmp(p_to_c.key, c_from_p.key, 32) == 0);
	CHECK(sodium_memcmp(p_to_c.key, p2_to_c.key, 32) != 0);
	CHECK(sodium_memcmp(p_to_c.key, p_to_c2.key, 32) != 0);
	CHECK(memcmp(p_to_c.ed_pk, cmdr.pk, ENV_PK_BYTES) == 0);
}

static void
test_roundtrip(void)
{
	struct env_req_ctx pctx, cctx;
	uint8_t sender[ENV_PK_BYTES], rbuf[1024];
	uint64_t last = 0;
	size_t len, rlen = 0, n = 0;
	static const char answer[] =
	    "{\"v\":1,\"type\":\"reply\",\"status\":0}";

	len = request(7, NOW, &pctx);
	CHECK_EQ_INT(len, sizeof(msg) + ENV_REQ_OVERHEAD);
	CHECK_EQ_INT(env_request_sender(frame, len, sender), ENV_OK);
	CHECK(memcmp(sender, pilot.pk, ENV_PK_BYTES) == 0);
	CHECK_EQ_INT(env_open_request(&c_from_p, &last, NOW, WINDOW, frame, len,
	                              pt, sizeof(pt), &n, &cctx),
	             ENV_OK);
	CHECK_EQ_INT(n, sizeof(msg));
	CHECK(memcmp(pt, msg, sizeof(msg)) == 0);
	CHECK(last == 7);
	CHECK(cctx.counter == 7 && pctx.counter == 7);
	CHECK(memcmp(cctx.nonce, pctx.nonce, ENV_NONCE_BYTES) == 0);

	CHECK_EQ_INT(env_seal_reply(&c_from_p, cmdr.pk, &cctx, NOW + 5, answer,
	                            sizeof(answer), rbuf, sizeof(rbuf), &rlen),
	             ENV_OK);
	CHECK_EQ_INT(rlen, sizeof(answer) + ENV_REP_OVERHEAD);
	CHECK(rlen <= sizeof(answer) + env_overhead());
	memset(pt, 0, sizeof(answer));
	CHECK_EQ_INT(
	    env_open_reply(&p_to_c, &pctx, rbuf, rlen, pt, sizeof(pt), &n),
	    ENV_OK);
	CHECK_EQ_INT(n, sizeof(answer));
	CHECK(memcmp(pt, answer, sizeof(answer)) == 0);

	/* an empty plaintext is a valid frame too */
	CHECK_EQ_INT(env_seal_request(&p_to_c, pilot.pk, 8, NOW, "", 0, frame,
	                              sizeof(frame), &len, &pctx),
	             ENV_OK);
	CHECK_EQ_INT(open_req(frame, len, &last, &cctx), ENV_OK);
}

/* The same plaintext sealed twice gives different frames (random nonce). */
static void
test_fresh_nonce(void)
{
	struct env_req_ctx a, b;
	size_t len = request(1, NOW, &a);

	memcpy(frame2, frame, len);
	request(1, NOW, &b);
	CHECK(memcmp(a.nonce, b.nonce, ENV_NONCE_BYTES) != 0);
	CHECK(memcmp(frame2 + ENV_REQ_HDR, frame + ENV_REQ_HDR,
	             len - ENV_REQ_HDR) != 0);
}

/* Flip each byte of a request: the header's fixed prefix is a format
 * error, anything after it (sender, counter, time, nonce, ciphertext,
 * MAC) fails authentication. */
static void
test_tamper_request(void)
{
	struct env_req_ctx ctx, cctx;
	size_t len = request(5, NOW, &ctx), i;
	int wrong = 0;

	for (i = 0; i < len; i++) {
		uint64_t last = 0;
		enum env_err want = i < 8 ? ENV_E_FORMAT : ENV_E_AUTH, rc;

		memcpy(frame2, frame, len);
		frame2[i] ^= 0x20;
		rc = open_req(frame2, len, &last, &cctx);
		if (rc != want) {
			if (wrong++ < 5)
				printf("  byte %zu: %s\n", i, env_strerror(rc));
		}
		CHECK(last == 0);
	}
	CHECK_EQ_INT(wrong, 0);
}

static void
test_tamper_reply(void)
{
	struct env_req_ctx pctx, cctx;
	uint64_t last = 0;
	size_t len = request(5, NOW, &pctx), rlen, n, i;
	int wrong = 0;

	CHECK_EQ_INT(open_req(frame, len, &last, &cctx), ENV_OK);
	CHECK_EQ_INT(env_seal_reply(&c_from_p, cmdr.pk, &cctx, NOW, msg,
	                            sizeof(msg), frame, sizeof(frame), &rlen),
	             ENV_OK);
	for (i = 0; i < rlen; i++) {
		enum env_err want = i < 8 ? ENV_E_FORMAT : ENV_E_AUTH, rc;

		memcpy(frame2, frame, rlen);
		frame2[i] ^= 0x01;
		rc = env_open_reply(&p_to_c, &pctx, frame2, rlen, pt,
		                    sizeof(pt), &n);
		if (rc != want && wrong++ < 5)
			printf("  byte %zu: %s\n", i, env_strerror(rc));
	}
	CHECK_EQ_INT(wrong, 0);
}

/* Short frames are refused by size (or by format once the prefix is
 * there and wrong); longer truncations lose the MAC. */
static void
test_truncated(void)
{
	struct env_req_ctx ctx, cctx;
	size_t len = request(5, NOW, &ctx), n;
	uint8_t pk[ENV_PK_BYTES];
	int wrong = 0;

	for (n = 0; n < len; n++) {
		uint64_t last = 0;
		enum env_err rc = open_req(frame, n, &last, &cctx);
		enum env_err want =
		    n < ENV_REQ_OVERHEAD ? ENV_E_SIZE : ENV_E_AUTH;

		if (rc != want && wrong++ < 5)
			printf("  length %zu: %s\n", n, env_strerror(rc));
		if (n < ENV_REQ_OVERHEAD &&
		    env_request_sender(frame, n, pk) != ENV_E_SIZE)
			wrong++;
	}
	CHECK_EQ_INT(wrong, 0);
}

/* A pilot that seals for another commander key cannot be read here. */
static void
test_wrong_commander_key(void)
{
	struct env_req_ctx ctx, cctx;
	uint64_t last = 0;
	size_t len = 0;

	CHECK_EQ_INT(env_seal_request(&p_to_c2, pilot.pk, 1, NOW, msg,
	                              sizeof(msg), frame, sizeof(frame), &len,
	                              &ctx),
	             ENV_OK);
	CHECK_EQ_INT(open_req(frame, len, &last, &cctx), ENV_E_AUTH);
	CHECK(last == 0);
}

/* A reply from another commander key is refused by the pilot. */
static void
test_reply_from_wrong_commander(void)
{
	struct env_peer c2_from_p;
	struct env_req_ctx pctx;
	size_t len, n;

	request(1, NOW, &pctx);
	CHECK_EQ_INT(env_peer_init(&c2_from_p, cmdr2.sk, pilot.pk), 0);
	/* claiming its own key: not the pinned one */
	CHECK_EQ_INT(env_seal_reply(&c2_from_p, cmdr2.pk, &pctx, NOW, msg,
	                            sizeof(msg), frame, sizeof(frame), &len),
	             ENV_OK);
	CHECK_EQ_INT(
	    env_open_reply(&p_to_c, &pctx, frame, len, pt, sizeof(pt), &n),
	    ENV_E_AUTH);
	/* claiming the real commander's key: the MAC fails */
	CHECK_EQ_INT(env_seal_reply(&c2_from_p, cmdr.pk, &pctx, NOW, msg,
	                            sizeof(msg), frame, sizeof(frame), &len),
	             ENV_OK);
	CHECK_EQ_INT(
	    env_open_reply(&p_to_c, &pctx, frame, len, pt, sizeof(pt), &n),
	    ENV_E_AUTH);
	env_peer_wipe(&c2_from_p);
}

/* An unlisted pilot: honest, it names a key the commander does not know;
 * posing as a listed pilot, it fails the MAC. */
static void
test_unlisted_pilot(void)
{
	struct env_req_ctx ctx, cctx;
	uint8_t sender[ENV_PK_BYTES];
	uint64_t last = 0;
	size_t len = 0;

	CHECK_EQ_INT(env_seal_request(&p2_to_c, pilot2.pk, 1, NOW, msg,
	                              sizeof(msg), frame, sizeof(frame), &len,
	                              &ctx),
	             ENV_OK);
	CHECK_EQ_INT(env_request_sender(frame, len, sender), ENV_OK);
	CHECK(memcmp(sender, pilot2.pk, ENV_PK_BYTES) == 0);
	CHECK(memcmp(sender, pilot.pk, ENV_PK_BYTES) != 0);
	/* opened with the listed pilot's peer: the sender does not match */
	CHECK_EQ_INT(open_req(frame, len, &last, &cctx), ENV_E_AUTH);

	CHECK_EQ_INT(env_seal_request(&p2_to_c, pilot.pk, 1, NOW, msg,
	                              sizeof(msg), frame, sizeof(frame), &len,
	                              &ctx),
	             ENV_OK);
	CHECK_EQ_INT(env_request_sender(frame, len, sender), ENV_OK);
	CHECK(memcmp(sender, pilot.pk, ENV_PK_BYTES) == 0);
	CHECK_EQ_INT(open_req(frame, len, &last, &cctx), ENV_E_AUTH);
	CHECK(last == 0);
}

static void
test_replay(void)
{
	struct env_req_ctx ctx, cctx;
	uint64_t last = 0;
	size_t len = request(10, NOW, &ctx);

	CHECK_EQ_INT(open_req(frame, len, &last, &cctx), ENV_OK);
	CHECK_EQ_INT(open_req(frame, len, &last, &cctx), ENV_E_REPLAY);
	CHECK(last == 10);
	/* a new frame that reuses the counter is a replay too */
	len = request(10, NOW, &ctx);
	CHECK_EQ_INT(open_req(frame, len, &last, &cctx), ENV_E_REPLAY);
	len = request(11, NOW, &ctx);
	CHECK_EQ_INT(open_req(frame, len, &last, &cctx), ENV_OK);
	CHECK(last == 11);
}

static void
test_reordered(void)
{
	struct env_req_ctx c5, c6, cctx;
	uint64_t last = 0;
	size_t len5 = request(5, NOW, &c5), len6;

	memcpy(frame2, frame, len5);
	len6 = request(6, NOW, &c6);
	CHECK_EQ_INT(open_req(frame, len6, &last, &cctx), ENV_OK);
	CHECK_EQ_INT(open_req(frame2, len5, &last, &cctx), ENV_E_REPLAY);
	CHECK(last == 6);
	/* counters may skip (a pilot restart reserves a block) */
	request(1000, NOW, &c6);
	CHECK_EQ_INT(open_req(frame, len6, &last, &cctx), ENV_OK);
	CHECK(last == 1000);
}

static void
test_time_window(void)
{
	struct env_req_ctx ctx, cctx;
	uint64_t last = 0;
	size_t len;

	len = request(1, NOW - WINDOW - 1, &ctx);
	CHECK_EQ_INT(open_req(frame, len, &last, &cctx), ENV_E_STALE);
	len = request(2, NOW + WINDOW + 1, &ctx);
	CHECK_EQ_INT(open_req(frame, len, &last, &cctx), ENV_E_STALE);
	len = request(3, 0, &ctx);
	CHECK_EQ_INT(open_req(frame, len, &last, &cctx), ENV_E_STALE);
	len = request(4, UINT64_MAX, &ctx);
	CHECK_EQ_INT(open_req(frame, len, &last, &cctx), ENV_E_STALE);
	/* a stale frame does not move the counter */
	CHECK(last == 0);
	len = request(5, NOW - WINDOW, &ctx);
	CHECK_EQ_INT(open_req(frame, len, &last, &cctx), ENV_OK);
	len = request(6, NOW + WINDOW, &ctx);
	CHECK_EQ_INT(open_req(frame, len, &last, &cctx), ENV_OK);
	CHECK(last == 6);
}

/* A reply is good only for the request it answers. */
static void
test_bind(void)
{
	struct env_req_ctx p1, p2, c1, c2;
	uint64_t last = 0;
	size_t len, n;

	len = request(1, NOW, &p1);
	CHECK_EQ_INT(open_req(frame, len, &last, &c1), ENV_OK);
	len = request(2, NOW, &p2);
	CHECK_EQ_INT(open_req(frame, len, &last, &c2), ENV_OK);
	CHECK_EQ_INT(env_seal_reply(&c_from_p, cmdr.pk, &c1, NOW, msg,
	                            sizeof(msg), frame, sizeof(frame), &len),
	             ENV_OK);
	CHECK_EQ_INT(
	    env_open_reply(&p_to_c, &p2, frame, len, pt, sizeof(pt), &n),
	    ENV_E_BIND);
	CHECK_EQ_INT(
	    env_open_reply(&p_to_c, &p1, frame, len, pt, sizeof(pt), &n),
	    ENV_OK);
	/* same counter, other nonce: still another request */
	p1.nonce[3] ^= 1;
	CHECK_EQ_INT(
	    env_open_reply(&p_to_c, &p1, frame, len, pt, sizeof(pt), &n),
	    ENV_E_BIND);
}

/* A frame sent back to its author in the other direction is refused. */
static void
test_reflection(void)
{
	struct env_req_ctx pctx, cctx;
	uint64_t last = 0;
	size_t len = request(1, NOW, &pctx), n, rlen;

	/* the pilot's own request handed back to it as the reply */
	CHECK_EQ_INT(
	    env_open_reply(&p_to_c, &pctx, frame, len, pt, sizeof(pt), &n),
	    ENV_E_FORMAT);
	/* ...with its direction byte rewritten */
	memcpy(frame2, frame, len);
	frame2[5] = ENV_DIR_REPLY;
	{
		enum env_err rc = env_open_reply(&p_to_c, &pctx, frame2, len,
		                                 pt, sizeof(pt), &n);

		/* short: too small for a reply header; else the MAC */
		CHECK(rc == ENV_E_SIZE || rc == ENV_E_AUTH);
	}
	CHECK_EQ_INT(env_seal_request(&p_to_c, pilot.pk, 2, NOW, pt, 500, frame,
	                              sizeof(frame), &len, &pctx),
	             ENV_OK);
	frame[5] = ENV_DIR_REPLY;
	CHECK_EQ_INT(
	    env_open_reply(&p_to_c, &pctx, frame, len, pt, sizeof(pt), &n),
	    ENV_E_AUTH);
	len = request(1, NOW, &pctx);
	/* a reply handed to the commander as a request */
	CHECK_EQ_INT(open_req(frame, len, &last, &cctx), ENV_OK);
	CHECK_EQ_INT(env_seal_reply(&c_from_p, cmdr.pk, &cctx, NOW, msg,
	                            sizeof(msg), frame, sizeof(frame), &rlen),
	             ENV_OK);
	CHECK_EQ_INT(open_req(frame, rlen, &last, &cctx), ENV_E_FORMAT);
	memcpy(frame2, frame, rlen);
	frame2[5] = ENV_DIR_REQUEST;
	CHECK_EQ_INT(open_req(frame2, rlen, &last, &cctx), ENV_E_AUTH);
}

static void
test_oversized(void)
{
	struct env_req_ctx ctx, cctx;
	uint64_t last = 0;
	uint8_t pk[ENV_PK_BYTES];
	size_t len = 0, n;
	static uint8_t big[ENV_MAX_FRAME];

	/* the largest plaintext fits, one more byte does not */
	CHECK_EQ_INT(env_seal_request(&p_to_c, pilot.pk, 1, NOW, big,
	                              ENV_MAX_FRAME - ENV_REQ_OVERHEAD, frame,
	                              sizeof(frame), &len, &ctx),
	             ENV_OK);
	CHECK_EQ_INT(len, ENV_MAX_FRAME);
	CHECK_EQ_INT(open_req(frame, len, &last, &cctx), ENV_OK);
	CHECK_EQ_INT(env_seal_request(&p_to_c, pilot.pk, 2, NOW, big,
	                              ENV_MAX_FRAME - ENV_REQ_OVERHEAD + 1,
	                              frame, sizeof(frame), &len, &ctx),
	             ENV_E_SIZE);
	CHECK_EQ_INT(env_seal_reply(&c_from_p, cmdr.pk, &cctx, NOW, big,
	                            ENV_MAX_PLAINTEXT + 1, frame, sizeof(frame),
	                            &len),
	             ENV_E_SIZE);
	CHECK_EQ_INT(env_seal_reply(&c_from_p, cmdr.pk, &cctx, NOW, big,
	                            ENV_MAX_PLAINTEXT, frame, sizeof(frame),
	                            &len),
	             ENV_OK);
	/* a valid frame one byte too long: refused by size, not by MAC */
	len = request(3, NOW, &ctx);
	CHECK_EQ_INT(open_req(frame, ENV_MAX_FRAME + 1, &last, &cctx),
	             ENV_E_SIZE);
	CHECK_EQ_INT(env_request_sender(frame, ENV_MAX_FRAME + 1, pk),
	             ENV_E_SIZE);
	CHECK_EQ_INT(env_open_reply(&p_to_c, &ctx, frame, ENV_MAX_FRAME + 1, pt,
	                            sizeof(pt), &n),
	             ENV_E_SIZE);
	CHECK_EQ_INT(open_req(frame, SIZE_MAX, &last, &cctx), ENV_E_SIZE);
	CHECK(last == 1);
}

static void
test_nospace(void)
{
	struct env_req_ctx ctx, cctx;
	uint64_t last = 0;
	size_t len = 0, n;

	CHECK_EQ_INT(
	    env_seal_request(&p_to_c, pilot.pk, 1, NOW, msg, sizeof(msg), frame,
	                     sizeof(msg) + ENV_REQ_OVERHEAD - 1, &len, &ctx),
	    ENV_E_NOSPACE);
	len = request(1, NOW, &ctx);
	CHECK_EQ_INT(env_open_request(&c_from_p, &last, NOW, WINDOW, frame, len,
	                              pt, sizeof(msg) - 1, &n, &cctx),
	             ENV_E_NOSPACE);
	CHECK(last == 0);
	CHECK_EQ_INT(env_open_request(&c_from_p, &last, NOW, WINDOW, frame, len,
	                              pt, sizeof(msg), &n, &cctx),
	             ENV_OK);
}

static void
test_garbage(void)
{
	struct env_req_ctx ctx = {0}, cctx;
	uint8_t pk[ENV_PK_BYTES];
	uint32_t x = 12345;
	size_t n, i, len;
	int ok = 0;

	for (i = 0; i < 2000; i++) {
		uint64_t last = 0;

		len = (i * 37) % 400;
		for (n = 0; n < len; n++) {
			x = x * 1103515245 + 12345;
			frame[n] = (uint8_t)(x >> 16);
		}
		/* half of them with a valid prefix, to reach the MAC */
		if (i % 2 && len >= 8)
			memcpy(frame, "SXTE\x01\x01\0\0", 8);
		ok += open_req(frame, len, &last, &cctx) == ENV_OK;
		ok += env_open_reply(&p_to_c, &ctx, frame, len, pt, sizeof(pt),
		                     &n) == ENV_OK;
		if (env_request_sender(frame, len, pk) == ENV_OK &&
		    len < ENV_REQ_OVERHEAD)
			ok++;
	}
	CHECK_EQ_INT(ok, 0);
}

/* Keys that X25519 cannot use are refused when the peer is set up. */
static void
test_bad_peer_keys(void)
{
	struct env_peer p;
	uint8_t zero[ENV_PK_BYTES] = {0}, ident[ENV_PK_BYTES] = {1};
	uint8_t offcurve[ENV_PK_BYTES];

	memset(offcurve, 0xff, sizeof(offcurve));
	CHECK_EQ_INT(env_peer_init(&p, pilot.sk, zero), -EINVAL);
	CHECK_EQ_INT(env_peer_init(&p, pilot.sk, ident), -EINVAL);
	CHECK_EQ_INT(env_peer_init(&p, pilot.sk, offcurve), -EINVAL);
	CHECK_EQ_INT(env_peer_init(&p, pilot.sk, cmdr.pk), 0);
	env_peer_wipe(&p);
	CHECK(sodium_is_zero((const unsigned char *)&p, sizeof(p)));
}

static void
test_strerror(void)
{
	int i;

	for (i = 0; i < ENV_E__COUNT; i++)
		CHECK(env_strerror(i) != NULL && env_strerror(i)[0] != '\0');
	CHECK_EQ_STR(env_strerror(ENV_E_REPLAY),
	             "replayed or reordered counter");
	CHECK(strstr(env_strerror(ENV_E__COUNT), "unknown") != NULL);
}

/*
 * The worked example of PROTOCOL.md section 4.5, made with raw libsodium
 * calls as the document describes them (not with envelope.c): a client
 * written from the document interoperates with this code.
 */
static size_t
unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;

	if (sodium_hex2bin(out, cap, h, strlen(h), NULL, &n, NULL) != 0)
		return 0;
	return n;
}

static void
test_protocol_vector(void)
{
	static const char key_hex[] =
	    "86b1502c899692cca726b092888863a5474b5d555b602285d76e2dafd5557ffd";
	static const char req_hex[] =
	    "5358544501010000ed4928c628d1c2c6eae90338905995612959273a5c63f936"
	    "36c14614ac8737d100000000000000010000018bcfe568000001020304050607"
	    "08090a0b0c0d0e0f10111213141516175420665e573de740fe5f61de474d6752"
	    "bb758fe51b6b87e7fe6e5854cdff19b9532f2cee18b523bbd79321212a5ced40"
	    "7301412b59613b532379cded9468c1d002cc46e878cf51b5d881cd1dcf85a9ec"
	    "70879ecfd49cf9bfeeb9b9d509af925e7437760b7af8e0f027f52d817c189fa6"
	    "2ad78a0c9ba49b55f61d69142c33cb9dc6b2e3d0b1ba94cd5f6624e98095";
	static const char rep_hex[] =
	    "53585445010200008a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121b"
	    "f3748801b40f6f5c00000000000000000000018bcfe568052021222324252627"
	    "28292a2b2c2d2e2f303132333435363700000000000000010001020304050607"
	    "08090a0b0c0d0e0f101112131415161717baa40980d75ad88959e41d977828f0"
	    "c0246cb0d559afb65b5256758736ba12100afc1a0e17cb1a4469db1b579a0a7a"
	    "22a1df65a06bb2f5fc4830d7b5df2413420ebbfb86ec268a0252925fcb479f8b"
	    "e87ac7e4705fed0c9ee2687e594e77f7b02d3f4082b0";
	static const char req_pt[] =
	    "{\"v\":1,\"type\":\"hello\",\"node\":\"val-1\",\"version\":\"0.1."
	    "0\",\"chain\":\"cometbft\",\"role\":\"validator\",\"network\":"
	    "\"testnet-1\",\"group\":\"\"}";
	static const char rep_pt[] =
	    "{\"v\":1,\"type\":\"reply\",\"status\":0,\"fleet_ref_height\":"
	    "\"0\",\"interval_ms\":10000,\"cmds\":[]}";
	uint8_t key[32];
	struct env_req_ctx cctx, pctx;
	uint64_t last = 0;
	size_t len, n = 0;

	CHECK_EQ_INT(unhex(key_hex, key, sizeof(key)), 32);
	CHECK(memcmp(key, p_to_c.key, 32) == 0);
	len = unhex(req_hex, frame, sizeof(frame));
	CHECK_EQ_INT(len, 222);
	CHECK_EQ_INT(env_open_request(&c_from_p, &last, 1700000000000ULL,
	                              WINDOW, frame, len, pt, sizeof(pt), &n,
	                              &cctx),
	             ENV_OK);
	CHECK(n == strlen(req_pt) && memcmp(pt, req_pt, n) == 0);
	CHECK(last == 1);
	pctx = cctx; /* what the pilot kept when it sealed */
	len = unhex(rep_hex, frame, sizeof(frame));
	CHECK_EQ_INT(len, 214);
	CHECK_EQ_INT(
	    env_open_reply(&p_to_c, &pctx, frame, len, pt, sizeof(pt), &n),
	    ENV_OK);
	CHECK(n == strlen(rep_pt) && memcmp(pt, rep_pt, n) == 0);
}

int
main(void)
{
	setup();
	RUN(test_shared_key_symmetric);
	RUN(test_roundtrip);
	RUN(test_fresh_nonce);
	RUN(test_tamper_request);
	RUN(test_tamper_reply);
	RUN(test_truncated);
	RUN(test_wrong_commander_key);
	RUN(test_reply_from_wrong_commander);
	RUN(test_unlisted_pilot);
	RUN(test_replay);
	RUN(test_reordered);
	RUN(test_time_window);
	RUN(test_bind);
	RUN(test_reflection);
	RUN(test_oversized);
	RUN(test_nospace);
	RUN(test_garbage);
	RUN(test_bad_peer_keys);
	RUN(test_strerror);
	RUN(test_protocol_vector);
	return TEST_END();
}
