/*
 * http_parse.c: HTTP/1.1 response parsing (RFC 9112), pure and bounded.
 * A server is not trusted: every length is checked before it is used, a
 * chunk size that does not fit in 60 bits is malformed, and the head, the
 * body and the trailers each have a ceiling.
 */
#include "common/http_parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BODY_DEFAULT_MAX (1024 * 1024)

void
http_parse_init(struct http_parse *p, size_t max, bool no_body)
{
	memset(p, 0, sizeof(*p));
	p->max = max ? max : BODY_DEFAULT_MAX;
	p->no_body = no_body;
	p->state = HTTP_PARSE_HEAD;
}

void
http_parse_free(struct http_parse *p)
{
	if (p == NULL)
		return;
	free(p->head);
	free(p->body);
	p->head = p->body = NULL;
	p->hlen = p->hcap = p->len = p->cap = 0;
}

char *
http_parse_take(struct http_parse *p, size_t *len)
{
	char *b = p->body;

	if (b == NULL && (b = calloc(1, 1)) == NULL)
		return NULL;
	*len = p->len;
	p->body = NULL;
	p->len = p->cap = 0;
	return b;
}

static int
body_add(struct http_parse *p, const char *d, size_t n)
{
	if (n > p->max - p->len)
		return -EMSGSIZE;
	if (p->len + n + 1 > p->cap) {
		size_t cap = p->cap ? p->cap : 1024;
		char *nb;

		while (cap < p->len + n + 1)
			cap *= 2;
		if (cap > p->max + 1)
			cap = p->max + 1;
		if ((nb = realloc(p->body, cap)) == NULL)
			return -ENOMEM;
		p->body = nb;
		p->cap = cap;
	}
	memcpy(p->body + p->len, d, n);
	p->len += n;
	p->body[p->len] = '\0';
	return 0;
}

static int
head_add(struct http_parse *p, char c)
{
	if (p->hlen + 1 >= HTTP_PARSE_HEAD_MAX)
		return -E2BIG;
	if (p->hlen + 2 > p->hcap) {
		size_t cap = p->hcap ? p->hcap * 2 : 512;
		char *nh;

		if (cap > HTTP_PARSE_HEAD_MAX)
			cap = HTTP_PARSE_HEAD_MAX;
		if ((nh = realloc(p->head, cap)) == NULL)
			return -ENOMEM;
		p->head = nh;
		p->hcap = cap;
	}
	p->head[p->hlen++] = c;
	p->head[p->hlen] = '\0';
	return 0;
}

static bool
head_ended(const struct http_parse *p)
{
	const char *e = p->head + p->hlen;

	if (p->hlen >= 2 && e[-1] == '\n' && e[-2] == '\n')
		return true;
	return p->hlen >= 4 && memcmp(e - 4, "\r\n\r\n", 4) == 0;
}

static bool
name_is(const char *name, size_t nlen, const char *want)
{
	return nlen == strlen(want) && strncasecmp(name, want, nlen) == 0;
}

/* Does a comma-separated list end with this token (case-insensitive)? */
static bool
list_ends_with(const char *v, size_t n, const char *tok)
{
	size_t t = strlen(tok);

	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n < t || strncasecmp(v + n - t, tok, t) != 0)
		return false;
	return n == t || v[n - t - 1] == ',' || v[n - t - 1] == ' ' ||
	       v[n - t - 1] == '\t';
}

static bool
list_has(const char *v, size_t n, const char *tok)
{
	size_t t = strlen(tok), i;

	for (i = 0; i + t <= n; i++) {
		if (strncasecmp(v + i, tok, t) != 0)
			continue;
		if ((i == 0 || v[i - 1] == ',' || v[i - 1] == ' ') &&
		    (i + t == n || v[i + t] == ',' || v[i + t] == ' '))
			return true;
	}
	return false;
}

struct head_info {
	bool has_len, chunked, te;
	uint64_t len;
};

