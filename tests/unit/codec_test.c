/*
 * codec_test: every message type survives a round trip with every field
 * set, and the decoder refuses each kind of bad input the protocol names.
 */
#include <errno.h>
#include <stdlib.h>

#include "proto/codec.h"
#include "tests/test.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static char buf[CODEC_MAX_JSON + 64];
static char err[256];

static struct proto_msg
full_hello(void)
{
	struct proto_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_HELLO;
	strcpy(m.u.hello.node, "val-1.eu");
	strcpy(m.u.hello.version, "0.1.0 (g1a2b3c)");
	m.u.hello.chain = CHAIN_SUBSTRATE;
	m.u.hello.role = ROLE_SENTRY;
	strcpy(m.u.hello.network, "cosmoshub-4");
	strcpy(m.u.hello.group, "cosmos-val");
	return m;
}

static struct proto_msg
full_hb(void)
{
	struct proto_msg m;
	struct proto_status *st = &m.u.hb.st;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_HEARTBEAT;
	m.u.hb.seq = 42;
	st->time_ms = 1700000000123ULL;
	st->up = true;
	st->reachable = true;
	st->syncing = true;
	st->height = 1234567;
	st->height_seen_ms = 1700000000001ULL;
	strcpy(st->tip_hash, "0xABCDEF0123456789");
	st->ref_height = 1234570;
	st->refs_ok = 3;
	st->peers = 17;
	st->peers_known = true;
	st->restarts = 2;
	strcpy(st->decision, "restart: lag 12 > 10 for 60s \"quoted\" \\ ü");
	strcpy(st->error, "rpc: connection refused");
	st->disk_used_pct = 81;
	st->mem_used_pct = 100;
	st->load1_x100 = 4321;
	st->signing = true;
	st->lease_epoch = UINT64_MAX; /* 64 bits must survive exactly */
	st->sign.height = 7654321;
	st->sign.round = 2;
	st->sign.step = 3;
	m.u.hb.restart_wanted = true;
	strcpy(m.u.hb.restart_reason, "stalled");
	m.u.hb.demoted_epoch = 9007199254740993ULL; /* 2^53 + 1 */
	return m;
}

static struct proto_msg
full_reply(void)
{
	struct proto_msg m;
	struct proto_reply *r = &m.u.reply;
	unsigned i;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_REPLY;
	r->status = PROTO_ST_NEED_HELLO;
	r->fleet_ref_height = 18446744073709551000ULL;
	r->interval_ms = 5000;
	r->ncmds = PROTO_MAX_CMDS;
	for (i = 0; i < PROTO_MAX_CMDS; i++) {
		struct proto_cmd *c = &r->cmds[i];

		c->verb = (enum proto_verb)(VERB_RESTART_GRANT + i % 4);
		snprintf(c->group, sizeof(c->group), "group-%u", i);
		c->epoch = 1000 + i;
		c->ttl_ms = 15000 + i;
		c->watermark.height = 500 + i;
		c->watermark.round = (int32_t)i;
		c->watermark.step = (int32_t)(i % 4);
		snprintf(c->reason, sizeof(c->reason), "reason %u", i);
	}
	return m;
}

static size_t
enc(const struct proto_msg *m)
{
	size_t len = 0;
	int rc = codec_encode(m, buf, sizeof(buf), &len);

	CHECK_EQ_INT(rc, 0);
	return len;
}

static void
round_trip(const struct proto_msg *in, struct proto_msg *out)
{
	size_t len = enc(in);
	int rc = codec_decode(buf, len, out, err, sizeof(err));

	CHECKF(rc == 0, "decode: %d %s", rc, err);
}

static void
test_roundtrip_hello(void)
{
	struct proto_msg in = full_hello(), out;
	const struct proto_hello *a = &in.u.hello, *b = &out.u.hello;

	round_trip(&in, &out);
	CHECK_EQ_INT(out.type, PROTO_HELLO);
	CHECK_EQ_STR(b->node, a->node);
	CHECK_EQ_STR(b->version, a->version);
	CHECK_EQ_INT(b->chain, a->chain);
	CHECK_EQ_INT(b->role, a->role);
	CHECK_EQ_STR(b->network, a->network);
	CHECK_EQ_STR(b->group, a->group);
}

