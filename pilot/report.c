#include "pilot/report.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "common/fileio.h"
#include "common/util.h"
#include "proto/codec.h"
#include "proto/envelope.h"

struct report {
	nng_socket sock;
	nng_dialer dialer[REPORT_MAX_URLS];
	size_t ndialers;
	nng_pipe last_pipe;  /* the last reply's */
	pthread_mutex_t pmu; /* pipes: nng adds and removes them */
	nng_pipe pipes[2 * REPORT_MAX_URLS];
	size_t npipes;
	nng_aio *aio;
	bool open;
	/* cmu orders a cancel against the start of an operation: a cancel
	 * between the flag's check and nng_*_aio would otherwise be lost
	 * and the exchange would run for its whole timeout */
	pthread_mutex_t cmu;
	atomic_bool canceled;
	uint32_t timeout_ms;
	uint32_t conf_timeout_ms;
	struct env_peer server;
	uint8_t my_pk[ENV_PK_BYTES];
	char counter_path[PATH_MAX];
	uint64_t next;     /* counter of the next request */
	uint64_t reserved; /* persisted: all counters <= are spent */
	char json[CODEC_MAX_JSON];
	uint8_t pt[ENV_MAX_FRAME];
};

static const char *const report_errs[] = {
    [REPORT_OK] = "ok",
    [REPORT_E_SEND] = "not connected (send timed out)",
    [REPORT_E_TIMEOUT] = "no reply in time",
    [REPORT_E_REPLY] = "reply refused",
    [REPORT_E_STATE] = "cannot persist the request counter",
    [REPORT_E_INTERNAL] = "internal error",
    [REPORT_E_CANCELED] = "canceled",
};

const char *
report_strerror(enum report_err e)
{
	if ((unsigned)e >= UTIL_NELEM(report_errs))
		return "unknown";
	return report_errs[e];
}

/* Persist a new high-water mark before any counter below it goes out. */
static int
reserve(struct report *r, uint64_t upto)
{
	char buf[32];
	int n, rc;

	n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", upto);
	if ((rc = file_write_atomic(r->counter_path, buf, (size_t)n, 0600)) !=
	    0)
		return rc;
	r->reserved = upto;
	return 0;
}

static int
counter_init(struct report *r, const char *state_dir, char *err, size_t errlen)
{
	uint64_t mark = 0, floor;
	char *text = NULL;
	size_t len;
	int rc;

	if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", state_dir, strerror(errno));
		return rc;
	}
	if ((size_t)snprintf(r->counter_path, sizeof(r->counter_path), "%s/%s",
	                     state_dir,
	                     REPORT_COUNTER_FILE) >= sizeof(r->counter_path)) {
		snprintf(err, errlen, "%s: path too long", state_dir);
		return -ENAMETOOLONG;
	}
	rc = file_read_all(r->counter_path, 64, &text, &len);
	if (rc == 0) {
		if (len > 0 && text[len - 1] == '\n')
			text[len - 1] = '\0';
		rc = util_parse_u64(text, 0, UINT64_MAX / 2, &mark);
		if (rc != 0) {
			/* going below the last counter would lock us out;
			 * a human must look at it */
			snprintf(err, errlen, "%s: not a counter '%.32s'",
			         r->counter_path, text);
			free(text);
			return -EINVAL;
		}
		free(text);
	} else if (rc != -ENOENT) {
		snprintf(err, errlen, "%s: %s", r->counter_path, strerror(-rc));
		return rc;
	}
	/* microseconds of wall clock: above anything sent before, even if
	 * the state dir was lost, unless the clock went back */
	floor = clock_wall_ms() * 1000;
	r->next = (mark > floor ? mark : floor) + 1;
	if ((rc = reserve(r, r->next + REPORT_COUNTER_BLOCK - 1)) != 0) {
		snprintf(err, errlen, "%s: %s", r->counter_path, strerror(-rc));
		return rc;
	}
	return 0;
}

