/*
 * budget_test.c: the restart budget, one table row per step of a story.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commander/budget.h"
#include "commander/fleet.h"
#include "common/util.h"
#include "tests/test.h"

enum op { END = 0, REQ, OBS, TICK };

struct step {
	enum op op;
	uint64_t t;
	const char *node, *group, *net;
	bool healthy; /* OBS */
	uint32_t restarts;
	bool wanted;     /* OBS */
	int want;        /* REQ: 1 grant, 0 deny */
	const char *why; /* REQ deny: substring of the reason */
	size_t held;     /* grants held after the step */
};

struct bcase {
	const char *name;
	struct {
		uint32_t group, network;
	} limit;
	/* events of each kind over the whole story */
	struct {
		size_t requested, granted, denied, done;
	} events;
	struct step steps[12]; /* until END */
};

/* validators va*, vb* of groups A and B; sentries s*, rpc r*; networks X..Z
 * R: request (want 1 grant / 0 deny, reason substring, grants held after)
 * O: observe a heartbeat (healthy, restart counter); QUIT: stop asking
 * TK: tick the clock */
#define R(t, n, g, net, want, why, held)                                       \
	{                                                                      \
		REQ, t, n, g, net, false, 0, true, want, why, held             \
	}
#define RR(t, n, g, net, restarts, want, held)                                 \
	{                                                                      \
		REQ, t, n, g, net, false, restarts, true, want, NULL, held     \
	}
#define O(t, n, healthy, restarts, held)                                       \
	{                                                                      \
		OBS, t, n, NULL, NULL, healthy, restarts, true, 0, NULL, held  \
	}
#define QUIT(t, n, held)                                                       \
	{                                                                      \
		OBS, t, n, NULL, NULL, false, 0, false, 0, NULL, held          \
	}
#define TK(t, held)                                                            \
	{                                                                      \
		TICK, t, NULL, NULL, NULL, false, 0, false, 0, NULL, held      \
	}

