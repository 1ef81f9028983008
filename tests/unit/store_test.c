/*
 * store_test.c: the durable event store and key/value table.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "commander/events.h"
#include "commander/store.h"
#include "common/util.h"
#include "tests/test.h"

static char dir[] = "/tmp/sextant-store-test.XXXXXX";
static char path[256];
static int dbn;

/* A fresh database path for each case. */
static const char *
fresh(void)
{
	snprintf(path, sizeof(path), "%s/ev%d.db", dir, dbn++);
	return path;
}

static struct store *
open_or_die(const char *p)
{
	struct store *s = NULL;
	char err[256];
	int r = store_open(p, &s, err, sizeof(err));

	if (r != 0) {
		printf("  store_open(%s): %d %s\n", p, r, err);
		exit(1);
	}
	return s;
}

static void
mk(struct event *ev, uint64_t t, enum event_type type, const char *node,
   const char *msg)
{
	event_make(ev, t, type, SEV_INFO, node, "g1", "net1", "%s", msg);
}

static void
test_append_query(void)
{
	struct store *s = open_or_die(fresh());
	struct event ev, *out;
	uint64_t id, prev = 0;
	size_t n;
	static const struct {
		const char *node;
		enum event_type type;
	} rows[] = {
	    {"a", EV_STATE_CHANGE},    {"b", EV_RESTART_GRANTED},
	    {"a", EV_RESTART_GRANTED}, {"c", EV_REORG},
	    {"a", EV_STATE_CHANGE},    {"b", EV_STATE_CHANGE},
	};

	CHECK_EQ_INT(store_last_id(s), 0);
	for (size_t i = 0; i < UTIL_NELEM(rows); i++) {
		mk(&ev, 1000 + i, rows[i].type, rows[i].node, "m");
		CHECK_EQ_INT(
		    event_details(&ev, "k", "v \"q\"", "#height", "42", NULL),
		    0);
		CHECK_EQ_INT(store_append(s, &ev, &id), 0);
		CHECKF(id > prev, "id %" PRIu64 " after %" PRIu64, id, prev);
		prev = id;
	}
	CHECK_EQ_INT(store_last_id(s), prev);

	struct store_filter all = {.since_id = 0, .limit = 100};
	CHECK_EQ_INT(store_query(s, &all, &out, &n), 0);
	CHECK_EQ_INT(n, UTIL_NELEM(rows));
	for (size_t i = 0; i < n; i++) {
		CHECK_EQ_STR(out[i].node, rows[i].node);
		CHECK_EQ_INT(out[i].type, rows[i].type);
		CHECK_EQ_INT(out[i].time_ms, 1000 + i);
		CHECK_EQ_STR(out[i].group, "g1");
		CHECK_EQ_STR(out[i].network, "net1");
		CHECK_EQ_STR(out[i].details,
		             "{\"k\":\"v \\\"q\\\"\",\"height\":42}");
		if (i > 0)
			CHECK(out[i].id > out[i - 1].id);
	}
	if (n > 0) {
		cJSON *j = event_to_json(&out[0]);
		cJSON *d = cJSON_GetObjectItem(j, "details");

		CHECK(cJSON_IsObject(d));
		CHECK_EQ_INT(cJSON_GetObjectItem(d, "height")->valuedouble, 42);
		CHECK_EQ_STR(cJSON_GetObjectItem(j, "type")->valuestring,
		             "state_change");
		cJSON_Delete(j);
	}
	uint64_t second = n > 1 ? out[1].id : 0;
	free(out);

	/* since: strictly after */
	struct store_filter since = {.since_id = second, .limit = 100};
	CHECK_EQ_INT(store_query(s, &since, &out, &n), 0);
	CHECK_EQ_INT(n, UTIL_NELEM(rows) - 2);
	free(out);

	/* node filter */
	struct store_filter fa = {.limit = 100, .node = "a"};
	CHECK_EQ_INT(store_query(s, &fa, &out, &n), 0);
	CHECK_EQ_INT(n, 3);
	for (size_t i = 0; i < n; i++)
		CHECK_EQ_STR(out[i].node, "a");
	free(out);

	/* type filter, and both */
	struct store_filter ft = {.limit = 100, .type = "restart_granted"};
	CHECK_EQ_INT(store_query(s, &ft, &out, &n), 0);
	CHECK_EQ_INT(n, 2);
	free(out);
	struct store_filter fb = {
	    .limit = 100, .node = "b", .type = "state_change"};
	CHECK_EQ_INT(store_query(s, &fb, &out, &n), 0);
	CHECK_EQ_INT(n, 1);
	if (n == 1)
		CHECK_EQ_INT(out[0].id, prev);
	free(out);

	/* limit: oldest first, or newest (still in id order) */
	struct store_filter fl = {.limit = 2};
	CHECK_EQ_INT(store_query(s, &fl, &out, &n), 0);
	CHECK_EQ_INT(n, 2);
	if (n == 2)
		CHECK_EQ_INT(out[1].id, second);
	free(out);
	fl.newest = true;
	CHECK_EQ_INT(store_query(s, &fl, &out, &n), 0);
	CHECK_EQ_INT(n, 2);
	if (n == 2) {
		CHECK_EQ_INT(out[1].id, prev);
		CHECK(out[0].id < out[1].id);
	}
	free(out);

	/* nothing matches: 0 and NULL */
	struct store_filter none = {.limit = 10, .node = "zzz"};
	out = (struct event *)1;
	CHECK_EQ_INT(store_query(s, &none, &out, &n), 0);
	CHECK_EQ_INT(n, 0);
	CHECK(out == NULL);
	store_close(s);
}

