/*
 * store_alertq.c: the alert delivery queue, alert state blobs and
 * silences, in the commander's SQLite store (see store_alertq.h).
 * Statements are prepared per call: alerts are rare next to the cost of a
 * commit's fsync.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "commander/store_alertq.h"
#include "commander/store_int.h"
#include "common/util.h"

static const char alert_schema[] =
    "CREATE TABLE IF NOT EXISTS alert_queue ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " channel TEXT NOT NULL,"
    " kind TEXT NOT NULL,"
    " payload TEXT NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'queued',"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " created_ms INTEGER NOT NULL,"
    " next_ms INTEGER NOT NULL,"
    " done_ms INTEGER NOT NULL DEFAULT 0,"
    " last_status INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX IF NOT EXISTS alert_queue_chan"
    " ON alert_queue(channel, state, id);"
    "CREATE TABLE IF NOT EXISTS alert_state ("
    " key TEXT PRIMARY KEY,"
    " value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS alert_silences ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " rule TEXT NOT NULL, node TEXT NOT NULL, grp TEXT NOT NULL,"
    " network TEXT NOT NULL, created_ms INTEGER NOT NULL,"
    " expires_ms INTEGER NOT NULL, comment TEXT NOT NULL,"
    " author TEXT NOT NULL);";

int
store_alertq_schema(struct store *s)
{
	int rc = sqlite3_exec(s->db, alert_schema, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : store_int_fail(s, rc);
}

/*
 * Prepare sql and bind its parameters from a format: 'i' int64, 't' text
 * (NUL-terminated, copied).  Caller holds the lock.  0 or -errno.
 */
static int
prep(struct store *s, sqlite3_stmt **st, const char *sql, const char *fmt, ...)
{
	va_list ap;
	int rc, i = 1;

	rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
	if (rc != SQLITE_OK)
		return store_int_fail(s, rc);
	va_start(ap, fmt);
	for (; *fmt && rc == SQLITE_OK; fmt++, i++) {
		if (*fmt == 'i')
			rc = sqlite3_bind_int64(*st, i,
			                        va_arg(ap, sqlite3_int64));
		else if (*fmt == 't')
			rc = sqlite3_bind_text(*st, i, va_arg(ap, const char *),
			                       -1, SQLITE_TRANSIENT);
	}
	va_end(ap);
	if (rc != SQLITE_OK) {
		rc = store_int_fail(s, rc);
		sqlite3_finalize(*st);
		*st = NULL;
		return rc;
	}
	return 0;
}

/* Run a statement that returns no rows; *changes (may be NULL) += . */
static int
run(struct store *s, sqlite3_stmt *st, uint64_t *changes)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_int_fail(s, rc);
	if (changes)
		*changes += (uint64_t)sqlite3_changes(s->db);
	return 0;
}

static int
exec(struct store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : store_int_fail(s, rc);
}

#define I(x) ((sqlite3_int64)(x))

static void
col(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
	const char *t = (const char *)sqlite3_column_text(st, i);

	util_strlcpy(dst, t ? t : "", cap);
}

