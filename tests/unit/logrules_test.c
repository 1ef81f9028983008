/*
 * logrules_test: the default Substrate / Aleph Zero rules on real wording,
 * hostile lines, the splitter across chunks, custom rules and their
 * errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "pilot/logrules.h"
#include "tests/test.h"

#define BIT(s) (1u << LOGRULE_##s)

static struct logrules defs;

static unsigned
feed(struct logrules_state *st, const char *line)
{
	return logrules_feed(&defs, st, line, strlen(line), 1000);
}

static void
test_defaults(void)
{
	struct logrules_state st;
	unsigned m;

	memset(&st, 0, sizeof(st));
	CHECK_EQ_INT(defs.n, 7);

	m = feed(&st, "2024-05-01 12:00:00 Switched to major sync state.");
	CHECK_EQ_INT(m, BIT(MAJOR_SYNC_ON));
	CHECK(st.major_sync);
	m = feed(&st, "2024-05-01 12:05:00 No longer in major sync state.");
	CHECK_EQ_INT(m, BIT(MAJOR_SYNC_OFF));
	CHECK(!st.major_sync);

	m = feed(&st, "2024-05-01 12:06:00 INFO Running session 137199.");
	CHECK_EQ_INT(m, BIT(SESSION));
	CHECK(st.session_known);
	CHECK_EQ_INT(st.session, 137199);

	m = feed(&st, "2024-05-01 12:06:01 🎁 Prepared block for proposing at "
	              "1234 (5 ms) [hash: 0x1fa2; parent_hash: 0x0be1; "
	              "extrinsics (1): [0x9c3d]]");
	CHECK_EQ_INT(m, BIT(PRODUCED));
	CHECK(st.producing);
	CHECK_EQ_INT(st.produced_height, 1234);
	CHECK_EQ_INT(st.produced_ms, 1000);

	/* the debug variant and a repeat of the same session keep it */
	m = feed(&st, "Running session 137199 as authority id 3.");
	CHECK_EQ_INT(m, 0);
	m = feed(&st, "Running session 137199.");
	CHECK(st.producing);
	/* a new session clears it */
	m = feed(&st, "Running session 137200.");
	CHECK(!st.producing);
	CHECK_EQ_INT(st.session, 137200);
	/* newer polkadot-sdk wording, no emoji or brackets */
	m = feed(&st, "Prepared block for proposing at 1300 (3 ms) hash: 0xab");
	CHECK(st.producing);
	CHECK_EQ_INT(st.produced_height, 1300);

	m = feed(&st, "2024-05-01 12:06:02 ✨ Imported #12345 "
	              "(0x1234\xe2\x80\xa6"
	              "abcd)");
	CHECK_EQ_INT(m, BIT(IMPORTED));
	CHECK_EQ_INT(st.imported_height, 12345);
	CHECK_EQ_STR(st.imported_hash, "0x1234\xe2\x80\xa6"
	                               "abcd");
	CHECK_EQ_INT(st.last_import_ms, 1000);

	feed(&st, "Imported #12346 (0xabcd\xe2\x80\xa6"
	          "ef01)");
	CHECK_EQ_INT(st.imported_height, 12346);

	/* Aleph's sync forest status */
	m = feed(&st, "Imported: #500 (0xaa..bb), finalized: #498 (0xcc..dd), "
	              "favourite: #500 (0xaa..bb).");
	CHECK_EQ_INT(m, BIT(IMPORTED));
	CHECK_EQ_INT(st.imported_height, 500);
	CHECK_EQ_STR(st.imported_hash, "0xaa..bb");

	/* the informant during major sync */
	feed(&st, "⚙️  Syncing 150.5 bps, target=#9000 (12 peers), best: "
	          "#4321 (0x5e2a\xe2\x80\xa6"
	          "7b01), finalized #4000 (0x11\xe2\x80\xa6"
	          "22), ⬇ 1.2MiB/s ⬆ 3kiB/s");
	CHECK_EQ_INT(st.imported_height, 4321);
	CHECK_EQ_STR(st.imported_hash, "0x5e2a\xe2\x80\xa6"
	                               "7b01");

	/* a full-length hash */
	feed(&st, "✨ Imported #7 (0x0123456789abcdef0123456789abcdef0123456789"
	          "abcdef0123456789abcdef)");
	CHECK_EQ_INT(st.imported_height, 7);
	CHECK_EQ_INT(strlen(st.imported_hash), 66);

	CHECK(st.lines > 10);
	CHECK(st.matched > 8 && st.matched < st.lines);
}

