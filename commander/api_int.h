/*
 * api_int.h: what api.c (server core: routing, auth, rate limit, bodies),
 * api_sse.c (event streams) and api_views.c (the built-in endpoints)
 * share.  Not for other modules: they use api.h.
 */
#ifndef SEXTANT_COMMANDER_API_INT_H
#define SEXTANT_COMMANDER_API_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>

#include "commander/api.h"
#include "commander/events.h"
#include "commander/metrics.h"

#define API_MAX_ROUTES      64
#define API_BUCKETS         256 /* rate-limit slots; the stalest is recycled */
#define API_ADDR_MAX        64
#define API_MAX_CODES       16
#define API_SSE_BATCH       100 /* events per stream write */
#define API_BODY_TIMEOUT_MS 10000

struct api_route {
	char method[8];
	char path[128]; /* without the trailing "*" of a prefix */
	bool prefix;
	bool stream; /* the SSE endpoint: hijacks the connection */
	enum api_access access;
	api_handler_fn fn;
	void *arg;
};

struct api_bucket {
	char addr[API_ADDR_MAX];
	double tokens;
	uint64_t last_ms;
};

struct api_stream {
	struct api *api;
	nng_http_conn *conn; /* ours since the hijack */
	nng_http_req *req;   /* ours too */
	nng_aio *wr;
	nng_aio *rd; /* completes when the client closes */
	uint8_t rdbuf[64];
	struct metrics_buf out; /* bytes of the write in flight */
	uint64_t cursor;        /* id of the last event sent */
	uint64_t last_write_ms;
	bool busy;    /* a write is in flight */
	bool pending; /* out holds bytes not yet written */
	bool dead;    /* error or EOF: the pump frees it */
	bool reading;
	struct api_stream *next;
};

struct api_code_count {
	int code;
	uint64_t n;
};

struct api {
	struct api_conf conf;
	struct api_deps deps;
	nng_http_server *srv;
	nng_http_handler *handler;
	int port;
	uint64_t started_wall_ms;

	pthread_mutex_t mu; /* everything below */
	pthread_cond_t cv;  /* inflight drained, streams added */
	struct api_route routes[API_MAX_ROUTES];
	size_t nroutes;
	struct api_bucket buckets[API_BUCKETS];
	struct api_stream *streams;
	size_t nstreams;
	unsigned inflight; /* handler calls touching deps */
	bool stopping;
	bool pump_started;
	pthread_t pump;
	/* counters for /metrics */
	struct api_code_count codes[API_MAX_CODES];
	uint64_t rate_limited;
	uint64_t streams_opened;
	uint64_t streams_dropped; /* write failed or timed out */
};

/* api_views.c: the built-in routes. */
int api_views_register(struct api *);
/* api_groups.c (deps.groups set) and api_alerts.c (deps.alerts set). */
int api_groups_register(struct api *);
int api_alerts_register(struct api *);
struct groups_view;
struct cJSON *api_group_json(const struct groups_view *);

/* api_sse.c */
/* Take over conn for an event stream starting after cursor.  0, or
 * -EBUSY (too many streams: reply 503), -ENOMEM; on error nothing was
 * hijacked and the caller replies. */
int api_sse_open(struct api *, nng_http_conn *conn, nng_http_req *req,
                 uint64_t cursor);
int api_sse_start(struct api *); /* the pump thread */
void api_sse_stop(struct api *); /* join it, free every stream */
/* One event as an SSE frame: "id: N\nevent: TYPE\ndata: JSON\n\n". */
int api_sse_frame(struct metrics_buf *, const struct event *ev);

/* api.c helpers shared with views */
void api_count_code(struct api *, int code); /* with mu held */
/* api_route, and stream: the handler is not called, the connection
 * becomes an event stream. */
int api_route_add(struct api *, const char *method, const char *path,
                  enum api_access access, api_handler_fn fn, void *arg,
                  bool stream);

#endif
