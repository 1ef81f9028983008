/*
 * api_sse.c: GET /api/v1/events/stream.  nng 1.5's HTTP server cannot
 * stream a response, so the handler hijacks the connection and this file
 * writes the HTTP head and the events itself.
 *
 * A stream is only a cursor into the durable store plus one write in
 * flight.  One pump thread (ours, never nng's) reads the store for streams
 * that are idle and behind, and starts an asynchronous write of at most
 * API_SSE_BATCH events.  So a slow client costs one bounded buffer and
 * catches up from the store when it drains; a write that exceeds the write
 * timeout, a read that sees the client close, or a failed write marks the
 * stream dead and the pump frees it.  Nothing here ever waits on a client.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "commander/api_int.h"
#include "commander/store.h"
#include "common/util.h"

#define PUMP_POLL_MS 200 /* how soon a drained stream gets its next batch */

int
api_sse_frame(struct metrics_buf *b, const struct event *ev)
{
	cJSON *o = event_to_json(ev);
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	if (s == NULL)
		return -ENOMEM;
	/* cJSON escapes control characters, so data is one line */
	metrics_buf_printf(b, "id: %" PRIu64 "\nevent: %s\ndata: %s\n\n",
	                   ev->id, event_type_str(ev->type), s);
	free(s);
	return b->failed ? -ENOMEM : 0;
}

static void
stream_wr_done(void *arg)
{
	struct api_stream *s = arg;
	struct api *api = s->api;
	int rc = nng_aio_result(s->wr);

	pthread_mutex_lock(&api->mu);
	s->busy = false;
	if (rc != 0) {
		if (!s->dead && !api->stopping)
			api->streams_dropped++;
		s->dead = true;
	}
	pthread_mutex_unlock(&api->mu);
}

static void
stream_rd_done(void *arg)
{
	struct api_stream *s = arg;

	/* EOF, an error, or bytes an event-stream client never sends */
	pthread_mutex_lock(&s->api->mu);
	s->reading = false;
	s->dead = true;
	pthread_mutex_unlock(&s->api->mu);
}

static void
stream_free(struct api_stream *s)
{
	if (s == NULL)
		return;
	/* stop first: the callbacks touch s */
	if (s->rd != NULL)
		nng_aio_stop(s->rd);
	if (s->wr != NULL)
		nng_aio_stop(s->wr);
	if (s->conn != NULL)
		nng_http_conn_close(s->conn); /* closes and frees */
	if (s->req != NULL)
		nng_http_req_free(s->req);
	nng_aio_free(s->rd);
	nng_aio_free(s->wr);
	metrics_buf_free(&s->out);
	free(s);
}

int
api_sse_open(struct api *api, nng_http_conn *conn, nng_http_req *req,
             uint64_t cursor)
{
	struct api_stream *s;
	uint64_t last;
	nng_iov iov;

	pthread_mutex_lock(&api->mu);
	if (api->stopping || api->nstreams >= api->conf.max_streams) {
		pthread_mutex_unlock(&api->mu);
		return -EBUSY;
	}
	api->nstreams++; /* reserved; released below on failure */
	pthread_mutex_unlock(&api->mu);

	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto fail;
	s->api = api;
	s->out.max = 4u << 20;
	if (nng_aio_alloc(&s->wr, stream_wr_done, s) != 0 ||
	    nng_aio_alloc(&s->rd, stream_rd_done, s) != 0)
		goto fail;
	metrics_buf_puts(&s->out,
	                 "HTTP/1.1 200 OK\r\n"
	                 "Content-Type: text/event-stream; charset=utf-8\r\n"
	                 "Cache-Control: no-store\r\n"
	                 "X-Accel-Buffering: no\r\n"
	                 "X-Content-Type-Options: nosniff\r\n"
	                 "Connection: close\r\n"
	                 "\r\n"
	                 "retry: 3000\n\n");
	if (s->out.failed || nng_http_hijack(conn) != 0)
		goto fail;
	s->pending = true; /* the head goes out with the first batch */
	s->conn = conn;
	s->req = req;
	/* a cursor past the end (a wiped database) means "from now" */
	last = store_last_id(api->deps.store);
	s->cursor = cursor > last ? last : cursor;
	s->last_write_ms = clock_mono_ms();

	iov.iov_buf = s->rdbuf;
	iov.iov_len = sizeof(s->rdbuf);
	nng_aio_set_iov(s->rd, 1, &iov);
	s->reading = true;
	nng_http_conn_read(conn, s->rd);

	pthread_mutex_lock(&api->mu);
	s->next = api->streams;
	api->streams = s;
	api->streams_opened++;
	pthread_cond_broadcast(&api->cv);
	pthread_mutex_unlock(&api->mu);
	return 0;
fail:
	pthread_mutex_lock(&api->mu);
	api->nstreams--;
	pthread_mutex_unlock(&api->mu);
	if (s != NULL) {
		nng_aio_free(s->rd);
		nng_aio_free(s->wr);
		metrics_buf_free(&s->out);
		free(s);
	}
	return -ENOMEM;
}

