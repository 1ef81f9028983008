/*
 * fuzz_pilot_parse.c: the pilot daemon's own parsers on hostile bytes: the
 * doppelganger's /commit, key file and /status readers, and the host
 * health readers of /proc/meminfo and /proc/loadavg.  The first byte picks
 * the parser.  Besides "no crash, no overrun": a found address is hex and
 * fits, a percentage is at most 100.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pilot/doppel.h"
#include "pilot/hostinfo.h"

#define EXPECT(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static void
hex_addr(const char *a)
{
	size_t n = strlen(a);

	EXPECT(n > 0 && n < DOPPEL_ADDR_MAX);
	for (size_t i = 0; i < n; i++)
		EXPECT(strchr("0123456789abcdefABCDEF", a[i]) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char addr[DOPPEL_ADDR_MAX], err[128];
	const char *buf = (const char *)data + 1;
	size_t len = size - 1;
	uint64_t h;
	uint32_t v;
	bool seen;
	char *copy;

	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0:
		if (doppel_parse_commit(
		        buf, len, "C4A05E2D17F3B86E9A0D6C3F1B2E4A5D7C8E9F01",
		        &h, &seen, err, sizeof(err)) == 0)
			EXPECT(h <= INT64_MAX);
		break;
	case 1:
		if (doppel_parse_key_address(buf, len, addr, sizeof(addr)) == 0)
			hex_addr(addr);
		break;
	case 2:
		if (doppel_parse_status_address(buf, len, addr, sizeof(addr)) ==
		    0)
			hex_addr(addr);
		break;
	case 3:
		/* /proc text is NUL-terminated by its reader: so here */
		if ((copy = malloc(len + 1)) == NULL)
			return 0;
		memcpy(copy, buf, len);
		copy[len] = '\0';
		if (hostinfo_parse_meminfo(copy, len, &v) == 0)
			EXPECT(v <= 100);
		free(copy);
		break;
	case 4:
		(void)hostinfo_parse_loadavg(buf, len, &v);
		break;
	}
	return 0;
}
