/*
 * ha_test: the commander election's pure state machine (commander/ha.h),
 * driven with injected time.  Each table row is one step — an answer from
 * etcd at a given time, or a look at the clock — and what must hold after
 * it: the role, whether it leads at that moment, and what it asks for
 * next.  The rows cover winning, the deadline counted from when the last
 * answered keepalive was SENT (minus the margin), lost keepalives, a
 * lease etcd dropped, clock jumps both ways, and late answers.
 */
#include <stdint.h>
#include <string.h>

#include "commander/ha.h"
#include "tests/test.h"

enum op {
	NEXT,     /* ha_sm_next(at) */
	GRANTED,  /* ha_sm_granted(sent, at, ok, id, ttl) */
	CAMPAIGN, /* ha_sm_campaigned(at, ok, won, rev, holder) */
	KEPT,     /* ha_sm_kept(sent, at, ok, ttl) */
	REVOKED,  /* ha_sm_revoked(at) */
	FENCED,   /* ha_sm_fenced_out(at) */
	RESIGN,   /* ha_sm_resign(at) */
	END,
};

struct row {
	enum op op;
	uint64_t at, sent;
	bool ok, won;
	int64_t id;  /* lease id (GRANTED), revision (CAMPAIGN) */
	int64_t ttl; /* seconds */
	const char *holder;
	/* expected after the step */
	enum ha_role role;
	uint64_t leading;  /* ha_sm_leading(at): the term, or 0 */
	int act;           /* ha_sm_next(at) if >= 0 (not for NEXT rows) */
	uint64_t deadline; /* if nonzero */
	int64_t revoke;    /* expected revoke_lease if >= 0 */
};

#define P                                                                      \
	{                                                                      \
		.ttl_ms = 3000, .margin_ms = 500, .retry_ms = 200              \
	}
/* A leader with lease 7 from a grant sent at 0: deadline 2500. */
#define WIN                                                                    \
	{.op = NEXT,                                                           \
	 .at = 0,                                                              \
	 .role = HA_FOLLOWER,                                                  \
	 .act = HA_ACT_GRANT,                                                  \
	 .revoke = -1},                                                        \
	    {.op = GRANTED,                                                    \
	     .at = 10,                                                         \
	     .sent = 0,                                                        \
	     .ok = true,                                                       \
	     .id = 7,                                                          \
	     .ttl = 3,                                                         \
	     .role = HA_CANDIDATE,                                             \
	     .act = HA_ACT_CAMPAIGN,                                           \
	     .revoke = -1},                                                    \
	{                                                                      \
		.op = CAMPAIGN, .at = 20, .ok = true, .won = true, .id = 41,   \
		.role = HA_LEADER, .leading = 1, .act = HA_ACT_WAIT,           \
		.deadline = 2500, .revoke = -1                                 \
	}

struct table {
	const char *name;
	struct row rows[16];
};

