/*
 * http_stream.c: streaming GET over libcurl (loaded on first use, see
 * http_curl.h), and the event-stream parser.
 */
#include "common/http_stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/http_curl.h"
#include "common/util.h"

#define ERR_BODY_MAX 512

struct stream_state {
	const struct http_curl_api *cu;
	CURL *c;
	http_stream_fn fn;
	void *arg;
	long status;
	bool stopped; /* fn asked to stop */
	char errbody[ERR_BODY_MAX];
	size_t errlen;
};

static size_t
stream_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct stream_state *s = arg;
	size_t n = size * nmemb;

	if (s->status == 0)
		s->cu->easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &s->status);
	if (s->status < 200 || s->status > 299) {
		size_t room = sizeof(s->errbody) - 1 - s->errlen;

		if (n < room)
			room = n;
		memcpy(s->errbody + s->errlen, data, room);
		s->errlen += room;
		s->errbody[s->errlen] = '\0';
		return n;
	}
	if (s->fn(s->arg, data, n) != 0) {
		s->stopped = true;
		return 0; /* curl aborts with CURLE_WRITE_ERROR */
	}
	return n;
}

int
http_stream_get(const struct http_stream_req *req, http_stream_fn fn, void *arg,
                long *status, char *err, size_t errlen)
{
	struct stream_state s = {.fn = fn, .arg = arg};
	const struct http_curl_api *cu;
	struct curl_slist *hdrs = NULL, *n;
	char cerr[CURL_ERROR_SIZE] = "", line[1024];
	CURLcode rc;
	size_t i;
	int r = -EIO, bad = 0;

	*status = 0;
	if (errlen > 0)
		err[0] = '\0';
	if (req == NULL || req->url == NULL || fn == NULL) {
		snprintf(err, errlen, "no URL");
		return -EINVAL;
	}
	if ((cu = s.cu = http_curl_load(err, errlen)) == NULL)
		return -EIO;
	if ((s.c = cu->easy_init()) == NULL) {
		snprintf(err, errlen, "curl initialisation failed");
		return -EIO;
	}
#define SET(opt, val) bad |= cu->easy_setopt(s.c, opt, val) != CURLE_OK
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, cerr);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_HTTPGET, 1L);
	SET(CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(req->connect_timeout_ms ? req->connect_timeout_ms : 5000));
	if (req->max_ms)
		SET(CURLOPT_TIMEOUT_MS, (long)req->max_ms);
	if (req->idle_timeout_ms) {
		/* under 1 byte/s for the window: the stream went quiet */
		SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
		SET(CURLOPT_LOW_SPEED_TIME,
		    (long)((req->idle_timeout_ms + 999) / 1000));
	}
	SET(CURLOPT_WRITEFUNCTION, stream_write);
	SET(CURLOPT_WRITEDATA, &s);
#undef SET
	if (req->bearer) {
		if ((size_t)snprintf(line, sizeof(line),
		                     "Authorization: Bearer %s",
		                     req->bearer) >= sizeof(line))
			bad = 1;
		else if ((n = cu->slist_append(hdrs, line)) != NULL)
			hdrs = n;
		else
			bad = 1;
		memset(line, 0, sizeof(line));
	}
	for (i = 0; req->headers && req->headers[i]; i++) {
		if ((n = cu->slist_append(hdrs, req->headers[i])) == NULL) {
			bad = 1;
			break;
		}
		hdrs = n;
	}
	if (hdrs && cu->easy_setopt(s.c, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK)
		bad = 1;
	if (bad) {
		snprintf(err, errlen, "bad request options");
		r = -EINVAL;
		goto out;
	}
	rc = cu->easy_perform(s.c);
	if (s.status == 0)
		cu->easy_getinfo(s.c, CURLINFO_RESPONSE_CODE, &s.status);
	*status = s.status;
	if (s.stopped || rc == CURLE_OK) {
		r = 0;
		if (s.status < 200 || s.status > 299)
			snprintf(err, errlen, "HTTP %ld: %s", s.status,
			         s.errbody);
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(err, errlen, "%s: timed out", req->url);
		r = -ETIMEDOUT;
	} else if (rc == CURLE_COULDNT_CONNECT) {
		snprintf(err, errlen, "%s: %s", req->url,
		         cerr[0] ? cerr : cu->easy_strerror(rc));
		r = -ECONNREFUSED;
	} else {
		snprintf(err, errlen, "%s: %s", req->url,
		         cerr[0] ? cerr : cu->easy_strerror(rc));
		r = -EIO;
	}
out:
	cu->slist_free_all(hdrs);
	cu->easy_cleanup(s.c);
	return r;
}

