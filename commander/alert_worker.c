/* alert_worker.c: the delivery threads (see alert_worker.h). */
#include "commander/alert_worker.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commander/alert_route.h"
#include "commander/store_alertq.h"
#include "common/http.h"
#include "common/util.h"

#define IDLE_MS       60000 /* recheck an idle queue (missed kicks) */
#define STORE_BACKOFF 5000  /* the store failed: try again after */
#define MAX_BODY      65536 /* of an answer; services answer briefly */
#define MAX_ALERTS    1024  /* of one queued message */

struct chan {
	struct alert_worker *w;
	struct sink_conf sc;
	const struct sink_ops *ops;
	pthread_t th;
	bool started;
	pthread_cond_t cv;
	bool kicked;
	double tokens; /* token bucket, per_minute */
	uint64_t tb_ms;
	uint64_t rng;
	struct alert_worker_stats st;
};

struct alert_worker {
	struct alert_worker_conf conf;
	struct chan *c;
	size_t n;
	pthread_mutex_t mu;
	bool stop;
};

static void wlog(struct chan *, enum log_level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
wlog(struct chan *c, enum log_level lvl, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (c->w->conf.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->w->conf.log(c->w->conf.log_arg, lvl, line);
}

/* Replace every occurrence of a secret in s (in place) with "…". */
static void
scrub_one(char *s, const char *secret)
{
	size_t l = strlen(secret);
	char *p;

	/* short values (a chat id "1") would eat ordinary text */
	if (l < 6)
		return;
	while ((p = strstr(s, secret)) != NULL) {
		static const char mark[] = "(redacted)";

		if (l >= sizeof(mark) - 1) {
			memcpy(p, mark, sizeof(mark) - 1);
			memmove(p + sizeof(mark) - 1, p + l, strlen(p + l) + 1);
		} else
			memset(p, '*', l);
	}
}

/* Scrub the secret parts of a URL: its credentials, its whole path and
 * query, and each piece of them (a service may echo any one back). */
static void
scrub_url(char *s, const char *url)
{
	const char *p = strstr(url, "://"), *end, *at = NULL;
	char piece[512];

	if (p == NULL)
		return;
	p += 3;
	end = p + strcspn(p, "/?#");
	for (const char *q = p; q < end; q++)
		if (*q == '@')
			at = q;
	while (at && p < at) { /* user, password */
		size_t l = strcspn(p, ":@");

		if (l < sizeof(piece)) {
			memcpy(piece, p, l);
			piece[l] = '\0';
			scrub_one(s, piece);
		}
		p += l + 1;
	}
	scrub_one(s, end);
	for (p = end; *p;) {
		size_t l = strcspn(p, "/?#&=");

		if (l > 0 && l < sizeof(piece)) {
			memcpy(piece, p, l);
			piece[l] = '\0';
			scrub_one(s, piece);
		}
		p += l + (p[l] != '\0');
	}
}

/* Make text from the outside world fit for a log line: printable, short,
 * and free of this channel's secrets (a service may echo the URL). */
static void
scrub(const struct sink_conf *sc, const char *in, size_t len, char *out,
      size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < len && in[i] && n + 1 < cap; i++)
		out[n++] = ((unsigned char)in[i] < 0x20 || in[i] == 0x7f)
		               ? ' '
		               : in[i];
	out[n] = '\0';
	scrub_url(out, sc->url);
	scrub_one(out, sc->token);
	scrub_one(out, sc->secret);
}

static uint64_t
rnd(struct chan *c)
{
	/* xorshift64: jitter only, no secrets */
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng;
}

static uint64_t
backoff(struct chan *c, uint32_t attempts)
{
	const struct alert_worker_conf *k = &c->w->conf;
	uint64_t d = k->retry_min_ms;

	for (uint32_t i = 0; i < attempts && d < k->retry_max_ms; i++)
		d *= 2;
	if (d > k->retry_max_ms)
		d = k->retry_max_ms;
	/* "equal jitter": at least half the backoff, never all at once */
	return d / 2 + rnd(c) % (d / 2 + 1);
}

/* Take a token: 0, or how many ms until one is there. */
static uint64_t
bucket_take(struct chan *c, uint64_t now)
{
	double rate, cap;

	if (c->sc.per_minute == 0)
		return 0;
	rate = c->sc.per_minute / 60000.0;
	cap = ceil(c->sc.per_minute / 60.0);
	c->tokens += (double)(now - c->tb_ms) * rate;
	if (c->tokens > cap)
		c->tokens = cap;
	c->tb_ms = now;
	if (c->tokens >= 1.0) {
		c->tokens -= 1.0;
		return 0;
	}
	return (uint64_t)ceil((1.0 - c->tokens) / rate);
}

static void record(struct chan *c, enum event_severity sev,
                   const struct alert *v, size_t n,
                   const struct store_alertq_msg *m, long status,
                   const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void
record(struct chan *c, enum event_severity sev, const struct alert *v, size_t n,
       const struct store_alertq_msg *m, long status, const char *fmt, ...)
{
	char msg[EVENT_MSG_MAX], st[24], att[16], id[24], cnt[16];
	struct event ev;
	va_list ap;

	if (c->w->conf.no_events)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	event_make(&ev, clock_wall_ms(), EV_ALERT, sev, n == 1 ? v[0].node : "",
	           n == 1 ? v[0].group : "", n == 1 ? v[0].network : "", "%s",
	           msg);
	snprintf(st, sizeof(st), "%ld", status);
	snprintf(att, sizeof(att), "%" PRIu32, m->attempts + 1);
	snprintf(id, sizeof(id), "%" PRIu64, m->id);
	snprintf(cnt, sizeof(cnt), "%zu", n);
	event_details(&ev, "channel", c->sc.name, "type",
	              sink_type_str(c->sc.type), "kind",
	              alert_msg_kind_str(m->kind), "#status", st, "#attempts",
	              att, "#message", id, "#alerts", cnt,
	              n == 1 ? "key" : NULL, n == 1 ? v[0].key : NULL, NULL);
	if (store_append(c->w->conf.store, &ev, NULL) != 0)
		wlog(c, LOG_LVL_WARN, "alert: cannot record an event for %s",
		     c->sc.name);
}

static void
set_error(struct chan *c, long status, const char *why)
{
	pthread_mutex_lock(&c->w->mu);
	c->st.last_status = status;
	util_strlcpy(c->st.last_error, why, sizeof(c->st.last_error));
	pthread_mutex_unlock(&c->w->mu);
}

static void
give_up(struct chan *c, const struct store_alertq_msg *m, const struct alert *v,
        size_t n, long status, const char *why)
{
	struct store *s = c->w->conf.store;

	if (store_alertq_failed(s, m->id, clock_wall_ms(), status, why) != 0)
		wlog(c, LOG_LVL_WARN,
		     "alert: cannot mark message %" PRIu64 " failed", m->id);
	pthread_mutex_lock(&c->w->mu);
	c->st.failed++;
	pthread_mutex_unlock(&c->w->mu);
	set_error(c, status, why);
	wlog(c, LOG_LVL_WARN, "alert: message %" PRIu64 " to %s dropped: %s",
	     m->id, c->sc.name, why);
	record(c, SEV_WARNING, v, n, m, status, "alert to %s failed: %.160s",
	       c->sc.name, why);
}

/* The log channel: the alerts as log lines. */
static int
deliver_log(struct chan *c, const struct alert *v, size_t n)
{
	struct sink_req rq;
	char *line, *save = NULL;

	if (c->ops->format(&c->sc, v, n, &rq) != 0)
		return -ENOMEM;
	for (line = strtok_r(rq.body, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		wlog(c, LOG_LVL_INFO, "alert: %s", line);
	sink_req_free(&rq);
	return 0;
}

/* Send one message and record the outcome. */
static void
deliver(struct chan *c, const struct store_alertq_msg *m, const struct alert *v,
        size_t n)
{
	const struct alert_worker_conf *k = &c->w->conf;
	const char *hdrs[SINK_MAX_HEADERS + 1];
	struct http_req req;
	struct http_resp resp = {0};
	struct sink_req rq;
	char err[256], why[256], body[160], where[160], dur[32];
	uint64_t retry_ms = 0, t0 = clock_mono_ms(), now;
	enum sink_outcome o;
	long status = 0;
	int rc;

	sink_redact(c->sc.url, where, sizeof(where));
	if (c->sc.type == SINK_LOG) {
		if (deliver_log(c, v, n) != 0) {
			give_up(c, m, v, n, 0, "cannot format");
			return;
		}
		o = SINK_DELIVERED;
		goto done;
	}
	if ((rc = c->ops->format(&c->sc, v, n, &rq)) != 0) {
		snprintf(why, sizeof(why), "cannot format the message: %s",
		         strerror(-rc));
		give_up(c, m, v, n, 0, why);
		return;
	}
	for (int i = 0; i < rq.nheaders; i++)
		hdrs[i] = rq.headers[i];
	hdrs[rq.nheaders] = NULL;
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = rq.url;
	req.body = rq.body;
	req.body_len = rq.len;
	req.content_type = "application/json";
	req.headers = hdrs;
	req.timeout_ms = (uint32_t)k->timeout_ms;
	req.max_body = MAX_BODY;
	t0 = clock_mono_ms();
	rc = http_do(&req, &resp, err, sizeof(err));
	sink_req_free(&rq);
	if (rc == 0)
		status = resp.status;
	o = c->ops->classify(status, rc == 0 ? resp.body : NULL,
	                     rc == 0 ? resp.len : 0,
	                     rc == 0 ? resp.retry_after_s : -1, &retry_ms);
	if (rc != 0)
		scrub(&c->sc, err, strlen(err), why, sizeof(why));
	else {
		scrub(&c->sc, resp.body ? resp.body : "", resp.len, body,
		      sizeof(body));
		snprintf(why, sizeof(why), "HTTP %ld%s%s", status,
		         body[0] ? ": " : "", body);
	}
	http_resp_free(&resp);
	now = clock_wall_ms();
	if (o == SINK_RETRY) {
		uint64_t d = retry_ms ? retry_ms + rnd(c) % (retry_ms / 10 + 1)
		                      : backoff(c, m->attempts);

		if (now + d > m->created_ms + k->give_up_ms) {
			char msg[300];

			snprintf(msg, sizeof(msg),
			         "gave up after %" PRIu32 " attempts: %s",
			         m->attempts + 1, why);
			give_up(c, m, v, n, status, msg);
			return;
		}
		if (store_alertq_retry(k->store, m->id, now + d, status, why) !=
		    0)
			wlog(c, LOG_LVL_WARN,
			     "alert: cannot reschedule message %" PRIu64,
			     m->id);
		pthread_mutex_lock(&c->w->mu);
		c->st.retried++;
		pthread_mutex_unlock(&c->w->mu);
		set_error(c, status, why);
		wlog(c, LOG_LVL_WARN,
		     "alert: %s (%s %s) attempt %" PRIu32 ": %s; retry in %s%s",
		     c->sc.name, sink_type_str(c->sc.type), where,
		     m->attempts + 1, why,
		     util_fmt_duration(d, dur, sizeof(dur)),
		     retry_ms ? " (the service's wait)" : "");
		return;
	}
	if (o == SINK_FAILED) {
		give_up(c, m, v, n, status, why);
		return;
	}
done:
	now = clock_wall_ms();
	if (store_alertq_delivered(k->store, m->id, now, status) != 0)
		wlog(c, LOG_LVL_WARN,
		     "alert: message %" PRIu64 " delivered but not marked: it "
		     "may be sent again",
		     m->id);
	pthread_mutex_lock(&c->w->mu);
	c->st.delivered++;
	c->st.last_status = status;
	c->st.last_ok_ms = now;
	c->st.last_error[0] = '\0';
	pthread_mutex_unlock(&c->w->mu);
	if (c->sc.type != SINK_LOG)
		wlog(c, LOG_LVL_INFO,
		     "alert: %zu alert%s delivered to %s (%s %s) in %" PRIu64
		     " ms, attempt %" PRIu32,
		     n, n == 1 ? "" : "s", c->sc.name,
		     sink_type_str(c->sc.type), where, clock_mono_ms() - t0,
		     m->attempts + 1);
	/* Alertmanager re-sends are routine (each minute): no event */
	if (m->kind != ALERT_MSG_RESEND)
		record(c, SEV_INFO, v, n, m, status,
		       "%s%zu alert%s delivered to %s",
		       m->kind == ALERT_MSG_TEST ? "test: " : "", n,
		       n == 1 ? "" : "s", c->sc.name);
}

static bool
stopping(struct alert_worker *w)
{
	bool s;

	pthread_mutex_lock(&w->mu);
	s = w->stop;
	pthread_mutex_unlock(&w->mu);
	return s;
}

/* Deliver what is due; return how long to sleep. */
static uint64_t
step(struct chan *c)
{
	const struct alert_worker_conf *k = &c->w->conf;

	while (!stopping(c->w)) {
		struct store_alertq_msg m;
		struct alert *v = NULL;
		size_t n = 0;
		uint64_t now, wait;
		int rc = store_alertq_head(k->store, c->sc.name, &m);

		if (rc == -ENOENT)
			return IDLE_MS;
		if (rc < 0) {
			char e[256];

			wlog(c, LOG_LVL_WARN, "alert queue of %s: %s",
			     c->sc.name, store_errmsg(k->store, e, sizeof(e)));
			return STORE_BACKOFF;
		}
		now = clock_wall_ms();
		if (m.next_ms > now) {
			store_alertq_msg_free(&m);
			wait = m.next_ms - now;
			return wait < IDLE_MS ? wait : IDLE_MS;
		}
		if (alert_json_decode(m.payload, strlen(m.payload), MAX_ALERTS,
		                      &v, &n) != 0) {
			give_up(c, &m, NULL, 0, 0, "unreadable queued message");
			store_alertq_msg_free(&m);
			continue;
		}
		if (now > m.created_ms + k->give_up_ms) {
			give_up(c, &m, v, n, 0, "too old to deliver");
		} else if ((wait = bucket_take(c, clock_mono_ms())) > 0) {
			pthread_mutex_lock(&c->w->mu);
			c->st.rate_limited++;
			pthread_mutex_unlock(&c->w->mu);
			free(v);
			store_alertq_msg_free(&m);
			return wait;
		} else
			deliver(c, &m, v, n);
		free(v);
		store_alertq_msg_free(&m);
	}
	return 0;
}

static void *
run(void *arg)
{
	struct chan *c = arg;
	struct alert_worker *w = c->w;

	for (;;) {
		uint64_t wait = step(c), until = clock_mono_ms() + wait;

		pthread_mutex_lock(&w->mu);
		while (!w->stop && !c->kicked) {
			uint64_t now = clock_mono_ms();
			struct timespec ts;

			if (now >= until)
				break;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += (time_t)((until - now) / 1000);
			ts.tv_nsec += (long)((until - now) % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&c->cv, &w->mu, &ts);
		}
		c->kicked = false;
		if (w->stop) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		pthread_mutex_unlock(&w->mu);
	}
	return NULL;
}

int
alert_worker_start(const struct alert_worker_conf *conf,
                   struct alert_worker **out, char *err, size_t errlen)
{
	struct alert_worker *w;
	pthread_condattr_t ca;

	*out = NULL;
	if (conf->store == NULL) {
		snprintf(err, errlen, "alert worker: no store");
		return -EINVAL;
	}
	for (size_t i = 0; i < conf->nsinks; i++)
		if (sink_ops_for(conf->sinks[i].type) == NULL) {
			snprintf(err, errlen, "channel %s: unknown type",
			         conf->sinks[i].name);
			return -EINVAL;
		}
	if (http_init() != 0) {
		snprintf(err, errlen, "alert worker: cannot initialise curl");
		return -EIO;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (conf->nsinks &&
	     (w->c = calloc(conf->nsinks, sizeof(*w->c))) == NULL)) {
		free(w);
		snprintf(err, errlen, "alert worker: out of memory");
		return -ENOMEM;
	}
	w->conf = *conf;
	w->conf.sinks = NULL;
	if (!w->conf.timeout_ms)
		w->conf.timeout_ms = 10000;
	if (!w->conf.retry_min_ms)
		w->conf.retry_min_ms = 1000;
	if (!w->conf.retry_max_ms)
		w->conf.retry_max_ms = 300000;
	if (w->conf.retry_max_ms < w->conf.retry_min_ms)
		w->conf.retry_max_ms = w->conf.retry_min_ms;
	if (!w->conf.give_up_ms)
		w->conf.give_up_ms = 24 * 3600 * 1000ull;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	w->n = conf->nsinks;
	for (size_t i = 0; i < w->n; i++) {
		struct chan *c = &w->c[i];

		c->w = w;
		c->sc = conf->sinks[i];
		c->ops = sink_ops_for(c->sc.type);
		c->tb_ms = clock_mono_ms();
		c->tokens = ceil(c->sc.per_minute / 60.0);
		c->rng = (clock_mono_ms() * 2654435761u) ^ (i + 1) ^
		         ((uint64_t)(uintptr_t)c << 16);
		if (c->rng == 0)
			c->rng = 88172645463325252ull;
		pthread_cond_init(&c->cv, &ca);
	}
	pthread_condattr_destroy(&ca);
	for (size_t i = 0; i < w->n; i++) {
		int rc = pthread_create(&w->c[i].th, NULL, run, &w->c[i]);

		if (rc != 0) {
			snprintf(err, errlen, "alert worker: thread: %s",
			         strerror(rc));
			alert_worker_stop(w);
			return -rc;
		}
		w->c[i].started = true;
	}
	*out = w;
	return 0;
}

void
alert_worker_kick(struct alert_worker *w, const char *channel)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	for (size_t i = 0; i < w->n; i++)
		if (channel == NULL || strcmp(w->c[i].sc.name, channel) == 0) {
			w->c[i].kicked = true;
			pthread_cond_signal(&w->c[i].cv);
		}
	pthread_mutex_unlock(&w->mu);
}

void
alert_worker_stop(struct alert_worker *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	for (size_t i = 0; i < w->n; i++)
		pthread_cond_signal(&w->c[i].cv);
	pthread_mutex_unlock(&w->mu);
	for (size_t i = 0; i < w->n; i++) {
		if (w->c[i].started)
			pthread_join(w->c[i].th, NULL);
		pthread_cond_destroy(&w->c[i].cv);
	}
	pthread_mutex_destroy(&w->mu);
	/* the channels' copies hold secrets */
	for (size_t i = 0; i < w->n; i++)
		sodium_memzero(&w->c[i].sc, sizeof(w->c[i].sc));
	free(w->c);
	free(w);
}

int
alert_worker_stats(struct alert_worker *w, const char *channel,
                   struct alert_worker_stats *out)
{
	int rc = -ENOENT;

	pthread_mutex_lock(&w->mu);
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->c[i].sc.name, channel) == 0) {
			*out = w->c[i].st;
			rc = 0;
			break;
		}
	pthread_mutex_unlock(&w->mu);
	return rc;
}
