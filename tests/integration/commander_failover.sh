#!/bin/sh
# commander_failover: the commander's side of FAILOVER.md end to end.  Two
# simnode validators of one identity, each run by its own pilot with a
# keyswap signer, signing into one shared journal; a commander with a
# [group].  The primary gets the lease and signs.  Its pilot (SIGKILL) and
# its node die together: the secondary is granted a new epoch, never
# before the old lease's commander-side expiry, and signs.  No height is
# ever signed twice.  The old primary comes back not signing; `sextant
# switchover --to` it moves the lease back with an acknowledgement: no
# expiry wait.  Every step is a lease event, in order, in the API.
. tests/lib.sh
. tests/commander.sh

need_built sextant sextant-commander sextant-pilot simnode
if ! "$B/simnode" --help 2>&1 | grep -q -- --lease-file; then
	fail simnode_has_lease_file "simnode has no --lease-file"
	finish
fi

TTL_MS=8000
MARGIN_MS=2000
CPORT=$(port)
APORT=$(port)
API=http://127.0.0.1:$APORT
VALADDR=A1B2C3D4E5F60718293A4B5C6D7E8F9012345678
GENESIS=$(($(date +%s) * 1000 - 300000))

keys val1 val2
TOKEN=failover-test-token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
(umask 077 && printf '%s\n' "$TOKEN" >"$T/keys/token")

{
	commander_conf "$CPORT"
	cat <<EOF

[api]
listen = $API
token_file = $T/keys/token

[node val1]
group = g
network = fo-1
role = validator
priority = 10

[node val2]
group = g
network = fo-1
role = validator
priority = 5

[group g]
mode = lease
ttl = ${TTL_MS}ms
margin = ${MARGIN_MS}ms
failover_after = 2s
max_lag = 5
EOF
} >"$T/commander.ini"

# validator NAME: its directories, secret key, sign state and pilot.ini
. tests/validator.sh

validator val1 fo-1 "tcp://127.0.0.1:$CPORT" http
validator val2 fo-1 "tcp://127.0.0.1:$CPORT" http
start_commander
spawn pilot_val1 "$B/sextant-pilot" -d -f "$T/val1/pilot.ini"
P1=$LASTPID
spawn pilot_val2 "$B/sextant-pilot" -d -f "$T/val2/pilot.ini"
P2=$LASTPID

group() { curl -s -m 2 "$API/api/v1/groups/g"; }
# held_by NODE EPOCH: the API says NODE holds EPOCH, settled
held_by() {
	group | jq -e --arg h "$1" --argjson e "$2" \
		'.holder == $h and .epoch == $e and .phase == "held"' >/dev/null
}
signs() { # NODE: the journal has a signature by NODE
	awk -v n="$1" '$5 == n { f = 1 } END { exit !f }' "$T/journal" 2>/dev/null
}
# journal_heights_unique: no height signed twice, by anyone
journal_unique() {
	[ -s "$T/journal" ] || return 1
	! awk '{ print $1 }' "$T/journal" | sort | uniq -d | grep -q .
}
# lease events' steps in id order, one per line: "STEP EPOCH NODE"
steps() {
	curl -s -m 2 "$API/api/v1/events?type=lease_change&limit=1000" |
		jq -r '.events[] | "\(.details.step) \(.details.epoch) \(.node)"'
}
ms_now() { echo $(($(date +%s%N) / 1000000)); }

# 1. the primary gets epoch 1 and signs
if wait_for 40 held_by val1 1; then
	pass primary_holds_epoch_1
else
	fail primary_holds_epoch_1 "$(group)"
fi
check primary_signs wait_for 30 signs val1
check secondary_not_signing sh -c "! awk '\$5 == \"val2\"' '$T/journal' | grep -q ."
steps >"$T/steps1"
check lease_grant_after_persist sh -c "grep -A1 '^persisted 1 val1' '$T/steps1' | grep -q '^granted 1 val1'"
check fleet_shows_holder sh -c "curl -s -m 2 '$API/api/v1/fleet' |
	jq -e '[.nodes[] | select(.lease_holder) | .name] == [\"val1\"]' >/dev/null"