/* clang-format off */
static const struct bcase cases[] = {
{"one per group: the second validator of a group waits", {1, 1}, {3, 2, 1, 0}, {
	R(0, "va1", "A", "X", 1, NULL, 1),
	R(0, "va2", "A", "Y", 0, "group A: va1 is restarting", 1),
	R(0, "vb1", "B", "Z", 1, NULL, 2)}},
{"one per network: two sentries of a chain never together", {1, 1}, {3, 2, 1, 0}, {
	R(0, "s1", "", "X", 1, NULL, 1),
	R(0, "s2", "", "X", 0, "network X: s1 is restarting", 1),
	R(0, "r1", "", "Y", 1, NULL, 2)}},
{"the group limit is checked before the network limit", {1, 1}, {2, 1, 1, 0}, {
	R(0, "va1", "A", "X", 1, NULL, 1),
	R(0, "va2", "A", "X", 0, "group A", 1)}},
{"asking again while holding re-grants, quietly", {1, 1}, {1, 1, 0, 0}, {
	R(0, "s1", "", "X", 1, NULL, 1),
	R(1000, "s1", "", "X", 1, NULL, 1),
	R(2000, "s1", "", "X", 1, NULL, 1)}},
{"healthy right after the grant does not release it", {1, 1}, {2, 1, 1, 0}, {
	R(0, "s1", "", "X", 1, NULL, 1),
	O(1000, "s1", true, 0, 1),
	R(1000, "s2", "", "X", 0, "s1", 1)}},
{"down then healthy releases; the waiting node gets its turn", {1, 1}, {2, 2, 1, 1}, {
	R(0, "s1", "", "X", 1, NULL, 1),
	R(0, "s2", "", "X", 0, "s1 is restarting", 1),
	O(1000, "s1", false, 0, 1),
	O(2000, "s1", true, 0, 0),
	R(2000, "s2", "", "X", 1, NULL, 1)}},
{"a risen restart counter and healthy releases", {1, 1}, {1, 1, 0, 1}, {
	RR(0, "s1", "", "X", 4, 1, 1),
	O(1000, "s1", true, 5, 0)}},
{"a restarted pilot (counter back to 0) releases", {1, 1}, {1, 1, 0, 1}, {
	RR(0, "s1", "", "X", 4, 1, 1),
	O(1000, "s1", true, 0, 0)}},
{"unhealthy keeps it held", {1, 1}, {1, 1, 0, 0}, {
	RR(0, "s1", "", "X", 4, 1, 1),
	O(1000, "s1", false, 5, 1),
	O(2000, "s1", false, 5, 1)}},
{"the grant times out", {1, 1}, {2, 2, 0, 1}, {
	R(0, "s1", "", "X", 1, NULL, 1),
	TK(599999, 1),
	TK(600000, 0),
	R(600000, "s2", "", "X", 1, NULL, 1)}},
{"a tick with an older clock reading does not expire it", {1, 1}, {1, 1, 0, 0}, {
	R(1000, "s1", "", "X", 1, NULL, 1),
	TK(500, 1)}},
{"limit 2 per network", {1, 2}, {3, 2, 1, 0}, {
	R(0, "s1", "", "X", 1, NULL, 1),
	R(0, "s2", "", "X", 1, NULL, 2),
	R(0, "s3", "", "X", 0, "limit 2", 2)}},
{"0 means unlimited", {0, 0}, {3, 3, 0, 0}, {
	R(0, "va1", "A", "X", 1, NULL, 1),
	R(0, "va2", "A", "X", 1, NULL, 2),
	R(0, "va3", "A", "X", 1, NULL, 3)}},
{"no group and no network: never limited", {1, 1}, {2, 2, 0, 0}, {
	R(0, "a", "", "", 1, NULL, 1),
	R(0, "b", "", "", 1, NULL, 2)}},
{"a repeated denial is one event until its reason changes", {1, 1}, {3, 1, 2, 0}, {
	R(0, "va1", "A", "X", 1, NULL, 1),
	R(0, "vb1", "B", "X", 0, "network X", 1),
	R(1000, "vb1", "B", "X", 0, "network X", 1),
	R(2000, "vb1", "B", "X", 0, "network X", 1),
	R(3000, "va2", "A", "Y", 0, "group A", 1),
	R(4000, "va2", "A", "Y", 0, "group A", 1)}},
{"a request given up and made again is a new request", {1, 1}, {3, 1, 2, 0}, {
	R(0, "s1", "", "X", 1, NULL, 1),
	R(0, "s2", "", "X", 0, "s1", 1),
	QUIT(1000, "s2", 1),
	R(2000, "s2", "", "X", 0, "s1", 1)}},
};
/* clang-format on */

static size_t
count(const struct event_list *evs, enum event_type t)
{
	size_t n = 0;

	for (size_t i = 0; i < evs->n; i++)
		n += evs->v[i].type == t;
	return n;
}

