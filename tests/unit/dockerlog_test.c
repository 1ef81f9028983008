/*
 * dockerlog_test: the Engine API log demuxer against split reads, lines
 * split across frames, both streams, Tty raw mode and hostile headers.
 */
#include <errno.h>
#include <stdlib.h>

#include "pilot/dockerlog.h"
#include "tests/test.h"

/* What the callback saw, as "1:line\n2:line\n..." */
struct seen {
	char text[1 << 16];
	size_t len;
	int calls;
	int stop_after; /* answer 7 at this call, 0: never */
	size_t maxlen;
};

static int
collect(void *arg, enum supervise_stream s, const char *line, size_t len)
{
	struct seen *c = arg;

	c->calls++;
	if (len > c->maxlen)
		c->maxlen = len;
	if (c->len + len + 4 < sizeof(c->text)) {
		c->text[c->len++] = (char)('0' + s);
		c->text[c->len++] = ':';
		memcpy(c->text + c->len, line, len);
		c->len += len;
		c->text[c->len++] = '\n';
		c->text[c->len] = '\0';
	}
	return c->stop_after && c->calls == c->stop_after ? 7 : 0;
}

static size_t
frame(uint8_t *out, int stream, const char *payload, size_t n)
{
	out[0] = (uint8_t)stream;
	out[1] = out[2] = out[3] = 0;
	out[4] = (uint8_t)(n >> 24);
	out[5] = (uint8_t)(n >> 16);
	out[6] = (uint8_t)(n >> 8);
	out[7] = (uint8_t)n;
	memcpy(out + 8, payload, n);
	return 8 + n;
}

/* A body with everything at once: multi-line frames, a line split over
 * three frames, interleaved stderr, stdin frames, an empty frame. */
static size_t
sample(uint8_t *b)
{
	size_t n = 0;

	n += frame(b + n, 1, "Imported #1 (0xab)\nImported #2", 30);
	n += frame(b + n, 2, "warn: pe", 8);
	n += frame(b + n, 1, " (0xcd)\nIdle (3 pe", 18);
	n += frame(b + n, 2, "ers low\r\n", 9);
	n += frame(b + n, 1, "", 0);
	n += frame(b + n, 1, "ers)\n", 5);
	n += frame(b + n, 0, "from stdin\n", 11);
	n += frame(b + n, 2, "no newline at end", 17);
	return n;
}

static const char sample_want[] = "1:Imported #1 (0xab)\n"
                                  "1:Imported #2 (0xcd)\n"
                                  "2:warn: peers low\n"
                                  "1:Idle (3 peers)\n"
                                  "1:from stdin\n"
                                  "2:no newline at end\n";

static void
test_whole_body(void)
{
	uint8_t b[512];
	size_t n = sample(b);
	struct dockerlog d;
	static struct seen c;

	memset(&c, 0, sizeof(c));
	dockerlog_init(&d, false);
	CHECK_EQ_INT(dockerlog_feed(&d, b, n, collect, &c), 0);
	CHECK_EQ_INT(dockerlog_finish(&d, collect, &c), 0);
	CHECK_EQ_STR(c.text, sample_want);
	CHECK_EQ_INT(d.frames, 8);
}

static void
test_split_every_byte(void)
{
	uint8_t b[512];
	size_t n = sample(b);
	static struct seen c;
	struct dockerlog d;

	/* two pieces, split at every boundary */
	for (size_t cut = 0; cut <= n; cut++) {
		memset(&c, 0, sizeof(c));
		dockerlog_init(&d, false);
		CHECK_EQ_INT(dockerlog_feed(&d, b, cut, collect, &c), 0);
		CHECK_EQ_INT(dockerlog_feed(&d, b + cut, n - cut, collect, &c),
		             0);
		CHECK_EQ_INT(dockerlog_finish(&d, collect, &c), 0);
		CHECKF(strcmp(c.text, sample_want) == 0, "cut at %zu: %s", cut,
		       c.text);
	}
	/* one byte at a time */
	memset(&c, 0, sizeof(c));
	dockerlog_init(&d, false);
	for (size_t i = 0; i < n; i++)
		CHECK_EQ_INT(dockerlog_feed(&d, b + i, 1, collect, &c), 0);
	CHECK_EQ_INT(dockerlog_finish(&d, collect, &c), 0);
	CHECK_EQ_STR(c.text, sample_want);
}

