#include "pilot/nodelog.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int
nodelog_open(struct nodelog *nl, const struct logrules *rules, const char *path,
             const struct supervise_ops *ops, void *h, uint64_t now_wall_ms)
{
	memset(&nl->st, 0, sizeof(nl->st));
	nl->rules = rules;
	nl->ops = ops;
	nl->h = h;
	nl->use_tail = ops == NULL;
	memset(&nl->cur, 0, sizeof(nl->cur));
	nl->cur.since_ms =
	    now_wall_ms > NODELOG_SINCE_MS ? now_wall_ms - NODELOG_SINCE_MS : 0;
	logsplit_init(&nl->split, 0);
	if (nl->use_tail) {
		nl->tail.fd = -1;
		return tail_open(&nl->tail, path, NODELOG_BACKLOG);
	}
	return 0;
}

static int
on_line(void *arg, enum supervise_stream stream, const char *line, size_t len)
{
	struct nodelog *nl = arg;

	(void)stream;
	logrules_feed(nl->rules, &nl->st, line, len, nl->now_ms);
	return 0;
}

int
nodelog_drain(struct nodelog *nl, uint64_t now_ms, char *err, size_t errlen)
{
	uint64_t before = nl->st.lines;
	int rc;

	nl->now_ms = now_ms;
	if (!nl->use_tail) {
		rc = nl->ops->logs(nl->h, &nl->cur, on_line, nl, err, errlen);
		return rc < 0 ? rc : (int)(nl->st.lines - before);
	}
	for (int i = 0; i < NODELOG_MAX_READS; i++) {
		ssize_t n = tail_read(&nl->tail, nl->buf, sizeof(nl->buf));

		if (nl->tail.events & (TAIL_ROTATED | TAIL_TRUNCATED))
			logsplit_reset(&nl->split); /* a cut line is no line */
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", nl->tail.path,
			         strerror((int)-n));
			return (int)n;
		}
		if (n == 0)
			break;
		logrules_feed_chunk(nl->rules, &nl->st, &nl->split, nl->buf,
		                    (size_t)n, now_ms);
	}
	return (int)(nl->st.lines - before);
}

void
nodelog_close(struct nodelog *nl)
{
	if (nl->use_tail)
		tail_close(&nl->tail);
}
