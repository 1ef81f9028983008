/* conf_test: the table-driven INI loader: values, bounds, errors that name
 * file, line and value, repeated sections, environment overrides. */
#include <stddef.h>
#include <stdlib.h>

#include "common/conf.h"
#include "common/keys.h"
#include "pilot/conf.h"
#include "tests/test.h"

struct node {
	char name[16];
	uint32_t prio;
};

struct cfg {
	char name[16];
	uint32_t port;
	uint64_t interval_ms;
	bool dry;
	int mode;
	char token[32];
	char refs[4][32];
	int nrefs;
	struct node nodes[3];
	size_t nnodes;
};

static const char *const modes[] = {"lease", "ack-only", NULL};

static int
parse_ref(void *field, const char *val, char *err, size_t errlen)
{
	struct cfg *c =
	    (struct cfg *)((char *)field - offsetof(struct cfg, refs));

	if (c->nrefs == 4) {
		snprintf(err, errlen, "at most 4 references");
		return -1;
	}
	if (strncmp(val, "http://", 7) != 0) {
		snprintf(err, errlen, "not an http:// URL");
		return -1;
	}
	snprintf(c->refs[c->nrefs++], 32, "%s", val);
	return 0;
}

static const struct conf_opt main_opts[] = {
    {.name = "name",
     .type = CONF_STR,
     .off = offsetof(struct cfg, name),
     .size = sizeof(((struct cfg *)0)->name),
     .def = "anon"},
    {.name = "port",
     .type = CONF_U32,
     .off = offsetof(struct cfg, port),
     .min = 1,
     .max = 65535,
     .def = "7400"},
    {.name = "interval",
     .type = CONF_DURATION_MS,
     .off = offsetof(struct cfg, interval_ms),
     .min = 100,
     .max = 3600000,
     .def = "60s"},
    {.name = "dry_run", .type = CONF_BOOL, .off = offsetof(struct cfg, dry)},
    {.name = "mode",
     .type = CONF_ENUM,
     .off = offsetof(struct cfg, mode),
     .names = modes,
     .def = "lease"},
    {.name = "token",
     .type = CONF_STR,
     .off = offsetof(struct cfg, token),
     .size = 32,
     .secret = true,
     .env = "CONF_TEST_TOKEN"},
    {.name = "reference",
     .type = CONF_CUSTOM,
     .multi = true,
     .off = offsetof(struct cfg, refs),
     .parse = parse_ref},
    CONF_END};

static const struct conf_opt node_opts[] = {{.name = "priority",
                                             .type = CONF_U32,
                                             .off = offsetof(struct node, prio),
                                             .max = 100,
                                             .def = "10"},
                                            CONF_END};

static void *
node_open(void *cfgp, const char *inst, char *err, size_t errlen)
{
	struct cfg *c = cfgp;

	for (size_t i = 0; i < c->nnodes; i++)
		if (strcmp(c->nodes[i].name, inst) == 0) {
			snprintf(err, errlen, "node '%s' defined twice", inst);
			return NULL;
		}
	if (c->nnodes == 3) {
		snprintf(err, errlen, "too many nodes");
		return NULL;
	}
	snprintf(c->nodes[c->nnodes].name, 16, "%s", inst);
	return &c->nodes[c->nnodes++];
}

static size_t
node_count(const void *cfgp)
{
	return ((const struct cfg *)cfgp)->nnodes;
}

static void *
node_get(const void *cfgp, size_t i, const char **inst)
{
	struct cfg *c = (struct cfg *)cfgp;

	*inst = c->nodes[i].name;
	return &c->nodes[i];
}

static const struct conf_section secs[] = {{.name = "main", .opts = main_opts},
                                           {.name = "node",
                                            .repeated = true,
                                            .opts = node_opts,
                                            .open = node_open,
                                            .count = node_count,
                                            .get = node_get},
                                           CONF_SECTIONS_END};

static int
load(const char *text, struct cfg *c, char *err)
{
	memset(c, 0, sizeof(*c));
	err[0] = '\0';
	return conf_load_string("t.ini", text, secs, c, err, 256);
}

static void
test_defaults_and_values(void)
{
	struct cfg c;
	char err[256];

	CHECK(load("", &c, err) == 0);
	CHECK_EQ_STR(c.name, "anon");
	CHECK_EQ_INT(c.port, 7400);
	CHECK_EQ_INT(c.interval_ms, 60000);
	CHECK_EQ_INT(c.mode, 0);
	CHECK(load("[main]\nname = val1\nport=26657\ninterval = 250ms\n"
	           "dry_run = yes\nmode = ack-only\n"
	           "reference = http://a\nreference = http://b\n"
	           "[node v1]\npriority = 5\n[node \"v2\"]\n",
	           &c, err) == 0);
	CHECK_EQ_STR(err, "");
	CHECK_EQ_STR(c.name, "val1");
	CHECK_EQ_INT(c.port, 26657);
	CHECK_EQ_INT(c.interval_ms, 250);
	CHECK(c.dry);
	CHECK_EQ_INT(c.mode, 1);
	CHECK_EQ_INT(c.nrefs, 2);
	CHECK_EQ_INT(c.nnodes, 2);
	CHECK_EQ_INT(c.nodes[0].prio, 5);
	CHECK_EQ_STR(c.nodes[1].name, "v2");
	CHECK_EQ_INT(c.nodes[1].prio, 10); /* default per instance */
}

