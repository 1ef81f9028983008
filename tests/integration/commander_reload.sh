#!/bin/sh
# commander_reload: SIGHUP applies a changed alerting config without a
# restart.  A listed node whose pilot never came fires pilot_unreachable
# to a webhook channel (receiver 1).  The channel's URL moves to receiver
# 2 and the commander gets SIGHUP: a test message reaches receiver 2,
# receiver 1 gets nothing more, the firing alert is not sent again, and
# when the pilot comes its resolve reaches receiver 2 (the alert's state
# went through the reload).  A broken config changes nothing and the log
# names file:line; a new [commander] listen waits for a restart while a
# new API token in the same change applies.
. tests/lib.sh
. tests/commander.sh

need_built sextant sextant-commander sextant-pilot simnode bench/webhook_sink
CPORT=$(port)
CPORT2=$(port)
APORT=$(port)
NPORT=$(port)
HPORT=$(port)
API=http://127.0.0.1:$APORT
S="$B/sextant"
keys n1
(umask 077 && echo "reload-test-token-0123456789" >"$T/keys/token")

for h in 1 2; do
	spawn "hook$h" "$B/bench/webhook_sink" 0 "$T/hook$h.jsonl" \
		"$T/hook$h.port"
done
if ! wait_for 10 test -s "$T/hook1.port" ||
	! wait_for 10 test -s "$T/hook2.port"; then
	fail webhook_sinks_start
	finish
fi
H1=$(cat "$T/hook1.port")
H2=$(cat "$T/hook2.port")

# conf LISTEN_PORT HOOK_PORT [EXTRA]: the commander's config
conf() {
	{
		commander_conf "$1"
		cat <<EOF

[api]
listen = $API
token_file = $T/keys/token

[alerts]
pilot_unreachable_for = 1s
repeat = 0
${3:-}

[channel hook]
type = webhook
url = http://127.0.0.1:$2/hook
min_severity = info

[node n1]
network = al-1
EOF
	} >"$T/commander.ini.new"
	mv "$T/commander.ini.new" "$T/commander.ini"
}

# alerts FILE: one line per alert a receiver got: "status rule node"
alerts() {
	[ -s "$1" ] || return 0
	jq -r '.body' "$1" | jq -r '.alerts[] | "\(.status) \(.rule) \(.node)"'
}
# got FILE PATTERN: a receiver got an alert line matching PATTERN
got() { alerts "$1" | grep -q -- "$2"; }
nlines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }

conf "$CPORT" "$H1"
start_commander

# the node's pilot never came: its alert fires to receiver 1
check fires_to_first wait_for 20 got "$T/hook1.jsonl" \
	"^firing pilot_unreachable n1$"
n1_before=$(nlines "$T/hook1.jsonl")

# the channel moves to receiver 2
conf "$CPORT" "$H2"
kill -HUP "$CPID"
check reload_logged wait_for 10 log_has "$T/commander.log" \
	'SIGHUP: reloaded .*\[channel hook\] applied'
check reload_keeps_running kill -0 "$CPID"
check api_back wait_for 10 curl -sf -m 2 "$API/healthz"
check alert_test_cli "$S" alert test hook --api "$API" \
	--token-file "$T/keys/token"
check test_reaches_second wait_for 10 got "$T/hook2.jsonl" "^firing test "

# the pilot comes: the alert resolves, and the resolve goes where the
# trigger went, now receiver 2
rpc_pilot_conf n1 al-1 "$NPORT" "$HPORT" >"$T/n1.ini"
spawn sim "$B/simnode" --flavour cometbft --listen "127.0.0.1:$NPORT" \
	--network al-1 --name n1
spawn pilot "$B/sextant-pilot" -d -f "$T/n1.ini"
check resolve_reaches_second wait_for 20 got "$T/hook2.jsonl" \
	"^resolved pilot_unreachable n1$"
# everything the second receiver got since the reload: no repeat
if got "$T/hook2.jsonl" "^firing pilot_unreachable"; then
	fail firing_not_resent "$(alerts "$T/hook2.jsonl" | tr '\n' ';')"
else
	pass firing_not_resent
fi
check first_gets_nothing_more [ "$(nlines "$T/hook1.jsonl")" = "$n1_before" ]

# a broken config: nothing changes, the log says where
conf "$CPORT" "$H1" "give_up = banana"
bad=$(grep -n 'banana' "$T/commander.ini" | cut -d: -f1)
kill -HUP "$CPID"
check broken_names_file_line wait_for 10 log_has "$T/commander.log" \
	"SIGHUP: $T/commander.ini:$bad:.*banana.*running configuration stays"
check broken_keeps_running kill -0 "$CPID"
"$S" alert test hook --api "$API" --token-file "$T/keys/token" >/dev/null
check old_channel_still_works wait_for 10 sh -c \
	"[ \"\$(jq -r '.body' '$T/hook2.jsonl' | grep -c '\"rule\":\"test\"')\" -ge 2 ]"
check first_still_nothing [ "$(nlines "$T/hook1.jsonl")" = "$n1_before" ]

# a new listen address waits for a restart; a new token applies
(umask 077 && echo "reload-test-token-NEW-987654" >"$T/keys/token.new" &&
	mv "$T/keys/token.new" "$T/keys/token")
conf "$CPORT2" "$H2"
kill -HUP "$CPID"
check listen_waits_for_restart wait_for 10 log_has "$T/commander.log" \
	'\[commander\] changed: waits for a restart'
check token_applied log_has "$T/commander.log" \
	'SIGHUP: reloaded .*\[api\] applied'
check api_back_again wait_for 10 curl -sf -m 2 "$API/healthz"
check old_token_refused sh -c "! SEXTANT_TOKEN=reload-test-token-0123456789 \
	'$S' alert test hook --api '$API' 2>/dev/null"
check new_token_works "$S" alert test hook --api "$API" \
	--token-file "$T/keys/token"
check still_listening_on_old_port sh -c \
	"ss -Htln '( sport = :$CPORT )' | grep -q ."
check secret_never_logged sh -c "! grep -q 'token-NEW\|:$H2/hook' \
	'$T/commander.log'"
[ -n "${VERBOSE:-}" ] && cat "$T/commander.log"
finish
