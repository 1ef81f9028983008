/*
 * supervise_systemd.c: the node as a systemd unit, through `systemctl` and
 * `journalctl` (found on PATH, run without a shell, bounded in time and
 * output).  systemctl's text answers are the interface: the D-Bus API
 * would need a library and a bus connection for no gain here.
 */
#include "pilot/supervise.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/util.h"

#define SHOW_MAX    (64 * 1024)
#define JOURNAL_MAX (8 * 1024 * 1024)
#define UNIT_MAX    255
#define SHOW_PROPS                                                             \
	"LoadState,ActiveState,SubState,MainPID,ExecMainCode,"                 \
	"ExecMainStatus,ExecMainStartTimestampMonotonic,"                      \
	"ExecMainExitTimestampMonotonic,NRestarts,Result"
#define CURSOR_LINE "-- cursor: "

struct sysd {
	char unit[UNIT_MAX + 1];
	uint32_t timeout_ms;
	uint32_t logs_max_lines;
	bool have_prev; /* for events(): the last answer */
	struct supervise_state prev;
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

/* ---- `systemctl show` ---- */

static bool
key_is(const char *line, size_t klen, const char *key)
{
	return strlen(key) == klen && memcmp(line, key, klen) == 0;
}

static uint64_t
num(const char *v, size_t n)
{
	char buf[24];
	uint64_t x;

	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return util_parse_u64(buf, 0, UINT64_MAX, &x) == 0 ? x : 0;
}

static void
copy_val(char *dst, size_t dstlen, const char *v, size_t n)
{
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

/* A monotonic stamp (us) as wall-clock ms, 0 if unset. */
static uint64_t
mono_to_wall(uint64_t us, uint64_t now_wall_ms, uint64_t now_mono_ms)
{
	uint64_t ms = us / 1000;

	if (us == 0 || ms > now_mono_ms || now_mono_ms - ms > now_wall_ms)
		return 0;
	return now_wall_ms - (now_mono_ms - ms);
}

int
supervise_systemd_parse_show(const char *text, size_t len, uint64_t now_wall_ms,
                             uint64_t now_mono_ms, struct supervise_state *st,
                             char *err, size_t errlen)
{
	char load[32] = "", active[24] = "", sub[24] = "", result[32] = "";
	uint64_t code = 0, status = 0, pid = 0, nrestarts = 0;
	uint64_t start_us = 0, exit_us = 0;
	const char *p = text, *end = text + len;

	memset(st, 0, sizeof(*st));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *eq = memchr(p, '=', (size_t)(le - p));

		if (eq != NULL) {
			size_t kl = (size_t)(eq - p),
			       vl = (size_t)(le - eq - 1);
			const char *v = eq + 1;

			if (key_is(p, kl, "LoadState"))
				copy_val(load, sizeof(load), v, vl);
			else if (key_is(p, kl, "ActiveState"))
				copy_val(active, sizeof(active), v, vl);
			else if (key_is(p, kl, "SubState"))
				copy_val(sub, sizeof(sub), v, vl);
			else if (key_is(p, kl, "Result"))
				copy_val(result, sizeof(result), v, vl);
			else if (key_is(p, kl, "MainPID"))
				pid = num(v, vl);
			else if (key_is(p, kl, "ExecMainCode"))
				code = num(v, vl);
			else if (key_is(p, kl, "ExecMainStatus"))
				status = num(v, vl);
			else if (key_is(p, kl, "NRestarts"))
				nrestarts = num(v, vl);
			else if (key_is(p, kl,
			                "ExecMainStartTimestampMonotonic"))
				start_us = num(v, vl);
			else if (key_is(p, kl,
			                "ExecMainExitTimestampMonotonic"))
				exit_us = num(v, vl);
		}
		p = le + (nl != NULL);
	}
	if (active[0] == '\0') {
		util_strlcpy(st->status, "unknown", sizeof(st->status));
		set_err(err, errlen, "systemctl show: no ActiveState");
		return -EPROTO;
	}
	snprintf(st->status, sizeof(st->status), "%s/%s", active, sub);
	if (strcmp(load, "not-found") == 0)
		return -ENOENT;
	st->running = (strcmp(active, "active") == 0 ||
	               strcmp(active, "reloading") == 0) &&
	              strcmp(sub, "exited") != 0;
	st->pid = pid <= INT32_MAX ? (int64_t)pid : 0;
	st->started_at_ms = mono_to_wall(start_us, now_wall_ms, now_mono_ms);
	st->finished_at_ms = mono_to_wall(exit_us, now_wall_ms, now_mono_ms);
	/* ExecMainCode is a CLD_* code: 1 exited, 2 killed, 3 dumped */
	if (code >= 1 && code <= 3 && !st->running) {
		st->exited = true;
		if (code == 1) {
			st->exit_code = status <= 255 ? (int)status : -1;
		} else {
			st->exit_code = -1;
			st->exit_signal = status < 128 ? (int)status : 0;
		}
	}
	st->oom_killed = strcmp(result, "oom-kill") == 0;
	st->restart_count = nrestarts <= UINT32_MAX ? (uint32_t)nrestarts : 0;
	if (result[0] != '\0' && strcmp(result, "success") != 0)
		snprintf(st->error, sizeof(st->error), "result: %s", result);
	return 0;
}

/* ---- running systemctl ---- */

/* systemctl's complaint as an errno a caller can act on. */
static int
classify(const struct sysd *s, const char *verb, int status,
         const char *errtext, char *err, size_t errlen)
{
	if (strstr(errtext, "not found") || strstr(errtext, "not loaded") ||
	    strstr(errtext, "No such file")) {
		set_err(err, errlen, "no such unit '%s' (systemctl %s: %s)",
		        s->unit, verb, errtext);
		return -ENOENT;
	}
	if (strstr(errtext, "Access denied") ||
	    strstr(errtext, "authentication required") ||
	    strstr(errtext, "ermission denied")) {
		set_err(
		    err, errlen,
		    "systemctl %s %s: %s (run the pilot as root or allow it "
		    "through polkit)",
		    verb, s->unit, errtext);
		return -EACCES;
	}
	if (strstr(errtext, "not been booted with systemd")) {
		set_err(err, errlen, "systemd is not running here: %s",
		        errtext);
		return -ENOTSUP;
	}
	set_err(err, errlen, "systemctl %s %s failed (exit %d): %s", verb,
	        s->unit, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
	        errtext[0] ? errtext : "no message");
	return -EIO;
}

/* Run a systemctl verb on the unit; *out (caller frees) if out != NULL. */
static int
ctl(struct sysd *s, const char *const *argv, uint32_t timeout_ms, char **out,
    char *err, size_t errlen)
{
	char errtext[200], *buf = NULL;
	size_t len;
	int status, rc;

	if (out != NULL)
		*out = NULL;
	rc = supervise_run(argv, timeout_ms, SHOW_MAX, &buf, &len, &status,
	                   errtext, sizeof(errtext));
	if (rc < 0) {
		set_err(err, errlen, "%s %s %s: %s", argv[0], argv[1], s->unit,
		        errtext);
		return rc;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		rc = classify(s, argv[1], status, errtext, err, errlen);
		free(buf);
		return rc;
	}
	if (out != NULL)
		*out = buf;
	else
		free(buf);
	return 0;
}

static int
sysd_state(void *h, struct supervise_state *st, char *err, size_t errlen)
{
	struct sysd *s = h;
	const char *argv[] = {"systemctl", "show",  "-p",
	                      SHOW_PROPS,  s->unit, NULL};
	char *out;
	int rc;

	memset(st, 0, sizeof(*st));
	util_strlcpy(st->status, "unknown", sizeof(st->status));
	rc = ctl(s, argv, s->timeout_ms, &out, err, errlen);
	if (rc == 0) {
		rc = supervise_systemd_parse_show(
		    out, strlen(out), clock_wall_ms(), clock_mono_ms(), st, err,
		    errlen);
		free(out);
		if (rc == -ENOENT)
			set_err(err, errlen, "no such unit '%s'", s->unit);
	}
	if (rc < 0)
		util_strlcpy(st->error, err, sizeof(st->error));
	return rc;
}

static int
sysd_start(void *h, char *err, size_t errlen)
{
	struct sysd *s = h;
	const char *start[] = {"systemctl", "start", s->unit, NULL};
	const char *isact[] = {"systemctl", "is-active", s->unit, NULL};
	char errtext[200], *out = NULL;
	size_t len;
	int status, rc;

	/* start waits for the job: afterwards the unit has run or failed */
	if ((rc = ctl(s, start, s->timeout_ms, NULL, err, errlen)) < 0)
		return rc;
	/* is-active exits 3 when not active: its word is the answer */
	rc = supervise_run(isact, s->timeout_ms, 4096, &out, &len, &status,
	                   errtext, sizeof(errtext));
	if (rc < 0) {
		set_err(err, errlen, "systemctl is-active %s: %s", s->unit,
		        errtext);
		return rc;
	}
	out[strcspn(out, "\n")] = '\0';
	if (strcmp(out, "failed") == 0 || strcmp(out, "inactive") == 0) {
		struct supervise_state st;
		char how[SUPERVISE_ERR_MAX] = "";

		if (sysd_state(s, &st, how, sizeof(how)) == 0 && st.exited) {
			if (st.exit_signal > 0)
				snprintf(how, sizeof(how),
				         "killed by signal %d", st.exit_signal);
			else
				snprintf(how, sizeof(how), "exit status %d",
				         st.exit_code);
		}
		set_err(err, errlen, "unit '%s' is %s right after start%s%s",
		        s->unit, out, how[0] ? ": " : "", how);
		free(out);
		return -ECHILD;
	}
	free(out);
	return 0;
}

static int
kill9(struct sysd *s, char *err, size_t errlen)
{
	const char *argv[] = {"systemctl", "kill", "--signal=SIGKILL", s->unit,
	                      NULL};

	return ctl(s, argv, s->timeout_ms, NULL, err, errlen);
}

static int
sysd_stop(void *h, uint32_t timeout_ms, char *err, size_t errlen)
{
	struct sysd *s = h;
	const char *argv[] = {"systemctl", "stop", s->unit, NULL};
	int rc = ctl(s, argv, timeout_ms + s->timeout_ms, NULL, err, errlen);

	/* The unit's TimeoutStopSec is not ours: past our timeout, kill it,
	 * and systemd finishes the stop job. */
	if (rc == -ETIMEDOUT)
		rc = kill9(s, err, errlen);
	return rc;
}

static int
sysd_restart(void *h, uint32_t timeout_ms, char *err, size_t errlen)
{
	struct sysd *s = h;
	const char *argv[] = {"systemctl", "restart", s->unit, NULL};
	int rc = ctl(s, argv, timeout_ms + s->timeout_ms, NULL, err, errlen);

	if (rc == -ETIMEDOUT && (rc = kill9(s, err, errlen)) == 0)
		rc = sysd_start(s, err, errlen);
	return rc;
}

/* ---- journalctl ---- */

static int
sysd_logs(void *h, struct supervise_cursor *cur, supervise_line_fn fn,
          void *arg, char *err, size_t errlen)
{
	struct sysd *s = h;
	char since[32], lines[16], errtext[200], *out = NULL;
	const char *argv[16];
	size_t n = 0, len;
	int status, rc;

	argv[n++] = "journalctl";
	argv[n++] = "-u";
	argv[n++] = s->unit;
	if (cur->pos[0] != '\0') {
		argv[n++] = "--after-cursor";
		argv[n++] = cur->pos;
	} else if (cur->since_ms > 0) {
		snprintf(since, sizeof(since), "@%llu",
		         (unsigned long long)(cur->since_ms / 1000));
		argv[n++] = "--since";
		argv[n++] = since;
	}
	snprintf(lines, sizeof(lines), "%u", (unsigned)s->logs_max_lines);
	argv[n++] = "-n";
	argv[n++] = lines;
	argv[n++] = "-o";
	argv[n++] = "cat";
	argv[n++] = "--no-pager";
	argv[n++] = "-q";
	argv[n++] = "--show-cursor";
	argv[n] = NULL;
	rc = supervise_run(argv, s->timeout_ms, JOURNAL_MAX, &out, &len,
	                   &status, errtext, sizeof(errtext));
	if (rc < 0) {
		set_err(err, errlen, "journalctl -u %s: %s", s->unit, errtext);
		return rc;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		set_err(err, errlen, "journalctl -u %s failed (exit %d): %s",
		        s->unit, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		        errtext[0] ? errtext : "no message");
		free(out);
		return -EIO;
	}
	/* Only the very last line can be journalctl's cursor: a node that
	 * prints "-- cursor: " itself cannot move ours. */
	size_t end = len;

	if (end > 0 && out[end - 1] == '\n')
		end--;
	size_t ls = end;

	while (ls > 0 && out[ls - 1] != '\n')
		ls--;
	if (end - ls > strlen(CURSOR_LINE) &&
	    memcmp(out + ls, CURSOR_LINE, strlen(CURSOR_LINE)) == 0) {
		size_t cl = end - ls - strlen(CURSOR_LINE);

		if (cl < sizeof(cur->pos)) {
			memcpy(cur->pos, out + ls + strlen(CURSOR_LINE), cl);
			cur->pos[cl] = '\0';
		}
		end = ls;
	} else {
		end = len;
	}

	const char *p = out, *e = out + end;
	uint32_t budget = s->logs_max_lines;

	rc = 0;
	while (p < e && rc == 0 && budget > 0) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(e - p);
		size_t d = ll > SUPERVISE_LINE_MAX ? SUPERVISE_LINE_MAX : ll;

		if (d > 0 && p[d - 1] == '\r')
			d--;
		rc = fn(arg, SUPERVISE_STDOUT, p, d);
		budget--;
		p += ll + (nl != NULL);
	}
	free(out);
	return rc;
}

