/* simnode_parse_test: simnode's own parsers (JSON reader, HTTP request
 * parser, query strings) with valid, truncated, oversized, malformed and
 * random input, and its SHA-256 and base64 against published vectors.
 * Built by mk/simnode.mk against the simnode sources, not the sextant
 * libraries. */
#include <stdint.h>
#include <stdlib.h>

#include "tests/simnode/hash.h"
#include "tests/simnode/http.h"
#include "tests/simnode/json.h"
#include "tests/test.h"

static int
parse(const char *s, struct sn_json *root)
{
	return sn_json_parse(s, strlen(s), root);
}

static void
test_json_valid_and_invalid(void)
{
	static const struct {
		const char *s;
		int rc;
	} rows[] = {
	    {"{}", 0},
	    {" [ ] ", 0},
	    {"{\"a\":[1,2,{\"b\":null}],\"c\":\"x\\u00e9\\n\"}", 0},
	    {"-0.5e+10", 0},
	    {"true", 0},
	    {"\"\\ud83d\\ude00\"", 0},
	    {"", -1},
	    {"   ", -1},
	    {"{", -1},
	    {"{\"a\"}", -1},
	    {"{\"a\":}", -1},
	    {"{\"a\":1,}", -1},
	    {"[1,]", -1},
	    {"[1 2]", -1},
	    {"01", -1},
	    {"1.", -1},
	    {"1e", -1},
	    {"-", -1},
	    {"tru", -1},
	    {"nul", -1},
	    {"\"abc", -1},
	    {"\"a\\x\"", -1},
	    {"\"\\u12g4\"", -1},
	    {"\"tab\there\"", -1},
	    {"{} {}", -1},
	    {"{'a':1}", -1},
	    {"[1]x", -1},
	};
	struct sn_json root;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECKF(parse(rows[i].s, &root) == rows[i].rc, "row %zu: %s", i,
		       rows[i].s);
}

static void
test_json_depth_limit(void)
{
	char buf[256];
	struct sn_json root;
	int n;

	for (n = 0; n <= SN_JSON_DEPTH; n++)
		buf[n] = '[';
	for (int i = 0; i <= SN_JSON_DEPTH; i++)
		buf[n + i] = ']';
	buf[2 * n] = '\0';
	CHECK(parse(buf, &root) == 0); /* depth 0..32 */
	memmove(buf + 1, buf, strlen(buf) + 1);
	buf[0] = '[';
	strcat(buf, "]");
	CHECK(parse(buf, &root) == -1); /* one more */
}

static void
test_json_truncations(void)
{
	const char *doc = "{\"jsonrpc\":\"2.0\",\"id\":[1,{\"x\":-2.5e3}],"
	                  "\"method\":\"a\\\"b\",\"params\":{\"h\":\"0x1f\"}}";
	size_t n = strlen(doc);
	struct sn_json root;

	CHECK(sn_json_parse(doc, n, &root) == 0);
	/* Every strict prefix is an incomplete document. */
	for (size_t k = 0; k < n; k++)
		CHECKF(sn_json_parse(doc, k, &root) == -1, "prefix %zu", k);
}

static void
test_json_accessors(void)
{
	const char *doc = "{\"idx\":1,\"id\":\"q\",\"params\":[\"7\",8,"
	                  "\"0x10\",-1,18446744073709551616,true],"
	                  "\"s\":\"a\\u0000b\",\"t\":\"\\u00e9\\ud83d\\ude00\","
	                  "\"nested\":{\"id\":5}}";
	struct sn_json root, v, p;
	uint64_t u = 0;
	bool b;
	char buf[16];

	CHECK(parse(doc, &root) == 0);
	/* "id" must not match "idx" nor the nested "id" */
	CHECK(sn_json_member(root, "id", &v));
	CHECK(sn_json_str(v, buf, sizeof(buf)) == 0);
	CHECK_EQ_STR(buf, "q");
	CHECK(!sn_json_member(root, "missing", &v));
	CHECK(sn_json_member(root, "params", &p));
	CHECK_EQ_INT(sn_json_count(p), 6);
	CHECK(sn_json_index(p, 0, &v) && sn_json_u64(v, false, &u) == 0);
	CHECK_EQ_INT(u, 7);
	CHECK(sn_json_index(p, 1, &v) && sn_json_u64(v, false, &u) == 0);
	CHECK_EQ_INT(u, 8);
	CHECK(sn_json_index(p, 2, &v) && sn_json_u64(v, true, &u) == 0);
	CHECK_EQ_INT(u, 16);
	CHECK(sn_json_u64(v, false, &u) == -1); /* hex only when asked */
	CHECK(sn_json_index(p, 3, &v) && sn_json_u64(v, false, &u) == -1);
	CHECK(sn_json_index(p, 4, &v) && sn_json_u64(v, false, &u) == -1);
	CHECK(sn_json_index(p, 5, &v) && sn_json_bool(v, &b) == 0 && b);
	CHECK(!sn_json_index(p, 6, &v));
	CHECK(sn_json_member(root, "s", &v));
	CHECK(sn_json_str(v, buf, sizeof(buf)) == -1); /* embedded NUL */
	CHECK(sn_json_member(root, "t", &v));
	CHECK(sn_json_str(v, buf, sizeof(buf)) == 0);
	CHECK_EQ_STR(buf, "\xc3\xa9\xf0\x9f\x98\x80");
	CHECK(sn_json_str(v, buf, 6) == -1);        /* does not fit */
	CHECK(sn_json_index(root, 0, &v) == false); /* not an array */
}

