#include "commander/ingest.h"
#include "commander/ingest_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "common/log.h"
#include "common/util.h"
#include "proto/codec.h"
#include "proto/envelope.h"

/*
 * nng cuts a connection whose message exceeds RECVMAXSZ before allocating
 * it, and we never see that message.  Letting frames up to twice the
 * envelope limit through means a merely oversized frame reaches us and is
 * counted and logged as "size"; anything bigger is cut by nng (the memory
 * bound per connection stays small either way).  The slack also covers
 * the REQ header nng counts in the length.
 */
#define INGEST_RECVMAX (2 * ENV_MAX_FRAME)

#define LOG_WINDOW_MS 10000

enum ctx_state { CTX_RECV, CTX_SEND };

struct ingest_ctx {
	struct ingest *in;
	nng_ctx ctx;
	nng_aio *aio;
	enum ctx_state state;
	bool ctx_open;
	struct ingest_scratch s;
	uint8_t out[INGEST_REPLY_MAX];
};

struct ingest_nng {
	nng_socket sock;
	bool sock_open;
	nng_listener listener;
	unsigned nctx;
	struct ingest_ctx **ctxs;
};

static const char *const drop_names[INGEST_DROP__COUNT] = {
    [INGEST_DROP_SIZE] = "size",         [INGEST_DROP_FORMAT] = "format",
    [INGEST_DROP_UNKNOWN] = "unknown",   [INGEST_DROP_AUTH] = "auth",
    [INGEST_DROP_REPLAY] = "replay",     [INGEST_DROP_STALE] = "stale",
    [INGEST_DROP_DECODE] = "decode",     [INGEST_DROP_TYPE] = "type",
    [INGEST_DROP_INTERNAL] = "internal",
};

const char *
ingest_drop_str(enum ingest_drop d)
{
	if ((unsigned)d >= INGEST_DROP__COUNT)
		return "unknown";
	return drop_names[d];
}

static enum ingest_drop
drop_of_env(enum env_err e)
{
	switch (e) {
	case ENV_E_SIZE:
		return INGEST_DROP_SIZE;
	case ENV_E_FORMAT:
		return INGEST_DROP_FORMAT;
	case ENV_E_UNKNOWN:
		return INGEST_DROP_UNKNOWN;
	case ENV_E_AUTH:
	case ENV_E_BIND:
		return INGEST_DROP_AUTH;
	case ENV_E_REPLAY:
		return INGEST_DROP_REPLAY;
	case ENV_E_STALE:
		return INGEST_DROP_STALE;
	default:
		return INGEST_DROP_INTERNAL;
	}
}

static void
reg_hello(void *arg, struct registry_pilot *p, const struct proto_hello *h,
          const char *addr, uint64_t now, struct proto_reply *reply)
{
	registry_on_hello(arg, p, h, addr, now, reply);
}

static void
reg_heartbeat(void *arg, struct registry_pilot *p,
              const struct proto_heartbeat *hb, const char *addr, uint64_t now,
              struct proto_reply *reply)
{
	registry_on_heartbeat(arg, p, hb, addr, now, reply);
}

struct ingest_handler
ingest_registry_handler(struct registry *reg)
{
	return (struct ingest_handler){
	    .arg = reg, .hello = reg_hello, .heartbeat = reg_heartbeat};
}

static void
peer_addr(nng_msg *m, char *buf, size_t size)
{
	nng_sockaddr sa;
	nng_pipe pipe = nng_msg_get_pipe(m);
	char ip[INET6_ADDRSTRLEN];

	if (nng_pipe_id(pipe) < 0 ||
	    nng_pipe_get_addr(pipe, NNG_OPT_REMADDR, &sa) != 0) {
		snprintf(buf, size, "(unknown peer)");
		return;
	}
	switch (sa.s_family) {
	case NNG_AF_INET:
		inet_ntop(AF_INET, &sa.s_in.sa_addr, ip, sizeof(ip));
		snprintf(buf, size, "%s:%u", ip, ntohs(sa.s_in.sa_port));
		break;
	case NNG_AF_INET6:
		inet_ntop(AF_INET6, sa.s_in6.sa_addr, ip, sizeof(ip));
		snprintf(buf, size, "[%s]:%u", ip, ntohs(sa.s_in6.sa_port));
		break;
	case NNG_AF_IPC:
		snprintf(buf, size, "ipc:%.50s", sa.s_ipc.sa_path);
		break;
	default:
		snprintf(buf, size, "(peer family %u)", sa.s_family);
	}
}

