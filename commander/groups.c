#include "commander/groups.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/util.h"

/* A risen watermark is written at most this often outside epoch changes
 * (members report it again after a restart anyway; this bounds what a
 * restart can forget). */
#define WM_PERSIST_MS 5000
#define JSON_INT_MAX  9007199254740991.0 /* 2^53 - 1: exact in a double */

struct member {
	char node[PROTO_NAME_MAX];
	uint32_t priority;
	bool seen;
	uint64_t last_hb_ms;
	bool fleet_connected;
	bool healthy;
	uint64_t lag;
	uint64_t trouble_since_ms; /* 0: fine */
	uint64_t suspect_since_ms; /* its reports say the node is down */
	bool signing;
	uint64_t lease_epoch;
	uint64_t demoted_epoch;
	struct proto_sign_state sign;
	bool revoke_told; /* a "revoked" event went out for revoke_epoch */
	uint64_t revoke_epoch;
	bool doppel_told; /* a "doppelganger" event for doppel_epoch */
	uint64_t doppel_epoch;
	uint64_t claim_since_ms; /* signing claims no lease covers: */
	uint64_t claim_last_ms;  /* first and latest report of the run */
	uint64_t claim_epoch;    /* the epoch they claim */
};

struct group {
	struct failover_group fg;
	struct failover_params p;
	bool enabled;
	bool started;
	struct member m[GROUPS_MAX_MEMBERS];
	size_t nm;
	struct proto_sign_state durable_wm;
	uint64_t wm_written_ms;
	bool lost_told; /* "lost" event for lost_epoch's lapse went out */
	uint64_t lost_epoch;
};

struct groups {
	pthread_mutex_t mu;
	struct group **g; /* fixed once started: looked up without the lock */
	size_t n;
	uint64_t last_now;
};

struct groups *
groups_new(void)
{
	struct groups *gs = calloc(1, sizeof(*gs));

	if (gs != NULL)
		pthread_mutex_init(&gs->mu, NULL);
	return gs;
}

void
groups_free(struct groups *gs)
{
	if (gs == NULL)
		return;
	for (size_t i = 0; i < gs->n; i++)
		free(gs->g[i]);
	free(gs->g);
	pthread_mutex_destroy(&gs->mu);
	free(gs);
}

static struct group *
find_group(struct groups *gs, const char *name)
{
	for (size_t i = 0; i < gs->n; i++)
		if (strcmp(gs->g[i]->fg.name, name) == 0)
			return gs->g[i];
	return NULL;
}

static struct member *
find_member(struct group *g, const char *node)
{
	for (size_t i = 0; i < g->nm; i++)
		if (strcmp(g->m[i].node, node) == 0)
			return &g->m[i];
	return NULL;
}

int
groups_add(struct groups *gs, const char *name, enum failover_mode mode,
           bool enabled, const struct failover_params *p)
{
	struct group *g, **v;

	if (name == NULL || name[0] == '\0' || strlen(name) >= PROTO_NAME_MAX ||
	    p->ttl_ms == 0 ||
	    (mode != FO_MODE_LEASE && mode != FO_MODE_ACK_ONLY))
		return -EINVAL;
	if (find_group(gs, name) != NULL)
		return -EEXIST;
	if ((v = realloc(gs->g, (gs->n + 1) * sizeof(*v))) == NULL)
		return -ENOMEM;
	gs->g = v;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return -ENOMEM;
	util_strlcpy(g->fg.name, name, sizeof(g->fg.name));
	g->fg.mode = mode;
	g->p = *p;
	g->enabled = enabled;
	gs->g[gs->n++] = g;
	return 0;
}

int
groups_add_member(struct groups *gs, const char *group, const char *node,
                  uint32_t priority)
{
	struct group *g = find_group(gs, group);
	struct member *m;

	if (g == NULL)
		return -ENOENT;
	if (node == NULL || node[0] == '\0' || strlen(node) >= PROTO_NAME_MAX)
		return -EINVAL;
	if (find_member(g, node) != NULL)
		return -EEXIST;
	if (g->nm == GROUPS_MAX_MEMBERS)
		return -ENOSPC;
	m = &g->m[g->nm++];
	memset(m, 0, sizeof(*m));
	util_strlcpy(m->node, node, sizeof(m->node));
	m->priority = priority;
	return 0;
}

/* ---- the durable record ---- */

