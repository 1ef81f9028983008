#!/bin/sh
# alertmanager: a real Prometheus Alertmanager on loopback takes our alerts
# (POST /api/v2/alerts from the delivery threads) and forwards them to a
# webhook receiver, firing then resolved; the same alerts also go straight
# to the receiver as a generic webhook.  Prints the detection-to-delivery
# latency (p50/p99) of critical alerts with for = 0; the goal is p99 <= 5 s.
. tests/lib.sh

if ! command -v prometheus-alertmanager >/dev/null 2>&1; then
	apt-get install -y --no-install-recommends prometheus-alertmanager \
		>"$T/apt.log" 2>&1 ||
		{ apt-get update >>"$T/apt.log" 2>&1 &&
			apt-get install -y --no-install-recommends \
				prometheus-alertmanager >>"$T/apt.log" 2>&1; }
	if ! command -v prometheus-alertmanager >/dev/null 2>&1; then
		echo "SKIP alertmanager: prometheus-alertmanager cannot be installed"
		tail -n 3 "$T/apt.log"
		exit 0
	fi
fi

HOOK=$(free_port)
spawn sink "$B/bench/webhook_sink" "$HOOK" "$T/records.jsonl" "$T/hook.port"
if ! wait_for 10 test -s "$T/hook.port"; then
	fail webhook_sink_start "$(cat "$T/sink.log")"
	finish
fi

AM=$(free_port)
cat >"$T/am.yml" <<EOF
route:
  receiver: hook
  group_by: ['alertname', 'instance']
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:$HOOK/am
        send_resolved: true
EOF
mkdir -p "$T/am-data"
spawn am prometheus-alertmanager --config.file="$T/am.yml" \
	--storage.path="$T/am-data" --web.listen-address="127.0.0.1:$AM" \
	--cluster.listen-address=
if ! wait_for 20 curl -sf "http://127.0.0.1:$AM/-/ready"; then
	fail alertmanager_start "$(tail -n 5 "$T/am.log")"
	finish
fi
pass alertmanager_start

# the driver: 30 nodes go down at random moments, ticks every second
"$B/bench/alert_drive" -a "http://127.0.0.1:$AM" \
	-w "http://127.0.0.1:$HOOK/direct" -r "$T/records.jsonl" \
	-d "$T/alerts.db" -n "${ALERT_DRIVE_N:-30}" -t 1000 \
	>"$T/drive.out" 2>"$T/drive.err"
rc=$?
cat "$T/drive.out"
[ -s "$T/drive.err" ] && head -n 20 "$T/drive.err"
check alerts_delivered_and_goal_met [ "$rc" = 0 ]

# what the webhook got from Alertmanager: each node firing, then resolved
firing=$(grep '"path":"/am"' "$T/records.jsonl" |
	grep -c '\\"status\\":\\"firing\\"')
resolved=$(grep '"path":"/am"' "$T/records.jsonl" |
	grep -c '\\"status\\":\\"resolved\\"')
check alertmanager_forwarded_firing [ "$firing" -ge 1 ]
check alertmanager_forwarded_resolved [ "$resolved" -ge 1 ]
check alertmanager_labels grep -q \
	'\\"alertname\\":\\"node_down\\"' "$T/records.jsonl"

# Alertmanager itself holds them as resolved/none active now
active=$(curl -sf "http://127.0.0.1:$AM/api/v2/alerts?active=true" |
	grep -o '"alertname":"node_down"' | wc -l)
check alertmanager_none_active [ "$active" = 0 ]

# the deliveries are events in the store
if command -v sqlite3 >/dev/null 2>&1; then
	n=$(sqlite3 "$T/alerts.db" \
		"SELECT count(*) FROM events WHERE message LIKE '%delivered to am%'")
	check delivery_events [ "$n" -ge 1 ]
fi
finish
