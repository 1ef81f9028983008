/*
 * store_alertq.h: the durable side of alerting, in the commander's store
 * (SQLite, same file, same lock): the delivery queue, the alert state
 * blobs and the silences.
 *
 * A routed message counts as queued once store_alertq_commit returned 0:
 * it is committed (fsync) together with the state that produced it (the
 * rules engine, the router, the event cursor), so a crash either keeps
 * both or loses both, and the next evaluation fires again what was lost.
 *
 * Delivery is at-least-once across a crash: the worker marks a message
 * delivered in its own transaction right after the service answered 2xx.
 * A crash between the answer and the mark re-sends that one message after
 * the restart.  PagerDuty (dedup_key) and Alertmanager (labels) drop the
 * duplicate; a chat channel may show it twice.  Nothing else is re-sent:
 * a message marked delivered is never taken again.
 *
 * Thread-safe (the store's mutex).  0 or -errno; -EIO with the text in
 * store_errmsg.
 */
#ifndef SEXTANT_COMMANDER_STORE_ALERTQ_H
#define SEXTANT_COMMANDER_STORE_ALERTQ_H

#include <stddef.h>
#include <stdint.h>

#include "commander/alert_route.h"
#include "commander/store.h"

#define STORE_ALERTQ_WHY_MAX 256

/* A message to enqueue; payload is alert_json_encode() text. */
struct store_alertq_put {
	const char *channel;
	enum alert_msg_kind kind;
	const char *payload;
};

/* A named piece of state saved with the messages (no size limit). */
struct store_blob {
	const char *key;
	const char *value;
};

/*
 * One transaction: append the n messages (state queued, due now_ms) and
 * write the blobs.  A RESEND message replaces the channel's queued
 * RESENDs (the newest view of the active alerts is all that matters).
 * *first_id (may be NULL): the first new message id.
 */
int store_alertq_commit(struct store *, const struct store_alertq_put *m,
                        size_t n, const struct store_blob *b, size_t nb,
                        uint64_t now_ms, uint64_t *first_id);

/* A blob: 0 and *value malloc'd (caller frees), -ENOENT, -EIO, -ENOMEM. */
int store_blob_get(struct store *, const char *key, char **value);

struct store_alertq_msg {
	uint64_t id;
	char channel[PROTO_NAME_MAX];
	enum alert_msg_kind kind;
	char *payload; /* malloc'd: store_alertq_msg_free */
	uint32_t attempts;
	uint64_t created_ms;
	uint64_t next_ms; /* wall ms it may be tried */
};
void store_alertq_msg_free(struct store_alertq_msg *); /* NULL ok */

/* The oldest queued message of a channel, due or not (a channel delivers
 * in order): 0, -ENOENT (none queued), -EIO, -ENOMEM. */
int store_alertq_head(struct store *, const char *channel,
                      struct store_alertq_msg *out);

/* Outcomes, each its own transaction.  retry: attempts + 1, due at
 * next_ms.  failed: never tried again. */
int store_alertq_delivered(struct store *, uint64_t id, uint64_t now_ms,
                           long status);
int store_alertq_retry(struct store *, uint64_t id, uint64_t next_ms,
                       long status, const char *why);
int store_alertq_failed(struct store *, uint64_t id, uint64_t now_ms,
                        long status, const char *why);

/* One message's state ("queued", "delivered", "failed"), last status and
 * last error.  0, -ENOENT, -EIO. */
int store_alertq_state(struct store *, uint64_t id, char *state,
                       size_t statelen, long *status, uint32_t *attempts,
                       char *why, size_t whylen);

/* Counts of one channel (NULL: all). */
struct store_alertq_stats {
	uint64_t queued, delivered, failed;
	uint64_t attempts; /* of the queued ones, summed */
};
int store_alertq_stats(struct store *, const char *channel,
                       struct store_alertq_stats *out);

/* Mark failed every queued message of a channel not in names[0..n) (it
 * was removed from the config).  *dropped may be NULL. */
int store_alertq_orphans(struct store *, const char *const *names, size_t n,
                         uint64_t now_ms, uint64_t *dropped);

/* Delete delivered/failed messages finished before before_ms. */
int store_alertq_prune(struct store *, uint64_t before_ms, uint64_t *deleted);

/* Silences.  add: s->id set (ids never reused).  del: 0 or -ENOENT.
 * list: every stored silence in id order, *out malloc'd (caller frees;
 * NULL when *n == 0).  expire: delete those that expired before
 * before_ms. */
int store_silence_add(struct store *, struct alert_silence *s);
int store_silence_del(struct store *, uint64_t id);
int store_silence_list(struct store *, struct alert_silence **out, size_t *n);
int store_silence_expire(struct store *, uint64_t before_ms, uint64_t *deleted);

#endif
