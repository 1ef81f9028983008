/*
 * commander_reload_test: what a SIGHUP applies at once and what waits for
 * a restart (commander/reload.c).  Each row loads a running and a fresh
 * config and checks the plan: the sections applied, the sections named
 * for a restart, and that a changed secret shows only as its section.
 */
#include <stdlib.h>
#include <unistd.h>

#include "commander/reload.h"
#include "tests/test.h"

static char dir[] = "/tmp/sextant-creload-test.XXXXXX";
static char keypath[300], key2path[300], authpath[300];

#define SECRET_URL_A "http://127.0.0.1:9000/hook/SECRET-aaaa"
#define SECRET_URL_B "http://127.0.0.1:9001/hook/SECRET-bbbb"
#define TOKEN_A      "token-running-SECRET-0123456789"
#define TOKEN_B      "token-fresh-SECRET-9876543210"

/* The knobs a row turns; NULL: the running config's value. */
struct knobs {
	const char *listen, *api_listen, *token, *url, *key, *unreach_for;
	const char *extra;
};

static struct commander_conf *
load(const struct knobs *k)
{
	char text[65536], err[512];
	struct commander_conf *c;

	snprintf(text, sizeof(text),
	         "[commander]\n"
	         "listen = %s\n"
	         "key = %s\n"
	         "authorized_pilots = %s\n"
	         "interval = 1s\n"
	         "\n"
	         "[api]\n"
	         "listen = %s\n"
	         "token = %s\n"
	         "\n"
	         "[alerts]\n"
	         "pilot_unreachable_for = %s\n"
	         "\n"
	         "[channel hook]\n"
	         "type = webhook\n"
	         "url = %s\n"
	         "min_severity = info\n"
	         "%s",
	         k->listen ? k->listen : "tcp://127.0.0.1:7400",
	         k->key ? k->key : keypath, authpath,
	         k->api_listen ? k->api_listen : "http://127.0.0.1:7401",
	         k->token ? k->token : TOKEN_A,
	         k->unreach_for ? k->unreach_for : "1s",
	         k->url ? k->url : SECRET_URL_A, k->extra ? k->extra : "");
	c = commander_conf_load_string("c.ini", text, err, sizeof(err));
	CHECKF(c != NULL, "%s", err);
	return c;
}

/* Write authorized_pilots with one fresh key for node name. */
static void
write_authorized(const char *name)
{
	struct keys_identity id;
	char line[KEYS_PUB_LINE_MAX];
	FILE *f;

	CHECK(keys_generate(&id) == 0);
	keys_format_public(id.pk, name, line, sizeof(line));
	keys_wipe(&id);
	CHECK((f = fopen(authpath, "w")) != NULL);
	if (f == NULL)
		return;
	fprintf(f, "%s\n", line);
	fclose(f);
}

static void
setup(void)
{
	struct keys_identity id;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(keypath, sizeof(keypath), "%s/commander.key", dir);
	snprintf(key2path, sizeof(key2path), "%s/other.key", dir);
	snprintf(authpath, sizeof(authpath), "%s/authorized", dir);
	CHECK(keys_init() == 0);
	CHECK(keys_generate(&id) == 0);
	CHECK(keys_write(keypath, &id, "commander") == 0);
	CHECK(keys_generate(&id) == 0);
	CHECK(keys_write(key2path, &id, "other") == 0);
	keys_wipe(&id);
	write_authorized("p1");
}

/* The same authorized_pilots path with other contents (one pilot's key
 * replaced, under the same name or another: the count stays) waits for a
 * restart, and the plan says so instead of "no change". */
static void
test_authorized_contents(void)
{
	static const char *const names[] = {"p1", "p2"};
	struct knobs none = {0};
	struct commander_conf *run = load(&none), *fresh;
	struct commander_reload_plan p;

	if (run == NULL)
		return;
	for (size_t i = 0; i < 2; i++) {
		write_authorized(names[i]);
		if ((fresh = load(&none)) == NULL)
			break;
		CHECK_EQ_INT(commander_reload_plan(run, fresh, &p), 0);
		CHECKF(strcmp(p.restart, "[commander] authorized_pilots") == 0,
		       "%s: restart '%s'", names[i], p.restart);
		CHECK(!p.alerts && !p.api);
		commander_conf_free(fresh);
	}
	commander_conf_free(run);
}

