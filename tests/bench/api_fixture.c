/*
 * api_fixture: the commander's HTTP API over a fabricated fleet, for the
 * integration tests (promtool, Prometheus, Chromium) and for looking at the
 * dashboard without pilots.  Five nodes on two networks heartbeat once a
 * second through the real fleet model and the real store:
 *   val1   validator, group g1, chain-1: up, signing
 *   val2   validator, group g1, chain-1: up, standby
 *   sentry1 sentry, chain-1: 40 blocks behind (lagging)
 *   rpc1   rpc, chain-1: node process down
 *   eth1   rpc, chain-2: up
 * g1 is a failover group (commander/groups.c) restored holding epoch 7 with
 * val1, renewed by its heartbeats: the lease columns and metrics are the
 * commander's own view.
 *
 * usage: api_fixture [-l URL] [-s STORE] [-t TOKEN] [-r READ_TOKEN]
 *                    [-p PORTFILE] [-R RATE]
 * Prints "listening on http://127.0.0.1:PORT" and runs until SIGTERM.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commander/api.h"
#include "commander/budget.h"
#include "commander/events.h"
#include "commander/fleet.h"
#include "commander/groups.h"
#include "commander/store.h"
#include "common/util.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct fake {
	const char *name, *group, *network;
	enum proto_role role;
	enum proto_chain chain;
	int behind; /* blocks behind the tip; -1: process down */
	bool signing;
};

static const struct fake fakes[] = {
    {"val1", "g1", "chain-1", ROLE_VALIDATOR, CHAIN_COMETBFT, 0, true},
    {"val2", "g1", "chain-1", ROLE_VALIDATOR, CHAIN_COMETBFT, 0, false},
    {"sentry1", "", "chain-1", ROLE_SENTRY, CHAIN_COMETBFT, 40, false},
    {"rpc1", "", "chain-1", ROLE_RPC, CHAIN_COMETBFT, -1, false},
    {"eth1", "", "chain-2", ROLE_RPC, CHAIN_ETHEREUM, 0, false},
};

static void
flush(struct store *st, struct event_list *evs)
{
	if (evs->n > 0 && store_append_many(st, evs->v, evs->n, NULL) != 0)
		fprintf(stderr, "api_fixture: store append failed\n");
	event_list_clear(evs);
}

static struct groups *gs;

static void
beat(struct fleet *fl, struct store *st, uint64_t tick, uint64_t genesis)
{
	struct event_list evs = {0};
	struct groups_persist p[2];
	struct proto_cmd cmd;
	size_t i, np = 0;

	for (i = 0; i < UTIL_NELEM(fakes); i++) {
		const struct fake *f = &fakes[i];
		struct proto_heartbeat hb = {.seq = tick};
		struct fleet_hb_result res;
		uint64_t now = clock_mono_ms(), wall = clock_wall_ms();
		uint64_t tip = genesis + tick;

		hb.st.time_ms = wall;
		hb.st.up = f->behind >= 0;
		hb.st.reachable = f->behind >= 0;
		hb.st.height = f->behind >= 0 ? tip - (uint64_t)f->behind : 0;
		/* nodes see each block a few hundred ms apart */
		hb.st.height_seen_ms = wall - 1000 + 150 * i;
		snprintf(hb.st.tip_hash, sizeof(hb.st.tip_hash), "%016" PRIX64,
		         hb.st.height * 2654435761u);
		hb.st.ref_height = tip;
		hb.st.refs_ok = 2;
		hb.st.peers = 8 + (uint32_t)i;
		hb.st.peers_known = f->behind >= 0;
		hb.st.restarts = f->behind < 0 ? 3 : 0;
		hb.st.signing = f->signing;
		hb.st.lease_epoch = f->signing ? 7 : 0;
		hb.st.sign.height = f->signing ? hb.st.height : 0;
		if (f->behind < 0)
			snprintf(hb.st.error, sizeof(hb.st.error),
			         "connection refused");
		if (fleet_heartbeat(fl, f->name, &hb, now, wall, &res, &evs) ==
		    0)
			groups_heartbeat(gs, f->name, &hb, &res, now, wall,
			                 &cmd, &evs);
	}
	fleet_tick(fl, clock_mono_ms(), clock_wall_ms(), &evs);
	groups_tick(gs, fl, clock_mono_ms(), clock_wall_ms(), &evs, p, 2, &np);
	for (i = 0; i < np; i++) /* nothing durable here: pretend */
		groups_persisted(gs, &p[i], true, clock_wall_ms(), &evs);
	flush(st, &evs);
	event_list_free(&evs);
}

/* -S LEADER: answer as an HA standby would (the dashboard's banner) */
static const char *standby_leader;

static bool
fixture_standby(void *arg, char *leader, size_t size)
{
	util_strlcpy(leader, standby_leader, size);
	return true;
}

