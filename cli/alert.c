/*
 * sextant alert test [CHANNEL]: queue a test message to one channel (or
 * every channel), past filters and silences, and follow it until it is
 * delivered.  sextant alert list: active alerts and each channel's
 * delivery counters.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/api_client.h"
#include "cli/api_send.h"
#include "cli/cli.h"
#include "cli/opts.h"
#include "common/util.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: sextant alert test [CHANNEL] [--api URL] "
	           "[--token-file FILE]\n"
	           "       sextant alert list [--json] [--api URL] "
	           "[--token-file FILE]\n"
	           "\n"
	           "test: queue a test message to CHANNEL (default: every "
	           "channel of\n"
	           "the commander's [channel NAME] sections); the commander "
	           "delivers\n"
	           "it like any alert and records the outcome as an event.  "
	           "Needs the\n"
	           "API's write token.\n"
	           "list: the alerts firing now, and per channel what was "
	           "delivered,\n"
	           "retried and failed.\n"
	           "\n"
	           "options:\n"
	           "      --json            print the API's JSON "
	           "instead\n" CLI_OPTS_USAGE);
}

static int
test(struct cli_api *api, const char *channel)
{
	cJSON *b, *out = NULL;
	char *body;
	long status;
	int rc;

	if ((b = cJSON_CreateObject()) == NULL ||
	    (channel &&
	     cJSON_AddStringToObject(b, "channel", channel) == NULL) ||
	    (body = cJSON_PrintUnformatted(b)) == NULL) {
		cJSON_Delete(b);
		return CLI_EXIT_FAIL;
	}
	cJSON_Delete(b);
	rc = cli_api_send(api, "sextant alert test", "POST",
	                  "/api/v1/alerts/test", body, &status, &out);
	free(body);
	if (rc == CLI_EXIT_OK)
		printf("test message %.0f queued for %s; `sextant events "
		       "--type alert` shows its delivery\n",
		       cli_json_num(out, "id", 0),
		       channel ? channel : "every channel");
	cJSON_Delete(out);
	return rc;
}

static int
list(struct cli_api *api, bool json)
{
	const cJSON *a, *x;
	cJSON *o = NULL;
	int rc;

	if ((rc = cli_api_get(api, "sextant alert", "/api/v1/alerts", &o)) !=
	    CLI_EXIT_OK)
		return rc;
	if (json) {
		cli_json_print(o);
		cJSON_Delete(o);
		return CLI_EXIT_OK;
	}
	a = cJSON_GetObjectItemCaseSensitive(o, "active");
	printf("active alerts: %d\n", cJSON_GetArraySize(a));
	cJSON_ArrayForEach(x, a)
	    printf("  %-9s %-24s %s\n", cli_json_str(x, "severity"),
	           cli_json_str(x, "key"), cli_json_str(x, "summary"));
	a = cJSON_GetObjectItemCaseSensitive(o, "channels");
	printf("channels: %d\n", cJSON_GetArraySize(a));
	cJSON_ArrayForEach(x, a) printf(
	    "  %-16s %-12s min %-8s queued %.0f delivered %.0f "
	    "failed %.0f retried %.0f%s%s\n",
	    cli_json_str(x, "name"), cli_json_str(x, "type"),
	    cli_json_str(x, "min_severity"), cli_json_num(x, "queued", 0),
	    cli_json_num(x, "delivered", 0), cli_json_num(x, "failed", 0),
	    cli_json_num(x, "retried", 0),
	    cli_json_str(x, "last_error")[0] ? "  last error: " : "",
	    cli_json_str(x, "last_error"));
	cJSON_Delete(o);
	return CLI_EXIT_OK;
}

int
cli_alert(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, CLI_OPT_JSON},
	    CLI_OPTS_LONGOPTS,
	};
	struct cli_opts opts = {0};
	struct cli_api api;
	const char *verb;
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		rc = cli_opts_take(&opts, ch, optarg, usage);
		if (rc != CLI_OPTS_TAKEN)
			return rc;
	}
	if (optind >= argc) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	verb = argv[optind];
	if (!((strcmp(verb, "test") == 0 && argc - optind <= 2) ||
	      (strcmp(verb, "list") == 0 && argc - optind == 1))) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli_api_setup(&api, "sextant alert", opts.api_url,
	                  opts.token_file) != 0)
		return CLI_EXIT_FAIL;
	if (strcmp(verb, "test") == 0)
		rc = test(&api, argc - optind == 2 ? argv[optind + 1] : NULL);
	else
		rc = list(&api, opts.json);
	cli_api_clear(&api);
	return rc;
}
