/*
 * policy.c: restart decisions.  Pure: no clock, no I/O, no logging.
 *
 * One check goes: figures (lag, catch-up, stall, trend) -> the first rule
 * whose condition holds and is neither disabled nor excused (major sync,
 * producing) -> the gates (cooldown, crash-loop cap, backoff) -> action.
 */
#include "pilot/policy.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

#define DUR 24 /* util_fmt_duration buffer */

/* snprintf that may truncate: reasons are bounded on purpose. */
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

static const char *const rule_names[POLICY_RULE_COUNT] = {
    [POLICY_RULE_NONE] = "none",
    [POLICY_RULE_EXITED] = "exited",
    [POLICY_RULE_UNREACHABLE] = "unreachable",
    [POLICY_RULE_SEVERE_LAG] = "severe_lag",
    [POLICY_RULE_MODERATE_LAG] = "moderate_lag",
    [POLICY_RULE_STALL] = "stall",
    [POLICY_RULE_TREND] = "trend",
};

const char *
policy_rule_str(enum policy_rule r)
{
	if ((unsigned)r >= POLICY_RULE_COUNT)
		return "?";
	return rule_names[r];
}

int
policy_rule_from_str(const char *s)
{
	int i;

	for (i = 1; i < POLICY_RULE_COUNT; i++)
		if (strcmp(s, rule_names[i]) == 0)
			return i;
	return -1;
}

const char *
policy_action_str(enum policy_action a)
{
	switch (a) {
	case POLICY_NONE:
		return "none";
	case POLICY_RESTART:
		return "restart";
	case POLICY_CAPPED:
		return "capped";
	}
	return "?";
}

const char *
policy_hold_str(enum policy_hold h)
{
	switch (h) {
	case POLICY_HOLD_NONE:
		return "none";
	case POLICY_HOLD_HEALTHY:
		return "healthy";
	case POLICY_HOLD_LAG_UNKNOWN:
		return "lag_unknown";
	case POLICY_HOLD_MAJOR_SYNC:
		return "major_sync";
	case POLICY_HOLD_PRODUCING:
		return "producing";
	case POLICY_HOLD_LAG_LOW:
		return "lag_low";
	case POLICY_HOLD_COUNTING:
		return "counting";
	case POLICY_HOLD_DISABLED:
		return "disabled";
	case POLICY_HOLD_COOLDOWN:
		return "cooldown";
	case POLICY_HOLD_BACKOFF:
		return "backoff";
	case POLICY_HOLD_CAP:
		return "crash_loop";
	}
	return "?";
}

void
policy_conf_defaults(struct policy_conf *c)
{
	int i;

	memset(c, 0, sizeof(*c));
	c->moderate_lag = POLICY_DEFAULT_MODERATE;
	c->severe_lag = POLICY_DEFAULT_SEVERE;
	c->cooldown_ms = POLICY_DEFAULT_COOLDOWN_MS;
	c->stall_ms = POLICY_DEFAULT_STALL_MS;
	c->trend_ms = POLICY_DEFAULT_TREND_MS;
	c->unreachable_checks = 3;
	c->exited_checks = 1;
	c->cap_restarts = 3;
	c->cap_window_ms = 3600000;
	c->backoff_base_ms = POLICY_DEFAULT_COOLDOWN_MS;
	c->backoff_max_ms = 3600000;
	c->backoff_reset_ms = POLICY_DEFAULT_COOLDOWN_MS;
	for (i = 1; i < POLICY_RULE_COUNT; i++)
		c->enabled[i] = true;
}

