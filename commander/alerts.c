/* alerts.c: the commander's alerting glue (see alerts.h). */
#include "commander/alerts.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "commander/store_alertq.h"
#include "common/util.h"

#define KEY_ENGINE   "engine"
#define KEY_ROUTER   "router"
#define KEY_CURSOR   "cursor"
#define EVENT_BATCH  256     /* events fed to the engine per query */
#define EVENT_ROUNDS 8       /* queries per tick: bounded work */
#define HOUSEKEEP_MS 3600000 /* prune delivered rows, old silences */
#define KEEP_DONE_MS (7 * 24 * 3600 * 1000ull)
#define KEEP_SIL_MS  (24 * 3600 * 1000ull)

struct alerts {
	struct alerts_conf conf;
	struct store *store;
	struct fleet *fleet;
	alert_log_fn *log;
	void *log_arg;
	struct alert_worker *worker;

	pthread_mutex_t mu; /* everything below */
	struct alert_engine *engine;
	struct alert_router *router;
	uint64_t cursor; /* last event id fed to the engine */
	struct alert_silence *sil;
	size_t nsil;
	/* the last committed state: to roll back to, and to skip commits
	 * that would write the same */
	char *saved_engine, *saved_router;
	uint64_t saved_cursor;
	uint64_t next_housekeep;
};

