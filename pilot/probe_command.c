/*
 * probe_command.c: the escape hatch for chains without a probe of their
 * own: run a program from the local config (fork/execv, no shell) and read
 * a block height from its stdout.  The program gets a hard deadline and is
 * killed with its process group past it; its output is bounded; a nonzero
 * exit means the node is unreachable.
 */
#include "pilot/probe_int.h"
#include "pilot/probe_parse.h"

#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define COMMAND_ARGV_MAX 32

int
probe_parse_command_output(const char *buf, size_t len, struct probe_result *r)
{
	char num[24], q[48];
	size_t i = 0, n;
	uint64_t v;

	if (len > PROBE_PARSE_MAX_OUTPUT) {
		probe_seterr(r, "command: output over %d bytes",
		             PROBE_PARSE_MAX_OUTPUT);
		return -1;
	}
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' ||
	                   buf[i] == '\r'))
		i++;
	n = len;
	while (n > i && (buf[n - 1] == ' ' || buf[n - 1] == '\t' ||
	                 buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n == i) {
		probe_seterr(r, "command: no output");
		return -1;
	}
	if (memchr(buf + i, '\0', n - i) != NULL || n - i >= sizeof(num)) {
		probe_seterr(r, "command: output not a number: \"%s\"",
		             pj_quote(q, buf + i, n - i));
		return -1;
	}
	memcpy(num, buf + i, n - i);
	num[n - i] = '\0';
	switch (util_parse_u64(num, 0, UINT64_MAX, &v)) {
	case 0:
		r->height = v;
		return 0;
	case -ERANGE:
		probe_seterr(r, "command: number out of range: \"%s\"",
		             pj_quote(q, num, n - i));
		return -1;
	default:
		probe_seterr(r, "command: output not a number: \"%s\"",
		             pj_quote(q, num, n - i));
		return -1;
	}
}

