/* alert_conf_test: the [alerts] and [channel NAME] sections: defaults,
 * per-rule settings, secrets from the environment, and every error naming
 * the file and line without quoting a secret. */
#include <stdlib.h>

#include "commander/alert_conf.h"
#include "tests/test.h"

/* The glue a daemon uses, on a struct that holds the alerts elsewhere. */
struct daemon_conf {
	int other;
	struct alerts_conf alerts;
};
ALERT_CONF_GLUE(dc, struct daemon_conf, alerts)
static const struct conf_section daemon_sections[] = {
    ALERT_CONF_SECTION_ROWS(dc),
    CONF_SECTIONS_END,
};

static int
load(const char *text, struct alerts_conf *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	if (conf_load_string("t.ini", text, alert_conf_sections, c, err,
	                     errlen) != 0)
		return -1;
	return alert_conf_finish(c, "t.ini", err, errlen);
}

static void
test_defaults(void)
{
	struct alerts_conf c;
	char err[256] = "";

	CHECK(load("", &c, err, sizeof(err)) == 0);
	CHECK(c.inited);
	CHECK(c.rules.repeat_ms == 4 * 3600 * 1000ull);
	CHECK(c.am_resend_ms == 60000);
	CHECK(c.timeout_ms == 10000);
	CHECK(c.rules.rule[AR_NODE_DOWN].enabled);
	CHECK(c.rules.rule[AR_NODE_DOWN].severity == SEV_CRITICAL);
	CHECK(c.rules.rule[AR_LAGGING].threshold == 20);
	CHECK_EQ_INT(c.nchan, 0);
}

static void
test_full(void)
{
	static const char text[] = "[alerts]\n"
	                           "repeat = 30m\n"
	                           "test_on_start = yes\n"
	                           "alertmanager_resend = 90s\n"
	                           "lagging_threshold = 35\n"
	                           "node_down_for = 2m\n"
	                           "restarted = no\n"
	                           "disk_full_severity = critical\n"
	                           "dashboard_url = https://ops.example/\n"
	                           "\n"
	                           "[channel ops]\n"
	                           "type = slack\n"
	                           "url = env:SXT_TEST_SLACK\n"
	                           "min_severity = warning\n"
	                           "node = val1\n"
	                           "per_minute = 20\n"
	                           "\n"
	                           "[channel tg]\n"
	                           "type = telegram\n"
	                           "token = 123:literal-TOKEN-value\n"
	                           "chat_id = -100\n"
	                           "html = yes\n"
	                           "\n"
	                           "[channel pd]\n"
	                           "type = pagerduty\n"
	                           "token = env:SXT_TEST_PD\n"
	                           "\n"
	                           "[channel local]\n"
	                           "type = log\n"
	                           "\n"
	                           "[channel am]\n"
	                           "type = alertmanager\n"
	                           "url = http://127.0.0.1:9093//\n";
	struct alerts_conf c;
	char err[256] = "", *dump = NULL;
	size_t dlen = 0;
	FILE *f;

	setenv("SXT_TEST_SLACK",
	       "https://hooks.slack.com/services/T/B/ENVSECRET", 1);
	setenv("SXT_TEST_PD", "ENVROUTINGKEY", 1);
	CHECKF(load(text, &c, err, sizeof(err)) == 0, "%s", err);
	CHECK(c.rules.repeat_ms == 1800000);
	CHECK(c.test_on_start);
	CHECK(c.am_resend_ms == 90000);
	CHECK(c.rules.rule[AR_LAGGING].threshold == 35);
	CHECK(c.rules.rule[AR_NODE_DOWN].for_ms == 120000);
	CHECK(!c.rules.rule[AR_RESTARTED].enabled);
	CHECK(c.rules.rule[AR_DISK_FULL].severity == SEV_CRITICAL);
	CHECK_EQ_INT(c.nchan, 5);
	CHECK_EQ_STR(c.chan[0].name, "ops");
	CHECK(c.chan[0].type == SINK_SLACK);
	CHECK_EQ_STR(c.chan[0].url,
	             "https://hooks.slack.com/services/T/B/ENVSECRET");
	CHECK(c.chan[0].min_severity == SEV_WARNING);
	CHECK_EQ_STR(c.chan[0].node, "val1");
	CHECK(c.chan[0].per_minute == 20);
	CHECK_EQ_STR(c.chan[0].dashboard_url, "https://ops.example/");
	CHECK(c.chan[1].type == SINK_TELEGRAM && c.chan[1].html);
	CHECK_EQ_STR(c.chan[1].url, "https://api.telegram.org");
	CHECK_EQ_STR(c.chan[2].token, "ENVROUTINGKEY");
	CHECK_EQ_STR(c.chan[2].url, "https://events.pagerduty.com/v2/enqueue");
	CHECK(c.chan[3].type == SINK_LOG);
	CHECK_EQ_STR(c.chan[4].url, "http://127.0.0.1:9093");
	/* -nv never prints a secret */
	f = open_memstream(&dump, &dlen);
	conf_dump(alert_conf_sections, &c, f);
	fclose(f);
	CHECK(strstr(dump, "[channel ops]") != NULL);
	CHECK(strstr(dump, "lagging_threshold = 35") != NULL);
	CHECK(strstr(dump, "ENVSECRET") == NULL);
	CHECK(strstr(dump, "literal-TOKEN") == NULL);
	CHECK(strstr(dump, "ENVROUTINGKEY") == NULL);
	free(dump);

	/* the same through a daemon's own struct */
	{
		struct daemon_conf *d = calloc(1, sizeof(*d));

		CHECKF(conf_load_string("d.ini", text, daemon_sections, d, err,
		                        sizeof(err)) == 0,
		       "%s", err);
		CHECK_EQ_INT(d->alerts.nchan, 5);
		CHECK(d->alerts.rules.repeat_ms == 1800000);
		CHECK(d->other == 0);
		free(d);
	}
	unsetenv("SXT_TEST_SLACK");
	unsetenv("SXT_TEST_PD");
}