int
groups_record_encode(const struct groups_record *r, char *buf, size_t size)
{
	cJSON *o = cJSON_CreateObject(), *w;
	char *text = NULL;
	int rc = -ENOSPC;

	if (o == NULL ||
	    cJSON_AddNumberToObject(o, "epoch", (double)r->epoch) == NULL ||
	    cJSON_AddStringToObject(o, "holder", r->holder) == NULL ||
	    (w = cJSON_AddObjectToObject(o, "watermark")) == NULL ||
	    cJSON_AddNumberToObject(w, "height", (double)r->watermark.height) ==
	        NULL ||
	    cJSON_AddNumberToObject(w, "round", r->watermark.round) == NULL ||
	    cJSON_AddNumberToObject(w, "step", r->watermark.step) == NULL ||
	    (text = cJSON_PrintUnformatted(o)) == NULL)
		goto out;
	if (r->epoch > (uint64_t)JSON_INT_MAX ||
	    r->watermark.height > (uint64_t)JSON_INT_MAX)
		rc = -ERANGE;
	else if (util_strcpy_checked(buf, text, size) == 0)
		rc = 0;
out:
	free(text);
	cJSON_Delete(o);
	return rc;
}

/* An integer in [0, max] from a JSON number. */
static int
json_uint(const cJSON *v, double max, uint64_t *out)
{
	double d;

	if (!cJSON_IsNumber(v))
		return -EINVAL;
	d = v->valuedouble;
	if (!(d >= 0 && d <= max) || floor(d) != d)
		return -EINVAL;
	*out = (uint64_t)d;
	return 0;
}

int
groups_record_decode(const char *text, size_t len, struct groups_record *out)
{
	const cJSON *e, *h, *w;
	uint64_t v;
	cJSON *o;
	int rc = -EINVAL;

	memset(out, 0, sizeof(*out));
	if (text == NULL || len == 0 || len > 4096 ||
	    (o = cJSON_ParseWithLength(text, len)) == NULL)
		return -EINVAL;
	if (!cJSON_IsObject(o))
		goto out;
	e = cJSON_GetObjectItemCaseSensitive(o, "epoch");
	h = cJSON_GetObjectItemCaseSensitive(o, "holder");
	w = cJSON_GetObjectItemCaseSensitive(o, "watermark");
	if (json_uint(e, JSON_INT_MAX, &out->epoch) != 0 ||
	    !cJSON_IsString(h) ||
	    util_strcpy_checked(out->holder, h->valuestring,
	                        sizeof(out->holder)) != 0)
		goto out;
	if (w != NULL) {
		if (!cJSON_IsObject(w) ||
		    json_uint(cJSON_GetObjectItemCaseSensitive(w, "height"),
		              JSON_INT_MAX, &out->watermark.height) != 0 ||
		    json_uint(cJSON_GetObjectItemCaseSensitive(w, "round"),
		              INT32_MAX, &v) != 0)
			goto out;
		out->watermark.round = (int32_t)v;
		if (json_uint(cJSON_GetObjectItemCaseSensitive(w, "step"),
		              INT32_MAX, &v) != 0)
			goto out;
		out->watermark.step = (int32_t)v;
	}
	rc = 0;
out:
	if (rc != 0)
		memset(out, 0, sizeof(*out));
	cJSON_Delete(o);
	return rc;
}

/* ---- helpers ---- */

/* Heartbeats and ticks read the clock on different threads and may take
 * the lock in the other order: never let time run backwards in here. */
static uint64_t
clamp_now(struct groups *gs, uint64_t now)
{
	if (now < gs->last_now)
		return gs->last_now;
	gs->last_now = now;
	return now;
}

static bool
connected(const struct group *g, const struct member *m, uint64_t now)
{
	/* a member silent for a whole ttl cannot be renewing anything */
	return m->seen && m->fleet_connected &&
	       now - m->last_hb_ms < g->p.ttl_ms;
}

static void
update_trouble(const struct group *g, struct member *m, uint64_t now)
{
	bool conn = connected(g, m, now);
	uint64_t since;

	if (conn && m->healthy) {
		m->trouble_since_ms = 0;
		return;
	}
	if (m->trouble_since_ms != 0)
		return;
	/* gone silent: in trouble since it was last heard from; unhealthy:
	 * since its first report of a down node, not since the fleet's
	 * debounce agreed (failover_after counts the trouble, not the
	 * confirmation) */
	if (!conn && m->last_hb_ms)
		since = m->last_hb_ms;
	else if (m->suspect_since_ms && m->suspect_since_ms < now)
		since = m->suspect_since_ms;
	else
		since = now;
	m->trouble_since_ms = since ? since : 1; /* 0 means fine */
}

