#!/bin/sh
# demo: `make demo` (scripts/demo.sh) brings up a commander, three pilots
# and three simnodes; the commander logs the three registrations and each
# node's height and lag, and serves the dashboard at the address it
# prints; the validator group gets a lease holder that signs, alone; the
# lease holder shows in the API; stopping it (by its own timer, or by
# Ctrl-C) leaves no process (the pilots' simnodes included) and no temp
# dir behind.
OWN_TMPDIR=demo
. tests/lib.sh

# pids_gone FILE: every PID the demo printed is gone
pids_gone() {
	_pids=$(sed -n 's/^demo: pids //p' "$1")
	[ -n "$_pids" ] || return 1
	for _p in $_pids; do
		kill -0 "$_p" 2>/dev/null && return 1
	done
	return 0
}
demo_dir() { sed -n 's/^  files *//p' "$1" | head -n 1; }
count() { grep -c -- "$2" "$1" 2>/dev/null; }
gone() { ! kill -0 "$1" 2>/dev/null; }
three_registered() { test "$(count "$1" ' registered from ')" = 3; }
dash_url() { sed -n 's/^  dashboard: *//p' "$1" | head -n 1; }
# the group's holder per the API, and the journal's signers
holder_is() { curl -s -m 2 "$1/api/v1/groups" | jq -e --arg h "$2" \
	'.groups[0].holder == $h and .groups[0].phase == "held"'; }
signed_by() { [ -s "$1/journal" ] && awk '{print $5}' "$1/journal" | sort -u | tr '\n' ' '; }
none_left() { ! pgrep -f "$1/" >/dev/null 2>&1; }

# 1. run for 8 s by itself
out=$T/demo.out
DEMO_SECONDS=8 DEMO_PORT=$(free_port) TMPDIR=$T sh scripts/demo.sh \
	>"$out" 2>&1
rc=$?
check demo_exit_status test "$rc" = 0
for n in val1 val2 sub1; do
	check "demo_registers_$n" log_has "$out" \
		"pilot $n registered from 127.0.0.1:[0-9]*"
	check "demo_logs_height_lag_$n" log_has "$out" \
		"node $n height [0-9][0-9]* .*lag"
done
check demo_registrations_three three_registered "$out"
check demo_val2_lag_vs_reference log_has "$out" \
	'node val2 height [0-9]* lag [0-9]* (ref [0-9]*)'
check demo_no_process_left pids_gone "$out"
d=$(demo_dir "$out")
check demo_temp_dir_removed test -n "$d" -a ! -e "$d"
check demo_says_stopped log_has "$out" "demo: stopped every process"
check demo_prints_dashboard log_has "$out" '^  dashboard: http://127.0.0.1:[0-9]*/$'
check demo_no_simnode_left none_left "$d"

# 2. Ctrl-C: SIGINT to the script, as a terminal sends it (a background
# job of a script starts with SIGINT ignored, so restore the default)
out2=$T/demo-int.out
DEMO_PORT=$(free_port) TMPDIR=$T env --default-signal=INT \
	sh scripts/demo.sh >"$out2" 2>&1 &
dpid=$!
if wait_for 20 three_registered "$out2"; then
	pass demo_int_registered
else
	fail demo_int_registered
fi
# the dashboard, the lease holder, and one signer
api=$(dash_url "$out2")
api=${api%/}
d2=$(demo_dir "$out2")
check demo_dashboard_served sh -c "curl -s -m 2 '$api/' | grep -q '<title>'"
if wait_for 40 holder_is "$api" val1; then
	pass demo_lease_holder_val1
else
	fail demo_lease_holder_val1 "$(curl -s -m 2 "$api/api/v1/groups")"
fi
check demo_fleet_shows_holder sh -c "curl -s -m 2 '$api/api/v1/fleet' |
	jq -e '.nodes[] | select(.name == \"val1\") | .lease_holder' >/dev/null"
if wait_for 20 sh -c "[ \"\$(awk '{print \$5}' '$d2/journal' 2>/dev/null | sort -u)\" = val1 ]"; then
	pass demo_val1_signs_alone
else
	fail demo_val1_signs_alone "signers: $(signed_by "$d2")"
fi
check demo_metrics_lease sh -c "curl -s -m 2 '$api/metrics' |
	grep -q '^sextant_lease_holder{group=\"demo-val\",node=\"val1\"} 1'"
kill -INT "$dpid"
i=0
while kill -0 "$dpid" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check demo_int_exits gone "$dpid"
check demo_int_no_process_left pids_gone "$out2"
d=$(demo_dir "$out2")
check demo_int_temp_dir_removed test -n "$d" -a ! -e "$d"
check demo_int_no_simnode_left none_left "$d"
[ -n "${VERBOSE:-}" ] && cat "$out" "$out2"
finish