static size_t
count_urls(const char *list)
{
	size_t n = 0;

	for (const char *u = list; *u;) {
		size_t len = strcspn(u, " ");

		n += len > 0;
		u += len;
		u += *u == ' ';
	}
	return n;
}

/* One dialer per url of the list. */
static int
dial_all(struct report *r, const struct report_params *p, char *err,
         size_t errlen)
{
	nng_duration rmin =
	    p->reconnect_min_ms ? (nng_duration)p->reconnect_min_ms : 500;
	nng_duration rmax =
	    p->reconnect_max_ms ? (nng_duration)p->reconnect_max_ms : 30000;
	size_t n = count_urls(p->url);
	char url[512];
	int rv;

	if (n == 0 || n > REPORT_MAX_URLS) {
		snprintf(err, errlen, "%s: %s", p->url,
		         n ? "too many commanders" : "no commander url");
		return -EINVAL;
	}
	/* a standby becomes the leader at any moment: find it fast */
	if (n > 1 && rmax > REPORT_HA_RECONNECT_MAX_MS)
		rmax = REPORT_HA_RECONNECT_MAX_MS;
	if (rmin > rmax)
		rmin = rmax;
	for (const char *u = p->url; *u;) {
		size_t len = strcspn(u, " ");

		if (len == 0 || len >= sizeof(url)) {
			u += len + (u[len] == ' ');
			if (len == 0)
				continue;
			snprintf(err, errlen, "commander url too long");
			return -EINVAL;
		}
		memcpy(url, u, len);
		url[len] = '\0';
		u += len;
		u += *u == ' ';
		nng_dialer *d = &r->dialer[r->ndialers];
		if ((rv = nng_dialer_create(d, r->sock, url)) != 0 ||
		    (rv = nng_dialer_set_ms(*d, NNG_OPT_RECONNMINT, rmin)) !=
		        0 ||
		    (rv = nng_dialer_set_ms(*d, NNG_OPT_RECONNMAXT, rmax)) !=
		        0 ||
		    (rv = nng_dialer_start(*d, NNG_FLAG_NONBLOCK)) != 0) {
			snprintf(err, errlen, "%s: %s", url, nng_strerror(rv));
			return rv == NNG_EADDRINVAL || rv == NNG_ENOTSUP
			           ? -EINVAL
			           : -EIO;
		}
		r->ndialers++;
	}
	return 0;
}

/* nng's pipe events (its threads): the connections now up. */
static void
pipe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	struct report *r = arg;

	pthread_mutex_lock(&r->pmu);
	if (ev == NNG_PIPE_EV_ADD_POST) {
		if (r->npipes < UTIL_NELEM(r->pipes))
			r->pipes[r->npipes++] = p;
	} else {
		for (size_t i = 0; i < r->npipes; i++)
			if (nng_pipe_id(r->pipes[i]) == nng_pipe_id(p)) {
				r->pipes[i] = r->pipes[--r->npipes];
				break;
			}
	}
	pthread_mutex_unlock(&r->pmu);
}

void
report_redial(struct report *r)
{
	nng_pipe p[UTIL_NELEM(r->pipes)];
	size_t n;

	if (r->ndialers < 2)
		return;
	pthread_mutex_lock(&r->pmu);
	n = r->npipes;
	memcpy(p, r->pipes, n * sizeof(p[0]));
	pthread_mutex_unlock(&r->pmu);
	/* outside the lock: closing calls pipe_event */
	for (size_t i = 0; i < n; i++)
		nng_pipe_close(p[i]);
}

void
report_drop_peer(struct report *r)
{
	if (r->ndialers < 2 || nng_pipe_id(r->last_pipe) <= 0)
		return;
	nng_pipe_close(r->last_pipe);
	r->last_pipe = (nng_pipe)NNG_PIPE_INITIALIZER;
}

size_t
report_npeers(const struct report *r)
{
	return r->ndialers;
}

