/*
 * api_views.c: the built-in endpoints.  Each handler takes a snapshot
 * (fleet and store calls copy under their own locks), renders it, and
 * returns; none holds a lock while rendering.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "commander/api_int.h"
#include "commander/budget.h"
#include "commander/fleet.h"
#include "commander/groups.h"
#include "commander/store.h"
#include "common/util.h"

#define EVENTS_DEFAULT_LIMIT 100
#define BLOCKS_SHOWN         20
#define NOTE_MAX             200

/* Generated from commander/dashboard.html by mk/dashboard.mk. */
extern const unsigned char api_dashboard_html[];
extern const size_t api_dashboard_html_len;

static cJSON *
num(cJSON *o, const char *k, double v)
{
	return cJSON_AddNumberToObject(o, k, v);
}

static cJSON *
str(cJSON *o, const char *k, const char *v)
{
	return cJSON_AddStringToObject(o, k, v);
}

/* true when the call worked; *is_group: group is a failover group. */
static bool
groups_get_holder(struct api *api, const char *group, char *holder, size_t size,
                  uint64_t *epoch, bool *is_group)
{
	struct groups_view *gv = malloc(sizeof(*gv));

	if (gv == NULL)
		return false;
	*is_group =
	    groups_get(api->deps.groups, group, clock_mono_ms(), gv) == 0;
	if (*is_group) {
		util_strlcpy(holder, gv->holder, size);
		*epoch = gv->epoch;
	}
	free(gv);
	return true;
}

static cJSON *
node_json(struct api *api, const struct fleet_node_view *v, bool detail)
{
	const struct proto_status *st = &v->st;
	cJSON *o = cJSON_CreateObject(), *s, *sign;
	bool hello = v->version[0] != '\0' || v->state != FLEET_UNKNOWN;
	char holder[PROTO_NAME_MAX] = "";
	uint64_t epoch = 0;
	bool lease_group = false;

	if (o == NULL)
		return NULL;
	str(o, "name", v->name);
	str(o, "group", v->group);
	str(o, "network", v->network);
	str(o, "role", v->role_known ? proto_role_str(v->role) : "");
	str(o, "chain", hello ? proto_chain_str(v->chain) : "");
	num(o, "priority", v->priority);
	cJSON_AddBoolToObject(o, "listed", v->listed);
	cJSON_AddBoolToObject(o, "connected", v->connected);
	str(o, "version", v->version);
	str(o, "state", fleet_state_str(v->state));
	num(o, "state_since_ms", (double)v->state_since_ms);
	num(o, "last_seen_ms", (double)v->last_seen_ms);
	num(o, "height", (double)v->height);
	num(o, "ref_height", (double)v->ref_height);
	if (v->height > 0 && v->ref_height > 0)
		num(o, "lag", (double)v->lag);
	else
		cJSON_AddNullToObject(o, "lag"); /* unknown, not zero */
	if (st->peers_known)
		num(o, "peers", st->peers);
	else
		cJSON_AddNullToObject(o, "peers");
	num(o, "restarts", st->restarts);
	num(o, "last_restart_ms", (double)v->last_restart_ms);
	cJSON_AddBoolToObject(o, "signing", st->signing);
	num(o, "lease_epoch", (double)st->lease_epoch);
	/* the commander's view of the lease: who holds it, which epoch */
	if (api->deps.groups != NULL && v->group[0] &&
	    groups_get_holder(api, v->group, holder, sizeof(holder), &epoch,
	                      &lease_group) &&
	    lease_group) {
		cJSON_AddBoolToObject(o, "lease_holder",
		                      strcmp(holder, v->name) == 0);
		str(o, "group_holder", holder);
		num(o, "group_epoch", (double)epoch);
	} else {
		cJSON_AddBoolToObject(o, "lease_holder", false);
		cJSON_AddNullToObject(o, "group_holder");
		cJSON_AddNullToObject(o, "group_epoch");
	}
	str(o, "error", st->error);
	if (!detail || (s = cJSON_AddObjectToObject(o, "status")) == NULL)
		return o;
	num(s, "time_ms", (double)st->time_ms);
	cJSON_AddBoolToObject(s, "up", st->up);
	cJSON_AddBoolToObject(s, "reachable", st->reachable);
	cJSON_AddBoolToObject(s, "syncing", st->syncing);
	num(s, "height", (double)st->height);
	num(s, "height_seen_ms", (double)st->height_seen_ms);
	str(s, "tip_hash", st->tip_hash);
	num(s, "ref_height", (double)st->ref_height);
	num(s, "refs_ok", st->refs_ok);
	num(s, "peers", st->peers);
	cJSON_AddBoolToObject(s, "peers_known", st->peers_known);
	num(s, "restarts", st->restarts);
	str(s, "decision", st->decision);
	str(s, "error", st->error);
	num(s, "disk_used_pct", st->disk_used_pct);
	num(s, "mem_used_pct", st->mem_used_pct);
	num(s, "load1", st->load1_x100 / 100.0);
	cJSON_AddBoolToObject(s, "signing", st->signing);
	num(s, "lease_epoch", (double)st->lease_epoch);
	if ((sign = cJSON_AddObjectToObject(s, "sign")) != NULL) {
		num(sign, "height", (double)st->sign.height);
		num(sign, "round", st->sign.round);
		num(sign, "step", st->sign.step);
	}
	return o;
}

