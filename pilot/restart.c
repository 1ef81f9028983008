#include "pilot/restart.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

/* snprintf that may cut: texts are bounded on purpose. */
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

void
restart_gate_init(struct restart_gate *g, bool has_commander,
                  bool fallback_allow, uint64_t wait_ms)
{
	memset(g, 0, sizeof(*g));
	g->has_commander = has_commander;
	g->fallback_allow = fallback_allow;
	g->wait_ms = wait_ms;
}

static enum restart_verdict
close_with(struct restart_gate *g, enum restart_verdict v)
{
	g->asking = false;
	return v;
}

static enum restart_verdict
fallback(struct restart_gate *g, const char *why)
{
	say(g->why, sizeof(g->why), "%s; fallback: %s", why,
	    g->fallback_allow ? "allow" : "deny");
	return close_with(g, g->fallback_allow ? RESTART_GO : RESTART_NO);
}

enum restart_verdict
restart_gate_want(struct restart_gate *g, const char *reason, uint64_t now_ms)
{
	util_strlcpy(g->reason, reason, sizeof(g->reason));
	if (!g->has_commander) {
		say(g->why, sizeof(g->why), "standalone");
		return close_with(g, RESTART_GO);
	}
	if (!g->asking) {
		g->asking = true;
		g->since_ms = now_ms;
		say(g->why, sizeof(g->why), "asking the commander");
	}
	return RESTART_WAIT;
}

void
restart_gate_cancel(struct restart_gate *g)
{
	g->asking = false;
}

enum restart_verdict
restart_gate_unreachable(struct restart_gate *g, const char *detail)
{
	char why[PROTO_TEXT_MAX];

	if (!g->asking)
		return RESTART_NO;
	say(why, sizeof(why), "commander unreachable (%s)", detail);
	return fallback(g, why);
}

enum restart_verdict
restart_gate_reply(struct restart_gate *g, const struct proto_cmd *cmd,
                   uint64_t now_ms)
{
	if (!g->asking)
		return RESTART_NO;
	if (cmd != NULL && cmd->verb == VERB_RESTART_GRANT) {
		say(g->why, sizeof(g->why), "granted by the commander");
		return close_with(g, RESTART_GO);
	}
	if (cmd != NULL && cmd->verb == VERB_RESTART_DENY) {
		say(g->why, sizeof(g->why), "denied by the commander: %s",
		    cmd->reason[0] ? cmd->reason : "no reason given");
		return close_with(g, RESTART_NO);
	}
	return restart_gate_tick(g, now_ms);
}

enum restart_verdict
restart_gate_tick(struct restart_gate *g, uint64_t now_ms)
{
	char why[PROTO_TEXT_MAX], d[24];

	if (!g->asking)
		return RESTART_NO;
	if (now_ms >= g->since_ms && now_ms - g->since_ms < g->wait_ms)
		return RESTART_WAIT;
	say(why, sizeof(why), "no answer to the restart request in %s",
	    util_fmt_duration(g->wait_ms, d, sizeof(d)));
	return fallback(g, why);
}

const char *
restart_verdict_str(enum restart_verdict v)
{
	switch (v) {
	case RESTART_WAIT:
		return "wait";
	case RESTART_GO:
		return "go";
	case RESTART_NO:
		return "no";
	}
	return "?";
}