/* ---- events, from successive answers of `systemctl show` ---- */

static int
sysd_events(void *h, struct supervise_cursor *cur, supervise_event_fn fn,
            void *arg, char *err, size_t errlen)
{
	struct sysd *s = h;
	struct supervise_state now;
	struct supervise_event ev;
	uint64_t t = clock_wall_ms();
	int rc = sysd_state(s, &now, err, errlen);

	if (rc < 0)
		return rc;
	if (!s->have_prev) {
		s->prev = now;
		s->have_prev = true;
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.time_ms = t;
	if (s->prev.running && (!now.running || now.pid != s->prev.pid)) {
		ev.kind = SUPERVISE_EV_DIE;
		ev.exit_known = now.exited;
		ev.exit_code = now.exit_code;
		ev.exit_signal = now.exit_signal;
		if (now.oom_killed) {
			struct supervise_event oom = ev;

			oom.kind = SUPERVISE_EV_OOM;
			if ((rc = fn(arg, &oom)) != 0)
				goto out;
		}
		if ((rc = fn(arg, &ev)) != 0)
			goto out;
	}
	if (now.restart_count > s->prev.restart_count) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = SUPERVISE_EV_RESTART;
		ev.time_ms = t;
		if ((rc = fn(arg, &ev)) != 0)
			goto out;
	}
	if (now.running && (!s->prev.running || now.pid != s->prev.pid)) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = SUPERVISE_EV_START;
		ev.time_ms = t;
		rc = fn(arg, &ev);
	}