static cJSON *
network_json(struct fleet *fl, const struct fleet_network_view *n)
{
	struct fleet_block_view blocks[BLOCKS_SHOWN];
	cJSON *o = cJSON_CreateObject(), *sp, *a, *b;
	int nb, i;

	if (o == NULL)
		return NULL;
	str(o, "name", n->name);
	num(o, "ref_height", (double)n->ref_height);
	num(o, "tip_height", (double)n->tip_height);
	num(o, "tip_seen_ms", (double)n->tip_seen_ms);
	cJSON_AddBoolToObject(o, "stale", n->stale);
	num(o, "reorgs", (double)n->reorgs);
	num(o, "nodes", n->nodes);
	num(o, "nodes_healthy", n->nodes_healthy);
	if ((sp = cJSON_AddObjectToObject(o, "spread")) != NULL) {
		if ((a = cJSON_AddArrayToObject(sp, "le_ms")) != NULL)
			for (i = 0; i < FLEET_SPREAD_NBUCKETS; i++)
				cJSON_AddItemToArray(
				    a, cJSON_CreateNumber(
				           (double)fleet_spread_bounds_ms[i]));
		if ((a = cJSON_AddArrayToObject(sp, "buckets")) != NULL)
			for (i = 0; i < FLEET_SPREAD_NBUCKETS; i++)
				cJSON_AddItemToArray(
				    a, cJSON_CreateNumber(
				           (double)n->spread.bucket[i]));
		num(sp, "count", (double)n->spread.count);
		num(sp, "sum_ms", (double)n->spread.sum_ms);
	}
	nb = fleet_blocks(fl, n->name, blocks, BLOCKS_SHOWN);
	if ((a = cJSON_AddArrayToObject(o, "blocks")) == NULL)
		return o;
	for (i = 0; i < nb; i++) {
		if ((b = cJSON_CreateObject()) == NULL)
			break;
		num(b, "height", (double)blocks[i].height);
		str(b, "hash", blocks[i].hash);
		num(b, "first_seen_ms", (double)blocks[i].first_seen_ms);
		str(b, "first_node", blocks[i].first_node);
		num(b, "nodes_seen", blocks[i].nodes_seen);
		num(b, "spread_ms", (double)blocks[i].max_spread_ms);
		num(b, "hashes", blocks[i].hashes);
		cJSON_AddItemToArray(a, b);
	}
	return o;
}

