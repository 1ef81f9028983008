/*
 * supervise_process_test: the process backend with /bin/sh scripts as the
 * node: output capture and rotation, graceful and forced stops, exit
 * status and signal, restarts, early failures, descriptor hygiene, and the
 * logs()/events() cursors.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "pilot/supervise.h"
#include "tests/test.h"

static char dir[64];
static char logp[128];
static const struct supervise_ops *ops;

static void
nap(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void *
open_sh(const char *script, uint64_t log_max, uint32_t keep)
{
	const char *argv[] = {"/bin/sh", "-c", script, NULL};
	const char *envp[] = {"PATH=/usr/bin:/bin", "NODE_NAME=val1", NULL};
	struct supervise_conf c = {
	    .target = "val1",
	    .argv = argv,
	    .envp = envp,
	    .workdir = dir,
	    .log_path = logp,
	    .log_max_bytes = log_max,
	    .log_keep = keep,
	    .start_check_ms = 50,
	};
	char err[SUPERVISE_ERR_MAX];
	void *h = NULL;
	int rc = ops->open(&c, &h, err, sizeof(err));

	CHECKF(rc == 0, "open: %s", err);
	return h;
}

static void
clean_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *b;
	size_t n;

	if (f == NULL)
		return NULL;
	b = calloc(1, 1 << 20);
	n = fread(b, 1, (1 << 20) - 1, f);
	b[n] = '\0';
	fclose(f);
	return b;
}

/* Poll until path contains needle, for at most ms. */
static bool
wait_log(const char *path, const char *needle, unsigned ms)
{
	uint64_t until = clock_mono_ms() + ms;

	do {
		char *b = slurp(path);
		bool ok = b != NULL && strstr(b, needle) != NULL;

		free(b);
		if (ok)
			return true;
		nap(10);
	} while (clock_mono_ms() < until);
	return false;
}

static bool
wait_exit(void *h, struct supervise_state *st, unsigned ms)
{
	uint64_t until = clock_mono_ms() + ms;
	char err[SUPERVISE_ERR_MAX];

	do {
		ops->state(h, st, err, sizeof(err));
		if (!st->running)
			return true;
		nap(10);
	} while (clock_mono_ms() < until);
	return false;
}

static void
test_output_and_rotation(void)
{
	/* 300 lines of 40 bytes into files of at most 2000 bytes, keep 2 */
	void *h = open_sh("i=100; while [ $i -lt 400 ]; do "
	                  "echo \"line $i $NODE_NAME padding padding pad\"; "
	                  "i=$((i+1)); done; echo stderr-too >&2; sleep 30",
	                  2000, 2);
	char err[SUPERVISE_ERR_MAX], p[256];
	struct stat st;

	clean_dir();
	CHECK_EQ_INT(ops->start(h, err, sizeof(err)), 0);
	CHECK(wait_log(logp, "stderr-too", 5000));
	for (int i = 0; i <= 2; i++) {
		char *b;

		if (i == 0)
			snprintf(p, sizeof(p), "%s", logp);
		else
			snprintf(p, sizeof(p), "%s.%d", logp, i);
		CHECKF(stat(p, &st) == 0, "%s missing", p);
		CHECKF(st.st_size <= 2000, "%s: %lld bytes", p,
		       (long long)st.st_size);
		b = slurp(p);
		/* rotation falls between lines */
		CHECKF(b != NULL && strncmp(b, "line ", 5) == 0 &&
		           b[strlen(b) - 1] == '\n',
		       "%s starts or ends mid-line", p);
		CHECK(b != NULL && strstr(b, "val1") != NULL);
		free(b);
	}
	snprintf(p, sizeof(p), "%s.3", logp);
	CHECKF(stat(p, &st) < 0, "%s kept beyond log_keep", p);
	/* the newest lines are in the live file, in order */
	char *b = slurp(logp);

	CHECK(b != NULL && strstr(b, "line 399 val1") != NULL);
	CHECK(b != NULL && strstr(b, "line 399") < strstr(b, "stderr-too"));
	free(b);
	CHECK_EQ_INT(ops->stop(h, 2000, err, sizeof(err)), 0);
	ops->close(h);
}

