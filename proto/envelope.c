/*
 * envelope.c: the sealed frame of PROTOCOL.md section 2.
 *
 * One symmetric key per (pilot, commander) pair, derived once: both Ed25519
 * identities are converted to X25519, crypto_box_beforenm gives the shared
 * key, and BLAKE2b keyed with it over a label separates it from any other
 * use of the same identities.  Each frame is then one XChaCha20-Poly1305
 * operation with a random 24-byte nonce (safe at that size) and the whole
 * cleartext header as associated data, so direction, sender, counter,
 * timestamp and reply binding cannot be changed without failing the MAC.
 */
#include "proto/envelope.h"

#include <errno.h>
#include <string.h>

#include <sodium.h>

#define KDF_LABEL "sextant envelope v1"

/* header offsets */
#define OFF_MAGIC    0
#define OFF_VERSION  4
#define OFF_DIR      5
#define OFF_RESERVED 6
#define OFF_SENDER   8
#define OFF_COUNTER  40
#define OFF_TIME     48
#define OFF_NONCE    56
#define OFF_BCOUNTER 80 /* replies: the request's counter */
#define OFF_BNONCE   88 /* replies: the request's nonce */

_Static_assert(OFF_NONCE + ENV_NONCE_BYTES == ENV_REQ_HDR, "request header");
_Static_assert(OFF_BNONCE + ENV_NONCE_BYTES == ENV_REP_HDR, "reply header");
_Static_assert(ENV_MAC_BYTES == crypto_aead_xchacha20poly1305_ietf_ABYTES,
               "mac size");
_Static_assert(ENV_NONCE_BYTES == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
               "nonce size");
_Static_assert(ENV_PK_BYTES == crypto_sign_PUBLICKEYBYTES, "pk size");
_Static_assert(ENV_SK_BYTES == crypto_sign_SECRETKEYBYTES, "sk size");

static const char *const errstr[ENV_E__COUNT] = {
    [ENV_OK] = "ok",
    [ENV_E_SIZE] = "frame too large or too short",
    [ENV_E_FORMAT] = "bad magic, version or direction",
    [ENV_E_UNKNOWN] = "sender key not listed",
    [ENV_E_AUTH] = "authentication failed",
    [ENV_E_REPLAY] = "replayed or reordered counter",
    [ENV_E_STALE] = "timestamp outside the window",
    [ENV_E_BIND] = "reply does not answer our request",
    [ENV_E_NOSPACE] = "output buffer too small",
};

const char *
env_strerror(enum env_err e)
{
	if ((int)e < 0 || e >= ENV_E__COUNT)
		return "unknown envelope error";
	return errstr[e];
}

size_t
env_overhead(void)
{
	return ENV_REP_OVERHEAD;
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

int
env_peer_init(struct env_peer *p, const uint8_t my_ed_sk[ENV_SK_BYTES],
              const uint8_t peer_ed_pk[ENV_PK_BYTES])
{
	uint8_t xsk[crypto_scalarmult_curve25519_BYTES];
	uint8_t xpk[crypto_scalarmult_curve25519_BYTES];
	uint8_t shared[crypto_box_BEFORENMBYTES];
	int rc = -EINVAL;

	memset(p, 0, sizeof(*p));
	if (sodium_init() < 0)
		return -EIO;
	/* refuses points off the curve and of small order */
	if (crypto_sign_ed25519_pk_to_curve25519(xpk, peer_ed_pk) != 0)
		goto out;
	if (crypto_sign_ed25519_sk_to_curve25519(xsk, my_ed_sk) != 0)
		goto out;
	/* fails when the X25519 result is all zeros */
	if (crypto_box_beforenm(shared, xpk, xsk) != 0)
		goto out;
	crypto_generichash(p->key, sizeof(p->key), (const uint8_t *)KDF_LABEL,
	                   strlen(KDF_LABEL), shared, sizeof(shared));
	memcpy(p->ed_pk, peer_ed_pk, ENV_PK_BYTES);
	rc = 0;
out:
	sodium_memzero(xsk, sizeof(xsk));
	sodium_memzero(shared, sizeof(shared));
	return rc;
}

void
env_peer_wipe(struct env_peer *p)
{
	if (p != NULL)
		sodium_memzero(p, sizeof(*p));
}

/*
 * The checks every frame gets before any cryptography: size first (so a
 * huge frame costs nothing), then the fixed prefix, then the full header.
 */
static enum env_err
check_frame(const uint8_t *f, size_t len, uint8_t dir)
{
	size_t hlen = dir == ENV_DIR_REQUEST ? ENV_REQ_HDR : ENV_REP_HDR;

	if (len > ENV_MAX_FRAME || len < OFF_SENDER)
		return ENV_E_SIZE;
	if (memcmp(f + OFF_MAGIC, ENV_MAGIC, 4) != 0 ||
	    f[OFF_VERSION] != ENV_VERSION || f[OFF_DIR] != dir ||
	    f[OFF_RESERVED] != 0 || f[OFF_RESERVED + 1] != 0)
		return ENV_E_FORMAT;
	if (len < hlen + ENV_MAC_BYTES)
		return ENV_E_SIZE;
	return ENV_OK;
}

static enum env_err
seal(const struct env_peer *peer, uint8_t dir,
     const uint8_t my_ed_pk[ENV_PK_BYTES], uint64_t counter, uint64_t now,
     const struct env_req_ctx *bind, const void *pt, size_t ptlen, uint8_t *out,
     size_t cap, size_t *outlen)
{
	size_t hlen = dir == ENV_DIR_REQUEST ? ENV_REQ_HDR : ENV_REP_HDR;
	unsigned long long clen;

	if (ptlen > ENV_MAX_FRAME - hlen - ENV_MAC_BYTES)
		return ENV_E_SIZE;
	if (cap < hlen + ptlen + ENV_MAC_BYTES)
		return ENV_E_NOSPACE;
	memcpy(out + OFF_MAGIC, ENV_MAGIC, 4);
	out[OFF_VERSION] = ENV_VERSION;
	out[OFF_DIR] = dir;
	out[OFF_RESERVED] = out[OFF_RESERVED + 1] = 0;
	memcpy(out + OFF_SENDER, my_ed_pk, ENV_PK_BYTES);
	put_be64(out + OFF_COUNTER, counter);
	put_be64(out + OFF_TIME, now);
	randombytes_buf(out + OFF_NONCE, ENV_NONCE_BYTES);
	if (bind != NULL) {
		put_be64(out + OFF_BCOUNTER, bind->counter);
		memcpy(out + OFF_BNONCE, bind->nonce, ENV_NONCE_BYTES);
	}
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + hlen, &clen, pt, ptlen,
	                                           out, hlen, NULL,
	                                           out + OFF_NONCE, peer->key);
	*outlen = hlen + (size_t)clen;
	return ENV_OK;
}

