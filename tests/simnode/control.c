/*
 * control.c: the test-facing control verbs (/_sim/...).  Every verb answers
 * with the node's state, so a test sees at once what it changed.
 */
#include "tests/simnode/simnode.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
sn_state_json(struct sn_buf *b)
{
	uint64_t tip = sn_tip_now();

	if (sn.key_path != NULL)
		sn_sign_refresh();
	sn_buf_puts(b, "{\"name\":");
	sn_buf_json_str(b, sn.name);
	sn_buf_printf(b, ",\"flavour\":\"%s\",\"network\":", sn.ops->name);
	sn_buf_json_str(b, sn.network);
	sn_buf_printf(b,
	              ",\"pid\":%d,\"height\":%" PRIu64 ",\"tip\":%" PRIu64
	              ",\"lag\":%" PRIu64 ",\"finalized\":%" PRIu64
	              ",\"mode\":\"%s\",\"hold_blocks\":%" PRIu64
	              ",\"pending_lag\":%" PRIu64
	              ",\"major_sync\":%s,\"hung\":%s,\"peers\":%u"
	              ",\"catchup_rate\":%g,\"block_ms\":%" PRIu64
	              ",\"genesis_ms\":%" PRIu64 ",\"session\":%" PRIu64
	              ",\"connections\":%zu,\"rpc_port\":%u"
	              ",\"mono_ms\":%" PRIu64 ",\"validator\":",
	              (int)getpid(), sn.height, tip,
	              tip > sn.height ? tip - sn.height : 0, sn_finalized(),
	              sn_mode_str(), sn.lag_blocks, sn.pending_lag,
	              sn.major_sync ? "true" : "false",
	              sn.hung ? "true" : "false", sn.peers, sn.catchup_rate,
	              sn.block_ms, sn.genesis_ms, sn.height / sn.session_blocks,
	              sn_http_nconns(), (unsigned)sn_http_port(false),
	              sn_mono_ms());
	if (sn.key_path == NULL) {
		sn_buf_puts(b, "null}");
		return;
	}
	sn_buf_printf(
	    b, "{\"key_present\":%s,\"in_set\":%s,\"address\":\"%s\",",
	    sn.key_present ? "true" : "false", sn.in_set ? "true" : "false",
	    sn.key_present ? sn.address : "");
	sn_buf_printf(b,
	              "\"signed_height\":%" PRIu64 ",\"signatures\":%" PRIu64
	              ",\"refusals\":%" PRIu64 ",\"lease_epoch\":%" PRIu64 "}}",
	              sn.signed_height, sn.signatures, sn.refusals,
	              sn.lease_epoch);
}

/* A query parameter as an unsigned integer in [min, max]; *present tells
 * whether it was given.  0, or -1 with the error body written. */
static int
param_u64(const struct sn_req *req, struct sn_resp *resp, const char *key,
          uint64_t min, uint64_t max, uint64_t *out, bool *present)
{
	char v[64], msg[160], *end;
	unsigned long long n;

	*present = sn_query_get(req->query, key, v, sizeof(v));
	if (!*present)
		return 0;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0 || n < min ||
	    n > max) {
		snprintf(msg, sizeof(msg),
		         "%s: expected an integer in [%" PRIu64 ", %" PRIu64
		         "], got \"%s\"",
		         key, min, max, v);
		sn_rest_error(resp, 400, msg);
		return -1;
	}
	*out = n;
	return 0;
}

static bool
param_flag(const struct sn_req *req, const char *key)
{
	char v[16];

	if (!sn_query_get(req->query, key, v, sizeof(v)))
		return false;
	return v[0] == '\0' || strcmp(v, "1") == 0 || strcmp(v, "true") == 0 ||
	       strcmp(v, "yes") == 0;
}

static int
v_state(const struct sn_req *req, struct sn_resp *resp)
{
	return 0;
}

static int
v_lag(const struct sn_req *req, struct sn_resp *resp)
{
	uint64_t blocks = 0;
	bool present, hold = param_flag(req, "hold");
	bool gradual = param_flag(req, "gradual");

	if (param_u64(req, resp, "blocks", 0, 100000000, &blocks, &present) < 0)
		return -1;
	if (!present) {
		sn_rest_error(resp, 400, "blocks: missing, e.g. lag?blocks=50");
		return -1;
	}
	sn_chain_lag(blocks, hold, gradual);
	sn_log_sub("INFO", "simnode",
	           "control: lag %" PRIu64 " blocks (%s%s), best #%" PRIu64,
	           blocks, hold ? "hold" : "then catch up",
	           gradual ? ", gradually" : "", sn.height);
	return 0;
}

static int
v_stall(const struct sn_req *req, struct sn_resp *resp)
{
	sn_chain_stall();
	sn_log_sub("INFO", "simnode", "control: stall at #%" PRIu64, sn.height);
	return 0;
}