static void
test_tty_raw(void)
{
	const char *body = "2024 boot\r\nImported #7 (0x01)\nhalf";
	static struct seen c;
	struct dockerlog d;

	for (size_t cut = 0; cut <= strlen(body); cut++) {
		memset(&c, 0, sizeof(c));
		dockerlog_init(&d, true);
		CHECK_EQ_INT(dockerlog_feed(&d, body, cut, collect, &c), 0);
		CHECK_EQ_INT(dockerlog_feed(&d, body + cut, strlen(body) - cut,
		                            collect, &c),
		             0);
		CHECK_EQ_INT(dockerlog_finish(&d, collect, &c), 0);
		CHECK_EQ_STR(c.text, "1:2024 boot\n1:Imported #7 (0x01)\n"
		                     "1:half\n");
	}
	/* raw mode: bytes that look like a header are just text */
	memset(&c, 0, sizeof(c));
	dockerlog_init(&d, true);
	CHECK_EQ_INT(dockerlog_feed(&d,
	                            "\x01\0\0\0\0\0\0\x03"
	                            "abc\n",
	                            12, collect, &c),
	             0);
	CHECK_EQ_INT(c.calls, 1);
	CHECK_EQ_INT(c.len, 2 + 11 + 1);
}

static void
test_huge_length(void)
{
	uint8_t b[64] = {1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
	static struct seen c;
	struct dockerlog d;

	memcpy(b + 8, "short\npartial", 13);
	memset(&c, 0, sizeof(c));
	dockerlog_init(&d, false);
	/* the frame claims 4 GiB: no allocation, bytes stream through */
	CHECK_EQ_INT(dockerlog_feed(&d, b, 21, collect, &c), 0);
	CHECK_EQ_INT(dockerlog_finish(&d, collect, &c), -EPROTO);
	CHECK_EQ_STR(c.text, "1:short\n1:partial\n");
}

static void
test_truncated_header(void)
{
	uint8_t b[32];
	size_t n = frame(b, 1, "ok\n", 3);
	static struct seen c;
	struct dockerlog d;

	b[n++] = 2;
	b[n++] = 0;
	b[n++] = 0; /* header cut after 3 bytes */
	memset(&c, 0, sizeof(c));
	dockerlog_init(&d, false);
	CHECK_EQ_INT(dockerlog_feed(&d, b, n, collect, &c), 0);
	CHECK_EQ_INT(dockerlog_finish(&d, collect, &c), -EPROTO);
	CHECK_EQ_STR(c.text, "1:ok\n");
}

static void
test_bad_header(void)
{
	uint8_t b[32];
	size_t n = frame(b, 1, "ok\n", 3);
	static struct seen c;
	struct dockerlog d;

	/* a Tty stream read as frames: "Impo" is not a header */
	memcpy(b + n, "Imported #1\n", 12);
	memset(&c, 0, sizeof(c));
	dockerlog_init(&d, false);
	CHECK_EQ_INT(dockerlog_feed(&d, b, n + 12, collect, &c), -EPROTO);
	CHECK_EQ_INT(dockerlog_feed(&d, b, n, collect, &c), -EPROTO);
	CHECK_EQ_INT(dockerlog_finish(&d, collect, &c), -EPROTO);
	CHECK_EQ_STR(c.text, "1:ok\n");

	/* stream 3, and nonzero padding */
	const uint8_t h1[8] = {3, 0, 0, 0, 0, 0, 0, 1};
	const uint8_t h2[8] = {1, 0, 1, 0, 0, 0, 0, 1};

	dockerlog_init(&d, false);
	CHECK_EQ_INT(dockerlog_feed(&d, h1, 8, collect, &c), -EPROTO);
	dockerlog_init(&d, false);
	CHECK_EQ_INT(dockerlog_feed(&d, h2, 8, collect, &c), -EPROTO);
}

static void
test_long_line_cut(void)
{
	size_t big = SUPERVISE_LINE_MAX * 3 + 17;
	char *p = malloc(big + 32);
	uint8_t *b = malloc(big + 64);
	static struct seen c;
	struct dockerlog d;
	size_t n;

	memset(p, 'x', big);
	/* the tail of the long line must not pose as a line of its own */
	memcpy(p + big - 12, "Imported #99", 12);
	memcpy(p + big, "\nnext\n", 6);
	n = frame(b, 1, p, big + 6);
	memset(&c, 0, sizeof(c));
	dockerlog_init(&d, false);
	for (size_t i = 0; i < n; i += 1000)
		CHECK_EQ_INT(dockerlog_feed(&d, b + i,
		                            n - i < 1000 ? n - i : 1000,
		                            collect, &c),
		             0);
	CHECK_EQ_INT(dockerlog_finish(&d, collect, &c), 0);
	CHECK_EQ_INT(c.calls, 2);
	CHECK_EQ_INT(c.maxlen, SUPERVISE_LINE_MAX);
	CHECK_EQ_INT(d.cut, 1);
	CHECK(strstr(c.text, "Imported") == NULL);
	CHECK(strstr(c.text, "\n1:next\n") != NULL);
	/* exactly SUPERVISE_LINE_MAX is not cut */
	memset(p, 'y', SUPERVISE_LINE_MAX);
	p[SUPERVISE_LINE_MAX] = '\n';
	n = frame(b, 2, p, SUPERVISE_LINE_MAX + 1);
	memset(&c, 0, sizeof(c));
	dockerlog_init(&d, false);
	CHECK_EQ_INT(dockerlog_feed(&d, b, n, collect, &c), 0);
	CHECK_EQ_INT(dockerlog_finish(&d, collect, &c), 0);
	CHECK_EQ_INT(c.calls, 1);
	CHECK_EQ_INT(d.cut, 0);
	CHECK_EQ_INT(c.maxlen, SUPERVISE_LINE_MAX);
	free(p);
	free(b);
}

static void
test_stop_early(void)
{
	uint8_t b[512];
	size_t n = sample(b);
	static struct seen c;
	struct dockerlog d;

	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	dockerlog_init(&d, false);
	CHECK_EQ_INT(dockerlog_feed(&d, b, n, collect, &c), 7);
	CHECK_EQ_INT(dockerlog_finish(&d, collect, &c), 7);
	CHECK_EQ_INT(c.calls, 2);
}

/* Garbage of every kind: bounded, never crashes, lines stay short. */
static void
test_random_bounded(void)
{
	static uint8_t b[8192];
	static struct seen c;
	struct dockerlog d;
	uint32_t x = 12345;

	for (int round = 0; round < 300; round++) {
		for (size_t i = 0; i < sizeof(b); i++) {
			x = x * 1103515245 + 12345;
			b[i] = (uint8_t)(x >> 16);
			/* mostly plausible headers now and then */
			if (round % 3 == 0 && i % 64 < 4)
				b[i] = i % 64 == 0 ? (uint8_t)(round % 3) : 0;
		}
		memset(&c, 0, sizeof(c));
		dockerlog_init(&d, round % 5 == 0);
		size_t off = 0;

		while (off < sizeof(b)) {
			size_t k = 1 + (x >> 8) % 700;

			x = x * 1103515245 + 12345;
			if (k > sizeof(b) - off)
				k = sizeof(b) - off;
			int rc = dockerlog_feed(&d, b + off, k, collect, &c);

			CHECK(rc == 0 || rc == -EPROTO);
			off += k;
		}
		dockerlog_finish(&d, collect, &c);
		CHECK(c.maxlen <= SUPERVISE_LINE_MAX);
	}
}

int
main(void)
{
	RUN(test_whole_body);
	RUN(test_split_every_byte);
	RUN(test_tty_raw);
	RUN(test_huge_length);
	RUN(test_truncated_header);
	RUN(test_bad_header);
	RUN(test_long_line_cut);
	RUN(test_stop_early);
	RUN(test_random_bounded);
	return TEST_END();
}
