#include "commander/sp.h"

static const char *const sp_errs[] = {
    [SP_OK] = "ok",
    [SP_MORE] = "incomplete",
    [SP_E_MAGIC] = "not an SP header",
    [SP_E_PROTO] = "wrong SP protocol",
    [SP_E_TOOBIG] = "message too large",
    [SP_E_BTRACE] = "message ends inside its backtrace",
    [SP_E_TTL] = "too many hops",
};

const char *
sp_strerror(enum sp_status s)
{
	if ((unsigned)s >= sizeof(sp_errs) / sizeof(sp_errs[0]))
		return "unknown SP error";
	return sp_errs[s];
}

void
sp_header_put(uint8_t out[SP_HDR_LEN], uint16_t proto)
{
	out[0] = 0;
	out[1] = 'S';
	out[2] = 'P';
	out[3] = 0;
	out[4] = (uint8_t)(proto >> 8);
	out[5] = (uint8_t)proto;
	out[6] = 0;
	out[7] = 0;
}

enum sp_status
sp_header_check(const uint8_t *buf, size_t len, uint16_t want)
{
	static const uint8_t fixed[SP_HDR_LEN] = {0, 'S', 'P', 0, 0, 0, 0, 0};
	static const uint8_t is_fixed[SP_HDR_LEN] = {1, 1, 1, 1, 0, 0, 1, 1};

	/* judge what has arrived so far: a wrong first byte need not wait
	 * for the other seven */
	for (size_t i = 0; i < len && i < SP_HDR_LEN; i++)
		if (is_fixed[i] && buf[i] != fixed[i])
			return SP_E_MAGIC;
	if (len < SP_HDR_LEN)
		return SP_MORE;
	if (((unsigned)buf[4] << 8 | buf[5]) != want)
		return SP_E_PROTO;
	return SP_OK;
}

enum sp_status
sp_frame_len(const uint8_t *buf, size_t len, size_t max, size_t *msglen)
{
	uint64_t v = 0;

	if (len < SP_LEN_LEN)
		return SP_MORE;
	for (int i = 0; i < SP_LEN_LEN; i++)
		v = v << 8 | buf[i];
	*msglen = v > SIZE_MAX ? SIZE_MAX : (size_t)v;
	return v > max ? SP_E_TOOBIG : SP_OK;
}

enum sp_status
sp_backtrace(const uint8_t *msg, size_t len, unsigned maxttl, size_t *btlen)
{
	if (maxttl < 1)
		maxttl = 1;
	if (maxttl > SP_MAX_TTL)
		maxttl = SP_MAX_TTL;
	for (unsigned hop = 0;; hop++) {
		size_t off = 4 * (size_t)hop;

		/* nng checks the hop count before the length */
		if (hop >= maxttl)
			return SP_E_TTL;
		if (len < off + 4)
			return SP_E_BTRACE;
		if (msg[off] & 0x80u) {
			*btlen = off + 4;
			return SP_OK;
		}
	}
}

void
sp_len_put(uint8_t out[SP_LEN_LEN], uint64_t len)
{
	for (int i = SP_LEN_LEN - 1; i >= 0; i--, len >>= 8)
		out[i] = (uint8_t)len;
}
