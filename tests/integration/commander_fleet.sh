#!/bin/sh
# commander_fleet: the commander's fleet view end to end.  Three pilots,
# each watching a simnode of one network.  Then, one after the other:
# node a falls 60 blocks behind (simnode control), node b crashes (its
# pilot keeps running), and pilot c is killed.  The API (/api/v1/fleet,
# /api/v1/nodes/X), the event history (filtered by node and by type, in
# order) and /metrics show exactly that.  Then the commander restarts:
# every event is still there with the same id, and the event stream
# resumes after a Last-Event-ID.
. tests/lib.sh
. tests/commander.sh

need_built sextant sextant-commander sextant-pilot simnode

CPORT=$(port)
APORT=$(port)
API=http://127.0.0.1:$APORT
GENESIS=$(($(date +%s) * 1000 - 200000))
keys
{
	commander_conf "$CPORT"
	cat <<EOF
stale = 5s

[fleet]
unreachable_after = 3
lag_blocks = 20

[api]
listen = $API
EOF
	for n in a b c; do
		printf '\n[node %s]\nnetwork = f-1\nrole = rpc\n' "$n"
	done
} >"$T/commander.ini"

# a public reference for every pilot: with b down and c gone, a is the
# only healthy node, and the fleet's median alone could not see it behind
RPORT=$(port)
spawn sim_ref "$B/simnode" --flavour cometbft --listen "127.0.0.1:$RPORT" \
	--genesis "$GENESIS" --block-ms 1000 --name ref --network f-1

# node NAME: a simnode, the pilot's key and config
node() {
	_np=$(port)
	_hp=$(port)
	eval "RPC_$1=http://127.0.0.1:$_np"
	spawn "sim_$1" "$B/simnode" --flavour cometbft --listen "127.0.0.1:$_np" \
		--genesis "$GENESIS" --block-ms 1000 --name "$1" --network f-1
	eval "SIM_$1=$LASTPID"
	authorize "$1"
	cat >"$T/$1.ini" <<EOF
[pilot]
name = $1
chain = cometbft
role = rpc
network = f-1
interval = 1s
state_dir = $T/$1.state
key = $T/keys/$1.key

[commander]
url = tcp://127.0.0.1:$CPORT
key = $T/keys/commander.key.pub
timeout = 2s
reconnect_min = 200ms
reconnect_max = 2s

[node]
rpc_url = http://127.0.0.1:$_np
timeout = 500ms

[reference]
url = http://127.0.0.1:$RPORT
timeout = 1s

[http]
listen = http://127.0.0.1:$_hp
EOF
}
for n in a b c; do node "$n"; done
start_commander
for n in a b c; do
	spawn "pilot_$n" "$B/sextant-pilot" -d -f "$T/$n.ini"
	eval "PILOT_$n=$LASTPID"
done

fleet() { curl -s -m 2 "$API/api/v1/fleet"; }
state_of() { fleet | jq -r --arg n "$1" '.nodes[] | select(.name == $n) | .state'; }
state_is() { [ "$(state_of "$1")" = "$2" ]; }
all_up() { for _n in a b c; do state_is "$_n" up || return 1; done; }
# events NODE TYPE: "id message" lines in id order
events() {
	curl -s -m 2 "$API/api/v1/events?node=$1&type=$2&limit=1000" |
		jq -r '.events[] | "\(.id) \(.message)"'
}
# first_id NODE TYPE PATTERN: the id of the first matching event
first_id() { events "$1" "$2" | grep -- "$3" | head -n 1 | cut -d' ' -f1; }
metric() { curl -s -m 2 "$API/metrics" | grep -v '^#' | grep -F "$1" | grep -F "$2" | awk '{print $NF}' | head -n 1; }

if wait_for 30 all_up; then
	pass three_nodes_up
else
	fail three_nodes_up "$(fleet | jq -c '[.nodes[] | {name, state}]')"
fi

# 1. a falls behind and stays there
curl -s -m 2 -o /dev/null "$RPC_a/_sim/lag?blocks=60&hold=1"
check a_lagging wait_for 20 state_is a lagging
check a_node_lag sh -c "curl -s -m 2 '$API/api/v1/nodes/a' | jq -e '.lag >= 50 and .state == \"lagging\" and .status.reachable' >/dev/null"
# 2. b's node crashes; its pilot keeps running and reports it
curl -s -m 2 -o /dev/null "$RPC_b/_sim/crash"
check b_down wait_for 20 state_is b down
check b_pilot_alive kill -0 "$PILOT_b"
check b_node_detail sh -c "curl -s -m 2 '$API/api/v1/nodes/b' | jq -e '.connected and (.status.reachable | not)' >/dev/null"
# 3. c's pilot is killed
kill -9 "$PILOT_c"
check c_unreachable wait_for 20 state_is c unreachable

