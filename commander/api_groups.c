/*
 * api_groups.c: the failover endpoints (FAILOVER.md).
 *   GET  /api/v1/groups                       every group
 *   GET  /api/v1/groups/{name}                one group
 *   POST /api/v1/groups/{name}/switchover     {"to": NODE} or {} (write)
 *   POST /api/v1/groups/{name}/release        {"confirm": NAME} (write)
 * A switchover the state machine refuses (no settled holder, target not
 * eligible, one already running) is 409 with the reason; it is accepted
 * with 202: the lease moves once the holder acknowledges (or its lease
 * runs out), which GET /api/v1/groups shows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "commander/api_int.h"
#include "commander/groups.h"
#include "commander/store.h"
#include "common/util.h"

static cJSON *
sign_json(const struct proto_sign_state *s)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "height", (double)s->height);
	cJSON_AddNumberToObject(o, "round", s->round);
	cJSON_AddNumberToObject(o, "step", s->step);
	return o;
}

cJSON *
api_group_json(const struct groups_view *g)
{
	cJSON *o = cJSON_CreateObject(), *a, *m;

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "name", g->name);
	cJSON_AddStringToObject(o, "mode", failover_mode_str(g->mode));
	cJSON_AddBoolToObject(o, "enabled", g->enabled);
	cJSON_AddNumberToObject(o, "epoch", (double)g->epoch);
	cJSON_AddStringToObject(o, "holder", g->holder);
	cJSON_AddStringToObject(o, "phase", failover_phase_str(g->phase));
	cJSON_AddStringToObject(o, "candidate", g->candidate);
	cJSON_AddBoolToObject(o, "switchover", g->switchover);
	cJSON_AddItemToObject(o, "watermark", sign_json(&g->watermark));
	cJSON_AddStringToObject(o, "reason", g->reason);
	cJSON_AddNumberToObject(o, "expires_in_ms", (double)g->expires_in_ms);
	cJSON_AddNumberToObject(o, "ttl_ms", g->params.ttl_ms);
	cJSON_AddNumberToObject(o, "lease_span_ms",
	                        (double)failover_lease_span(&g->params));
	cJSON_AddNumberToObject(o, "failover_after_ms",
	                        (double)g->params.failover_after_ms);
	cJSON_AddNumberToObject(o, "max_lag", (double)g->params.max_lag_blocks);
	if ((a = cJSON_AddArrayToObject(o, "members")) == NULL)
		return o;
	for (size_t i = 0; i < g->nmembers; i++) {
		const struct groups_member_view *v = &g->members[i];

		if ((m = cJSON_CreateObject()) == NULL)
			break;
		cJSON_AddStringToObject(m, "node", v->node);
		cJSON_AddNumberToObject(m, "priority", v->priority);
		cJSON_AddBoolToObject(m, "connected", v->connected);
		cJSON_AddBoolToObject(m, "healthy", v->healthy);
		cJSON_AddNumberToObject(m, "lag", (double)v->lag);
		cJSON_AddNumberToObject(m, "trouble_ms", (double)v->trouble_ms);
		cJSON_AddBoolToObject(m, "signing", v->signing);
		cJSON_AddNumberToObject(m, "lease_epoch",
		                        (double)v->lease_epoch);
		cJSON_AddNumberToObject(m, "demoted_epoch",
		                        (double)v->demoted_epoch);
		cJSON_AddItemToObject(m, "sign", sign_json(&v->sign));
		if (v->last_heartbeat_ago_ms == UINT64_MAX)
			cJSON_AddNullToObject(m, "last_heartbeat_ago_ms");
		else
			cJSON_AddNumberToObject(
			    m, "last_heartbeat_ago_ms",
			    (double)v->last_heartbeat_ago_ms);
		cJSON_AddBoolToObject(m, "holder",
		                      strcmp(v->node, g->holder) == 0);
		cJSON_AddItemToArray(a, m);
	}
	return o;
}

static int
record(struct api *api, const struct event_list *evs)
{
	if (evs->n == 0)
		return 0;
	if (api->deps.record != NULL)
		return api->deps.record(api->deps.record_arg, evs->v, evs->n);
	return store_append_many(api->deps.store, evs->v, evs->n, NULL);
}

static void
h_groups(const struct api_request *rq, struct api_response *r)
{
	struct api *api = rq->arg;
	struct groups_view *v = NULL;
	size_t n = 0;
	cJSON *o, *a;

	if (groups_list(api->deps.groups, clock_mono_ms(), &v, &n) != 0 ||
	    (o = cJSON_CreateObject()) == NULL) {
		free(v);
		api_reply_error(r, 500, "out of memory");
		return;
	}
	if ((a = cJSON_AddArrayToObject(o, "groups")) != NULL)
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(a, api_group_json(&v[i]));
	free(v);
	api_reply_json(r, 200, o);
}

/* "NAME" or "NAME/VERB" from a prefix route's tail. */
static int
split_tail(const char *tail, char *name, size_t size, const char **verb)
{
	const char *slash = strchr(tail, '/');
	size_t n = slash ? (size_t)(slash - tail) : strlen(tail);

	if (n == 0 || n >= size)
		return -1;
	memcpy(name, tail, n);
	name[n] = '\0';
	*verb = slash ? slash + 1 : "";
	return 0;
}

