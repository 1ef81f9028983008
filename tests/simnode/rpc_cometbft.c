/*
 * rpc_cometbft.c: CometBFT RPC (v0.38 shapes): URI GET and JSON-RPC POST
 * for status, net_info, health, block and commit.  64-bit integers are
 * strings, hashes and addresses upper-case hex, commits come from the
 * shared signing journal.
 */
#include "tests/simnode/simnode.h"
#include "tests/simnode/hash.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define MAX_NET_PEERS 64
#define MAX_SIGS      64

static void
hex_of(const char *what, uint64_t h, char out[65])
{
	char in[160];
	uint8_t d[32];

	snprintf(in, sizeof(in), "%s|%s|%" PRIu64, what, sn.network, h);
	sn_sha256(in, strlen(in), d);
	sn_hex(d, 32, true, out);
}

static void
put_block_id(struct sn_buf *b, uint64_t h)
{
	char hash[65], parts[65];

	sn_block_hash_hex(h, true, hash);
	hex_of("parts", h, parts);
	sn_buf_printf(
	    b, "{\"hash\":\"%s\",\"parts\":{\"total\":1,\"hash\":\"%s\"}}",
	    hash, parts);
}

static void
put_node_info(struct sn_buf *b, const char *id, const char *moniker)
{
	sn_buf_printf(b,
	              "{\"protocol_version\":{\"p2p\":\"8\",\"block\":\"11\","
	              "\"app\":\"0\"},\"id\":\"%s\",\"listen_addr\":"
	              "\"tcp://0.0.0.0:26656\",\"network\":",
	              id);
	sn_buf_json_str(b, sn.network);
	sn_buf_puts(b, ",\"version\":\"0.38.6\",\"channels\":"
	               "\"40202122233038606100\",\"moniker\":");
	sn_buf_json_str(b, moniker);
	sn_buf_puts(b, ",\"other\":{\"tx_index\":\"on\",\"rpc_address\":");
	sn_buf_printf(b, "\"tcp://%s\"}}", sn.listen);
}

static void
status(struct sn_buf *b)
{
	char id[41], hash[65], app[65], ehash[65], eapp[65], t[40], et[40];
	uint64_t h = sn.height;

	sn_sign_refresh();
	sn_node_id(sn.name, id);
	sn_block_hash_hex(h, true, hash);
	hex_of("app", h, app);
	sn_block_hash_hex(1, true, ehash);
	hex_of("app", 1, eapp);
	sn_fmt_rfc3339(sn_block_time_ms(h), t, sizeof(t));
	sn_fmt_rfc3339(sn_block_time_ms(1), et, sizeof(et));
	sn_buf_puts(b, "{\"node_info\":");
	put_node_info(b, id, sn.name);
	sn_buf_printf(
	    b,
	    ",\"sync_info\":{\"latest_block_hash\":\"%s\","
	    "\"latest_app_hash\":\"%s\",\"latest_block_height\":\"%" PRIu64
	    "\",\"latest_block_time\":\"%s\",\"earliest_block_hash\":\"%s\","
	    "\"earliest_app_hash\":\"%s\",\"earliest_block_height\":\"1\","
	    "\"earliest_block_time\":\"%s\",\"catching_up\":%s},",
	    hash, app, h, t, ehash, eapp, et, sn.major_sync ? "true" : "false");
	sn_buf_printf(b,
	              "\"validator_info\":{\"address\":\"%s\",\"pub_key\":{"
	              "\"type\":\"tendermint/PubKeyEd25519\",\"value\":\"%s\"},"
	              "\"voting_power\":\"%s\"}}",
	              sn.address, sn.pubkey,
	              sn.key_present && sn.in_set ? "10" : "0");
}

static void
net_info(struct sn_buf *b)
{
	uint32_t shown = sn.peers < MAX_NET_PEERS ? sn.peers : MAX_NET_PEERS;

	sn_buf_printf(b,
	              "{\"listening\":true,\"listeners\":[\"Listener(@)\"],"
	              "\"n_peers\":\"%u\",\"peers\":[",
	              sn.peers);
	for (uint32_t i = 0; i < shown; i++) {
		char pname[96], id[41];
		snprintf(pname, sizeof(pname), "%s-peer-%u", sn.name, i);
		sn_node_id(pname, id);
		sn_buf_puts(b, i ? ",{\"node_info\":" : "{\"node_info\":");
		put_node_info(b, id, pname);
		sn_buf_printf(b,
		              ",\"is_outbound\":%s,\"connection_status\":{"
		              "\"Duration\":\"3600000000000\"},"
		              "\"remote_ip\":\"10.0.%u.%u\"}",
		              i % 2 ? "false" : "true", (i / 250) % 256,
		              i % 250 + 1);
	}
	sn_buf_puts(b, "]}");
}

