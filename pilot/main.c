/*
 * sextant-pilot: watches one node.  Every interval it probes the node and
 * its reference endpoints, logs the lag, and, when a commander is
 * configured, reports a heartbeat over the sealed channel (report.c) and
 * logs the fleet's view from the reply.  Without a commander it runs alone.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/http.h"
#include "common/log.h"
#include "common/util.h"
#include "pilot/conf.h"
#include "pilot/probe.h"
#include "pilot/report.h"

#ifndef SEXTANT_VERSION
#define SEXTANT_VERSION "0.1.0"
#endif

#define DEFAULT_CONF "/etc/sextant/pilot.ini"

struct pilot {
	struct pilot_conf *cfg;
	struct report *rep;
	struct probe_target node;
	struct probe_target refs[PILOT_MAX_REFS];
	unsigned nrefs;

	bool registered;
	bool commander_ok; /* last exchange got a reply */
	bool commander_tried;
	uint64_t seq;
	uint64_t last_height;
	uint64_t height_seen_ms;
	uint64_t fleet_ref;
	int32_t last_refusal; /* last registration refusal, or 0 */
};

static atomic_bool stopping;
static atomic_int stop_signal;
static struct report *volatile signal_report;
static int wake_fd[2] = {-1, -1};

static void
usage(FILE *f)
{
	fprintf(
	    f, "usage: sextant-pilot [-dnv] [-f CONFIG]\n"
	       "\n"
	       "  -f CONFIG  configuration file (default " DEFAULT_CONF ")\n"
	       "  -n         check the configuration (and the keys) and exit:\n"
	       "             0 if usable, 1 with file:line: message on stderr\n"
	       "  -nv        with -n: print the normalized configuration\n"
	       "  -d         stay in the foreground and log to stderr\n"
	       "             (otherwise detach and log to syslog; the working\n"
	       "             directory is kept for relative paths)\n"
	       "  -v         log debug messages too\n"
	       "  -h, --help this text\n"
	       "\n"
	       "Without a [commander] url the pilot runs standalone.\n"
	       "Signals: SIGTERM or SIGINT stop the pilot cleanly.\n"
	       "Environment: SEXTANT_PILOT_KEY overrides [pilot] key;\n"
	       "SEXTANT_NODE_PASSWORD overrides [node] password.\n");
}

static void
on_signal(int sig)
{
	(void)sig; /* never runs: the signals are blocked and waited for */
}

/*
 * A thread takes the stop signals so that a pending exchange with the
 * commander (blocked in nng for up to its timeout) is canceled at once.
 */
static void *
signal_thread(void *arg)
{
	sigset_t *set = arg;
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			log_info("SIGHUP: reload is not supported yet; "
			         "restart to apply a new config");
			continue;
		}
		atomic_store(&stop_signal, sig);
		atomic_store(&stopping, true);
		if (signal_report)
			report_cancel(signal_report);
		if (write(wake_fd[1], "x", 1) < 0) {
			/* the main loop also polls the flag */
		}
		return NULL;
	}
}

static void
signals_setup(sigset_t *set)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* an inherited SIG_IGN would discard them before sigwait sees them */
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

/* Sleep until deadline (monotonic ms) or a stop signal. */
static void
sleep_until(uint64_t deadline)
{
	while (!atomic_load(&stopping)) {
		uint64_t now = clock_mono_ms();
		struct pollfd pfd = {.fd = wake_fd[0], .events = POLLIN};

		if (now >= deadline)
			return;
		poll(&pfd, 1,
		     (int)(deadline - now > 60000 ? 60000 : deadline - now));
	}
}

static void
targets_setup(struct pilot *p)
{
	const struct pilot_conf *c = p->cfg;

	memset(&p->node, 0, sizeof(p->node));
	p->node.chain = (enum proto_chain)c->pilot.chain;
	util_strlcpy(p->node.url, c->node.rpc_url, sizeof(p->node.url));
	util_strlcpy(p->node.user, c->node.user, sizeof(p->node.user));
	util_strlcpy(p->node.password, c->node.password,
	             sizeof(p->node.password));
	util_strlcpy(p->node.cookie_file, c->node.cookie_file,
	             sizeof(p->node.cookie_file));
	util_strlcpy(p->node.command, c->node.command, sizeof(p->node.command));
	p->node.timeout_ms = (uint32_t)c->node.timeout_ms;
	p->nrefs = c->reference.n;
	for (unsigned i = 0; i < p->nrefs; i++) {
		memset(&p->refs[i], 0, sizeof(p->refs[i]));
		p->refs[i].chain = p->node.chain;
		util_strlcpy(p->refs[i].url, c->reference.url[i],
		             sizeof(p->refs[i].url));
		p->refs[i].timeout_ms = (uint32_t)c->reference.timeout_ms;
	}
}

