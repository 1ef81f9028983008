/*
 * etcd_test: the bounded parsers of the etcd v3 JSON gateway's replies
 * (commander/etcd.h), with replies captured from etcd 3.4 and malformed,
 * truncated, oversized and hostile ones; and the request helpers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commander/etcd.h"
#include "tests/test.h"

#define S(x) x, strlen(x)

/* captured from etcd 3.4.23 */
static const char grant_ok[] =
    "{\"header\":{\"cluster_id\":\"15118495548433857066\",\"member_id\":"
    "\"13668033151171901709\",\"revision\":\"1\",\"raft_term\":\"2\"},"
    "\"ID\":\"4111120160691128581\",\"TTL\":\"2\"}";
static const char ka_ok[] =
    "{\"result\":{\"header\":{\"cluster_id\":\"15118495548433857066\","
    "\"member_id\":\"13668033151171901709\",\"revision\":\"1\","
    "\"raft_term\":\"2\"},\"ID\":\"4111120160691128583\",\"TTL\":\"2\"}}\n";
static const char ka_gone[] =
    "{\"result\":{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\","
    "\"revision\":\"1\",\"raft_term\":\"2\"},\"ID\":\"12345\"}}";
static const char txn_won[] =
    "{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\",\"revision\":"
    "\"2\",\"raft_term\":\"2\"},\"succeeded\":true,\"responses\":[{"
    "\"response_put\":{\"header\":{\"revision\":\"2\"}}}]}";
static const char txn_lost[] =
    "{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\",\"revision\":"
    "\"2\",\"raft_term\":\"2\"},\"responses\":[{\"response_range\":{"
    "\"header\":{\"revision\":\"2\"},\"kvs\":[{\"key\":\"Zm9v\","
    "\"create_revision\":\"2\",\"mod_revision\":\"2\",\"version\":\"1\","
    "\"value\":\"YmFy\",\"lease\":\"7\"}],\"count\":\"1\"}}]}";
static const char range_empty[] =
    "{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\",\"revision\":"
    "\"3\",\"raft_term\":\"2\"}}";

static void
grant(void)
{
	int64_t id, ttl;

	CHECK_EQ_INT(etcd_parse_grant(S(grant_ok), &id, &ttl), 0);
	CHECK(id == 4111120160691128581LL);
	CHECK_EQ_INT(ttl, 2);
	/* numbers, not strings: accepted when exact */
	CHECK_EQ_INT(etcd_parse_grant(S("{\"ID\":7,\"TTL\":5}"), &id, &ttl), 0);
	CHECK(id == 7 && ttl == 5);
	/* an error field, a zero id, no TTL */
	CHECK_EQ_INT(etcd_parse_grant(S("{\"ID\":\"7\",\"TTL\":\"5\","
	                                "\"error\":\"too many\"}"),
	                              &id, &ttl),
	             -EINVAL);
	CHECK(id == 0 && ttl == 0);
	CHECK_EQ_INT(etcd_parse_grant(S("{\"TTL\":\"5\"}"), &id, &ttl),
	             -EINVAL);
	CHECK_EQ_INT(etcd_parse_grant(S("{\"ID\":\"7\"}"), &id, &ttl), -EINVAL);
	CHECK_EQ_INT(
	    etcd_parse_grant(S("{\"ID\":\"7\",\"TTL\":\"-1\"}"), &id, &ttl),
	    -EINVAL);
}

static void
keepalive(void)
{
	int64_t id, ttl;

	CHECK_EQ_INT(etcd_parse_keepalive(S(ka_ok), &id, &ttl), 0);
	CHECK(id == 4111120160691128583LL && ttl == 2);
	/* TTL omitted: the lease is gone */
	CHECK_EQ_INT(etcd_parse_keepalive(S(ka_gone), &id, &ttl), 0);
	CHECK(id == 12345 && ttl == 0);
	CHECK_EQ_INT(
	    etcd_parse_keepalive(
	        S("{\"result\":{\"ID\":\"1\",\"TTL\":\"-1\"}}"), &id, &ttl),
	    0);
	CHECK_EQ_INT(ttl, 0);
	/* a stream: only the first line counts, the rest may be cut */
	CHECK_EQ_INT(
	    etcd_parse_keepalive(
	        S("{\"result\":{\"ID\":\"1\",\"TTL\":\"9\"}}\n{\"resu"), &id,
	        &ttl),
	    0);
	CHECK(id == 1 && ttl == 9);
	/* unwrapped (a gateway that does not wrap) */
	CHECK_EQ_INT(
	    etcd_parse_keepalive(S("{\"ID\":\"1\",\"TTL\":\"9\"}"), &id, &ttl),
	    0);
	CHECK_EQ_INT(ttl, 9);
	CHECK_EQ_INT(etcd_parse_keepalive(
	                 S("{\"error\":{\"grpc_code\":5,\"message\":\"x\"}}"),
	                 &id, &ttl),
	             -EINVAL);
	CHECK_EQ_INT(etcd_parse_keepalive(S("{\"result\":[1]}"), &id, &ttl),
	             -EINVAL);
	CHECK_EQ_INT(
	    etcd_parse_keepalive(S("{\"result\":{\"TTL\":true}}"), &id, &ttl),
	    -EINVAL);
	CHECK(id == 0 && ttl == 0);
}

