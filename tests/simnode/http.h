/*
 * http.h: the small HTTP/1.1 server of simnode.  One poll() loop owns every
 * socket; requests are bounded (SN_MAX_REQ, 413 beyond), responses always
 * carry Content-Length, keep-alive and pipelining are honoured.
 */
#ifndef SIMNODE_HTTP_H
#define SIMNODE_HTTP_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/simnode/json.h"

#define SN_MAX_REQ   65536 /* request line + headers + body */
#define SN_MAX_CONNS 1000

struct sn_req {
	char method[8];
	char path[1024]; /* percent-encoded, without the query */
	char query[1024];
	bool http10;
	bool keep_alive;
	bool expect_continue;
	char auth[512];   /* Authorization header value */
	const char *body; /* points into the connection's buffer */
	size_t body_len;
};

struct sn_resp {
	int status;
	const char *ctype; /* NULL when there is no body */
	struct sn_buf body;
	char headers[256]; /* extra header lines, each ending in CRLF */
	bool park;         /* hold the connection and never answer (hang) */
	bool close;
	int exit_code; /* >= 0: send the reply, then _exit(exit_code) */
};

/* Parse one request from buf[0..len).  Returns 1 with *used set when a
 * whole request is there, 0 when more bytes are needed, or -STATUS (-400,
 * -413, -414, -501, -505) for a request that must be refused. */
int sn_http_parse(const char *buf, size_t len, struct sn_req *req,
                  size_t *used);
/* Value of key in a query string, percent- and '+'-decoded into out.
 * false when absent, empty-valued keys give "". */
bool sn_query_get(const char *query, const char *key, char *out, size_t size);
const char *sn_http_reason(int status);

/* The request handler: fills resp (status defaults to 200).  control is
 * true on the --control listener. */
typedef void (*sn_http_handler)(const struct sn_req *req, bool control,
                                struct sn_resp *resp);

/* Listen on "IP:PORT" (IPv4, or [IPv6]:PORT); 0 or -1 with err set. */
int sn_http_listen(const char *addr, bool control, char *err, size_t errlen);
/* The bound port of the first listener of that kind (0 if none). */
uint16_t sn_http_port(bool control);
void sn_http_set_handler(sn_http_handler h);
/* Fill pollfds for listeners and connections; returns how many. */
size_t sn_http_fill(struct pollfd *fds, size_t max);
/* Handle the events of the last fill. */
void sn_http_service(const struct pollfd *fds, size_t n, uint64_t mono_ms);
/* Answer the requests held while hung. */
void sn_http_unpark(uint64_t mono_ms);
size_t sn_http_nconns(void);
void sn_http_close_all(void);

#endif
