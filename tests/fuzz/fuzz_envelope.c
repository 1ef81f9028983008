/*
 * fuzz_envelope: the first byte picks what the rest is.
 *   0: a request frame for the commander    1: a reply frame for the pilot
 *   2: a frame for env_request_sender       3: a plaintext that must
 *      round-trip through a request and its reply unchanged
 * The keys are fixed (seeds 0x01 commander, 0x03 pilot) and so are the
 * clock and the pilot's pending request, so the seed frames in
 * tests/fuzz/seeds/envelope open successfully and mutations start from
 * accepted input.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/codec.h"
#include "proto/envelope.h"

#define NOW    1700000000000ULL
#define WINDOW 30000ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t cpk[32], csk[64], ppk[32], psk[64];
static struct env_peer c_from_p, p_to_c;
static struct env_req_ctx pending;

static void
setup(void)
{
	static int done;
	uint8_t seed[32];

	if (done)
		return;
	if (sodium_init() < 0)
		abort();
	memset(seed, 1, sizeof(seed));
	crypto_sign_seed_keypair(cpk, csk, seed);
	memset(seed, 3, sizeof(seed));
	crypto_sign_seed_keypair(ppk, psk, seed);
	if (env_peer_init(&c_from_p, csk, ppk) != 0 ||
	    env_peer_init(&p_to_c, psk, cpk) != 0)
		abort();
	pending.counter = 1;
	memset(pending.nonce, 0x11, sizeof(pending.nonce));
	done = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pt[ENV_MAX_FRAME], frame[ENV_MAX_FRAME];
	struct env_req_ctx ctx, cctx;
	struct proto_msg m;
	uint8_t pk[ENV_PK_BYTES];
	uint64_t last = 0;
	size_t n, flen;

	setup();
	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0:
		if (env_open_request(&c_from_p, &last, NOW, WINDOW, data + 1,
		                     size - 1, pt, sizeof(pt), &n,
		                     &ctx) == ENV_OK) {
			if (last == 0 || n > size)
				abort();
			codec_decode((const char *)pt, n, &m, NULL, 0);
		}
		break;
	case 1:
		if (env_open_reply(&p_to_c, &pending, data + 1, size - 1, pt,
		                   sizeof(pt), &n) == ENV_OK)
			codec_decode((const char *)pt, n, &m, NULL, 0);
		break;
	case 2:
		env_request_sender(data + 1, size - 1, pk);
		break;
	case 3:
		if (env_seal_request(&p_to_c, ppk, 7, NOW, data + 1, size - 1,
		                     frame, sizeof(frame), &flen,
		                     &ctx) != ENV_OK) {
			if (size - 1 <= ENV_MAX_FRAME - ENV_REQ_OVERHEAD)
				abort();
			break;
		}
		if (env_open_request(&c_from_p, &last, NOW, WINDOW, frame, flen,
		                     pt, sizeof(pt), &n, &cctx) != ENV_OK ||
		    n != size - 1 || memcmp(pt, data + 1, n) != 0 ||
		    cctx.counter != 7 ||
		    memcmp(cctx.nonce, ctx.nonce, sizeof(ctx.nonce)) != 0)
			abort();
		if (size - 1 > ENV_MAX_PLAINTEXT)
			break;
		if (env_seal_reply(&c_from_p, cpk, &cctx, NOW, data + 1,
		                   size - 1, frame, sizeof(frame),
		                   &flen) != ENV_OK ||
		    env_open_reply(&p_to_c, &ctx, frame, flen, pt, sizeof(pt),
		                   &n) != ENV_OK ||
		    n != size - 1 || memcmp(pt, data + 1, n) != 0)
			abort();
		/* and never for another request */
		if (env_open_reply(&p_to_c, &pending, frame, flen, pt,
		                   sizeof(pt), &n) != ENV_E_BIND)
			abort();
		break;
	}
	return 0;
}
