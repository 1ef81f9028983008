/*
 * supervise_docker.c: the node as a container, through the Docker Engine
 * API v1.41 over its unix socket (dockerd, or podman's compatible service).
 * Every call is one bounded HTTP request through common/http.h; events are
 * polled with since/until rather than followed, so nothing stays open.
 */
#include "pilot/supervise.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/http.h"
#include "common/util.h"
#include "pilot/dockerlog.h"

#define DOCKER_API           "/v1.41"
#define DOCKER_SOCK_DEFAULT  "/var/run/docker.sock"
#define DOCKER_NAME_MAX      128
#define DOCKER_SMALL_BODY    (1024 * 1024)
#define DOCKER_LOGS_BODY_MAX (8 * 1024 * 1024)

struct dock {
	char target[DOCKER_NAME_MAX + 1];
	char sock[108]; /* sun_path */
	uint32_t timeout_ms;
	uint32_t logs_max_lines;
	int tty;    /* Config.Tty: -1 unknown, 0, 1 */
	int engine; /* -1 unknown, 0 docker, 1 podman */
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- pure parsers ---- */

static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

static bool
digits(const char *s, size_t n, unsigned *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return true;
}

int
supervise_docker_parse_time(const char *s, size_t len, int64_t *ns)
{
	unsigned Y, M, D, h, m, sec, oh = 0, om = 0;
	int64_t frac = 0, t;
	int sign = 0;
	size_t i = 19;

	*ns = 0;
	if (len < 20 || len > 64 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' ||
	    s[16] != ':' || !digits(s, 4, &Y) || !digits(s + 5, 2, &M) ||
	    !digits(s + 8, 2, &D) || !digits(s + 11, 2, &h) ||
	    !digits(s + 14, 2, &m) || !digits(s + 17, 2, &sec))
		return -EINVAL;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return -EINVAL;
	if (s[i] == '.') {
		int64_t scale = 100000000;
		size_t nd = 0;

		for (i++; i < len && isdigit((unsigned char)s[i]); i++, nd++)
			if (nd < 9) {
				frac += (s[i] - '0') * scale;
				scale /= 10;
			}
		if (nd == 0)
			return -EINVAL;
	}
	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i + 6 <= len && (s[i] == '+' || s[i] == '-') &&
	           s[i + 3] == ':' && digits(s + i + 1, 2, &oh) &&
	           digits(s + i + 4, 2, &om) && oh < 24 && om < 60) {
		sign = s[i] == '+' ? -1 : 1; /* to UTC */
		i += 6;
	} else {
		return -EINVAL;
	}
	if (i != len)
		return -EINVAL;
	if (Y < 1970)
		return 0; /* Go's zero time: "never" */
	t = days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + sec;
	t += sign * ((int64_t)oh * 3600 + om * 60);
	if (t > INT64_MAX / 1000000000 - 1)
		return -EINVAL;
	*ns = t * 1000000000 + frac;
	return 0;
}

static const cJSON *
jget(const cJSON *o, const char *k)
{
	return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, k)
	                         : NULL;
}

static bool
jbool(const cJSON *o, const char *k)
{
	return cJSON_IsTrue(jget(o, k));
}

static int64_t
jint(const cJSON *o, const char *k, int64_t def)
{
	const cJSON *v = jget(o, k);

	if (!cJSON_IsNumber(v) || v->valuedouble != v->valuedouble ||
	    v->valuedouble > 9.0e15 || v->valuedouble < -9.0e15)
		return def;
	return (int64_t)v->valuedouble;
}

/* timeNano is past 2^53: a double keeps it to 256 ns, enough here. */
static int64_t
jtime_ns(const cJSON *o, const char *k)
{
	const cJSON *v = jget(o, k);

	if (!cJSON_IsNumber(v) || !(v->valuedouble > 0) ||
	    v->valuedouble >= 9.2e18)
		return -1;
	return (int64_t)v->valuedouble;
}

