/*
 * probe_bitcoin.c: Bitcoin Core JSON-RPC 1.0 (protocols.md section 4).
 * Auth is rpcuser/rpcpassword or the node's .cookie file, which the node
 * rewrites on every start: after a 401 the cookie is read again and the
 * request retried once.
 */
#include "pilot/probe_int.h"
#include "pilot/probe_parse.h"

#include "common/fileio.h"
#include "common/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define COOKIE_USER     "__cookie__"
#define COOKIE_FILE_MAX 512

static const cJSON *
rpc_parse(const char *buf, size_t len, const char *what, cJSON **root,
          struct probe_result *r)
{
	const cJSON *res;

	if ((*root = pj_parse(buf, len, PROBE_PARSE_MAX, what, r)) == NULL)
		return NULL;
	if ((res = pj_rpc_result(*root, what, r, NULL)) == NULL)
		return NULL;
	if (!cJSON_IsObject(res)) {
		probe_seterr(r, "%s: result not an object", what);
		return NULL;
	}
	return res;
}

int
probe_parse_bitcoin_blockchaininfo(const char *buf, size_t len,
                                   struct probe_result *r)
{
	static const char *what = "getblockchaininfo";
	const cJSON *res;
	cJSON *root = NULL;
	uint64_t blocks, headers;
	bool ibd;
	char hash[PROTO_HASH_MAX];
	int rc = -1;

	if ((res = rpc_parse(buf, len, what, &root, r)) == NULL)
		goto out;
	if (pj_uint_number(res, "blocks", &blocks, what, r) != 0 ||
	    pj_uint_number(res, "headers", &headers, what, r) != 0 ||
	    pj_bool(res, "initialblockdownload", &ibd, what, r) != 0 ||
	    pj_hash(res, "bestblockhash", hash, sizeof(hash), what, r) != 0)
		goto out;
	r->height = blocks;
	r->highest = headers;
	r->syncing = ibd;
	memcpy(r->tip_hash, hash, sizeof(hash));
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

int
probe_parse_bitcoin_networkinfo(const char *buf, size_t len,
                                struct probe_result *r)
{
	static const char *what = "getnetworkinfo";
	const cJSON *res;
	cJSON *root = NULL;
	uint64_t n;
	int rc = -1;

	if ((res = rpc_parse(buf, len, what, &root, r)) == NULL)
		goto out;
	if (pj_uint_number(res, "connections", &n, what, r) != 0)
		goto out;
	if (n > UINT32_MAX) {
		probe_seterr(r, "%s: connections out of range", what);
		goto out;
	}
	r->peers = (uint32_t)n;
	r->peers_known = true;
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

int
probe_parse_bitcoin_cookie(const char *buf, size_t len, char *user,
                           size_t userlen, char *password, size_t passlen,
                           char *err, size_t errlen)
{
	static const char prefix[] = COOKIE_USER ":";
	const char *pw;
	size_t n;

	/* The node writes no newline, but an operator's copy may have one. */
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len < sizeof(prefix) ||
	    memcmp(buf, prefix, sizeof(prefix) - 1) != 0) {
		snprintf(err, errlen, "cookie does not start with \"%s\"",
		         prefix);
		return -1;
	}
	pw = buf + sizeof(prefix) - 1;
	n = len - (sizeof(prefix) - 1);
	/* 32 random bytes in hex since 0.17; allow some room either way. */
	if (n < 16 || n > 128 || !pj_is_hex(pw, n) ||
	    (n >= 2 && pw[0] == '0' && (pw[1] == 'x' || pw[1] == 'X'))) {
		snprintf(err, errlen, "cookie secret is not 16-128 hex digits");
		return -1;
	}
	if (userlen < sizeof(COOKIE_USER) || passlen <= n) {
		snprintf(err, errlen, "cookie too long");
		return -1;
	}
	memcpy(user, COOKIE_USER, sizeof(COOKIE_USER));
	memcpy(password, pw, n);
	password[n] = '\0';
	return 0;
}

struct creds {
	char user[64];
	char password[160];
	bool set;
};

/* Fill c from the target: the cookie file when one is named, else the
 * configured user and password.  0, or -1 with r->error set. */
static int
load_creds(const struct probe_target *t, struct creds *c,
           struct probe_result *r)
{
	char err[96], *buf = NULL;
	size_t len = 0;
	int rc;

	sodium_memzero(c, sizeof(*c));
	if (t->cookie_file[0] == '\0') {
		if (t->user[0] == '\0')
			return 0;
		util_strlcpy(c->user, t->user, sizeof(c->user));
		util_strlcpy(c->password, t->password, sizeof(c->password));
		c->set = true;
		return 0;
	}
	if ((rc = file_read_all(t->cookie_file, COOKIE_FILE_MAX, &buf, &len)) !=
	    0) {
		probe_seterr(r, "cookie %s: %s", t->cookie_file, strerror(-rc));
		return -1;
	}
	rc = probe_parse_bitcoin_cookie(buf, len, c->user, sizeof(c->user),
	                                c->password, sizeof(c->password), err,
	                                sizeof(err));
	sodium_memzero(buf, len);
	free(buf);
	if (rc != 0) {
		probe_seterr(r, "cookie %s: %s", t->cookie_file, err);
		return -1;
	}
	c->set = true;
	return 0;
}

static int
bitcoin_call(const struct probe_target *t, struct creds *c, const char *method,
             struct http_resp *resp, struct probe_result *r)
{
	int rc;

	rc = probe_jsonrpc(t, "1.0", method, NULL, c->set ? c->user : NULL,
	                   c->password, resp, r);
	if (rc == 0 || resp->status != 401)
		return rc;
	if (t->cookie_file[0] == '\0') {
		probe_seterr(r, "%s: HTTP 401 (check rpcuser/rpcpassword)",
		             method);
		return -1;
	}
	/* The node restarted and wrote a new cookie: read it again. */
	http_resp_free(resp);
	if (load_creds(t, c, r) != 0)
		return -1;
	rc = probe_jsonrpc(t, "1.0", method, NULL, c->user, c->password, resp,
	                   r);
	if (rc != 0 && resp->status == 401)
		probe_seterr(r, "%s: HTTP 401 with a fresh cookie from %s",
		             method, t->cookie_file);
	return rc;
}

static int
bitcoin_probe(const struct probe_target *t, struct probe_result *r)
{
	struct http_resp resp;
	struct creds c;
	int rc;

	if (load_creds(t, &c, r) != 0)
		return -1;
	rc = bitcoin_call(t, &c, "getblockchaininfo", &resp, r);
	if (rc == 0)
		rc = probe_parse_bitcoin_blockchaininfo(resp.body, resp.len, r);
	if (rc == 0)
		rc = probe_check_status(&resp, "getblockchaininfo", r);
	http_resp_free(&resp);
	if (rc != 0)
		goto out;

	if (t->height_only) {
		r->peers_known = false;
		r->error[0] = '\0';
		goto out;
	}
	if (bitcoin_call(t, &c, "getnetworkinfo", &resp, r) != 0 ||
	    probe_parse_bitcoin_networkinfo(resp.body, resp.len, r) != 0 ||
	    probe_check_status(&resp, "getnetworkinfo", r) != 0)
		r->peers_known = false;
	http_resp_free(&resp);
	r->error[0] = '\0';
out:
	sodium_memzero(&c, sizeof(c));
	return rc == 0 ? 0 : -1;
}

const struct probe_ops probe_bitcoin_ops = {
    .chain = CHAIN_BITCOIN,
    .name = "bitcoin",
    .probe = bitcoin_probe,
};
