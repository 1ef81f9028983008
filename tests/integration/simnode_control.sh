#!/bin/sh
# simnode_control: the control verbs change what the RPC and the log say
# (lag then catch up, lag and hold, stall, resume, hang, major sync, peers,
# crash), the HTTP server keeps its promises (keep-alive, Content-Length,
# 413 over 64 KiB, many connections), and the process stops cleanly on
# SIGTERM, also as PID 1 of a PID namespace, as in a container.
. tests/lib.sh

SIM=$B/simnode
BMS=200
G=$(($(date +%s%3N) - 60000))

# start NAME FLAVOUR [args]: a simnode on a fresh port; sets P and SPID.
# Retries when another process took the port first.
start() {
	_n=$1
	_f=$2
	shift 2
	for _try in 1 2 3; do
		P=$(free_port)
		spawn "$_n" "$SIM" --flavour "$_f" --listen "127.0.0.1:$P" \
			--genesis "$G" --block-ms "$BMS" --name "$_n" "$@"
		SPID=$LASTPID
		wait_for 5 sh -c "curl -sf -m 1 http://127.0.0.1:$P/_sim/state ||
			! kill -0 $SPID" 2>/dev/null
		kill -0 "$SPID" 2>/dev/null && return 0
	done
	return 1
}
ctl() { curl -sf -m 3 -X POST "http://127.0.0.1:$P/_sim/$1" >"$T/ctl.json"; }
state() { curl -s -m 3 "http://127.0.0.1:$P/_sim/state" | jq -r "$1"; }
height() { curl -s -m 3 "http://127.0.0.1:$P/status" |
	jq -r .result.sync_info.latest_block_height; }
lag() { state .lag; }
lag_between() {
	_l=$(lag)
	[ "$_l" -ge "$1" ] && [ "$_l" -le "$2" ] || { echo "  lag $_l not in [$1, $2]"; return 1; }
}
is() { [ "$1" = "$2" ] || { echo "  got '$1', want '$2'"; return 1; }; }

check control_up start c1 cometbft --catchup-rate 20
# lag N: falls N behind at once, then catches up at the catch-up rate
check lag_verb ctl 'lag?blocks=60'
check lag_reported is "$(jq -r .mode "$T/ctl.json")" catching_up
lt=$(state .tip); lh=$(height); lj=$(jq .height "$T/ctl.json")
check lag_visible_in_rpc sh -c "[ $((lt - lh)) -ge 30 ] || { echo \"  tip $lt rpc height $lh ctl height $lj\"; exit 1; }"
check lag_catches_up wait_for 10 lag_between 0 1
check lag_catchup_logged log_has "$T/c1.log" 'control: lag 60 blocks'
# lag N with hold: stays N behind while the tip moves on
ctl 'lag?blocks=30&hold=1'
check hold_mode is "$(jq -r .mode "$T/ctl.json")" lagging
h0=$(height)
wait_for 5 sh -c "[ \$(curl -s http://127.0.0.1:$P/_sim/state | jq .height) -ge $((h0 + 5)) ]"
check hold_still_behind lag_between 29 31
# gradual lag: no jump back; falls behind by not importing
ctl resume
wait_for 10 lag_between 0 1
hg=$(height)
ctl 'lag?blocks=5&gradual=1&hold=1'
check gradual_no_jump_back sh -c "[ $(height) -ge $hg ]"
check gradual_reaches_lag wait_for 5 lag_between 5 6
sleep 0.5
check gradual_holds lag_between 5 6
# stall: the height stops while the tip moves on; resume catches up
ctl resume
wait_for 10 lag_between 0 1
check stall_verb ctl stall
check stall_mode is "$(jq -r .mode "$T/ctl.json")" stalled
hs=$(height)
check stall_falls_behind wait_for 5 lag_between 8 1000000
check stall_height_fixed is "$(height)" "$hs"
check resume_verb ctl resume
check resume_catches_up wait_for 10 lag_between 0 1
# rate 0 then resume: lag stays (falling behind), restoring the rate heals
ctl 'rate?blocks_per_s=0'
ctl 'lag?blocks=20'
sleep 0.5
check rate_zero_no_catchup lag_between 20 40
ctl 'rate?blocks_per_s=100'
check rate_restored_catches_up wait_for 10 lag_between 0 1
check bad_param_400 is "$(curl -s -o /dev/null -w '%{http_code}' \
	"http://127.0.0.1:$P/_sim/lag?blocks=-3")" 400
check unknown_verb_404 is "$(curl -s -o /dev/null -w '%{http_code}' \
	"http://127.0.0.1:$P/_sim/explode")" 404

# major sync: catching_up and the log lines of aleph-node
check major_enter ctl major-sync/enter
check major_catching_up is "$(curl -s "http://127.0.0.1:$P/status" |
	jq -r .result.sync_info.catching_up)" true
check major_log_enter log_has "$T/c1.log" 'Switched to major sync state\.'
check major_leave ctl major-sync/leave
check major_log_leave log_has "$T/c1.log" 'No longer in major sync state\.'
check major_not_catching_up is "$(curl -s "http://127.0.0.1:$P/status" |
	jq -r .result.sync_info.catching_up)" false
# peers
ctl 'peers?n=0'
check peers_zero is "$(curl -s "http://127.0.0.1:$P/net_info" |
	jq -r .result.n_peers)" 0
ctl 'peers?n=12'

# hang: RPC accepts but never answers (a probe times out), control answers;
# unhang answers the request that was held.
check hang_verb ctl hang
curl -s -m 1 -o /dev/null "http://127.0.0.1:$P/status"
check hang_rpc_times_out is "$?" 28
check hang_control_answers is "$(state .hung)" true
curl -s -m 10 -o "$T/held.json" -w '%{http_code}' \
	"http://127.0.0.1:$P/health" >"$T/held.code" &
