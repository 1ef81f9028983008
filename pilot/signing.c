/*
 * signing.c: the pilot side of FAILOVER.md wired to the real world.  The
 * lease state machine (lease.h) decides; promote.h orders the steps; the
 * functions here are those steps: the sign state file, the doppelganger
 * check against the node's RPC, the lease deadline file, the signer
 * backend and the node restart through the supervisor.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "common/http.h"
#include "common/log.h"
#include "common/util.h"
#include "pilot/pilotd.h"
#include "pilot/probe_parse.h"
#include "pilot/signstate.h"

static const struct signer_conf *
sc(const struct pilot *p)
{
	return &p->cfg->signer.sc;
}

static int
op_raise(void *arg, const struct proto_sign_state *floor, char *err,
         size_t errlen)
{
	struct pilot *p = arg;
	struct proto_sign_state now;

	if (sc(p)->state_file[0] == '\0')
		return 0;
	return signstate_raise(sc(p)->state_file, floor, &now, err, errlen);
}

/* GET base + path from the node, bounded by the lease. */
static int
node_get(struct pilot *p, const char *path, struct http_resp *resp, char *err,
         size_t errlen)
{
	char url[PILOT_URL_MAX + 64];
	struct http_req req;
	size_t n = strlen(p->node.url);

	while (n > 0 && p->node.url[n - 1] == '/')
		n--;
	snprintf(url, sizeof(url), "%.*s%s", (int)n, p->node.url, path);
	memset(&req, 0, sizeof(req));
	req.url = url;
	req.timeout_ms = pilot_budget_ms(p, p->node.timeout_ms);
	req.max_body = DOPPEL_PARSE_MAX;
	return http_do(&req, resp, err, errlen);
}

static int
our_address(struct pilot *p, char *addr, size_t addrlen, char *err,
            size_t errlen)
{
	struct http_resp resp;
	char *buf;
	size_t len;
	int rc;

	if (p->cfg->signer.validator_address[0])
		return util_strcpy_checked(
		    addr, p->cfg->signer.validator_address, addrlen);
	if (sc(p)->key_src[0] &&
	    file_read_all(sc(p)->key_src, SIGNER_KEY_MAX, &buf, &len) == 0) {
		rc = doppel_parse_key_address(buf, len, addr, addrlen);
		explicit_bzero(buf, len); /* it held the private key */
		free(buf);
		if (rc == 0)
			return 0;
	}
	if ((rc = node_get(p, "/status", &resp, err, errlen)) != 0)
		return rc;
	rc = doppel_parse_status_address(resp.body, resp.len, addr, addrlen);
	http_resp_free(&resp);
	if (rc != 0)
		snprintf(err, errlen,
		         "no validator address (set [signer] "
		         "validator_address)");
	return rc;
}

static int
op_doppel_begin(void *arg, char *err, size_t errlen)
{
	struct pilot *p = arg;
	char addr[DOPPEL_ADDR_MAX];
	int rc;

	struct http_resp resp;
	struct probe_result r;
	uint64_t height = p->st.height;

	if ((rc = our_address(p, addr, sizeof(addr), err, errlen)) != 0)
		return rc;
	/* watch from the head as it is now, not as last observed: commits
	 * signed before we looked are no news */
	memset(&r, 0, sizeof(r));
	if (node_get(p, "/status", &resp, err, errlen) == 0) {
		if (probe_parse_cometbft_status(resp.body, resp.len, &r) == 0 &&
		    r.height > height)
			height = r.height;
		http_resp_free(&resp);
	}
	doppel_start(&p->dop, addr, sc(p)->doppelganger_blocks, height);
	log_info("doppelganger check: watching %" PRIu32
	         " commits after #%" PRIu64 " for %s",
	         p->dop.blocks, height, addr);
	err[0] = '\0';
	return 0;
}

static int
op_doppel_poll(void *arg, char *err, size_t errlen)
{
	struct pilot *p = arg;
	struct http_resp resp;
	char path[64];
	uint64_t h = 0;
	bool seen = false;
	int rc;

	snprintf(path, sizeof(path), "/commit?height=%" PRIu64,
	         doppel_next(&p->dop));
	if ((rc = node_get(p, path, &resp, err, errlen)) != 0)
		return rc;
	rc = doppel_parse_commit(resp.body, resp.len, p->dop.addr, &h, &seen,
	                         err, errlen);
	http_resp_free(&resp);
	if (rc != 0)
		return rc;
	rc = doppel_feed(&p->dop, h, seen);
	if (rc == DOPPEL_SEEN)
		snprintf(err, errlen,
		         "%s signed #%" PRIu64 ": the key signs somewhere else",
		         p->dop.addr, h);
	else
		err[0] = '\0';
	return rc;
}

