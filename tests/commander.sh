# commander.sh: a test's commander and its pilots' keys; sourced after
# tests/lib.sh.  The keys live in $T/keys (0700): NAME.key and NAME.key.pub
# for the commander and each pilot, and authorized, the commander's
# authorized_pilots.

# keygen NAME: the key pair $T/keys/NAME.key; a failure ends the test.
keygen() {
	mkdir -p "$T/keys"
	chmod 700 "$T/keys"
	"$B/sextant" keygen -o "$T/keys/$1.key" -C "$1" >/dev/null 2>&1 ||
		{ fail "keygen_$1"; finish; }
}

# authorize NAME: pilot NAME's key pair, listed in $T/keys/authorized.
authorize() {
	keygen "$1"
	cat "$T/keys/$1.key.pub" >>"$T/keys/authorized"
}

# keys PILOT...: the commander's key pair and each PILOT's, authorized.
keys() {
	keygen commander
	: >"$T/keys/authorized"
	for _k in "$@"; do authorize "$_k"; done
}

# commander_conf PORT [STATE_DIR]: print the [commander] section of a
# commander on 127.0.0.1:PORT with the keys above, its state in STATE_DIR
# ($T/cstate by default) and a 1s heartbeat; more of the section may follow.
commander_conf() {
	cat <<EOF
[commander]
listen = tcp://127.0.0.1:$1
key = $T/keys/commander.key
authorized_pilots = $T/keys/authorized
state_dir = ${2:-$T/cstate}
interval = 1s
EOF
}

# start_commander: the commander of $T/commander.ini, its output in
# $T/commander.log and its PID in CPID; the test ends unless it serves its
# API on $API within 10 s.
start_commander() {
	spawn commander "$B/sextant-commander" -d -f "$T/commander.ini"
	CPID=$LASTPID
	wait_for 10 log_has "$T/commander.log" "api on $API" ||
		{ fail commander_starts "$(tail -n 5 "$T/commander.log")"; finish; }
}

# rpc_pilot_conf NAME NETWORK NODE_PORT HTTP_PORT: print the config of pilot
# NAME (role rpc, 1s checks) of a cometbft node on NODE_PORT, serving /health
# on HTTP_PORT and reporting to the commander on $CPORT with the keys above.
rpc_pilot_conf() {
	cat <<EOF
[pilot]
name = $1
chain = cometbft
role = rpc
network = $2
interval = 1s
state_dir = $T/$1.state
key = $T/keys/$1.key

[commander]
url = tcp://127.0.0.1:$CPORT
key = $T/keys/commander.key.pub
timeout = 2s

[node]
rpc_url = http://127.0.0.1:$3
timeout = 500ms

[http]
listen = http://127.0.0.1:$4
EOF
}