/* One header line (without its line end). */
static int
head_field(struct http_parse *p, struct head_info *h, const char *l, size_t n)
{
	const char *colon = memchr(l, ':', n), *v;
	size_t nlen, vlen, i;

	if (n > 0 && (l[0] == ' ' || l[0] == '\t'))
		return 0; /* obsolete line folding: ignored */
	if (colon == NULL || colon == l)
		return -EBADMSG;
	nlen = (size_t)(colon - l);
	for (i = 0; i < nlen; i++)
		if (l[i] <= ' ' || l[i] >= 0x7f)
			return -EBADMSG;
	v = colon + 1;
	vlen = n - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	if (name_is(l, nlen, "Content-Length")) {
		uint64_t x = 0;

		if (vlen == 0 || vlen > 19)
			return -EBADMSG;
		for (i = 0; i < vlen; i++) {
			if (!isdigit((unsigned char)v[i]))
				return -EBADMSG;
			x = x * 10 + (uint64_t)(v[i] - '0');
		}
		if (h->has_len && h->len != x)
			return -EBADMSG; /* two lengths: smuggling */
		h->has_len = true;
		h->len = x;
	} else if (name_is(l, nlen, "Transfer-Encoding")) {
		h->te = true;
		h->chunked = list_ends_with(v, vlen, "chunked");
	} else if (name_is(l, nlen, "Connection")) {
		if (list_has(v, vlen, "close"))
			p->keep_open = false;
	} else if (name_is(l, nlen, "Retry-After")) {
		if (vlen >= sizeof(p->retry_after))
			vlen = 0; /* unreadable: as if absent */
		memcpy(p->retry_after, v, vlen);
		p->retry_after[vlen] = '\0';
	}
	return 0;
}

/* The head is complete in p->head: read it and choose the body framing. */
static int
head_done(struct http_parse *p)
{
	struct head_info h = {0};
	const char *s = p->head, *end = p->head + p->hlen, *nl;
	long status;
	int rc;

	/* "HTTP/1.x SSS[ reason]" */
	if (p->hlen < 12 || memcmp(s, "HTTP/1.", 7) != 0 ||
	    !isdigit((unsigned char)s[7]) || s[8] != ' ' ||
	    !isdigit((unsigned char)s[9]) || !isdigit((unsigned char)s[10]) ||
	    !isdigit((unsigned char)s[11]) ||
	    (s[12] != ' ' && s[12] != '\r' && s[12] != '\n'))
		return -EBADMSG;
	status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	if (status < 100)
		return -EBADMSG;
	p->keep_open = s[7] != '0';
	p->retry_after[0] = '\0';
	nl = memchr(s, '\n', p->hlen);
	for (s = nl + 1; s < end; s = nl + 1) {
		size_t n;

		nl = memchr(s, '\n', (size_t)(end - s));
		n = (size_t)(nl - s);
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (n == 0)
			break; /* the blank line */
		if ((rc = head_field(p, &h, s, n)) != 0)
			return rc;
	}
	p->hlen = 0;
	if (status == 101)
		return -EBADMSG; /* we never asked to switch protocols */
	if (status < 200)
		return 0; /* interim (100 Continue...): the real one follows */
	p->status = status;
	if (p->no_body || status == 204 || status == 304) {
		p->state = HTTP_PARSE_DONE;
	} else if (h.te) {
		p->state =
		    h.chunked ? HTTP_PARSE_CHUNK_SIZE : HTTP_PARSE_BODY_CLOSE;
	} else if (h.has_len) {
		if (h.len > p->max)
			return -EMSGSIZE;
		p->remaining = h.len;
		p->state = h.len ? HTTP_PARSE_BODY_LEN : HTTP_PARSE_DONE;
	} else {
		p->state = HTTP_PARSE_BODY_CLOSE;
	}
	return 0;
}

/* Collect a line into p->line; 1 when it ended (without its "\r\n"). */
static int
line_add(struct http_parse *p, char c)
{
	if (c == '\n') {
		if (p->llen > 0 && p->line[p->llen - 1] == '\r')
			p->llen--;
		p->line[p->llen] = '\0';
		return 1;
	}
	if (p->llen + 1 >= sizeof(p->line))
		return -EBADMSG;
	p->line[p->llen++] = c;
	return 0;
}

static int
chunk_size(struct http_parse *p)
{
	uint64_t x = 0;
	size_t i;
	int v;

	for (i = 0; i < p->llen; i++) {
		char c = p->line[i];

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			break;
		if (x >> 56)
			return -EBADMSG; /* would overflow */
		x = x << 4 | (uint64_t)v;
	}
	if (i == 0 || (i < p->llen && p->line[i] != ';' && p->line[i] != ' ' &&
	               p->line[i] != '\t'))
		return -EBADMSG;
	if (x > p->max - p->len)
		return -EMSGSIZE;
	p->remaining = x;
	p->state = x ? HTTP_PARSE_CHUNK_DATA : HTTP_PARSE_TRAILER;
	return 0;
}

