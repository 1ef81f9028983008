#!/bin/sh
# budget_restart: a restart grant outlives a commander restart.  Node p1
# lags and stays behind after its restart (simnode --lag-hold), so its
# grant is held until the node is healthy, which never comes here.  The
# commander restarts; then p2 of the same network falls behind: the
# restarted commander must still count p1's grant (rebuilt from its
# durable events) and deny p2, since one restart at a time per network is
# what keeps two nodes of a chain from being down at once.
. tests/lib.sh

COOLDOWN=5m
GRANT_TIMEOUT=5m
. tests/pilot_pair.sh

N1=$(port)
N2=$(port)
H1=$(port)
H2=$(port)
pilot_ini p1 "$N1" "$H1" deny "$(printf 'arg = --lag\narg = 150\narg = --lag-hold\n')"
pilot_ini p2 "$N2" "$H2" deny

spawn c "$B/sextant-commander" -d -v -f "$T/c.ini"
CPID=$LASTPID
spawn p1 "$B/sextant-pilot" -d -f "$T/p1.ini"
spawn p2 "$B/sextant-pilot" -d -f "$T/p2.ini"
check p2_connected wait_for 15 hj "$H2" '.checked and .commander.connected and .lag != null and .lag < 4'
if wait_for 15 metric_is "$H1" 'sextant_pilot_restarts_total{reason="severe_lag"}' 1; then
	pass p1_restart_granted
else
	fail p1_restart_granted "$(tail -n 5 "$T/p1.log")"
fi
check p1_grant_event wait_for 5 grep -q 'restart_granted' "$T/c.log"

kill "$CPID"
wait_for 5 sh -c "! kill -0 $CPID 2>/dev/null" || fail commander_stops
spawn c2 "$B/sextant-commander" -d -v -f "$T/c.ini"
check grant_restored wait_for 10 grep -q 'restart budget: 1 grant held before this start restored' "$T/c2.log"
check p2_reconnected wait_for 15 hj "$H2" '.commander.connected'
ctl "$N2" 'lag?blocks=150&hold=1'
if wait_for 15 grep -q 'not restarting node p2: denied by the commander' "$T/p2.log"; then
	pass p2_denied_after_commander_restart
else
	fail p2_denied_after_commander_restart "$(tail -n 5 "$T/p2.log")"
fi
check p2_not_restarted metric_is "$H2" 'sextant_pilot_restarts_total{reason="severe_lag"}' 0
finish
