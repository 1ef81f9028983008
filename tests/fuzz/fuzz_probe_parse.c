/*
 * fuzz_probe_parse.c: every probe family's parsers on the same bytes.
 * Besides "no crash, no leak, no overrun" (the sanitizers' job) it checks
 * the parsers' contract: a refusal always says why, and an accepted value
 * is within what the encoding allows.
 */
#include "pilot/probe_parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EXPECT(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

typedef int (*parse_fn)(const char *, size_t, struct probe_result *);

static void
check(int rc, const struct probe_result *r)
{
	EXPECT(rc == 0 || rc == -1);
	EXPECT(memchr(r->error, '\0', sizeof(r->error)) != NULL);
	EXPECT(memchr(r->tip_hash, '\0', sizeof(r->tip_hash)) != NULL);
	if (rc != 0)
		EXPECT(r->error[0] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const parse_fn fns[] = {
	    probe_parse_cometbft_status,
	    probe_parse_cometbft_net_info,
	    probe_parse_substrate_health,
	    probe_parse_eth_block_number,
	    probe_parse_eth_syncing,
	    probe_parse_eth_peer_count,
	    probe_parse_beacon_syncing,
	    probe_parse_beacon_peer_count,
	    probe_parse_bitcoin_blockchaininfo,
	    probe_parse_bitcoin_networkinfo,
	    probe_parse_command_output,
	};
	const char *buf = (const char *)data;
	struct probe_result r;
	uint64_t a, b;
	char hash[80], user[64], pass[160], err[96];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		memset(&r, 0, sizeof(r));
		check(fns[i](buf, size, &r), &r);
	}

	memset(&r, 0, sizeof(r));
	a = b = 0;
	rc = probe_parse_substrate_sync_state(buf, size, &a, &b, &r);
	check(rc, &r);
	if (rc == 0)
		EXPECT(a <= PROBE_JSON_INT_MAX && b <= PROBE_JSON_INT_MAX);

	memset(&r, 0, sizeof(r));
	check(probe_parse_substrate_header(buf, size, &a, &r), &r);

	memset(&r, 0, sizeof(r));
	rc = probe_parse_substrate_finalized_head(buf, size, hash, sizeof(hash),
	                                          &r);
	check(rc, &r);
	if (rc == 0)
		EXPECT(strlen(hash) == 66 && hash[0] == '0' && hash[1] == 'x');

	rc = probe_parse_bitcoin_cookie(buf, size, user, sizeof(user), pass,
	                                sizeof(pass), err, sizeof(err));
	EXPECT(rc == 0 || (rc == -1 && err[0] != '\0'));
	if (rc == 0)
		EXPECT(strcmp(user, "__cookie__") == 0 && strlen(pass) >= 16);

	if (size >= 2) {
		memset(&r, 0, sizeof(r));
		check(probe_parse_beacon_health(
		          (long)(data[0] << 8 | data[1]) - 100, &r),
		      &r);
	}
	return 0;
}
