/*
 * evlog.h: the commander's way to record events, with group commit.
 *
 * Every event must be on disk before the reply that depends on it leaves
 * (a restart grant, a lease), and each commit waits on fsync.  Heartbeats
 * arrive on many nng threads at once; rather than queue one fsync each
 * behind the store's mutex, evlog_append puts the caller's events in a
 * shared batch and the first caller to find no commit running becomes the
 * committer for everything batched so far: one transaction, one fsync,
 * however many callers.  Each caller returns once the batch holding its
 * events is durable (or failed), so the guarantee per caller is unchanged.
 *
 * After each commit the committer calls the log hook for every event, in
 * id order, outside any lock (one committer at a time keeps the order).
 */
#ifndef SEXTANT_COMMANDER_EVLOG_H
#define SEXTANT_COMMANDER_EVLOG_H

#include <stddef.h>
#include <stdint.h>

#include "commander/events.h"
#include "commander/store.h"

struct evlog;

/* Called with each committed event (its id set); may be NULL. */
typedef void evlog_hook_fn(void *arg, const struct event *ev);

/* NULL on ENOMEM.  store is borrowed and must outlive the evlog.  Caller
 * frees with evlog_free (accepts NULL) once no append is running. */
struct evlog *evlog_new(struct store *st, evlog_hook_fn *hook, void *arg);
void evlog_free(struct evlog *);

/*
 * Record n events durably; blocks until committed.  0, -ENOMEM (nothing
 * recorded), or the store's error for the batch (-EIO, -EINVAL).  n == 0
 * returns 0 at once.
 */
int evlog_append(struct evlog *, const struct event *evs, size_t n);

/* Commits so far and events in them (for logs and tests). */
void evlog_stats(struct evlog *, uint64_t *commits, uint64_t *events);

#endif
