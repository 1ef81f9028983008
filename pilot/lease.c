#include "pilot/lease.h"

#include <stdio.h>
#include <string.h>

void
lease_init(struct lease_state *l, enum lease_mode mode)
{
	memset(l, 0, sizeof(*l));
	l->mode = mode;
	snprintf(l->reason, sizeof(l->reason),
	         "started: not signing until "
	         "granted");
}

static void
raise_watermark(struct lease_state *l, const struct proto_sign_state *w)
{
	if (proto_sign_cmp(w, &l->watermark) > 0)
		l->watermark = *w;
}

/* Time must never run backwards on a monotonic clock; if it seems to, we
 * no longer know when the lease ends. */
static bool
time_ok(struct lease_state *l, uint64_t now_ms)
{
	if (now_ms < l->last_now)
		return false;
	l->last_now = now_ms;
	return true;
}

static enum lease_action
drop_lease(struct lease_state *l, const char *why)
{
	l->holding = false;
	snprintf(l->reason, sizeof(l->reason), "%s", why);
	if (l->signing || l->promoting)
		return LEASE_DEMOTE;
	return LEASE_NONE;
}

enum lease_action
lease_on_grant(struct lease_state *l, const struct proto_cmd *g,
               uint64_t sent_ms, uint64_t now_ms)
{
	uint64_t expires = sent_ms + g->ttl_ms;

	if (!time_ok(l, now_ms))
		return drop_lease(l, "clock ran backwards");
	if (g->epoch == 0 || g->epoch < l->epoch) {
		snprintf(l->reason, sizeof(l->reason),
		         "ignored grant for old epoch %llu (have %llu)",
		         (unsigned long long)g->epoch,
		         (unsigned long long)l->epoch);
		return LEASE_IGNORED;
	}
	/* a revoked epoch stays revoked: a late duplicate grant of it must
	 * not restart signing */
	if (g->epoch <= l->demoted_epoch || g->epoch <= l->revoked_epoch) {
		snprintf(l->reason, sizeof(l->reason),
		         "ignored grant for revoked epoch %llu",
		         (unsigned long long)g->epoch);
		return LEASE_IGNORED;
	}
	if (sent_ms > now_ms || expires <= now_ms) {
		snprintf(l->reason, sizeof(l->reason),
		         "ignored grant for epoch %llu: expired on arrival",
		         (unsigned long long)g->epoch);
		return LEASE_IGNORED;
	}
	raise_watermark(l, &g->watermark);
	/* never move expiry backwards on a reordered reply of one epoch */
	if (!l->holding || g->epoch > l->epoch || expires > l->expires_ms)
		l->expires_ms = expires;
	l->epoch = g->epoch;
	l->holding = true;
	if (l->signing || l->promoting) {
		snprintf(l->reason, sizeof(l->reason),
		         "lease epoch %llu renewed",
		         (unsigned long long)g->epoch);
		return LEASE_RENEWED;
	}
	l->promoting = true;
	snprintf(l->reason, sizeof(l->reason),
	         "granted lease epoch %llu: promote above height %llu",
	         (unsigned long long)g->epoch,
	         (unsigned long long)l->watermark.height);
	return LEASE_PROMOTE;
}

enum lease_action
lease_on_revoke(struct lease_state *l, uint64_t epoch, uint64_t now_ms)
{
	if (!time_ok(l, now_ms))
		return drop_lease(l, "clock ran backwards");
	if (epoch < l->epoch) {
		snprintf(l->reason, sizeof(l->reason),
		         "ignored revoke for old epoch %llu (have %llu)",
		         (unsigned long long)epoch,
		         (unsigned long long)l->epoch);
		return LEASE_IGNORED;
	}
	l->epoch = epoch;
	if (epoch > l->revoked_epoch)
		l->revoked_epoch = epoch;
	/* acknowledged now only if there is nothing to stop; otherwise by
	 * lease_demoted(), once it is stopped */
	if (!l->signing && !l->promoting && epoch > l->demoted_epoch)
		l->demoted_epoch = epoch;
	return drop_lease(l, "revoked by the commander");
}

enum lease_action
lease_tick(struct lease_state *l, uint64_t now_ms)
{
	if (!time_ok(l, now_ms))
		return drop_lease(l, "clock ran backwards");
	if (l->mode == LEASE_MODE_ACK_ONLY)
		return LEASE_NONE;
	if (l->holding && now_ms >= l->expires_ms)
		return drop_lease(l, "lease expired without renewal: "
		                     "self-fencing");
	if (!l->holding && (l->signing || l->promoting))
		return drop_lease(l, "signing without a lease");
	return LEASE_NONE;
}

bool
lease_promoted(struct lease_state *l, uint64_t now_ms)
{
	l->promoting = false;
	if (!time_ok(l, now_ms) || !l->holding ||
	    (l->mode == LEASE_MODE_LEASE && now_ms >= l->expires_ms)) {
		l->holding = false;
		snprintf(l->reason, sizeof(l->reason),
		         "lease ended while promoting");
		return false;
	}
	l->signing = true;
	snprintf(l->reason, sizeof(l->reason), "signing with lease epoch %llu",
	         (unsigned long long)l->epoch);
	return true;
}

void
lease_promote_failed(struct lease_state *l, const char *why)
{
	l->promoting = false;
	l->signing = false;
	l->holding = false;
	/* nothing was enabled: a revoke that came meanwhile is done */
	if (l->revoked_epoch >= l->epoch && l->epoch > l->demoted_epoch)
		l->demoted_epoch = l->epoch;
	snprintf(l->reason, sizeof(l->reason), "promote failed: %s", why);
}

void
lease_demoted(struct lease_state *l)
{
	l->signing = false;
	l->promoting = false;
	if (!l->holding && l->epoch > l->demoted_epoch)
		l->demoted_epoch = l->epoch;
}

const char *
lease_action_str(enum lease_action a)
{
	switch (a) {
	case LEASE_NONE:
		return "none";
	case LEASE_PROMOTE:
		return "promote";
	case LEASE_DEMOTE:
		return "demote";
	case LEASE_RENEWED:
		return "renewed";
	case LEASE_IGNORED:
		return "ignored";
	}
	return "?";
}

const char *
lease_mode_str(enum lease_mode m)
{
	return m == LEASE_MODE_ACK_ONLY ? "ack-only" : "lease";
}
