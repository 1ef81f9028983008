/*
 * sp_test: the SP/TCP framing a REP peer parses (commander/sp.h) — headers
 * right and wrong, length prefixes complete, truncated, over the limit and
 * absurd, backtraces of every shape — checked against the bytes nng puts
 * on the wire.
 */
#include <stdint.h>
#include <string.h>

#include "commander/sp.h"
#include "tests/test.h"

static void
test_header_roundtrip(void)
{
	uint8_t h[SP_HDR_LEN];
	static const uint8_t nng_req[SP_HDR_LEN] = {0, 'S',  'P', 0,
	                                            0, 0x30, 0,   0};
	static const uint8_t nng_rep[SP_HDR_LEN] = {0, 'S',  'P', 0,
	                                            0, 0x31, 0,   0};

	sp_header_put(h, SP_PROTO_REP);
	CHECK(memcmp(h, nng_rep, SP_HDR_LEN) == 0);
	sp_header_put(h, SP_PROTO_REQ);
	CHECK(memcmp(h, nng_req, SP_HDR_LEN) == 0);
	CHECK_EQ_INT(sp_header_check(nng_req, SP_HDR_LEN, SP_PROTO_REQ), SP_OK);
	/* a REP, PUB or any other protocol talking to our REP */
	CHECK_EQ_INT(sp_header_check(nng_rep, SP_HDR_LEN, SP_PROTO_REQ),
	             SP_E_PROTO);
}

static void
test_header_partial(void)
{
	static const uint8_t req[SP_HDR_LEN] = {0, 'S', 'P', 0, 0, 0x30, 0, 0};

	for (size_t n = 0; n < SP_HDR_LEN; n++)
		CHECK_EQ_INT(sp_header_check(req, n, SP_PROTO_REQ), SP_MORE);
}

static void
test_header_hostile(void)
{
	static const uint8_t req[SP_HDR_LEN] = {0, 'S', 'P', 0, 0, 0x30, 0, 0};
	uint8_t h[SP_HDR_LEN];

	/* every fixed byte, changed alone, is refused */
	for (size_t i = 0; i < SP_HDR_LEN; i++) {
		if (i == 4 || i == 5)
			continue;
		memcpy(h, req, sizeof(h));
		h[i] ^= 0x40;
		CHECKF(sp_header_check(h, SP_HDR_LEN, SP_PROTO_REQ) ==
		           SP_E_MAGIC,
		       "byte %zu", i);
	}
	/* an HTTP client is refused on its first byte, without waiting */
	CHECK_EQ_INT(sp_header_check((const uint8_t *)"G", 1, SP_PROTO_REQ),
	             SP_E_MAGIC);
	CHECK_EQ_INT(sp_header_check((const uint8_t *)"GET / HTTP/1.1\r\n", 16,
	                             SP_PROTO_REQ),
	             SP_E_MAGIC);
	/* a wrong second byte with only two bytes in */
	CHECK_EQ_INT(sp_header_check((const uint8_t *)"\0X", 2, SP_PROTO_REQ),
	             SP_E_MAGIC);
	/* protocol id high byte */
	memcpy(h, req, sizeof(h));
	h[4] = 1;
	CHECK_EQ_INT(sp_header_check(h, SP_HDR_LEN, SP_PROTO_REQ), SP_E_PROTO);
}

static void
test_frame_len(void)
{
	uint8_t b[16];
	size_t n = 99;

	sp_len_put(b, 300);
	CHECK(b[6] == 1 && b[7] == 44 && b[0] == 0);
	CHECK_EQ_INT(sp_frame_len(b, 8, 1000, &n), SP_OK);
	CHECK_EQ_INT((int)n, 300);
	/* the limit itself is allowed, one more is not */
	CHECK_EQ_INT(sp_frame_len(b, 8, 300, &n), SP_OK);
	CHECK_EQ_INT(sp_frame_len(b, 8, 299, &n), SP_E_TOOBIG);
	CHECK_EQ_INT((int)n, 300);
	/* truncated prefixes need more and consume nothing */
	for (size_t k = 0; k < SP_LEN_LEN; k++)
		CHECK_EQ_INT(sp_frame_len(b, k, 1000, &n), SP_MORE);
	sp_len_put(b, 0);
	CHECK_EQ_INT(sp_frame_len(b, 8, 1000, &n), SP_OK);
	CHECK_EQ_INT((int)n, 0);
}

