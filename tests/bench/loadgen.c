/*
 * loadgen: N simulated pilots with real keys sending sealed heartbeats to a
 * running sextant-commander, for `make bench-commander` and the loadgen
 * smoke test.  Each pilot has its own Ed25519 identity, its own precomputed
 * session key, its own strictly increasing request counter, says hello
 * first, then sends heartbeats whose status advances like a real node's.
 * Every reply is opened (env_open_reply) and decoded; one that does not open,
 * decode, or say "ok" is an error, never a success.
 *
 *   loadgen gen -n N -d DIR
 *	writes DIR/authorized_pilots (for the commander) and DIR/pilots.keys
 *	(NAME and the hex secret key per line, mode 0600)
 *   loadgen run -u URL -C COMMANDER.pub -k DIR/pilots.keys [options]
 *	-n N        use the first N pilots of the file (default: all)
 *	-m MODE     throughput: -o requests outstanding at once, as fast as
 *	            the commander answers; rate: every pilot at -r Hz,
 *	            spread evenly (default throughput)
 *	-o M        outstanding requests in throughput mode (default 64)
 *	-c CONNS    TCP connections (default N: one per pilot, as in a fleet)
 *	-s SECONDS  measured time (default 10)
 *	-w SECONDS  warm-up before measuring (default 1), and at least until
 *	            every pilot's first heartbeat ended (a node's first
 *	            heartbeat costs the commander fsynced events) and no
 *	            request timed out for -t (settle_s says how long)
 *	-r HZ       heartbeats per pilot per second in rate mode (default 1);
 *	            auto: the interval the commander's hello replies ask for
 *	-t MS       reply timeout (default 2000)
 *	-N NETS     networks the pilots spread over (default 8)
 *	-p PID      the commander: its CPU and RSS over the measured time
 *	-v          a line per second of the window on stderr
 *	-T raw|nng  how to talk: nng req0 sockets with a context per pilot,
 *	            as the pilot does; or raw, nng's SP-over-TCP framing
 *	            written by hand on one epoll thread, which costs the
 *	            generator a fraction of the CPU and so leaves the two
 *	            cores to the commander being measured (default raw)
 *
 * Prints one line of key=value figures; exits 0 if no request failed, 1 if
 * any did, 2 on a usage or setup error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "common/keys.h"
#include "common/util.h"
#include "proto/codec.h"
#include "proto/envelope.h"
#include "proto/msg.h"

#define KEYS_FILE     "pilots.keys"
#define AUTH_FILE     "authorized_pilots"
#define JSON_CAP      4096
#define MAX_PILOTS    200000
#define MAX_SAMPLES   (8u * 1024 * 1024)
#define BLOCK_BASE_MS 1000 /* network k makes a block every 1 + k/2 s */
#define PILOT_VERSION "0.1.0-loadgen"
/* the window opens at the latest this long after the warm-up */
#define FIRST_ROUND_MAX_NS (300 * 1000000000ull)

enum mode { MODE_THROUGHPUT, MODE_RATE };
enum phase { PH_HELLO, PH_HEARTBEAT };
enum op { OP_SEND, OP_RECV };

enum transport { TR_RAW, TR_NNG };

enum err_kind {
	E_TIMEOUT = 0, /* no reply in time */
	E_NET,         /* send or receive failed otherwise */
	E_OPEN,        /* reply did not open: auth, bind, format */
	E_DECODE,      /* reply opened but is not a valid reply message */
	E_STATUS,      /* reply said something other than ok */
	E_LOCAL,       /* our own encode/seal/alloc failed */
	E__COUNT
};
static const char *const err_names[E__COUNT] = {
    "timeout", "net", "open", "decode", "status", "local",
};

struct pilot {
	unsigned idx;
	char name[PROTO_NAME_MAX];
	uint8_t pk[KEYS_PK_BYTES];
	struct env_peer peer; /* session key with the commander */
	unsigned net;
	enum proto_role role;

	/* transport nng */
	nng_ctx ctx;
	nng_aio *aio;
	enum op op;
	/* transport raw, main thread only */
	unsigned conn;
	uint32_t tries;
	bool inflight;

	enum phase phase;
	struct env_req_ctx rctx;
	uint64_t counter, seq;
	uint64_t t0_ns;
	int next; /* throughput: the next pilot of this chain, -1 = end */
	atomic_bool busy;
};

struct gen {
	enum mode mode;
	enum transport transport;
	unsigned n, conns, outstanding;
	uint64_t timeout_ms;
	struct pilot *pilots;
	nng_socket *socks;
	uint8_t my_pk_commander[KEYS_PK_BYTES];
	uint64_t genesis_ms;
	atomic_uint connected, conn_lost;
	atomic_uint_fast64_t stale_replies;

