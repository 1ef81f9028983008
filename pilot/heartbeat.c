/*
 * heartbeat.c: one round trip with the commander per heartbeat (report.h
 * seals it): the status goes out, with restart_wanted while the restart
 * gate asks and demoted_epoch acknowledging a revoke; the reply brings the
 * fleet's reference height, the heartbeat interval and commands (restart
 * grant or deny, lease grant or revoke).
 *
 * With several commanders (HA), report.c dials them all and a request
 * goes out on whichever connection is up: only the leader listens, so a
 * failure moves on by itself to the next commander that does.  A refusal
 * (a commander that answers but no longer leads) drops that connection
 * here, and an unanswered request every connection (a frozen commander
 * keeps its connections up but cannot complete a new one), so that the
 * next request goes to another commander.
 */
#include <inttypes.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "pilot/pilotd.h"
#include "pilot/report.h"

#define HB_INTERVAL_MIN 100
#define HB_INTERVAL_MAX 60000

static enum report_err last_err; /* of the last exchange */

/* One exchange, logging changes of reachability only. */
static enum report_err
exchange(struct pilot *p, const struct proto_msg *req, struct proto_msg *reply,
         uint64_t *sent_ms, char *err, size_t errlen)
{
	enum report_err e;

	/* no exchange may outlive the lease it has to enforce */
	report_set_timeout(
	    p->rep,
	    pilot_budget_ms(p, (uint32_t)p->cfg->commander.timeout_ms * 2) / 2);
	e = report_exchange(p->rep, req, reply, sent_ms, err, errlen);
	last_err = e;
	/* unanswered: maybe a frozen commander; talk to one that is not */
	if (e == REPORT_E_TIMEOUT)
		report_redial(p->rep);
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
	p->view.commander_connected = p->commander_ok;
	return e;
}

static int
send_hello(struct pilot *p, char *err, size_t errlen)
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
	if (exchange(p, &m, &reply, NULL, err, errlen) != REPORT_OK)
		return -1;
	if (reply.u.reply.status != PROTO_ST_OK) {
		/* once per cause, not once per interval */
		if (reply.u.reply.status != p->last_refusal)
			log_warnx("commander %s refused registration: %s",
			          c->commander.url,
			          proto_status_str(reply.u.reply.status));
		p->last_refusal = reply.u.reply.status;
		report_drop_peer(p->rep);
		snprintf(err, errlen, "registration refused");
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
handle_reply(struct pilot *p, const struct proto_reply *r, uint64_t sent_ms)
{
	const struct proto_cmd *restart = NULL;
	uint64_t now = clock_mono_ms();

	p->fleet_ref = r->fleet_ref_height;
	if (r->interval_ms) {
		uint32_t iv = r->interval_ms;

		iv = iv < HB_INTERVAL_MIN   ? HB_INTERVAL_MIN
		     : iv > HB_INTERVAL_MAX ? HB_INTERVAL_MAX
		                            : iv;
		if (iv != p->hb_interval_ms)
			log_debug("heartbeat every %" PRIu32
			          " ms (the commander's interval)",
			          iv);
		p->hb_interval_ms = iv;
		/* a shorter interval (a failover under way) counts now */
		if (p->next_hb > now + iv)
			p->next_hb = now + iv;
	}
	for (uint32_t i = 0; i < r->ncmds && i < PROTO_MAX_CMDS; i++) {
		const struct proto_cmd *c = &r->cmds[i];

		switch (c->verb) {
		case VERB_RESTART_GRANT:
		case VERB_RESTART_DENY:
			restart = c;
			break;
		case VERB_LEASE_GRANT:
		case VERB_LEASE_REVOKE:
			pilot_sign_command(p, c, sent_ms, now);
			break;
		default:
			log_warnx("commander sent unknown verb %d", c->verb);
			break;
		}
	}
	if (p->gate.asking)
		pilot_restart_verdict(
		    p, restart_gate_reply(&p->gate, restart, now), now);
}

void
pilot_heartbeat(struct pilot *p, uint64_t now)
{
	struct proto_msg m, reply;
	char err[256] = "";
	uint64_t sent = 0;
	int tries;

	p->hb_now = false;
	p->next_hb = now + p->hb_interval_ms;
	last_err = REPORT_OK;
	if (!p->registered && send_hello(p, err, sizeof(err)) != 0)
		goto failed;
	memset(&m, 0, sizeof(m));
	m.type = PROTO_HEARTBEAT;
	m.u.hb.st = p->st;
	/* the lease fields as of now, not as of the observation */
	pilot_sign_status(p, &m.u.hb.st);
	m.u.hb.demoted_epoch = p->lease.demoted_epoch;
	if (p->gate.asking) {
		m.u.hb.restart_wanted = true;
		util_strlcpy(m.u.hb.restart_reason, p->gate.reason,
		             sizeof(m.u.hb.restart_reason));
	}
	/* a commander that restarted forgets us: hello again, once */
	for (tries = 0; tries < 2; tries++) {
		m.u.hb.seq = ++p->seq;
		if (exchange(p, &m, &reply, &sent, err, sizeof(err)) !=
		    REPORT_OK)
			goto failed;
		if (reply.u.reply.status == PROTO_ST_NEED_HELLO) {
			log_info("commander asks for hello again");
			p->registered = false;
			if (send_hello(p, err, sizeof(err)) != 0)
				goto failed;
			continue;
		}
		if (reply.u.reply.status != PROTO_ST_OK) {
			if (reply.u.reply.status != p->last_refusal)
				log_warnx(
				    "commander refused heartbeat: %s",
				    proto_status_str(reply.u.reply.status));
			p->last_refusal = reply.u.reply.status;
			/* whatever it forgot or doubts, a hello settles it
			 * (a commander that restarted says so this way) */
			p->registered = false;
			report_drop_peer(p->rep);
			snprintf(err, sizeof(err), "heartbeat refused");
			goto failed;
		}
		p->view.heartbeats++;
		log_debug("heartbeat %" PRIu64 " accepted, fleet %" PRIu64
		          ", %" PRIu32 " commands",
		          m.u.hb.seq, reply.u.reply.fleet_ref_height,
		          reply.u.reply.ncmds);
		handle_reply(p, &reply.u.reply, sent);
		return;
	}
failed:
	if (last_err == REPORT_E_CANCELED)
		return; /* stopping: no fallback, no restart now */
	p->view.heartbeat_failures++;
	if (p->gate.asking)
		pilot_restart_verdict(
		    p, restart_gate_unreachable(&p->gate, err[0] ? err : "?"),
		    clock_mono_ms());
}
