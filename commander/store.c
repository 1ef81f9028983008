/*
 * store.c: durable events and key/value state in SQLite.
 *
 * One connection behind one mutex: the commander's write rate (events are
 * state changes, not heartbeats) is far below what a single connection
 * commits, and it keeps SQLite's locking out of the picture.  Each append
 * is its own transaction so that "returned 0" means "on disk".
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "commander/store.h"
#include "commander/store_int.h"
#include "common/util.h"

#define SCHEMA_VERSION 1

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS events ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " time_ms INTEGER NOT NULL,"
    " type TEXT NOT NULL,"
    " severity TEXT NOT NULL,"
    " node TEXT NOT NULL,"
    " grp TEXT NOT NULL,"
    " network TEXT NOT NULL,"
    " message TEXT NOT NULL,"
    " details TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS events_node ON events(node, id);"
    "CREATE INDEX IF NOT EXISTS events_type ON events(type, id);"
    "CREATE INDEX IF NOT EXISTS events_time ON events(time_ms);"
    "CREATE TABLE IF NOT EXISTS kv ("
    " key TEXT PRIMARY KEY,"
    " value TEXT NOT NULL);";

/* Remember SQLite's reason and map its code to an errno. */
static int
fail(struct store *s, int rc)
{
	snprintf(s->errmsg, sizeof(s->errmsg), "%s",
	         s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
	case SQLITE_PERM:
		return -EACCES;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	default:
		return -EIO;
	}
}

int
store_int_fail(struct store *s, int rc)
{
	return fail(s, rc);
}

static int
exec(struct store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : fail(s, rc);
}

/* A pragma that answers with one text row, e.g. journal_mode. */
static int
pragma_text(struct store *s, const char *sql, char *out, size_t size)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return fail(s, rc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);

		util_strlcpy(out, t ? (const char *)t : "", size);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		out[0] = '\0';
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : fail(s, rc);
}

static int
load_last_id(struct store *s)
{
	sqlite3_stmt *st;
	int rc;

	/* sqlite_sequence keeps the highest id ever used, even if retention
	 * deleted that row: the id we must continue from. */
	rc = sqlite3_prepare_v2(
	    s->db, "SELECT seq FROM sqlite_sequence WHERE name = 'events'", -1,
	    &st, NULL);
	if (rc != SQLITE_OK)
		return fail(s, rc);
	rc = sqlite3_step(st);
	s->last_id =
	    rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : fail(s, rc);
}

static void
finalize_all(struct store *s)
{
	sqlite3_finalize(s->ins);
	sqlite3_finalize(s->kv_get);
	sqlite3_finalize(s->kv_put);
	sqlite3_finalize(s->kv_del);
	s->ins = s->kv_get = s->kv_put = s->kv_del = NULL;
}

static int
prepare(struct store *s, const char *sql, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	                            st, NULL);

	return rc == SQLITE_OK ? 0 : fail(s, rc);
}

