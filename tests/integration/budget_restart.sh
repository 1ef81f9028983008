#!/bin/sh
# budget_restart: a restart grant outlives a commander restart.  Node p1
# lags and stays behind after its restart (simnode --lag-hold), so its
# grant is held until the node is healthy, which never comes here.  The
# commander restarts; then p2 of the same network falls behind: the
# restarted commander must still count p1's grant (rebuilt from its
# durable events) and deny p2, since one restart at a time per network is
# what keeps two nodes of a chain from being down at once.
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
grant_timeout = 5m

[api]
listen = http://127.0.0.1:$(port)
EOF
"$B/sextant-commander" -n -f "$T/c.ini" 2>"$T/c.err" ||
	{ fail commander_config "$(cat "$T/c.err")"; finish; }

REF=$(port)
spawn ref "$B/simnode" --flavour cometbft --listen "127.0.0.1:$REF"

pilot_ini() { # NAME NODEPORT HTTPPORT FALLBACK [EXTRA-ARG-LINES]
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
${5:-}
stop_timeout = 2s
[policy]
check_interval = 1s
cooldown = 5m
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