static void
test_roundtrip_heartbeat(void)
{
	struct proto_msg in = full_hb(), out;
	const struct proto_heartbeat *a = &in.u.hb, *b = &out.u.hb;

	round_trip(&in, &out);
	CHECK_EQ_INT(out.type, PROTO_HEARTBEAT);
	CHECK(b->seq == a->seq);
	CHECK(b->st.time_ms == a->st.time_ms);
	CHECK(b->st.up && b->st.reachable && b->st.syncing);
	CHECK(b->st.height == a->st.height);
	CHECK(b->st.height_seen_ms == a->st.height_seen_ms);
	CHECK_EQ_STR(b->st.tip_hash, a->st.tip_hash);
	CHECK(b->st.ref_height == a->st.ref_height);
	CHECK_EQ_INT(b->st.refs_ok, a->st.refs_ok);
	CHECK_EQ_INT(b->st.peers, a->st.peers);
	CHECK(b->st.peers_known);
	CHECK_EQ_INT(b->st.restarts, a->st.restarts);
	CHECK_EQ_STR(b->st.decision, a->st.decision);
	CHECK_EQ_STR(b->st.error, a->st.error);
	CHECK_EQ_INT(b->st.disk_used_pct, a->st.disk_used_pct);
	CHECK_EQ_INT(b->st.mem_used_pct, a->st.mem_used_pct);
	CHECK_EQ_INT(b->st.load1_x100, a->st.load1_x100);
	CHECK(b->st.signing);
	CHECK(b->st.lease_epoch == UINT64_MAX);
	CHECK(proto_sign_cmp(&b->st.sign, &a->st.sign) == 0);
	CHECK(b->restart_wanted);
	CHECK_EQ_STR(b->restart_reason, a->restart_reason);
	CHECK(b->demoted_epoch == 9007199254740993ULL);
}

static void
test_roundtrip_reply(void)
{
	struct proto_msg in = full_reply(), out;
	const struct proto_reply *a = &in.u.reply, *b = &out.u.reply;
	unsigned i;

	round_trip(&in, &out);
	CHECK_EQ_INT(out.type, PROTO_REPLY);
	CHECK_EQ_INT(b->status, a->status);
	CHECK(b->fleet_ref_height == a->fleet_ref_height);
	CHECK_EQ_INT(b->interval_ms, a->interval_ms);
	CHECK_EQ_INT(b->ncmds, a->ncmds);
	for (i = 0; i < a->ncmds && i < b->ncmds; i++) {
		const struct proto_cmd *x = &a->cmds[i], *y = &b->cmds[i];

		CHECK_EQ_INT(y->verb, x->verb);
		CHECK_EQ_STR(y->group, x->group);
		CHECK(y->epoch == x->epoch);
		CHECK_EQ_INT(y->ttl_ms, x->ttl_ms);
		CHECK(proto_sign_cmp(&y->watermark, &x->watermark) == 0);
		CHECK_EQ_STR(y->reason, x->reason);
	}
}

/* An empty reply (no commands) and the zero values also round-trip. */
static void
test_roundtrip_minimal(void)
{
	struct proto_msg in, out;

	memset(&in, 0, sizeof(in));
	in.type = PROTO_REPLY;
	round_trip(&in, &out);
	CHECK_EQ_INT(out.u.reply.ncmds, 0);
	CHECK_EQ_INT(out.u.reply.status, PROTO_ST_OK);
}

/* The encoding is canonical: decode(encode(m)) encodes to the same bytes. */
static void
test_encoding_stable(void)
{
	struct proto_msg in = full_hb(), out;
	static char first[CODEC_MAX_JSON];
	size_t len = enc(&in), len2 = 0;

	memcpy(first, buf, len);
	CHECK_EQ_INT(codec_decode(first, len, &out, err, sizeof(err)), 0);
	CHECK_EQ_INT(codec_encode(&out, buf, sizeof(buf), &len2), 0);
	CHECK(len == len2 && memcmp(first, buf, len) == 0);
}

/* Every strict prefix of a valid message is refused. */
static void
test_truncated(void)
{
	static char whole[CODEC_MAX_JSON];
	struct proto_msg in = full_reply(), out;
	size_t len = enc(&in), n;
	int bad = 0;

	memcpy(whole, buf, len);
	for (n = 0; n < len; n++) {
		int rc = codec_decode(whole, n, &out, err, sizeof(err));

		if (rc != -EBADMSG) {
			if (bad++ < 3)
				printf("  prefix %zu: rc %d\n", n, rc);
		}
	}
	CHECK_EQ_INT(bad, 0);
}