out:
	s->prev = now;
	snprintf(cur->pos, sizeof(cur->pos), "%llu", (unsigned long long)t);
	return rc;
}

/* ---- handle ---- */

static bool
valid_unit(const char *u)
{
	size_t n = strlen(u);

	if (n == 0 || n > UNIT_MAX || u[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)u[i]) && !strchr(":_.@-\\", u[i]))
			return false;
	return true;
}

static int
sysd_open(const struct supervise_conf *c, void **h, char *err, size_t errlen)
{
	struct sysd *s;

	*h = NULL;
	if (c->target == NULL || !valid_unit(c->target)) {
		set_err(err, errlen, "systemd backend: bad unit name '%s'",
		        c->target ? c->target : "");
		return -EINVAL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	util_strlcpy(s->unit, c->target, sizeof(s->unit));
	s->timeout_ms = c->call_timeout_ms ? c->call_timeout_ms : 10000;
	s->logs_max_lines = c->logs_max_lines ? c->logs_max_lines : 2000;
	*h = s;
	return 0;
}

static void
sysd_close(void *h)
{
	free(h);
}

const struct supervise_ops supervise_systemd_ops = {
    .name = "systemd",
    .open = sysd_open,
    .state = sysd_state,
    .start = sysd_start,
    .stop = sysd_stop,
    .restart = sysd_restart,
    .logs = sysd_logs,
    .events = sysd_events,
    .close = sysd_close,
};
