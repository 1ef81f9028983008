/*
 * prom.h: the Prometheus text exposition format 0.0.4, written into a
 * growing buffer.  Pure: no clock, no I/O, no locks.  What the writer
 * keeps, whatever the input: HELP and TYPE once per family before its
 * samples (the caller writes each family's samples together), label values
 * and HELP text escaped, histogram buckets cumulative in increasing le
 * order with +Inf equal to _count, and a final newline after each line.
 */
#ifndef SEXTANT_PROM_H
#define SEXTANT_PROM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * A growing NUL-terminated text buffer.  An allocation failure (or growth
 * past max) sets failed and drops later appends, so writers check once at
 * the end.  Zero-initialise it; the caller frees it with prom_buf_free.
 */
struct prom_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* 0: no bound */
	bool failed;
};

void prom_buf_append(struct prom_buf *, const void *p, size_t n);
void prom_buf_puts(struct prom_buf *, const char *s);
void prom_buf_printf(struct prom_buf *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void prom_buf_vprintf(struct prom_buf *, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
void prom_buf_reset(struct prom_buf *); /* len 0, keeps memory */
void prom_buf_free(struct prom_buf *);  /* accepts NULL */

enum prom_type { PROM_COUNTER, PROM_GAUGE, PROM_HISTOGRAM, PROM_UNTYPED };

struct prom_label {
	const char *name;  /* [a-zA-Z_][a-zA-Z0-9_]*, a constant */
	const char *value; /* any UTF-8; escaped on output; NULL as "" */
};

/* counts[i] fell in (bounds[i-1], bounds[i]]; counts[nbounds] overflow.
 * Per bucket, not cumulative; bounds increase strictly. */
struct prom_hist {
	const double *bounds;
	size_t nbounds;
	const uint64_t *counts; /* nbounds + 1 entries */
	double sum;
};

void prom_family(struct prom_buf *, const char *name, enum prom_type type,
                 const char *help);
void prom_sample(struct prom_buf *, const char *name,
                 const struct prom_label *labels, size_t nlabels, double value);
/* Integers beyond 2^53 stay exact. */
void prom_sample_u64(struct prom_buf *, const char *name,
                     const struct prom_label *labels, size_t nlabels,
                     uint64_t value);
/* _bucket (labels + le), _sum and _count; 0, or -EINVAL for bad bounds
 * (nothing written then). */
int prom_histogram(struct prom_buf *, const char *name,
                   const struct prom_label *labels, size_t nlabels,
                   const struct prom_hist *h);
/* Go ParseFloat syntax: NaN, +Inf, -Inf, shortest round-trip decimal. */
void prom_fmt_double(double v, char *buf, size_t size);

#endif
