/*
 * sextant-pilot: watches one node.  One thread runs a short tick: the
 * signing lease is enforced every tick (signing.c); every heartbeat
 * interval the node is observed (check.c) and, with a commander, reported
 * (heartbeat.c); every check interval the restart policy judges it.  The
 * local /health and /metrics are rendered after each change (expo.c) and
 * served from copies (httpd.c).  Without a commander it runs alone; with
 * no config file but the Aleph Zero monitor's environment, it builds its
 * config from that (standalone.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/daemon.h"
#include "common/http.h"
#include "common/log.h"
#include "common/util.h"
#include "pilot/httpd.h"
#include "pilot/pilotd.h"
#include "pilot/reload.h"
#include "pilot/report.h"
#include "pilot/standalone.h"

#define DEFAULT_CONF "/etc/sextant/pilot.ini"

static struct daemon_signals sigs;

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
	       "Without a [commander] url the pilot runs standalone.  With no\n"
	       "config file (no -f, none at " DEFAULT_CONF ") and\n"
	       "CONTAINER_NAME set, it takes the Aleph Zero monitor's\n"
	       "variables: CONTAINER_NAME RPC_URL CHECK_INTERVAL BLOCK_LAG_20\n"
	       "BLOCK_LAG_100 (docs/standalone.md).\n"
	       "Signals: SIGTERM or SIGINT stop the pilot cleanly; SIGHUP\n"
	       "reloads [policy] and [reference] (other sections: restart).\n"
	       "Environment: SEXTANT_PILOT_KEY overrides [pilot] key;\n"
	       "SEXTANT_NODE_PASSWORD overrides [node] password.\n");
}

static void targets_refs(struct pilot *p);

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
	p->has_rpc = !c->height_from_logs;
	targets_refs(p);
}

static void
targets_refs(struct pilot *p)
{
	const struct pilot_conf *c = p->cfg;

	p->nrefs = c->reference.n;
	for (unsigned i = 0; i < p->nrefs; i++) {
		memset(&p->refs[i], 0, sizeof(p->refs[i]));
		p->refs[i].chain = p->node.chain;
		util_strlcpy(p->refs[i].url, c->reference.url[i],
		             sizeof(p->refs[i].url));
		p->refs[i].timeout_ms = (uint32_t)c->reference.timeout_ms;
		p->refs[i].height_only = true;
	}
}

static void
view_setup(struct pilot *p)
{
	struct expo_view *v = &p->view;
	const struct pilot_conf *c = p->cfg;

	memset(v, 0, sizeof(*v));
	v->node = c->pilot.name;
	v->chain = proto_chain_str(c->pilot.chain);
	v->role = proto_role_str(c->pilot.role);
	v->version = SEXTANT_VERSION;
	v->backend = pilot_backend_str(c->supervise.backend);
	v->moderate_lag = p->pc.moderate_lag;
	v->refs_n = p->nrefs;
	v->has_commander = c->has_commander;
	v->has_signer = c->signer.backend != PILOT_SIGNER_NONE;
	v->dry_run = p->pc.dry_run;
	v->start_wall_ms = clock_wall_ms();
	snprintf(v->decision, sizeof(v->decision), "none: no check yet");
}

/* Hand the last observation and decision to /health and /metrics. */
static void
publish(struct pilot *p)
{
	struct expo_view *v = &p->view;
	const struct proto_status *st = &p->st;

	p->publish_now = false;
	if (p->httpd == NULL)
		return;
	v->checked = p->decided;
	v->up = st->up;
	v->reachable = st->reachable;
	v->syncing = st->syncing;
	v->major_sync = p->log && p->log->st.major_sync;
	v->producing = p->log && p->log->st.producing;
	v->session_known = p->log && p->log->st.session_known;
	v->session = p->log ? p->log->st.session : 0;
	v->log_lines = p->log ? p->log->st.lines : 0;
	v->height = st->height;
	v->ref_height = st->ref_height;
	v->lag_known = st->height && st->ref_height;
	v->lag = v->lag_known && st->ref_height > st->height
	             ? st->ref_height - st->height
	             : 0;
	v->peers_known = st->peers_known;
	v->peers = st->peers;
	v->refs_ok = st->refs_ok;
	if (p->decided) {
		v->action = p->last.action;
		v->rule = p->last.rule;
		v->hold = p->last.hold;
	}
	v->signing = p->lease.signing;
	v->lease_epoch = p->lease.holding ? p->lease.epoch : 0;
	httpd_publish(p->httpd, v);
}

/* A stop cancels a pending exchange with the commander (blocked in nng
 * for up to its timeout) at once. */
static void
stop_report(void *rep)
{
	report_cancel(rep);
}

static void
dump_conf(const void *c, FILE *f)
{
	pilot_conf_dump(c, f);
}

