/*
 * probe_cometbft.c: CometBFT / Tendermint RPC (protocols.md section 1).
 * GET /status gives height, hash and catching_up; GET /net_info the peer
 * count.  64-bit integers are JSON strings there, and only strings are
 * accepted.
 */
#include "pilot/probe_int.h"
#include "pilot/probe_parse.h"

#include <stdint.h>
#include <string.h>

/* CometBFT heights are int64. */
#define COMETBFT_HEIGHT_MAX ((uint64_t)INT64_MAX)

int
probe_parse_cometbft_status(const char *buf, size_t len, struct probe_result *r)
{
	static const char *what = "status";
	const cJSON *res, *si;
	cJSON *root;
	uint64_t h;
	bool catching_up;
	char hash[PROTO_HASH_MAX];
	int rc = -1;

	if ((root = pj_parse(buf, len, PROBE_PARSE_MAX, what, r)) == NULL)
		return -1;
	if ((res = pj_rpc_result(root, what, r, NULL)) == NULL)
		goto out;
	if (!cJSON_IsObject(res)) {
		probe_seterr(r, "%s: result not an object", what);
		goto out;
	}
	if ((si = pj_object(res, "sync_info", what, r)) == NULL)
		goto out;
	if (pj_dec_string(si, "latest_block_height", COMETBFT_HEIGHT_MAX, &h,
	                  what, r) != 0 ||
	    pj_bool(si, "catching_up", &catching_up, what, r) != 0 ||
	    pj_hash(si, "latest_block_hash", hash, sizeof(hash), what, r) != 0)
		goto out;
	r->height = h;
	r->syncing = catching_up;
	memcpy(r->tip_hash, hash, sizeof(hash));
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

int
probe_parse_cometbft_net_info(const char *buf, size_t len,
                              struct probe_result *r)
{
	static const char *what = "net_info";
	const cJSON *res;
	cJSON *root;
	uint64_t n;
	int rc = -1;

	if ((root = pj_parse(buf, len, PROBE_PARSE_MAX_NET_INFO, what, r)) ==
	    NULL)
		return -1;
	if ((res = pj_rpc_result(root, what, r, NULL)) == NULL)
		goto out;
	if (!cJSON_IsObject(res)) {
		probe_seterr(r, "%s: result not an object", what);
		goto out;
	}
	if (pj_dec_string(res, "n_peers", UINT32_MAX, &n, what, r) != 0)
		goto out;
	r->peers = (uint32_t)n;
	r->peers_known = true;
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

static int
cometbft_probe(const struct probe_target *t, struct probe_result *r)
{
	struct probe_call c = {
	    .what = "status", .method = "GET", .path = "/status"};
	struct http_resp resp;
	int rc;

	rc = probe_call(t, &c, &resp, r);
	if (rc == 0)
		rc = probe_parse_cometbft_status(resp.body, resp.len, r);
	if (rc == 0)
		rc = probe_check_status(&resp, c.what, r);
	http_resp_free(&resp);
	if (rc != 0)
		return -1;

	/* Peers are extra: a node without /net_info is still up. */
	if (t->height_only) {
		r->peers_known = false;
		return 0;
	}
	c = (struct probe_call){.what = "net_info",
	                        .method = "GET",
	                        .path = "/net_info",
	                        .max_body = PROBE_PARSE_MAX_NET_INFO};
	if (probe_call(t, &c, &resp, r) != 0 ||
	    probe_parse_cometbft_net_info(resp.body, resp.len, r) != 0 ||
	    probe_check_status(&resp, c.what, r) != 0)
		r->peers_known = false;
	http_resp_free(&resp);
	r->error[0] = '\0';
	return 0;
}

const struct probe_ops probe_cometbft_ops = {
    .chain = CHAIN_COMETBFT,
    .name = "cometbft",
    .probe = cometbft_probe,
};
