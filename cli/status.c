/*
 * sextant status: the fleet as a terminal table, from GET /api/v1/fleet.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/api_client.h"
#include "cli/cli.h"
#include "cli/opts.h"
#include "common/util.h"

#define NCOLS 12

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: sextant status [--json] [--api URL] "
	        "[--token-file FILE]\n"
	        "\n"
	        "Show every node of the fleet: role, group, network, state,\n"
	        "height, lag behind the network's reference, peers, "
	        "restarts,\n"
	        "last heartbeat and signing lease; then each network.\n"
	        "\n"
	        "options:\n"
	        "      --json            print the API's JSON "
	        "instead\n" CLI_OPTS_USAGE);
}

struct table {
	char *cell[256][NCOLS];
	size_t nrows;
	int width[NCOLS];
};

static void put(struct table *t, size_t row, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
put(struct table *t, size_t row, int col, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		s = NULL;
	t->cell[row][col] = s;
	if (s != NULL && n > t->width[col])
		t->width[col] = n;
}

static void
print_table(struct table *t, int ncols, const bool *right)
{
	size_t r;
	int c;

	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < ncols; c++) {
			const char *s = t->cell[r][c] ? t->cell[r][c] : "";

			if (right[c])
				printf("%*s", t->width[c], s);
			else if (c == ncols - 1)
				printf("%s", s);
			else
				printf("%-*s", t->width[c], s);
			if (c < ncols - 1)
				printf("  ");
			free(t->cell[r][c]);
			t->cell[r][c] = NULL;
		}
		printf("\n");
	}
	t->nrows = 0;
	memset(t->width, 0, sizeof(t->width));
}

static void
nodes_table(const cJSON *nodes, uint64_t now)
{
	static const char *const head[NCOLS] = {
	    "NODE", "ROLE",  "GROUP",    "NETWORK",      "STATE", "HEIGHT",
	    "LAG",  "PEERS", "RESTARTS", "LAST RESTART", "SEEN",  "LEASE"};
	static const bool right[NCOLS] = {
	    [5] = true, [6] = true, [7] = true, [8] = true};
	struct table *t = calloc(1, sizeof(*t));
	const cJSON *n;
	char a[64], b[64];
	int c;

	if (t == NULL)
		return;
	for (c = 0; c < NCOLS; c++)
		put(t, 0, c, "%s", head[c]);
	t->nrows = 1;
	cJSON_ArrayForEach(n, nodes)
	{
		size_t r = t->nrows;
		const cJSON *lag = cJSON_GetObjectItemCaseSensitive(n, "lag");
		const cJSON *peers =
		    cJSON_GetObjectItemCaseSensitive(n, "peers");
		double h = cli_json_num(n, "height", 0);
		double epoch = cli_json_num(n, "lease_epoch", 0);

		if (r >= UTIL_NELEM(t->cell))
			break;
		put(t, r, 0, "%s", cli_json_str(n, "name"));
		put(t, r, 1, "%s",
		    *cli_json_str(n, "role") ? cli_json_str(n, "role") : "-");
		put(t, r, 2, "%s",
		    *cli_json_str(n, "group") ? cli_json_str(n, "group") : "-");
		put(t, r, 3, "%s",
		    *cli_json_str(n, "network") ? cli_json_str(n, "network")
		                                : "-");
		put(t, r, 4, "%s", cli_json_str(n, "state"));
		if (h > 0)
			put(t, r, 5, "%.0f", h);
		else
			put(t, r, 5, "-");
		if (cJSON_IsNumber(lag))
			put(t, r, 6, "%.0f", lag->valuedouble);
		else
			put(t, r, 6, "-");
		if (cJSON_IsNumber(peers))
			put(t, r, 7, "%.0f", peers->valuedouble);
		else
			put(t, r, 7, "-");
		put(t, r, 8, "%.0f", cli_json_num(n, "restarts", 0));
		put(t, r, 9, "%s",
		    cli_fmt_ago((uint64_t)cli_json_num(n, "last_restart_ms", 0),
		                now, a, sizeof(a)));
		put(t, r, 10, "%s",
		    cli_fmt_ago((uint64_t)cli_json_num(n, "last_seen_ms", 0),
		                now, b, sizeof(b)));
		if (cJSON_IsTrue(
		        cJSON_GetObjectItemCaseSensitive(n, "signing")))
			put(t, r, 11, "signing (epoch %.0f)", epoch);
		else if (epoch > 0)
			put(t, r, 11, "epoch %.0f", epoch);
		else
			put(t, r, 11, "-");
		t->nrows++;
	}
	print_table(t, NCOLS, right);
	free(t);
}

static void
networks_table(const cJSON *nets)
{
	static const char *const head[] = {"NETWORK", "REFERENCE", "TIP",
	                                   "HEALTHY", "REORGS",    "TIP STALE"};
	static const bool right[NCOLS] = {
	    [1] = true, [2] = true, [3] = true, [4] = true};
	struct table *t = calloc(1, sizeof(*t));
	const cJSON *n;
	int c;

	if (t == NULL)
		return;
	for (c = 0; c < 6; c++)
		put(t, 0, c, "%s", head[c]);
	t->nrows = 1;
	cJSON_ArrayForEach(n, nets)
	{
		size_t r = t->nrows;

		if (r >= UTIL_NELEM(t->cell))
			break;
		put(t, r, 0, "%s", cli_json_str(n, "name"));
		put(t, r, 1, "%.0f", cli_json_num(n, "ref_height", 0));
		put(t, r, 2, "%.0f", cli_json_num(n, "tip_height", 0));
		put(t, r, 3, "%.0f/%.0f", cli_json_num(n, "nodes_healthy", 0),
		    cli_json_num(n, "nodes", 0));
		put(t, r, 4, "%.0f", cli_json_num(n, "reorgs", 0));
		put(t, r, 5, "%s",
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(n, "stale"))
		        ? "yes"
		        : "no");
		t->nrows++;
	}
	print_table(t, 6, right);
	free(t);
}

/* A standby commander (HA) hears no pilot: its empty fleet is not news
 * about the fleet, and the user must hear why. */
