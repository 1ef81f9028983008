#include "commander/metrics.h"

#include "common/prom.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The writer itself is common/prom.c's (the pilot's /metrics uses it too);
 * metrics.h keeps its names for the commander.  The buffer structs have
 * the same fields: each call copies them in and out.
 */
#define MAX_LABELS 16

static struct prom_buf
pin(const struct metrics_buf *b)
{
	return (struct prom_buf){.data = b->data,
	                         .len = b->len,
	                         .cap = b->cap,
	                         .max = b->max,
	                         .failed = b->failed};
}

static void
pout(struct metrics_buf *b, const struct prom_buf *p)
{
	b->data = p->data;
	b->len = p->len;
	b->cap = p->cap;
	b->max = p->max;
	b->failed = p->failed;
}

/* The labels as prom's; false (and the buffer failed) past MAX_LABELS. */
static bool
labels_in(struct metrics_buf *b, const struct metrics_label *l, size_t n,
          struct prom_label *out)
{
	if (n > MAX_LABELS) {
		b->failed = true;
		return false;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = (struct prom_label){l[i].name, l[i].value};
	return true;
}

void
metrics_buf_append(struct metrics_buf *b, const void *p, size_t n)
{
	struct prom_buf x = pin(b);

	prom_buf_append(&x, p, n);
	pout(b, &x);
}

void
metrics_buf_puts(struct metrics_buf *b, const char *s)
{
	struct prom_buf x = pin(b);

	prom_buf_puts(&x, s);
	pout(b, &x);
}

void
metrics_buf_printf(struct metrics_buf *b, const char *fmt, ...)
{
	struct prom_buf x = pin(b);
	va_list ap;

	va_start(ap, fmt);
	prom_buf_vprintf(&x, fmt, ap);
	va_end(ap);
	pout(b, &x);
}

void
metrics_buf_reset(struct metrics_buf *b)
{
	struct prom_buf x = pin(b);

	prom_buf_reset(&x);
	pout(b, &x);
}

void
metrics_buf_free(struct metrics_buf *b)
{
	struct prom_buf x;

	if (b == NULL)
		return;
	x = pin(b);
	prom_buf_free(&x);
	pout(b, &x);
}

void
metrics_family(struct metrics_buf *b, const char *name, enum metrics_type type,
               const char *help)
{
	static const enum prom_type types[] = {
	    [METRICS_COUNTER] = PROM_COUNTER,
	    [METRICS_GAUGE] = PROM_GAUGE,
	    [METRICS_HISTOGRAM] = PROM_HISTOGRAM,
	    [METRICS_UNTYPED] = PROM_UNTYPED,
	};
	struct prom_buf x = pin(b);

	prom_family(&x, name, types[type], help);
	pout(b, &x);
}

void
metrics_fmt_double(double v, char *buf, size_t size)
{
	prom_fmt_double(v, buf, size);
}

void
metrics_sample(struct metrics_buf *b, const char *name,
               const struct metrics_label *labels, size_t nlabels, double value)
{
	struct prom_label l[MAX_LABELS];
	struct prom_buf x;

	if (!labels_in(b, labels, nlabels, l))
		return;
	x = pin(b);
	prom_sample(&x, name, l, nlabels, value);
	pout(b, &x);
}

void
metrics_sample_u64(struct metrics_buf *b, const char *name,
                   const struct metrics_label *labels, size_t nlabels,
                   uint64_t value)
{
	struct prom_label l[MAX_LABELS];
	struct prom_buf x;

	if (!labels_in(b, labels, nlabels, l))
		return;
	x = pin(b);
	prom_sample_u64(&x, name, l, nlabels, value);
	pout(b, &x);
}

int
metrics_histogram(struct metrics_buf *b, const char *name,
                  const struct metrics_label *labels, size_t nlabels,
                  const struct metrics_hist *h)
{
	struct prom_label l[MAX_LABELS];
	struct prom_hist ph = {.bounds = h->bounds,
	                       .nbounds = h->nbounds,
	                       .counts = h->counts,
	                       .sum = h->sum};
	struct prom_buf x;
	int rc;

	if (!labels_in(b, labels, nlabels, l))
		return -ENOMEM;
	x = pin(b);
	rc = prom_histogram(&x, name, l, nlabels, &ph);
	pout(b, &x);
	return rc;
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

static pthread_mutex_t ha_mu = PTHREAD_MUTEX_INITIALIZER;
static char ha_id[64];
static bool ha_on, ha_leader;

void
metrics_ha_publish(const char *id, bool leader)
{
	pthread_mutex_lock(&ha_mu);
	snprintf(ha_id, sizeof(ha_id), "%s", id);
	ha_on = true;
	ha_leader = leader;
	pthread_mutex_unlock(&ha_mu);
}

static void
write_ha(struct metrics_buf *b)
{
	struct metrics_label l;
	char id[sizeof(ha_id)];
	bool on, leader;

	pthread_mutex_lock(&ha_mu);
	on = ha_on;
	leader = ha_leader;
	memcpy(id, ha_id, sizeof(id));
	pthread_mutex_unlock(&ha_mu);
	if (!on)
		return;
	metrics_family(b, "sextant_ha_leader", METRICS_GAUGE,
	               "1 while this commander leads its HA cluster and "
	               "serves pilots, else 0.");
	l = (struct metrics_label){"id", id};
	metrics_sample(b, "sextant_ha_leader", &l, 1, leader ? 1 : 0);
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
	write_ha(b);
	if (b->failed)
		return -ENOMEM;
	return rc;
}
