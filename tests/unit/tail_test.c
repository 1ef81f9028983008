/*
 * tail_test: a temp log file that grows, rotates (rename + new file, the
 * way the process backend's size rotation does), is truncated, vanishes
 * and reappears.  Nothing written may be lost or repeated.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pilot/tail.h"
#include "tests/test.h"

static char dir[64], path[128], path1[128];

static void
append(const char *p, const char *s)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_APPEND, 0644);

	CHECK(fd != -1);
	CHECK(write(fd, s, strlen(s)) == (ssize_t)strlen(s));
	close(fd);
}

/* Everything readable now, in reads of at most cap, into out. */
static size_t
drain(struct tail *t, char *out, size_t outsz, size_t cap, unsigned *events)
{
	size_t len = 0;
	ssize_t n;
	int calls = 0;

	*events = 0;
	do {
		n = tail_read(t, out + len,
		              cap < outsz - len - 1 ? cap : outsz - len - 1);
		*events |= t->events;
		CHECKF(n >= 0, "tail_read: %s", strerror((int)-n));
		if (n > 0) {
			CHECK((size_t)n <= cap);
			len += (size_t)n;
		}
	} while (n > 0 && len < outsz - 1 && ++calls < 1000);
	out[len] = '\0';
	return len;
}

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/sxt-tail.XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/node.log", dir);
	snprintf(path1, sizeof(path1), "%s/node.log.1", dir);
}

static void
cleanup(void)
{
	unlink(path);
	unlink(path1);
	rmdir(dir);
}

static void
test_grow(void)
{
	struct tail t;
	char out[4096];
	unsigned ev;

	setup();
	append(path, "line one\nline two\n");
	CHECK(tail_open(&t, path, 1 << 20) == 0);
	drain(&t, out, sizeof(out), 5, &ev);
	CHECK_EQ_STR(out, "line one\nline two\n");
	CHECK_EQ_INT(ev, 0);
	/* nothing new */
	CHECK_EQ_INT(tail_read(&t, out, sizeof(out)), 0);
	append(path, "three");
	drain(&t, out, sizeof(out), 4096, &ev);
	CHECK_EQ_STR(out, "three");
	append(path, " continued\n");
	drain(&t, out, sizeof(out), 4096, &ev);
	CHECK_EQ_STR(out, " continued\n");
	CHECK_EQ_INT(tail_read(&t, out, 0), 0);
	tail_close(&t);
	tail_close(&t);
	cleanup();
}

static void
test_backlog(void)
{
	struct tail t;
	char out[4096];
	unsigned ev;

	setup();
	append(path, "aaaaaaaaaa\nbbbbbbbbbb\ncccccccccc\n");
	/* 15 bytes back lands mid-"bbb": the partial line is dropped */
	CHECK(tail_open(&t, path, 15) == 0);
	drain(&t, out, sizeof(out), 3, &ev);
	CHECK_EQ_STR(out, "cccccccccc\n");
	tail_close(&t);
	/* exactly at a line start: nothing dropped */
	CHECK(tail_open(&t, path, 11) == 0);
	drain(&t, out, sizeof(out), 64, &ev);
	CHECK_EQ_STR(out, "cccccccccc\n");
	tail_close(&t);
	/* backlog 0: only what comes next */
	CHECK(tail_open(&t, path, 0) == 0);
	CHECK_EQ_INT(tail_read(&t, out, sizeof(out)), 0);
	append(path, "dd\n");
	drain(&t, out, sizeof(out), 64, &ev);
	CHECK_EQ_STR(out, "dd\n");
	tail_close(&t);
	cleanup();
}

