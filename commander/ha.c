/*
 * ha.c: the election's pure state machine (ha.h).  No clock, no I/O, no
 * logging: every time comes in as an argument, and the caller (ha_run.c)
 * makes the etcd call each action names.
 */
#include "commander/ha.h"

#include <string.h>

#include "common/util.h"

static const char *const roles[] = {
    [HA_FOLLOWER] = "follower",
    [HA_CANDIDATE] = "candidate",
    [HA_LEADER] = "leader",
};

const char *
ha_role_str(enum ha_role r)
{
	return (unsigned)r < UTIL_NELEM(roles) ? roles[r] : "?";
}

/* Time never runs backwards here (a caller's clock may, across threads). */
static uint64_t
clamp(struct ha_sm *s, uint64_t now)
{
	if (now < s->last)
		return s->last;
	s->last = now;
	return now;
}

void
ha_sm_init(struct ha_sm *s, const struct ha_params *p, uint64_t now)
{
	memset(s, 0, sizeof(*s));
	s->p = *p;
	if (s->p.retry_ms == 0)
		s->p.retry_ms = 500;
	s->role = HA_FOLLOWER;
	s->next_try = now;
	s->last = now;
}

/* Give up the lease (etcd deletes our leader key with it) and start over
 * with a fresh one. */
static void
step_down(struct ha_sm *s, uint64_t now, bool revoke)
{
	if (s->lease != 0 && revoke)
		s->revoke_lease = s->lease;
	s->lease = 0;
	s->lease_until = 0;
	s->deadline = 0;
	s->rev = 0;
	s->role = HA_FOLLOWER;
	s->leader[0] = '\0'; /* whoever leads now, the campaign will say */
	if (s->next_try != UINT64_MAX)
		s->next_try = now;
}

static uint64_t
span(const struct ha_sm *s, int64_t ttl_s)
{
	uint64_t t = ttl_s > 0 ? (uint64_t)ttl_s * 1000 : 0;

	/* etcd may round a TTL up, never do we count on more than asked */
	return t < s->p.ttl_ms ? t : s->p.ttl_ms;
}

enum ha_action
ha_sm_next(struct ha_sm *s, uint64_t now, uint64_t *wait_ms)
{
	uint64_t due;

	now = clamp(s, now);
	*wait_ms = 0;
	if (s->role == HA_LEADER && now >= s->deadline)
		step_down(s, now, true);
	/* a lease we cannot vouch for is no base for a campaign */
	if (s->role == HA_CANDIDATE && now >= s->lease_until)
		step_down(s, now, true);
	if (s->revoke_lease != 0)
		return HA_ACT_REVOKE;
	switch (s->role) {
	case HA_FOLLOWER:
		if (now >= s->next_try)
			return HA_ACT_GRANT;
		*wait_ms = s->next_try - now;
		return HA_ACT_WAIT;
	case HA_CANDIDATE:
		if (now >= s->next_ka)
			return HA_ACT_KEEPALIVE;
		if (now >= s->next_try)
			return HA_ACT_CAMPAIGN;
		due = s->next_ka < s->next_try ? s->next_ka : s->next_try;
		break;
	case HA_LEADER:
	default:
		if (now >= s->next_ka)
			return HA_ACT_KEEPALIVE;
		due = s->next_ka < s->deadline ? s->next_ka : s->deadline;
		break;
	}
	*wait_ms = due - now;
	return HA_ACT_WAIT;
}

void
ha_sm_granted(struct ha_sm *s, uint64_t sent, uint64_t now, bool ok, int64_t id,
              int64_t ttl_s)
{
	uint64_t t;

	now = clamp(s, now);
	if (sent > now)
		sent = now;
	if (s->role != HA_FOLLOWER || s->next_try == UINT64_MAX) {
		if (ok && id != 0)
			s->revoke_lease = id; /* not wanted: do not leak it */
		return;
	}
	t = span(s, ttl_s);
	if (!ok || id == 0 || t <= s->p.margin_ms) {
		if (ok && id != 0)
			s->revoke_lease = id;
		s->next_try = now + s->p.retry_ms;
		return;
	}
	s->role = HA_CANDIDATE;
	s->lease = id;
	/* etcd started the lease after we sent the request */
	s->lease_until = sent + t - s->p.margin_ms;
	s->next_ka = sent + s->p.ttl_ms / 3;
	s->next_try = now; /* campaign at once */
}

void
ha_sm_campaigned(struct ha_sm *s, uint64_t now, bool ok, bool won, int64_t rev,
                 const char *holder)
{
	now = clamp(s, now);
	if (s->role != HA_CANDIDATE)
		return;
	if (!ok) {
		s->next_try = now + s->p.retry_ms;
		return;
	}
	if (!won || rev <= 0) {
		util_strlcpy(s->leader, holder ? holder : "",
		             sizeof(s->leader));
		s->next_try = now + s->p.retry_ms;
		return;
	}
	s->role = HA_LEADER;
	s->rev = rev;
	s->term++;
	/* the lease our key hangs on is alive until lease_until at least */
	s->deadline = s->lease_until;
	s->leader[0] = '\0';
}

void
ha_sm_kept(struct ha_sm *s, uint64_t sent, uint64_t now, bool ok, int64_t ttl_s)
{
	uint64_t until;

	now = clamp(s, now);
	if (sent > now)
		sent = now;
	if (s->role == HA_FOLLOWER)
		return; /* an answer about a lease we gave up */
	if (!ok) {
		/* the deadline stays: try again soon, maybe elsewhere */
		s->next_ka = now + s->p.retry_ms;
		return;
	}
	if (ttl_s <= 0) {
		step_down(s, now, false); /* etcd dropped it (and our key) */
		return;
	}
	until = sent + span(s, ttl_s);
	until = until > s->p.margin_ms ? until - s->p.margin_ms : 0;
	if (until > s->lease_until)
		s->lease_until = until;
	if (s->role == HA_LEADER)
		s->deadline = s->lease_until;
	s->next_ka = sent + s->p.ttl_ms / 3;
	if (s->next_ka <= now)
		s->next_ka = now + 1;
}

void
ha_sm_revoked(struct ha_sm *s, uint64_t now)
{
	clamp(s, now);
	s->revoke_lease = 0;
}

void
ha_sm_fenced_out(struct ha_sm *s, uint64_t now)
{
	now = clamp(s, now);
	if (s->role == HA_LEADER)
		step_down(s, now, true);
}

void
ha_sm_resign(struct ha_sm *s, uint64_t now)
{
	now = clamp(s, now);
	s->next_try = UINT64_MAX; /* no new lease after this */
	step_down(s, now, true);
}

uint64_t
ha_sm_leading(const struct ha_sm *s, uint64_t now)
{
	if (s->role != HA_LEADER || now >= s->deadline)
		return 0;
	return s->term;
}