int
policy_conf_check(const struct policy_conf *c, char *err, size_t errlen)
{
	if (c->moderate_lag == 0) {
		say(err, errlen, "moderate_lag must be at least 1, not 0");
		return -1;
	}
	if (c->moderate_lag >= c->severe_lag) {
		say(err, errlen,
		    "moderate_lag %" PRIu64 " must be below severe_lag "
		    "%" PRIu64,
		    c->moderate_lag, c->severe_lag);
		return -1;
	}
	if (c->stall_ms == 0 || c->trend_ms == 0) {
		say(err, errlen, "%s must not be 0",
		    c->stall_ms == 0 ? "stall window" : "trend window");
		return -1;
	}
	if (c->unreachable_checks == 0 || c->exited_checks == 0) {
		say(err, errlen, "%s must be at least 1, not 0",
		    c->unreachable_checks == 0 ? "unreachable_checks"
		                               : "exited_checks");
		return -1;
	}
	if (c->cap_restarts > POLICY_CAP_MAX) {
		say(err, errlen,
		    "crash-loop cap %" PRIu32 " restarts exceeds %d",
		    c->cap_restarts, POLICY_CAP_MAX);
		return -1;
	}
	if (c->cap_restarts > 0 && c->cap_window_ms == 0) {
		say(err, errlen, "crash-loop window must not be 0");
		return -1;
	}
	if (c->backoff_base_ms > 0 && c->backoff_max_ms < c->backoff_base_ms) {
		say(err, errlen,
		    "backoff max %" PRIu64 "ms is below backoff base "
		    "%" PRIu64 "ms",
		    c->backoff_max_ms, c->backoff_base_ms);
		return -1;
	}
	return 0;
}

void
policy_state_init(struct policy_state *s)
{
	memset(s, 0, sizeof(*s));
}

static uint64_t
since(uint64_t now, uint64_t t)
{
	return now >= t ? now - t : 0;
}

uint64_t
policy_backoff_ms(const struct policy_conf *c, uint32_t level)
{
	uint64_t gap = c->backoff_base_ms;

	if (level == 0 || gap == 0)
		return 0;
	while (--level > 0 && gap < c->backoff_max_ms)
		gap = gap > UINT64_MAX / 2 ? UINT64_MAX : gap * 2;
	return gap < c->backoff_max_ms ? gap : c->backoff_max_ms;
}

static void
record_restart(struct policy_state *s, uint64_t now)
{
	unsigned i = (s->restarts_head + s->restarts_n) % POLICY_CAP_MAX;

	s->restarts[i] = now;
	if (s->restarts_n < POLICY_CAP_MAX)
		s->restarts_n++;
	else
		s->restarts_head = (s->restarts_head + 1) % POLICY_CAP_MAX;
	s->restarted = true;
	s->last_restart_ms = now;
	if (s->backoff_level < UINT32_MAX)
		s->backoff_level++;
	s->total_restarts++;
	/* The node starts afresh: old lags and the stall clock are moot. */
	s->hist_n = s->hist_head = 0;
	s->progress_valid = false;
	s->unreachable_run = s->exited_run = 0;
	s->healthy_valid = false;
}

void
policy_restarted(struct policy_state *s, uint64_t now_ms)
{
	record_restart(s, now_ms);
}

void
policy_reset(struct policy_state *s)
{
	s->restarts_n = s->restarts_head = 0;
	s->backoff_level = 0;
	s->capped = false;
}

/* Restarts within the cap window ending at now; *oldest is the first. */
static unsigned
restarts_in_window(const struct policy_conf *c, const struct policy_state *s,
                   uint64_t now, uint64_t *oldest)
{
	unsigned i, n = 0;

	*oldest = now;
	for (i = 0; i < s->restarts_n; i++) {
		uint64_t t =
		    s->restarts[(s->restarts_head + i) % POLICY_CAP_MAX];

		if (since(now, t) < c->cap_window_ms) {
			if (n == 0)
				*oldest = t;
			n++;
		}
	}
	return n;
}

static const struct policy_sample *
hist_at(const struct policy_state *s, unsigned i)
{
	return &s->hist[(s->hist_head + i) % POLICY_HIST];
}

/*
 * The trend: a least-squares fit of lag over time from the newest sample at
 * or before the window start up to now.  Requiring that baseline means the
 * window is really covered, so a pilot that just started sees no trend.
 * Returns the fitted lag change over trend_ms, 0 without enough history.
 */
