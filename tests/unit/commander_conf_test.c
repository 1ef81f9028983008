/*
 * commander_conf_test: the commander's config (commander/conf.c) beyond
 * what the -n/-nv goldens show: the option tables' defaults equal the
 * modules' own defaults, [node] inventory and keys, [group] checks, and
 * each error naming the file, the section and the bad value.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commander/conf.h"
#include "tests/test.h"

static char dir[] = "/tmp/sextant-cconf-test.XXXXXX";
static char keypath[300], authpath[300], pub1[KEYS_PUB_LINE_MAX],
    pub2[KEYS_PUB_LINE_MAX];

/* A config text with the [commander] section pointing at the test keys. */
static struct commander_conf *
load(const char *extra, const char *auth, char *err, size_t errlen)
{
	char text[8192];

	snprintf(text, sizeof(text),
	         "[commander]\nkey = %s\nauthorized_pilots = %s\n"
	         "interval = 1s\n%s",
	         keypath, auth, extra);
	return commander_conf_load_string("c.ini", text, err, errlen);
}

static void
setup(void)
{
	struct keys_identity id;
	char line[KEYS_PUB_LINE_MAX];
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(keypath, sizeof(keypath), "%s/commander.key", dir);
	snprintf(authpath, sizeof(authpath), "%s/authorized", dir);
	CHECK(keys_init() == 0);
	CHECK(keys_generate(&id) == 0);
	CHECK(keys_write(keypath, &id, "commander") == 0);
	CHECK(keys_generate(&id) == 0);
	keys_format_public(id.pk, NULL, pub1, sizeof(pub1));
	keys_format_public(id.pk, "p1", line, sizeof(line));
	CHECK(keys_generate(&id) == 0);
	keys_format_public(id.pk, NULL, pub2, sizeof(pub2));
	keys_wipe(&id);
	f = fopen(authpath, "w");
	fprintf(f, "# test\n%s\n", line);
	fclose(f);
}

static void
test_defaults_match_modules(void)
{
	struct commander_conf *c;
	struct fleet_conf fc;
	struct budget_conf bc;
	struct failover_params fp, want = FAILOVER_DEFAULT_PARAMS;
	char err[512];

	c = load("[node v1]\ngroup = g\n[group g]\n", authpath, err,
	         sizeof(err));
	CHECKF(c != NULL, "%s", err);
	if (c == NULL)
		return;
	fleet_conf_defaults(&fc);
	fc.interval_ms = 1000; /* the commander's interval */
	CHECK(memcmp(&fc, &c->fleet, sizeof(fc)) == 0);
	memset(&bc, 0, sizeof(bc));
	budget_conf_defaults(&bc);
	CHECK(memcmp(&bc, &c->budget, sizeof(bc)) == 0);
	CHECK(c->ngroups == 1);
	commander_group_params(c->groups[0], &fp);
	CHECK(fp.ttl_ms == want.ttl_ms && fp.margin_ms == want.margin_ms &&
	      fp.drift_ppm == want.drift_ppm &&
	      fp.failover_after_ms == want.failover_after_ms &&
	      fp.max_lag_blocks == want.max_lag_blocks);
	CHECK(c->groups[0]->mode == FO_MODE_LEASE && c->groups[0]->enabled);
	CHECK(c->api.rate_per_s == 20 && c->api.token[0] == '\0');
	CHECK(c->alerts.inited && c->alerts.nchan == 0);
	CHECK(c->events.max_age_ms == 720ull * 3600 * 1000);
	commander_conf_free(c);
}