static int
op_lease_file(void *arg, uint64_t epoch, uint64_t expires_ms, char *err,
              size_t errlen)
{
	struct pilot *p = arg;

	return signstate_write_lease(sc(p)->lease_file, epoch, expires_ms, err,
	                             errlen);
}

static int
op_enable(void *arg, char *err, size_t errlen)
{
	struct pilot *p = arg;

	return p->signer->promote(sc(p), err, errlen);
}

static int
op_disable(void *arg, char *err, size_t errlen)
{
	struct pilot *p = arg;

	return p->signer->demote(sc(p), err, errlen);
}

/* A key swap reaches the node only through a restart; a node that is not
 * running reads its key when it starts. */
static int
op_restart_node(void *arg, char *err, size_t errlen)
{
	struct pilot *p = arg;
	struct supervise_state ss;
	int rc;

	if (p->sops->state(p->sh, &ss, err, errlen) == 0 && !ss.running)
		return 0;
	rc = pilot_supervise_restart(
	    p, pilot_budget_ms(p, (uint32_t)p->cfg->supervise.stop_timeout_ms),
	    err, errlen);
	p->hb_now = true;
	return rc;
}

static uint64_t
op_height(void *arg)
{
	return ((struct pilot *)arg)->st.height;
}

static struct promote_ops
ops_for(const struct pilot *p)
{
	struct promote_ops o = {
	    .raise = op_raise,
	    .enable = op_enable,
	    .disable = op_disable,
	    .height = op_height,
	};

	if (p->cfg->doppelganger) {
		o.doppel_begin = op_doppel_begin;
		o.doppel_poll = op_doppel_poll;
	}
	if (sc(p)->lease_file[0])
		o.lease_file = op_lease_file;
	if (p->signer == &signer_keyswap_ops && sc(p)->restart_node &&
	    p->sops != NULL)
		o.restart_node = op_restart_node;
	return o;
}

/* A pilot that starts comes up not signing, whatever it did before. */
void
pilot_sign_init(struct pilot *p)
{
	struct promote_ops o;
	char err[256] = "";
	bool armed = false;

	lease_init(&p->lease, (enum lease_mode)p->cfg->signer.mode);
	memset(&p->prom, 0, sizeof(p->prom));
	if (p->cfg->signer.backend == PILOT_SIGNER_NONE)
		return;
	p->signer = signer_ops_for(sc(p)->backend);
	if (p->signer == NULL)
		fatalx("signer backend '%s' unknown", sc(p)->backend);
	o = ops_for(p);
	if (p->signer->armed(sc(p), &armed, err, sizeof(err)) != 0)
		armed = false;
	if (o.lease_file && o.lease_file(p, 0, 0, err, sizeof(err)) != 0)
		log_warnx("lease file: %s", err);
	if (o.disable(p, err, sizeof(err)) != 0)
		fatalx("cannot demote the node at start (it might sign "
		       "without a lease): %s",
		       err);
	/* restart only a node that had its key: others have nothing to
	 * drop */
	if (armed && o.restart_node && o.restart_node(p, err, sizeof(err)))
		log_warnx("restart after demote: %s", err);
	log_info("signer %s (%s mode): demoted at start, not signing until "
	         "granted a lease",
	         p->signer->name, lease_mode_str(p->lease.mode));
}

static void
demote(struct pilot *p, uint64_t now, const char *why)
{
	struct promote_ops o = ops_for(p);
	char err[512];
	uint64_t epoch = p->lease.epoch;

	if (now < p->next_demote_ms)
		return;
	p->next_demote_ms = now + 1000;
	if (promote_demote(&p->prom, &p->lease, &o, p, err, sizeof(err)) != 0) {
		log_warnx("DEMOTE FAILED (%s): %s; retrying", why, err);
		return;
	}
	p->next_demote_ms = 0;
	log_warnx("signing stopped (epoch %" PRIu64 "): %s%s%s", epoch, why,
	          err[0] ? "; " : "", err);
	p->hb_now = true;
	p->publish_now = true;
}

bool
pilot_sign_busy(const struct pilot *p)
{
	return p->lease.holding || p->lease.signing || p->lease.promoting;
}

