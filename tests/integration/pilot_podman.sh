#!/bin/sh
# pilot_podman: sextant-pilot supervising a simnode container through the
# Docker Engine API (podman's compatible service: a real engine, recipe in
# shared/reference/peers.md).  The node's height comes from its container
# logs ("Imported #N (0x..)", the log rules), measured against a reference
# simnode on the host.  The container falls behind (simnode's lag control):
# the pilot restarts it through the engine and reads its logs again.
#
# pilot_standalone.sh sources this file with PILOT_PODMAN_SETUP_ONLY=1 for
# the engine, the image and the reference, then runs its own scenario.
. tests/lib.sh

TEST=${TEST_NAME:-pilot_podman}
. tests/podman.sh

metric() { # PORT 'name{labels}': the sample's value
	curl -s -m 2 "http://127.0.0.1:$1/metrics" | grep -v '^#' |
		grep -F "$2 " | head -n 1 | awk '{print $NF}'
}
metric_is() { [ "$(metric "$1" "$2")" = "$3" ]; }
started_at() {
	curl -s -m 2 --unix-socket "$SOCK" "http://d/v1.41/containers/$1/json" |
		jq -r .State.StartedAt
}
ctl() { curl -s -m 2 -o /dev/null "http://127.0.0.1:$1/_sim/$2"; }

# The reference: simnode on the host, same timeline (genesis, block time).
BLOCK_MS=500
REF=$(free_port)
spawn ref "$B/simnode" --flavour substrate --listen "127.0.0.1:$REF" \
	--block-ms $BLOCK_MS
wait_for 10 curl -s -m 1 -o /dev/null "http://127.0.0.1:$REF/_sim/state" ||
	{ fail ref_starts "$(tail -n 3 "$T/ref.log")"; finish; }

# node_container NAME: a simnode container on the host network; sets NODE
node_container() {
	NODE=$(free_port)
	while [ "$NODE" = "$REF" ]; do NODE=$(free_port); done
	# exec: simnode is PID 1 and ends on SIGTERM (sh would ignore it)
	podman create --name "$1" --network host localhost/sxt-simnode:latest \
		/bin/sh -c "exec /simnode --flavour substrate \
		--listen 127.0.0.1:$NODE --block-ms $BLOCK_MS --name $1" \
		>>"$T/create.log" 2>&1 &&
		podman start "$1" >>"$T/create.log" 2>&1 ||
		{ fail "podman create $1" "$(cat "$T/create.log")"; finish; }
	wait_for 15 curl -s -m 1 -o /dev/null "http://127.0.0.1:$NODE/_sim/state" ||
		fail "${1}_container_answers" "$(podman logs "$1" 2>&1 | tail -n 3)"
}

[ -n "${PILOT_PODMAN_SETUP_ONLY:-}" ] && return 0

node_container node1
HTTP=$(free_port)
cat >"$T/pilot.ini" <<EOF
[pilot]
name = node1
chain = substrate
interval = 500ms
state_dir = $T/state
# no [node] rpc_url: the height comes from the container's log lines

[reference]
url = http://127.0.0.1:$REF
timeout = 1s

[supervise]
backend = docker
target = node1
docker_host = unix://$SOCK
stop_timeout = 5s

[policy]
check_interval = 1s
moderate_lag = 10
severe_lag = 30
cooldown = 1h

[http]
listen = 127.0.0.1:$HTTP
EOF
spawn pilot "$B/sextant-pilot" -d -f "$T/pilot.ini"
if wait_for 20 hj "$HTTP" '.up and .height > 0 and .lag != null and .lag < 4'; then
	pass pilot_reads_container_logs
else
	fail pilot_reads_container_logs "$(tail -n 5 "$T/pilot.log")"
fi
check log_lines_counted sh -c "[ \"\$(curl -s -m 1 http://127.0.0.1:$HTTP/metrics | sed -n 's/^sextant_pilot_log_lines_total //p')\" -gt 0 ]"
check session_from_logs sh -c "curl -s -m 1 http://127.0.0.1:$HTTP/metrics | grep -q '^sextant_pilot_node_session [0-9]'"
# the height the logs give is the container's own
h_logs=$(curl -s -m 1 "http://127.0.0.1:$HTTP/health" | jq -r .height)
h_rpc=$(curl -s -m 1 "http://127.0.0.1:$NODE/_sim/state" | jq -r .height)
check log_height_is_node_height [ $((h_rpc - h_logs)) -le 4 ] 
at0=$(started_at node1)

# the container falls behind: restarted through the engine
ctl "$NODE" 'lag?blocks=60&hold=1'
if wait_for 10 metric_is "$HTTP" 'sextant_pilot_restarts_total{reason="severe_lag"}' 1; then
	pass container_restarted_on_lag
else
	fail container_restarted_on_lag "$(tail -n 5 "$T/pilot.log")"
fi
check engine_started_it_again wait_for 10 sh -c \
	"[ \"\$(curl -s -m 2 --unix-socket '$SOCK' http://d/v1.41/containers/node1/json | jq -r .State.StartedAt)\" != '$at0' ]"
check restart_logged grep -q 'restarting node node1 (severe_lag): lag [0-9]* blocks >= severe 30' "$T/pilot.log"
# after the restart the logs go on: the height catches up
check logs_read_after_restart wait_for 15 hj "$HTTP" '.up and .lag != null and .lag < 4'
check lag_measured_from_logs grep -q 'check node1: height [0-9]*, lag [3-9][0-9] blocks' "$T/pilot.log"

# a stopped container is restarted (the exited rule), once the cooldown
# allows: here a second pilot with no cooldown watches node2
node_container node2
HTTP2=$(free_port)
sed -e "s/^name = node1/name = node2/" -e "s/^target = node1/target = node2/" \
	-e "s/^cooldown = 1h/cooldown = 0/" -e "s/^listen = .*/listen = 127.0.0.1:$HTTP2/" \
	-e "s#^state_dir = .*#state_dir = $T/state2#" \
	"$T/pilot.ini" >"$T/pilot2.ini"
spawn pilot2 "$B/sextant-pilot" -d -f "$T/pilot2.ini"
wait_for 20 hj "$HTTP2" '.up and .height > 0' ||
	fail pilot2_starts "$(tail -n 5 "$T/pilot2.log")"
podman stop -t 2 node2 >/dev/null 2>&1
if wait_for 15 metric_is "$HTTP2" 'sextant_pilot_restarts_total{reason="exited"}' 1; then
	pass stopped_container_restarted
else
	fail stopped_container_restarted "$(tail -n 5 "$T/pilot2.log")"
fi
check stopped_container_runs_again wait_for 10 sh -c \
	"curl -s -m 2 --unix-socket '$SOCK' http://d/v1.41/containers/node2/json | jq -e '.State.Running' >/dev/null"
finish