static void
test_json_random(void)
{
	const char alphabet[] = "{}[]\",:0123456789-+.eEtrufalsn \\u";
	char buf[64];
	struct sn_json root, v;
	unsigned seed = 1;

	/* Whatever comes in, the reader ends and the accessors stay inside
	 * the span (checked by ASan in `make asan`). */
	for (int i = 0; i < 200000; i++) {
		size_t n = (size_t)(rand_r(&seed) % (int)sizeof(buf));
		for (size_t k = 0; k < n; k++)
			buf[k] = alphabet[rand_r(&seed) %
			                  (int)(sizeof(alphabet) - 1)];
		if (sn_json_parse(buf, n, &root) == 0) {
			sn_json_member(root, "a", &v);
			sn_json_index(root, 1, &v);
			sn_json_count(root);
		}
	}
	CHECK(1);
}

static int
hparse(const char *s, struct sn_req *req, size_t *used)
{
	return sn_http_parse(s, strlen(s), req, used);
}

static void
test_http_requests(void)
{
	static const struct {
		const char *s;
		int rc;
	} rows[] = {
	    {"GET / HTTP/1.1\r\n\r\n", 1},
	    {"GET /status?x=1 HTTP/1.0\r\nHost: a\r\n\r\n", 1},
	    {"GET / HTTP/1.1\n\n", 1},
	    {"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", 1},
	    {"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{", 0},
	    {"GET / HTTP/1.1\r\nHost: a\r\n", 0},
	    {"GET / HTTP/1.1", 0},
	    {"", 0},
	    {"GET / HTTP/2.0\r\n\r\n", -505},
	    {"GET / FOO/1.1\r\n\r\n", -505},
	    {"GET /\r\n\r\n", -400},
	    {"GET nopath HTTP/1.1\r\n\r\n", -400},
	    {"get / HTTP/1.1\r\n\r\n", -400},
	    {"VERYLONGMETHOD / HTTP/1.1\r\n\r\n", -501},
	    {"GET / HTTP/1.1\r\nNoColonHere\r\n\r\n", -400},
	    {"GET / HTTP/1.1\r\n: empty\r\n\r\n", -400},
	    {"GET / HTTP/1.1\r\n folded\r\n\r\n", -400},
	    {"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n", -400},
	    {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", -400},
	    {"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: "
	     "2\r\n\r\n",
	     -400},
	    {"POST / HTTP/1.1\r\nContent-Length: 65537\r\n\r\n", -413},
	    {"POST / HTTP/1.1\r\nContent-Length: "
	     "99999999999999999999999\r\n\r\n",
	     -413},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", -501},
	};
	struct sn_req req;
	size_t used;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECKF(hparse(rows[i].s, &req, &used) == rows[i].rc,
		       "row %zu: %s", i, rows[i].s);
}

static void
test_http_fields(void)
{
	const char *two =
	    "POST /a/b?height=5&x=%41+b HTTP/1.1\r\n"
	    "Content-Length: 3\r\nConnection: close\r\n"
	    "Authorization: Basic dTpw\r\nExpect: 100-continue\r\n"
	    "\r\nabc"
	    "GET /next HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
	struct sn_req req;
	size_t used = 0;
	char v[32];

	CHECK(hparse(two, &req, &used) == 1);
	CHECK_EQ_STR(req.method, "POST");
	CHECK_EQ_STR(req.path, "/a/b");
	CHECK_EQ_STR(req.query, "height=5&x=%41+b");
	CHECK(!req.keep_alive);
	CHECK(req.expect_continue);
	CHECK_EQ_STR(req.auth, "Basic dTpw");
	CHECK(req.body_len == 3 && memcmp(req.body, "abc", 3) == 0);
	CHECK(sn_query_get(req.query, "x", v, sizeof(v)));
	CHECK_EQ_STR(v, "A b");
	CHECK(sn_query_get(req.query, "height", v, sizeof(v)));
	CHECK_EQ_STR(v, "5");
	CHECK(!sn_query_get(req.query, "heigh", v, sizeof(v)));
	CHECK(!sn_query_get(req.query, "x", v, 3)); /* does not fit */
	CHECK(hparse(two + used, &req, &used) == 1);
	CHECK_EQ_STR(req.path, "/next");
	CHECK(req.http10 && req.keep_alive);
	CHECK(hparse("GET / HTTP/1.0\r\n\r\n", &req, &used) == 1);
	CHECK(!req.keep_alive); /* 1.0 closes unless asked */
	CHECK(hparse("GET / HTTP/1.1\r\n\r\n", &req, &used) == 1);
	CHECK(req.keep_alive);
	CHECK(sn_query_get("a&b=&c=%zz", "a", v, sizeof(v)) && v[0] == '\0');
	CHECK(sn_query_get("a&b=&c=%zz", "b", v, sizeof(v)) && v[0] == '\0');
	CHECK(sn_query_get("a&b=&c=%zz", "c", v, sizeof(v)));
	CHECK_EQ_STR(v, "%zz");
}

static void
test_http_limits(void)
{
	size_t big = SN_MAX_REQ + 100, used;
	char *buf = malloc(big + 1);
	struct sn_req req;
	int n;

	/* headers that never end, past the limit: refused, not buffered */
	n = snprintf(buf, big, "GET / HTTP/1.1\r\nX-Long: ");
	memset(buf + n, 'a', big - (size_t)n);
	buf[big] = '\0';
	CHECK(sn_http_parse(buf, big, &req, &used) == -413);
	CHECK(sn_http_parse(buf, 1000, &req, &used) == 0);
	/* a path longer than we keep */
	n = snprintf(buf, big, "GET /");
	memset(buf + n, 'p', 2000);
	snprintf(buf + n + 2000, 100, " HTTP/1.1\r\n\r\n");
	CHECK(hparse(buf, &req, &used) == -414);
	/* headers + body exactly at the limit: accepted */
	n = snprintf(buf, big, "POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n",
	             SN_MAX_REQ - 40);
	n = snprintf(buf, big, "POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n",
	             SN_MAX_REQ - n);
	memset(buf + n, 'b', (size_t)(SN_MAX_REQ - n));
	CHECK(sn_http_parse(buf, SN_MAX_REQ, &req, &used) == 1);
	CHECK(used == SN_MAX_REQ);
	free(buf);
}

static void
test_http_random(void)
{
	const char *seeds[] = {
	    "POST /x?a=1 HTTP/1.1\r\nContent-Length: 4\r\nConnection: close"
	    "\r\n\r\nbody",
	    "GET /status HTTP/1.0\r\nAuthorization: Basic x\r\n\r\n",
	};
	char buf[160];
	struct sn_req req;
	size_t used;
	unsigned seed = 7;

	for (int i = 0; i < 100000; i++) {
		const char *s = seeds[i % 2];
		size_t n = strlen(s);
		memcpy(buf, s, n);
		for (int k = 0; k < 4; k++)
			buf[rand_r(&seed) % (int)n] = (char)rand_r(&seed);
		n = (size_t)(rand_r(&seed) % (int)(n + 1));
		int rc = sn_http_parse(buf, n, &req, &used);
		CHECKF(rc == 1 || rc == 0 || rc == -400 || rc == -413 ||
		           rc == -414 || rc == -431 || rc == -501 || rc == -505,
		       "rc %d", rc);
		if (rc == 1)
			CHECK(used <= n && req.body + req.body_len <= buf + n);
	}
}

static void
test_sha256_vectors(void)
{
	static const struct {
		const char *in, *hex;
	} rows[] = {
	    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b"
	         "855"},
	    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f2"
	            "0015ad"},
	    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c"
	     "1"},
	};
	uint8_t d[32];
	char hex[65];
	char *million = malloc(1000000);

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		sn_sha256(rows[i].in, strlen(rows[i].in), d);
		sn_hex(d, 32, false, hex);
		CHECK_EQ_STR(hex, rows[i].hex);
	}
	memset(million, 'a', 1000000);
	sn_sha256(million, 1000000, d);
	sn_hex(d, 32, false, hex);
	CHECK_EQ_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67"
	                  "f1809a48a497200e046d39ccc7112cd0");
	free(million);
}

