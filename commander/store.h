/*
 * store.h: the commander's durable store (SQLite; the only file that uses
 * it).  Owner: fleet/store helper (commander/store.[ch]).
 *
 * Events get an increasing integer id that is never reused, even after
 * retention deletes the newest rows (AUTOINCREMENT), so an SSE client's
 * Last-Event-ID stays meaningful across commander restarts.  The database
 * runs in WAL mode with synchronous=FULL: when store_append returns 0 the
 * event is on disk.  A small key/value table holds other durable state
 * (lease epochs and holders for failover).
 *
 * Thread-safe: one connection behind a mutex.  Errors are returned (0 or
 * -errno; -EIO for SQLite failures, with the text in store_errmsg), never
 * logged.
 */
#ifndef SEXTANT_COMMANDER_STORE_H
#define SEXTANT_COMMANDER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "commander/events.h"

#define STORE_QUERY_MAX  1000 /* largest limit a query accepts */
#define STORE_KV_KEY_MAX 128  /* incl. NUL */
#define STORE_KV_VAL_MAX 4096 /* incl. NUL */

struct store;

/* Open or create the database at path (parent directory must exist).
 * 0 and *out, or -errno with err naming the path and SQLite's reason.
 * Caller closes with store_close (accepts NULL). */
int store_open(const char *path, struct store **out, char *err, size_t errlen);
/* Wakes every store_wait_after first (they return -ECANCELED); the caller
 * must have stopped the threads that use the store before closing it. */
void store_close(struct store *);

/* The message of the store's most recent SQLite failure (any thread), copied
 * into buf; "" when none.  Returns buf. */
const char *store_errmsg(struct store *, char *buf, size_t size);

/* Append one event, committed (fsync) before returning.  ev->id is
 * ignored; the new id goes to *id (may be NULL).  0, -EINVAL (bad type or
 * severity), -EIO. */
int store_append(struct store *, const struct event *ev, uint64_t *id);
/* Append n events in one transaction (one fsync); ids are consecutive
 * from *first_id.  All or nothing. */
int store_append_many(struct store *, const struct event *evs, size_t n,
                      uint64_t *first_id);

/* A query, as GET /api/v1/events?since=ID&limit=N&node=...&type=... */
struct store_filter {
	uint64_t since_id; /* events with id > since_id */
	size_t limit;      /* 1..STORE_QUERY_MAX */
	const char *node;  /* NULL or "" = any; else exact name */
	const char *type;  /* NULL or "" = any; else event_type_str name */
	bool newest;       /* the newest `limit` matches, not the oldest */
};

/*
 * Matching events in increasing id order.  0 with *out malloc'd (caller
 * frees with free(); NULL when *n == 0), or -EINVAL for a malformed filter
 * (limit 0 or > STORE_QUERY_MAX, unknown type, node name too long), -EIO,
 * -ENOMEM.
 */
int store_query(struct store *, const struct store_filter *f,
                struct event **out, size_t *n);

/* The highest id ever assigned (0 for an empty, new database). */
uint64_t store_last_id(struct store *);

/*
 * Block until an event with id > since_id exists or timeout_ms passes.
 * 0 (new events: *last_id = highest id), -ETIMEDOUT, or -ECANCELED (store
 * closing / store_wake_all).  For the SSE stream: wait, then query.
 */
int store_wait_after(struct store *, uint64_t since_id, uint64_t timeout_ms,
                     uint64_t *last_id);
/* Make every current waiter return -ECANCELED (shutdown). */
void store_wake_all(struct store *);

/* A hook called after each committed append, outside the store's lock, on
 * the appending thread, with the highest new id (e.g. to kick nng aios).
 * Must not block.  fn NULL removes it. */
void store_set_notify(struct store *, void (*fn)(void *arg, uint64_t id),
                      void *arg);

/*
 * Retention: delete events with time_ms < now_wall_ms - max_age_ms
 * (max_age_ms 0 = keep any age) and all but the newest max_count events
 * (0 = any count).  Run it periodically (e.g. each minute).  *deleted may
 * be NULL.  0 or -EIO.
 */
int store_retain(struct store *, uint64_t now_wall_ms, uint64_t max_age_ms,
                 uint64_t max_count, uint64_t *deleted);

/* Number of events stored now. */
int store_count(struct store *, uint64_t *n);

/* Durable key/value (committed before returning).  Keys and values are
 * NUL-terminated text within the *_MAX above.
 * get: 0, -ENOENT, -ENOSPC (buf too small), -EIO.
 * put: 0, -EINVAL (too long), -EIO.  del: 0 (also when absent), -EIO. */
int store_kv_get(struct store *, const char *key, char *buf, size_t size);
int store_kv_put(struct store *, const char *key, const char *value);
int store_kv_del(struct store *, const char *key);

#endif