static void
test_errors_name_file_line_value(void)
{
	static const struct {
		const char *text, *want;
	} rows[] = {
	    {"[main]\nport = 70000\n",
	     "t.ini:2: port: out of range 1..65535 '70000'"},
	    {"[main]\n\nport = 12a\n",
	     "t.ini:3: port: not a whole number '12a'"},
	    {"[main]\ninterval = 6O\n", "t.ini:2: interval: not a duration"},
	    {"[main]\ninterval = 5ms\n", "t.ini:2: interval: out of range"},
	    {"[main]\nmode = fast\n",
	     "t.ini:2: mode: not one of lease, ack-only 'fast'"},
	    {"[main]\nname = abcdefghijklmnopqrstuvwxyz\n",
	     "t.ini:2: name: longer than 15 characters"},
	    {"[main]\nnmae = x\n", "t.ini:2: unknown key 'nmae' in [main]"},
	    {"[mian]\nname = x\n", "t.ini:1: unknown section '[mian]'"},
	    {"[main]\nport = 1\nport = 2\n",
	     "t.ini:3: port: set twice (first at line 2)"},
	    {"[node a]\n[node b]\n[node c]\n[node d]\npriority=1\n",
	     "too many nodes"},
	    {"[node a]\npriority=1\n[node a]\npriority=2\n",
	     "t.ini:3: [node a]: node 'a' defined twice"},
	    {"[main]\nreference = ftp://x\n",
	     "t.ini:2: reference: not an http:// URL 'ftp://x'"},
	    {"[main]\nthis line has no equals\n", "t.ini:2: syntax error"},
	    {"name = x\n", "t.ini:1: name: key outside any section"},
	    {"[node]\npriority = 1\n", "needs a name"},
	    {"[main]\ndry_run = maybe\n", "t.ini:2: dry_run: not yes/no"},
	};
	struct cfg c;
	char err[256];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = load(rows[i].text, &c, err);

		CHECKF(rc == -1, "row %zu accepted", i);
		CHECKF(strstr(err, rows[i].want) != NULL,
		       "row %zu: got \"%s\", want \"%s\"", i, err,
		       rows[i].want);
	}
}