static void
proposer(uint64_t h, char out[41])
{
	struct sn_sig s;
	char hex[65];

	if (sn_journal_signers(h, &s, 1) == 1) {
		memcpy(out, s.address, 41);
		return;
	}
	hex_of("proposer", h, hex);
	memcpy(out, hex, 40);
	out[40] = '\0';
}

static void
put_header(struct sn_buf *b, uint64_t h)
{
	char t[40], lch[65], vh[65], ch[65], app[65], rh[65], prop[41];

	sn_fmt_rfc3339(sn_block_time_ms(h), t, sizeof(t));
	hex_of("lastcommit", h, lch);
	hex_of("validators", 0, vh);
	hex_of("consensus", 0, ch);
	hex_of("app", h > 0 ? h - 1 : 0, app);
	hex_of("results", h, rh);
	proposer(h, prop);
	sn_buf_puts(b, "{\"version\":{\"block\":\"11\",\"app\":\"0\"},"
	               "\"chain_id\":");
	sn_buf_json_str(b, sn.network);
	sn_buf_printf(b,
	              ",\"height\":\"%" PRIu64 "\",\"time\":\"%s\","
	              "\"last_block_id\":",
	              h, t);
	put_block_id(b, h > 0 ? h - 1 : 0);
	sn_buf_printf(
	    b,
	    ",\"last_commit_hash\":\"%s\",\"data_hash\":"
	    "\"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
	    "\","
	    "\"validators_hash\":\"%s\",\"next_validators_hash\":\"%s\","
	    "\"consensus_hash\":\"%s\",\"app_hash\":\"%s\","
	    "\"last_results_hash\":\"%s\",\"evidence_hash\":"
	    "\"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
	    "\","
	    "\"proposer_address\":\"%s\"}",
	    lch, vh, vh, ch, app, rh, prop);
}

/* Commit of height h: a COMMIT signature (flag 2) for every validator
 * address the shared journal shows signing h, so a doppelganger check sees
 * a key that signs anywhere in the test. */
static void
put_commit(struct sn_buf *b, uint64_t h)
{
	struct sn_sig sigs[MAX_SIGS];
	size_t n = h > 0 ? sn_journal_signers(h, sigs, MAX_SIGS) : 0;

	sn_buf_printf(
	    b, "{\"height\":\"%" PRIu64 "\",\"round\":0,\"block_id\":", h);
	put_block_id(b, h);
	sn_buf_puts(b, ",\"signatures\":[");
	for (size_t i = 0; i < n; i++) {
		char t[40], in[128], sig[96];
		uint8_t d[64];

		sn_fmt_rfc3339(sigs[i].wall_ms, t, sizeof(t));
		snprintf(in, sizeof(in), "sig|%.40s|%" PRIu64, sigs[i].address,
		         h);
		sn_sha256(in, strlen(in), d);
		sn_sha256(d, 32, d + 32);
		sn_base64(d, 64, sig);
		sn_buf_printf(
		    b,
		    "%s{\"block_id_flag\":2,\"validator_address\":"
		    "\"%s\",\"timestamp\":\"%s\",\"signature\":\"%s\"}",
		    i ? "," : "", sigs[i].address, t, sig);
	}
	sn_buf_puts(b, "]}");
}

static void
block(struct sn_buf *b, uint64_t h)
{
	sn_buf_puts(b, "{\"block_id\":");
	put_block_id(b, h);
	sn_buf_puts(b, ",\"block\":{\"header\":");
	put_header(b, h);
	sn_buf_puts(b, ",\"data\":{\"txs\":[]},\"evidence\":{\"evidence\":[]},"
	               "\"last_commit\":");
	put_commit(b, h > 0 ? h - 1 : 0);
	sn_buf_puts(b, "}}");
}

static void
commit(struct sn_buf *b, uint64_t h)
{
	sn_buf_puts(b, "{\"signed_header\":{\"header\":");
	put_header(b, h);
	sn_buf_puts(b, ",\"commit\":");
	put_commit(b, h);
	sn_buf_printf(b, "},\"canonical\":%s}",
	              h < sn.height ? "true" : "false");
}

/* The "height" parameter (object member or first positional), as CometBFT
 * checks it in rpc/core/env.go. */
