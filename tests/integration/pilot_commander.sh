#!/bin/sh
# pilot_commander: the restart budget end to end, with the real
# sextant-commander.  Two pilots of one network (process backend, simnode)
# fall behind at once: the commander grants one restart at a time (budget
# per network 1), the other is denied and asks again until granted.  Then
# the commander goes away: a pilot with `fallback = allow` restarts its
# node anyway, one with `fallback = deny` does not.
. tests/lib.sh

. tests/pilot_pair.sh

N1=$(port)
N2=$(port)
H1=$(port)
H2=$(port)
pilot_ini p1 "$N1" "$H1" allow
pilot_ini p2 "$N2" "$H2" deny

spawn c "$B/sextant-commander" -d -v -f "$T/c.ini"
CPID=$LASTPID
spawn p1 "$B/sextant-pilot" -d -f "$T/p1.ini"
spawn p2 "$B/sextant-pilot" -d -f "$T/p2.ini"
for h in $H1 $H2; do
	wait_for 15 hj "$h" '.checked and .commander.connected and .lag != null and .lag < 4' ||
		fail "pilot_on_${h}_connected" "$(tail -n 5 "$T/p1.log" "$T/p2.log")"
done
check pilots_registered wait_for 5 sh -c \
	"grep -q 'pilot p1 registered' '$T/c.log' && grep -q 'pilot p2 registered' '$T/c.log'"

# both fall far behind at once: one restart at a time
ctl "$N1" 'lag?blocks=150&hold=1'
ctl "$N2" 'lag?blocks=150&hold=1'
both() {
	metric_is "$H1" 'sextant_pilot_restarts_total{reason="severe_lag"}' 1 &&
		metric_is "$H2" 'sextant_pilot_restarts_total{reason="severe_lag"}' 1
}
if wait_for 30 both; then
	pass both_restarted_in_turn
else
	fail both_restarted_in_turn "$(tail -n 4 "$T/p1.log" "$T/p2.log")"
fi
check one_was_denied sh -c "grep -q 'not restarting node p[12]: denied by the commander' '$T/p1.log' '$T/p2.log'"
check grants_logged sh -c "grep -q 'restart of node p1: granted by the commander' '$T/p1.log' &&
	grep -q 'restart of node p2: granted by the commander' '$T/p2.log'"
check commander_events grep -q 'restart_denied' "$T/c.log"
# never both restarting at once: the second restart came after the first
t1=$(grep -m1 'node p1 restarted' "$T/p1.log" | cut -c1-23)
t2=$(grep -m1 'node p2 restarted' "$T/p2.log" | cut -c1-23)
check restarts_apart [ "$t1" != "$t2" ]

# the commander goes away: allow restarts anyway, deny does not
kill "$CPID"
wait_for 5 sh -c "! kill -0 $CPID 2>/dev/null"
wait_for 10 hj "$H1" '.commander.connected | not'
sleep 3 # past the cooldown of the first restarts
ctl "$N1" 'lag?blocks=150&hold=1'
ctl "$N2" 'lag?blocks=150&hold=1'
if wait_for 20 metric_is "$H1" 'sextant_pilot_restarts_total{reason="severe_lag"}' 2; then
	pass fallback_allow_restarts
else
	fail fallback_allow_restarts "$(tail -n 5 "$T/p1.log")"
fi
check fallback_allow_logged grep -q 'restart of node p1: commander unreachable .*fallback: allow' "$T/p1.log"
check fallback_deny_logged wait_for 10 grep -q 'not restarting node p2: commander unreachable .*fallback: deny' "$T/p2.log"
check fallback_deny_no_restart metric_is "$H2" 'sextant_pilot_restarts_total{reason="severe_lag"}' 1
finish