	atomic_bool stopping;
	atomic_uint chains; /* throughput chains still running */
	atomic_uint hello_done;
	atomic_uint first_done;  /* pilots whose first heartbeat ended */
	atomic_uint interval_ms; /* what the commander asked in its hellos */
	_Atomic uint64_t last_timeout_ns; /* mono ns, 0 = none yet */
	uint64_t warm_errors;             /* errors before the window */
	double hello_s, settle_s;
	atomic_uint_fast64_t hello_ok;
	/* the measured window, CLOCK_MONOTONIC ns; 0 = not yet */
	_Atomic uint64_t win_start, win_end;
	atomic_uint_fast64_t sent, done, ok, errs[E__COUNT], late;
	atomic_uint_fast64_t nsamples;
	uint32_t *samples; /* latencies in the window, us */
};

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
sleep_until_ns(uint64_t t)
{
	struct timespec ts = {.tv_sec = (time_t)(t / 1000000000ull),
	                      .tv_nsec = (long)(t % 1000000000ull)};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

static uint64_t
mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* ---- identities ---- */

static int
hex_val(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
cmd_gen(unsigned n, const char *dir)
{
	char path[4096], line[KEYS_PUB_LINE_MAX];
	FILE *kf, *af;
	int fd;

	if (keys_init() != 0) {
		fprintf(stderr, "loadgen: libsodium failed to initialise\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/" KEYS_FILE, dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 ||
	    (kf = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "loadgen: %s: %s\n", path, strerror(errno));
		return 2;
	}
	snprintf(path, sizeof(path), "%s/" AUTH_FILE, dir);
	if ((af = fopen(path, "wx")) == NULL) {
		fprintf(stderr, "loadgen: %s: %s\n", path, strerror(errno));
		fclose(kf);
		return 2;
	}
	for (unsigned i = 0; i < n; i++) {
		struct keys_identity id;
		char name[32];

		snprintf(name, sizeof(name), "lg-%06u", i);
		if (keys_generate(&id) != 0) {
			fprintf(stderr, "loadgen: keys_generate failed\n");
			return 2;
		}
		fprintf(kf, "%s ", name);
		for (size_t k = 0; k < KEYS_SK_BYTES; k++)
			fprintf(kf, "%02x", id.sk[k]);
		fputc('\n', kf);
		fprintf(af, "%s\n",
		        keys_format_public(id.pk, name, line, sizeof(line)));
		keys_wipe(&id);
	}
	if (fclose(kf) != 0 || fclose(af) != 0) {
		fprintf(stderr, "loadgen: writing %s: %s\n", dir,
		        strerror(errno));
		return 2;
	}
	return 0;
}

/* Read up to n pilots from path and precompute their session keys. */
static int
load_pilots(struct gen *g, const char *path, const uint8_t cpk[KEYS_PK_BYTES])
{
	char line[512];
	unsigned lineno = 0, k = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "loadgen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (k < g->n && fgets(line, sizeof(line), f) != NULL) {
		struct pilot *p = &g->pilots[k];
		struct keys_identity id;
		char *sp = strchr(line, ' ');
		size_t hl;

		lineno++;
		if (sp == NULL || (size_t)(sp - line) >= sizeof(p->name))
			goto bad;
		*sp++ = '\0';
		hl = strcspn(sp, "\r\n");
		if (hl != 2 * KEYS_SK_BYTES)
			goto bad;
		for (size_t b = 0; b < KEYS_SK_BYTES; b++) {
			int hi = hex_val(sp[2 * b]),
			    lo = hex_val(sp[2 * b + 1]);

			if (hi < 0 || lo < 0)
				goto bad;
			id.sk[b] = (uint8_t)(hi << 4 | lo);
		}
		memcpy(id.pk, id.sk + 32, KEYS_PK_BYTES); /* seed || pk */
		util_strlcpy(p->name, line, sizeof(p->name));
		memcpy(p->pk, id.pk, KEYS_PK_BYTES);
		if (env_peer_init(&p->peer, id.sk, cpk) != 0) {
			keys_wipe(&id);
			goto bad;
		}
		keys_wipe(&id);
		p->idx = k;
		k++;
	}
	fclose(f);
	if (k < g->n) {
		fprintf(stderr, "loadgen: %s holds %u pilots, %u asked for\n",
		        path, k, g->n);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "loadgen: %s:%u: not 'NAME HEX-SECRET-KEY'\n", path,
	        lineno);
	fclose(f);
	return -1;
}

/* ---- what a pilot says ---- */

static void
fill_hello(const struct gen *g, const struct pilot *p, struct proto_msg *m)
{
	struct proto_hello *h = &m->u.hello;

	memset(m, 0, sizeof(*m));
	m->type = PROTO_HELLO;
	util_strlcpy(h->node, p->name, sizeof(h->node));
	util_strlcpy(h->version, PILOT_VERSION, sizeof(h->version));
	h->chain = CHAIN_COMETBFT;
	h->role = p->role;
	snprintf(h->network, sizeof(h->network), "bench-%u", p->net);
	snprintf(h->group, sizeof(h->group), "g-%u", p->idx / 3);
}

/*
 * A snapshot like a healthy CometBFT node's: the network makes a block
 * every BLOCK_BASE_MS * (2 + net) / 2 ms since genesis, one pilot in seven
 * lags one block, each group's validator signs and reports its last block.
 */
static void
fill_heartbeat(const struct gen *g, struct pilot *p, uint64_t now_ms,
               struct proto_msg *m)
{
	struct proto_heartbeat *hb = &m->u.hb;
	struct proto_status *st = &hb->st;
	uint64_t block_ms = BLOCK_BASE_MS * (2 + p->net) / 2;
	uint64_t tip = (now_ms - g->genesis_ms) / block_ms + 1;
	uint64_t lag = p->idx % 7 == 3 ? 1 : 0;

	memset(m, 0, sizeof(*m));
	m->type = PROTO_HEARTBEAT;
	hb->seq = ++p->seq;
	st->time_ms = now_ms;
	st->up = st->reachable = true;
	st->height = tip - lag;
	st->height_seen_ms = g->genesis_ms + (st->height - 1) * block_ms;
	snprintf(st->tip_hash, sizeof(st->tip_hash),
	         "%016" PRIX64 "%016" PRIX64 "%016" PRIX64 "%016" PRIX64,
	         mix64(st->height ^ p->net), mix64(st->height + 1),
	         mix64(st->height + 2), mix64(p->net));
	st->ref_height = tip;
	st->refs_ok = 3;
	st->peers = 20 + p->idx % 31;
	st->peers_known = true;
	snprintf(st->decision, sizeof(st->decision),
	         "healthy: lag %" PRIu64 " <= 10", lag);
	st->disk_used_pct = 40 + p->idx % 40;
	st->mem_used_pct = 50 + p->idx % 30;
	st->load1_x100 = 50 + (uint32_t)(mix64(hb->seq) % 200);
	if (p->role == ROLE_VALIDATOR) {
		/* signing on its own key, one per group: no lease asked for
		 * or held */
		st->signing = true;
		st->sign.height = st->height - 1;
		st->sign.round = 0;
		st->sign.step = 3;
	}
}

/* ---- requests and replies, common to both transports ---- */

static void finish(struct gen *g, struct pilot *p);

static void
count_err(struct gen *g, enum err_kind k)
{
	atomic_fetch_add_explicit(&g->errs[k], 1, memory_order_relaxed);
}

static struct gen *the_gen; /* the aio callback gets the pilot only */

/* Seal p's next request into out (cap bytes): 0 and *len, or -1. */
static int
build(struct gen *g, struct pilot *p, enum phase ph, uint8_t *out, size_t cap,
      size_t *len)
{
	struct proto_msg m;
	char json[JSON_CAP];
	uint64_t now = clock_wall_ms();
	size_t jlen;

	p->phase = ph;
	if (ph == PH_HELLO)
		fill_hello(g, p, &m);
	else
		fill_heartbeat(g, p, now, &m);
	if (codec_encode(&m, json, sizeof(json), &jlen) != 0 ||
	    env_seal_request(&p->peer, p->pk, ++p->counter, now, json, jlen,
	                     out, cap, len, &p->rctx) != ENV_OK)
		return -1;
	return 0;
}

/* E__COUNT if the reply opens, decodes and says ok; else why not.  The
 * interval the commander asks for goes to *interval_ms. */
static enum err_kind
check_reply(struct pilot *p, const uint8_t *frame, size_t len,
            uint32_t *interval_ms)
{
	/* per thread, not on the stack of nng's threads */
	static _Thread_local uint8_t pt[ENV_MAX_FRAME];
	struct proto_msg m;
	size_t ptlen;

	if (env_open_reply(&p->peer, &p->rctx, frame, len, pt, sizeof(pt),
	                   &ptlen) != ENV_OK)
		return E_OPEN;
	if (codec_decode((const char *)pt, ptlen, &m, NULL, 0) != 0 ||
	    m.type != PROTO_REPLY)
		return E_DECODE;
	if (m.u.reply.status != PROTO_ST_OK)
		return E_STATUS;
	*interval_ms = m.u.reply.interval_ms;
	return E__COUNT;
}

static void
record(struct gen *g, uint64_t t0, uint64_t t1)
{
	uint64_t ws = atomic_load(&g->win_start), we = atomic_load(&g->win_end);
	uint64_t i;

	if (ws == 0 || t1 < ws || (we != 0 && t1 > we))
		return;
	atomic_fetch_add_explicit(&g->ok, 1, memory_order_relaxed);
	i = atomic_fetch_add_explicit(&g->nsamples, 1, memory_order_relaxed);
	if (i < MAX_SAMPLES)
		g->samples[i] = (uint32_t)((t1 - t0) / 1000);
}

/* p's request ended at t1: failed with e, or answered with frame. */
static void
complete(struct gen *g, struct pilot *p, enum err_kind e, const uint8_t *frame,
         size_t len, uint64_t t1)
{
	uint32_t interval = 0;

	if (e == E__COUNT)
		e = check_reply(p, frame, len, &interval);
	if (e == E__COUNT && p->phase == PH_HELLO && interval > 0)
		atomic_store(&g->interval_ms, interval);
	atomic_fetch_add_explicit(&g->done, 1, memory_order_relaxed);
	if (p->phase == PH_HEARTBEAT && p->seq == 1)
		atomic_fetch_add(&g->first_done, 1);
	if (e == E_TIMEOUT)
		atomic_store(&g->last_timeout_ns, mono_ns());
	if (e != E__COUNT)
		count_err(g, e);
	else if (p->phase == PH_HELLO)
		atomic_fetch_add_explicit(&g->hello_ok, 1,
		                          memory_order_relaxed);
	else
		record(g, p->t0_ns, t1);
	finish(g, p);
}

/* ---- transport nng: a req0 context per pilot, on nng's threads ---- */

static void
nng_start(struct gen *g, struct pilot *p, enum phase ph)
{
	static _Thread_local uint8_t frame[JSON_CAP + ENV_REQ_OVERHEAD];
	size_t flen;
	nng_msg *msg;

	if (build(g, p, ph, frame, sizeof(frame), &flen) != 0 ||
	    nng_msg_alloc(&msg, 0) != 0 ||
	    nng_msg_append(msg, frame, flen) != 0) {
		count_err(g, E_LOCAL);
		finish(g, p);
		return;
	}
	p->op = OP_SEND;
	nng_aio_set_msg(p->aio, msg);
	nng_aio_set_timeout(p->aio, (nng_duration)g->timeout_ms);
	atomic_fetch_add_explicit(&g->sent, 1, memory_order_relaxed);
	p->t0_ns = mono_ns();
	nng_ctx_send(p->ctx, p->aio);
}

static void
aio_cb(void *arg)
{
	struct pilot *p = arg;
	struct gen *g = the_gen;
	int rv = nng_aio_result(p->aio);
	uint64_t t1, elapsed_ms;
	nng_msg *msg;

	if (p->op == OP_SEND) {
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(p->aio));
			nng_aio_set_msg(p->aio, NULL);
			complete(g, p, rv == NNG_ETIMEDOUT ? E_TIMEOUT : E_NET,
			         NULL, 0, 0);
			return;
		}
		/* the reply's deadline counts from the send */
		elapsed_ms = (mono_ns() - p->t0_ns) / 1000000;
		p->op = OP_RECV;
		nng_aio_set_timeout(
		    p->aio, elapsed_ms < g->timeout_ms
		                ? (nng_duration)(g->timeout_ms - elapsed_ms)
		                : 1);
		nng_ctx_recv(p->ctx, p->aio);
		return;
	}
	t1 = mono_ns();
	if (rv != 0) {
		complete(g, p, rv == NNG_ETIMEDOUT ? E_TIMEOUT : E_NET, NULL, 0,
		         t1);
		return;
	}
	msg = nng_aio_get_msg(p->aio);
	nng_aio_set_msg(p->aio, NULL);
	complete(g, p, E__COUNT, nng_msg_body(msg), nng_msg_len(msg), t1);
	nng_msg_free(msg);
}