static int
setup(struct store *s)
{
	char mode[16];
	char ver[16];
	int r;

	sqlite3_busy_timeout(s->db, 5000);
	if ((r = pragma_text(s, "PRAGMA journal_mode=WAL", mode,
	                     sizeof(mode))) < 0)
		return r;
	if (strcmp(mode, "wal") != 0) {
		snprintf(s->errmsg, sizeof(s->errmsg),
		         "cannot enable WAL (journal_mode is '%s')", mode);
		return -EIO;
	}
	/* FULL: in WAL mode the commit is fsynced before it returns. */
	if ((r = exec(s, "PRAGMA synchronous=FULL")) < 0)
		return r;
	if ((r = pragma_text(s, "PRAGMA user_version", ver, sizeof(ver))) < 0)
		return r;
	if (atoi(ver) > SCHEMA_VERSION) {
		snprintf(s->errmsg, sizeof(s->errmsg),
		         "schema version %s is newer than this commander (%d)",
		         ver, SCHEMA_VERSION);
		return -EPROTO;
	}
	if ((r = exec(s, schema)) < 0 || (r = store_alertq_schema(s)) < 0)
		return r;
	if ((r = exec(s, "PRAGMA user_version=1")) < 0)
		return r;
	if ((r = prepare(
	         s,
	         "INSERT INTO events (time_ms, type, severity, node, grp,"
	         " network, message, details) VALUES (?,?,?,?,?,?,?,?)",
	         &s->ins)) < 0 ||
	    (r = prepare(s, "SELECT value FROM kv WHERE key = ?", &s->kv_get)) <
	        0 ||
	    (r = prepare(
	         s,
	         "INSERT INTO kv (key, value) VALUES (?, ?)"
	         " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	         &s->kv_put)) < 0 ||
	    (r = prepare(s, "DELETE FROM kv WHERE key = ?", &s->kv_del)) < 0)
		return r;
	return load_last_id(s);
}

int
store_open(const char *path, struct store **out, char *err, size_t errlen)
{
	struct store *s;
	pthread_condattr_t ca;
	int rc, r;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_cond_init(&s->idle, &ca);
	pthread_condattr_destroy(&ca);

	rc = sqlite3_open_v2(path, &s->db,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                         SQLITE_OPEN_NOMUTEX,
	                     NULL);
	if (rc != SQLITE_OK)
		r = fail(s, rc);
	else
		r = setup(s);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path, s->errmsg);
		store_close(s);
		return r;
	}
	*out = s;
	return 0;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->closing = true;
	pthread_cond_broadcast(&s->cv);
	while (s->waiters > 0)
		pthread_cond_wait(&s->idle, &s->mu);
	pthread_mutex_unlock(&s->mu);
	finalize_all(s);
	sqlite3_close(s->db);
	pthread_cond_destroy(&s->cv);
	pthread_cond_destroy(&s->idle);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

const char *
store_errmsg(struct store *s, char *buf, size_t size)
{
	pthread_mutex_lock(&s->mu);
	util_strlcpy(buf, s->errmsg, size);
	pthread_mutex_unlock(&s->mu);
	return buf;
}

/* Bind a fixed-array field without trusting its NUL. */
static int
bind_field(sqlite3_stmt *st, int i, const char *v, size_t size)
{
	return sqlite3_bind_text(st, i, v, (int)strnlen(v, size),
	                         SQLITE_STATIC);
}

static int
insert_one(struct store *s, const struct event *ev)
{
	sqlite3_stmt *st = s->ins;
	int rc;

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if ((rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)ev->time_ms)) ||
	    (rc = sqlite3_bind_text(st, 2, event_type_str(ev->type), -1,
	                            SQLITE_STATIC)) ||
	    (rc = sqlite3_bind_text(st, 3, event_severity_str(ev->severity), -1,
	                            SQLITE_STATIC)) ||
	    (rc = bind_field(st, 4, ev->node, sizeof(ev->node))) ||
	    (rc = bind_field(st, 5, ev->group, sizeof(ev->group))) ||
	    (rc = bind_field(st, 6, ev->network, sizeof(ev->network))) ||
	    (rc = bind_field(st, 7, ev->message, sizeof(ev->message))) ||
	    (rc = bind_field(st, 8, ev->details, sizeof(ev->details))))
		return fail(s, rc);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : fail(s, rc);
}

int
store_append_many(struct store *s, const struct event *evs, size_t n,
                  uint64_t *first_id)
{
	void (*notify)(void *, uint64_t);
	void *arg;
	uint64_t last;
	int r = 0;

	for (size_t i = 0; i < n; i++)
		if ((unsigned)evs[i].type >= EV__COUNT ||
		    (unsigned)evs[i].severity >= SEV__COUNT)
			return -EINVAL;
	if (n == 0)
		return 0;
	pthread_mutex_lock(&s->mu);
	if ((r = exec(s, "BEGIN IMMEDIATE")) < 0)
		goto out;
	for (size_t i = 0; i < n && r == 0; i++)
		r = insert_one(s, &evs[i]);
	if (r == 0)
		r = exec(s, "COMMIT");
	if (r < 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		goto out;
	}
	/* AUTOINCREMENT under our lock: the n rows took the next n ids. */
	last = (uint64_t)sqlite3_last_insert_rowid(s->db);
	if (first_id != NULL)
		*first_id = last - n + 1;
	s->last_id = last;
	pthread_cond_broadcast(&s->cv);
out:
	notify = s->notify;
	arg = s->notify_arg;
	last = s->last_id;
	pthread_mutex_unlock(&s->mu);
	if (r == 0 && notify != NULL)
		notify(arg, last);
	return r;
}

int
store_append(struct store *s, const struct event *ev, uint64_t *id)
{
	return store_append_many(s, ev, 1, id);
}

