#!/bin/sh
# transport: a commander and two pilots (each with its simnode) exchange
# sealed heartbeats on loopback while a third pilot, whose key is not in
# authorized_pilots, is refused: the commander logs and counts each refusal
# with the peer's address, and the two good pilots keep being served.  Then
# a pilot restart (its request counter must survive) and a commander
# restart (the pilots must register again) keep the channel working.
OWN_TMPDIR=transport
. tests/lib.sh
. tests/commander.sh

C=$T/c.log
not() { ! "$@"; }
CPORT=$(port)
CURL=tcp://127.0.0.1:$CPORT
GENESIS=$(($(date +%s) * 1000 - 100000))

keys p1 p2
keygen p3 # deliberately not authorized
{
	commander_conf "$CPORT"
	echo "stale = 5s"
} >"$T/c.ini"

# pilot NAME SIMNODE_PORT
pilot_conf() {
	cat >"$T/$1.ini" <<EOF
[pilot]
name = $1
chain = cometbft
role = validator
network = test-1
group = g1
interval = 300ms
state_dir = $T/$1.state
key = $T/keys/$1.key

[commander]
url = $CURL
key = $T/keys/commander.key.pub
timeout = 1s
reconnect_min = 100ms
reconnect_max = 1s

[node]
rpc_url = http://127.0.0.1:$2
timeout = 1s

# several pilots share this host: each its own /health port
[http]
listen = http://127.0.0.1:$(port)
EOF
}

N1=$(port)
N2=$(port)
spawn n1 "$B/simnode" --flavour cometbft --listen "127.0.0.1:$N1" \
	--genesis "$GENESIS" --name n1 --network test-1
spawn n2 "$B/simnode" --flavour cometbft --listen "127.0.0.1:$N2" \
	--genesis "$GENESIS" --name n2 --network test-1
pilot_conf p1 "$N1"
pilot_conf p2 "$N2"
pilot_conf p3 "$N1"

check commander_config_ok "$B/sextant-commander" -n -f "$T/c.ini"
check pilot_config_ok "$B/sextant-pilot" -n -f "$T/p1.ini"

spawn c "$B/sextant-commander" -d -v -f "$T/c.ini"
CPID=$LASTPID
check commander_listens wait_for 10 log_has "$C" "listening on $CURL"
spawn p1 "$B/sextant-pilot" -d -f "$T/p1.ini"
P1PID=$LASTPID
spawn p2 "$B/sextant-pilot" -d -f "$T/p2.ini"
spawn p3 "$B/sextant-pilot" -d -f "$T/p3.ini"
P3PID=$LASTPID

check p1_registers wait_for 10 log_has "$C" \
	"pilot p1 registered from 127\.0\.0\.1:[0-9]* (cometbft validator, network test-1"
check p2_registers wait_for 10 log_has "$C" \
	"pilot p2 registered from 127\.0\.0\.1:[0-9]*"

# the unlisted pilot: refused with its address, counted, never registered
check p3_refused_with_address wait_for 10 log_has "$C" \
	"dropped request from 127\.0\.0\.1:[0-9]*: unknown: key .* not in authorized_pilots"
check p3_refusals_counted wait_for 10 log_has "$C" \
	"ingest: received [0-9]* replied [0-9]* dropped unknown [1-9]"
check p3_never_registered not log_has "$C" "pilot p3 registered"
check p3_gets_no_reply wait_for 10 log_has "$T/p3.log" \
	"commander $CURL: hello no reply in time"

# after_refusals NAME N: N heartbeats of NAME accepted after the 3rd
# refusal, so the two good pilots were served while p3 kept knocking
after_refusals() {
	_cnt=$(awk -v who="heartbeat from $1 " '
		/dropped request from .*unknown/ { r++ }
		r >= 3 && index($0, who) && /accepted/ { n++ }
		END { print n + 0 }' "$C")
	[ "$_cnt" -ge "$2" ]
}
wait_for 10 awk '/dropped request from .*unknown/ { r++ } END { exit r < 3 }' \
	"$C"
check p1_served_after_refusals wait_for 10 after_refusals p1 5
check p2_served_after_refusals wait_for 10 after_refusals p2 5
check commander_logs_height_lag wait_for 10 log_has "$C" \
	"node p1 height [0-9]* no reference fleet-lag [0-9-]* (fleet [1-9]"
check pilot_logs_fleet_lag wait_for 10 log_has "$T/p1.log" \
	"node p1 height [0-9]* fleet-lag [0-9-]* (fleet [1-9]"
check no_auth_or_replay_drops_for_good_pilots \
	not grep -q "claims to be pilot p[12]" "$C"

# pilot restart: the counter file keeps it above what it sent before
kill "$P1PID"
check p1_stops_on_term wait_for 5 log_has "$T/p1.log" "Terminated: stopping"
c1=$(cat "$T/p1.state/commander.counter")
spawn p1b "$B/sextant-pilot" -d -f "$T/p1.ini"
check p1_reregisters wait_for 10 log_has "$C" "pilot p1 re-registered from"
check p1_counter_grows wait_for 5 sh -c \
	"test \$(cat '$T/p1.state/commander.counter') -gt $c1"
n=$(grep -c "heartbeat from p1 .*accepted" "$C")
check p1_served_after_restart wait_for 10 sh -c \
	"test \$(grep -c 'heartbeat from p1 .*accepted' '$C') -ge $((n + 3))"

# commander restart: it forgets registrations; the pilots say hello again
kill "$CPID"
check commander_stops_on_term wait_for 5 log_has "$C" "Terminated: stopping"
wait_for 5 sh -c "! kill -0 $CPID 2>/dev/null"
spawn c2 "$B/sextant-commander" -d -v -f "$T/c.ini"
C2=$T/c2.log
check p1_registers_with_new_commander wait_for 15 log_has "$C2" \
	"pilot p1 registered from"
check p2_registers_with_new_commander wait_for 15 log_has "$C2" \
	"pilot p2 registered from"
check p3_still_refused wait_for 10 log_has "$C2" "unknown: key"

# a clean stop of a pilot while its request hangs on no commander
kill "$P3PID"
check p3_stops_promptly wait_for 3 sh -c "! kill -0 $P3PID 2>/dev/null"

[ -n "${VERBOSE:-}" ] && cat "$C" "$T/p1.log" "$T/p3.log"
finish
