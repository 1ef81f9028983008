/*
 * supervise_process.c: the node as a child process of the pilot.
 *
 * fork/execve (no shell, no PATH search) in its own process group, with the
 * pilot's descriptors closed.  stdout and stderr go through one pipe to a
 * reader thread that appends them to a size-rotated log file: a thread, not
 * the main loop, so that a slow probe never leaves the pipe full and the
 * node blocked on a log write.  The node gets PR_SET_PDEATHSIG(SIGTERM): it
 * lives only as long as its supervisor, because an orphan would run
 * unsupervised and a restarted pilot would start a second node beside it.
 * The pilot must not reap with waitpid(-1) nor ignore SIGCHLD.
 */
#include "pilot/supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

extern char **environ;

#define LAST_MAX     200
#define EVQ_MAX      16
#define DRAIN_READS  64 /* a straggler writing on cannot hold stop() */
#define KILL_WAIT_MS 5000
#define LREAD_BUF    65536 /* > SUPERVISE_LINE_MAX */

/* The reader thread's state.  Only the thread touches the file. */
struct pump {
	pthread_t tid;
	bool running;
	int rfd;     /* pipe read end, non-blocking */
	int wake[2]; /* tell the thread to drain and end */
	int fd;      /* log file, -1 after a failed rotation */
	const char *path;
	uint64_t max;
	uint32_t keep;
	uint64_t size;
	char cur[LAST_MAX]; /* the line being written */
	size_t curlen;
	pthread_mutex_t mu;  /* guards last and werr */
	char last[LAST_MAX]; /* last non-empty line */
	int werr;            /* first write error, errno */
	char buf[16384];
};

struct proc {
	char *target;
	char **argv;
	char **envp; /* NULL: inherit */
	char *workdir;
	char *log_path;
	uint64_t log_max;
	uint32_t log_keep;
	uint32_t start_check_ms;
	uint32_t logs_max_lines;
	uint32_t call_timeout_ms;

	pid_t pid; /* running (or not yet reaped), 0 if none */
	uint32_t starts;
	uint64_t started_at_ms;
	uint64_t finished_at_ms;
	bool exited;
	int exit_code;
	int exit_signal;
	char reap_err[96];

	struct pump *pump;
	struct supervise_event evq[EVQ_MAX];
	unsigned evn;
	uint64_t ev_dropped;
};

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

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

/* ---- log file and its reader thread ---- */

