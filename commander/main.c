/*
 * sextant-commander: the fleet's central endpoint.  Pilots dial in over a
 * sealed nng channel (ingest.c); core.c puts the fleet model, the restart
 * budget, the failover leases, the durable event store, the alerts and the
 * HTTP API together.  This file parses flags, loads the config, and runs
 * the main loop: signals, and the periodic tick.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commander/conf.h"
#include "commander/core.h"
#include "common/log.h"
#include "common/util.h"

#ifndef SEXTANT_VERSION
#define SEXTANT_VERSION "0.1.0"
#endif

#define DEFAULT_CONF "/etc/sextant/commander.ini"
#define TICK_MS      250

static void
usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: sextant-commander [-dnv] [-f CONFIG]\n"
	    "\n"
	    "  -f CONFIG  configuration file (default " DEFAULT_CONF ")\n"
	    "  -n         check the configuration (and authorized_pilots,\n"
	    "             and the key) and exit: 0 if usable, 1 with\n"
	    "             file:line: message on stderr otherwise\n"
	    "  -nv        with -n: print the normalized configuration\n"
	    "  -d         stay in the foreground and log to stderr\n"
	    "             (otherwise detach and log to syslog; the working\n"
	    "             directory is kept for relative paths)\n"
	    "  -v         log debug messages too (every heartbeat)\n"
	    "  -h, --help this text\n"
	    "\n"
	    "Signals: SIGTERM or SIGINT stop the commander cleanly.\n"
	    "Environment: SEXTANT_COMMANDER_KEY overrides [commander] key.\n");
}

static void
on_signal(int sig)
{
	(void)sig; /* never runs: the signals are blocked and waited for */
}

/* Block the stop signals in every thread (nng's threads inherit the mask)
 * and take them synchronously in the main loop. */
static void
signals_setup(sigset_t *set)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* an inherited SIG_IGN (background jobs of a shell) would discard
	 * them; a handler makes them pending so sigtimedwait sees them */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, set, NULL);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = DEFAULT_CONF;
	int ch, check = 0, fg = 0, verbose = 0;
	struct commander_conf *cfg;
	struct core *core = NULL;
	char err[1024];
	sigset_t set;

	while ((ch = getopt_long(argc, argv, "df:hnv", longopts, NULL)) != -1)
		switch (ch) {
		case 'd':
			fg = 1;
			break;
		case 'f':
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage(stderr);
			return 2;
		}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	signals_setup(&set);
	log_init("sextant-commander", fg || check, verbose);
	if ((cfg = commander_conf_load(path, err, sizeof(err))) == NULL) {
		if (check) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		fatalx("%s", err);
	}
	if (check) {
		if (verbose)
			commander_conf_dump(cfg, stdout);
		else
			fprintf(stderr, "configuration OK\n");
		commander_conf_free(cfg);
		return 0;
	}

	/* before any thread exists: nng's and curl's would not survive */
	if (!fg && daemon(1, 0) != 0)
		fatal("daemon");
	if (core_start(cfg, SEXTANT_VERSION, &core, err, sizeof(err)) != 0)
		fatalx("%s", err);
	for (;;) {
		struct timespec ts = {.tv_sec = 0,
		                      .tv_nsec = TICK_MS * 1000000L};
		int sig = sigtimedwait(&set, NULL, &ts);

		if (sig == SIGINT || sig == SIGTERM) {
			log_info("%s: stopping", strsignal(sig));
			break;
		}
		if (sig == SIGHUP) {
			log_info("SIGHUP: reload is not supported yet; "
			         "restart to apply a new config");
			continue;
		}
		if (sig < 0 && errno != EAGAIN && errno != EINTR)
			fatal("sigtimedwait");
		core_tick(core, clock_mono_ms(), clock_wall_ms());
	}
	core_stop(core);
	commander_conf_free(cfg);
	return 0;
}