static int
v_resume(const struct sn_req *req, struct sn_resp *resp)
{
	sn_chain_resume();
	sn_log_sub("INFO", "simnode", "control: resume at #%" PRIu64,
	           sn.height);
	return 0;
}

static int
v_hang(const struct sn_req *req, struct sn_resp *resp)
{
	sn.hung = true;
	sn_log_sub("INFO", "simnode", "control: hang (RPC unanswered)");
	return 0;
}

static int
v_unhang(const struct sn_req *req, struct sn_resp *resp)
{
	sn.hung = false;
	sn_log_sub("INFO", "simnode", "control: unhang");
	return 0;
}

static int
v_crash(const struct sn_req *req, struct sn_resp *resp)
{
	uint64_t code = 1;
	bool present;

	if (param_u64(req, resp, "code", 1, 255, &code, &present) < 0)
		return -1;
	sn_log_sub("ERROR", "simnode", "control: crash, exit status %" PRIu64,
	           code);
	sn_log_sub("ERROR", "panic",
	           "Thread 'tokio-runtime-worker' panicked at 'simulated "
	           "crash', simnode/control.c");
	resp->exit_code = (int)code;
	resp->close = true;
	return 0;
}

static int
v_sync_enter(const struct sn_req *req, struct sn_resp *resp)
{
	sn_chain_major_sync(true);
	return 0;
}

static int
v_sync_leave(const struct sn_req *req, struct sn_resp *resp)
{
	sn_chain_major_sync(false);
	return 0;
}

static int
v_peers(const struct sn_req *req, struct sn_resp *resp)
{
	uint64_t n = 0;
	bool present;

	if (param_u64(req, resp, "n", 0, 100000, &n, &present) < 0)
		return -1;
	if (!present) {
		sn_rest_error(resp, 400, "n: missing, e.g. peers?n=0");
		return -1;
	}
	sn.peers = (uint32_t)n;
	sn_log_sub("INFO", "simnode", "control: peers %u", sn.peers);
	return 0;
}

static int
v_rate(const struct sn_req *req, struct sn_resp *resp)
{
	char v[64], msg[160], *end;
	double r;

	if (!sn_query_get(req->query, "blocks_per_s", v, sizeof(v))) {
		sn_rest_error(
		    resp, 400,
		    "blocks_per_s: missing, e.g. rate?blocks_per_s=5");
		return -1;
	}
	r = strtod(v, &end);
	if (v[0] == '\0' || *end != '\0' || !(r >= 0 && r <= 1e6)) {
		snprintf(msg, sizeof(msg),
		         "blocks_per_s: expected a number in [0, 1e6], got "
		         "\"%s\"",
		         v);
		sn_rest_error(resp, 400, msg);
		return -1;
	}
	sn.catchup_rate = r;
	sn_log_sub("INFO", "simnode", "control: catch-up rate %g blocks/s", r);
	return 0;
}

static const struct verb {
	const char *path;
	int (*fn)(const struct sn_req *, struct sn_resp *);
	const char *help;
} verbs[] = {
    {"/state", v_state, "node state"},
    {"/lag", v_lag, "blocks=N [hold=1] [gradual=1]"},
    {"/stall", v_stall, "stop importing"},
    {"/resume", v_resume, "follow the tip again (catch up)"},
    {"/hang", v_hang, "accept RPC but never answer"},
    {"/unhang", v_unhang, "answer RPC again"},
    {"/crash", v_crash, "[code=N] exit at once with status N"},
    {"/major-sync/enter", v_sync_enter, "enter major sync"},
    {"/major-sync/leave", v_sync_leave, "leave major sync"},
    {"/peers", v_peers, "n=N"},
    {"/rate", v_rate, "blocks_per_s=R catch-up rate"},
};

void
sn_control(const char *path, const struct sn_req *req, struct sn_resp *resp)
{
	resp->ctype = "application/json";
	if (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "POST") != 0 &&
	    strcmp(req->method, "HEAD") != 0) {
		sn_rest_error(resp, 405, "use GET or POST");
		return;
	}
	if (path[0] == '\0' || strcmp(path, "/") == 0) {
		sn_buf_puts(&resp->body, "{\"verbs\":{");
		for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
			sn_buf_printf(&resp->body,
			              "%s\"/_sim%s\":", i ? "," : "",
			              verbs[i].path);
			sn_buf_json_str(&resp->body, verbs[i].help);
		}
		sn_buf_puts(&resp->body, "}}");
		return;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(path, verbs[i].path) != 0)
			continue;
		if (verbs[i].fn(req, resp) == 0)
			sn_state_json(&resp->body);
		return;
	}
	sn_rest_error(resp, 404,
	              "no such control verb (GET /_sim/ lists them)");
}