static void
test_rotate(void)
{
	struct tail t;
	char out[4096];
	unsigned ev;

	setup();
	append(path, "old 1\n");
	CHECK(tail_open(&t, path, 1 << 20) == 0);
	drain(&t, out, sizeof(out), 64, &ev);
	CHECK_EQ_STR(out, "old 1\n");
	/* written just before rotation, then rotated, then the new file */
	append(path, "old 2\n");
	CHECK(rename(path, path1) == 0);
	append(path, "new 1\n");
	drain(&t, out, sizeof(out), 64, &ev);
	CHECK_EQ_STR(out, "old 2\nnew 1\n");
	CHECK(ev & TAIL_ROTATED);
	CHECK_EQ_INT(t.rotations, 1);
	append(path, "new 2\n");
	drain(&t, out, sizeof(out), 64, &ev);
	CHECK_EQ_STR(out, "new 2\n");
	CHECK_EQ_INT(ev, 0);
	/* rotate twice more: no byte lost, none repeated */
	CHECK(rename(path, path1) == 0);
	append(path, "new 3\n");
	CHECK(rename(path, path1) == 0);
	append(path, "new 4\n");
	drain(&t, out, sizeof(out), 64, &ev);
	CHECK_EQ_STR(out, "new 4\n"); /* "new 3" lived in a file never seen */
	CHECK_EQ_INT(t.rotations, 2);
	tail_close(&t);
	cleanup();
}

static void
test_truncate(void)
{
	struct tail t;
	char out[4096];
	unsigned ev;
	int fd;

	setup();
	append(path, "0123456789\n0123456789\n");
	CHECK(tail_open(&t, path, 1 << 20) == 0);
	drain(&t, out, sizeof(out), 64, &ev);
	CHECK_EQ_INT(strlen(out), 22);
	/* copytruncate: emptied in place, then written afresh */
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(fd != -1);
	close(fd);
	append(path, "fresh\n");
	drain(&t, out, sizeof(out), 64, &ev);
	CHECK_EQ_STR(out, "fresh\n");
	CHECK(ev & TAIL_TRUNCATED);
	CHECK_EQ_INT(t.truncations, 1);
	CHECK_EQ_INT(t.rotations, 0);
	tail_close(&t);
	cleanup();
}

static void
test_missing(void)
{
	struct tail t;
	char out[4096], longp[PATH_MAX + 10];
	unsigned ev;

	setup();
	/* not there yet: waited for, then read from its start */
	CHECK(tail_open(&t, path, 0) == 0);
	CHECK_EQ_INT(t.fd, -1);
	CHECK_EQ_INT(tail_read(&t, out, sizeof(out)), 0);
	append(path, "hello\n");
	drain(&t, out, sizeof(out), 64, &ev);
	CHECK_EQ_STR(out, "hello\n");
	/* removed: drained, then waited for again */
	append(path, "last words\n");
	CHECK(unlink(path) == 0);
	drain(&t, out, sizeof(out), 64, &ev);
	CHECK_EQ_STR(out, "last words\n");
	CHECK_EQ_INT(tail_read(&t, out, sizeof(out)), 0);
	CHECK_EQ_INT(t.fd, -1);
	append(path, "reborn\n");
	drain(&t, out, sizeof(out), 64, &ev);
	CHECK_EQ_STR(out, "reborn\n");
	tail_close(&t);

	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	CHECK_EQ_INT(tail_open(&t, longp, 0), -ENAMETOOLONG);

	/* a directory is an error to read, not a hang */
	CHECK(tail_open(&t, dir, 0) == 0);
	CHECK(tail_read(&t, out, sizeof(out)) < 0);
	tail_close(&t);
	cleanup();
}

/* Bounded: a big file comes in reads of at most cap, in order. */
static void
test_bounded(void)
{
	struct tail t;
	static char big[300000], out[300001];
	unsigned ev;
	size_t i, n;
	int fd;

	setup();
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)(i % 64 == 63 ? '\n' : 'a' + i % 26);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	CHECK(write(fd, big, sizeof(big)) == (ssize_t)sizeof(big));
	close(fd);
	CHECK(tail_open(&t, path, 1 << 30) == 0);
	n = drain(&t, out, sizeof(out), 8192, &ev);
	CHECK_EQ_INT(n, sizeof(big));
	CHECK(memcmp(out, big, sizeof(big)) == 0);
	tail_close(&t);
	cleanup();
}

int
main(void)
{
	RUN(test_grow);
	RUN(test_backlog);
	RUN(test_rotate);
	RUN(test_truncate);
	RUN(test_missing);
	RUN(test_bounded);
	return TEST_END();
}
