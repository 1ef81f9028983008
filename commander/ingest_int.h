/*
 * ingest_int.h: what the two pilot endpoints share — the nng one
 * (ingest.c, any URL nng listens on) and the epoll one for tcp://
 * (ingest_tcp.c).  Internal to those files.
 */
#ifndef SEXTANT_COMMANDER_INGEST_INT_H
#define SEXTANT_COMMANDER_INGEST_INT_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "commander/ingest.h"
#include "proto/codec.h"
#include "proto/envelope.h"

/* A sealed reply is never larger than this (the JSON is capped at
 * CODEC_MAX_JSON, the envelope adds ENV_REP_OVERHEAD). */
#define INGEST_REPLY_MAX ENV_MAX_FRAME

struct drop_log {
	uint64_t window_start;
	uint32_t logged;
	uint64_t suppressed;
};

/* Per-thread buffers for one request: too big for a stack (~180 KB). */
struct ingest_scratch {
	struct proto_msg msg;
	struct proto_msg reply;
	char json[CODEC_MAX_JSON];
	uint8_t pt[ENV_MAX_FRAME];
};

struct ingest_tcp;
struct ingest_nng;

struct ingest {
	atomic_bool stopping;
	struct registry *reg;
	uint8_t my_pk[ENV_PK_BYTES];
	uint64_t window_ms;
	struct ingest_handler handler;
	uint32_t log_burst;

	struct ingest_nng *nng; /* exactly one of these is set */
	struct ingest_tcp *tcp;

	atomic_uint_fast64_t received, replied, send_failed;
	atomic_uint_fast64_t dropped[INGEST_DROP__COUNT];
	atomic_uint_fast64_t conns, conns_refused, conns_timed_out;

	pthread_mutex_t log_mu;
	struct drop_log logs[INGEST_DROP__COUNT];
};

/* Count a drop under why, and log it unless rate-limited. */
void ingest_drop(struct ingest *in, enum ingest_drop why, const char *addr,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * One request frame from addr: count it, open it, hand it to the handler,
 * seal the reply into out (cap at least INGEST_REPLY_MAX).  0 with
 * *outlen, or -1 if dropped (counted and logged here).  May block as long
 * as the handler does (an evlog commit).
 */
int ingest_process(struct ingest *in, struct ingest_scratch *s,
                   const uint8_t *frame, size_t len, const char *addr,
                   uint8_t *out, size_t cap, size_t *outlen);

/* The epoll endpoint (ingest_tcp.c).  0, or -errno with err filled. */
int ingest_tcp_start(struct ingest *in, const struct ingest_params *p,
                     char *err, size_t errlen);
void ingest_tcp_stop(struct ingest_tcp *t);
int ingest_tcp_port(struct ingest_tcp *t);
/* Whether url is one the epoll endpoint serves (tcp://HOST:PORT). */
bool ingest_tcp_url(const char *url);

#endif