static void
test_base64(void)
{
	static const char *enc[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
	                            "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	char out[16];
	uint8_t dec[16];

	for (size_t n = 0; n <= 6; n++) {
		sn_base64((const uint8_t *)"foobar", n, out);
		CHECK_EQ_STR(out, enc[n]);
		CHECK_EQ_INT(sn_base64_decode(enc[n], dec, sizeof(dec)), n);
		CHECK(memcmp(dec, "foobar", n) == 0);
	}
	CHECK(sn_base64_decode("Zm9", dec, sizeof(dec)) == -1);
	CHECK(sn_base64_decode("Zm9=Zm9v", dec, sizeof(dec)) == -1);
	CHECK(sn_base64_decode("Z===", dec, sizeof(dec)) == -1);
	CHECK(sn_base64_decode("Zm!v", dec, sizeof(dec)) == -1);
	CHECK(sn_base64_decode("Zm9vYmFy", dec, 5) == -1); /* too small */
}

int
main(void)
{
	RUN(test_json_valid_and_invalid);
	RUN(test_json_depth_limit);
	RUN(test_json_truncations);
	RUN(test_json_accessors);
	RUN(test_json_random);
	RUN(test_http_requests);
	RUN(test_http_fields);
	RUN(test_http_limits);
	RUN(test_http_random);
	RUN(test_sha256_vectors);
	RUN(test_base64);
	return TEST_END();
}