static void
h_fleet(const struct api_request *rq, struct api_response *r)
{
	struct api *api = rq->arg;
	struct fleet_node_view *nodes = NULL;
	struct fleet_network_view *nets = NULL;
	struct budget_grant_view *grants = NULL;
	size_t nn = 0, nw = 0, ng = 0, i;
	cJSON *o = cJSON_CreateObject(), *a, *g;

	if (o == NULL || fleet_nodes(api->deps.fleet, &nodes, &nn) != 0 ||
	    fleet_networks(api->deps.fleet, &nets, &nw) != 0 ||
	    (api->deps.budget != NULL &&
	     budget_grants(api->deps.budget, &grants, &ng) != 0)) {
		api_reply_error(r, 500, "out of memory");
		goto out;
	}
	num(o, "time_ms", (double)clock_wall_ms());
	if (api->deps.standby != NULL) {
		char leader[128] = "";

		/* a standby hears no pilot: say so, or its empty view would
		 * read as a fleet that went dark */
		if (api->deps.standby(api->deps.standby_arg, leader,
		                      sizeof(leader)) &&
		    (g = cJSON_AddObjectToObject(o, "standby")) != NULL)
			str(g, "leader", leader);
	}
	if ((a = cJSON_AddArrayToObject(o, "nodes")) != NULL)
		for (i = 0; i < nn; i++)
			cJSON_AddItemToArray(a,
			                     node_json(api, &nodes[i], false));
	if ((a = cJSON_AddArrayToObject(o, "networks")) != NULL)
		for (i = 0; i < nw; i++)
			cJSON_AddItemToArray(
			    a, network_json(api->deps.fleet, &nets[i]));
	if ((a = cJSON_AddArrayToObject(o, "restart_grants")) != NULL)
		for (i = 0; i < ng; i++) {
			if ((g = cJSON_CreateObject()) == NULL)
				break;
			str(g, "node", grants[i].node);
			str(g, "group", grants[i].group);
			str(g, "network", grants[i].network);
			str(g, "reason", grants[i].reason);
			num(g, "granted_ms", (double)grants[i].granted_wall_ms);
			cJSON_AddItemToArray(a, g);
		}
	if (api->deps.groups != NULL &&
	    (a = cJSON_AddArrayToObject(o, "groups")) != NULL) {
		struct groups_view *gv = NULL;
		size_t ngv = 0;

		if (groups_list(api->deps.groups, clock_mono_ms(), &gv, &ngv) ==
		    0)
			for (i = 0; i < ngv; i++)
				cJSON_AddItemToArray(a, api_group_json(&gv[i]));
		free(gv);
	}
	api_reply_json(r, 200, o);
	o = NULL;
out:
	cJSON_Delete(o);
	free(nodes);
	free(nets);
	free(grants);
}

static void
h_node(const struct api_request *rq, struct api_response *r)
{
	struct api *api = rq->arg;
	struct fleet_node_view v;

	if (strlen(rq->tail) >= PROTO_NAME_MAX || strchr(rq->tail, '/')) {
		api_reply_error(r, 404, "no node '%.64s'", rq->tail);
		return;
	}
	if (fleet_node_get(api->deps.fleet, rq->tail, &v) != 0) {
		api_reply_error(r, 404, "no node '%s'", rq->tail);
		return;
	}
	api_reply_json(r, 200, node_json(api, &v, true));
}

/* Every parameter must be known: a typo never silently widens a query. */
static int
check_params(const char *q, const char *const *known, char *bad, size_t n)
{
	while (*q != '\0') {
		const char *amp = strchr(q, '&');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);
		size_t klen = strcspn(q, "=&");
		const char *const *k;

		for (k = known; *k != NULL; k++)
			if (strlen(*k) == klen && memcmp(*k, q, klen) == 0)
				break;
		if (*k == NULL && len > 0) {
			snprintf(bad, n, "%.*s", (int)(klen > 40 ? 40 : klen),
			         q);
			return -1;
		}
		q += len + (amp ? 1 : 0);
	}
	return 0;
}