static int
log_open(struct pump *p)
{
	struct stat st;

	p->fd = open(p->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (p->fd < 0)
		return -errno;
	p->size = fstat(p->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

static void
note_werr(struct pump *p, int e)
{
	pthread_mutex_lock(&p->mu);
	if (p->werr == 0)
		p->werr = e;
	pthread_mutex_unlock(&p->mu);
}

/* node.log.K-1 -> node.log.K ... node.log -> node.log.1, a new node.log. */
static void
log_rotate(struct pump *p)
{
	char from[PATH_MAX], to[PATH_MAX];

	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	if (p->keep == 0) {
		unlink(p->path);
	} else {
		for (uint32_t i = p->keep; i >= 1; i--) {
			if (i == 1)
				snprintf(from, sizeof(from), "%s", p->path);
			else
				snprintf(from, sizeof(from), "%s.%u", p->path,
				         (unsigned)(i - 1));
			snprintf(to, sizeof(to), "%s.%u", p->path, (unsigned)i);
			if (rename(from, to) < 0 && errno != ENOENT)
				note_werr(p, errno);
		}
	}
	if (log_open(p) < 0)
		note_werr(p, errno);
}

static void
log_write(struct pump *p, const char *b, size_t n)
{
	while (n > 0) {
		ssize_t w;

		if (p->fd < 0)
			return; /* dropped: the node must not block */
		w = write(p->fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			note_werr(p, w < 0 ? errno : EIO);
			return;
		}
		p->size += (uint64_t)w;
		b += w;
		n -= (size_t)w;
	}
}

/* Keep the last line for messages about a node that died at once. */
static void
track_last(struct pump *p, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (b[i] == '\n') {
			if (p->curlen == 0)
				continue;
			pthread_mutex_lock(&p->mu);
			memcpy(p->last, p->cur, p->curlen);
			p->last[p->curlen] = '\0';
			pthread_mutex_unlock(&p->mu);
			p->curlen = 0;
		} else if (b[i] != '\r' && p->curlen < sizeof(p->cur) - 1) {
			p->cur[p->curlen++] = b[i];
		}
	}
}

/*
 * Append, rotating before the file would pass max.  A chunk is split after
 * its last newline that still fits, so files end between lines; only a
 * single line longer than max makes a file larger than max.
 */
static void
pump_out(struct pump *p, const char *b, size_t n)
{
	track_last(p, b, n);
	if (p->fd < 0 && log_open(p) < 0)
		return; /* dropped: the node must not block */
	while (n > 0 && p->size + n > p->max) {
		size_t room = p->size < p->max ? p->max - p->size : 0;
		size_t k = 0;

		if (room > n)
			room = n;
		for (size_t i = room; i > 0; i--)
			if (b[i - 1] == '\n') {
				k = i;
				break;
			}
		if (k == 0 && p->size == 0) {
			const char *nl = memchr(b, '\n', n);

			k = nl ? (size_t)(nl - b) + 1 : n;
		}
		log_write(p, b, k);
		b += k;
		n -= k;
		if (n == 0)
			return;
		log_rotate(p);
		if (p->fd < 0 || p->size > 0)
			break; /* could not rotate: append or drop */
	}
	log_write(p, b, n);
}

static void *
pump_main(void *arg)
{
	struct pump *p = arg;
	struct pollfd pf[2] = {{p->rfd, POLLIN, 0}, {p->wake[0], POLLIN, 0}};
	int draining = 0;

	for (;;) {
		ssize_t n;

		if (!draining) {
			if (poll(pf, 2, -1) < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			if (pf[1].revents)
				draining = 1;
		}
		n = read(p->rfd, p->buf, sizeof(p->buf));
		if (n > 0) {
			pump_out(p, p->buf, (size_t)n);
			if (draining && ++draining > DRAIN_READS)
				break;
			continue;
		}
		if (n == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN && !draining)
			continue;
		break;
	}
	if (p->curlen > 0) {
		pthread_mutex_lock(&p->mu);
		memcpy(p->last, p->cur, p->curlen);
		p->last[p->curlen] = '\0';
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
}

/* Let the thread drain the pipe and end; copy its last line out. */
static void
pump_free(struct pump *p, char *last, size_t lastlen)
{
	if (p == NULL)
		return;
	if (p->running) {
		char c = 'x';

		while (write(p->wake[1], &c, 1) < 0 && errno == EINTR)
			;
		pthread_join(p->tid, NULL);
	}
	if (last != NULL)
		util_strlcpy(last, p->last, lastlen);
	if (p->rfd >= 0)
		close(p->rfd);
	if (p->wake[0] >= 0)
		close(p->wake[0]);
	if (p->wake[1] >= 0)
		close(p->wake[1]);
	if (p->fd >= 0)
		close(p->fd);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

/* A pump for path; *wfd is the write end for the child.  0 or -errno. */
static int
pump_new(const char *path, uint64_t max, uint32_t keep, struct pump **out,
         int *wfd)
{
	struct pump *p = calloc(1, sizeof(*p));
	int pp[2];
	int rc;

	if (p == NULL)
		return -ENOMEM;
	p->rfd = p->wake[0] = p->wake[1] = p->fd = -1;
	pthread_mutex_init(&p->mu, NULL);
	p->path = path;
	p->max = max;
	p->keep = keep;
	if ((rc = log_open(p)) < 0)
		goto fail;
	if (pipe2(pp, O_CLOEXEC) < 0 ||
	    (p->rfd = pp[0], pipe2(p->wake, O_CLOEXEC | O_NONBLOCK) < 0)) {
		rc = -errno;
		goto fail;
	}
	if (fcntl(p->rfd, F_SETFL, O_NONBLOCK) < 0) {
		rc = -errno;
		close(pp[1]);
		goto fail;
	}
	*wfd = pp[1];
	*out = p;
	return 0;
fail:
	pump_free(p, NULL, 0);
	return rc;
}

static int
pump_start(struct pump *p)
{
	pthread_attr_t a;
	sigset_t all, old;
	int rc;

	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 64 * 1024);
	/* signals are the main thread's business */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&p->tid, &a, pump_main, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&a);
	if (rc != 0)
		return -rc;
	p->running = true;
	return 0;
}

/* ---- the child ---- */

static void
push_event(struct proc *p, enum supervise_event_kind kind)
{
	struct supervise_event *ev;

	if (p->evn == EVQ_MAX) {
		memmove(&p->evq[0], &p->evq[1], sizeof(p->evq[0]) * --p->evn);
		p->ev_dropped++;
	}
	ev = &p->evq[p->evn++];
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->time_ms = clock_wall_ms();
	if (kind == SUPERVISE_EV_DIE) {
		ev->exit_known = p->exit_code >= 0 || p->exit_signal > 0;
		ev->exit_code = p->exit_code;
		ev->exit_signal = p->exit_signal;
	}
}

/* true once the node has exited and been reaped (now or before). */
static bool
reap(struct proc *p)
{
	siginfo_t si;

	if (p->pid <= 0)
		return true;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
		if (errno == EINTR)
			return false;
		/* ECHILD: someone reaped it behind our back */
		snprintf(p->reap_err, sizeof(p->reap_err),
		         "exit status of pid %d lost: %s", (int)p->pid,
		         strerror(errno));
		p->exit_code = -1;
		p->exit_signal = 0;
	} else if (si.si_pid == 0) {
		return false;
	} else {
		int status;

		/* The zombie still holds the group id, so this reaches only
		 * the node's leftovers, never a stranger that reused it. */
		kill(-p->pid, SIGKILL);
		while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
			;
		if (si.si_code == CLD_EXITED) {
			p->exit_code = si.si_status;
			p->exit_signal = 0;
		} else {
			p->exit_code = -1;
			p->exit_signal = si.si_status;
		}
		p->reap_err[0] = '\0';
	}
	p->pid = 0;
	p->exited = true;
	p->finished_at_ms = clock_wall_ms();
	push_event(p, SUPERVISE_EV_DIE);
	return true;
}

static void
describe_exit(const struct proc *p, char *buf, size_t len)
{
	if (p->exit_signal > 0)
		snprintf(buf, len, "was killed by signal %d (%s)",
		         p->exit_signal, strsignal(p->exit_signal));
	else if (p->exit_code >= 0)
		snprintf(buf, len, "exited with status %d", p->exit_code);
	else
		snprintf(buf, len, "exited (status unknown)");
}

enum { STAGE_SETUP = 1, STAGE_CHDIR, STAGE_EXEC, STAGE_PARENT };

static int
proc_start(void *h, char *err, size_t errlen)
{
	struct proc *p = h;
	struct pump *pump = NULL;
	int wfd = -1, xp[2] = {-1, -1}, rc;
	int xmsg[2] = {0, 0};
	pid_t parent = getpid(), pid;
	ssize_t n;

	if (!reap(p))
		return 0;            /* running already */
	pump_free(p->pump, NULL, 0); /* leftovers of the last run */
	p->pump = NULL;
	if (p->log_path != NULL) {
		rc =
		    pump_new(p->log_path, p->log_max, p->log_keep, &pump, &wfd);
		if (rc < 0) {
			set_err(err, errlen, "cannot open log file '%s': %s",
			        p->log_path, strerror(-rc));
			return rc;
		}
	}
	if (pipe2(xp, O_CLOEXEC) < 0) {
		rc = -errno;
		set_err(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		set_err(err, errlen, "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		int keep = xp[1];
		int stage = STAGE_SETUP;
		int e = -supervise_child_setup(-1, wfd, wfd, &keep);

		if (e == 0 && prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
			e = errno;
		if (e == 0 && getppid() != parent)
			_exit(0); /* the pilot is gone already */
		if (e == 0 && p->workdir != NULL && chdir(p->workdir) < 0) {
			stage = STAGE_CHDIR;
			e = errno;
		}
		if (e == 0) {
			stage = STAGE_EXEC;
			execve(p->argv[0], p->argv,
			       p->envp ? p->envp : environ);
			e = errno;
		}
		int m[2] = {stage, e};

		while (write(keep, m, sizeof(m)) < 0 && errno == EINTR)
			;
		_exit(127);
	}
	setpgid(pid, pid); /* as the child does: no window either way */
	close(xp[1]);
	xp[1] = -1;
	if (wfd >= 0)
		close(wfd);
	wfd = -1;
	do
		n = read(xp[0], xmsg, sizeof(xmsg));
	while (n < 0 && errno == EINTR);
	close(xp[0]);
	xp[0] = -1;
	if (n == (ssize_t)sizeof(xmsg)) {
		int status;

		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		rc = xmsg[1] > 0 ? -xmsg[1] : -EIO;
		set_err(err, errlen, "cannot start '%s': %s: %s", p->argv[0],
		        xmsg[0] == STAGE_EXEC    ? "exec"
		        : xmsg[0] == STAGE_CHDIR ? "chdir to workdir"
		                                 : "child setup",
		        strerror(-rc));
		goto fail;
	}
	if (pump != NULL && (rc = pump_start(pump)) < 0) {
		int status;

		kill(-pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		set_err(err, errlen, "cannot start log reader: %s",
		        strerror(-rc));
		goto fail;
	}
	p->pump = pump;
	p->pid = pid;
	p->starts++;
	p->started_at_ms = clock_wall_ms();
	p->exited = false;
	p->exit_code = 0;
	p->exit_signal = 0;
	push_event(p, SUPERVISE_EV_START);

	/* A node that dies at once (bad flag, missing file) is a failed
	 * start, not a running node: say so with its last words. */
	uint64_t until = clock_mono_ms() + p->start_check_ms;
	unsigned nap = 1;

	while (clock_mono_ms() < until) {
		if (reap(p)) {
			char how[96], last[LAST_MAX] = "";

			pump_free(p->pump, last, sizeof(last)); /* drains */
			p->pump = NULL;
			describe_exit(p, how, sizeof(how));
			if (last[0] != '\0')
				set_err(err, errlen,
				        "'%s' %s right after start; its last "
				        "words: '%s'",
				        p->argv[0], how, last);
			else
				set_err(err, errlen,
				        "'%s' %s right after start", p->argv[0],
				        how);
			return -ECHILD;
		}
		sleep_ms(nap);
		if (nap < 20)
			nap *= 2;
	}
	return 0;
fail:
	if (xp[0] >= 0)
		close(xp[0]);
	if (xp[1] >= 0)
		close(xp[1]);
	if (wfd >= 0)
		close(wfd);
	pump_free(pump, NULL, 0);
	return rc;
}

static int
proc_stop(void *h, uint32_t timeout_ms, char *err, size_t errlen)
{
	struct proc *p = h;
	uint64_t until;
	unsigned nap = 1;

	if (!reap(p)) {
		pid_t pid = p->pid;

		kill(-pid, SIGTERM);
		/* a frozen (SIGSTOPped) node would keep the TERM pending for
		 * the whole timeout, and a validator's demote waits on it */
		kill(-pid, SIGCONT);
		until = clock_mono_ms() + timeout_ms;
		while (!reap(p) && clock_mono_ms() < until) {
			sleep_ms(nap);
			if (nap < 20)
				nap *= 2;
		}
		if (p->pid > 0) {
			kill(-pid, SIGKILL);
			until = clock_mono_ms() + KILL_WAIT_MS;
			while (!reap(p) && clock_mono_ms() < until)
				sleep_ms(10);
		}
		if (p->pid > 0) {
			set_err(err, errlen,
			        "'%s' (pid %d) still alive %d ms after SIGKILL",
			        p->argv[0], (int)pid, KILL_WAIT_MS);
			return -ETIMEDOUT;
		}
	}
	pump_free(p->pump, NULL, 0);
	p->pump = NULL;
	return 0;
}

static int
proc_restart(void *h, uint32_t timeout_ms, char *err, size_t errlen)
{
	int rc = proc_stop(h, timeout_ms, err, errlen);

	return rc < 0 ? rc : proc_start(h, err, errlen);
}

static int
proc_state(void *h, struct supervise_state *st, char *err, size_t errlen)
{
	struct proc *p = h;

	memset(st, 0, sizeof(*st));
	reap(p);
	st->running = p->pid > 0;
	util_strlcpy(st->status,
	             st->running ? "running"
	             : p->exited ? "exited"
	                         : "created",
	             sizeof(st->status));
	st->pid = p->pid;
	st->exited = p->exited;
	st->exit_code = p->exited ? p->exit_code : 0;
	st->exit_signal = p->exited ? p->exit_signal : 0;
	st->started_at_ms = p->started_at_ms;
	st->finished_at_ms = p->exited ? p->finished_at_ms : 0;
	st->restart_count = p->starts > 0 ? p->starts - 1 : 0;
	if (p->reap_err[0] != '\0') {
		util_strlcpy(st->error, p->reap_err, sizeof(st->error));
	} else if (p->pump != NULL) {
		int e;

		pthread_mutex_lock(&p->pump->mu);
		e = p->pump->werr;
		pthread_mutex_unlock(&p->pump->mu);
		if (e != 0)
			snprintf(st->error, sizeof(st->error),
			         "log file '%s': %s", p->log_path, strerror(e));
	}
	return 0;
}

static int
proc_events(void *h, struct supervise_cursor *cur, supervise_event_fn fn,
            void *arg, char *err, size_t errlen)
{
	struct proc *p = h;
	unsigned i = 0;
	int rc = 0;

	reap(p);
	while (i < p->evn && rc == 0) {
		if (p->evq[i].time_ms >= cur->since_ms)
			rc = fn(arg, &p->evq[i]);
		i++;
	}
	memmove(&p->evq[0], &p->evq[i], sizeof(p->evq[0]) * (p->evn - i));
	p->evn -= i;
	return rc;
}

/* ---- reading the log file back ---- */

struct lread {
	uint64_t ino;
	uint64_t off;
	bool skip; /* inside a line that was cut */
	uint32_t budget;
	supervise_line_fn fn;
	void *arg;
	int stop;
};

/*
 * Deliver complete lines of fd from r->off.  final: the file is finished
 * (rotated away), so its unterminated tail is a line too.
 */
static void
read_lines(int fd, bool final, struct lread *r, char *buf, size_t bufsize)
{
	while (r->budget > 0 && r->stop == 0) {
		ssize_t n = pread(fd, buf, bufsize, (off_t)r->off);
		size_t s = 0;
		uint64_t before = r->off;

		if (n <= 0)
			return;
		while (s < (size_t)n && r->budget > 0 && r->stop == 0) {
			char *nl = memchr(buf + s, '\n', (size_t)n - s);
			size_t rest = (size_t)n - s;
			size_t ll = nl ? (size_t)(nl - (buf + s)) : rest;

			if (r->skip) {
				r->off += nl ? ll + 1 : ll;
				s += nl ? ll + 1 : ll;
				if (nl)
					r->skip = false;
				continue;
			}
			if (nl == NULL && ll <= SUPERVISE_LINE_MAX && !final)
				break; /* still being written */
			size_t k =
			    ll > SUPERVISE_LINE_MAX ? SUPERVISE_LINE_MAX : ll;
			size_t d = k;

			if (d > 0 && buf[s + d - 1] == '\r')
				d--;
			r->stop = r->fn(r->arg, SUPERVISE_STDOUT, buf + s, d);
			r->budget--;
			if (nl) {
				r->off += ll + 1;
				s += ll + 1;
			} else if (ll > SUPERVISE_LINE_MAX) {
				r->off += ll;
				s += ll;
				r->skip = true;
			} else {
				r->off += ll;
				s += ll;
			}
		}
		if (r->off == before)
			return;
	}
}

static int
proc_logs(void *h, struct supervise_cursor *cur, supervise_line_fn fn,
          void *arg, char *err, size_t errlen)
{
	struct proc *p = h;
	struct lread r = {.budget = p->logs_max_lines, .fn = fn, .arg = arg};
	struct stat st;
	char *buf;
	int fd;

	if (p->log_path == NULL) {
		set_err(err, errlen, "no log file configured for '%s'",
		        p->target);
		return -ENOTSUP;
	}
	fd = open(p->log_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0; /* nothing written yet */
		set_err(err, errlen, "cannot read '%s': %s", p->log_path,
		        strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) < 0) {
		int e = errno;

		close(fd);
		set_err(err, errlen, "cannot stat '%s': %s", p->log_path,
		        strerror(e));
		return -e;
	}
	if ((buf = malloc(LREAD_BUF)) == NULL) {
		close(fd);
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (cur->pos[0] == '\0') {
		uint64_t mtime_ms = (uint64_t)st.st_mtim.tv_sec * 1000 +
		                    (uint64_t)st.st_mtim.tv_nsec / 1000000;

		r.ino = (uint64_t)st.st_ino;
		r.off = cur->since_ms > 0 && mtime_ms < cur->since_ms
		            ? (uint64_t)st.st_size
		            : 0;
	} else {
		unsigned long long ino, off;
		int skip;

		if (sscanf(cur->pos, "%llu:%llu:%d", &ino, &off, &skip) != 3) {
			close(fd);
			free(buf);
			set_err(err, errlen, "bad log cursor '%s'", cur->pos);
			return -EINVAL;
		}
		r.ino = ino;
		r.off = off;
		r.skip = skip != 0;
	}
	if (r.ino != (uint64_t)st.st_ino) {
		/* rotated since: finish the old file if it is still .1 */
		char old[PATH_MAX];
		struct stat ost;
		int ofd;

		snprintf(old, sizeof(old), "%s.1", p->log_path);
		ofd = open(old, O_RDONLY | O_CLOEXEC);
		if (ofd >= 0 && fstat(ofd, &ost) == 0 &&
		    (uint64_t)ost.st_ino == r.ino)
			read_lines(ofd, true, &r, buf, LREAD_BUF);
		if (ofd >= 0)
			close(ofd);
		if (r.budget > 0 && r.stop == 0) {
			r.ino = (uint64_t)st.st_ino;
			r.off = 0;
			r.skip = false;
		}
	}
	if (r.ino == (uint64_t)st.st_ino) {
		if (r.off > (uint64_t)st.st_size)
			r.off = 0; /* truncated (log_keep 0) */
		read_lines(fd, false, &r, buf, LREAD_BUF);
	}
	close(fd);
	free(buf);
	snprintf(cur->pos, sizeof(cur->pos), "%llu:%llu:%d",
	         (unsigned long long)r.ino, (unsigned long long)r.off,
	         r.skip ? 1 : 0);
	return r.stop;
}

/* ---- handle ---- */

static char **
dup_vec(const char *const *v)
{
	size_t n = 0;
	char **out;

	while (v[n] != NULL)
		n++;
	out = calloc(n + 1, sizeof(*out));
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((out[i] = strdup(v[i])) == NULL)
			return out; /* caller frees (NULL-terminated) */
	return out;
}

static void
free_vec(char **v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static void
proc_free(struct proc *p)
{
	if (p == NULL)
		return;
	pump_free(p->pump, NULL, 0);
	free(p->target);
	free_vec(p->argv);
	free_vec(p->envp);
	free(p->workdir);
	free(p->log_path);
	free(p);
}

static bool
vec_complete(char **out, const char *const *in)
{
	size_t i = 0;

	while (in[i] != NULL) {
		if (out[i] == NULL)
			return false;
		i++;
	}
	return true;
}

static int
proc_open(const struct supervise_conf *c, void **h, char *err, size_t errlen)
{
	struct proc *p;

	*h = NULL;
	if (c->argv == NULL || c->argv[0] == NULL || c->argv[0][0] == '\0') {
		set_err(err, errlen, "process backend: no command to run");
		return -EINVAL;
	}
	if (strchr(c->argv[0], '/') == NULL) {
		set_err(
		    err, errlen,
		    "process backend: program '%s' must be a path (there is "
		    "no PATH search)",
		    c->argv[0]);
		return -EINVAL;
	}
	if (c->log_path != NULL && strlen(c->log_path) + 12 >= PATH_MAX) {
		set_err(err, errlen, "log file path too long: '%s'",
		        c->log_path);
		return -ENAMETOOLONG;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		goto nomem;
	p->target = strdup(c->target ? c->target : c->argv[0]);
	p->argv = dup_vec(c->argv);
	if (p->target == NULL || p->argv == NULL ||
	    !vec_complete(p->argv, c->argv))
		goto nomem;
	if (c->envp != NULL && ((p->envp = dup_vec(c->envp)) == NULL ||
	                        !vec_complete(p->envp, c->envp)))
		goto nomem;
	if (c->workdir != NULL && (p->workdir = strdup(c->workdir)) == NULL)
		goto nomem;
	if (c->log_path != NULL && (p->log_path = strdup(c->log_path)) == NULL)
		goto nomem;
	p->log_max = c->log_max_bytes ? c->log_max_bytes : 64ull << 20;
	p->log_keep = c->log_keep ? c->log_keep : 3;
	p->start_check_ms = c->start_check_ms ? c->start_check_ms : 300;
	p->logs_max_lines = c->logs_max_lines ? c->logs_max_lines : 2000;
	p->call_timeout_ms = c->call_timeout_ms ? c->call_timeout_ms : 10000;
	*h = p;
	return 0;
nomem:
	proc_free(p);
	set_err(err, errlen, "out of memory");
	return -ENOMEM;
}

static void
proc_close(void *h)
{
	struct proc *p = h;
	char err[SUPERVISE_ERR_MAX];

	if (p == NULL)
		return;
	proc_stop(p, p->call_timeout_ms, err, sizeof(err));
	proc_free(p);
}

const struct supervise_ops supervise_process_ops = {
    .name = "process",
    .open = proc_open,
    .state = proc_state,
    .start = proc_start,
    .stop = proc_stop,
    .restart = proc_restart,
    .logs = proc_logs,
    .events = proc_events,
    .close = proc_close,
};
