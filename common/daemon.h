/*
 * daemon.h: what sextant-pilot and sextant-commander do alike as daemons,
 * kept in one place so that the two cannot drift apart: the same flags
 * (-d -f -h -n -v, --help) with the same exit codes, the same -n answer,
 * and the same signals (SIGTERM or SIGINT stop, SIGHUP asks for a reload),
 * taken by one thread so that a stop can cut short whatever the main
 * thread is blocked in.  Each daemon keeps its usage text, what a reload
 * or a stop means to it, and all of its logging: this is library code and
 * returns errors.  The only output is what a user asked for on the
 * command line (usage, the -n answer), through the daemon's own texts.
 */
#ifndef SEXTANT_DAEMON_H
#define SEXTANT_DAEMON_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct daemon_opts {
	const char *conf; /* -f, else the default: borrowed, not copied */
	bool conf_given;  /* -f was on the command line */
	bool foreground;  /* -d: no detaching, log to stderr */
	bool check;       /* -n: check the config and exit */
	int verbose;      /* how many -v */
};

/*
 * Parse argv into *o.  -1: run on.  Otherwise the exit status for main,
 * after usage(stdout) for -h or --help (0), or usage(stderr) for an
 * unknown flag, a missing -f argument or an operand (2; getopt has said
 * which).  o->conf points into argv or at default_conf (both borrowed).
 */
int daemon_opts_parse(int argc, char **argv, const char *default_conf,
                      void (*usage)(FILE *f), struct daemon_opts *o);

/*
 * The -n answer: cfg is the loaded config, or NULL with err saying why
 * ("file:line: message").  Prints err (exit 1), or for -nv the config on
 * stdout through dump, or "configuration OK" (exit 0); returns that exit
 * status.  cfg stays the caller's.
 */
int daemon_check(const struct daemon_opts *o, const void *cfg, const char *err,
                 void (*dump)(const void *cfg, FILE *f));

/*
 * The signal state of the process; one per daemon, owned by the caller and
 * alive until daemon_signals_join.  Read it through the functions below.
 */
struct daemon_signals {
	sigset_t set;            /* SIGINT, SIGTERM, SIGHUP */
	int wake[2];             /* the thread writes a byte per signal */
	pthread_t thread;        /* valid once daemon_signals_start succeeded */
	atomic_int stop_signal;  /* 0 until SIGTERM or SIGINT */
	atomic_bool reload;      /* SIGHUP not yet taken */
	void (*on_stop)(void *); /* on the signal thread, at the stop */
	void *on_stop_arg;
};

/*
 * Initialize *ds, block SIGINT, SIGTERM and SIGHUP (threads created later
 * inherit the mask) and ignore SIGPIPE.  Call before any thread exists,
 * daemon(3) included.  Cannot fail: sigaction and pthread_sigmask fail
 * only for an invalid signal or operation, and these are fixed.
 */
void daemon_signals_block(struct daemon_signals *ds);
/*
 * Start the thread that waits for the blocked signals; after daemon(3),
 * whose fork would lose it.  on_stop (may be NULL) runs on that thread
 * when SIGTERM or SIGINT comes, before the sleeper is woken: it may cancel
 * what the main thread is blocked in; on_stop_arg is borrowed.  A signal
 * that came earlier is pending and is taken at once.  0, or -errno.
 */
int daemon_signals_start(struct daemon_signals *ds, void (*on_stop)(void *),
                         void *on_stop_arg);
/* The stop signal (SIGTERM or SIGINT), or 0 while running. */
int daemon_stop_signal(struct daemon_signals *ds);
/* A SIGHUP came since the last call: true once per burst of them. */
bool daemon_reload_asked(struct daemon_signals *ds);
/* Sleep until deadline (clock_mono_ms), a stop, or a pending SIGHUP. */
void daemon_sleep_until(struct daemon_signals *ds, uint64_t deadline);
/*
 * After a stop: wait for the signal thread (which ends at the stop) and
 * close the wake pipe.  Never call it while daemon_stop_signal is 0.
 */
void daemon_signals_join(struct daemon_signals *ds);

#endif