check metrics_epoch sh -c "curl -s -m 2 '$API/metrics' | grep -q '^sextant_lease_epoch{group=\"g\"} 1$'"

# 2. the primary's pilot and its node die together
NODE1=$(cat "$T/val1/node.pid" 2>/dev/null)
last1=$(awk '$5 == "val1" { h = $1 } END { print h }' "$T/journal")
kill -9 "$P1"
[ -n "$NODE1" ] && kill -9 "$NODE1" 2>/dev/null
t_kill=$(ms_now)
if wait_for 60 held_by val2 2; then
	pass secondary_holds_epoch_2
else
	fail secondary_holds_epoch_2 "$(group)"
fi
t_grant=$(ms_now)
# never before the old lease's commander-side expiry: its last renewal
# was at most one heartbeat (1 s) before the kill
span=$((TTL_MS + MARGIN_MS))
check failover_not_before_expiry [ $((t_grant - t_kill)) -ge $((span - 1500)) ]
echo "  failover: granted $((t_grant - t_kill)) ms after the kill (span $span ms)"
check secondary_signs wait_for 30 signs val2
steps >"$T/steps2"
check failover_steps_in_order awk '
	$1 == "lost" && $2 == 1 && !l { l = NR }
	$1 == "started" && $2 == 1 && !s { s = NR }
	$1 == "granted" && $2 == 2 && $3 == "val2" && !g { g = NR }
	END { exit !(l && s && g && s < g && l < g) }' "$T/steps2"
first2=$(awk '$5 == "val2" { print $1; exit }' "$T/journal")
check secondary_above_primary [ "${first2:-0}" -gt "${last1:-0}" ]
check no_double_sign_after_failover journal_unique

# 3. the old primary comes back, not signing, and catches up
spawn pilot_val1b "$B/sextant-pilot" -d -f "$T/val1/pilot.ini"
P1=$LASTPID
member_ready() {
	group | jq -e '.members[] | select(.node == "val1") |
		.connected and .healthy and .lag <= 5 and (.signing | not)' >/dev/null
}
if wait_for 60 member_ready; then
	pass old_primary_back_not_signing
else
	fail old_primary_back_not_signing "$(group)"
fi
n_before=$(awk '$5 == "val1"' "$T/journal" | wc -l)

# 4. switchover back: refused without the token, then done with an ack
check switchover_needs_token sh -c "! SEXTANT_TOKEN= '$B/sextant' switchover g --to val1 --api '$API' --no-wait 2>/dev/null"
check switchover_refuses_bad_target sh -c "! '$B/sextant' switchover g --to nope --api '$API' --token-file '$T/keys/token' 2>'$T/sw-bad.err' && grep -q 'HTTP 409' '$T/sw-bad.err'"
t0=$(ms_now)
if "$B/sextant" switchover g --to val1 --api "$API" \
	--token-file "$T/keys/token" --timeout 60s >"$T/sw.out" 2>&1; then
	pass switchover_cli_ok
else
	fail switchover_cli_ok "$(cat "$T/sw.out")"
fi
t1=$(ms_now)
cat "$T/sw.out"
check switchover_cli_says_holder grep -q 'val1 holds the lease of g, epoch 3' "$T/sw.out"
check switchover_held_epoch_3 held_by val1 3
# acknowledged: no wait for the old lease to run out
check switchover_faster_than_expiry [ $((t1 - t0)) -lt "$TTL_MS" ]
echo "  switchover: $((t1 - t0)) ms"
steps >"$T/steps3"
check switchover_acknowledged awk '
	$1 == "released" && $2 == 2 && $3 == "val2" && !r { r = NR }
	$1 == "granted" && $2 == 3 && $3 == "val1" && !g { g = NR }
	$1 == "lost" && $2 == 2 { l = 1 }
	END { exit !(r && g && r < g && !l) }' "$T/steps3"
check old_primary_signs_again wait_for 30 sh -c \
	"[ \$(awk '\$5 == \"val1\"' '$T/journal' | wc -l) -gt $n_before ]"
check no_double_sign_ever journal_unique
check groups_cli sh -c "'$B/sextant' groups --api '$API' | grep -q 'holder val1'"
[ -n "${VERBOSE:-}" ] && cat "$T/steps3" "$T/commander.log"
finish
