#!/bin/sh
# pilot_commander: the restart budget end to end, with the real
# sextant-commander.  Two pilots of one network (process backend, simnode)
# fall behind at once: the commander grants one restart at a time (budget
# per network 1), the other is denied and asks again until granted.  Then
# the commander goes away: a pilot with `fallback = allow` restarts its
# node anyway, one with `fallback = deny` does not.
. tests/lib.sh

USED=""
port() { # a free port not handed out before in this test
	while :; do
		_p=$(free_port)
		case " $USED " in *" $_p "*) continue ;; esac
		USED="$USED $_p"
		echo "$_p"
		return
	done
}
metric() { # PORT 'name{labels}'
	curl -s -m 2 "http://127.0.0.1:$1/metrics" | grep -v '^#' |
		grep -F "$2 " | head -n 1 | awk '{print $NF}'
}
metric_is() { [ "$(metric "$1" "$2")" = "$3" ]; }
ctl() { curl -s -m 2 -o /dev/null "http://127.0.0.1:$1/_sim/$2"; }
hj() { # PORT JQ-EXPR (jq 1.6 -e passes empty input: refuse it first)
	_b=$(curl -s -m 2 "http://127.0.0.1:$1/health") && [ -n "$_b" ] &&
		printf '%s\n' "$_b" | jq -e "$2" >/dev/null
}

for k in commander p1 p2; do
	"$B/sextant" keygen -o "$T/$k.key" -C "$k" >/dev/null 2>&1 ||
		{ fail "keygen_$k"; finish; }
done
cat "$T/p1.key.pub" "$T/p2.key.pub" >"$T/authorized"
CPORT=$(port)
cat >"$T/c.ini" <<EOF
[commander]
listen = tcp://127.0.0.1:$CPORT
key = $T/commander.key
authorized_pilots = $T/authorized
state_dir = $T/cstate
interval = 500ms
stale = 5s

[budget]
per_network = 1

[api]
listen = http://127.0.0.1:$(port)
EOF
"$B/sextant-commander" -n -f "$T/c.ini" 2>"$T/c.err" ||
	{ fail commander_config "$(cat "$T/c.err")"; finish; }

REF=$(port)
spawn ref "$B/simnode" --flavour cometbft --listen "127.0.0.1:$REF"

pilot_ini() { # NAME NODEPORT HTTPPORT FALLBACK
	cat >"$T/$1.ini" <<EOF
[pilot]
name = $1
chain = cometbft
network = test-1
interval = 500ms
state_dir = $T/$1.state
key = $T/$1.key
[commander]
url = tcp://127.0.0.1:$CPORT
key = $T/commander.key.pub
timeout = 1s
reconnect_min = 100ms
reconnect_max = 1s
[node]
rpc_url = http://127.0.0.1:$2
timeout = 500ms
[reference]
url = http://127.0.0.1:$REF
[supervise]
backend = process
command = $B/simnode
arg = --flavour
arg = cometbft
arg = --listen
arg = 127.0.0.1:$2
arg = --name
arg = $1
stop_timeout = 2s
[policy]
check_interval = 1s
cooldown = 2s
backoff = 0
[budget]
fallback = $4
grant_wait = 5s
[http]
listen = 127.0.0.1:$3
EOF
}
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
