#!/bin/sh
# probe_anvil: the Ethereum probe against anvil, a real execution client
# (peers.md).  A reference anvil mines a block a second; a second one has
# mining paused, so it falls behind.  The probe must see both, report
# peers unknown (anvil lacks net_peerCount), measure a lag that grows, and
# call a frozen node unreachable within its timeout.
. tests/lib.sh

SX=$B/sextant
TEST=probe_anvil
. tests/anvil.sh
probe() { # URL [extra args]: one JSON line into $T/last.json
	_u=$1
	shift
	"$SX" probe --chain ethereum --url "$_u" "$@" >"$T/last.json"
}
jv() { jq -r "$1" "$T/last.json"; }

# start_anvil LOGNAME: anvil on a free port, again on another if something
# took that port first; sets A_PORT and A_PID.  The binary itself is run
# (not a wrapper) so the PID is anvil's.
start_anvil() {
	for _try in 1 2 3 4 5; do
		A_PORT=$(free_port)
		[ "$A_PORT" = "${PREF:-}" ] && continue
		spawn "$1" "$ANVIL" --host 127.0.0.1 --port "$A_PORT" \
			--block-time 1 --silent
		A_PID=$LASTPID
		wait_for 20 sh -c "'$SX' probe --chain ethereum \
			--url http://127.0.0.1:$A_PORT >/dev/null ||
			grep -q 'in use' '$T/$1.log'"
		probe "http://127.0.0.1:$A_PORT" && return 0
		kill "$A_PID" 2>/dev/null
		wait "$A_PID" 2>/dev/null
	done
	return 1
}

start_anvil anvil_ref
check anvil_ref_up test $? = 0
PREF=$A_PORT
REF_PID=$A_PID
start_anvil anvil_lag
check anvil_lag_up test $? = 0
PLAG=$A_PORT
LAG_PID=$A_PID
REF=http://127.0.0.1:$PREF
LAG=http://127.0.0.1:$PLAG

# 1. a synced node: reachable, a height, not syncing, peers unknown
probe "$REF"
check probe_exit_0 test $? = 0
check reachable test "$(jv .node.reachable)" = true
check no_error test "$(jv .node.error)" = ""
check syncing_false test "$(jv .node.syncing)" = false
check peers_unknown_on_32601 test "$(jv .node.peers_known)" = false
check peers_null test "$(jv .node.peers)" = null
h1=$(jv .node.height)
check height_grows wait_for 10 sh -c \
	"'$SX' probe --chain ethereum --url '$REF' | jq -e '.node.height > $h1'"

# 2. pause mining on one: the lag against the reference appears and grows
rpc "$PLAG" evm_setIntervalMining '[0]' >/dev/null
probe "$LAG" --ref "$REF"
lag0=$(jv .lag)
check ref_answered test "$(jv .reference.answered)" = 1
check lag_appears wait_for 10 sh -c \
	"'$SX' probe --chain ethereum --url '$LAG' --ref '$REF' |
	jq -e '.lag >= $lag0 + 2'"
probe "$LAG" --ref "$REF"
lag1=$(jv .lag)
hl=$(jv .node.height)
hr=$(jv .reference.height)
check lag_is_ref_minus_node test "$lag1" = "$((hr - hl))"
check lag_keeps_growing wait_for 10 sh -c \
	"'$SX' probe --chain ethereum --url '$LAG' --ref '$REF' |
	jq -e '.lag >= $lag1 + 2'"
check paused_height_still test "$(probe "$LAG"; jv .node.height)" = "$hl"

# 3. catch up at once: the lag closes
rpc "$PLAG" anvil_mine "[\"0x$(printf %x $((lag1 + 40)))\"]" >/dev/null
probe "$LAG" --ref "$REF"
check caught_up test "$(jv '.lag <= 0')" = true

# 4. a frozen node: unreachable within the timeout, the pilot not hung
kill -STOP "$LAG_PID"
t0=$(date +%s%N)
probe "$LAG" --timeout 1000 --ref "$REF"
rc=$?
dt=$((($(date +%s%N) - t0) / 1000000))
kill -CONT "$LAG_PID"
check hung_exit_1 test "$rc" = 1
check hung_unreachable test "$(jv .node.reachable)" = false
check hung_error_says_timeout sh -c \
	"jq -r .node.error '$T/last.json' | grep -q 'timeout after 1000 ms'"
check hung_within_timeout test "$dt" -lt 2500
check hung_ref_still_answers test "$(jv .reference.answered)" = 1

# 5. a stopped node: connection refused, at once
kill "$LAG_PID"
wait "$LAG_PID" 2>/dev/null
probe "$LAG"
check dead_refused sh -c \
	"jq -r .node.error '$T/last.json' | grep -q 'connection refused'"
kill "$REF_PID"
finish
