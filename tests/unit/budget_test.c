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

/* Ask for node in group/network at now; 1 granted, 0 denied. */
static int
ask(struct budget *b, const char *node, const char *group, const char *net,
    uint32_t restarts, uint64_t now, struct event_list *evs,
    struct proto_cmd *cmd)
{
	struct budget_req req = {.node = node,
	                         .group = group,
	                         .network = net,
	                         .reason = "stalled",
	                         .restarts = restarts};

	return budget_request(b, &req, now, 1700000000000ull + now, cmd, evs);
}

static size_t
held(struct budget *b)
{
	struct budget_grant_view *v = NULL;
	size_t n = 0;

	budget_grants(b, &v, &n);
	free(v);
	return n;
}

/*
 * A commander restart: the grant va1 held is rebuilt from the events the
 * first commander wrote, so va2 of the same group is still refused, and the
 * grant is released as before (healthy with a risen restart counter).
 */
static void
test_restore_survives_restart(void)
{
	struct budget_conf bc;
	struct budget *b1, *b2;
	struct event_list evs = {0}, none = {0};
	struct proto_cmd cmd;
	uint64_t t0 = 5000, wall0 = 1700000000000ull;

	budget_conf_defaults(&bc);
	b1 = budget_new(&bc);
	CHECK_EQ_INT(ask(b1, "va1", "A", "X", 3, t0, &evs, &cmd), 1);
	CHECK_EQ_INT(ask(b1, "vb1", "B", "Y", 0, t0, &evs, &cmd), 1);
	/* vb1 comes back before the restart: its grant is done */
	CHECK_EQ_INT(budget_observe(b1, "vb1", true, 1, false, t0 + 10,
	                            wall0 + t0 + 10, &evs),
	             0);
	CHECK_EQ_INT((int)held(b1), 1);
	budget_free(b1);

	/* the store numbers them; hand them over newest first */
	for (size_t i = 0; i < evs.n; i++)
		evs.v[i].id = i + 1;
	for (size_t i = 0; i < evs.n / 2; i++) {
		struct event tmp = evs.v[i];

		evs.v[i] = evs.v[evs.n - 1 - i];
		evs.v[evs.n - 1 - i] = tmp;
	}
	/* a new process: its monotonic clock starts again near zero */
	b2 = budget_new(&bc);
	CHECK_EQ_INT(budget_restore(b2, evs.v, evs.n, 100, wall0 + t0 + 60000),
	             1);
	CHECK_EQ_INT((int)held(b2), 1);
	CHECK_EQ_INT(ask(b2, "va2", "A", "X", 0, 200, &none, &cmd), 0);
	CHECK(strstr(cmd.reason, "group A: va1 is restarting") != NULL);
	/* va1 asks again: the grant it holds, quietly */
	CHECK_EQ_INT(ask(b2, "va1", "A", "X", 3, 300, &none, &cmd), 1);
	/* healthy, counter still 3: the restart has not happened yet */
	budget_observe(b2, "va1", true, 3, false, 400, wall0, &none);
	CHECK_EQ_INT((int)held(b2), 1);
	/* counter 4: restarted and healthy, released */
	budget_observe(b2, "va1", true, 4, false, 500, wall0, &none);
	CHECK_EQ_INT((int)held(b2), 0);
	CHECK_EQ_INT(ask(b2, "va2", "A", "X", 0, 600, &none, &cmd), 1);
	event_list_free(&evs);
	event_list_free(&none);
	budget_free(b2);
}

/* The restored grant keeps its age: it expires a grant timeout after it
 * was first given, not after the restart; an old one is not restored. */
static void
test_restore_ages(void)
{
	struct budget_conf bc;
	struct budget *b1, *b2;
	struct event_list evs = {0}, out = {0};
	struct proto_cmd cmd;
	uint64_t wall0 = 1700000000000ull;

	budget_conf_defaults(&bc);
	bc.grant_timeout_ms = 60000;
	b1 = budget_new(&bc);
	CHECK_EQ_INT(ask(b1, "s1", "", "X", 0, 0, &evs, &cmd), 1);
	budget_free(b1);

	/* 40 s after the grant; the new clock reads 100 s */
	b2 = budget_new(&bc);
	CHECK_EQ_INT(budget_restore(b2, evs.v, evs.n, 100000, wall0 + 40000),
	             1);
	CHECK_EQ_INT(budget_tick(b2, 119000, wall0, &out), 0);
	CHECK_EQ_INT((int)held(b2), 1);
	CHECK_EQ_INT(budget_tick(b2, 120000, wall0, &out), 0);
	CHECK_EQ_INT((int)held(b2), 0); /* 60 s after the grant */
	CHECK_EQ_INT((int)out.n, 1);
	CHECK_EQ_INT(out.v[0].type, EV_RESTART_DONE);
	budget_free(b2);

	/* past its timeout when the commander comes back: gone */
	b2 = budget_new(&bc);
	CHECK_EQ_INT(budget_restore(b2, evs.v, evs.n, 100, wall0 + 60000), 0);
	CHECK_EQ_INT(ask(b2, "s2", "", "X", 0, 200, &out, &cmd), 1);
	budget_free(b2);

	/* a monotonic clock younger than the grant: held no shorter */
	b2 = budget_new(&bc);
	CHECK_EQ_INT(budget_restore(b2, evs.v, evs.n, 10, wall0 + 30000), 1);
	budget_tick(b2, 30000, wall0, &out);
	CHECK_EQ_INT((int)held(b2), 1);
	budget_free(b2);
	event_list_free(&evs);
	event_list_free(&out);
}