static void alog(struct alerts *, enum log_level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
alog(struct alerts *a, enum log_level lvl, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (a->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	a->log(a->log_arg, lvl, line);
}

/* Build a fresh engine and router from saved text (either may be NULL). */
static int
restore(struct alerts *a, const char *engine, const char *router, size_t *bad)
{
	struct alert_engine *e = alert_engine_new(&a->conf.rules);
	struct alert_router *r = alert_router_new();
	size_t b1 = 0, b2 = 0;

	if (e == NULL || r == NULL ||
	    (engine &&
	     alert_engine_import(e, engine, strlen(engine), &b1) != 0) ||
	    (router &&
	     alert_router_import(r, router, strlen(router), &b2) != 0)) {
		alert_engine_free(e);
		alert_router_free(r);
		return -ENOMEM;
	}
	alert_engine_free(a->engine);
	alert_router_free(a->router);
	a->engine = e;
	a->router = r;
	if (bad)
		*bad = b1 + b2;
	return 0;
}

static void
record(struct alerts *a, struct event *ev, size_t n)
{
	if (n && store_append_many(a->store, ev, n, NULL) != 0) {
		char e[256];

		alog(a, LOG_LVL_WARN, "alerts: cannot record events: %s",
		     store_errmsg(a->store, e, sizeof(e)));
	}
}

static void record_one(struct alerts *a, enum event_severity sev,
                       const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
record_one(struct alerts *a, enum event_severity sev, const char *fmt, ...)
{
	struct event ev;
	char msg[EVENT_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	event_make(&ev, clock_wall_ms(), EV_ALERT, sev, "", "", "", "%s", msg);
	record(a, &ev, 1);
}

int
alerts_new(const struct alerts_params *p, struct alerts **out, char *err,
           size_t errlen)
{
	struct alert_worker_conf wc;
	struct alerts *a;
	char *engine = NULL, *router = NULL, *cursor = NULL;
	const char *names[ALERT_CHANNELS_MAX];
	size_t bad = 0;
	uint64_t dropped = 0;
	int rc;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errlen, "alerts: out of memory");
		return -ENOMEM;
	}
	a->conf = *p->conf;
	if (!a->conf.inited)
		alert_conf_init(&a->conf);
	a->store = p->store;
	a->fleet = p->fleet;
	a->log = p->log;
	a->log_arg = p->log_arg;
	pthread_mutex_init(&a->mu, NULL);

	if (((rc = store_blob_get(a->store, KEY_ENGINE, &engine)) < 0 &&
	     rc != -ENOENT) ||
	    ((rc = store_blob_get(a->store, KEY_ROUTER, &router)) < 0 &&
	     rc != -ENOENT) ||
	    ((rc = store_blob_get(a->store, KEY_CURSOR, &cursor)) < 0 &&
	     rc != -ENOENT)) {
		char e[256];

		snprintf(err, errlen, "alerts: cannot read saved state: %s",
		         store_errmsg(a->store, e, sizeof(e)));
		goto fail;
	}
	if ((rc = restore(a, engine, router, &bad)) < 0) {
		snprintf(err, errlen, "alerts: out of memory");
		goto fail;
	}
	if (bad)
		alog(a, LOG_LVL_WARN,
		     "alerts: %zu unreadable lines in the saved state skipped",
		     bad);
	/* no cursor yet: start at the present, history is not news */
	if (cursor == NULL ||
	    util_parse_u64(cursor, 0, UINT64_MAX, &a->cursor) != 0)
		a->cursor = store_last_id(a->store);
	a->saved_cursor = a->cursor;
	a->saved_engine = engine ? engine : strdup("");
	a->saved_router = router ? router : strdup("");
	engine = router = NULL;
	free(cursor);
	cursor = NULL;
	if (a->saved_engine == NULL || a->saved_router == NULL) {
		rc = -ENOMEM;
		snprintf(err, errlen, "alerts: out of memory");
		goto fail;
	}
	if ((rc = store_silence_list(a->store, &a->sil, &a->nsil)) < 0) {
		snprintf(err, errlen, "alerts: cannot read silences");
		goto fail;
	}
	for (size_t i = 0; i < a->conf.nchan; i++)
		names[i] = a->conf.chan[i].name;
	if (store_alertq_orphans(a->store, names, a->conf.nchan,
	                         clock_wall_ms(), &dropped) == 0 &&
	    dropped)
		alog(a, LOG_LVL_WARN,
		     "alerts: %" PRIu64 " queued messages of removed channels "
		     "dropped",
		     dropped);

	memset(&wc, 0, sizeof(wc));
	wc.sinks = a->conf.chan;
	wc.nsinks = a->conf.nchan;
	wc.store = a->store;
	wc.log = a->log;
	wc.log_arg = a->log_arg;
	wc.timeout_ms = a->conf.timeout_ms;
	wc.retry_min_ms = a->conf.retry_min_ms;
	wc.retry_max_ms = a->conf.retry_max_ms;
	wc.give_up_ms = a->conf.give_up_ms;
	if ((rc = alert_worker_start(&wc, &a->worker, err, errlen)) < 0)
		goto fail;
	if (a->conf.test_on_start && a->conf.nchan &&
	    alerts_test(a, NULL, clock_wall_ms(), NULL) != 0)
		alog(a, LOG_LVL_WARN, "alerts: cannot queue the test message");
	*out = a;
	return 0;
fail:
	free(engine);
	free(router);
	free(cursor);
	alerts_free(a);
	return rc < 0 ? rc : -EIO;
}

void
alerts_free(struct alerts *a)
{
	if (a == NULL)
		return;
	alert_worker_stop(a->worker);
	alert_engine_free(a->engine);
	alert_router_free(a->router);
	free(a->sil);
	free(a->saved_engine);
	free(a->saved_router);
	pthread_mutex_destroy(&a->mu);
	/* the channels hold tokens and webhook URLs */
	sodium_memzero(&a->conf, sizeof(a->conf));
	free(a);
}

/* Fired and resolved alerts as events (repeats and notices are not news:
 * a notice comes from an event already). */
static int
alert_events(const struct alert_list *l, struct event_list *evs)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct alert *al = &l->v[i];
		struct event *ev;

		if (al->notice || al->kind == ALERT_REPEAT)
			continue;
		if ((ev = event_list_add(evs)) == NULL)
			return -ENOMEM;
		event_make(ev, al->time_ms, EV_ALERT,
		           al->kind == ALERT_RESOLVE ? SEV_INFO : al->severity,
		           al->node, al->group, al->network, "%s %s: %s",
		           al->kind == ALERT_RESOLVE ? "resolved" : "firing",
		           al->key, al->summary);
		event_details(ev, "rule", alert_rule_str(al->rule), "key",
		              al->key, "state", alert_kind_str(al->kind),
		              "severity", event_severity_str(al->severity),
		              NULL);
	}
	return 0;
}

/* Feed the events stored since the cursor to the engine. */
static int
feed_events(struct alerts *a, uint64_t now, struct alert_list *l)
{
	for (int round = 0; round < EVENT_ROUNDS; round++) {
		struct store_filter f = {.since_id = a->cursor,
		                         .limit = EVENT_BATCH};
		struct event *ev = NULL;
		size_t n = 0;
		int rc = store_query(a->store, &f, &ev, &n);

		if (rc < 0)
			return rc;
		for (size_t i = 0; i < n && rc == 0; i++) {
			rc = alert_on_event(a->engine, &ev[i], now, l);
			a->cursor = ev[i].id;
		}
		free(ev);
		if (rc < 0)
			return rc;
		if (n < EVENT_BATCH)
			break;
	}
	return 0;
}