static void
test_inventory(void)
{
	struct commander_conf *c;
	char text[2048], err[512];

	snprintf(text, sizeof(text),
	         "[node p1]\ngroup = g\nnetwork = n-1\nrole = validator\n"
	         "priority = 10\n"
	         "[node v2]\ngroup = g\nrole = validator\npriority = 5\n"
	         "key = %s\n"
	         "[node s1]\nrole = sentry\n"
	         "[group g]\nmode = ack-only\nttl = 20s\nenabled = no\n",
	         pub2);
	c = load(text, authpath, err, sizeof(err));
	CHECKF(c != NULL, "%s", err);
	if (c == NULL)
		return;
	CHECK(c->nnodes == 3);
	CHECK_EQ_STR(c->nodes[0]->fc.name, "p1");
	CHECK_EQ_STR(c->nodes[0]->fc.network, "n-1");
	CHECK(c->nodes[0]->fc.priority == 10);
	CHECK_EQ_STR(c->nodes[2]->fc.role, "sentry");
	CHECK(c->groups[0]->mode == FO_MODE_ACK_ONLY);
	CHECK(!c->groups[0]->enabled && c->groups[0]->ttl_ms == 20000);
	/* p1 from the file, v2 from its [node] key */
	CHECK(registry_count(c->reg) == 2);
	commander_conf_free(c);

	/* only [node] keys, no authorized_pilots file at all */
	snprintf(text, sizeof(text), "[node v2]\nkey = %s\n", pub2);
	c = load(text, "", err, sizeof(err));
	CHECKF(c != NULL, "%s", err);
	if (c)
		CHECK(registry_count(c->reg) == 1);
	commander_conf_free(c);
}

struct bad {
	const char *extra;
	const char *want; /* a piece of the message */
};

static void
test_errors(void)
{
	char dup[1024], dupname[1024], toolong[600], err[512];
	static const struct bad rows[] = {
	    {"[group g]\n", "[group g]: no [node] has group = g"},
	    {"[node a]\ngroup = g\n[group g]\nttl = 1s\n",
	     "[group g] ttl: shorter than two heartbeat intervals"},
	    {"[node a]\nrole = miner\n", "role: validator, sentry, rpc or "
	                                 "empty 'miner'"},
	    {"[node a]\ngroup = g\nrole = sentry\n[group g]\n",
	     "[node a] role: a member of lease group g must be a validator "
	     "'sentry'"},
	    {"[node a]\n[node a]\n", "node 'a' defined twice"},
	    {"[node a b]\n", "node name 'a b' must be"},
	    {"[group g]\nmode = leased\n", "mode:"},
	    {"[group x]\n[group x]\n", "group 'x' defined twice"},
	    {"[node a]\nkey = sextant-ed25519 AAAA\n", "[node a] key:"},
	    {"[fleet]\nlag_blocks = 0\n", "lag_blocks: out of range"},
	    {"[budget]\nper_group = x\n", "per_group:"},
	    {"[api]\nlisten = tcp://1.2.3.4:5\n", "[api] listen:"},
	    {"[api]\ntoken = short\n", "[api] token: too short"},
	    {"[events]\nmax_age = 5d\n", "max_age:"},
	    {"[nodes a]\n", "unknown section"},
	};
	struct commander_conf *c;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		err[0] = '\0';
		c = load(rows[i].extra, authpath, err, sizeof(err));
		CHECKF(c == NULL && strstr(err, rows[i].want) != NULL &&
		           strncmp(err, "c.ini", 5) == 0,
		       "row %zu: got '%s'", i, err);
		commander_conf_free(c);
	}
	/* a key given twice: both places named */
	snprintf(dup, sizeof(dup), "[node x]\nkey = %s\n[node y]\nkey = %s\n",
	         pub2, pub2);
	c = load(dup, authpath, err, sizeof(err));
	CHECKF(c == NULL && strstr(err, "c.ini: [node y] key: key already "
	                                "listed at c.ini: [node x] key"),
	       "got '%s'", err);
	commander_conf_free(c);
	/* a node name in authorized_pilots and with a [node] key */
	snprintf(dupname, sizeof(dupname), "[node p1]\nkey = %s\n", pub2);
	c = load(dupname, authpath, err, sizeof(err));
	CHECKF(c == NULL && strstr(err, "node name already listed at line 2"),
	       "got '%s'", err);
	commander_conf_free(c);
	/* a key line too long is refused (by the INI reader already) */
	memset(toolong, 'A', sizeof(toolong) - 1);
	toolong[sizeof(toolong) - 1] = '\0';
	snprintf(dup, sizeof(dup), "[node a]\nkey = %s\n", toolong);
	c = load(dup, authpath, err, sizeof(err));
	CHECKF(c == NULL && strstr(err, "c.ini:6: line longer than"),
	       "got '%s'", err);
	commander_conf_free(c);
	commander_conf_free(NULL);
}