static void
test_oversized(void)
{
	struct proto_msg in = full_hello(), out;
	size_t len = enc(&in);
	char *big = malloc(CODEC_MAX_JSON + 2);

	/* trailing whitespace is valid JSON: only the size can refuse it */
	memcpy(big, buf, len);
	memset(big + len, ' ', CODEC_MAX_JSON + 2 - len);
	CHECK_EQ_INT(codec_decode(big, CODEC_MAX_JSON, &out, err, sizeof(err)),
	             0);
	CHECK_EQ_INT(
	    codec_decode(big, CODEC_MAX_JSON + 1, &out, err, sizeof(err)),
	    -EMSGSIZE);
	CHECK(strstr(err, "bytes") != NULL);
	/* refused by size even when the bytes are not JSON at all */
	memset(big, 0xff, CODEC_MAX_JSON + 2);
	CHECK_EQ_INT(
	    codec_decode(big, CODEC_MAX_JSON + 2, &out, err, sizeof(err)),
	    -EMSGSIZE);
	free(big);
}

struct bad_row {
	const char *in;
	int rc;
	const char *err_has; /* the reason names the field */
};

static void
decode_rows(const struct bad_row *rows, size_t n)
{
	struct proto_msg m;
	size_t i;

	for (i = 0; i < n; i++) {
		int rc;

		err[0] = '\0';
		rc = codec_decode(rows[i].in, strlen(rows[i].in), &m, err,
		                  sizeof(err));
		CHECKF(rc == rows[i].rc, "row %zu '%.60s': rc %d want %d (%s)",
		       i, rows[i].in, rc, rows[i].rc, err);
		if (rows[i].err_has != NULL)
			CHECKF(strstr(err, rows[i].err_has) != NULL,
			       "row %zu: err '%s' lacks '%s'", i, err,
			       rows[i].err_has);
		if (rc != 0)
			CHECKF(m.type == 0, "row %zu: partial result kept", i);
	}
}

static void
test_garbage(void)
{
	static const struct bad_row rows[] = {
	    {"", -EBADMSG, "empty"},
	    {"null", -EBADMSG, NULL},
	    {"[]", -EBADMSG, NULL},
	    {"42", -EBADMSG, NULL},
	    {"\"hello\"", -EBADMSG, NULL},
	    {"{", -EBADMSG, NULL},
	    {"}", -EBADMSG, NULL},
	    {"{}", -EBADMSG, "v"},
	    {"{\"v\":1}", -EBADMSG, "type"},
	    {"{\"v\":1,\"type\":\"hello\"} x", -EBADMSG, "trailing"},
	    {"{\"v\":1,\"type\":\"nope\"}", -EBADMSG, "type"},
	    {"{\"v\":1,\"type\":5}", -EBADMSG, "type"},
	    {"\x01\x02\x03\xff", -EBADMSG, NULL},
	    {"{\"v\":1,\"type\":\"hello\",\x01}", -EBADMSG, NULL},
	    {"{'v':1}", -EBADMSG, NULL},
	};

	decode_rows(rows, NELEM(rows));
}

static void
test_version(void)
{
	static const struct bad_row rows[] = {
	    {"{\"v\":2,\"type\":\"reply\",\"status\":0}", -EPROTO, "version 2"},
	    {"{\"v\":0,\"type\":\"reply\",\"status\":0}", -EPROTO, "v"},
	    {"{\"v\":-1,\"type\":\"reply\",\"status\":0}", -EPROTO, "v"},
	    {"{\"v\":1e30,\"type\":\"reply\",\"status\":0}", -EPROTO, "v"},
	    {"{\"v\":\"1\",\"type\":\"reply\",\"status\":0}", -EBADMSG, "v"},
	    {"{\"v\":1.5,\"type\":\"reply\",\"status\":0}", -EBADMSG, "v"},
	    {"{\"type\":\"reply\",\"status\":0}", -EBADMSG, "v: missing"},
	    {"{\"v\":1,\"v\":1,\"type\":\"reply\",\"status\":0}", -EBADMSG,
	     "twice"},
	    /* the version is checked before the body, which may be new */
	    {"{\"v\":3,\"type\":\"lease\",\"x\":[1]}", -EPROTO, NULL},
	    {"{\"v\":1,\"type\":\"reply\",\"status\":0}", 0, NULL},
	};

	decode_rows(rows, NELEM(rows));
}