fleet >"$T/fleet.json"
check fleet_exactly sh -c "jq -e '[.nodes[] | {(.name): .state}] | add ==
	{\"a\": \"lagging\", \"b\": \"down\", \"c\": \"unreachable\"}' '$T/fleet.json' >/dev/null"
check fleet_connected sh -c "jq -e '[.nodes[] | {(.name): .connected}] | add ==
	{\"a\": true, \"b\": true, \"c\": false}' '$T/fleet.json' >/dev/null"
check fleet_network_ref sh -c "jq -e '.networks[] | select(.name == \"f-1\") | .ref_height > 0' '$T/fleet.json' >/dev/null"

# the events, by node and type, in the order things happened
ia=$(first_id a state_change '-> lagging')
ib=$(first_id b state_change '-> down')
ic=$(first_id c unreachable '')
echo "  events: a lagging #$ia, b down #$ib, c unreachable #$ic"
check events_a_lagging [ -n "$ia" ]
check events_b_down [ -n "$ib" ]
check events_c_unreachable [ -n "$ic" ]
check events_in_order sh -c "[ ${ia:-0} -lt ${ib:-0} ] && [ ${ib:-0} -lt ${ic:-0} ]"
check events_filter_node sh -c "curl -s -m 2 '$API/api/v1/events?node=a&limit=1000' | jq -e '[.events[].node] | unique == [\"a\"]' >/dev/null"
check events_filter_type sh -c "curl -s -m 2 '$API/api/v1/events?type=unreachable&limit=1000' | jq -e '[.events[].type] | unique == [\"unreachable\"]' >/dev/null"
check events_ids_increase sh -c "curl -s -m 2 '$API/api/v1/events?limit=1000' | jq -e '[.events[].id] as \$i | \$i == (\$i | sort) and (\$i | length) > 10' >/dev/null"
check events_registered_three sh -c "[ \$(curl -s -m 2 '$API/api/v1/events?type=registered&limit=1000' | jq '[.events[].node] | unique | length') = 3 ]"

# the metrics say the same
check metric_a_lagging [ "$(metric 'sextant_node_state{' 'node="a"' | head -n 1)" != "" ]
check metric_state_a sh -c "curl -s -m 2 '$API/metrics' | grep -E '^sextant_node_state\{.*node=\"a\".*state=\"lagging\".*\} 1$' | grep -q ."
check metric_state_b sh -c "curl -s -m 2 '$API/metrics' | grep -E '^sextant_node_state\{.*node=\"b\".*state=\"down\".*\} 1$' | grep -q ."
check metric_state_c sh -c "curl -s -m 2 '$API/metrics' | grep -E '^sextant_node_state\{.*node=\"c\".*state=\"unreachable\".*\} 1$' | grep -q ."
check metric_lag_a sh -c "curl -s -m 2 '$API/metrics' | grep -E '^sextant_node_lag_blocks\{.*node=\"a\".*\} ([5-9][0-9]|[0-9]{3,})$' | grep -q ."
check metric_up_c sh -c "curl -s -m 2 '$API/metrics' | grep -E '^sextant_node_up\{.*node=\"c\".*\} 0$' | grep -q ."

# 4. a commander restart loses nothing
curl -s -m 2 "$API/api/v1/events?limit=1000" |
	jq -r '.events[] | "\(.id) \(.type) \(.node) \(.message)"' >"$T/before"
nb=$(wc -l <"$T/before")
kill "$CPID"
wait_for 10 sh -c "! kill -0 $CPID 2>/dev/null" || fail commander_stops
spawn commander2 "$B/sextant-commander" -d -f "$T/commander.ini"
CPID=$LASTPID
check commander_restarts wait_for 10 log_has "$T/commander2.log" "api on $API"
curl -s -m 2 "$API/api/v1/events?limit=1000" |
	jq -r '.events[] | "\(.id) \(.type) \(.node) \(.message)"' >"$T/after"
check events_survive_restart sh -c "[ $nb -gt 10 ] && head -n $nb '$T/after' | cmp -s - '$T/before'"
check restart_recorded grep -q ' commander  commander stopping$' "$T/after"
# pilots a and b say hello again
check a_reregisters wait_for 15 log_has "$T/commander2.log" "pilot a registered from"
check b_reregisters wait_for 15 log_has "$T/commander2.log" "pilot b registered from"

# 5. the stream resumes after Last-Event-ID
mid=$(sed -n "$((nb / 2))p" "$T/before" | cut -d' ' -f1)
curl -s -N -m 3 -H "Last-Event-ID: $mid" "$API/api/v1/events/stream" \
	>"$T/stream" 2>/dev/null
first=$(sed -n 's/^id: //p' "$T/stream" | head -n 1)
check sse_resumes_after_last_id [ "$first" = "$((mid + 1))" ]
check sse_same_events sh -c "sed -n 's/^id: //p' '$T/stream' | head -n 5 |
	cmp -s - \"\$(awk -v m=$mid '\$1 > m { print \$1 }' '$T/before' | head -n 5 >'$T/want'; echo '$T/want')\""
[ -n "${VERBOSE:-}" ] && cat "$T/commander.log"
finish