int
http_parse_feed(struct http_parse *p, const char *d, size_t n, size_t *used)
{
	size_t i = 0, k;
	int rc;

	*used = 0;
	while (i < n && p->state != HTTP_PARSE_DONE) {
		switch (p->state) {
		case HTTP_PARSE_HEAD:
			if ((rc = head_add(p, d[i++])) != 0)
				return rc;
			if (head_ended(p) && (rc = head_done(p)) != 0)
				return rc;
			break;
		case HTTP_PARSE_BODY_LEN:
			k = n - i;
			if (k > p->remaining)
				k = (size_t)p->remaining;
			if ((rc = body_add(p, d + i, k)) != 0)
				return rc;
			i += k;
			if ((p->remaining -= k) == 0)
				p->state = HTTP_PARSE_DONE;
			break;
		case HTTP_PARSE_BODY_CLOSE:
			if ((rc = body_add(p, d + i, n - i)) != 0)
				return rc;
			i = n;
			break;
		case HTTP_PARSE_CHUNK_SIZE:
			if ((rc = line_add(p, d[i++])) < 0)
				return rc;
			if (rc == 1) {
				if ((rc = chunk_size(p)) != 0)
					return rc;
				p->llen = 0;
			}
			break;
		case HTTP_PARSE_CHUNK_DATA:
			k = n - i;
			if (k > p->remaining)
				k = (size_t)p->remaining;
			if ((rc = body_add(p, d + i, k)) != 0)
				return rc;
			i += k;
			if ((p->remaining -= k) == 0)
				p->state = HTTP_PARSE_CHUNK_END;
			break;
		case HTTP_PARSE_CHUNK_END:
			if ((rc = line_add(p, d[i++])) < 0)
				return rc;
			if (rc == 1) {
				if (p->llen != 0)
					return -EBADMSG;
				p->state = HTTP_PARSE_CHUNK_SIZE;
			}
			break;
		case HTTP_PARSE_TRAILER:
			if (++p->trailer > HTTP_PARSE_HEAD_MAX)
				return -E2BIG;
			if ((rc = line_add(p, d[i++])) == -EBADMSG) {
				p->llen = 0; /* a long trailer: skipped */
				break;
			}
			if (rc == 1) {
				if (p->llen == 0)
					p->state = HTTP_PARSE_DONE;
				p->llen = 0;
			}
			break;
		case HTTP_PARSE_DONE:
			break;
		}
	}
	p->seen += i;
	*used = i;
	return p->state == HTTP_PARSE_DONE ? 1 : 0;
}

int
http_parse_eof(struct http_parse *p)
{
	if (p->state == HTTP_PARSE_BODY_CLOSE)
		p->state = HTTP_PARSE_DONE;
	if (p->state == HTTP_PARSE_DONE)
		return 1;
	return p->seen == 0 ? -ECONNRESET : -EBADMSG;
}

static bool
parse_date(const char *s, time_t *t)
{
	static const char *const fmt[] = {
	    "%a, %d %b %Y %H:%M:%S GMT", /* IMF-fixdate */
	    "%A, %d-%b-%y %H:%M:%S GMT", /* RFC 850 */
	    "%a %b %e %H:%M:%S %Y",      /* asctime */
	};
	size_t i;

	for (i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		struct tm tm;
		const char *e;

		memset(&tm, 0, sizeof(tm));
		if ((e = strptime(s, fmt[i], &tm)) != NULL && *e == '\0') {
			*t = timegm(&tm);
			return *t != (time_t)-1;
		}
	}
	return false;
}

long
http_parse_retry_after(const char *v, size_t n, time_t now, long max_s)
{
	char buf[64];
	size_t i;
	long s = 0;
	time_t t;

	while (n > 0 && isspace((unsigned char)*v))
		v++, n--;
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		n--;
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, v, n);
	buf[n] = '\0';
	for (i = 0; i < n && isdigit((unsigned char)buf[i]); i++) {
		if (s <= max_s)
			s = s * 10 + (buf[i] - '0');
	}
	if (i == n)
		return s > max_s ? max_s : s;
	if (!parse_date(buf, &t))
		return -1;
	if (t <= now)
		return 0;
	return t - now > max_s ? max_s : (long)(t - now);
}
