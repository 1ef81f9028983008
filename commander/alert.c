#include "commander/alert.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

/* A condition the engine tracks: pending or firing. */
struct cond {
	enum alert_rule rule;
	char subject[PROTO_NAME_MAX];
	char node[PROTO_NAME_MAX];
	char group[PROTO_NAME_MAX];
	char network[PROTO_NAME_MAX];
	char summary[EVENT_MSG_MAX];
	uint64_t since;     /* first seen holding */
	uint64_t last_sent; /* fire or last repeat; 0: not firing */
	bool seen;          /* holds in the current evaluation */
};

struct alert_engine {
	struct alert_conf conf;
	struct cond *c;
	size_t n, cap;
	/* open-addressing index over (rule, subject): a check costs O(1)
	 * per condition, not O(conditions), with 10,000 nodes a second.
	 * Slots hold a position in c[] plus one; 0 is empty. */
	uint32_t *idx;
	size_t idx_cap; /* a power of two, at least twice n */
};

static const char *const rule_names[AR__COUNT] = {
    [AR_NODE_DOWN] = "node_down",
    [AR_UNREACHABLE] = "pilot_unreachable",
    [AR_LAGGING] = "lagging",
    [AR_STALLED] = "stalled",
    [AR_LOW_PEERS] = "low_peers",
    [AR_DISK_FULL] = "disk_full",
    [AR_STALE_TIP] = "stale_tip",
    [AR_DOUBLE_SIGN_RISK] = "double_sign_risk",
    [AR_CRASH_LOOP] = "crash_loop",
    [AR_RESTARTED] = "restarted",
    [AR_REORG] = "reorg",
    [AR_FAILOVER_STARTED] = "failover_started",
    [AR_FAILOVER_FINISHED] = "failover_finished",
    [AR_FAILOVER_FAILED] = "failover_failed",
    [AR_LEASE_LOST] = "lease_lost",
    [AR_DOPPELGANGER] = "doppelganger",
    [AR_TEST] = "test",
};

const char *
alert_rule_str(enum alert_rule r)
{
	return (unsigned)r < AR__COUNT ? rule_names[r] : "?";
}

int
alert_rule_parse(const char *s, enum alert_rule *r)
{
	for (int i = 0; i < AR__COUNT; i++)
		if (strcmp(rule_names[i], s) == 0) {
			*r = (enum alert_rule)i;
			return 0;
		}
	return -EINVAL;
}

const char *
alert_kind_str(enum alert_kind k)
{
	return k == ALERT_FIRE      ? "firing"
	       : k == ALERT_REPEAT  ? "repeat"
	       : k == ALERT_RESOLVE ? "resolved"
	                            : "?";
}

void
alert_conf_defaults(struct alert_conf *c)
{
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < AR__COUNT; i++) {
		c->rule[i].enabled = true;
		c->rule[i].severity = SEV_WARNING;
		c->rule[i].for_ms = i < AR_RESTARTED ? 60000 : 0;
	}
	c->rule[AR_NODE_DOWN].severity = SEV_CRITICAL;
	c->rule[AR_UNREACHABLE].severity = SEV_CRITICAL;
	c->rule[AR_DOUBLE_SIGN_RISK].severity = SEV_CRITICAL;
	c->rule[AR_DOUBLE_SIGN_RISK].for_ms = 0; /* never wait on this */
	c->rule[AR_CRASH_LOOP].severity = SEV_CRITICAL;
	c->rule[AR_CRASH_LOOP].for_ms = 0;
	c->rule[AR_FAILOVER_FAILED].severity = SEV_CRITICAL;
	c->rule[AR_DOPPELGANGER].severity = SEV_CRITICAL;
	c->rule[AR_LEASE_LOST].severity = SEV_CRITICAL;
	c->rule[AR_RESTARTED].severity = SEV_INFO;
	c->rule[AR_FAILOVER_FINISHED].severity = SEV_INFO;
	c->rule[AR_TEST].severity = SEV_INFO;
	c->rule[AR_LAGGING].threshold = 20;
	c->rule[AR_LOW_PEERS].threshold = 3;
	c->rule[AR_DISK_FULL].threshold = 90;
	c->repeat_ms = 4 * 3600 * 1000ull;
}

void
alert_list_clear(struct alert_list *l)
{
	l->n = 0;
}