static void
pipe_added(nng_pipe pipe, nng_pipe_ev ev, void *arg)
{
	atomic_fetch_add(&((struct gen *)arg)->connected, 1);
}

static int
nng_connect_all(struct gen *g, const char *url)
{
	int rv;

	for (unsigned i = 0; i < g->conns; i++) {
		nng_socket *s = &g->socks[i];

		if ((rv = nng_req0_open(s)) != 0 ||
		    (rv = nng_socket_set_ms(*s, NNG_OPT_REQ_RESENDTIME,
		                            NNG_DURATION_INFINITE)) != 0 ||
		    (rv = nng_socket_set_size(*s, NNG_OPT_RECVMAXSZ,
		                              ENV_MAX_FRAME + 64)) != 0 ||
		    (rv = nng_pipe_notify(*s, NNG_PIPE_EV_ADD_POST, pipe_added,
		                          g)) != 0 ||
		    (rv = nng_dial(*s, url, NULL, NNG_FLAG_NONBLOCK)) != 0) {
			fprintf(stderr, "loadgen: socket %u: %s\n", i,
			        nng_strerror(rv));
			return -1;
		}
	}
	for (unsigned i = 0; i < g->n; i++) {
		struct pilot *p = &g->pilots[i];

		if ((rv = nng_aio_alloc(&p->aio, aio_cb, p)) != 0 ||
		    (rv = nng_ctx_open(&p->ctx, g->socks[i % g->conns])) != 0) {
			fprintf(stderr, "loadgen: pilot %u: %s\n", i,
			        nng_strerror(rv));
			return -1;
		}
	}
	return 0;
}

/* ---- transport raw: SP over TCP, one thread, epoll ---- */

