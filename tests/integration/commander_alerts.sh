#!/bin/sh
# commander_alerts: the alert endpoints and CLI wired into the commander.
# `sextant alert test` queues a test message that the commander delivers
# (a log channel: its own log) and records; `sextant alert list` shows the
# channel's counters; silences are added, listed and removed with
# `sextant silence`; writes need the token; bad input is refused with the
# API's reason.  Then a real alert: a node whose pilot is killed fires
# pilot_unreachable to the channel.
. tests/lib.sh
. tests/commander.sh

need_built sextant sextant-commander sextant-pilot simnode
CPORT=$(port)
APORT=$(port)
NPORT=$(port)
HPORT=$(port)
API=http://127.0.0.1:$APORT
keys n1
(umask 077 && echo "alerts-test-token-0123456789" >"$T/keys/token")
{
	commander_conf "$CPORT"
	cat <<EOF

[api]
listen = $API
token_file = $T/keys/token

[alerts]
pilot_unreachable_for = 1s

[channel ops]
type = log
min_severity = info
EOF
} >"$T/commander.ini"
rpc_pilot_conf n1 al-1 "$NPORT" "$HPORT" >"$T/n1.ini"
spawn sim "$B/simnode" --flavour cometbft --listen "127.0.0.1:$NPORT" \
	--network al-1 --name n1
start_commander
spawn pilot "$B/sextant-pilot" -d -f "$T/n1.ini"
PILOT=$LASTPID
S="$B/sextant"
A="--api $API --token-file $T/keys/token"

# a test message, delivered by the log channel and recorded
if $S alert test ops $A >"$T/test.out" 2>&1; then
	pass alert_test_cli
else
	fail alert_test_cli "$(cat "$T/test.out")"
fi
check alert_test_queued grep -q 'queued for ops' "$T/test.out"
check alert_test_delivered wait_for 15 sh -c "curl -s -m 2 '$API/api/v1/alerts' |
	jq -e '.channels[] | select(.name == \"ops\") | .delivered >= 1' >/dev/null"
check alert_test_in_log grep -qi 'test' "$T/commander.log"
check alert_list_cli sh -c "$S alert list --api $API | grep -q '^  ops .*delivered [1-9]'"
check alert_test_unknown_channel sh -c "! $S alert test nope $A 2>'$T/nope.err' && grep -q 'HTTP 404' '$T/nope.err'"
check alert_test_needs_token sh -c "! SEXTANT_TOKEN= $S alert test ops --api $API 2>'$T/tok.err' && grep -q 'HTTP 40[13]' '$T/tok.err'"

# silences: add, list, refuse nonsense, remove
if $S silence add --node n1 --rule node_down --duration 1h \
	--comment maintenance $A >"$T/sil.out" 2>&1; then
	pass silence_add_cli
else
	fail silence_add_cli "$(cat "$T/sil.out")"
fi
sid=$(sed -n 's/^silenced: *\([0-9]*\) .*/\1/p' "$T/sil.out")
check silence_has_id [ -n "$sid" ]
check silence_listed sh -c "$S silence list --api $API | grep -q 'node=n1.*maintenance'"
check silence_api_lists sh -c "curl -s -m 2 '$API/api/v1/silences' | jq -e '.silences | length == 1' >/dev/null"
check silence_bad_rule sh -c "! $S silence add --rule no_such_rule $A 2>'$T/bad.err' && grep -q 'HTTP 400' '$T/bad.err'"
check silence_needs_matcher sh -c "! $S silence add $A 2>/dev/null"
check silence_rm_cli sh -c "$S silence rm ${sid:-0} $A | grep -q 'removed'"
check silence_gone sh -c "$S silence list --api $API | grep -q '^no silences'"
check silence_rm_again_404 sh -c "! $S silence rm ${sid:-0} $A 2>'$T/rm.err' && grep -q 'HTTP 404' '$T/rm.err'"

# a real alert: the pilot goes away
check pilot_registered wait_for 15 log_has "$T/commander.log" "pilot n1 registered"
kill -9 "$PILOT"
check unreachable_alert_fires wait_for 30 sh -c "curl -s -m 2 '$API/api/v1/alerts' |
	jq -e '.active[] | select(.rule == \"pilot_unreachable\" and .node == \"n1\")' >/dev/null"
check alert_event_recorded wait_for 15 sh -c "curl -s -m 2 '$API/api/v1/events?type=alert&limit=1000' |
	jq -e '[.events[].message] | map(select(test(\"n1\"))) | length >= 1' >/dev/null"
[ -n "${VERBOSE:-}" ] && cat "$T/commander.log"
finish
