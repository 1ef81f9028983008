#include "pilot/dockerlog.h"

#include <errno.h>
#include <string.h>

void
dockerlog_init(struct dockerlog *d, bool raw)
{
	memset(d, 0, sizeof(*d));
	d->raw = raw;
	d->stream = SUPERVISE_STDOUT;
}

static int
deliver(struct dockerlog *d, int s, supervise_line_fn fn, void *arg)
{
	struct dockerlog_line *l = &d->line[s - 1];
	size_t n = l->len;

	l->len = 0;
	if (n > 0 && l->buf[n - 1] == '\r')
		n--;
	if (d->stopped)
		return d->stopped;
	d->stopped = fn(arg, (enum supervise_stream)s, l->buf, n);
	return d->stopped;
}

/* Payload bytes of stream s: append to its line, deliver at newlines. */
static void
take(struct dockerlog *d, int s, const char *p, size_t n, supervise_line_fn fn,
     void *arg)
{
	struct dockerlog_line *l = &d->line[s - 1];

	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t seg = nl ? (size_t)(nl - p) : n;

		if (l->dropping) {
			/* skip the rest of a line that was cut */
		} else if (seg <= sizeof(l->buf) - l->len) {
			memcpy(l->buf + l->len, p, seg);
			l->len += seg;
		} else {
			size_t room = sizeof(l->buf) - l->len;

			memcpy(l->buf + l->len, p, room);
			l->len += room;
			d->cut++;
			deliver(d, s, fn, arg);
			l->dropping = true;
		}
		if (nl == NULL)
			return;
		if (l->dropping)
			l->dropping = false;
		else
			deliver(d, s, fn, arg);
		p = nl + 1;
		n -= seg + 1;
	}
}

int
dockerlog_feed(struct dockerlog *d, const void *buf, size_t len,
               supervise_line_fn fn, void *arg)
{
	const uint8_t *p = buf;
	size_t i = 0;

	if (d->broken)
		return -EPROTO;
	if (d->raw) {
		take(d, SUPERVISE_STDOUT, (const char *)p, len, fn, arg);
		return d->stopped;
	}
	while (i < len) {
		if (d->left == 0) {
			size_t k = 8 - d->hdr_have;

			if (k > len - i)
				k = len - i;
			memcpy(d->hdr + d->hdr_have, p + i, k);
			d->hdr_have += k;
			i += k;
			if (d->hdr_have < 8)
				break;
			d->hdr_have = 0;
			if (d->hdr[0] > 2 || d->hdr[1] || d->hdr[2] ||
			    d->hdr[3]) {
				d->broken = true;
				return -EPROTO;
			}
			/* stdin frames are written on stdout */
			d->stream = d->hdr[0] == 2 ? SUPERVISE_STDERR
			                           : SUPERVISE_STDOUT;
			d->left = (uint32_t)d->hdr[4] << 24 |
			          (uint32_t)d->hdr[5] << 16 |
			          (uint32_t)d->hdr[6] << 8 |
			          (uint32_t)d->hdr[7];
			d->frames++;
			continue;
		}
		size_t k = d->left;

		if (k > len - i)
			k = len - i;
		take(d, d->stream, (const char *)p + i, k, fn, arg);
		i += k;
		d->left -= (uint32_t)k;
	}
	return d->stopped;
}

int
dockerlog_finish(struct dockerlog *d, supervise_line_fn fn, void *arg)
{
	bool truncated = !d->raw && (d->hdr_have > 0 || d->left > 0);

	for (int s = SUPERVISE_STDOUT; s <= SUPERVISE_STDERR; s++) {
		struct dockerlog_line *l = &d->line[s - 1];

		if (l->len > 0 && !l->dropping)
			deliver(d, s, fn, arg);
		l->len = 0;
		l->dropping = false;
	}
	d->hdr_have = 0;
	d->left = 0;
	if (d->stopped)
		return d->stopped;
	return truncated || d->broken ? -EPROTO : 0;
}