static void
txn(void)
{
	struct etcd_kv kv;
	bool ok, have;
	int64_t rev;

	CHECK_EQ_INT(etcd_parse_txn(S(txn_won), &ok, &rev, &kv, &have), 0);
	CHECK(ok && rev == 2 && !have);
	/* a failed txn has no "succeeded" */
	CHECK_EQ_INT(etcd_parse_txn(S(txn_lost), &ok, &rev, &kv, &have), 0);
	CHECK(!ok && rev == 2 && have);
	CHECK_EQ_STR(kv.key, "foo");
	CHECK(kv.vlen == 3 && memcmp(kv.value, "bar", 3) == 0);
	CHECK(kv.create_rev == 2 && kv.mod_rev == 2 && kv.version == 1 &&
	      kv.lease == 7);
	/* the holder's key is gone by the time of the range */
	CHECK_EQ_INT(etcd_parse_txn(S("{\"responses\":[{\"response_range\":"
	                              "{\"header\":{}}}]}"),
	                            &ok, &rev, &kv, &have),
	             0);
	CHECK(!ok && !have);
	CHECK_EQ_INT(
	    etcd_parse_txn(S("{\"succeeded\":\"yes\"}"), &ok, &rev, &kv, &have),
	    -EINVAL);
	CHECK_EQ_INT(etcd_parse_txn(S("{\"succeeded\":true,\"responses\":{}}"),
	                            &ok, &rev, &kv, &have),
	             -EINVAL);
	CHECK(!ok); /* a refusal is never a success */
	/* two kvs for one key asked */
	CHECK_EQ_INT(
	    etcd_parse_txn(S("{\"responses\":[{\"response_range\":{\"kvs\":["
	                     "{\"key\":\"YQ==\"},{\"key\":\"Yg==\"}]}}]}"),
	                   &ok, &rev, &kv, &have),
	    -EMSGSIZE);
	CHECK(!have);
}

static void
range(void)
{
	struct etcd_kv kvs[2];
	int64_t rev;
	size_t n;

	CHECK_EQ_INT(etcd_parse_range(S(range_empty), kvs, 2, &n, &rev), 0);
	CHECK(n == 0 && rev == 3);
	CHECK_EQ_INT(etcd_parse_range(S("{\"kvs\":[{\"key\":\"YQ==\",\"value\":"
	                                "\"eA==\"},{\"key\":\"Yg==\"}]}"),
	                              kvs, 2, &n, &rev),
	             0);
	CHECK(n == 2 && strcmp(kvs[0].key, "a") == 0 &&
	      strcmp(kvs[1].key, "b") == 0 && kvs[1].vlen == 0);
	/* more than room for */
	CHECK_EQ_INT(etcd_parse_range(
	                 S("{\"kvs\":[{\"key\":\"YQ==\"},{\"key\":\"Yg==\"},"
	                   "{\"key\":\"Yw==\"}]}"),
	                 kvs, 2, &n, &rev),
	             -EMSGSIZE);
	CHECK(n == 0);
	CHECK_EQ_INT(etcd_parse_header(S(range_empty), &rev), 0);
	CHECK_EQ_INT(rev, 3);
}