static void
test_stop_graceful(void)
{
	void *h = open_sh("echo ready; sleep 30", 0, 0);
	char err[SUPERVISE_ERR_MAX];
	struct supervise_state st;
	uint64_t t0;

	clean_dir();
	CHECK_EQ_INT(ops->start(h, err, sizeof(err)), 0);
	CHECK(wait_log(logp, "ready", 5000));
	t0 = clock_mono_ms();
	CHECK_EQ_INT(ops->stop(h, 3000, err, sizeof(err)), 0);
	CHECKF(clock_mono_ms() - t0 < 1500, "TERM took %llu ms",
	       (unsigned long long)(clock_mono_ms() - t0));
	CHECK_EQ_INT(ops->state(h, &st, err, sizeof(err)), 0);
	CHECK(!st.running);
	CHECK(st.exited);
	CHECK_EQ_INT(st.exit_signal, SIGTERM);
	CHECK_EQ_STR(st.status, "exited");
	/* stopping a stopped node is fine */
	CHECK_EQ_INT(ops->stop(h, 100, err, sizeof(err)), 0);
	ops->close(h);
}

/* A frozen node stops at SIGTERM, not at the timeout's SIGKILL: a
 * validator's demote must not wait out a node someone SIGSTOPped.  The
 * node handles TERM, as real nodes do (an unhandled TERM kills even a
 * stopped process). */
static void
test_stop_frozen_node(void)
{
	void *h = open_sh("trap 'exit 0' TERM; echo ready; "
	                  "while :; do sleep 0.05; done",
	                  0, 0);
	char err[SUPERVISE_ERR_MAX];
	struct supervise_state st;
	uint64_t t0;

	clean_dir();
	CHECK_EQ_INT(ops->start(h, err, sizeof(err)), 0);
	CHECK(wait_log(logp, "ready", 5000));
	CHECK_EQ_INT(ops->state(h, &st, err, sizeof(err)), 0);
	CHECK(st.pid > 0 && kill(-(pid_t)st.pid, SIGSTOP) == 0);
	t0 = clock_mono_ms();
	CHECK_EQ_INT(ops->stop(h, 5000, err, sizeof(err)), 0);
	CHECKF(clock_mono_ms() - t0 < 1500, "stop took %llu ms",
	       (unsigned long long)(clock_mono_ms() - t0));
	CHECK_EQ_INT(ops->state(h, &st, err, sizeof(err)), 0);
	CHECK(!st.running);
	CHECK_EQ_INT(st.exit_signal, 0);
	CHECK_EQ_INT(st.exit_code, 0);
	ops->close(h);
}

static void
test_stop_escalates_to_kill(void)
{
	void *h = open_sh("trap '' TERM; echo ready; "
	                  "while :; do sleep 0.05; done",
	                  0, 0);
	char err[SUPERVISE_ERR_MAX];
	struct supervise_state st;
	uint64_t t0, took;
	int64_t pid;

	clean_dir();
	CHECK_EQ_INT(ops->start(h, err, sizeof(err)), 0);
	CHECK(wait_log(logp, "ready", 5000));
	ops->state(h, &st, err, sizeof(err));
	pid = st.pid;
	t0 = clock_mono_ms();
	CHECK_EQ_INT(ops->stop(h, 400, err, sizeof(err)), 0);
	took = clock_mono_ms() - t0;
	CHECKF(took >= 400 && took < 3000, "stop took %llu ms",
	       (unsigned long long)took);
	CHECK_EQ_INT(ops->state(h, &st, err, sizeof(err)), 0);
	CHECK(!st.running);
	CHECK_EQ_INT(st.exit_signal, SIGKILL);
	CHECK_EQ_INT(st.exit_code, -1);
	CHECK(pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH);
	ops->close(h);
}

static int
collect_event(void *arg, const struct supervise_event *ev)
{
	char *s = arg;
	char one[64];

	snprintf(one, sizeof(one), "%s:%d:%d ", supervise_event_name(ev->kind),
	         ev->exit_code, ev->exit_signal);
	strncat(s, one, 1023 - strlen(s));
	return 0;
}