/*
 * nng's wire format spoken directly, so that the generator costs a write
 * and a read per request instead of nng's thread hand-offs, and leaves the
 * CPUs to the commander.  A connection opens with an 8-byte header each way
 * (00 'S' 'P' 00, protocol u16, 00 00; REQ is 0x30, REP 0x31); then each
 * message is a u64 length and that many bytes, the REQ/REP ones starting
 * with a u32 request id whose top bit is set and which the reply echoes.
 * The id names the pilot and its try, so a late reply to a request that
 * already timed out is recognised and ignored.
 */
#define SP_HDR        8
#define SP_ID_BIT     0x80000000u
#define SP_TRY_BITS   13
#define SP_MAX_PILOTS (1u << (31 - SP_TRY_BITS))
#define SP_MAX_MSG    (4 + ENV_MAX_FRAME)
#define SCAN_NS       100000000ull /* timeout scan period */

static const uint8_t sp_req_hdr[SP_HDR] = {0, 'S', 'P', 0, 0, 0x30, 0, 0};

struct rconn {
	int fd;
	bool tcp_up; /* connect() finished */
	bool up;     /* and the peer's SP header arrived */
	bool dead;
	uint8_t *rbuf, *wbuf;
	size_t rlen, wlen, woff, wcap;
	bool pollout;
};

static struct rconn *rconns;
static int epfd = -1;
static uint64_t next_scan;

static void
be64_put(uint8_t *b, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

static uint64_t
be_get(const uint8_t *b, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | b[i];
	return v;
}

static void
rconn_kill(struct gen *g, struct rconn *c, const char *why)
{
	if (c->dead)
		return;
	c->dead = true;
	atomic_fetch_add(&g->conn_lost, 1);
	if (atomic_load(&g->conn_lost) <= 3)
		fprintf(stderr, "loadgen: connection %u lost: %s\n",
		        (unsigned)(c - rconns), why);
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	/* requests on it are failed by the timeout scan */
}

static void
rconn_want_out(struct rconn *c, bool on)
{
	struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0),
	                         .data.ptr = c};

	if (c->pollout != on && epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->pollout = on;
}

static void
rconn_flush(struct gen *g, struct rconn *c)
{
	while (c->woff < c->wlen) {
		ssize_t w = write(c->fd, c->wbuf + c->woff, c->wlen - c->woff);

		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			rconn_kill(g, c, strerror(errno));
			return;
		}
		c->woff += (size_t)w;
	}
	if (c->woff == c->wlen)
		c->woff = c->wlen = 0;
	rconn_want_out(c, c->wlen > 0 || !c->tcp_up);
}

static void
raw_start(struct gen *g, struct pilot *p, enum phase ph)
{
	struct rconn *c = &rconns[p->conn];
	size_t need = SP_HDR + 4 + JSON_CAP + ENV_REQ_OVERHEAD, flen;
	uint32_t id;
	uint8_t *m;

	if (c->wcap - c->wlen < need) {
		size_t ncap =
		    c->wcap * 2 > c->wlen + need ? c->wcap * 2 : c->wlen + need;
		uint8_t *nb = realloc(c->wbuf, ncap);

		if (nb == NULL) {
			count_err(g, E_LOCAL);
			finish(g, p);
			return;
		}
		c->wbuf = nb;
		c->wcap = ncap;
	}
	m = c->wbuf + c->wlen;
	if (build(g, p, ph, m + SP_HDR + 4, need - SP_HDR - 4, &flen) != 0) {
		count_err(g, E_LOCAL);
		finish(g, p);
		return;
	}
	p->tries = (p->tries + 1) & ((1u << SP_TRY_BITS) - 1);
	id = SP_ID_BIT | p->idx << SP_TRY_BITS | p->tries;
	be64_put(m, 4 + flen);
	for (int i = 0; i < 4; i++)
		m[SP_HDR + i] = (uint8_t)(id >> (24 - 8 * i));
	p->inflight = true;
	atomic_fetch_add_explicit(&g->sent, 1, memory_order_relaxed);
	p->t0_ns = mono_ns();
	if (c->dead)
		return; /* fails at its timeout, like a real lost request */
	c->wlen += SP_HDR + 4 + flen;
	if (c->up && !c->pollout)
		rconn_flush(g, c);
}

static void
raw_reply(struct gen *g, struct rconn *c, const uint8_t *msg, size_t len,
          uint64_t t1)
{
	uint32_t id;
	struct pilot *p;
	unsigned idx;

	if (len < 4 || !((id = (uint32_t)be_get(msg, 4)) & SP_ID_BIT)) {
		rconn_kill(g, c, "reply without a request id");
		return;
	}
	idx = (id & ~SP_ID_BIT) >> SP_TRY_BITS;
	if (idx >= g->n)
		return;
	p = &g->pilots[idx];
	if (!p->inflight || (id & ((1u << SP_TRY_BITS) - 1)) != p->tries ||
	    &rconns[p->conn] != c) {
		atomic_fetch_add(&g->stale_replies, 1);
		return;
	}
	p->inflight = false;
	complete(g, p, E__COUNT, msg + 4, len - 4, t1);
}