static void
test_hostile_lines(void)
{
	struct logrules_state st;
	char big[20000];
	size_t i;

	memset(&st, 0, sizeof(st));
	feed(&st, "✨ Imported #10 (0x1a)");
	CHECK_EQ_INT(st.imported_height, 10);

	CHECK_EQ_INT(feed(&st, "Imported #"), 0);
	CHECK_EQ_INT(feed(&st, "Imported # (0x12)"), 0);
	CHECK_EQ_INT(feed(&st, "Imported #abc (0x12)"), 0);
	CHECK_EQ_INT(feed(&st, "Imported #11 ("), 0);
	CHECK_EQ_INT(feed(&st, "Imported #11 (0x"), 0);
	CHECK_EQ_INT(feed(&st, "Imported #11 (zz)"), 0);
	CHECK_EQ_INT(feed(&st, "Imported #11(0x12)"), 0);
	CHECK_EQ_INT(feed(&st, "Imported #99999999999999999999999 (0x12)"), 0);
	CHECK_EQ_INT(feed(&st, "Imported #18446744073709551616 (0x12)"), 0);
	CHECK_EQ_INT(feed(&st, "Running session 99999999999999999999999."), 0);
	CHECK_EQ_INT(feed(&st, "Running session ."), 0);
	CHECK_EQ_INT(feed(&st, "Running session -5."), 0);
	CHECK_EQ_INT(st.imported_height, 10);
	CHECK(!st.session_known);

	feed(&st, "Imported #18446744073709551615 (0x12)");
	CHECK(st.imported_height == UINT64_MAX);

	/* a hash longer than the capture is refused, not cut */
	memcpy(big, "Imported #12 (0x", 16);
	for (i = 16; i < 16 + 200; i++)
		big[i] = 'a';
	big[i++] = ')';
	CHECK_EQ_INT(logrules_feed(&defs, &st, big, i, 0), 0);

	/* NUL bytes are bytes: before the match, inside a wrong one */
	{
		static const char a[] = "junk\0junk Imported #42 (0x4a)";
		static const char b[] = "Imported #\0"
		                        "43 (0x4a)";

		CHECK_EQ_INT(logrules_feed(&defs, &st, a, sizeof(a) - 1, 0),
		             BIT(IMPORTED));
		CHECK_EQ_INT(st.imported_height, 42);
		CHECK_EQ_INT(logrules_feed(&defs, &st, b, sizeof(b) - 1, 0), 0);
	}

	/* a failed first occurrence does not hide a later one */
	feed(&st, "Imported #x Imported #9 (0x9a)");
	CHECK_EQ_INT(st.imported_height, 9);

	/* thousands of prefixes, no match: cheap and harmless */
	for (i = 0; i + 10 <= sizeof(big); i += 10)
		memcpy(big + i, "Imported #", 10);
	CHECK_EQ_INT(logrules_feed(&defs, &st, big, i, 0), 0);
	CHECK_EQ_INT(st.imported_height, 9);

	/* length is honoured: no reading past it */
	CHECK_EQ_INT(logrules_feed(&defs, &st, "Imported #77 (0x1)", 12, 0), 0);
	CHECK_EQ_INT(
	    logrules_feed(&defs, &st, "Switched to major sync state.", 20, 0),
	    0);
	CHECK_EQ_INT(logrules_feed(&defs, &st, "", 0, 0), 0);
}

/* ---- splitter ---- */

struct sink {
	unsigned n;
	char line[8][64];
	size_t len[8];
	size_t maxlen;
};

static void
collect(void *arg, const char *line, size_t len)
{
	struct sink *s = arg;

	if (len > s->maxlen)
		s->maxlen = len;
	if (s->n < 8) {
		size_t c = len < 63 ? len : 63;

		memcpy(s->line[s->n], line, c);
		s->line[s->n][c] = '\0';
		s->len[s->n] = len;
	}
	s->n++;
}

