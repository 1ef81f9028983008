/*
 * fuzz_dockerlog.c: the Engine API log demuxer on hostile bodies.
 * Besides "no crash, no overrun" it checks the demuxer's contract: lines
 * are never longer than SUPERVISE_LINE_MAX and never hold a newline, and
 * the lines do not depend on how the body was cut into reads (the first
 * input byte picks Tty mode and the cut points).
 */
#include "pilot/dockerlog.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EXPECT(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

struct out {
	uint64_t hash;
	size_t lines;
};

static int
line(void *arg, enum supervise_stream s, const char *p, size_t len)
{
	struct out *o = arg;

	EXPECT(s == SUPERVISE_STDOUT || s == SUPERVISE_STDERR);
	EXPECT(len <= SUPERVISE_LINE_MAX);
	EXPECT(memchr(p, '\n', len) == NULL);
	o->hash = (o->hash ^ (uint64_t)s) * 1099511628211u;
	for (size_t i = 0; i < len; i++)
		o->hash = (o->hash ^ (uint8_t)p[i]) * 1099511628211u;
	o->hash = (o->hash ^ 0x100) * 1099511628211u; /* line end */
	o->lines++;
	return 0;
}

static int
run(const uint8_t *data, size_t size, bool raw, unsigned step, struct out *o)
{
	static struct dockerlog d;
	int rc = 0, r;

	dockerlog_init(&d, raw);
	for (size_t off = 0; off < size;) {
		size_t k = step ? step + off % 7 : size;

		if (k > size - off)
			k = size - off;
		r = dockerlog_feed(&d, data + off, k, line, o);
		EXPECT(r == 0 || r == -EPROTO);
		if (r < 0)
			rc = r;
		off += k;
	}
	r = dockerlog_finish(&d, line, o);
	EXPECT(r == 0 || r == -EPROTO);
	return rc ? rc : r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct out whole = {14695981039346656037u, 0};
	struct out cut = {14695981039346656037u, 0};
	bool raw;
	unsigned step;
	int a, b;

	if (size == 0)
		return 0;
	raw = data[0] & 1;
	step = 1 + (data[0] >> 1);
	a = run(data + 1, size - 1, raw, 0, &whole);
	b = run(data + 1, size - 1, raw, step, &cut);
	/* Up to a bad header, and after it (nothing), the same lines. */
	EXPECT(a == b);
	EXPECT(whole.hash == cut.hash && whole.lines == cut.lines);
	return 0;
}
