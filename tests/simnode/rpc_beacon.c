/*
 * rpc_beacon.c: Ethereum beacon node REST API (node/syncing, node/health
 * by status code, node/peer_count; uint64 values as decimal strings).
 */
#include "tests/simnode/simnode.h"
#include "tests/simnode/hash.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS_PER_EPOCH 32

static void
put_header(struct sn_buf *b, uint64_t slot)
{
	char root[65], parent[65], sr[65], br[65], in[96];
	uint8_t d[32];

	sn_block_hash_hex(slot, false, root);
	sn_block_hash_hex(slot > 0 ? slot - 1 : 0, false, parent);
	snprintf(in, sizeof(in), "state|%s|%" PRIu64, sn.network, slot);
	sn_sha256(in, strlen(in), d);
	sn_hex(d, 32, false, sr);
	snprintf(in, sizeof(in), "body|%s|%" PRIu64, sn.network, slot);
	sn_sha256(in, strlen(in), d);
	sn_hex(d, 32, false, br);
	sn_buf_printf(
	    b,
	    "{\"execution_optimistic\":false,\"finalized\":%s,\"data\":{"
	    "\"root\":\"0x%s\",\"canonical\":true,\"header\":{\"message\":{"
	    "\"slot\":\"%" PRIu64 "\",\"proposer_index\":\"%" PRIu64 "\","
	    "\"parent_root\":\"0x%s\",\"state_root\":\"0x%s\","
	    "\"body_root\":\"0x%s\"},\"signature\":\"0x%s%s%s\"}}}",
	    slot <= sn_finalized() ? "true" : "false", root, slot, slot % 1000,
	    parent, sr, br, root, sr, br);
}

static void
serve(const struct sn_req *req, struct sn_resp *resp)
{
	const char *p = req->path;
	uint64_t tip = sn_tip_now();

	if (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0) {
		sn_rest_error(resp, 405, "METHOD_NOT_ALLOWED");
		return;
	}
	resp->ctype = "application/json";
	if (strcmp(p, "/eth/v1/node/syncing") == 0) {
		sn_buf_printf(&resp->body,
		              "{\"data\":{\"head_slot\":\"%" PRIu64
		              "\",\"sync_distance\":\"%" PRIu64
		              "\",\"is_syncing\":%s,\"is_optimistic\":false,"
		              "\"el_offline\":false}}",
		              sn.height, tip > sn.height ? tip - sn.height : 0,
		              sn.major_sync ? "true" : "false");
	} else if (strcmp(p, "/eth/v1/node/health") == 0) {
		char v[16], *end;
		unsigned long code = 206;

		if (sn_query_get(req->query, "syncing_status", v, sizeof(v))) {
			errno = 0;
			code = strtoul(v, &end, 10);
			if (v[0] < '0' || v[0] > '9' || *end != '\0' ||
			    code < 100 || code > 599) {
				sn_rest_error(resp, 400,
				              "BAD_REQUEST: invalid "
				              "syncing_status");
				return;
			}
		}
		/* The status is the answer; there is no body. */
		resp->ctype = NULL;
		if (sn.peers == 0)
			resp->status = 503;
		else if (sn.major_sync)
			resp->status = (int)code;
		else
			resp->status = 200;
	} else if (strcmp(p, "/eth/v1/node/peer_count") == 0) {
		sn_buf_printf(&resp->body,
		              "{\"data\":{\"disconnected\":\"0\","
		              "\"connecting\":\"0\",\"connected\":\"%u\","
		              "\"disconnecting\":\"0\"}}",
		              sn.peers);
	} else if (strcmp(p, "/eth/v1/node/version") == 0) {
		sn_buf_printf(&resp->body,
		              "{\"data\":{\"version\":\"Lighthouse/v5.1.3-"
		              "simnode-%s/x86_64-linux\"}}",
		              SN_VERSION);
	} else if (strcmp(p, "/eth/v1/beacon/genesis") == 0) {
		char root[65];
		sn_block_hash_hex(0, false, root);
		sn_buf_printf(&resp->body,
		              "{\"data\":{\"genesis_time\":\"%" PRIu64
		              "\",\"genesis_validators_root\":\"0x%s\","
		              "\"genesis_fork_version\":\"0x00000000\"}}",
		              sn.genesis_ms / 1000, root);
	} else if (strncmp(p, "/eth/v1/beacon/headers/", 23) == 0) {
		const char *id = p + 23;
		char *end;
		uint64_t slot;

		if (strcmp(id, "head") == 0) {
			slot = sn.height;
		} else if (strcmp(id, "finalized") == 0) {
			slot = sn_finalized();
		} else if (strcmp(id, "genesis") == 0) {
			slot = 0;
		} else {
			errno = 0;
			slot = strtoull(id, &end, 10);
			if (id[0] < '0' || id[0] > '9' || *end != '\0' ||
			    errno != 0) {
				sn_rest_error(resp, 400,
				              "BAD_REQUEST: invalid block ID");
				return;
			}
		}
		if (slot > sn.height) {
			sn_rest_error(resp, 404, "NOT_FOUND: beacon block");
			return;
		}
		put_header(&resp->body, slot);
	} else {
		sn_rest_error(resp, 404, "NOT_FOUND");
	}
}

static void
log_block(uint64_t h)
{
	char ts[40], hash[65], fin[65];

	sn_fmt_time(sn_wall_ms(), SN_TS_LIGHTHOUSE, ts, sizeof(ts));
	sn_block_hash_hex(h, false, hash);
	sn_block_hash_hex(sn_finalized(), false, fin);
	sn_log_line("%s INFO Synced                                  slot: "
	            "%" PRIu64 ", block: 0x%.4s\xe2\x80\xa6%s, epoch: %" PRIu64
	            ", finalized_epoch: %" PRIu64
	            ", finalized_root: 0x%.4s\xe2\x80\xa6%s, peers: %u, "
	            "service: slot_notifier",
	            ts, h, hash, hash + 60, h / SLOTS_PER_EPOCH,
	            sn_finalized() / SLOTS_PER_EPOCH, fin, fin + 60, sn.peers);
}

const struct sn_flavour_ops sn_beacon_ops = {
    .name = "beacon",
    .default_port = 5052,
    .default_network = "mainnet",
    .serve = serve,
    .log_block = log_block,
};
