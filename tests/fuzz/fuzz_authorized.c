/*
 * fuzz_authorized: the commander's authorized_pilots parser (registry.c).
 * Any text either yields a registry of at most one pilot per line, or is
 * refused with a "name:line: " message; it never crashes or leaks.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "commander/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pk[32], sk[64];
	static int ready;
	struct registry *r;
	char err[256], *text;

	if (!ready) {
		uint8_t seed[32];

		if (sodium_init() < 0)
			abort();
		memset(seed, 1, sizeof(seed));
		crypto_sign_seed_keypair(pk, sk, seed);
		ready = 1;
	}
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	r = registry_parse("f", text, sk, err, sizeof(err));
	if (r == NULL) {
		if (strncmp(err, "f:", 2) != 0)
			abort(); /* every refusal names the file */
	} else {
		size_t lines = 1;

		for (size_t i = 0; i < size; i++)
			lines += data[i] == '\n';
		if (registry_count(r) > lines)
			abort(); /* at most one pilot per line */
	}
	registry_free(r);
	free(text);
	return 0;
}
