/*
 * fuzz_etcd_reply: the etcd JSON gateway's replies as the commander's HA
 * client reads them (commander/etcd.h).  Any bytes go through every
 * parser: a refusal leaves the outputs zeroed, an acceptance gives
 * in-range fields (a NUL-terminated key without NUL bytes, a value within
 * its bound, an auth token fit for a header line, a printable error
 * message), and a failed txn is never a success; never a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "commander/etcd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_kv(const struct etcd_kv *kv)
{
	size_t n = strnlen(kv->key, sizeof(kv->key));

	if (n == 0 || n >= sizeof(kv->key) || kv->vlen > ETCD_VAL_MAX ||
	    kv->value[kv->vlen] != '\0' || kv->create_rev < 0 ||
	    kv->mod_rev < 0 || kv->version < 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct etcd_kv kvs[4], kv;
	const char *b = (const char *)data;
	int64_t id, ttl, rev;
	bool ok, have;
	size_t n;

	if (etcd_parse_grant(b, size, &id, &ttl) == 0) {
		if (id == 0 || ttl <= 0)
			abort();
	} else if (id != 0 || ttl != 0) {
		abort();
	}
	if (etcd_parse_keepalive(b, size, &id, &ttl) == 0) {
		if (ttl < 0)
			abort();
	} else if (id != 0 || ttl != 0) {
		abort();
	}
	if (etcd_parse_range(b, size, kvs, 4, &n, &rev) == 0) {
		if (n > 4)
			abort();
		for (size_t i = 0; i < n; i++)
			check_kv(&kvs[i]);
	} else if (n != 0 || rev != 0) {
		abort();
	}
	if (etcd_parse_txn(b, size, &ok, &rev, &kv, &have) == 0) {
		if (have)
			check_kv(&kv);
	} else if (ok || have || rev != 0) {
		abort(); /* a refused reply is never a won campaign */
	}
	if (etcd_parse_header(b, size, &rev) != 0 && rev != 0)
		abort();
	{
		char tok[64], msg[32];
		int code;

		/* a token goes into a header line: printable, no spaces */
		if (etcd_parse_auth(b, size, tok, sizeof(tok)) == 0) {
			size_t tl = strnlen(tok, sizeof(tok));

			if (tl == 0 || tl >= sizeof(tok))
				abort();
			for (size_t i = 0; i < tl; i++)
				if (tok[i] <= ' ' || tok[i] > '~')
					abort();
		} else if (tok[0] != '\0') {
			abort();
		}
		if (etcd_parse_error(b, size, msg, sizeof(msg), &code) == 0) {
			size_t ml = strnlen(msg, sizeof(msg));

			if (ml >= sizeof(msg) || code < -1 || code > 1000)
				abort();
			for (size_t i = 0; i < ml; i++)
				if (msg[i] < ' ' || msg[i] > '~')
					abort();
		}
		(void)etcd_reply_token_invalid(401, b, size);
		(void)etcd_reply_token_invalid(400, b, size);
	}
	return 0;
}
