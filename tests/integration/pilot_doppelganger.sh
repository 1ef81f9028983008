#!/bin/sh
# pilot_doppelganger: a pilot granted the signing lease by the real
# commander must not enable its key while that key signs elsewhere.  A
# "rogue" simnode signs with the validator's address into the shared
# journal; the pilot's own simnode serves /commit from that journal, so the
# doppelganger check sees the rogue's signatures and aborts: the pilot's
# node never signs, and the pilot says why.  Then the rogue stops and a
# later grant (the commander keeps granting) promotes after a clean watch.
. tests/lib.sh
. tests/commander.sh
. tests/validator.sh

VALADDR=C4A05E2D17F3B86E9A0D6C3F1B2E4A5D7C8E9F01
GENESIS=$(($(date +%s) * 1000 - 200000))
keys val2
CPORT=$(port)
NODE=$(port)
HTTP=$(port)
# no lease file: only the doppelganger check stands between a grant and
# signing
VAL_DIR=$T VAL_GROUP=val-g VAL_HTTP=$HTTP VAL_LEASE=no
VAL_SIGNER="doppelganger_blocks = 3"
VAL_COMMANDER="timeout = 1s
reconnect_min = 100ms
reconnect_max = 1s"
VAL_STOP_TIMEOUT=2s
validator_conf val2 dop-1 "tcp://127.0.0.1:$CPORT" "$NODE"
KEY=$T/val2/secret/priv_validator_key.json
NODE_KEY=$T/val2/node/config/priv_validator_key.json
mkdir -p "$T/rogue"
cp "$KEY" "$T/rogue/key.json"

# the rogue: the same key, signing every height into the journal
ROGUE=$(port)
spawn rogue "$B/simnode" --flavour cometbft --listen "127.0.0.1:$ROGUE" \
	--genesis "$GENESIS" --name rogue --validator-key "$T/rogue/key.json" \
	--journal "$T/journal"
ROGUE_PID=$LASTPID
wait_for 10 curl -s -m 1 -o /dev/null "http://127.0.0.1:$ROGUE/_sim/state" ||
	{ fail rogue_starts; finish; }

{
	commander_conf "$CPORT"
	cat <<EOF

[api]
listen = http://127.0.0.1:$(port)

[node val2]
group = val-g
priority = 5

[group val-g]
mode = lease
ttl = 4s
margin = 800ms
failover_after = 2400ms
EOF
} >"$T/c.ini"
"$B/sextant-commander" -n -f "$T/c.ini" 2>"$T/c.err" ||
	{ fail commander_config "$(cat "$T/c.err")"; finish; }
"$B/sextant-pilot" -n -f "$T/val2/pilot.ini" 2>"$T/p.err" ||
	{ fail pilot_config "$(cat "$T/p.err")"; finish; }
spawn c "$B/sextant-commander" -d -v -f "$T/c.ini"
spawn pilot "$B/sextant-pilot" -d -f "$T/val2/pilot.ini"

check demoted_at_start wait_for 10 grep -q 'demoted at start, not signing' "$T/pilot.log"
if wait_for 30 grep -q 'promotion failed, not signing: doppelganger: .* signed #[0-9]*: the key signs somewhere else' "$T/pilot.log"; then
	pass doppelganger_aborts_promotion
else
	fail doppelganger_aborts_promotion "$(tail -n 8 "$T/pilot.log")"
fi
check watch_was_logged grep -q "doppelganger check: watching 3 commits after #[0-9]* for $VALADDR" "$T/pilot.log"
check key_never_placed test ! -e "$NODE_KEY"
check val2_never_signed sh -c "! grep -q ' val2 ' '$T/journal'"
check health_not_signing hj "$HTTP" '.signer.signing | not'

# the rogue goes away: the next grant promotes after a clean watch
kill "$ROGUE_PID"
if wait_for 40 hj "$HTTP" '.signer.signing and .signer.lease_epoch > 0'; then
	pass promoted_once_clear
else
	fail promoted_once_clear "$(tail -n 8 "$T/pilot.log")"
fi
check key_in_place cmp -s "$KEY" "$NODE_KEY"
check val2_signs wait_for 10 grep -q ' val2 ' "$T/journal"
# never a height signed by both
check no_double_sign sh -c "awk '{print \$1}' '$T/journal' | sort | uniq -d | grep -q . && exit 1 || exit 0"
finish