static void
h_events(const struct api_request *rq, struct api_response *r)
{
	static const char *const known[] = {
	    "since", "limit", "node", "type", "newest", "access_token", NULL};
	struct api *api = rq->arg;
	struct store_filter f = {.limit = EVENTS_DEFAULT_LIMIT};
	char since[32], limit[16], node[PROTO_NAME_MAX], type[32], nw[8];
	char bad[48];
	struct event *evs = NULL;
	enum event_type et;
	uint64_t v;
	size_t n = 0, i;
	cJSON *o, *a;
	int rc;

	if (check_params(rq->query, known, bad, sizeof(bad)) != 0) {
		api_reply_error(r, 400, "unknown parameter '%s'", bad);
		return;
	}
	if ((rc = api_query_get(rq->query, "since", since, sizeof(since))) <
	        0 ||
	    (rc == 1 && util_parse_u64(since, 0, UINT64_MAX >> 11, &v) != 0)) {
		api_reply_error(r, 400, "since: not an event id");
		return;
	}
	f.since_id = rc == 1 ? v : 0;
	if ((rc = api_query_get(rq->query, "limit", limit, sizeof(limit))) <
	        0 ||
	    (rc == 1 && util_parse_u64(limit, 1, STORE_QUERY_MAX, &v) != 0)) {
		api_reply_error(r, 400, "limit: a number from 1 to %d",
		                STORE_QUERY_MAX);
		return;
	}
	if (rc == 1)
		f.limit = (size_t)v;
	if ((rc = api_query_get(rq->query, "node", node, sizeof(node))) < 0) {
		api_reply_error(r, 400, "node: a name of at most %d bytes",
		                PROTO_NAME_MAX - 1);
		return;
	}
	f.node = rc == 1 ? node : NULL;
	if ((rc = api_query_get(rq->query, "type", type, sizeof(type))) < 0 ||
	    (rc == 1 && event_type_parse(type, &et) != 0)) {
		api_reply_error(r, 400, "type: not an event type '%.31s'",
		                rc == 1 ? type : "");
		return;
	}
	f.type = rc == 1 ? type : NULL;
	if ((rc = api_query_get(rq->query, "newest", nw, sizeof(nw))) < 0 ||
	    (rc == 1 && util_parse_bool(nw, &f.newest) != 0)) {
		api_reply_error(r, 400, "newest: true or false");
		return;
	}
	if ((rc = store_query(api->deps.store, &f, &evs, &n)) != 0) {
		if (rc == -EINVAL)
			api_reply_error(r, 400, "bad filter");
		else
			api_reply_error(r, 500, "store: %s", strerror(-rc));
		return;
	}
	if ((o = cJSON_CreateObject()) == NULL ||
	    (a = cJSON_AddArrayToObject(o, "events")) == NULL) {
		cJSON_Delete(o);
		free(evs);
		api_reply_error(r, 500, "out of memory");
		return;
	}
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(a, event_to_json(&evs[i]));
	num(o, "last_id", (double)store_last_id(api->deps.store));
	num(o, "next_since", (double)(n > 0 ? evs[n - 1].id : f.since_id));
	free(evs);
	api_reply_json(r, 200, o);
}

/* POST /api/v1/events/mark {"message": "...", "node": "...",
 * "severity": "info"}: an operator's note in the event history. */
static void
h_mark(const struct api_request *rq, struct api_response *r)
{
	struct api *api = rq->arg;
	struct fleet_node_view v;
	enum event_severity sev = SEV_INFO;
	const cJSON *m, *nd, *sv;
	struct event ev;
	uint64_t id;
	cJSON *o, *res;
	int rc;

	if ((o = cJSON_ParseWithLength(rq->body, rq->body_len)) == NULL ||
	    !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		api_reply_error(r, 400, "body: not a JSON object");
		return;
	}
	m = cJSON_GetObjectItemCaseSensitive(o, "message");
	nd = cJSON_GetObjectItemCaseSensitive(o, "node");
	sv = cJSON_GetObjectItemCaseSensitive(o, "severity");
	if (!cJSON_IsString(m) || m->valuestring[0] == '\0' ||
	    strlen(m->valuestring) > NOTE_MAX) {
		api_reply_error(r, 400, "message: a string of 1 to %d bytes",
		                NOTE_MAX);
		goto out;
	}
	if (nd != NULL && !cJSON_IsNull(nd) &&
	    (!cJSON_IsString(nd) || strlen(nd->valuestring) >= PROTO_NAME_MAX ||
	     fleet_node_get(api->deps.fleet, nd->valuestring, &v) != 0)) {
		api_reply_error(r, 400, "node: not a node of the fleet");
		goto out;
	}
	if (sv != NULL && (!cJSON_IsString(sv) ||
	                   event_severity_parse(sv->valuestring, &sev) != 0)) {
		api_reply_error(r, 400, "severity: info, warning or critical");
		goto out;
	}
	event_make(
	    &ev, clock_wall_ms(), EV_COMMANDER, sev,
	    cJSON_IsString(nd) ? v.name : "", cJSON_IsString(nd) ? v.group : "",
	    cJSON_IsString(nd) ? v.network : "", "note: %s", m->valuestring);
	event_details(&ev, "kind", "operator_note", "remote", rq->remote, NULL);
	if ((rc = store_append(api->deps.store, &ev, &id)) != 0) {
		api_reply_error(r, 500, "store: %s", strerror(-rc));
		goto out;
	}
	if ((res = cJSON_CreateObject()) != NULL)
		num(res, "id", (double)id);
	api_reply_json(r, 201, res);
out:
	cJSON_Delete(o);
}