static void
test_table(void)
{
	for (size_t c = 0; c < UTIL_NELEM(cases); c++) {
		const struct bcase *k = &cases[c];
		struct budget_conf conf;
		struct budget *b;
		struct event_list evs = {0};

		budget_conf_defaults(&conf);
		conf.per_group = k->limit.group;
		conf.per_network = k->limit.network;
		b = budget_new(&conf);
		for (size_t i = 0;
		     i < UTIL_NELEM(k->steps) && k->steps[i].op != END; i++) {
			const struct step *s = &k->steps[i];
			struct proto_cmd cmd;
			struct budget_grant_view *gv;
			size_t ng;
			int r;

			if (s->op == REQ) {
				struct budget_req req = {.node = s->node,
				                         .group = s->group,
				                         .network = s->net,
				                         .reason = "severe lag",
				                         .restarts =
				                             s->restarts};

				/* the commander observes every beat first */
				budget_observe(b, s->node, false, s->restarts,
				               true, s->t, s->t, &evs);
				r = budget_request(b, &req, s->t, s->t, &cmd,
				                   &evs);
				CHECKF(r == s->want, "%s: step %zu: got %d",
				       k->name, i, r);
				CHECKF(cmd.verb == (s->want
				                        ? VERB_RESTART_GRANT
				                        : VERB_RESTART_DENY),
				       "%s: step %zu: verb %d", k->name, i,
				       cmd.verb);
				CHECK_EQ_STR(cmd.group, s->group);
				if (s->why != NULL)
					CHECKF(strstr(cmd.reason, s->why) !=
					           NULL,
					       "%s: step %zu: reason '%s'",
					       k->name, i, cmd.reason);
			} else if (s->op == OBS)
				budget_observe(b, s->node, s->healthy,
				               s->restarts, s->wanted, s->t,
				               s->t, &evs);
			else
				budget_tick(b, s->t, s->t, &evs);
			CHECK_EQ_INT(budget_grants(b, &gv, &ng), 0);
			CHECKF(ng == s->held,
			       "%s: step %zu: %zu held, want %zu", k->name, i,
			       ng, s->held);
			free(gv);
		}
		CHECKF(count(&evs, EV_RESTART_REQUESTED) == k->events.requested,
		       "%s: %zu requested", k->name,
		       count(&evs, EV_RESTART_REQUESTED));
		CHECKF(count(&evs, EV_RESTART_GRANTED) == k->events.granted,
		       "%s: %zu granted", k->name,
		       count(&evs, EV_RESTART_GRANTED));
		CHECKF(count(&evs, EV_RESTART_DENIED) == k->events.denied,
		       "%s: %zu denied", k->name,
		       count(&evs, EV_RESTART_DENIED));
		CHECKF(count(&evs, EV_RESTART_DONE) == k->events.done,
		       "%s: %zu done", k->name, count(&evs, EV_RESTART_DONE));
		event_list_free(&evs);
		budget_free(b);
	}
}

static void
test_events_and_views(void)
{
	struct budget_conf conf;
	struct budget *b;
	struct event_list evs = {0};
	struct proto_cmd cmd;
	struct budget_grant_view *gv;
	size_t ng;
	struct budget_req req = {.node = "val1",
	                         .group = "g1",
	                         .network = "cosmoshub-4",
	                         .reason = "severe lag: 150 blocks"};

	budget_conf_defaults(&conf);
	CHECK_EQ_INT(conf.per_group, 1);
	CHECK_EQ_INT(conf.per_network, 1);
	b = budget_new(&conf);
	CHECK_EQ_INT(budget_request(b, &req, 5, 1000, &cmd, &evs), 1);
	CHECK_EQ_INT(evs.n, 2);
	CHECK_EQ_INT(evs.v[0].type, EV_RESTART_REQUESTED);
	CHECK_EQ_INT(evs.v[1].type, EV_RESTART_GRANTED);
	CHECK_EQ_STR(evs.v[1].node, "val1");
	CHECK_EQ_STR(evs.v[1].group, "g1");
	CHECK_EQ_STR(evs.v[1].network, "cosmoshub-4");
	CHECK_EQ_INT(evs.v[1].time_ms, 1000);
	CHECK(strstr(evs.v[1].message, "severe lag: 150 blocks") != NULL);
	CHECK_EQ_INT(budget_grants(b, &gv, &ng), 0);
	CHECK_EQ_INT(ng, 1);
	if (ng == 1) {
		CHECK_EQ_STR(gv[0].node, "val1");
		CHECK_EQ_STR(gv[0].reason, "severe lag: 150 blocks");
		CHECK_EQ_INT(gv[0].granted_wall_ms, 1000);
	}
	free(gv);
	event_list_clear(&evs);
	budget_tick(b, 5 + conf.grant_timeout_ms, 9999, &evs);
	CHECK_EQ_INT(evs.n, 1);
	CHECK_EQ_INT(evs.v[0].type, EV_RESTART_DONE);
	CHECK_EQ_INT(evs.v[0].severity, SEV_WARNING);
	CHECK(strstr(evs.v[0].details, "\"outcome\":\"timeout\"") != NULL);

	/* malformed requests */
	char long_name[PROTO_NAME_MAX + 4];
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	struct budget_req bad = {.node = ""};
	CHECK_EQ_INT(budget_request(b, &bad, 0, 0, &cmd, &evs), -EINVAL);
	bad.node = NULL;
	CHECK_EQ_INT(budget_request(b, &bad, 0, 0, &cmd, &evs), -EINVAL);
	bad.node = long_name;
	CHECK_EQ_INT(budget_request(b, &bad, 0, 0, &cmd, &evs), -EINVAL);
	bad.node = "ok";
	bad.group = long_name;
	CHECK_EQ_INT(budget_request(b, &bad, 0, 0, &cmd, &evs), -EINVAL);
	event_list_free(&evs);
	budget_free(b);
	budget_free(NULL);
}