/* [ha]: off without endpoints; validated with the file and line. */
static void
test_ha(void)
{
	static const struct bad rows[] = {
	    {"[ha]\nendpoint = 127.0.0.1:2379\n",
	     "c.ini:6: endpoint: not an http://HOST:PORT etcd URL "
	     "'127.0.0.1:2379'"},
	    {"[ha]\nendpoint = http://a:1\nendpoint = http://a:2\n"
	     "endpoint = http://a:3\nendpoint = http://a:4\n"
	     "endpoint = http://a:5\nendpoint = http://a:6\n"
	     "endpoint = http://a:7\nendpoint = http://a:8\n"
	     "endpoint = http://a:9\n",
	     "c.ini:14: endpoint: at most 8 endpoints 'http://a:9'"},
	    {"[ha]\nendpoint = http://127.0.0.1:2379\n",
	     "[ha] id: required with endpoint"},
	    {"[ha]\nendpoint = http://127.0.0.1:2379\nid = a b\n",
	     "[ha] id: letters, digits"},
	    {"[ha]\nendpoint = http://127.0.0.1:2379\nid = c1\n"
	     "prefix = sextant\n",
	     "[ha] prefix: starts with '/'"},
	    {"[ha]\nendpoint = http://127.0.0.1:2379\nid = c1\n"
	     "ttl = 2500ms\n",
	     "[ha] ttl: etcd leases are whole seconds '2500ms'"},
	    {"[ha]\nttl = 1s\n", "c.ini:6: ttl: out of range"},
	    {"[ha]\nendpoint = http://127.0.0.1:2379\nid = c1\n"
	     "ttl = 3s\nmargin = 1500ms\n",
	     "[ha] margin: more than a third of ttl"},
	    {"[ha]\nendpoint = http://127.0.0.1:2379\nid = c1\n"
	     "ttl = 3s\nmargin = 500ms\ntimeout = 2s\n",
	     "[ha] timeout: more than a third of ttl"},
	    /* the holder's lease must outlast a takeover */
	    {"[ha]\nendpoint = http://127.0.0.1:2379\nid = c1\nttl = 9s\n"
	     "[node a]\ngroup = g\n[group g]\nttl = 10s\n",
	     "[group g] ttl: not longer than [ha] ttl + margin + "
	     "[commander] interval (11000ms)"},
	};
	struct commander_conf *c;
	char err[512];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		err[0] = '\0';
		c = load(rows[i].extra, authpath, err, sizeof(err));
		CHECKF(c == NULL && strstr(err, rows[i].want) != NULL &&
		           strncmp(err, "c.ini", 5) == 0,
		       "row %zu: got '%s'", i, err);
		commander_conf_free(c);
	}
	c = load("", authpath, err, sizeof(err));
	CHECKF(c != NULL && c->ha.nendpoints == 0, "%s", err);
	commander_conf_free(c);
	c = load("[ha]\nendpoint = http://127.0.0.1:2379/\n"
	         "endpoint = http://127.0.0.2:2379\nid = c-1\n"
	         "[node a]\ngroup = g\n[group g]\n",
	         authpath, err, sizeof(err));
	CHECKF(c != NULL, "%s", err);
	if (c != NULL) {
		CHECK(c->ha.nendpoints == 2);
		CHECK_EQ_STR(c->ha.endpoints[1], "http://127.0.0.2:2379");
		CHECK_EQ_STR(c->ha.prefix, "/sextant");
		CHECK(c->ha.ttl_ms == 5000 && c->ha.margin_ms == 1000 &&
		      c->ha.timeout_ms == 1000);
	}
	commander_conf_free(c);
}

