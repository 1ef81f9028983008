/*
 * probe_substrate.c: Substrate / Polkadot SDK / Aleph Zero JSON-RPC
 * (protocols.md section 3).  Health and sync state are JSON numbers; a
 * header's number is a "0x" hex string (some light clients send a plain
 * number, also accepted).
 */
#include "pilot/probe_int.h"
#include "pilot/probe_parse.h"

#include "common/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A block hash is 32 bytes: "0x" and 64 hex digits. */
#define SUBSTRATE_HASH_LEN 66

/* Parse buf as a JSON-RPC reply and hand back its result (or NULL). */
static const cJSON *
rpc_parse(const char *buf, size_t len, const char *what, cJSON **root,
          struct probe_result *r)
{
	const cJSON *res;

	if ((*root = pj_parse(buf, len, PROBE_PARSE_MAX, what, r)) == NULL)
		return NULL;
	if ((res = pj_rpc_result(*root, what, r, NULL)) == NULL)
		return NULL;
	return res;
}

int
probe_parse_substrate_health(const char *buf, size_t len,
                             struct probe_result *r)
{
	static const char *what = "system_health";
	const cJSON *res;
	cJSON *root = NULL;
	uint64_t peers;
	bool syncing;
	int rc = -1;

	if ((res = rpc_parse(buf, len, what, &root, r)) == NULL)
		goto out;
	if (!cJSON_IsObject(res)) {
		probe_seterr(r, "%s: result not an object", what);
		goto out;
	}
	if (pj_uint_number(res, "peers", &peers, what, r) != 0 ||
	    pj_bool(res, "isSyncing", &syncing, what, r) != 0)
		goto out;
	if (peers > UINT32_MAX) {
		probe_seterr(r, "%s: peers out of range", what);
		goto out;
	}
	r->peers = (uint32_t)peers;
	r->peers_known = true;
	r->syncing = syncing;
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

int
probe_parse_substrate_sync_state(const char *buf, size_t len, uint64_t *current,
                                 uint64_t *highest, struct probe_result *r)
{
	static const char *what = "system_syncState";
	const cJSON *res, *hb;
	cJSON *root = NULL;
	uint64_t cur, hi = 0;
	int rc = -1;

	if ((res = rpc_parse(buf, len, what, &root, r)) == NULL)
		goto out;
	if (!cJSON_IsObject(res)) {
		probe_seterr(r, "%s: result not an object", what);
		goto out;
	}
	if (pj_uint_number(res, "currentBlock", &cur, what, r) != 0)
		goto out;
	/* highestBlock is an Option: null or absent when no peer told one. */
	hb = cJSON_GetObjectItemCaseSensitive(res, "highestBlock");
	if (hb != NULL && !cJSON_IsNull(hb) &&
	    pj_uint_item(hb, "highestBlock", &hi, what, r) != 0)
		goto out;
	*current = cur;
	*highest = hi;
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

int
probe_parse_substrate_header(const char *buf, size_t len, uint64_t *number,
                             struct probe_result *r)
{
	static const char *what = "chain_getHeader";
	const cJSON *res, *num;
	cJSON *root = NULL;
	uint64_t n;
	int rc = -1;

	if ((res = rpc_parse(buf, len, what, &root, r)) == NULL)
		goto out;
	if (cJSON_IsNull(res)) {
		probe_seterr(r, "%s: no such block", what);
		goto out;
	}
	if (!cJSON_IsObject(res)) {
		probe_seterr(r, "%s: result not an object", what);
		goto out;
	}
	num = cJSON_GetObjectItemCaseSensitive(res, "number");
	if (cJSON_IsNumber(num)) {
		if (pj_uint_item(num, "number", &n, what, r) != 0)
			goto out;
	} else if (pj_hex_string(res, "number", &n, what, r) != 0) {
		goto out;
	}
	*number = n;
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

int
probe_parse_substrate_finalized_head(const char *buf, size_t len, char *hash,
                                     size_t hashlen, struct probe_result *r)
{
	static const char *what = "chain_getFinalizedHead";
	const cJSON *res;
	cJSON *root = NULL;
	char q[48];
	size_t n;
	int rc = -1;

	if ((res = rpc_parse(buf, len, what, &root, r)) == NULL)
		goto out;
	if (!cJSON_IsString(res)) {
		probe_seterr(r, "%s: result not a string", what);
		goto out;
	}
	n = strlen(res->valuestring);
	if (n != SUBSTRATE_HASH_LEN ||
	    strncmp(res->valuestring, "0x", 2) != 0 ||
	    !pj_is_hex(res->valuestring, n)) {
		probe_seterr(r, "%s: not a 0x block hash: \"%s\"", what,
		             pj_quote(q, res->valuestring, n));
		goto out;
	}
	if (n >= hashlen) {
		probe_seterr(r, "%s: hash buffer too small", what);
		goto out;
	}
	memcpy(hash, res->valuestring, n + 1);
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

/* One JSON-RPC 2.0 call, parsed by fn. */
#define CALL(method, params, parse_expr)                                       \
	(probe_jsonrpc(t, "2.0", method, params, NULL, NULL, &resp, r) == 0 && \
	 (parse_expr) == 0 && probe_check_status(&resp, method, r) == 0)

static int
substrate_probe(const struct probe_target *t, struct probe_result *r)
{
	struct http_resp resp;
	uint64_t number = 0, cur = 0, hi = 0, fin = 0;
	char hash[SUBSTRATE_HASH_LEN + 1], params[96];
	bool ok;

	ok = CALL("system_health", NULL,
	          probe_parse_substrate_health(resp.body, resp.len, r));
	http_resp_free(&resp);
	if (!ok)
		return -1;
	ok =
	    CALL("chain_getHeader", NULL,
	         probe_parse_substrate_header(resp.body, resp.len, &number, r));
	http_resp_free(&resp);
	if (!ok)
		return -1;
	r->height = number;

	/* The rest is extra: a node that lacks it is still up. */
	if (t->height_only) {
		r->error[0] = '\0';
		return 0;
	}
	ok = CALL("system_syncState", NULL,
	          probe_parse_substrate_sync_state(resp.body, resp.len, &cur,
	                                           &hi, r));
	http_resp_free(&resp);
	if (ok)
		r->highest = hi;
	/* A node that just timed out once would make each further call
	 * wait the full timeout too: what we have is the answer. */
	if (!ok && strstr(r->error, "timeout after") != NULL) {
		r->error[0] = '\0';
		return 0;
	}
	ok = CALL("chain_getFinalizedHead", NULL,
	          probe_parse_substrate_finalized_head(resp.body, resp.len,
	                                               hash, sizeof(hash), r));
	http_resp_free(&resp);
	if (ok) {
		snprintf(params, sizeof(params), "[\"%s\"]", hash);
		ok = CALL(
		    "chain_getHeader", params,
		    probe_parse_substrate_header(resp.body, resp.len, &fin, r));
		http_resp_free(&resp);
		if (ok)
			r->finalized = fin;
	}
	r->error[0] = '\0';
	return 0;
}

const struct probe_ops probe_substrate_ops = {
    .chain = CHAIN_SUBSTRATE,
    .name = "substrate",
    .probe = substrate_probe,
};
