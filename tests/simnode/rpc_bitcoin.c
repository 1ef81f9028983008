/*
 * rpc_bitcoin.c: Bitcoin Core JSON-RPC.  1.0/legacy replies carry both
 * "result" and "error" with HTTP 500/404 on errors; a "jsonrpc":"2.0"
 * request gets strict 2.0 (HTTP 200).  Basic auth from --rpcuser and
 * --rpcpassword or a cookie file written at start like bitcoind's; a bad
 * or missing password gets 401 with an empty body.
 */
#include "tests/simnode/simnode.h"
#include "tests/simnode/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#define MAX_BATCH 100

static char cookie[80]; /* "__cookie__:<64 hex>" */

static const char *
now_ts(char out[40])
{
	sn_fmt_time(sn_wall_ms(), SN_TS_BITCOIN, out, 40);
	return out;
}

static int
init(void)
{
	uint8_t rnd[32];
	char tmp[4096], ts[40];
	size_t n = 0;
	int fd, len;

	if (sn.cookie_path == NULL)
		return 0;
	while (n < sizeof(rnd)) {
		ssize_t r = getrandom(rnd + n, sizeof(rnd) - n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "simnode: getrandom: %s\n",
			        strerror(errno));
			return -1;
		}
		n += (size_t)r;
	}
	memcpy(cookie, "__cookie__:", 11);
	sn_hex(rnd, sizeof(rnd), false, cookie + 11);
	len = (int)strlen(cookie);
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", sn.cookie_path) >=
	    (int)sizeof(tmp))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, cookie, (size_t)len) != len || close(fd) < 0 ||
	    rename(tmp, sn.cookie_path) < 0) {
		fprintf(stderr, "simnode: --cookie %s: %s\n", sn.cookie_path,
		        strerror(errno));
		return -1;
	}
	sn_log_line("%s Generated RPC authentication cookie %s", now_ts(ts),
	            sn.cookie_path);
	return 0;
}

static void
fini(void)
{
	if (sn.cookie_path != NULL)
		unlink(sn.cookie_path);
}

static bool
authorized(const char *auth)
{
	char b64[512], want[600];
	uint8_t dec[400];
	int n;

	if (sn.cookie_path == NULL && sn.rpcuser == NULL)
		return true;
	if (strncasecmp(auth, "Basic ", 6) != 0)
		return false;
	snprintf(b64, sizeof(b64), "%s", auth + 6);
	n = sn_base64_decode(b64, dec, sizeof(dec) - 1);
	if (n < 0)
		return false;
	dec[n] = '\0';
	if (memchr(dec, '\0', (size_t)n) != NULL)
		return false;
	if (sn.cookie_path != NULL && strcmp((char *)dec, cookie) == 0)
		return true;
	if (sn.rpcuser != NULL) {
		snprintf(want, sizeof(want), "%s:%s", sn.rpcuser,
		         sn.rpcpassword);
		if (strcmp((char *)dec, want) == 0)
			return true;
	}
	return false;
}

struct btc_err {
	int code;
	const char *msg;
};

static bool
param(struct sn_json params, size_t i, const char *name, struct sn_json *v)
{
	if (sn_json_type(params) == SN_J_ARR)
		return sn_json_index(params, i, v);
	if (sn_json_type(params) == SN_J_OBJ)
		return sn_json_member(params, name, v);
	return false;
}

static void
put_hash(struct sn_buf *b, uint64_t h)
{
	char hex[65];

	sn_block_hash_hex(h, false, hex);
	sn_buf_printf(b, "\"%s\"", hex);
}

static int
call(const char *m, struct sn_json params, struct sn_buf *res,
     struct btc_err *err)
{
	uint64_t tip = sn_tip_now(), h = sn.height;
	uint32_t in = sn.peers / 3, out = sn.peers - sn.peers / 3;
	struct sn_json v;