static void
test_split_chunks(void)
{
	static const char *parts[] = {"Impor",
	                              "ted #1",
	                              "0 (0xa",
	                              "b)\nRunning ses",
	                              "sion 3.\r\n",
	                              "\n",
	                              "tail without newline"};
	struct logsplit sp;
	struct sink s;
	size_t i;

	memset(&s, 0, sizeof(s));
	logsplit_init(&sp, 0);
	CHECK_EQ_INT(sp.max, LOGSPLIT_LINE_DEFAULT);
	for (i = 0; i < UTIL_NELEM(parts); i++)
		logsplit_feed(&sp, parts[i], strlen(parts[i]), collect, &s);
	CHECK_EQ_INT(s.n, 3);
	CHECK_EQ_STR(s.line[0], "Imported #10 (0xab)");
	CHECK_EQ_STR(s.line[1], "Running session 3."); /* CR dropped */
	CHECK_EQ_INT(s.len[2], 0);
	logsplit_flush(&sp, collect, &s);
	CHECK_EQ_INT(s.n, 4);
	CHECK_EQ_STR(s.line[3], "tail without newline");
	logsplit_flush(&sp, collect, &s);
	CHECK_EQ_INT(s.n, 4);

	/* reset drops a partial line */
	logsplit_feed(&sp, "half a li", 9, collect, &s);
	logsplit_reset(&sp);
	logsplit_feed(&sp, "ne\nwhole\n", 9, collect, &s);
	CHECK_EQ_INT(s.n, 6);
	CHECK_EQ_STR(s.line[4], "ne");
	CHECK_EQ_STR(s.line[5], "whole");

	logsplit_init(&sp, (size_t)1 << 30);
	CHECK_EQ_INT(sp.max, LOGSPLIT_LINE_MAX);
}

static void
test_split_overlong(void)
{
	struct logsplit sp;
	struct sink s;
	char *big = malloc(100000);
	size_t i;

	memset(&s, 0, sizeof(s));
	logsplit_init(&sp, 64);
	memcpy(big, "Imported #5 (0x5a)", 18);
	for (i = 18; i < 100000; i++)
		big[i] = (char)('a' + i % 26);
	/* in odd-sized chunks, then a normal line */
	for (i = 0; i < 100000; i += 777)
		logsplit_feed(&sp, big + i, 100000 - i < 777 ? 100000 - i : 777,
		              collect, &s);
	logsplit_feed(&sp, "\nnext\n", 6, collect, &s);
	CHECK_EQ_INT(s.n, 2);
	CHECK_EQ_INT(s.len[0], 64);
	CHECK_EQ_INT(s.maxlen, 64);
	CHECK_EQ_STR(s.line[1], "next");
	CHECK_EQ_INT(sp.truncated, 1);
	CHECK_EQ_INT(sp.lines, 2);

	/* exactly max is not truncated; max + 1 is */
	memset(&s, 0, sizeof(s));
	memset(big, 'x', 65);
	big[64] = '\n';
	logsplit_feed(&sp, big, 65, collect, &s);
	CHECK_EQ_INT(s.n, 1);
	CHECK_EQ_INT(s.len[0], 64);
	CHECK_EQ_INT(sp.truncated, 1);
	big[64] = 'x';
	big[65] = '\n';
	logsplit_feed(&sp, big, 66, collect, &s);
	CHECK_EQ_INT(s.n, 2);
	CHECK_EQ_INT(sp.truncated, 2);

	/* a huge line whose match sits in the kept head still counts */
	{
		struct logrules_state st;

		memset(&st, 0, sizeof(st));
		logsplit_init(&sp, 4096);
		memcpy(big, "✨ Imported #31 (0x31)", 24);
		for (i = 24; i < 100000; i++)
			big[i] = ' ';
		logrules_feed_chunk(&defs, &st, &sp, big, 100000, 5);
		logrules_feed_chunk(&defs, &st, &sp, "\n", 1, 5);
		CHECK_EQ_INT(st.imported_height, 31);
		CHECK_EQ_INT(sp.truncated, 1);
	}
	free(big);
}

