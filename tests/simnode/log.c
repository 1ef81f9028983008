/*
 * log.c: simnode's log, one write() per line so that a supervisor reading
 * the file (or a container's log driver) never sees half a line.
 */
#include "tests/simnode/simnode.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_fd = STDOUT_FILENO;

int
sn_log_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd < 0)
		return -1;
	log_fd = fd;
	return 0;
}

void
sn_fmt_time(uint64_t ms, enum sn_ts style, char *out, size_t size)
{
	static const char *mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)(ms / 1000);
	unsigned f = (unsigned)(ms % 1000);
	struct tm tm;
	int y, mo, d, h, mi, s;

	gmtime_r(&t, &tm);
	y = tm.tm_year + 1900, mo = tm.tm_mon + 1, d = tm.tm_mday;
	h = tm.tm_hour, mi = tm.tm_min, s = tm.tm_sec;
	switch (style) {
	case SN_TS_SUBSTRATE:
		snprintf(out, size, "%04d-%02d-%02d %02d:%02d:%02d.%03u", y, mo,
		         d, h, mi, s, f);
		break;
	case SN_TS_RFC3339:
		snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03u000000Z",
		         y, mo, d, h, mi, s, f);
		break;
	case SN_TS_COMETBFT:
		snprintf(out, size, "%04d-%02d-%02d|%02d:%02d:%02d.%03u", y, mo,
		         d, h, mi, s, f);
		break;
	case SN_TS_GETH:
		snprintf(out, size, "%02d-%02d|%02d:%02d:%02d.%03u", mo, d, h,
		         mi, s, f);
		break;
	case SN_TS_BITCOIN:
		snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d,
		         h, mi, s);
		break;
	case SN_TS_LIGHTHOUSE:
		snprintf(out, size, "%s %02d %02d:%02d:%02d.%03u",
		         mon[tm.tm_mon], d, h, mi, s, f);
		break;
	}
}

void
sn_fmt_rfc3339(uint64_t ms, char *out, size_t size)
{
	sn_fmt_time(ms, SN_TS_RFC3339, out, size);
}

static void
emit(const char *line, size_t n)
{
	while (n > 0) {
		ssize_t w = write(log_fd, line, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		line += w;
		n -= (size_t)w;
	}
}

static void vline(const char *prefix, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
vline(const char *prefix, const char *fmt, va_list ap)
{
	char buf[1024];
	size_t n = 0;
	int k;

	if (prefix != NULL) {
		n = strlen(prefix);
		if (n > sizeof(buf) / 2)
			n = sizeof(buf) / 2;
		memcpy(buf, prefix, n);
	}
	k = vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	if (k < 0)
		return;
	n += (size_t)k < sizeof(buf) - n - 1 ? (size_t)k : sizeof(buf) - n - 2;
	buf[n++] = '\n';
	emit(buf, n);
}

void
sn_log_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(NULL, fmt, ap);
	va_end(ap);
}

void
sn_log_sub(const char *level, const char *target, const char *fmt, ...)
{
	char ts[40], prefix[128];
	va_list ap;

	sn_fmt_time(sn_wall_ms(), SN_TS_SUBSTRATE, ts, sizeof(ts));
	snprintf(prefix, sizeof(prefix), "%s %5s %s: ", ts, level, target);
	va_start(ap, fmt);
	vline(prefix, fmt, ap);
	va_end(ap);
}
