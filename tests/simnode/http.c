/*
 * http.c: request parser and the connection loop of simnode.
 */
#include "tests/simnode/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define SN_MAX_LISTEN 4
#define IDLE_MS       120000     /* keep-alive connections idle this long go */
#define DRAIN_MS      2000       /* lingering close after a refused request */
#define OUT_HIGH      (1u << 20) /* stop reading while this much is unsent */

struct conn {
	int fd;
	bool control;
	char *in;
	size_t in_len;
	struct sn_buf out;
	bool parked;
	bool close_after; /* close once out is written */
	bool draining;    /* written and shut down: discard until EOF */
	bool sent_continue;
	int exit_code;
	uint64_t last_ms;
	int pidx; /* index in the last pollfd fill, -1 if none */
};

struct listener {
	int fd;
	bool control;
	uint16_t port;
	int pidx;
};

static struct listener listeners[SN_MAX_LISTEN];
static size_t nlisteners;
static struct conn *conns[SN_MAX_CONNS];
static size_t nconns;
static sn_http_handler handler;

const char *
sn_http_reason(int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 200:
		return "OK";
	case 204:
		return "No Content";
	case 206:
		return "Partial Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 411:
		return "Length Required";
	case 413:
		return "Payload Too Large";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Unknown";
	}
}

/* Find the end of the header block: returns the offset just past the empty
 * line, or 0 if there is none yet.  Bare LF line ends are accepted. */
static size_t
header_end(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static bool
token_has(const char *v, const char *tok)
{
	size_t n = strlen(tok);

	for (const char *p = v; *p;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (strncasecmp(p, tok, n) == 0 &&
		    (p[n] == '\0' || p[n] == ',' || p[n] == ' ' ||
		     p[n] == '\t'))
			return true;
		while (*p && *p != ',')
			p++;
	}
	return false;
}

static int
parse_request_line(const char *line, size_t n, struct sn_req *req)
{
	const char *sp1, *sp2, *q, *end = line + n;
	size_t mlen, plen, qlen;

	sp1 = memchr(line, ' ', n);
	if (sp1 == NULL)
		return -400;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1));
	if (sp2 == NULL)
		return -400;
	mlen = (size_t)(sp1 - line);
	if (mlen == 0 || mlen >= sizeof(req->method))
		return -501;
	for (size_t i = 0; i < mlen; i++)
		if (line[i] < 'A' || line[i] > 'Z')
			return -400;
	memcpy(req->method, line, mlen);
	req->method[mlen] = '\0';

	if (sp2 == sp1 + 1 || sp1[1] != '/')
		return -400;
	q = memchr(sp1 + 1, '?', (size_t)(sp2 - sp1 - 1));
	plen = (size_t)((q ? q : sp2) - (sp1 + 1));
	qlen = q ? (size_t)(sp2 - q - 1) : 0;
	if (plen >= sizeof(req->path) || qlen >= sizeof(req->query))
		return -414;
	memcpy(req->path, sp1 + 1, plen);
	req->path[plen] = '\0';
	if (q)
		memcpy(req->query, q + 1, qlen);
	req->query[qlen] = '\0';
	for (const char *c = sp1 + 1; c < sp2; c++)
		if ((unsigned char)*c <= 0x20 || *c == 0x7f)
			return -400;

	if ((size_t)(end - sp2 - 1) != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0)
		return -505;
	if (sp2[8] == '0')
		req->http10 = true;
	else if (sp2[8] != '1')
		return -505;
	return 0;
}

