/*
 * sextant events: the commander's event history, and with --follow the
 * live stream (server-sent events).  A dropped stream reconnects with
 * Last-Event-ID, so following never skips or repeats an event.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli/api_client.h"
#include "cli/cli.h"
#include "cli/opts.h"
#include "common/http_stream.h"
#include "common/util.h"

#define DEFAULT_LIMIT  50
#define STREAM_IDLE_MS 45000 /* three missed keepalives */

static void
usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: sextant events [--since ID] [--node NAME] [--type TYPE]\n"
	    "                      [--limit N] [--follow [--max N]] [--json]\n"
	    "                      [--api URL] [--token-file FILE]\n"
	    "\n"
	    "Print the commander's events, oldest first: without --since the\n"
	    "newest N, with --since those after event ID.  --follow then "
	    "keeps\n"
	    "printing new events as they happen, resuming after a dropped\n"
	    "connection where it left off.\n"
	    "\n"
	    "options:\n"
	    "      --since ID        events after this id\n"
	    "      --node NAME       only this node's events\n"
	    "      --type TYPE       only this type (state_change, "
	    "restart_granted,\n"
	    "                        unreachable, reorg, lease_change, ...)\n"
	    "  -n, --limit N         at most N events (1..1000, default %d)\n"
	    "  -f, --follow          keep streaming new events\n"
	    "      --max N           with --follow: exit after N events\n"
	    "      --json            one JSON object per line\n" CLI_OPTS_USAGE,
	    DEFAULT_LIMIT);
}

struct follow {
	struct cli_api *api;
	const char *node;
	const char *type;
	bool json;
	uint64_t last_id;
	uint64_t max; /* 0: unlimited */
	uint64_t shown;
	struct http_sse sse;
};

static void
print_event(const cJSON *e, bool json)
{
	char when[32];

	if (json) {
		char *s = cJSON_PrintUnformatted(e);

		if (s != NULL)
			printf("%s\n", s);
		free(s);
	} else {
		printf("%s  #%-6.0f %-8s %-16s %-12s %s\n",
		       cli_fmt_time((uint64_t)cli_json_num(e, "time_ms", 0),
		                    when, sizeof(when)),
		       cli_json_num(e, "id", 0), cli_json_str(e, "severity"),
		       cli_json_str(e, "type"),
		       *cli_json_str(e, "node") ? cli_json_str(e, "node") : "-",
		       cli_json_str(e, "message"));
	}
	fflush(stdout);
}

static bool
wanted(const struct follow *f, const cJSON *e)
{
	return (f->node == NULL ||
	        strcmp(cli_json_str(e, "node"), f->node) == 0) &&
	       (f->type == NULL ||
	        strcmp(cli_json_str(e, "type"), f->type) == 0);
}

static int
on_event(void *arg, const struct http_sse_event *ev)
{
	struct follow *f = arg;
	uint64_t id;
	cJSON *e;

	if (util_parse_u64(ev->id, 0, UINT64_MAX, &id) != 0)
		return 0; /* not one of ours */
	if ((e = cJSON_ParseWithLength(ev->data, ev->data_len)) == NULL)
		return 0;
	if (id > f->last_id) {
		f->last_id = id;
		if (wanted(f, e)) {
			print_event(e, f->json);
			f->shown++;
		}
	}
	cJSON_Delete(e);
	return f->max != 0 && f->shown >= f->max ? 1 : 0;
}

static int
on_bytes(void *arg, const char *data, size_t len)
{
	struct follow *f = arg;

	return http_sse_feed(&f->sse, data, len);
}

static int
follow(struct follow *f)
{
	char url[1024], hdr[64], err[512];
	const char *headers[2] = {hdr, NULL};
	struct http_stream_req req = {
	    .url = url, .headers = headers, .idle_timeout_ms = STREAM_IDLE_MS};
	uint32_t backoff = 500;
	long status;
	int rc;

	snprintf(url, sizeof(url), "%s/api/v1/events/stream", f->api->base);
	req.bearer = f->api->token[0] ? f->api->token : NULL;
	for (;;) {
		uint64_t before = f->last_id;
		struct timespec ts;

		snprintf(hdr, sizeof(hdr), "Last-Event-ID: %" PRIu64,
		         f->last_id);
		http_sse_init(&f->sse, 0, on_event, f);
		rc = http_stream_get(&req, on_bytes, f, &status, err,
		                     sizeof(err));
		http_sse_free(&f->sse);
		if (f->max != 0 && f->shown >= f->max)
			return CLI_EXIT_OK;
		if (rc == 0 &&
		    (status == 401 || status == 403 || status == 404)) {
			fprintf(stderr, "sextant events: %s\n", err);
			return CLI_EXIT_FAIL;
		}
		if (rc != 0 || status != 200)
			fprintf(stderr, "sextant events: %s; reconnecting\n",
			        err[0] ? err : "stream ended");
		if (f->last_id > before)
			backoff = 500; /* it was working: retry soon */
		ts.tv_sec = backoff / 1000;
		ts.tv_nsec = (long)(backoff % 1000) * 1000000L;
		nanosleep(&ts, NULL);
		if (backoff < 10000)
			backoff *= 2;
	}
}