static int
height_param(struct sn_json params, uint64_t *h, struct sn_rpcerr *err)
{
	struct sn_json v;
	bool found = false;
	char s[32];

	if (sn_json_type(params) == SN_J_OBJ)
		found = sn_json_member(params, "height", &v);
	else if (sn_json_type(params) == SN_J_ARR)
		found = sn_json_index(params, 0, &v);
	if (!found || sn_json_type(v) == SN_J_NULL) {
		*h = sn.height;
		return 0;
	}
	if (sn_json_u64(v, false, h) < 0) {
		sn_rpc_seterr(err, -32603, "Internal error");
		if ((sn_json_type(v) == SN_J_STR &&
		     sn_json_str(v, s, sizeof(s)) == 0 && s[0] == '-') ||
		    (sn_json_type(v) == SN_J_NUM && v.p[0] == '-')) {
			snprintf(err->data, sizeof(err->data),
			         "height must be greater than 0, but got %.*s",
			         (int)(v.n > 24 ? 24 : v.n), v.p);
			return -1;
		}
		sn_rpc_seterr(err, -32602, "Invalid params");
		snprintf(err->data, sizeof(err->data),
		         "error converting json params to arguments: "
		         "invalid height %.*s",
		         (int)(v.n > 40 ? 40 : v.n), v.p);
		return -1;
	}
	if (*h == 0) {
		sn_rpc_seterr(err, -32603, "Internal error");
		snprintf(err->data, sizeof(err->data),
		         "height must be greater than 0, but got 0");
		return -1;
	}
	if (*h > sn.height) {
		sn_rpc_seterr(err, -32603, "Internal error");
		snprintf(err->data, sizeof(err->data),
		         "height %" PRIu64 " must be less than or equal to the "
		         "current blockchain height %" PRIu64,
		         *h, sn.height);
		return -1;
	}
	return 0;
}

static int
call(const char *method, struct sn_json params, struct sn_buf *res,
     struct sn_rpcerr *err)
{
	uint64_t h;

	if (strcmp(method, "status") == 0) {
		status(res);
	} else if (strcmp(method, "net_info") == 0) {
		net_info(res);
	} else if (strcmp(method, "health") == 0) {
		sn_buf_puts(res, "{}");
	} else if (strcmp(method, "block") == 0) {
		if (height_param(params, &h, err) < 0)
			return -1;
		block(res, h);
	} else if (strcmp(method, "commit") == 0) {
		if (height_param(params, &h, err) < 0)
			return -1;
		commit(res, h);
	} else {
		sn_rpc_seterr(err, -32601, "Method not found");
		return -1;
	}
	return 0;
}

/* URI form: GET /block?height=5 (or height="5"), answered with id -1. */
static void
serve_uri(const char *method, const struct sn_req *req, struct sn_resp *resp)
{
	struct sn_buf pbuf = {0}, result = {0};
	struct sn_json params = {NULL, 0};
	struct sn_rpcerr err;
	char v[64];
	bool explicit_height = false;
	int rc;

	memset(&err, 0, sizeof(err));
	if (sn_query_get(req->query, "height", v, sizeof(v)) && v[0] != '\0') {
		size_t n = strlen(v);
		if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
			memmove(v, v + 1, n - 2);
			v[n - 2] = '\0';
		}
		sn_buf_puts(&pbuf, "{\"height\":");
		sn_buf_json_str(&pbuf, v);
		sn_buf_puts(&pbuf, "}");
		sn_json_parse(pbuf.p, pbuf.len, &params);
		explicit_height = true;
	}
	rc = call(method, params, &result, &err);
	resp->ctype = "application/json";
	if (rc < 0) {
		resp->status = err.code == -32601 ? 404 : 500;
		sn_buf_printf(&resp->body,
		              "{\"jsonrpc\":\"2.0\",\"id\":-1,\"error\":{"
		              "\"code\":%d,\"message\":",
		              err.code);
		sn_buf_json_str(&resp->body, err.message);
		sn_buf_puts(&resp->body, ",\"data\":");
		sn_buf_json_str(&resp->body, err.data);
		sn_buf_puts(&resp->body, "}}");
	} else {
		sn_buf_puts(&resp->body, "{\"jsonrpc\":\"2.0\",\"id\":-1,"
		                         "\"result\":");
		sn_buf_put(&resp->body, result.p, result.len);
		sn_buf_puts(&resp->body, "}");
		if (explicit_height)
			snprintf(resp->headers, sizeof(resp->headers),
			         "Cache-Control: public, max-age=86400\r\n");
	}
	sn_buf_free(&pbuf);
	sn_buf_free(&result);
}

static void
serve(const struct sn_req *req, struct sn_resp *resp)
{
	const char *path = req->path;

	if (strncmp(path, "/v1/", 4) == 0)
		path += 3;
	if (strcmp(req->method, "POST") == 0 &&
	    (strcmp(path, "/") == 0 || strcmp(path, "") == 0)) {
		sn_jsonrpc_serve(req, resp, call, 500);
		return;
	}
	if (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0) {
		sn_rest_error(resp, 405, "method not allowed");
		return;
	}
	serve_uri(path + 1, req, resp);
}

static void
log_block(uint64_t h)
{
	char ts[40], app[65];

	sn_fmt_time(sn_wall_ms(), SN_TS_COMETBFT, ts, sizeof(ts));
	hex_of("app", h, app);
	sn_log_line("I[%s] %-44s module=state height=%" PRIu64
	            " num_txs=0 app_hash=%s",
	            ts, "committed state", h, app);
}

const struct sn_flavour_ops sn_cometbft_ops = {
    .name = "cometbft",
    .default_port = 26657,
    .default_network = "simnet-1",
    .serve = serve,
    .log_block = log_block,
};