int
sn_http_parse(const char *buf, size_t len, struct sn_req *req, size_t *used)
{
	size_t hend, pos, clen = 0;
	bool have_clen = false, conn_close = false, conn_keep = false;
	const char *line, *nl;
	int rc;

	memset(req, 0, sizeof(*req));
	/* Tolerate stray empty lines between pipelined requests. */
	pos = 0;
	while (pos < len && (buf[pos] == '\r' || buf[pos] == '\n'))
		pos++;
	hend = header_end(buf + pos, len - pos);
	if (hend == 0)
		return len >= SN_MAX_REQ ? -413 : 0;
	hend += pos;
	if (hend > SN_MAX_REQ)
		return -413;

	line = buf + pos;
	nl = memchr(line, '\n', hend - pos);
	rc = parse_request_line(
	    line, (size_t)(nl - line) - (nl > line && nl[-1] == '\r' ? 1 : 0),
	    req);
	if (rc < 0)
		return rc;

	for (line = nl + 1; line < buf + hend; line = nl + 1) {
		char name[64], value[1024];
		const char *colon, *v, *vend;
		size_t nlen, vlen;

		nl = memchr(line, '\n', (size_t)(buf + hend - line));
		vend = nl;
		if (vend > line && vend[-1] == '\r')
			vend--;
		if (vend == line)
			break; /* the empty line */
		if (*line == ' ' || *line == '\t')
			return -400; /* obsolete line folding */
		colon = memchr(line, ':', (size_t)(vend - line));
		if (colon == NULL || colon == line)
			return -400;
		nlen = (size_t)(colon - line);
		for (v = colon + 1; v < vend && (*v == ' ' || *v == '\t'); v++)
			;
		while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
			vend--;
		vlen = (size_t)(vend - v);
		if (nlen >= sizeof(name))
			continue; /* not a header we read */
		memcpy(name, line, nlen);
		name[nlen] = '\0';
		for (size_t i = 0; i < nlen; i++)
			if (name[i] == ' ' || name[i] == '\t')
				return -400;
		if (vlen >= sizeof(value)) {
			if (strcasecmp(name, "Authorization") == 0 ||
			    strcasecmp(name, "Content-Length") == 0)
				return -431;
			continue;
		}
		memcpy(value, v, vlen);
		value[vlen] = '\0';

		if (strcasecmp(name, "Content-Length") == 0) {
			char *e;
			unsigned long long n;
			if (value[0] < '0' || value[0] > '9')
				return -400;
			errno = 0;
			n = strtoull(value, &e, 10);
			if (*e != '\0' || errno != 0)
				return n == 0 ? -400 : -413;
			if (have_clen && n != clen)
				return -400;
			if (n > SN_MAX_REQ)
				return -413;
			clen = (size_t)n;
			have_clen = true;
		} else if (strcasecmp(name, "Transfer-Encoding") == 0) {
			return -501;
		} else if (strcasecmp(name, "Connection") == 0) {
			if (token_has(value, "close"))
				conn_close = true;
			if (token_has(value, "keep-alive"))
				conn_keep = true;
		} else if (strcasecmp(name, "Expect") == 0) {
			if (strcasecmp(value, "100-continue") == 0)
				req->expect_continue = true;
		} else if (strcasecmp(name, "Authorization") == 0) {
			memcpy(req->auth, value, vlen + 1);
		}
	}
	if (hend + clen > SN_MAX_REQ)
		return -413;
	req->keep_alive = req->http10 ? conn_keep && !conn_close : !conn_close;
	if (len - hend < clen)
		return 0;
	req->body = buf + hend;
	req->body_len = clen;
	*used = hend + clen;
	return 1;
}

static int
hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool
sn_query_get(const char *query, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);
	const char *p = query;

	while (*p) {
		const char *amp = strchr(p, '&');
		const char *end = amp ? amp : p + strlen(p);
		if ((size_t)(end - p) >= klen && strncmp(p, key, klen) == 0 &&
		    (p + klen == end || p[klen] == '=')) {
			size_t o = 0;
			const char *v = p + klen + (p + klen < end ? 1 : 0);
			for (; v < end; v++) {
				char c = *v;
				if (c == '+') {
					c = ' ';
				} else if (c == '%' && end - v >= 3 &&
				           hexdigit(v[1]) >= 0 &&
				           hexdigit(v[2]) >= 0) {
					c = (char)(hexdigit(v[1]) << 4 |
					           hexdigit(v[2]));
					v += 2;
				}
				if (o + 1 >= size)
					return false;
				out[o++] = c;
			}
			out[o] = '\0';
			return true;
		}
		p = amp ? amp + 1 : end;
	}
	return false;
}