/*
 * Count, and log unless this reason already logged log_burst lines in the
 * current window: a flood of garbage must not become a flood of syslog.
 */
void
ingest_drop(struct ingest *in, enum ingest_drop why, const char *addr,
            const char *fmt, ...)
{
	struct drop_log *l = &in->logs[why];
	uint64_t now, suppressed = 0;
	char detail[256];
	bool print;
	va_list ap;

	atomic_fetch_add_explicit(&in->dropped[why], 1, memory_order_relaxed);
	pthread_mutex_lock(&in->log_mu);
	/* read under the lock: a time read before it could be older than
	 * the window another thread just opened, and wrap the subtraction */
	now = clock_mono_ms();
	if (now - l->window_start >= LOG_WINDOW_MS) {
		suppressed = l->suppressed;
		l->window_start = now;
		l->logged = 0;
		l->suppressed = 0;
	}
	print = l->logged < in->log_burst;
	if (print)
		l->logged++;
	else
		l->suppressed++;
	pthread_mutex_unlock(&in->log_mu);
	if (suppressed)
		log_warnx("ingest: %" PRIu64 " more '%s' drops not logged",
		          suppressed, drop_names[why]);
	if (!print)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	log_warnx("dropped request from %s: %s: %s", addr, drop_names[why],
	          detail);
}

int
ingest_process(struct ingest *in, struct ingest_scratch *s,
               const uint8_t *frame, size_t len, const char *addr, uint8_t *out,
               size_t cap, size_t *outlen)
{
	size_t ptlen, jlen;
	uint8_t pk[ENV_PK_BYTES];
	struct registry_pilot *p;
	struct env_req_ctx rctx;
	char fp[32], derr[128];
	uint64_t now_mono;
	enum env_err e;
	int rv;

	atomic_fetch_add_explicit(&in->received, 1, memory_order_relaxed);
	if ((e = env_request_sender(frame, len, pk)) != ENV_OK) {
		ingest_drop(in, drop_of_env(e), addr, "%s (%zu bytes)",
		            env_strerror(e), len);
		return -1;
	}
	if ((p = registry_find(in->reg, pk)) == NULL) {
		ingest_drop(in, INGEST_DROP_UNKNOWN, addr,
		            "key %s not in authorized_pilots",
		            keys_fingerprint(pk, fp, sizeof(fp)));
		return -1;
	}
	e = registry_open(in->reg, p, clock_wall_ms(), in->window_ms, frame,
	                  len, s->pt, sizeof(s->pt), &ptlen, &rctx);
	if (e != ENV_OK) {
		ingest_drop(in, drop_of_env(e), addr,
		            "%s (claims to be pilot %s)", env_strerror(e),
		            p->name);
		return -1;
	}
	if ((rv = codec_decode((const char *)s->pt, ptlen, &s->msg, derr,
	                       sizeof(derr))) != 0) {
		ingest_drop(in, INGEST_DROP_DECODE, addr, "pilot %s: %s",
		            p->name, derr);
		return -1;
	}
	now_mono = clock_mono_ms();
	memset(&s->reply, 0, sizeof(s->reply));
	s->reply.type = PROTO_REPLY;
	switch (s->msg.type) {
	case PROTO_HELLO:
		in->handler.hello(in->handler.arg, p, &s->msg.u.hello, addr,
		                  now_mono, &s->reply.u.reply);
		break;
	case PROTO_HEARTBEAT:
		in->handler.heartbeat(in->handler.arg, p, &s->msg.u.hb, addr,
		                      now_mono, &s->reply.u.reply);
		break;
	default:
		ingest_drop(in, INGEST_DROP_TYPE, addr, "pilot %s sent a %s",
		            p->name, proto_type_str(s->msg.type));
		return -1;
	}
	if ((rv = codec_encode(&s->reply, s->json, sizeof(s->json), &jlen)) !=
	    0) {
		ingest_drop(in, INGEST_DROP_INTERNAL, addr,
		            "encoding reply to %s: %s", p->name, strerror(-rv));
		return -1;
	}
	e = env_seal_reply(&p->peer, in->my_pk, &rctx, clock_wall_ms(), s->json,
	                   jlen, out, cap, outlen);
	if (e != ENV_OK) {
		ingest_drop(in, INGEST_DROP_INTERNAL, addr,
		            "sealing reply to %s: %s", p->name,
		            env_strerror(e));
		return -1;
	}
	return 0;
}