static void
probe_node(struct pilot *p, struct proto_status *st)
{
	struct probe_result r;
	uint64_t median = 0;
	uint32_t answered = 0;

	memset(st, 0, sizeof(*st));
	memset(&r, 0, sizeof(r));
	probe_run(&p->node, &r);
	st->time_ms = clock_wall_ms();
	/* no supervisor yet: a node that answers is a node that runs */
	st->up = r.reachable;
	st->reachable = r.reachable;
	st->syncing = r.syncing;
	st->height = r.height;
	util_strlcpy(st->tip_hash, r.tip_hash, sizeof(st->tip_hash));
	st->peers = r.peers;
	st->peers_known = r.peers_known;
	util_strlcpy(st->error, r.error, sizeof(st->error));
	if (r.reachable && r.height != p->last_height) {
		p->last_height = r.height;
		p->height_seen_ms = st->time_ms;
	}
	st->height_seen_ms = p->height_seen_ms;
	if (p->nrefs > 0 &&
	    probe_reference(p->refs, p->nrefs, &median, &answered) == 0) {
		st->ref_height = median;
		st->refs_ok = (uint32_t)__builtin_popcount(answered);
	}
}

static void
log_status(const struct pilot *p, const struct proto_status *st)
{
	char ref[64] = "", fleet[64] = "";

	if (!st->reachable) {
		log_warnx("node %s unreachable: %s", p->cfg->pilot.name,
		          st->error[0] ? st->error : "no answer");
		return;
	}
	if (p->nrefs > 0 && st->refs_ok == 0)
		snprintf(ref, sizeof(ref), " (no reference answered)");
	else if (st->ref_height)
		snprintf(ref, sizeof(ref),
		         " lag %" PRId64 " (ref %" PRIu64 ", %" PRIu32 "/%u)",
		         (int64_t)(st->ref_height - st->height), st->ref_height,
		         st->refs_ok, p->nrefs);
	if (p->fleet_ref)
		snprintf(fleet, sizeof(fleet),
		         " fleet-lag %" PRId64 " (fleet %" PRIu64 ")",
		         (int64_t)(p->fleet_ref - st->height), p->fleet_ref);
	log_info("node %s height %" PRIu64 "%s%s%s", p->cfg->pilot.name,
	         st->height, ref, fleet, st->syncing ? " syncing" : "");
}

/* One exchange with logging of state changes; REPORT_OK fills *reply. */
static enum report_err
exchange(struct pilot *p, const struct proto_msg *req, struct proto_msg *reply)
{
	enum report_err e;
	char err[256];

	e = report_exchange(p->rep, req, reply, NULL, err, sizeof(err));
	if (e == REPORT_OK) {
		if (!p->commander_ok && p->commander_tried)
			log_info("commander %s answers again",
			         p->cfg->commander.url);
		p->commander_ok = true;
	} else if (e != REPORT_E_CANCELED) {
		if (p->commander_ok || !p->commander_tried)
			log_warnx(
			    "commander %s: %s %s: %s", p->cfg->commander.url,
			    proto_type_str(req->type), report_strerror(e), err);
		else
			log_debug(
			    "commander %s: %s %s: %s", p->cfg->commander.url,
			    proto_type_str(req->type), report_strerror(e), err);
		p->commander_ok = false;
	}
	p->commander_tried = true;
	return e;
}

static int
send_hello(struct pilot *p)
{
	const struct pilot_conf *c = p->cfg;
	struct proto_msg m, reply;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_HELLO;
	util_strlcpy(m.u.hello.node, c->pilot.name, sizeof(m.u.hello.node));
	util_strlcpy(m.u.hello.version, SEXTANT_VERSION,
	             sizeof(m.u.hello.version));
	m.u.hello.chain = (enum proto_chain)c->pilot.chain;
	m.u.hello.role = (enum proto_role)c->pilot.role;
	util_strlcpy(m.u.hello.network, c->pilot.network,
	             sizeof(m.u.hello.network));
	util_strlcpy(m.u.hello.group, c->pilot.group, sizeof(m.u.hello.group));
	if (exchange(p, &m, &reply) != REPORT_OK)
		return -1;
	if (reply.u.reply.status != PROTO_ST_OK) {
		/* once per cause, not once per interval */
		if (reply.u.reply.status != p->last_refusal)
			log_warnx("commander %s refused registration: %s",
			          c->commander.url,
			          proto_status_str(reply.u.reply.status));
		p->last_refusal = reply.u.reply.status;
		return -1;
	}
	p->last_refusal = PROTO_ST_OK;
	p->registered = true;
	p->fleet_ref = reply.u.reply.fleet_ref_height;
	log_info("registered with commander %s as %s", c->commander.url,
	         c->pilot.name);
	return 0;
}

