#include "commander/core.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "commander/alerts.h"
#include "commander/api.h"
#include "commander/budget.h"
#include "commander/evlog.h"
#include "commander/fleet.h"
#include "commander/groups.h"
#include "commander/ha.h"
#include "commander/ingest.h"
#include "commander/metrics.h"
#include "commander/registry.h"
#include "commander/reload.h"
#include "commander/store.h"
#include "common/http.h"
#include "common/log.h"
#include "common/util.h"

#define GROUPS_TICK_MS  500
#define SECOND_TICK_MS  1000
#define RETAIN_TICK_MS  60000
#define PERSIST_PER_GRP 2 /* an epoch and a watermark record per tick */
/* Alerts run on a thread of their own, at most this share of it busy:
 * evaluating a big fleet must neither delay the failover tick nor starve
 * the ingest of CPU. */
#define ALERTS_MIN_PERIOD_MS 1000
#define ALERTS_DUTY          4 /* period >= DUTY x the last evaluation */

/* A node's last info line: hash table by name (the fleet can grow by
 * unlisted pilots; entries are never removed). */
struct lognote {
	char name[PROTO_NAME_MAX];
	uint64_t at; /* wall ms; 0 = slot empty */
	enum fleet_state state;
};

struct core {
	struct commander_conf *cfg;
	const char *version;
	struct store *store;
	struct evlog *evlog;
	struct fleet *fleet;
	struct budget *budget;
	struct groups *groups;
	size_t ngroups;
	struct groups_persist *persist;
	struct alerts *alerts;
	pthread_t alerts_thread;
	bool alerts_running;
	pthread_mutex_t amu; /* alerts_stop */
	pthread_cond_t acv;
	bool alerts_stop;
	struct ingest *ingest;
	pthread_mutex_t ingmu; /* c->ingest, which HA starts and stops */
	struct api *api;

	/* HA (ha.h): NULL when [ha] has no endpoint.  serving_term is the
	 * election term this commander serves pilots in (0: standing by);
	 * the tick sets it, heartbeats on nng threads read it. */
	struct ha *ha;
	atomic_uint_fast64_t serving_term;
	uint64_t next_serve_try;

	atomic_uint_fast64_t heartbeats;
	struct ingest_stats last_stats;
	struct lognote *notes; /* when each node was last logged at info */
	size_t nnotes, capnotes;
	uint64_t next_groups, next_second, next_retain, next_log;
};

/* ---- events ---- */

/* evlog hook: every committed event goes to the log too. */
static void
log_event(void *arg, const struct event *ev)
{
	const char *subj = ev->node[0]    ? ev->node
	                   : ev->group[0] ? ev->group
	                                  : ev->network;

	(void)arg;
	if (ev->severity >= SEV_WARNING)
		log_warnx("event %" PRIu64 " %s %s%s%s: %s", ev->id,
		          event_severity_str(ev->severity),
		          event_type_str(ev->type), subj[0] ? " " : "", subj,
		          ev->message);
	else
		log_info("event %" PRIu64 " %s%s%s: %s", ev->id,
		         event_type_str(ev->type), subj[0] ? " " : "", subj,
		         ev->message);
}

static int
record(struct core *c, const struct event_list *evs)
{
	char e[256];
	int rc;

	if (evs->n == 0)
		return 0;
	if ((rc = evlog_append(c->evlog, evs->v, evs->n)) != 0)
		log_warnx("cannot record %zu events: %s%s%s", evs->n,
		          strerror(-rc), rc == -EIO ? ": " : "",
		          rc == -EIO ? store_errmsg(c->store, e, sizeof(e))
		                     : "");
	return rc;
}

/* For the API (struct api_deps.record). */
static int
api_record(void *arg, const struct event *evs, size_t n)
{
	struct event_list l = {.v = (struct event *)evs, .n = n, .cap = n};

	return record(arg, &l);
}

