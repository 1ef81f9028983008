#!/bin/sh
# metrics_promtool: the commander's /metrics passes `promtool check metrics`,
# and a real Prometheus scraping it on loopback sees the target up and
# answers a query with sextant metrics.
#
# The API runs over a fabricated fleet (build/bench/api_fixture: the real
# fleet model, store and API, five nodes heartbeating once a second) until
# sextant-commander starts the API itself.
. tests/lib.sh

RT=read-token-0123456789abcdef

if ! command -v promtool >/dev/null 2>&1 ||
	! command -v prometheus >/dev/null 2>&1; then
	apt-get install -y --no-install-recommends prometheus \
		>"$T/apt.log" 2>&1
	if ! command -v promtool >/dev/null 2>&1; then
		echo "SKIP metrics_promtool: prometheus cannot be installed"
		tail -n 3 "$T/apt.log"
		exit 0
	fi
fi

spawn fixture "$B/bench/api_fixture" -s "$T/events.db" -p "$T/port" -r "$RT"
if ! wait_for 10 test -s "$T/port"; then
	fail fixture_start "$(cat "$T/fixture.log")"
	finish
fi
PORT=$(cat "$T/port")
API=http://127.0.0.1:$PORT

# a few heartbeats so every family has samples
wait_for 10 sh -c "curl -sf -H 'Authorization: Bearer $RT' $API/metrics |
	grep -q '^sextant_block_propagation_spread_seconds_count'"
curl -sf -H "Authorization: Bearer $RT" "$API/metrics" >"$T/metrics.txt"
check metrics_served test -s "$T/metrics.txt"
check metrics_need_read_token sh -c \
	"[ \"\$(curl -s -o /dev/null -w '%{http_code}' $API/metrics)\" = 401 ]"

promtool check metrics <"$T/metrics.txt" >"$T/promtool.out" 2>&1
rc=$?
if [ "$rc" = 0 ]; then
	pass promtool_check_metrics
else
	fail promtool_check_metrics "exit $rc: $(head -n 5 "$T/promtool.out")"
fi
# the check can fail: the same text without its final newline is refused
head -c -1 "$T/metrics.txt" | promtool check metrics >/dev/null 2>&1
check promtool_refuses_truncated [ $? = 1 ]

for fam in sextant_node_up sextant_node_state sextant_node_height \
	sextant_node_lag_blocks sextant_node_peers \
	sextant_node_restarts_total sextant_fleet_reference_height \
	sextant_block_propagation_spread_seconds sextant_events_total \
	sextant_ingest_heartbeats_total; do
	n=$(grep -c "^# TYPE $fam " "$T/metrics.txt")
	check "family_once_$fam" [ "$n" = 1 ]
done
check lagging_node_state grep -q \
	'^sextant_node_state{node="sentry1",group="",role="sentry",network="chain-1",state="lagging"} 1$' \
	"$T/metrics.txt"
check down_node_up_0 grep -q \
	'^sextant_node_up{node="rpc1",group="",role="rpc",network="chain-1"} 0$' \
	"$T/metrics.txt"

# a real Prometheus scrapes it
PP=$(free_port)
cat >"$T/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: sextant
    authorization:
      credentials: $RT
    static_configs:
      - targets: ['127.0.0.1:$PORT']
YML
spawn prometheus prometheus --config.file="$T/prometheus.yml" \
	--storage.tsdb.path="$T/tsdb" --web.listen-address="127.0.0.1:$PP"
PROM=http://127.0.0.1:$PP
target_up() {
	curl -s "$PROM/api/v1/targets" >"$T/targets.json" 2>/dev/null &&
		grep -q '"health":"up"' "$T/targets.json"
}
if wait_for 60 target_up; then
	pass prometheus_target_up
else
	fail prometheus_target_up "$(cat "$T/targets.json" 2>/dev/null)"
fi
query_has_val1() {
	curl -s "$PROM/api/v1/query?query=sextant_node_up%7Bnode%3D%22val1%22%7D" \
		>"$T/query.json" 2>/dev/null &&
		grep -q '"status":"success"' "$T/query.json" &&
		grep -q '"node":"val1"' "$T/query.json" &&
		grep -q '"1"\]' "$T/query.json"
}
if wait_for 30 query_has_val1; then
	pass prometheus_query_sextant_node_up
else
	fail prometheus_query_sextant_node_up "$(cat "$T/query.json")"
fi
hist_count() {
	curl -s "$PROM/api/v1/query?query=sextant_block_propagation_spread_seconds_count" \
		>"$T/hist.json" 2>/dev/null &&
		grep -q '"network":"chain-1"' "$T/hist.json"
}
check prometheus_query_histogram wait_for 20 hist_count
finish