/* Events from disk are input: other types, unknown details, unterminated
 * or empty names, a done with no grant, are skipped or tolerated. */
static void
test_restore_hostile(void)
{
	struct budget_conf bc;
	struct budget *b;
	struct event ev[6];
	struct proto_cmd cmd;
	struct event_list out = {0};
	uint64_t wall = 1700000000000ull;

	memset(ev, 0, sizeof(ev));
	budget_conf_defaults(&bc);
	b = budget_new(&bc);
	ev[0].type = EV_RESTART_DONE; /* no grant to end */
	util_strlcpy(ev[0].node, "x", sizeof(ev[0].node));
	ev[1].type = EV_RESTART_GRANTED; /* no name */
	ev[1].time_ms = wall;
	ev[2].type = EV_RESTART_GRANTED; /* unterminated name */
	memset(ev[2].node, 'n', sizeof(ev[2].node));
	ev[2].time_ms = wall;
	ev[3].type = EV_RESTART_GRANTED; /* details not JSON, no counter */
	util_strlcpy(ev[3].node, "v1", sizeof(ev[3].node));
	util_strlcpy(ev[3].group, "G", sizeof(ev[3].group));
	util_strlcpy(ev[3].details, "{\"restarts\":-5,", sizeof(ev[3].details));
	ev[3].time_ms = wall;
	ev[4].type = EV_RESTART_REQUESTED; /* not a grant */
	util_strlcpy(ev[4].node, "v2", sizeof(ev[4].node));
	ev[4].time_ms = wall;
	memset(ev[5].details, 'z', sizeof(ev[5].details)); /* no NUL */
	ev[5].type = EV_RESTART_GRANTED;
	util_strlcpy(ev[5].node, "v3", sizeof(ev[5].node));
	util_strlcpy(ev[5].group, "H", sizeof(ev[5].group));
	ev[5].time_ms = wall;
	CHECK_EQ_INT(budget_restore(b, ev, 6, 1000, wall + 1000), 2);
	CHECK_EQ_INT(ask(b, "v9", "G", "", 0, 1100, &out, &cmd), 0);
	/* v1's counter is unknown: healthy alone does not release it, seen
	 * down and back does */
	budget_observe(b, "v1", true, 7, false, 1200, wall, &out);
	CHECK_EQ_INT((int)held(b), 2);
	budget_observe(b, "v1", false, 7, false, 1300, wall, &out);
	budget_observe(b, "v1", true, 7, false, 1400, wall, &out);
	CHECK_EQ_INT((int)held(b), 1);
	CHECK_EQ_INT(ask(b, "v9", "G", "", 0, 1500, &out, &cmd), 1);
	event_list_free(&out);
	budget_free(b);
}

/* No event log to read: nothing new is granted for one grant timeout. */
static void
test_holdoff(void)
{
	struct budget_conf bc;
	struct budget *b;
	struct proto_cmd cmd;
	struct event_list out = {0};

	budget_conf_defaults(&bc);
	bc.grant_timeout_ms = 60000;
	b = budget_new(&bc);
	budget_holdoff(b, 1000);
	CHECK_EQ_INT(ask(b, "s1", "", "X", 0, 1000, &out, &cmd), 0);
	CHECK(strstr(cmd.reason, "commander restarted") != NULL);
	CHECK_EQ_INT(ask(b, "s1", "", "X", 0, 60999, &out, &cmd), 0);
	CHECK_EQ_INT(ask(b, "s1", "", "X", 0, 61000, &out, &cmd), 1);
	event_list_free(&out);
	budget_free(b);
}

int
main(void)
{
	RUN(test_table);
	RUN(test_events_and_views);
	RUN(test_heartbeat_glue);
	RUN(test_restore_survives_restart);
	RUN(test_restore_ages);
	RUN(test_restore_hostile);
	RUN(test_holdoff);
	return TEST_END();
}