static void
rconn_read(struct gen *g, struct rconn *c)
{
	for (;;) {
		ssize_t r = read(c->fd, c->rbuf + c->rlen,
		                 SP_HDR + SP_MAX_MSG - c->rlen);
		size_t off = 0;
		uint64_t t1 = mono_ns();

		if (r == 0) {
			rconn_kill(g, c, "closed by the commander");
			return;
		}
		if (r < 0) {
			if (errno != EAGAIN && errno != EINTR)
				rconn_kill(g, c, strerror(errno));
			return;
		}
		c->rlen += (size_t)r;
		if (!c->up) {
			if (c->rlen < SP_HDR)
				continue;
			/* the peer's header: a REP socket */
			if (memcmp(c->rbuf, "\0SP\0\0\x31\0\0", SP_HDR) != 0) {
				rconn_kill(g, c, "not an nng rep0 peer");
				return;
			}
			c->up = true;
			off = SP_HDR;
			atomic_fetch_add(&g->connected, 1);
			rconn_flush(g, c);
		}
		while (c->rlen - off >= SP_HDR) {
			uint64_t mlen = be_get(c->rbuf + off, 8);

			if (mlen > SP_MAX_MSG) {
				rconn_kill(g, c, "oversized message");
				return;
			}
			if (c->rlen - off < SP_HDR + mlen)
				break;
			raw_reply(g, c, c->rbuf + off + SP_HDR, (size_t)mlen,
			          t1);
			if (c->dead)
				return;
			off += SP_HDR + (size_t)mlen;
		}
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
}

/* Fail the requests that waited longer than the timeout. */
static void
raw_scan(struct gen *g, uint64_t now)
{
	uint64_t limit = g->timeout_ms * 1000000ull;

	for (unsigned i = 0; i < g->n; i++) {
		struct pilot *p = &g->pilots[i];

		if (p->inflight && now - p->t0_ns > limit) {
			p->inflight = false;
			complete(g, p, E_TIMEOUT, NULL, 0, now);
		}
	}
}

/* Serve the connections until the monotonic time until (ns). */
static void
raw_poll(struct gen *g, uint64_t until)
{
	struct epoll_event evs[256];

	for (;;) {
		uint64_t now = mono_ns();
		int n, ms;

		if (now >= next_scan) {
			raw_scan(g, now);
			next_scan = now + SCAN_NS;
		}
		if (now >= until)
			return;
		/* round up: waking early only spins */
		ms = (int)((until - now + 999999) / 1000000);
		if ((n = epoll_wait(epfd, evs, 256, ms)) < 0)
			continue;
		for (int i = 0; i < n; i++) {
			struct rconn *c = evs[i].data.ptr;

			if (c->dead)
				continue;
			if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				rconn_read(g, c);
			if (!c->dead && (evs[i].events & EPOLLOUT)) {
				if (!c->tcp_up) {
					int err = 0;
					socklen_t l = sizeof(err);

					getsockopt(c->fd, SOL_SOCKET, SO_ERROR,
					           &err, &l);
					if (err != 0) {
						rconn_kill(g, c, strerror(err));
						continue;
					}
					c->tcp_up = true;
				}
				rconn_flush(g, c);
			}
		}
	}
}

static int
raw_connect_all(struct gen *g, const char *url)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
	                         .ai_socktype = SOCK_STREAM},
	                *ai;
	char host[256];
	const char *hp = url + 6, *colon;
	int rv;

	if (strncmp(url, "tcp://", 6) != 0 ||
	    (colon = strrchr(hp, ':')) == NULL ||
	    (size_t)(colon - hp) >= sizeof(host)) {
		fprintf(stderr, "loadgen: -T raw needs tcp://HOST:PORT '%s'\n",
		        url);
		return -1;
	}
	memcpy(host, hp, (size_t)(colon - hp));
	host[colon - hp] = '\0';
	if ((rv = getaddrinfo(host, colon + 1, &hints, &ai)) != 0) {
		fprintf(stderr, "loadgen: %s: %s\n", url, gai_strerror(rv));
		return -1;
	}
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (rconns = calloc(g->conns, sizeof(*rconns))) == NULL) {
		freeaddrinfo(ai);
		return -1;
	}
	for (unsigned i = 0; i < g->conns; i++) {
		struct rconn *c = &rconns[i];
		struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT,
		                         .data.ptr = c};
		int one = 1;

		c->fd = socket(ai->ai_family,
		               SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		c->wcap = 4096;
		if (c->fd < 0 ||
		    (c->rbuf = malloc(SP_HDR + SP_MAX_MSG)) == NULL ||
		    (c->wbuf = malloc(c->wcap)) == NULL) {
			fprintf(stderr, "loadgen: connection %u: %s\n", i,
			        strerror(errno));
			freeaddrinfo(ai);
			return -1;
		}
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) != 0 &&
		    errno != EINPROGRESS) {
			fprintf(stderr, "loadgen: connect %s: %s\n", url,
			        strerror(errno));
			freeaddrinfo(ai);
			return -1;
		}
		/* our header goes first, ahead of any request */
		memcpy(c->wbuf, sp_req_hdr, SP_HDR);
		c->wlen = SP_HDR;
		c->pollout = true;
		epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
	}
	freeaddrinfo(ai);
	for (unsigned i = 0; i < g->n; i++)
		g->pilots[i].conn = i % g->conns;
	return 0;
}

static void
raw_close_all(struct gen *g)
{
	for (unsigned i = 0; rconns && i < g->conns; i++) {
		if (rconns[i].fd >= 0)
			close(rconns[i].fd);
		free(rconns[i].rbuf);
		free(rconns[i].wbuf);
	}
	free(rconns);
	rconns = NULL;
	if (epfd >= 0)
		close(epfd);
}

/* ---- driving ---- */

static void
start(struct gen *g, struct pilot *p, enum phase ph)
{
	if (g->transport == TR_RAW)
		raw_start(g, p, ph);
	else
		nng_start(g, p, ph);
}

/* Wait about ns: serving the raw connections, or just sleeping while
 * nng's threads work. */
static void
pump(struct gen *g, uint64_t until)
{
	if (g->transport == TR_RAW)
		raw_poll(g, until);
	else
		sleep_until_ns(until);
}

/* p's request is over (answered or failed): start whatever comes next. */
static void
finish(struct gen *g, struct pilot *p)
{
	if (p->phase == PH_HELLO) {
		atomic_fetch_add(&g->hello_done, 1);
		if (p->next >= 0)
			start(g, &g->pilots[p->next], PH_HELLO);
		return;
	}
	if (g->mode == MODE_RATE) {
		atomic_store(&p->busy, false);
		return;
	}
	if (atomic_load(&g->stopping)) {
		atomic_fetch_sub(&g->chains, 1);
		return;
	}
	start(g, &g->pilots[p->next], PH_HEARTBEAT);
}

static int
connect_all(struct gen *g, const char *url)
{
	uint64_t deadline = clock_mono_ms() + 20000 + g->conns * 2;

	if ((g->transport == TR_RAW ? raw_connect_all(g, url)
	                            : nng_connect_all(g, url)) != 0)
		return -1;
	while (atomic_load(&g->connected) < g->conns) {
		if (clock_mono_ms() > deadline ||
		    atomic_load(&g->conn_lost) > 0) {
			fprintf(stderr, "loadgen: %u of %u connections up\n",
			        atomic_load(&g->connected), g->conns);
			return -1;
		}
		pump(g, mono_ns() + 10000000);
	}
	return 0;
}

/* Chains of pilots c, c+M, c+2M...: one request outstanding per chain and
 * never two for one pilot, so each pilot's counters arrive in order. */
static void
link_chains(struct gen *g, unsigned m, bool cyclic)
{
	for (unsigned i = 0; i < g->n; i++)
		g->pilots[i].next = i + m < g->n ? (int)(i + m)
		                    : cyclic     ? (int)(i % m)
		                                 : -1;
}