static void
test_secret_never_echoed(void)
{
	struct cfg c;
	char err[256], big[128];

	memset(big, 'S', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	char text[256];
	snprintf(text, sizeof(text), "[main]\ntoken = %s\n", big);
	CHECK(load(text, &c, err) == -1);
	CHECK(strstr(err, "SSSS") == NULL);
	CHECK(strstr(err, "value hidden") != NULL);
}

static void
test_env_override(void)
{
	struct cfg c;
	char err[256];

	setenv("CONF_TEST_TOKEN", "from-env", 1);
	CHECK(load("[main]\ntoken = from-file\n", &c, err) == 0);
	CHECK_EQ_STR(c.token, "from-env");
	unsetenv("CONF_TEST_TOKEN");
	CHECK(load("[main]\ntoken = from-file\n", &c, err) == 0);
	CHECK_EQ_STR(c.token, "from-file");
}

static void
test_hostile_lines(void)
{
	struct cfg c;
	char err[256];
	size_t n = 100000;
	char *text = malloc(n + 32);

	/* a line far longer than inih's buffer: an error, never a split */
	strcpy(text, "[main]\nname = ");
	memset(text + 14, 'x', n);
	strcpy(text + 14 + n, "\nport = 5\n");
	CHECK(load(text, &c, err) == -1);
	CHECK(strstr(err, "t.ini:2: line longer than") != NULL);
	free(text);
	CHECK(load("[main]\n[", &c, err) == -1);
	CHECK(load("\xff\xfe[main]\n", &c, err) == -1);
	CHECK(load("[main]\nname = \n", &c, err) == 0); /* empty is a value */
	CHECK_EQ_STR(c.name, "");
}

static void
test_dump_roundtrip(void)
{
	struct cfg c, d;
	char err[256], *buf = NULL;
	size_t len = 0;
	FILE *f;

	CHECK(load("[main]\nname = n1\nport = 9\ntoken = hunter2\n"
	           "[node a]\npriority = 3\n",
	           &c, err) == 0);
	f = open_memstream(&buf, &len);
	conf_dump(secs, &c, f);
	fclose(f);
	CHECK(strstr(buf, "token = (secret)") != NULL);
	CHECK(strstr(buf, "hunter2") == NULL);
	CHECK(strstr(buf, "[node a]\npriority = 3\n") != NULL);
	CHECK(strstr(buf, "interval = 60s\n") != NULL);
	free(buf);
	(void)d;
}

/*
 * The pilot's [commander] url, repeated for HA commanders: kept as one
 * space-separated list in order, dumped back as repeated lines, every
 * element checked with the file and line.
 */
static void
test_pilot_commander_urls(void)
{
	char dir[] = "/tmp/sextant-conf-test.XXXXXX", text[2048], err[512];
	char pkey[300], ckey[300], *buf = NULL;
	struct keys_identity id;
	struct pilot_conf *c;
	size_t len = 0;
	FILE *f;
	int rc;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(pkey, sizeof(pkey), "%s/pilot.key", dir);
	snprintf(ckey, sizeof(ckey), "%s/commander.key", dir);
	CHECK(keys_init() == 0 && keys_generate(&id) == 0 &&
	      keys_write(pkey, &id, "p") == 0 && keys_generate(&id) == 0 &&
	      keys_write(ckey, &id, "c") == 0);
	keys_wipe(&id);
#define PILOT_HEAD                                                             \
	"[pilot]\nname = n1\nnetwork = net-1\nstate_dir = %s\nkey = %s\n"      \
	"[node]\nrpc_url = http://127.0.0.1:26657\n[commander]\n"              \
	"key = %s.pub\n"
	snprintf(text, sizeof(text),
	         PILOT_HEAD "url = tcp://127.0.0.1:7400\n"
	                    "url = tcp://127.0.0.1:7401\n",
	         dir, pkey, ckey);
	c = pilot_conf_load_string("p.ini", text, err, sizeof(err));
	CHECKF(c != NULL, "%s", err);
	if (c != NULL) {
		CHECK(c->has_commander);
		CHECK_EQ_STR(c->commander.url,
		             "tcp://127.0.0.1:7400 tcp://127.0.0.1:7401");
		f = open_memstream(&buf, &len);
		pilot_conf_dump(c, f);
		fclose(f);
		CHECK(strstr(buf, "url = tcp://127.0.0.1:7400\nurl = "
		                  "tcp://127.0.0.1:7401\n") != NULL);
		free(buf);
		pilot_conf_free(c);
	}
	/* one URL still works as before */
	snprintf(text, sizeof(text), PILOT_HEAD "url = tcp://127.0.0.1:7400\n",
	         dir, pkey, ckey);
	c = pilot_conf_load_string("p.ini", text, err, sizeof(err));
	CHECKF(c != NULL &&
	           strcmp(c->commander.url, "tcp://127.0.0.1:7400") == 0,
	       "%s", err);
	pilot_conf_free(c);
	/* a bad second URL, named */
	snprintf(text, sizeof(text),
	         PILOT_HEAD "url = tcp://127.0.0.1:7400\nurl = http://x:1\n",
	         dir, pkey, ckey);
	c = pilot_conf_load_string("p.ini", text, err, sizeof(err));
	CHECKF(c == NULL && strstr(err, "[commander] url: not tcp://HOST:PORT "
	                                "'http://x:1'") != NULL,
	       "got '%s'", err);
	pilot_conf_free(c);
	/* two on one line, and too many */
	snprintf(text, sizeof(text), PILOT_HEAD "url = tcp://a:1 tcp://b:2\n",
	         dir, pkey, ckey);
	c = pilot_conf_load_string("p.ini", text, err, sizeof(err));
	CHECKF(c == NULL &&
	           strstr(err, "p.ini:10: url: one URL per line") != NULL,
	       "got '%s'", err);
	pilot_conf_free(c);
	snprintf(text, sizeof(text),
	         PILOT_HEAD
	         "url = tcp://a:1\nurl = tcp://a:2\nurl = tcp://a:3\n"
	         "url = tcp://a:4\nurl = tcp://a:5\n",
	         dir, pkey, ckey);
	c = pilot_conf_load_string("p.ini", text, err, sizeof(err));
	CHECKF(c == NULL &&
	           strstr(err, "p.ini:14: url: at most 4 commanders") != NULL,
	       "got '%s'", err);
	pilot_conf_free(c);
#undef PILOT_HEAD
	snprintf(text, sizeof(text), "rm -rf %s", dir);
	rc = system(text);
	(void)rc;
}

int
main(void)
{
	RUN(test_defaults_and_values);
	RUN(test_errors_name_file_line_value);
	RUN(test_secret_never_echoed);
	RUN(test_env_override);
	RUN(test_hostile_lines);
	RUN(test_dump_roundtrip);
	RUN(test_pilot_commander_urls);
	return TEST_END();
}
