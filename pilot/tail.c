/*
 * tail.c: follow a log file by path.  See tail.h.
 */
#include "pilot/tail.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

#define SKIP_ROUNDS 16 /* reads spent looking for the first line start */

static int
open_file(struct tail *t)
{
	struct stat st;
	int fd;

	fd = open(t->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1)
		return -errno;
	if (fstat(fd, &st) == -1) {
		int e = errno;

		close(fd);
		return -e;
	}
	t->fd = fd;
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	t->off = 0;
	return 0;
}

int
tail_open(struct tail *t, const char *path, uint64_t backlog)
{
	struct stat st;
	char c;
	int rc;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (util_strcpy_checked(t->path, path, sizeof(t->path)) != 0)
		return -ENAMETOOLONG;
	rc = open_file(t);
	if (rc == -ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	if (fstat(t->fd, &st) == 0 && (uint64_t)st.st_size > backlog) {
		t->off = (uint64_t)st.st_size - backlog;
		/* mid-line unless the byte before is a newline */
		t->skip_partial =
		    pread(t->fd, &c, 1, (off_t)t->off - 1) != 1 || c != '\n';
	}
	return 0;
}

void
tail_close(struct tail *t)
{
	if (t->fd != -1)
		close(t->fd);
	t->fd = -1;
}

/* Has the path been given to another file (or removed)? */
static bool
path_moved(const struct tail *t, bool *gone)
{
	struct stat st;

	*gone = false;
	if (stat(t->path, &st) == -1) {
		*gone = errno == ENOENT;
		return *gone;
	}
	return st.st_dev != t->dev || st.st_ino != t->ino;
}

static ssize_t
read_some(struct tail *t, char *buf, size_t cap)
{
	struct stat st;
	ssize_t n;

	if (fstat(t->fd, &st) == 0 && (uint64_t)st.st_size < t->off) {
		t->off = 0;
		t->skip_partial = false;
		t->truncations++;
		t->events |= TAIL_TRUNCATED;
	}
	do
		n = pread(t->fd, buf, cap, (off_t)t->off);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -errno;
	t->off += (uint64_t)n;
	return n;
}

ssize_t
tail_read(struct tail *t, char *buf, size_t cap)
{
	ssize_t n;
	bool gone;
	int rc, round;

	t->events = 0;
	if (cap == 0)
		return 0;
	if (t->fd == -1) {
		rc = open_file(t);
		if (rc == -ENOENT)
			return 0;
		if (rc != 0)
			return rc;
	}
	for (round = 0; round < SKIP_ROUNDS; round++) {
		n = read_some(t, buf, cap);
		if (n == 0 && path_moved(t, &gone)) {
			/* the old file is drained: move to the new one */
			tail_close(t);
			if (gone)
				return 0;
			rc = open_file(t);
			if (rc == -ENOENT)
				return 0;
			if (rc != 0)
				return rc;
			t->skip_partial = false;
			t->rotations++;
			t->events |= TAIL_ROTATED;
			n = read_some(t, buf, cap);
		}
		if (n <= 0 || !t->skip_partial)
			return n;
		{
			char *nl = memchr(buf, '\n', (size_t)n);
			size_t rest;

			if (nl == NULL)
				continue; /* still inside the first line */
			t->skip_partial = false;
			rest = (size_t)n - (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, rest);
			if (rest > 0)
				return (ssize_t)rest;
		}
	}
	return 0;
}