static void
row_to_event(sqlite3_stmt *st, struct event *ev)
{
	const char *t;

	memset(ev, 0, sizeof(*ev));
	ev->id = (uint64_t)sqlite3_column_int64(st, 0);
	ev->time_ms = (uint64_t)sqlite3_column_int64(st, 1);
	t = (const char *)sqlite3_column_text(st, 2);
	/* a type this build does not know (newer commander): keep the row */
	if (t == NULL || event_type_parse(t, &ev->type) < 0)
		ev->type = EV_COMMANDER;
	t = (const char *)sqlite3_column_text(st, 3);
	if (t == NULL || event_severity_parse(t, &ev->severity) < 0)
		ev->severity = SEV_WARNING;
#define COPY(col, field)                                                       \
	do {                                                                   \
		t = (const char *)sqlite3_column_text(st, col);                \
		util_strlcpy(ev->field, t ? t : "", sizeof(ev->field));        \
	} while (0)
	COPY(4, node);
	COPY(5, group);
	COPY(6, network);
	COPY(7, message);
	COPY(8, details);
#undef COPY
}

int
store_query(struct store *s, const struct store_filter *f, struct event **out,
            size_t *n)
{
	enum event_type type;
	bool by_node = f->node != NULL && f->node[0] != '\0';
	bool by_type = f->type != NULL && f->type[0] != '\0';
	char sql[320];
	sqlite3_stmt *st = NULL;
	struct event *v = NULL;
	size_t cnt = 0;
	int rc, i = 1, r = 0;

	*out = NULL;
	*n = 0;
	if (f->limit == 0 || f->limit > STORE_QUERY_MAX ||
	    f->since_id > (uint64_t)INT64_MAX)
		return -EINVAL;
	if (by_node && strnlen(f->node, PROTO_NAME_MAX) >= PROTO_NAME_MAX)
		return -EINVAL;
	if (by_type && event_type_parse(f->type, &type) < 0)
		return -EINVAL;
	snprintf(
	    sql, sizeof(sql),
	    "SELECT id, time_ms, type, severity, node, grp, network, message,"
	    " details FROM events WHERE id > ?%s%s ORDER BY id %s LIMIT ?",
	    by_node ? " AND node = ?" : "", by_type ? " AND type = ?" : "",
	    f->newest ? "DESC" : "ASC");
	if ((v = calloc(f->limit, sizeof(*v))) == NULL)
		return -ENOMEM;

	pthread_mutex_lock(&s->mu);
	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		r = fail(s, rc);
		goto out;
	}
	sqlite3_bind_int64(st, i++, (sqlite3_int64)f->since_id);
	if (by_node)
		sqlite3_bind_text(st, i++, f->node, -1, SQLITE_STATIC);
	if (by_type)
		sqlite3_bind_text(st, i++, event_type_str(type), -1,
		                  SQLITE_STATIC);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)f->limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && cnt < f->limit)
		row_to_event(st, &v[cnt++]);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = fail(s, rc);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	if (r < 0 || cnt == 0) {
		free(v);
		return r;
	}
	if (f->newest) /* fetched newest first; callers want id order */
		for (size_t a = 0, b = cnt - 1; a < b; a++, b--) {
			struct event tmp = v[a];

			v[a] = v[b];
			v[b] = tmp;
		}
	*out = v;
	*n = cnt;
	return 0;
}

uint64_t
store_last_id(struct store *s)
{
	uint64_t id;

	pthread_mutex_lock(&s->mu);
	id = s->last_id;
	pthread_mutex_unlock(&s->mu);
	return id;
}

int
store_wait_after(struct store *s, uint64_t since_id, uint64_t timeout_ms,
                 uint64_t *last_id)
{
	struct timespec ts;
	unsigned gen;
	int r = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(timeout_ms / 1000);
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->mu);
	gen = s->wake_gen;
	s->waiters++;
	while (s->last_id <= since_id) {
		if (s->closing || s->wake_gen != gen) {
			r = -ECANCELED;
			break;
		}
		if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) == ETIMEDOUT) {
			if (s->last_id <= since_id)
				r = -ETIMEDOUT;
			break;
		}
	}
	if (r == 0 && last_id != NULL)
		*last_id = s->last_id;
	s->waiters--;
	if (s->closing)
		pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->mu);
	return r;
}

