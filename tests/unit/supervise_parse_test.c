/*
 * supervise_parse_test: the pure parsers behind the docker and systemd
 * backends (Engine API times, inspect and /events answers, `systemctl
 * show`), with well-formed, truncated and hostile input.
 */
#include <errno.h>
#include <stdlib.h>

#include "pilot/supervise.h"
#include "tests/test.h"

static void
test_docker_time(void)
{
	static const struct {
		const char *s;
		int rc;
		int64_t ns;
	} rows[] = {
	    {"2020-01-06T09:06:59.461876391Z", 0, 1578301619461876391LL},
	    {"2020-01-06T09:06:59Z", 0, 1578301619000000000LL},
	    {"2020-01-06T11:06:59.5+02:00", 0, 1578301619500000000LL},
	    {"2020-01-06T04:06:59-05:00", 0, 1578301619000000000LL},
	    {"2024-02-29T12:00:00Z", 0, 1709208000000000000LL},
	    /* more than 9 digits of fraction: the rest is ignored */
	    {"2020-01-06T09:06:59.4618763919999Z", 0, 1578301619461876391LL},
	    /* Go's zero time means "never" */
	    {"0001-01-01T00:00:00Z", 0, 0},
	    {"", -EINVAL, 0},
	    {"2020-01-06", -EINVAL, 0},
	    {"2020-01-06T09:06:59", -EINVAL, 0},  /* no zone */
	    {"2020-13-06T09:06:59Z", -EINVAL, 0}, /* month 13 */
	    {"2020-01-06T25:06:59Z", -EINVAL, 0},
	    {"2020-01-06T09:06:59.Z", -EINVAL, 0},
	    {"2020-01-06T09:06:59Zjunk", -EINVAL, 0},
	    {"2020-01-06T09:06:59+0200", -EINVAL, 0},
	    {"20x0-01-06T09:06:59Z", -EINVAL, 0},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t ns = -1;
		int rc = supervise_docker_parse_time(rows[i].s,
		                                     strlen(rows[i].s), &ns);

		CHECKF(rc == rows[i].rc, "'%s': rc %d", rows[i].s, rc);
		if (rc == 0)
			CHECKF(ns == rows[i].ns, "'%s': %lld", rows[i].s,
			       (long long)ns);
	}
	/* the length bounds the read: no NUL needed */
	int64_t ns;

	CHECK_EQ_INT(
	    supervise_docker_parse_time("2020-01-06T09:06:59ZZZ", 20, &ns), 0);
}

static void
test_docker_inspect(void)
{
	const char *running =
	    "{\"Id\":\"c2ada9df5af8\",\"Name\":\"/val1\",\"RestartCount\":1,"
	    "\"State\":{\"Status\":\"running\",\"Running\":true,"
	    "\"Paused\":false,\"Restarting\":false,\"OOMKilled\":false,"
	    "\"Dead\":false,\"Pid\":1234,\"ExitCode\":0,\"Error\":\"\","
	    "\"StartedAt\":\"2020-01-06T09:06:59.461876391Z\","
	    "\"FinishedAt\":\"0001-01-01T00:00:00Z\","
	    "\"Health\":{\"Status\":\"healthy\",\"FailingStreak\":0,"
	    "\"Log\":[]}},\"Config\":{\"Tty\":false}}";
	struct supervise_state st;
	char err[SUPERVISE_ERR_MAX];
	bool tty = true;

	CHECK_EQ_INT(supervise_docker_parse_inspect(
	                 running, strlen(running), &st, &tty, err, sizeof(err)),
	             0);
	CHECK(st.running);
	CHECK_EQ_STR(st.status, "running");
	CHECK_EQ_INT(st.pid, 1234);
	CHECK_EQ_INT(st.restart_count, 1);
	CHECK_EQ_INT(st.started_at_ms, 1578301619461ULL);
	CHECK_EQ_INT(st.finished_at_ms, 0);
	CHECK(!st.exited);
	CHECK_EQ_STR(st.health, "healthy");
	CHECK(!tty);

	/* paused is Running:true but not running for us */
	const char *paused =
	    "{\"State\":{\"Status\":\"paused\",\"Running\":true,"
	    "\"Pid\":77},\"Config\":{\"Tty\":true}}";

	CHECK_EQ_INT(supervise_docker_parse_inspect(paused, strlen(paused), &st,
	                                            &tty, err, sizeof(err)),
	             0);
	CHECK(!st.running);
	CHECK(tty);

	const char *oom =
	    "{\"State\":{\"Status\":\"exited\",\"Running\":false,"
	    "\"OOMKilled\":true,\"Pid\":0,\"ExitCode\":137,"
	    "\"Error\":\"out of memory\","
	    "\"StartedAt\":\"2020-01-06T09:06:59Z\","
	    "\"FinishedAt\":\"2020-01-06T09:07:59Z\"},\"RestartCount\":4}";

	CHECK_EQ_INT(supervise_docker_parse_inspect(oom, strlen(oom), &st, &tty,
	                                            err, sizeof(err)),
	             0);
	CHECK(!st.running && st.exited && st.oom_killed);
	CHECK_EQ_INT(st.exit_code, 137);
	CHECK_EQ_INT(st.finished_at_ms - st.started_at_ms, 60000);
	CHECK_EQ_STR(st.error, "out of memory");
	CHECK_EQ_INT(st.restart_count, 4);
	CHECK_EQ_STR(st.health, "");

	/* hostile numbers and types are ignored, not trusted */
	const char *odd = "{\"State\":{\"Status\":\"running\",\"Pid\":1e300,"
	                  "\"ExitCode\":\"x\",\"StartedAt\":42},"
	                  "\"RestartCount\":-5,\"Config\":[]}";

	CHECK_EQ_INT(supervise_docker_parse_inspect(odd, strlen(odd), &st, &tty,
	                                            err, sizeof(err)),
	             0);
	CHECK_EQ_INT(st.pid, 0);
	CHECK_EQ_INT(st.restart_count, 0);
	CHECK_EQ_INT(st.started_at_ms, 0);

	static const char *bad[] = {
	    "",
	    "{",
	    "[]",
	    "{\"State\":{}}",
	    "{\"State\":{\"Status\":7}}",
	    "{\"message\":\"No such container: val1\"}",
	    "{\"State\":{\"Status\":\"running\"", /* truncated */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECKF(supervise_docker_parse_inspect(bad[i], strlen(bad[i]),
		                                      &st, &tty, err,
		                                      sizeof(err)) == -EPROTO,
		       "'%s' accepted", bad[i]);
		CHECK(err[0] != '\0');
	}
	/* a long Status is cut, not overflowed */
	char big[600];

	snprintf(big, sizeof(big), "{\"State\":{\"Status\":\"%0400d\"}}", 0);
	CHECK_EQ_INT(supervise_docker_parse_inspect(big, strlen(big), &st, &tty,
	                                            err, sizeof(err)),
	             0);
	CHECK_EQ_INT(strlen(st.status), sizeof(st.status) - 1);
}

