/*
 * report.h: the pilot's side of the channel to its commander.
 * nng appears only here (and in commander/ingest.c).  A REQ socket dials out
 * in the background with exponential reconnect; each exchange seals one
 * request, waits a bounded time for the reply bound to it, and opens it.
 *
 * The request counter only grows, also across restarts: a reserved high-water
 * mark is kept in STATE_DIR/commander.counter, written atomically a block at
 * a time so that most messages cost no fsync.  After a restart the pilot
 * starts above the mark (and above the wall clock in microseconds, so a lost
 * state dir does not make the commander refuse it as a replay).
 */
#ifndef SEXTANT_PILOT_REPORT_H
#define SEXTANT_PILOT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "common/keys.h"
#include "proto/msg.h"

#define REPORT_COUNTER_FILE  "commander.counter"
#define REPORT_COUNTER_BLOCK 4096

/*
 * Several commanders (HA, commander/ha.h): url lists them separated by
 * spaces and the socket dials every one.  Only the leader listens, so a
 * request goes out on the one live connection; when the leader dies its
 * connection drops, and the next requests wait for (up to the timeout)
 * and go to whichever commander listens next.  Redials are then capped
 * at REPORT_HA_RECONNECT_MAX_MS so that a new leader is found within
 * about a second.  A commander that answers but refuses (not the leader
 * any more) can be dropped with report_drop_peer; one that does not
 * answer at all, with report_redial.
 */
#define REPORT_MAX_URLS            8
#define REPORT_HA_RECONNECT_MAX_MS 1000

struct report_params {
	const char *url; /* tcp://HOST:PORT, or several, space-separated */
	const uint8_t *server_pk;       /* pinned commander key, 32 B */
	const struct keys_identity *id; /* the pilot (copied) */
	const char *state_dir;          /* for the counter */
	uint32_t timeout_ms;            /* send, and recv */
	uint32_t reconnect_min_ms;      /* first redial delay */
	uint32_t reconnect_max_ms;      /* doubles up to this */
};

struct report;

/* Why an exchange failed, for logs and counters. */
enum report_err {
	REPORT_OK = 0,
	REPORT_E_SEND,    /* not connected / send timed out */
	REPORT_E_TIMEOUT, /* no reply in time (or the commander dropped it) */
	REPORT_E_REPLY,   /* reply refused: bad MAC, not bound, undecodable */
	REPORT_E_STATE,   /* counter could not be persisted */
	REPORT_E_INTERNAL,
	REPORT_E_CANCELED, /* report_cancel() */
};
const char *report_strerror(enum report_err);

/*
 * Start dialing (does not wait for a connection).  0 with *out (caller
 * closes with report_close), or -errno with err filled.  Reads and advances
 * the counter file before returning.
 */
int report_open(const struct report_params *p, struct report **out, char *err,
                size_t errlen);
/* Stop, close and wipe the keys; accepts NULL. */
void report_close(struct report *r);

/*
 * One round trip: seal req, send, await and open the reply into *reply.
 * *sent_mono_ms (if not NULL) gets the monotonic time the request was handed
 * to a connection: a lease's clock starts there (FAILOVER.md).  Blocks at
 * most about 2 * timeout_ms.  err gets a detail on failure.
 */
enum report_err report_exchange(struct report *r, const struct proto_msg *req,
                                struct proto_msg *reply, uint64_t *sent_mono_ms,
                                char *err, size_t errlen);

/* Bound the next exchanges' send and receive (each) to timeout_ms (0: the
 * one given to report_open): a pilot holding a lease shortens them so that
 * no exchange outlives the lease it must enforce. */
void report_set_timeout(struct report *r, uint32_t timeout_ms);

/* From another thread (e.g. a signal thread): abort a pending exchange and
 * make further ones return REPORT_E_CANCELED. */
void report_cancel(struct report *r);

/* Close the connection the last reply came on (a commander that refused
 * us): requests go to the other commanders while it is redialed.  Only
 * with several urls; otherwise nothing. */
void report_drop_peer(struct report *r);

/* A request went unanswered (a commander frozen, or cut off, with its
 * connection still up): close every connection, so that the next request
 * goes to a commander that completes a new handshake; a frozen one cannot.
 * Only with several urls; otherwise nothing. */
void report_redial(struct report *r);

/* How many commanders it dials. */
size_t report_npeers(const struct report *r);

/* The counter that the next request will carry (tests, logs). */
uint64_t report_next_counter(const struct report *r);

#endif