/* Fill s->out with the next batch; 0, or -EIO when the store failed. */
static int
stream_fill(struct api *api, struct api_stream *s, uint64_t known, uint64_t now)
{
	struct store_filter f = {.limit = API_SSE_BATCH};
	struct event *evs = NULL;
	size_t n = 0, i;

	if (s->cursor < known) {
		f.since_id = s->cursor;
		if (store_query(api->deps.store, &f, &evs, &n) != 0)
			return -EIO;
		for (i = 0; i < n; i++) {
			if (api_sse_frame(&s->out, &evs[i]) != 0)
				break;
			s->cursor = evs[i].id;
		}
		/* nothing left after the cursor (retention): skip ahead */
		if (n == 0)
			s->cursor = known;
		free(evs);
	}
	if (s->out.len == 0 && now - s->last_write_ms >= api->conf.keepalive_ms)
		metrics_buf_puts(&s->out, ": keepalive\n\n");
	return 0;
}

static void
stream_write(struct api *api, struct api_stream *s, uint64_t now)
{
	nng_iov iov = {.iov_buf = s->out.data, .iov_len = s->out.len};

	s->last_write_ms = now;
	s->pending = false;
	nng_aio_set_iov(s->wr, 1, &iov);
	nng_aio_set_timeout(s->wr, (nng_duration)api->conf.write_timeout_ms);
	nng_http_conn_write_all(s->conn, s->wr);
}

/* Unlink dead streams (all of them when stopping) into *out; mu held. */
static void
take_dead(struct api *api, struct api_stream **out)
{
	struct api_stream **pp = &api->streams, *s;

	while ((s = *pp) != NULL) {
		if (s->dead || api->stopping) {
			*pp = s->next;
			s->next = *out;
			*out = s;
			api->nstreams--;
		} else
			pp = &s->next;
	}
}

static void
timed_wait(struct api *api, uint64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&api->cv, &api->mu, &ts);
}

static void *
pump(void *arg)
{
	struct api *api = arg;
	struct store *st = api->deps.store;
	uint64_t known = store_last_id(st), backoff_until = 0;

	for (;;) {
		struct api_stream *dead = NULL, *s, *ready[64];
		size_t nready = 0, i;
		uint64_t now = clock_mono_ms(), last;
		bool behind = false;
		int rc;

		pthread_mutex_lock(&api->mu);
		take_dead(api, &dead);
		if (api->stopping && dead == NULL) {
			pthread_mutex_unlock(&api->mu);
			break;
		}
		for (s = api->streams; s != NULL && nready < 64; s = s->next)
			if (!s->busy)
				ready[nready++] = s;
		pthread_mutex_unlock(&api->mu);

		while ((s = dead) != NULL) {
			dead = s->next;
			stream_free(s);
		}

		/* idle streams are the pump's alone until it marks them
		 * busy, so filling them needs no lock */
		for (i = 0; i < nready; i++) {
			s = ready[i];
			if (!s->pending)
				metrics_buf_reset(&s->out);
			if (now >= backoff_until &&
			    stream_fill(api, s, known, now) != 0)
				backoff_until = now + 1000;
			if (s->out.len == 0)
				continue;
			pthread_mutex_lock(&api->mu);
			if (s->out.failed)
				s->dead = true;
			s->busy = !s->dead;
			pthread_mutex_unlock(&api->mu);
			if (s->busy)
				stream_write(api, s, now);
			if (s->cursor < known)
				behind = true;
		}

		pthread_mutex_lock(&api->mu);
		if (api->stopping) {
			pthread_mutex_unlock(&api->mu);
			continue;
		}
		if (api->streams == NULL) {
			/* idle: sleep until a stream arrives */
			timed_wait(api, 1000);
			pthread_mutex_unlock(&api->mu);
			known = store_last_id(st);
			continue;
		}
		pthread_mutex_unlock(&api->mu);
		/* a stream still behind gets its next batch as soon as its
		 * write drains */
		rc = store_wait_after(st, known, behind ? 20 : PUMP_POLL_MS,
		                      &last);
		if (rc == 0)
			known = last;
		else if (rc == -ECANCELED) {
			pthread_mutex_lock(&api->mu);
			timed_wait(api, PUMP_POLL_MS);
			pthread_mutex_unlock(&api->mu);
		}
	}
	return NULL;
}

int
api_sse_start(struct api *api)
{
	int rc = pthread_create(&api->pump, NULL, pump, api);

	if (rc != 0)
		return -rc;
	api->pump_started = true;
	return 0;
}

void
api_sse_stop(struct api *api)
{
	if (!api->pump_started)
		return;
	/* api->stopping is set: the pump frees every stream and exits */
	pthread_join(api->pump, NULL);
	api->pump_started = false;
}
