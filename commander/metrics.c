#include "commander/metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
buf_grow(struct metrics_buf *b, size_t need)
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
metrics_buf_append(struct metrics_buf *b, const void *p, size_t n)
{
	if (!buf_grow(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
metrics_buf_puts(struct metrics_buf *b, const char *s)
{
	metrics_buf_append(b, s, strlen(s));
}

void
metrics_buf_printf(struct metrics_buf *b, const char *fmt, ...)
{
	size_t room = b->data ? b->cap - b->len : 0;
	va_list ap;
	int n;

	if (b->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->data ? b->data + b->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if (!buf_grow(b, (size_t)n)) {
		if (b->data != NULL)
			b->data[b->len] = '\0'; /* undo a partial first pass */
		return;
	}
	if ((size_t)n >= room) { /* the first pass was cut short */
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void
metrics_buf_reset(struct metrics_buf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
metrics_buf_free(struct metrics_buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* HELP escapes \ and newline; label values also escape the quote. */
static void
put_escaped(struct metrics_buf *b, const char *s, bool quote)
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
		metrics_buf_append(b, run, (size_t)(s - run));
		metrics_buf_puts(b, rep);
		run = s + 1;
	}
	metrics_buf_append(b, run, (size_t)(s - run));
}

void
metrics_family(struct metrics_buf *b, const char *name, enum metrics_type type,
               const char *help)
{
	static const char *const types[] = {
	    [METRICS_COUNTER] = "counter",
	    [METRICS_GAUGE] = "gauge",
	    [METRICS_HISTOGRAM] = "histogram",
	    [METRICS_UNTYPED] = "untyped",
	};

	metrics_buf_printf(b, "# HELP %s ", name);
	put_escaped(b, help, false);
	metrics_buf_printf(b, "\n# TYPE %s %s\n", name, types[type]);
}

void
metrics_fmt_double(double v, char *buf, size_t size)
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
put_labels(struct metrics_buf *b, const struct metrics_label *l, size_t n,
           const char *le)
{
	size_t i;

	if (n == 0 && le == NULL)
		return;
	metrics_buf_puts(b, "{");
	for (i = 0; i < n; i++) {
		metrics_buf_printf(b, "%s%s=\"", i ? "," : "", l[i].name);
		put_escaped(b, l[i].value ? l[i].value : "", true);
		metrics_buf_puts(b, "\"");
	}
	if (le != NULL)
		metrics_buf_printf(b, "%sle=\"%s\"", n ? "," : "", le);
	metrics_buf_puts(b, "}");
}

void
metrics_sample(struct metrics_buf *b, const char *name,
               const struct metrics_label *labels, size_t nlabels, double value)
{
	char num[40];

	metrics_fmt_double(value, num, sizeof(num));
	metrics_buf_puts(b, name);
	put_labels(b, labels, nlabels, NULL);
	metrics_buf_printf(b, " %s\n", num);
}

void
metrics_sample_u64(struct metrics_buf *b, const char *name,
                   const struct metrics_label *labels, size_t nlabels,
                   uint64_t value)
{
	metrics_buf_puts(b, name);
	put_labels(b, labels, nlabels, NULL);
	metrics_buf_printf(b, " %" PRIu64 "\n", value);
}

int
metrics_histogram(struct metrics_buf *b, const char *name,
                  const struct metrics_label *labels, size_t nlabels,
                  const struct metrics_hist *h)
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
			metrics_fmt_double(h->bounds[i], le, sizeof(le));
		else
			snprintf(le, sizeof(le), "+Inf");
		metrics_buf_printf(b, "%s_bucket", name);
		put_labels(b, labels, nlabels, le);
		metrics_buf_printf(b, " %" PRIu64 "\n", acc);
	}
	metrics_fmt_double(h->sum, sum, sizeof(sum));
	metrics_buf_printf(b, "%s_sum", name);
	put_labels(b, labels, nlabels, NULL);
	metrics_buf_printf(b, " %s\n", sum);
	metrics_buf_printf(b, "%s_count", name);
	put_labels(b, labels, nlabels, NULL);
	metrics_buf_printf(b, " %" PRIu64 "\n", acc);
	return 0;
}

static size_t
node_labels(const struct metrics_node *n, struct metrics_label *l)
{
	l[0] = (struct metrics_label){"node", n->name};
	l[1] = (struct metrics_label){"group", n->group};
	l[2] = (struct metrics_label){"role", n->role};
	l[3] = (struct metrics_label){"network", n->network};
	return 4;
}

static void
write_nodes(const struct metrics_snapshot *s, struct metrics_buf *b)
{
	struct metrics_label l[5];
	size_t i, j, nl;

	metrics_family(b, "sextant_node_up", METRICS_GAUGE,
	               "1 when the node's pilot reports in and the node runs.");
	for (i = 0; i < s->nnodes; i++) {
		nl = node_labels(&s->nodes[i], l);
		metrics_sample_u64(b, "sextant_node_up", l, nl,
		                   s->nodes[i].up ? 1 : 0);
	}
	metrics_family(b, "sextant_node_state", METRICS_GAUGE,
	               "1 for the node's current state, 0 for the others.");
	for (i = 0; i < s->nnodes; i++) {
		const char *cur = s->nodes[i].state ? s->nodes[i].state : "";

		nl = node_labels(&s->nodes[i], l);
		for (j = 0; j < s->nstates; j++) {
			l[nl] = (struct metrics_label){"state", s->states[j]};
			metrics_sample_u64(b, "sextant_node_state", l, nl + 1,
			                   strcmp(cur, s->states[j]) == 0);
		}
	}
	metrics_family(b, "sextant_node_height", METRICS_GAUGE,
	               "Best block height the node reported.");
	for (i = 0; i < s->nnodes; i++) {
		if (s->nodes[i].height == 0)
			continue;
		nl = node_labels(&s->nodes[i], l);
		metrics_sample_u64(b, "sextant_node_height", l, nl,
		                   s->nodes[i].height);
	}
	metrics_family(
	    b, "sextant_node_lag_blocks", METRICS_GAUGE,
	    "Blocks the node is behind its network's fleet reference.");
	for (i = 0; i < s->nnodes; i++) {
		if (!s->nodes[i].lag_known)
			continue;
		nl = node_labels(&s->nodes[i], l);
		metrics_sample(b, "sextant_node_lag_blocks", l, nl,
		               (double)s->nodes[i].lag);
	}
	metrics_family(b, "sextant_node_peers", METRICS_GAUGE,
	               "Peers the node is connected to.");
	for (i = 0; i < s->nnodes; i++) {
		if (!s->nodes[i].peers_known)
			continue;
		nl = node_labels(&s->nodes[i], l);
		metrics_sample_u64(b, "sextant_node_peers", l, nl,
		                   s->nodes[i].peers);
	}
	metrics_family(b, "sextant_node_restarts_total", METRICS_COUNTER,
	               "Restarts of the node done by its pilot.");
	for (i = 0; i < s->nnodes; i++) {
		nl = node_labels(&s->nodes[i], l);
		metrics_sample_u64(b, "sextant_node_restarts_total", l, nl,
		                   s->nodes[i].restarts);
	}
	metrics_family(b, "sextant_node_last_heartbeat_timestamp_seconds",
	               METRICS_GAUGE,
	               "Wall time of the last heartbeat from the pilot.");
	for (i = 0; i < s->nnodes; i++) {
		if (s->nodes[i].last_heartbeat_ms == 0)
			continue;
		nl = node_labels(&s->nodes[i], l);
		metrics_sample(
		    b, "sextant_node_last_heartbeat_timestamp_seconds", l, nl,
		    (double)s->nodes[i].last_heartbeat_ms / 1000.0);
	}
}

static int
write_networks(const struct metrics_snapshot *s, struct metrics_buf *b)
{
	struct metrics_label l;
	size_t i;
	int rc = 0;

	metrics_family(b, "sextant_fleet_reference_height", METRICS_GAUGE,
	               "Median height of the healthy nodes of a network.");
	for (i = 0; i < s->nnetworks; i++) {
		if (s->networks[i].ref_height == 0)
			continue;
		l = (struct metrics_label){"network", s->networks[i].name};
		metrics_sample_u64(b, "sextant_fleet_reference_height", &l, 1,
		                   s->networks[i].ref_height);
	}
	metrics_family(
	    b, "sextant_block_propagation_spread_seconds", METRICS_HISTOGRAM,
	    "Time between the first and the last node seeing a block.");
	for (i = 0; i < s->nnetworks; i++) {
		if (s->networks[i].spread == NULL)
			continue;
		l = (struct metrics_label){"network", s->networks[i].name};
		if (metrics_histogram(
		        b, "sextant_block_propagation_spread_seconds", &l, 1,
		        s->networks[i].spread) != 0)
			rc = -EINVAL;
	}
	return rc;
}

static void
write_counts(struct metrics_buf *b, const char *name, const char *label,
             const struct metrics_count *c, size_t n)
{
	struct metrics_label l;
	size_t i;

	for (i = 0; i < n; i++) {
		l = (struct metrics_label){label, c[i].key};
		metrics_sample_u64(b, name, &l, 1, c[i].n);
	}
}

int
metrics_write(const struct metrics_snapshot *s, struct metrics_buf *b)
{
	int rc;

	write_nodes(s, b);
	rc = write_networks(s, b);
	metrics_family(b, "sextant_ingest_heartbeats_total", METRICS_COUNTER,
	               "Heartbeats accepted from pilots.");
	metrics_sample_u64(b, "sextant_ingest_heartbeats_total", NULL, 0,
	                   s->heartbeats);
	metrics_family(b, "sextant_ingest_dropped_total", METRICS_COUNTER,
	               "Messages from pilots dropped, by reason.");
	write_counts(b, "sextant_ingest_dropped_total", "reason", s->drops,
	             s->ndrops);
	metrics_family(b, "sextant_events_total", METRICS_COUNTER,
	               "Events recorded in the durable store.");
	if (s->nevent_types > 0)
		write_counts(b, "sextant_events_total", "type",
		             s->events_by_type, s->nevent_types);
	else
		metrics_sample_u64(b, "sextant_events_total", NULL, 0,
		                   s->events_total);
	if (b->failed)
		return -ENOMEM;
	return rc;
}