static int
hello_all(struct gen *g)
{
	unsigned m = g->outstanding < g->n ? g->outstanding : g->n;
	uint64_t deadline = clock_mono_ms() + 2 * g->timeout_ms + 5000;

	link_chains(g, m, false);
	for (unsigned c = 0; c < m; c++)
		start(g, &g->pilots[c], PH_HELLO);
	/* each chain waits at most a timeout per pilot; in practice the
	 * whole phase ends in well under a second per thousand pilots */
	deadline += (uint64_t)(g->n / m) * g->timeout_ms;
	while (atomic_load(&g->hello_done) < g->n) {
		if (clock_mono_ms() > deadline) {
			fprintf(stderr, "loadgen: hellos stuck at %u of %u\n",
			        atomic_load(&g->hello_done), g->n);
			return -1;
		}
		pump(g, mono_ns() + 2000000);
	}
	return 0;
}

/* ---- the commander's figures, from /proc ---- */

struct proc_sample {
	bool ok;
	uint64_t ticks; /* utime + stime */
	uint64_t rss_kb, hwm_kb;
};

static void
proc_read(int pid, struct proc_sample *s)
{
	char path[64], buf[2048], *q;
	unsigned long long ut, st;
	FILE *f;
	size_t n;

	memset(s, 0, sizeof(*s));
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* the command name may hold spaces and parentheses: skip past the
	 * last ')' and count fields from the state (field 3) on */
	if ((q = strrchr(buf, ')')) == NULL ||
	    sscanf(q + 1,
	           " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	           &ut, &st) != 2)
		return;
	s->ticks = ut + st;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(buf, sizeof(buf), f) != NULL) {
		unsigned long long kb;

		if (sscanf(buf, "VmRSS: %llu kB", &kb) == 1)
			s->rss_kb = kb;
		else if (sscanf(buf, "VmHWM: %llu kB", &kb) == 1)
			s->hwm_kb = kb;
	}
	fclose(f);
	s->ok = true;
}

static double
self_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) /
	           1e6;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct_ms(const uint32_t *v, size_t n, double q)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(q * (double)(n - 1) + 0.5);
	return v[i] / 1000.0;
}

/* ---- run ---- */

struct run_opts {
	const char *url, *cpub, *keys;
	double seconds, warmup, rate_hz;
	int pid;
	unsigned nets;
	bool per_second; /* -v: a line per second of the window */
};

/* Rate mode: no more requests in flight than 50 ms of the schedule (and
 * some slack), i.e. the commander is not working off a backlog. */
static bool
drained(struct gen *g, const struct run_opts *o)
{
	uint64_t inflight = atomic_load(&g->sent) - atomic_load(&g->done);

	return g->mode != MODE_RATE ||
	       inflight <= 10 + (uint64_t)(g->n * o->rate_hz / 20);
}

/* -v: the second that just ended, to stderr: how many answered, their p99
 * and max, and the commander's CPU over that second. */
static void
report_second(struct gen *g, const struct run_opts *o, uint64_t *from,
              struct proc_sample *prev, double t)
{
	uint64_t to = atomic_load(&g->nsamples), n;
	struct proc_sample cur;
	uint32_t *v;

	if (to > MAX_SAMPLES)
		to = MAX_SAMPLES;
	n = to - *from;
	proc_read(o->pid, &cur);
	if (n > 0 && (v = malloc(n * sizeof(*v))) != NULL) {
		memcpy(v, g->samples + *from, n * sizeof(*v));
		qsort(v, n, sizeof(*v), cmp_u32);
		fprintf(stderr,
		        "t=%.0fs answered=%" PRIu64 " p99_ms=%.2f max_ms=%.2f",
		        t, n, pct_ms(v, n, 0.99), v[n - 1] / 1000.0);
		free(v);
	} else
		fprintf(stderr, "t=%.0fs answered=0", t);
	if (cur.ok && prev->ok)
		fprintf(stderr, " cmd_cpu_pct=%.0f",
		        100.0 * (double)(cur.ticks - prev->ticks) /
		            (double)sysconf(_SC_CLK_TCK));
	fprintf(stderr, " errors=%" PRIu64 "\n",
	        (uint64_t)(atomic_load(&g->errs[E_TIMEOUT]) +
	                   atomic_load(&g->errs[E_NET])));
	*prev = cur;
	*from = to;
}

/* Measure from now + warmup for seconds, sampling the commander's RSS
 * every 100 ms; in rate mode also schedule the heartbeats. */
static void
drive(struct gen *g, const struct run_opts *o, struct proc_sample *c0,
      struct proc_sample *c1, uint64_t *rss_max_kb, double *self_cpu)
{
	uint64_t t0 = mono_ns(), ws, we, next_sample, period_ns = 0, j = 0;
	uint64_t next_second = 0, sec_from = 0;
	struct proc_sample sec_prev = {0};
	double cpu0 = 0;
	bool started = false;

	ws = t0 + (uint64_t)(o->warmup * 1e9);
	we = UINT64_MAX; /* set when the window opens */
	next_sample = t0;
	if (g->mode == MODE_RATE)
		period_ns = (uint64_t)(1e9 / o->rate_hz);
	*rss_max_kb = 0;
	for (;;) {
		uint64_t now = mono_ns(), wake;

		/*
		 * Measure the steady state: a node's first heartbeat makes
		 * the commander record events (fsynced) before it answers,
		 * so the window opens once every pilot has had one, no
		 * request timed out for a timeout's length and the backlog
		 * of that first round is gone.
		 */
		if (!started && now >= ws &&
		    ((atomic_load(&g->first_done) >= g->n &&
		      now - atomic_load(&g->last_timeout_ns) >=
		          g->timeout_ms * 1000000ull &&
		      drained(g, o)) ||
		     now - ws > FIRST_ROUND_MAX_NS)) {
			g->settle_s = (double)(now - t0) / 1e9;
			for (unsigned k = 0; k < E__COUNT; k++)
				g->warm_errors += atomic_load(&g->errs[k]);
			proc_read(o->pid, c0);
			cpu0 = self_cpu_s();
			atomic_store(&g->win_start, now);
			we = now + (uint64_t)(o->seconds * 1e9);
			started = true;
			next_second = now + 1000000000ull;
			sec_prev = *c0;
		}
		if (started && now >= we) {
			atomic_store(&g->win_end, now);
			proc_read(o->pid, c1);
			*self_cpu = self_cpu_s() - cpu0;
			break;
		}
		if (now >= next_sample) {
			struct proc_sample s;

			proc_read(o->pid, &s);
			if (started && s.rss_kb > *rss_max_kb)
				*rss_max_kb = s.rss_kb;
			next_sample = now + 100000000ull;
			if (started && o->per_second && now >= next_second) {
				report_second(g, o, &sec_from, &sec_prev,
				              (double)(now - g->win_start) /
				                  1e9);
				next_second += 1000000000ull;
			}
		}
		wake = next_sample < we ? next_sample : we;
		if (!started && ws > now && ws < wake)
			wake = ws;
		if (!started && ws <= now && now + 5000000 < wake)
			wake = now + 5000000; /* waiting for the first round */
		if (g->mode == MODE_RATE) {
			/* heartbeat j is pilot j % n's, due at t0 + j/n
			 * periods: the fleet spread evenly over a period */
			for (;;) {
				uint64_t due =
				    t0 + (uint64_t)((double)j *
				                    (double)period_ns / g->n);
				struct pilot *p = &g->pilots[j % g->n];

				if (due > now) {
					if (due < wake)
						wake = due;
					break;
				}
				if (atomic_exchange(&p->busy, true)) {
					/* still waiting for the last reply:
					 * a real pilot would skip too */
					if (atomic_load(&g->win_start))
						atomic_fetch_add(&g->late, 1);
				} else
					start(g, p, PH_HEARTBEAT);
				j++;
			}
		}
		pump(g, wake);
	}
}