static void
h_health(const struct api_request *rq, struct api_response *r)
{
	struct api *api = rq->arg;
	cJSON *o = cJSON_CreateObject();

	if (o != NULL) {
		str(o, "status", "ok");
		str(o, "version",
		    api->deps.version ? api->deps.version : "dev");
		num(o, "uptime_s",
		    (double)((clock_wall_ms() - api->started_wall_ms) / 1000));
		num(o, "last_event_id", (double)store_last_id(api->deps.store));
	}
	api_reply_json(r, 200, o);
}

static void
h_dashboard(const struct api_request *rq, struct api_response *r)
{
	if ((r->body = malloc(api_dashboard_html_len + 1)) == NULL) {
		api_reply_error(r, 500, "out of memory");
		return;
	}
	memcpy(r->body, api_dashboard_html, api_dashboard_html_len);
	r->body_len = api_dashboard_html_len;
	r->status = 200;
	r->content_type = "text/html; charset=utf-8";
	r->headers[0].name = "Content-Security-Policy";
	r->headers[0].value = "default-src 'none'; script-src 'unsafe-inline'; "
	                      "style-src 'unsafe-inline'; connect-src 'self'; "
	                      "img-src data:; base-uri 'none'; "
	                      "frame-ancestors 'none'";
	r->headers[1].name = "Cache-Control";
	r->headers[1].value = "no-cache";
	r->headers[2].name = "Referrer-Policy";
	r->headers[2].value = "no-referrer";
}

/* ---- /metrics ---- */

static void
api_families(struct api *api, struct metrics_buf *b)
{
	struct api_code_count codes[API_MAX_CODES];
	uint64_t limited, opened, dropped;
	size_t nstreams, i;
	char code[8];

	pthread_mutex_lock(&api->mu);
	memcpy(codes, api->codes, sizeof(codes));
	limited = api->rate_limited;
	opened = api->streams_opened;
	dropped = api->streams_dropped;
	nstreams = api->nstreams;
	pthread_mutex_unlock(&api->mu);

	metrics_family(b, "sextant_api_requests_total", METRICS_COUNTER,
	               "HTTP API requests answered, by status code.");
	for (i = 0; i < API_MAX_CODES && codes[i].code != 0; i++) {
		struct metrics_label l = {"code", code};

		snprintf(code, sizeof(code), "%d", codes[i].code);
		metrics_sample_u64(b, "sextant_api_requests_total", &l, 1,
		                   codes[i].n);
	}
	metrics_family(b, "sextant_api_rate_limited_total", METRICS_COUNTER,
	               "Requests refused by the per-client rate limit.");
	metrics_sample_u64(b, "sextant_api_rate_limited_total", NULL, 0,
	                   limited);
	metrics_family(b, "sextant_api_event_streams", METRICS_GAUGE,
	               "Event streams open now.");
	metrics_sample_u64(b, "sextant_api_event_streams", NULL, 0, nstreams);
	metrics_family(b, "sextant_api_event_streams_opened_total",
	               METRICS_COUNTER, "Event streams opened.");
	metrics_sample_u64(b, "sextant_api_event_streams_opened_total", NULL, 0,
	                   opened);
	metrics_family(
	    b, "sextant_api_event_streams_dropped_total", METRICS_COUNTER,
	    "Event streams dropped because the client was too slow or gone.");
	metrics_sample_u64(b, "sextant_api_event_streams_dropped_total", NULL,
	                   0, dropped);
}