static double
lag_trend(const struct policy_conf *c, const struct policy_state *s,
          uint64_t now, uint64_t lag, bool *have)
{
	unsigned i, first = 0;
	bool found = false;
	double n = 0, st = 0, sl = 0, stt = 0, stl = 0, t0, den;

	*have = false;
	if (now < c->trend_ms)
		return 0;
	for (i = 0; i < s->hist_n; i++) {
		if (hist_at(s, i)->t_ms <= now - c->trend_ms) {
			first = i;
			found = true;
		}
	}
	if (!found)
		return 0;
	t0 = (double)hist_at(s, first)->t_ms;
	for (i = first; i <= s->hist_n; i++) {
		double t, l;

		if (i == s->hist_n) {
			t = (double)now - t0;
			l = (double)lag;
		} else {
			t = (double)hist_at(s, i)->t_ms - t0;
			l = (double)hist_at(s, i)->lag;
		}
		n++;
		st += t;
		sl += l;
		stt += t * t;
		stl += t * l;
	}
	den = n * stt - st * st;
	if (n < 2 || den <= 0)
		return 0;
	*have = true;
	return (n * stl - st * sl) / den * (double)c->trend_ms;
}

static void
hist_add(const struct policy_conf *c, struct policy_state *s, uint64_t now,
         uint64_t height, uint64_t lag)
{
	/* Thin out fast checks so the ring spans about two trend windows. */
	uint64_t spacing = c->trend_ms / (POLICY_HIST / 2);
	struct policy_sample *p;

	if (s->hist_n > 0 &&
	    since(now, hist_at(s, s->hist_n - 1)->t_ms) < spacing)
		return;
	if (s->hist_n == POLICY_HIST) {
		s->hist_head = (s->hist_head + 1) % POLICY_HIST;
		s->hist_n--;
	}
	p = &s->hist[(s->hist_head + s->hist_n) % POLICY_HIST];
	p->t_ms = now;
	p->height = height;
	p->lag = lag;
	s->hist_n++;
}

/* The figures the daemon logs each check; updates the tracking state. */
static void
progress(const struct policy_conf *c, struct policy_state *s,
         const struct policy_input *in, struct policy_progress *p)
{
	uint64_t now = in->now_ms, dt;
	bool have;

	p->lag_known = in->height > 0 && in->ref_height > 0;
	if (p->lag_known)
		p->lag = in->ref_height > in->height
		             ? in->ref_height - in->height
		             : 0;
	dt = s->prev_valid ? since(now, s->prev_ms) : 0;
	if (dt > 0 && in->height > 0 && s->prev_height > 0) {
		p->delta_known = true;
		p->caught_up = (int64_t)(in->height - s->prev_height);
		p->rate = (double)p->caught_up * 1000.0 / (double)dt;
		if (p->lag_known && s->prev_lag_known)
			p->closing_rate =
			    ((double)s->prev_lag - (double)p->lag) * 1000.0 /
			    (double)dt;
		if (p->lag > 0 && p->closing_rate > 0) {
			p->eta_known = true;
			p->eta_ms = (uint64_t)((double)p->lag /
			                       p->closing_rate * 1000.0);
		}
	}
	if (p->lag_known) {
		if (p->lag >= c->moderate_lag)
			s->lagging = true;
		else if (p->lag == 0 && s->lagging) {
			s->lagging = false;
			p->synced = true;
			p->synced_height = in->height;
		}
	}

	/* Stall: the height has not moved (either way) since progress_ms. */
	if (in->height > 0 &&
	    (!s->progress_valid || in->height != s->progress_height)) {
		s->progress_valid = true;
		s->progress_ms = now;
		s->progress_height = in->height;
	}
	if (s->progress_valid) {
		p->stalled_ms = since(now, s->progress_ms);
		p->stalled = in->up && p->stalled_ms >= c->stall_ms;
	}

	if (p->lag_known) {
		p->trend = lag_trend(c, s, now, p->lag, &have);
		p->rising = have && p->trend >= 1.0;
		hist_add(c, s, now, in->height, p->lag);
	}

	s->prev_valid = true;
	s->prev_ms = now;
	if (in->height > 0)
		s->prev_height = in->height;
	s->prev_lag_known = p->lag_known;
	s->prev_lag = p->lag;
}