static struct failover_member
member_of(const struct group *g, const struct member *m, uint64_t now)
{
	return (struct failover_member){
	    .node = m->node,
	    .priority = m->priority,
	    .connected = connected(g, m, now),
	    .healthy = m->healthy,
	    .lag = m->lag,
	    .trouble_since_ms = m->trouble_since_ms,
	    .suspect_since_ms = m->suspect_since_ms,
	    .signing = m->signing,
	    .lease_epoch = m->lease_epoch,
	    .demoted_epoch = m->demoted_epoch,
	    .sign = m->sign,
	    .claim_since_ms = m->claim_since_ms,
	    .claim_last_ms = m->claim_last_ms,
	};
}

static size_t
members_of(const struct group *g, uint64_t now, struct failover_member *out)
{
	for (size_t i = 0; i < g->nm; i++)
		out[i] = member_of(g, &g->m[i], now);
	return g->nm;
}

/* Who holds, or may hold, the lease now. */
static const char *
shown_holder(const struct failover_group *fg)
{
	if ((fg->phase == FO_HELD || fg->phase == FO_REVOKING) && !fg->acked)
		return fg->holder;
	return "";
}

static void lease_event(struct event_list *evs, uint64_t wall,
                        enum event_severity sev, const struct group *g,
                        const char *node, const char *step, const char *fmt,
                        ...) __attribute__((format(printf, 7, 8)));

static void
lease_event(struct event_list *evs, uint64_t wall, enum event_severity sev,
            const struct group *g, const char *node, const char *step,
            const char *fmt, ...)
{
	char msg[EVENT_MSG_MAX], epoch[24];
	struct event *ev;
	va_list ap;

	if ((ev = event_list_add(evs)) == NULL)
		return; /* ENOMEM: the log still has the reason */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	event_make(ev, wall, EV_LEASE_CHANGE, sev, node ? node : "", g->fg.name,
	           "", "%s", msg);
	snprintf(epoch, sizeof(epoch), "%" PRIu64, g->fg.epoch);
	event_details(ev, "step", step, "#epoch", epoch, "holder", g->fg.holder,
	              "candidate", g->fg.candidate, "phase",
	              failover_phase_str(g->fg.phase), "mode",
	              failover_mode_str(g->fg.mode), NULL);
}

/* ---- start ---- */

int
groups_start(struct groups *gs, const char *name,
             const struct groups_record *rec, uint64_t now)
{
	struct group *g;

	pthread_mutex_lock(&gs->mu);
	now = clamp_now(gs, now);
	if ((g = find_group(gs, name)) == NULL) {
		pthread_mutex_unlock(&gs->mu);
		return -ENOENT;
	}
	failover_init(&g->fg, name, g->fg.mode, rec ? rec->epoch : 0,
	              rec ? rec->holder : NULL, rec ? &rec->watermark : NULL,
	              &g->p, now);
	if (rec)
		g->durable_wm = rec->watermark;
	/* members not heard from since the start are in trouble since then */
	for (size_t i = 0; i < g->nm; i++)
		update_trouble(g, &g->m[i], now);
	g->started = true;
	pthread_mutex_unlock(&gs->mu);
	return 0;
}

size_t
groups_names(struct groups *gs, const char **out, size_t max)
{
	size_t i;

	for (i = 0; i < gs->n && i < max; i++)
		out[i] = gs->g[i]->fg.name;
	return i;
}

/* ---- heartbeats ---- */

bool
groups_heartbeat(struct groups *gs, const char *node,
                 const struct proto_heartbeat *hb,
                 const struct fleet_hb_result *fr, uint64_t now, uint64_t wall,
                 struct proto_cmd *cmd, struct event_list *evs)
{
	struct failover_member fm;
	struct failover_group before;
	struct group *g;
	struct member *m;
	uint64_t ref;
	bool got;

