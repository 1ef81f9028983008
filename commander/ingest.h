/*
 * ingest.h: the commander's endpoint for pilots.  nng appears only here
 * (and in pilot/report.c).  A REP socket listens with a fixed number of
 * contexts; each context is an aio state machine RECV -> process -> SEND
 * -> RECV run on nng's threads, so a slow or hostile pilot holds one context
 * for one message at most and no thread is spent per pilot.
 *
 * tcp:// URLs are served instead by an epoll endpoint of our own
 * (ingest_tcp.c) speaking the same SP wire as nng's REP socket, so pilots
 * (nng REQ sockets) cannot tell the difference; it costs one thread
 * wake-up per request where nng's REP costs about eight, which is what
 * keeps 1,000 pilots at 1 Hz well under a tenth of a core.  Every other
 * scheme (ipc://, tls+tcp://, ws://...) still goes through nng, as does
 * tcp:// when SEXTANT_INGEST=nng is in the environment (the reference for
 * benchmarks and interop tests).
 *
 * Processing a frame: find the claimed sender in the registry, open the
 * envelope with that pilot's replay counter, decode, hand the message to
 * the handler, encode and seal its reply.  Anything that fails on the way
 * (unlisted key, bad MAC, replay, stale, oversized, undecodable) is dropped
 * without a reply, counted by reason and logged with the peer's address
 * (rate-limited), and the context goes back to receiving.
 */
#ifndef SEXTANT_COMMANDER_INGEST_H
#define SEXTANT_COMMANDER_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "commander/registry.h"
#include "common/keys.h"
#include "proto/msg.h"

#define INGEST_DEFAULT_CONTEXTS 64
#define INGEST_MAX_CONTEXTS     1024

enum ingest_drop {
	INGEST_DROP_SIZE = 0, /* over ENV_MAX_FRAME, or shorter than a header */
	INGEST_DROP_FORMAT,   /* not an envelope: magic, version, direction */
	INGEST_DROP_UNKNOWN,  /* sender key not in authorized_pilots */
	INGEST_DROP_AUTH,     /* MAC failed */
	INGEST_DROP_REPLAY,   /* counter not above the last accepted */
	INGEST_DROP_STALE,    /* timestamp outside the window */
	INGEST_DROP_DECODE,   /* sealed fine, but not a valid message */
	INGEST_DROP_TYPE,     /* a valid message a pilot must not send */
	INGEST_DROP_INTERNAL, /* our fault: out of memory, encode failure */
	INGEST_DROP__COUNT
};
const char *ingest_drop_str(enum ingest_drop);

/*
 * The seam where fleet logic plugs in.  Called on an endpoint thread,
 * possibly concurrently for different pilots (never for one pilot at a
 * time unless it sends from two connections).  Fill *reply (zeroed by the
 * caller); addr is "IP:port" of the peer.
 */
struct ingest_handler {
	void *arg;
	void (*hello)(void *arg, struct registry_pilot *p,
	              const struct proto_hello *h, const char *addr,
	              uint64_t now_mono, struct proto_reply *reply);
	void (*heartbeat)(void *arg, struct registry_pilot *p,
	                  const struct proto_heartbeat *hb, const char *addr,
	                  uint64_t now_mono, struct proto_reply *reply);
};

/* The registry's own handlers (registry_on_hello/heartbeat), arg = reg. */
struct ingest_handler ingest_registry_handler(struct registry *reg);

struct ingest_params {
	const char *listen;             /* tcp://127.0.0.1:7400 */
	unsigned contexts;              /* 0: INGEST_DEFAULT_CONTEXTS */
	uint64_t window_ms;             /* replay time window */
	struct registry *reg;           /* not owned */
	const struct keys_identity *id; /* the commander's (pk used) */
	struct ingest_handler handler;  /* NULL hooks: the registry's */
	uint32_t log_burst; /* drop logs per reason per 10 s; 0: 5 */
	/* the epoll endpoint only (tcp://); 0 picks the default */
	unsigned max_conns;    /* 0: 2 per authorized pilot + 256 */
	uint32_t handshake_ms; /* SP header must arrive within; 0: 10 s */
	uint32_t idle_ms;      /* no request for this long: close; 0: 10 min */
	bool use_nng;          /* serve tcp:// with nng too */
};

struct ingest_stats {
	uint64_t received;
	uint64_t replied;
	uint64_t send_failed;
	uint64_t dropped[INGEST_DROP__COUNT];
	/* connections (the tcp:// endpoint only): open now, refused at
	 * max_conns, closed by a handshake, idle or stall timeout */
	uint64_t conns, conns_refused, conns_timed_out;
};

struct ingest;

/* Listen and start every context.  0 with *out (stop with ingest_stop), or
 * -errno with err filled (e.g. address in use). */
int ingest_start(const struct ingest_params *p, struct ingest **out, char *err,
                 size_t errlen);
/* Close the socket, wait for every context to finish, free; accepts NULL. */
void ingest_stop(struct ingest *in);

void ingest_get_stats(struct ingest *in, struct ingest_stats *st);
/* The TCP port actually bound (useful with port 0), or -1. */
int ingest_port(struct ingest *in);

/* "received 12 replied 12 dropped: unknown 3 replay 1" into buf. */
const char *ingest_fmt_stats(const struct ingest_stats *st, char *buf,
                             size_t size);

#endif