static const struct table tables[] = {
    {"win_then_deadline_without_keepalive",
     {WIN,
      /* the first keepalive is due at sent + ttl/3 */
      {.op = NEXT,
       .at = 999,
       .role = HA_LEADER,
       .leading = 1,
       .act = -1,
       .revoke = -1},
      {.op = NEXT,
       .at = 2499,
       .role = HA_LEADER,
       .leading = 1,
       .act = -1,
       .revoke = -1},
      /* at the deadline: not leading, and the lease is given up */
      {.op = NEXT,
       .at = 2500,
       .role = HA_FOLLOWER,
       .leading = 0,
       .act = -1,
       .revoke = 7},
      {.op = REVOKED,
       .at = 2510,
       .role = HA_FOLLOWER,
       .act = HA_ACT_GRANT,
       .revoke = 0},
      {.op = END}}},
    {"keepalive_counts_from_send",
     {WIN,
      {.op = NEXT,
       .at = 1000,
       .role = HA_LEADER,
       .leading = 1,
       .act = -1,
       .revoke = -1},
      /* sent at 1000, answered late at 2000: from 1000, not 2000 */
      {.op = KEPT,
       .at = 2000,
       .sent = 1000,
       .ok = true,
       .ttl = 3,
       .role = HA_LEADER,
       .leading = 1,
       .act = HA_ACT_WAIT,
       .deadline = 3500,
       .revoke = -1},
      {.op = KEPT,
       .at = 2010,
       .sent = 2000,
       .ok = true,
       .ttl = 3,
       .role = HA_LEADER,
       .leading = 1,
       .act = HA_ACT_WAIT,
       .deadline = 4500,
       .revoke = -1},
      /* etcd raised the TTL to 10 s: still only what we asked for */
      {.op = KEPT,
       .at = 3010,
       .sent = 3000,
       .ok = true,
       .ttl = 10,
       .role = HA_LEADER,
       .leading = 1,
       .deadline = 5500,
       .act = -1,
       .revoke = -1},
      {.op = END}}},
    {"lost_keepalives_keep_the_deadline",
     {WIN,
      /* no answer: the deadline stays, retry soon */
      {.op = KEPT,
       .at = 1100,
       .sent = 1000,
       .ok = false,
       .role = HA_LEADER,
       .leading = 1,
       .deadline = 2500,
       .act = HA_ACT_WAIT,
       .revoke = -1},
      {.op = KEPT,
       .at = 2400,
       .sent = 1300,
       .ok = false,
       .role = HA_LEADER,
       .leading = 1,
       .deadline = 2500,
       .act = HA_ACT_WAIT,
       .revoke = -1},
      /* an answer to a keepalive sent before the deadline, arriving
       * after it, does not bring leadership back */
      {.op = NEXT,
       .at = 2600,
       .role = HA_FOLLOWER,
       .leading = 0,
       .act = -1,
       .revoke = 7},
      {.op = KEPT,
       .at = 2700,
       .sent = 2450,
       .ok = true,
       .ttl = 3,
       .role = HA_FOLLOWER,
       .leading = 0,
       .act = HA_ACT_REVOKE,
       .revoke = 7},
      {.op = END}}},
    {"lease_dropped_by_etcd",
     {WIN,
      {.op = KEPT,
       .at = 1010,
       .sent = 1000,
       .ok = true,
       .ttl = 0,
       .role = HA_FOLLOWER,
       .leading = 0,
       .act = HA_ACT_GRANT,
       .revoke = 0},
      {.op = END}}},
    {"clock_jumps_forward",
     {WIN,
      /* suspended for a minute: the deadline passed while asleep */
      {.op = NEXT,
       .at = 60000,
       .role = HA_FOLLOWER,
       .leading = 0,
       .act = -1,
       .revoke = 7},
      {.op = END}}},
    {"clock_jumps_back",
     {WIN,
      {.op = NEXT,
       .at = 2000,
       .role = HA_LEADER,
       .leading = 1,
       .act = -1,
       .revoke = -1},
      /* an answer stamped before the last time seen: clamped, and the
       * deadline comes from its send time, never later */
      {.op = KEPT,
       .at = 1500,
       .sent = 1400,
       .ok = true,
       .ttl = 3,
       .role = HA_LEADER,
       .leading = 1,
       .deadline = 3900,
       .act = -1,
       .revoke = -1},
      {.op = NEXT,
       .at = 100,
       .role = HA_LEADER,
       .leading = 1,
       .act = -1,
       .revoke = -1},
      {.op = NEXT,
       .at = 3900,
       .role = HA_FOLLOWER,
       .leading = 0,
       .act = -1,
       .revoke = 7},
      {.op = END}}},
    {"campaign_lost_then_won",
     {{.op = GRANTED,
       .at = 10,
       .sent = 0,
       .ok = true,
       .id = 9,
       .ttl = 3,
       .role = HA_CANDIDATE,
       .act = HA_ACT_CAMPAIGN,
       .revoke = -1},
      {.op = CAMPAIGN,
       .at = 20,
       .ok = true,
       .won = false,
       .holder = "c2",
       .role = HA_CANDIDATE,
       .leading = 0,
       .act = HA_ACT_WAIT,
       .revoke = -1},
      {.op = NEXT, .at = 220, .role = HA_CANDIDATE, .act = -1, .revoke = -1},
      /* a candidate keeps its lease alive too */
      {.op = KEPT,
       .at = 1010,
       .sent = 1000,
       .ok = true,
       .ttl = 3,
       .role = HA_CANDIDATE,
       .act = HA_ACT_CAMPAIGN,
       .revoke = -1},
      {.op = CAMPAIGN,
       .at = 1020,
       .ok = true,
       .won = true,
       .id = 50,
       .role = HA_LEADER,
       .leading = 1,
       .deadline = 3500,
       .act = -1,
       .revoke = -1},
      {.op = END}}},
    {"candidate_lease_runs_out",
     {{.op = GRANTED,
       .at = 10,
       .sent = 0,
       .ok = true,
       .id = 9,
       .ttl = 3,
       .role = HA_CANDIDATE,
       .act = -1,
       .revoke = -1},
      {.op = KEPT,
       .at = 1100,
       .sent = 1000,
       .ok = false,
       .role = HA_CANDIDATE,
       .act = -1,
       .revoke = -1},
      /* no keepalive answered: at 2500 its lease is no base */
      {.op = NEXT, .at = 2500, .role = HA_FOLLOWER, .act = -1, .revoke = 9},
      /* a campaign answered now is ignored */
      {.op = CAMPAIGN,
       .at = 2510,
       .ok = true,
       .won = true,
       .id = 60,
       .role = HA_FOLLOWER,
       .leading = 0,
       .act = HA_ACT_REVOKE,
       .revoke = 9},
      {.op = END}}},
    {"failed_grant_retries",
     {{.op = GRANTED,
       .at = 100,
       .sent = 0,
       .ok = false,
       .role = HA_FOLLOWER,
       .act = HA_ACT_WAIT,
       .revoke = -1},
      {.op = NEXT, .at = 300, .role = HA_FOLLOWER, .act = -1, .revoke = -1},
      /* a TTL not longer than the margin: useless, given back */
      {.op = GRANTED,
       .at = 310,
       .sent = 300,
       .ok = true,
       .id = 3,
       .ttl = 0,
       .role = HA_FOLLOWER,
       .act = HA_ACT_REVOKE,
       .revoke = 3},
      {.op = END}}},
    {"fenced_out_and_resign",
     {WIN,
      {.op = FENCED,
       .at = 100,
       .role = HA_FOLLOWER,
       .leading = 0,
       .act = HA_ACT_REVOKE,
       .revoke = 7},
      {.op = REVOKED,
       .at = 110,
       .role = HA_FOLLOWER,
       .act = HA_ACT_GRANT,
       .revoke = 0},
      {.op = GRANTED,
       .at = 130,
       .sent = 120,
       .ok = true,
       .id = 8,
       .ttl = 3,
       .role = HA_CANDIDATE,
       .act = HA_ACT_CAMPAIGN,
       .revoke = -1},
      {.op = RESIGN,
       .at = 140,
       .role = HA_FOLLOWER,
       .act = HA_ACT_REVOKE,
       .revoke = 8},
      {.op = REVOKED,
       .at = 150,
       .role = HA_FOLLOWER,
       .act = HA_ACT_WAIT,
       .revoke = 0},
      /* resigned: no new lease, ever; a late grant is given back */
      {.op = GRANTED,
       .at = 160,
       .sent = 120,
       .ok = true,
       .id = 11,
       .ttl = 3,
       .role = HA_FOLLOWER,
       .act = HA_ACT_REVOKE,
       .revoke = 11},
      {.op = END}}},
};