static void
test_split_ansi_nul(void)
{
	static const char colored[] =
	    "\x1b[2m2024-05-01\x1b[0m \x1b[32mINFO\x1b[0m ✨ Imported "
	    "#\x1b[1;37m777\x1b[0m (0x12\xe2\x80\xa6"
	    "34)\n";
	static const char nul[] = "a\0b\nImported #8 (0x8)\0\n";
	struct logsplit sp;
	struct logrules_state st;
	struct sink s;
	unsigned m;
	size_t i;

	memset(&st, 0, sizeof(st));
	logsplit_init(&sp, 0);
	/* one byte at a time: escapes may straddle chunks */
	for (i = 0, m = 0; i < sizeof(colored) - 1; i++)
		m |= logrules_feed_chunk(&defs, &st, &sp, colored + i, 1, 9);
	CHECK_EQ_INT(m, BIT(IMPORTED));
	CHECK_EQ_INT(st.imported_height, 777);
	CHECK_EQ_INT(st.last_import_ms, 9);

	memset(&s, 0, sizeof(s));
	logsplit_feed(&sp, nul, sizeof(nul) - 1, collect, &s);
	CHECK_EQ_INT(s.n, 2);
	CHECK_EQ_INT(s.len[0], 3);
	CHECK_EQ_INT(s.len[1], 18);
	m = logrules_feed_chunk(&defs, &st, &sp, nul, sizeof(nul) - 1, 9);
	CHECK_EQ_INT(m, BIT(IMPORTED));
	CHECK_EQ_INT(st.imported_height, 8);

	/* an escape that never ends is cut by the newline */
	memset(&s, 0, sizeof(s));
	logsplit_feed(&sp, "\x1b[12;;;;;;\nok\n", 14, collect, &s);
	CHECK_EQ_INT(s.n, 2);
	CHECK_EQ_STR(s.line[1], "ok");
}

/* ---- custom rules ---- */

static void
test_custom_rules(void)
{
	struct logrules r;
	struct logrule rule;
	struct logrules_state st;
	char err[256];

	logrules_init(&r);
	CHECK(logrules_parse_rule("produced: Pre-sealed block for proposal "
	                          "at {n}",
	                          &rule, err, sizeof(err)) == 0);
	CHECK_EQ_INT(rule.signal, LOGRULE_PRODUCED);
	CHECK(logrules_add(&r, &rule) == 0);
	CHECK(logrules_conf_parse(&r, "  imported :  height={n} hash={hash} ",
	                          err, sizeof(err)) == 0);
	CHECK_EQ_STR(r.rule[1].text, "height={n} hash={hash}");
	CHECK(logrules_conf_parse(&r, "major_sync_on: {{sync}} on", err,
	                          sizeof(err)) == 0);
	CHECK(logrules_conf_parse(&r, "session: epoch {n} began", err,
	                          sizeof(err)) == 0);
	CHECK_EQ_INT(r.n, 4);

	memset(&st, 0, sizeof(st));
	CHECK_EQ_INT(
	    logrules_feed(&r, &st,
	                  "Pre-sealed block for proposal at 88. Hash now 0x1",
	                  50, 1),
	    BIT(PRODUCED));
	CHECK_EQ_INT(st.produced_height, 88);
	CHECK_EQ_INT(
	    logrules_feed(&r, &st, "x height=901 hash=0xfe end", 26, 1),
	    BIT(IMPORTED));
	CHECK_EQ_INT(st.imported_height, 901);
	CHECK_EQ_STR(st.imported_hash, "0xfe");
	CHECK_EQ_INT(logrules_feed(&r, &st, "{sync} on", 9, 1),
	             BIT(MAJOR_SYNC_ON));
	CHECK(st.major_sync);
	CHECK_EQ_INT(logrules_feed(&r, &st, "epoch 12 began", 14, 1),
	             BIT(SESSION));
	CHECK_EQ_INT(st.session, 12);
	CHECK(!st.producing);
	/* the defaults are not in this set */
	CHECK_EQ_INT(logrules_feed(&r, &st, "Imported #5 (0x5)", 17, 1), 0);

	/* a custom rule added to the defaults */
	{
		struct logrules both = defs;

		CHECK(logrules_conf_parse(&both,
		                          "produced: Pre-sealed block "
		                          "for proposal at {n}",
		                          err, sizeof(err)) == 0);
		CHECK_EQ_INT(both.n, defs.n + 1);
	}
}

