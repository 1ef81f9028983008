/* metrics_test: exact exposition output, escaping, histogram invariants. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "commander/metrics.h"
#include "tests/test.h"

static const char *const states[] = {"up", "lagging", "down"};

static void
exact_output(void)
{
	static const double bounds[] = {0.5, 1, 2.5};
	static const uint64_t counts[] = {3, 1, 0, 2};
	struct metrics_hist h = {bounds, 3, counts, 9.25};
	struct metrics_node nodes[] = {
	    {.name = "val1",
	     .group = "g1",
	     .role = "validator",
	     .network = "chain-1",
	     .state = "up",
	     .up = true,
	     .height = 1200,
	     .lag_known = true,
	     .lag = 0,
	     .peers_known = true,
	     .peers = 12,
	     .restarts = 1,
	     .last_heartbeat_ms = 1700000000500},
	    {.name = "rpc1",
	     .group = "",
	     .role = "rpc",
	     .network = "chain-1",
	     .state = "lagging",
	     .up = true,
	     .height = 1190,
	     .lag_known = true,
	     .lag = 10,
	     .peers_known = false,
	     .restarts = 0},
	};
	struct metrics_network nets[] = {
	    {.name = "chain-1", .ref_height = 1200, .spread = &h},
	};
	struct metrics_count drops[] = {{"bad_seal", 4}, {"stale", 1}};
	struct metrics_snapshot s = {
	    .nodes = nodes,
	    .nnodes = 2,
	    .states = states,
	    .nstates = 3,
	    .networks = nets,
	    .nnetworks = 1,
	    .heartbeats = 77,
	    .drops = drops,
	    .ndrops = 2,
	    .events_total = 9,
	};
	struct metrics_buf b = {0};
	const char *want =
	    "# HELP sextant_node_up 1 when the node's pilot reports in and "
	    "the node runs.\n"
	    "# TYPE sextant_node_up gauge\n"
	    "sextant_node_up{node=\"val1\",group=\"g1\",role=\"validator\","
	    "network=\"chain-1\"} 1\n"
	    "sextant_node_up{node=\"rpc1\",group=\"\",role=\"rpc\","
	    "network=\"chain-1\"} 1\n"
	    "# HELP sextant_node_state 1 for the node's current state, 0 for "
	    "the others.\n"
	    "# TYPE sextant_node_state gauge\n"
	    "sextant_node_state{node=\"val1\",group=\"g1\",role=\"validator\","
	    "network=\"chain-1\",state=\"up\"} 1\n"
	    "sextant_node_state{node=\"val1\",group=\"g1\",role=\"validator\","
	    "network=\"chain-1\",state=\"lagging\"} 0\n"
	    "sextant_node_state{node=\"val1\",group=\"g1\",role=\"validator\","
	    "network=\"chain-1\",state=\"down\"} 0\n"
	    "sextant_node_state{node=\"rpc1\",group=\"\",role=\"rpc\","
	    "network=\"chain-1\",state=\"up\"} 0\n"
	    "sextant_node_state{node=\"rpc1\",group=\"\",role=\"rpc\","
	    "network=\"chain-1\",state=\"lagging\"} 1\n"
	    "sextant_node_state{node=\"rpc1\",group=\"\",role=\"rpc\","
	    "network=\"chain-1\",state=\"down\"} 0\n"
	    "# HELP sextant_node_height Best block height the node reported.\n"
	    "# TYPE sextant_node_height gauge\n"
	    "sextant_node_height{node=\"val1\",group=\"g1\",role=\"validator\","
	    "network=\"chain-1\"} 1200\n"
	    "sextant_node_height{node=\"rpc1\",group=\"\",role=\"rpc\","
	    "network=\"chain-1\"} 1190\n"
	    "# HELP sextant_node_lag_blocks Blocks the node is behind its "
	    "network's fleet reference.\n"
	    "# TYPE sextant_node_lag_blocks gauge\n"
	    "sextant_node_lag_blocks{node=\"val1\",group=\"g1\","
	    "role=\"validator\",network=\"chain-1\"} 0\n"
	    "sextant_node_lag_blocks{node=\"rpc1\",group=\"\",role=\"rpc\","
	    "network=\"chain-1\"} 10\n"
	    "# HELP sextant_node_peers Peers the node is connected to.\n"
	    "# TYPE sextant_node_peers gauge\n"
	    "sextant_node_peers{node=\"val1\",group=\"g1\",role=\"validator\","
	    "network=\"chain-1\"} 12\n"
	    "# HELP sextant_node_restarts_total Restarts of the node done by "
	    "its pilot.\n"
	    "# TYPE sextant_node_restarts_total counter\n"
	    "sextant_node_restarts_total{node=\"val1\",group=\"g1\","
	    "role=\"validator\",network=\"chain-1\"} 1\n"
	    "sextant_node_restarts_total{node=\"rpc1\",group=\"\","
	    "role=\"rpc\",network=\"chain-1\"} 0\n"
	    "# HELP sextant_node_last_heartbeat_timestamp_seconds Wall time "
	    "of the last heartbeat from the pilot.\n"
	    "# TYPE sextant_node_last_heartbeat_timestamp_seconds gauge\n"
	    "sextant_node_last_heartbeat_timestamp_seconds{node=\"val1\","
	    "group=\"g1\",role=\"validator\",network=\"chain-1\"} "
	    "1700000000.5\n"
	    "# HELP sextant_fleet_reference_height Median height of the "
	    "healthy nodes of a network.\n"
	    "# TYPE sextant_fleet_reference_height gauge\n"
	    "sextant_fleet_reference_height{network=\"chain-1\"} 1200\n"
	    "# HELP sextant_block_propagation_spread_seconds Time between "
	    "the first and the last node seeing a block.\n"
	    "# TYPE sextant_block_propagation_spread_seconds histogram\n"
	    "sextant_block_propagation_spread_seconds_bucket{network="
	    "\"chain-1\",le=\"0.5\"} 3\n"
	    "sextant_block_propagation_spread_seconds_bucket{network="
	    "\"chain-1\",le=\"1\"} 4\n"
	    "sextant_block_propagation_spread_seconds_bucket{network="
	    "\"chain-1\",le=\"2.5\"} 4\n"
	    "sextant_block_propagation_spread_seconds_bucket{network="
	    "\"chain-1\",le=\"+Inf\"} 6\n"
	    "sextant_block_propagation_spread_seconds_sum{network="
	    "\"chain-1\"} 9.25\n"
	    "sextant_block_propagation_spread_seconds_count{network="
	    "\"chain-1\"} 6\n"
	    "# HELP sextant_ingest_heartbeats_total Heartbeats accepted from "
	    "pilots.\n"
	    "# TYPE sextant_ingest_heartbeats_total counter\n"
	    "sextant_ingest_heartbeats_total 77\n"
	    "# HELP sextant_ingest_dropped_total Messages from pilots "
	    "dropped, by reason.\n"
	    "# TYPE sextant_ingest_dropped_total counter\n"
	    "sextant_ingest_dropped_total{reason=\"bad_seal\"} 4\n"
	    "sextant_ingest_dropped_total{reason=\"stale\"} 1\n"
	    "# HELP sextant_events_total Events recorded in the durable "
	    "store.\n"
	    "# TYPE sextant_events_total counter\n"
	    "sextant_events_total 9\n";

	CHECK_EQ_INT(metrics_write(&s, &b), 0);
	CHECK(b.data != NULL);
	if (b.data != NULL && strcmp(b.data, want) != 0) {
		size_t i = 0;

		while (b.data[i] && b.data[i] == want[i])
			i++;
		CHECKF(0, "differs at %zu: got ...%.60s", i, b.data + i);
	}
	CHECK(b.len > 0 && b.data[b.len - 1] == '\n');
	metrics_buf_free(&b);
}

static void
escaping(void)
{
	struct metrics_label l[] = {
	    {"node", "a\"b\\c\nd"},
	    {"group", NULL},
	};
	struct metrics_buf b = {0};

	metrics_family(&b, "x_total", METRICS_COUNTER,
	               "help with \\ and\nnewline and \"quotes\"");
	metrics_sample_u64(&b, "x_total", l, 2, 5);
	CHECK_EQ_STR(
	    b.data,
	    "# HELP x_total help with \\\\ and\\nnewline and \"quotes\"\n"
	    "# TYPE x_total counter\n"
	    "x_total{node=\"a\\\"b\\\\c\\nd\",group=\"\"} 5\n");
	metrics_buf_free(&b);
}

static void
number_format(void)
{
	char buf[40];

	metrics_fmt_double(NAN, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "NaN");
	metrics_fmt_double(INFINITY, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "+Inf");
	metrics_fmt_double(-INFINITY, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "-Inf");
	metrics_fmt_double(0.1, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "0.1");
	metrics_fmt_double(-3, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "-3");
	metrics_fmt_double(1.0 / 3, buf, sizeof(buf));
	CHECK(strtod(buf, NULL) == 1.0 / 3);
	{
		struct metrics_buf b = {0};

		metrics_sample_u64(&b, "big", NULL, 0, UINT64_MAX);
		CHECK_EQ_STR(b.data, "big 18446744073709551615\n");
		metrics_buf_free(&b);
	}
}

/* Parse our own histogram output back: cumulative, le increasing,
 * +Inf == _count, sum preserved, for random inputs. */
