/*
 * log.h: the one log API of the daemons and tools (after OpenBSD's log.c).
 * Foreground: stderr with a timestamp.  Otherwise: syslog.  Library code
 * (common/, proto/, pure modules) never logs; it returns errors.
 */
#ifndef SEXTANT_LOG_H
#define SEXTANT_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_WARN = 0, LOG_LVL_INFO = 1, LOG_LVL_DEBUG = 2 };

/* progname is kept by reference; verbosity: 0 warn+info, 1 +debug. */
void log_init(const char *progname, int foreground, int verbosity);
void log_setverbose(int verbosity);
int log_getverbose(void);

/* log_warn appends ": strerror(errno)"; the x variants do not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* fatal: only at startup or for a broken invariant; exits 1. */
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