/*
 * Evaluating the rules.  The first rule that fires wins; failing that, the
 * first condition that held but was excused explains the NONE decision.
 */
struct eval {
	enum policy_rule rule; /* fired */
	enum policy_hold hold;
	enum policy_rule held; /* first excused condition */
	char why[POLICY_REASON_MAX];
};

/* Returns true when the rule fired (eval done). */
static bool
consider(const struct policy_conf *c, struct eval *e, enum policy_rule r,
         enum policy_hold excuse, const char *cond)
{
	/* A switched-off rule's own excuses do not matter. */
	if (!c->enabled[r])
		excuse = POLICY_HOLD_DISABLED;
	if (excuse == POLICY_HOLD_NONE) {
		e->rule = r;
		e->hold = POLICY_HOLD_NONE;
		util_strlcpy(e->why, cond, sizeof(e->why));
		return true;
	}
	/* A real excuse explains more than a switched-off rule. */
	if (e->held == POLICY_RULE_NONE || (e->hold == POLICY_HOLD_DISABLED &&
	                                    excuse != POLICY_HOLD_DISABLED)) {
		e->held = r;
		e->hold = excuse;
		if (excuse == POLICY_HOLD_DISABLED)
			say(e->why, sizeof(e->why),
			    "%s, but rule %s is disabled", cond,
			    policy_rule_str(r));
		else
			util_strlcpy(e->why, cond, sizeof(e->why));
	}
	return false;
}

static void
evaluate(const struct policy_conf *c, struct policy_state *s,
         const struct policy_input *in, const struct policy_progress *p,
         struct eval *e)
{
	uint64_t min_lag = c->stall_min_lag ? c->stall_min_lag : c->severe_lag;
	char cond[POLICY_REASON_MAX], d1[DUR], d2[DUR];
	enum policy_hold x;

	memset(e, 0, sizeof(*e));

	if (!in->up) {
		s->unreachable_run = 0;
		if (s->exited_run < UINT32_MAX)
			s->exited_run++;
		x = s->exited_run >= c->exited_checks ? POLICY_HOLD_NONE
		                                      : POLICY_HOLD_COUNTING;
		say(cond, sizeof(cond),
		    "node not running for %" PRIu32 "/%" PRIu32 " checks",
		    s->exited_run, c->exited_checks);
		if (consider(c, e, POLICY_RULE_EXITED, x, cond))
			return;
		/* A stopped node's heights are stale: lag rules wait. */
		return;
	}
	s->exited_run = 0;

	if (!in->reachable) {
		if (s->unreachable_run < UINT32_MAX)
			s->unreachable_run++;
		x = s->unreachable_run >= c->unreachable_checks
		        ? POLICY_HOLD_NONE
		        : POLICY_HOLD_COUNTING;
		say(cond, sizeof(cond),
		    "RPC unreachable for %" PRIu32 "/%" PRIu32 " checks",
		    s->unreachable_run, c->unreachable_checks);
		if (consider(c, e, POLICY_RULE_UNREACHABLE, x, cond))
			return;
	} else
		s->unreachable_run = 0;

	if (p->lag_known && p->lag >= c->severe_lag) {
		say(cond, sizeof(cond),
		    "lag %" PRIu64 " blocks >= severe %" PRIu64, p->lag,
		    c->severe_lag);
		if (consider(c, e, POLICY_RULE_SEVERE_LAG, POLICY_HOLD_NONE,
		             cond))
			return;
	}