static void
histogram_invariants(void)
{
	unsigned seed = 12345;
	int round;

	for (round = 0; round < 200; round++) {
		double bounds[8];
		uint64_t counts[9], total = 0;
		size_t nb = (size_t)(rand_r(&seed) % 8), i;
		struct metrics_hist h;
		struct metrics_buf b = {0};
		double prev_le = -INFINITY;
		uint64_t prev = 0, inf = UINT64_MAX, cnt = 0;
		char *line, *save = NULL;
		int bad = 0, nbuckets = 0;

		for (i = 0; i < nb; i++)
			bounds[i] =
			    (double)(i + 1) * 0.25 + (double)(i % 3) * 0.1;
		for (i = 0; i <= nb; i++) {
			counts[i] = (uint64_t)(rand_r(&seed) % 5);
			total += counts[i];
		}
		h = (struct metrics_hist){bounds, nb, counts, 1.5};
		CHECK_EQ_INT(metrics_histogram(&b, "h", NULL, 0, &h), 0);
		if (b.data == NULL)
			continue;
		for (line = strtok_r(b.data, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save)) {
			char le[32];
			uint64_t v;

			if (sscanf(line, "h_bucket{le=\"%31[^\"]\"} %" SCNu64,
			           le, &v) == 2) {
				double x = strcmp(le, "+Inf") == 0
				               ? INFINITY
				               : strtod(le, NULL);

				nbuckets++;
				if (!(x > prev_le) || v < prev)
					bad = 1;
				prev_le = x;
				prev = v;
				if (isinf(x))
					inf = v;
			} else if (sscanf(line, "h_count %" SCNu64, &v) == 1) {
				cnt = v;
			} else if (strcmp(line, "h_sum 1.5") != 0) {
				bad = 1;
			}
		}
		CHECKF(!bad, "round %d: order or shape", round);
		CHECK_EQ_INT(nbuckets, (int)nb + 1);
		CHECK(inf == cnt && cnt == total);
		metrics_buf_free(&b);
	}
}