static void
lease_families(struct api *api, struct metrics_buf *b)
{
	struct groups_view *gv = NULL;
	size_t n = 0, i, k;

	if (api->deps.groups == NULL ||
	    groups_list(api->deps.groups, clock_mono_ms(), &gv, &n) != 0)
		return;
	metrics_family(b, "sextant_lease_epoch", METRICS_GAUGE,
	               "Current signing lease epoch of each failover group.");
	for (i = 0; i < n; i++) {
		struct metrics_label l = {"group", gv[i].name};

		metrics_sample_u64(b, "sextant_lease_epoch", &l, 1,
		                   gv[i].epoch);
	}
	metrics_family(b, "sextant_lease_holder", METRICS_GAUGE,
	               "1 for the node holding its group's signing lease.");
	for (i = 0; i < n; i++)
		for (k = 0; k < gv[i].nmembers; k++) {
			struct metrics_label l[2] = {
			    {"group", gv[i].name},
			    {"node", gv[i].members[k].node}};

			metrics_sample_u64(
			    b, "sextant_lease_holder", l, 2,
			    strcmp(gv[i].members[k].node, gv[i].holder) == 0);
		}
	metrics_family(b, "sextant_lease_signing", METRICS_GAUGE,
	               "1 for a node whose pilot reports that it signs.");
	for (i = 0; i < n; i++)
		for (k = 0; k < gv[i].nmembers; k++) {
			struct metrics_label l[2] = {
			    {"group", gv[i].name},
			    {"node", gv[i].members[k].node}};

			metrics_sample_u64(b, "sextant_lease_signing", l, 2,
			                   gv[i].members[k].signing);
		}
	metrics_family(b, "sextant_lease_phase", METRICS_GAUGE,
	               "1 for the failover phase each group is in.");
	for (i = 0; i < n; i++)
		for (k = FO_IDLE; k <= FO_READY; k++) {
			struct metrics_label l[2] = {
			    {"group", gv[i].name},
			    {"phase",
			     failover_phase_str((enum failover_phase)k)}};

			metrics_sample_u64(b, "sextant_lease_phase", l, 2,
			                   gv[i].phase == k);
		}
	metrics_family(b, "sextant_lease_watermark_height", METRICS_GAUGE,
	               "Highest height any member of the group signed.");
	for (i = 0; i < n; i++) {
		struct metrics_label l = {"group", gv[i].name};

		metrics_sample_u64(b, "sextant_lease_watermark_height", &l, 1,
		                   gv[i].watermark.height);
	}
	free(gv);
}

static void
network_families(const struct fleet_network_view *nets, size_t nw,
                 struct metrics_buf *b)
{
	struct metrics_label l = {"network", NULL};
	size_t i;

	metrics_family(b, "sextant_network_tip_height", METRICS_GAUGE,
	               "Highest height any node of the network reported.");
	for (i = 0; i < nw; i++) {
		l.value = nets[i].name;
		if (nets[i].tip_height > 0)
			metrics_sample_u64(b, "sextant_network_tip_height", &l,
			                   1, nets[i].tip_height);
	}
	metrics_family(
	    b, "sextant_network_tip_stale", METRICS_GAUGE,
	    "1 when the network has produced no new height for too long.");
	for (i = 0; i < nw; i++) {
		l.value = nets[i].name;
		metrics_sample_u64(b, "sextant_network_tip_stale", &l, 1,
		                   nets[i].stale);
	}
	metrics_family(b, "sextant_network_reorgs_total", METRICS_COUNTER,
	               "Reorganisations seen: a second hash at a height.");
	for (i = 0; i < nw; i++) {
		l.value = nets[i].name;
		metrics_sample_u64(b, "sextant_network_reorgs_total", &l, 1,
		                   nets[i].reorgs);
	}
	metrics_family(b, "sextant_network_nodes_healthy", METRICS_GAUGE,
	               "Nodes of the network counted in its reference height.");
	for (i = 0; i < nw; i++) {
		l.value = nets[i].name;
		metrics_sample_u64(b, "sextant_network_nodes_healthy", &l, 1,
		                   nets[i].nodes_healthy);
	}
}

struct spread_conv {
	double bounds[FLEET_SPREAD_NBUCKETS];
	uint64_t counts[FLEET_SPREAD_NBUCKETS + 1];
	struct metrics_hist h;
};

/* The fleet keeps cumulative ms buckets; the writer wants per-bucket
 * counts in seconds. */
static void
spread_convert(const struct fleet_spread_hist *in, struct spread_conv *c)
{
	uint64_t prev = 0;
	size_t i;

	for (i = 0; i < FLEET_SPREAD_NBUCKETS; i++) {
		uint64_t cum = in->bucket[i] < prev ? prev : in->bucket[i];

		c->bounds[i] = (double)fleet_spread_bounds_ms[i] / 1000.0;
		c->counts[i] = cum - prev;
		prev = cum;
	}
	c->counts[FLEET_SPREAD_NBUCKETS] =
	    in->count > prev ? in->count - prev : 0;
	c->h = (struct metrics_hist){c->bounds, FLEET_SPREAD_NBUCKETS,
	                             c->counts, (double)in->sum_ms / 1000.0};
}

