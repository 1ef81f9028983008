/*
 * fuzz_sp: the SP/TCP framing (commander/sp.h) as the epoll endpoint drives
 * it.  The first byte seeds how the rest, a byte stream from a would-be
 * REQ peer, is cut into reads; the stream is parsed twice — whole, and in
 * those pieces through a bounded reassembly buffer as the endpoint keeps
 * an incomplete message — and both parses must see the same messages,
 * backtraces and verdict.  No parse may read outside its input, accept a
 * length over the limit, or return a backtrace that is not whole words
 * inside the message and within the TTL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "commander/sp.h"

#define LIMIT  4096 /* a small limit, so the fuzzer reaches it */
#define MAXLOG 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct verdict {
	int end; /* 0 still open, else the sp_status that closed it */
	size_t nmsg;
	uint32_t digest[MAXLOG]; /* per message: length, backtrace, status */
};

struct stream {
	uint8_t hdr[SP_HDR_LEN];
	size_t hdrlen;
	int up;
	uint8_t buf[SP_LEN_LEN + LIMIT];
	size_t len;
	struct verdict v;
};

static void
message(struct stream *s, const uint8_t *m, size_t n)
{
	size_t bt = 0;
	enum sp_status st = sp_backtrace(m, n, SP_DEFAULT_TTL, &bt);

	if (st == SP_OK && (bt == 0 || bt % 4 || bt > n ||
	                    bt > 4 * SP_DEFAULT_TTL || !(m[bt - 4] & 0x80)))
		abort();
	if (st != SP_OK && st != SP_E_TTL && st != SP_E_BTRACE)
		abort();
	if (s->v.nmsg < MAXLOG)
		s->v.digest[s->v.nmsg] =
		    (uint32_t)n * 131u + (uint32_t)bt * 7u + (uint32_t)st;
	s->v.nmsg++;
	if (st == SP_E_BTRACE)
		s->v.end = SP_E_BTRACE;
}

/* Feed n bytes; stops at the first verdict that closes the stream. */
static void
feed(struct stream *s, const uint8_t *p, size_t n)
{
	while (n > 0 && !s->v.end) {
		size_t take, mlen = 0;
		enum sp_status st;

		if (!s->up) {
			take = SP_HDR_LEN - s->hdrlen;
			if (take > n)
				take = n;
			memcpy(s->hdr + s->hdrlen, p, take);
			s->hdrlen += take;
			p += take;
			n -= take;
			st = sp_header_check(s->hdr, s->hdrlen, SP_PROTO_REQ);
			if (st == SP_OK)
				s->up = 1;
			else if (st != SP_MORE)
				s->v.end = st;
			continue;
		}
		/* append what fits, then take whole messages off the front */
		take = sizeof(s->buf) - s->len;
		if (take > n)
			take = n;
		memcpy(s->buf + s->len, p, take);
		s->len += take;
		p += take;
		n -= take;
		for (;;) {
			st = sp_frame_len(s->buf, s->len, LIMIT, &mlen);
			if (st == SP_E_TOOBIG) {
				if (mlen <= LIMIT)
					abort();
				s->v.end = st;
				return;
			}
			if (st != SP_OK || s->len - SP_LEN_LEN < mlen)
				break;
			if (mlen > LIMIT)
				abort();
			message(s, s->buf + SP_LEN_LEN, mlen);
			if (s->v.end)
				return;
			memmove(s->buf, s->buf + SP_LEN_LEN + mlen,
			        s->len - SP_LEN_LEN - mlen);
			s->len -= SP_LEN_LEN + mlen;
		}
		/* what is left is one incomplete message: it always fits */
		if (s->len == sizeof(s->buf))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct stream whole, cut;
	uint32_t r;

	if (size < 1)
		return 0;
	r = data[0] * 2654435761u + 1;
	data++;
	size--;
	memset(&whole, 0, sizeof(whole));
	memset(&cut, 0, sizeof(cut));
	feed(&whole, data, size);
	for (size_t off = 0; off < size;) {
		size_t k;

		r = r * 1103515245u + 12345u;
		k = 1 + (r >> 16) % 300;
		if (k > size - off)
			k = size - off;
		feed(&cut, data + off, k);
		off += k;
	}
	if (whole.v.end != cut.v.end || whole.v.nmsg != cut.v.nmsg ||
	    memcmp(whole.v.digest, cut.v.digest, sizeof(whole.v.digest)) != 0)
		abort();
	return 0;
}