static void
test_frame_len_hostile(void)
{
	uint8_t b[8];
	size_t n = 0;

	/* 2^64 - 1: refused, reported saturated, never wrapped */
	memset(b, 0xff, sizeof(b));
	CHECK_EQ_INT(sp_frame_len(b, 8, 1 << 20, &n), SP_E_TOOBIG);
	CHECK(n == SIZE_MAX);
	/* 2^63 and 2^32 + small: a 32-bit truncation must not sneak in */
	sp_len_put(b, (uint64_t)1 << 63);
	CHECK_EQ_INT(sp_frame_len(b, 8, 1 << 20, &n), SP_E_TOOBIG);
	sp_len_put(b, ((uint64_t)1 << 32) + 10);
	CHECK_EQ_INT(sp_frame_len(b, 8, 1 << 20, &n), SP_E_TOOBIG);
}

static void
test_backtrace(void)
{
	/* one hop: the request id */
	uint8_t m[64] = {0x80, 0, 0, 7, 'h', 'i'};
	size_t bt = 0;

	CHECK_EQ_INT(sp_backtrace(m, 6, SP_DEFAULT_TTL, &bt), SP_OK);
	CHECK_EQ_INT((int)bt, 4);
	/* an id and nothing else is a valid, empty request */
	CHECK_EQ_INT(sp_backtrace(m, 4, SP_DEFAULT_TTL, &bt), SP_OK);
	CHECK_EQ_INT((int)bt, 4);
	/* through two devices: two hop words, then the id */
	memset(m, 0, sizeof(m));
	m[3] = 1;
	m[7] = 2;
	m[8] = 0x81;
	CHECK_EQ_INT(sp_backtrace(m, 20, SP_DEFAULT_TTL, &bt), SP_OK);
	CHECK_EQ_INT((int)bt, 12);
}

static void
test_backtrace_malformed(void)
{
	uint8_t m[128];
	size_t bt = 0;

	/* shorter than one word: nng closes the pipe */
	m[0] = 0x80;
	for (size_t n = 0; n < 4; n++)
		CHECK_EQ_INT(sp_backtrace(m, n, SP_DEFAULT_TTL, &bt),
		             SP_E_BTRACE);
	/* hop words with no id before the end */
	memset(m, 0, sizeof(m));
	CHECK_EQ_INT(sp_backtrace(m, 12, SP_DEFAULT_TTL, &bt), SP_E_BTRACE);
	CHECK_EQ_INT(sp_backtrace(m, 14, SP_DEFAULT_TTL, &bt), SP_E_BTRACE);
	/* more hops than the TTL: dropped, not a protocol error */
	CHECK_EQ_INT(sp_backtrace(m, sizeof(m), SP_DEFAULT_TTL, &bt), SP_E_TTL);
	/* exactly TTL words, the last one the id: accepted */
	m[4 * (SP_DEFAULT_TTL - 1)] = 0x80;
	CHECK_EQ_INT(sp_backtrace(m, sizeof(m), SP_DEFAULT_TTL, &bt), SP_OK);
	CHECK_EQ_INT((int)bt, 4 * SP_DEFAULT_TTL);
	/* one over */
	CHECK_EQ_INT(sp_backtrace(m, sizeof(m), SP_DEFAULT_TTL - 1, &bt),
	             SP_E_TTL);
	/* absurd TTLs are clamped, never read past 4 * SP_MAX_TTL */
	memset(m, 0, sizeof(m));
	CHECK_EQ_INT(sp_backtrace(m, sizeof(m), 1000, &bt), SP_E_TTL);
	CHECK_EQ_INT(sp_backtrace(m, sizeof(m), 0, &bt), SP_E_TTL);
	m[0] = 0x80;
	CHECK_EQ_INT(sp_backtrace(m, sizeof(m), 0, &bt), SP_OK);
}

static void
test_strerror(void)
{
	CHECK(strcmp(sp_strerror(SP_E_TOOBIG), "message too large") == 0);
	CHECK(sp_strerror((enum sp_status)1234) != NULL);
}

int
main(void)
{
	RUN(test_header_roundtrip);
	RUN(test_header_partial);
	RUN(test_header_hostile);
	RUN(test_frame_len);
	RUN(test_frame_len_hostile);
	RUN(test_backtrace);
	RUN(test_backtrace_malformed);
	RUN(test_strerror);
	return TEST_END();
}
