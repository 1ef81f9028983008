#include "commander/failover.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

/* The commander-side span of a lease of ttl ms (at most p->ttl_ms): the
 * drift allowance stays that of a full ttl. */
static uint64_t
span_of(const struct failover_params *p, uint32_t ttl)
{
	/* rate drift over one ttl, rounded up, plus the fixed margin */
	return (uint64_t)ttl + p->margin_ms +
	       ((uint64_t)p->ttl_ms * p->drift_ppm + 999999) / 1000000;
}

uint64_t
failover_lease_span(const struct failover_params *p)
{
	return span_of(p, p->ttl_ms);
}

void
failover_init(struct failover_group *g, const char *name,
              enum failover_mode mode, uint64_t epoch, const char *holder,
              const struct proto_sign_state *watermark,
              const struct failover_params *p, uint64_t now_ms)
{
	memset(g, 0, sizeof(*g));
	if (watermark)
		g->watermark = *watermark;
	util_strlcpy(g->name, name, sizeof(g->name));
	g->mode = mode;
	g->epoch = epoch;
	util_strlcpy(g->holder, holder ? holder : "", sizeof(g->holder));
	/* We may have granted a lease just before going down: as far as we
	 * know someone can sign for a full span from now. */
	g->hold_until_ms = now_ms + failover_lease_span(p);
	if (g->holder[0]) {
		g->phase = FO_HELD;
		g->expires_ms = g->hold_until_ms;
		snprintf(g->reason, sizeof(g->reason),
		         "restarted: %s may hold epoch %llu", g->holder,
		         (unsigned long long)epoch);
	} else {
		g->phase = FO_IDLE;
		snprintf(g->reason, sizeof(g->reason), "no holder yet");
	}
}

static const struct failover_member *
find(const struct failover_member *ms, size_t n, const char *node)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(ms[i].node, node) == 0)
			return &ms[i];
	return NULL;
}

static bool
eligible(const struct failover_params *p, const struct failover_member *m)
{
	return m->connected && m->healthy && m->lag <= p->max_lag_blocks;
}

/* <0 when a ranks before b */
static int
rank(const struct failover_params *p, const struct failover_member *a,
     const struct failover_member *b)
{
	bool ea = eligible(p, a), eb = eligible(p, b);

	if (ea != eb)
		return ea ? -1 : 1;
	if (a->priority != b->priority)
		return a->priority > b->priority ? -1 : 1;
	if (a->lag != b->lag)
		return a->lag < b->lag ? -1 : 1;
	return strcmp(a->node, b->node);
}

const struct failover_member *
failover_pick(const struct failover_params *p, const struct failover_member *ms,
              size_t n, const char *exclude)
{
	const struct failover_member *best = NULL;

	for (size_t i = 0; i < n; i++) {
		if (exclude && strcmp(ms[i].node, exclude) == 0)
			continue;
		if (!eligible(p, &ms[i]))
			continue;
		if (best == NULL || rank(p, &ms[i], best) < 0)
			best = &ms[i];
	}
	return best;
}

static void
grant_cmd(const struct failover_group *g, const struct failover_params *p,
          struct proto_cmd *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->verb = VERB_LEASE_GRANT;
	util_strlcpy(cmd->group, g->name, sizeof(cmd->group));
	cmd->epoch = g->epoch;
	cmd->ttl_ms = p->ttl_ms;
	cmd->watermark = g->watermark;
}

static void
revoke_cmd(const struct failover_group *g, uint64_t epoch, const char *why,
           struct proto_cmd *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->verb = VERB_LEASE_REVOKE;
	util_strlcpy(cmd->group, g->name, sizeof(cmd->group));
	cmd->epoch = epoch;
	util_strlcpy(cmd->reason, why, sizeof(cmd->reason));
}

/*
 * The ttl of a renewal for holder m.  While it is in trouble (or its
 * reports say its node is down) and another member could take over, the
 * lease it gets ends a tenth of a ttl after its failover deadline: if the
 * trouble lasts, the failover then waits for that end, not for a whole
 * ttl after it.  Nothing is lost: a holder still in trouble at the
 * deadline is failed over anyway, and one that recovers before it reports
 * so in a heartbeat that is renewed in full.
 */
