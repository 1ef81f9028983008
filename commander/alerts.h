/*
 * alerts.h: the commander's alerting, put together: the rules engine
 * (alert.h) over fleet snapshots and stored events, the router
 * (alert_route.h), the durable queue (store_alertq.h) and the delivery
 * threads (alert_worker.h).
 *
 * The main loop calls alerts_tick about once a second.  Each tick
 * evaluates the fleet, feeds the events stored since the last tick to the
 * engine (restarts, reorgs, failover steps become notices), routes what
 * came out, and commits the messages together with the engine's and the
 * router's state and the event cursor in one transaction before waking
 * the delivery threads.  So a commander restart neither re-fires what was
 * sent, nor forgets to resolve it, nor loses a message that was queued.
 * Fired and resolved alerts, silences and delivery outcomes are recorded
 * as EV_ALERT events.
 *
 * Thread-safe: the main loop ticks while the API reads and edits.
 *
 * Wiring it into the commander:
 *   conf.h: `struct alerts_conf alerts;` in struct commander_conf.
 *   conf.c: ALERT_CONF_GLUE(cmdr_alerts, struct commander_conf, alerts),
 *     ALERT_CONF_SECTION_ROWS(cmdr_alerts), in commander_sections[], and
 *     alert_conf_finish(&c->alerts, c->path, err, errlen) in the finish
 *     step; sodium_memzero it in the free.
 *   main.c: alerts_new(&(struct alerts_params){ &cfg->alerts, store, fleet,
 *     log_cb, NULL }, &alerts, err, n) with log_cb mapping levels onto
 *     log_warnx/log_info/log_debug; alerts_tick(alerts, clock_wall_ms())
 *     every second after fleet_tick; alerts_free before store_close.
 *   API: GET /api/v1/alerts -> alerts_json; POST /api/v1/alerts/test
 *     {"channel"?} -> alerts_test (202 {"id"} or 404);
 *     GET /api/v1/alerts/messages/{id} -> alerts_message_state;
 *     GET/POST/DELETE /api/v1/silences[/{id}] -> alerts_silences,
 *     alerts_silence_parse + alerts_silence_add (400 with the error text),
 *     alerts_silence_del (404).  CLI: `sextant alert test [CHANNEL]`,
 *     `sextant silence add|list|rm`.
 */
#ifndef SEXTANT_COMMANDER_ALERTS_H
#define SEXTANT_COMMANDER_ALERTS_H

#include <stddef.h>
#include <stdint.h>

#include "commander/alert_conf.h"
#include "commander/alert_route.h"
#include "commander/alert_worker.h"
#include "commander/fleet.h"
#include "commander/store.h"

struct alerts_params {
	const struct alerts_conf *conf; /* copied */
	struct store *store;            /* borrowed; outlives alerts */
	struct fleet *fleet; /* borrowed; NULL: use alerts_tick_snapshot */
	alert_log_fn *log;   /* the daemon's log (the log channel too) */
	void *log_arg;
};

struct alerts;

/*
 * Restore the saved state, drop queued messages of channels no longer
 * configured, start the delivery threads and, with test_on_start, queue a
 * test message to every channel.  0, or -errno with err set.  Caller
 * frees with alerts_free (accepts NULL), which stops the threads (waiting
 * at most the request timeout).
 */
int alerts_new(const struct alerts_params *, struct alerts **out, char *err,
               size_t errlen);
void alerts_free(struct alerts *);

/* One evaluation at wall time now (fleet snapshot + new events).
 * 0, or -errno (the state is rolled back to the last commit, so the next
 * tick produces the same alerts again). */
int alerts_tick(struct alerts *, uint64_t now_wall_ms);
/* The same over a given snapshot (tests, drivers, no fleet). */
int alerts_tick_snapshot(struct alerts *, const struct fleet_node_view *nodes,
                         size_t nnodes, const struct fleet_network_view *nets,
                         size_t nnets, uint64_t now_wall_ms);

/*
 * `sextant alert test`: queue a test message to channel (NULL: every
 * channel), past its filters and silences.  0 with *id the (first)
 * message id (may be NULL), -ENOENT (no such channel), -EIO.
 */
int alerts_test(struct alerts *, const char *channel, uint64_t now_wall_ms,
                uint64_t *id);

/* A queued message's fate: "queued", "delivered", "failed"; status the
 * last HTTP status; why the last error (redacted).  0 or -ENOENT. */
int alerts_message_state(struct alerts *, uint64_t id, char *state,
                         size_t statelen, long *status, char *why,
                         size_t whylen);

/* Silences.  add: checked (alert_silence_check), created_ms = now,
 * stored; s->id set.  0 or -EINVAL (err says why), -EIO.  del: 0 or
 * -ENOENT.  list: the unexpired ones, *out malloc'd (caller frees). */
int alerts_silence_add(struct alerts *, struct alert_silence *s,
                       uint64_t now_wall_ms, char *err, size_t errlen);
int alerts_silence_del(struct alerts *, uint64_t id, uint64_t now_wall_ms);
int alerts_silences(struct alerts *, uint64_t now_wall_ms,
                    struct alert_silence **out, size_t *n);

/* Firing conditions now: *out malloc'd (caller frees).  0 or -ENOMEM. */
int alerts_active(struct alerts *, struct alert **out, size_t *n);

/*
 * For the API.  alerts_json: {"active":[alert...],"silences":[...],
 * "channels":[{name,type,url (redacted),min_severity,node,group,network,
 * per_minute,queued,delivered,failed,retried,last_status,last_error,
 * last_ok_ms}]}; caller deletes; NULL on ENOMEM.
 * alerts_silence_parse: a POST /api/v1/silences body
 * {"rule","node","group","network": patterns, "duration":"2h" or
 * "expires_ms":N, "comment","author"} into *out (not yet checked:
 * alerts_silence_add does).  0 or -EINVAL with err.
 */
struct cJSON *alerts_json(struct alerts *, uint64_t now_wall_ms);
struct cJSON *alert_silence_to_cjson(const struct alert_silence *);
int alerts_silence_parse(const char *body, size_t len, uint64_t now_wall_ms,
                         struct alert_silence *out, char *err, size_t errlen);

#endif
