/*
 * registry_test: authorized_pilots parsing (every bad line reported as
 * name:line: message 'value'), lookup by key over many pilots, and the
 * default handlers: registration, NEED_HELLO, the fleet median of healthy
 * nodes per network.
 */
#include <stdlib.h>
#include <string.h>

#include "commander/registry.h"
#include "proto/envelope.h"
#include "common/keys.h"
#include "common/log.h"
#include "common/util.h"
#include "tests/test.h"

static struct keys_identity cmd_id;

static char *
pub(const struct keys_identity *id, const char *name, char *buf, size_t n)
{
	return keys_format_public(id->pk, name, buf, n);
}

static void
test_parse_errors(void)
{
	struct keys_identity a, b;
	char la[KEYS_PUB_LINE_MAX], lb[KEYS_PUB_LINE_MAX], ka[80];
	char text[2048], err[256], longname[100];
	struct {
		const char *text;
		const char *want;
	} rows[9];
	size_t n = 0;

	keys_generate(&a);
	keys_generate(&b);
	pub(&a, "a", la, sizeof(la));
	pub(&b, "b", lb, sizeof(lb));
	/* the key without its comment */
	snprintf(ka, sizeof(ka), "%.*s", (int)(strrchr(la, ' ') - la), la);
	memset(longname, 'x', 70);
	longname[70] = '\0';

	char t0[600], t2[600], t3[600], t4[600], t5[600], t6[600];
	snprintf(t0, sizeof(t0), "# c\n\n%s\n%s\n", la, la);
	rows[n].text = t0;
	rows[n++].want = "f:4: key already listed at line 3";
	rows[n].text = "sextant-ed25519 AAAA b\n";
	rows[n++].want = "f:1: ";
	snprintf(t2, sizeof(t2), "%s\n", ka);
	rows[n].text = t2;
	rows[n++].want = "f:1: missing node name";
	snprintf(t3, sizeof(t3), "%s\n%s %s\n", la, ka, "b");
	rows[n].text = t3;
	rows[n++].want = "f:2: key already listed at line 1";
	snprintf(t4, sizeof(t4), "%s %s\n", ka, longname);
	rows[n].text = t4;
	rows[n++].want = "f:1: node name longer than 63 characters";
	snprintf(t5, sizeof(t5), "%s a/b\n", ka);
	rows[n].text = t5;
	rows[n++].want = "f:1: node name: letters, digits";
	snprintf(t6, sizeof(t6), "%s\n%s a\n", lb, ka);
	rows[n].text = t6;
	rows[n++].want = NULL; /* fine: a and b */
	rows[n].text = "ssh-ed25519 AAAA a\n";
	rows[n++].want = "f:1: ";
	rows[n].text = "\n\n# only comments\n";
	rows[n++].want = NULL;

	for (size_t i = 0; i < n; i++) {
		struct registry *r;

		err[0] = '\0';
		r = registry_parse("f", rows[i].text, cmd_id.sk, err,
		                   sizeof(err));
		if (rows[i].want == NULL)
			CHECKF(r != NULL, "row %zu: %s", i, err);
		else
			CHECKF(r == NULL && strncmp(err, rows[i].want,
			                            strlen(rows[i].want)) == 0,
			       "row %zu: got '%s' want '%s'", i, err,
			       rows[i].want);
		registry_free(r);
	}
	/* a line too long, a NUL in a file */
	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	CHECK(registry_parse("f", text, cmd_id.sk, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "f:1: line longer than") != NULL);
	keys_wipe(&a);
	keys_wipe(&b);
}

static void
test_lookup_many(void)
{
	enum { N = 2000 };
	struct keys_identity *ids = calloc(N, sizeof(*ids));
	size_t cap = (size_t)N * 80, len = 0;
	char *text = malloc(cap), line[KEYS_PUB_LINE_MAX], name[16], err[256];
	struct registry *r;
	int found = 0;

	for (int i = 0; i < N; i++) {
		keys_generate(&ids[i]);
		snprintf(name, sizeof(name), "n%d", i);
		len += (size_t)snprintf(text + len, cap - len, "%s\n",
		                        pub(&ids[i], name, line, sizeof(line)));
	}
	r = registry_parse("f", text, cmd_id.sk, err, sizeof(err));
	CHECKF(r != NULL, "%s", err);
	if (r) {
		CHECK_EQ_INT(registry_count(r), N);
		for (int i = 0; i < N; i++) {
			struct registry_pilot *p = registry_find(r, ids[i].pk);

			snprintf(name, sizeof(name), "n%d", i);
			found += p != NULL && strcmp(p->name, name) == 0;
		}
		CHECK_EQ_INT(found, N);
		CHECK(registry_find(r, cmd_id.pk) == NULL);
	}
	registry_free(r);
	for (int i = 0; i < N; i++)
		keys_wipe(&ids[i]);
	free(ids);
	free(text);
}

static void
hb(struct registry *r, struct registry_pilot *p, uint64_t h, bool ok,
   uint64_t now, struct proto_reply *rep)
{
	struct proto_heartbeat b;

	memset(&b, 0, sizeof(b));
	b.st.reachable = ok;
	b.st.height = h;
	registry_on_heartbeat(r, p, &b, "127.0.0.1:1", now, rep);
}

