/*
 * evlog_test: group commit of events (commander/evlog.c) with a real store.
 * Many threads append at once: every event is stored exactly once, each
 * thread's events keep their order, an append returns only once its events
 * are on disk (visible to a query), the hook sees every event once in id
 * order, and concurrent appends share commits.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "commander/evlog.h"
#include "commander/store.h"
#include "tests/test.h"

#define THREADS 8
#define APPENDS 150

static char dir[] = "/tmp/sextant-evlog-test.XXXXXX";

struct hook_state {
	pthread_mutex_t mu;
	uint64_t last_id;
	uint64_t calls;
	int out_of_order;
};

static void
hook(void *arg, const struct event *ev)
{
	struct hook_state *h = arg;

	pthread_mutex_lock(&h->mu);
	if (ev->id <= h->last_id)
		h->out_of_order++;
	h->last_id = ev->id;
	h->calls++;
	pthread_mutex_unlock(&h->mu);
}

struct worker {
	struct evlog *l;
	struct store *st;
	int idx;
	int failures;
	int not_visible;
};

static void *
work(void *arg)
{
	struct worker *w = arg;
	char node[16];

	snprintf(node, sizeof(node), "n%d", w->idx);
	for (int i = 0; i < APPENDS; i++) {
		struct event ev[3];
		size_t n = 1 + (size_t)(i % 3);
		struct store_filter f = {
		    .limit = 1, .node = node, .newest = true};
		struct event *got = NULL;
		size_t ngot = 0;

		for (size_t k = 0; k < n; k++)
			event_make(&ev[k], 1000 + (uint64_t)i, EV_DECISION,
			           SEV_INFO, node, "", "", "%d.%zu", i, k);
		if (evlog_append(w->l, ev, n) != 0)
			w->failures++;
		/* durable when it returns: the last one is there */
		if (store_query(w->st, &f, &got, &ngot) != 0 || ngot != 1 ||
		    strcmp(got[0].message, ev[n - 1].message) != 0)
			w->not_visible++;
		free(got);
	}
	return NULL;
}

static void
test_concurrent_appends(void)
{
	struct hook_state h = {.mu = PTHREAD_MUTEX_INITIALIZER};
	struct worker w[THREADS];
	pthread_t th[THREADS];
	char path[256], err[256];
	struct store *st = NULL;
	struct evlog *l;
	uint64_t commits = 0, events = 0, count = 0, expect = 0;

	snprintf(path, sizeof(path), "%s/events.db", dir);
	CHECK(store_open(path, &st, err, sizeof(err)) == 0);
	if (st == NULL)
		return;
	l = evlog_new(st, hook, &h);
	CHECK(l != NULL);
	CHECK(evlog_append(l, NULL, 0) == 0);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){.l = l, .st = st, .idx = i};
		pthread_create(&th[i], NULL, work, &w[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		CHECKF(w[i].failures == 0, "thread %d: %d failed", i,
		       w[i].failures);
		CHECKF(w[i].not_visible == 0, "thread %d: %d not visible", i,
		       w[i].not_visible);
	}
	for (int i = 0; i < APPENDS; i++)
		expect += 1 + (uint64_t)(i % 3);
	expect *= THREADS;
	evlog_stats(l, &commits, &events);
	CHECK(events == expect);
	CHECK(store_count(st, &count) == 0 && count == expect);
	CHECK(h.calls == expect);
	CHECK(h.out_of_order == 0);
	printf("  %llu events in %llu commits from %d threads\n",
	       (unsigned long long)events, (unsigned long long)commits,
	       THREADS);
	CHECK(commits <= (uint64_t)THREADS * APPENDS);

	/* each thread's events in the order it appended them */
	for (int i = 0; i < THREADS; i++) {
		char node[16];
		struct store_filter f = {.limit = STORE_QUERY_MAX,
		                         .node = node};
		struct event *got = NULL;
		size_t n = 0, k = 0;
		int bad = 0;

		snprintf(node, sizeof(node), "n%d", i);
		CHECK(store_query(st, &f, &got, &n) == 0);
		for (int a = 0; a < APPENDS && k < n; a++)
			for (int e = 0; e <= a % 3 && k < n; e++, k++) {
				char m[32];

				snprintf(m, sizeof(m), "%d.%d", a, e);
				if (strcmp(got[k].message, m) != 0)
					bad++;
			}
		CHECKF(bad == 0 && k == n, "thread %d: %d out of order", i,
		       bad);
		free(got);
	}
	evlog_free(l);
	store_close(st);
	unlink(path);
}

static void
test_store_error(void)
{
	char path[256], err[256];
	struct store *st = NULL;
	struct evlog *l;
	struct event ev;

	snprintf(path, sizeof(path), "%s/bad.db", dir);
	CHECK(store_open(path, &st, err, sizeof(err)) == 0);
	if (st == NULL)
		return;
	l = evlog_new(st, NULL, NULL);
	/* an event the store refuses: the caller hears it */
	event_make(&ev, 1, EV_DECISION, SEV_INFO, "n", "", "", "x");
	ev.type = (enum event_type)99;
	CHECK(evlog_append(l, &ev, 1) == -EINVAL);
	/* and the next batch is fine again */
	ev.type = EV_DECISION;
	CHECK(evlog_append(l, &ev, 1) == 0);
	evlog_free(l);
	evlog_free(NULL);
	store_close(st);
	unlink(path);
}

int
main(void)
{
	char cmd[128];
	int rc;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_concurrent_appends);
	RUN(test_store_error);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	rc = system(cmd);
	(void)rc;
	return TEST_END();
}