static void
test_rule_errors(void)
{
	static const struct {
		const char *val;
		const char *want; /* substring of err */
	} rows[] = {
	    {"no colon here",
	     "expected 'signal: pattern', got 'no colon here'"},
	    {"bogus: x", "unknown signal 'bogus'"},
	    {": x", "unknown signal ''"},
	    {"session:   ", "empty pattern"},
	    {"session: Running session", "session needs a {n} capture"},
	    {"imported: best", "imported needs a {n}"},
	    {"imported: {n} blocks", "must start with literal text"},
	    {"imported: a{n}{hash}", "literal text between"},
	    {"imported: a {n} b {n}", "{n} captured twice"},
	    {"major_sync_on: x {n}", "major_sync_on takes no capture"},
	    {"produced: x {hash}", "{hash} only applies to imported"},
	    {"produced: x {height}", "unknown capture at '{height}'"},
	    {"produced: trailing {", "unknown capture"},
	};
	struct logrule rule;
	struct logrules r;
	char err[256], val[400];
	size_t i;

	for (i = 0; i < UTIL_NELEM(rows); i++) {
		err[0] = '\0';
		CHECKF(logrules_parse_rule(rows[i].val, &rule, err,
		                           sizeof(err)) == -1,
		       "'%s' accepted", rows[i].val);
		CHECKF(strstr(err, rows[i].want) != NULL,
		       "'%s': err '%s', want '%s'", rows[i].val, err,
		       rows[i].want);
	}
	/* too long: named, quoted (cut) */
	memcpy(val, "produced: ", 10);
	memset(val + 10, 'y', 300);
	val[310] = '\0';
	CHECK(logrules_parse_rule(val, &rule, err, sizeof(err)) == -1);
	CHECKF(strstr(err, "longer than 127 bytes: 'yyyy"), "%s", err);
	/* NULL err is fine */
	CHECK(logrules_parse_rule("x", &rule, NULL, 0) == -1);
	CHECK(logrules_parse_rule(NULL, &rule, err, sizeof(err)) == -1);

	/* a full set refuses more, naming the rule */
	logrules_init(&r);
	for (i = 0; i < LOGRULES_MAX; i++)
		CHECK(logrules_conf_parse(&r, "produced: p", err,
		                          sizeof(err)) == 0);
	CHECK(logrules_conf_parse(&r, "produced: q", err, sizeof(err)) == -1);
	CHECKF(strstr(err, "more than 32") && strstr(err, "'produced: q'"),
	       "%s", err);
}

static void
test_conf_print(void)
{
	struct logrules r;
	char buf[512];
	FILE *f;
	size_t n;

	logrules_init(&r);
	f = fmemopen(buf, sizeof(buf), "w");
	logrules_conf_print(&r, f);
	fclose(f);
	CHECK_EQ_STR(buf, "(none)");

	logrules_conf_parse(&r, "session: Running session {n}.", NULL, 0);
	logrules_conf_parse(&r, "imported: Imported #{n} ({hash}", NULL, 0);
	f = fmemopen(buf, sizeof(buf), "w");
	logrules_conf_print(&r, f);
	n = (size_t)ftell(f);
	fclose(f);
	buf[n] = '\0';
	CHECK_EQ_STR(buf, "session: Running session {n}.\n"
	                  "rule = imported: Imported #{n} ({hash}");
	CHECK_EQ_STR(logrule_signal_str(LOGRULE_SIGNAL_COUNT), "?");
	CHECK_EQ_INT(logrule_signal_from_str("session", 7), LOGRULE_SESSION);
	CHECK_EQ_INT(logrule_signal_from_str("sess", 4), -1);
}

int
main(void)
{
	logrules_init(&defs);
	logrules_add_defaults(&defs);
	RUN(test_defaults);
	RUN(test_hostile_lines);
	RUN(test_split_chunks);
	RUN(test_split_overlong);
	RUN(test_split_ansi_nul);
	RUN(test_custom_rules);
	RUN(test_rule_errors);
	RUN(test_conf_print);
	return TEST_END();
}
