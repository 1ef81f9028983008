/*
 * rpc_ethereum.c: Ethereum execution-layer JSON-RPC: hex QUANTITY values,
 * eth_syncing false or an object, -32601 for what a node does not serve.
 */
#include "tests/simnode/simnode.h"
#include "tests/simnode/hash.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t
chain_id(void)
{
	const char *n = sn.network;
	char *end;
	uint64_t v;

	if (n[0] == '0' && (n[1] == 'x' || n[1] == 'X'))
		v = strtoull(n + 2, &end, 16);
	else
		v = strtoull(n, &end, 10);
	return *end == '\0' && n[0] != '\0' ? v : 1;
}

static void
put_block(struct sn_buf *b, uint64_t h)
{
	char hash[65], parent[65], root[65], in[96];
	uint8_t d[32];

	sn_block_hash_hex(h, false, hash);
	sn_block_hash_hex(h > 0 ? h - 1 : 0, false, parent);
	snprintf(in, sizeof(in), "state|%s|%" PRIu64, sn.network, h);
	sn_sha256(in, strlen(in), d);
	sn_hex(d, 32, false, root);
	sn_buf_printf(b,
	              "{\"number\":\"0x%" PRIx64 "\",\"hash\":\"0x%s\","
	              "\"parentHash\":\"0x%s\",\"stateRoot\":\"0x%s\","
	              "\"timestamp\":\"0x%" PRIx64 "\",\"gasLimit\":"
	              "\"0x1c9c380\",\"gasUsed\":\"0x0\",\"miner\":"
	              "\"0x0000000000000000000000000000000000000000\","
	              "\"transactions\":[],\"uncles\":[]}",
	              h, hash,
	              h > 0 ? parent
	                    : "0000000000000000000000000000"
	                      "000000000000000000000000000000"
	                      "000000",
	              root, sn_block_time_ms(h) / 1000);
}

static int
call(const char *m, struct sn_json params, struct sn_buf *res,
     struct sn_rpcerr *err)
{
	if (strcmp(m, "eth_blockNumber") == 0) {
		sn_buf_printf(res, "\"0x%" PRIx64 "\"", sn.height);
	} else if (strcmp(m, "eth_syncing") == 0) {
		if (!sn.major_sync)
			sn_buf_puts(res, "false");
		else
			sn_buf_printf(res,
			              "{\"startingBlock\":\"0x%" PRIx64
			              "\",\"currentBlock\":\"0x%" PRIx64
			              "\",\"highestBlock\":\"0x%" PRIx64 "\"}",
			              sn.sync_start, sn.height, sn_tip_now());
	} else if (strcmp(m, "net_peerCount") == 0) {
		sn_buf_printf(res, "\"0x%x\"", sn.peers);
	} else if (strcmp(m, "net_listening") == 0) {
		sn_buf_puts(res, "true");
	} else if (strcmp(m, "eth_chainId") == 0) {
		sn_buf_printf(res, "\"0x%" PRIx64 "\"", chain_id());
	} else if (strcmp(m, "net_version") == 0) {
		sn_buf_printf(res, "\"%" PRIu64 "\"", chain_id());
	} else if (strcmp(m, "web3_clientVersion") == 0) {
		sn_buf_printf(res,
		              "\"Geth/v1.14.0-simnode-%s/linux-amd64/go1.22\"",
		              SN_VERSION);
	} else if (strcmp(m, "eth_getBlockByNumber") == 0) {
		struct sn_json v;
		char tag[32];
		uint64_t h = sn.height;

		if (sn_json_type(params) != SN_J_ARR ||
		    !sn_json_index(params, 0, &v) ||
		    sn_json_str(v, tag, sizeof(tag)) < 0) {
			sn_rpc_seterr(err, -32602, "invalid argument 0");
			return -1;
		}
		if (strcmp(tag, "earliest") == 0)
			h = 0;
		else if (strcmp(tag, "finalized") == 0 ||
		         strcmp(tag, "safe") == 0)
			h = sn_finalized();
		else if (strcmp(tag, "latest") != 0 &&
		         strcmp(tag, "pending") != 0 &&
		         sn_json_u64(v, true, &h) < 0) {
			sn_rpc_seterr(err, -32602,
			              "invalid argument 0: hex string without "
			              "0x prefix");
			return -1;
		}
		if (h > sn.height)
			sn_buf_puts(res, "null");
		else
			put_block(res, h);
	} else {
		sn_rpc_seterr(err, -32601, "");
		snprintf(err->message, sizeof(err->message),
		         "the method %.100s does not exist/is not available",
		         m);
		return -1;
	}
	return 0;
}

static void
serve(const struct sn_req *req, struct sn_resp *resp)
{
	if (strcmp(req->method, "POST") == 0) {
		sn_jsonrpc_serve(req, resp, call, 200);
		return;
	}
	sn_rest_error(resp, 405, "method not allowed");
}

static void
log_block(uint64_t h)
{
	char ts[40], hash[65];

	sn_fmt_time(sn_wall_ms(), SN_TS_GETH, ts, sizeof(ts));
	sn_block_hash_hex(h, false, hash);
	sn_log_line(
	    "INFO [%s] %-40s number=%" PRIu64 " hash=%.6s..%.6s blocks=1 txs=0",
	    ts, "Imported new potential chain segment", h, hash, hash + 58);
}

const struct sn_flavour_ops sn_ethereum_ops = {
    .name = "ethereum",
    .default_port = 8545,
    .default_network = "1",
    .serve = serve,
    .log_block = log_block,
};