static void
h_group(const struct api_request *rq, struct api_response *r)
{
	struct api *api = rq->arg;
	struct groups_view *v;
	char name[PROTO_NAME_MAX];
	const char *verb;

	if (split_tail(rq->tail, name, sizeof(name), &verb) != 0 ||
	    verb[0] != '\0') {
		api_reply_error(r, 404, "no such resource");
		return;
	}
	if ((v = malloc(sizeof(*v))) == NULL) {
		api_reply_error(r, 500, "out of memory");
		return;
	}
	if (groups_get(api->deps.groups, name, clock_mono_ms(), v) != 0)
		api_reply_error(r, 404, "no group '%s'", name);
	else
		api_reply_json(r, 200, api_group_json(v));
	free(v);
}

/* The body as a JSON object ({} when empty); NULL after replying 400. */
static cJSON *
body_object(const struct api_request *rq, struct api_response *r)
{
	cJSON *o;

	if (rq->body_len == 0)
		return cJSON_CreateObject();
	if ((o = cJSON_ParseWithLength(rq->body, rq->body_len)) == NULL ||
	    !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		api_reply_error(r, 400, "body: not a JSON object");
		return NULL;
	}
	return o;
}

static void
reply_group(struct api *api, const char *name, int status,
            struct api_response *r)
{
	struct groups_view *v = malloc(sizeof(*v));

	if (v == NULL ||
	    groups_get(api->deps.groups, name, clock_mono_ms(), v) != 0)
		api_reply_error(r, 500, "group vanished");
	else
		api_reply_json(r, status, api_group_json(v));
	free(v);
}

static void
switchover(struct api *api, const char *name, const cJSON *body,
           struct api_response *r)
{
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(body, "to");
	struct event_list evs = {0};
	char err[PROTO_TEXT_MAX + 64];
	int rc;

	if (to != NULL && !cJSON_IsNull(to) &&
	    (!cJSON_IsString(to) ||
	     strlen(to->valuestring) >= PROTO_NAME_MAX)) {
		api_reply_error(r, 400, "to: a node name");
		return;
	}
	rc = groups_switchover(
	    api->deps.groups, api->deps.fleet, name,
	    cJSON_IsString(to) && to->valuestring[0] ? to->valuestring : NULL,
	    clock_mono_ms(), clock_wall_ms(), &evs, err, sizeof(err));
	if (rc == -ENOENT)
		api_reply_error(r, 404, "%s", err);
	else if (rc != 0)
		api_reply_error(r, rc == -ENOMEM ? 500 : 409, "%s", err);
	else if (record(api, &evs) != 0)
		/* the machine moved; only the event is missing */
		api_reply_error(r, 500,
		                "switchover started, but its event could not "
		                "be recorded");
	else
		reply_group(api, name, 202, r);
	event_list_free(&evs);
}

static void
release(struct api *api, const char *name, const cJSON *body,
        struct api_response *r)
{
	const cJSON *cf = cJSON_GetObjectItemCaseSensitive(body, "confirm");
	struct event_list evs = {0};
	char err[256];
	int rc;

	/* declaring a validator fenced by hand is the one call here that
	 * can double-sign if it is wrong: make the caller name the group */
	if (!cJSON_IsString(cf) || strcmp(cf->valuestring, name) != 0) {
		api_reply_error(r, 400,
		                "confirm: repeat the group name to declare its "
		                "holder stopped by hand");
		return;
	}
	rc = groups_release(api->deps.groups, name, clock_wall_ms(), &evs, err,
	                    sizeof(err));
	if (rc == -ENOENT)
		api_reply_error(r, 404, "%s", err);
	else if (rc != 0)
		api_reply_error(r, 409, "%s", err);
	else if (record(api, &evs) != 0)
		api_reply_error(
		    r, 500, "released, but its event could not be recorded");
	else
		reply_group(api, name, 200, r);
	event_list_free(&evs);
}

static void
h_group_post(const struct api_request *rq, struct api_response *r)
{
	struct api *api = rq->arg;
	char name[PROTO_NAME_MAX];
	const char *verb;
	cJSON *body;

	if (split_tail(rq->tail, name, sizeof(name), &verb) != 0 ||
	    (strcmp(verb, "switchover") != 0 && strcmp(verb, "release") != 0)) {
		api_reply_error(r, 404,
		                "no such resource: POST "
		                "/api/v1/groups/NAME/switchover or /release");
		return;
	}
	if ((body = body_object(rq, r)) == NULL)
		return;
	if (strcmp(verb, "switchover") == 0)
		switchover(api, name, body, r);
	else
		release(api, name, body, r);
	cJSON_Delete(body);
}

int
api_groups_register(struct api *api)
{
	int rc;

	if ((rc = api_route_add(api, "GET", "/api/v1/groups", API_READ,
	                        h_groups, api, false)) != 0 ||
	    (rc = api_route_add(api, "GET", "/api/v1/groups/*", API_READ,
	                        h_group, api, false)) != 0 ||
	    (rc = api_route_add(api, "POST", "/api/v1/groups/*", API_WRITE,
	                        h_group_post, api, false)) != 0)
		return rc;
	return 0;
}
