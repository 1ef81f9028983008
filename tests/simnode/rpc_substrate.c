/*
 * rpc_substrate.c: Substrate JSON-RPC (HTTP POST on one port): system_*
 * with plain JSON numbers, chain_getHeader with a hex "number" and
 * 0x-prefixed hashes, finalized head, block hash by number.
 */
#include "tests/simnode/simnode.h"
#include "tests/simnode/hash.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define HASH_SCAN 4096 /* how far back a hash is looked up */

static void
put_hash(struct sn_buf *b, uint64_t h)
{
	char hex[65];

	sn_block_hash_hex(h, false, hex);
	sn_buf_printf(b, "\"0x%s\"", hex);
}

static void
root_of(const char *what, uint64_t h, char out[65])
{
	char in[160];
	uint8_t d[32];

	snprintf(in, sizeof(in), "%s|%s|%" PRIu64, what, sn.network, h);
	sn_sha256(in, strlen(in), d);
	sn_hex(d, 32, false, out);
}

static void
put_header(struct sn_buf *b, uint64_t h)
{
	char sr[65], er[65];

	root_of("state", h, sr);
	root_of("extrinsics", h, er);
	sn_buf_puts(b, "{\"parentHash\":");
	if (h == 0)
		sn_buf_printf(b, "\"0x%064d\"", 0);
	else
		put_hash(b, h - 1);
	sn_buf_printf(b,
	              ",\"number\":\"0x%" PRIx64 "\",\"stateRoot\":\"0x%s\","
	              "\"extrinsicsRoot\":\"0x%s\",\"digest\":{\"logs\":["
	              "\"0x0661757261200000000000000000\"]}}",
	              h, sr, er);
}

/* Height of a "0x<64 hex>" hash among recent blocks; -1 if unknown. */
static int
find_hash(const char *s, uint64_t *out)
{
	char hex[65];
	uint64_t h = sn.height;

	if (strlen(s) != 66 || s[0] != '0' || s[1] != 'x')
		return -2;
	for (uint64_t i = 0; i < HASH_SCAN; i++, h--) {
		sn_block_hash_hex(h, false, hex);
		if (strcasecmp(hex, s + 2) == 0) {
			*out = h;
			return 0;
		}
		if (h == 0)
			break;
	}
	return -1;
}

static bool
first_param(struct sn_json params, struct sn_json *v)
{
	if (sn_json_type(params) != SN_J_ARR || !sn_json_index(params, 0, v))
		return false;
	return sn_json_type(*v) != SN_J_NULL;
}

static int
invalid_params(struct sn_rpcerr *err)
{
	sn_rpc_seterr(err, -32602, "Invalid params");
	return -1;
}

/* Resolve an optional block-hash parameter; 1 when the hash is unknown. */
static int
block_param(struct sn_json params, uint64_t *h, struct sn_rpcerr *err)
{
	struct sn_json v;
	char s[80];
	int rc;

	*h = sn.height;
	if (!first_param(params, &v))
		return 0;
	if (sn_json_str(v, s, sizeof(s)) < 0)
		return invalid_params(err);
	rc = find_hash(s, h);
	if (rc == -2)
		return invalid_params(err);
	return rc < 0 ? 1 : 0;
}

static int
call(const char *m, struct sn_json params, struct sn_buf *res,
     struct sn_rpcerr *err)
{
	struct sn_json v;
	uint64_t h;
	int rc;

