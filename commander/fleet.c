/*
 * fleet.c: node states, fleet reference heights and block analytics.
 *
 * Pure: every time comes in as an argument.  One mutex per fleet makes each
 * public call atomic; static helpers assume it is held.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commander/fleet.h"
#include "common/util.h"

const uint64_t fleet_spread_bounds_ms[FLEET_SPREAD_NBUCKETS] = {
    50, 100, 250, 500, 1000, 2000, 5000, 10000, 30000, 60000, 120000,
};

/* Competing hashes remembered per height; more than that is one reorg
 * storm, and its first few hashes tell the story. */
#define HASHES_PER_HEIGHT 4
/* Spread observations kept per height before it settles. */
#define SEEN_MAX 65536
/* Recompute a network's reference at most this often from heartbeats
 * (fleet_tick and fleet_ref_height always recompute when needed): with
 * thousands of nodes in one network a median per heartbeat is O(n^2). */
#define REF_MIN_MS 200

/* Elapsed time that never wraps: callers on other threads may read the
 * clock before a later reading has already been stored here. */
static inline uint64_t
since(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

static const char *const state_names[FLEET__COUNT] = {
    [FLEET_UNKNOWN] = "unknown",         [FLEET_UP] = "up",
    [FLEET_SYNCING] = "syncing",         [FLEET_LAGGING] = "lagging",
    [FLEET_STALLED] = "stalled",         [FLEET_DOWN] = "down",
    [FLEET_UNREACHABLE] = "unreachable",
};

struct blk {
	uint64_t height; /* 0: empty slot */
	char hashes[HASHES_PER_HEIGHT][PROTO_HASH_MAX];
	uint32_t nhashes;
	uint64_t first_seen_ms; /* pilot wall clock */
	uint64_t last_seen_ms;
	char first_node[PROTO_NAME_MAX];
	uint32_t nodes_seen;
	uint64_t created_ms; /* commander monotonic: settle timer */
	bool settled;
	uint64_t *seen; /* pilot seen times, until settled */
	uint32_t nseen, capseen;
};

struct node;

struct net {
	char name[PROTO_NAME_MAX];
	struct node **nodes;
	size_t nnodes, capnodes;
	uint64_t ref;
	bool ref_dirty;
	uint64_t ref_ms; /* when last computed (monotonic) */
	uint32_t healthy;
	uint64_t tip;
	uint64_t tip_ms;      /* monotonic, tip last advanced */
	uint64_t tip_wall_ms; /* wall, same moment */
	bool stale;
	uint64_t reorgs;
	struct blk *ring;
	struct fleet_spread_hist spread;
};

struct node {
	char name[PROTO_NAME_MAX];
	/* as configured ("" = learn from hello) */
	char cgroup[PROTO_NAME_MAX];
	char cnetwork[PROTO_NAME_MAX];
	bool crole_set;
	enum proto_role crole;
	bool listed;
	uint32_t priority;
	/* effective */
	char group[PROTO_NAME_MAX];
	struct net *net;
	enum proto_role role;
	bool role_known;
	enum proto_chain chain;
	char version[32];
	bool hello; /* since the commander started */
	bool connected;
	uint64_t last_contact_ms; /* monotonic */
	uint64_t last_seen_wall;
	enum fleet_state state;
	uint64_t state_since_wall;
	uint32_t streak; /* observations disagreeing with state */
	bool have_st;
	struct proto_status st;
	uint64_t progress_ms; /* monotonic, height last changed */
	uint64_t ref_used, lag;
	uint64_t last_restart_wall;
	uint64_t obs_height; /* last height fed to the analytics */
	char obs_hash[PROTO_HASH_MAX];
};

struct fleet {
	pthread_mutex_t mu;
	struct fleet_conf c;
	struct node **nodes; /* insertion order */
	size_t nnodes, capnodes;
	struct node **tab; /* open addressing by name */
	size_t tabsize;
	struct net **nets;
	size_t nnets, capnets;
	uint64_t *scratch; /* heights for medians */
	size_t capscratch;
	bool started;
	uint64_t start_ms;
};

const char *
fleet_state_str(enum fleet_state s)
{
	if ((unsigned)s >= FLEET__COUNT)
		return "?";
	return state_names[s];
}

int
fleet_state_parse(const char *s, enum fleet_state *out)
{
	for (int i = 0; s != NULL && i < FLEET__COUNT; i++)
		if (strcmp(s, state_names[i]) == 0) {
			*out = (enum fleet_state)i;
			return 0;
		}
	return -EINVAL;
}

void
fleet_conf_defaults(struct fleet_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->interval_ms = 5000;
	c->unreachable_after = 3;
	c->up_after = 2;
	c->down_after = 2;
	c->lag_blocks = 20;
	c->stall_ms = 180000;
	c->stale_tip_ms = 300000;
	c->ring_heights = 128;
	c->spread_settle_ms = 30000;
	c->accept_unlisted = true;
}

/* ---- lookup ---- */

static uint64_t
hash_name(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct node *
find_node(struct fleet *f, const char *name)
{
	size_t i;

	if (f->tabsize == 0)
		return NULL;
	for (i = hash_name(name) & (f->tabsize - 1); f->tab[i] != NULL;
	     i = (i + 1) & (f->tabsize - 1))
		if (strcmp(f->tab[i]->name, name) == 0)
			return f->tab[i];
	return NULL;
}

static void
tab_put(struct node **tab, size_t size, struct node *n)
{
	size_t i = hash_name(n->name) & (size - 1);

	while (tab[i] != NULL)
		i = (i + 1) & (size - 1);
	tab[i] = n;
}

/* Make room for one more node in the list and the table. */
static int
grow_nodes(struct fleet *f)
{
	if (f->nnodes == f->capnodes) {
		size_t cap = f->capnodes ? f->capnodes * 2 : 16;
		struct node **v = realloc(f->nodes, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		f->nodes = v;
		f->capnodes = cap;
	}
	/* keep the table at most half full */
	if ((f->nnodes + 1) * 2 > f->tabsize) {
		size_t size = f->tabsize ? f->tabsize * 2 : 32;
		struct node **tab = calloc(size, sizeof(*tab));

		if (tab == NULL)
			return -ENOMEM;
		for (size_t i = 0; i < f->nnodes; i++)
			tab_put(tab, size, f->nodes[i]);
		free(f->tab);
		f->tab = tab;
		f->tabsize = size;
	}
	return 0;
}

static struct net *
find_net(struct fleet *f, const char *name)
{
	for (size_t i = 0; i < f->nnets; i++)
		if (strcmp(f->nets[i]->name, name) == 0)
			return f->nets[i];
	return NULL;
}

static struct net *
get_net(struct fleet *f, const char *name)
{
	struct net *n = find_net(f, name);

	if (n != NULL)
		return n;
	if (f->nnets == f->capnets) {
		size_t cap = f->capnets ? f->capnets * 2 : 8;
		struct net **v = realloc(f->nets, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		f->nets = v;
		f->capnets = cap;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->ring = calloc(f->c.ring_heights, sizeof(*n->ring));
	if (n->ring == NULL) {
		free(n);
		return NULL;
	}
	util_strlcpy(n->name, name, sizeof(n->name));
	f->nets[f->nnets++] = n;
	return n;
}

static void
net_detach(struct node *nd)
{
	struct net *n = nd->net;

	if (n == NULL)
		return;
	for (size_t i = 0; i < n->nnodes; i++)
		if (n->nodes[i] == nd) {
			n->nodes[i] = n->nodes[--n->nnodes];
			break;
		}
	n->ref_dirty = true;
	nd->net = NULL;
}

/* Move nd into network `name` ("" = none).  0 or -ENOMEM. */
static int
net_attach(struct fleet *f, struct node *nd, const char *name)
{
	struct net *n;

	if (nd->net != NULL && strcmp(nd->net->name, name) == 0)
		return 0;
	if (name[0] == '\0') {
		net_detach(nd);
		return 0;
	}
	if ((n = get_net(f, name)) == NULL)
		return -ENOMEM;
	if (n->nnodes == n->capnodes) {
		size_t cap = n->capnodes ? n->capnodes * 2 : 8;
		struct node **v = realloc(n->nodes, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		n->nodes = v;
		n->capnodes = cap;
	}
	net_detach(nd);
	n->nodes[n->nnodes++] = nd;
	n->ref_dirty = true;
	nd->net = n;
	nd->obs_height = 0;
	nd->obs_hash[0] = '\0';
	return 0;
}

/* ---- lifecycle ---- */

struct fleet *
fleet_new(const struct fleet_conf *c, char *err, size_t errlen)
{
	struct fleet *f;

	if (c->interval_ms == 0 || c->unreachable_after == 0 ||
	    c->up_after == 0 || c->down_after == 0) {
		snprintf(err, errlen,
		         "interval, unreachable_after, up_after and down_after "
		         "must be at least 1");
		return NULL;
	}
	if (c->ring_heights == 0 || c->ring_heights > 65536) {
		snprintf(err, errlen,
		         "ring_heights: %" PRIu32 " not in 1..65536",
		         c->ring_heights);
		return NULL;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->c = *c;
	pthread_mutex_init(&f->mu, NULL);
	return f;
}

static void
blk_reset(struct blk *b)
{
	free(b->seen);
	memset(b, 0, sizeof(*b));
}

void
fleet_free(struct fleet *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->nnets; i++) {
		struct net *n = f->nets[i];

		for (uint32_t k = 0; k < f->c.ring_heights; k++)
			free(n->ring[k].seen);
		free(n->ring);
		free(n->nodes);
		free(n);
	}
	for (size_t i = 0; i < f->nnodes; i++)
		free(f->nodes[i]);
	free(f->nets);
	free(f->nodes);
	free(f->tab);
	free(f->scratch);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

static bool
name_ok(const char *s)
{
	size_t len = strnlen(s, PROTO_NAME_MAX);

	return len < PROTO_NAME_MAX;
}

/* A new node, listed or learned from a hello.  NULL on ENOMEM. */
static struct node *
add_node(struct fleet *f, const char *name)
{
	struct node *nd;

	if (grow_nodes(f) < 0 || (nd = calloc(1, sizeof(*nd))) == NULL)
		return NULL;
	util_strlcpy(nd->name, name, sizeof(nd->name));
	f->nodes[f->nnodes++] = nd;
	tab_put(f->tab, f->tabsize, nd);
	return nd;
}

int
fleet_add_node(struct fleet *f, const struct fleet_node_conf *nc, char *err,
               size_t errlen)
{
	struct node *nd;
	enum proto_role role = ROLE_VALIDATOR;
	int r = 0;

	if (nc->name[0] == '\0' || !name_ok(nc->name) || !name_ok(nc->group) ||
	    !name_ok(nc->network)) {
		snprintf(err, errlen, "node '%.*s': empty or too long name",
		         PROTO_NAME_MAX - 1, nc->name);
		return -EINVAL;
	}
	if (nc->role[0] != '\0' && proto_role_parse(nc->role, &role) < 0) {
		snprintf(err, errlen,
		         "node %s: role: not validator, sentry or rpc '%.*s'",
		         nc->name, (int)sizeof(nc->role), nc->role);
		return -EINVAL;
	}
	pthread_mutex_lock(&f->mu);
	if (find_node(f, nc->name) != NULL) {
		snprintf(err, errlen, "node %s: defined twice", nc->name);
		r = -EEXIST;
		goto out;
	}
	if ((nd = add_node(f, nc->name)) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	nd->listed = true;
	nd->priority = nc->priority;
	util_strlcpy(nd->cgroup, nc->group, sizeof(nd->cgroup));
	util_strlcpy(nd->group, nc->group, sizeof(nd->group));
	util_strlcpy(nd->cnetwork, nc->network, sizeof(nd->cnetwork));
	nd->crole_set = nd->role_known = nc->role[0] != '\0';
	nd->crole = nd->role = role;
	if ((r = net_attach(f, nd, nc->network)) < 0)
		snprintf(err, errlen, "out of memory");
out:
	pthread_mutex_unlock(&f->mu);
	return r;
}

/* ---- events ---- */

static struct event *
new_event(struct event_list *evs, uint64_t wall, enum event_type type,
          enum event_severity sev, const struct node *nd, const struct net *n)
{
	struct event *ev = event_list_add(evs);

	if (ev == NULL)
		return NULL;
	event_make(ev, wall, type, sev, nd ? nd->name : "", nd ? nd->group : "",
	           n ? n->name : (nd && nd->net ? nd->net->name : ""), "%s",
	           "");
	return ev;
}

static enum event_severity
state_severity(enum fleet_state s)
{
	switch (s) {
	case FLEET_DOWN:
		return SEV_CRITICAL;
	case FLEET_LAGGING:
	case FLEET_STALLED:
	case FLEET_UNREACHABLE:
		return SEV_WARNING;
	default:
		return SEV_INFO;
	}
}

static int
set_state(struct node *nd, enum fleet_state to, uint64_t wall, const char *why,
          struct event_list *evs)
{
	enum fleet_state from = nd->state;
	struct event *ev;
	char h[24], lag[24], ref[24];

	if (from == to)
		return 0;
	nd->state = to;
	nd->state_since_wall = wall;
	nd->streak = 0;
	if (nd->net != NULL)
		nd->net->ref_dirty = true;
	ev = new_event(evs, wall,
	               to == FLEET_UNREACHABLE ? EV_UNREACHABLE
	                                       : EV_STATE_CHANGE,
	               state_severity(to), nd, NULL);
	if (ev == NULL)
		return -ENOMEM;
	snprintf(ev->message, sizeof(ev->message), "%s: %s -> %s (%s)",
	         nd->name, fleet_state_str(from), fleet_state_str(to), why);
	snprintf(h, sizeof(h), "%" PRIu64, nd->st.height);
	snprintf(lag, sizeof(lag), "%" PRIu64, nd->lag);
	snprintf(ref, sizeof(ref), "%" PRIu64, nd->ref_used);
	event_details(ev, "from", fleet_state_str(from), "to",
	              fleet_state_str(to), "reason", why, "#height", h, "#lag",
	              lag, "#ref_height", ref, NULL);
	return 0;
}

/* ---- reference height ---- */

static int
recompute_ref(struct fleet *f, struct net *n, uint64_t now_ms)
{
	size_t k = 0;

	if (f->capscratch < n->nnodes) {
		uint64_t *v = realloc(f->scratch, n->nnodes * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		f->scratch = v;
		f->capscratch = n->nnodes;
	}
	for (size_t i = 0; i < n->nnodes; i++) {
		const struct node *nd = n->nodes[i];

		if (nd->connected && nd->have_st && nd->st.up &&
		    nd->st.reachable && !nd->st.syncing && nd->st.height > 0)
			f->scratch[k++] = nd->st.height;
	}
	/* the upper median: with two nodes, one of them lagging, the
	 * reference is the one that keeps up (util_median_u64 sorts) */
	util_median_u64(f->scratch, k);
	n->ref = k > 0 ? f->scratch[k / 2] : 0;
	n->healthy = (uint32_t)k;
	n->ref_dirty = false;
	n->ref_ms = now_ms;
	return 0;
}

/* ---- block analytics ---- */

static void
spread_observe(struct fleet_spread_hist *h, uint64_t v)
{
	for (int i = 0; i < FLEET_SPREAD_NBUCKETS; i++)
		if (v <= fleet_spread_bounds_ms[i])
			h->bucket[i]++;
	h->count++;
	h->sum_ms += v;
}

/* The first observer is the reference; everyone else adds a spread. */
static void
blk_settle(struct net *n, struct blk *b)
{
	bool first_skipped = false;

	if (b->settled || b->height == 0)
		return;
	for (uint32_t i = 0; i < b->nseen; i++) {
		if (!first_skipped && b->seen[i] == b->first_seen_ms) {
			first_skipped = true;
			continue;
		}
		spread_observe(&n->spread, b->seen[i] - b->first_seen_ms);
	}
	free(b->seen);
	b->seen = NULL;
	b->nseen = b->capseen = 0;
	b->settled = true;
}

static bool
blk_has_hash(const struct blk *b, const char *hash)
{
	for (uint32_t i = 0; i < b->nhashes; i++)
		if (strcasecmp(b->hashes[i], hash) == 0)
			return true;
	return false;
}

/* The node reported (height, hash, seen) for the first time. */
static int
observe_block(struct fleet *f, struct node *nd, uint64_t now_ms, uint64_t wall,
              struct event_list *evs)
{
	struct net *n = nd->net;
	const struct proto_status *st = &nd->st;
	uint32_t cap = f->c.ring_heights;
	struct blk *b;
	bool new_height = st->height != nd->obs_height;
	bool new_hash;

	new_hash = st->tip_hash[0] != '\0' &&
	           (new_height || strcasecmp(st->tip_hash, nd->obs_hash) != 0);
	if (!new_height && !new_hash)
		return 0;
	nd->obs_height = st->height;
	util_strlcpy(nd->obs_hash, st->tip_hash, sizeof(nd->obs_hash));

	if (st->height > n->tip) {
		if (n->stale) {
			struct event *ev = new_event(evs, wall, EV_STALE_TIP,
			                             SEV_INFO, NULL, n);
			char h[24];

			if (ev == NULL)
				return -ENOMEM;
			snprintf(ev->message, sizeof(ev->message),
			         "network %s: new height %" PRIu64
			         " after a stale tip at %" PRIu64 " (%s)",
			         n->name, st->height, n->tip, nd->name);
			snprintf(h, sizeof(h), "%" PRIu64, st->height);
			event_details(ev, "state", "resumed", "#height", h,
			              "node", nd->name, NULL);
			n->stale = false;
		}
		n->tip = st->height;
		n->tip_ms = now_ms;
		n->tip_wall_ms = wall;
	}
	/* outside the window of the last `cap` heights: a far-behind node,
	 * whose "first seen" would be meaningless */
	if (st->height + cap <= n->tip)
		return 0;
	b = &n->ring[st->height % cap];
	if (b->height != st->height) {
		if (b->height > st->height)
			return 0;
		blk_settle(n, b);
		blk_reset(b);
		b->height = st->height;
		b->created_ms = now_ms;
	}
	if (new_height) {
		b->nodes_seen++;
		if (st->height_seen_ms != 0) {
			if (b->first_seen_ms == 0 ||
			    st->height_seen_ms < b->first_seen_ms) {
				b->first_seen_ms = st->height_seen_ms;
				util_strlcpy(b->first_node, nd->name,
				             sizeof(b->first_node));
			}
			if (st->height_seen_ms > b->last_seen_ms)
				b->last_seen_ms = st->height_seen_ms;
			if (!b->settled && b->nseen < SEEN_MAX) {
				if (b->nseen == b->capseen) {
					uint32_t c =
					    b->capseen ? b->capseen * 2 : 8;
					uint64_t *v =
					    realloc(b->seen, c * sizeof(*v));

					if (v == NULL)
						return -ENOMEM;
					b->seen = v;
					b->capseen = c;
				}
				b->seen[b->nseen++] = st->height_seen_ms;
			}
		}
	}
	if (st->tip_hash[0] == '\0' || blk_has_hash(b, st->tip_hash))
		return 0;
	if (b->nhashes > 0) {
		struct event *ev =
		    new_event(evs, wall, EV_REORG, SEV_WARNING, nd, n);
		char h[24];

		if (ev == NULL)
			return -ENOMEM;
		n->reorgs++;
		snprintf(ev->message, sizeof(ev->message),
		         "network %s: reorg at height %" PRIu64
		         ": %s reports %.20s, first seen %.20s",
		         n->name, st->height, nd->name, st->tip_hash,
		         b->hashes[0]);
		snprintf(h, sizeof(h), "%" PRIu64, st->height);
		event_details(ev, "#height", h, "hash", st->tip_hash,
		              "previous", b->hashes[b->nhashes - 1], NULL);
	}
	if (b->nhashes < HASHES_PER_HEIGHT)
		util_strlcpy(b->hashes[b->nhashes++], st->tip_hash,
		             sizeof(b->hashes[0]));
	return 0;
}

/* ---- registration and heartbeats ---- */

static void
mark_start(struct fleet *f, uint64_t now_ms)
{
	if (!f->started) {
		f->started = true;
		f->start_ms = now_ms;
	}
}

int
fleet_hello(struct fleet *f, const struct proto_hello *h, uint64_t now_ms,
            uint64_t wall_ms, struct event_list *evs, char *err, size_t errlen)
{
	struct node *nd;
	struct event *ev;
	int r = 0;

	if (h->node[0] == '\0' || !name_ok(h->node) || !name_ok(h->group) ||
	    !name_ok(h->network) || !proto_role_valid((int)h->role) ||
	    !proto_chain_valid((int)h->chain) ||
	    strnlen(h->version, sizeof(h->version)) >= sizeof(h->version)) {
		snprintf(err, errlen, "malformed hello");
		return -EINVAL;
	}
	pthread_mutex_lock(&f->mu);
	mark_start(f, now_ms);
	nd = find_node(f, h->node);
	if (nd == NULL && !f->c.accept_unlisted) {
		snprintf(err, errlen, "node %s is not in the inventory",
		         h->node);
		r = -ENOENT;
		goto refused;
	}
	if (nd != NULL && nd->listed) {
		const char *what = NULL, *have = NULL, *got = NULL;

		if (nd->cgroup[0] && strcmp(nd->cgroup, h->group) != 0)
			what = "group", have = nd->cgroup, got = h->group;
		else if (nd->cnetwork[0] &&
		         strcmp(nd->cnetwork, h->network) != 0)
			what = "network", have = nd->cnetwork, got = h->network;
		else if (nd->crole_set && nd->crole != h->role)
			what = "role", have = proto_role_str(nd->crole),
			got = proto_role_str(h->role);
		if (what != NULL) {
			snprintf(
			    err, errlen,
			    "node %s: pilot says %s '%s', inventory says '%s'",
			    h->node, what, got, have);
			r = -EPERM;
			goto refused;
		}
	}
	if (nd == NULL && (nd = add_node(f, h->node)) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = net_attach(f, nd, h->network)) < 0)
		goto out;
	util_strlcpy(nd->group, h->group, sizeof(nd->group));
	nd->role = h->role;
	nd->role_known = true;
	nd->chain = h->chain;
	util_strlcpy(nd->version, h->version, sizeof(nd->version));
	nd->hello = true;
	nd->connected = true;
	if (now_ms > nd->last_contact_ms)
		nd->last_contact_ms = now_ms;
	/* a pilot that restarted starts its restart counter again */
	nd->have_st = false;
	if ((ev = new_event(evs, wall_ms, EV_REGISTERED, SEV_INFO, nd, NULL)) ==
	    NULL) {
		r = -ENOMEM;
		goto out;
	}
	snprintf(ev->message, sizeof(ev->message),
	         "%s registered: pilot %s, %s %s%s%s", nd->name, nd->version,
	         proto_chain_str(nd->chain), proto_role_str(nd->role),
	         nd->group[0] ? ", group " : "", nd->group);
	event_details(ev, "version", nd->version, "chain",
	              proto_chain_str(nd->chain), "role",
	              proto_role_str(nd->role), "listed",
	              nd->listed ? "yes" : "no", NULL);
	goto out;
refused:
	if ((ev = new_event(evs, wall_ms, EV_REGISTERED, SEV_WARNING, NULL,
	                    NULL)) != NULL) {
		util_strlcpy(ev->node, h->node, sizeof(ev->node));
		snprintf(ev->message, sizeof(ev->message), "hello refused: %s",
		         err);
		event_details(ev, "refused", err, NULL);
	}
out:
	pthread_mutex_unlock(&f->mu);
	return r;
}

/* What this one status says the node is, before hysteresis. */
static enum fleet_state
classify(const struct fleet *f, const struct node *nd, uint64_t now_ms,
         const char **why)
{
	const struct proto_status *st = &nd->st;

	if (!st->up) {
		*why = "not running";
		return FLEET_DOWN;
	}
	if (!st->reachable) {
		*why = "RPC not answering";
		return FLEET_DOWN;
	}
	if (st->syncing) {
		*why = "catching up";
		return FLEET_SYNCING;
	}
	/* height unknown: nothing to measure lag or progress against */
	if (st->height == 0) {
		*why = "running, height unknown";
		return FLEET_UP;
	}
	if (since(now_ms, nd->progress_ms) >= f->c.stall_ms &&
	    (nd->ref_used == 0 || nd->ref_used > st->height)) {
		*why = "no new height";
		return FLEET_STALLED;
	}
	if (nd->lag > f->c.lag_blocks) {
		*why = "behind the reference";
		return FLEET_LAGGING;
	}
	*why = "healthy";
	return FLEET_UP;
}

static int
apply_observation(struct fleet *f, struct node *nd, uint64_t now_ms,
                  uint64_t wall, struct event_list *evs)
{
	const char *why;
	enum fleet_state cand = classify(f, nd, now_ms, &why);
	uint32_t need;
	char buf[PROTO_TEXT_MAX];

	/* unknown and unreachable say nothing about the node: take the
	 * first real observation as it is */
	if (nd->state == FLEET_UNKNOWN || nd->state == FLEET_UNREACHABLE)
		return set_state(nd, cand, wall, why, evs);
	if (cand == nd->state) {
		nd->streak = 0;
		return 0;
	}
	nd->streak++;
	need = cand == FLEET_UP ? f->c.up_after : f->c.down_after;
	if (nd->streak < need)
		return 0;
	if (cand == FLEET_LAGGING) {
		snprintf(buf, sizeof(buf), "%" PRIu64 " blocks behind %" PRIu64,
		         nd->lag, nd->ref_used);
		why = buf;
	}
	return set_state(nd, cand, wall, why, evs);
}

int
fleet_heartbeat(struct fleet *f, const char *name,
                const struct proto_heartbeat *hb, uint64_t now_ms,
                uint64_t wall_ms, struct fleet_hb_result *out,
                struct event_list *evs)
{
	const struct proto_status *st = &hb->st;
	struct node *nd;
	struct net *n;
	bool first;
	uint64_t fref = 0;
	int r = 0;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&f->mu);
	mark_start(f, now_ms);
	if ((nd = find_node(f, name)) == NULL) {
		r = -ENOENT;
		goto out;
	}
	if (!nd->hello) {
		r = -ENOTCONN;
		goto out;
	}
	n = nd->net;
	first = !nd->have_st;
	if (!first && st->restarts > nd->st.restarts)
		nd->last_restart_wall = wall_ms;
	if (first || st->height != nd->st.height)
		nd->progress_ms = now_ms;
	if (st->decision[0] != '\0' &&
	    strncmp(st->decision, nd->st.decision, sizeof(st->decision)) != 0) {
		struct event *ev =
		    new_event(evs, wall_ms, EV_DECISION, SEV_INFO, nd, NULL);

		if (ev == NULL) {
			r = -ENOMEM;
			goto out;
		}
		snprintf(ev->message, sizeof(ev->message), "%s: %.*s", nd->name,
		         (int)sizeof(st->decision), st->decision);
	}
	nd->st = *st;
	/* the wire decoder guarantees NULs; a caller's struct might not */
	nd->st.tip_hash[sizeof(nd->st.tip_hash) - 1] = '\0';
	nd->st.decision[sizeof(nd->st.decision) - 1] = '\0';
	nd->st.error[sizeof(nd->st.error) - 1] = '\0';
	nd->have_st = true;
	nd->connected = true;
	if (now_ms > nd->last_contact_ms)
		nd->last_contact_ms = now_ms;
	nd->last_seen_wall = wall_ms;

	if (n != NULL) {
		if (st->height > 0 &&
		    (r = observe_block(f, nd, now_ms, wall_ms, evs)) < 0)
			goto out;
		n->ref_dirty = true;
		if (n->ref_ms == 0 || since(now_ms, n->ref_ms) >= REF_MIN_MS)
			if ((r = recompute_ref(f, n, now_ms)) < 0)
				goto out;
		fref = n->ref;
	}
	nd->ref_used = st->ref_height > fref ? st->ref_height : fref;
	nd->lag = nd->ref_used > st->height ? nd->ref_used - st->height : 0;
	if ((r = apply_observation(f, nd, now_ms, wall_ms, evs)) < 0)
		goto out;

	out->fleet_ref_height = fref;
	out->interval_ms = f->c.interval_ms;
	out->state = nd->state;
	out->healthy = nd->state == FLEET_UP;
	util_strlcpy(out->group, nd->group, sizeof(out->group));
	if (n != NULL)
		util_strlcpy(out->network, n->name, sizeof(out->network));
out:
	pthread_mutex_unlock(&f->mu);
	return r;
}

int
fleet_tick(struct fleet *f, uint64_t now_ms, uint64_t wall_ms,
           struct event_list *evs)
{
	uint64_t timeout;
	int r = 0;

	pthread_mutex_lock(&f->mu);
	mark_start(f, now_ms);
	timeout = (uint64_t)f->c.unreachable_after * f->c.interval_ms;
	for (size_t i = 0; i < f->nnodes && r == 0; i++) {
		struct node *nd = f->nodes[i];
		char why[64];

		if (nd->state == FLEET_UNREACHABLE)
			continue;
		if (nd->hello && nd->connected &&
		    since(now_ms, nd->last_contact_ms) > timeout) {
			snprintf(why, sizeof(why),
			         "no heartbeat for %" PRIu64 " ms",
			         since(now_ms, nd->last_contact_ms));
			nd->connected = false;
			r = set_state(nd, FLEET_UNREACHABLE, wall_ms, why, evs);
		} else if (!nd->hello && since(now_ms, f->start_ms) > timeout) {
			/* listed, but its pilot never came since we started */
			r = set_state(nd, FLEET_UNREACHABLE, wall_ms,
			              "no hello since the commander started",
			              evs);
		}
	}
	for (size_t i = 0; i < f->nnets && r == 0; i++) {
		struct net *n = f->nets[i];

		if (n->tip > 0 && !n->stale &&
		    since(now_ms, n->tip_ms) >= f->c.stale_tip_ms) {
			struct event *ev = new_event(evs, wall_ms, EV_STALE_TIP,
			                             SEV_WARNING, NULL, n);
			char h[24], age[24];

			if (ev == NULL) {
				r = -ENOMEM;
				break;
			}
			n->stale = true;
			snprintf(
			    ev->message, sizeof(ev->message),
			    "network %s: no new height for %s (tip %" PRIu64
			    ")",
			    n->name,
			    util_fmt_duration(since(now_ms, n->tip_ms), age,
			                      sizeof(age)),
			    n->tip);
			snprintf(h, sizeof(h), "%" PRIu64, n->tip);
			snprintf(age, sizeof(age), "%" PRIu64,
			         since(now_ms, n->tip_ms));
			event_details(ev, "state", "stale", "#height", h,
			              "#age_ms", age, NULL);
		}
		for (uint32_t k = 0; k < f->c.ring_heights; k++) {
			struct blk *b = &n->ring[k];

			if (b->height != 0 && !b->settled &&
			    since(now_ms, b->created_ms) >=
			        f->c.spread_settle_ms)
				blk_settle(n, b);
		}
		if (r == 0)
			r = recompute_ref(f, n, now_ms);
	}
	pthread_mutex_unlock(&f->mu);
	return r;
}

uint64_t
fleet_ref_height(struct fleet *f, const char *network)
{
	struct net *n;
	uint64_t ref = 0;

	pthread_mutex_lock(&f->mu);
	if ((n = find_net(f, network)) != NULL) {
		if (n->ref_dirty)
			recompute_ref(f, n, n->ref_ms);
		ref = n->ref;
	}
	pthread_mutex_unlock(&f->mu);
	return ref;
}

/* ---- snapshots ---- */

static void
view_of(const struct node *nd, struct fleet_node_view *v)
{
	memset(v, 0, sizeof(*v));
	util_strlcpy(v->name, nd->name, sizeof(v->name));
	util_strlcpy(v->group, nd->group, sizeof(v->group));
	if (nd->net != NULL)
		util_strlcpy(v->network, nd->net->name, sizeof(v->network));
	v->role = nd->role;
	v->role_known = nd->role_known;
	v->chain = nd->chain;
	v->priority = nd->priority;
	v->listed = nd->listed;
	v->connected = nd->connected && nd->state != FLEET_UNREACHABLE;
	util_strlcpy(v->version, nd->version, sizeof(v->version));
	v->state = nd->state;
	v->state_since_ms = nd->state_since_wall;
	v->last_seen_ms = nd->last_seen_wall;
	v->height = nd->st.height;
	v->ref_height = nd->ref_used;
	v->lag = nd->lag;
	v->last_restart_ms = nd->last_restart_wall;
	v->st = nd->st;
}

int
fleet_node_get(struct fleet *f, const char *name, struct fleet_node_view *out)
{
	struct node *nd;

	pthread_mutex_lock(&f->mu);
	nd = find_node(f, name);
	if (nd != NULL)
		view_of(nd, out);
	pthread_mutex_unlock(&f->mu);
	return nd != NULL ? 0 : -ENOENT;
}

static int
cmp_node_view(const void *a, const void *b)
{
	return strcmp(((const struct fleet_node_view *)a)->name,
	              ((const struct fleet_node_view *)b)->name);
}

int
fleet_nodes(struct fleet *f, struct fleet_node_view **out, size_t *n)
{
	struct fleet_node_view *v = NULL;
	size_t cnt;

	pthread_mutex_lock(&f->mu);
	cnt = f->nnodes;
	if (cnt > 0 && (v = calloc(cnt, sizeof(*v))) == NULL) {
		pthread_mutex_unlock(&f->mu);
		*out = NULL;
		*n = 0;
		return -ENOMEM;
	}
	for (size_t i = 0; i < cnt; i++)
		view_of(f->nodes[i], &v[i]);
	pthread_mutex_unlock(&f->mu);
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), cmp_node_view);
	*out = v;
	*n = cnt;
	return 0;
}

static int
cmp_net_view(const void *a, const void *b)
{
	return strcmp(((const struct fleet_network_view *)a)->name,
	              ((const struct fleet_network_view *)b)->name);
}

int
fleet_networks(struct fleet *f, struct fleet_network_view **out, size_t *n)
{
	struct fleet_network_view *v = NULL;
	size_t cnt;

	pthread_mutex_lock(&f->mu);
	cnt = f->nnets;
	if (cnt > 0 && (v = calloc(cnt, sizeof(*v))) == NULL) {
		pthread_mutex_unlock(&f->mu);
		*out = NULL;
		*n = 0;
		return -ENOMEM;
	}
	for (size_t i = 0; i < cnt; i++) {
		struct net *nt = f->nets[i];

		if (nt->ref_dirty)
			recompute_ref(f, nt, nt->ref_ms);
		util_strlcpy(v[i].name, nt->name, sizeof(v[i].name));
		v[i].ref_height = nt->ref;
		v[i].tip_height = nt->tip;
		v[i].tip_seen_ms = nt->tip_wall_ms;
		v[i].stale = nt->stale;
		v[i].reorgs = nt->reorgs;
		v[i].nodes = (uint32_t)nt->nnodes;
		v[i].nodes_healthy = nt->healthy;
		v[i].spread = nt->spread;
	}
	pthread_mutex_unlock(&f->mu);
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), cmp_net_view);
	*out = v;
	*n = cnt;
	return 0;
}

int
fleet_blocks(struct fleet *f, const char *network, struct fleet_block_view *out,
             size_t max)
{
	struct net *n;
	size_t k = 0;

	pthread_mutex_lock(&f->mu);
	if ((n = find_net(f, network)) == NULL) {
		pthread_mutex_unlock(&f->mu);
		return -ENOENT;
	}
	for (uint64_t i = 0; i < f->c.ring_heights && i < n->tip && k < max;
	     i++) {
		uint64_t h = n->tip - i;
		const struct blk *b = &n->ring[h % f->c.ring_heights];

		if (b->height != h)
			continue;
		memset(&out[k], 0, sizeof(out[k]));
		out[k].height = h;
		util_strlcpy(out[k].hash, b->nhashes ? b->hashes[0] : "",
		             sizeof(out[k].hash));
		out[k].first_seen_ms = b->first_seen_ms;
		util_strlcpy(out[k].first_node, b->first_node,
		             sizeof(out[k].first_node));
		out[k].nodes_seen = b->nodes_seen;
		out[k].max_spread_ms = b->last_seen_ms - b->first_seen_ms;
		out[k].hashes = b->nhashes;
		k++;
	}
	pthread_mutex_unlock(&f->mu);
	return (int)k;
}

void
fleet_state_counts(struct fleet *f, uint32_t counts[FLEET__COUNT])
{
	memset(counts, 0, FLEET__COUNT * sizeof(counts[0]));
	pthread_mutex_lock(&f->mu);
	for (size_t i = 0; i < f->nnodes; i++)
		counts[f->nodes[i]->state]++;
	pthread_mutex_unlock(&f->mu);
}
