/*
 * probe_beacon.c: an Ethereum consensus client over the beacon REST API
 * (protocols.md section 5).  Uint64 values are decimal strings; the
 * health endpoint answers with its status code alone.
 */
#include "pilot/probe_int.h"
#include "pilot/probe_parse.h"

#include <string.h>

/* A {"data":{...}} reply: the data object, or NULL. */
static const cJSON *
parse_data(const char *buf, size_t len, const char *what, cJSON **root,
           struct probe_result *r)
{
	const cJSON *msg;
	char q[48];

	if ((*root = pj_parse(buf, len, PROBE_PARSE_MAX, what, r)) == NULL)
		return NULL;
	/* An error body is {"code":..., "message":...}: quote it. */
	msg = cJSON_GetObjectItemCaseSensitive(*root, "message");
	if (cJSON_GetObjectItemCaseSensitive(*root, "data") == NULL &&
	    cJSON_IsString(msg)) {
		probe_seterr(
		    r, "%s: error: %s", what,
		    pj_quote(q, msg->valuestring, strlen(msg->valuestring)));
		return NULL;
	}
	return pj_object(*root, "data", what, r);
}

int
probe_parse_beacon_syncing(const char *buf, size_t len, struct probe_result *r)
{
	static const char *what = "syncing";
	const cJSON *d;
	cJSON *root = NULL;
	uint64_t slot, dist;
	bool syncing;
	int rc = -1;

	if ((d = parse_data(buf, len, what, &root, r)) == NULL)
		goto out;
	if (pj_dec_string(d, "head_slot", UINT64_MAX, &slot, what, r) != 0 ||
	    pj_dec_string(d, "sync_distance", UINT64_MAX, &dist, what, r) !=
	        0 ||
	    pj_bool(d, "is_syncing", &syncing, what, r) != 0)
		goto out;
	if (dist > UINT64_MAX - slot) {
		probe_seterr(r, "%s: head_slot + sync_distance overflows",
		             what);
		goto out;
	}
	r->height = slot;
	r->highest = slot + dist;
	r->syncing = syncing;
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

int
probe_parse_beacon_health(long status, struct probe_result *r)
{
	switch (status) {
	case 200:
		return 0;
	case 206:
		r->syncing = true;
		return 0;
	case 503:
		probe_seterr(r, "health: HTTP 503 (not initialized or having "
		                "issues)");
		return -1;
	default:
		probe_seterr(r, "health: HTTP %ld", status);
		return -1;
	}
}

int
probe_parse_beacon_peer_count(const char *buf, size_t len,
                              struct probe_result *r)
{
	static const char *what = "peer_count";
	const cJSON *d;
	cJSON *root = NULL;
	uint64_t n;
	int rc = -1;

	if ((d = parse_data(buf, len, what, &root, r)) == NULL)
		goto out;
	if (pj_dec_string(d, "connected", UINT32_MAX, &n, what, r) != 0)
		goto out;
	r->peers = (uint32_t)n;
	r->peers_known = true;
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

static int
beacon_probe(const struct probe_target *t, struct probe_result *r)
{
	struct probe_call c = {
	    .what = "syncing", .method = "GET", .path = "/eth/v1/node/syncing"};
	struct http_resp resp;
	int rc;

	rc = probe_call(t, &c, &resp, r);
	if (rc == 0)
		rc = probe_parse_beacon_syncing(resp.body, resp.len, r);
	if (rc == 0)
		rc = probe_check_status(&resp, c.what, r);
	http_resp_free(&resp);
	if (rc != 0)
		return -1;

	/* The health answer is the status code: any status is an answer. */
	c = (struct probe_call){.what = "health",
	                        .method = "GET",
	                        .path = "/eth/v1/node/health",
	                        .any_status = true};
	rc = probe_call(t, &c, &resp, r);
	if (rc == 0)
		rc = probe_parse_beacon_health(resp.status, r);
	http_resp_free(&resp);
	if (rc != 0)
		return -1;

	if (t->height_only) {
		r->peers_known = false;
		r->error[0] = '\0';
		return 0;
	}
	c = (struct probe_call){.what = "peer_count",
	                        .method = "GET",
	                        .path = "/eth/v1/node/peer_count"};
	if (probe_call(t, &c, &resp, r) != 0 ||
	    probe_parse_beacon_peer_count(resp.body, resp.len, r) != 0 ||
	    probe_check_status(&resp, c.what, r) != 0)
		r->peers_known = false;
	http_resp_free(&resp);
	r->error[0] = '\0';
	return 0;
}

const struct probe_ops probe_beacon_ops = {
    .chain = CHAIN_BEACON,
    .name = "beacon",
    .probe = beacon_probe,
};