int
report_open(const struct report_params *p, struct report **out, char *err,
            size_t errlen)
{
	struct report *r;
	int rv;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&r->pmu, NULL);
	pthread_mutex_init(&r->cmu, NULL);
	r->timeout_ms = p->timeout_ms ? p->timeout_ms : 5000;
	r->conf_timeout_ms = r->timeout_ms;
	memcpy(r->my_pk, p->id->pk, ENV_PK_BYTES);
	if (env_peer_init(&r->server, p->id->sk, p->server_pk) != 0) {
		snprintf(err, errlen, "unusable commander or pilot key");
		pthread_mutex_destroy(&r->pmu);
		pthread_mutex_destroy(&r->cmu);
		free(r);
		return -EINVAL;
	}
	if ((rv = counter_init(r, p->state_dir, err, errlen)) != 0) {
		report_close(r);
		return rv;
	}
	if ((rv = nng_req0_open(&r->sock)) != 0) {
		snprintf(err, errlen, "nng_req0_open: %s", nng_strerror(rv));
		report_close(r);
		return -EIO;
	}
	r->open = true;
	nng_pipe_notify(r->sock, NNG_PIPE_EV_ADD_POST, pipe_event, r);
	nng_pipe_notify(r->sock, NNG_PIPE_EV_REM_POST, pipe_event, r);
	/*
	 * No automatic resend: a resent frame carries a spent counter, so
	 * the commander would refuse it as a replay.  Each retry is a fresh
	 * request with a fresh counter, made by the caller.
	 */
	if ((rv = nng_socket_set_ms(r->sock, NNG_OPT_REQ_RESENDTIME,
	                            NNG_DURATION_INFINITE)) != 0 ||
	    (rv = nng_socket_set_size(r->sock, NNG_OPT_RECVMAXSZ,
	                              ENV_MAX_FRAME + 64)) != 0 ||
	    (rv = nng_aio_alloc(&r->aio, NULL, NULL)) != 0) {
		snprintf(err, errlen, "%s", nng_strerror(rv));
		report_close(r);
		return -EIO;
	}
	if ((rv = dial_all(r, p, err, errlen)) != 0) {
		report_close(r);
		return rv;
	}
	*out = r;
	return 0;
}

void
report_close(struct report *r)
{
	if (r == NULL)
		return;
	if (r->aio)
		nng_aio_stop(r->aio);
	if (r->open)
		nng_close(r->sock);
	if (r->aio)
		nng_aio_free(r->aio);
	env_peer_wipe(&r->server);
	pthread_mutex_destroy(&r->pmu);
	pthread_mutex_destroy(&r->cmu);
	free(r);
}

void
report_cancel(struct report *r)
{
	pthread_mutex_lock(&r->cmu);
	atomic_store(&r->canceled, true);
	nng_aio_cancel(r->aio);
	pthread_mutex_unlock(&r->cmu);
}

/* Start a send (send) or a receive on r->aio unless canceled; false if
 * canceled, and then nothing was started. */
static bool
start_op(struct report *r, bool send)
{
	bool ok;

	pthread_mutex_lock(&r->cmu);
	if ((ok = !atomic_load(&r->canceled))) {
		if (send)
			nng_send_aio(r->sock, r->aio);
		else
			nng_recv_aio(r->sock, r->aio);
	}
	pthread_mutex_unlock(&r->cmu);
	return ok;
}

void
report_set_timeout(struct report *r, uint32_t timeout_ms)
{
	r->timeout_ms = timeout_ms ? timeout_ms : r->conf_timeout_ms;
}

uint64_t
report_next_counter(const struct report *r)
{
	return r->next;
}

static enum report_err
take_counter(struct report *r, uint64_t *c)
{
	if (r->next > r->reserved &&
	    reserve(r, r->next + REPORT_COUNTER_BLOCK - 1) != 0)
		return REPORT_E_STATE;
	*c = r->next++;
	return REPORT_OK;
}