struct evs {
	char text[2048];
	int n;
	int stop_at;
};

static int
collect(void *arg, const struct supervise_event *ev)
{
	struct evs *e = arg;
	char one[96];

	snprintf(one, sizeof(one), "%s@%llu:%d:%d ",
	         supervise_event_name(ev->kind),
	         (unsigned long long)ev->time_ms,
	         ev->exit_known ? ev->exit_code : -99, ev->exit_signal);
	strncat(e->text, one, sizeof(e->text) - strlen(e->text) - 1);
	return ++e->n == e->stop_at ? 5 : 0;
}

static void
test_docker_events(void)
{
	const char *body =
	    "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":"
	    "\"a\",\"Attributes\":{\"name\":\"val1\"}},\"time\":1629574690,"
	    "\"timeNano\":1629574690100000000}\n"
	    "{\"Type\":\"container\",\"Action\":\"health_status: healthy\","
	    "\"time\":1629574691,\"timeNano\":1629574691000000000}\n"
	    "{\"Type\":\"container\",\"Action\":\"oom\",\"time\":1629574694}"
	    "  \r\n"
	    "{\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{\"ID\":"
	    "\"a\",\"Attributes\":{\"name\":\"val1\",\"exitCode\":\"137\"}},"
	    "\"scope\":\"local\",\"time\":1629574695,"
	    "\"timeNano\":1629574695515050031}\n"
	    "{\"Type\":\"image\",\"Action\":\"die\",\"time\":1629574696}\n"
	    "{\"status\":\"died\",\"Type\":\"container\",\"Action\":\"died\","
	    "\"Actor\":{\"Attributes\":{\"containerExitCode\":\"0\"}},"
	    "\"time\":1629574697,\"timeNano\":1629574697000000000}\n"
	    "{\"Type\":\"container\",\"Action\":\"restart\","
	    "\"time\":1629574698}";
	static struct evs e;
	uint64_t last = 0;

	memset(&e, 0, sizeof(e));
	CHECK_EQ_INT(supervise_docker_parse_events(body, strlen(body), &last,
	                                           collect, &e),
	             0);
	CHECK_EQ_STR(e.text, "start@1629574690100:-99:0 "
	                     "oom@1629574694000:-99:0 "
	                     "die@1629574695515:137:0 "
	                     "die@1629574697000:0:0 "
	                     "restart@1629574698000:-99:0 ");
	CHECK(last == 1629574698000000000ULL);

	/* the same answer again: nothing new */
	memset(&e, 0, sizeof(e));
	CHECK_EQ_INT(supervise_docker_parse_events(body, strlen(body), &last,
	                                           collect, &e),
	             0);
	CHECK_EQ_INT(e.n, 0);

	/* a truncated answer: what came before is delivered, then -EPROTO */
	memset(&e, 0, sizeof(e));
	last = 0;
	CHECK_EQ_INT(supervise_docker_parse_events(body, strlen(body) - 10,
	                                           &last, collect, &e),
	             -EPROTO);
	CHECK_EQ_INT(e.n, 4);

	/* the callback can stop the walk */
	memset(&e, 0, sizeof(e));
	e.stop_at = 2;
	last = 0;
	CHECK_EQ_INT(supervise_docker_parse_events(body, strlen(body), &last,
	                                           collect, &e),
	             5);
	CHECK_EQ_INT(e.n, 2);

	/* hostile: no time, absurd time, bad exit code, garbage */
	const char *odd =
	    "{\"Type\":\"container\",\"Action\":\"die\"}"
	    "{\"Type\":\"container\",\"Action\":\"die\",\"timeNano\":1e300}"
	    "{\"Type\":\"container\",\"Action\":\"die\",\"time\":5,"
	    "\"Actor\":{\"Attributes\":{\"exitCode\":\"12x\"}}}"
	    "[1,2]";

	memset(&e, 0, sizeof(e));
	last = 0;
	CHECK_EQ_INT(
	    supervise_docker_parse_events(odd, strlen(odd), &last, collect, &e),
	    0);
	CHECK_EQ_STR(e.text, "die@5000:-99:0 ");
	memset(&e, 0, sizeof(e));
	CHECK_EQ_INT(supervise_docker_parse_events("}{", 2, &last, collect, &e),
	             -EPROTO);
	CHECK_EQ_INT(supervise_docker_parse_events("", 0, &last, collect, &e),
	             0);
}