int
sn_http_listen(const char *addr, bool control, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t slen;
	char host[64];
	const char *colon;
	char *end;
	unsigned long port;
	int fd, one = 1;
	size_t hlen;

	if (nlisteners >= SN_MAX_LISTEN) {
		snprintf(err, errlen, "too many listeners");
		return -1;
	}
	colon = strrchr(addr, ':');
	if (colon == NULL) {
		colon = addr - 1; /* a bare port */
		hlen = 0;
	} else {
		hlen = (size_t)(colon - addr);
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno || port > 65535) {
		snprintf(err, errlen, "bad port in \"%s\"", addr);
		return -1;
	}
	if (hlen >= sizeof(host)) {
		snprintf(err, errlen, "bad address \"%s\"", addr);
		return -1;
	}
	memcpy(host, addr, hlen);
	host[hlen] = '\0';
	if (hlen == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	memset(&ss, 0, sizeof(ss));
	if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		host[hlen - 1] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1) {
			snprintf(err, errlen, "bad IPv6 address in \"%s\"",
			         addr);
			return -1;
		}
		slen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1) {
			snprintf(err, errlen, "bad IPv4 address in \"%s\"",
			         addr);
			return -1;
		}
		slen = sizeof(*s4);
	}
	fd =
	    socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, slen) < 0 || listen(fd, 128) < 0) {
		snprintf(err, errlen, "%s: %s", addr, strerror(errno));
		close(fd);
		return -1;
	}
	slen = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &slen);
	listeners[nlisteners].fd = fd;
	listeners[nlisteners].control = control;
	listeners[nlisteners].port = ntohs(
	    ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                             : ((struct sockaddr_in *)&ss)->sin_port);
	nlisteners++;
	return 0;
}

uint16_t
sn_http_port(bool control)
{
	for (size_t i = 0; i < nlisteners; i++)
		if (listeners[i].control == control)
			return listeners[i].port;
	return 0;
}

void
sn_http_set_handler(sn_http_handler h)
{
	handler = h;
}

size_t
sn_http_nconns(void)
{
	return nconns;
}

static void
conn_free(size_t i)
{
	struct conn *c = conns[i];

	close(c->fd);
	free(c->in);
	sn_buf_free(&c->out);
	free(c);
	conns[i] = conns[--nconns];
}

static void
append_response(struct conn *c, struct sn_resp *r, bool head)
{
	const char *ctype = r->ctype;
	size_t blen = r->body.len;

	if (ctype == NULL && blen > 0)
		ctype = "application/json";
	sn_buf_printf(&c->out, "HTTP/1.1 %d %s\r\n", r->status,
	              sn_http_reason(r->status));
	if (ctype != NULL)
		sn_buf_printf(&c->out, "Content-Type: %s\r\n", ctype);
	/* 204 and 1xx carry no Content-Length (RFC 9110 8.6). */
	if (r->status != 204)
		sn_buf_printf(&c->out, "Content-Length: %zu\r\n", blen);
	sn_buf_puts(&c->out, r->headers);
	sn_buf_puts(&c->out, r->close ? "Connection: close\r\n\r\n"
	                              : "Connection: keep-alive\r\n\r\n");
	if (!head && r->status != 204)
		sn_buf_put(&c->out, r->body.p ? r->body.p : "", blen);
}

static void
refuse(struct conn *c, int status)
{
	struct sn_resp r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	r.close = true;
	sn_buf_printf(&r.body, "%d %s\n", status, sn_http_reason(status));
	r.ctype = "text/plain; charset=utf-8";
	append_response(c, &r, false);
	sn_buf_free(&r.body);
	c->close_after = true;
	c->in_len = 0;
}

/* Answer as many complete requests as the buffer holds (pipelining). */
static void
conn_process(struct conn *c)
{
	while (!c->parked && !c->close_after && !c->draining &&
	       c->out.len < OUT_HIGH) {
		struct sn_req req;
		struct sn_resp resp;
		size_t used = 0;
		int rc = sn_http_parse(c->in, c->in_len, &req, &used);

		if (rc < 0) {
			refuse(c, -rc);
			return;
		}
		if (rc == 0) {
			if (req.expect_continue && !c->sent_continue &&
			    req.method[0] != '\0') {
				sn_buf_puts(&c->out,
				            "HTTP/1.1 100 Continue\r\n\r\n");
				c->sent_continue = true;
			}
			return;
		}
		memset(&resp, 0, sizeof(resp));
		resp.status = 200;
		resp.exit_code = -1;
		handler(&req, c->control, &resp);
		if (resp.park) {
			sn_buf_free(&resp.body);
			c->parked = true;
			return;
		}
		if (!req.keep_alive)
			resp.close = true;
		append_response(c, &resp, strcmp(req.method, "HEAD") == 0);
		sn_buf_free(&resp.body);
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
		c->sent_continue = false;
		if (resp.close)
			c->close_after = true;
		if (resp.exit_code >= 0) {
			c->exit_code = resp.exit_code;
			c->close_after = true;
			return;
		}
	}
}