	if (p->lag_known && p->lag >= c->moderate_lag) {
		x = POLICY_HOLD_NONE;
		if (in->major_sync) {
			x = POLICY_HOLD_MAJOR_SYNC;
			say(cond, sizeof(cond),
			    "lag %" PRIu64 " blocks >= moderate %" PRIu64
			    ", but the node is in major sync",
			    p->lag, c->moderate_lag);
		} else if (in->producing) {
			x = POLICY_HOLD_PRODUCING;
			say(cond, sizeof(cond),
			    "lag %" PRIu64 " blocks >= moderate %" PRIu64
			    ", but the node produced a block in session "
			    "%" PRIu64,
			    p->lag, c->moderate_lag, in->session);
		} else
			say(cond, sizeof(cond),
			    "lag %" PRIu64 " blocks >= moderate %" PRIu64
			    ", not in major sync, not producing",
			    p->lag, c->moderate_lag);
		if (consider(c, e, POLICY_RULE_MODERATE_LAG, x, cond))
			return;
	}

	if (p->stalled) {
		util_fmt_duration(p->stalled_ms, d1, sizeof(d1));
		util_fmt_duration(c->stall_ms, d2, sizeof(d2));
		if (!p->lag_known) {
			x = POLICY_HOLD_LAG_UNKNOWN;
			say(cond, sizeof(cond),
			    "no progress for %s at #%" PRIu64
			    ", but the lag is unknown",
			    d1, s->progress_height);
		} else if (p->lag < min_lag) {
			x = POLICY_HOLD_LAG_LOW;
			say(cond, sizeof(cond),
			    "no progress for %s at #%" PRIu64
			    ", but lag %" PRIu64 " < %" PRIu64,
			    d1, s->progress_height, p->lag, min_lag);
		} else if (in->producing) {
			x = POLICY_HOLD_PRODUCING;
			say(cond, sizeof(cond),
			    "no progress for %s at #%" PRIu64
			    ", but the node is producing",
			    d1, s->progress_height);
		} else {
			x = POLICY_HOLD_NONE;
			say(cond, sizeof(cond),
			    "no progress for %s (>= %s) at #%" PRIu64
			    ", lag %" PRIu64 ", not producing",
			    d1, d2, s->progress_height, p->lag);
		}
		if (consider(c, e, POLICY_RULE_STALL, x, cond))
			return;
	}

	if (p->rising) {
		util_fmt_duration(c->trend_ms, d1, sizeof(d1));
		if (p->lag < min_lag) {
			x = POLICY_HOLD_LAG_LOW;
			say(cond, sizeof(cond),
			    "lag rising %+.1f blocks over %s, but lag %" PRIu64
			    " < %" PRIu64,
			    p->trend, d1, p->lag, min_lag);
		} else if (in->producing) {
			x = POLICY_HOLD_PRODUCING;
			say(cond, sizeof(cond),
			    "lag rising %+.1f blocks over %s, but the node is "
			    "producing",
			    p->trend, d1);
		} else {
			x = POLICY_HOLD_NONE;
			say(cond, sizeof(cond),
			    "lag rising %+.1f blocks over %s to %" PRIu64
			    ", not producing",
			    p->trend, d1, p->lag);
		}
		if (consider(c, e, POLICY_RULE_TREND, x, cond))
			return;
	}

	if (e->held != POLICY_RULE_NONE)
		return;
	if (!in->reachable)
		return; /* unreachable, counting: said above */
	if (!p->lag_known) {
		e->hold = POLICY_HOLD_LAG_UNKNOWN;
		say(e->why, sizeof(e->why), "lag unknown (%s)",
		    in->ref_height == 0 ? "no reference height"
		                        : "no local height");
		return;
	}
	e->hold = POLICY_HOLD_HEALTHY;
	if (p->lag == 0)
		say(e->why, sizeof(e->why), "in sync at #%" PRIu64, in->height);
	else
		say(e->why, sizeof(e->why),
		    "lag %" PRIu64 " < moderate %" PRIu64, p->lag,
		    c->moderate_lag);
}