static const char *
env_lookup(const char *name)
{
	return getenv(name);
}

/* The config: the file, or the Aleph Zero monitor's environment. */
static struct pilot_conf *
load_conf(const char *path, bool path_given, char *err, size_t errlen)
{
	struct pilot_conf *c;
	char *text;

	if (path_given || access(path, F_OK) == 0 ||
	    !standalone_env_present(env_lookup))
		return pilot_conf_load(path, err, errlen);
	if (standalone_conf_text(env_lookup, &text, err, errlen) != 0)
		return NULL;
	c = pilot_conf_load_string("environment", text, err, errlen);
	free(text);
	return c;
}

static uint32_t
tick_ms(const struct pilot *p)
{
	if (pilot_sign_busy(p) || p->gate.asking || promote_active(&p->prom))
		return PILOT_TICK_LEASE_MS;
	if (p->sops == &supervise_process_ops)
		return PILOT_TICK_PROC_MS;
	return PILOT_TICK_IDLE_MS;
}

/* The first of: the next tick, the next check, the next heartbeat. */
static uint64_t
next_wake(const struct pilot *p, uint64_t now)
{
	uint64_t t = now + tick_ms(p);

	if (p->next_check < t)
		t = p->next_check;
	if (p->rep && p->next_hb < t)
		t = p->next_hb;
	if (p->rep && p->hb_now && p->last_hb_ms + PILOT_HB_GAP_MS < t)
		t = p->last_hb_ms + PILOT_HB_GAP_MS;
	return t;
}

static const char *conf_path;
static bool conf_from_env;

/* SIGHUP: [policy] and [reference] apply at once, the rest waits for a
 * restart (reload.h says why); a config that does not load changes
 * nothing. */
static void
reload(struct pilot *p, uint64_t now)
{
	struct pilot_conf *fresh;
	struct reload_plan plan;
	char err[1024];

	if (conf_from_env) {
		log_warnx("SIGHUP: the configuration comes from the "
		          "environment; restart the pilot to change it");
		return;
	}
	if ((fresh = pilot_conf_load(conf_path, err, sizeof(err))) == NULL) {
		log_warnx("SIGHUP: %s; the running configuration stays", err);
		return;
	}
	if (reload_plan(p->cfg, fresh, &plan) != 0) {
		log_warnx("SIGHUP: out of memory; the running configuration "
		          "stays");
		pilot_conf_free(fresh);
		return;
	}
	if (plan.restart[0])
		log_warnx("SIGHUP: %s changed in %s: applied only at the "
		          "next restart of the pilot",
		          plan.restart, conf_path);
	reload_apply(p->cfg, fresh, &plan);
	pilot_conf_free(fresh);
	if (plan.policy) {
		bool dry = p->pc.dry_run;

		p->pc = p->cfg->policy.p;
		if (p->cfg->supervise.backend == PILOT_BACKEND_NONE)
			p->pc.dry_run = true;
		if (p->pc.dry_run != dry)
			log_info("dry run %s", p->pc.dry_run ? "on" : "off");
		p->view.moderate_lag = p->pc.moderate_lag;
		p->view.dry_run = p->pc.dry_run;
		if (p->next_check > now + p->cfg->policy.check_interval_ms)
			p->next_check = now + p->cfg->policy.check_interval_ms;
	}
	if (plan.reference) {
		targets_refs(p);
		p->view.refs_n = p->nrefs;
	}
	log_info("SIGHUP: reloaded %s: [policy] %s, [reference] %s", conf_path,
	         plan.policy ? "applied" : "unchanged",
	         plan.reference ? "applied" : "unchanged");
	p->publish_now = true;
}

static void
loop(struct pilot *p)
{
	uint64_t now;

	p->next_check = clock_mono_ms();
	p->next_hb = p->next_check;
	while (!daemon_stop_signal(&sigs)) {
		bool check, hb;

		now = clock_mono_ms();
		if (daemon_reload_asked(&sigs))
			reload(p, now);
		pilot_sign_tick(p, now);
		pilot_watch_events(p, now);
		check = now >= p->next_check;
		/* an early heartbeat (a state change to report) waits for a
		 * short gap, so a flapping state cannot flood the commander */
		hb = p->rep &&
		     (now >= p->next_hb ||
		      (p->hb_now && now >= p->last_hb_ms + PILOT_HB_GAP_MS));
		if (check ||
		    (hb && now >= p->observed_ms + p->hb_interval_ms / 2)) {
			/* one observation serves a check and a heartbeat */
			pilot_observe(p, now);
			if (daemon_stop_signal(&sigs))
				break;
		}
		if (check) {
			p->next_check = now + p->cfg->policy.check_interval_ms;
			pilot_check(p, clock_mono_ms());
		} else if (hb && now >= p->next_hb)
			pilot_log_status(p); /* the check logs its own line */
		if (hb) {
			if (!p->observed)
				pilot_observe(p, now);
			p->last_hb_ms = clock_mono_ms();
			pilot_heartbeat(p, p->last_hb_ms);
		} else if (p->gate.asking)
			pilot_restart_verdict(
			    p, restart_gate_tick(&p->gate, clock_mono_ms()),
			    clock_mono_ms());
		if (p->publish_now)
			publish(p);
		daemon_sleep_until(&sigs, next_wake(p, clock_mono_ms()));
	}
}