int
main(int argc, char **argv)
{
	struct api_conf conf;
	struct api_deps deps = {.version = "fixture"};
	struct fleet_conf fc;
	struct fleet *fl;
	struct store *st;
	struct event_list evs = {0};
	struct api *api;
	char err[512], store_path[512] = "", *portfile = NULL;
	uint64_t tick = 0, genesis = 100000;
	size_t i;
	int c;

	api_conf_defaults(&conf);
	util_strlcpy(conf.listen, "http://127.0.0.1:0", sizeof(conf.listen));
	while ((c = getopt(argc, argv, "l:s:t:r:p:R:S:")) != -1) {
		switch (c) {
		case 'l':
			util_strlcpy(conf.listen, optarg, sizeof(conf.listen));
			break;
		case 's':
			util_strlcpy(store_path, optarg, sizeof(store_path));
			break;
		case 't':
			util_strlcpy(conf.token, optarg, sizeof(conf.token));
			break;
		case 'r':
			util_strlcpy(conf.read_token, optarg,
			             sizeof(conf.read_token));
			break;
		case 'p':
			portfile = optarg;
			break;
		case 'R':
			conf.rate_per_s = (uint32_t)atoi(optarg);
			break;
		case 'S':
			standby_leader = optarg;
			deps.standby = fixture_standby;
			break;
		default:
			fprintf(stderr,
			        "usage: api_fixture [-l URL] [-s STORE] "
			        "[-t TOKEN] [-r READ_TOKEN] [-p PORTFILE] "
			        "[-R RATE] [-S STANDBY_LEADER]\n");
			return 2;
		}
	}
	if (store_path[0] == '\0')
		snprintf(store_path, sizeof(store_path),
		         "/tmp/api_fixture.%d.db", (int)getpid());
	if (api_conf_finish(&conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "api_fixture: %s\n", err);
		return 1;
	}
	fleet_conf_defaults(&fc);
	fc.interval_ms = 1000;
	fc.spread_settle_ms = 2000;
	if ((fl = fleet_new(&fc, err, sizeof(err))) == NULL ||
	    store_open(store_path, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "api_fixture: %s\n", err);
		return 1;
	}
	for (i = 0; i < UTIL_NELEM(fakes); i++) {
		struct fleet_node_conf nc = {.priority = (uint32_t)(10 - i)};
		struct proto_hello h = {.chain = fakes[i].chain,
		                        .role = fakes[i].role};

		util_strlcpy(nc.name, fakes[i].name, sizeof(nc.name));
		util_strlcpy(nc.group, fakes[i].group, sizeof(nc.group));
		util_strlcpy(nc.network, fakes[i].network, sizeof(nc.network));
		util_strlcpy(nc.role, proto_role_str(fakes[i].role),
		             sizeof(nc.role));
		if (fleet_add_node(fl, &nc, err, sizeof(err)) != 0) {
			fprintf(stderr, "api_fixture: %s\n", err);
			return 1;
		}
		util_strlcpy(h.node, fakes[i].name, sizeof(h.node));
		util_strlcpy(h.version, "0.1-fixture", sizeof(h.version));
		util_strlcpy(h.network, fakes[i].network, sizeof(h.network));
		util_strlcpy(h.group, fakes[i].group, sizeof(h.group));
		fleet_hello(fl, &h, clock_mono_ms(), clock_wall_ms(), &evs, err,
		            sizeof(err));
	}
	{
		/* rpc1 is down and holds the chain's restart grant */
		struct budget_conf bc;
		struct budget_req br = {.node = "rpc1",
		                        .group = "",
		                        .network = "chain-1",
		                        .reason = "process exited"};
		struct proto_cmd cmd;

		budget_conf_defaults(&bc);
		bc.grant_timeout_ms = 24ull * 3600 * 1000;
		deps.budget = budget_new(&bc);
		budget_request(deps.budget, &br, clock_mono_ms(),
		               clock_wall_ms(), &cmd, &evs);
	}
	{
		struct failover_params fp = FAILOVER_DEFAULT_PARAMS;
		struct groups_record rec = {.epoch = 7, .holder = "val1"};

		gs = groups_new();
		groups_add(gs, "g1", FO_MODE_LEASE, true, &fp);
		groups_add_member(gs, "g1", "val1", 10);
		groups_add_member(gs, "g1", "val2", 9);
		groups_start(gs, "g1", &rec, clock_mono_ms());
		deps.groups = gs;
	}
	flush(st, &evs);
	for (tick = 0; tick < 3; tick++)
		beat(fl, st, tick, genesis);

	deps.fleet = fl;
	deps.store = st;
	if ((api = api_start(&conf, &deps, err, sizeof(err))) == NULL) {
		fprintf(stderr, "api_fixture: %s\n", err);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (portfile != NULL) {
		FILE *f = fopen(portfile, "w");

		if (f != NULL) {
			fprintf(f, "%d\n", api_port(api));
			fclose(f);
		}
	}
	printf("listening on http://127.0.0.1:%d\n", api_port(api));
	fflush(stdout);
	while (!stop) {
		struct timespec ts = {1, 0};

		nanosleep(&ts, NULL);
		beat(fl, st, tick++, genesis);
	}
	api_stop(api);
	store_close(st);
	groups_free(gs);
	fleet_free(fl);
	budget_free(deps.budget);
	event_list_free(&evs);
	return 0;
}