static int
cmd_run(struct gen *g, struct run_opts *o)
{
	struct proc_sample c0, c1;
	uint8_t cpk[KEYS_PK_BYTES];
	uint64_t rss_max = 0, errs = 0, n, deadline;
	char err[256], comment[128];
	double wall, self_cpu = 0, ccpu = -1;
	uint64_t t_hello;

	if (keys_init() != 0 ||
	    keys_load_public(o->cpub, cpk, comment, sizeof(comment), err,
	                     sizeof(err)) != 0) {
		fprintf(stderr, "loadgen: %s: %s\n", o->cpub, err);
		return 2;
	}
	if ((g->pilots = calloc(g->n, sizeof(*g->pilots))) == NULL ||
	    (g->socks = calloc(g->conns, sizeof(*g->socks))) == NULL ||
	    (g->samples = calloc(MAX_SAMPLES, sizeof(*g->samples))) == NULL) {
		fprintf(stderr, "loadgen: out of memory\n");
		return 2;
	}
	if (load_pilots(g, o->keys, cpk) != 0)
		return 2;
	for (unsigned i = 0; i < g->n; i++) {
		struct pilot *p = &g->pilots[i];

		p->net = i % o->nets;
		p->role = (enum proto_role)(i % 3 == 2   ? ROLE_SENTRY
		                            : i % 3 == 1 ? ROLE_RPC
		                                         : ROLE_VALIDATOR);
		/* as the pilot does: above anything sent before a restart */
		p->counter = clock_wall_ms() * 1000;
	}
	g->genesis_ms = clock_wall_ms() / 3600000 * 3600000 - 86400000;
	the_gen = g;
	if (connect_all(g, o->url) != 0)
		return 2;
	t_hello = mono_ns();
	if (hello_all(g) != 0)
		return 2;
	g->hello_s = (double)(mono_ns() - t_hello) / 1e9;
	if (g->mode == MODE_RATE && o->rate_hz == 0) {
		/* -r auto: as often as the commander tells pilots to */
		if (atomic_load(&g->interval_ms) == 0) {
			fprintf(stderr, "loadgen: -r auto: no interval in the "
			                "commander's replies\n");
			return 2;
		}
		o->rate_hz = 1000.0 / atomic_load(&g->interval_ms);
	}

	if (g->transport == TR_RAW && g->n > SP_MAX_PILOTS) {
		fprintf(stderr, "loadgen: -T raw: at most %u pilots\n",
		        SP_MAX_PILOTS);
		return 2;
	}
	if (g->mode == MODE_THROUGHPUT) {
		unsigned m = g->outstanding < g->n ? g->outstanding : g->n;

		link_chains(g, m, true);
		atomic_store(&g->chains, m);
		for (unsigned c = 0; c < m; c++)
			start(g, &g->pilots[c], PH_HEARTBEAT);
	}
	drive(g, o, &c0, &c1, &rss_max, &self_cpu);
	atomic_store(&g->stopping, true);

	/* let what is in flight finish (or time out) before closing */
	deadline = clock_mono_ms() + 2 * g->timeout_ms + 2000;
	for (;;) {
		bool idle = true;

		if (g->mode == MODE_THROUGHPUT)
			idle = atomic_load(&g->chains) == 0;
		else
			for (unsigned i = 0; i < g->n && idle; i++)
				idle = !atomic_load(&g->pilots[i].busy);
		if (idle || clock_mono_ms() > deadline)
			break;
		pump(g, mono_ns() + 5000000);
	}
	if (g->transport == TR_RAW)
		raw_close_all(g);
	else {
		for (unsigned i = 0; i < g->n; i++)
			nng_aio_stop(g->pilots[i].aio);
		for (unsigned i = 0; i < g->conns; i++)
			nng_close(g->socks[i]);
	}

	wall = (double)(atomic_load(&g->win_end) - atomic_load(&g->win_start)) /
	       1e9;
	n = atomic_load(&g->nsamples);
	if (n > MAX_SAMPLES)
		n = MAX_SAMPLES;
	qsort(g->samples, n, sizeof(*g->samples), cmp_u32);
	for (unsigned k = 0; k < E__COUNT; k++)
		errs += atomic_load(&g->errs[k]);
	if (c0.ok && c1.ok)
		ccpu = 100.0 * (double)(c1.ticks - c0.ticks) /
		       (double)sysconf(_SC_CLK_TCK) / wall;

	printf("mode=%s transport=%s pilots=%u conns=%u outstanding=%u hz=%g "
	       "seconds=%.1f "
	       "hello_ok=%" PRIu64 " sent=%" PRIu64 " ok=%" PRIu64
	       " hb_per_s=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f "
	       "max_ms=%.2f errors=%" PRIu64,
	       g->mode == MODE_RATE ? "rate" : "throughput",
	       g->transport == TR_RAW ? "raw" : "nng", g->n, g->conns,
	       g->mode == MODE_RATE ? 0 : g->outstanding,
	       g->mode == MODE_RATE ? o->rate_hz : 0, wall,
	       (uint64_t)atomic_load(&g->hello_ok),
	       (uint64_t)atomic_load(&g->sent), (uint64_t)atomic_load(&g->ok),
	       (double)atomic_load(&g->ok) / wall, pct_ms(g->samples, n, 0.50),
	       pct_ms(g->samples, n, 0.90), pct_ms(g->samples, n, 0.99),
	       n ? g->samples[n - 1] / 1000.0 : 0, errs);
	for (unsigned k = 0; k < E__COUNT; k++)
		printf(" %s=%" PRIu64, err_names[k],
		       (uint64_t)atomic_load(&g->errs[k]));
	printf(" win_errors=%" PRIu64 " warm_errors=%" PRIu64
	       " hello_s=%.2f settle_s=%.2f",
	       errs - g->warm_errors, g->warm_errors, g->hello_s, g->settle_s);
	printf(" late=%" PRIu64 " conn_lost=%u stale_replies=%" PRIu64
	       " loadgen_cpu_pct=%.1f",
	       (uint64_t)atomic_load(&g->late), atomic_load(&g->conn_lost),
	       (uint64_t)atomic_load(&g->stale_replies),
	       100.0 * self_cpu / wall);
	if (ccpu >= 0)
		printf(" cmd_cpu_pct=%.1f cmd_rss_mb=%.1f cmd_hwm_mb=%.1f",
		       ccpu,
		       (double)(rss_max > c1.rss_kb ? rss_max : c1.rss_kb) /
		           1024.0,
		       (double)c1.hwm_kb / 1024.0);
	printf("\n");
	fflush(stdout);

	for (unsigned i = 0; i < g->n; i++) {
		if (g->pilots[i].aio)
			nng_aio_free(g->pilots[i].aio);
		env_peer_wipe(&g->pilots[i].peer);
	}
	free(g->pilots);
	free(g->socks);
	free(g->samples);
	return errs || atomic_load(&g->hello_ok) != g->n ? 1 : 0;
}

