/*
 * metrics.h: the Prometheus text exposition format 0.0.4, written from a
 * snapshot into a growing buffer.  Pure: no clock, no I/O, no locks; the
 * caller takes the snapshot (under whatever lock guards it) and serves the
 * bytes.  Invariants the writer keeps, whatever the input: HELP and TYPE
 * once per family before its samples, one uninterrupted group per family,
 * label values and HELP text escaped, histogram buckets cumulative in
 * increasing le order with +Inf equal to _count, and a final newline.
 */
#ifndef SEXTANT_METRICS_H
#define SEXTANT_METRICS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * A growing NUL-terminated text buffer.  An allocation failure (or growth
 * past max) sets failed and drops later appends, so writers check once at
 * the end instead of after every line.  Zero-initialise it; the caller
 * owns data and frees it with metrics_buf_free.
 */
struct metrics_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* 0: no bound */
	bool failed;
};

void metrics_buf_append(struct metrics_buf *, const void *p, size_t n);
void metrics_buf_puts(struct metrics_buf *, const char *s);
void metrics_buf_printf(struct metrics_buf *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void metrics_buf_reset(struct metrics_buf *); /* len 0, keeps memory */
void metrics_buf_free(struct metrics_buf *);  /* accepts NULL */

enum metrics_type {
	METRICS_COUNTER,
	METRICS_GAUGE,
	METRICS_HISTOGRAM,
	METRICS_UNTYPED,
};

struct metrics_label {
	const char *name;  /* [a-zA-Z_][a-zA-Z0-9_]*, a constant */
	const char *value; /* any UTF-8; escaped on output; NULL as "" */
};

/*
 * A histogram as the fleet keeps it: counts[i] observations fell in
 * (bounds[i-1], bounds[i]]; counts[nbounds] is the overflow bucket.
 * Counts are per bucket, not cumulative: the writer accumulates, so +Inf
 * equals _count by construction.  bounds must increase strictly.
 */
struct metrics_hist {
	const double *bounds;
	size_t nbounds;
	const uint64_t *counts; /* nbounds + 1 entries */
	double sum;
};

/* Low-level writers, for families other modules add (alerts, leases). */
void metrics_family(struct metrics_buf *, const char *name,
                    enum metrics_type type, const char *help);
void metrics_sample(struct metrics_buf *, const char *name,
                    const struct metrics_label *labels, size_t nlabels,
                    double value);
/* Integers beyond 2^53 stay exact. */
void metrics_sample_u64(struct metrics_buf *, const char *name,
                        const struct metrics_label *labels, size_t nlabels,
                        uint64_t value);
/* _bucket (labels + le), _sum and _count; 0, or -EINVAL for bad bounds
 * (nothing written then). */
int metrics_histogram(struct metrics_buf *, const char *name,
                      const struct metrics_label *labels, size_t nlabels,
                      const struct metrics_hist *h);
/* Go ParseFloat syntax: NaN, +Inf, -Inf, shortest round-trip decimal. */
void metrics_fmt_double(double v, char *buf, size_t size);

/* The commander's view, borrowed for one write (pointers stay the
 * caller's). */
struct metrics_node {
	const char *name;
	const char *group; /* "" for none */
	const char *role;
	const char *network;
	const char *state; /* one of metrics_snapshot.states */
	bool up;           /* heartbeats arrive and the node process runs */
	uint64_t height;   /* 0: unknown, sample left out */
	bool lag_known;
	int64_t lag; /* blocks behind the fleet reference */
	bool peers_known;
	uint32_t peers;
	uint64_t restarts;          /* counter */
	uint64_t last_heartbeat_ms; /* wall ms, 0: never */
};

struct metrics_network {
	const char *name;
	uint64_t ref_height;               /* 0: unknown, left out */
	const struct metrics_hist *spread; /* NULL: no histogram */
};

struct metrics_count {
	const char *key; /* label value: a drop reason, an event type */
	uint64_t n;
};

struct metrics_snapshot {
	const struct metrics_node *nodes;
	size_t nnodes;
	const char *const *states; /* every node state name */
	size_t nstates;
	const struct metrics_network *networks;
	size_t nnetworks;
	uint64_t heartbeats;               /* accepted heartbeats */
	const struct metrics_count *drops; /* dropped messages by reason */
	size_t ndrops;
	uint64_t events_total;
	const struct metrics_count *events_by_type; /* optional */
	size_t nevent_types;
};

/*
 * Commander HA (ha.h): the daemon publishes who it is and whether it leads
 * whenever that changes, and metrics_write adds the gauge
 * sextant_ha_leader{id="..."} 1 or 0.  Process-wide state (a mutex), so
 * that every scrape shows it without the snapshot's builder knowing HA;
 * nothing is written until the first publish.
 */
void metrics_ha_publish(const char *id, bool leader);

/* Write every family of snap; 0, or -ENOMEM with b->failed set. */
int metrics_write(const struct metrics_snapshot *snap, struct metrics_buf *b);

#endif