static void
h_metrics(const struct api_request *rq, struct api_response *r)
{
	struct api *api = rq->arg;
	struct fleet_node_view *nodes = NULL;
	struct fleet_network_view *nets = NULL;
	struct metrics_node *mn = NULL;
	struct metrics_network *mw = NULL;
	struct spread_conv *sc = NULL;
	struct api_ingest_stats ing = {0};
	const char *states[FLEET__COUNT];
	struct metrics_snapshot s = {0};
	struct metrics_buf b = {.max = 64u << 20};
	size_t nn = 0, nw = 0, i;

	if (fleet_nodes(api->deps.fleet, &nodes, &nn) != 0 ||
	    fleet_networks(api->deps.fleet, &nets, &nw) != 0 ||
	    (nn && (mn = calloc(nn, sizeof(*mn))) == NULL) ||
	    (nw && ((mw = calloc(nw, sizeof(*mw))) == NULL ||
	            (sc = calloc(nw, sizeof(*sc))) == NULL))) {
		api_reply_error(r, 500, "out of memory");
		goto out;
	}
	for (i = 0; i < FLEET__COUNT; i++)
		states[i] = fleet_state_str((enum fleet_state)i);
	for (i = 0; i < nn; i++) {
		const struct fleet_node_view *v = &nodes[i];

		mn[i] = (struct metrics_node){
		    .name = v->name,
		    .group = v->group,
		    .role = v->role_known ? proto_role_str(v->role) : "",
		    .network = v->network,
		    .state = fleet_state_str(v->state),
		    .up = v->connected && v->st.up,
		    .height = v->height,
		    .lag_known = v->state != FLEET_UNKNOWN &&
		                 v->ref_height > 0 && v->height > 0,
		    .lag = (int64_t)v->lag,
		    .peers_known = v->connected && v->st.peers_known,
		    .peers = v->st.peers,
		    .restarts = v->st.restarts,
		    .last_heartbeat_ms = v->last_seen_ms,
		};
	}
	for (i = 0; i < nw; i++) {
		spread_convert(&nets[i].spread, &sc[i]);
		mw[i] =
		    (struct metrics_network){.name = nets[i].name,
		                             .ref_height = nets[i].ref_height,
		                             .spread = &sc[i].h};
	}
	if (api->deps.ingest_stats != NULL)
		api->deps.ingest_stats(api->deps.ingest_arg, &ing);
	if (ing.ndrops > API_MAX_DROPS)
		ing.ndrops = API_MAX_DROPS;
	s = (struct metrics_snapshot){
	    .nodes = mn,
	    .nnodes = nn,
	    .states = states,
	    .nstates = FLEET__COUNT,
	    .networks = mw,
	    .nnetworks = nw,
	    .heartbeats = ing.heartbeats,
	    .drops = ing.drops,
	    .ndrops = ing.ndrops,
	    .events_total = store_last_id(api->deps.store),
	};
	metrics_write(&s, &b);
	network_families(nets, nw, &b);
	lease_families(api, &b);
	api_families(api, &b);
	if (b.failed) {
		metrics_buf_free(&b);
		api_reply_error(r, 500, "metrics: out of memory");
		goto out;
	}
	r->status = 200;
	r->body = b.data;
	r->body_len = b.len;
	r->content_type = METRICS_CONTENT_TYPE;
out:
	free(nodes);
	free(nets);
	free(mn);
	free(mw);
	free(sc);
}

int
api_views_register(struct api *api)
{
	static const struct {
		const char *method, *path;
		enum api_access access;
		api_handler_fn fn;
		bool stream;
	} routes[] = {
	    {"GET", "/", API_OPEN, h_dashboard, false},
	    {"GET", "/healthz", API_OPEN, h_health, false},
	    {"GET", "/metrics", API_READ, h_metrics, false},
	    {"GET", "/api/v1/fleet", API_READ, h_fleet, false},
	    {"GET", "/api/v1/nodes/*", API_READ, h_node, false},
	    {"GET", "/api/v1/events", API_READ, h_events, false},
	    {"GET", "/api/v1/events/stream", API_READ, h_health, true},
	    {"POST", "/api/v1/events/mark", API_WRITE, h_mark, false},
	};
	size_t i;
	int rc;

	for (i = 0; i < UTIL_NELEM(routes); i++)
		if ((rc = api_route_add(api, routes[i].method, routes[i].path,
		                        routes[i].access, routes[i].fn, api,
		                        routes[i].stream)) != 0)
			return rc;
	return 0;
}