static const char *
jstr(const cJSON *o, const char *k)
{
	const cJSON *v = jget(o, k);

	return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

static uint64_t
jtime_ms(const cJSON *o, const char *k)
{
	const char *s = jstr(o, k);
	int64_t ns;

	if (s == NULL || supervise_docker_parse_time(s, strlen(s), &ns) < 0 ||
	    ns <= 0)
		return 0;
	return (uint64_t)(ns / 1000000);
}

int
supervise_docker_parse_inspect(const char *body, size_t len,
                               struct supervise_state *st, bool *tty, char *err,
                               size_t errlen)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	const cJSON *state, *health;
	const char *status, *s;
	int64_t v;

	memset(st, 0, sizeof(*st));
	*tty = false;
	state = jget(root, "State");
	if (root == NULL || !cJSON_IsObject(state) ||
	    (status = jstr(state, "Status")) == NULL) {
		cJSON_Delete(root);
		set_err(err, errlen,
		        "docker engine: inspect answer without State.Status");
		return -EPROTO;
	}
	util_strlcpy(st->status, status, sizeof(st->status));
	/* a paused container is Running too: the Status word decides */
	st->running = strcmp(status, "running") == 0;
	v = jint(state, "Pid", 0);
	st->pid = v > 0 && v <= INT32_MAX ? v : 0;
	st->oom_killed = jbool(state, "OOMKilled");
	st->started_at_ms = jtime_ms(state, "StartedAt");
	st->finished_at_ms = jtime_ms(state, "FinishedAt");
	st->exited = !st->running && st->finished_at_ms > 0;
	v = jint(state, "ExitCode", 0);
	st->exit_code = v >= INT32_MIN && v <= INT32_MAX ? (int)v : -1;
	v = jint(root, "RestartCount", 0);
	st->restart_count = v > 0 && v <= UINT32_MAX ? (uint32_t)v : 0;
	if ((s = jstr(state, "Error")) != NULL)
		util_strlcpy(st->error, s, sizeof(st->error));
	health = jget(state, "Health");
	if ((s = jstr(health, "Status")) != NULL)
		util_strlcpy(st->health, s, sizeof(st->health));
	*tty = jbool(jget(root, "Config"), "Tty");
	cJSON_Delete(root);
	return 0;
}

static int
event_kind(const char *action)
{
	if (action == NULL)
		return 0;
	if (strcmp(action, "die") == 0 || strcmp(action, "died") == 0)
		return SUPERVISE_EV_DIE;
	if (strcmp(action, "oom") == 0)
		return SUPERVISE_EV_OOM;
	if (strcmp(action, "restart") == 0)
		return SUPERVISE_EV_RESTART;
	if (strcmp(action, "start") == 0)
		return SUPERVISE_EV_START;
	return 0;
}

int
supervise_docker_parse_events(const char *body, size_t len, uint64_t *last_ns,
                              supervise_event_fn fn, void *arg)
{
	const char *p = body, *end = body + len;
	uint64_t last = *last_ns;
	int rc = 0;

	while (rc == 0) {
		const char *next = NULL;
		const cJSON *attrs;
		cJSON *o;
		const char *type, *code;
		struct supervise_event ev;
		int64_t tn, tsec;
		int kind;

		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p >= end)
			break;
		o = cJSON_ParseWithLengthOpts(p, (size_t)(end - p), &next,
		                              false);
		if (o == NULL || next == NULL || next <= p) {
			cJSON_Delete(o);
			rc = -EPROTO;
			break;
		}
		p = next;
		type = jstr(o, "Type");
		kind = event_kind(jstr(o, "Action"));
		if (kind == 0 && jstr(o, "Action") == NULL)
			kind = event_kind(jstr(o, "status")); /* old engines */
		tn = jtime_ns(o, "timeNano");
		tsec = jint(o, "time", -1);
		if (tn <= 0 && tsec > 0 && tsec < INT64_MAX / 1000000000)
			tn = tsec * 1000000000;
		if (kind == 0 || tn <= 0 || (uint64_t)tn <= *last_ns ||
		    (type != NULL && strcmp(type, "container") != 0)) {
			cJSON_Delete(o);
			continue;
		}
		memset(&ev, 0, sizeof(ev));
		ev.kind = (enum supervise_event_kind)kind;
		ev.time_ms = (uint64_t)tn / 1000000;
		attrs = jget(jget(o, "Actor"), "Attributes");
		code = jstr(attrs, "exitCode");
		if (code == NULL)
			code = jstr(attrs, "containerExitCode");
		if (kind == SUPERVISE_EV_DIE && code != NULL) {
			int64_t c;

			if (util_parse_i64(code, INT32_MIN, INT32_MAX, &c) ==
			    0) {
				ev.exit_known = true;
				ev.exit_code = (int)c;
			}
		}
		if ((uint64_t)tn > last)
			last = (uint64_t)tn;
		cJSON_Delete(o);
		rc = fn(arg, &ev);
	}
	*last_ns = last;
	return rc;
}