static uint32_t
renew_ttl(const struct failover_group *g, const struct failover_params *p,
          const struct failover_member *m, uint64_t now_ms)
{
	uint64_t since = m->trouble_since_ms, deadline, ttl;

	if (m->suspect_since_ms && (since == 0 || m->suspect_since_ms < since))
		since = m->suspect_since_ms;
	if (since == 0 || !g->standby || g->mode != FO_MODE_LEASE)
		return p->ttl_ms;
	deadline = since + p->failover_after_ms;
	ttl = (deadline > now_ms ? deadline - now_ms : 0) +
	      p->ttl_ms / FAILOVER_TROUBLE_SLACK_DIV;
	if (ttl == 0)
		ttl = 1;
	return ttl < p->ttl_ms ? (uint32_t)ttl : p->ttl_ms;
}

bool
failover_claim_covered(const struct failover_group *g,
                       const struct failover_member *m, uint64_t now_ms)
{
	if (!m->signing)
		return true;
	if (g->holder[0] == '\0' || strcmp(g->holder, m->node) != 0)
		return false; /* not the holder: an older epoch, or none */
	if ((g->phase != FO_HELD && g->phase != FO_REVOKING) || g->acked)
		return false; /* it gave the lease up, or it was never given */
	if (m->lease_epoch != g->epoch)
		return false;
	if (g->mode == FO_MODE_LEASE && g->expires_ms != 0 &&
	    now_ms >= g->expires_ms)
		return false; /* its lease is over on our side too */
	return true;
}

bool
failover_on_heartbeat(struct failover_group *g, const struct failover_params *p,
                      const struct failover_member *m, uint64_t now_ms,
                      struct proto_cmd *cmd)
{
	bool is_holder = g->holder[0] && strcmp(g->holder, m->node) == 0;

	if (proto_sign_cmp(&m->sign, &g->watermark) > 0)
		g->watermark = m->sign;

	/* "given up" counts only from a pilot that says it stopped: one
	 * whose demote failed still reports signing, and its node may
	 * still hold the key */
	if (is_holder && m->demoted_epoch >= g->epoch && g->epoch > 0 &&
	    !g->acked && !m->signing) {
		/* the holder gave our epoch up (revoked or self-fenced):
		 * nobody holds it any more */
		g->acked = true;
		g->expires_ms = 0;
		if (g->phase == FO_HELD) {
			g->phase = FO_IDLE;
			g->hold_until_ms = 0;
			snprintf(g->reason, sizeof(g->reason),
			         "%s gave up epoch %llu", m->node,
			         (unsigned long long)g->epoch);
		}
	}

	if (is_holder && g->phase == FO_HELD && !g->acked) {
		uint32_t ttl = renew_ttl(g, p, m, now_ms);
		uint64_t exp = now_ms + span_of(p, ttl);

		/* the pilot keeps the later of its expiries: so do we */
		if (exp > g->expires_ms)
			g->expires_ms = exp;
		grant_cmd(g, p, cmd);
		cmd->ttl_ms = ttl;
		return true;
	}
	if (is_holder && g->phase == FO_REVOKING && !g->acked) {
		revoke_cmd(g, g->epoch,
		           g->switchover ? "switchover" : "failover", cmd);
		return true;
	}
	if (g->phase == FO_READY && strcmp(g->candidate, m->node) == 0 &&
	    eligible(p, m)) {
		util_strlcpy(g->holder, g->candidate, sizeof(g->holder));
		g->candidate[0] = '\0';
		g->phase = FO_HELD;
		g->acked = false;
		g->switchover = false;
		g->expires_ms = now_ms + failover_lease_span(p);
		snprintf(g->reason, sizeof(g->reason),
		         "granted epoch %llu to %s above height %llu",
		         (unsigned long long)g->epoch, m->node,
		         (unsigned long long)g->watermark.height);
		grant_cmd(g, p, cmd);
		return true;
	}
	/* anyone else who believes it holds a lease must stop (the holder
	 * in good standing returned above) */
	if (m->signing || m->lease_epoch > m->demoted_epoch) {
		revoke_cmd(g, m->lease_epoch ? m->lease_epoch : g->epoch,
		           "not the lease holder", cmd);
		return true;
	}
	return false;
}

static enum failover_step
new_epoch(struct failover_group *g, const struct failover_member *c,
          uint64_t now_ms)
{
	g->epoch++;
	util_strlcpy(g->candidate, c->node, sizeof(g->candidate));
	/* the durable record names the node the next grant goes to, so a
	 * restarted commander treats it as the possible holder */
	util_strlcpy(g->holder, c->node, sizeof(g->holder));
	g->acked = false;
	g->expires_ms = 0;
	g->phase = FO_PERSIST;
	snprintf(g->reason, sizeof(g->reason),
	         "epoch %llu chosen for %s: persist before granting",
	         (unsigned long long)g->epoch, c->node);
	(void)now_ms;
	return FO_STEP_PERSIST;
}