void
alert_list_free(struct alert_list *l)
{
	if (l == NULL)
		return;
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static struct alert *
list_add(struct alert_list *l)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct alert *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

struct alert_engine *
alert_engine_new(const struct alert_conf *conf)
{
	struct alert_engine *e = calloc(1, sizeof(*e));

	if (e)
		e->conf = *conf;
	return e;
}

void
alert_engine_free(struct alert_engine *e)
{
	if (e == NULL)
		return;
	free(e->c);
	free(e->idx);
	free(e);
}

static size_t
cond_hash(enum alert_rule r, const char *subject)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)r;

	for (; *subject; subject++)
		h = (h ^ (unsigned char)*subject) * 1099511628211ull;
	return (size_t)(h ^ h >> 29);
}

static void
idx_put(struct alert_engine *e, size_t pos)
{
	size_t m = e->idx_cap - 1,
	       i = cond_hash(e->c[pos].rule, e->c[pos].subject) & m;

	while (e->idx[i])
		i = (i + 1) & m;
	e->idx[i] = (uint32_t)pos + 1;
}

/* Rebuild the index for c[0..n), growing it to keep it half empty. */
static int
idx_rebuild(struct alert_engine *e)
{
	size_t cap = e->idx_cap ? e->idx_cap : 64;
	uint32_t *v;

	while (cap < 2 * (e->n + 1))
		cap *= 2;
	if (cap != e->idx_cap) {
		if ((v = calloc(cap, sizeof(*v))) == NULL)
			return -ENOMEM;
		free(e->idx);
		e->idx = v;
		e->idx_cap = cap;
	} else
		memset(e->idx, 0, cap * sizeof(*e->idx));
	for (size_t i = 0; i < e->n; i++)
		idx_put(e, i);
	return 0;
}

static struct cond *
cond_find(struct alert_engine *e, enum alert_rule r, const char *subject)
{
	size_t m, i;

	if (e->idx_cap == 0)
		return NULL;
	m = e->idx_cap - 1;
	for (i = cond_hash(r, subject) & m; e->idx[i]; i = (i + 1) & m) {
		struct cond *c = &e->c[e->idx[i] - 1];

		if (c->rule == r && strcmp(c->subject, subject) == 0)
			return c;
	}
	return NULL;
}