/* Build a heartbeat with one substitution in its encoding. */
static const char *
hb_with(const char *from, const char *to)
{
	static char out[CODEC_MAX_JSON + 64];
	struct proto_msg m = full_hb();
	size_t len = enc(&m);
	char *p;

	buf[len] = '\0';
	p = strstr(buf, from);
	if (p == NULL) {
		printf("  hb_with: '%s' not in %s\n", from, buf);
		t_cur = 1;
		return "";
	}
	snprintf(out, sizeof(out), "%.*s%s%s", (int)(p - buf), buf, to,
	         p + strlen(from));
	return out;
}

static void
hb_row(const char *from, const char *to, int want, const char *err_has)
{
	struct bad_row row = {hb_with(from, to), want, err_has};

	decode_rows(&row, 1);
}

static void
test_wrong_types(void)
{
	hb_row("\"seq\":\"42\"", "\"seq\":4.5", -EBADMSG, "seq");
	hb_row("\"seq\":\"42\"", "\"seq\":true", -EBADMSG, "seq");
	hb_row("\"seq\":\"42\"", "\"seq\":null", -EBADMSG, "seq");
	hb_row("\"st\":{", "\"st\":[],\"x\":{", -EBADMSG, "st");
	hb_row("\"up\":true", "\"up\":1", -EBADMSG, "st.up");
	hb_row("\"up\":true", "\"up\":\"true\"", -EBADMSG, "st.up");
	hb_row("\"peers\":17", "\"peers\":\"17\"", -EBADMSG, "st.peers");
	hb_row("\"tip_hash\":\"0xABCDEF0123456789\"", "\"tip_hash\":7",
	       -EBADMSG, "st.tip_hash");
	hb_row("\"sign\":{", "\"sign\":7,\"y\":{", -EBADMSG, "st.sign");
	hb_row("\"round\":2", "\"round\":[2]", -EBADMSG, "st.sign.round");
}

static void
test_out_of_range(void)
{
	hb_row("\"height\":\"1234567\"", "\"height\":\"-1\"", -EBADMSG,
	       "st.height");
	hb_row("\"height\":\"1234567\"", "\"height\":\"01\"", -EBADMSG,
	       "st.height");
	hb_row("\"height\":\"1234567\"", "\"height\":\"+1\"", -EBADMSG,
	       "st.height");
	hb_row("\"height\":\"1234567\"", "\"height\":\" 1\"", -EBADMSG,
	       "st.height");
	hb_row("\"height\":\"1234567\"", "\"height\":\"\"", -EBADMSG,
	       "st.height");
	hb_row("\"height\":\"1234567\"", "\"height\":\"18446744073709551616\"",
	       -EBADMSG, "range");
	hb_row("\"height\":\"1234567\"", "\"height\":9007199254740993",
	       -EBADMSG, "2^53");
	hb_row("\"height\":\"1234567\"", "\"height\":-5", -EBADMSG,
	       "st.height");
	hb_row("\"disk_used_pct\":81", "\"disk_used_pct\":101", -EBADMSG,
	       "st.disk_used_pct");
	hb_row("\"refs_ok\":3", "\"refs_ok\":-1", -EBADMSG, "st.refs_ok");
	hb_row("\"refs_ok\":3", "\"refs_ok\":4294967296", -EBADMSG,
	       "st.refs_ok");
	hb_row("\"refs_ok\":3", "\"refs_ok\":1e400", -EBADMSG, "st.refs_ok");
	hb_row("\"step\":3", "\"step\":4", -EBADMSG, "st.sign.step");
	hb_row("\"round\":2", "\"round\":-1", -EBADMSG, "st.sign.round");
	hb_row("\"round\":2", "\"round\":2147483648", -EBADMSG,
	       "st.sign.round");
	/* the edges themselves are fine */
	hb_row("\"height\":\"1234567\"", "\"height\":9007199254740992",
	       -EBADMSG, "2^53");
	hb_row("\"height\":\"1234567\"", "\"height\":9007199254740991", 0,
	       NULL);
	hb_row("\"height\":\"1234567\"", "\"height\":\"0\"", 0, NULL);
	hb_row("\"refs_ok\":3", "\"refs_ok\":4294967295", 0, NULL);
	hb_row("\"round\":2", "\"round\":2147483647", 0, NULL);
	hb_row("\"disk_used_pct\":81", "\"disk_used_pct\":100.0", 0, NULL);
}