static void
test_errors(void)
{
	static const struct {
		const char *text, *want;
	} rows[] = {
	    {"[channel a]\ntype = sms\n", "t.ini:2: type: not one of"},
	    {"[channel a]\ntype = slack\n",
	     "t.ini: [channel a]: url is required"},
	    {"[channel a]\nurl = http://x/\n", "[channel a]: type is required"},
	    {"[channel a]\ntype = log\n[channel a]\ntype = log\n",
	     "t.ini:3: [channel a]: channel 'a' defined twice"},
	    {"[channel a b]\ntype = log\n", "must be 1-63 letters"},
	    {"[channel t]\ntype = telegram\ntoken = 1:x\n",
	     "telegram needs chat_id"},
	    {"[channel t]\ntype = telegram\nchat_id = 5\n",
	     "telegram needs token"},
	    {"[channel p]\ntype = pagerduty\n", "pagerduty needs token"},
	    {"[channel w]\ntype = webhook\nurl = ftp://h/SECRETPATH\n",
	     "url must start with http:// or https://"},
	    {"[channel w]\ntype = webhook\nurl = env:SXT_NOT_SET_ANYWHERE\n",
	     "t.ini:3: url: environment variable SXT_NOT_SET_ANYWHERE is not "
	     "set (value hidden)"},
	    {"[channel w]\ntype = webhook\nurl = env:\n", "needs a variable"},
	    {"[alerts]\nlagging_threshold = 0\n",
	     "t.ini:2: lagging_threshold: out of range"},
	    {"[alerts]\nnode_down_severity = loud\n", "not one of"},
	    {"[alerts]\nrestarted_for = 1m\n", "unknown key 'restarted_for'"},
	    {"[alerts]\nretry_min = 10s\nretry_max = 1s\n",
	     "retry_max is below retry_min"},
	    {"[channel w]\ntype = webhook\nper_minute = 9999\n",
	     "per_minute: out of range"},
	};
	char err[512];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct alerts_conf c;

		err[0] = '\0';
		CHECKF(load(rows[i].text, &c, err, sizeof(err)) != 0,
		       "row %zu accepted", i);
		CHECKF(strstr(err, rows[i].want) != NULL,
		       "row %zu: \"%s\" lacks \"%s\"", i, err, rows[i].want);
		CHECKF(strstr(err, "SECRETPATH") == NULL, "row %zu: %s", i,
		       err);
	}
	/* at most ALERT_CHANNELS_MAX channels */
	{
		char text[4096];
		size_t n = 0;
		struct alerts_conf c;

		for (int i = 0; i <= ALERT_CHANNELS_MAX; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n,
			                      "[channel c%d]\ntype = log\n", i);
		CHECK(load(text, &c, err, sizeof(err)) != 0);
		CHECK(strstr(err, "more than 16 channels") != NULL);
	}
}

int
main(void)
{
	RUN(test_defaults);
	RUN(test_full);
	RUN(test_errors);
	return TEST_END();
}
