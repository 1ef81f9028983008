/*
 * envelope.h: sealing codec bytes between a pilot and its commander.
 * libsodium is used here and in common/keys.c only.
 *
 * Each side has an Ed25519 identity (common/keys.h).  Both are converted to
 * X25519 and the shared key is precomputed once per peer (env_peer_init), so
 * a message costs one AEAD operation and no public-key work.  Every frame
 * carries a cleartext header (authenticated as associated data): version,
 * direction, the sender's public key, a counter, a wall-clock timestamp and
 * a random nonce.  Requests must carry a counter larger than the last one
 * accepted from that pilot and a timestamp within the window; a reply names
 * the nonce and counter of its request, so it cannot answer another one.
 * Frames larger than ENV_MAX_FRAME are refused before any parsing.
 * The exact bytes are in proto/PROTOCOL.md.
 */
#ifndef SEXTANT_PROTO_ENVELOPE_H
#define SEXTANT_PROTO_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#define ENV_PK_BYTES    32
#define ENV_SK_BYTES    64
#define ENV_NONCE_BYTES 24
#define ENV_MAX_FRAME   (64 * 1024)

/* The frame layout; PROTOCOL.md section 2 has the offsets. */
#define ENV_MAGIC        "SXTE"
#define ENV_VERSION      1
#define ENV_DIR_REQUEST  0x01
#define ENV_DIR_REPLY    0x02
#define ENV_MAC_BYTES    16
#define ENV_REQ_HDR      80  /* magic .. nonce */
#define ENV_REP_HDR      112 /* + the request's counter and nonce */
#define ENV_REQ_OVERHEAD (ENV_REQ_HDR + ENV_MAC_BYTES)
#define ENV_REP_OVERHEAD (ENV_REP_HDR + ENV_MAC_BYTES)
/* The largest plaintext that fits one frame in either direction. */
#define ENV_MAX_PLAINTEXT (ENV_MAX_FRAME - ENV_REP_OVERHEAD)

/* Why a frame was refused; the commander counts drops by this. */
enum env_err {
	ENV_OK = 0,
	ENV_E_SIZE,    /* larger than ENV_MAX_FRAME, or shorter than a header */
	ENV_E_FORMAT,  /* bad magic, version or direction */
	ENV_E_UNKNOWN, /* sender key not listed (set by the caller) */
	ENV_E_AUTH,    /* MAC failed: wrong key or tampered */
	ENV_E_REPLAY,  /* counter not above the last one accepted */
	ENV_E_STALE,   /* timestamp outside the window */
	ENV_E_BIND,    /* reply does not answer the request we sent */
	ENV_E_NOSPACE, /* output buffer too small */
	ENV_E__COUNT
};
const char *env_strerror(enum env_err);

/* One per remote identity.  Holds a secret: wipe with env_peer_wipe. */
struct env_peer {
	uint8_t ed_pk[ENV_PK_BYTES]; /* the peer's Ed25519 public key */
	uint8_t key[32];             /* precomputed shared key */
};

/* What binds a reply to its request: kept by the pilot from seal to open,
 * and by the commander from open to seal. */
struct env_req_ctx {
	uint64_t counter;
	uint8_t nonce[ENV_NONCE_BYTES];
};

/* Bytes a sealed frame adds to its plaintext, at most (a reply's). */
size_t env_overhead(void);

/* 0, or -EINVAL if either key is unusable (e.g. a low-order point). */
int env_peer_init(struct env_peer *p, const uint8_t my_ed_sk[ENV_SK_BYTES],
                  const uint8_t peer_ed_pk[ENV_PK_BYTES]);
void env_peer_wipe(struct env_peer *p);

/* Pilot: seal a request to the commander.  Fills *ctx for env_open_reply. */
enum env_err env_seal_request(const struct env_peer *commander,
                              const uint8_t my_ed_pk[ENV_PK_BYTES],
                              uint64_t counter, uint64_t now_wall_ms,
                              const void *pt, size_t ptlen, uint8_t *out,
                              size_t cap, size_t *outlen,
                              struct env_req_ctx *ctx);

/* Commander: the sender key a request claims (not yet authenticated), to
 * find its env_peer. */
enum env_err env_request_sender(const uint8_t *frame, size_t len,
                                uint8_t ed_pk[ENV_PK_BYTES]);

/*
 * Commander: authenticate and decrypt a request from peer.  Checks size,
 * format, MAC, then that the counter is above *last_counter and the
 * timestamp within window_ms of now_wall_ms.  On success raises
 * *last_counter, fills *ctx and pt (cap bytes) / *ptlen.
 */
enum env_err env_open_request(const struct env_peer *peer,
                              uint64_t *last_counter, uint64_t now_wall_ms,
                              uint64_t window_ms, const uint8_t *frame,
                              size_t len, uint8_t *pt, size_t cap,
                              size_t *ptlen, struct env_req_ctx *ctx);

/* Commander: seal the reply to the request described by ctx. */
enum env_err env_seal_reply(const struct env_peer *pilot,
                            const uint8_t my_ed_pk[ENV_PK_BYTES],
                            const struct env_req_ctx *ctx, uint64_t now_wall_ms,
                            const void *pt, size_t ptlen, uint8_t *out,
                            size_t cap, size_t *outlen);

/* Pilot: open the commander's reply; ENV_E_BIND if it answers another
 * request, ENV_E_AUTH if it is not from the pinned commander key. */
enum env_err env_open_reply(const struct env_peer *commander,
                            const struct env_req_ctx *ctx, const uint8_t *frame,
                            size_t len, uint8_t *pt, size_t cap, size_t *ptlen);

#endif
