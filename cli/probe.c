/*
 * sextant probe: ask one node how it is, the way a pilot would, and print
 * the answer as one JSON line.  With --ref, reference endpoints are asked
 * at the same moment and the lag to their median is shown.  For operators
 * checking a probe config, and for the integration tests.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "common/util.h"
#include "pilot/probe.h"

#define PROBE_CLI_REFS 31 /* plus the node itself: probe_reference's 32 */

static void
usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: sextant probe --chain CHAIN --url URL [--ref URL ...]\n"
	    "                     [--timeout MS] [--user U] [--cookie FILE]\n"
	    "                     [--command 'PROGRAM ARGS']\n"
	    "\n"
	    "Probe a node once and print one JSON line: reachable, height,\n"
	    "syncing, peers, error; with --ref, the reference endpoints'\n"
	    "median height and the node's lag behind it.  Exit 0 when the\n"
	    "node answered, 1 when not, 2 on a usage error.\n"
	    "\n"
	    "options:\n"
	    "  -c, --chain CHAIN    cometbft, substrate, ethereum, beacon,\n"
	    "                       bitcoin or command\n"
	    "  -u, --url URL        the node's RPC base URL\n"
	    "  -r, --ref URL        a reference endpoint (repeatable, <= %d)\n"
	    "  -t, --timeout MS     per request (default 3000)\n"
	    "      --user USER      bitcoin rpcuser; the password is read "
	    "from\n"
	    "                       the environment SEXTANT_RPC_PASSWORD\n"
	    "      --cookie FILE    bitcoin .cookie file\n"
	    "      --command PROG   command family: program and arguments\n"
	    "  -h, --help           show this help and exit\n",
	    PROBE_CLI_REFS);
}

static void
add_u64(cJSON *o, const char *key, uint64_t v)
{
	char buf[24];

	/* As raw text: a double would round heights above 2^53. */
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	cJSON_AddRawToObject(o, key, buf);
}

static cJSON *
result_json(const struct probe_target *t, const struct probe_result *r)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "url", t->url);
	cJSON_AddBoolToObject(o, "reachable", r->reachable);
	add_u64(o, "height", r->height);
	cJSON_AddBoolToObject(o, "syncing", r->syncing);
	if (r->peers_known)
		add_u64(o, "peers", r->peers);
	else
		cJSON_AddNullToObject(o, "peers");
	cJSON_AddBoolToObject(o, "peers_known", r->peers_known);
	cJSON_AddStringToObject(o, "tip_hash", r->tip_hash);
	add_u64(o, "highest", r->highest);
	add_u64(o, "finalized", r->finalized);
	cJSON_AddStringToObject(o, "error", r->error);
	return o;
}

static int
fill_target(struct probe_target *t, const struct probe_ops *ops,
            const char *url, uint32_t tmo)
{
	memset(t, 0, sizeof(*t));
	t->chain = ops->chain;
	t->timeout_ms = tmo;
	if (util_strcpy_checked(t->url, url, sizeof(t->url)) != 0) {
		fprintf(stderr, "sextant probe: URL too long: '%.40s...'\n",
		        url);
		return -1;
	}
	return 0;
}

