/*
 * api.h: the commander's HTTP API, metrics and dashboard, on nng's HTTP
 * server.
 *
 *   GET  /                        the dashboard (static page, open)
 *   GET  /healthz                 liveness (open)
 *   GET  /metrics                 Prometheus text format (read)
 *   GET  /api/v1/fleet            nodes, networks, restart grants (read)
 *   GET  /api/v1/nodes/{name}     one node, its last status (read)
 *   GET  /api/v1/events           ?since=ID&limit=N&node=..&type=.. (read)
 *   GET  /api/v1/events/stream    server-sent events, Last-Event-ID (read)
 *   POST /api/v1/events/mark      {"message":..,"node":..} note (write)
 *   GET  /api/v1/groups           failover groups: epoch, holder, phase
 *                                 (read; with deps.groups)
 *   GET  /api/v1/groups/{name}    one group (read)
 *   POST /api/v1/groups/{name}/switchover  {"to": NODE} (write; 409
 *                                 with the reason when refused)
 *   POST /api/v1/groups/{name}/release     {"confirm": NAME} ack-only
 *                                 force release (write)
 *   GET  /api/v1/alerts           active alerts, silences, channels (read;
 *                                 with deps.alerts)
 *   POST /api/v1/alerts/test      {"channel": NAME} test message (write)
 *   GET  /api/v1/silences         unexpired silences (read)
 *   POST /api/v1/silences         add one (write)
 *   DELETE /api/v1/silences/{id}  (write)
 *
 * Access: "open" needs nothing; "read" needs the read token when one is
 * configured (the write token also reads); "write" always needs the write
 * token (no token configured: mutating endpoints are disabled, 403).
 * Tokens come as "Authorization: Bearer T" and are compared in constant
 * time; a read may also pass ?access_token=T because a browser's
 * EventSource cannot set headers.  Every client address has a token
 * bucket (429 + Retry-After when empty).  Errors are JSON:
 * {"error": "..."} with 400, 401, 403, 404, 405, 411, 413, 414, 429, 503.
 *
 * Threads: handlers run on nng's threads and only take short locks (fleet
 * and store calls).  SSE streams are fed by one pump thread of our own with
 * asynchronous writes, so a slow or vanished client never blocks anything:
 * each stream is a cursor into the durable store, a write that does not
 * finish within the write timeout drops the client, and a client that
 * falls behind simply catches up from the store.
 */
#ifndef SEXTANT_COMMANDER_API_H
#define SEXTANT_COMMANDER_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "commander/metrics.h"
#include "common/conf.h"

struct fleet;
struct store;
struct budget;
struct groups;
struct alerts;
struct event;
struct cJSON;

#define API_DEFAULT_LISTEN "http://127.0.0.1:7401"
#define API_TOKEN_MAX      256 /* incl. NUL */
#define API_MAX_DROPS      32  /* drop reasons the ingest can report */

struct api_conf {
	char listen[256];               /* http://HOST:PORT */
	char token[API_TOKEN_MAX];      /* write token; "" = writes disabled */
	char token_file[256];           /* alternative: read at finish */
	char read_token[API_TOKEN_MAX]; /* "" = reads open */
	char read_token_file[256];
	uint32_t rate_per_s;       /* token refill per client; 0 = no limit */
	uint32_t rate_burst;       /* bucket size */
	uint32_t max_body;         /* request body bytes (413 above) */
	uint32_t max_streams;      /* concurrent SSE streams (503 above) */
	uint64_t keepalive_ms;     /* SSE comment when idle */
	uint64_t write_timeout_ms; /* an SSE write slower than this drops */
};

/* listen http://127.0.0.1:7401, no tokens, 20 req/s burst 40, body 64 KiB,
 * 32 streams, keepalive 15 s, write timeout 10 s. */
void api_conf_defaults(struct api_conf *);

/*
 * The [api] section's options, offsets into struct api_conf, for the
 * commander's conf tables: { .name = "api", .opts = api_conf_opts,
 * .open = <returns &cfg->api> }.  token and read_token are secrets with
 * environment overrides SEXTANT_API_TOKEN and SEXTANT_API_READ_TOKEN.
 */
extern const struct conf_opt api_conf_opts[];

/*
 * The finish step: load token_file / read_token_file (each refused unless
 * mode 0600-ish, see file_check_secrecy; surrounding whitespace trimmed),
 * refuse a token set both inline and by file, check listen.  0, or -1 with
 * err naming the field or file and quoting the bad value.
 */