static void
test_malformed_filters(void)
{
	struct store *s = open_or_die(fresh());
	struct event *out;
	size_t n;
	char longname[200];
	struct event ev;

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	const struct store_filter bad[] = {
	    {.limit = 0},
	    {.limit = STORE_QUERY_MAX + 1},
	    {.limit = 10, .type = "nope"},
	    {.limit = 10, .type = "state_change; DROP TABLE events"},
	    {.limit = 10, .type = "STATE_CHANGE"},
	    {.limit = 10, .node = longname},
	    {.limit = 10, .since_id = UINT64_MAX},
	};
	for (size_t i = 0; i < UTIL_NELEM(bad); i++)
		CHECKF(store_query(s, &bad[i], &out, &n) == -EINVAL,
		       "row %zu accepted", i);

	/* a node name with quotes is data, not SQL */
	mk(&ev, 1, EV_ALERT, "a' OR '1'='1", "x");
	CHECK_EQ_INT(store_append(s, &ev, NULL), 0);
	mk(&ev, 2, EV_ALERT, "b", "x");
	CHECK_EQ_INT(store_append(s, &ev, NULL), 0);
	struct store_filter f = {.limit = 10, .node = "a' OR '1'='1"};
	CHECK_EQ_INT(store_query(s, &f, &out, &n), 0);
	CHECK_EQ_INT(n, 1);
	free(out);

	/* out-of-range enums never reach the table */
	ev.type = EV__COUNT;
	CHECK_EQ_INT(store_append(s, &ev, NULL), -EINVAL);
	ev.type = EV_ALERT;
	ev.severity = (enum event_severity)99;
	CHECK_EQ_INT(store_append(s, &ev, NULL), -EINVAL);
	store_close(s);
}