/* ---- talking to the engine ---- */

/* Names as the engine allows them ([a-zA-Z0-9][a-zA-Z0-9_.-]*) or ids:
 * nothing that needs escaping in a URL path. */
static bool
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > DOCKER_NAME_MAX || !isalnum((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

/* Why the socket did not answer, in words a user can act on. */
static int
socket_problem(const struct dock *d, int rc, const char *why, char *err,
               size_t errlen)
{
	struct stat st;
	int se = stat(d->sock, &st) < 0 ? errno : 0;

	if (se != 0 && se != EACCES) {
		set_err(err, errlen,
		        "no container engine socket at %s (%s; is the engine "
		        "running? set DOCKER_HOST=unix:///path)",
		        d->sock, strerror(se));
		return -ECONNREFUSED;
	}
	if (se == EACCES ||
	    (access(d->sock, R_OK | W_OK) < 0 && errno == EACCES)) {
		set_err(err, errlen,
		        "permission denied on %s: add the pilot's user to the "
		        "docker group",
		        d->sock);
		return -EACCES;
	}
	if (rc == -ECONNREFUSED)
		set_err(err, errlen,
		        "container engine at %s refused the connection (is it "
		        "running?)",
		        d->sock);
	else
		set_err(err, errlen, "container engine at %s: %s", d->sock,
		        why);
	return rc;
}

/* The engine's {"message": ...}, or the start of the body. */
static void
engine_message(const struct http_resp *r, char *out, size_t outlen)
{
	cJSON *o = r->body ? cJSON_ParseWithLength(r->body, r->len) : NULL;
	const char *m = jstr(o, "message");
	size_t i;

	util_strlcpy(out, m ? m : (r->body ? r->body : ""), outlen);
	cJSON_Delete(o);
	for (i = 0; out[i] != '\0'; i++)
		if (out[i] == '\n' || out[i] == '\r' ||
		    (unsigned char)out[i] < 0x20)
			out[i] = ' ';
	while (i > 0 && out[i - 1] == ' ')
		out[--i] = '\0';
}

static int
api(struct dock *d, const char *method, const char *path, uint32_t extra_ms,
    size_t max_body, struct http_resp *r, char *err, size_t errlen)
{
	char url[512], why[SUPERVISE_ERR_MAX] = "";
	struct http_req q = {
	    .method = method,
	    .url = url,
	    .unix_socket = d->sock,
	    .timeout_ms = d->timeout_ms + extra_ms,
	    .max_body = max_body,
	};
	int rc;

	memset(r, 0, sizeof(*r));
	if ((size_t)snprintf(url, sizeof(url), "http://localhost%s", path) >=
	    sizeof(url)) {
		set_err(err, errlen, "request path too long");
		return -ENAMETOOLONG;
	}
	if (strcmp(method, "POST") == 0) {
		q.body = "";
		q.body_len = 0;
	}
	if ((rc = http_init()) < 0) {
		set_err(err, errlen, "cannot initialise libcurl");
		return rc;
	}
	rc = http_do(&q, r, why, sizeof(why));
	if (rc == -EMSGSIZE) {
		set_err(err, errlen,
		        "container engine: answer to %s %s over %zu bytes",
		        method, path, max_body);
		return rc;
	}
	if (rc < 0)
		return socket_problem(d, rc, why, err, errlen);
	return 0;
}

/* Map an answer's status to 0/-errno; 304 is success for start/stop. */
static int
api_status(const struct dock *d, const char *what, const struct http_resp *r,
           char *err, size_t errlen)
{
	char msg[160];

	if (r->status >= 200 && r->status < 300)
		return 0;
	if (r->status == 304)
		return 0; /* already started / already stopped */
	engine_message(r, msg, sizeof(msg));
	if (r->status == 404) {
		set_err(err, errlen, "no such container '%s'", d->target);
		return -ENOENT;
	}
	if (r->status == 409) {
		set_err(err, errlen, "container '%s': %s refused: %s",
		        d->target, what, msg);
		return -EBUSY;
	}
	set_err(err, errlen, "container '%s': %s failed: HTTP %ld: %s",
	        d->target, what, r->status, msg);
	return -EIO;
}

static int
dock_state(void *h, struct supervise_state *st, char *err, size_t errlen)
{
	struct dock *d = h;
	struct http_resp r;
	char path[256];
	bool tty;
	int rc;

	memset(st, 0, sizeof(*st));
	util_strlcpy(st->status, "unknown", sizeof(st->status));
	snprintf(path, sizeof(path), DOCKER_API "/containers/%s/json",
	         d->target);
	rc = api(d, "GET", path, 0, DOCKER_SMALL_BODY, &r, err, errlen);
	if (rc == 0)
		rc = api_status(d, "inspect", &r, err, errlen);
	if (rc == 0)
		rc = supervise_docker_parse_inspect(r.body, r.len, st, &tty,
		                                    err, errlen);
	http_resp_free(&r);
	if (rc < 0) {
		util_strlcpy(st->status, "unknown", sizeof(st->status));
		util_strlcpy(st->error, err, sizeof(st->error));
		return rc;
	}
	d->tty = tty;
	return 0;
}

static int
post(struct dock *d, const char *verb, uint32_t timeout_ms, char *err,
     size_t errlen)
{
	struct http_resp r;
	char path[256];
	int rc;

	if (timeout_ms == UINT32_MAX)
		snprintf(path, sizeof(path), DOCKER_API "/containers/%s/%s",
		         d->target, verb);
	else
		snprintf(path, sizeof(path),
		         DOCKER_API "/containers/%s/%s?t=%u", d->target, verb,
		         (unsigned)((timeout_ms + 999) / 1000));
	/* the engine waits up to t before it answers */
	rc = api(d, "POST", path,
	         timeout_ms == UINT32_MAX ? 0 : timeout_ms + 1000, 4096, &r,
	         err, errlen);
	if (rc == 0)
		rc = api_status(d, verb, &r, err, errlen);
	http_resp_free(&r);
	return rc;
}

static int
dock_start(void *h, char *err, size_t errlen)
{
	return post(h, "start", UINT32_MAX, err, errlen);
}

static int
dock_stop(void *h, uint32_t timeout_ms, char *err, size_t errlen)
{
	return post(h, "stop", timeout_ms, err, errlen);
}

static int
dock_restart(void *h, uint32_t timeout_ms, char *err, size_t errlen)
{
	return post(h, "restart", timeout_ms, err, errlen);
}

/* ---- logs ---- */

struct logctx {
	supervise_line_fn fn;
	void *arg;
	int64_t skip_ns;    /* lines at this time already seen ... */
	unsigned skip_left; /* ... this many of them */
	int64_t last_ns;
	unsigned last_count;
	uint32_t budget;
};

/* Strip the engine's timestamp; deliver each line once across calls. */
static int
log_line(void *arg, enum supervise_stream stream, const char *line, size_t len)
{
	struct logctx *c = arg;
	const char *sp = memchr(line, ' ', len);
	int64_t ns;

	if (sp != NULL &&
	    supervise_docker_parse_time(line, (size_t)(sp - line), &ns) == 0 &&
	    ns > 0) {
		if (ns < c->skip_ns)
			return 0;
		if (ns == c->skip_ns && c->skip_left > 0) {
			c->skip_left--;
			return 0;
		}
		if (ns == c->last_ns) {
			c->last_count++;
		} else if (ns > c->last_ns) {
			c->last_ns = ns;
			c->last_count = 1;
		}
		len -= (size_t)(sp + 1 - line);
		line = sp + 1;
	}
	if (c->budget == 0)
		return 0;
	c->budget--;
	return c->fn(c->arg, stream, line, len);
}

static int
dock_logs(void *h, struct supervise_cursor *cur, supervise_line_fn fn,
          void *arg, char *err, size_t errlen)
{
	struct dock *d = h;
	struct logctx c = {.fn = fn, .arg = arg, .budget = d->logs_max_lines};
	struct dockerlog *dl;
	struct http_resp r;
	char path[384];
	long long sec;
	size_t max_body;
	int rc, frc;

	if (cur->pos[0] != '\0') {
		long long ns;
		unsigned cnt;

		if (sscanf(cur->pos, "%lld %u", &ns, &cnt) != 2 || ns < 0) {
			set_err(err, errlen, "bad log cursor '%s'", cur->pos);
			return -EINVAL;
		}
		c.skip_ns = ns;
		c.skip_left = cnt;
	} else {
		c.skip_ns = (int64_t)cur->since_ms * 1000000;
	}
	c.last_ns = c.skip_ns;
	c.last_count = c.skip_left;
	if (d->tty < 0) {
		struct supervise_state st;

		if ((rc = dock_state(d, &st, err, errlen)) < 0)
			return rc;
	}
	sec = c.skip_ns / 1000000000;
	snprintf(path, sizeof(path),
	         DOCKER_API "/containers/%s/logs?stdout=1&stderr=1&timestamps=1"
	                    "&follow=0"
	                    "&tail=%u&since=%lld",
	         d->target, (unsigned)d->logs_max_lines, sec);
	max_body = (size_t)d->logs_max_lines * (SUPERVISE_LINE_MAX + 48);
	if (max_body > DOCKER_LOGS_BODY_MAX)
		max_body = DOCKER_LOGS_BODY_MAX;
	rc = api(d, "GET", path, 0, max_body, &r, err, errlen);
	if (rc == 0)
		rc = api_status(d, "logs", &r, err, errlen);
	if (rc < 0) {
		http_resp_free(&r);
		return rc;
	}
	if ((dl = malloc(sizeof(*dl))) == NULL) {
		http_resp_free(&r);
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	dockerlog_init(dl, d->tty == 1);
	rc = dockerlog_feed(dl, r.body, r.len, log_line, &c);
	frc = dockerlog_finish(dl, log_line, &c);
	if (rc == 0)
		rc = frc;
	free(dl);
	http_resp_free(&r);
	snprintf(cur->pos, sizeof(cur->pos), "%lld %u", (long long)c.last_ns,
	         c.last_count);
	if (rc == -EPROTO)
		set_err(err, errlen,
		        "container '%s': log stream out of step (Tty %s)",
		        d->target, d->tty == 1 ? "true" : "false");
	return rc;
}

/* ---- events ---- */

static void
url_escape(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s != '\0' && o + 4 < outlen; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' ||
		    ch == '~') {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
}

/*
 * Which engine answers: podman 4.3's compatible /events returns nothing
 * or a part when until is not in the future (its file reader races the
 * deadline), so for podman its own endpoint with stream=false is used.
 */
static bool
is_podman(struct dock *d)
{
	struct http_resp r;
	char err[SUPERVISE_ERR_MAX];

	if (d->engine >= 0)
		return d->engine == 1;
	/* podman answers its own ping; dockerd refuses API "4.0.0" */
	if (api(d, "GET", "/v4.0.0/libpod/_ping", 0, 4096, &r, err,
	        sizeof(err)) < 0) {
		http_resp_free(&r);
		return false; /* ask again next time */
	}
	d->engine = r.status == 200 ? 1 : 0;
	http_resp_free(&r);
	return d->engine == 1;
}

static int
dock_events(void *h, struct supervise_cursor *cur, supervise_event_fn fn,
            void *arg, char *err, size_t errlen)
{
	struct dock *d = h;
	char filters[256], esc[768], path[1280];
	unsigned long long last_ns = 0, since_s;
	unsigned long long until_s = clock_wall_ms() / 1000;
	struct http_resp r;
	uint64_t last;
	int rc;

	if (cur->pos[0] != '\0') {
		if (sscanf(cur->pos, "%llu %llu", &last_ns, &since_s) != 2) {
			set_err(err, errlen, "bad event cursor '%s'", cur->pos);
			return -EINVAL;
		}
	} else {
		since_s = cur->since_ms / 1000;
		last_ns = (unsigned long long)cur->since_ms * 1000000;
		if (last_ns > 0)
			last_ns--; /* since is inclusive */
	}
	/* No "event" filter: podman knows "die" as "died" there.  The
	 * parser keeps only the kinds we report. */
	snprintf(filters, sizeof(filters),
	         "{\"type\":[\"container\"],\"container\":[\"%s\"]}",
	         d->target);
	url_escape(filters, esc, sizeof(esc));
	if (is_podman(d))
		snprintf(
		    path, sizeof(path),
		    "/v4.0.0/libpod/events?stream=false&since=%llu&filters=%s",
		    since_s, esc);
	else /* until makes the engine answer and close, not stream */
		snprintf(path, sizeof(path),
		         DOCKER_API "/events?since=%llu&until=%llu&filters=%s",
		         since_s, until_s, esc);
	rc = api(d, "GET", path, 0, DOCKER_SMALL_BODY, &r, err, errlen);
	if (rc == 0)
		rc = api_status(d, "events", &r, err, errlen);
	if (rc < 0) {
		http_resp_free(&r);
		return rc;
	}
	last = last_ns;
	rc = supervise_docker_parse_events(r.body, r.len, &last, fn, arg);
	http_resp_free(&r);
	/* Keep a second of overlap: an event logged in the second of until
	 * but after this answer comes next time; timeNano drops repeats. */
	if (until_s > 0 && until_s - 1 > since_s)
		since_s = until_s - 1;
	snprintf(cur->pos, sizeof(cur->pos), "%llu %llu",
	         (unsigned long long)last, since_s);
	if (rc == -EPROTO)
		set_err(err, errlen, "container engine: bad /events answer");
	return rc;
}

/* ---- handle ---- */

static int
dock_open(const struct supervise_conf *c, void **h, char *err, size_t errlen)
{
	const char *host = c->docker_host;
	const char *path;
	struct dock *d;

	*h = NULL;
	if (c->target == NULL || !valid_name(c->target)) {
		set_err(err, errlen,
		        "docker backend: bad container name '%s' (letters, "
		        "digits, '_', '.', '-', at most %d)",
		        c->target ? c->target : "", DOCKER_NAME_MAX);
		return -EINVAL;
	}
	if (host == NULL || host[0] == '\0')
		host = getenv("DOCKER_HOST");
	if (host == NULL || host[0] == '\0')
		path = DOCKER_SOCK_DEFAULT;
	else if (strncmp(host, "unix://", 7) == 0)
		path = host + 7;
	else {
		set_err(err, errlen,
		        "DOCKER_HOST '%s' is not a unix:// socket: the pilot "
		        "talks to the local engine only",
		        host);
		return -EPROTONOSUPPORT;
	}
	if (path[0] != '/') {
		set_err(err, errlen,
		        "docker socket '%s' must be an absolute "
		        "path",
		        path);
		return -EINVAL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (util_strcpy_checked(d->sock, path, sizeof(d->sock)) < 0) {
		free(d);
		set_err(err, errlen, "docker socket path too long: '%s'", path);
		return -ENAMETOOLONG;
	}
	util_strlcpy(d->target, c->target, sizeof(d->target));
	d->timeout_ms = c->call_timeout_ms ? c->call_timeout_ms : 10000;
	d->logs_max_lines = c->logs_max_lines ? c->logs_max_lines : 2000;
	d->tty = -1;
	d->engine = -1;
	*h = d;
	return 0;
}

static void
dock_close(void *h)
{
	free(h);
}

const struct supervise_ops supervise_docker_ops = {
    .name = "docker",
    .open = dock_open,
    .state = dock_state,
    .start = dock_start,
    .stop = dock_stop,
    .restart = dock_restart,
    .logs = dock_logs,
    .events = dock_events,
    .close = dock_close,
};
