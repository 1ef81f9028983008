#!/bin/sh
# probe_simnode: the pilot's probe of every chain family against simnode
# speaking that family's RPC: height, peers and sync state as the node
# reports them, the lag against a reference simnode, a hung RPC found
# unreachable within the timeout, a crashed one refused, and Bitcoin's
# password and cookie auth.
. tests/lib.sh

SX=$B/sextant
SIM=$B/simnode
# probe CHAIN URL [args]: one JSON line into $T/last.json; probe's status
probe() {
	_c=$1
	_u=$2
	shift 2
	"$SX" probe --chain "$_c" --url "$_u" "$@" >"$T/last.json"
}
jv() { jq -r "$1" "$T/last.json"; }
ctl() { curl -s -m 2 -o /dev/null "http://127.0.0.1:$1/$2"; }
# probe_until SECONDS JQ-EXPR CHAIN URL [args]: poll until the expression
# holds on the probe's output
probe_until() {
	_s=$1
	_e=$2
	shift 2
	wait_for "$_s" sh -c "'$SX' probe --chain $* | jq -e '$_e'"
}

# start_sim LOGNAME FLAVOUR [args]: simnode on free ports, started again on
# others when a process elsewhere took a port first.  Sets SIM_PORT,
# SIM_CTL (its control port) and SIM_PID.
start_sim() {
	_n=$1
	_f=$2
	shift 2
	for _try in 1 2 3 4 5; do
		SIM_PORT=$(port)
		SIM_CTL=$(port)
		spawn "$_n" "$SIM" --flavour "$_f" --listen "127.0.0.1:$SIM_PORT" \
			--control "127.0.0.1:$SIM_CTL" "$@"
		SIM_PID=$LASTPID
		_i=0
		while [ $_i -lt 100 ]; do
			curl -s -m 1 -o /dev/null \
				"http://127.0.0.1:$SIM_CTL/state" && return 0
			grep -q "in use" "$T/$_n.log" 2>/dev/null && break
			sleep 0.1
			_i=$((_i + 1))
		done
		kill "$SIM_PID" 2>/dev/null
		wait "$SIM_PID" 2>/dev/null
	done
	return 1
}

for f in cometbft substrate ethereum beacon bitcoin; do
	auth=""
	[ "$f" = bitcoin ] && auth="--rpcuser alice --rpcpassword s3cret"
	start_sim "ref_$f" "$f" --name "ref-$f" $auth
	R=$SIM_PORT
	start_sim "node_$f" "$f" --name "node-$f" --peers 5 $auth
	P=$SIM_PORT
	C=$SIM_CTL
	NODE_PID=$SIM_PID
	REF=http://127.0.0.1:$R
	NODE=http://127.0.0.1:$P
	a=""
	[ "$f" = bitcoin ] && a="--user alice" &&
		export SEXTANT_RPC_PASSWORD=s3cret
	check "${f}_up" wait_for 10 probe "$f" "$NODE" $a
	check "${f}_ref_up" wait_for 10 probe "$f" "$REF" $a

	# 1. a synced node
	probe "$f" "$NODE" $a --ref "$REF"
	check "${f}_reachable" test "$(jv .node.reachable)" = true
	check "${f}_no_error" test "$(jv .node.error)" = ""
	check "${f}_height" test "$(jv '.node.height > 1000')" = true
	check "${f}_peers" test "$(jv .node.peers)" = 5
	check "${f}_not_syncing" test "$(jv .node.syncing)" = false
	check "${f}_no_lag" test "$(jv '.lag >= -1 and .lag <= 1')" = true
	case $f in
	cometbft | bitcoin)
		check "${f}_tip_hash" test "$(jv '.node.tip_hash | length')" \
			= 64
		;;
	substrate)
		check "${f}_finalized" test \
			"$(jv '.node.finalized > 0 and
			.node.finalized < .node.height')" = true
		;;
	esac

	# 2. held 30 blocks behind: the lag against the reference shows it
	ctl "$C" "lag?blocks=30&hold=1"
	check "${f}_lag_30" probe_until 5 '.lag >= 29 and .lag <= 31' \
		"$f" --url "$NODE" $a --ref "$REF"

	# 3. peers and major sync as the node reports them
	ctl "$C" "peers?n=2"
	check "${f}_peers_2" probe_until 5 '.node.peers == 2' "$f" \
		--url "$NODE" $a
	ctl "$C" "major-sync/enter"
	check "${f}_syncing" probe_until 5 '.node.syncing == true' "$f" \
		--url "$NODE" $a
	ctl "$C" "major-sync/leave"
	check "${f}_sync_left" probe_until 5 '.node.syncing == false' "$f" \
		--url "$NODE" $a

	# 4. hung RPC: unreachable, and the probe returns within its timeout
	ctl "$C" hang
	t0=$(date +%s%N)
	probe "$f" "$NODE" $a --timeout 1000 --ref "$REF"
	rc=$?
	dt=$((($(date +%s%N) - t0) / 1000000))
	check "${f}_hung_exit_1" test "$rc" = 1
	check "${f}_hung_unreachable" test "$(jv .node.reachable)" = false
	check "${f}_hung_timeout_error" sh -c \
		"jq -r .node.error '$T/last.json' | grep -q 'timeout after 1000 ms'"
	echo "# $f: hung node probed in $dt ms (timeout 1000)"
	check "${f}_hung_bounded" test "$dt" -lt 2500
	check "${f}_hung_ref_answers" test "$(jv .reference.answered)" = 1
	ctl "$C" unhang
	check "${f}_unhung" wait_for 5 probe "$f" "$NODE" $a

	# 5. crashed: refused at once
	ctl "$C" crash
	wait "$NODE_PID" 2>/dev/null
	probe "$f" "$NODE" $a
	check "${f}_crash_exit_1" test $? = 1
	check "${f}_crash_refused" sh -c \
		"jq -r .node.error '$T/last.json' | grep -q 'connection refused'"
done

# Bitcoin auth: a wrong password is a clear 401; the cookie is read from
# the file each time, so a node restarted with a new cookie still answers.
start_sim btc_pw bitcoin --rpcuser alice --rpcpassword s3cret
R=$SIM_PORT
PW_PID=$SIM_PID
wait_for 10 probe bitcoin "http://127.0.0.1:$R" --user alice
SEXTANT_RPC_PASSWORD=wrong probe bitcoin "http://127.0.0.1:$R" --user alice
check btc_bad_password_unreachable test "$(jv .node.reachable)" = false
check btc_bad_password_401 sh -c \
	"jq -r .node.error '$T/last.json' | grep -q 'HTTP 401'"
kill "$PW_PID"

CK=$T/bitcoin.cookie
start_sim btc_cookie bitcoin --cookie "$CK"
K=$SIM_PORT
CK_PID=$SIM_PID
check btc_cookie_auth wait_for 10 probe bitcoin "http://127.0.0.1:$K" \
	--cookie "$CK"
old=$(cat "$CK")
kill "$CK_PID"
wait "$CK_PID" 2>/dev/null
spawn btc_cookie2 "$SIM" --flavour bitcoin --listen "127.0.0.1:$K" \
	--cookie "$CK" # the same port: the pilot's URL does not change
check btc_new_cookie_auth wait_for 10 probe bitcoin \
	"http://127.0.0.1:$K" --cookie "$CK"
check btc_cookie_changed test "$(cat "$CK")" != "$old"
rm -f "$CK"
probe bitcoin "http://127.0.0.1:$K" --cookie "$CK"
check btc_missing_cookie_named sh -c \
	"jq -r .node.error '$T/last.json' | grep -q 'cookie $CK'"
finish