static void
housekeep(struct alerts *a, uint64_t now)
{
	uint64_t n = 0;

	if (now < a->next_housekeep)
		return;
	a->next_housekeep = now + HOUSEKEEP_MS;
	if (now > KEEP_DONE_MS)
		store_alertq_prune(a->store, now - KEEP_DONE_MS, NULL);
	if (now > KEEP_SIL_MS &&
	    store_silence_expire(a->store, now - KEEP_SIL_MS, &n) == 0 && n) {
		struct alert_silence *v = NULL;
		size_t nv = 0;

		if (store_silence_list(a->store, &v, &nv) == 0) {
			free(a->sil);
			a->sil = v;
			a->nsil = nv;
		}
	}
}

/* Enqueue msgs with the state (when given) in one transaction. */
static int
commit(struct alerts *a, const struct alert_msg_list *msgs,
       const struct store_blob *b, size_t nb, uint64_t now, uint64_t *first)
{
	struct store_alertq_put *puts = NULL;
	size_t i;
	int rc = 0;

	if (msgs->n && (puts = calloc(msgs->n, sizeof(*puts))) == NULL)
		return -ENOMEM;
	for (i = 0; i < msgs->n && rc == 0; i++) {
		char *payload;

		rc = alert_json_encode(msgs->v[i].v, msgs->v[i].n, &payload);
		puts[i].channel = a->conf.chan[msgs->v[i].sink].name;
		puts[i].kind = msgs->v[i].kind;
		puts[i].payload = rc == 0 ? payload : NULL;
	}
	if (rc == 0)
		rc = store_alertq_commit(a->store, puts, msgs->n, b, nb, now,
		                         first);
	for (size_t j = 0; j < i; j++)
		free((char *)puts[j].payload);
	free(puts);
	for (i = 0; i < msgs->n && rc == 0; i++)
		alert_worker_kick(a->worker,
		                  a->conf.chan[msgs->v[i].sink].name);
	return rc;
}

static int
tick_locked(struct alerts *a, const struct fleet_node_view *nodes,
            size_t nnodes, const struct fleet_network_view *nets, size_t nnets,
            uint64_t now)
{
	struct alert_list l = {0};
	struct alert_msg_list msgs = {0};
	struct event_list evs = {0};
	struct alert *act = NULL;
	size_t nact = 0, elen, rlen;
	char *eng = NULL, *rt = NULL, cur[24];
	int rc;

	housekeep(a, now);
	if ((rc = alert_eval(a->engine, nodes, nnodes, nets, nnets, now, &l)) <
	        0 ||
	    (rc = feed_events(a, now, &l)) < 0 ||
	    (rc = alert_active(a->engine, &act, &nact)) < 0)
		goto rollback;
	{
		struct alert_route_in in = {
		    .sinks = a->conf.chan,
		    .nsinks = a->conf.nchan,
		    .silences = a->sil,
		    .nsilences = a->nsil,
		    .alerts = l.v,
		    .nalerts = l.n,
		    .active = act,
		    .nactive = nact,
		    .am_resend_ms = a->conf.am_resend_ms,
		    .now_ms = now,
		};

		if ((rc = alert_route(a->router, &in, &msgs)) < 0)
			goto rollback;
	}
	if ((rc = alert_engine_export(a->engine, &eng, &elen)) < 0 ||
	    (rc = alert_router_export(a->router, &rt, &rlen)) < 0)
		goto rollback;
	snprintf(cur, sizeof(cur), "%" PRIu64, a->cursor);
	if (msgs.n == 0 && a->cursor == a->saved_cursor &&
	    strcmp(eng, a->saved_engine) == 0 &&
	    strcmp(rt, a->saved_router) == 0)
		goto out; /* nothing new: no fsync */
	{
		const struct store_blob b[3] = {
		    {KEY_ENGINE, eng}, {KEY_ROUTER, rt}, {KEY_CURSOR, cur}};

		if ((rc = commit(a, &msgs, b, 3, now, NULL)) < 0)
			goto rollback;
	}
	free(a->saved_engine);
	free(a->saved_router);
	a->saved_engine = eng;
	a->saved_router = rt;
	a->saved_cursor = a->cursor;
	eng = rt = NULL;
	if (alert_events(&l, &evs) == 0)
		record(a, evs.v, evs.n);
	goto out;
rollback:
	/* what was routed but not committed must come out again */
	if (restore(a, a->saved_engine, a->saved_router, NULL) == 0)
		a->cursor = a->saved_cursor;
	{
		char e[256];

		alog(a, LOG_LVL_WARN, "alerts: evaluation not saved (%s): %s",
		     strerror(-rc), store_errmsg(a->store, e, sizeof(e)));
	}
out:
	free(eng);
	free(rt);
	free(act);
	alert_list_free(&l);
	alert_msg_list_free(&msgs);
	event_list_free(&evs);
	return rc;
}