/* The reply to send, or NULL to drop (counted and logged). */
static nng_msg *
process(struct ingest_ctx *c, nng_msg *req)
{
	char addr[REGISTRY_ADDR_MAX];
	size_t outlen;
	nng_msg *out;

	peer_addr(req, addr, sizeof(addr));
	if (ingest_process(c->in, &c->s, nng_msg_body(req), nng_msg_len(req),
	                   addr, c->out, sizeof(c->out), &outlen) != 0)
		return NULL;
	if (nng_msg_alloc(&out, outlen) != 0) {
		ingest_drop(c->in, INGEST_DROP_INTERNAL, addr, "out of memory");
		return NULL;
	}
	memcpy(nng_msg_body(out), c->out, outlen);
	return out;
}

static void
ctx_recv(struct ingest_ctx *c)
{
	c->state = CTX_RECV;
	nng_ctx_recv(c->ctx, c->aio);
}

static void
ctx_cb(void *arg)
{
	struct ingest_ctx *c = arg;
	struct ingest *in = c->in;
	nng_msg *req, *rep;
	int rv = nng_aio_result(c->aio);

	switch (c->state) {
	case CTX_RECV:
		if (rv != 0) {
			if (rv == NNG_ECLOSED || rv == NNG_ECANCELED ||
			    atomic_load(&in->stopping))
				return;
			ctx_recv(c); /* e.g. a pipe went away mid-receive */
			return;
		}
		req = nng_aio_get_msg(c->aio);
		nng_aio_set_msg(c->aio, NULL);
		rep = process(c, req);
		nng_msg_free(req);
		if (rep == NULL) {
			/* REP forgets a request the context does not
			 * answer when the context receives again */
			ctx_recv(c);
			return;
		}
		c->state = CTX_SEND;
		nng_aio_set_msg(c->aio, rep);
		nng_ctx_send(c->ctx, c->aio);
		return;
	case CTX_SEND:
		if (rv != 0) {
			/* a failed send leaves the message with us */
			nng_msg_free(nng_aio_get_msg(c->aio));
			nng_aio_set_msg(c->aio, NULL);
			atomic_fetch_add_explicit(&in->send_failed, 1,
			                          memory_order_relaxed);
			if (rv == NNG_ECLOSED || rv == NNG_ECANCELED ||
			    atomic_load(&in->stopping))
				return;
		} else
			atomic_fetch_add_explicit(&in->replied, 1,
			                          memory_order_relaxed);
		ctx_recv(c);
		return;
	}
}

static void nng_stop(struct ingest_nng *n, struct ingest *in);

