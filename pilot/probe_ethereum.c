/*
 * probe_ethereum.c: an Ethereum execution client over JSON-RPC 2.0
 * (protocols.md section 5).  Quantities are "0x" hex strings.
 * net_peerCount is optional: anvil answers -32601 (method not found).
 */
#include "pilot/probe_int.h"
#include "pilot/probe_parse.h"

#include <string.h>

#define RPC_METHOD_NOT_FOUND (-32601)

/* A JSON-RPC reply whose result is a "0x" quantity. */
static int
parse_quantity(const char *buf, size_t len, const char *what, uint64_t *out,
               long *code, struct probe_result *r)
{
	const cJSON *res;
	cJSON *root;
	int rc;

	if ((root = pj_parse(buf, len, PROBE_PARSE_MAX, what, r)) == NULL)
		return -1;
	if ((res = pj_rpc_result(root, what, r, code)) == NULL) {
		cJSON_Delete(root);
		return -1;
	}
	rc = pj_hex_item(res, "result", out, what, r);
	cJSON_Delete(root);
	return rc;
}

int
probe_parse_eth_block_number(const char *buf, size_t len,
                             struct probe_result *r)
{
	uint64_t h;

	if (parse_quantity(buf, len, "eth_blockNumber", &h, NULL, r) != 0)
		return -1;
	r->height = h;
	return 0;
}

int
probe_parse_eth_syncing(const char *buf, size_t len, struct probe_result *r)
{
	static const char *what = "eth_syncing";
	const cJSON *res;
	cJSON *root;
	uint64_t cur, hi;
	int rc = -1;

	if ((root = pj_parse(buf, len, PROBE_PARSE_MAX, what, r)) == NULL)
		return -1;
	if ((res = pj_rpc_result(root, what, r, NULL)) == NULL)
		goto out;
	if (cJSON_IsFalse(res)) {
		r->syncing = false;
		rc = 0;
		goto out;
	}
	if (!cJSON_IsObject(res)) {
		probe_seterr(r, "%s: result neither false nor an object", what);
		goto out;
	}
	/* Clients add fields of their own; these two are in the spec. */
	if (pj_hex_string(res, "currentBlock", &cur, what, r) != 0 ||
	    pj_hex_string(res, "highestBlock", &hi, what, r) != 0)
		goto out;
	r->syncing = true;
	r->highest = hi;
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

int
probe_parse_eth_peer_count(const char *buf, size_t len, struct probe_result *r)
{
	uint64_t n;
	long code = 0;

	if (parse_quantity(buf, len, "net_peerCount", &n, &code, r) != 0) {
		if (code != RPC_METHOD_NOT_FOUND)
			return -1;
		r->peers_known = false;
		r->error[0] = '\0';
		return 0;
	}
	if (n > UINT32_MAX) {
		probe_seterr(r, "net_peerCount: out of range");
		return -1;
	}
	r->peers = (uint32_t)n;
	r->peers_known = true;
	return 0;
}

static int
ethereum_probe(const struct probe_target *t, struct probe_result *r)
{
	struct http_resp resp;
	int rc;

	rc = probe_jsonrpc(t, "2.0", "eth_blockNumber", NULL, NULL, NULL, &resp,
	                   r);
	if (rc == 0)
		rc = probe_parse_eth_block_number(resp.body, resp.len, r);
	if (rc == 0)
		rc = probe_check_status(&resp, "eth_blockNumber", r);
	http_resp_free(&resp);
	if (rc != 0)
		return -1;

	rc = probe_jsonrpc(t, "2.0", "eth_syncing", NULL, NULL, NULL, &resp, r);
	if (rc == 0)
		rc = probe_parse_eth_syncing(resp.body, resp.len, r);
	if (rc == 0)
		rc = probe_check_status(&resp, "eth_syncing", r);
	http_resp_free(&resp);
	if (rc != 0)
		return -1;

	if (t->height_only) {
		r->peers_known = false;
		r->error[0] = '\0';
		return 0;
	}
	rc = probe_jsonrpc(t, "2.0", "net_peerCount", NULL, NULL, NULL, &resp,
	                   r);
	if (rc == 0)
		rc = probe_parse_eth_peer_count(resp.body, resp.len, r);
	http_resp_free(&resp);
	if (rc != 0)
		r->peers_known = false;
	r->error[0] = '\0';
	return 0;
}

const struct probe_ops probe_ethereum_ops = {
    .chain = CHAIN_ETHEREUM,
    .name = "ethereum",
    .probe = ethereum_probe,
};