/* Returns false when the connection is finished and must be freed. */
static bool
conn_flush(struct conn *c)
{
	while (c->out.len > 0) {
		ssize_t n = write(c->fd, c->out.p, c->out.len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return false;
		}
		sn_buf_consume(&c->out, (size_t)n);
	}
	if (c->out.len == 0 && c->exit_code >= 0) {
		/* "crash": the reply is out, now die like a node does. */
		_exit(c->exit_code);
	}
	if (c->out.len == 0 && c->close_after && !c->draining) {
		/* Lingering close, so a client still sending a refused body
		 * reads our answer instead of a reset. */
		shutdown(c->fd, SHUT_WR);
		c->draining = true;
	}
	return true;
}

/* One read per wakeup (poll is level-triggered), so pipelined requests are
 * answered before the buffer can fill.  Returns false when the peer is
 * gone. */
static bool
conn_read(struct conn *c, uint64_t now)
{
	char scratch[4096];
	char *dst = scratch;
	size_t room = sizeof(scratch);
	ssize_t n;

	if (!c->draining && c->in_len < SN_MAX_REQ + 1) {
		dst = c->in + c->in_len;
		room = SN_MAX_REQ + 1 - c->in_len;
	}
	do
		n = read(c->fd, dst, room);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return false;
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK;
	c->last_ms = now;
	if (dst != scratch)
		c->in_len += (size_t)n;
	return true;
}

static void
accept_all(struct listener *l, uint64_t now)
{
	for (;;) {
		struct conn *c;
		int fd, one = 1;

		if (nconns >= SN_MAX_CONNS)
			return;
		fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = calloc(1, sizeof(*c));
		if (c != NULL)
			c->in = malloc(SN_MAX_REQ + 1);
		if (c == NULL || c->in == NULL) {
			free(c);
			close(fd);
			return;
		}
		c->fd = fd;
		c->control = l->control;
		c->exit_code = -1;
		c->last_ms = now;
		c->pidx = -1;
		conns[nconns++] = c;
	}
}

size_t
sn_http_fill(struct pollfd *fds, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < nlisteners && n < max; i++) {
		listeners[i].pidx = -1;
		if (nconns >= SN_MAX_CONNS)
			continue; /* full: leave them in the backlog */
		fds[n].fd = listeners[i].fd;
		fds[n].events = POLLIN;
		fds[n].revents = 0;
		listeners[i].pidx = (int)n++;
	}
	for (size_t i = 0; i < nconns && n < max; i++) {
		struct conn *c = conns[i];
		fds[n].fd = c->fd;
		fds[n].events = POLLRDHUP;
		if (!(c->parked && c->in_len > SN_MAX_REQ) &&
		    c->out.len < OUT_HIGH)
			fds[n].events |= POLLIN;
		if (c->out.len > 0)
			fds[n].events |= POLLOUT;
		fds[n].revents = 0;
		c->pidx = (int)n++;
	}
	return n;
}

void
sn_http_service(const struct pollfd *fds, size_t n, uint64_t mono_ms)
{
	for (size_t i = 0; i < nlisteners; i++) {
		int k = listeners[i].pidx;
		if (k >= 0 && (size_t)k < n && (fds[k].revents & POLLIN))
			accept_all(&listeners[i], mono_ms);
	}
	for (size_t i = 0; i < nconns;) {
		struct conn *c = conns[i];
		short ev = 0;
		bool alive = true;

		if (c->pidx >= 0 && (size_t)c->pidx < n)
			ev = fds[c->pidx].revents;
		else
			ev = POLLIN; /* just accepted: try it now */
		c->pidx = -1;
		if (ev & (POLLIN | POLLHUP | POLLERR | POLLRDHUP))
			alive = conn_read(c, mono_ms);
		if (alive && !c->draining)
			conn_process(c);
		if (alive)
			alive = conn_flush(c);
		if (alive && c->draining && c->out.len == 0 &&
		    mono_ms - c->last_ms > DRAIN_MS)
			alive = false;
		if (alive && !c->parked && c->out.len == 0 &&
		    mono_ms - c->last_ms > IDLE_MS)
			alive = false;
		if (!alive) {
			conn_free(i);
			continue;
		}
		i++;
	}
}

void
sn_http_unpark(uint64_t mono_ms)
{
	for (size_t i = 0; i < nconns;) {
		struct conn *c = conns[i];
		if (c->parked) {
			c->parked = false;
			c->last_ms = mono_ms;
			conn_process(c);
			if (!conn_flush(c)) {
				conn_free(i);
				continue;
			}
		}
		i++;
	}
}

void
sn_http_close_all(void)
{
	while (nconns > 0)
		conn_free(nconns - 1);
	for (size_t i = 0; i < nlisteners; i++)
		close(listeners[i].fd);
	nlisteners = 0;
}