int api_conf_finish(struct api_conf *, char *err, size_t errlen);

/* Counters the ingest keeps, read at each scrape. */
struct api_ingest_stats {
	uint64_t heartbeats;
	struct metrics_count drops[API_MAX_DROPS]; /* keys: static strings */
	size_t ndrops;
};

/* What the API reads.  fleet and store are required; the rest optional. */
struct api_deps {
	struct fleet *fleet;
	struct store *store;
	struct budget *budget; /* restart grants in /api/v1/fleet */
	/* fill *out (zeroed by the caller); must not block */
	void (*ingest_stats)(void *arg, struct api_ingest_stats *out);
	void *ingest_arg;
	const char *version;   /* shown by /healthz; NULL: "dev" */
	struct groups *groups; /* failover groups, lease holders; NULL: none */
	struct alerts *alerts; /* alert endpoints; NULL: none */
	/* record events the API makes (switchover...): durable when it
	 * returns 0; NULL: store_append_many */
	int (*record)(void *arg, const struct event *evs, size_t n);
	void *record_arg;
	/* With HA: true while this commander does not lead, with the leader
	 * it last saw in leader ("" unknown); must not block.  Its fleet view
	 * is then empty, and /api/v1/fleet says so.  NULL: no HA. */
	bool (*standby)(void *arg, char *leader, size_t size);
	void *standby_arg;
};

struct api;

/*
 * Listen and serve.  Returns the API, or NULL with err saying why (bad
 * URL, address in use, ENOMEM).  The deps must outlive it.  Stop with
 * api_stop before freeing the fleet or closing the store.
 */
struct api *api_start(const struct api_conf *conf, const struct api_deps *deps,
                      char *err, size_t errlen);
/* Close streams, stop the pump thread and the server; accepts NULL. */
void api_stop(struct api *);
/* The bound port (useful with port 0). */
int api_port(const struct api *);

/* ---- Routes other modules add (switchover, drain, silences...) ---- */

enum api_access {
	API_OPEN,  /* no token */
	API_READ,  /* read token if configured */
	API_WRITE, /* write token, always */
};

/* A request, as a route handler sees it.  Strings stay valid for the
 * call only. */
struct api_request {
	const char *method;
	const char *path;  /* decoded, without the query */
	const char *tail;  /* prefix routes: what follows the prefix */
	const char *query; /* raw query string, "" if none */
	const char *body;  /* NUL-terminated copy, "" if none */
	size_t body_len;
	const char *remote;               /* client address, "?" when unknown */
	const char *header_last_event_id; /* or NULL */
	void *arg;                        /* the route's arg */
};

/* The handler's answer.  body is malloc'd and taken by the API. */
struct api_response {
	int status;
	char *body;
	size_t body_len;
	const char *content_type; /* static; NULL: application/json */
	uint32_t retry_after_s;   /* 0: no header */
	struct {
		const char *name, *value; /* static strings */
	} headers[4];                     /* more headers; unused: NULL */
};

/* A handler fills resp; it runs on an nng thread and must not block
 * for long. */
typedef void (*api_handler_fn)(const struct api_request *req,
                               struct api_response *resp);

/*
 * Add a route.  path is exact ("/api/v1/drain") or a prefix written with
 * a final star after the slash ("/api/v1/silences/" "*"), whose remainder
 * (one or more characters) is req->tail.  0, -EEXIST (same method and
 * path), -ENOSPC, -EINVAL.  Safe while serving.
 */
int api_route(struct api *, const char *method, const char *path,
              enum api_access access, api_handler_fn fn, void *arg);

/* Helpers for handlers. */
/* JSON body from o (taken, deleted here); 500 if it cannot print. */
void api_reply_json(struct api_response *, int status, struct cJSON *o);
/* {"error": "..."} */
void api_reply_error(struct api_response *, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * Query parameter name, percent-decoded, into buf.  1 found, 0 absent,
 * -EINVAL malformed (bad escape, NUL), -ENOSPC too long.
 */
int api_query_get(const char *query, const char *name, char *buf, size_t size);

/* Constant-time comparison of a presented token with the configured one
 * (lengths may differ; the time depends only on the configured length). */
bool api_token_equal(const char *presented, const char *configured);

#endif
