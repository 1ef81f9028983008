/*
 * fuzz_logrules: arbitrary bytes through the line splitter and the rules
 * (defaults plus a custom rule parsed from the input's first line) must
 * never crash, read out of bounds, or hand over a line longer than max.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pilot/logrules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx {
	const struct logrules *r;
	struct logrules_state *st;
	size_t max;
};

static void
line(void *arg, const char *l, size_t len)
{
	struct ctx *c = arg;

	if (len > c->max)
		__builtin_trap();
	logrules_feed(c->r, c->st, l, len, 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct logrules r;
	static struct logsplit sp;
	struct logrules_state st;
	struct logrule rule;
	struct ctx c;
	char val[256], err[256];
	const uint8_t *nl;
	size_t i, n, chunk;

	logrules_init(&r);
	logrules_add_defaults(&r);
	/* the first line, if short, is a candidate custom rule */
	nl = memchr(data, '\n', size < sizeof(val) ? size : sizeof(val));
	if (nl != NULL) {
		n = (size_t)(nl - data);
		memcpy(val, data, n);
		val[n] = '\0';
		if (logrules_parse_rule(val, &rule, err, sizeof(err)) == 0)
			logrules_add(&r, &rule);
		else if (memchr(err, '\0', sizeof(err)) == NULL)
			__builtin_trap();
	}

	memset(&st, 0, sizeof(st));
	/* a small max so the fuzzer reaches the overlong path */
	logsplit_init(&sp, size > 0 ? 16 + data[0] % 200 : 0);
	c.r = &r;
	c.st = &st;
	c.max = sp.max;
	/* chunk sizes vary with the data, so lines straddle chunks */
	for (i = 0; i < size; i += chunk) {
		chunk = 1 + (data[i] % 61);
		if (chunk > size - i)
			chunk = size - i;
		logsplit_feed(&sp, data + i, chunk, line, &c);
	}
	logsplit_flush(&sp, line, &c);
	if (strnlen(st.imported_hash, sizeof(st.imported_hash)) >=
	    sizeof(st.imported_hash))
		__builtin_trap();
	/* the whole input as one line too, unsplit */
	logrules_feed(&r, &st, (const char *)data, size, 2);
	return 0;
}