static void
test_exit_status_and_signal(void)
{
	void *h = open_sh("sleep 0.2; exit 3", 0, 0);
	char err[SUPERVISE_ERR_MAX], evs[1024] = "";
	struct supervise_state st;
	struct supervise_cursor cur = {0};

	clean_dir();
	CHECK_EQ_INT(ops->start(h, err, sizeof(err)), 0);
	CHECK(wait_exit(h, &st, 5000));
	CHECK(st.exited);
	CHECK_EQ_INT(st.exit_code, 3);
	CHECK_EQ_INT(st.exit_signal, 0);
	CHECK(st.finished_at_ms >= st.started_at_ms && st.started_at_ms > 0);
	CHECK_EQ_INT(ops->events(h, &cur, collect_event, evs, err, sizeof(err)),
	             0);
	CHECK_EQ_STR(evs, "start:0:0 die:3:0 ");
	/* delivered once */
	evs[0] = '\0';
	ops->events(h, &cur, collect_event, evs, err, sizeof(err));
	CHECK_EQ_STR(evs, "");
	ops->close(h);

	h = open_sh("sleep 0.2; kill -USR1 $$; sleep 5", 0, 0);
	CHECK_EQ_INT(ops->start(h, err, sizeof(err)), 0);
	CHECK(wait_exit(h, &st, 5000));
	CHECK_EQ_INT(st.exit_signal, SIGUSR1);
	CHECK_EQ_INT(st.exit_code, -1);
	ops->close(h);
}

static void
test_start_fails_at_once(void)
{
	void *h =
	    open_sh("echo 'error: unknown flag --valdiator' >&2; exit 2", 0, 0);
	char err[SUPERVISE_ERR_MAX] = "";
	struct supervise_state st;

	clean_dir();
	CHECK_EQ_INT(ops->start(h, err, sizeof(err)), -ECHILD);
	CHECKF(strstr(err, "status 2") != NULL, "err: %s", err);
	CHECKF(strstr(err, "unknown flag --valdiator") != NULL, "err: %s", err);
	CHECK_EQ_INT(ops->state(h, &st, err, sizeof(err)), 0);
	CHECK(!st.running && st.exited && st.exit_code == 2);
	ops->close(h);

	/* no such program: exec's own error, no child left behind */
	const char *argv[] = {"/nonexistent/polkadot", "--validator", NULL};
	struct supervise_conf c = {.argv = argv, .log_path = logp};

	CHECK_EQ_INT(ops->open(&c, &h, err, sizeof(err)), 0);
	CHECK_EQ_INT(ops->start(h, err, sizeof(err)), -ENOENT);
	CHECKF(strstr(err, "/nonexistent/polkadot") != NULL &&
	           strstr(err, "exec") != NULL,
	       "err: %s", err);
	ops->close(h);

	/* no PATH search: a bare name is refused at open */
	const char *bare[] = {"polkadot", NULL};

	c.argv = bare;
	CHECK_EQ_INT(ops->open(&c, &h, err, sizeof(err)), -EINVAL);
	CHECKF(strstr(err, "'polkadot'") != NULL, "err: %s", err);
}

static void
test_restart_new_pid(void)
{
	void *h = open_sh("echo up; sleep 30", 0, 0);
	char err[SUPERVISE_ERR_MAX];
	struct supervise_state st;
	int64_t pid1;

	clean_dir();
	CHECK_EQ_INT(ops->start(h, err, sizeof(err)), 0);
	ops->state(h, &st, err, sizeof(err));
	pid1 = st.pid;
	CHECK(st.running && pid1 > 0);
	CHECK_EQ_INT(st.restart_count, 0);
	/* start of a running node: nothing happens */
	CHECK_EQ_INT(ops->start(h, err, sizeof(err)), 0);
	ops->state(h, &st, err, sizeof(err));
	CHECK_EQ_INT(st.pid, pid1);
	CHECK_EQ_INT(ops->restart(h, 2000, err, sizeof(err)), 0);
	ops->state(h, &st, err, sizeof(err));
	CHECK(st.running);
	CHECK(st.pid > 0 && st.pid != pid1);
	CHECK_EQ_INT(st.restart_count, 1);
	CHECK(kill((pid_t)pid1, 0) < 0);
	/* close stops the node: it never outlives its supervisor */
	pid1 = st.pid;
	ops->close(h);
	CHECK(kill((pid_t)pid1, 0) < 0 && errno == ESRCH);
}

