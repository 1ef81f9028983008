/*
 * fuzz_groups_record: the durable lease record the commander reads back at
 * start (commander/groups.c, from the store's kv).  Any bytes either decode
 * to a record whose fields are in range and which encodes and decodes back
 * to the same record, or are refused with the output zeroed; never a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "commander/groups.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct groups_record r, back;
	char buf[1024];

	if (groups_record_decode((const char *)data, size, &r) != 0) {
		if (r.epoch != 0 || r.holder[0] != '\0' ||
		    r.watermark.height != 0)
			abort(); /* a refusal leaves nothing half-filled */
		return 0;
	}
	if (memchr(r.holder, '\0', sizeof(r.holder)) == NULL ||
	    r.watermark.round < 0 || r.watermark.step < 0)
		abort();
	if (groups_record_encode(&r, buf, sizeof(buf)) != 0 ||
	    groups_record_decode(buf, strlen(buf), &back) != 0 ||
	    back.epoch != r.epoch || strcmp(back.holder, r.holder) != 0 ||
	    proto_sign_cmp(&back.watermark, &r.watermark) != 0)
		abort(); /* what we write we read back the same */
	return 0;
}
