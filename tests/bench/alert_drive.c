/*
 * alert_drive: drive alerts through the commander's alerting (rules,
 * routing, SQLite queue, delivery threads) into a real Alertmanager and,
 * directly, into a webhook; measure detection-to-delivery latency from the
 * receiver's records (tests/bench/webhook_sink).
 *
 *   alert_drive -a AM_URL -w HOOK_URL -r RECORDS -d DB [-n N] [-t TICK_MS]
 *
 * N nodes go down one after another at random moments (node_down, `for`
 * 0, critical); the evaluation runs every TICK_MS (the commander's main
 * loop period, 1 s).  "Condition true" is the moment a node's snapshot
 * shows it down; "delivered" is when the receiver got the request: the
 * webhook channel directly (our own latency), and through Alertmanager
 * (ours plus Alertmanager's grouping).  Then every node recovers and the
 * resolves must arrive through Alertmanager too.  Prints p50/p99/max and
 * exits 1 if an alert is missing or the direct p99 exceeds 5 s.
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commander/alerts.h"
#include "common/http.h"
#include "common/util.h"

#define MAX_NODES 500
#define GOAL_MS   5000

struct node {
	struct fleet_node_view v;
	uint64_t flip_mono; /* when it goes down (or up) */
	uint64_t true_wall; /* when the snapshot first showed it */
	uint64_t direct_ms, am_ms, am_resolved_ms;
};

static struct node nodes[MAX_NODES];
static int nn = 30;

static void
logcb(void *arg, enum log_level lvl, const char *line)
{
	if (lvl == LOG_LVL_WARN || getenv("ALERT_DRIVE_VERBOSE"))
		fprintf(stderr, "alert_drive: %s\n", line);
}

static struct node *
find(const char *name)
{
	for (int i = 0; i < nn; i++)
		if (strcmp(nodes[i].v.name, name) == 0)
			return &nodes[i];
	return NULL;
}

static const char *
str(const cJSON *o, const char *k)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(it) ? it->valuestring : "";
}

