/*
 * tail.h: following a growing log file across rotation and truncation,
 * like `tail -F`, one bounded read per call.
 *
 * Rotation (the path now names another file) is noticed by device and
 * inode: the old file is read to its end first, then the new one from its
 * start.  Truncation (the file shrank below our offset, as copytruncate
 * does) restarts at 0.  A missing file is not an error: it is waited for.
 * Library code: returns errors, never logs.
 */
#ifndef SEXTANT_PILOT_TAIL_H
#define SEXTANT_PILOT_TAIL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define TAIL_ROTATED   0x1 /* switched to a new file at this path */
#define TAIL_TRUNCATED 0x2 /* the file shrank: reading from 0 again */

struct tail {
	char path[PATH_MAX];
	int fd; /* -1 while the file is missing */
	dev_t dev;
	ino_t ino;
	uint64_t off;
	bool skip_partial; /* started mid-line: drop up to a newline */
	unsigned events;   /* TAIL_* seen by the last tail_read */
	uint64_t rotations, truncations;
};

/*
 * Start following path.  An existing file is read from its last `backlog`
 * bytes (at a line start), so the caller learns the recent state without
 * replaying a huge log; a file that appears later is read from 0.
 * 0, or -ENAMETOOLONG, or -errno from opening an existing file.
 */
int tail_open(struct tail *t, const char *path, uint64_t backlog);

/*
 * Up to cap new bytes into buf: >0 bytes read, 0 nothing new (or no file
 * yet), -errno on a read error.  t->events tells whether this call
 * rotated or truncated (a pending partial line then belongs to nothing:
 * the caller resets its splitter).
 */
ssize_t tail_read(struct tail *t, char *buf, size_t cap);

/* Close the file; t may be opened again.  Accepts a closed tail. */
void tail_close(struct tail *t);

#endif