static void
histogram_bad_bounds(void)
{
	static const double dup[] = {1, 1};
	static const double inf[] = {1, INFINITY};
	static const uint64_t counts[] = {0, 0, 0};
	struct metrics_hist h1 = {dup, 2, counts, 0};
	struct metrics_hist h2 = {inf, 2, counts, 0};
	struct metrics_buf b = {0};

	CHECK_EQ_INT(metrics_histogram(&b, "h", NULL, 0, &h1), -EINVAL);
	CHECK_EQ_INT(metrics_histogram(&b, "h", NULL, 0, &h2), -EINVAL);
	CHECK(b.len == 0);
	metrics_buf_free(&b);
}

/* Growth past max fails once and keeps the buffer usable. */
static void
bounded_buffer(void)
{
	struct metrics_buf b = {.max = 64};
	int i;

	for (i = 0; i < 100; i++)
		metrics_buf_printf(&b, "line %d\n", i);
	CHECK(b.failed);
	CHECK(b.len <= 64);
	CHECK(b.data == NULL || strlen(b.data) == b.len);
	metrics_buf_reset(&b);
	CHECK(!b.failed);
	metrics_buf_puts(&b, "ok");
	CHECK_EQ_STR(b.data, "ok");
	metrics_buf_free(&b);
	metrics_buf_free(NULL);
}

/* Event counts by type replace the unlabeled total. */
static void
events_by_type(void)
{
	struct metrics_count ev[] = {{"state", 3}, {"restart", 1}};
	struct metrics_snapshot s = {
	    .events_total = 4, .events_by_type = ev, .nevent_types = 2};
	struct metrics_buf b = {0};

	CHECK_EQ_INT(metrics_write(&s, &b), 0);
	CHECK(strstr(b.data, "sextant_events_total{type=\"state\"} 3\n"));
	CHECK(strstr(b.data, "sextant_events_total{type=\"restart\"} 1\n"));
	CHECK(strstr(b.data, "sextant_events_total 4") == NULL);
	metrics_buf_free(&b);
}

int
main(void)
{
	RUN(exact_output);
	RUN(escaping);
	RUN(number_format);
	RUN(histogram_invariants);
	RUN(histogram_bad_bounds);
	RUN(bounded_buffer);
	RUN(events_by_type);
	return TEST_END();
}