static void
standby_warning(const cJSON *o)
{
	const cJSON *sb = cJSON_GetObjectItemCaseSensitive(o, "standby");
	const char *leader;

	if (!cJSON_IsObject(sb))
		return;
	leader = cli_json_str(sb, "leader");
	fprintf(stderr,
	        "sextant status: this commander is a standby and shows no "
	        "fleet; the leader is %s (list every commander in --api or "
	        "SEXTANT_API to ask the leader)\n",
	        leader[0] ? leader : "not known yet");
}

int
cli_status(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, CLI_OPT_JSON},
	    CLI_OPTS_LONGOPTS,
	};
	struct cli_opts opts = {0};
	struct cli_api api;
	cJSON *o = NULL;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		rc = cli_opts_take(&opts, c, optarg, usage);
		if (rc != CLI_OPTS_TAKEN)
			return rc;
	}
	if (optind != argc) {
		fprintf(stderr, "sextant status: unexpected '%s'\n",
		        argv[optind]);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli_api_setup(&api, "sextant status", opts.api_url,
	                  opts.token_file) != 0)
		return CLI_EXIT_FAIL;
	rc = cli_api_get(&api, "sextant status", "/api/v1/fleet", &o);
	cli_api_clear(&api);
	if (rc != CLI_EXIT_OK)
		return rc;
	standby_warning(o);
	if (opts.json)
		cli_json_print(o);
	else {
		nodes_table(cJSON_GetObjectItemCaseSensitive(o, "nodes"),
		            (uint64_t)cli_json_num(o, "time_ms", 0));
		printf("\n");
		networks_table(cJSON_GetObjectItemCaseSensitive(o, "networks"));
	}
	cJSON_Delete(o);
	return CLI_EXIT_OK;
}