int
alerts_tick_snapshot(struct alerts *a, const struct fleet_node_view *nodes,
                     size_t nnodes, const struct fleet_network_view *nets,
                     size_t nnets, uint64_t now)
{
	int rc;

	pthread_mutex_lock(&a->mu);
	rc = tick_locked(a, nodes, nnodes, nets, nnets, now);
	pthread_mutex_unlock(&a->mu);
	return rc;
}

int
alerts_tick(struct alerts *a, uint64_t now)
{
	struct fleet_node_view *nodes = NULL;
	struct fleet_network_view *nets = NULL;
	size_t nn = 0, nw = 0;
	int rc;

	if (a->fleet && ((rc = fleet_nodes(a->fleet, &nodes, &nn)) < 0 ||
	                 (rc = fleet_networks(a->fleet, &nets, &nw)) < 0)) {
		free(nodes);
		return rc;
	}
	rc = alerts_tick_snapshot(a, nodes, nn, nets, nw, now);
	free(nodes);
	free(nets);
	return rc;
}

int
alerts_test(struct alerts *a, const char *channel, uint64_t now, uint64_t *id)
{
	struct alert_msg_list msgs = {0};
	struct alert t;
	int rc = 0;

	memset(&t, 0, sizeof(t));
	t.kind = ALERT_FIRE;
	t.rule = AR_TEST;
	t.severity = SEV_INFO;
	t.notice = true;
	t.started_ms = t.time_ms = now;
	for (size_t i = 0; i < a->conf.nchan && rc == 0; i++) {
		const char *name = a->conf.chan[i].name;

		if (channel && strcmp(channel, name) != 0)
			continue;
		snprintf(t.key, sizeof(t.key), "test/%s/%" PRIu64, name, now);
		snprintf(t.summary, sizeof(t.summary),
		         "test message from sextant to channel %s (%s): "
		         "alerts reach you here",
		         name, sink_type_str(a->conf.chan[i].type));
		if (msgs.n == msgs.cap) {
			size_t cap = msgs.cap ? 2 * msgs.cap : 4;
			struct alert_msg *v = realloc(msgs.v, cap * sizeof(*v));

			if (v == NULL) {
				rc = -ENOMEM;
				break;
			}
			msgs.v = v;
			msgs.cap = cap;
		}
		if ((msgs.v[msgs.n].v = malloc(sizeof(t))) == NULL) {
			rc = -ENOMEM;
			break;
		}
		msgs.v[msgs.n].v[0] = t;
		msgs.v[msgs.n].n = 1;
		msgs.v[msgs.n].sink = i;
		msgs.v[msgs.n].kind = ALERT_MSG_TEST;
		msgs.n++;
	}
	if (rc == 0 && msgs.n == 0)
		rc = -ENOENT;
	if (rc == 0)
		rc = commit(a, &msgs, NULL, 0, now, id);
	alert_msg_list_free(&msgs);
	return rc;
}

int
alerts_message_state(struct alerts *a, uint64_t id, char *state,
                     size_t statelen, long *status, char *why, size_t whylen)
{
	return store_alertq_state(a->store, id, state, statelen, status, NULL,
	                          why, whylen);
}

static void
matchers(const struct alert_silence *s, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s%s%s%s%s%s%s", s->rule[0] ? " rule=" : "",
	         s->rule, s->node[0] ? " node=" : "", s->node,
	         s->group[0] ? " group=" : "", s->group,
	         s->network[0] ? " network=" : "", s->network);
}

