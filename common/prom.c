#include "common/prom.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
buf_grow(struct prom_buf *b, size_t need)
{
	size_t cap;
	char *p;

	if (b->failed)
		return false;
	if (b->max != 0 && b->len + need > b->max) {
		b->failed = true;
		return false;
	}
	if (b->len + need + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 1024;
	while (cap < b->len + need + 1)
		cap *= 2;
	if ((p = realloc(b->data, cap)) == NULL) {
		b->failed = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void
prom_buf_append(struct prom_buf *b, const void *p, size_t n)
{
	if (!buf_grow(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
prom_buf_puts(struct prom_buf *b, const char *s)
{
	prom_buf_append(b, s, strlen(s));
}

void
prom_buf_vprintf(struct prom_buf *b, const char *fmt, va_list ap)
{
	size_t room = b->data ? b->cap - b->len : 0;
	va_list again;
	int n;

	if (b->failed)
		return;
	va_copy(again, ap);
	n = vsnprintf(b->data ? b->data + b->len : NULL, room, fmt, ap);
	if (n < 0) {
		b->failed = true;
		va_end(again);
		return;
	}
	if (!buf_grow(b, (size_t)n)) {
		if (b->data != NULL)
			b->data[b->len] = '\0'; /* undo a partial first pass */
		va_end(again);
		return;
	}
	if ((size_t)n >= room) /* the first pass was cut short */
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, again);
	va_end(again);
	b->len += (size_t)n;
}

void
prom_buf_printf(struct prom_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	prom_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
prom_buf_reset(struct prom_buf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
prom_buf_free(struct prom_buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* HELP escapes \ and newline; label values also escape the quote. */
static void
put_escaped(struct prom_buf *b, const char *s, bool quote)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *rep = NULL;

		if (*s == '\\')
			rep = "\\\\";
		else if (*s == '\n')
			rep = "\\n";
		else if (quote && *s == '"')
			rep = "\\\"";
		if (rep == NULL)
			continue;
		prom_buf_append(b, run, (size_t)(s - run));
		prom_buf_puts(b, rep);
		run = s + 1;
	}
	prom_buf_append(b, run, (size_t)(s - run));
}

void
prom_family(struct prom_buf *b, const char *name, enum prom_type type,
            const char *help)
{
	static const char *const types[] = {
	    [PROM_COUNTER] = "counter",
	    [PROM_GAUGE] = "gauge",
	    [PROM_HISTOGRAM] = "histogram",
	    [PROM_UNTYPED] = "untyped",
	};

	prom_buf_printf(b, "# HELP %s ", name);
	put_escaped(b, help, false);
	prom_buf_printf(b, "\n# TYPE %s %s\n", name, types[type]);
}

void
prom_fmt_double(double v, char *buf, size_t size)
{
	if (isnan(v)) {
		snprintf(buf, size, "NaN");
	} else if (isinf(v)) {
		snprintf(buf, size, v > 0 ? "+Inf" : "-Inf");
	} else {
		/* shortest of %.15g / %.17g that reads back exactly */
		snprintf(buf, size, "%.15g", v);
		if (strtod(buf, NULL) != v)
			snprintf(buf, size, "%.17g", v);
	}
}

static void
put_labels(struct prom_buf *b, const struct prom_label *l, size_t n,
           const char *le)
{
	size_t i;

	if (n == 0 && le == NULL)
		return;
	prom_buf_puts(b, "{");
	for (i = 0; i < n; i++) {
		prom_buf_printf(b, "%s%s=\"", i ? "," : "", l[i].name);
		put_escaped(b, l[i].value ? l[i].value : "", true);
		prom_buf_puts(b, "\"");
	}
	if (le != NULL)
		prom_buf_printf(b, "%sle=\"%s\"", n ? "," : "", le);
	prom_buf_puts(b, "}");
}

void
prom_sample(struct prom_buf *b, const char *name,
            const struct prom_label *labels, size_t nlabels, double value)
{
	char num[40];

	prom_fmt_double(value, num, sizeof(num));
	prom_buf_puts(b, name);
	put_labels(b, labels, nlabels, NULL);
	prom_buf_printf(b, " %s\n", num);
}

void
prom_sample_u64(struct prom_buf *b, const char *name,
                const struct prom_label *labels, size_t nlabels, uint64_t value)
{
	prom_buf_puts(b, name);
	put_labels(b, labels, nlabels, NULL);
	prom_buf_printf(b, " %" PRIu64 "\n", value);
}

int
prom_histogram(struct prom_buf *b, const char *name,
               const struct prom_label *labels, size_t nlabels,
               const struct prom_hist *h)
{
	char le[40], sum[40];
	uint64_t acc = 0;
	size_t i;

	for (i = 0; i < h->nbounds; i++)
		if (!isfinite(h->bounds[i]) ||
		    (i > 0 && !(h->bounds[i] > h->bounds[i - 1])))
			return -EINVAL;
	for (i = 0; i <= h->nbounds; i++) {
		acc += h->counts[i];
		if (i < h->nbounds)
			prom_fmt_double(h->bounds[i], le, sizeof(le));
		else
			snprintf(le, sizeof(le), "+Inf");
		prom_buf_printf(b, "%s_bucket", name);
		put_labels(b, labels, nlabels, le);
		prom_buf_printf(b, " %" PRIu64 "\n", acc);
	}
	prom_fmt_double(h->sum, sum, sizeof(sum));
	prom_buf_printf(b, "%s_sum", name);
	put_labels(b, labels, nlabels, NULL);
	prom_buf_printf(b, " %s\n", sum);
	prom_buf_printf(b, "%s_count", name);
	put_labels(b, labels, nlabels, NULL);
	prom_buf_printf(b, " %" PRIu64 "\n", acc);
	return 0;
}