	if (fr->group[0] == '\0' || (g = find_group(gs, fr->group)) == NULL ||
	    (m = find_member(g, node)) == NULL)
		return false;
	pthread_mutex_lock(&gs->mu);
	now = clamp_now(gs, now);
	m->seen = true;
	m->last_hb_ms = now;
	m->fleet_connected = true;
	m->healthy = fr->healthy;
	ref = hb->st.ref_height > fr->fleet_ref_height ? hb->st.ref_height
	                                               : fr->fleet_ref_height;
	m->lag = hb->st.height && ref > hb->st.height ? ref - hb->st.height : 0;
	m->signing = hb->st.signing;
	m->lease_epoch = hb->st.lease_epoch;
	m->demoted_epoch = hb->demoted_epoch;
	m->sign = hb->st.sign;
	if (!hb->st.up || !hb->st.reachable || hb->st.syncing) {
		if (m->suspect_since_ms == 0)
			m->suspect_since_ms = now;
	} else
		m->suspect_since_ms = 0;
	update_trouble(g, m, now);
	if (!g->started) {
		pthread_mutex_unlock(&gs->mu);
		return false;
	}
	before = g->fg;
	fm = member_of(g, m, now);
	got = failover_on_heartbeat(&g->fg, &g->p, &fm, now, cmd);
	/* after the renewal it may have earned: is its claim covered? */
	if (failover_claim_covered(&g->fg, &fm, now)) {
		m->claim_since_ms = m->claim_last_ms = 0;
	} else {
		if (m->claim_since_ms == 0 || m->claim_epoch != m->lease_epoch)
			m->claim_since_ms = now;
		m->claim_epoch = m->lease_epoch;
		m->claim_last_ms = now;
	}

	if (before.phase == FO_READY && g->fg.phase == FO_HELD)
		lease_event(evs, wall, SEV_INFO, g, node, "granted",
		            "lease epoch %" PRIu64 " granted to %s above "
		            "height %" PRIu64,
		            g->fg.epoch, node, g->fg.watermark.height);
	if (!before.acked && g->fg.acked && strcmp(before.holder, node) == 0) {
		if (before.phase == FO_REVOKING)
			lease_event(evs, wall, SEV_INFO, g, node, "released",
			            "%s acknowledged it stopped signing "
			            "(epoch %" PRIu64 ")",
			            node, before.epoch);
		else
			lease_event(evs, wall, SEV_WARNING, g, node, "lost",
			            "%s gave up its lease by itself (epoch "
			            "%" PRIu64 ")",
			            node, before.epoch);
	}
	if (got && cmd->verb == VERB_LEASE_REVOKE &&
	    strcmp(g->fg.holder, node) != 0 &&
	    !(m->revoke_told && m->revoke_epoch == cmd->epoch)) {
		m->revoke_told = true;
		m->revoke_epoch = cmd->epoch;
		lease_event(evs, wall, SEV_WARNING, g, node, "revoked",
		            "%s reports a lease (epoch %" PRIu64
		            ") it does not hold: told to stop signing",
		            node, cmd->epoch);
	}
	/* the pilot aborted a promotion because its validator key signs
	 * elsewhere; it says so in its probe error (no wire field for it) */
	if (strncmp(hb->st.error, "doppelganger", 12) == 0 &&
	    !(m->doppel_told && m->doppel_epoch == g->fg.epoch)) {
		m->doppel_told = true;
		m->doppel_epoch = g->fg.epoch;
		lease_event(evs, wall, SEV_CRITICAL, g, node, "doppelganger",
		            "%s: %.120s", node, hb->st.error);
	}
	pthread_mutex_unlock(&gs->mu);
	return got;
}

uint32_t
groups_interval_hint(struct groups *gs, const char *node)
{
	uint32_t iv = 0;

	if (gs == NULL || node == NULL)
		return 0;
	pthread_mutex_lock(&gs->mu);
	for (size_t i = 0; i < gs->n && iv == 0; i++) {
		const struct failover_group *fg = &gs->g[i]->fg;

		if (!gs->g[i]->started || find_member(gs->g[i], node) == NULL)
			continue;
		switch (fg->phase) {
		case FO_REVOKING:
			if (strcmp(fg->candidate, node) == 0 ||
			    (strcmp(fg->holder, node) == 0 && !fg->acked))
				iv = FAILOVER_FAST_INTERVAL_MS;
			break;
		case FO_PERSIST:
		case FO_READY:
			if (strcmp(fg->candidate, node) == 0)
				iv = FAILOVER_FAST_INTERVAL_MS;
			break;
		case FO_IDLE:
		case FO_HELD:
			break;
		}
	}
	pthread_mutex_unlock(&gs->mu);
	return iv;
}