static void
run_table(const struct table *t)
{
	const struct ha_params p = P;
	struct ha_sm s;
	uint64_t wait;

	ha_sm_init(&s, &p, 0);
	for (size_t i = 0; t->rows[i].op != END; i++) {
		const struct row *r = &t->rows[i];
		struct ha_sm probe;
		int act = -1;

		switch (r->op) {
		case NEXT:
			act = (int)ha_sm_next(&s, r->at, &wait);
			break;
		case GRANTED:
			ha_sm_granted(&s, r->sent, r->at, r->ok, r->id, r->ttl);
			break;
		case CAMPAIGN:
			ha_sm_campaigned(&s, r->at, r->ok, r->won, r->id,
			                 r->holder);
			break;
		case KEPT:
			ha_sm_kept(&s, r->sent, r->at, r->ok, r->ttl);
			break;
		case REVOKED:
			ha_sm_revoked(&s, r->at);
			break;
		case FENCED:
			ha_sm_fenced_out(&s, r->at);
			break;
		case RESIGN:
			ha_sm_resign(&s, r->at);
			break;
		case END:
			break;
		}
		CHECKF(s.role == r->role, "%s row %zu: role %s, want %s",
		       t->name, i, ha_role_str(s.role), ha_role_str(r->role));
		CHECKF(ha_sm_leading(&s, r->at) == r->leading,
		       "%s row %zu: leading %llu, want %llu", t->name, i,
		       (unsigned long long)ha_sm_leading(&s, r->at),
		       (unsigned long long)r->leading);
		if (r->deadline)
			CHECKF(s.deadline == r->deadline,
			       "%s row %zu: deadline %llu, want %llu", t->name,
			       i, (unsigned long long)s.deadline,
			       (unsigned long long)r->deadline);
		if (r->revoke >= 0)
			CHECKF(s.revoke_lease == r->revoke,
			       "%s row %zu: revoke %lld, want %lld", t->name, i,
			       (long long)s.revoke_lease, (long long)r->revoke);
		if (r->act >= 0 && r->op != NEXT) {
			/* what it would ask for now, on a copy */
			probe = s;
			act = (int)ha_sm_next(&probe, r->at, &wait);
			CHECKF(act == r->act, "%s row %zu: action %d, want %d",
			       t->name, i, act, r->act);
		}
	}
}