int
cli_probe(int argc, char **argv)
{
	enum { OPT_USER = 256, OPT_COOKIE, OPT_COMMAND };
	static const struct option longopts[] = {
	    {"chain", required_argument, NULL, 'c'},
	    {"url", required_argument, NULL, 'u'},
	    {"ref", required_argument, NULL, 'r'},
	    {"timeout", required_argument, NULL, 't'},
	    {"user", required_argument, NULL, OPT_USER},
	    {"cookie", required_argument, NULL, OPT_COOKIE},
	    {"command", required_argument, NULL, OPT_COMMAND},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static struct probe_target tg[PROBE_CLI_REFS + 1];
	static struct probe_result res[PROBE_CLI_REFS + 1];
	const char *chain = NULL, *url = NULL, *user = NULL;
	const char *cookie = NULL, *command = NULL, *pw;
	const char *refs[PROBE_CLI_REFS];
	const struct probe_ops *ops;
	uint64_t tmo = 3000, t0, ms, h[PROBE_CLI_REFS];
	unsigned nref = 0, i, k = 0;
	cJSON *out, *ra, *ref;
	char *text;
	int c;

	optind = 0; /* glibc: restart scanning for this argv */
	while ((c = getopt_long(argc, argv, "c:u:r:t:h", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'c':
			chain = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 'r':
			if (nref == PROBE_CLI_REFS) {
				fprintf(stderr,
				        "sextant probe: at most %d --ref\n",
				        PROBE_CLI_REFS);
				return CLI_EXIT_USAGE;
			}
			refs[nref++] = optarg;
			break;
		case 't':
			if (util_parse_u64(optarg, 1, 600000, &tmo) != 0) {
				fprintf(
				    stderr,
				    "sextant probe: --timeout: not a number "
				    "of ms in 1..600000: '%s'\n",
				    optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case OPT_USER:
			user = optarg;
			break;
		case OPT_COOKIE:
			cookie = optarg;
			break;
		case OPT_COMMAND:
			command = optarg;
			break;
		default: /* -h, or getopt's '?' */
			return cli_opts_usage(c, usage);
		}
	}
	if (optind < argc || chain == NULL ||
	    (url == NULL && command == NULL)) {
		fprintf(stderr, "sextant probe: --chain and --url are "
		                "required\n");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if ((ops = probe_ops_by_name(chain)) == NULL) {
		fprintf(stderr, "sextant probe: unknown chain '%s'\n", chain);
		return CLI_EXIT_USAGE;
	}
	if (fill_target(&tg[0], ops, url ? url : "", (uint32_t)tmo) != 0)
		return CLI_EXIT_USAGE;
	pw = getenv("SEXTANT_RPC_PASSWORD");
	if ((user &&
	     (util_strcpy_checked(tg[0].user, user, sizeof(tg[0].user)) != 0 ||
	      util_strcpy_checked(tg[0].password, pw ? pw : "",
	                          sizeof(tg[0].password)) != 0)) ||
	    (cookie && util_strcpy_checked(tg[0].cookie_file, cookie,
	                                   sizeof(tg[0].cookie_file)) != 0) ||
	    (command && util_strcpy_checked(tg[0].command, command,
	                                    sizeof(tg[0].command)) != 0)) {
		fprintf(stderr, "sextant probe: an option value is too long\n");
		return CLI_EXIT_USAGE;
	}
	for (i = 0; i < nref; i++) {
		if (fill_target(&tg[i + 1], ops, refs[i], (uint32_t)tmo) != 0)
			return CLI_EXIT_USAGE;
		/* References share the node's credentials (same family). */
		memcpy(tg[i + 1].user, tg[0].user, sizeof(tg[0].user));
		memcpy(tg[i + 1].password, tg[0].password,
		       sizeof(tg[0].password));
	}

	/* The node and its references at the same moment, as the pilot
	 * compares them. */
	t0 = clock_mono_ms();
	probe_reference_all(tg, nref + 1, res);
	ms = clock_mono_ms() - t0;

	if ((out = cJSON_CreateObject()) == NULL)
		return CLI_EXIT_FAIL;
	cJSON_AddStringToObject(out, "chain", ops->name);
	cJSON_AddItemToObject(out, "node", result_json(&tg[0], &res[0]));
	if (nref > 0) {
		ref = cJSON_AddObjectToObject(out, "reference");
		ra = cJSON_AddArrayToObject(ref, "endpoints");
		for (i = 1; i <= nref; i++) {
			cJSON_AddItemToArray(ra, result_json(&tg[i], &res[i]));
			if (res[i].reachable)
				h[k++] = res[i].height;
		}
		add_u64(ref, "answered", k);
		if (k > 0) {
			uint64_t med = util_median_u64(h, k);
			char lag[24];

			add_u64(ref, "height", med);
			if (res[0].reachable) {
				snprintf(lag, sizeof(lag), "%" PRId64,
				         (int64_t)(med - res[0].height));
				cJSON_AddRawToObject(out, "lag", lag);
			}
		}
	}
	add_u64(out, "ms", ms);
	if ((text = cJSON_PrintUnformatted(out)) != NULL) {
		printf("%s\n", text);
		free(text);
	}
	cJSON_Delete(out);
	return res[0].reachable ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