void
policy_decide(const struct policy_conf *c, struct policy_state *s,
              const struct policy_input *in, struct policy_decision *d)
{
	uint64_t now = in->now_ms, last, oldest, gap;
	struct eval e;
	unsigned n;
	bool healthy;
	char d1[DUR], d2[DUR];

	memset(d, 0, sizeof(*d));
	d->dry_run = c->dry_run;
	progress(c, s, in, &d->progress);
	evaluate(c, s, in, &d->progress, &e);

	/* The backoff is forgotten once the node has stayed healthy. */
	healthy = in->up && in->reachable && !d->progress.stalled &&
	          (!d->progress.lag_known || d->progress.lag < c->moderate_lag);
	if (!healthy)
		s->healthy_valid = false;
	else if (!s->healthy_valid) {
		s->healthy_valid = true;
		s->healthy_since_ms = now;
	}
	if (healthy && since(now, s->healthy_since_ms) >= c->backoff_reset_ms)
		s->backoff_level = 0;

	if (e.rule == POLICY_RULE_NONE) {
		d->action = POLICY_NONE;
		d->rule = e.held;
		d->hold = e.hold;
		util_strlcpy(d->reason, e.why, sizeof(d->reason));
		s->capped = false;
		return;
	}

	d->rule = e.rule;
	last = s->restarted ? since(now, s->last_restart_ms) : UINT64_MAX;
	if (s->restarted && last < c->cooldown_ms) {
		d->action = POLICY_NONE;
		d->hold = POLICY_HOLD_COOLDOWN;
		d->wait_ms = c->cooldown_ms - last;
		say(d->reason, sizeof(d->reason),
		    "cooldown: restarted %s ago, %s left; would restart: %s",
		    util_fmt_duration(last, d1, sizeof(d1)),
		    util_fmt_duration(d->wait_ms, d2, sizeof(d2)), e.why);
		s->capped = false;
		return;
	}

	n = c->cap_restarts ? restarts_in_window(c, s, now, &oldest) : 0;
	if (c->cap_restarts > 0 && n >= c->cap_restarts) {
		d->action = POLICY_CAPPED;
		d->hold = POLICY_HOLD_CAP;
		d->cap_new = !s->capped;
		d->wait_ms = oldest + c->cap_window_ms - now;
		say(d->reason, sizeof(d->reason),
		    "crash loop: %u restarts within %s, none for %s or until "
		    "an operator resets; would restart: %s",
		    n, util_fmt_duration(c->cap_window_ms, d1, sizeof(d1)),
		    util_fmt_duration(d->wait_ms, d2, sizeof(d2)), e.why);
		s->capped = true;
		return;
	}
	s->capped = false;

	gap = policy_backoff_ms(c, s->backoff_level);
	if (s->restarted && last < gap) {
		d->action = POLICY_NONE;
		d->hold = POLICY_HOLD_BACKOFF;
		d->wait_ms = gap - last;
		say(d->reason, sizeof(d->reason),
		    "backoff: %" PRIu32 " restart(s) did not help, next in %s;"
		    " would restart: %s",
		    s->backoff_level,
		    util_fmt_duration(d->wait_ms, d1, sizeof(d1)), e.why);
		return;
	}

	d->action = POLICY_RESTART;
	d->hold = POLICY_HOLD_NONE;
	util_strlcpy(d->reason, e.why, sizeof(d->reason));
	if (c->dry_run)
		record_restart(s, now);
}

const char *
policy_progress_str(const struct policy_progress *p, char *buf, size_t size)
{
	char eta[DUR];

	if (p->synced)
		say(buf, size, "fully caught up at block #%" PRIu64,
		    p->synced_height);
	else if (!p->lag_known)
		say(buf, size, "lag unknown");
	else if (!p->delta_known)
		say(buf, size, "lag %" PRIu64 " blocks", p->lag);
	else
		say(buf, size,
		    "lag %" PRIu64 " blocks, caught up %" PRId64
		    " blocks, sync rate %.2f blocks/s, ETA %s",
		    p->lag, p->caught_up, p->rate,
		    p->lag == 0 ? "0s"
		    : p->eta_known
		        ? util_fmt_duration(p->eta_ms, eta, sizeof(eta))
		        : "none (not gaining)");
	return buf;
}