static struct cond *
cond_add(struct alert_engine *e, enum alert_rule r, const char *subject,
         uint64_t now)
{
	struct cond *c;

	if (e->n == e->cap) {
		size_t cap = e->cap ? 2 * e->cap : 32;
		struct cond *v = realloc(e->c, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		e->c = v;
		e->cap = cap;
	}
	c = &e->c[e->n++];
	memset(c, 0, sizeof(*c));
	c->rule = r;
	util_strlcpy(c->subject, subject, sizeof(c->subject));
	c->since = now;
	if (2 * e->n > e->idx_cap) {
		if (idx_rebuild(e) != 0) {
			e->n--;
			return NULL;
		}
	} else
		idx_put(e, e->n - 1);
	return c;
}

static int
emit(struct alert_list *out, const struct alert_conf *conf,
     const struct cond *c, enum alert_kind kind, uint64_t now)
{
	struct alert *a = list_add(out);

	if (a == NULL)
		return -ENOMEM;
	a->kind = kind;
	a->rule = c->rule;
	a->severity = conf->rule[c->rule].severity;
	snprintf(a->key, sizeof(a->key), "%s/%s", rule_names[c->rule],
	         c->subject);
	util_strlcpy(a->node, c->node, sizeof(a->node));
	util_strlcpy(a->group, c->group, sizeof(a->group));
	util_strlcpy(a->network, c->network, sizeof(a->network));
	util_strlcpy(a->summary, c->summary, sizeof(a->summary));
	a->started_ms = c->since;
	a->ended_ms = kind == ALERT_RESOLVE ? now : 0;
	a->time_ms = now;
	return 0;
}

/* The condition (r, subject) holds now: track it and maybe notify. */
static int holds(struct alert_engine *e, enum alert_rule r, const char *subject,
                 const char *node, const char *group, const char *network,
                 uint64_t now, struct alert_list *out, const char *fmt, ...)
    __attribute__((format(printf, 9, 10)));

static int
holds(struct alert_engine *e, enum alert_rule r, const char *subject,
      const char *node, const char *group, const char *network, uint64_t now,
      struct alert_list *out, const char *fmt, ...)
{
	const struct alert_rule_conf *rc = &e->conf.rule[r];
	struct cond *c;
	va_list ap;

	if (!rc->enabled)
		return 0;
	if ((c = cond_find(e, r, subject)) == NULL &&
	    (c = cond_add(e, r, subject, now)) == NULL)
		return -ENOMEM;
	c->seen = true;
	util_strlcpy(c->node, node, sizeof(c->node));
	util_strlcpy(c->group, group, sizeof(c->group));
	util_strlcpy(c->network, network, sizeof(c->network));
	va_start(ap, fmt);
	vsnprintf(c->summary, sizeof(c->summary), fmt, ap);
	va_end(ap);
	/* a pilot's error text may hold tabs or newlines: they would split
	 * the export's lines and lose the condition over a restart */
	for (char *p = c->summary; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	if (c->last_sent == 0) {
		if (now - c->since < rc->for_ms && now >= c->since)
			return 0;
		c->last_sent = now;
		return emit(out, &e->conf, c, ALERT_FIRE, now);
	}
	if (e->conf.repeat_ms && now >= c->last_sent + e->conf.repeat_ms) {
		c->last_sent = now;
		return emit(out, &e->conf, c, ALERT_REPEAT, now);
	}
	return 0;
}

static bool
crash_looping(const struct proto_status *st)
{
	return strncmp(st->decision, "capped", 6) == 0;
}

static int
eval_node(struct alert_engine *e, const struct fleet_node_view *v, uint64_t now,
          struct alert_list *out)
{
	const struct alert_conf *c = &e->conf;
	const char *n = v->name, *g = v->group, *w = v->network;
	bool reach = v->state != FLEET_UNREACHABLE && v->state != FLEET_UNKNOWN;
	int rc = 0;

	if (v->state == FLEET_DOWN)
		rc |= holds(e, AR_NODE_DOWN, n, n, g, w, now, out,
		            "%s is down%s%s", n, v->st.error[0] ? ": " : "",
		            v->st.error);
	if (v->state == FLEET_UNREACHABLE)
		rc |= holds(e, AR_UNREACHABLE, n, n, g, w, now, out,
		            "pilot of %s is unreachable", n);
	if (reach && v->lag >= c->rule[AR_LAGGING].threshold &&
	    v->ref_height > 0)
		rc |= holds(e, AR_LAGGING, n, n, g, w, now, out,
		            "%s is %" PRIu64 " blocks behind (height %" PRIu64
		            ", reference %" PRIu64 ")",
		            n, v->lag, v->height, v->ref_height);
	if (v->state == FLEET_STALLED)
		rc |= holds(e, AR_STALLED, n, n, g, w, now, out,
		            "%s is stalled at height %" PRIu64, n, v->height);
	if (reach && v->st.peers_known &&
	    v->st.peers < c->rule[AR_LOW_PEERS].threshold)
		rc |= holds(e, AR_LOW_PEERS, n, n, g, w, now, out,
		            "%s has %u peers", n, v->st.peers);
	if (reach && v->st.disk_used_pct >= c->rule[AR_DISK_FULL].threshold)
		rc |= holds(e, AR_DISK_FULL, n, n, g, w, now, out,
		            "%s disk is %u%% full", n, v->st.disk_used_pct);
	if (reach && crash_looping(&v->st))
		rc |= holds(e, AR_CRASH_LOOP, n, n, g, w, now, out,
		            "%s is crash-looping: %s", n, v->st.decision);
	return rc ? -ENOMEM : 0;
}

/* Mark as holding the conditions of a node (and of its group), or of a
 * network's tip. */
static void
keep(struct alert_engine *e, const char *node, const char *group,
     const char *network)
{
	/* the rules whose subject is a node: looked up, not scanned, since
	 * after a restart every node is unknown at once */
	static const enum alert_rule node_rules[] = {
	    AR_NODE_DOWN, AR_UNREACHABLE, AR_LAGGING,   AR_STALLED,
	    AR_LOW_PEERS, AR_DISK_FULL,   AR_CRASH_LOOP};
	struct cond *c;

	if (node && node[0])
		for (size_t i = 0; i < UTIL_NELEM(node_rules); i++)
			if ((c = cond_find(e, node_rules[i], node)) != NULL)
				c->seen = true;
	if (group && group[0] &&
	    (c = cond_find(e, AR_DOUBLE_SIGN_RISK, group)) != NULL)
		c->seen = true;
	if (network && (c = cond_find(e, AR_STALE_TIP, network)) != NULL)
		c->seen = true;
}

static int
cmp_group(const void *a, const void *b)
{
	const struct fleet_node_view
	    *x = *(const struct fleet_node_view *const *)a,
	    *y = *(const struct fleet_node_view *const *)b;

	int c = strcmp(x->group, y->group);

	return c ? c : strcmp(x->name, y->name);
}

static int
double_sign(struct alert_engine *e, const struct fleet_node_view *nodes,
            size_t nnodes, uint64_t now, struct alert_list *out)
{
	const struct fleet_node_view **v;
	size_t n = 0;
	int rc = 0;

	if ((v = malloc((nnodes + 1) * sizeof(*v))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < nnodes; i++)
		if (nodes[i].group[0] && nodes[i].st.signing &&
		    nodes[i].state != FLEET_UNREACHABLE)
			v[n++] = &nodes[i];
	qsort(v, n, sizeof(*v), cmp_group);
	for (size_t i = 0; i + 1 < n && rc == 0; i++) {
		const struct fleet_node_view *a = v[i], *b = v[i + 1];

		if (strcmp(a->group, b->group) != 0)
			continue;
		rc = holds(e, AR_DOUBLE_SIGN_RISK, a->group, "", a->group,
		           a->network, now, out,
		           "group %s: %s and %s both report signing", a->group,
		           a->name, b->name);
		/* one alert per group: skip the rest of it */
		while (i + 1 < n && strcmp(v[i + 1]->group, a->group) == 0)
			i++;
	}
	free(v);
	return rc;
}

int
alert_eval(struct alert_engine *e, const struct fleet_node_view *nodes,
           size_t nnodes, const struct fleet_network_view *nets, size_t nnets,
           uint64_t now, struct alert_list *out)
{
	int rc = 0;
	size_t i, j, w;

	for (i = 0; i < e->n; i++)
		e->c[i].seen = false;
	for (i = 0; i < nnodes && rc == 0; i++)
		rc = eval_node(e, &nodes[i], now, out);
	for (i = 0; i < nnets && rc == 0; i++)
		if (nets[i].stale)
			rc = holds(
			    e, AR_STALE_TIP, nets[i].name, "", "", nets[i].name,
			    now, out,
			    "network %s: no new block since height %" PRIu64,
			    nets[i].name, nets[i].tip_height);
	/* double-sign risk: two connected nodes of one group report signing;
	 * sorted by group so it costs n log n, not n squared */
	if (rc == 0 && (rc = double_sign(e, nodes, nnodes, now, out)) != 0)
		return rc;
	if (rc)
		return rc;
	/* A node not heard from since the commander (re)started, or a
	 * network none of whose nodes reported yet, says nothing either way:
	 * restored conditions stand until it does (else every restart would
	 * resolve and re-fire them). */
	for (i = 0, w = 0; i < nnodes; i++)
		if (nodes[i].state == FLEET_UNKNOWN) {
			keep(e, nodes[i].name, nodes[i].group, NULL);
			w = 1;
		}
	for (i = 0; i < nnets; i++)
		if (nets[i].tip_height == 0)
			keep(e, NULL, NULL, nets[i].name);
	/* a network known only from hellos is absent until one comes */
	for (i = 0; i < e->n && w; i++) {
		bool listed = false;

		for (j = 0; j < nnets && !listed; j++)
			listed = strcmp(nets[j].name, e->c[i].subject) == 0;
		if (e->c[i].rule == AR_STALE_TIP && !listed)
			e->c[i].seen = true;
	}
	/* what no longer holds resolves (if it fired) and is forgotten */
	for (i = 0, w = 0; i < e->n; i++) {
		struct cond *c = &e->c[i];

		if (!c->seen) {
			if (c->last_sent &&
			    emit(out, &e->conf, c, ALERT_RESOLVE, now) != 0)
				return -ENOMEM;
			continue;
		}
		e->c[w++] = *c;
	}
	e->n = w;
	return idx_rebuild(e);
}

int
alert_on_event(struct alert_engine *e, const struct event *ev, uint64_t now,
               struct alert_list *out)
{
	enum alert_rule r;
	struct alert *a;
	const char *d = ev->details;

	switch (ev->type) {
	case EV_RESTART_GRANTED:
		r = AR_RESTARTED;
		break;
	case EV_REORG:
		r = AR_REORG;
		break;
	case EV_LEASE_CHANGE:
		/* the failover wiring tags each lease event with its step */
		if (strstr(d, "\"step\":\"started\""))
			r = AR_FAILOVER_STARTED;
		else if (strstr(d, "\"step\":\"granted\""))
			r = AR_FAILOVER_FINISHED;
		else if (strstr(d, "\"step\":\"blocked\""))
			r = AR_FAILOVER_FAILED;
		else if (strstr(d, "\"step\":\"lost\""))
			r = AR_LEASE_LOST;
		else if (strstr(d, "\"step\":\"doppelganger\""))
			r = AR_DOPPELGANGER;
		else
			return 0;
		break;
	default:
		return 0;
	}
	if (!e->conf.rule[r].enabled)
		return 0;
	if ((a = list_add(out)) == NULL)
		return -ENOMEM;
	a->kind = ALERT_FIRE;
	a->rule = r;
	a->notice = true;
	a->severity = e->conf.rule[r].severity;
	snprintf(a->key, sizeof(a->key), "%s/%s/%" PRIu64, rule_names[r],
	         ev->node[0]    ? ev->node
	         : ev->group[0] ? ev->group
	                        : ev->network,
	         ev->id);
	util_strlcpy(a->node, ev->node, sizeof(a->node));
	util_strlcpy(a->group, ev->group, sizeof(a->group));
	util_strlcpy(a->network, ev->network, sizeof(a->network));
	util_strlcpy(a->summary, ev->message, sizeof(a->summary));
	a->started_ms = ev->time_ms;
	a->time_ms = now;
	a->source_event = ev->id;
	return 0;
}

int
alert_active(struct alert_engine *e, struct alert **out, size_t *n)
{
	struct alert_list l = {0};

	for (size_t i = 0; i < e->n; i++)
		if (e->c[i].last_sent &&
		    emit(&l, &e->conf, &e->c[i], ALERT_FIRE,
		         e->c[i].last_sent) != 0) {
			alert_list_free(&l);
			return -ENOMEM;
		}
	*out = l.v;
	*n = l.n;
	return 0;
}

int
alert_engine_export(struct alert_engine *e, char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);

	if (f == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < e->n; i++) {
		const struct cond *c = &e->c[i];

		fprintf(f, "%s\t%s\t%s\t%s\t%s\t%" PRIu64 "\t%" PRIu64 "\t%s\n",
		        rule_names[c->rule], c->subject, c->node, c->group,
		        c->network, c->since, c->last_sent, c->summary);
	}
	return fclose(f) == 0 ? 0 : -ENOMEM;
}

/* Split line at tabs into at most n fields; returns how many. */
static size_t
split_tabs(char *line, char **f, size_t n)
{
	size_t k = 0;

	while (k < n) {
		f[k++] = line;
		if ((line = strchr(line, '\t')) == NULL)
			break;
		*line++ = '\0';
	}
	return k;
}

int
alert_engine_import(struct alert_engine *e, const char *buf, size_t len,
                    size_t *bad)
{
	char line[1024];
	size_t pos = 0;

	*bad = 0;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t l = (nl ? (size_t)(nl - buf) : len) - pos;
		char *f[8];
		enum alert_rule r;
		uint64_t since, sent;
		struct cond *c;

		if (l >= sizeof(line) || memchr(buf + pos, '\0', l)) {
			(*bad)++;
			pos += l + 1;
			continue;
		}
		memcpy(line, buf + pos, l);
		line[l] = '\0';
		pos += l + 1;
		if (l == 0)
			continue;
		if (split_tabs(line, f, 8) != 8 ||
		    alert_rule_parse(f[0], &r) != 0 || r >= AR_RESTARTED ||
		    util_parse_u64(f[5], 0, UINT64_MAX, &since) != 0 ||
		    util_parse_u64(f[6], 0, UINT64_MAX, &sent) != 0 ||
		    strlen(f[1]) >= PROTO_NAME_MAX ||
		    strlen(f[2]) >= PROTO_NAME_MAX ||
		    strlen(f[3]) >= PROTO_NAME_MAX ||
		    strlen(f[4]) >= PROTO_NAME_MAX || cond_find(e, r, f[1])) {
			(*bad)++;
			continue;
		}
		if ((c = cond_add(e, r, f[1], since)) == NULL)
			return -ENOMEM;
		util_strlcpy(c->node, f[2], sizeof(c->node));
		util_strlcpy(c->group, f[3], sizeof(c->group));
		util_strlcpy(c->network, f[4], sizeof(c->network));
		c->last_sent = sent;
		util_strlcpy(c->summary, f[7], sizeof(c->summary));
	}
	return 0;
}
