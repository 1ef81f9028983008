#!/bin/sh
# loadgen_smoke: the commander under concurrency.  20 pilots with real keys
# (tests/bench/loadgen) say hello and send sealed heartbeats to a real
# sextant-commander with fewer contexts than pilots and several pilots per
# connection.  Every request must be answered with a reply that opens
# (env_open_reply: right key, bound to its request), decodes and says ok;
# the commander must drop nothing.  Both of loadgen's transports: nng req0
# contexts sharing connections, and nng's SP framing written by hand.  Then the 1 Hz-style scheduler keeps its
# rate, and a loadgen holding the wrong commander key is refused (no reply)
# and reports it, so the checks above can fail.
. tests/lib.sh

LG=$B/bench/loadgen
C=$T/c.log
[ -x "$LG" ] || { fail loadgen_built "$LG missing (make)"; finish; }

"$B/sextant" keygen -o "$T/commander.key" -C commander >/dev/null 2>&1 &&
	"$B/sextant" keygen -o "$T/other.key" -C other >/dev/null 2>&1 ||
	{ fail keygen; finish; }
check keys_generated "$LG" gen -n 20 -d "$T"
check authorized_has_20 test "$(grep -c '^sextant-ed25519 ' \
	"$T/authorized_pilots")" = 20
check pilot_keys_private test "$(stat -c %a "$T/pilots.keys")" = 600

PORT=$(free_port)
URL=tcp://127.0.0.1:$PORT
cat >"$T/c.ini" <<EOF
[commander]
listen = $URL
key = $T/commander.key
authorized_pilots = $T/authorized_pilots
state_dir = $T/cstate
interval = 1s
stale = 5s
contexts = 4

[api]
listen = http://127.0.0.1:$(free_port)
EOF
spawn c "$B/sextant-commander" -d -f "$T/c.ini"
CPID=$LASTPID
check commander_listens wait_for 10 log_has "$C" "listening on $URL"

# field NAME LINE: the value of NAME=... in loadgen's summary line
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
# between LO HI VALUE
between() { [ "$3" -ge "$1" ] && [ "$3" -le "$2" ]; }

# throughput NAME loadgen-args...: every request answered, opened, ok
throughput() {
	_n=$1
	shift
	out=$("$LG" run -u "$URL" -C "$T/commander.key.pub" \
		-k "$T/pilots.keys" -m throughput -s 2 -w 0.5 -t 5000 \
		-p "$CPID" "$@" 2>"$T/$_n.err")
	rc=$?
	echo "$_n: $out"
	check "${_n}_exit_0" test "$rc" = 0
	check "${_n}_every_hello_ok" test "$(field hello_ok "$out")" = 20
	check "${_n}_no_errors" test "$(field errors "$out")" = 0
	check "${_n}_no_open_failures" test "$(field open "$out")" = 0
	check "${_n}_answered" between 100 100000000 "$(field ok "$out")"
	check "${_n}_cpu_sampled" test -n "$(field cmd_cpu_pct "$out")"
}
# nng req0 as the pilot uses it: 4 pilots' contexts share each of 5
# connections, all 20 in flight at once on the commander's 4 contexts
throughput nng_shared -T nng -c 5 -o 20
# nng's wire format by hand, a connection per pilot
throughput raw -T raw -o 20

# each pilot at 2 Hz, spread evenly: 20 * 2 * 2 s = 80 in the window
out=$("$LG" run -u "$URL" -C "$T/commander.key.pub" -k "$T/pilots.keys" \
	-m rate -r 2 -s 2 -w 0.5 -t 5000 2>"$T/rate.err")
rc=$?
echo "rate: $out"
check rate_exit_0 test "$rc" = 0
check rate_no_errors test "$(field errors "$out")" = 0
check rate_none_late test "$(field late "$out")" = 0
check rate_holds_2hz between 76 84 "$(field ok "$out")"
check rate_every_hello_ok test "$(field hello_ok "$out")" = 20

# as often as the commander asks (interval = 1s): 20 pilots at 1 Hz
out=$("$LG" run -u "$URL" -C "$T/commander.key.pub" -k "$T/pilots.keys" \
	-m rate -r auto -s 2 -w 0.5 -t 5000 2>"$T/auto.err")
echo "auto: $out"
check rate_auto_follows_interval test "$(field hz "$out")" = 1
check rate_auto_no_errors test "$(field errors "$out")" = 0
check rate_auto_holds_1hz between 38 42 "$(field ok "$out")"

check commander_dropped_nothing sh -c "! grep -q 'dropped request' '$C'"
check commander_registered_all test "$(grep -c 'pilot lg-0000[0-9]* registered' \
	"$C")" = 20

# the wrong commander key: sealed for someone else, refused without reply
out=$("$LG" run -u "$URL" -C "$T/other.key.pub" -k "$T/pilots.keys" -n 4 \
	-m throughput -o 4 -s 0.5 -w 0 -t 300 2>"$T/wrong.err")
rc=$?
echo "wrong key: $out"
check wrong_key_exit_1 test "$rc" = 1
check wrong_key_no_hello test "$(field hello_ok "$out")" = 0
check wrong_key_timeouts between 4 100000 "$(field timeout "$out")"
check wrong_key_nothing_measured test "$(field ok "$out")" = 0
check commander_counts_auth_drops wait_for 5 log_has "$C" \
	"dropped request from 127\.0\.0\.1:[0-9]*: auth"

check commander_still_alive kill -0 "$CPID"
[ -n "${VERBOSE:-}" ] && cat "$C" "$T"/*.err
finish