static void
hello(struct registry *r, struct registry_pilot *p, const char *name,
      const char *net, uint64_t now, struct proto_reply *rep)
{
	struct proto_hello h;

	memset(&h, 0, sizeof(h));
	util_strlcpy(h.node, name, sizeof(h.node));
	util_strlcpy(h.network, net, sizeof(h.network));
	registry_on_hello(r, p, &h, "127.0.0.1:1", now, rep);
}

static void
test_handlers_and_fleet_median(void)
{
	struct keys_identity ids[4];
	char text[1024], line[KEYS_PUB_LINE_MAX], err[256];
	const char *names[4] = {"a", "b", "c", "d"};
	struct registry_pilot *p[4];
	struct proto_reply rep;
	struct registry *r;
	size_t len = 0;

	for (int i = 0; i < 4; i++) {
		keys_generate(&ids[i]);
		len += (size_t)snprintf(
		    text + len, sizeof(text) - len, "%s\n",
		    pub(&ids[i], names[i], line, sizeof(line)));
	}
	r = registry_parse("f", text, cmd_id.sk, err, sizeof(err));
	CHECKF(r != NULL, "%s", err);
	if (r == NULL)
		return;
	registry_set_fresh_ms(r, 5000);
	for (int i = 0; i < 4; i++)
		p[i] = registry_find(r, ids[i].pk);

	hb(r, p[0], 100, true, 1000, &rep);
	CHECK_EQ_INT(rep.status, PROTO_ST_NEED_HELLO);
	hello(r, p[0], "b", "net", 1000, &rep);
	CHECK_EQ_INT(rep.status, PROTO_ST_UNKNOWN_NODE);
	for (int i = 0; i < 4; i++) {
		hello(r, p[i], names[i], i == 3 ? "other" : "net", 1000, &rep);
		CHECK_EQ_INT(rep.status, PROTO_ST_OK);
	}
	hb(r, p[0], 100, true, 1000, &rep);
	hb(r, p[1], 90, true, 1000, &rep);
	hb(r, p[2], 500, false, 1000, &rep); /* unreachable: not counted */
	hb(r, p[3], 7, true, 1000, &rep);    /* other network */
	/* the upper median of {90, 100} */
	CHECK_EQ_INT(registry_fleet_ref(r, "net", 2000), 100);
	CHECK_EQ_INT(registry_fleet_ref(r, "other", 2000), 7);
	CHECK_EQ_INT(registry_fleet_ref(r, "none", 2000), 0);
	/* cached for a moment, then recomputed: silent nodes drop out */
	hb(r, p[1], 95, true, 6500, &rep);
	CHECK_EQ_INT(registry_fleet_ref(r, "net", 6500), 95);
	CHECK_EQ_INT(rep.status, PROTO_ST_OK);
	registry_free(r);
	for (int i = 0; i < 4; i++)
		keys_wipe(&ids[i]);
}

static void
test_replay_from_before_start(void)
{
	struct keys_identity id;
	struct env_peer to_cmd;
	struct env_req_ctx ctx;
	struct registry_pilot *p;
	struct registry *r;
	char text[256], line[KEYS_PUB_LINE_MAX], err[256];
	uint8_t frame[512], pt[512];
	size_t flen, ptlen;
	uint64_t now;

	keys_generate(&id);
	snprintf(text, sizeof(text), "%s\n", pub(&id, "p", line, sizeof(line)));
	r = registry_parse("f", text, cmd_id.sk, err, sizeof(err));
	CHECK(r != NULL && env_peer_init(&to_cmd, id.sk, cmd_id.pk) == 0);
	if (r == NULL)
		return;
	/* after the start: a clock read before it made the frame look
	 * younger than the start's narrowed window by a millisecond */
	now = clock_wall_ms();
	p = registry_find(r, id.pk);
	/* stamped 30 s before the commander started: within the 60 s
	 * window, but only a replay from before a restart can be that old */
	env_seal_request(&to_cmd, id.pk, 10, now - 30000, "{}", 2, frame,
	                 sizeof(frame), &flen, &ctx);
	CHECK_EQ_INT(registry_open(r, p, now, 60000, frame, flen, pt,
	                           sizeof(pt), &ptlen, &ctx),
	             ENV_E_STALE);
	env_seal_request(&to_cmd, id.pk, 11, now, "{}", 2, frame, sizeof(frame),
	                 &flen, &ctx);
	CHECK_EQ_INT(registry_open(r, p, now, 60000, frame, flen, pt,
	                           sizeof(pt), &ptlen, &ctx),
	             ENV_OK);
	/* once the counter moved, the whole window applies again */
	env_seal_request(&to_cmd, id.pk, 12, now - 30000, "{}", 2, frame,
	                 sizeof(frame), &flen, &ctx);
	CHECK_EQ_INT(registry_open(r, p, now, 60000, frame, flen, pt,
	                           sizeof(pt), &ptlen, &ctx),
	             ENV_OK);
	env_peer_wipe(&to_cmd);
	registry_free(r);
	keys_wipe(&id);
}

int
main(void)
{
	log_init("registry_test", 1, 0);
	if (keys_init() != 0 || keys_generate(&cmd_id) != 0)
		return 1;
	RUN(test_parse_errors);
	RUN(test_lookup_many);
	RUN(test_handlers_and_fleet_median);
	RUN(test_replay_from_before_start);
	keys_wipe(&cmd_id);
	return TEST_END();
}
