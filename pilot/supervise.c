/*
 * supervise.c: the backend registry and what the backends share: preparing
 * a forked child and running a helper program with bounds.
 */
#include "pilot/supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

static const struct supervise_ops *const backends[] = {
    &supervise_process_ops,
    &supervise_docker_ops,
    &supervise_systemd_ops,
};

const char *const supervise_backend_names[] = {"process", "docker", "systemd",
                                               NULL};

const struct supervise_ops *
supervise_ops_for(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < UTIL_NELEM(backends); i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

const char *
supervise_event_name(enum supervise_event_kind k)
{
	switch (k) {
	case SUPERVISE_EV_START:
		return "start";
	case SUPERVISE_EV_DIE:
		return "die";
	case SUPERVISE_EV_OOM:
		return "oom";
	case SUPERVISE_EV_RESTART:
		return "restart";
	}
	return "unknown";
}

static void
close_from(unsigned lo, unsigned hi)
{
	if (lo > hi)
		return;
#ifdef SYS_close_range
	if (syscall(SYS_close_range, lo, hi, 0) == 0)
		return;
#endif
	/* old kernel: close one by one up to the descriptor limit */
	struct rlimit rl;
	unsigned max = 65536;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < max)
		max = (unsigned)rl.rlim_cur;
	for (unsigned fd = lo; fd <= hi && fd < max; fd++)
		close((int)fd);
}

int
supervise_child_setup(int in, int out, int errfd, int *keep)
{
	struct sigaction sa;
	sigset_t none;
	int fds[3] = {in, out, errfd};
	int devnull = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++)
		(void)sigaction(s, &sa, NULL); /* KILL, STOP: EINVAL */
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		return -errno;
	if (setpgid(0, 0) < 0)
		return -errno;

	if (in < 0 || out < 0 || errfd < 0) {
		devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (devnull < 0)
			return -errno;
	}
	/* Move everything above 2 first, so dup2 cannot clobber a source. */
	for (int i = 0; i < 3; i++) {
		if (fds[i] < 0)
			fds[i] = devnull;
		if (fds[i] < 3) {
			fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
			if (fds[i] < 0)
				return -errno;
		}
	}
	if (keep != NULL && *keep >= 0 && *keep < 3) {
		*keep = fcntl(*keep, F_DUPFD_CLOEXEC, 3);
		if (*keep < 0)
			return -errno;
	}
	for (int i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0)
			return -errno;
	if (keep != NULL && *keep >= 3) {
		close_from(3, (unsigned)*keep - 1);
		close_from((unsigned)*keep + 1, ~0U);
	} else {
		close_from(3, ~0U);
	}
	return 0;
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Kill the group, reap the leader (bounded: SIGKILL cannot be caught). */
static void
kill_and_reap(pid_t pid, int *status)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	for (int i = 0; i < 500; i++) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid || (r < 0 && errno != EINTR))
			return;
		sleep_ms(10);
	}
}