int
cli_events(int argc, char **argv)
{
	enum { O_SINCE = 1, O_NODE, O_TYPE, O_MAX };
	static const struct option longopts[] = {
	    {"since", required_argument, NULL, O_SINCE},
	    {"node", required_argument, NULL, O_NODE},
	    {"type", required_argument, NULL, O_TYPE},
	    {"limit", required_argument, NULL, 'n'},
	    {"follow", no_argument, NULL, 'f'},
	    {"max", required_argument, NULL, O_MAX},
	    {"json", no_argument, NULL, CLI_OPT_JSON},
	    CLI_OPTS_LONGOPTS,
	};
	const char *since = NULL;
	struct cli_opts opts = {0};
	struct follow f = {0};
	struct cli_api api;
	uint64_t limit = DEFAULT_LIMIT, v;
	bool do_follow = false;
	char path[1024], q[768] = "";
	const cJSON *e;
	cJSON *o = NULL;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "n:fh", longopts, NULL)) != -1) {
		switch (c) {
		case O_SINCE:
			if (util_parse_u64(optarg, 0, UINT64_MAX >> 11, &v) !=
			    0) {
				fprintf(stderr,
				        "sextant events: --since: not "
				        "an event id '%s'\n",
				        optarg);
				return CLI_EXIT_USAGE;
			}
			since = optarg;
			f.last_id = v;
			break;
		case O_NODE:
			f.node = optarg;
			break;
		case O_TYPE:
			f.type = optarg;
			break;
		case 'n':
			if (util_parse_u64(optarg, 1, 1000, &limit) != 0) {
				fprintf(stderr,
				        "sextant events: --limit: 1 "
				        "to 1000, not '%s'\n",
				        optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'f':
			do_follow = true;
			break;
		case O_MAX:
			if (util_parse_u64(optarg, 1, UINT64_MAX, &f.max) !=
			    0) {
				fprintf(stderr,
				        "sextant events: --max: a "
				        "positive number, not '%s'\n",
				        optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		default:
			rc = cli_opts_take(&opts, c, optarg, usage);
			if (rc != CLI_OPTS_TAKEN)
				return rc;
		}
	}
	f.json = opts.json;
	if (optind != argc) {
		fprintf(stderr, "sextant events: unexpected '%s'\n",
		        argv[optind]);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (f.max != 0 && !do_follow) {
		fprintf(stderr, "sextant events: --max needs --follow\n");
		return CLI_EXIT_USAGE;
	}
	if (cli_api_setup(&api, "sextant events", opts.api_url,
	                  opts.token_file) != 0)
		return CLI_EXIT_FAIL;
	f.api = &api;
	snprintf(path, sizeof(path), "%" PRIu64, limit);
	cli_api_query_add(q, sizeof(q), "limit", path);
	if (since != NULL)
		cli_api_query_add(q, sizeof(q), "since", since);
	else
		cli_api_query_add(q, sizeof(q), "newest", "true");
	if (f.node != NULL)
		cli_api_query_add(q, sizeof(q), "node", f.node);
	if (f.type != NULL)
		cli_api_query_add(q, sizeof(q), "type", f.type);
	snprintf(path, sizeof(path), "/api/v1/events%s", q);
	rc = cli_api_get(&api, "sextant events", path, &o);
	if (rc != CLI_EXIT_OK) {
		cli_api_clear(&api);
		return rc;
	}
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(o, "events"))
	{
		print_event(e, f.json);
		f.shown++;
	}
	/* Where following starts: after the newest event of the store when
	 * the newest were shown; after the last one shown (or --since) when
	 * paging forward, so a --limit cut loses nothing.  The filter then
	 * applies to what streams in. */
	f.last_id = (uint64_t)cli_json_num(o, since ? "next_since" : "last_id",
	                                   (double)f.last_id);
	cJSON_Delete(o);
	if (do_follow) {
		f.shown = 0; /* --max counts streamed events */
		rc = follow(&f);
	}
	cli_api_clear(&api);
	return rc;
}