enum report_err
report_exchange(struct report *r, const struct proto_msg *req,
                struct proto_msg *reply, uint64_t *sent_mono_ms, char *err,
                size_t errlen)
{
	struct env_req_ctx ctx;
	enum report_err re;
	enum env_err ee;
	nng_msg *msg = NULL;
	size_t jlen, flen, ptlen;
	uint64_t counter;
	int rv;

	if (err && errlen)
		err[0] = '\0';
	if (atomic_load(&r->canceled))
		return REPORT_E_CANCELED;
	if ((rv = codec_encode(req, r->json, sizeof(r->json), &jlen)) != 0) {
		snprintf(err, errlen, "encode: %s", strerror(-rv));
		return REPORT_E_INTERNAL;
	}
	if ((re = take_counter(r, &counter)) != REPORT_OK) {
		snprintf(err, errlen, "%s", r->counter_path);
		return re;
	}
	if ((rv = nng_msg_alloc(&msg, ENV_MAX_FRAME)) != 0) {
		snprintf(err, errlen, "%s", nng_strerror(rv));
		return REPORT_E_INTERNAL;
	}
	ee = env_seal_request(&r->server, r->my_pk, counter, clock_wall_ms(),
	                      r->json, jlen, nng_msg_body(msg), ENV_MAX_FRAME,
	                      &flen, &ctx);
	if (ee != ENV_OK) {
		nng_msg_free(msg);
		snprintf(err, errlen, "seal: %s", env_strerror(ee));
		return REPORT_E_INTERNAL;
	}
	nng_msg_realloc(msg, flen); /* shrinking never fails */

	nng_aio_set_timeout(r->aio, (nng_duration)r->timeout_ms);
	nng_aio_set_msg(r->aio, msg);
	if (!start_op(r, true)) {
		nng_aio_set_msg(r->aio, NULL);
		nng_msg_free(msg);
		return REPORT_E_CANCELED;
	}
	nng_aio_wait(r->aio);
	if ((rv = nng_aio_result(r->aio)) != 0) {
		/* on failure the message is still ours */
		nng_msg_free(nng_aio_get_msg(r->aio));
		nng_aio_set_msg(r->aio, NULL);
		snprintf(err, errlen, "%s", nng_strerror(rv));
		return rv == NNG_ECANCELED ? REPORT_E_CANCELED : REPORT_E_SEND;
	}
	if (sent_mono_ms)
		*sent_mono_ms = clock_mono_ms();
	nng_aio_set_timeout(r->aio, (nng_duration)r->timeout_ms);
	if (!start_op(r, false))
		return REPORT_E_CANCELED;
	nng_aio_wait(r->aio);
	if ((rv = nng_aio_result(r->aio)) != 0) {
		snprintf(err, errlen, "%s", nng_strerror(rv));
		return rv == NNG_ECANCELED ? REPORT_E_CANCELED
		                           : REPORT_E_TIMEOUT;
	}
	msg = nng_aio_get_msg(r->aio);
	nng_aio_set_msg(r->aio, NULL);
	r->last_pipe = nng_msg_get_pipe(msg);
	ee = env_open_reply(&r->server, &ctx, nng_msg_body(msg),
	                    nng_msg_len(msg), r->pt, sizeof(r->pt), &ptlen);
	nng_msg_free(msg);
	if (ee != ENV_OK) {
		snprintf(err, errlen, "%s", env_strerror(ee));
		return REPORT_E_REPLY;
	}
	if ((rv = codec_decode((const char *)r->pt, ptlen, reply, err,
	                       errlen)) != 0)
		return REPORT_E_REPLY;
	if (reply->type != PROTO_REPLY) {
		snprintf(err, errlen, "a %s, not a reply",
		         proto_type_str(reply->type));
		return REPORT_E_REPLY;
	}
	return REPORT_OK;
}
