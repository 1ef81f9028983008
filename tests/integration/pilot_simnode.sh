#!/bin/sh
# pilot_simnode: sextant-pilot supervising a simnode through the process
# backend, against a reference simnode, with short intervals: severe lag is
# restarted within a check interval; moderate lag while producing blocks is
# left alone; a stall is restarted; a crash loop is capped; a hung RPC is
# found unreachable and restarted; dry-run logs and never restarts; SIGHUP
# applies new thresholds and survives a bad file; every
# chain family is checked; /metrics passes promtool and /health answers.
. tests/lib.sh

PILOT=$B/sextant-pilot
SIM=$B/simnode

# ref FLAVOUR: a reference simnode; sets REF_PORT
ref() {
	REF_PORT=$(port)
	spawn "ref-$1" "$SIM" --flavour "$1" --listen "127.0.0.1:$REF_PORT"
	wait_for 10 curl -s -m 1 -o /dev/null \
		"http://127.0.0.1:$REF_PORT/_sim/state" ||
		fail "ref_$1_starts" "$(tail -n 5 "$T/ref-$1.log")"
}

# pilot NAME FLAVOUR [policy lines...]: a pilot whose process backend runs
# a simnode of FLAVOUR on NODE_PORT; sets NODE_PORT HTTP PILOT_PID.  Extra
# simnode arguments come from $SIMARGS (one per line), extra config from
# $EXTRA (whole sections).
pilot() {
	_n=$1
	_f=$2
	shift 2
	NODE_PORT=$(port)
	HTTP=$(port)
	mkdir -p "$T/$_n"
	{
		printf '[pilot]\nname = %s\nchain = %s\ninterval = 500ms\n' \
			"$_n" "$_f"
		printf 'state_dir = %s\n' "$T/$_n/state"
		printf '[node]\nrpc_url = http://127.0.0.1:%s\ntimeout = 500ms\n' \
			"$NODE_PORT"
		printf '[reference]\nurl = http://127.0.0.1:%s\ntimeout = 1s\n' \
			"$REF_PORT"
		printf '[supervise]\nbackend = process\ncommand = %s\n' "$SIM"
		printf 'arg = --flavour\narg = %s\narg = --listen\n' "$_f"
		printf 'arg = 127.0.0.1:%s\narg = --name\narg = %s\n' \
			"$NODE_PORT" "$_n"
		[ -z "${SIMARGS:-}" ] ||
			printf '%s\n' "$SIMARGS" | while IFS= read -r _a; do
				printf 'arg = %s\n' "$_a"
			done
		printf 'stop_timeout = 2s\n'
		printf '[logrules]\ndefaults = yes\n'
		printf '[policy]\ncheck_interval = 1s\n'
		printf 'backoff = 0\nunreachable_checks = 2\n'
		case " $* " in *" cooldown = "*) ;; *) echo 'cooldown = 2s' ;; esac
		for _l in "$@"; do printf '%s\n' "$_l"; done
		printf '[http]\nlisten = 127.0.0.1:%s\n' "$HTTP"
		printf '%s' "${EXTRA:-}"
	} >"$T/$_n/pilot.ini"
	"$PILOT" -n -f "$T/$_n/pilot.ini" 2>"$T/$_n/check.err" ||
		fail "${_n}_config" "$(cat "$T/$_n/check.err")"
	spawn "$_n" "$PILOT" -d -f "$T/$_n/pilot.ini"
	PILOT_PID=$LASTPID
	if ! wait_for 10 hj "$HTTP" '.checked and .reachable'; then
		# a port taken meanwhile by a process elsewhere: other ports
		if [ "${_retry:-0}" -lt 3 ] &&
			grep -q 'in use' "$T/$_n.log" "$T/$_n/state/node.log" 2>/dev/null; then
			stop "$PILOT_PID"
			mv "$T/$_n.log" "$T/$_n.$(date +%s%N).log"
			_retry=$((${_retry:-0} + 1))
			pilot "$_n" "$_f" "$@"
			_retry=0
			return
		fi
		fail "${_n}_starts" "$(tail -n 10 "$T/$_n.log")"
	fi
}