static void
test_plan_rows(void)
{
	static const struct {
		const char *what;
		struct knobs fresh;
		bool alerts, api;
		const char *applied, *restart; /* exact */
	} rows[] = {
	    {"nothing changed", {0}, false, false, "", ""},
	    {"one value spelled otherwise",
	     {.unreach_for = "1000ms"},
	     false,
	     false,
	     "",
	     ""},
	    {"channel url changed",
	     {.url = SECRET_URL_B},
	     true,
	     false,
	     "[channel hook]",
	     ""},
	    {"route added",
	     {.extra = "\n[channel pager]\ntype = webhook\nurl = " SECRET_URL_B
	               "\nmin_severity = critical\nnode = v1\n"},
	     true,
	     false,
	     "[channel pager]",
	     ""},
	    {"rule changed",
	     {.unreach_for = "5m"},
	     true,
	     false,
	     "[alerts]",
	     ""},
	    {"api token changed", {.token = TOKEN_B}, false, true, "[api]", ""},
	    {"commander listen changed",
	     {.listen = "tcp://127.0.0.1:7499"},
	     false,
	     false,
	     "",
	     "[commander]"},
	    {"api listen changed",
	     {.api_listen = "http://127.0.0.1:7499"},
	     false,
	     false,
	     "",
	     "[api] listen"},
	    {"key file changed",
	     {.key = key2path},
	     false,
	     false,
	     "",
	     "[commander] [commander] key"},
	    {"inventory node added",
	     {.extra = "\n[node v1]\nnetwork = n\n"},
	     false,
	     false,
	     "",
	     "[node v1]"},
	    {"a mix",
	     {.url = SECRET_URL_B,
	      .token = TOKEN_B,
	      .listen = "tcp://127.0.0.1:7499",
	      .extra = "\n[ha]\nprefix = /x\n"},
	     true,
	     true,
	     "[api] [channel hook]",
	     "[commander] [ha]"},
	};
	struct knobs none = {0};
	struct commander_conf *run = load(&none);

	if (run == NULL)
		return;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct commander_conf *fresh = load(&rows[i].fresh);
		struct commander_reload_plan p;

		if (fresh == NULL) {
			printf("  row '%s': does not load\n", rows[i].what);
			continue;
		}
		CHECK_EQ_INT(commander_reload_plan(run, fresh, &p), 0);
		CHECKF(p.alerts == rows[i].alerts && p.api == rows[i].api,
		       "%s: alerts %d api %d", rows[i].what, p.alerts, p.api);
		CHECKF(strcmp(p.applied, rows[i].applied) == 0,
		       "%s: applied '%s'", rows[i].what, p.applied);
		CHECKF(strcmp(p.restart, rows[i].restart) == 0,
		       "%s: restart '%s'", rows[i].what, p.restart);
		/* a secret is named by its section, never printed */
		CHECKF(strstr(p.applied, "SECRET") == NULL &&
		           strstr(p.restart, "SECRET") == NULL,
		       "%s: a secret in the plan", rows[i].what);
		/* the other way round finds the same */
		CHECK_EQ_INT(commander_reload_plan(fresh, run, &p), 0);
		CHECKF(p.alerts == rows[i].alerts && p.api == rows[i].api,
		       "%s, reversed: alerts %d api %d", rows[i].what, p.alerts,
		       p.api);
		commander_conf_free(fresh);
	}
	commander_conf_free(run);
}

/* A channel removed reloads too (its queued messages are dropped by
 * alerts_new); a long list of restart sections ends in "...". */
static void
test_removed_and_long(void)
{
	struct knobs k = {
	    .extra = "\n[channel pager]\ntype = log\nmin_severity = info\n"};
	struct commander_conf *run = load(&k), *fresh;
	struct commander_reload_plan p;
	char *extra;
	size_t len = 0;
	FILE *f;

	k.extra = NULL;
	fresh = load(&k);
	if (run != NULL && fresh != NULL) {
		CHECK_EQ_INT(commander_reload_plan(run, fresh, &p), 0);
		CHECK(p.alerts);
		CHECK_EQ_STR(p.applied, "[channel pager]");
	}
	commander_conf_free(fresh);

	if ((f = open_memstream(&extra, &len)) == NULL)
		return;
	for (int i = 0; i < 200; i++)
		fprintf(f, "\n[node node-with-a-long-name-%03d]\nnetwork = n\n",
		        i);
	fclose(f);
	k.extra = extra;
	fresh = load(&k);
	if (run != NULL && fresh != NULL) {
		size_t l;

		CHECK_EQ_INT(commander_reload_plan(run, fresh, &p), 0);
		l = strlen(p.restart);
		CHECK(l < sizeof(p.restart));
		CHECKF(l >= 3 && strcmp(p.restart + l - 3, "...") == 0,
		       "restart '%s'", p.restart);
		CHECK(strncmp(p.restart, "[node node-with-a-long-name-000]",
		              32) == 0);
	}
	free(extra);
	commander_conf_free(fresh);
	commander_conf_free(run);
}

int
main(void)
{
	char cmd[128];
	int rc;

	setup();
	RUN(test_plan_rows);
	RUN(test_removed_and_long);
	RUN(test_authorized_contents);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	rc = system(cmd);
	(void)rc;
	return TEST_END();
}
