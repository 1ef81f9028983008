#!/bin/sh
# chaos_short: CI's short version of `make chaos`.  A few seeded runs with
# fast timings (ttl 4s, the rest in proportion), one per fault that matters
# most: the primary's pilot killed, the primary's pilot frozen, the primary
# partitioned from the commander (blackhole, drop), the commander
# restarted, the primary's node frozen, the primary's pilot frozen while the
# commander restarts, the secondary's node frozen.  Per run and per
# invariant a PASS/FAIL line: no height signed twice, no regression,
# nothing at or below the initial sign state, one node per lease epoch,
# signing goes on after the fault, no daemon dies, and a due failover comes
# within its bound.
. tests/lib.sh

for p in sextant sextant-commander sextant-pilot simnode relay journal_check; do
	[ -x "$B/$p" ] || { fail chaos_short_built "$B/$p missing: run make"; finish; }
done
if ! "$B/simnode" --help 2>&1 | grep -q -- --lease-file; then
	fail chaos_short_simnode "simnode has no --lease-file"
	finish
fi

SEED=${CHAOS_SHORT_SEED:-4242}
FAULTS="p-pilot-kill:long,p-pilot-stop:long,p-part-blackhole:long,cmd-kill"
FAULTS="$FAULTS,p-node-stop:long,p-part-drop:short,p-pilot-stop+cmd-kill:long"
FAULTS="$FAULTS,s-node-stop"
NRUNS=8
mkdir -p "$T/chaos" "$T/control"
# The negative control, alongside: without the lease file and the
# doppelganger check a frozen primary's node signs on, and the harness
# must see the double signs that follow.
B=$B RUNS=1 SEED=$SEED TIMING=fast KEEP=1 FAULTS=p-pilot-stop:long \
	SABOTAGE=no-fence CHAOS_DIR="$T/control" sh tests/chaos/chaos.sh \
	>"$T/control.out" 2>&1 &
CONTROL=$!
PIDS="$PIDS $CONTROL"
B=$B RUNS=$NRUNS SEED=$SEED PAR=4 TIMING=fast KEEP=1 FAULTS=$FAULTS \
	FAULTS_CYCLE=1 CHAOS_DIR="$T/chaos" sh tests/chaos/chaos.sh \
	>"$T/chaos.out" 2>&1
rc=$?
cat "$T/chaos.out"
wait $CONTROL
crc=$?
cat "$T/control.out"
cl=$(cat "$T/control/result-$SEED" 2>/dev/null)
cd_=$(echo "$cl" | tr ' ' '\n' | sed -n 's/^double_signs=//p')
if [ "$crc" != 0 ] && [ "${cd_:-0}" -gt 0 ] 2>/dev/null; then
	pass "chaos_negative_control_sees_double_signs ($cd_)"
else
	fail chaos_negative_control_sees_double_signs \
		"exit $crc, double_signs=${cd_:-?}: the harness cannot fail"
fi

field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
i=0
while [ $i -lt $NRUNS ]; do
	s=$((SEED + i))
	i=$((i + 1))
	f="$T/chaos/result-$s"
	if [ ! -f "$f" ]; then
		fail "chaos_seed${s}" "no result"
		continue
	fi
	l=$(cat "$f")
	fault=$(field "$l" fault)
	n="chaos_${fault}_seed$s"
	[ "$(field "$l" double_signs)" = 0 ] && pass "${n}_no_double_sign" ||
		fail "${n}_no_double_sign" "$l"
	[ "$(field "$l" regressions)" = 0 ] && pass "${n}_no_regression" ||
		fail "${n}_no_regression" "$l"
	[ "$(field "$l" below_watermark)" = 0 ] && pass "${n}_above_watermark" ||
		fail "${n}_above_watermark" "$l"
	[ "$(field "$l" epoch_faults)" = 0 ] && pass "${n}_one_holder_per_epoch" ||
		fail "${n}_one_holder_per_epoch" "$l"
	# no double sign, so any "double-sign risk" alarm was false
	[ "$(field "$l" false_alarms)" = 0 ] && pass "${n}_no_false_alarm" ||
		fail "${n}_no_false_alarm" "$l"
	reason=$(echo "$l" | sed -n 's/.* reason=//p')
	case "$reason" in
	*"not signing at the end"* | *"no signature within"*)
		fail "${n}_signing_goes_on" "$reason" ;;
	*) pass "${n}_signing_goes_on" ;;
	esac
	case "$reason" in
	*"exited by itself"*) fail "${n}_daemons_alive" "$reason" ;;
	*) pass "${n}_daemons_alive" ;;
	esac
	if [ "$(field "$l" expect)" = failover ]; then
		fo=$(field "$l" failover_ms)
		case "$fo" in
		'' | - | none | *[!0-9]*) fail "${n}_failover" "no failover: $l" ;;
		*) pass "${n}_failover (${fo} ms)" ;;
		esac
	fi
	if [ "$(field "$l" result)" = PASS ]; then
		pass "$n"
	else
		fail "$n" "$reason"
		d="$T/chaos/run-$s"
		echo "---- $n: timeline ----"
		cat "$d/timeline" 2>/dev/null
		echo "---- $n: judge ----"
		cat "$d/judge.txt" 2>/dev/null
		for lg in commander pilot_val1 pilot_val2; do
			echo "---- $n: $lg.log (last 40 lines) ----"
			tail -n 40 "$d/$lg.log" 2>/dev/null
		done
	fi
done
[ $rc = 0 ] && pass chaos_short_all || fail chaos_short_all "chaos.sh exit $rc"
finish