/* ---- event-stream parser ---- */

void
http_sse_init(struct http_sse *p, size_t max, http_sse_fn fn, void *arg)
{
	memset(p, 0, sizeof(*p));
	p->max = max ? max : 1u << 20;
	p->fn = fn;
	p->arg = arg;
}

void
http_sse_free(struct http_sse *p)
{
	if (p == NULL)
		return;
	free(p->line);
	free(p->data);
	p->line = p->data = NULL;
	p->llen = p->lcap = p->dlen = p->dcap = 0;
}

static int
grow(char **buf, size_t *cap, size_t need, size_t max)
{
	size_t c;
	char *nb;

	if (need > max + 1)
		return -EMSGSIZE;
	if (need <= *cap)
		return 0;
	c = *cap ? *cap : 256;
	while (c < need)
		c *= 2;
	if ((nb = realloc(*buf, c)) == NULL)
		return -ENOMEM;
	*buf = nb;
	*cap = c;
	return 0;
}

static int
dispatch(struct http_sse *p)
{
	struct http_sse_event ev;
	int rc;

	if (!p->has_data) {
		p->event[0] = '\0';
		return 0;
	}
	ev.id = p->id;
	ev.event = p->event[0] ? p->event : "message";
	ev.data = p->data ? p->data : "";
	ev.data_len = p->dlen;
	rc = p->fn(p->arg, &ev);
	p->has_data = false;
	p->dlen = 0;
	if (p->data)
		p->data[0] = '\0';
	p->event[0] = '\0';
	return rc;
}

static int
process_line(struct http_sse *p)
{
	char *line = p->line, *colon, *val;
	size_t vlen;
	int rc;

	if (p->llen == 0 || line == NULL)
		return dispatch(p);
	line[p->llen] = '\0';
	if (line[0] == ':')
		return 0; /* comment: keepalive */
	if ((colon = strchr(line, ':')) != NULL) {
		*colon = '\0';
		val = colon + 1;
		if (*val == ' ')
			val++;
	} else
		val = line + p->llen;
	vlen = strlen(val);
	if (strcmp(line, "data") == 0) {
		size_t need = p->dlen + (p->has_data ? 1 : 0) + vlen + 1;

		if ((rc = grow(&p->data, &p->dcap, need, p->max)) != 0)
			return rc;
		if (p->has_data)
			p->data[p->dlen++] = '\n';
		memcpy(p->data + p->dlen, val, vlen);
		p->dlen += vlen;
		p->data[p->dlen] = '\0';
		p->has_data = true;
	} else if (strcmp(line, "event") == 0) {
		util_strlcpy(p->event, val, sizeof(p->event));
	} else if (strcmp(line, "id") == 0) {
		util_strlcpy(p->id, val, sizeof(p->id));
	}
	/* retry and unknown fields are ignored, as the spec says */
	return 0;
}

int
http_sse_feed(struct http_sse *p, const char *buf, size_t n)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		char ch = buf[i];

		if (ch == '\n' && p->after_cr) {
			p->after_cr = false; /* second half of "\r\n" */
			continue;
		}
		p->after_cr = ch == '\r';
		if (ch == '\r' || ch == '\n') {
			rc = process_line(p);
			p->llen = 0;
			if (rc != 0)
				return rc;
			continue;
		}
		if ((rc = grow(&p->line, &p->lcap, p->llen + 2, p->max)) != 0)
			return rc;
		p->line[p->llen++] = ch;
	}
	return 0;
}