/* write text to dir/name with mode; its path into path */
static void
put_file(const char *name, const char *text, mode_t mode, char *path,
         size_t size)
{
	FILE *f;

	snprintf(path, size, "%s/%s", dir, name);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
	CHECK(chmod(path, mode) == 0);
}

/* [ha] etcd auth and TLS: the pairs, the secret files' modes, and the
 * password as read (one line, its newline dropped) */
static void
test_ha_secure(void)
{
	char pw[400], pwloose[400], pwempty[400], pwtwo[400], ca[400], key[400],
	    keyloose[400], text[4096], err[1024], got[256];
	struct commander_conf *c;
	const char *base = "[ha]\nendpoint = https://127.0.0.1:2379\n"
	                   "id = c1\n";
	struct {
		const char *add;
		const char *want;
	} rows[] = {
	    {"user = root\n", "[ha] user: set without password_file 'root'"},
	    {"password_file = PW\n", "[ha] password_file: set without user"},
	    {"user = root\npassword_file = PWLOOSE\n",
	     "pwloose: mode 0644 lets group or others read it"},
	    {"user = root\npassword_file = PWEMPTY\n", "pwempty: empty"},
	    {"user = root\npassword_file = PWTWO\n",
	     "pwtwo: more than one line"},
	    {"user = root\npassword_file = /nonexistent/pw\n",
	     "[ha] password_file: /nonexistent/pw: No such file"},
	    {"cert_file = CA\n", "[ha] cert_file: set without key_file"},
	    {"key_file = KEY\n", "[ha] key_file: set without cert_file"},
	    {"cert_file = CA\nkey_file = KEYLOOSE\n",
	     "[ha] key_file: " /* then the path */},
	    {"ca_file = /nonexistent/ca.pem\n",
	     "[ha] ca_file: No such file or directory '/nonexistent/ca.pem'"},
	};

	put_file("pw", "s3cret \"pw\"\n", 0600, pw, sizeof(pw));
	put_file("pwloose", "s3cret\n", 0644, pwloose, sizeof(pwloose));
	put_file("pwempty", "\n", 0600, pwempty, sizeof(pwempty));
	put_file("pwtwo", "a\nb\n", 0600, pwtwo, sizeof(pwtwo));
	put_file("ca.pem", "not checked here\n", 0644, ca, sizeof(ca));
	put_file("key.pem", "k\n", 0600, key, sizeof(key));
	put_file("keyloose.pem", "k\n", 0640, keyloose, sizeof(keyloose));
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char add[1024];
		const char *p;
		size_t o = 0;

		/* PW, PWLOOSE ... stand for the files' paths */
		for (p = rows[i].add; *p && o + 400 < sizeof(add);) {
			const char *sub = NULL;
			size_t skip = 0;

			if (strncmp(p, "PWLOOSE", 7) == 0)
				sub = pwloose, skip = 7;
			else if (strncmp(p, "PWEMPTY", 7) == 0)
				sub = pwempty, skip = 7;
			else if (strncmp(p, "PWTWO", 5) == 0)
				sub = pwtwo, skip = 5;
			else if (strncmp(p, "PW\n", 3) == 0)
				sub = pw, skip = 2;
			else if (strncmp(p, "KEYLOOSE", 8) == 0)
				sub = keyloose, skip = 8;
			else if (strncmp(p, "KEY", 3) == 0)
				sub = key, skip = 3;
			else if (strncmp(p, "CA\n", 3) == 0)
				sub = ca, skip = 2;
			if (sub) {
				o += (size_t)snprintf(add + o, sizeof(add) - o,
				                      "%s", sub);
				p += skip;
			} else {
				add[o++] = *p++;
			}
		}
		add[o] = '\0';
		snprintf(text, sizeof(text), "%s%s", base, add);
		err[0] = '\0';
		c = load(text, authpath, err, sizeof(err));
		CHECKF(c == NULL && strstr(err, rows[i].want) != NULL &&
		           strncmp(err, "c.ini", 5) == 0,
		       "row %zu: got '%s'", i, err);
		commander_conf_free(c);
	}
	/* the key file's message names it */
	snprintf(text, sizeof(text), "%scert_file = %s\nkey_file = %s\n", base,
	         ca, keyloose);
	c = load(text, authpath, err, sizeof(err));
	CHECKF(c == NULL && strstr(err, keyloose) != NULL, "%s", err);
	commander_conf_free(c);
	/* TLS files for http:// endpoints only: a mistake */
	snprintf(text, sizeof(text),
	         "[ha]\nendpoint = http://127.0.0.1:2379\nid = c1\n"
	         "ca_file = %s\n",
	         ca);
	c = load(text, authpath, err, sizeof(err));
	CHECKF(c == NULL && strstr(err, "[ha] ca_file: no endpoint is "
	                                "https://") != NULL,
	       "%s", err);
	commander_conf_free(c);
	/* all of it */
	snprintf(text, sizeof(text),
	         "%suser = root\npassword_file = %s\nca_file = %s\n"
	         "cert_file = %s\nkey_file = %s\n",
	         base, pw, ca, ca, key);
	c = load(text, authpath, err, sizeof(err));
	CHECKF(c != NULL, "%s", err);
	if (c != NULL) {
		CHECK_EQ_STR(c->ha.user, "root");
		CHECK_EQ_STR(c->ha.password_file, pw);
		CHECK_EQ_STR(c->ha.ca_file, ca);
		CHECK_EQ_STR(c->ha.key_file, key);
	}
	commander_conf_free(c);
	/* the password: the newline dropped, the quotes kept */
	CHECK(ha_read_password(pw, got, sizeof(got), err, sizeof(err)) == 0);
	CHECK_EQ_STR(got, "s3cret \"pw\"");
	CHECK(ha_read_password(pw, got, 4, err, sizeof(err)) == -1);
	CHECKF(strstr(err, "longer than 3 bytes") != NULL, "%s", err);
	CHECK(ha_read_password(pwloose, got, sizeof(got), err, sizeof(err)) ==
	      -1);
	CHECKF(strstr(err, pwloose) != NULL && strstr(err, "0644") != NULL,
	       "%s", err);
}

static void
test_dump_hides_tokens(void)
{
	struct commander_conf *c;
	char err[512], *buf = NULL;
	size_t len = 0;
	FILE *f;

	c = load("[api]\ntoken = 0123456789abcdef0123\n", authpath, err,
	         sizeof(err));
	CHECKF(c != NULL, "%s", err);
	if (c == NULL)
		return;
	f = open_memstream(&buf, &len);
	commander_conf_dump(c, f);
	fclose(f);
	CHECK(strstr(buf, "0123456789abcdef") == NULL);
	CHECK(strstr(buf, "token = (secret)\n") != NULL);
	/* an unset token prints empty, so -nv output reads back */
	CHECK(strstr(buf, "read_token = \n") != NULL);
	free(buf);
	commander_conf_free(c);
}

int
main(void)
{
	char cmd[128];
	int rc;

	setup();
	RUN(test_defaults_match_modules);
	RUN(test_inventory);
	RUN(test_errors);
	RUN(test_dump_hides_tokens);
	RUN(test_ha);
	RUN(test_ha_secure);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	rc = system(cmd);
	(void)rc;
	return TEST_END();
}