HELD=$!
sleep 0.3
check unhang_verb ctl unhang
wait $HELD
check unhang_answers_held_request is "$(cat "$T/held.code")" 200
check unhang_rpc_again is "$(curl -s -m 2 "http://127.0.0.1:$P/health" |
	jq -c .result)" '{}'

# HTTP: keep-alive reuses one connection; a body over 64 KiB gets 413;
# many concurrent connections are all answered.
curl -sv "http://127.0.0.1:$P/health" "http://127.0.0.1:$P/health" \
	>/dev/null 2>"$T/ka"
check keepalive_reuse grep -q 'Re-using existing connection' "$T/ka"
head -c 70000 /dev/zero | tr '\0' 'a' >"$T/big"
check oversized_413 is "$(curl -s -o /dev/null -w '%{http_code}' \
	--data-binary @"$T/big" "http://127.0.0.1:$P/")" 413
check oversized_413_expect is "$(curl -s -o /dev/null -w '%{http_code}' \
	-H 'Expect: 100-continue' --data-binary @"$T/big" \
	"http://127.0.0.1:$P/")" 413
check bad_request_400 is "$(curl -s -o /dev/null -w '%{http_code}' \
	--request-target 'no-slash' "http://127.0.0.1:$P/")" 400
i=0
while [ $i -lt 50 ]; do
	curl -s -m 5 -o /dev/null -w '%{http_code}\n' \
		"http://127.0.0.1:$P/status" >>"$T/many" &
	i=$((i + 1))
done
wait_for 10 sh -c "[ \$(grep -c 200 '$T/many') -eq 50 ]"
check concurrent_50 is "$(grep -c '^200$' "$T/many")" 50
check content_length_exact sh -c "curl -s -D '$T/h2' -o '$T/b2' \
	http://127.0.0.1:$P/status && [ \$(grep -i '^Content-Length:' '$T/h2' |
	tr -dc 0-9) -eq \$(wc -c <'$T/b2') ]"

# separate control listener, verbs with or without the /_sim prefix
CP=$(free_port)
spawn c2 "$SIM" --flavour substrate --listen "127.0.0.1:$(free_port)" \
	--control "127.0.0.1:$CP" --genesis "$G" --block-ms "$BMS" --hang
wait_for 5 curl -sf -m 1 "http://127.0.0.1:$CP/state"
check control_port_plain_path is "$(curl -s "http://127.0.0.1:$CP/state" |
	jq -r .hung)" true
check control_port_sim_path is "$(curl -s -X POST \
	"http://127.0.0.1:$CP/_sim/unhang" | jq -r .hung)" false

# start options: lagging, stalled, in major sync
start c3 substrate --lag 40 --lag-hold
sleep 0.5
check start_lag_hold is "$(state .lag)" 40
start c4 substrate --stalled --major-sync
check start_stalled is "$(state .mode)" stalled
check start_major_sync is "$(curl -s -d \
	'{"jsonrpc":"2.0","id":1,"method":"system_health"}' \
	"http://127.0.0.1:$P/" | jq -r .result.isSyncing)" true
check start_major_log log_has "$T/c4.log" 'Switched to major sync state\.'
# --major-sync-above: major sync by itself while far behind
start c5 substrate --major-sync-above 10 --catchup-rate 20
ctl 'lag?blocks=50'
check auto_major_sync_on wait_for 3 log_has "$T/c5.log" \
	'Switched to major sync state\.'
check auto_major_sync_off wait_for 10 log_has "$T/c5.log" \
	'No longer in major sync state\.'

# crash: exits at once with a nonzero status (like a dying node)
start c6 ethereum
C6=$SPID
check crash_answers ctl 'crash?code=3'
wait_for 3 sh -c "! kill -0 $C6 2>/dev/null"
wait "$C6"
check crash_exit_status is "$?" 3

# --exit-after: a node that dies by itself (crash loops for supervisors)
spawn c9 "$SIM" --flavour substrate --listen 127.0.0.1:0 --genesis "$G" \
	--block-ms "$BMS" --exit-after 400 --exit-code 9
C9=$LASTPID
check exit_after_dies wait_for 3 sh -c "! kill -0 $C9 2>/dev/null"
wait "$C9"
check exit_after_status is "$?" 9
check exit_after_logged log_has "$T/c9.log" 'exiting with status 9'

# SIGTERM: exit 0 promptly, pidfile removed
start c7 beacon --pidfile "$T/c7.pid"
check pidfile_written is "$(cat "$T/c7.pid")" "$SPID"
kill -TERM "$SPID"
wait_for 2 sh -c "! kill -0 $SPID 2>/dev/null"
wait "$SPID"
check sigterm_exit_0 is "$?" 0
check sigterm_pidfile_removed test ! -e "$T/c7.pid"

# PID 1 (a fresh PID namespace, as in a container): SIGTERM still works.
P8=$(free_port)
spawn c8 unshare --pid --fork "$SIM" --flavour cometbft \
	--listen "127.0.0.1:$P8" --genesis "$G" --block-ms "$BMS"
U=$LASTPID
if wait_for 5 curl -sf -m 1 "http://127.0.0.1:$P8/_sim/state"; then
	check pid1_is_pid_1 is "$(curl -s "http://127.0.0.1:$P8/_sim/state" |
		jq .pid)" 1
	INNER=$(cat "/proc/$U/task/$U/children" | tr -d ' ')
	kill -TERM "$INNER"
	check pid1_sigterm_stops wait_for 2 sh -c "! kill -0 $U 2>/dev/null"
	wait "$U"
	check pid1_exit_0 is "$?" 0
else
	echo "SKIP pid1: unshare --pid is not permitted here"
fi

finish