static enum failover_step blocked(struct failover_group *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static enum failover_step
blocked(struct failover_group *g, const char *fmt, ...)
{
	char prev[PROTO_TEXT_MAX];
	va_list ap;

	util_strlcpy(prev, g->reason, sizeof(prev));
	va_start(ap, fmt);
	vsnprintf(g->reason, sizeof(g->reason), fmt, ap);
	va_end(ap);
	/* report a blocked state once, not on every tick */
	return strcmp(prev, g->reason) == 0 ? FO_STEP_NONE : FO_STEP_BLOCKED;
}

/* A claim that no lease covers and that has persisted: a real signer. */
static bool
claim_persists(const struct failover_member *m)
{
	return m->claim_since_ms != 0 &&
	       m->claim_last_ms >= m->claim_since_ms + FAILOVER_RISK_GRACE_MS;
}

static enum failover_step
check_double_sign(struct failover_group *g, const struct failover_member *ms,
                  size_t n, uint64_t now_ms)
{
	const struct failover_member *a = NULL, *b = NULL;

	for (size_t i = 0; i < n && b == NULL; i++) {
		const struct failover_member *m = &ms[i];

		/* only what members say now: a member we no longer hear
		 * from last said "signing" before its lease ran out */
		if (!m->signing || !m->connected)
			continue;
		/* a claim no lease covers may be a late report of a frozen
		 * pilot that has fenced itself since: wait for a second */
		if (!failover_claim_covered(g, m, now_ms) && !claim_persists(m))
			continue;
		for (size_t j = 0; j < n && b == NULL; j++) {
			const struct failover_member *o = &ms[j];

			if (j == i || !o->signing || !o->connected)
				continue;
			/* one epoch, two claimants: no lease explains it */
			if ((o->lease_epoch != 0 &&
			     o->lease_epoch == m->lease_epoch) ||
			    failover_claim_covered(g, o, now_ms) ||
			    claim_persists(o))
				a = m, b = o;
		}
	}
	if (b != NULL) {
		char prev[PROTO_TEXT_MAX];

		util_strlcpy(prev, g->reason, sizeof(prev));
		snprintf(g->reason, sizeof(g->reason),
		         "double-sign risk: %s (epoch %llu) and %s (epoch "
		         "%llu) both report signing",
		         a->node, (unsigned long long)a->lease_epoch, b->node,
		         (unsigned long long)b->lease_epoch);
		return strcmp(prev, g->reason) ? FO_STEP_RISK : FO_STEP_NONE;
	}
	return FO_STEP_NONE;
}

enum failover_step
failover_tick(struct failover_group *g, const struct failover_params *p,
              const struct failover_member *ms, size_t n, uint64_t now_ms)
{
	const struct failover_member *h, *c;
	enum failover_step risk;
	bool lapsed;

	g->standby =
	    g->holder[0] != '\0' && failover_pick(p, ms, n, g->holder) != NULL;
	if ((risk = check_double_sign(g, ms, n, now_ms)) != FO_STEP_NONE)
		return risk;

	switch (g->phase) {
	case FO_IDLE:
		c = failover_pick(p, ms, n, NULL);
		if (c == NULL)
			return blocked(g, "no eligible node to sign");
		/* after a restart only the old holder may be granted early */
		if (now_ms < g->hold_until_ms &&
		    strcmp(c->node, g->holder) != 0)
			return blocked(g,
			               "waiting a full lease span after "
			               "start before granting %s",
			               c->node);
		return new_epoch(g, c, now_ms);

	case FO_HELD:
		h = find(ms, n, g->holder);
		lapsed = g->expires_ms != 0 && now_ms >= g->expires_ms;
		if (h && !lapsed &&
		    (h->trouble_since_ms == 0 ||
		     now_ms - h->trouble_since_ms < p->failover_after_ms))
			return FO_STEP_NONE;
		c = failover_pick(p, ms, n, g->holder);
		if (c == NULL)
			return blocked(g,
			               "holder %s in trouble, no eligible "
			               "candidate",
			               g->holder);
		util_strlcpy(g->candidate, c->node, sizeof(g->candidate));
		g->phase = FO_REVOKING;
		g->switchover = false;
		g->started_ms = now_ms;
		snprintf(g->reason, sizeof(g->reason),
		         "failover: holder %s %s; candidate %s", g->holder,
		         h == NULL       ? "unknown"
		         : lapsed        ? "stopped renewing"
		         : !h->connected ? "unreachable"
		                         : "unhealthy",
		         c->node);
		return FO_STEP_STARTED;

	case FO_REVOKING:
		if (!g->acked) {
			if (g->mode == FO_MODE_ACK_ONLY)
				return blocked(g,
				               "waiting for %s to "
				               "acknowledge it stopped signing",
				               g->holder);
			if (now_ms < g->expires_ms || now_ms < g->hold_until_ms)
				return FO_STEP_NONE;
		}
		c = find(ms, n, g->candidate);
		if (c == NULL || !eligible(p, c))
			c = failover_pick(p, ms, n,
			                  g->acked ? NULL : g->holder);
		if (c == NULL)
			return blocked(g,
			               "lease of %s is over, no eligible "
			               "candidate",
			               g->holder);
		return new_epoch(g, c, now_ms);

	case FO_PERSIST:
		return FO_STEP_NONE;

	case FO_READY:
		c = find(ms, n, g->candidate);
		if (c && (c->trouble_since_ms == 0 ||
		          now_ms - c->trouble_since_ms < p->failover_after_ms))
			return FO_STEP_NONE;
		/* the grant never went out: choose again, in a new epoch */
		c = failover_pick(p, ms, n, g->candidate);
		if (c == NULL)
			return blocked(g,
			               "candidate %s in trouble, no other "
			               "eligible node",
			               g->candidate);
		return new_epoch(g, c, now_ms);
	}
	return FO_STEP_NONE;
}

void
failover_persisted(struct failover_group *g)
{
	if (g->phase == FO_PERSIST)
		g->phase = FO_READY;
}

void
failover_persist_failed(struct failover_group *g)
{
	if (g->phase != FO_PERSIST)
		return;
	/* not durable, so not granted: an unrecorded epoch is simply skipped
	 * next time; nobody holds anything meanwhile */
	g->phase = FO_IDLE;
	snprintf(g->reason, sizeof(g->reason),
	         "could not persist epoch %llu: not granted",
	         (unsigned long long)g->epoch);
}

int
failover_switchover(struct failover_group *g, const struct failover_params *p,
                    const struct failover_member *ms, size_t n,
                    const char *target, uint64_t now_ms, char *err,
                    size_t errlen)
{
	const struct failover_member *c;

	if (g->phase != FO_HELD || g->holder[0] == '\0') {
		snprintf(err, errlen,
		         "group %s: no settled holder to switch "
		         "from (%s)",
		         g->name, failover_phase_str(g->phase));
		return -1;
	}
	if (target) {
		if (strcmp(target, g->holder) == 0) {
			snprintf(err, errlen, "%s already holds the lease",
			         target);
			return -1;
		}
		c = find(ms, n, target);
		if (c == NULL || !eligible(p, c)) {
			snprintf(err, errlen, "%s is not eligible: %s", target,
			         c == NULL       ? "not in the group"
			         : !c->connected ? "not connected"
			         : !c->healthy   ? "not healthy"
			                         : "lagging");
			return -1;
		}
	} else if ((c = failover_pick(p, ms, n, g->holder)) == NULL) {
		snprintf(err, errlen, "no eligible node to switch to");
		return -1;
	}
	util_strlcpy(g->candidate, c->node, sizeof(g->candidate));
	g->phase = FO_REVOKING;
	g->switchover = true;
	g->started_ms = now_ms;
	snprintf(g->reason, sizeof(g->reason), "switchover from %s to %s",
	         g->holder, c->node);
	return 0;
}

void
failover_force_release(struct failover_group *g)
{
	g->acked = true;
	g->expires_ms = 0;
	if (g->phase == FO_HELD) {
		g->phase = FO_IDLE;
		g->hold_until_ms = 0;
	}
	snprintf(g->reason, sizeof(g->reason), "operator declared %s fenced",
	         g->holder);
}

const char *
failover_phase_str(enum failover_phase ph)
{
	static const char *const s[] = {"idle", "held", "revoking", "persist",
	                                "ready"};

	return (unsigned)ph < UTIL_NELEM(s) ? s[ph] : "?";
}

const char *
failover_step_str(enum failover_step st)
{
	static const char *const s[] = {"none", "started", "persist", "blocked",
	                                "risk"};

	return (unsigned)st < UTIL_NELEM(s) ? s[st] : "?";
}

const char *
failover_mode_str(enum failover_mode m)
{
	return m == FO_MODE_ACK_ONLY ? "ack-only" : "lease";
}