static void
test_strings(void)
{
	char name[PROTO_NAME_MAX + 16], to[PROTO_TEXT_MAX + 64];
	struct proto_msg m;
	size_t len;

	/* a name of exactly 63 bytes fits, 64 does not */
	memset(name, 'n', PROTO_NAME_MAX - 1);
	name[PROTO_NAME_MAX - 1] = '\0';
	m = full_hello();
	strcpy(m.u.hello.node, name);
	len = enc(&m);
	CHECK_EQ_INT(codec_decode(buf, len, &m, err, sizeof(err)), 0);
	CHECK_EQ_STR(m.u.hello.node, name);
	snprintf(to, sizeof(to), "\"restart_reason\":\"%0*d\"", PROTO_TEXT_MAX,
	         0);
	hb_row("\"restart_reason\":\"stalled\"", to, -EBADMSG,
	       "restart_reason");
	snprintf(to, sizeof(to), "\"restart_reason\":\"%0*d\"",
	         PROTO_TEXT_MAX - 1, 0);
	hb_row("\"restart_reason\":\"stalled\"", to, 0, NULL);
	hb_row("\"restart_reason\":\"stalled\"", "\"restart_reason\":\"\\n\"",
	       -EBADMSG, "control");
	hb_row("\"restart_reason\":\"stalled\"",
	       "\"restart_reason\":\"a\\u0000b\"", -EBADMSG, "u0000");
	hb_row("\"restart_reason\":\"stalled\"", "\"restart_reason\":\"a\x01\"",
	       -EBADMSG, "control");
	hb_row("\"restart_reason\":\"stalled\"",
	       "\"restart_reason\":\"bad \xc3\x28 utf8\"", -EBADMSG, "UTF-8");
	hb_row("\"restart_reason\":\"stalled\"",
	       "\"restart_reason\":\"overlong \xc0\xaf\"", -EBADMSG, "UTF-8");
	hb_row("\"restart_reason\":\"stalled\"",
	       "\"restart_reason\":\"caf\\u00e9 \xe2\x82\xac\"", 0, NULL);
	hb_row("\"restart_reason\":\"stalled\"",
	       "\"restart_reason\":\"a\\\\u0000 is text\"", 0, NULL);
	/* names: printable ASCII, no spaces */
	hb_row("\"tip_hash\":\"0xABCDEF0123456789\"", "\"tip_hash\":\"0x ab\"",
	       -EBADMSG, "st.tip_hash");
	decode_rows(&(struct bad_row){"{\"v\":1,\"type\":\"hello\",\"node\":"
	                              "\"\",\"version\":\"1\",\"chain\":"
	                              "\"cometbft\",\"role\":\"rpc\","
	                              "\"network\":\"x\"}",
	                              -EBADMSG, "node: must not be empty"},
	            1);
	decode_rows(&(struct bad_row){"{\"v\":1,\"type\":\"hello\",\"node\":"
	                              "\"a b\",\"version\":\"1\",\"chain\":"
	                              "\"cometbft\",\"role\":\"rpc\","
	                              "\"network\":\"x\"}",
	                              -EBADMSG, "node"},
	            1);
	decode_rows(&(struct bad_row){"{\"v\":1,\"type\":\"hello\",\"node\":"
	                              "\"n\",\"version\":\"1\",\"chain\":"
	                              "\"dogecoin\",\"role\":\"rpc\","
	                              "\"network\":\"x\"}",
	                              -EBADMSG, "dogecoin"},
	            1);
}

