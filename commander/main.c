/*
 * sextant-commander: the fleet's central endpoint.  Pilots dial in over a
 * sealed nng channel (ingest.c); core.c puts the fleet model, the restart
 * budget, the failover leases, the durable event store, the alerts and the
 * HTTP API together.  This file parses flags, loads the config, and runs
 * the main loop: the periodic tick, and the signals (common/daemon.h).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commander/conf.h"
#include "commander/core.h"
#include "common/daemon.h"
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
	    "Signals: SIGTERM or SIGINT stop the commander cleanly; SIGHUP\n"
	    "reloads [alerts], the [channel] sections and [api] (but its\n"
	    "listen); other sections: restart.\n"
	    "Environment: SEXTANT_COMMANDER_KEY overrides [commander] key.\n");
}

/* SIGHUP: a config that does not load changes nothing; core_reload
 * applies what may change at once and names what waits for a restart. */
static void
reload(struct core *core, const char *path)
{
	struct commander_conf *fresh;
	char err[1024], msg[1536];
	int rc;

	if ((fresh = commander_conf_load(path, err, sizeof(err))) == NULL) {
		log_warnx("SIGHUP: %s; the running configuration stays", err);
		return;
	}
	rc = core_reload(core, fresh, msg, sizeof(msg));
	commander_conf_free(fresh);
	if (rc != 0)
		log_warnx("%s", msg);
	else
		log_info("%s", msg);
}

static void
dump_conf(const void *c, FILE *f)
{
	commander_conf_dump(c, f);
}

int
main(int argc, char **argv)
{
	struct daemon_opts o;
	struct daemon_signals sigs;
	struct commander_conf *cfg;
	struct core *core = NULL;
	char err[1024];
	int rc;

	if ((rc = daemon_opts_parse(argc, argv, DEFAULT_CONF, usage, &o)) >= 0)
		return rc;
	daemon_signals_block(&sigs);
	log_init("sextant-commander", o.foreground || o.check, o.verbose);
	cfg = commander_conf_load(o.conf, err, sizeof(err));
	if (o.check) {
		rc = daemon_check(&o, cfg, err, dump_conf);
		commander_conf_free(cfg);
		return rc;
	}
	if (cfg == NULL)
		fatalx("%s", err);

	/* before any thread exists: nng's and curl's would not survive */
	if (!o.foreground && daemon(1, 0) != 0)
		fatal("daemon");
	if (core_start(cfg, SEXTANT_VERSION, &core, err, sizeof(err)) != 0)
		fatalx("%s", err);
	/* a signal before this stays pending and is taken at once */
	if ((rc = daemon_signals_start(&sigs, NULL, NULL)) != 0)
		fatalx("signal thread: %s", strerror(-rc));
	for (;;) {
		daemon_sleep_until(&sigs, clock_mono_ms() + TICK_MS);
		if (daemon_stop_signal(&sigs))
			break;
		if (daemon_reload_asked(&sigs))
			reload(core, o.conf);
		core_tick(core, clock_mono_ms(), clock_wall_ms());
	}
	log_info("%s: stopping", strsignal(daemon_stop_signal(&sigs)));
	daemon_signals_join(&sigs);
	core_stop(core);
	commander_conf_free(cfg);
	return 0;
}
