/*
 * alert_worker.h: delivers queued alert messages (store_alertq.h).
 *
 * One thread per channel, so a channel that hangs (until the request
 * timeout) or is throttled delays no other.  Each thread takes its
 * channel's oldest queued message when due (a channel delivers in order:
 * a resolve never overtakes its trigger), formats it with the channel's
 * sink ops, sends it with http_do and classifies the answer:
 *   delivered  marked in the store, an EV_ALERT event "delivered to C";
 *   retry      (no answer, 408, 429, 5xx) due again after the service's
 *              wait (Retry-After header, Telegram's parameters.retry_after,
 *              Discord's float retry_after) or else an exponential backoff
 *              with jitter; given up after give_up_ms (event);
 *   failed     (other 4xx, or unformattable) never retried; an event with
 *              the status.
 * A token bucket per channel (per_minute, a burst of one second's worth)
 * spaces messages.  The log channel calls the log callback instead.
 * Log lines name channels and redacted URLs (sink_redact) only: tokens,
 * keys and webhook URLs never reach the log callback or an event.
 */
#ifndef SEXTANT_COMMANDER_ALERT_WORKER_H
#define SEXTANT_COMMANDER_ALERT_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "commander/sink.h"
#include "commander/store.h"
#include "common/log.h"

/* A log line from the worker (and the log channel's alerts). */
typedef void alert_log_fn(void *arg, enum log_level lvl, const char *line);

struct alert_worker_conf {
	const struct sink_conf *sinks; /* copied */
	size_t nsinks;
	struct store *store; /* borrowed; outlives the worker */
	alert_log_fn *log;   /* may be NULL */
	void *log_arg;
	uint64_t timeout_ms;   /* one request; 0: 10 s */
	uint64_t retry_min_ms; /* 0: 1 s */
	uint64_t retry_max_ms; /* 0: 5 min */
	uint64_t give_up_ms;   /* 0: 24 h */
	bool no_events;        /* do not record EV_ALERT outcome events */
};

struct alert_worker;

/* Start a thread per channel.  0, or -errno with err set.  Caller stops
 * it with alert_worker_stop (accepts NULL). */
int alert_worker_start(const struct alert_worker_conf *,
                       struct alert_worker **out, char *err, size_t errlen);
/* Wake the channel's thread (NULL: every channel): new messages. */
void alert_worker_kick(struct alert_worker *, const char *channel);
/* Stop: waits for requests in flight (at most timeout_ms). */
void alert_worker_stop(struct alert_worker *);

/* What a channel did since start, for metrics and the API. */
struct alert_worker_stats {
	uint64_t delivered, retried, failed, rate_limited;
	long last_status;     /* of the last attempt; 0 none/no answer */
	uint64_t last_ok_ms;  /* wall ms of the last delivery */
	char last_error[160]; /* redacted */
};
/* 0, or -ENOENT for an unknown channel. */
int alert_worker_stats(struct alert_worker *, const char *channel,
                       struct alert_worker_stats *out);

#endif
