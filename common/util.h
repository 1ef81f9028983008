/*
 * util.h: clocks, bounded string copies and number parsing.
 * Everything here is a library: it returns errors and never logs.
 */
#ifndef SEXTANT_UTIL_H
#define SEXTANT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UTIL_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Monotonic milliseconds: for intervals, timeouts, lease expiry. */
uint64_t clock_mono_ms(void);
/* Wall-clock milliseconds since the Unix epoch: for events and the wire. */
uint64_t clock_wall_ms(void);

/* strlcpy semantics (glibc 2.36 has none): returns strlen(src); the copy was
 * truncated if the result is >= size. */
size_t util_strlcpy(char *dst, const char *src, size_t size);
/* Copy or fail: 0, or -ENAMETOOLONG if src does not fit (dst then empty). */
int util_strcpy_checked(char *dst, const char *src, size_t size);

/* Parse a whole decimal string into [min, max].  0 or -EINVAL / -ERANGE. */
int util_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int util_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
/* "0x1a2b" (or "1a2b" when allow_bare) as hex; 0 or -EINVAL / -ERANGE. */
int util_parse_hex_u64(const char *s, bool allow_bare, uint64_t *out);
/* Percent-decode s[0..n) into buf (NUL-terminated); with plus, '+' is a
 * space (query strings).  0, -EINVAL for a malformed escape or one that
 * decodes to NUL, -ENOSPC if buf is too small. */
int util_pct_decode(const char *s, size_t n, bool plus, char *buf, size_t size);
/* "250ms", "5s", "2m", "1h", or bare seconds "60": milliseconds. */
int util_parse_duration_ms(const char *s, uint64_t *out_ms);
/* "yes/no/true/false/on/off/1/0"; 0 or -EINVAL. */
int util_parse_bool(const char *s, bool *out);

/* Format ms as "1.5s", "3m20s" ... into buf; returns buf. */
const char *util_fmt_duration(uint64_t ms, char *buf, size_t size);

/* Median of n values (sorts v in place); 0 when n == 0. */
uint64_t util_median_u64(uint64_t *v, size_t n);

#endif