static void
usage(void)
{
	fprintf(stderr,
	        "usage: loadgen gen -n N -d DIR\n"
	        "       loadgen run -u URL -C COMMANDER.pub -k PILOTS.keys "
	        "[-n N] [-m throughput|rate]\n"
	        "               [-o OUTSTANDING] [-c CONNS] [-s SECONDS] "
	        "[-w SECONDS] [-r HZ]\n"
	        "               [-t TIMEOUT_MS] [-N NETWORKS] [-p PID] "
	        "[-T raw|nng] [-v]\n");
}

static int
num(const char *opt, const char *s, double min, double max, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || *out < min || *out > max) {
		fprintf(stderr, "loadgen: -%s: not a number in [%g, %g] '%s'\n",
		        opt, min, max, s);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct gen g;
	struct run_opts o = {
	    .seconds = 10, .warmup = 1, .rate_hz = 1, .nets = 8};
	const char *dir = NULL;
	double v, n = 0, conns = 0, outstanding = 64, timeout = 2000;
	int ch;
	bool gen;

	if (argc < 2) {
		usage();
		return 2;
	}
	gen = strcmp(argv[1], "gen") == 0;
	if (!gen && strcmp(argv[1], "run") != 0) {
		usage();
		return 2;
	}
	optind = 2;
	while ((ch = getopt(argc, argv, "C:c:d:k:m:N:n:o:p:r:s:T:t:u:vw:")) !=
	       -1) {
		char opt[2] = {(char)ch, '\0'};

		switch (ch) {
		case 'C':
			o.cpub = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'k':
			o.keys = optarg;
			break;
		case 'v':
			o.per_second = true;
			break;
		case 'u':
			o.url = optarg;
			break;
		case 'm':
			if (strcmp(optarg, "rate") == 0)
				g.mode = MODE_RATE;
			else if (strcmp(optarg, "throughput") == 0)
				g.mode = MODE_THROUGHPUT;
			else {
				fprintf(stderr, "loadgen: -m: '%s'\n", optarg);
				return 2;
			}
			break;
		case 'T':
			if (strcmp(optarg, "raw") == 0)
				g.transport = TR_RAW;
			else if (strcmp(optarg, "nng") == 0)
				g.transport = TR_NNG;
			else {
				fprintf(stderr, "loadgen: -T: '%s'\n", optarg);
				return 2;
			}
			break;
		case 'c':
			if (num(opt, optarg, 1, MAX_PILOTS, &conns))
				return 2;
			break;
		case 'n':
			if (num(opt, optarg, 1, MAX_PILOTS, &n))
				return 2;
			break;
		case 'N':
			if (num(opt, optarg, 1, 1000, &v))
				return 2;
			o.nets = (unsigned)v;
			break;
		case 'o':
			if (num(opt, optarg, 1, MAX_PILOTS, &outstanding))
				return 2;
			break;
		case 'p':
			if (num(opt, optarg, 1, 1 << 30, &v))
				return 2;
			o.pid = (int)v;
			break;
		case 'r':
			if (strcmp(optarg, "auto") == 0)
				o.rate_hz = 0;
			else if (num(opt, optarg, 0.001, 1000, &o.rate_hz))
				return 2;
			break;
		case 's':
			if (num(opt, optarg, 0.1, 86400, &o.seconds))
				return 2;
			break;
		case 't':
			if (num(opt, optarg, 1, 600000, &timeout))
				return 2;
			break;
		case 'w':
			if (num(opt, optarg, 0, 3600, &o.warmup))
				return 2;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (optind != argc) {
		usage();
		return 2;
	}
	if (gen) {
		if (dir == NULL || n < 1) {
			usage();
			return 2;
		}
		return cmd_gen((unsigned)n, dir);
	}
	if (o.url == NULL || o.cpub == NULL || o.keys == NULL) {
		usage();
		return 2;
	}
	g.n = n >= 1 ? (unsigned)n : 0;
	if (g.n == 0) {
		/* all of the file */
		FILE *f = fopen(o.keys, "r");
		int c;

		if (f == NULL) {
			fprintf(stderr, "loadgen: %s: %s\n", o.keys,
			        strerror(errno));
			return 2;
		}
		while ((c = getc(f)) != EOF)
			g.n += c == '\n';
		fclose(f);
		if (g.n == 0) {
			fprintf(stderr, "loadgen: %s: no pilots\n", o.keys);
			return 2;
		}
	}
	g.conns = conns >= 1 ? (unsigned)conns : g.n;
	if (g.conns > g.n)
		g.conns = g.n;
	g.outstanding = (unsigned)outstanding;
	g.timeout_ms = (uint64_t)timeout;
	return cmd_run(&g, &o);
}
