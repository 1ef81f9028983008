/*
 * supervise.c: `sextant supervise`, a debugging door into the pilot's
 * supervision backends: run verbs against a container, unit or process
 * exactly as the pilot would, and print what the backend answers.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "common/util.h"
#include "pilot/supervise.h"

static void
usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: sextant supervise -b BACKEND -t TARGET [options] VERB... "
	    "[-- PROGRAM ARG...]\n"
	    "\n"
	    "Run VERBs in order through a supervision backend and print the "
	    "answers.\n"
	    "BACKEND: process, docker or systemd.  TARGET: the container, "
	    "the unit,\n"
	    "or a label for the process (whose PROGRAM follows \"--\").\n"
	    "\n"
	    "verbs:\n"
	    "  state      print the state as key=value lines\n"
	    "  start      start the node\n"
	    "  stop       stop it (SIGKILL after --timeout)\n"
	    "  restart    stop then start\n"
	    "  logs       print log lines as \"stdout<TAB>line\" / "
	    "\"stderr<TAB>line\"\n"
	    "  events     print start/die/oom/restart events since --since\n"
	    "  wait-exit  process: wait until the node exits (--timeout)\n"
	    "  sleep=MS   pause (logs and events go on from where they "
	    "were)\n"
	    "\n"
	    "options:\n"
	    "  -b, --backend NAME     process, docker or systemd\n"
	    "  -t, --target NAME      container, unit or label\n"
	    "  -T, --timeout-ms MS    stop/restart timeout (10000)\n"
	    "  -C, --call-timeout-ms MS  per API call or command (10000)\n"
	    "  -s, --since UNIX       logs/events since this time (0: all)\n"
	    "  -n, --lines N          at most N log lines (2000)\n"
	    "  -H, --docker-host URL  unix:///path (else $DOCKER_HOST)\n"
	    "  -L, --log-file PATH    process: file for the node's output\n"
	    "  -M, --log-max BYTES    process: rotate at this size\n"
	    "  -K, --log-keep N       process: rotated files kept\n"
	    "  -h, --help             show this help\n");
}

static int
print_line(void *arg, enum supervise_stream s, const char *line, size_t len)
{
	(void)arg;
	printf("%s\t%.*s\n", s == SUPERVISE_STDERR ? "stderr" : "stdout",
	       (int)len, line);
	return 0;
}

static int
print_event(void *arg, const struct supervise_event *ev)
{
	(void)arg;
	printf("%s time_ms=%llu", supervise_event_name(ev->kind),
	       (unsigned long long)ev->time_ms);
	if (ev->exit_known)
		printf(" exit_code=%d exit_signal=%d", ev->exit_code,
		       ev->exit_signal);
	printf("\n");
	return 0;
}

static void
print_state(const struct supervise_state *st)
{
	printf("status=%s\nrunning=%d\npid=%lld\nexited=%d\nexit_code=%d\n"
	       "exit_signal=%d\noom_killed=%d\nstarted_at_ms=%llu\n"
	       "finished_at_ms=%llu\nrestart_count=%u\nhealth=%s\nerror=%s\n",
	       st->status, st->running, (long long)st->pid, st->exited,
	       st->exit_code, st->exit_signal, st->oom_killed,
	       (unsigned long long)st->started_at_ms,
	       (unsigned long long)st->finished_at_ms, st->restart_count,
	       st->health, st->error);
}

static int
parse_u64_opt(const char *name, const char *v, uint64_t max, uint64_t *out)
{
	if (util_parse_u64(v, 0, max, out) < 0) {
		fprintf(stderr, "sextant supervise: %s: not a number '%s'\n",
		        name, v);
		return -1;
	}
	return 0;
}

int
cli_supervise(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"backend", required_argument, NULL, 'b'},
	    {"target", required_argument, NULL, 't'},
	    {"timeout-ms", required_argument, NULL, 'T'},
	    {"call-timeout-ms", required_argument, NULL, 'C'},
	    {"since", required_argument, NULL, 's'},
	    {"lines", required_argument, NULL, 'n'},
	    {"docker-host", required_argument, NULL, 'H'},
	    {"log-file", required_argument, NULL, 'L'},
	    {"log-max", required_argument, NULL, 'M'},
	    {"log-keep", required_argument, NULL, 'K'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct supervise_conf c = {0};
	const struct supervise_ops *ops = NULL;
	uint64_t timeout_ms = 10000, since = 0, v;
	char err[SUPERVISE_ERR_MAX];
	int ch, i, nverbs, rc = 0;
	struct supervise_cursor lcur = {0}, ecur = {0};
	void *h = NULL;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+b:t:T:C:s:n:H:L:M:K:h", longopts,
	                         NULL)) != -1) {
		switch (ch) {
		case 'b':
			if ((ops = supervise_ops_for(optarg)) == NULL) {
				fprintf(
				    stderr,
				    "sextant supervise: unknown backend '%s' "
				    "(process, docker, systemd)\n",
				    optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 't':
			c.target = optarg;
			break;
		case 'T':
			if (parse_u64_opt("--timeout-ms", optarg,
			                  UINT32_MAX - 1, &timeout_ms) < 0)
				return CLI_EXIT_USAGE;
			break;
		case 'C':
			if (parse_u64_opt("--call-timeout-ms", optarg,
			                  UINT32_MAX, &v) < 0)
				return CLI_EXIT_USAGE;
			c.call_timeout_ms = (uint32_t)v;
			break;
		case 's':
			if (parse_u64_opt("--since", optarg, UINT64_MAX / 1000,
			                  &since) < 0)
				return CLI_EXIT_USAGE;
			break;
		case 'n':
			if (parse_u64_opt("--lines", optarg, UINT32_MAX, &v) <
			    0)
				return CLI_EXIT_USAGE;
			c.logs_max_lines = (uint32_t)v;
			break;
		case 'H':
			c.docker_host = optarg;
			break;
		case 'L':
			c.log_path = optarg;
			break;
		case 'M':
			if (parse_u64_opt("--log-max", optarg, UINT64_MAX,
			                  &c.log_max_bytes) < 0)
				return CLI_EXIT_USAGE;
			break;
		case 'K':
			if (parse_u64_opt("--log-keep", optarg, UINT32_MAX,
			                  &v) < 0)
				return CLI_EXIT_USAGE;
			c.log_keep = (uint32_t)v;
			break;
		default: /* -h, or getopt's '?' */
			return cli_opts_usage(ch, usage);
		}
	}
	/* VERB... [-- PROGRAM ARG...] */
	for (nverbs = 0; optind + nverbs < argc; nverbs++)
		if (strcmp(argv[optind + nverbs], "--") == 0)
			break;
	if (optind + nverbs < argc)
		c.argv = (const char *const *)&argv[optind + nverbs + 1];
	if (ops == NULL || nverbs == 0 ||
	    (c.target == NULL && ops != &supervise_process_ops)) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (ops->open(&c, &h, err, sizeof(err)) < 0) {
		fprintf(stderr, "sextant supervise: %s\n", err);
		return CLI_EXIT_FAIL;
	}
	/* one cursor per kind for the whole run: "logs sleep=2000 logs"
	 * prints each line once */
	lcur.since_ms = ecur.since_ms = since * 1000;
	for (i = 0; i < nverbs && rc == 0; i++) {
		const char *verb = argv[optind + i];
		struct supervise_state st;
		unsigned long ms;

		err[0] = '\0';
		if (strcmp(verb, "state") == 0) {
			rc = ops->state(h, &st, err, sizeof(err));
			if (rc == 0)
				print_state(&st);
		} else if (strcmp(verb, "start") == 0) {
			rc = ops->start(h, err, sizeof(err));
		} else if (strcmp(verb, "stop") == 0) {
			rc = ops->stop(h, (uint32_t)timeout_ms, err,
			               sizeof(err));
		} else if (strcmp(verb, "restart") == 0) {
			rc = ops->restart(h, (uint32_t)timeout_ms, err,
			                  sizeof(err));
		} else if (strcmp(verb, "logs") == 0) {
			rc = ops->logs(h, &lcur, print_line, NULL, err,
			               sizeof(err));
		} else if (strcmp(verb, "events") == 0) {
			rc = ops->events(h, &ecur, print_event, NULL, err,
			                 sizeof(err));
		} else if (sscanf(verb, "sleep=%lu", &ms) == 1) {
			struct timespec ts = {(time_t)(ms / 1000),
			                      (long)(ms % 1000) * 1000000L};

			nanosleep(&ts, NULL);
		} else if (strcmp(verb, "wait-exit") == 0) {
			uint64_t until = clock_mono_ms() + timeout_ms;

			while ((rc = ops->state(h, &st, err, sizeof(err))) ==
			           0 &&
			       st.running && clock_mono_ms() < until) {
				struct timespec ts = {0, 20 * 1000000L};

				nanosleep(&ts, NULL);
			}
			if (rc == 0 && st.running) {
				snprintf(err, sizeof(err),
				         "still running after %llu ms",
				         (unsigned long long)timeout_ms);
				rc = -ETIMEDOUT;
			}
		} else {
			fprintf(stderr,
			        "sextant supervise: unknown verb '%s'\n", verb);
			ops->close(h);
			return CLI_EXIT_USAGE;
		}
		fflush(stdout);
		if (rc != 0)
			fprintf(stderr, "sextant supervise: %s: %s\n", verb,
			        err[0] ? err : strerror(rc < 0 ? -rc : EIO));
	}
	ops->close(h);
	return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