static void
report_status(struct pilot *p, const struct proto_status *st)
{
	struct proto_msg m, reply;
	int tries;

	if (!p->registered && send_hello(p) != 0)
		return;
	memset(&m, 0, sizeof(m));
	m.type = PROTO_HEARTBEAT;
	m.u.hb.st = *st;
	/* a commander that restarted forgets us: hello again, once */
	for (tries = 0; tries < 2 && !atomic_load(&stopping); tries++) {
		m.u.hb.seq = ++p->seq;
		if (exchange(p, &m, &reply) != REPORT_OK)
			return;
		if (reply.u.reply.status == PROTO_ST_NEED_HELLO) {
			log_info("commander asks for hello again");
			p->registered = false;
			if (send_hello(p) != 0)
				return;
			continue;
		}
		if (reply.u.reply.status != PROTO_ST_OK) {
			log_warnx("commander refused heartbeat: %s",
			          proto_status_str(reply.u.reply.status));
			return;
		}
		p->fleet_ref = reply.u.reply.fleet_ref_height;
		log_debug("heartbeat %" PRIu64 " accepted, fleet %" PRIu64
		          ", %" PRIu32 " commands",
		          m.u.hb.seq, p->fleet_ref, reply.u.reply.ncmds);
		return;
	}
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
	struct pilot p;
	char err[1024];
	sigset_t set;
	pthread_t sigthr;
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
	log_init("sextant-pilot", fg || check, verbose);
	memset(&p, 0, sizeof(p));
	if ((p.cfg = pilot_conf_load(path, err, sizeof(err))) == NULL) {
		if (check) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		fatalx("%s", err);
	}
	if (check) {
		if (verbose)
			pilot_conf_dump(p.cfg, stdout);
		else
			fprintf(stderr, "configuration OK\n");
		pilot_conf_free(p.cfg);
		return 0;
	}
	/* before any thread exists: nng's and curl's would not survive */
	if (!fg && daemon(1, 0) != 0)
		fatal("daemon");
	if (pipe(wake_fd) != 0)
		fatal("pipe");
	if (http_init() != 0)
		fatalx("cannot initialise the HTTP client");
	targets_setup(&p);

	if (p.cfg->has_commander) {
		struct report_params rp = {
		    .url = p.cfg->commander.url,
		    .server_pk = p.cfg->commander_pk,
		    .id = &p.cfg->id,
		    .state_dir = p.cfg->pilot.state_dir,
		    .timeout_ms = (uint32_t)p.cfg->commander.timeout_ms,
		    .reconnect_min_ms =
		        (uint32_t)p.cfg->commander.reconnect_min_ms,
		    .reconnect_max_ms =
		        (uint32_t)p.cfg->commander.reconnect_max_ms,
		};

		if (report_open(&rp, &p.rep, err, sizeof(err)) != 0)
			fatalx("commander: %s", err);
		signal_report = p.rep;
		log_info("node %s (%s %s, network %s): reporting to %s",
		         p.cfg->pilot.name, proto_chain_str(p.cfg->pilot.chain),
		         proto_role_str(p.cfg->pilot.role),
		         p.cfg->pilot.network, p.cfg->commander.url);
	} else
		log_info("node %s (%s %s): standalone, no commander",
		         p.cfg->pilot.name, proto_chain_str(p.cfg->pilot.chain),
		         proto_role_str(p.cfg->pilot.role));
	if ((errno = pthread_create(&sigthr, NULL, signal_thread, &set)) != 0)
		fatal("pthread_create");

	next = clock_mono_ms();
	while (!atomic_load(&stopping)) {
		struct proto_status st;

		probe_node(&p, &st);
		if (atomic_load(&stopping))
			break;
		if (p.rep)
			report_status(&p, &st);
		log_status(&p, &st);
		next += p.cfg->pilot.interval_ms;
		if (next < clock_mono_ms()) /* fell behind: do not burst */
			next = clock_mono_ms() + p.cfg->pilot.interval_ms;
		sleep_until(next);
	}
	log_info("%s: stopping", strsignal(atomic_load(&stop_signal)));
	pthread_join(sigthr, NULL);
	signal_report = NULL;
	report_close(p.rep);
	pilot_conf_free(p.cfg);
	return 0;
}
