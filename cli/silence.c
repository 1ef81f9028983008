/*
 * sextant silence add|list|rm: hold back alerts for a while.  A silence
 * matches alerts by rule, node, group and network (shell patterns, at
 * least one); it postpones them, never loses them: what still fires when
 * it expires is sent then.
 */
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/api_client.h"
#include "cli/api_send.h"
#include "cli/cli.h"
#include "cli/opts.h"
#include "common/util.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: sextant silence add [--rule RULE] [--node N] "
	           "[--group G]\n"
	           "                           [--network W] [--duration D] "
	           "[--comment TEXT]\n"
	           "       sextant silence list [--json]\n"
	           "       sextant silence rm ID\n"
	           "  (each also takes --api URL and --token-file FILE)\n"
	           "\n"
	           "add: silence the alerts that match every matcher given "
	           "(shell\n"
	           "patterns such as 'val*'; at least one) for --duration "
	           "(default\n"
	           "2h).  Rules: node_down, pilot_unreachable, lagging, "
	           "stalled,\n"
	           "low_peers, disk_full, stale_tip, double_sign_risk, "
	           "crash_loop,\n"
	           "restarted, reorg, failover_started, failover_finished,\n"
	           "failover_failed, lease_lost, doppelganger.\n"
	           "list: the silences in force.  rm: end one now.\n"
	           "add and rm need the API's write token.\n"
	           "\n"
	           "options:\n"
	           "      --author NAME     who (default: $USER)\n"
	           "      --json            (list) print the API's JSON "
	           "instead\n" CLI_OPTS_USAGE);
}

struct add_args {
	const char *rule, *node, *group, *network, *duration, *comment, *author;
};

static void
print_silence(const cJSON *s, uint64_t now)
{
	char until[32], left[32];
	uint64_t exp = (uint64_t)cli_json_num(s, "expires_ms", 0);

	printf("%4.0f  until %s (%s left)  rule=%s node=%s group=%s "
	       "network=%s%s%s%s%s\n",
	       cli_json_num(s, "id", 0),
	       cli_fmt_time(exp, until, sizeof(until)),
	       util_fmt_duration(exp > now ? (exp - now) / 1000 * 1000 : 0,
	                         left, sizeof(left)),
	       cli_json_str(s, "rule")[0] ? cli_json_str(s, "rule") : "*",
	       cli_json_str(s, "node")[0] ? cli_json_str(s, "node") : "*",
	       cli_json_str(s, "group")[0] ? cli_json_str(s, "group") : "*",
	       cli_json_str(s, "network")[0] ? cli_json_str(s, "network") : "*",
	       cli_json_str(s, "author")[0] ? "  by " : "",
	       cli_json_str(s, "author"),
	       cli_json_str(s, "comment")[0] ? ": " : "",
	       cli_json_str(s, "comment"));
}

static int
add(struct cli_api *api, const struct add_args *a)
{
	cJSON *b = cJSON_CreateObject(), *out = NULL;
	const char *user = a->author;
	char *body = NULL;
	long status;
	int rc;

	if (!a->rule && !a->node && !a->group && !a->network) {
		fprintf(stderr, "sextant silence add: give at least one of "
		                "--rule, --node, --group, --network\n");
		cJSON_Delete(b);
		return CLI_EXIT_USAGE;
	}
	if (user == NULL && (user = getenv("USER")) == NULL) {
		struct passwd *pw = getpwuid(getuid());

		user = pw ? pw->pw_name : "";
	}
	if (b == NULL ||
	    (a->rule && !cJSON_AddStringToObject(b, "rule", a->rule)) ||
	    (a->node && !cJSON_AddStringToObject(b, "node", a->node)) ||
	    (a->group && !cJSON_AddStringToObject(b, "group", a->group)) ||
	    (a->network &&
	     !cJSON_AddStringToObject(b, "network", a->network)) ||
	    !cJSON_AddStringToObject(b, "duration",
	                             a->duration ? a->duration : "2h") ||
	    (a->comment &&
	     !cJSON_AddStringToObject(b, "comment", a->comment)) ||
	    !cJSON_AddStringToObject(b, "author", user) ||
	    (body = cJSON_PrintUnformatted(b)) == NULL) {
		cJSON_Delete(b);
		return CLI_EXIT_FAIL;
	}
	cJSON_Delete(b);
	rc = cli_api_send(api, "sextant silence add", "POST",
	                  "/api/v1/silences", body, &status, &out);
	free(body);
	if (rc == CLI_EXIT_OK) {
		printf("silenced: ");
		print_silence(out, clock_wall_ms());
	}
	cJSON_Delete(out);
	return rc;
}