/* ---- the tick ---- */

static void
refresh(struct group *g, struct member *m, const struct fleet_node_view *v,
        bool have, uint64_t now)
{
	m->fleet_connected = have && v->connected;
	if (have) {
		m->healthy = v->state == FLEET_UP;
		m->lag = v->height > 0 && v->ref_height > v->height
		             ? v->ref_height - v->height
		             : 0;
	}
	update_trouble(g, m, now);
}

/* Fleet views of a group's members, taken before our lock (the fleet
 * has its own).  have[i]: the node is known to the fleet. */
static void
views_of(struct fleet *fleet, const struct group *g, struct fleet_node_view *v,
         bool *have)
{
	for (size_t i = 0; i < g->nm; i++)
		have[i] = fleet != NULL &&
		          fleet_node_get(fleet, g->m[i].node, &v[i]) == 0;
}

static void
tick_group(struct group *g, const struct fleet_node_view *v, const bool *have,
           uint64_t now, uint64_t wall, struct event_list *evs,
           struct groups_persist *out, size_t max, size_t *k)
{
	struct failover_member fms[GROUPS_MAX_MEMBERS];
	struct failover_group *fg = &g->fg;
	enum failover_step step;
	size_t n;

	for (size_t i = 0; i < g->nm; i++)
		refresh(g, &g->m[i], &v[i], have[i], now);
	n = members_of(g, now, fms);

	if ((fg->phase == FO_HELD || fg->phase == FO_REVOKING) &&
	    fg->expires_ms != 0 && now >= fg->expires_ms && !fg->acked &&
	    !(g->lost_told && g->lost_epoch == fg->epoch)) {
		g->lost_told = true;
		g->lost_epoch = fg->epoch;
		lease_event(evs, wall, SEV_WARNING, g, fg->holder, "lost",
		            "lease epoch %" PRIu64 " of %s expired without "
		            "renewal",
		            fg->epoch, fg->holder);
	}
	/* disabled: no automatic failover away from a settled holder */
	if (!g->enabled && fg->phase == FO_HELD)
		return;
	step = failover_tick(fg, &g->p, fms, n, now);
	switch (step) {
	case FO_STEP_NONE:
		break;
	case FO_STEP_STARTED:
		lease_event(evs, wall, SEV_WARNING, g, fg->holder, "started",
		            "%s", fg->reason);
		break;
	case FO_STEP_BLOCKED:
		/* the wait after a start is the rule working, not a failure
		 * (the alert rules page on "blocked") */
		if (fg->phase == FO_IDLE && now < fg->hold_until_ms)
			lease_event(evs, wall, SEV_INFO, g, "", "waiting", "%s",
			            fg->reason);
		else
			lease_event(evs, wall, SEV_WARNING, g, "", "blocked",
			            "%s", fg->reason);
		break;
	case FO_STEP_RISK:
		lease_event(evs, wall, SEV_CRITICAL, g, "", "risk", "%s",
		            fg->reason);
		break;
	case FO_STEP_PERSIST:
		if (*k == max) {
			/* no room to write it: not durable, not granted */
			failover_persist_failed(fg);
			break;
		}
		util_strlcpy(out[*k].group, fg->name, sizeof(out[*k].group));
		out[*k].rec.epoch = fg->epoch;
		util_strlcpy(out[*k].rec.holder, fg->holder,
		             sizeof(out[*k].rec.holder));
		out[*k].rec.watermark = fg->watermark;
		out[*k].epoch_step = true;
		(*k)++;
		g->wm_written_ms = now;
		return;
	}
	if (fg->phase != FO_PERSIST &&
	    proto_sign_cmp(&fg->watermark, &g->durable_wm) > 0 &&
	    (g->wm_written_ms == 0 ||
	     now - g->wm_written_ms >= WM_PERSIST_MS) &&
	    *k < max) {
		util_strlcpy(out[*k].group, fg->name, sizeof(out[*k].group));
		out[*k].rec.epoch = fg->epoch;
		util_strlcpy(out[*k].rec.holder, fg->holder,
		             sizeof(out[*k].rec.holder));
		out[*k].rec.watermark = fg->watermark;
		out[*k].epoch_step = false;
		(*k)++;
		g->wm_written_ms = now;
	}
}

