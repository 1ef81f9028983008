/*
 * bench_envelope: what one heartbeat costs on the wire path.  The
 * commander's target is 10k heartbeats/s; each costs one decode, one
 * open, one encode and one seal there.  Prints one line per figure, as
 * operations per second of CPU.
 *
 * bench_envelope [SECONDS_PER_FIGURE]   (default 0.5)
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/codec.h"
#include "proto/envelope.h"

#define NOW 1700000000000ULL

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
heartbeat(struct proto_msg *m)
{
	struct proto_status *st = &m->u.hb.st;

	memset(m, 0, sizeof(*m));
	m->type = PROTO_HEARTBEAT;
	m->u.hb.seq = 123456;
	st->time_ms = NOW;
	st->up = st->reachable = true;
	st->height = 19876543;
	st->height_seen_ms = NOW - 800;
	strcpy(st->tip_hash, "4F2A9C1E0B7D3A6F5E8C2B1A9D0E7F6C5B4A3928");
	st->ref_height = 19876544;
	st->refs_ok = 3;
	st->peers = 48;
	st->peers_known = true;
	strcpy(st->decision, "healthy: lag 1 <= 10");
	st->disk_used_pct = 57;
	st->mem_used_pct = 63;
	st->load1_x100 = 212;
	st->signing = true;
	st->lease_epoch = 41;
	st->sign.height = 19876543;
	st->sign.step = 3;
}

struct ctx {
	struct env_peer p_to_c, c_from_p;
	uint8_t ppk[32], cpk[32];
	struct proto_msg m;
	char json[CODEC_MAX_JSON];
	size_t jlen;
	uint8_t frame[ENV_MAX_FRAME], pt[ENV_MAX_FRAME];
	uint64_t counter, last;
};

static void
run_codec(struct ctx *c)
{
	struct proto_msg out;
	size_t len;

	if (codec_encode(&c->m, c->json, sizeof(c->json), &len) != 0 ||
	    codec_decode(c->json, len, &out, NULL, 0) != 0)
		abort();
}

static void
run_request(struct ctx *c)
{
	struct env_req_ctx a, b;
	size_t flen, n;

	if (env_seal_request(&c->p_to_c, c->ppk, ++c->counter, NOW, c->json,
	                     c->jlen, c->frame, sizeof(c->frame), &flen,
	                     &a) != ENV_OK ||
	    env_open_request(&c->c_from_p, &c->last, NOW, 30000, c->frame, flen,
	                     c->pt, sizeof(c->pt), &n, &b) != ENV_OK)
		abort();
}

static void
run_reply(struct ctx *c)
{
	struct env_req_ctx r = {.counter = 1};
	size_t flen, n;

	if (env_seal_reply(&c->c_from_p, c->cpk, &r, NOW, c->json, c->jlen,
	                   c->frame, sizeof(c->frame), &flen) != ENV_OK ||
	    env_open_reply(&c->p_to_c, &r, c->frame, flen, c->pt, sizeof(c->pt),
	                   &n) != ENV_OK)
		abort();
}

/* The commander's share of one heartbeat: open + decode + encode + seal. */
static void
run_commander(struct ctx *c)
{
	struct env_req_ctx a, b;
	struct proto_msg in, reply;
	size_t flen, n, rlen;

	if (env_seal_request(&c->p_to_c, c->ppk, ++c->counter, NOW, c->json,
	                     c->jlen, c->frame, sizeof(c->frame), &flen,
	                     &a) != ENV_OK)
		abort();
	if (env_open_request(&c->c_from_p, &c->last, NOW, 30000, c->frame, flen,
	                     c->pt, sizeof(c->pt), &n, &b) != ENV_OK ||
	    codec_decode((const char *)c->pt, n, &in, NULL, 0) != 0)
		abort();
	memset(&reply, 0, sizeof(reply));
	reply.type = PROTO_REPLY;
	reply.u.reply.interval_ms = 5000;
	if (codec_encode(&reply, (char *)c->pt, sizeof(c->pt), &rlen) != 0 ||
	    env_seal_reply(&c->c_from_p, c->cpk, &b, NOW, c->pt, rlen, c->frame,
	                   sizeof(c->frame), &flen) != ENV_OK)
		abort();
}

static void
run_peer_init(struct ctx *c)
{
	static uint8_t sk[64], pk[32];
	static int init;
	struct env_peer p;

	if (!init) {
		crypto_sign_keypair(pk, sk);
		init = 1;
	}
	if (env_peer_init(&p, sk, c->cpk) != 0)
		abort();
}

/*
 * Rates are per second of this thread's CPU time, so a loaded machine
 * (tests running beside) does not halve them; wall time bounds the run.
 */
static void
measure(const char *what, void (*fn)(struct ctx *), struct ctx *c, double secs)
{
	double w0 = clock_s(CLOCK_MONOTONIC), c0, t;
	long n = 0, batch = 64, i;

	c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	do {
		for (i = 0; i < batch; i++)
			fn(c);
		n += batch;
	} while (clock_s(CLOCK_MONOTONIC) - w0 < secs);
	t = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	printf("bench_envelope: %-40s %9.0f /s  %7.2f us cpu\n", what,
	       (double)n / t, t / (double)n * 1e6);
}

int
main(int argc, char **argv)
{
	static struct ctx c;
	uint8_t psk[64], csk[64];
	double secs = argc > 1 ? atof(argv[1]) : 0.5;

	if (sodium_init() < 0)
		return 1;
	crypto_sign_keypair(c.ppk, psk);
	crypto_sign_keypair(c.cpk, csk);
	if (env_peer_init(&c.p_to_c, psk, c.cpk) != 0 ||
	    env_peer_init(&c.c_from_p, csk, c.ppk) != 0)
		return 1;
	heartbeat(&c.m);
	if (codec_encode(&c.m, c.json, sizeof(c.json), &c.jlen) != 0)
		return 1;
	printf("bench_envelope: heartbeat is %zu bytes of JSON, %zu sealed\n",
	       c.jlen, c.jlen + ENV_REQ_OVERHEAD);
	measure("codec encode+decode (heartbeat)", run_codec, &c, secs);
	measure("seal+open request (heartbeat)", run_request, &c, secs);
	measure("seal+open reply (heartbeat-sized)", run_reply, &c, secs);
	measure("commander: open+decode+encode+seal", run_commander, &c, secs);
	measure("env_peer_init (once per pilot)", run_peer_init, &c, secs);
	env_peer_wipe(&c.p_to_c);
	env_peer_wipe(&c.c_from_p);
	return 0;
}
