# pilot_pair.sh: a commander and the configs of pilots of one network
# (process backend, simnode, a reference simnode), for the restart budget
# tests; sourced after tests/lib.sh.  Set before sourcing: GRANT_TIMEOUT
# (the commander's, 10m) and COOLDOWN (the pilots', 2s).  Gives (besides
# lib.sh's port and hj) metric, metric_is, ctl; keys in $T; the
# commander's config $T/c.ini on CPORT (checked with -n); a reference
# simnode on REF; and
# pilot_ini NAME NODEPORT HTTPPORT FALLBACK [EXTRA-SUPERVISE-LINES].
metric() { # PORT 'name{labels}'
	curl -s -m 2 "http://127.0.0.1:$1/metrics" | grep -v '^#' |
		grep -F "$2 " | head -n 1 | awk '{print $NF}'
}
metric_is() { [ "$(metric "$1" "$2")" = "$3" ]; }
ctl() { curl -s -m 2 -o /dev/null "http://127.0.0.1:$1/_sim/$2"; }

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
grant_timeout = ${GRANT_TIMEOUT:-10m}

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
cooldown = ${COOLDOWN:-2s}
backoff = 0
[budget]
fallback = $4
grant_wait = 5s
[http]
listen = 127.0.0.1:$3
EOF
}