/* Read the receiver's records and note first arrivals. */
static void
scan(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;

	if (f == NULL)
		return;
	while (getline(&line, &cap, f) > 0) {
		cJSON *rec = cJSON_Parse(line), *body, *al, *a;
		uint64_t ms;
		bool am;

		if (rec == NULL)
			continue;
		ms = (uint64_t)cJSON_GetObjectItemCaseSensitive(rec, "ms")
		         ->valuedouble;
		am = strncmp(str(rec, "path"), "/am", 3) == 0;
		body = cJSON_Parse(str(rec, "body"));
		al = cJSON_GetObjectItemCaseSensitive(body, "alerts");
		cJSON_ArrayForEach(a, al)
		{
			const cJSON *labels =
			    cJSON_GetObjectItemCaseSensitive(a, "labels");
			const char *name =
			    am ? str(labels, "instance") : str(a, "node");
			const char *status = str(a, "status");
			struct node *n = find(name);

			if (n == NULL)
				continue;
			if (am && strcmp(status, "firing") == 0 && !n->am_ms)
				n->am_ms = ms;
			if (am && strcmp(status, "resolved") == 0 &&
			    !n->am_resolved_ms)
				n->am_resolved_ms = ms;
			if (!am && strcmp(status, "firing") == 0 &&
			    !n->direct_ms)
				n->direct_ms = ms;
		}
		cJSON_Delete(body);
		cJSON_Delete(rec);
	}
	free(line);
	fclose(f);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Print p50/p99/max of the latencies; returns p99 (UINT64_MAX if any is
 * missing). */
static uint64_t
report(const char *what, size_t off_at, size_t off_from)
{
	uint64_t v[MAX_NODES], p50, p99;
	int k = 0, missing = 0;

	for (int i = 0; i < nn; i++) {
		uint64_t at = *(uint64_t *)((char *)&nodes[i] + off_at);
		uint64_t from = *(uint64_t *)((char *)&nodes[i] + off_from);

		if (!at || !from) {
			missing++;
			continue;
		}
		v[k++] = at > from ? at - from : 0;
	}
	qsort(v, (size_t)k, sizeof(v[0]), cmp_u64);
	p50 = k ? v[(k - 1) / 2] : 0;
	/* nearest rank */
	p99 = k ? v[(size_t)((99 * k + 99) / 100) - 1] : 0;
	printf("alert latency %s: n=%d missing=%d p50=%" PRIu64
	       " ms p99=%" PRIu64 " ms max=%" PRIu64 " ms\n",
	       what, k, missing, p50, p99, k ? v[k - 1] : 0);
	return missing ? UINT64_MAX : p99;
}

static void
tick(struct alerts *a)
{
	struct fleet_node_view v[MAX_NODES];

	for (int i = 0; i < nn; i++)
		v[i] = nodes[i].v;
	if (alerts_tick_snapshot(a, v, (size_t)nn, NULL, 0, clock_wall_ms()) !=
	    0)
		fprintf(stderr, "alert_drive: tick failed\n");
}

/* Run ticks every tick_ms and flips until done() or the deadline. */
static bool
run(struct alerts *a, uint64_t tick_ms, uint64_t deadline_ms,
    enum fleet_state to, const char *records, bool (*done)(void))
{
	uint64_t start = clock_mono_ms(), next_tick = start, next_scan = start;

	for (;;) {
		uint64_t now = clock_mono_ms(), wake;

		for (int i = 0; i < nn; i++)
			if (nodes[i].v.state != to &&
			    nodes[i].flip_mono <= now) {
				nodes[i].v.state = to;
				nodes[i].true_wall = clock_wall_ms();
			}
		if (now >= next_tick) {
			tick(a);
			next_tick += tick_ms;
		}
		if (now >= next_scan) {
			scan(records);
			if (done())
				return true;
			next_scan = now + 100;
		}
		if (now - start > deadline_ms)
			return false;
		wake = next_tick < next_scan ? next_tick : next_scan;
		for (int i = 0; i < nn; i++)
			if (nodes[i].v.state != to && nodes[i].flip_mono < wake)
				wake = nodes[i].flip_mono;
		now = clock_mono_ms();
		if (wake > now)
			usleep((useconds_t)(wake - now) * 1000);
	}
}

static bool
all_fired(void)
{
	for (int i = 0; i < nn; i++)
		if (!nodes[i].direct_ms || !nodes[i].am_ms)
			return false;
	return true;
}

static bool
all_resolved(void)
{
	for (int i = 0; i < nn; i++)
		if (!nodes[i].am_resolved_ms)
			return false;
	return true;
}

int
main(int argc, char **argv)
{
	const char *am = NULL, *hook = NULL, *records = NULL, *db = NULL;
	uint64_t tick_ms = 1000, p99d, p99a, p99r;
	struct alerts_conf c;
	struct alerts_params p;
	struct alerts *a;
	struct store *st;
	struct sink_conf *s;
	char err[512];
	int ch, ok = 1;

	while ((ch = getopt(argc, argv, "a:w:r:d:n:t:")) != -1)
		switch (ch) {
		case 'a':
			am = optarg;
			break;
		case 'w':
			hook = optarg;
			break;
		case 'r':
			records = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'n':
			nn = atoi(optarg);
			break;
		case 't':
			tick_ms = (uint64_t)atoi(optarg);
			break;
		default:
			return 2;
		}
	if (!am || !hook || !records || !db || nn < 1 || nn > MAX_NODES ||
	    tick_ms < 10) {
		fprintf(stderr, "usage: alert_drive -a AM_URL -w HOOK_URL -r "
		                "RECORDS -d DB [-n N] [-t TICK_MS]\n");
		return 2;
	}
	if (http_init() != 0 || store_open(db, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "alert_drive: %s\n", err);
		return 1;
	}
	alert_conf_init(&c);
	c.rules.rule[AR_NODE_DOWN].for_ms = 0;
	c.rules.rule[AR_NODE_DOWN].severity = SEV_CRITICAL;
	s = alert_conf_open(&c, "am", err, sizeof(err));
	s->type = SINK_ALERTMANAGER;
	util_strlcpy(s->url, am, sizeof(s->url));
	s = alert_conf_open(&c, "direct", err, sizeof(err));
	s->type = SINK_WEBHOOK;
	util_strlcpy(s->url, hook, sizeof(s->url));
	if (alert_conf_finish(&c, "alert_drive", err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	memset(&p, 0, sizeof(p));
	p.conf = &c;
	p.store = st;
	p.log = logcb;
	if (alerts_new(&p, &a, err, sizeof(err)) != 0) {
		fprintf(stderr, "alert_drive: %s\n", err);
		return 1;
	}
	srand((unsigned)clock_mono_ms());
	{
		uint64_t t = clock_mono_ms() + 500;

		for (int i = 0; i < nn; i++) {
			struct fleet_node_view *v = &nodes[i].v;

			snprintf(v->name, sizeof(v->name), "val%03d", i);
			snprintf(v->group, sizeof(v->group), "g%03d", i);
			snprintf(v->network, sizeof(v->network), "drive-1");
			v->state = FLEET_UP;
			v->connected = true;
			/* spread over ticks: a random phase each */
			t += 50 + (uint64_t)(rand() % 300);
			nodes[i].flip_mono = t;
		}
	}
	if (!run(a, tick_ms, 60000, FLEET_DOWN, records, all_fired)) {
		fprintf(stderr, "alert_drive: not every alert arrived\n");
		ok = 0;
	}
	p99d = report("direct webhook (condition true -> request received)",
	              offsetof(struct node, direct_ms),
	              offsetof(struct node, true_wall));
	p99a = report("via alertmanager (condition true -> its webhook)",
	              offsetof(struct node, am_ms),
	              offsetof(struct node, true_wall));
	/* everything recovers: resolves through Alertmanager */
	{
		uint64_t t = clock_mono_ms();

		for (int i = 0; i < nn; i++) {
			nodes[i].flip_mono = t;
			nodes[i].true_wall = 0;
		}
	}
	if (!run(a, tick_ms, 60000, FLEET_UP, records, all_resolved)) {
		fprintf(stderr, "alert_drive: not every resolve arrived\n");
		ok = 0;
	}
	p99r = report("resolve via alertmanager (recovery -> its webhook)",
	              offsetof(struct node, am_resolved_ms),
	              offsetof(struct node, true_wall));
	printf("goal: critical alert p99 <= %d ms: direct %s, via "
	       "alertmanager %s\n",
	       GOAL_MS, p99d <= GOAL_MS ? "met" : "MISSED",
	       p99a <= GOAL_MS ? "met" : "missed");
	alerts_free(a);
	store_close(st);
	(void)p99r;
	return ok && p99d <= GOAL_MS ? 0 : 1;
}