static void
test_reopen(void)
{
	const char *p = fresh();
	struct store *s = open_or_die(p);
	struct event ev, *out;
	uint64_t id, first, last_before;
	size_t n;
	char buf[64];

	for (int i = 0; i < 5; i++) {
		mk(&ev, 100 + i, EV_STATE_CHANGE, "n", "before");
		CHECK_EQ_INT(store_append(s, &ev, &id), 0);
	}
	struct event batch[3];
	for (int i = 0; i < 3; i++)
		mk(&batch[i], 200 + i, EV_UNREACHABLE, "m", "batch");
	CHECK_EQ_INT(store_append_many(s, batch, 3, &first), 0);
	CHECK_EQ_INT(first, id + 1);
	CHECK_EQ_INT(store_kv_put(s, "lease/g1/epoch", "7"), 0);
	CHECK_EQ_INT(store_kv_put(s, "lease/g1/epoch", "8"), 0);
	last_before = store_last_id(s);
	store_close(s);

	s = open_or_die(p);
	CHECK_EQ_INT(store_last_id(s), last_before);
	struct store_filter all = {.limit = 100};
	CHECK_EQ_INT(store_query(s, &all, &out, &n), 0);
	CHECK_EQ_INT(n, 8);
	if (n == 8) {
		CHECK_EQ_STR(out[7].message, "batch");
		CHECK_EQ_INT(out[7].id, last_before);
	}
	free(out);
	CHECK_EQ_INT(store_kv_get(s, "lease/g1/epoch", buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "8");
	CHECK_EQ_INT(store_kv_get(s, "missing", buf, sizeof(buf)), -ENOENT);
	CHECK_EQ_INT(store_kv_get(s, "lease/g1/epoch", buf, 1), -ENOSPC);
	CHECK_EQ_INT(store_kv_del(s, "lease/g1/epoch"), 0);
	CHECK_EQ_INT(store_kv_get(s, "lease/g1/epoch", buf, sizeof(buf)),
	             -ENOENT);
	CHECK_EQ_INT(store_kv_put(s, "", "x"), -EINVAL);
	/* a new id continues after the old ones */
	mk(&ev, 300, EV_COMMANDER, "", "restarted");
	CHECK_EQ_INT(store_append(s, &ev, &id), 0);
	CHECK_EQ_INT(id, last_before + 1);
	store_close(s);
}

/*
 * A process that appends and is SIGKILLed right after: every id it was
 * told about must be in the database afterwards.
 */
static void
test_acknowledged_survives_kill(void)
{
	const char *p = fresh();
	int fds[2];
	pid_t pid;
	uint64_t acked[64], id;
	size_t nacked = 0;

	CHECK(pipe(fds) == 0);
	pid = fork();
	if (pid == 0) {
		struct store *s = open_or_die(p);
		struct event ev;

		close(fds[0]);
		for (int i = 0;; i++) {
			mk(&ev, (uint64_t)i, EV_ALERT, "k", "x");
			if (store_append(s, &ev, &id) != 0)
				_exit(2);
			if (write(fds[1], &id, sizeof(id)) != sizeof(id))
				_exit(3);
			if (i == 40)
				raise(SIGKILL);
		}
	}
	close(fds[1]);
	while (nacked < UTIL_NELEM(acked) &&
	       read(fds[0], &acked[nacked], sizeof(id)) == sizeof(id))
		nacked++;
	close(fds[0]);
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	CHECK_EQ_INT(nacked, 41);

	struct store *s = open_or_die(p);
	struct event *out;
	size_t n;
	struct store_filter all = {.limit = 1000};
	CHECK_EQ_INT(store_query(s, &all, &out, &n), 0);
	CHECK(n >= nacked);
	for (size_t i = 0; i < nacked && i < n; i++)
		CHECK_EQ_INT(out[i].id, acked[i]);
	free(out);
	store_close(s);
}

static void
test_retention(void)
{
	struct store *s = open_or_die(fresh());
	struct event ev, *out;
	uint64_t del, cnt, last;
	size_t n;

	for (int i = 0; i < 20; i++) {
		mk(&ev, 1000 * (uint64_t)i, EV_STATE_CHANGE, "n", "x");
		CHECK_EQ_INT(store_append(s, &ev, NULL), 0);
	}
	last = store_last_id(s);
	/* now = 20000, max age 5000: times < 15000 go (15 events) */
	CHECK_EQ_INT(store_retain(s, 20000, 5000, 0, &del), 0);
	CHECK_EQ_INT(del, 15);
	CHECK_EQ_INT(store_count(s, &cnt), 0);
	CHECK_EQ_INT(cnt, 5);
	/* max count 2: the two newest stay */
	CHECK_EQ_INT(store_retain(s, 20000, 0, 2, &del), 0);
	CHECK_EQ_INT(del, 3);
	struct store_filter all = {.limit = 100};
	CHECK_EQ_INT(store_query(s, &all, &out, &n), 0);
	CHECK_EQ_INT(n, 2);
	if (n == 2)
		CHECK_EQ_INT(out[1].id, last);
	free(out);
	/* more room than events: nothing goes */
	CHECK_EQ_INT(store_retain(s, 20000, 0, 100, &del), 0);
	CHECK_EQ_INT(del, 0);
	/* delete everything, ids are still never reused */
	CHECK_EQ_INT(store_retain(s, UINT64_C(1) << 40, 1, 0, &del), 0);
	CHECK_EQ_INT(del, 2);
	uint64_t id;
	mk(&ev, 1, EV_STATE_CHANGE, "n", "x");
	CHECK_EQ_INT(store_append(s, &ev, &id), 0);
	CHECK_EQ_INT(id, last + 1);
	store_close(s);
}

struct waiter {
	struct store *s;
	uint64_t since, got;
	int r;
	uint64_t woke_ms;
};

static void *
wait_thread(void *arg)
{
	struct waiter *w = arg;

	w->r = store_wait_after(w->s, w->since, 5000, &w->got);
	w->woke_ms = clock_mono_ms();
	return NULL;
}

static uint64_t notified;
static void
on_notify(void *arg, uint64_t id)
{
	*(uint64_t *)arg = id;
}

static void
test_wait_wakes(void)
{
	struct store *s = open_or_die(fresh());
	struct event ev;
	struct waiter w = {.s = s};
	pthread_t th;
	uint64_t id, t0, got;

	mk(&ev, 1, EV_STATE_CHANGE, "n", "x");
	CHECK_EQ_INT(store_append(s, &ev, &id), 0);
	/* already newer: returns at once */
	CHECK_EQ_INT(store_wait_after(s, 0, 5000, &got), 0);
	CHECK_EQ_INT(got, id);
	/* nothing new: times out after about the timeout */
	t0 = clock_mono_ms();
	CHECK_EQ_INT(store_wait_after(s, id, 100, &got), -ETIMEDOUT);
	CHECK(clock_mono_ms() - t0 >= 90);

	store_set_notify(s, on_notify, &notified);
	w.since = id;
	pthread_create(&th, NULL, wait_thread, &w);
	usleep(50 * 1000); /* let it block; a late start still passes */
	t0 = clock_mono_ms();
	CHECK_EQ_INT(store_append(s, &ev, &id), 0);
	pthread_join(th, NULL);
	CHECK_EQ_INT(w.r, 0);
	CHECK_EQ_INT(w.got, id);
	CHECKF(w.woke_ms - t0 < 1000, "woke after %" PRIu64 " ms",
	       w.woke_ms - t0);
	CHECK_EQ_INT(notified, id);

	/* shutdown wakes a waiter with -ECANCELED */
	w.since = id;
	w.r = 1;
	pthread_create(&th, NULL, wait_thread, &w);
	usleep(50 * 1000);
	store_wake_all(s);
	pthread_join(th, NULL);
	CHECKF(w.r == -ECANCELED || w.r == 0, "r=%d", w.r);

	/* close wakes a waiter too and waits for it to leave */
	w.r = 1;
	pthread_create(&th, NULL, wait_thread, &w);
	usleep(50 * 1000);
	t0 = clock_mono_ms();
	store_close(s);
	pthread_join(th, NULL);
	CHECK_EQ_INT(w.r, -ECANCELED);
	CHECK(clock_mono_ms() - t0 < 1000);
}

static void
test_open_errors(void)
{
	struct store *s = (struct store *)1;
	char err[256] = "";
	char p[300];

	CHECK(store_open("/nonexistent-dir/x.db", &s, err, sizeof(err)) < 0);
	CHECK(s == NULL);
	CHECK(strstr(err, "/nonexistent-dir/x.db") != NULL);

	/* a file that is not a database */
	snprintf(p, sizeof(p), "%s/garbage.db", dir);
	FILE *f = fopen(p, "w");
	fputs("this is not an SQLite database, just text, long enough to "
	      "look like a header..........................................",
	      f);
	fclose(f);
	CHECK(store_open(p, &s, err, sizeof(err)) < 0);
	CHECK(strstr(err, "garbage.db") != NULL);
	store_close(NULL);
}

static void
test_event_names(void)
{
	enum event_type t;
	enum event_severity v;

	for (int i = 0; i < EV__COUNT; i++) {
		CHECK(strcmp(event_type_str((enum event_type)i), "?") != 0);
		CHECK_EQ_INT(
		    event_type_parse(event_type_str((enum event_type)i), &t),
		    0);
		CHECK_EQ_INT(t, i);
	}
	CHECK_EQ_STR(event_type_str(EV__COUNT), "?");
	CHECK_EQ_INT(event_type_parse("", &t), -EINVAL);
	CHECK_EQ_INT(event_severity_parse("warning", &v), 0);
	CHECK_EQ_INT(v, SEV_WARNING);
	CHECK_EQ_INT(event_severity_parse("warn", &v), -EINVAL);

	/* details that do not fit are refused, not cut */
	struct event ev;
	char big[EVENT_DETAILS_MAX];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mk(&ev, 1, EV_ALERT, "n", "x");
	CHECK_EQ_INT(event_details(&ev, "k", big, NULL), -ENOSPC);
	CHECK_EQ_STR(ev.details, "");
	CHECK_EQ_INT(event_details(&ev, "ctl", "a\nb\x01", NULL), 0);
	CHECK_EQ_STR(ev.details, "{\"ctl\":\"a\\u000ab\\u0001\"}");
	/* a "number" that is not one is quoted */
	CHECK_EQ_INT(event_details(&ev, "#n", "12}", NULL), 0);
	CHECK_EQ_STR(ev.details, "{\"n\":\"12}\"}");

	struct event_list l = {0};
	for (int i = 0; i < 128; i++) {
		mk(&ev, (uint64_t)i + 1, EV_ALERT, "n", "x");
		CHECK_EQ_INT(event_list_push(&l, &ev), 0);
	}
	/* the list is full: copying its own element must survive realloc */
	CHECK_EQ_INT(l.n, l.cap);
	CHECK_EQ_INT(event_list_push(&l, &l.v[0]), 0);
	CHECK_EQ_INT(l.n, 129);
	CHECK_EQ_INT(l.v[128].time_ms, 1);
	CHECK_EQ_STR(l.v[128].node, "n");
	CHECK_EQ_INT(l.v[127].time_ms, 128);
	event_list_free(&l);
	event_list_free(NULL);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_event_names);
	RUN(test_append_query);
	RUN(test_malformed_filters);
	RUN(test_reopen);
	RUN(test_acknowledged_survives_kill);
	RUN(test_retention);
	RUN(test_wait_wakes);
	RUN(test_open_errors);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("  could not remove %s\n", dir);
	return TEST_END();
}
