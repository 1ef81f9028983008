/*
 * budget.c: the restart budget (see budget.h for the rules).
 *
 * Grants and waiting requests are short arrays searched linearly: grants
 * are bounded by the limits (one per group by default) and a restart storm
 * of a few thousand waiting pilots costs microseconds per heartbeat.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "commander/budget.h"
#include "commander/fleet.h"
#include "common/util.h"

/* Elapsed time that never wraps: callers on other threads may read the
 * clock before a later reading has already been stored here. */
static inline uint64_t
since(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

struct grant {
	char node[PROTO_NAME_MAX];
	char group[PROTO_NAME_MAX];
	char network[PROTO_NAME_MAX];
	char reason[PROTO_TEXT_MAX];
	uint64_t at_ms; /* monotonic */
	uint64_t at_wall;
	uint32_t restarts0;  /* the pilot's counter when granted */
	bool restarts_known; /* false for a restored grant with no record */
	bool saw_unhealthy;  /* since the grant */
};

/* A request that was denied and is still being made. */
struct waiting {
	char node[PROTO_NAME_MAX];
	char denied[PROTO_TEXT_MAX]; /* last deny reason sent as an event */
};

struct budget {
	pthread_mutex_t mu;
	struct budget_conf c;
	struct grant *g;
	size_t ng, capg;
	struct waiting *w;
	size_t nw, capw;
	uint64_t holdoff_until; /* monotonic; 0 = none */
};

void
budget_conf_defaults(struct budget_conf *c)
{
	c->per_group = 1;
	c->per_network = 1;
	c->grant_timeout_ms = 600000;
}

struct budget *
budget_new(const struct budget_conf *c)
{
	struct budget *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->c = *c;
	pthread_mutex_init(&b->mu, NULL);
	return b;
}

void
budget_free(struct budget *b)
{
	if (b == NULL)
		return;
	free(b->g);
	free(b->w);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

static struct grant *
find_grant(struct budget *b, const char *node)
{
	for (size_t i = 0; i < b->ng; i++)
		if (strcmp(b->g[i].node, node) == 0)
			return &b->g[i];
	return NULL;
}

static struct waiting *
find_waiting(struct budget *b, const char *node)
{
	for (size_t i = 0; i < b->nw; i++)
		if (strcmp(b->w[i].node, node) == 0)
			return &b->w[i];
	return NULL;
}

static void
drop_waiting(struct budget *b, struct waiting *w)
{
	*w = b->w[--b->nw];
}

/* Grow an array of elem-sized items to hold one more; 0 or -ENOMEM. */
static int
reserve(void **v, size_t *cap, size_t n, size_t elem)
{
	size_t nc;
	void *p;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 8;
	if ((p = realloc(*v, nc * elem)) == NULL)
		return -ENOMEM;
	*v = p;
	*cap = nc;
	return 0;
}

static bool
name_ok(const char *s, bool may_be_empty)
{
	size_t len;

	if (s == NULL)
		return may_be_empty;
	len = strnlen(s, PROTO_NAME_MAX);
	return len < PROTO_NAME_MAX && (may_be_empty || len > 0);
}

static struct event *
new_event(struct event_list *evs, uint64_t wall, enum event_type t,
          enum event_severity sev, const char *node, const char *group,
          const char *network)
{
	struct event *ev = event_list_add(evs);

	if (ev != NULL)
		event_make(ev, wall, t, sev, node, group, network, "%s", "");
	return ev;
}

/*
 * Whether one more restart fits.  On no, why says which limit and who
 * holds it, e.g. "group val-a: val-a-2 is restarting (limit 1)".
 */
static bool
fits(struct budget *b, const char *group, const char *network, char *why,
     size_t whylen)
{
	uint32_t in_group = 0, in_net = 0;
	const char *gh = NULL, *nh = NULL;

	for (size_t i = 0; i < b->ng; i++) {
		const struct grant *g = &b->g[i];

		if (group[0] != '\0' && strcmp(g->group, group) == 0) {
			in_group++;
			gh = g->node;
		}
		if (network[0] != '\0' && strcmp(g->network, network) == 0) {
			in_net++;
			nh = g->node;
		}
	}
	if (b->c.per_group > 0 && in_group >= b->c.per_group) {
		snprintf(why, whylen,
		         "group %s: %s is restarting (limit %" PRIu32 ")",
		         group, gh, b->c.per_group);
		return false;
	}
	if (b->c.per_network > 0 && in_net >= b->c.per_network) {
		snprintf(why, whylen,
		         "network %s: %s is restarting (limit %" PRIu32 ")",
		         network, nh, b->c.per_network);
		return false;
	}
	return true;
}

static void
set_cmd(struct proto_cmd *cmd, enum proto_verb verb, const char *group,
        const char *reason)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->verb = verb;
	util_strlcpy(cmd->group, group, sizeof(cmd->group));
	util_strlcpy(cmd->reason, reason, sizeof(cmd->reason));
}

int
budget_request(struct budget *b, const struct budget_req *req, uint64_t now_ms,
               uint64_t wall_ms, struct proto_cmd *cmd, struct event_list *evs)
{
	const char *group = req->group ? req->group : "";
	const char *network = req->network ? req->network : "";
	const char *reason = req->reason ? req->reason : "";
	char why[PROTO_TEXT_MAX];
	struct grant *g;
	struct waiting *w;
	struct event *ev;
	int r = 0;

	if (!name_ok(req->node, false) || !name_ok(group, true) ||
	    !name_ok(network, true) ||
	    strnlen(reason, PROTO_TEXT_MAX) >= PROTO_TEXT_MAX)
		return -EINVAL;
	pthread_mutex_lock(&b->mu);
	/* a lost reply: the pilot asks again for the grant it holds */
	if ((g = find_grant(b, req->node)) != NULL) {
		set_cmd(cmd, VERB_RESTART_GRANT, group, "granted");
		r = 1;
		goto out;
	}
	if ((w = find_waiting(b, req->node)) == NULL) {
		if (reserve((void **)&b->w, &b->capw, b->nw, sizeof(*b->w)) <
		        0 ||
		    (ev = new_event(evs, wall_ms, EV_RESTART_REQUESTED,
		                    SEV_INFO, req->node, group, network)) ==
		        NULL) {
			r = -ENOMEM;
			goto out;
		}
		snprintf(ev->message, sizeof(ev->message),
		         "%s asks to restart: %s", req->node,
		         reason[0] ? reason : "no reason given");
		event_details(ev, "reason", reason, NULL);
		w = &b->w[b->nw++];
		memset(w, 0, sizeof(*w));
		util_strlcpy(w->node, req->node, sizeof(w->node));
	}
	if (now_ms < b->holdoff_until) {
		char left[32];

		util_fmt_duration(b->holdoff_until - now_ms, left,
		                  sizeof(left));
		snprintf(why, sizeof(why),
		         "commander restarted without its grant record: no "
		         "grants for %s",
		         left);
	}
	if (now_ms < b->holdoff_until ||
	    !fits(b, group, network, why, sizeof(why))) {
		set_cmd(cmd, VERB_RESTART_DENY, group, why);
		if (strcmp(w->denied, why) != 0) {
			if ((ev = new_event(evs, wall_ms, EV_RESTART_DENIED,
			                    SEV_WARNING, req->node, group,
			                    network)) == NULL) {
				r = -ENOMEM;
				goto out;
			}
			snprintf(ev->message, sizeof(ev->message),
			         "restart of %s denied: %s", req->node, why);
			event_details(ev, "reason", reason, "denied", why,
			              NULL);
			util_strlcpy(w->denied, why, sizeof(w->denied));
		}
		goto out;
	}
	if (reserve((void **)&b->g, &b->capg, b->ng, sizeof(*b->g)) < 0 ||
	    (ev = new_event(evs, wall_ms, EV_RESTART_GRANTED, SEV_INFO,
	                    req->node, group, network)) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	snprintf(ev->message, sizeof(ev->message), "restart of %s granted: %s",
	         req->node, reason[0] ? reason : "no reason given");
	{
		char rs[16];

		/* budget_restore reads it back after a commander restart */
		snprintf(rs, sizeof(rs), "%" PRIu32, req->restarts);
		event_details(ev, "reason", reason, "#restarts", rs, NULL);
	}
	g = &b->g[b->ng++];
	memset(g, 0, sizeof(*g));
	util_strlcpy(g->node, req->node, sizeof(g->node));
	util_strlcpy(g->group, group, sizeof(g->group));
	util_strlcpy(g->network, network, sizeof(g->network));
	util_strlcpy(g->reason, reason, sizeof(g->reason));
	g->at_ms = now_ms;
	g->at_wall = wall_ms;
	g->restarts0 = req->restarts;
	g->restarts_known = true;
	drop_waiting(b, w);
	set_cmd(cmd, VERB_RESTART_GRANT, group, "granted");
	r = 1;
out:
	pthread_mutex_unlock(&b->mu);
	return r;
}

static int
release(struct budget *b, struct grant *g, uint64_t now_ms, uint64_t wall,
        bool timed_out, struct event_list *evs)
{
	struct event *ev = new_event(evs, wall, EV_RESTART_DONE,
	                             timed_out ? SEV_WARNING : SEV_INFO,
	                             g->node, g->group, g->network);
	char held[32], ms[24];

	if (ev == NULL)
		return -ENOMEM;
	util_fmt_duration(since(now_ms, g->at_ms), held, sizeof(held));
	if (timed_out)
		snprintf(
		    ev->message, sizeof(ev->message),
		    "restart grant of %s expired after %s without the node "
		    "coming back healthy",
		    g->node, held);
	else
		snprintf(ev->message, sizeof(ev->message),
		         "%s is healthy again after its restart (%s)", g->node,
		         held);
	snprintf(ms, sizeof(ms), "%" PRIu64, since(now_ms, g->at_ms));
	event_details(ev, "outcome", timed_out ? "timeout" : "healthy",
	              "#held_ms", ms, "reason", g->reason, NULL);
	*g = b->g[--b->ng];
	return 0;
}

int
budget_observe(struct budget *b, const char *node, bool healthy,
               uint32_t restarts, bool wanted, uint64_t now_ms,
               uint64_t wall_ms, struct event_list *evs)
{
	struct grant *g;
	struct waiting *w;
	int r = 0;

	pthread_mutex_lock(&b->mu);
	if ((g = find_grant(b, node)) != NULL) {
		if (!healthy)
			g->saw_unhealthy = true;
		/* healthy alone is not enough: the heartbeat right after the
		 * grant predates the restart */
		else if (g->saw_unhealthy ||
		         (g->restarts_known && restarts != g->restarts0))
			r = release(b, g, now_ms, wall_ms, false, evs);
	} else if (!wanted && (w = find_waiting(b, node)) != NULL)
		drop_waiting(b, w);
	pthread_mutex_unlock(&b->mu);
	return r;
}

int
budget_heartbeat(struct budget *b, const char *node,
                 const struct proto_heartbeat *hb,
                 const struct fleet_hb_result *fr, uint64_t now_ms,
                 uint64_t wall_ms, struct proto_reply *reply,
                 struct event_list *evs)
{
	char reason[PROTO_TEXT_MAX];
	struct proto_cmd cmd;
	struct budget_req req = {.node = node,
	                         .group = fr->group,
	                         .network = fr->network,
	                         .reason = reason,
	                         .restarts = hb->st.restarts};
	int r;

	r = budget_observe(b, node, fr->healthy, hb->st.restarts,
	                   hb->restart_wanted, now_ms, wall_ms, evs);
	if (r < 0 || !hb->restart_wanted)
		return r;
	if (reply->ncmds >= PROTO_MAX_CMDS)
		return -ENOSPC;
	/* the wire decoder terminates it; a caller's struct may not */
	memcpy(reason, hb->restart_reason, sizeof(reason));
	reason[sizeof(reason) - 1] = '\0';
	if ((r = budget_request(b, &req, now_ms, wall_ms, &cmd, evs)) < 0)
		return r;
	reply->cmds[reply->ncmds++] = cmd;
	return 0;
}

int
budget_tick(struct budget *b, uint64_t now_ms, uint64_t wall_ms,
            struct event_list *evs)
{
	int r = 0;

	pthread_mutex_lock(&b->mu);
	for (size_t i = 0; i < b->ng && r == 0;) {
		if (since(now_ms, b->g[i].at_ms) >= b->c.grant_timeout_ms)
			r = release(b, &b->g[i], now_ms, wall_ms, true, evs);
		else
			i++;
	}
	pthread_mutex_unlock(&b->mu);
	return r;
}

/* What a grant event's details recorded: the pilot's restart counter
 * (restarts_known) and its reason. */
static void
grant_details(const struct event *ev, struct grant *g)
{
	cJSON *d = cJSON_ParseWithLength(
	    ev->details, strnlen(ev->details, sizeof(ev->details)));
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(d, "restarts");
	const cJSON *why = cJSON_GetObjectItemCaseSensitive(d, "reason");

	if (cJSON_IsNumber(r) && r->valuedouble >= 0 &&
	    r->valuedouble <= UINT32_MAX) {
		g->restarts0 = (uint32_t)r->valuedouble;
		g->restarts_known = true;
	}
	if (cJSON_IsString(why) && why->valuestring[0] != '\0')
		util_strlcpy(g->reason, why->valuestring, sizeof(g->reason));
	else
		util_strlcpy(g->reason, "granted before a commander restart",
		             sizeof(g->reason));
	cJSON_Delete(d);
}

static int
by_id(const void *a, const void *b)
{
	const struct event *x = *(const struct event *const *)a;
	const struct event *y = *(const struct event *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int
budget_restore(struct budget *b, const struct event *evs, size_t n,
               uint64_t now_ms, uint64_t wall_ms)
{
	const struct event **ord;
	int restored = 0;

	if (n == 0)
		return 0;
	if ((ord = malloc(n * sizeof(*ord))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		ord[i] = &evs[i];
	qsort(ord, n, sizeof(*ord), by_id);
	pthread_mutex_lock(&b->mu);
	for (size_t i = 0; i < n; i++) {
		const struct event *ev = ord[i];
		struct grant *g;

		/* names from a file: only whole, terminated ones */
		if (!name_ok(ev->node, false) || !name_ok(ev->group, true) ||
		    !name_ok(ev->network, true))
			continue;
		g = find_grant(b, ev->node);
		if (ev->type == EV_RESTART_DONE) {
			if (g != NULL)
				*g = b->g[--b->ng];
			continue;
		}
		if (ev->type != EV_RESTART_GRANTED)
			continue;
		if (g == NULL) {
			if (reserve((void **)&b->g, &b->capg, b->ng,
			            sizeof(*b->g)) < 0) {
				pthread_mutex_unlock(&b->mu);
				free(ord);
				return -ENOMEM;
			}
			g = &b->g[b->ng++];
		}
		memset(g, 0, sizeof(*g));
		util_strlcpy(g->node, ev->node, sizeof(g->node));
		util_strlcpy(g->group, ev->group, sizeof(g->group));
		util_strlcpy(g->network, ev->network, sizeof(g->network));
		g->at_wall = ev->time_ms;
		grant_details(ev, g);
	}
	for (size_t i = 0; i < b->ng;) {
		struct grant *g = &b->g[i];
		uint64_t age = since(wall_ms, g->at_wall);

		if (age >= b->c.grant_timeout_ms) {
			*g = b->g[--b->ng]; /* expired while we were down */
			continue;
		}
		/* a monotonic clock younger than the grant's age: start the
		 * grant at 0, which only holds it longer */
		g->at_ms = now_ms > age ? now_ms - age : 0;
		restored++;
		i++;
	}
	pthread_mutex_unlock(&b->mu);
	free(ord);
	return restored;
}

void
budget_holdoff(struct budget *b, uint64_t now_ms)
{
	pthread_mutex_lock(&b->mu);
	b->holdoff_until = now_ms + b->c.grant_timeout_ms;
	pthread_mutex_unlock(&b->mu);
}

int
budget_grants(struct budget *b, struct budget_grant_view **out, size_t *n)
{
	struct budget_grant_view *v = NULL;
	size_t cnt;

	pthread_mutex_lock(&b->mu);
	cnt = b->ng;
	if (cnt > 0 && (v = calloc(cnt, sizeof(*v))) == NULL) {
		pthread_mutex_unlock(&b->mu);
		*out = NULL;
		*n = 0;
		return -ENOMEM;
	}
	for (size_t i = 0; i < cnt; i++) {
		util_strlcpy(v[i].node, b->g[i].node, sizeof(v[i].node));
		util_strlcpy(v[i].group, b->g[i].group, sizeof(v[i].group));
		util_strlcpy(v[i].network, b->g[i].network,
		             sizeof(v[i].network));
		util_strlcpy(v[i].reason, b->g[i].reason, sizeof(v[i].reason));
		v[i].granted_wall_ms = b->g[i].at_wall;
	}
	pthread_mutex_unlock(&b->mu);
	*out = v;
	*n = cnt;
	return 0;
}