int
supervise_run(const char *const *argv, uint32_t timeout_ms, size_t max,
              char **out, size_t *outlen, int *status, char *errtext,
              size_t errtextlen)
{
	int op[2] = {-1, -1}, ep[2] = {-1, -1}, xp[2] = {-1, -1};
	char *buf = NULL;
	size_t len = 0, cap = 0, elen = 0;
	uint64_t deadline = clock_mono_ms() + (timeout_ms ? timeout_ms : 10000);
	pid_t pid;
	int rc = 0, xerr = 0;
	ssize_t n;

	*out = NULL;
	*outlen = 0;
	*status = 0;
	if (errtextlen > 0)
		errtext[0] = '\0';
	if (pipe2(op, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0 ||
	    pipe2(xp, O_CLOEXEC) < 0) {
		rc = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		goto out;
	}
	if (pid == 0) {
		int keep = xp[1];
		int e = -supervise_child_setup(-1, op[1], ep[1], &keep);

		if (e == 0) {
			execvp(argv[0], (char *const *)argv);
			e = errno;
		}
		while (write(keep, &e, sizeof(e)) < 0 && errno == EINTR)
			;
		_exit(127);
	}
	setpgid(pid, pid); /* as the child does: no window either way */
	close(op[1]);
	close(ep[1]);
	close(xp[1]);
	op[1] = ep[1] = xp[1] = -1;
	/* EOF at exec (close-on-exec), or the child's errno */
	do
		n = read(xp[0], &xerr, sizeof(xerr));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(xerr)) {
		waitpid(pid, status, 0);
		snprintf(errtext, errtextlen, "cannot run '%s': %s", argv[0],
		         strerror(xerr));
		rc = xerr > 0 ? -xerr : -ENOENT;
		goto out;
	}

	struct pollfd pf[2] = {{op[0], POLLIN, 0}, {ep[0], POLLIN, 0}};
	int open_fds = 2;

	while (open_fds > 0) {
		uint64_t now = clock_mono_ms();

		if (now >= deadline) {
			rc = -ETIMEDOUT;
			break;
		}
		int pr = poll(pf, 2, (int)(deadline - now));

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0) {
			rc = -errno;
			break;
		}
		if (pf[0].revents) {
			char tmp[4096];

			n = read(op[0], tmp, sizeof(tmp));
			if (n <= 0) {
				pf[0].fd = -1;
				open_fds--;
			} else if (len + (size_t)n > max) {
				rc = -EMSGSIZE;
				break;
			} else {
				if (len + (size_t)n + 1 > cap) {
					size_t nc = cap ? cap * 2 : 8192;
					char *nb;

					while (nc < len + (size_t)n + 1)
						nc *= 2;
					nb = realloc(buf, nc);
					if (nb == NULL) {
						rc = -ENOMEM;
						break;
					}
					buf = nb;
					cap = nc;
				}
				memcpy(buf + len, tmp, (size_t)n);
				len += (size_t)n;
			}
		}
		if (pf[1].revents) {
			char tmp[1024];

			n = read(ep[0], tmp, sizeof(tmp));
			if (n <= 0) {
				pf[1].fd = -1;
				open_fds--;
			} else if (errtextlen > 0 && elen < errtextlen - 1) {
				size_t k = (size_t)n;

				if (k > errtextlen - 1 - elen)
					k = errtextlen - 1 - elen;
				memcpy(errtext + elen, tmp, k);
				elen += k;
				errtext[elen] = '\0';
			}
		}
	}
	/* Output closed: wait for the exit, still within the deadline. */
	while (rc == 0) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			rc = -errno;
			break;
		}
		if (clock_mono_ms() >= deadline)
			rc = -ETIMEDOUT;
		else
			sleep_ms(5);
	}
	if (rc < 0)
		kill_and_reap(pid, status);
	/* one line of stderr is enough for a message */
	for (size_t i = 0; i < elen; i++)
		if (errtext[i] == '\n' || errtext[i] == '\r') {
			errtext[i] = '\0';
			break;
		}
	if (rc == -ETIMEDOUT)
		snprintf(errtext, errtextlen,
		         "'%s' did not finish within %u ms", argv[0],
		         (unsigned)(timeout_ms ? timeout_ms : 10000));
	else if (rc == -EMSGSIZE)
		snprintf(errtext, errtextlen, "'%s' wrote more than %zu bytes",
		         argv[0], max);
out:
	for (int i = 0; i < 2; i++) {
		if (op[i] >= 0)
			close(op[i]);
		if (ep[i] >= 0)
			close(ep[i]);
		if (xp[i] >= 0)
			close(xp[i]);
	}
	if (rc == 0) {
		if (buf == NULL)
			buf = calloc(1, 1);
		if (buf == NULL)
			return -ENOMEM;
		buf[len] = '\0';
		*out = buf;
		*outlen = len;
	} else {
		free(buf);
	}
	return rc;
}