int
groups_tick(struct groups *gs, struct fleet *fleet, uint64_t now, uint64_t wall,
            struct event_list *evs, struct groups_persist *out, size_t max,
            size_t *nout)
{
	struct fleet_node_view *v;
	bool have[GROUPS_MAX_MEMBERS];

	*nout = 0;
	if ((v = calloc(GROUPS_MAX_MEMBERS, sizeof(*v))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < gs->n; i++) {
		struct group *g = gs->g[i];

		views_of(fleet, g, v, have);
		pthread_mutex_lock(&gs->mu);
		if (g->started)
			tick_group(g, v, have, clamp_now(gs, now), wall, evs,
			           out, max, nout);
		pthread_mutex_unlock(&gs->mu);
	}
	free(v);
	return 0;
}

void
groups_persisted(struct groups *gs, const struct groups_persist *p, bool ok,
                 uint64_t wall, struct event_list *evs)
{
	struct group *g = find_group(gs, p->group);

	if (g == NULL)
		return;
	pthread_mutex_lock(&gs->mu);
	if (ok && proto_sign_cmp(&p->rec.watermark, &g->durable_wm) > 0)
		g->durable_wm = p->rec.watermark;
	if (p->epoch_step && g->fg.phase == FO_PERSIST &&
	    g->fg.epoch == p->rec.epoch) {
		if (ok) {
			failover_persisted(&g->fg);
		} else {
			failover_persist_failed(&g->fg);
			lease_event(evs, wall, SEV_CRITICAL, g, "",
			            "persist_failed",
			            "could not record epoch %" PRIu64
			            ": not granted, trying again",
			            p->rec.epoch);
		}
	}
	if (!ok && !p->epoch_step)
		g->wm_written_ms = 0; /* retry at the next tick */
	pthread_mutex_unlock(&gs->mu);
}

void
groups_persist_event(const struct groups_persist *p, uint64_t wall,
                     struct event_list *evs)
{
	char epoch[24];
	struct event *ev;

	if (!p->epoch_step || (ev = event_list_add(evs)) == NULL)
		return;
	event_make(ev, wall, EV_LEASE_CHANGE, SEV_INFO, p->rec.holder, p->group,
	           "",
	           "epoch %" PRIu64 " recorded for %s: granted on its next "
	           "heartbeat",
	           p->rec.epoch, p->rec.holder);
	snprintf(epoch, sizeof(epoch), "%" PRIu64, p->rec.epoch);
	event_details(ev, "step", "persisted", "#epoch", epoch, "holder", "",
	              "candidate", p->rec.holder, NULL);
}

/* ---- operator actions ---- */

int
groups_switchover(struct groups *gs, struct fleet *fleet, const char *group,
                  const char *target, uint64_t now, uint64_t wall,
                  struct event_list *evs, char *err, size_t errlen)
{
	struct failover_member fms[GROUPS_MAX_MEMBERS];
	struct fleet_node_view *v;
	bool have[GROUPS_MAX_MEMBERS];
	struct group *g = find_group(gs, group);
	char why[PROTO_TEXT_MAX + 64];
	size_t n;
	int rc;

	if (g == NULL) {
		snprintf(err, errlen, "no group '%.64s'", group);
		return -ENOENT;
	}
	if ((v = calloc(GROUPS_MAX_MEMBERS, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	views_of(fleet, g, v, have);
	pthread_mutex_lock(&gs->mu);
	now = clamp_now(gs, now);
	for (size_t i = 0; i < g->nm; i++)
		refresh(g, &g->m[i], &v[i], have[i], now);
	free(v);
	if (!g->started) {
		pthread_mutex_unlock(&gs->mu);
		snprintf(err, errlen, "group %s: not started", group);
		return -EBUSY;
	}
	n = members_of(g, now, fms);
	rc = failover_switchover(&g->fg, &g->p, fms, n, target, now, why,
	                         sizeof(why));
	if (rc != 0) {
		pthread_mutex_unlock(&gs->mu);
		snprintf(err, errlen, "%s", why);
		return -EBUSY;
	}
	lease_event(evs, wall, SEV_WARNING, g, g->fg.holder, "started", "%s",
	            g->fg.reason);
	pthread_mutex_unlock(&gs->mu);
	return 0;
}

int
groups_release(struct groups *gs, const char *group, uint64_t wall,
               struct event_list *evs, char *err, size_t errlen)
{
	struct group *g = find_group(gs, group);
	char holder[PROTO_NAME_MAX];

	if (g == NULL) {
		snprintf(err, errlen, "no group '%.64s'", group);
		return -ENOENT;
	}
	pthread_mutex_lock(&gs->mu);
	if (g->fg.mode != FO_MODE_ACK_ONLY) {
		pthread_mutex_unlock(&gs->mu);
		snprintf(
		    err, errlen,
		    "group %s is in lease mode: its holder's lease expires "
		    "by itself",
		    group);
		return -EPERM;
	}
	if (!g->started || shown_holder(&g->fg)[0] == '\0') {
		pthread_mutex_unlock(&gs->mu);
		snprintf(err, errlen, "group %s: no holder to release (%s)",
		         group, failover_phase_str(g->fg.phase));
		return -EALREADY;
	}
	util_strlcpy(holder, g->fg.holder, sizeof(holder));
	failover_force_release(&g->fg);
	lease_event(evs, wall, SEV_WARNING, g, holder, "force_release",
	            "operator declared %s fenced: epoch %" PRIu64
	            " released without its acknowledgement",
	            holder, g->fg.epoch);
	pthread_mutex_unlock(&gs->mu);
	return 0;
}

/* ---- views ---- */

static void
view_of(const struct group *g, uint64_t now, struct groups_view *out)
{
	const struct failover_group *fg = &g->fg;

	memset(out, 0, sizeof(*out));
	util_strlcpy(out->name, fg->name, sizeof(out->name));
	out->mode = fg->mode;
	out->enabled = g->enabled;
	out->params = g->p;
	out->epoch = fg->epoch;
	util_strlcpy(out->holder, shown_holder(fg), sizeof(out->holder));
	out->phase = fg->phase;
	util_strlcpy(out->candidate, fg->candidate, sizeof(out->candidate));
	out->switchover = fg->switchover;
	out->watermark = fg->watermark;
	util_strlcpy(out->reason, fg->reason, sizeof(out->reason));
	out->expires_in_ms =
	    fg->expires_ms > now && !fg->acked ? fg->expires_ms - now : 0;
	out->nmembers = g->nm;
	for (size_t i = 0; i < g->nm; i++) {
		const struct member *m = &g->m[i];
		struct groups_member_view *mv = &out->members[i];

		util_strlcpy(mv->node, m->node, sizeof(mv->node));
		mv->priority = m->priority;
		mv->connected = connected(g, m, now);
		mv->healthy = m->healthy;
		mv->lag = m->lag;
		mv->trouble_ms =
		    m->trouble_since_ms && now > m->trouble_since_ms
		        ? now - m->trouble_since_ms
		        : 0;
		mv->signing = m->signing;
		mv->lease_epoch = m->lease_epoch;
		mv->demoted_epoch = m->demoted_epoch;
		mv->sign = m->sign;
		mv->last_heartbeat_ago_ms =
		    m->seen ? now - m->last_hb_ms : UINT64_MAX;
	}
}

int
groups_list(struct groups *gs, uint64_t now, struct groups_view **out,
            size_t *n)
{
	*out = NULL;
	*n = 0;
	if (gs->n == 0)
		return 0;
	if ((*out = calloc(gs->n, sizeof(**out))) == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&gs->mu);
	now = clamp_now(gs, now);
	for (size_t i = 0; i < gs->n; i++)
		view_of(gs->g[i], now, &(*out)[i]);
	pthread_mutex_unlock(&gs->mu);
	*n = gs->n;
	return 0;
}

int
groups_get(struct groups *gs, const char *name, uint64_t now,
           struct groups_view *out)
{
	struct group *g = find_group(gs, name);

	if (g == NULL)
		return -ENOENT;
	pthread_mutex_lock(&gs->mu);
	view_of(g, clamp_now(gs, now), out);
	pthread_mutex_unlock(&gs->mu);
	return 0;
}

bool
groups_holder(struct groups *gs, const char *group, char *holder, size_t size,
              uint64_t *epoch)
{
	struct group *g;
	bool ok;

	if (gs == NULL || group == NULL || group[0] == '\0' ||
	    (g = find_group(gs, group)) == NULL)
		return false;
	pthread_mutex_lock(&gs->mu);
	util_strlcpy(holder, shown_holder(&g->fg), size);
	*epoch = g->fg.epoch;
	ok = g->started && holder[0] != '\0';
	pthread_mutex_unlock(&gs->mu);
	return ok;
}