static void
test_systemd_show(void)
{
	const char *run = "LoadState=loaded\nActiveState=active\n"
	                  "SubState=running\nMainPID=4242\nExecMainCode=0\n"
	                  "ExecMainStatus=0\n"
	                  "ExecMainStartTimestampMonotonic=95000000\n"
	                  "ExecMainExitTimestampMonotonic=0\nNRestarts=3\n"
	                  "Result=success\n";
	struct supervise_state st;
	char err[SUPERVISE_ERR_MAX];

	/* now: wall 1e12 ms, monotonic 100 s; started at monotonic 95 s */
	CHECK_EQ_INT(supervise_systemd_parse_show(run, strlen(run),
	                                          1000000000000ULL, 100000, &st,
	                                          err, sizeof(err)),
	             0);
	CHECK(st.running);
	CHECK_EQ_INT(st.pid, 4242);
	CHECK_EQ_INT(st.restart_count, 3);
	CHECK_EQ_STR(st.status, "active/running");
	CHECK_EQ_INT(st.started_at_ms, 1000000000000ULL - 5000);
	CHECK_EQ_INT(st.finished_at_ms, 0);
	CHECK(!st.exited);
	CHECK_EQ_STR(st.error, "");

	const char *killed = "ActiveState=failed\nSubState=failed\n"
	                     "MainPID=0\nExecMainCode=2\nExecMainStatus=9\n"
	                     "Result=oom-kill\n";

	CHECK_EQ_INT(supervise_systemd_parse_show(killed, strlen(killed),
	                                          1000000000000ULL, 100000, &st,
	                                          err, sizeof(err)),
	             0);
	CHECK(!st.running && st.exited && st.oom_killed);
	CHECK_EQ_INT(st.exit_signal, 9);
	CHECK_EQ_INT(st.exit_code, -1);
	CHECK_EQ_STR(st.error, "result: oom-kill");

	const char *exited = "ActiveState=inactive\nSubState=dead\n"
	                     "ExecMainCode=1\nExecMainStatus=3";

	CHECK_EQ_INT(supervise_systemd_parse_show(exited, strlen(exited), 1, 1,
	                                          &st, err, sizeof(err)),
	             0);
	CHECK(st.exited);
	CHECK_EQ_INT(st.exit_code, 3);
	CHECK_EQ_INT(st.exit_signal, 0);

	/* oneshot units that ran are active/exited: not a running node */
	const char *oneshot = "ActiveState=active\nSubState=exited\n";

	CHECK_EQ_INT(supervise_systemd_parse_show(oneshot, strlen(oneshot), 1,
	                                          1, &st, err, sizeof(err)),
	             0);
	CHECK(!st.running);

	const char *missing = "LoadState=not-found\nActiveState=inactive\n";

	CHECK_EQ_INT(supervise_systemd_parse_show(missing, strlen(missing), 1,
	                                          1, &st, err, sizeof(err)),
	             -ENOENT);
	CHECK_EQ_INT(supervise_systemd_parse_show("junk\n=\n==x", 11, 1, 1, &st,
	                                          err, sizeof(err)),
	             -EPROTO);

	/* hostile values: out of range numbers, a stamp in the future */
	const char *odd = "ActiveState=active\nSubState=running\n"
	                  "MainPID=99999999999999999999\nNRestarts=-1\n"
	                  "ExecMainStartTimestampMonotonic=999999999999\n";

	CHECK_EQ_INT(supervise_systemd_parse_show(odd, strlen(odd),
	                                          1000000000000ULL, 100000, &st,
	                                          err, sizeof(err)),
	             0);
	CHECK_EQ_INT(st.pid, 0);
	CHECK_EQ_INT(st.restart_count, 0);
	CHECK_EQ_INT(st.started_at_ms, 0);
}

int
main(void)
{
	RUN(test_docker_time);
	RUN(test_docker_inspect);
	RUN(test_docker_events);
	RUN(test_systemd_show);
	return TEST_END();
}
