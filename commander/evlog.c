#include "commander/evlog.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Outcomes of recent batches; a caller finds its own by ticket.  A caller
 * that slept through more batches than this reports -EIO: unknown is
 * treated as not recorded. */
#define RESULTS 64

struct result {
	uint64_t first, last; /* tickets the batch covered */
	int rc;
};

struct evlog {
	struct store *st;
	evlog_hook_fn *hook;
	void *arg;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct event_list pending; /* batched, not yet committing */
	struct event_list spare;   /* a drained buffer to reuse */
	uint64_t issued;           /* tickets handed out */
	uint64_t resolved;         /* every ticket <= this has an outcome */
	bool busy;                 /* a committer is at work */
	struct result results[RESULTS];
	size_t nextres;
	uint64_t commits, events;
};

struct evlog *
evlog_new(struct store *st, evlog_hook_fn *hook, void *arg)
{
	struct evlog *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->st = st;
	l->hook = hook;
	l->arg = arg;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	return l;
}

void
evlog_free(struct evlog *l)
{
	if (l == NULL)
		return;
	event_list_free(&l->pending);
	event_list_free(&l->spare);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

static int
outcome(const struct evlog *l, uint64_t ticket)
{
	for (size_t i = 0; i < RESULTS; i++) {
		const struct result *r = &l->results[i];

		if (r->last != 0 && r->first <= ticket && ticket <= r->last)
			return r->rc;
	}
	return -EIO;
}

/* Commit what is pending; called and returns with mu held. */
static void
commit(struct evlog *l)
{
	struct event_list batch = l->pending;
	struct result r = {.first = l->resolved + 1, .last = l->issued};
	uint64_t first_id = 0;

	l->pending = l->spare;
	l->spare = (struct event_list){0};
	l->busy = true;
	pthread_mutex_unlock(&l->mu);

	r.rc = store_append_many(l->st, batch.v, batch.n, &first_id);
	if (r.rc == 0 && l->hook != NULL)
		for (size_t i = 0; i < batch.n; i++) {
			batch.v[i].id = first_id + i;
			l->hook(l->arg, &batch.v[i]);
		}

	pthread_mutex_lock(&l->mu);
	if (r.rc == 0) {
		l->commits++;
		l->events += batch.n;
	}
	l->results[l->nextres] = r;
	l->nextres = (l->nextres + 1) % RESULTS;
	l->resolved = r.last;
	l->busy = false;
	event_list_clear(&batch);
	/* keep one buffer for reuse, unless a burst made it huge */
	if (l->spare.v == NULL && batch.cap <= 1024)
		l->spare = batch;
	else
		event_list_free(&batch);
	pthread_cond_broadcast(&l->cv);
}

int
evlog_append(struct evlog *l, const struct event *evs, size_t n)
{
	size_t before;
	uint64_t ticket;
	int rc;

	if (n == 0)
		return 0;
	pthread_mutex_lock(&l->mu);
	before = l->pending.n;
	for (size_t i = 0; i < n; i++)
		if (event_list_push(&l->pending, &evs[i]) != 0) {
			l->pending.n = before; /* all or nothing */
			pthread_mutex_unlock(&l->mu);
			return -ENOMEM;
		}
	ticket = ++l->issued;
	while (l->resolved < ticket) {
		if (!l->busy)
			commit(l);
		else
			pthread_cond_wait(&l->cv, &l->mu);
	}
	rc = outcome(l, ticket);
	pthread_mutex_unlock(&l->mu);
	return rc;
}

void
evlog_stats(struct evlog *l, uint64_t *commits, uint64_t *events)
{
	pthread_mutex_lock(&l->mu);
	*commits = l->commits;
	*events = l->events;
	pthread_mutex_unlock(&l->mu);
}
