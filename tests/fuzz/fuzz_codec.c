/*
 * fuzz_codec: any bytes into codec_decode.  Whatever it accepts must encode
 * again, decode again, and encode to the same bytes: the decoder never
 * lets through a value the encoder would refuse.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char a[CODEC_MAX_JSON], b[CODEC_MAX_JSON];
	struct proto_msg m, m2;
	char err[160];
	size_t la, lb;

	if (codec_decode((const char *)data, size, &m, err, sizeof(err)) != 0)
		return 0;
	if (codec_encode(&m, a, sizeof(a), &la) != 0)
		abort();
	if (codec_decode(a, la, &m2, err, sizeof(err)) != 0)
		abort();
	if (codec_encode(&m2, b, sizeof(b), &lb) != 0 || la != lb ||
	    memcmp(a, b, la) != 0)
		abort();
	return 0;
}
