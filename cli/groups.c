/*
 * sextant groups: the failover groups and their signing leases, from
 * GET /api/v1/groups; `sextant groups release GROUP --confirm GROUP`
 * declares an ack-only group's holder fenced by hand.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/api_client.h"
#include "cli/api_send.h"
#include "cli/cli.h"
#include "cli/opts.h"
#include "common/util.h"
#include "proto/msg.h"

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: sextant groups [--json] [--api URL] [--token-file "
	        "FILE]\n"
	        "       sextant groups release GROUP --confirm GROUP\n"
	        "\n"
	        "Show each failover group: mode, lease epoch, holder, phase,\n"
	        "candidate, watermark and why; then its members: connected,\n"
	        "healthy, lag, and what their pilots report about signing.\n"
	        "\n"
	        "release: for an ack-only group whose holder cannot answer,\n"
	        "declare that it was stopped by hand so that the lease can\n"
	        "move.  Wrong, this can make two nodes sign: --confirm must\n"
	        "repeat the group's name.\n"
	        "\n"
	        "options:\n"
	        "      --json            print the API's JSON instead\n"
	        "      --confirm GROUP   (release) the group's name "
	        "again\n" CLI_OPTS_USAGE);
}

static const char *
dash(const char *s)
{
	return s && s[0] ? s : "-";
}

static void
show_group(const cJSON *g)
{
	const cJSON *wm = cJSON_GetObjectItemCaseSensitive(g, "watermark");
	const cJSON *ms = cJSON_GetObjectItemCaseSensitive(g, "members"), *m;
	double exp = cli_json_num(g, "expires_in_ms", 0);
	char expires[32];

	if (exp > 0)
		snprintf(expires, sizeof(expires), "%.1fs", exp / 1000.0);
	else
		snprintf(expires, sizeof(expires), "-");
	printf("group %s  mode %s%s  epoch %.0f  holder %s  phase %s  "
	       "candidate %s\n",
	       cli_json_str(g, "name"), cli_json_str(g, "mode"),
	       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g, "enabled"))
	           ? ""
	           : " (automatic failover off)",
	       cli_json_num(g, "epoch", 0), dash(cli_json_str(g, "holder")),
	       cli_json_str(g, "phase"), dash(cli_json_str(g, "candidate")));
	printf("  watermark %.0f/%.0f/%.0f  lease expires in %s  reason: %s\n",
	       cli_json_num(wm, "height", 0), cli_json_num(wm, "round", 0),
	       cli_json_num(wm, "step", 0), expires,
	       dash(cli_json_str(g, "reason")));
	printf("  %-20s %4s %-9s %-7s %5s %-7s %6s %8s %s\n", "NODE", "PRIO",
	       "CONNECTED", "HEALTHY", "LAG", "SIGNING", "EPOCH", "DEMOTED",
	       "SIGNED");
	cJSON_ArrayForEach(m, ms)
	{
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(m, "sign");

		printf(
		    "  %-20s %4.0f %-9s %-7s %5.0f %-7s %6.0f %8.0f %.0f%s\n",
		    cli_json_str(m, "node"), cli_json_num(m, "priority", 0),
		    cJSON_IsTrue(
		        cJSON_GetObjectItemCaseSensitive(m, "connected"))
		        ? "yes"
		        : "no",
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "healthy"))
		        ? "yes"
		        : "no",
		    cli_json_num(m, "lag", 0),
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "signing"))
		        ? "yes"
		        : "no",
		    cli_json_num(m, "lease_epoch", 0),
		    cli_json_num(m, "demoted_epoch", 0),
		    cli_json_num(s, "height", 0),
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "holder"))
		        ? "  <- holder"
		        : "");
	}
}

static int
release(struct cli_api *api, const char *group, const char *confirm)
{
	char seg[3 * PROTO_NAME_MAX], path[512], *body;
	cJSON *b, *out = NULL;
	long status;
	int rc;

	if (confirm == NULL || strcmp(confirm, group) != 0) {
		fprintf(stderr, "sextant groups release: --confirm must repeat "
		                "the group name\n");
		return CLI_EXIT_USAGE;
	}
	if (cli_api_path_segment(group, seg, sizeof(seg)) != 0) {
		fprintf(stderr, "sextant groups: group name too long\n");
		return CLI_EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/api/v1/groups/%s/release", seg);
	if ((b = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(b, "confirm", confirm) == NULL ||
	    (body = cJSON_PrintUnformatted(b)) == NULL) {
		cJSON_Delete(b);
		return CLI_EXIT_FAIL;
	}
	cJSON_Delete(b);
	rc = cli_api_send(api, "sextant groups release", "POST", path, body,
	                  &status, &out);
	free(body);
	if (rc == CLI_EXIT_OK) {
		printf("released: ");
		show_group(out);
	}
	cJSON_Delete(out);
	return rc;
}

int
cli_groups(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, CLI_OPT_JSON},
	    {"confirm", required_argument, NULL, 'c'},
	    CLI_OPTS_LONGOPTS,
	};
	const char *confirm = NULL;
	struct cli_opts opts = {0};
	struct cli_api api;
	cJSON *o = NULL, *gs, *g;
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
		switch (ch) {
		case 'c':
			confirm = optarg;
			break;
		default:
			rc = cli_opts_take(&opts, ch, optarg, usage);
			if (rc != CLI_OPTS_TAKEN)
				return rc;
		}
	if (!(optind == argc ||
	      (argc - optind == 2 && strcmp(argv[optind], "release") == 0))) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli_api_setup(&api, "sextant groups", opts.api_url,
	                  opts.token_file) != 0)
		return CLI_EXIT_FAIL;
	if (optind < argc) {
		rc = release(&api, argv[optind + 1], confirm);
		cli_api_clear(&api);
		return rc;
	}
	rc = cli_api_get(&api, "sextant groups", "/api/v1/groups", &o);
	cli_api_clear(&api);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (opts.json)
		cli_json_print(o);
	else {
		gs = cJSON_GetObjectItemCaseSensitive(o, "groups");
		if (cJSON_GetArraySize(gs) == 0)
			printf("no failover groups: add a [group NAME] section "
			       "to the commander's config\n");
		cJSON_ArrayForEach(g, gs)
		{
			show_group(g);
			if (g->next)
				printf("\n");
		}
	}
	cJSON_Delete(o);
	return CLI_EXIT_OK;
}