	if (strcmp(m, "system_health") == 0) {
		sn_buf_printf(res,
		              "{\"peers\":%u,\"isSyncing\":%s,"
		              "\"shouldHavePeers\":true}",
		              sn.peers, sn.major_sync ? "true" : "false");
	} else if (strcmp(m, "system_syncState") == 0) {
		sn_buf_printf(
		    res,
		    "{\"startingBlock\":%" PRIu64 ",\"currentBlock\":%" PRIu64
		    ",\"highestBlock\":%" PRIu64 "}",
		    sn.sync_start, sn.height,
		    sn_tip_now() > sn.height ? sn_tip_now() : sn.height);
	} else if (strcmp(m, "system_version") == 0) {
		sn_buf_printf(res, "\"%s-simnode\"", SN_VERSION);
	} else if (strcmp(m, "system_name") == 0) {
		sn_buf_puts(res, "\"simnode\"");
	} else if (strcmp(m, "system_chain") == 0) {
		sn_buf_json_str(res, sn.network);
	} else if (strcmp(m, "system_chainType") == 0) {
		sn_buf_puts(res, "\"Live\"");
	} else if (strcmp(m, "system_nodeRoles") == 0) {
		sn_buf_puts(res,
		            sn.key_path ? "[\"Authority\"]" : "[\"Full\"]");
	} else if (strcmp(m, "system_localPeerId") == 0) {
		char id[41];
		sn_node_id(sn.name, id);
		sn_buf_printf(res, "\"12D3KooW%.38s\"", id);
	} else if (strcmp(m, "system_peers") == 0) {
		uint32_t shown = sn.peers < 64 ? sn.peers : 64;
		sn_buf_puts(res, "[");
		for (uint32_t i = 0; i < shown; i++) {
			char pname[96], id[41];
			snprintf(pname, sizeof(pname), "%s-peer-%u", sn.name,
			         i);
			sn_node_id(pname, id);
			sn_buf_printf(res,
			              "%s{\"peerId\":\"12D3KooW%.38s\","
			              "\"roles\":\"FULL\",\"bestHash\":",
			              i ? "," : "", id);
			put_hash(res, sn_tip_now());
			sn_buf_printf(res, ",\"bestNumber\":%" PRIu64 "}",
			              sn_tip_now());
		}
		sn_buf_puts(res, "]");
	} else if (strcmp(m, "chain_getHeader") == 0) {
		rc = block_param(params, &h, err);
		if (rc < 0)
			return -1;
		if (rc > 0)
			sn_buf_puts(res, "null");
		else
			put_header(res, h);
	} else if (strcmp(m, "chain_getBlock") == 0) {
		rc = block_param(params, &h, err);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			sn_buf_puts(res, "null");
		} else {
			sn_buf_puts(res, "{\"block\":{\"header\":");
			put_header(res, h);
			sn_buf_puts(res, ",\"extrinsics\":[]},"
			                 "\"justifications\":null}");
		}
	} else if (strcmp(m, "chain_getFinalizedHead") == 0 ||
	           strcmp(m, "chain_getFinalisedHead") == 0) {
		put_hash(res, sn_finalized());
	} else if (strcmp(m, "chain_getBlockHash") == 0 ||
	           strcmp(m, "chain_getHead") == 0) {
		h = sn.height;
		if (first_param(params, &v) && sn_json_u64(v, true, &h) < 0)
			return invalid_params(err);
		if (h > sn.height)
			sn_buf_puts(res, "null");
		else
			put_hash(res, h);
	} else if (strcmp(m, "rpc_methods") == 0) {
		sn_buf_puts(res,
		            "{\"methods\":[\"chain_getBlock\","
		            "\"chain_getBlockHash\",\"chain_getFinalizedHead\","
		            "\"chain_getHeader\",\"rpc_methods\","
		            "\"system_chain\",\"system_health\","
		            "\"system_localPeerId\",\"system_name\","
		            "\"system_peers\",\"system_syncState\","
		            "\"system_version\"]}");
	} else {
		sn_rpc_seterr(err, -32601, "Method not found");
		return -1;
	}
	return 0;
}

static void
serve(const struct sn_req *req, struct sn_resp *resp)
{
	bool ready = !sn.major_sync && sn.peers > 0;

	if (strcmp(req->method, "POST") == 0) {
		sn_jsonrpc_serve(req, resp, call, 200);
		return;
	}
	/* polkadot-sdk's HTTP health endpoints */
	if (strcmp(req->path, "/health") == 0) {
		sn_buf_printf(&resp->body,
		              "{\"isSyncing\":%s,\"peers\":%u,"
		              "\"shouldHavePeers\":true}",
		              sn.major_sync ? "true" : "false", sn.peers);
		resp->ctype = "application/json";
		return;
	}
	if (strcmp(req->path, "/health/readiness") == 0) {
		resp->status = ready ? 200 : 500;
		return;
	}
	resp->status = 405;
	resp->ctype = "text/plain";
	sn_buf_puts(&resp->body, "Used HTTP Method is not allowed. POST or "
	                         "OPTIONS is required\n");
}

const struct sn_flavour_ops sn_substrate_ops = {
    .name = "substrate",
    .default_port = 9944,
    .default_network = "Simnet",
    .serve = serve,
};