static void
test_missing_required(void)
{
	/* rename a required member: the decoder sees it as unknown */
	hb_row("\"height\":\"1234567\"", "\"heigth\":\"1234567\"", -EBADMSG,
	       "st.height: missing");
	hb_row("\"seq\":", "\"sequence\":", -EBADMSG, "seq: missing");
	hb_row("\"st\":", "\"status\":", -EBADMSG, "st: missing");
	hb_row("\"up\":", "\"UP\":", -EBADMSG, "st.up: missing");
	hb_row("\"round\":", "\"rnd\":", -EBADMSG, "st.sign.round: missing");
	/* optional members may go */
	hb_row("\"restart_wanted\":true,", "", 0, NULL);
	hb_row("\"lease_epoch\":", "\"lease_epoch_v2\":", 0, NULL);
	/* a known member twice is ambiguous */
	hb_row("\"seq\":\"42\"", "\"seq\":\"42\",\"seq\":\"43\"", -EBADMSG,
	       "twice");
}

static void
test_unknown_fields_ignored(void)
{
	struct proto_msg m;
	const char *in = hb_with(
	    "\"seq\":\"42\"",
	    "\"future\":{\"a\":[1,2,{\"b\":null}]},\"seq\":\"42\",\"zz\":1");

	CHECK_EQ_INT(codec_decode(in, strlen(in), &m, err, sizeof(err)), 0);
	CHECK(m.u.hb.seq == 42);
}

static void
test_nesting(void)
{
	static char deep[CODEC_MAX_JSON];
	struct proto_msg m;
	const char *in;
	size_t i;

	/* 8 levels (the message and 7 in an unknown member) are accepted */
	in = hb_with("\"seq\":\"42\"", "\"x\":[[[[[[[1]]]]]]],\"seq\":\"42\"");
	CHECK_EQ_INT(codec_decode(in, strlen(in), &m, err, sizeof(err)), 0);
	in =
	    hb_with("\"seq\":\"42\"", "\"x\":[[[[[[[[1]]]]]]]],\"seq\":\"42\"");
	CHECK_EQ_INT(codec_decode(in, strlen(in), &m, err, sizeof(err)),
	             -EBADMSG);
	CHECK(strstr(err, "nested") != NULL);
	/* a wall of brackets is refused before cJSON recurses into it */
	for (i = 0; i < sizeof(deep); i++)
		deep[i] = i % 2 ? '{' : '[';
	CHECK_EQ_INT(codec_decode(deep, sizeof(deep), &m, err, sizeof(err)),
	             -EBADMSG);
	CHECK(strstr(err, "nested") != NULL);
	/* brackets inside strings do not count */
	in = hb_with("\"restart_reason\":\"stalled\"",
	             "\"restart_reason\":\"[[[[[[[[[[{{{{{{{{{\"");
	CHECK_EQ_INT(codec_decode(in, strlen(in), &m, err, sizeof(err)), 0);
}

/* A reply whose "cmds" array holds cmds; the decode must give want. */
static void
reply_row(const char *cmds, int want, const char *err_has)
{
	char in[4096];

	snprintf(
	    in, sizeof(in),
	    "{\"v\":1,\"type\":\"reply\",\"status\":0,\"interval_ms\":1000,"
	    "\"cmds\":[%s]}",
	    cmds);
	decode_rows(&(struct bad_row){in, want, err_has}, 1);
}

#define WM "\"watermark\":{\"height\":\"1\",\"round\":0,\"step\":0}"
#define RG "{\"verb\":\"restart_grant\"}"