void
pilot_sign_tick(struct pilot *p, uint64_t now)
{
	struct promote_ops o;
	enum promote_event ev;
	char why[PROTO_TEXT_MAX];

	if (p->signer == NULL)
		return;
	if (lease_tick(&p->lease, now) == LEASE_DEMOTE) {
		util_strlcpy(why, p->lease.reason, sizeof(why));
		demote(p, now, why);
	}
	if (!promote_active(&p->prom))
		return;
	o = ops_for(p);
	ev = promote_step(&p->prom, &p->lease, &o, p, now);
	switch (ev) {
	case PROMOTE_EV_NONE:
		break;
	case PROMOTE_EV_SIGNING:
		log_info("SIGNING: %s (sign state raised to %" PRIu64 "/%d/%d)",
		         p->prom.msg, p->prom.raised.height,
		         p->prom.raised.round, p->prom.raised.step);
		p->hb_now = true;
		p->publish_now = true;
		break;
	case PROMOTE_EV_FAILED:
		/* the next heartbeat says so: an immediate one would only
		 * fetch the same grant again */
		log_warnx("promotion failed, not signing: %s", p->prom.msg);
		p->publish_now = true;
		break;
	case PROMOTE_EV_DEMOTE:
		util_strlcpy(why, p->prom.msg, sizeof(why));
		p->next_demote_ms = 0;
		demote(p, now, why);
		break;
	}
}

void
pilot_sign_command(struct pilot *p, const struct proto_cmd *cmd,
                   uint64_t sent_ms, uint64_t now)
{
	enum lease_action a;
	struct promote_ops o;
	char err[256];

	if (strcmp(cmd->group, p->cfg->pilot.group) != 0) {
		log_warnx("ignoring %s for group '%s' (ours is '%s')",
		          proto_verb_str(cmd->verb), cmd->group,
		          p->cfg->pilot.group);
		return;
	}
	if (p->signer == NULL) {
		static uint64_t warned;

		/* say so once per epoch: it would come every beat */
		if (cmd->verb == VERB_LEASE_GRANT && cmd->epoch != warned)
			log_warnx("lease epoch %" PRIu64 " granted, but no "
			          "[signer] is configured: not signing",
			          cmd->epoch);
		warned = cmd->epoch;
		return;
	}
	if (cmd->verb == VERB_LEASE_GRANT)
		a = lease_on_grant(&p->lease, cmd, sent_ms, now);
	else
		a = lease_on_revoke(&p->lease, cmd->epoch, now);
	switch (a) {
	case LEASE_PROMOTE:
		log_info("%s", p->lease.reason);
		promote_begin(&p->prom, &p->lease);
		pilot_sign_tick(p, now); /* start at once */
		break;
	case LEASE_RENEWED:
		o = ops_for(p);
		if (promote_renewed(&p->prom, &p->lease, &o, p, err,
		                    sizeof(err)) != 0)
			log_warnx("lease file: %s", err);
		log_debug("%s", p->lease.reason);
		break;
	case LEASE_DEMOTE:
		p->next_demote_ms = 0;
		demote(p, now, p->lease.reason);
		break;
	case LEASE_IGNORED:
		log_debug("%s", p->lease.reason);
		break;
	case LEASE_NONE:
		if (cmd->verb == VERB_LEASE_REVOKE) {
			log_info("revoke of epoch %" PRIu64
			         " acknowledged: not signing",
			         cmd->epoch);
			p->hb_now = true;
		}
		break;
	}
}

void
pilot_sign_status(struct pilot *p, struct proto_status *st)
{
	char err[256];

	st->signing = p->lease.signing;
	st->lease_epoch = p->lease.holding ? p->lease.epoch : 0;
	p->view.sign_known = false;
	if (p->signer && sc(p)->state_file[0] &&
	    signstate_read(sc(p)->state_file, &st->sign, err, sizeof(err)) ==
	        0) {
		p->view.sign_known = true;
		p->view.sign = st->sign;
	}
	p->view.has_signer = p->signer != NULL;
	p->view.signing = st->signing;
	p->view.lease_epoch = st->lease_epoch;
}

/* A clean stop: the node must not keep signing without its pilot. */
void
pilot_sign_stop(struct pilot *p)
{
	if (p->signer == NULL || !(p->lease.signing || p->lease.promoting))
		return;
	p->lease.holding = false;
	p->next_demote_ms = 0;
	demote(p, clock_mono_ms(), "the pilot stops");
}
