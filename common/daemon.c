#include "common/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

int
daemon_opts_parse(int argc, char **argv, const char *default_conf,
                  void (*usage)(FILE *f), struct daemon_opts *o)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->conf = default_conf;
	while ((ch = getopt_long(argc, argv, "df:hnv", longopts, NULL)) != -1)
		switch (ch) {
		case 'd':
			o->foreground = true;
			break;
		case 'f':
			o->conf = optarg;
			o->conf_given = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'n':
			o->check = true;
			break;
		case 'v':
			o->verbose++;
			break;
		default:
			usage(stderr);
			return 2;
		}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	return -1;
}

int
daemon_check(const struct daemon_opts *o, const void *cfg, const char *err,
             void (*dump)(const void *cfg, FILE *f))
{
	if (cfg == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (o->verbose)
		dump(cfg, stdout);
	else
		fprintf(stderr, "configuration OK\n");
	return 0;
}

static void
on_signal(int sig)
{
	(void)sig; /* never runs: the signals are blocked and waited for */
}

void
daemon_signals_block(struct daemon_signals *ds)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa;

	memset(ds, 0, sizeof(*ds));
	ds->wake[0] = ds->wake[1] = -1;
	atomic_init(&ds->stop_signal, 0);
	atomic_init(&ds->reload, false);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&ds->set);
	for (size_t i = 0; i < UTIL_NELEM(sigs); i++) {
		/* an inherited SIG_IGN (background jobs of a shell) would
		 * discard them before sigwait sees them; a handler makes
		 * them pending instead */
		sigaction(sigs[i], &sa, NULL);
		sigaddset(&ds->set, sigs[i]);
	}
	signal(SIGPIPE, SIG_IGN);
	pthread_sigmask(SIG_BLOCK, &ds->set, NULL);
}

static void
wake(struct daemon_signals *ds)
{
	if (write(ds->wake[1], "x", 1) < 0) {
		/* a full pipe wakes the sleeper as well; it reads the flags */
	}
}

/* The stop signals are taken here, not in the main thread, so that a
 * stop can cancel what the main thread is blocked in (on_stop). */
static void *
signal_thread(void *arg)
{
	struct daemon_signals *ds = arg;
	int sig;

	for (;;) {
		if (sigwait(&ds->set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			atomic_store(&ds->reload, true);
			wake(ds);
			continue;
		}
		atomic_store(&ds->stop_signal, sig);
		if (ds->on_stop)
			ds->on_stop(ds->on_stop_arg);
		wake(ds);
		return NULL;
	}
}

int
daemon_signals_start(struct daemon_signals *ds, void (*on_stop)(void *),
                     void *on_stop_arg)
{
	int rc;

	ds->on_stop = on_stop;
	ds->on_stop_arg = on_stop_arg;
	/* non-blocking: a burst of SIGHUPs must not block the thread on a
	 * full pipe; one byte wakes the sleeper as well as many */
	if (pipe2(ds->wake, O_CLOEXEC | O_NONBLOCK) != 0)
		return -errno;
	if ((rc = pthread_create(&ds->thread, NULL, signal_thread, ds)) != 0) {
		close(ds->wake[0]);
		close(ds->wake[1]);
		ds->wake[0] = ds->wake[1] = -1;
		return -rc;
	}
	return 0;
}

int
daemon_stop_signal(struct daemon_signals *ds)
{
	return atomic_load(&ds->stop_signal);
}

bool
daemon_reload_asked(struct daemon_signals *ds)
{
	return atomic_exchange(&ds->reload, false);
}

void
daemon_sleep_until(struct daemon_signals *ds, uint64_t deadline)
{
	while (!atomic_load(&ds->stop_signal) && !atomic_load(&ds->reload)) {
		uint64_t now = clock_mono_ms();
		struct pollfd pfd = {.fd = ds->wake[0], .events = POLLIN};
		char drain[16];

		if (now >= deadline)
			return;
		if (poll(&pfd, 1,
		         (int)(deadline - now > 60000 ? 60000
		                                      : deadline - now)) > 0 &&
		    read(ds->wake[0], drain, sizeof(drain)) < 0) {
			/* nothing to drain: the flags say why we woke */
		}
	}
}

void
daemon_signals_join(struct daemon_signals *ds)
{
	pthread_join(ds->thread, NULL);
	close(ds->wake[0]);
	close(ds->wake[1]);
	ds->wake[0] = ds->wake[1] = -1;
}