static void
test_commands(void)
{
	static const struct bad_row rows[] = {
	    {"{\"v\":1,\"type\":\"reply\",\"status\":0,\"cmds\":{}}", -EBADMSG,
	     "cmds"},
	    {"{\"v\":1,\"type\":\"reply\",\"status\":99}", -EBADMSG, "status"},
	    {"{\"v\":1,\"type\":\"reply\",\"status\":3,\"interval_ms\":"
	     "86400001}",
	     -EBADMSG, "interval_ms"},
	};
	struct proto_msg m;
	const char *ok;

	reply_row("", 0, NULL);
	reply_row(RG, 0, NULL);
	reply_row("{\"verb\":\"reboot\"}", -EBADMSG, "cmds[0].verb");
	reply_row("{\"group\":\"g\"}", -EBADMSG, "cmds[0].verb: missing");
	reply_row("{\"verb\":\"restart_deny\"},{\"verb\":\"lease_revoke\","
	          "\"group\":\"g\"}",
	          -EBADMSG, "cmds[1].epoch");
	reply_row("{\"verb\":\"lease_revoke\",\"group\":\"g\",\"epoch\":\"3\"}",
	          0, NULL);
	reply_row("{\"verb\":\"lease_grant\",\"group\":\"g\",\"epoch\":\"3\","
	          "\"ttl_ms\":9000}",
	          -EBADMSG, "watermark");
	reply_row(
	    "{\"verb\":\"lease_grant\",\"group\":\"g\",\"epoch\":\"3\"," WM "}",
	    -EBADMSG, "ttl_ms");
	reply_row(
	    "{\"verb\":\"lease_grant\",\"epoch\":\"3\",\"ttl_ms\":9000," WM "}",
	    -EBADMSG, "group");
	reply_row("{\"verb\":\"lease_grant\",\"group\":\"g\",\"epoch\":\"0\","
	          "\"ttl_ms\":9000," WM "}",
	          -EBADMSG, "epoch");
	reply_row("{\"verb\":\"lease_grant\",\"group\":\"g\",\"epoch\":\"3\","
	          "\"ttl_ms\":3600001," WM "}",
	          -EBADMSG, "ttl_ms");
	reply_row(RG "," RG "," RG "," RG "," RG "," RG "," RG "," RG "," RG,
	          -EBADMSG, "more than 8");
	reply_row(RG "," RG "," RG "," RG "," RG "," RG "," RG "," RG, 0, NULL);
	reply_row("7", -EBADMSG, "cmds[0]");
	decode_rows(rows, NELEM(rows));

	/* and a complete grant decodes to what it says */
	ok = "{\"v\":1,\"type\":\"reply\",\"status\":0,\"cmds\":[{\"verb\":"
	     "\"lease_grant\",\"group\":\"g\",\"epoch\":\"3\",\"ttl_ms\":9000,"
	     "\"watermark\":{\"height\":\"77\",\"round\":1,\"step\":2}}]}";
	CHECK_EQ_INT(codec_decode(ok, strlen(ok), &m, err, sizeof(err)), 0);
	CHECK_EQ_INT(m.u.reply.ncmds, 1);
	CHECK_EQ_INT(m.u.reply.cmds[0].verb, VERB_LEASE_GRANT);
	CHECK(m.u.reply.cmds[0].epoch == 3);
	CHECK_EQ_INT(m.u.reply.cmds[0].ttl_ms, 9000);
	CHECK(m.u.reply.cmds[0].watermark.height == 77);
	CHECK_EQ_INT(m.u.reply.cmds[0].watermark.step, 2);
}

