/*
 * api_alerts.c: the alerting endpoints (alerts.h).
 *   GET    /api/v1/alerts          active alerts, silences, channels
 *   POST   /api/v1/alerts/test     {"channel": NAME} or {} for all (write)
 *   GET    /api/v1/silences        the unexpired silences
 *   POST   /api/v1/silences        {"rule","node","group","network",
 *                                  "duration"|"expires_ms","comment",
 *                                  "author"} (write) -> 201
 *   DELETE /api/v1/silences/{id}   (write)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "commander/alerts.h"
#include "commander/api_int.h"
#include "common/util.h"

static void
h_alerts(const struct api_request *rq, struct api_response *r)
{
	struct api *api = rq->arg;
	cJSON *o = alerts_json(api->deps.alerts, clock_wall_ms());

	if (o == NULL)
		api_reply_error(r, 500, "out of memory");
	else
		api_reply_json(r, 200, o);
}

static void
h_test(const struct api_request *rq, struct api_response *r)
{
	struct api *api = rq->arg;
	const cJSON *ch = NULL;
	cJSON *body = NULL, *o;
	uint64_t id = 0;
	int rc;

	if (rq->body_len > 0 &&
	    ((body = cJSON_ParseWithLength(rq->body, rq->body_len)) == NULL ||
	     !cJSON_IsObject(body))) {
		cJSON_Delete(body);
		api_reply_error(r, 400, "body: not a JSON object");
		return;
	}
	ch = cJSON_GetObjectItemCaseSensitive(body, "channel");
	if (ch != NULL && !cJSON_IsNull(ch) &&
	    (!cJSON_IsString(ch) || strlen(ch->valuestring) >= 64)) {
		cJSON_Delete(body);
		api_reply_error(r, 400, "channel: a channel name");
		return;
	}
	rc = alerts_test(
	    api->deps.alerts,
	    cJSON_IsString(ch) && ch->valuestring[0] ? ch->valuestring : NULL,
	    clock_wall_ms(), &id);
	if (rc == -ENOENT)
		api_reply_error(r, 404, "no channel '%s'",
		                cJSON_IsString(ch) ? ch->valuestring : "");
	else if (rc != 0)
		api_reply_error(r, 500, "queueing the test message: %s",
		                strerror(-rc));
	else if ((o = cJSON_CreateObject()) == NULL)
		api_reply_error(r, 500, "out of memory");
	else {
		cJSON_AddNumberToObject(o, "id", (double)id);
		cJSON_AddStringToObject(o, "channel",
		                        cJSON_IsString(ch) && ch->valuestring[0]
		                            ? ch->valuestring
		                            : "*");
		api_reply_json(r, 202, o);
	}
	cJSON_Delete(body);
}

static void
h_silences(const struct api_request *rq, struct api_response *r)
{
	struct api *api = rq->arg;
	struct alert_silence *s = NULL;
	size_t n = 0;
	cJSON *o, *a;

	if (alerts_silences(api->deps.alerts, clock_wall_ms(), &s, &n) != 0 ||
	    (o = cJSON_CreateObject()) == NULL) {
		free(s);
		api_reply_error(r, 500, "out of memory");
		return;
	}
	if ((a = cJSON_AddArrayToObject(o, "silences")) != NULL)
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(a, alert_silence_to_cjson(&s[i]));
	free(s);
	api_reply_json(r, 200, o);
}

static void
h_silence_add(const struct api_request *rq, struct api_response *r)
{
	struct api *api = rq->arg;
	struct alert_silence s;
	uint64_t now = clock_wall_ms();
	char err[256];
	int rc;

	if (alerts_silence_parse(rq->body, rq->body_len, now, &s, err,
	                         sizeof(err)) != 0) {
		api_reply_error(r, 400, "%s", err);
		return;
	}
	rc = alerts_silence_add(api->deps.alerts, &s, now, err, sizeof(err));
	if (rc == -EINVAL)
		api_reply_error(r, 400, "%s", err);
	else if (rc != 0)
		api_reply_error(r, 500, "storing the silence: %s",
		                strerror(-rc));
	else
		api_reply_json(r, 201, alert_silence_to_cjson(&s));
}

static void
h_silence_del(const struct api_request *rq, struct api_response *r)
{
	struct api *api = rq->arg;
	uint64_t id;
	cJSON *o;
	int rc;

	if (util_parse_u64(rq->tail, 1, UINT64_MAX >> 11, &id) != 0) {
		api_reply_error(r, 404, "no silence '%.32s'", rq->tail);
		return;
	}
	rc = alerts_silence_del(api->deps.alerts, id, clock_wall_ms());
	if (rc == -ENOENT)
		api_reply_error(r, 404, "no silence %" PRIu64, id);
	else if (rc != 0)
		api_reply_error(r, 500, "deleting the silence: %s",
		                strerror(-rc));
	else if ((o = cJSON_CreateObject()) == NULL)
		api_reply_error(r, 500, "out of memory");
	else {
		cJSON_AddNumberToObject(o, "deleted", (double)id);
		api_reply_json(r, 200, o);
	}
}

int
api_alerts_register(struct api *api)
{
	static const struct {
		const char *method, *path;
		enum api_access access;
		api_handler_fn fn;
	} routes[] = {
	    {"GET", "/api/v1/alerts", API_READ, h_alerts},
	    {"POST", "/api/v1/alerts/test", API_WRITE, h_test},
	    {"GET", "/api/v1/silences", API_READ, h_silences},
	    {"POST", "/api/v1/silences", API_WRITE, h_silence_add},
	    {"DELETE", "/api/v1/silences/*", API_WRITE, h_silence_del},
	};
	int rc;

	for (size_t i = 0; i < UTIL_NELEM(routes); i++)
		if ((rc = api_route_add(api, routes[i].method, routes[i].path,
		                        routes[i].access, routes[i].fn, api,
		                        false)) != 0)
			return rc;
	return 0;
}
