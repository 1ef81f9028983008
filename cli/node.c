/*
 * sextant node NAME: one node in detail, from GET /api/v1/nodes/NAME.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/api_client.h"
#include "cli/cli.h"
#include "cli/opts.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: sextant node NAME [--json] [--api URL] "
	           "[--token-file FILE]\n"
	           "\n"
	           "Show one node: identity, state, heights, lag, peers, "
	           "restarts,\n"
	           "the last restart decision and probe error, host health "
	           "and\n"
	           "signing state, as its pilot last reported them.\n"
	           "\n"
	           "options:\n"
	           "      --json            print the API's JSON "
	           "instead\n" CLI_OPTS_USAGE);
}

static void
row(const char *k, const char *v)
{
	printf("%-16s %s\n", k, v[0] ? v : "-");
}

static void
rowf(const char *k, double v)
{
	printf("%-16s %.0f\n", k, v);
}

static void
show(const cJSON *n)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(n, "status");
	const cJSON *lag = cJSON_GetObjectItemCaseSensitive(n, "lag");
	const cJSON *peers = cJSON_GetObjectItemCaseSensitive(n, "peers");
	const cJSON *sign = cJSON_GetObjectItemCaseSensitive(st, "sign");
	char a[64], b[64], buf[128];

	row("node", cli_json_str(n, "name"));
	row("role", cli_json_str(n, "role"));
	row("group", cli_json_str(n, "group"));
	row("network", cli_json_str(n, "network"));
	row("chain", cli_json_str(n, "chain"));
	row("pilot version", cli_json_str(n, "version"));
	rowf("priority", cli_json_num(n, "priority", 0));
	row("state", cli_json_str(n, "state"));
	row("state since",
	    cli_fmt_time((uint64_t)cli_json_num(n, "state_since_ms", 0), a,
	                 sizeof(a)));
	row("last heartbeat",
	    cli_fmt_time((uint64_t)cli_json_num(n, "last_seen_ms", 0), b,
	                 sizeof(b)));
	rowf("height", cli_json_num(n, "height", 0));
	rowf("reference", cli_json_num(n, "ref_height", 0));
	if (cJSON_IsNumber(lag))
		rowf("lag", lag->valuedouble);
	else
		row("lag", "unknown");
	if (cJSON_IsNumber(peers))
		rowf("peers", peers->valuedouble);
	else
		row("peers", "unknown");
	rowf("restarts", cli_json_num(n, "restarts", 0));
	row("last restart",
	    cli_fmt_time((uint64_t)cli_json_num(n, "last_restart_ms", 0), a,
	                 sizeof(a)));
	if (st == NULL)
		return;
	row("process up",
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "up")) ? "yes"
	                                                             : "no");
	row("rpc answers",
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "reachable"))
	        ? "yes"
	        : "no");
	row("syncing",
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "syncing"))
	        ? "yes"
	        : "no");
	row("tip hash", cli_json_str(st, "tip_hash"));
	row("decision", cli_json_str(st, "decision"));
	row("error", cli_json_str(st, "error"));
	snprintf(buf, sizeof(buf), "disk %.0f%%, memory %.0f%%, load %.2f",
	         cli_json_num(st, "disk_used_pct", 0),
	         cli_json_num(st, "mem_used_pct", 0),
	         cli_json_num(st, "load1", 0));
	row("host", buf);
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "signing")))
		snprintf(buf, sizeof(buf), "yes, lease epoch %.0f",
		         cli_json_num(st, "lease_epoch", 0));
	else
		snprintf(buf, sizeof(buf), "no");
	row("signing", buf);
	if (sign != NULL && cli_json_num(sign, "height", 0) > 0) {
		snprintf(buf, sizeof(buf), "height %.0f round %.0f step %.0f",
		         cli_json_num(sign, "height", 0),
		         cli_json_num(sign, "round", 0),
		         cli_json_num(sign, "step", 0));
		row("last signed", buf);
	}
}

int
cli_node(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, CLI_OPT_JSON},
	    CLI_OPTS_LONGOPTS,
	};
	struct cli_opts opts = {0};
	char path[512] = "";
	struct cli_api api;
	cJSON *o = NULL;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		rc = cli_opts_take(&opts, c, optarg, usage);
		if (rc != CLI_OPTS_TAKEN)
			return rc;
	}
	if (optind != argc - 1 || argv[optind][0] == '\0') {
		fprintf(stderr, "sextant node: one node name expected\n");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strlen(argv[optind]) >= 64) {
		fprintf(stderr, "sextant node: name too long '%.64s...'\n",
		        argv[optind]);
		return CLI_EXIT_USAGE;
	}
	/* the name is one path segment: encode it as a query value would
	 * be, then drop the leading "?n=" */
	cli_api_query_add(path, sizeof(path), "n", argv[optind]);
	{
		char p2[600];

		snprintf(p2, sizeof(p2), "/api/v1/nodes/%s", path + 3);
		if (cli_api_setup(&api, "sextant node", opts.api_url,
		                  opts.token_file) != 0)
			return CLI_EXIT_FAIL;
		rc = cli_api_get(&api, "sextant node", p2, &o);
		cli_api_clear(&api);
	}
	if (rc != CLI_EXIT_OK)
		return rc;
	if (opts.json)
		cli_json_print(o);
	else
		show(o);
	cJSON_Delete(o);
	return CLI_EXIT_OK;
}