metrics() { curl -s -m 2 "http://127.0.0.1:$1/metrics"; }
# metric PORT 'name{labels}': the sample's value, or empty
metric() { metrics "$1" | grep -v '^#' | grep -F "$2 " | head -n 1 | awk '{print $NF}'; }
metric_is() { [ "$(metric "$1" "$2")" = "$3" ]; }
metric_ge() { _v=$(metric "$1" "$2"); [ -n "$_v" ] && [ "$_v" -ge "$3" ]; }
health() { curl -s -m 2 "http://127.0.0.1:$1/health" | jq -r "$2"; }
node_pid() { curl -s -m 1 "http://127.0.0.1:$1/_sim/state" | jq -r .pid; }
ctl() { curl -s -m 2 -o /dev/null "http://127.0.0.1:$1/_sim/$2"; }
stop() { kill "$1" 2>/dev/null; wait_for 10 sh -c "! kill -0 $1"; }

ref cometbft

# --- severe lag: restarted within one check interval -------------------
pilot severe cometbft
pid0=$(node_pid "$NODE_PORT")
ctl "$NODE_PORT" 'lag?blocks=150&hold=1'
t0=$(date +%s)
if wait_for 4 metric_is "$HTTP" 'sextant_pilot_restarts_total{reason="severe_lag"}' 1; then
	pass severe_lag_restarts
else
	fail severe_lag_restarts "$(tail -n 5 "$T/severe.log")"
fi
# the check interval is 1 s: the lag is seen at the next check, and the
# restart follows at once (2 s allows one late tick either way)
check severe_lag_within_a_check [ $(($(date +%s) - t0)) -le 3 ]
check severe_lag_node_is_new sh -c "[ \"\$(curl -s -m 1 http://127.0.0.1:$NODE_PORT/_sim/state | jq -r .pid)\" != '$pid0' ]"
check severe_lag_logged log_has "$T/severe.log" 'restarting node severe (severe_lag): lag 1[0-9][0-9] blocks >= severe 100'
check severe_lag_caught_up wait_for 10 hj "$HTTP" '.lag < 5'
check severe_lag_check_line wait_for 5 log_has "$T/severe.log" 'caught up -\{0,1\}[0-9]* blocks, sync rate -\{0,1\}[0-9.]* blocks/s, ETA'
# /metrics is what Prometheus accepts; /health is JSON that says ok
metrics "$HTTP" >"$T/metrics.txt"
if promtool check metrics <"$T/metrics.txt" >"$T/promtool.out" 2>&1; then
	pass metrics_promtool
else
	fail metrics_promtool "$(cat "$T/promtool.out")"
fi
check metrics_have_families sh -c "grep -q '^sextant_pilot_node_height ' '$T/metrics.txt' &&
	grep -q '^sextant_pilot_reference_height ' '$T/metrics.txt' &&
	grep -q '^sextant_pilot_lag_blocks ' '$T/metrics.txt' &&
	grep -q '^sextant_pilot_node_peers 8' '$T/metrics.txt' &&
	grep -q '^sextant_pilot_probe_errors_total ' '$T/metrics.txt' &&
	grep -q '^sextant_pilot_last_decision{' '$T/metrics.txt' &&
	grep -q '^sextant_pilot_signing 0' '$T/metrics.txt' &&
	grep -q '^sextant_pilot_lease_epoch 0' '$T/metrics.txt'"
check health_ok wait_for 5 hj "$HTTP" '.status == "ok" and .up and .restarts == 1 and (.commander.configured | not)'
check health_json_content_type sh -c "curl -s -m 1 -D - -o /dev/null http://127.0.0.1:$HTTP/health | grep -qi '^content-type: application/json'"
stop "$PILOT_PID"
check node_stops_with_pilot sh -c "! curl -s -m 1 -o /dev/null http://127.0.0.1:$NODE_PORT/_sim/state"