int
store_alertq_commit(struct store *s, const struct store_alertq_put *m, size_t n,
                    const struct store_blob *b, size_t nb, uint64_t now_ms,
                    uint64_t *first_id)
{
	sqlite3_stmt *st;
	int r;

	for (size_t i = 0; i < n; i++)
		if (m[i].channel == NULL || !m[i].channel[0] ||
		    strlen(m[i].channel) >= PROTO_NAME_MAX ||
		    m[i].payload == NULL ||
		    strcmp(alert_msg_kind_str(m[i].kind), "?") == 0)
			return -EINVAL;
	for (size_t i = 0; i < nb; i++)
		if (b[i].key == NULL || b[i].value == NULL)
			return -EINVAL;
	pthread_mutex_lock(&s->mu);
	if ((r = exec(s, "BEGIN IMMEDIATE")) < 0)
		goto out;
	for (size_t i = 0; i < n && r == 0; i++) {
		if (m[i].kind == ALERT_MSG_RESEND &&
		    (r = prep(s, &st,
		              "DELETE FROM alert_queue WHERE channel = ? AND"
		              " kind = 'resend' AND state = 'queued'",
		              "t", m[i].channel)) == 0)
			r = run(s, st, NULL);
		if (r == 0 &&
		    (r = prep(s, &st,
		              "INSERT INTO alert_queue (channel, kind, payload,"
		              " created_ms, next_ms) VALUES (?,?,?,?,?)",
		              "tttii", m[i].channel,
		              alert_msg_kind_str(m[i].kind), m[i].payload,
		              I(now_ms), I(now_ms))) == 0)
			r = run(s, st, NULL);
		if (r == 0 && i == 0 && first_id)
			*first_id = (uint64_t)sqlite3_last_insert_rowid(s->db);
	}
	for (size_t i = 0; i < nb && r == 0; i++)
		if ((r = prep(
		         s, &st,
		         "INSERT INTO alert_state (key, value) VALUES (?,?)"
		         " ON CONFLICT(key) DO UPDATE SET"
		         " value = excluded.value",
		         "tt", b[i].key, b[i].value)) == 0)
			r = run(s, st, NULL);
	if (r == 0)
		r = exec(s, "COMMIT");
	if (r < 0)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
out:
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
store_blob_get(struct store *s, const char *key, char **value)
{
	sqlite3_stmt *st;
	int rc, r;

	*value = NULL;
	pthread_mutex_lock(&s->mu);
	if ((r = prep(s, &st, "SELECT value FROM alert_state WHERE key = ?",
	              "t", key)) < 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		int len = sqlite3_column_bytes(st, 0);

		if ((*value = malloc((size_t)len + 1)) == NULL)
			r = -ENOMEM;
		else {
			memcpy(*value, v ? v : "", v ? (size_t)len : 0);
			(*value)[v ? len : 0] = '\0';
		}
	} else if (rc == SQLITE_DONE)
		r = -ENOENT;
	else
		r = store_int_fail(s, rc);
	sqlite3_finalize(st);
out:
	pthread_mutex_unlock(&s->mu);
	return r;
}

void
store_alertq_msg_free(struct store_alertq_msg *m)
{
	if (m == NULL)
		return;
	free(m->payload);
	m->payload = NULL;
}

int
store_alertq_head(struct store *s, const char *channel,
                  struct store_alertq_msg *out)
{
	sqlite3_stmt *st;
	int rc, r;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&s->mu);
	if ((r = prep(s, &st,
	              "SELECT id, kind, payload, attempts, created_ms, next_ms"
	              " FROM alert_queue WHERE channel = ? AND"
	              " state = 'queued' ORDER BY id LIMIT 1",
	              "t", channel)) < 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 1);
		const char *p = (const char *)sqlite3_column_text(st, 2);

		out->id = (uint64_t)sqlite3_column_int64(st, 0);
		util_strlcpy(out->channel, channel, sizeof(out->channel));
		if (k == NULL || alert_msg_kind_parse(k, &out->kind) != 0)
			out->kind = ALERT_MSG_ALERTS;
		out->attempts = (uint32_t)sqlite3_column_int64(st, 3);
		out->created_ms = (uint64_t)sqlite3_column_int64(st, 4);
		out->next_ms = (uint64_t)sqlite3_column_int64(st, 5);
		if ((out->payload = strdup(p ? p : "[]")) == NULL)
			r = -ENOMEM;
	} else if (rc == SQLITE_DONE)
		r = -ENOENT;
	else
		r = store_int_fail(s, rc);
	sqlite3_finalize(st);
out:
	pthread_mutex_unlock(&s->mu);
	return r;
}

/* One UPDATE in its own transaction (autocommit); -ENOENT if no row. */
static int
update(struct store *s, sqlite3_stmt *st)
{
	uint64_t ch = 0;
	int r = run(s, st, &ch);

	return r < 0 ? r : ch ? 0 : -ENOENT;
}