static enum env_err
open_frame(const struct env_peer *peer, const uint8_t *f, size_t len,
           uint8_t dir, uint8_t *pt, size_t cap, size_t *ptlen)
{
	size_t hlen = dir == ENV_DIR_REQUEST ? ENV_REQ_HDR : ENV_REP_HDR;
	unsigned long long mlen;
	enum env_err rc;

	if ((rc = check_frame(f, len, dir)) != ENV_OK)
		return rc;
	/* the MAC would fail too; this says why without the work */
	if (memcmp(f + OFF_SENDER, peer->ed_pk, ENV_PK_BYTES) != 0)
		return ENV_E_AUTH;
	if (cap < len - hlen - ENV_MAC_BYTES)
		return ENV_E_NOSPACE;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
	        pt, &mlen, NULL, f + hlen, len - hlen, f, hlen, f + OFF_NONCE,
	        peer->key) != 0)
		return ENV_E_AUTH;
	*ptlen = (size_t)mlen;
	return ENV_OK;
}

enum env_err
env_seal_request(const struct env_peer *commander,
                 const uint8_t my_ed_pk[ENV_PK_BYTES], uint64_t counter,
                 uint64_t now_wall_ms, const void *pt, size_t ptlen,
                 uint8_t *out, size_t cap, size_t *outlen,
                 struct env_req_ctx *ctx)
{
	enum env_err rc;

	rc = seal(commander, ENV_DIR_REQUEST, my_ed_pk, counter, now_wall_ms,
	          NULL, pt, ptlen, out, cap, outlen);
	if (rc != ENV_OK)
		return rc;
	ctx->counter = counter;
	memcpy(ctx->nonce, out + OFF_NONCE, ENV_NONCE_BYTES);
	return ENV_OK;
}

enum env_err
env_request_sender(const uint8_t *frame, size_t len,
                   uint8_t ed_pk[ENV_PK_BYTES])
{
	enum env_err rc;

	if ((rc = check_frame(frame, len, ENV_DIR_REQUEST)) != ENV_OK)
		return rc;
	memcpy(ed_pk, frame + OFF_SENDER, ENV_PK_BYTES);
	return ENV_OK;
}

enum env_err
env_open_request(const struct env_peer *peer, uint64_t *last_counter,
                 uint64_t now_wall_ms, uint64_t window_ms, const uint8_t *frame,
                 size_t len, uint8_t *pt, size_t cap, size_t *ptlen,
                 struct env_req_ctx *ctx)
{
	uint64_t counter, ts;
	size_t n;
	enum env_err rc;

	rc = open_frame(peer, frame, len, ENV_DIR_REQUEST, pt, cap, &n);
	if (rc != ENV_OK)
		return rc;
	counter = get_be64(frame + OFF_COUNTER);
	ts = get_be64(frame + OFF_TIME);
	if (counter <= *last_counter)
		rc = ENV_E_REPLAY;
	else if ((ts > now_wall_ms ? ts - now_wall_ms : now_wall_ms - ts) >
	         window_ms)
		rc = ENV_E_STALE;
	if (rc != ENV_OK) {
		sodium_memzero(pt, n);
		return rc;
	}
	*last_counter = counter;
	*ptlen = n;
	ctx->counter = counter;
	memcpy(ctx->nonce, frame + OFF_NONCE, ENV_NONCE_BYTES);
	return ENV_OK;
}

enum env_err
env_seal_reply(const struct env_peer *pilot,
               const uint8_t my_ed_pk[ENV_PK_BYTES],
               const struct env_req_ctx *ctx, uint64_t now_wall_ms,
               const void *pt, size_t ptlen, uint8_t *out, size_t cap,
               size_t *outlen)
{
	/* a reply has no counter of its own: the binding orders it */
	return seal(pilot, ENV_DIR_REPLY, my_ed_pk, 0, now_wall_ms, ctx, pt,
	            ptlen, out, cap, outlen);
}

enum env_err
env_open_reply(const struct env_peer *commander, const struct env_req_ctx *ctx,
               const uint8_t *frame, size_t len, uint8_t *pt, size_t cap,
               size_t *ptlen)
{
	size_t n;
	enum env_err rc;

	rc = open_frame(commander, frame, len, ENV_DIR_REPLY, pt, cap, &n);
	if (rc != ENV_OK)
		return rc;
	if (get_be64(frame + OFF_BCOUNTER) != ctx->counter ||
	    memcmp(frame + OFF_BNONCE, ctx->nonce, ENV_NONCE_BYTES) != 0) {
		sodium_memzero(pt, n);
		return ENV_E_BIND;
	}
	*ptlen = n;
	return ENV_OK;
}