	if (sn_mono_ms() - sn.start_mono_ms < sn.warmup_ms) {
		err->code = -28;
		err->msg = "Loading block index\xe2\x80\xa6";
		return -1;
	}
	if (tip < h)
		tip = h;
	if (strcmp(m, "getblockchaininfo") == 0) {
		double progress = tip == 0 ? 1.0 : (double)h / (double)tip;
		uint64_t t = sn_block_time_ms(h) / 1000;

		sn_buf_puts(res, "{\"chain\":");
		sn_buf_json_str(res, sn.network);
		sn_buf_printf(res,
		              ",\"blocks\":%" PRIu64 ",\"headers\":%" PRIu64
		              ",\"bestblockhash\":",
		              h, tip);
		put_hash(res, h);
		sn_buf_printf(
		    res,
		    ",\"difficulty\":1,\"time\":%" PRIu64
		    ",\"mediantime\":%" PRIu64 ",\"verificationprogress\":%.10f"
		    ",\"initialblockdownload\":%s,\"chainwork\":"
		    "\"000000000000000000000000000000000000000000000000%"
		    "016" PRIx64 "\",\"size_on_disk\":%" PRIu64
		    ",\"pruned\":false,\"warnings\":\"\"}",
		    t,
		    t > 6 * sn.block_ms / 1000 ? t - 6 * sn.block_ms / 1000 : 0,
		    isfinite(progress) ? progress : 1.0,
		    sn.major_sync ? "true" : "false",
		    (uint64_t)((h + 1) * 0x100010001ULL), h * 1024 + 293);
	} else if (strcmp(m, "getnetworkinfo") == 0) {
		sn_buf_printf(
		    res,
		    "{\"version\":270000,\"subversion\":"
		    "\"/Satoshi:27.0.0(simnode)/\",\"protocolversion\":70016,"
		    "\"localservices\":\"0000000000000c09\",\"localrelay\":"
		    "true,"
		    "\"timeoffset\":0,\"networkactive\":true,"
		    "\"connections\":%u,\"connections_in\":%u,"
		    "\"connections_out\":%u,\"networks\":[],\"relayfee\":"
		    "0.00001000,\"incrementalfee\":0.00001000,"
		    "\"localaddresses\":[],\"warnings\":\"\"}",
		    sn.peers, in, out);
	} else if (strcmp(m, "getblockcount") == 0) {
		sn_buf_printf(res, "%" PRIu64, h);
	} else if (strcmp(m, "getbestblockhash") == 0) {
		put_hash(res, h);
	} else if (strcmp(m, "getconnectioncount") == 0) {
		sn_buf_printf(res, "%u", sn.peers);
	} else if (strcmp(m, "getblockhash") == 0) {
		uint64_t want;
		if (!param(params, 0, "height", &v)) {
			err->code = -1;
			err->msg = "getblockhash height";
			return -1;
		}
		if (sn_json_type(v) != SN_J_NUM) {
			err->code = -3;
			err->msg = "JSON value is not an integer as expected";
			return -1;
		}
		if (sn_json_u64(v, false, &want) < 0 || want > h) {
			err->code = -8;
			err->msg = "Block height out of range";
			return -1;
		}
		put_hash(res, want);
	} else if (strcmp(m, "getchaintips") == 0) {
		sn_buf_printf(res, "[{\"height\":%" PRIu64 ",\"hash\":", h);
		put_hash(res, h);
		sn_buf_puts(res, ",\"branchlen\":0,\"status\":\"active\"}]");
	} else if (strcmp(m, "uptime") == 0) {
		sn_buf_printf(res, "%" PRIu64,
		              (sn_mono_ms() - sn.start_mono_ms) / 1000);
	} else if (strcmp(m, "ping") == 0) {
		sn_buf_puts(res, "null");
	} else {
		err->code = -32601;
		err->msg = "Method not found";
		return -1;
	}
	return 0;
}

/* One request object; returns the HTTP status it deserves alone, or 204
 * for a 2.0 notification (nothing written). */
