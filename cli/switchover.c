/*
 * sextant switchover GROUP [--to NODE]: move a group's signing lease on
 * purpose (maintenance, a better node).  POST
 * /api/v1/groups/GROUP/switchover, then follow GET /api/v1/groups/GROUP
 * until the new holder has its grant: the commander revokes the old
 * holder's lease, waits for its acknowledgement (or for the lease to run
 * out if it cannot answer), records a new epoch and grants it.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli/api_client.h"
#include "cli/api_send.h"
#include "cli/cli.h"
#include "cli/opts.h"
#include "common/util.h"
#include "proto/msg.h"

#define POLL_MS 250

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: sextant switchover GROUP [--to NODE] [--no-wait] "
	        "[--timeout DURATION]\n"
	        "                          [--api URL] [--token-file FILE]\n"
	        "\n"
	        "Move GROUP's signing lease to NODE (default: the best "
	        "eligible\n"
	        "member: connected, healthy, synced, highest priority).  The\n"
	        "holder is told to stop signing; once it acknowledges (or "
	        "its\n"
	        "lease has run out) a new epoch is recorded and granted.\n"
	        "Needs the API's write token.\n"
	        "\n"
	        "options:\n"
	        "      --to NODE         the node to move the lease to\n"
	        "      --no-wait         return once the switchover started\n"
	        "      --timeout D       wait at most this long (default "
	        "60s)\n" CLI_OPTS_USAGE "\n"
	        "exit status: 0 moved (or started, with --no-wait), 1 "
	        "refused or\n"
	        "not done in time (the reason is printed), 2 usage.\n");
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
	                      .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Follow the group until target holds a newer epoch than start_epoch. */
static int
follow(struct cli_api *api, const char *path, const char *target,
       double start_epoch, uint64_t timeout_ms)
{
	uint64_t t0 = clock_mono_ms();
	char last[512] = "";

	for (;;) {
		cJSON *g = NULL;
		char line[512];

		if (cli_api_get(api, "sextant switchover", path, &g) !=
		    CLI_EXIT_OK)
			return CLI_EXIT_FAIL;
		snprintf(line, sizeof(line), "  %s: %s",
		         cli_json_str(g, "phase"), cli_json_str(g, "reason"));
		if (strcmp(line, last) != 0) {
			printf("%s\n", line);
			fflush(stdout);
			util_strlcpy(last, line, sizeof(last));
		}
		if (strcmp(cli_json_str(g, "phase"), "held") == 0 &&
		    strcmp(cli_json_str(g, "holder"), target) == 0 &&
		    cli_json_num(g, "epoch", 0) > start_epoch) {
			printf("%s holds the lease of %s, epoch %.0f (%.1fs)\n",
			       target, cli_json_str(g, "name"),
			       cli_json_num(g, "epoch", 0),
			       (double)(clock_mono_ms() - t0) / 1000.0);
			cJSON_Delete(g);
			return CLI_EXIT_OK;
		}
		if (strcmp(cli_json_str(g, "phase"), "held") == 0 &&
		    strcmp(cli_json_str(g, "holder"), target) != 0 &&
		    cli_json_num(g, "epoch", 0) > start_epoch) {
			fprintf(stderr,
			        "sextant switchover: the lease went to %s, not "
			        "%s\n",
			        cli_json_str(g, "holder"), target);
			cJSON_Delete(g);
			return CLI_EXIT_FAIL;
		}
		cJSON_Delete(g);
		if (clock_mono_ms() - t0 >= timeout_ms) {
			fprintf(stderr,
			        "sextant switchover: not done after %.0fs; "
			        "`sextant groups` shows where it is\n",
			        (double)timeout_ms / 1000.0);
			return CLI_EXIT_FAIL;
		}
		sleep_ms(POLL_MS);
	}
}

int
cli_switchover(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"to", required_argument, NULL, 't'},
	    {"no-wait", no_argument, NULL, 'n'},
	    {"timeout", required_argument, NULL, 'T'},
	    CLI_OPTS_LONGOPTS,
	};
	const char *to = NULL;
	struct cli_opts opts = {0};
	char seg[3 * PROTO_NAME_MAX], path[512], target[PROTO_NAME_MAX];
	uint64_t timeout_ms = 60000;
	struct cli_api api;
	bool wait = true;
	cJSON *b, *g = NULL;
	char *body;
	long status;
	double epoch;
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
		switch (ch) {
		case 't':
			to = optarg;
			break;
		case 'n':
			wait = false;
			break;
		case 'T':
			if (util_parse_duration_ms(optarg, &timeout_ms) != 0) {
				fprintf(stderr,
				        "sextant switchover: --timeout: not a "
				        "duration '%s'\n",
				        optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		default:
			rc = cli_opts_take(&opts, ch, optarg, usage);
			if (rc != CLI_OPTS_TAKEN)
				return rc;
		}
	if (argc - optind != 1) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli_api_path_segment(argv[optind], seg, sizeof(seg)) != 0 ||
	    (to && strlen(to) >= PROTO_NAME_MAX)) {
		fprintf(stderr, "sextant switchover: name too long\n");
		return CLI_EXIT_USAGE;
	}
	if (cli_api_setup(&api, "sextant switchover", opts.api_url,
	                  opts.token_file) != 0)
		return CLI_EXIT_FAIL;
	if ((b = cJSON_CreateObject()) == NULL ||
	    (to && cJSON_AddStringToObject(b, "to", to) == NULL) ||
	    (body = cJSON_PrintUnformatted(b)) == NULL) {
		cJSON_Delete(b);
		cli_api_clear(&api);
		return CLI_EXIT_FAIL;
	}
	cJSON_Delete(b);
	snprintf(path, sizeof(path), "/api/v1/groups/%s/switchover", seg);
	rc = cli_api_send(&api, "sextant switchover", "POST", path, body,
	                  &status, &g);
	free(body);
	if (rc != CLI_EXIT_OK) {
		cli_api_clear(&api);
		return rc;
	}
	util_strlcpy(target, cli_json_str(g, "candidate"), sizeof(target));
	epoch = cli_json_num(g, "epoch", 0);
	printf("switchover of %s started: %s -> %s (epoch %.0f)\n",
	       argv[optind], cli_json_str(g, "holder"), target, epoch);
	cJSON_Delete(g);
	if (wait) {
		snprintf(path, sizeof(path), "/api/v1/groups/%s", seg);
		rc = follow(&api, path, target, epoch, timeout_ms);
	}
	cli_api_clear(&api);
	return rc;
}