# --- moderate lag while producing blocks: no restart --------------------
mkdir -p "$T/val"
printf '{"address":"%s","pub_key":{"type":"tendermint/PubKeyEd25519","value":""}}\n' \
	5E4B0A7B3C2D1E0F9A8B7C6D5E4F3A2B1C0D9E8F >"$T/val/key.json"
# long sessions: the jump back of the lag must not start a new session
# (which clears "producing" until the next proposal)
SIMARGS=$(printf -- '--validator-key\n%s\n--session-blocks\n1000000\n' \
	"$T/val/key.json")
pilot producing cometbft
SIMARGS=""
# the pilot must have read a proposal in the log before the lag comes
wait_for 10 metric_is "$HTTP" sextant_pilot_node_producing 1 ||
	fail producing_seen "$(tail -n 3 "$T/producing.log")"
ctl "$NODE_PORT" 'lag?blocks=40&hold=1'
if wait_for 10 log_has "$T/producing.log" 'none: lag 4[0-9] blocks >= moderate 20, but the node produced a block in session'; then
	pass moderate_lag_producing_excused
else
	fail moderate_lag_producing_excused "$(tail -n 5 "$T/producing.log")"
fi
# four more checks, still no restart
sleep 4
check moderate_lag_producing_no_restart metric_is "$HTTP" 'sextant_pilot_restarts_total{reason="moderate_lag"}' 0
check moderate_lag_producing_metric metric_is "$HTTP" sextant_pilot_node_producing 1
stop "$PILOT_PID"

# ... and the same lag without production restarts
pilot moderate cometbft
ctl "$NODE_PORT" 'lag?blocks=40&hold=1'
check moderate_lag_not_producing_restarts wait_for 5 metric_is "$HTTP" 'sextant_pilot_restarts_total{reason="moderate_lag"}' 1
stop "$PILOT_PID"

# --- stall: no progress with the lag rules off ------------------------------
pilot stall cometbft 'rule_severe_lag = no' 'rule_moderate_lag = no' \
	'stall = 3s' 'stall_min_lag = 2'
ctl "$NODE_PORT" stall
if wait_for 10 metric_is "$HTTP" 'sextant_pilot_restarts_total{reason="stall"}' 1; then
	pass stall_restarts
else
	fail stall_restarts "$(tail -n 5 "$T/stall.log")"
fi
check stall_reason_logged log_has "$T/stall.log" 'restarting node stall (stall): no progress for'
stop "$PILOT_PID"

# --- crash loop: at most cap_restarts, then capped --------------------------
pilot crash cometbft 'cap_restarts = 2' 'cap_window = 1h' 'cooldown = 0'
for i in 1 2 3; do
	wait_for 10 curl -s -m 1 -o /dev/null "http://127.0.0.1:$NODE_PORT/_sim/state"
	ctl "$NODE_PORT" 'crash?code=3'
	if [ $i -lt 3 ]; then
		wait_for 10 metric_is "$HTTP" 'sextant_pilot_restarts_total{reason="exited"}' $i ||
			fail "crash_restart_$i" "$(tail -n 5 "$T/crash.log")"
	fi
done
if wait_for 10 metric_is "$HTTP" sextant_pilot_capped 1; then
	pass crash_loop_capped
else
	fail crash_loop_capped "$(tail -n 5 "$T/crash.log")"
fi
check crash_loop_capped_logged log_has "$T/crash.log" 'CAPPED, not restarting: crash loop: 2 restarts within 1h'
check crash_loop_decision_capped hj "$HTTP" '(.decision | startswith("capped: ")) and .status == "degraded"'
sleep 3
check crash_loop_no_more_restarts metric_is "$HTTP" 'sextant_pilot_restarts_total{reason="exited"}' 2
check crash_loop_node_stays_down sh -c "! curl -s -m 1 -o /dev/null http://127.0.0.1:$NODE_PORT/_sim/state"
check crash_exit_status_logged log_has "$T/crash.log" 'died: exit status 3'
stop "$PILOT_PID"

# --- hung RPC: unreachable, restarted after unreachable_checks --------------
pilot hang cometbft
ctl "$NODE_PORT" hang
if wait_for 6 hj "$HTTP" '.up and (.reachable | not)'; then
	pass hung_rpc_unreachable