static int
one(struct sn_json req, struct sn_buf *out)
{
	struct sn_json idv = {"null", 4}, mv, jv, params = {NULL, 0};
	struct btc_err err = {0, NULL};
	struct sn_buf result = {0};
	char method[128], ver[8] = "";
	bool v2 = false, has_id;
	int status = 200;

	if (sn_json_type(req) != SN_J_OBJ) {
		sn_buf_puts(out, "{\"result\":null,\"error\":{\"code\":-32600,"
		                 "\"message\":\"Invalid Request object\"},"
		                 "\"id\":null}");
		return 400;
	}
	has_id = sn_json_member(req, "id", &idv);
	if (sn_json_member(req, "jsonrpc", &jv) &&
	    sn_json_str(jv, ver, sizeof(ver)) == 0 && strcmp(ver, "2.0") == 0)
		v2 = true;
	sn_json_member(req, "params", &params);
	if (!sn_json_member(req, "method", &mv) ||
	    sn_json_str(mv, method, sizeof(method)) < 0) {
		err.code = -32600;
		err.msg = "Method must be a string";
	} else if (call(method, params, &result, &err) == 0) {
		err.msg = NULL;
	}
	if (v2 && !has_id) {
		sn_buf_free(&result);
		return 204;
	}
	if (err.msg != NULL)
		status = err.code == -32601   ? 404
		         : err.code == -32600 ? 400
		                              : 500;
	sn_buf_puts(out, v2 ? "{\"jsonrpc\":\"2.0\"," : "{");
	if (err.msg == NULL) {
		sn_buf_puts(out, "\"result\":");
		sn_buf_put(out, result.p ? result.p : "null",
		           result.p ? result.len : 4);
		if (!v2)
			sn_buf_puts(out, ",\"error\":null");
	} else {
		if (!v2)
			sn_buf_puts(out, "\"result\":null,");
		sn_buf_printf(out,
		              "\"error\":{\"code\":%d,\"message\":", err.code);
		sn_buf_json_str(out, err.msg);
		sn_buf_puts(out, "}");
	}
	sn_buf_puts(out, ",\"id\":");
	sn_buf_put(out, idv.p, idv.n);
	sn_buf_puts(out, "}");
	sn_buf_free(&result);
	return v2 ? 200 : status;
}

static void
serve(const struct sn_req *req, struct sn_resp *resp)
{
	struct sn_json root, el;
	size_t n;

	if (!authorized(req->auth)) {
		char ts[40];
		sn_log_line(
		    "%s ThreadRPCServer incorrect password attempt from "
		    "127.0.0.1",
		    now_ts(ts));
		resp->status = 401;
		snprintf(resp->headers, sizeof(resp->headers),
		         "WWW-Authenticate: Basic realm=\"jsonrpc\"\r\n");
		return;
	}
	if (strcmp(req->method, "POST") != 0) {
		resp->status = 405;
		resp->ctype = "text/html";
		sn_buf_puts(&resp->body,
		            "JSONRPC server handles only POST requests");
		return;
	}
	resp->ctype = "application/json";
	if (sn_json_parse(req->body, req->body_len, &root) < 0) {
		resp->status = 500;
		sn_buf_puts(&resp->body,
		            "{\"result\":null,\"error\":{\"code\":-32700,"
		            "\"message\":\"Parse error\"},\"id\":null}");
		return;
	}
	if (sn_json_type(root) != SN_J_ARR) {
		resp->status = one(root, &resp->body);
		if (resp->status == 204)
			resp->ctype = NULL;
		return;
	}
	n = sn_json_count(root);
	if (n > MAX_BATCH) {
		resp->status = 400;
		sn_buf_puts(&resp->body,
		            "{\"result\":null,\"error\":{\"code\":-32600,"
		            "\"message\":\"Batch too large\"},\"id\":null}");
		return;
	}
	sn_buf_puts(&resp->body, "[");
	for (size_t i = 0; i < n; i++) {
		size_t mark = resp->body.len;
		sn_json_index(root, i, &el);
		if (resp->body.len > 1)
			sn_buf_puts(&resp->body, ",");
		if (one(el, &resp->body) == 204)
			resp->body.len = mark; /* notification: no entry */
	}
	sn_buf_puts(&resp->body, "]");
}

static void
log_block(uint64_t h)
{
	char ts[40], date[40], hash[65];
	uint64_t tip = sn_tip_now();

	sn_fmt_time(sn_wall_ms(), SN_TS_BITCOIN, ts, sizeof(ts));
	sn_fmt_time(sn_block_time_ms(h), SN_TS_BITCOIN, date, sizeof(date));
	sn_block_hash_hex(h, false, hash);
	sn_log_line("%s UpdateTip: new best=%s height=%" PRIu64
	            " version=0x20000000 log2_work=%.6f tx=%" PRIu64
	            " date='%s' progress=%.6f cache=0.3MiB(1txo)",
	            ts, hash, h, log2((double)h + 1.0) + 32.0, h + 1, date,
	            tip > 0 && h < tip ? (double)h / (double)tip : 1.0);
}

const struct sn_flavour_ops sn_bitcoin_ops = {
    .name = "bitcoin",
    .default_port = 8332,
    .default_network = "main",
    .serve = serve,
    .log_block = log_block,
    .init = init,
    .fini = fini,
};
