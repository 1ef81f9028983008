/*
 * nodelog.h: the node's log lines into the log rules.  The process
 * backend's file is followed with tail.h (rotation and truncation seen);
 * a container's or unit's logs are asked of the supervisor (docker logs,
 * journalctl) from a cursor, so each line is read once.  Library code:
 * returns errors, never logs.
 */
#ifndef SEXTANT_PILOT_NODELOG_H
#define SEXTANT_PILOT_NODELOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pilot/logrules.h"
#include "pilot/supervise.h"
#include "pilot/tail.h"

#define NODELOG_BACKLOG   (64 * 1024)  /* of an existing file, at start */
#define NODELOG_SINCE_MS  (300 * 1000) /* of a container's logs */
#define NODELOG_MAX_READS 64           /* per drain: 64 x 8 KiB */

struct nodelog {
	const struct logrules *rules;
	struct logrules_state st;
	/* process: the file */
	bool use_tail;
	struct tail tail;
	struct logsplit split;
	/* docker, systemd */
	const struct supervise_ops *ops;
	void *h;
	struct supervise_cursor cur;
	uint64_t now_ms; /* for the lines of one drain */
	char buf[8192];
};

/*
 * Follow path (process backend; ops NULL), or ask ops/h for logs from
 * now_wall_ms - NODELOG_SINCE_MS on.  rules must outlive nl.  0 or -errno.
 */
int nodelog_open(struct nodelog *nl, const struct logrules *rules,
                 const char *path, const struct supervise_ops *ops, void *h,
                 uint64_t now_wall_ms);
/* Read what is new into the rules (now_ms: monotonic, stamps signals).
 * The number of lines read, or -errno with err. */
int nodelog_drain(struct nodelog *nl, uint64_t now_ms, char *err,
                  size_t errlen);
void nodelog_close(struct nodelog *nl);

#endif