/* Split cmd in place on blanks into argv (no quoting: there is no shell). */
static int
split_argv(char *cmd, char *argv[COMMAND_ARGV_MAX + 1])
{
	int n = 0;
	char *p = cmd;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (n == COMMAND_ARGV_MAX)
			return -1;
		argv[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
	argv[n] = NULL;
	return n;
}

/* Only async-signal-safe calls between fork and exec: the pilot has
 * threads, and another may hold a lock the child would wait on forever. */
static void
child_exec(char *const argv[], int out, int devnull, int errpipe)
{
	struct sigaction sa;
	sigset_t none;
	int e, sig;

	setpgid(0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(devnull, 2) < 0)
		goto fail;
		/* Keep the pilot's descriptors (sockets, key files) from the
		 * child; errpipe is close-on-exec and tells the parent if exec
		 * fails. */
#ifdef SYS_close_range
	if (errpipe > 3)
		(void)syscall(SYS_close_range, 3, errpipe - 1, 0);
	(void)syscall(SYS_close_range, errpipe + 1, ~0U, 0);
#endif
	execv(argv[0], argv);
fail:
	e = errno;
	(void)!write(errpipe, &e, sizeof(e));
	_exit(127);
}

static void
kill_group(pid_t pid)
{
	(void)kill(-pid, SIGKILL);
	(void)kill(pid, SIGKILL);
}

static int
command_probe(const struct probe_target *t, struct probe_result *r)
{
	char cmd[PATH_MAX], *argv[COMMAND_ARGV_MAX + 1];
	char out[PROBE_PARSE_MAX_OUTPUT + 1];
	size_t len = 0;
	uint32_t tmo = t->timeout_ms ? t->timeout_ms : PROBE_DEFAULT_TIMEOUT_MS;
	uint64_t deadline;
	int pfd[2] = {-1, -1}, epfd[2] = {-1, -1}, devnull = -1;
	int status, e = 0, rc = -1;
	bool timed_out = false, over = false, eof = false, exited = false;
	pid_t pid = -1;
	ssize_t n;

	if (util_strcpy_checked(cmd, t->command, sizeof(cmd)) != 0 ||
	    split_argv(cmd, argv) <= 0) {
		probe_seterr(r, "command: no program configured or too many "
		                "arguments");
		return -1;
	}
	if (pipe2(pfd, O_CLOEXEC) != 0 || pipe2(epfd, O_CLOEXEC) != 0 ||
	    (devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
		probe_seterr(r, "command: %s", strerror(errno));
		goto out;
	}
	deadline = clock_mono_ms() + tmo;
	if ((pid = fork()) < 0) {
		probe_seterr(r, "command: fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		child_exec(argv, pfd[1], devnull, epfd[1]);
	/* The parent sets the group too, so kill(-pid) works at once. */
	(void)setpgid(pid, pid);
	close(pfd[1]);
	close(epfd[1]);
	pfd[1] = epfd[1] = -1;

	/* Read until EOF and exit, or until the program exits and its output
	 * is drained: a daemon it left behind may hold stdout open forever. */
	for (;;) {
		struct pollfd p = {.fd = pfd[0], .events = POLLIN};
		uint64_t now = clock_mono_ms();
		int pr, wait_ms;

		if (!exited) {
			pid_t w = waitpid(pid, &status, WNOHANG);

			if (w == pid)
				exited = true;
			else if (w < 0 && errno != EINTR) {
				probe_seterr(r, "command: waitpid: %s",
				             strerror(errno));
				kill_group(pid);
				pid = -1;
				goto out;
			}
		}
		if (exited && eof)
			break;
		if (now >= deadline) {
			timed_out = true;
			break;
		}
		/* Short polls: the exit of the program is noticed on the
		 * next turn even while a grandchild keeps the pipe open. */
		wait_ms = deadline - now > 20 ? 20 : (int)(deadline - now);
		if (eof) {
			nanosleep(&(struct timespec){.tv_nsec = 2000000}, NULL);
			continue;
		}
		pr = poll(&p, 1, exited ? 0 : wait_ms);
		if (pr < 0 && errno != EINTR)
			eof = true;
		if (pr == 0 && exited)
			eof = true; /* exited and nothing more to read */
		if (pr <= 0)
			continue;
		n = read(pfd[0], out + len, sizeof(out) - len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			eof = true;
		else if ((len += (size_t)n) == sizeof(out)) {
			over = true; /* one byte past the bound */
			break;
		}
	}
	if (!exited) {
		kill_group(pid);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	/* Whatever it left behind in its group (not the pid: reaped, it
	 * may already name another process). */
	(void)kill(-pid, SIGKILL);
	pid = -1;
	if (read(epfd[0], &e, sizeof(e)) == (ssize_t)sizeof(e)) {
		probe_seterr(r, "command: cannot run %s: %s", argv[0],
		             strerror(e));
		goto out;
	}
	if (timed_out) {
		probe_seterr(r, "command: timeout after %u ms", tmo);
		goto out;
	}
	if (over) {
		probe_seterr(r, "command: output over %d bytes",
		             PROBE_PARSE_MAX_OUTPUT);
		goto out;
	}
	if (WIFSIGNALED(status)) {
		probe_seterr(r, "command: killed by signal %d",
		             WTERMSIG(status));
		goto out;
	}
	if (WEXITSTATUS(status) != 0) {
		probe_seterr(r, "command: exit status %d", WEXITSTATUS(status));
		goto out;
	}
	rc = probe_parse_command_output(out, len, r);
out:
	if (pid > 0) {
		kill_group(pid);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (epfd[0] >= 0)
		close(epfd[0]);
	if (epfd[1] >= 0)
		close(epfd[1]);
	if (devnull >= 0)
		close(devnull);
	return rc;
}

const struct probe_ops probe_command_ops = {
    .chain = CHAIN_COMMAND,
    .name = "command",
    .probe = command_probe,
};