int
store_alertq_delivered(struct store *s, uint64_t id, uint64_t now_ms,
                       long status)
{
	sqlite3_stmt *st;
	int r;

	pthread_mutex_lock(&s->mu);
	if ((r = prep(s, &st,
	              "UPDATE alert_queue SET state = 'delivered',"
	              " attempts = attempts + 1, done_ms = ?,"
	              " last_status = ?, last_error = '' WHERE id = ?",
	              "iii", I(now_ms), I(status), I(id))) == 0)
		r = update(s, st);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
store_alertq_retry(struct store *s, uint64_t id, uint64_t next_ms, long status,
                   const char *why)
{
	sqlite3_stmt *st;
	int r;

	pthread_mutex_lock(&s->mu);
	if ((r = prep(s, &st,
	              "UPDATE alert_queue SET attempts = attempts + 1,"
	              " next_ms = ?, last_status = ?, last_error = ?"
	              " WHERE id = ? AND state = 'queued'",
	              "iiti", I(next_ms), I(status), why ? why : "", I(id))) ==
	    0)
		r = update(s, st);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
store_alertq_failed(struct store *s, uint64_t id, uint64_t now_ms, long status,
                    const char *why)
{
	sqlite3_stmt *st;
	int r;

	pthread_mutex_lock(&s->mu);
	if ((r = prep(s, &st,
	              "UPDATE alert_queue SET state = 'failed',"
	              " attempts = attempts + 1, done_ms = ?,"
	              " last_status = ?, last_error = ? WHERE id = ?",
	              "iiti", I(now_ms), I(status), why ? why : "", I(id))) ==
	    0)
		r = update(s, st);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
store_alertq_state(struct store *s, uint64_t id, char *state, size_t statelen,
                   long *status, uint32_t *attempts, char *why, size_t whylen)
{
	sqlite3_stmt *st;
	int rc, r;

	pthread_mutex_lock(&s->mu);
	if ((r = prep(s, &st,
	              "SELECT state, last_status, attempts, last_error"
	              " FROM alert_queue WHERE id = ?",
	              "i", I(id))) < 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (state)
			col(st, 0, state, statelen);
		if (status)
			*status = (long)sqlite3_column_int64(st, 1);
		if (attempts)
			*attempts = (uint32_t)sqlite3_column_int64(st, 2);
		if (why)
			col(st, 3, why, whylen);
	} else if (rc == SQLITE_DONE)
		r = -ENOENT;
	else
		r = store_int_fail(s, rc);
	sqlite3_finalize(st);
out:
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
store_alertq_stats(struct store *s, const char *channel,
                   struct store_alertq_stats *out)
{
	sqlite3_stmt *st;
	int rc, r;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&s->mu);
	if ((r = prep(s, &st,
	              "SELECT state, count(*), sum(attempts) FROM alert_queue"
	              " WHERE ?1 IS NULL OR channel = ?1 GROUP BY state",
	              channel ? "t" : "", channel)) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *state = (const char *)sqlite3_column_text(st, 0);
		uint64_t c = (uint64_t)sqlite3_column_int64(st, 1);

		if (state == NULL)
			continue;
		if (strcmp(state, "queued") == 0) {
			out->queued = c;
			out->attempts = (uint64_t)sqlite3_column_int64(st, 2);
		} else if (strcmp(state, "delivered") == 0)
			out->delivered = c;
		else if (strcmp(state, "failed") == 0)
			out->failed = c;
	}
	if (rc != SQLITE_DONE)
		r = store_int_fail(s, rc);
	sqlite3_finalize(st);
out:
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
store_alertq_orphans(struct store *s, const char *const *names, size_t n,
                     uint64_t now_ms, uint64_t *dropped)
{
	sqlite3_stmt *st = NULL;
	uint64_t ch = 0;
	int rc, r;
	char **victims = NULL;
	size_t nv = 0, cap = 0;

	pthread_mutex_lock(&s->mu);
	if ((r = prep(s, &st,
	              "SELECT DISTINCT channel FROM alert_queue"
	              " WHERE state = 'queued'",
	              "")) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && r == 0) {
		const char *c = (const char *)sqlite3_column_text(st, 0);
		bool known = false;

		for (size_t i = 0; i < n && c && !known; i++)
			known = strcmp(names[i], c) == 0;
		if (c == NULL || known)
			continue;
		if (nv == cap) {
			size_t nc = cap ? 2 * cap : 4;
			char **v = realloc(victims, nc * sizeof(*v));

			if (v == NULL) {
				r = -ENOMEM;
				break;
			}
			victims = v;
			cap = nc;
		}
		if ((victims[nv] = strdup(c)) == NULL)
			r = -ENOMEM;
		else
			nv++;
	}
	if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = store_int_fail(s, rc);
	sqlite3_finalize(st);
	for (size_t i = 0; i < nv && r == 0; i++)
		if ((r = prep(s, &st,
		              "UPDATE alert_queue SET state = 'failed',"
		              " done_ms = ?, last_error = 'channel removed"
		              " from the configuration' WHERE channel = ?"
		              " AND state = 'queued'",
		              "it", I(now_ms), victims[i])) == 0)
			r = run(s, st, &ch);
out:
	pthread_mutex_unlock(&s->mu);
	for (size_t i = 0; i < nv; i++)
		free(victims[i]);
	free(victims);
	if (r == 0 && dropped)
		*dropped = ch;
	return r;
}

int
store_alertq_prune(struct store *s, uint64_t before_ms, uint64_t *deleted)
{
	sqlite3_stmt *st;
	uint64_t ch = 0;
	int r;

	pthread_mutex_lock(&s->mu);
	if ((r = prep(s, &st,
	              "DELETE FROM alert_queue WHERE state != 'queued' AND"
	              " done_ms < ?",
	              "i", I(before_ms))) == 0)
		r = run(s, st, &ch);
	pthread_mutex_unlock(&s->mu);
	if (r == 0 && deleted)
		*deleted = ch;
	return r;
}

int
store_silence_add(struct store *s, struct alert_silence *sl)
{
	sqlite3_stmt *st;
	int r;

	pthread_mutex_lock(&s->mu);
	if ((r = prep(s, &st,
	              "INSERT INTO alert_silences (rule, node, grp, network,"
	              " created_ms, expires_ms, comment, author)"
	              " VALUES (?,?,?,?,?,?,?,?)",
	              "ttttiitt", sl->rule, sl->node, sl->group, sl->network,
	              I(sl->created_ms), I(sl->expires_ms), sl->comment,
	              sl->author)) == 0 &&
	    (r = run(s, st, NULL)) == 0)
		sl->id = (uint64_t)sqlite3_last_insert_rowid(s->db);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
store_silence_del(struct store *s, uint64_t id)
{
	sqlite3_stmt *st;
	int r;

	pthread_mutex_lock(&s->mu);
	if ((r = prep(s, &st, "DELETE FROM alert_silences WHERE id = ?", "i",
	              I(id))) == 0)
		r = update(s, st);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
store_silence_list(struct store *s, struct alert_silence **out, size_t *n)
{
	sqlite3_stmt *st;
	struct alert_silence *v = NULL;
	size_t cnt = 0, cap = 0;
	int rc, r;

	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&s->mu);
	if ((r = prep(s, &st,
	              "SELECT id, rule, node, grp, network, created_ms,"
	              " expires_ms, comment, author FROM alert_silences"
	              " ORDER BY id",
	              "")) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct alert_silence *x;

		if (cnt == cap) {
			size_t nc = cap ? 2 * cap : 8;
			struct alert_silence *nv = realloc(v, nc * sizeof(*nv));

			if (nv == NULL) {
				r = -ENOMEM;
				break;
			}
			v = nv;
			cap = nc;
		}
		x = &v[cnt++];
		memset(x, 0, sizeof(*x));
		x->id = (uint64_t)sqlite3_column_int64(st, 0);
		col(st, 1, x->rule, sizeof(x->rule));
		col(st, 2, x->node, sizeof(x->node));
		col(st, 3, x->group, sizeof(x->group));
		col(st, 4, x->network, sizeof(x->network));
		x->created_ms = (uint64_t)sqlite3_column_int64(st, 5);
		x->expires_ms = (uint64_t)sqlite3_column_int64(st, 6);
		col(st, 7, x->comment, sizeof(x->comment));
		col(st, 8, x->author, sizeof(x->author));
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_int_fail(s, rc);
	sqlite3_finalize(st);
out:
	pthread_mutex_unlock(&s->mu);
	if (r < 0 || cnt == 0) {
		free(v);
		return r;
	}
	*out = v;
	*n = cnt;
	return 0;
}

int
store_silence_expire(struct store *s, uint64_t before_ms, uint64_t *deleted)
{
	sqlite3_stmt *st;
	uint64_t ch = 0;
	int r;

	pthread_mutex_lock(&s->mu);
	if ((r = prep(s, &st, "DELETE FROM alert_silences WHERE expires_ms < ?",
	              "i", I(before_ms))) == 0)
		r = run(s, st, &ch);
	pthread_mutex_unlock(&s->mu);
	if (r == 0 && deleted)
		*deleted = ch;
	return r;
}