int
main(int argc, char **argv)
{
	struct daemon_opts o;
	static struct pilot p;
	char err[1024];
	int rc;

	if ((rc = daemon_opts_parse(argc, argv, DEFAULT_CONF, usage, &o)) >= 0)
		return rc;
	daemon_signals_block(&sigs);
	log_init("sextant-pilot", o.foreground || o.check, o.verbose);
	conf_path = o.conf;
	conf_from_env = !(o.conf_given || access(o.conf, F_OK) == 0 ||
	                  !standalone_env_present(env_lookup));
	p.cfg = load_conf(o.conf, o.conf_given, err, sizeof(err));
	if (o.check) {
		rc = daemon_check(&o, p.cfg, err, dump_conf);
		pilot_conf_free(p.cfg);
		return rc;
	}
	if (p.cfg == NULL)
		fatalx("%s", err);
	/* before any thread exists: nng's and curl's would not survive */
	if (!o.foreground && daemon(1, 0) != 0)
		fatal("daemon");
	if (http_init() != 0)
		fatalx("cannot initialise the HTTP client");
	targets_setup(&p);
	p.pc = p.cfg->policy.p;
	if (p.cfg->supervise.backend == PILOT_BACKEND_NONE)
		p.pc.dry_run = true; /* nothing to restart with */
	policy_state_init(&p.ps);
	restart_gate_init(&p.gate, p.cfg->has_commander,
	                  p.cfg->budget.fallback == PILOT_FALLBACK_ALLOW,
	                  p.cfg->budget.grant_wait_ms);
	p.hb_interval_ms = (uint32_t)p.cfg->pilot.interval_ms;
	view_setup(&p);

	if ((rc = pilot_supervise_open(&p, err, sizeof(err))) != 0)
		fatalx("[supervise] %s: %s",
		       pilot_backend_str(p.cfg->supervise.backend), err);
	/* not signing before anything else happens, the node included */
	pilot_sign_init(&p);
	if (p.sops == &supervise_process_ops && p.cfg->supervise.start) {
		if (p.sops->start(p.sh, err, sizeof(err)) != 0)
			log_warnx("node %s did not start: %s",
			          p.cfg->pilot.name, err);
		else
			log_info("node %s started: %s", p.cfg->pilot.name,
			         p.cfg->supervise.command);
	}
	if (p.cfg->http_url[0]) {
		if (httpd_start(p.cfg->http_url, &p.httpd, err, sizeof(err)) ==
		    0)
			log_info("serving /health and /metrics on %s",
			         p.cfg->http_url);
		else if (pilot_conf_http_default(p.cfg))
			/* several pilots on one host: only one gets the
			 * default port, and the others must still run */
			log_warnx("[http] listen: %s; /health and /metrics "
			          "are off (set [http] listen to another "
			          "port)",
			          err);
		else
			fatalx("[http] listen: %s", err);
	}

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
		log_info("node %s (%s %s, network %s, %s): reporting to %s",
		         p.cfg->pilot.name, proto_chain_str(p.cfg->pilot.chain),
		         proto_role_str(p.cfg->pilot.role),
		         p.cfg->pilot.network,
		         pilot_backend_str(p.cfg->supervise.backend),
		         p.cfg->commander.url);
	} else
		log_info("node %s (%s %s, %s): standalone, no commander",
		         p.cfg->pilot.name, proto_chain_str(p.cfg->pilot.chain),
		         proto_role_str(p.cfg->pilot.role),
		         pilot_backend_str(p.cfg->supervise.backend));
	if (p.pc.dry_run)
		log_info("dry run: restart decisions are logged, never acted "
		         "on%s",
		         p.sops ? "" : " (no [supervise] backend)");
	if ((rc = daemon_signals_start(&sigs, p.rep ? stop_report : NULL,
	                               p.rep)) != 0)
		fatalx("signal thread: %s", strerror(-rc));

	loop(&p);

	log_info("%s: stopping", strsignal(daemon_stop_signal(&sigs)));
	daemon_signals_join(&sigs);
	pilot_sign_stop(&p);
	httpd_stop(p.httpd);
	report_close(p.rep);
	pilot_supervise_close(&p); /* a process-backend node stops too */
	http_thread_cleanup();
	pilot_conf_free(p.cfg);
	return 0;
}