static void
tables_all(void)
{
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		run_table(&tables[i]);
}

/*
 * The safety property itself, over many keepalive patterns: whenever
 * ha_sm_leading says yes at time t, t is before (send time of the last
 * keepalive etcd answered, or of the grant) + ttl - margin, i.e. before
 * etcd could have expired the lease.
 */
static void
never_leads_past_etcd_expiry(void)
{
	const struct ha_params p = P;
	uint64_t seed = 12345;

	for (int run = 0; run < 200; run++) {
		struct ha_sm s;
		uint64_t now = 0, wait, last_ok_sent = 0;
		bool have = false;

		ha_sm_init(&s, &p, 0);
		for (int step = 0; step < 300; step++) {
			enum ha_action a = ha_sm_next(&s, now, &wait);
			uint64_t lat;

			seed = seed * 6364136223846793005ULL + 1;
			lat = (seed >> 33) % 1500; /* answer latency */
			switch (a) {
			case HA_ACT_GRANT:
				ha_sm_granted(&s, now, now + lat, true, 7, 3);
				last_ok_sent = now;
				have = true;
				break;
			case HA_ACT_CAMPAIGN:
				ha_sm_campaigned(&s, now + lat, true,
				                 (seed >> 20) % 2, 5, "x");
				break;
			case HA_ACT_KEEPALIVE: {
				bool ok = (seed >> 40) % 3 != 0;

				ha_sm_kept(&s, now, now + lat, ok, 3);
				if (ok)
					last_ok_sent = now;
				break;
			}
			case HA_ACT_REVOKE:
				ha_sm_revoked(&s, now + lat);
				have = false;
				break;
			case HA_ACT_WAIT:
			default:
				lat = wait;
				break;
			}
			now += lat + 1;
			if (ha_sm_leading(&s, now)) {
				CHECKF(have && now < last_ok_sent + p.ttl_ms -
				                         p.margin_ms,
				       "run %d step %d: leads at %llu, last "
				       "answered keepalive sent at %llu",
				       run, step, (unsigned long long)now,
				       (unsigned long long)last_ok_sent);
			}
		}
	}
}

int
main(void)
{
	RUN(tables_all);
	RUN(never_leads_past_etcd_expiry);
	return TEST_END();
}