static int
nng_start(struct ingest *in, const struct ingest_params *p, char *err,
          size_t errlen)
{
	struct ingest_nng *n;
	int rv;

	if ((n = calloc(1, sizeof(*n))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	in->nng = n;
	n->nctx = p->contexts ? p->contexts : INGEST_DEFAULT_CONTEXTS;
	if (n->nctx > INGEST_MAX_CONTEXTS)
		n->nctx = INGEST_MAX_CONTEXTS;
	if ((n->ctxs = calloc(n->nctx, sizeof(*n->ctxs))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if ((rv = nng_rep0_open(&n->sock)) != 0) {
		snprintf(err, errlen, "nng_rep0_open: %s", nng_strerror(rv));
		return -EIO;
	}
	n->sock_open = true;
	if ((rv = nng_socket_set_size(n->sock, NNG_OPT_RECVMAXSZ,
	                              INGEST_RECVMAX)) != 0) {
		snprintf(err, errlen, "recv-size-max: %s", nng_strerror(rv));
		return -EIO;
	}
	for (unsigned i = 0; i < n->nctx; i++) {
		struct ingest_ctx *c;

		if ((c = calloc(1, sizeof(*c))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		n->ctxs[i] = c;
		c->in = in;
		if ((rv = nng_aio_alloc(&c->aio, ctx_cb, c)) != 0 ||
		    (rv = nng_ctx_open(&c->ctx, n->sock)) != 0) {
			snprintf(err, errlen, "context: %s", nng_strerror(rv));
			return -EIO;
		}
		c->ctx_open = true;
	}
	if ((rv = nng_listen(n->sock, p->listen, &n->listener, 0)) != 0) {
		snprintf(err, errlen, "listen %s: %s", p->listen,
		         nng_strerror(rv));
		return rv == NNG_EADDRINUSE                        ? -EADDRINUSE
		       : rv == NNG_EADDRINVAL || rv == NNG_ENOTSUP ? -EINVAL
		                                                   : -EIO;
	}
	for (unsigned i = 0; i < n->nctx; i++)
		ctx_recv(n->ctxs[i]);
	return 0;
}

static void
nng_stop(struct ingest_nng *n, struct ingest *in)
{
	(void)in;
	/* closing the socket fails every pending context operation with
	 * NNG_ECLOSED; the callbacks then stop resubmitting */
	if (n->sock_open)
		nng_close(n->sock);
	for (unsigned i = 0; n->ctxs && i < n->nctx; i++) {
		struct ingest_ctx *c = n->ctxs[i];

		if (c == NULL)
			continue;
		if (c->aio) {
			nng_aio_stop(c->aio);
			nng_msg_free(nng_aio_get_msg(c->aio));
			nng_aio_free(c->aio);
		}
		free(c);
	}
	free(n->ctxs);
	free(n);
}

static bool
want_nng(const struct ingest_params *p)
{
	const char *env = getenv("SEXTANT_INGEST");

	return p->use_nng || (env != NULL && strcmp(env, "nng") == 0) ||
	       !ingest_tcp_url(p->listen);
}

int
ingest_start(const struct ingest_params *p, struct ingest **out, char *err,
             size_t errlen)
{
	struct ingest *in;
	int rv;

	if ((in = calloc(1, sizeof(*in))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&in->log_mu, NULL);
	in->reg = p->reg;
	memcpy(in->my_pk, p->id->pk, ENV_PK_BYTES);
	in->window_ms = p->window_ms;
	in->handler = p->handler;
	if (in->handler.hello == NULL || in->handler.heartbeat == NULL)
		in->handler = ingest_registry_handler(p->reg);
	in->log_burst = p->log_burst ? p->log_burst : 5;
	rv = want_nng(p) ? nng_start(in, p, err, errlen)
	                 : ingest_tcp_start(in, p, err, errlen);
	if (rv != 0) {
		ingest_stop(in);
		return rv;
	}
	*out = in;
	return 0;
}

void
ingest_stop(struct ingest *in)
{
	if (in == NULL)
		return;
	atomic_store(&in->stopping, true);
	if (in->nng != NULL)
		nng_stop(in->nng, in);
	if (in->tcp != NULL)
		ingest_tcp_stop(in->tcp);
	pthread_mutex_destroy(&in->log_mu);
	free(in);
}

void
ingest_get_stats(struct ingest *in, struct ingest_stats *st)
{
	st->received = atomic_load(&in->received);
	st->replied = atomic_load(&in->replied);
	st->send_failed = atomic_load(&in->send_failed);
	for (unsigned i = 0; i < INGEST_DROP__COUNT; i++)
		st->dropped[i] = atomic_load(&in->dropped[i]);
	st->conns = atomic_load(&in->conns);
	st->conns_refused = atomic_load(&in->conns_refused);
	st->conns_timed_out = atomic_load(&in->conns_timed_out);
}

int
ingest_port(struct ingest *in)
{
	int port;

	if (in->tcp != NULL)
		return ingest_tcp_port(in->tcp);
	if (nng_listener_get_int(in->nng->listener, NNG_OPT_TCP_BOUND_PORT,
	                         &port) != 0)
		return -1;
	return port;
}

const char *
ingest_fmt_stats(const struct ingest_stats *st, char *buf, size_t size)
{
	size_t n;
	bool any = false;

	n = (size_t)snprintf(buf, size,
	                     "received %" PRIu64 " replied %" PRIu64 " dropped",
	                     st->received, st->replied);
	for (unsigned i = 0; i < INGEST_DROP__COUNT && n < size; i++) {
		if (st->dropped[i] == 0)
			continue;
		n += (size_t)snprintf(buf + n, size - n, " %s %" PRIu64,
		                      drop_names[i], st->dropped[i]);
		any = true;
	}
	if (!any && n < size)
		snprintf(buf + n, size - n, " none");
	return buf;
}
