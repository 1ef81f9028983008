/*
 * store_int.h: the store's insides, shared by the files that add tables to
 * it (store.c: events and kv; store_alertq.c: the alert queue, alert state
 * and silences).  Not for other modules: they use store.h.
 */
#ifndef SEXTANT_COMMANDER_STORE_INT_H
#define SEXTANT_COMMANDER_STORE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

struct store {
	pthread_mutex_t mu;
	pthread_cond_t cv;   /* new events, or closing */
	pthread_cond_t idle; /* a waiter left (for close) */
	sqlite3 *db;
	sqlite3_stmt *ins, *kv_get, *kv_put, *kv_del;
	uint64_t last_id;
	unsigned waiters;
	bool closing;
	unsigned wake_gen; /* bumped by store_wake_all */
	void (*notify)(void *, uint64_t);
	void *notify_arg;
	char errmsg[256];
};

/* Remember SQLite's reason (s->errmsg) and map rc to -errno.  Caller
 * holds s->mu. */
int store_int_fail(struct store *s, int rc);

/* Create the alert tables (store_alertq.c), from setup.  0 or -errno. */
int store_alertq_schema(struct store *s);

#endif