static int
list(struct cli_api *api, bool json)
{
	const cJSON *a, *s;
	cJSON *o = NULL;
	int rc;

	if ((rc = cli_api_get(api, "sextant silence", "/api/v1/silences",
	                      &o)) != CLI_EXIT_OK)
		return rc;
	if (json)
		cli_json_print(o);
	else {
		a = cJSON_GetObjectItemCaseSensitive(o, "silences");
		if (cJSON_GetArraySize(a) == 0)
			printf("no silences\n");
		cJSON_ArrayForEach(s, a) print_silence(s, clock_wall_ms());
	}
	cJSON_Delete(o);
	return CLI_EXIT_OK;
}

static int
rm(struct cli_api *api, const char *id)
{
	char path[128];
	cJSON *out = NULL;
	uint64_t v;
	long status;
	int rc;

	if (util_parse_u64(id, 1, UINT64_MAX >> 11, &v) != 0) {
		fprintf(stderr, "sextant silence rm: not a silence id '%s'\n",
		        id);
		return CLI_EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/api/v1/silences/%" PRIu64, v);
	rc = cli_api_send(api, "sextant silence rm", "DELETE", path, NULL,
	                  &status, &out);
	if (rc == CLI_EXIT_OK)
		printf("silence %" PRIu64 " removed\n", v);
	cJSON_Delete(out);
	return rc;
}

int
cli_silence(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"rule", required_argument, NULL, 'r'},
	    {"node", required_argument, NULL, 'n'},
	    {"group", required_argument, NULL, 'g'},
	    {"network", required_argument, NULL, 'w'},
	    {"duration", required_argument, NULL, 'd'},
	    {"comment", required_argument, NULL, 'c'},
	    {"author", required_argument, NULL, 'a'},
	    {"json", no_argument, NULL, CLI_OPT_JSON},
	    CLI_OPTS_LONGOPTS,
	};
	struct cli_opts opts = {0};
	struct add_args a = {0};
	struct cli_api api;
	const char *verb;
	int ch, rc, nargs;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
		switch (ch) {
		case 'r':
			a.rule = optarg;
			break;
		case 'n':
			a.node = optarg;
			break;
		case 'g':
			a.group = optarg;
			break;
		case 'w':
			a.network = optarg;
			break;
		case 'd':
			a.duration = optarg;
			break;
		case 'c':
			a.comment = optarg;
			break;
		case 'a':
			a.author = optarg;
			break;
		default:
			rc = cli_opts_take(&opts, ch, optarg, usage);
			if (rc != CLI_OPTS_TAKEN)
				return rc;
		}
	nargs = argc - optind;
	verb = nargs > 0 ? argv[optind] : "";
	if (!((strcmp(verb, "add") == 0 && nargs == 1) ||
	      (strcmp(verb, "list") == 0 && nargs == 1) ||
	      (strcmp(verb, "rm") == 0 && nargs == 2))) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli_api_setup(&api, "sextant silence", opts.api_url,
	                  opts.token_file) != 0)
		return CLI_EXIT_FAIL;
	if (strcmp(verb, "add") == 0)
		rc = add(&api, &a);
	else if (strcmp(verb, "list") == 0)
		rc = list(&api, opts.json);
	else
		rc = rm(&api, argv[optind + 1]);
	cli_api_clear(&api);
	return rc;
}
