/*
 * jsonrpc.c: the JSON-RPC 2.0 envelope of the CometBFT, Substrate and
 * Ethereum flavours (single calls and batches), and the REST error body.
 */
#include "tests/simnode/simnode.h"

#include <stdio.h>
#include <string.h>

#define MAX_BATCH 100

void
sn_rpc_seterr(struct sn_rpcerr *err, int code, const char *msg)
{
	err->code = code;
	snprintf(err->message, sizeof(err->message), "%s", msg);
	err->data[0] = '\0';
}

static void
put_error(struct sn_buf *out, const char *id, size_t idlen,
          const struct sn_rpcerr *err)
{
	sn_buf_puts(out, "{\"jsonrpc\":\"2.0\",\"id\":");
	sn_buf_put(out, id, idlen);
	sn_buf_printf(out, ",\"error\":{\"code\":%d,\"message\":", err->code);
	sn_buf_json_str(out, err->message);
	if (err->data[0] != '\0') {
		sn_buf_puts(out, ",\"data\":");
		sn_buf_json_str(out, err->data);
	}
	sn_buf_puts(out, "}}");
}

static void
call_one(struct sn_json req, sn_rpc_method fn, struct sn_buf *out)
{
	struct sn_json idv = {"null", 4}, mv, params = {NULL, 0};
	struct sn_rpcerr err;
	struct sn_buf result = {0};
	char method[128];
	enum sn_jtype pt;

	memset(&err, 0, sizeof(err));
	if (sn_json_type(req) != SN_J_OBJ) {
		sn_rpc_seterr(&err, -32600, "Invalid Request");
		put_error(out, idv.p, idv.n, &err);
		return;
	}
	if (sn_json_member(req, "id", &idv)) {
		enum sn_jtype it = sn_json_type(idv);
		if (it != SN_J_NUM && it != SN_J_STR && it != SN_J_NULL) {
			idv.p = "null";
			idv.n = 4;
			sn_rpc_seterr(&err, -32600, "Invalid Request");
			put_error(out, idv.p, idv.n, &err);
			return;
		}
	}
	if (!sn_json_member(req, "method", &mv) ||
	    sn_json_str(mv, method, sizeof(method)) < 0) {
		sn_rpc_seterr(&err, -32600, "Invalid Request");
		put_error(out, idv.p, idv.n, &err);
		return;
	}
	if (sn_json_member(req, "params", &params)) {
		pt = sn_json_type(params);
		if (pt == SN_J_NULL) {
			params.p = NULL;
			params.n = 0;
		} else if (pt != SN_J_ARR && pt != SN_J_OBJ) {
			sn_rpc_seterr(&err, -32602, "Invalid params");
			put_error(out, idv.p, idv.n, &err);
			return;
		}
	}
	if (fn(method, params, &result, &err) < 0) {
		put_error(out, idv.p, idv.n, &err);
	} else {
		sn_buf_puts(out, "{\"jsonrpc\":\"2.0\",\"id\":");
		sn_buf_put(out, idv.p, idv.n);
		sn_buf_puts(out, ",\"result\":");
		sn_buf_put(out, result.p ? result.p : "null",
		           result.p ? result.len : 4);
		sn_buf_puts(out, "}");
	}
	sn_buf_free(&result);
}

void
sn_jsonrpc_serve(const struct sn_req *req, struct sn_resp *resp,
                 sn_rpc_method fn, int parse_status)
{
	struct sn_json root, el;
	struct sn_rpcerr err;
	size_t n;

	resp->ctype = "application/json";
	if (sn_json_parse(req->body, req->body_len, &root) < 0) {
		sn_rpc_seterr(&err, -32700, "Parse error");
		put_error(&resp->body, "null", 4, &err);
		resp->status = parse_status;
		return;
	}
	if (sn_json_type(root) != SN_J_ARR) {
		call_one(root, fn, &resp->body);
		return;
	}
	n = sn_json_count(root);
	if (n == 0 || n > MAX_BATCH) {
		sn_rpc_seterr(&err, -32600, "Invalid Request");
		put_error(&resp->body, "null", 4, &err);
		return;
	}
	sn_buf_puts(&resp->body, "[");
	for (size_t i = 0; i < n; i++) {
		sn_json_index(root, i, &el);
		if (i > 0)
			sn_buf_puts(&resp->body, ",");
		call_one(el, fn, &resp->body);
	}
	sn_buf_puts(&resp->body, "]");
}

void
sn_rest_error(struct sn_resp *resp, int status, const char *msg)
{
	resp->status = status;
	resp->ctype = "application/json";
	sn_buf_reset(&resp->body);
	sn_buf_printf(&resp->body, "{\"code\":%d,\"message\":", status);
	sn_buf_json_str(&resp->body, msg);
	sn_buf_puts(&resp->body, "}");
}
