/*
 * sp.h: nng's scalability-protocol framing over TCP, as a REP peer sees it,
 * for the commander's epoll endpoint (ingest_tcp.c).  Pure: no I/O, no
 * allocation, no clock; every function reads only the bytes it is given.
 *
 * The wire (nng src/sp/transport/tcp/tcp.c and protocol/reqrep0/rep.c):
 *  - each side first sends 8 bytes: 00 'S' 'P' 00, its protocol id as a
 *    big-endian u16 (REQ 0x0030, REP 0x0031), then 00 00; nng refuses a
 *    header whose fixed bytes differ, and a socket refuses a peer whose
 *    protocol is not its own protocol's peer;
 *  - then each message is a big-endian u64 length and that many bytes;
 *  - a REQ message starts with its backtrace: 32-bit big-endian words, the
 *    last one (the request id) with its top bit set, each earlier one a hop
 *    through a device.  REP drops (without closing) a request that went
 *    through more than its max TTL hops (default 8) and closes a connection
 *    whose message ends before the backtrace does.  The reply is the same
 *    backtrace followed by the reply body.
 */
#ifndef SEXTANT_COMMANDER_SP_H
#define SEXTANT_COMMANDER_SP_H

#include <stddef.h>
#include <stdint.h>

#define SP_HDR_LEN     8 /* the connection header */
#define SP_LEN_LEN     8 /* each message's length prefix */
#define SP_PROTO_REQ   0x0030u
#define SP_PROTO_REP   0x0031u
#define SP_DEFAULT_TTL 8 /* nng's NNG_OPT_MAXTTL default */
#define SP_MAX_TTL     15
#define SP_BTRACE_MAX  (4 * SP_MAX_TTL)

enum sp_status {
	SP_OK = 0,
	SP_MORE,     /* need more bytes; nothing consumed */
	SP_E_MAGIC,  /* header's fixed bytes wrong: not an SP peer */
	SP_E_PROTO,  /* an SP peer, but not the protocol wanted */
	SP_E_TOOBIG, /* declared length over the caller's limit */
	SP_E_BTRACE, /* message ends inside its backtrace: close */
	SP_E_TTL,    /* more hops than allowed: drop, keep the connection */
};
const char *sp_strerror(enum sp_status);

/* Write our 8-byte header for protocol proto into out. */
void sp_header_put(uint8_t out[SP_HDR_LEN], uint16_t proto);

/* Check the peer's header (len bytes available, len may be short):
 * SP_OK, SP_MORE, SP_E_MAGIC, or SP_E_PROTO if its protocol is not want. */
enum sp_status sp_header_check(const uint8_t *buf, size_t len, uint16_t want);

/*
 * The next message in buf[0..len): SP_OK with *msglen (the body length,
 * excluding the prefix; the message is buf + SP_LEN_LEN), SP_MORE if the
 * length prefix itself is incomplete, or SP_E_TOOBIG if the length is over
 * max (then *msglen holds it, saturated at SIZE_MAX).  SP_OK does not mean
 * the body is all there: the caller compares *msglen with what it has.
 */
enum sp_status sp_frame_len(const uint8_t *buf, size_t len, size_t max,
                            size_t *msglen);

/*
 * Split a REQ message into backtrace and body: SP_OK with *btlen (a
 * multiple of 4, at most 4 * maxttl), SP_E_BTRACE or SP_E_TTL.  maxttl is
 * clamped to 1..SP_MAX_TTL.
 */
enum sp_status sp_backtrace(const uint8_t *msg, size_t len, unsigned maxttl,
                            size_t *btlen);

/* Write a length prefix. */
void sp_len_put(uint8_t out[SP_LEN_LEN], uint64_t len);

#endif