static void
test_fds_not_leaked(void)
{
	/* descriptors the child would inherit if nobody closed them */
	int sv[2], nul = open("/dev/null", O_RDONLY);
	char err[SUPERVISE_ERR_MAX];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(dup2(nul, 50) == 50 && dup2(sv[0], 51) == 51);
	CHECK(fcntl(50, F_GETFD) == 0); /* really inheritable */

	void *h = open_sh("for f in /proc/$$/fd/*; do echo \"fd ${f##*/}\"; "
	                  "done; echo done; sleep 30",
	                  0, 0);

	clean_dir();
	CHECK_EQ_INT(ops->start(h, err, sizeof(err)), 0);
	CHECK(wait_log(logp, "done", 5000));
	char *b = slurp(logp);
	int n = 0;

	for (char *p = b; p && (p = strstr(p, "fd ")) != NULL; p += 3) {
		int fd = atoi(p + 3);

		n++;
		/* 0-2, and the directory the shell is listing */
		CHECKF(fd <= 3, "child has fd %d", fd);
	}
	CHECKF(n >= 3 && n <= 4, "child lists %d fds", n);
	free(b);
	ops->close(h);
	close(50);
	close(51);
	close(sv[0]);
	close(sv[1]);
	close(nul);
}

struct lines {
	char text[1 << 16];
	int n;
};

static int
collect_line(void *arg, enum supervise_stream s, const char *line, size_t len)
{
	struct lines *l = arg;
	size_t have = strlen(l->text);

	if (have + len + 2 < sizeof(l->text)) {
		memcpy(l->text + have, line, len);
		l->text[have + len] = '\n';
		l->text[have + len + 1] = '\0';
	}
	l->n++;
	return 0;
}

static void
test_logs_cursor(void)
{
	void *h = open_sh("echo a; echo b; printf 'c-partial'; sleep 0.4; "
	                  "echo ' done'; sleep 30",
	                  0, 0);
	char err[SUPERVISE_ERR_MAX];
	struct supervise_cursor cur = {0};
	static struct lines l;

	clean_dir();
	CHECK_EQ_INT(ops->start(h, err, sizeof(err)), 0);
	CHECK(wait_log(logp, "c-partial", 5000));
	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(ops->logs(h, &cur, collect_line, &l, err, sizeof(err)), 0);
	/* the unfinished line waits for its newline */
	CHECK_EQ_STR(l.text, "a\nb\n");
	CHECK(wait_log(logp, "c-partial done", 5000));
	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(ops->logs(h, &cur, collect_line, &l, err, sizeof(err)), 0);
	CHECK_EQ_STR(l.text, "c-partial done\n");
	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(ops->logs(h, &cur, collect_line, &l, err, sizeof(err)), 0);
	CHECK_EQ_INT(l.n, 0);
	ops->close(h);
}

/* Follow the log across rotations: every line once, in order. */
static void
test_logs_follow_rotation(void)
{
	void *h = open_sh("i=0; while [ $i -lt 300 ]; do echo \"seq $i\"; "
	                  "i=$((i+1)); [ $((i % 10)) = 0 ] && sleep 0.03; "
	                  "done; echo end; sleep 30",
	                  400, 3);
	char err[SUPERVISE_ERR_MAX];
	struct supervise_cursor cur = {0};
	static struct lines l;
	uint64_t until = clock_mono_ms() + 10000;

	clean_dir();
	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(ops->start(h, err, sizeof(err)), 0);
	while (strstr(l.text, "end\n") == NULL && clock_mono_ms() < until) {
		CHECK_EQ_INT(
		    ops->logs(h, &cur, collect_line, &l, err, sizeof(err)), 0);
		nap(15);
	}
	char want[8192] = "";

	for (int i = 0; i < 300; i++) {
		char one[16];

		snprintf(one, sizeof(one), "seq %d\n", i);
		strcat(want, one);
	}
	strcat(want, "end\n");
	CHECKF(strcmp(l.text, want) == 0, "got %d lines", l.n);
	ops->close(h);
}

int
main(void)
{
	char tmpl[] = "/tmp/sxsv.XXXXXX";

	signal(SIGPIPE, SIG_IGN);
	ops = supervise_ops_for("process");
	if (ops == NULL || mkdtemp(tmpl) == NULL) {
		printf("FAIL setup\n");
		return 1;
	}
	util_strlcpy(dir, tmpl, sizeof(dir));
	snprintf(logp, sizeof(logp), "%s/node.log", dir);
	RUN(test_output_and_rotation);
	RUN(test_stop_graceful);
	RUN(test_stop_frozen_node);
	RUN(test_stop_escalates_to_kill);
	RUN(test_exit_status_and_signal);
	RUN(test_start_fails_at_once);
	RUN(test_restart_new_pid);
	RUN(test_fds_not_leaked);
	RUN(test_logs_cursor);
	RUN(test_logs_follow_rotation);
	clean_dir();
	rmdir(dir);
	return TEST_END();
}