void
store_wake_all(struct store *s)
{
	pthread_mutex_lock(&s->mu);
	s->wake_gen++;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

void
store_set_notify(struct store *s, void (*fn)(void *, uint64_t), void *arg)
{
	pthread_mutex_lock(&s->mu);
	s->notify = fn;
	s->notify_arg = arg;
	pthread_mutex_unlock(&s->mu);
}

/* Run one statement with up to one int64 parameter; adds its changes. */
static int
run_delete(struct store *s, const char *sql, sqlite3_int64 arg,
           uint64_t *changes)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return fail(s, rc);
	sqlite3_bind_int64(st, 1, arg);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return fail(s, rc);
	*changes += (uint64_t)sqlite3_changes(s->db);
	return 0;
}

int
store_retain(struct store *s, uint64_t now_wall_ms, uint64_t max_age_ms,
             uint64_t max_count, uint64_t *deleted)
{
	uint64_t changes = 0;
	int r;

	if (max_count > (uint64_t)INT64_MAX ||
	    now_wall_ms > (uint64_t)INT64_MAX)
		return -EINVAL;
	pthread_mutex_lock(&s->mu);
	if ((r = exec(s, "BEGIN IMMEDIATE")) < 0)
		goto out;
	if (max_age_ms > 0 && max_age_ms < now_wall_ms)
		r = run_delete(s, "DELETE FROM events WHERE time_ms < ?",
		               (sqlite3_int64)(now_wall_ms - max_age_ms),
		               &changes);
	if (r == 0 && max_count > 0)
		/* keep the newest max_count: drop ids below the
		 * max_count-th newest (NULL when fewer: deletes none) */
		r = run_delete(
		    s,
		    "DELETE FROM events WHERE id < (SELECT id FROM events"
		    " ORDER BY id DESC LIMIT 1 OFFSET ?)",
		    (sqlite3_int64)(max_count - 1), &changes);
	if (r == 0)
		r = exec(s, "COMMIT");
	if (r < 0)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
out:
	pthread_mutex_unlock(&s->mu);
	if (r == 0 && deleted != NULL)
		*deleted = changes;
	return r;
}

int
store_count(struct store *s, uint64_t *n)
{
	sqlite3_stmt *st;
	int rc, r = 0;

	pthread_mutex_lock(&s->mu);
	rc = sqlite3_prepare_v2(s->db, "SELECT count(*) FROM events", -1, &st,
	                        NULL);
	if (rc != SQLITE_OK)
		r = fail(s, rc);
	else {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*n = (uint64_t)sqlite3_column_int64(st, 0);
		else
			r = fail(s, rc);
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

static bool
kv_key_ok(const char *key)
{
	size_t len = strnlen(key, STORE_KV_KEY_MAX);

	return len > 0 && len < STORE_KV_KEY_MAX;
}

int
store_kv_get(struct store *s, const char *key, char *buf, size_t size)
{
	sqlite3_stmt *st = s->kv_get;
	int rc, r = 0;

	if (!kv_key_ok(key))
		return -EINVAL;
	pthread_mutex_lock(&s->mu);
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		int len = sqlite3_column_bytes(st, 0);

		if (v == NULL)
			v = "";
		if ((size_t)len >= size)
			r = -ENOSPC;
		else {
			memcpy(buf, v, (size_t)len);
			buf[len] = '\0';
		}
	} else if (rc == SQLITE_DONE)
		r = -ENOENT;
	else
		r = fail(s, rc);
	sqlite3_reset(st);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
store_kv_put(struct store *s, const char *key, const char *value)
{
	sqlite3_stmt *st = s->kv_put;
	int rc;

	if (!kv_key_ok(key) ||
	    strnlen(value, STORE_KV_VAL_MAX) >= STORE_KV_VAL_MAX)
		return -EINVAL;
	pthread_mutex_lock(&s->mu);
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	rc = rc == SQLITE_DONE ? 0 : fail(s, rc);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
store_kv_del(struct store *s, const char *key)
{
	sqlite3_stmt *st = s->kv_del;
	int rc;

	if (!kv_key_ok(key))
		return -EINVAL;
	pthread_mutex_lock(&s->mu);
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	rc = rc == SQLITE_DONE ? 0 : fail(s, rc);
	pthread_mutex_unlock(&s->mu);
	return rc;
}
