#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static const char *log_prog = "sextant";
static int log_fg = 1;
static int log_verbose;

void
log_init(const char *progname, int foreground, int verbosity)
{
	log_prog = progname;
	log_fg = foreground;
	log_verbose = verbosity;
	if (!log_fg)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

void
log_setverbose(int verbosity)
{
	log_verbose = verbosity;
}

int
log_getverbose(void)
{
	return log_verbose;
}

static void vlog(int, const char *, va_list, const char *)
    __attribute__((format(printf, 2, 0)));

static void
vlog(int pri, const char *fmt, va_list ap, const char *suffix)
{
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_fg) {
		struct timespec ts;
		struct tm tm;
		char when[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		/* one fprintf per line keeps lines whole across threads */
		fprintf(stderr, "%s.%03ldZ %s[%s] %s%s%s\n", when,
		        ts.tv_nsec / 1000000, log_prog,
		        pri == LOG_WARNING ? "warn"
		        : pri == LOG_DEBUG ? "debug"
		        : pri == LOG_CRIT  ? "fatal"
		                           : "info",
		        msg, suffix ? ": " : "", suffix ? suffix : "");
	} else
		syslog(pri, "%s%s%s", msg, suffix ? ": " : "",
		       suffix ? suffix : "");
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
