/*
 * sextant-commander: the fleet's central endpoint.  Pilots dial in over a
 * sealed nng channel (ingest.c); the commander registers them, answers each
 * heartbeat with the fleet's view, and logs every node's height and lag.
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
#include "commander/ingest.h"
#include "commander/registry.h"
#include "common/log.h"
#include "common/util.h"

#define DEFAULT_CONF "/etc/sextant/commander.ini"

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

static void
log_node(const struct registry_view *v, uint64_t fleet, uint64_t now,
         uint64_t stale_ms)
{
	char age[32], flags[64] = "", peers[32] = "", ref[64], fl[64];
	const struct proto_status *st = &v->st;

	if (!v->registered) {
		log_info("node %s: not registered", v->name);
		return;
	}
	if (!v->have_status) {
		log_info("node %s: registered from %s, no heartbeat yet",
		         v->name, v->addr);
		return;
	}
	if (now - v->seen_mono > stale_ms && v->seen_mono < now) {
		log_info(
		    "node %s: silent for %s (last height %" PRIu64 ")", v->name,
		    util_fmt_duration(now - v->seen_mono, age, sizeof(age)),
		    st->height);
		return;
	}
	if (!st->reachable) {
		log_info("node %s: unreachable (%s)", v->name,
		         st->error[0] ? st->error : "no answer");
		return;
	}
	if (st->syncing)
		util_strlcpy(flags, ", syncing", sizeof(flags));
	if (st->peers_known)
		snprintf(peers, sizeof(peers), ", %" PRIu32 " peers",
		         st->peers);
	if (st->ref_height)
		snprintf(ref, sizeof(ref), "lag %" PRId64 " (ref %" PRIu64 ")",
		         (int64_t)(st->ref_height - st->height),
		         st->ref_height);
	else
		util_strlcpy(ref, "no reference", sizeof(ref));
	if (fleet)
		snprintf(fl, sizeof(fl),
		         "fleet-lag %" PRId64 " (fleet %" PRIu64 ")",
		         (int64_t)(fleet - st->height), fleet);
	else
		util_strlcpy(fl, "no fleet median", sizeof(fl));
	log_info("node %s height %" PRIu64 " %s %s%s%s, network %s", v->name,
	         st->height, ref, fl, peers, flags, v->hello.network);
}

static void
log_fleet(struct commander_conf *cfg, struct registry_view *views,
          size_t nviews)
{
	uint64_t now = clock_mono_ms();
	size_t n = registry_snapshot(cfg->reg, views, nviews);

	for (size_t i = 0; i < n; i++) {
		uint64_t fleet = 0;

		if (views[i].registered)
			fleet = registry_fleet_ref(cfg->reg,
			                           views[i].hello.network, now);
		log_node(&views[i], fleet, now, cfg->commander.stale_ms);
	}
}

static void
log_drops(struct ingest *in, struct ingest_stats *last)
{
	struct ingest_stats st;
	char buf[256];

	ingest_get_stats(in, &st);
	if (memcmp(st.dropped, last->dropped, sizeof(st.dropped)) != 0)
		log_info("ingest: %s", ingest_fmt_stats(&st, buf, sizeof(buf)));
	else
		log_debug("ingest: %s",
		          ingest_fmt_stats(&st, buf, sizeof(buf)));
	*last = st;
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
	struct ingest *in = NULL;
	struct ingest_params ip;
	struct ingest_stats last;
	struct registry_view *views;
	char err[1024];
	sigset_t set;
	uint64_t next;

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
	memset(&ip, 0, sizeof(ip));
	ip.listen = cfg->commander.listen;
	ip.contexts = cfg->commander.contexts;
	ip.window_ms = cfg->commander.window_ms;
	ip.reg = cfg->reg;
	ip.id = &cfg->id;
	ip.handler = ingest_registry_handler(cfg->reg);
	if (ingest_start(&ip, &in, err, sizeof(err)) != 0)
		fatalx("%s", err);
	log_info("listening on %s (port %d) for %zu authorized pilots, %u "
	         "contexts",
	         cfg->commander.listen, ingest_port(in),
	         registry_count(cfg->reg), cfg->commander.contexts);

	if ((views = calloc(registry_count(cfg->reg) + 1, sizeof(*views))) ==
	    NULL)
		fatal("out of memory");
	memset(&last, 0, sizeof(last));
	next = clock_mono_ms() + cfg->commander.interval_ms;
	for (;;) {
		uint64_t now = clock_mono_ms(),
		         wait = next > now ? next - now : 0;
		struct timespec ts = {
		    .tv_sec = (time_t)(wait / 1000),
		    .tv_nsec = (long)(wait % 1000) * 1000000L,
		};
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
		if (clock_mono_ms() < next)
			continue;
		log_fleet(cfg, views, registry_count(cfg->reg));
		log_drops(in, &last);
		next += cfg->commander.interval_ms;
		if (next < clock_mono_ms())
			next = clock_mono_ms() + cfg->commander.interval_ms;
	}
	ingest_stop(in);
	free(views);
	commander_conf_free(cfg);
	return 0;
}
