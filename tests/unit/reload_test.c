/* reload: what a SIGHUP applies to a running pilot and what waits for a
 * restart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pilot/reload.h"
#include "tests/test.h"

#define BASE                                                                   \
	"[pilot]\nname = n1\nchain = cometbft\n"                               \
	"[node]\nrpc_url = http://127.0.0.1:26657\n"                           \
	"[reference]\nurl = http://127.0.0.1:1\n"                              \
	"[supervise]\nbackend = process\ncommand = /bin/true\n"

static struct pilot_conf *
load(const char *text)
{
	char err[512];
	struct pilot_conf *c =
	    pilot_conf_load_string("t", text, err, sizeof(err));

	CHECKF(c != NULL, "%s", err);
	return c;
}

static void
test_same_config_changes_nothing(void)
{
	struct pilot_conf *a = load(BASE), *b = load(BASE);
	struct reload_plan pl;

	if (a == NULL || b == NULL)
		goto out;
	CHECK(reload_plan(a, b, &pl) == 0);
	CHECK(!pl.policy && !pl.reference);
	CHECK_EQ_STR(pl.restart, "");
out:
	pilot_conf_free(a);
	pilot_conf_free(b);
}

static void
test_policy_applies(void)
{
	/* "2m" and "120s" are one value: only the lag threshold moved */
	struct pilot_conf *a = load(BASE "[policy]\nsevere_lag = 100\n"
	                                 "cooldown = 2m\n"),
	                  *b = load(BASE "[policy]\nsevere_lag = 40\n"
	                                 "cooldown = 120s\n");
	struct reload_plan pl;

	if (a == NULL || b == NULL)
		goto out;
	CHECK(reload_plan(a, b, &pl) == 0);
	CHECK(pl.policy && !pl.reference);
	CHECK_EQ_STR(pl.restart, "");
	reload_apply(a, b, &pl);
	CHECK_EQ_INT(a->policy.p.severe_lag, 40);
	CHECK_EQ_INT(a->policy.p.cooldown_ms, 120000);
out:
	pilot_conf_free(a);
	pilot_conf_free(b);
}

static void
test_reference_applies(void)
{
	struct pilot_conf *a = load(BASE),
	                  *b = load(BASE
	                            "[reference]\nurl = http://127.0.0.1:2\n");
	struct reload_plan pl;

	if (a == NULL || b == NULL)
		goto out;
	CHECK(reload_plan(a, b, &pl) == 0);
	CHECK(pl.reference && !pl.policy);
	reload_apply(a, b, &pl);
	CHECK_EQ_INT(a->reference.n, 2);
	CHECK_EQ_STR(a->reference.url[1], "http://127.0.0.1:2");
out:
	pilot_conf_free(a);
	pilot_conf_free(b);
}

static void
test_other_sections_wait_for_restart(void)
{
	/* the node's URL and its password (hidden in dumps), the supervisor
	 * and the pilot's name: none applied, all named */
	struct pilot_conf *a = load(BASE "[policy]\nsevere_lag = 100\n"),
	                  *b = load("[pilot]\nname = n2\nchain = cometbft\n"
	                            "[node]\nrpc_url = http://127.0.0.1:26657\n"
	                            "password = s3cret\n"
	                            "[reference]\nurl = http://127.0.0.1:1\n"
	                            "[supervise]\nbackend = process\n"
	                            "command = /bin/false\n"
	                            "[policy]\nsevere_lag = 50\n");
	struct reload_plan pl;

	if (a == NULL || b == NULL)
		goto out;
	CHECK(reload_plan(a, b, &pl) == 0);
	CHECK(pl.policy);
	CHECKF(strstr(pl.restart, "[pilot]") != NULL, "%s", pl.restart);
	CHECKF(strstr(pl.restart, "[node]") != NULL, "%s", pl.restart);
	CHECKF(strstr(pl.restart, "[supervise]") != NULL, "%s", pl.restart);
	CHECKF(strstr(pl.restart, "[policy]") == NULL, "%s", pl.restart);
	CHECKF(strstr(pl.restart, "s3cret") == NULL, "%s", pl.restart);
	reload_apply(a, b, &pl);
	CHECK_EQ_STR(a->pilot.name, "n1");
	CHECK_EQ_STR(a->node.password, "");
	CHECK_EQ_STR(a->supervise.command, "/bin/true");
	CHECK_EQ_INT(a->policy.p.severe_lag, 50);
out:
	pilot_conf_free(a);
	pilot_conf_free(b);
}

int
main(void)
{
	RUN(test_same_config_changes_nothing);
	RUN(test_policy_applies);
	RUN(test_reference_applies);
	RUN(test_other_sections_wait_for_restart);
	return TEST_END();
}
