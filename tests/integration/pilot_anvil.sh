#!/bin/sh
# pilot_anvil: sextant-pilot supervising anvil, a real Ethereum execution
# client (peers.md), through the process backend, against a reference
# anvil.  Mining paused on the node (evm_setIntervalMining [0]) makes it
# fall behind: the pilot must measure a lag that grows and restart it
# through the supervisor once the lag is severe.  anvil restarts fresh
# (block 0), so the restart shows as the supervisor's new process and in
# the pilot's log and metrics.
. tests/lib.sh

PILOT=$B/sextant-pilot
TEST=pilot_anvil
. tests/anvil.sh
height() { printf '%d\n' "$(rpc "$1" eth_blockNumber '[]' | jq -r .result)"; }
metric() { curl -s -m 2 "http://127.0.0.1:$HTTP/metrics" | grep -v '^#' |
	grep -F "$1 " | awk '{print $NF}'; }
metric_is() { [ "$(metric "$1")" = "$2" ]; }

anvil_up() { rpc "$1" eth_blockNumber '[]' | grep -q '"result"'; }

# the reference: anvil mining a block a second
for _try in 1 2 3 4 5; do
	REF=$(free_port)
	spawn anvil_ref "$ANVIL" --host 127.0.0.1 --port "$REF" --block-time 1 \
		--silent
	wait_for 20 sh -c "curl -s -m 1 -o /dev/null http://127.0.0.1:$REF/ ||
		grep -q 'in use' '$T/anvil_ref.log'"
	anvil_up "$REF" && break
done
check anvil_ref_up anvil_up "$REF"

# the node: anvil under the pilot's process backend
NODE=$(free_port)
HTTP=$(free_port)
while [ "$NODE" = "$REF" ] || [ "$HTTP" = "$REF" ] || [ "$HTTP" = "$NODE" ]; do
	HTTP=$(free_port)
	NODE=$(free_port)
done
cat >"$T/pilot.ini" <<EOF
[pilot]
name = anvil1
chain = ethereum
interval = 500ms
state_dir = $T/state
[node]
rpc_url = http://127.0.0.1:$NODE
timeout = 1s
[reference]
url = http://127.0.0.1:$REF
timeout = 1s
[supervise]
backend = process
command = $ANVIL
arg = --host
arg = 127.0.0.1
arg = --port
arg = $NODE
arg = --block-time
arg = 1
stop_timeout = 3s
[policy]
check_interval = 1s
moderate_lag = 4
severe_lag = 8
rule_moderate_lag = no
# a fresh anvil starts at block 0: one restart is the whole story
cooldown = 1h
[http]
listen = 127.0.0.1:$HTTP
EOF
spawn pilot "$PILOT" -d -f "$T/pilot.ini"
if wait_for 20 hj "$HTTP" '.reachable and .height >= 2 and .lag != null'; then
	pass pilot_measures_anvil
else
	fail pilot_measures_anvil "$(tail -n 5 "$T/pilot.log")"
fi
node_before=$(height "$NODE")
check node_follows_reference sh -c "[ \$(($(height "$REF") - $node_before)) -lt 4 ]"

# pause mining on the node: it stops, the reference goes on
rpc "$NODE" evm_setIntervalMining '[0]' >/dev/null
paused=$(height "$NODE")
if wait_for 25 metric_is 'sextant_pilot_restarts_total{reason="severe_lag"}' 1; then
	pass severe_lag_restarts_anvil
else
	fail severe_lag_restarts_anvil "$(tail -n 8 "$T/pilot.log")"
fi
# the lag grew check by check before the restart
lags=$(grep -o 'check anvil1: height [0-9]*, lag [0-9]*' "$T/pilot.log" |
	awk '{print $NF}' | tr '\n' ' ')
check lag_grew sh -c "echo '$lags' | tr ' ' '\n' | grep -qx '[5-7]'"
check restart_reason_logged grep -q \
	'restarting node anvil1 (severe_lag): lag [0-9]* blocks >= severe 8' \
	"$T/pilot.log"
check supervisor_restarted grep -q 'node anvil1 restarted' "$T/pilot.log"
# a fresh anvil: mining again from block 0, far below where it paused
fresh() { anvil_up "$NODE" && [ "$(height "$NODE")" -lt "$paused" ]; }
check node_is_fresh wait_for 10 fresh
check peers_unknown_tolerated sh -c "! curl -s -m 1 http://127.0.0.1:$HTTP/metrics | grep -q '^sextant_pilot_node_peers '"
# the cooldown holds: no second restart though the fresh node lags
sleep 3
check one_restart_only metric_is 'sextant_pilot_restarts_total{reason="severe_lag"}' 1
check cooldown_logged grep -q 'none: cooldown: restarted' "$T/pilot.log"
finish