/* The glue the commander runs per heartbeat, driven by a real fleet. */
static void
test_heartbeat_glue(void)
{
	struct fleet_conf fc;
	struct budget_conf bc;
	struct fleet *f;
	struct budget *b;
	struct event_list evs = {0};
	struct fleet_hb_result fr;
	struct proto_reply rep;
	struct proto_heartbeat hb = {0};
	char err[128];
	const char *nodes[] = {"val1", "val2"};

	fleet_conf_defaults(&fc);
	fc.up_after = fc.down_after = 1;
	budget_conf_defaults(&bc);
	f = fleet_new(&fc, err, sizeof(err));
	b = budget_new(&bc);
	for (int i = 0; i < 2; i++) {
		struct proto_hello h = {.role = ROLE_VALIDATOR};

		util_strlcpy(h.node, nodes[i], sizeof(h.node));
		util_strlcpy(h.group, "g1", sizeof(h.group));
		util_strlcpy(h.network, "net", sizeof(h.network));
		CHECK_EQ_INT(fleet_hello(f, &h, 0, 0, &evs, err, sizeof(err)),
		             0);
	}
	/* both validators of g1 want a restart: only one may */
	hb.st.up = hb.st.reachable = true;
	hb.st.height = 100;
	hb.restart_wanted = true;
	memset(hb.restart_reason, 'r', sizeof(hb.restart_reason)); /* no NUL */
	for (int i = 0; i < 2; i++) {
		memset(&rep, 0, sizeof(rep));
		CHECK_EQ_INT(
		    fleet_heartbeat(f, nodes[i], &hb, 10, 10, &fr, &evs), 0);
		CHECK_EQ_INT(
		    budget_heartbeat(b, nodes[i], &hb, &fr, 10, 10, &rep, &evs),
		    0);
		CHECK_EQ_INT(rep.ncmds, 1);
		CHECK_EQ_INT(rep.cmds[0].verb,
		             i == 0 ? VERB_RESTART_GRANT : VERB_RESTART_DENY);
		CHECK_EQ_STR(rep.cmds[0].group, "g1");
	}
	/* val1 goes down and comes back: its grant is released, val2's
	 * next ask is granted */
	hb.restart_wanted = false;
	hb.st.up = false;
	memset(&rep, 0, sizeof(rep));
	fleet_heartbeat(f, "val1", &hb, 20, 20, &fr, &evs);
	CHECK_EQ_INT(budget_heartbeat(b, "val1", &hb, &fr, 20, 20, &rep, &evs),
	             0);
	CHECK_EQ_INT(rep.ncmds, 0);
	hb.st.up = true;
	fleet_heartbeat(f, "val1", &hb, 30, 30, &fr, &evs);
	CHECK(fr.healthy);
	budget_heartbeat(b, "val1", &hb, &fr, 30, 30, &rep, &evs);
	hb.restart_wanted = true;
	fleet_heartbeat(f, "val2", &hb, 40, 40, &fr, &evs);
	budget_heartbeat(b, "val2", &hb, &fr, 40, 40, &rep, &evs);
	CHECK_EQ_INT(rep.ncmds, 1);
	CHECK_EQ_INT(rep.cmds[0].verb, VERB_RESTART_GRANT);
	/* a full reply is refused, not overrun */
	rep.ncmds = PROTO_MAX_CMDS;
	CHECK_EQ_INT(budget_heartbeat(b, "val2", &hb, &fr, 50, 50, &rep, &evs),
	             -ENOSPC);
	event_list_free(&evs);
	budget_free(b);
	fleet_free(f);
}

int
main(void)
{
	RUN(test_table);
	RUN(test_events_and_views);
	RUN(test_heartbeat_glue);
	return TEST_END();
}