/* Malformed, truncated, hostile: refused, never half-read. */
static void
hostile(void)
{
	static const char *bad[] = {
	    "",
	    "null",
	    "[]",
	    "\"x\"",
	    "{",
	    "{\"kvs\":",
	    "{\"kvs\":{}}",
	    "{\"kvs\":[1]}",
	    "{\"kvs\":[{}]}",                 /* no key */
	    "{\"kvs\":[{\"key\":\"!!!!\"}]}", /* not base64 */
	    "{\"kvs\":[{\"key\":\"YQBi\"}]}", /* "a\0b" */
	    "{\"kvs\":[{\"key\":7}]}",        /* not a string */
	    "{\"kvs\":[{\"key\":\"YQ==\",\"version\":\"-1\"}]}",
	    "{\"kvs\":[{\"key\":\"YQ==\",\"mod_revision\":\"1e3\"}]}",
	    "{\"kvs\":[{\"key\":\"YQ==\",\"lease\":\"99999999999999999999\"}]}",
	    "{\"kvs\":[{\"key\":\"YQ==\",\"lease\":1.5}]}",
	    "{\"kvs\":[{\"key\":\"YQ==\",\"lease\":1e300}]}",
	    "{\"header\":[]}",
	    "{\"header\":{\"revision\":{}}}",
	};
	struct etcd_kv kvs[4];
	int64_t rev, id, ttl;
	size_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = etcd_parse_range(S(bad[i]), kvs, 4, &n, &rev);

		CHECKF(rc != 0 && n == 0 && rev == 0, "row %zu '%s': %d", i,
		       bad[i], rc);
		CHECKF(etcd_parse_grant(S(bad[i]), &id, &ttl) != 0, "row %zu",
		       i);
	}
	/* truncations of a good reply never parse as something else */
	for (size_t l = 0; l + 1 < sizeof(txn_lost) - 1; l++) {
		struct etcd_kv kv;
		bool ok, have;
		int rc = etcd_parse_txn(txn_lost, l, &ok, &rev, &kv, &have);

		CHECKF(rc != 0 && !ok && !have, "cut at %zu: %d", l, rc);
	}
	/* a key longer than ours, a value over the bound, a huge reply */
	{
		size_t big = ETCD_VAL_MAX * 2;
		char *b = malloc(big * 2 + 64), *p;

		p = b + sprintf(b, "{\"kvs\":[{\"key\":\"");
		for (size_t i = 0; i < ETCD_KEY_MAX * 4 / 3 + 8; i++)
			*p++ = 'Q';
		strcpy(p, "\"}]}");
		CHECK(etcd_parse_range(b, strlen(b), kvs, 4, &n, &rev) ==
		      -EMSGSIZE);
		p = b + sprintf(b, "{\"kvs\":[{\"key\":\"YQ==\",\"value\":\"");
		for (size_t i = 0; i < big; i++)
			*p++ = 'Q';
		strcpy(p, "\"}]}");
		CHECK(etcd_parse_range(b, strlen(b), kvs, 4, &n, &rev) ==
		      -EMSGSIZE);
		free(b);
		b = calloc(1, ETCD_REPLY_MAX + 2);
		memset(b, ' ', ETCD_REPLY_MAX + 1);
		b[0] = '{';
		b[ETCD_REPLY_MAX] = '}';
		CHECK(etcd_parse_header(b, ETCD_REPLY_MAX + 1, &rev) ==
		      -EMSGSIZE);
		/* deep nesting */
		memset(b, '[', 100000);
		b[100000] = '\0';
		CHECK(etcd_parse_header(b, 100000, &rev) == -EINVAL);
		free(b);
	}
	CHECK(etcd_parse_header(NULL, 0, &rev) != 0);
}

static void
client_init(void)
{
	const char *eps[] = {"http://127.0.0.1:2379/", "http://10.0.0.2:2379"};
	const char *none[] = {""};
	struct etcd c;
	char b[16];

	CHECK_EQ_INT(etcd_init(&c, eps, 2, 0), 0);
	CHECK_EQ_STR(c.ep[0], "http://127.0.0.1:2379");
	CHECK(c.nep == 2 && c.timeout_ms > 0);
	CHECK_EQ_INT(etcd_init(&c, eps, 0, 0), -EINVAL);
	CHECK_EQ_INT(etcd_init(&c, none, 1, 0), -EINVAL);
	CHECK_EQ_INT(etcd_b64("foo", 3, b, sizeof(b)), 0);
	CHECK_EQ_STR(b, "Zm9v");
	CHECK_EQ_INT(etcd_b64("foofoofoofoofoo", 15, b, sizeof(b)), -ENOSPC);
}

/* Nothing listens: every call fails cleanly after trying each endpoint. */
static void
client_unreachable(void)
{
	const char *eps[] = {"http://127.0.0.1:1", "http://127.0.0.1:2"};
	struct etcd c;
	char err[256];
	int64_t id, ttl;
	bool won, have;
	struct etcd_kv *kv = malloc(sizeof(*kv));
	int64_t rev;

	etcd_init(&c, eps, 2, 300);
	CHECK_EQ_INT(etcd_lease_grant(&c, 2, &id, &ttl, err, sizeof(err)),
	             -EIO);
	CHECK(strstr(err, "127.0.0.1:") != NULL);
	CHECK_EQ_INT(etcd_campaign(&c, "/x/leader", "c1", 7, &won, &rev, kv,
	                           &have, err, sizeof(err)),
	             -EIO);
	CHECK(!won);
	CHECK_EQ_INT(etcd_put_fenced(&c, "/x/leader", "c1", 0, "/x/k", "v", 1,
	                             &won, err, sizeof(err)),
	             -EINVAL); /* no fence revision: refused before I/O */
	free(kv);
}

int
main(void)
{
	RUN(grant);
	RUN(keepalive);
	RUN(txn);
	RUN(range);
	RUN(hostile);
	RUN(client_init);
	RUN(client_unreachable);
	return TEST_END();
}
