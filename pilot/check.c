/*
 * check.c: the pilot's view of its node and the restart policy's verdict
 * on it.  pilot_observe() gathers one snapshot (supervisor state, probes of
 * the node and its references, log lines, host health); pilot_check() runs
 * the policy on it, logs the per-check line and, on RESTART, asks the
 * restart gate (restart.h) and restarts through the supervisor.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/util.h"
#include "pilot/hostinfo.h"
#include "pilot/pilotd.h"

extern char **environ;

/* snprintf that may cut: the decision text is bounded on purpose. */
static void say(char *dst, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

uint32_t
pilot_budget_ms(const struct pilot *p, uint32_t cap)
{
	uint64_t now, left;

	if (!p->lease.holding || p->lease.mode != LEASE_MODE_LEASE ||
	    !(p->lease.signing || p->lease.promoting))
		return cap;
	now = clock_mono_ms();
	left = p->lease.expires_ms > now ? p->lease.expires_ms - now : 0;
	/* leave the loop time to demote before the deadline */
	left = left > 300 ? left - 200 : 100;
	return left < cap ? (uint32_t)left : cap;
}

/* The node's environment: the pilot's, without its own secrets, plus the
 * configured NAME=VALUE entries (which win). */
static char **
node_env(const struct pilot_conf_supervise *sv)
{
	size_t n = 0, k = 0;
	char **env;

	for (char **e = environ; *e; e++)
		n++;
	if ((env = calloc(n + sv->env.n + 1, sizeof(*env))) == NULL)
		return NULL;
	for (char **e = environ; *e; e++) {
		bool over = strncmp(*e, "SEXTANT_", 8) == 0;

		for (unsigned i = 0; i < sv->env.n && !over; i++) {
			size_t l = strcspn(sv->env.v[i], "=");

			over =
			    strncmp(*e, sv->env.v[i], l) == 0 && (*e)[l] == '=';
		}
		if (!over)
			env[k++] = *e;
	}
	for (unsigned i = 0; i < sv->env.n; i++)
		env[k++] = (char *)sv->env.v[i];
	env[k] = NULL;
	return env;
}

int
pilot_supervise_open(struct pilot *p, char *err, size_t errlen)
{
	const struct pilot_conf_supervise *sv = &p->cfg->supervise;
	const char *argv[PILOT_MAX_ARGS + 2];
	struct supervise_conf c;
	char **env = NULL;
	int rc;

	if (sv->backend == PILOT_BACKEND_NONE)
		return 0;
	p->sops = supervise_ops_for(pilot_backend_str(sv->backend));
	if (p->sops == NULL) {
		snprintf(err, errlen, "no supervisor backend '%s'",
		         pilot_backend_str(sv->backend));
		return -EINVAL;
	}
	memset(&c, 0, sizeof(c));
	c.target = sv->target;
	c.call_timeout_ms = (uint32_t)sv->call_timeout_ms;
	if (sv->backend == PILOT_BACKEND_PROCESS) {
		argv[0] = sv->command;
		for (unsigned i = 0; i < sv->args.n; i++)
			argv[i + 1] = sv->args.v[i];
		argv[sv->args.n + 1] = NULL;
		c.argv = argv;
		if ((env = node_env(sv)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		c.envp = (const char *const *)env;
		c.workdir = sv->workdir[0] ? sv->workdir : NULL;
		c.log_path = sv->log_file;
		c.log_max_bytes = sv->log_max_bytes;
		c.log_keep = sv->log_keep;
		/* the default log file lives in the state dir */
		if (mkdir(p->cfg->pilot.state_dir, 0700) != 0 &&
		    errno != EEXIST)
			log_warn("%s", p->cfg->pilot.state_dir);
	}
	if (sv->docker_host[0])
		c.docker_host = sv->docker_host;
	rc = p->sops->open(&c, &p->sh, err, errlen);
	free(env); /* open() copied it; the strings are environ's */
	if (rc != 0)
		return rc;
	memset(&p->evcur, 0, sizeof(p->evcur));
	p->evcur.since_ms = clock_wall_ms();
	if (p->cfg->use_logrules) {
		if ((p->log = calloc(1, sizeof(*p->log))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		rc = nodelog_open(
		    p->log, &p->cfg->logrules.rules,
		    sv->backend == PILOT_BACKEND_PROCESS ? sv->log_file : NULL,
		    sv->backend == PILOT_BACKEND_PROCESS ? NULL : p->sops,
		    p->sh, clock_wall_ms());
		if (rc != 0) {
			snprintf(err, errlen, "log file '%s': %s", sv->log_file,
			         strerror(-rc));
			return rc;
		}
		p->use_logs = true;
	}
	return 0;
}

void
pilot_supervise_close(struct pilot *p)
{
	if (p->log) {
		nodelog_close(p->log);
		free(p->log);
		p->log = NULL;
	}
	if (p->sops)
		p->sops->close(p->sh); /* the process backend stops the node */
	p->sh = NULL;
}

static int
on_event(void *arg, const struct supervise_event *ev)
{
	struct pilot *p = arg;

	if (ev->kind == SUPERVISE_EV_DIE) {
		if (ev->exit_signal)
			log_warnx("node %s died: killed by signal %d",
			          p->cfg->pilot.name, ev->exit_signal);
		else
			log_warnx("node %s died: exit status %d",
			          p->cfg->pilot.name, ev->exit_code);
		/* judge it now, not at the next check */
		p->next_check = 0;
	} else if (ev->kind == SUPERVISE_EV_OOM)
		log_warnx("node %s: out of memory", p->cfg->pilot.name);
	return 0;
}

/* Only the process backend's events are free (its own reaps); the others
 * cost a request, and the state read at each observation suffices. */
void
pilot_watch_events(struct pilot *p, uint64_t now)
{
	char err[SUPERVISE_ERR_MAX];

	(void)now;
	if (p->sops != &supervise_process_ops)
		return;
	if (p->sops->events(p->sh, &p->evcur, on_event, p, err, sizeof(err)) <
	    0)
		log_debug("events: %s", err);
}

static void
observe_refs(struct pilot *p, struct proto_status *st)
{
	struct probe_target refs[PILOT_MAX_REFS];
	uint32_t answered = 0;
	uint64_t median = 0;
	uint32_t t = pilot_budget_ms(p, p->refs[0].timeout_ms);

	p->refs_median = 0;
	if (p->nrefs == 0)
		return;
	memcpy(refs, p->refs, sizeof(refs[0]) * p->nrefs);
	for (unsigned i = 0; i < p->nrefs; i++)
		refs[i].timeout_ms = t;
	if (probe_reference(refs, p->nrefs, &median, &answered) == 0) {
		p->refs_median = median;
		st->refs_ok = (uint32_t)__builtin_popcount(answered);
	} else
		p->view.reference_errors++;
}

void
pilot_observe(struct pilot *p, uint64_t now)
{
	struct proto_status *st = &p->st;
	struct probe_result r;
	struct supervise_state ss;
	struct hostinfo hi;
	char err[SUPERVISE_ERR_MAX];
	int n;

	memset(st, 0, sizeof(*st));
	memset(&r, 0, sizeof(r));
	st->time_ms = clock_wall_ms();
	if (p->has_rpc) {
		struct probe_target t = p->node;

		/* two requests at most (status, peers) */
		t.timeout_ms = pilot_budget_ms(p, t.timeout_ms * 2) / 2;
		if (t.timeout_ms < 50)
			t.timeout_ms = 50;
		if (probe_run(&t, &r) != 0)
			p->view.probe_errors++;
	}
	if (p->sops) {
		if (p->sops->state(p->sh, &ss, err, sizeof(err)) != 0) {
			log_debug("supervisor: %s", err);
			ss.running = false;
		}
		st->up = ss.running;
	} else
		st->up = r.reachable;
	if (p->use_logs) {
		n = nodelog_drain(p->log, now, err, sizeof(err));
		if (n < 0)
			log_debug("logs: %s", err);
	}
	if (p->has_rpc) {
		st->reachable = r.reachable;
		st->syncing = r.syncing;
		st->height = r.height;
		util_strlcpy(st->tip_hash, r.tip_hash, sizeof(st->tip_hash));
		st->peers = r.peers;
		st->peers_known = r.peers_known;
		util_strlcpy(st->error, r.error, sizeof(st->error));
	} else {
		/* the logs are the node's only voice: it answers if it runs */
		st->reachable = st->up;
		if (p->log) {
			st->height = p->log->st.imported_height;
			util_strlcpy(st->tip_hash, p->log->st.imported_hash,
			             sizeof(st->tip_hash));
		}
	}
	if (p->log)
		st->syncing = st->syncing || p->log->st.major_sync;
	if (st->height && st->height != p->last_height) {
		p->last_height = st->height;
		p->height_seen_ms = st->time_ms;
	}
	st->height_seen_ms = p->height_seen_ms;
	observe_refs(p, st);
	/* the fleet's view counts too: a reference that lags the fleet
	 * must not hide our own lag */
	st->ref_height =
	    p->refs_median > p->fleet_ref ? p->refs_median : p->fleet_ref;
	hostinfo_read(p->cfg->signer.sc.state_file[0]
	                  ? p->cfg->signer.sc.state_file
	                  : p->cfg->pilot.state_dir,
	              &hi);
	st->disk_used_pct = hi.disk_used_pct;
	st->mem_used_pct = hi.mem_used_pct;
	st->load1_x100 = hi.load1_x100;
	p->view.host = hi;
	st->restarts = (uint32_t)p->ps.total_restarts;
	if (p->decided)
		util_strlcpy(st->decision, p->view.decision,
		             sizeof(st->decision));
	pilot_sign_status(p, st);
	p->observed = true;
	p->observed_ms = now;
	p->publish_now = true;
}

static int
discard_event(void *arg, const struct supervise_event *ev)
{
	(void)arg;
	(void)ev;
	return 0;
}

/* The observation between checks, as the heartbeat reports it. */
void
pilot_log_status(const struct pilot *p)
{
	const struct proto_status *st = &p->st;
	char ref[80] = "", fleet[64] = "";

	if (!st->reachable) {
		log_warnx("node %s unreachable: %s", p->cfg->pilot.name,
		          st->error[0] ? st->error : "no answer");
		return;
	}
	if (p->nrefs > 0 && st->refs_ok == 0)
		snprintf(ref, sizeof(ref), " (no reference answered)");
	else if (p->refs_median)
		snprintf(ref, sizeof(ref),
		         " lag %" PRId64 " (ref %" PRIu64 ", %" PRIu32 "/%u)",
		         (int64_t)(p->refs_median - st->height), p->refs_median,
		         st->refs_ok, p->nrefs);
	if (p->fleet_ref)
		snprintf(fleet, sizeof(fleet),
		         " fleet-lag %" PRId64 " (fleet %" PRIu64 ")",
		         (int64_t)(p->fleet_ref - st->height), p->fleet_ref);
	log_info("node %s height %" PRIu64 "%s%s%s", p->cfg->pilot.name,
	         st->height, ref, fleet, st->syncing ? " syncing" : "");
}

int
pilot_supervise_restart(struct pilot *p, uint32_t timeout_ms, char *err,
                        size_t errlen)
{
	int rc = p->sops->restart(p->sh, timeout_ms, err, errlen);

	/* the exit our own restart caused is no news */
	if (p->sops == &supervise_process_ops) {
		char e2[SUPERVISE_ERR_MAX];

		p->sops->events(p->sh, &p->evcur, discard_event, NULL, e2,
		                sizeof(e2));
	}
	return rc;
}

static void
execute_restart(struct pilot *p, uint64_t now)
{
	char err[SUPERVISE_ERR_MAX];
	uint32_t t;
	int rc;

	t = pilot_budget_ms(p, (uint32_t)p->cfg->supervise.stop_timeout_ms);
	log_warnx("restarting node %s (%s): %s", p->cfg->pilot.name,
	          policy_rule_str((enum policy_rule)p->restart_rule_pending),
	          p->gate.reason);
	rc = pilot_supervise_restart(p, t, err, sizeof(err));
	now = clock_mono_ms();
	/* a start that failed is a restart all the same for the cap: a
	 * node that cannot start must not be hammered */
	policy_restarted(&p->ps, now);
	p->view.restarts++;
	p->view.restarts_by_rule[p->restart_rule_pending]++;
	if (rc != 0) {
		p->view.restart_failures++;
		log_warnx("restart of node %s failed: %s", p->cfg->pilot.name,
		          err);
	} else
		log_info("node %s restarted", p->cfg->pilot.name);
	/* the node is new: look at it again soon, and tell the commander
	 * (its budget releases the grant once the node is healthy) */
	p->next_check = now + p->cfg->policy.check_interval_ms;
	p->hb_now = true;
	p->publish_now = true;
	if (p->log)
		p->log->st.producing = false;
}

void
pilot_restart_verdict(struct pilot *p, enum restart_verdict v, uint64_t now)
{
	if (v == RESTART_WAIT)
		return;
	if (v == RESTART_NO) {
		log_info("not restarting node %s: %s", p->cfg->pilot.name,
		         p->gate.why);
		return;
	}
	if (p->gate.has_commander)
		log_info("restart of node %s: %s", p->cfg->pilot.name,
		         p->gate.why);
	execute_restart(p, now);
}

void
pilot_check(struct pilot *p, uint64_t now)
{
	struct policy_input in;
	struct policy_decision *d = &p->last;
	const struct logrules_state *ls = p->log ? &p->log->st : NULL;
	char prog[POLICY_REASON_MAX];
	const char *word;

	memset(&in, 0, sizeof(in));
	in.now_ms = now;
	in.up = p->st.up;
	in.reachable = p->st.reachable;
	in.height = p->st.height;
	in.ref_height = p->st.ref_height;
	in.major_sync = p->st.syncing;
	in.producing = ls && ls->producing;
	in.session = ls && ls->session_known ? ls->session : 0;
	policy_decide(&p->pc, &p->ps, &in, d);
	p->decided = true;
	p->view.checks++;

	if (d->action == POLICY_RESTART && d->dry_run)
		word = "dry-run";
	else
		word = policy_action_str(d->action);
	say(p->view.decision, sizeof(p->view.decision), "%s: %s", word,
	    d->reason);
	util_strlcpy(p->st.decision, p->view.decision, sizeof(p->st.decision));
	p->view.decision_wall_ms = clock_wall_ms();
	policy_progress_str(&d->progress, prog, sizeof(prog));
	if (d->action == POLICY_CAPPED && d->cap_new)
		log_warnx("check %s: %s; CAPPED, not restarting: %s",
		          p->cfg->pilot.name, prog, d->reason);
	else if (d->action == POLICY_RESTART && d->dry_run)
		log_warnx("check %s: %s; would restart (dry-run): %s",
		          p->cfg->pilot.name, prog, d->reason);
	else
		log_info("check %s: height %" PRIu64 ", %s; %s",
		         p->cfg->pilot.name, p->st.height, prog,
		         p->view.decision);
	p->publish_now = true;

	if (d->action != POLICY_RESTART || d->dry_run) {
		restart_gate_cancel(&p->gate);
		return;
	}
	p->restart_rule_pending = d->rule;
	pilot_restart_verdict(p, restart_gate_want(&p->gate, d->reason, now),
	                      now);
	if (p->gate.asking)
		p->hb_now = true; /* ask in a heartbeat now */
}