int
alerts_silence_add(struct alerts *a, struct alert_silence *s, uint64_t now,
                   char *err, size_t errlen)
{
	struct alert_silence *v;
	char m[300], when[40];
	int rc;

	if ((rc = alert_silence_check(s, now, err, errlen)) < 0)
		return rc;
	s->created_ms = now;
	pthread_mutex_lock(&a->mu);
	if ((v = realloc(a->sil, (a->nsil + 1) * sizeof(*v))) == NULL) {
		pthread_mutex_unlock(&a->mu);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	a->sil = v;
	if ((rc = store_silence_add(a->store, s)) < 0) {
		pthread_mutex_unlock(&a->mu);
		store_errmsg(a->store, err, errlen);
		return rc;
	}
	a->sil[a->nsil++] = *s;
	pthread_mutex_unlock(&a->mu);
	matchers(s, m, sizeof(m));
	record_one(a, SEV_INFO,
	           "silence %" PRIu64 " added by %s:%s until %s%s%s", s->id,
	           s->author[0] ? s->author : "(anonymous)", m,
	           sink_rfc3339(s->expires_ms, when, sizeof(when)),
	           s->comment[0] ? ": " : "", s->comment);
	return 0;
}

int
alerts_silence_del(struct alerts *a, uint64_t id, uint64_t now)
{
	int rc;

	pthread_mutex_lock(&a->mu);
	if ((rc = store_silence_del(a->store, id)) == 0)
		for (size_t i = 0; i < a->nsil; i++)
			if (a->sil[i].id == id) {
				memmove(&a->sil[i], &a->sil[i + 1],
				        (a->nsil - i - 1) * sizeof(a->sil[0]));
				a->nsil--;
				break;
			}
	pthread_mutex_unlock(&a->mu);
	if (rc == 0)
		record_one(a, SEV_INFO, "silence %" PRIu64 " deleted", id);
	return rc;
}

int
alerts_silences(struct alerts *a, uint64_t now, struct alert_silence **out,
                size_t *n)
{
	struct alert_silence *v;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&a->mu);
	if ((v = malloc((a->nsil + 1) * sizeof(*v))) == NULL) {
		pthread_mutex_unlock(&a->mu);
		return -ENOMEM;
	}
	for (size_t i = 0; i < a->nsil; i++)
		if (a->sil[i].expires_ms > now)
			v[k++] = a->sil[i];
	pthread_mutex_unlock(&a->mu);
	if (k == 0) {
		free(v);
		return 0;
	}
	*out = v;
	*n = k;
	return 0;
}

int
alerts_active(struct alerts *a, struct alert **out, size_t *n)
{
	int rc;

	pthread_mutex_lock(&a->mu);
	rc = alert_active(a->engine, out, n);
	pthread_mutex_unlock(&a->mu);
	return rc;
}

cJSON *
alert_silence_to_cjson(const struct alert_silence *s)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL || !cJSON_AddNumberToObject(o, "id", (double)s->id) ||
	    !cJSON_AddStringToObject(o, "rule", s->rule) ||
	    !cJSON_AddStringToObject(o, "node", s->node) ||
	    !cJSON_AddStringToObject(o, "group", s->group) ||
	    !cJSON_AddStringToObject(o, "network", s->network) ||
	    !cJSON_AddNumberToObject(o, "created_ms", (double)s->created_ms) ||
	    !cJSON_AddNumberToObject(o, "expires_ms", (double)s->expires_ms) ||
	    !cJSON_AddStringToObject(o, "comment", s->comment) ||
	    !cJSON_AddStringToObject(o, "author", s->author)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *
channel_json(struct alerts *a, const struct sink_conf *c)
{
	struct store_alertq_stats qs;
	struct alert_worker_stats ws;
	char url[160];
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	memset(&ws, 0, sizeof(ws));
	alert_worker_stats(a->worker, c->name, &ws);
	if (store_alertq_stats(a->store, c->name, &qs) != 0)
		memset(&qs, 0, sizeof(qs));
	sink_redact(c->url, url, sizeof(url));
	if (!cJSON_AddStringToObject(o, "name", c->name) ||
	    !cJSON_AddStringToObject(o, "type", sink_type_str(c->type)) ||
	    !cJSON_AddStringToObject(o, "url",
	                             c->type == SINK_LOG ? "" : url) ||
	    !cJSON_AddStringToObject(o, "min_severity",
	                             event_severity_str(c->min_severity)) ||
	    !cJSON_AddStringToObject(o, "node", c->node) ||
	    !cJSON_AddStringToObject(o, "group", c->group) ||
	    !cJSON_AddStringToObject(o, "network", c->network) ||
	    !cJSON_AddNumberToObject(o, "per_minute", c->per_minute) ||
	    !cJSON_AddNumberToObject(o, "queued", (double)qs.queued) ||
	    !cJSON_AddNumberToObject(o, "delivered", (double)qs.delivered) ||
	    !cJSON_AddNumberToObject(o, "failed", (double)qs.failed) ||
	    !cJSON_AddNumberToObject(o, "retried", (double)ws.retried) ||
	    !cJSON_AddNumberToObject(o, "last_status",
	                             (double)ws.last_status) ||
	    !cJSON_AddStringToObject(o, "last_error", ws.last_error) ||
	    !cJSON_AddNumberToObject(o, "last_ok_ms", (double)ws.last_ok_ms)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *
alerts_json(struct alerts *a, uint64_t now)
{
	cJSON *root = cJSON_CreateObject(), *arr;
	struct alert *act = NULL;
	struct alert_silence *sil = NULL;
	size_t nact = 0, nsil = 0;
	bool ok = root != NULL;

	if (!ok || alerts_active(a, &act, &nact) != 0 ||
	    alerts_silences(a, now, &sil, &nsil) != 0) {
		cJSON_Delete(root);
		free(act);
		return NULL;
	}
	ok = (arr = cJSON_AddArrayToObject(root, "active")) != NULL;
	for (size_t i = 0; i < nact && ok; i++)
		ok = cJSON_AddItemToArray(arr, alert_to_cjson(&act[i]));
	ok = ok && (arr = cJSON_AddArrayToObject(root, "silences")) != NULL;
	for (size_t i = 0; i < nsil && ok; i++)
		ok = cJSON_AddItemToArray(arr, alert_silence_to_cjson(&sil[i]));
	ok = ok && (arr = cJSON_AddArrayToObject(root, "channels")) != NULL;
	for (size_t i = 0; i < a->conf.nchan && ok; i++)
		ok = cJSON_AddItemToArray(arr,
		                          channel_json(a, &a->conf.chan[i]));
	free(act);
	free(sil);
	if (!ok) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

static int
opt_str(const cJSON *o, const char *name, char *dst, size_t cap, char *err,
        size_t errlen)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);

	dst[0] = '\0';
	if (it == NULL || cJSON_IsNull(it))
		return 0;
	if (!cJSON_IsString(it) || it->valuestring == NULL) {
		snprintf(err, errlen, "%s: not a string", name);
		return -EINVAL;
	}
	if (util_strcpy_checked(dst, it->valuestring, cap) != 0) {
		snprintf(err, errlen, "%s: longer than %zu characters", name,
		         cap - 1);
		return -EINVAL;
	}
	return 0;
}

int
alerts_silence_parse(const char *body, size_t len, uint64_t now,
                     struct alert_silence *out, char *err, size_t errlen)
{
	const cJSON *d, *e;
	cJSON *o;
	uint64_t ms;
	int rc = -EINVAL;

	memset(out, 0, sizeof(*out));
	if (len > 16384) {
		snprintf(err, errlen, "body over 16384 bytes");
		return -EINVAL;
	}
	if ((o = cJSON_ParseWithLength(body, len)) == NULL ||
	    !cJSON_IsObject(o)) {
		snprintf(err, errlen, "not a JSON object");
		goto out;
	}
	if (opt_str(o, "rule", out->rule, sizeof(out->rule), err, errlen) ||
	    opt_str(o, "node", out->node, sizeof(out->node), err, errlen) ||
	    opt_str(o, "group", out->group, sizeof(out->group), err, errlen) ||
	    opt_str(o, "network", out->network, sizeof(out->network), err,
	            errlen) ||
	    opt_str(o, "comment", out->comment, sizeof(out->comment), err,
	            errlen) ||
	    opt_str(o, "author", out->author, sizeof(out->author), err, errlen))
		goto out;
	d = cJSON_GetObjectItemCaseSensitive(o, "duration");
	e = cJSON_GetObjectItemCaseSensitive(o, "expires_ms");
	if (cJSON_IsString(d) && d->valuestring &&
	    util_parse_duration_ms(d->valuestring, &ms) == 0 && ms > 0 &&
	    ms <= 366 * 24 * 3600 * 1000ull)
		out->expires_ms = now + ms;
	else if (d == NULL && cJSON_IsNumber(e) && e->valuedouble > 0 &&
	         e->valuedouble < 9007199254740992.0)
		out->expires_ms = (uint64_t)e->valuedouble;
	else {
		snprintf(err, errlen,
		         "needs duration (like \"2h\", at most a year) or "
		         "expires_ms");
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(o);
	return rc;
}