else
	fail hung_rpc_unreachable "$(tail -n 5 "$T/hang.log")"
fi
check hung_rpc_restarted wait_for 10 metric_is "$HTTP" 'sextant_pilot_restarts_total{reason="unreachable"}' 1
check hung_rpc_reason log_has "$T/hang.log" 'RPC unreachable for 2/2 checks'
check hung_rpc_answers_again wait_for 10 hj "$HTTP" '.reachable'
stop "$PILOT_PID"

# --- dry-run: decides and logs, never restarts ------------------------------
pilot dry cometbft 'dry_run = yes'
pid0=$(node_pid "$NODE_PORT")
ctl "$NODE_PORT" 'lag?blocks=150&hold=1'
if wait_for 5 log_has "$T/dry.log" 'would restart (dry-run): lag 1[0-9][0-9] blocks >= severe 100'; then
	pass dry_run_logs
else
	fail dry_run_logs "$(tail -n 5 "$T/dry.log")"
fi
sleep 3
check dry_run_never_restarts metric_is "$HTTP" 'sextant_pilot_restarts_total{reason="severe_lag"}' 0
check dry_run_same_node [ "$(node_pid "$NODE_PORT")" = "$pid0" ]
check dry_run_decision_word wait_for 5 sh -c "curl -s -m 1 http://127.0.0.1:$HTTP/metrics | grep -q 'sextant_pilot_last_decision{action=\"dry-run\",rule=\"severe_lag\"'"
stop "$PILOT_PID"

# --- SIGHUP: new thresholds apply at once; a bad file changes nothing -------
pilot reload cometbft 'severe_lag = 1000' 'moderate_lag = 900'
INI=$T/reload/pilot.ini
ctl "$NODE_PORT" 'lag?blocks=150&hold=1'
check reload_before_no_restart wait_for 5 log_has "$T/reload.log" 'none: lag 1[0-9][0-9] < moderate 900'
# a file that does not load: the pilot keeps running on the old one
cp "$INI" "$INI.good"
sed 's/^severe_lag = 1000$/severe_lag = lots/' "$INI.good" >"$INI"
kill -HUP "$PILOT_PID"
check reload_bad_file_named wait_for 5 log_has "$T/reload.log" "SIGHUP: $INI:[0-9]*: .*'lots'.*the running configuration stays"
check reload_bad_file_survives kill -0 "$PILOT_PID"
check reload_bad_file_no_restart metric_is "$HTTP" 'sextant_pilot_restarts_total{reason="severe_lag"}' 0
# lower the threshold and change a section that needs a restart
sed -e 's/^severe_lag = 1000$/severe_lag = 100/' \
	-e 's/^moderate_lag = 900$/moderate_lag = 20/' -e 's/^stop_timeout = 2s$/stop_timeout = 3s/' \
	"$INI.good" >"$INI"
kill -HUP "$PILOT_PID"
check reload_applied wait_for 5 log_has "$T/reload.log" 'SIGHUP: reloaded .*\[policy\] applied, \[reference\] unchanged'
check reload_names_restart_sections log_has "$T/reload.log" 'SIGHUP: \[supervise\] changed in .*next restart'
check reload_new_threshold_restarts wait_for 5 metric_is "$HTTP" 'sextant_pilot_restarts_total{reason="severe_lag"}' 1
stop "$PILOT_PID"

# --- every chain family: height, reference and lag measured ----------------
for f in substrate ethereum beacon bitcoin; do
	ref "$f"
	pilot "fl_$f" "$f"
	if wait_for 10 hj "$HTTP" '.height > 0 and .reference_height > 0 and .lag != null and .lag < 5 and .status == "ok"'; then
		pass "flavour_$f"
	else
		fail "flavour_$f" "$(curl -s -m 1 "http://127.0.0.1:$HTTP/health") $(tail -n 3 "$T/fl_$f.log")"
	fi
	stop "$PILOT_PID"
done
finish