static void commander_event(struct core *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
commander_event(struct core *c, const char *fmt, ...)
{
	struct event_list evs = {0};
	char msg[EVENT_MSG_MAX];
	struct event *ev;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((ev = event_list_add(&evs)) == NULL)
		return;
	event_make(ev, clock_wall_ms(), EV_COMMANDER, SEV_INFO, "", "", "",
	           "%s", msg);
	event_details(ev, "version", c->version, NULL);
	record(c, &evs);
	event_list_free(&evs);
}

/* ---- the ingest handler ---- */

/*
 * With HA: true while this commander leads in the term it serves.  A
 * follower's ingest is closed, but a request that raced the close, or
 * came in just past the leadership deadline, gets nothing from it: no
 * registration, and above all no lease renewal.
 */
static bool
leads(struct core *c, uint64_t now)
{
	uint64_t t;

	if (c->ha == NULL)
		return true;
	t = atomic_load(&c->serving_term);
	return t != 0 && ha_leading(c->ha, now) == t;
}

static void
on_hello(void *arg, struct registry_pilot *p, const struct proto_hello *h,
         const char *addr, uint64_t now, struct proto_reply *reply)
{
	struct core *c = arg;
	struct event_list evs = {0};
	struct proto_reply ignored;
	char err[256] = "";
	int rc;

	if (!leads(c, clock_mono_ms())) {
		log_debug("hello from %s (%s): not the leader: refused",
		          p->name, addr);
		reply->status = PROTO_ST_BAD_REQUEST;
		return;
	}
	if (strcmp(h->node, p->name) != 0) {
		/* the key is listed for another node: a copied key or a
		 * misconfigured pilot; either way not this node */
		log_warnx("pilot %s from %s calls itself '%s': refused",
		          p->name, addr, h->node);
		reply->status = PROTO_ST_UNKNOWN_NODE;
		return;
	}
	rc = fleet_hello(c->fleet, h, now, clock_wall_ms(), &evs, err,
	                 sizeof(err));
	record(c, &evs);
	event_list_free(&evs);
	switch (rc) {
	case 0:
		break;
	case -ENOENT:
		log_warnx("pilot %s from %s: not in the inventory and "
		          "[fleet] accept_unlisted = no: refused",
		          p->name, addr);
		reply->status = PROTO_ST_UNKNOWN_NODE;
		return;
	default:
		log_warnx("pilot %s from %s: hello refused: %s", p->name, addr,
		          err[0] ? err : strerror(-rc));
		reply->status = PROTO_ST_BAD_REQUEST;
		return;
	}
	/* the registry keeps the address and logs the registration */
	registry_on_hello(c->cfg->reg, p, h, addr, now, &ignored);
	reply->status = PROTO_ST_OK;
	reply->interval_ms = (uint32_t)c->cfg->commander.interval_ms;
	reply->fleet_ref_height = fleet_ref_height(c->fleet, h->network);
}

/* A grant that is not on record must not go out: the pilot asks again. */
static void
drop_grants(struct proto_reply *reply)
{
	uint32_t w = 0;

	for (uint32_t i = 0; i < reply->ncmds; i++)
		if (reply->cmds[i].verb != VERB_RESTART_GRANT)
			reply->cmds[w++] = reply->cmds[i];
	reply->ncmds = w;
}

static void
on_heartbeat(void *arg, struct registry_pilot *p,
             const struct proto_heartbeat *hb, const char *addr, uint64_t now,
             struct proto_reply *reply)
{
	struct core *c = arg;
	struct event_list evs = {0};
	struct fleet_hb_result fr;
	struct proto_cmd cmd;
	uint64_t wall = clock_wall_ms(), gnow;
	int rc;

	if (!leads(c, clock_mono_ms())) {
		log_debug("heartbeat from %s (%s): not the leader: refused",
		          p->name, addr);
		reply->status = PROTO_ST_BAD_REQUEST;
		return;
	}
	rc = fleet_heartbeat(c->fleet, p->name, hb, now, wall, &fr, &evs);
	switch (rc) {
	case 0:
		break;
	case -ENOTCONN:
	case -ENOENT:
		/* the key is authorized (the registry opened the envelope);
		 * the fleet just has not heard its hello since we started:
		 * an unlisted node is unknown to it until then */
		reply->status = PROTO_ST_NEED_HELLO;
		goto out;
	default:
		log_warnx("heartbeat from %s: %s", p->name, strerror(-rc));
		reply->status = PROTO_ST_BAD_REQUEST;
		goto out;
	}
	atomic_fetch_add_explicit(&c->heartbeats, 1, memory_order_relaxed);
	reply->status = PROTO_ST_OK;
	reply->fleet_ref_height = fr.fleet_ref_height;
	reply->interval_ms = fr.interval_ms;
	if ((rc = budget_heartbeat(c->budget, p->name, hb, &fr, now, wall,
	                           reply, &evs)) < 0)
		log_warnx("restart budget for %s: %s", p->name, strerror(-rc));
	/* on disk before the reply that depends on it leaves */
	if (record(c, &evs) != 0)
		drop_grants(reply);
	event_list_clear(&evs);
	/* last: the commander-side lease expiry counts from here, and a
	 * renewal leaves only from a leader within its deadline */
	gnow = clock_mono_ms();
	if (c->groups != NULL && reply->ncmds < PROTO_MAX_CMDS &&
	    leads(c, gnow) &&
	    groups_heartbeat(c->groups, p->name, hb, &fr, gnow, clock_wall_ms(),
	                     &cmd, &evs)) {
		reply->cmds[reply->ncmds++] = cmd;
		log_debug("lease to %s: %s group %s epoch %" PRIu64, p->name,
		          proto_verb_str(cmd.verb), cmd.group, cmd.epoch);
	}
	if (c->groups != NULL) {
		/* a failover's candidate (or revoked holder) heartbeats
		 * sooner: its grant (or acknowledgement) rides on the next
		 * exchange, and waiting a full interval slows the hand-over */
		uint32_t iv = groups_interval_hint(c->groups, p->name);

		if (iv != 0 && iv < reply->interval_ms)
			reply->interval_ms = iv;
	}
	record(c, &evs);
	log_debug("heartbeat from %s (%s) seq %" PRIu64 " height %" PRIu64
	          " accepted",
	          p->name, addr, hb->seq, hb->st.height);
out:
	event_list_free(&evs);
}

/* ---- the API's ingest counters ---- */

static void
ingest_stats_cb(void *arg, struct api_ingest_stats *out)
{
	struct core *c = arg;
	struct ingest_stats st;

	out->heartbeats = atomic_load(&c->heartbeats);
	pthread_mutex_lock(&c->ingmu);
	if (c->ingest == NULL) {
		pthread_mutex_unlock(&c->ingmu);
		return;
	}
	ingest_get_stats(c->ingest, &st);
	pthread_mutex_unlock(&c->ingmu);
	for (unsigned i = 0; i < INGEST_DROP__COUNT && i < API_MAX_DROPS; i++)
		out->drops[out->ndrops++] = (struct metrics_count){
		    ingest_drop_str((enum ingest_drop)i), st.dropped[i]};
}

static void
alert_log(void *arg, enum log_level lvl, const char *line)
{
	(void)arg;
	if (lvl == LOG_LVL_WARN)
		log_warnx("%s", line);
	else if (lvl == LOG_LVL_INFO)
		log_info("%s", line);
	else
		log_debug("%s", line);
}

/* ---- the alerts thread ---- */

static void *
alerts_main(void *arg)
{
	struct core *c = arg;
	uint64_t period = ALERTS_MIN_PERIOD_MS, told = 0;
	struct timespec ts;

	pthread_mutex_lock(&c->amu);
	while (!c->alerts_stop) {
		uint64_t t0, dt;
		int rc;

		pthread_mutex_unlock(&c->amu);
		t0 = clock_mono_ms();
		/* a standby sees no heartbeats: its view would alert on
		 * every node */
		if ((c->ha == NULL || atomic_load(&c->serving_term) != 0) &&
		    (rc = alerts_tick(c->alerts, clock_wall_ms())) != 0)
			log_warnx("alerts: %s", strerror(-rc));
		dt = clock_mono_ms() - t0;
		period = dt * ALERTS_DUTY > ALERTS_MIN_PERIOD_MS
		             ? dt * ALERTS_DUTY
		             : ALERTS_MIN_PERIOD_MS;
		/* say so when the fleet got big enough to slow alerts */
		if (period > ALERTS_MIN_PERIOD_MS && period > 2 * told) {
			log_warnx("alerts: one evaluation takes %" PRIu64
			          " ms; evaluating every %" PRIu64 " ms",
			          dt, period);
			told = period;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (time_t)(period / 1000);
		ts.tv_nsec += (long)(period % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&c->amu);
		while (!c->alerts_stop &&
		       pthread_cond_timedwait(&c->acv, &c->amu, &ts) == 0)
			;
	}
	pthread_mutex_unlock(&c->amu);
	return NULL;
}

static int
alerts_thread_start(struct core *c)
{
	pthread_condattr_t ca;
	int rc;

	c->alerts_stop = false; /* stopped and started again at a reload */
	pthread_mutex_init(&c->amu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->acv, &ca);
	pthread_condattr_destroy(&ca);
	if ((rc = pthread_create(&c->alerts_thread, NULL, alerts_main, c)) != 0)
		return -rc;
	c->alerts_running = true;
	return 0;
}

static void
alerts_thread_stop(struct core *c)
{
	if (!c->alerts_running)
		return;
	pthread_mutex_lock(&c->amu);
	c->alerts_stop = true;
	pthread_cond_broadcast(&c->acv);
	pthread_mutex_unlock(&c->amu);
	pthread_join(c->alerts_thread, NULL);
	c->alerts_running = false;
	pthread_cond_destroy(&c->acv);
	pthread_mutex_destroy(&c->amu);
}

/* ---- start ---- */

/* The durable record of group name from the local store: 0 with *have,
 * or -1 with err. */
static int
local_record(struct core *c, const char *name, struct groups_record *rec,
             bool *have, char *err, size_t errlen)
{
	char key[STORE_KV_KEY_MAX], val[STORE_KV_VAL_MAX];
	int rc;

	*have = false;
	snprintf(key, sizeof(key), GROUPS_KV_PREFIX "%s", name);
	rc = store_kv_get(c->store, key, val, sizeof(val));
	if (rc == -ENOENT)
		return 0;
	if (rc != 0) {
		snprintf(err, errlen,
		         "group %s: cannot read the lease record: %s", name,
		         strerror(-rc));
		return -1;
	}
	if (groups_record_decode(val, strlen(val), rec) != 0) {
		/* granting from a guess could double-sign */
		snprintf(err, errlen,
		         "group %s: the stored lease record is unreadable "
		         "'%.200s'",
		         name, val);
		return -1;
	}
	*have = true;
	return 0;
}

/* With HA, the record in etcd; a local one (written before HA was turned
 * on) counts too, and the higher epoch wins: an epoch never goes back. */
static int
ha_record(struct core *c, const char *name, struct groups_record *rec,
          bool *have, char *err, size_t errlen)
{
	char val[STORE_KV_VAL_MAX], msg[256];
	struct groups_record local;
	bool found, lhave;

	*have = false;
	if (ha_get_record(c->ha, name, val, sizeof(val), &found, msg,
	                  sizeof(msg)) != 0) {
		snprintf(err, errlen,
		         "group %s: cannot read the lease record "
		         "from etcd: %s",
		         name, msg);
		return -1;
	}
	if (found) {
		if (groups_record_decode(val, strlen(val), rec) != 0) {
			snprintf(err, errlen,
			         "group %s: the lease record in etcd is "
			         "unreadable '%.200s'",
			         name, val);
			return -1;
		}
		*have = true;
	}
	if (local_record(c, name, &local, &lhave, err, errlen) != 0)
		return -1;
	if (lhave && (!*have || local.epoch > rec->epoch)) {
		*rec = local;
		*have = true;
	}
	return 0;
}

/*
 * Start every group from its durable record, as a restarted commander
 * does: the holder on record may be renewed at once in its epoch, and no
 * other pilot is granted before a full ttl plus the margin (failover.h).
 * Every record is read before any group changes: 0, or -1 with err and
 * the groups untouched.
 */
static int
restore_groups(struct core *c, char *err, size_t errlen)
{
	const struct commander_conf *cfg = c->cfg;
	struct groups_record *recs;
	bool *have;
	uint64_t now;
	int rc = 0;

	if (c->groups == NULL)
		return 0;
	recs = calloc(cfg->ngroups, sizeof(*recs));
	have = calloc(cfg->ngroups, sizeof(*have));
	if (recs == NULL || have == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < cfg->ngroups && rc == 0; i++)
		rc = c->ha ? ha_record(c, cfg->groups[i]->name, &recs[i],
		                       &have[i], err, errlen)
		           : local_record(c, cfg->groups[i]->name, &recs[i],
		                          &have[i], err, errlen);
	if (rc != 0)
		goto out;
	/* read after the records: the hold-off counts from no earlier */
	now = clock_mono_ms();
	for (size_t i = 0; i < cfg->ngroups; i++) {
		const char *name = cfg->groups[i]->name;
		const struct groups_record *rec = &recs[i];

		groups_start(c->groups, name, have[i] ? rec : NULL, now);
		if (have[i])
			log_info("group %s: epoch %" PRIu64 " holder %s "
			         "watermark %" PRIu64 " restored; no grant to "
			         "another node for a full lease span",
			         name, rec->epoch,
			         rec->holder[0] ? rec->holder : "-",
			         rec->watermark.height);
		else
			log_info("group %s: no lease record yet", name);
	}
out:
	free(recs);
	free(have);
	return rc;
}

static int
start_groups(struct core *c, char *err, size_t errlen)
{
	const struct commander_conf *cfg = c->cfg;
	int rc;

	if (cfg->ngroups == 0)
		return 0;
	if ((c->groups = groups_new()) == NULL ||
	    (c->persist = calloc(cfg->ngroups * PERSIST_PER_GRP,
	                         sizeof(*c->persist))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->ngroups = cfg->ngroups;
	for (size_t i = 0; i < cfg->ngroups; i++) {
		const struct commander_group *g = cfg->groups[i];
		struct failover_params p;

		commander_group_params(g, &p);
		if ((rc = groups_add(c->groups, g->name,
		                     (enum failover_mode)g->mode, g->enabled,
		                     &p)) != 0) {
			snprintf(err, errlen, "[group %s]: %s", g->name,
			         strerror(-rc));
			return -1;
		}
	}
	for (size_t k = 0; k < cfg->nnodes; k++) {
		const struct fleet_node_conf *n = &cfg->nodes[k]->fc;

		if (n->group[0] == '\0')
			continue;
		rc = groups_add_member(c->groups, n->group, n->name,
		                       n->priority);
		if (rc != 0 && rc != -ENOENT) {
			snprintf(err, errlen, "[node %s]: group %s: %s",
			         n->name, n->group,
			         rc == -ENOSPC ? "too many members"
			                       : strerror(-rc));
			return -1;
		}
	}
	/* with HA the records are etcd's, read when this commander wins */
	return c->ha != NULL ? 0 : restore_groups(c, err, errlen);
}

static int
open_store(struct core *c, char *err, size_t errlen)
{
	const char *dir = c->cfg->commander.state_dir;
	char path[PATH_MAX + 16], msg[512];

	/* the state dir holds the lease epochs: nobody else's business */
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "state_dir '%s': %s", dir,
		         strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/events.db", dir);
	if (store_open(path, &c->store, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "%s", msg);
		return -1;
	}
	if ((c->evlog = evlog_new(c->store, log_event, c)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * Restart grants live in memory, and a restart of the commander must not
 * forget one a node is still using: a second grant in its group could put
 * both validators down at once.  The grant and done events are durable, so
 * the grants are rebuilt from them; a log that cannot be read refuses new
 * grants for one grant timeout instead.
 */
static void
restore_budget(struct core *c)
{
	static const char *const types[] = {"restart_granted", "restart_done"};
	struct event *all = NULL;
	size_t nall = 0;
	int rc = 0;

	for (size_t t = 0; t < 2 && rc == 0; t++) {
		struct store_filter f = {
		    .limit = STORE_QUERY_MAX, .type = types[t], .newest = true};
		struct event *evs = NULL, *grown;
		size_t n = 0;

		if ((rc = store_query(c->store, &f, &evs, &n)) != 0)
			break;
		if (n > 0) {
			grown = realloc(all, (nall + n) * sizeof(*all));
			if (grown == NULL)
				rc = -ENOMEM;
			else {
				all = grown;
				memcpy(all + nall, evs, n * sizeof(*evs));
				nall += n;
			}
		}
		free(evs);
	}
	if (rc == 0)
		rc = budget_restore(c->budget, all, nall, clock_mono_ms(),
		                    clock_wall_ms());
	free(all);
	if (rc < 0) {
		budget_holdoff(c->budget, clock_mono_ms());
		log_warnx("restart budget: cannot read the grants held before "
		          "this start (%s); no new restart grant for one grant "
		          "timeout",
		          strerror(-rc));
	} else if (rc > 0)
		log_info("restart budget: %d grant%s held before this start "
		         "restored",
		         rc, rc == 1 ? "" : "s");
}

static int
start_models(struct core *c, char *err, size_t errlen)
{
	struct commander_conf *cfg = c->cfg;
	char msg[256];
	int rc;

	if ((c->fleet = fleet_new(&cfg->fleet, msg, sizeof(msg))) == NULL) {
		snprintf(err, errlen, "[fleet] %s", msg);
		return -1;
	}
	for (size_t k = 0; k < cfg->nnodes; k++)
		if ((rc = fleet_add_node(c->fleet, &cfg->nodes[k]->fc, msg,
		                         sizeof(msg))) != 0) {
			snprintf(err, errlen, "[node %s]: %s",
			         cfg->nodes[k]->fc.name,
			         msg[0] ? msg : strerror(-rc));
			return -1;
		}
	if ((c->budget = budget_new(&cfg->budget)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	restore_budget(c);
	return start_groups(c, err, errlen);
}

/* Listen for pilots: at start, or with HA when this commander wins. */
static int
start_ingest(struct core *c, char *err, size_t errlen)
{
	struct commander_conf *cfg = c->cfg;
	struct ingest_params ip;
	struct ingest *in;

	memset(&ip, 0, sizeof(ip));
	ip.listen = cfg->commander.listen;
	ip.contexts = cfg->commander.contexts;
	ip.window_ms = cfg->commander.window_ms;
	ip.reg = cfg->reg;
	ip.id = &cfg->id;
	ip.handler = (struct ingest_handler){
	    .arg = c, .hello = on_hello, .heartbeat = on_heartbeat};
	if (ingest_start(&ip, &in, err, errlen) != 0)
		return -1;
	pthread_mutex_lock(&c->ingmu);
	c->ingest = in;
	pthread_mutex_unlock(&c->ingmu);
	log_info("listening on %s (port %d) for %zu authorized pilots, %u "
	         "contexts",
	         cfg->commander.listen, ingest_port(in),
	         registry_count(cfg->reg), cfg->commander.contexts);
	return 0;
}

static void
stop_ingest(struct core *c)
{
	struct ingest *in;

	pthread_mutex_lock(&c->ingmu);
	in = c->ingest;
	c->ingest = NULL;
	pthread_mutex_unlock(&c->ingmu);
	ingest_stop(in);
}

/* GET /api/v1/ha: who leads, as this commander sees it. */
static void
api_ha(const struct api_request *req, struct api_response *resp)
{
	struct core *c = req->arg;
	struct ha_view v;
	cJSON *o;

	ha_get_view(c->ha, clock_mono_ms(), &v);
	if ((o = cJSON_CreateObject()) == NULL) {
		api_reply_error(resp, 500, "out of memory");
		return;
	}
	cJSON_AddStringToObject(o, "id", ha_id(c->ha));
	cJSON_AddStringToObject(o, "role", ha_role_str(v.role));
	cJSON_AddStringToObject(o, "leader", v.leader);
	cJSON_AddBoolToObject(o, "serving", atomic_load(&c->serving_term) != 0);
	cJSON_AddNumberToObject(o, "term", (double)v.term);
	cJSON_AddNumberToObject(o, "deadline_in_ms", (double)v.deadline_in_ms);
	api_reply_json(resp, 200, o);
}

static bool
api_standby(void *arg, char *leader, size_t size)
{
	struct core *c = arg;
	struct ha_view v;

	if (atomic_load(&c->serving_term) != 0)
		return false;
	ha_get_view(c->ha, clock_mono_ms(), &v);
	util_strlcpy(leader, v.leader, size);
	return true;
}

/* Serve the API with cfg->api: 0, or -1 with err saying why. */
static int
try_api(struct core *c, char *err, size_t errlen)
{
	struct commander_conf *cfg = c->cfg;
	struct api_deps deps;

	deps = (struct api_deps){
	    .fleet = c->fleet,
	    .store = c->store,
	    .budget = c->budget,
	    .ingest_stats = ingest_stats_cb,
	    .ingest_arg = c,
	    .version = c->version,
	    .groups = c->groups,
	    .alerts = c->alerts,
	    .record = api_record,
	    .record_arg = c,
	    .standby = c->ha != NULL ? api_standby : NULL,
	    .standby_arg = c,
	};
	if ((c->api = api_start(&cfg->api, &deps, err, errlen)) == NULL)
		return -1;
	log_info("api on %s (port %d)%s", cfg->api.listen, api_port(c->api),
	         cfg->api.token[0] ? "" : "; no [api] token: writes disabled");
	if (c->ha != NULL &&
	    api_route(c->api, "GET", "/api/v1/ha", API_READ, api_ha, c) != 0)
		log_warnx("api: cannot add /api/v1/ha");
	return 0;
}

static void
start_api(struct core *c)
{
	char msg[512];

	/* the leases matter more than the dashboard: a taken port is loud
	 * in the log but does not stop the fleet's commander */
	if (try_api(c, msg, sizeof(msg)) != 0)
		log_warnx("%s: running WITHOUT the HTTP API", msg);
}

/* c->alerts from cfg->alerts: 0, or -1 with err.  At a reload,
 * test_on_start does not apply: it means at start. */
static int
start_alerts(struct core *c, bool reload, char *err, size_t errlen)
{
	struct alerts_params ap = {0};
	struct alerts_conf *conf = NULL;
	char msg[512];
	int rc;

	ap.conf = &c->cfg->alerts;
	ap.store = c->store;
	ap.fleet = c->fleet;
	ap.log = alert_log;
	if (reload) {
		if ((conf = malloc(sizeof(*conf))) == NULL) {
			snprintf(err, errlen, "alerts: out of memory");
			return -1;
		}
		*conf = c->cfg->alerts;
		conf->test_on_start = false;
		ap.conf = conf;
	}
	rc = alerts_new(&ap, &c->alerts, msg, sizeof(msg));
	if (conf != NULL) {
		sodium_memzero(conf, sizeof(*conf));
		free(conf);
	}
	if (rc != 0)
		snprintf(err, errlen, "alerts: %s", msg);
	return rc == 0 ? 0 : -1;
}

int
core_start(struct commander_conf *cfg, const char *version, struct core **out,
           char *err, size_t errlen)
{
	struct core *c;
	uint64_t now;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->cfg = cfg;
	c->version = version;
	pthread_mutex_init(&c->ingmu, NULL);
	if (open_store(c, err, errlen) != 0)
		goto fail;
	if (cfg->ha.nendpoints > 0) {
		if (http_init() != 0) {
			snprintf(err, errlen,
			         "[ha]: cannot initialise libcurl");
			goto fail;
		}
		if (ha_start(&cfg->ha, &c->ha, err, errlen) != 0)
			goto fail;
		metrics_ha_publish(cfg->ha.id, false);
		log_info("ha: %s campaigns on %s (%zu etcd endpoints, prefix "
		         "%s, ttl %" PRIu64 " ms)",
		         cfg->ha.id, cfg->ha.endpoints[0], cfg->ha.nendpoints,
		         cfg->ha.prefix, cfg->ha.ttl_ms);
	}
	if (start_models(c, err, errlen) != 0)
		goto fail;
	commander_event(c,
	                "commander %s started: %zu inventory nodes, %zu "
	                "authorized pilots, %zu failover groups",
	                version, cfg->nnodes, registry_count(cfg->reg),
	                cfg->ngroups);

	if (start_alerts(c, false, err, errlen) != 0)
		goto fail;
	if (alerts_thread_start(c) != 0) {
		snprintf(err, errlen, "alerts: cannot start a thread");
		goto fail;
	}

	/* with HA only the leader listens: pilots dial every commander
	 * and talk to the one that answers */
	if (c->ha == NULL && start_ingest(c, err, errlen) != 0)
		goto fail;
	if (c->ha != NULL)
		log_info("ha: standing by; %s is not listening until it "
		         "leads",
		         cfg->commander.listen);

	start_api(c);

	now = clock_mono_ms();
	c->next_groups = now;
	c->next_second = now + SECOND_TICK_MS;
	c->next_retain = now + 5000;
	c->next_log = now + cfg->commander.interval_ms;
	*out = c;
	return 0;
fail:
	core_stop(c);
	return -1;
}

/* ---- periodic work ---- */

static void
tick_groups(struct core *c, uint64_t now, uint64_t wall)
{
	struct event_list evs = {0};
	size_t n = 0;
	int rc;

	if (groups_tick(c->groups, c->fleet, now, wall, &evs, c->persist,
	                c->ngroups * PERSIST_PER_GRP, &n) != 0)
		log_warnx("failover: out of memory");
	record(c, &evs);
	event_list_clear(&evs);
	for (size_t i = 0; i < n; i++) {
		const struct groups_persist *p = &c->persist[i];
		char key[STORE_KV_KEY_MAX], val[STORE_KV_VAL_MAX];

		char e[256] = "";

		snprintf(key, sizeof(key), GROUPS_KV_PREFIX "%s", p->group);
		rc = groups_record_encode(&p->rec, val, sizeof(val));
		if (rc != 0)
			util_strlcpy(e, "record too long", sizeof(e));
		else if (c->ha != NULL)
			/* fenced by our leader key: a deposed leader's write
			 * fails here, and so does its grant */
			rc = ha_put_record(c->ha, atomic_load(&c->serving_term),
			                   p->group, val, e, sizeof(e));
		else if ((rc = store_kv_put(c->store, key, val)) != 0)
			store_errmsg(c->store, e, sizeof(e));
		if (rc != 0) {
			log_warnx("group %s: cannot write epoch %" PRIu64
			          " durably: %s %s",
			          p->group, p->rec.epoch, strerror(-rc), e);
		} else if (p->epoch_step) {
			/* on record before the grant can happen */
			groups_persist_event(p, wall, &evs);
			record(c, &evs);
			event_list_clear(&evs);
		}
		groups_persisted(c->groups, p, rc == 0, wall, &evs);
	}
	record(c, &evs);
	event_list_free(&evs);
}

static uint64_t
name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The note of name (a fresh one with at == 0 when new), or NULL. */
static struct lognote *
note_of(struct core *c, const char *name)
{
	size_t i;

	if (c->nnotes * 2 >= c->capnotes) {
		size_t ncap = c->capnotes ? c->capnotes * 2 : 64;
		struct lognote *nv = calloc(ncap, sizeof(*nv));

		if (nv == NULL)
			return NULL;
		for (size_t k = 0; k < c->capnotes; k++) {
			if (c->notes[k].name[0] == '\0')
				continue;
			for (i = name_hash(c->notes[k].name) & (ncap - 1);
			     nv[i].name[0]; i = (i + 1) & (ncap - 1))
				;
			nv[i] = c->notes[k];
		}
		free(c->notes);
		c->notes = nv;
		c->capnotes = ncap;
	}
	for (i = name_hash(name) & (c->capnotes - 1); c->notes[i].name[0];
	     i = (i + 1) & (c->capnotes - 1))
		if (strcmp(c->notes[i].name, name) == 0)
			return &c->notes[i];
	util_strlcpy(c->notes[i].name, name, sizeof(c->notes[i].name));
	c->nnotes++;
	return &c->notes[i];
}

#define LOGN(info, ...)                                                        \
	do {                                                                   \
		if (info)                                                      \
			log_info(__VA_ARGS__);                                 \
		else                                                           \
			log_debug(__VA_ARGS__);                                \
	} while (0)

static void
log_node(const struct fleet_node_view *v, uint64_t fleet_ref, uint64_t wall,
         bool info)
{
	char age[32], flags[64] = "", peers[32] = "", ref[64], fl[64];
	const struct proto_status *st = &v->st;

	if (v->state == FLEET_UNKNOWN && v->last_seen_ms == 0) {
		LOGN(info, "node %s: %s", v->name,
		     v->connected ? "registered, no heartbeat yet"
		                  : "not registered");
		return;
	}
	if (v->state == FLEET_UNREACHABLE) {
		LOGN(info,
		     "node %s: unreachable, silent for %s (last height "
		     "%" PRIu64 ")",
		     v->name,
		     util_fmt_duration(
		         wall > v->last_seen_ms ? wall - v->last_seen_ms : 0,
		         age, sizeof(age)),
		     v->height);
		return;
	}
	if (!st->reachable) {
		LOGN(info, "node %s: state %s, RPC unreachable (%s)", v->name,
		     fleet_state_str(v->state),
		     st->error[0] ? st->error : "no answer");
		return;
	}
	if (st->syncing)
		util_strlcpy(flags, ", syncing", sizeof(flags));
	if (st->peers_known)
		snprintf(peers, sizeof(peers), ", %" PRIu32 " peers",
		         st->peers);
	/* the pilot folds the fleet reference we sent into ref_height:
	 * "ref" here means its own public references, when they answered */
	if (st->ref_height && st->refs_ok > 0)
		snprintf(ref, sizeof(ref), "lag %" PRId64 " (ref %" PRIu64 ")",
		         (int64_t)(st->ref_height - st->height),
		         st->ref_height);
	else
		util_strlcpy(ref, "no reference", sizeof(ref));
	if (fleet_ref)
		snprintf(fl, sizeof(fl),
		         "fleet-lag %" PRId64 " (fleet %" PRIu64 ")",
		         (int64_t)(fleet_ref - st->height), fleet_ref);
	else
		util_strlcpy(fl, "no fleet median", sizeof(fl));
	LOGN(info, "node %s height %" PRIu64 " %s %s%s%s, network %s, state %s",
	     v->name, st->height, ref, fl, peers, flags, v->network,
	     fleet_state_str(v->state));
}

/* Every node at debug; at info when its state changed or log_interval
 * passed since its last info line (a big fleet is not a log flood). */
/* One reference per network for a whole log pass: asking the fleet per
 * node recomputes a median whenever a heartbeat landed in between, which
 * at 10,000 nodes made this pass a tenth of the commander's CPU. */
#define REF_CACHE 16
struct ref_cache {
	char net[REF_CACHE][PROTO_NAME_MAX];
	uint64_t ref[REF_CACHE];
	size_t n, next;
};

static uint64_t
ref_of(struct fleet *f, struct ref_cache *rc, const char *net)
{
	size_t i;

	if (net[0] == '\0')
		return 0;
	for (i = 0; i < rc->n; i++)
		if (strcmp(rc->net[i], net) == 0)
			return rc->ref[i];
	i = rc->n < REF_CACHE ? rc->n++ : rc->next++ % REF_CACHE;
	util_strlcpy(rc->net[i], net, sizeof(rc->net[i]));
	rc->ref[i] = fleet_ref_height(f, net);
	return rc->ref[i];
}

static void
log_fleet(struct core *c, uint64_t wall)
{
	uint64_t every = c->cfg->commander.log_interval_ms;
	struct fleet_node_view *v = NULL;
	struct ingest_stats st;
	struct ref_cache refs = {0};
	char buf[256];
	size_t n = 0;

	if (fleet_nodes(c->fleet, &v, &n) == 0)
		for (size_t i = 0; i < n; i++) {
			struct lognote *ln = note_of(c, v[i].name);
			bool info = ln == NULL || every == 0 || ln->at == 0 ||
			            ln->state != v[i].state ||
			            wall - ln->at >= every;

			if (!info && log_getverbose() < 1)
				continue;
			if (info && ln != NULL) {
				ln->at = wall ? wall : 1;
				ln->state = v[i].state;
			}
			log_node(&v[i], ref_of(c->fleet, &refs, v[i].network),
			         wall, info);
		}
	free(v);
	if (c->ingest == NULL)
		return; /* standing by (HA) */
	ingest_get_stats(c->ingest, &st);
	if (memcmp(st.dropped, c->last_stats.dropped, sizeof(st.dropped)) != 0)
		log_info("ingest: %s", ingest_fmt_stats(&st, buf, sizeof(buf)));
	else
		log_debug("ingest: %s",
		          ingest_fmt_stats(&st, buf, sizeof(buf)));
	c->last_stats = st;
}

/* A periodic step slower than this is worth a line: it delays the
 * failover tick behind it. */
#define SLOW_STEP_MS 250

static void
timed(const char *what, uint64_t t0)
{
	uint64_t dt = clock_mono_ms() - t0;

	if (dt >= SLOW_STEP_MS)
		log_warnx("slow periodic step: %s took %" PRIu64 " ms", what,
		          dt);
}

/* ---- HA: serve pilots only while leading ---- */

static void ha_event(struct core *c, bool leads, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A leadership change is an event (type commander, details "ha_id" and
 * "ha_role") and the sextant_ha_leader gauge. */
static void
ha_event(struct core *c, bool leads, const char *fmt, ...)
{
	struct event_list evs = {0};
	char msg[EVENT_MSG_MAX];
	struct event *ev;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	metrics_ha_publish(ha_id(c->ha), leads);
	if ((ev = event_list_add(&evs)) == NULL)
		return;
	event_make(ev, clock_wall_ms(), EV_COMMANDER,
	           leads ? SEV_INFO : SEV_WARNING, "", "", "", "%s", msg);
	event_details(ev, "ha_id", ha_id(c->ha), "ha_role",
	              leads ? "leader" : "standby", NULL);
	record(c, &evs);
	event_list_free(&evs);
}

/*
 * A commander that stops leading forgets its groups: were it to lead
 * again, each member's last heartbeat from the old term would count as
 * trouble since then and fail the holder over at once.  It starts over
 * with fresh groups instead, exactly as a restarted commander does (the
 * records come back from etcd when it leads).  The API holds the groups,
 * so it restarts with them.
 */
static void
forget_groups(struct core *c)
{
	char err[256];

	if (c->groups == NULL)
		return;
	api_stop(c->api);
	c->api = NULL;
	groups_free(c->groups);
	c->groups = NULL;
	free(c->persist);
	c->persist = NULL;
	c->ngroups = 0;
	if (start_groups(c, err, sizeof(err)) != 0) {
		/* serve() tries again before it leads */
		log_warnx("ha: %s", err);
		groups_free(c->groups);
		c->groups = NULL;
		free(c->persist);
		c->persist = NULL;
		c->ngroups = 0;
	}
	start_api(c);
}

/*
 * Why taking over is safe.  A leader renews pilots' leases only while
 * ha_leading() says so, i.e. before
 *     D = (when it sent its last answered etcd keepalive) + ttl - margin,
 * and etcd cannot expire that lease (and delete the leader key) before
 * (when etcd received the keepalive) + ttl > D.  A standby wins only once
 * the key is gone, so it starts leading at some B > D.  Say the old
 * leader is cut off from etcd but pilots still reach it: it keeps
 * renewing until D at the latest (its ingest closes on the next tick, and
 * on_heartbeat checks the deadline itself before each renewal), so the
 * holder's lease ends, on the pilot's own clock, by D + ttl(group).  The
 * new leader grants nothing to a *different* pilot until B + ttl(group)
 * + margin(group) > D + ttl(group) (groups_start's hold-off, as after a
 * restart): by then the old holder has fenced itself unless the new
 * leader renewed it, in the same epoch.  Renewing the same holder at once
 * is what keeps the primary signing through the takeover.  Epochs are
 * written with a txn that compares our leader key's value and mod
 * revision, so a deposed leader can write no epoch and so grant none; a
 * new epoch always goes above the one read back from etcd.
 */
static void
serve(struct core *c, uint64_t now, uint64_t wall)
{
	uint64_t term = ha_leading(c->ha, now);
	uint64_t serving = atomic_load(&c->serving_term);
	char err[512];

	if (serving != 0 && term != serving) {
		/* heartbeats are refused from now on (leads()); then the
		 * listener closes so that pilots go to the new leader */
		atomic_store(&c->serving_term, 0);
		stop_ingest(c);
		ha_event(c, false,
		         "commander %s no longer leads (term %" PRIu64
		         "): not serving pilots",
		         ha_id(c->ha), serving);
		serving = 0;
		forget_groups(c);
	}
	if (serving != 0 || term == 0 || now < c->next_serve_try)
		return;
	c->next_serve_try = now + 1000;
	if (c->groups == NULL && c->cfg->ngroups > 0) {
		if (start_groups(c, err, sizeof(err)) != 0) {
			log_warnx("ha: leading, but %s; trying again", err);
			return;
		}
		/* the API shows these groups */
		api_stop(c->api);
		start_api(c);
	}
	if (restore_groups(c, err, sizeof(err)) != 0) {
		log_warnx("ha: leading, but %s; trying again", err);
		return;
	}
	atomic_store(&c->serving_term, term);
	if (start_ingest(c, err, sizeof(err)) != 0) {
		atomic_store(&c->serving_term, 0);
		log_warnx("ha: leading, but cannot listen: %s", err);
		return;
	}
	c->next_groups = now;
	ha_event(c, true,
	         "commander %s leads (term %" PRIu64 "): serving pilots",
	         ha_id(c->ha), term);
	(void)wall;
}

void
core_tick(struct core *c, uint64_t now, uint64_t wall)
{
	struct event_list evs = {0};
	uint64_t deleted = 0, t0;
	int rc;

	if (c->ha != NULL)
		serve(c, now, wall);
	if (c->groups != NULL && now >= c->next_groups &&
	    (c->ha == NULL || atomic_load(&c->serving_term) != 0)) {
		c->next_groups = now + GROUPS_TICK_MS;
		t0 = clock_mono_ms();
		tick_groups(c, now, wall);
		timed("failover groups", t0);
	}
	if (now >= c->next_second) {
		c->next_second += SECOND_TICK_MS;
		if (c->next_second <= now)
			c->next_second = now + SECOND_TICK_MS;
		t0 = clock_mono_ms();
		if (fleet_tick(c->fleet, now, wall, &evs) != 0 ||
		    budget_tick(c->budget, now, wall, &evs) != 0)
			log_warnx("fleet tick: out of memory");
		record(c, &evs);
		timed("fleet tick", t0);
	}
	if (now >= c->next_retain) {
		c->next_retain = now + RETAIN_TICK_MS;
		t0 = clock_mono_ms();
		if ((rc =
		         store_retain(c->store, wall, c->cfg->events.max_age_ms,
		                      c->cfg->events.max_count, &deleted)) != 0)
			log_warnx("event retention: %s", strerror(-rc));
		else if (deleted)
			log_info("event retention: %" PRIu64 " old events "
			         "deleted",
			         deleted);
		timed("event retention", t0);
	}
	if (now >= c->next_log) {
		c->next_log = now + c->cfg->commander.interval_ms;
		t0 = clock_mono_ms();
		log_fleet(c, wall);
		timed("fleet log", t0);
	}
	event_list_free(&evs);
}

/* ---- SIGHUP ---- */

/*
 * Replace the alerts with ones built from the alerting sections of fresh.
 * The old ones stop first: two delivery workers on one queue could send
 * a message twice.  Their engine, router and event cursor were committed
 * to the store by their last tick, and alerts_new restores them, so the
 * new alerts neither re-send a firing alert nor feed an event twice.  0,
 * or -1 with err and the running alerting back in place.
 */
static int
reload_alerts(struct core *c, const struct commander_conf *fresh, char *err,
              size_t errlen)
{
	struct alerts_conf *old;
	char again[512];
	int rc = 0;

	if ((old = malloc(sizeof(*old))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	alerts_thread_stop(c);
	alerts_free(c->alerts);
	c->alerts = NULL;
	*old = c->cfg->alerts;
	c->cfg->alerts = fresh->alerts;
	if (start_alerts(c, true, err, errlen) != 0) {
		rc = -1;
		c->cfg->alerts = *old;
		if (start_alerts(c, true, again, sizeof(again)) != 0)
			log_warnx("SIGHUP: %s: running WITHOUT alerts", again);
	}
	sodium_memzero(old, sizeof(*old));
	free(old);
	if (c->alerts != NULL && alerts_thread_start(c) != 0) {
		log_warnx("alerts: cannot start a thread: running WITHOUT "
		          "alerts");
		alerts_free(c->alerts);
		c->alerts = NULL;
	}
	return rc;
}

/* Serve the API again, with fresh's [api] when apply (its listen waits
 * for a restart).  0, or -1 with err and the running [api] served. */
static int
reload_api(struct core *c, const struct commander_conf *fresh, bool apply,
           char *err, size_t errlen)
{
	struct api_conf *cur = &c->cfg->api, old = *cur;
	int rc = 0;

	if (apply) {
		*cur = fresh->api;
		memcpy(cur->listen, old.listen, sizeof(cur->listen));
	}
	if (try_api(c, err, errlen) != 0) {
		rc = apply ? -1 : 0;
		if (!apply)
			log_warnx("%s: running WITHOUT the HTTP API", err);
		*cur = old;
		if (apply)
			start_api(c);
	}
	sodium_memzero(&old, sizeof(old));
	return rc;
}

int
core_reload(struct core *c, const struct commander_conf *fresh, char *msg,
            size_t msglen)
{
	struct commander_reload_plan plan;
	char aerr[512] = "", perr[512] = "";
	const char *path = c->cfg->path;
	int n, rc = 0;

	if (commander_reload_plan(c->cfg, fresh, &plan) != 0) {
		snprintf(msg, msglen,
		         "SIGHUP: out of memory; the running configuration "
		         "stays");
		return -1;
	}
	if (plan.alerts || plan.api) {
		/* the API holds the alerts: nothing may call into them
		 * while they are replaced */
		api_stop(c->api);
		c->api = NULL;
		if (plan.alerts &&
		    reload_alerts(c, fresh, aerr, sizeof(aerr)) != 0) {
			rc = -1;
			log_warnx("SIGHUP: %s; the running alerting stays",
			          aerr);
		}
		if (reload_api(c, fresh, plan.api, perr, sizeof(perr)) != 0) {
			rc = -1;
			log_warnx("SIGHUP: %s; the running [api] stays", perr);
		}
	}
	if (!plan.alerts && !plan.api && plan.restart[0] == '\0')
		n = snprintf(msg, msglen, "SIGHUP: %s: no change", path);
	else if (!plan.alerts && !plan.api)
		n = snprintf(msg, msglen, "SIGHUP: %s: nothing applied", path);
	else if (rc == 0)
		n = snprintf(msg, msglen, "SIGHUP: reloaded %s: %s applied",
		             path, plan.applied);
	else
		n = snprintf(msg, msglen,
		             "SIGHUP: %s: %s changed, NOT all applied (see "
		             "above)",
		             path, plan.applied);
	if (plan.restart[0] && n > 0 && (size_t)n < msglen)
		snprintf(msg + n, msglen - (size_t)n,
		         "; %s changed: waits for a restart of the commander",
		         plan.restart);
	if (rc == 0 && plan.restart[0])
		rc = 1;
	return rc;
}

int
core_ingest_port(struct core *c)
{
	return c->ingest ? ingest_port(c->ingest) : -1;
}

int
core_api_port(struct core *c)
{
	return c->api ? api_port(c->api) : -1;
}

void
core_stop(struct core *c)
{
	if (c == NULL)
		return;
	/* nothing may call into the models once they are freed */
	api_stop(c->api);
	stop_ingest(c);
	/* after the ingest: no renewal leaves once the lease is revoked */
	ha_stop(c->ha);
	alerts_thread_stop(c);
	alerts_free(c->alerts);
	if (c->evlog != NULL && c->fleet != NULL)
		commander_event(c, "commander stopping");
	if (c->store != NULL)
		store_wake_all(c->store);
	evlog_free(c->evlog);
	store_close(c->store);
	groups_free(c->groups);
	free(c->persist);
	budget_free(c->budget);
	fleet_free(c->fleet);
	free(c->notes);
	pthread_mutex_destroy(&c->ingmu);
	free(c);
}