static void
test_encode_refuses(void)
{
	struct proto_msg m;
	size_t len, full, cap;
	int bad = 0;

	m = full_hello();
	m.u.hello.chain = CHAIN__COUNT;
	CHECK_EQ_INT(codec_encode(&m, buf, sizeof(buf), &len), -EINVAL);
	m = full_hello();
	m.u.hello.role = (enum proto_role) - 1;
	CHECK_EQ_INT(codec_encode(&m, buf, sizeof(buf), &len), -EINVAL);
	m = full_hello();
	strcpy(m.u.hello.node, "has space");
	CHECK_EQ_INT(codec_encode(&m, buf, sizeof(buf), &len), -EINVAL);
	m = full_hello();
	m.u.hello.node[0] = '\0';
	CHECK_EQ_INT(codec_encode(&m, buf, sizeof(buf), &len), -EINVAL);
	m = full_hello();
	memset(m.u.hello.group, 'g', sizeof(m.u.hello.group)); /* no NUL */
	CHECK_EQ_INT(codec_encode(&m, buf, sizeof(buf), &len), -EINVAL);
	m = full_hello();
	m.type = (enum proto_type)9;
	CHECK_EQ_INT(codec_encode(&m, buf, sizeof(buf), &len), -EINVAL);
	m = full_reply();
	m.u.reply.ncmds = PROTO_MAX_CMDS + 1;
	CHECK_EQ_INT(codec_encode(&m, buf, sizeof(buf), &len), -EINVAL);
	m = full_reply();
	m.u.reply.cmds[2].epoch = 0; /* a lease_grant */
	CHECK_EQ_INT(m.u.reply.cmds[2].verb, VERB_LEASE_GRANT);
	CHECK_EQ_INT(codec_encode(&m, buf, sizeof(buf), &len), -EINVAL);
	m = full_reply();
	m.u.reply.status = 42;
	CHECK_EQ_INT(codec_encode(&m, buf, sizeof(buf), &len), -EINVAL);
	m = full_hb();
	m.u.hb.st.disk_used_pct = 101;
	CHECK_EQ_INT(codec_encode(&m, buf, sizeof(buf), &len), -EINVAL);
	m = full_hb();
	m.u.hb.st.sign.step = 4;
	CHECK_EQ_INT(codec_encode(&m, buf, sizeof(buf), &len), -EINVAL);

	/* every buffer shorter than the encoding is refused, never overrun */
	m = full_reply();
	full = enc(&m);
	for (cap = 0; cap < full; cap++) {
		char *small = malloc(cap ? cap : 1);

		if (codec_encode(&m, small, cap, &len) != -ENOSPC)
			bad++;
		free(small);
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(codec_encode(&m, buf, full, &len), 0);
	CHECK_EQ_INT(len, full);
}

/* Informative text with control characters or broken UTF-8 (a node's
 * error output) is cleaned, not refused, so the heartbeat still goes. */
static void
test_encode_cleans_text(void)
{
	struct proto_msg m = full_hb(), out;
	size_t len;

	strcpy(m.u.hb.st.error, "line1\nline2\t\x01 \xff end");
	CHECK_EQ_INT(codec_encode(&m, buf, sizeof(buf), &len), 0);
	CHECK_EQ_INT(codec_decode(buf, len, &out, err, sizeof(err)), 0);
	CHECK_EQ_STR(out.u.hb.st.error, "line1 line2   ? end");
}

static void
test_enum_strings(void)
{
	enum proto_chain c;
	enum proto_role r;
	enum proto_verb v;
	int i;

	for (i = 0; i < CHAIN__COUNT; i++) {
		CHECK_EQ_INT(proto_chain_parse(proto_chain_str(i), &c), 0);
		CHECK_EQ_INT(c, i);
	}
	for (i = 0; i < ROLE__COUNT; i++) {
		CHECK_EQ_INT(proto_role_parse(proto_role_str(i), &r), 0);
		CHECK_EQ_INT(r, i);
	}
	for (i = VERB_RESTART_GRANT; i < VERB__COUNT; i++) {
		CHECK_EQ_INT(proto_verb_parse(proto_verb_str(i), &v), 0);
		CHECK_EQ_INT(v, i);
	}
	CHECK_EQ_STR(proto_chain_str(CHAIN__COUNT), "unknown");
	CHECK_EQ_STR(proto_verb_str(0), "unknown");
	CHECK_EQ_STR(proto_type_str(PROTO_HEARTBEAT), "heartbeat");
	CHECK_EQ_STR(proto_status_str(PROTO_ST_NEED_HELLO), "need_hello");
	CHECK_EQ_INT(proto_chain_parse("CometBFT", &c), -EINVAL);
	CHECK_EQ_INT(proto_role_parse(NULL, &r), -EINVAL);
}

static void
test_sign_cmp(void)
{
	struct proto_sign_state a = {10, 0, 3}, b = {10, 1, 1}, c = {11, 0, 0},
	                        d = {10, 0, 3};

	CHECK(proto_sign_cmp(&a, &b) < 0);
	CHECK(proto_sign_cmp(&b, &a) > 0);
	CHECK(proto_sign_cmp(&b, &c) < 0);
	CHECK(proto_sign_cmp(&a, &d) == 0);
	a.step = 2;
	CHECK(proto_sign_cmp(&a, &d) < 0);
	a.height = UINT64_MAX;
	CHECK(proto_sign_cmp(&a, &c) > 0);
}

int
main(void)
{
	RUN(test_roundtrip_hello);
	RUN(test_roundtrip_heartbeat);
	RUN(test_roundtrip_reply);
	RUN(test_roundtrip_minimal);
	RUN(test_encoding_stable);
	RUN(test_truncated);
	RUN(test_oversized);
	RUN(test_garbage);
	RUN(test_version);
	RUN(test_wrong_types);
	RUN(test_out_of_range);
	RUN(test_strings);
	RUN(test_missing_required);
	RUN(test_unknown_fields_ignored);
	RUN(test_nesting);
	RUN(test_commands);
	RUN(test_encode_refuses);
	RUN(test_encode_cleans_text);
	RUN(test_enum_strings);
	RUN(test_sign_cmp);
	return TEST_END();
}
