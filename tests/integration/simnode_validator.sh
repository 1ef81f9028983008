#!/bin/sh
# simnode_validator: a simnode validator signs a height only while its key
# file is in place, never at or below the height in its sign state file
# (also when the file is raised under it, as a pilot does on promotion),
# rewrites that file atomically with CometBFT's encodings, and appends each
# signature to a journal that concurrent simnodes share without ever
# interleaving lines.  /commit shows every address the journal has for a
# height, which is what a doppelganger check looks at.
. tests/lib.sh

SIM=$B/simnode
BMS=100
G=$(($(date +%s%3N) - 60000))
J=$T/journal
ADDR_A=A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1
ADDR_B=B2B2B2B2B2B2B2B2B2B2B2B2B2B2B2B2B2B2B2B2

# start NAME [args]: a cometbft simnode; sets P and SPID.  Retries when
# another process took the port between free_port and bind.
start() {
	_n=$1
	shift
	for _try in 1 2 3; do
		P=$(free_port)
		spawn "$_n" "$SIM" --flavour cometbft --listen "127.0.0.1:$P" \
			--genesis "$G" --block-ms "$BMS" --name "$_n" "$@"
		SPID=$LASTPID
		wait_for 5 sh -c "curl -sf -m 1 http://127.0.0.1:$P/_sim/state ||
			! kill -0 $SPID" 2>/dev/null
		kill -0 "$SPID" 2>/dev/null && return 0
	done
	return 1
}
key() { # FILE ADDRESS: a priv_validator_key.json
	cat >"$1" <<EOF
{
  "address": "$2",
  "pub_key": {"type": "tendermint/PubKeyEd25519", "value": "A6DoBUypNtUAyEHWtQ9bFjfNg8Bo9CrnkUGl6k6OHN4="},
  "priv_key": {"type": "tendermint/PrivKeyEd25519", "value": "c2VjcmV0"}
}
EOF
}
sigs() { # ADDRESS NODE: how many signatures in the journal
	_c=$(grep -c " $1 $2 " "$J" 2>/dev/null)
	echo "${_c:-0}"
}
sigs_above() { [ "$(sigs "$1" "$2")" -gt "$3" ]; }
tip() { echo $((($(date +%s%3N) - G) / BMS)); }
is() { [ "$1" = "$2" ] || { echo "  got '$1', want '$2'"; return 1; }; }

# 1. signs only while the key file exists
key "$T/a.key" "$ADDR_A"
printf '{"height":"0","round":0,"step":0}' >"$T/a.state"
check validator_up start va --validator-key "$T/a.key" --state "$T/a.state" \
	--journal "$J"
PA=$P
check signs_with_key wait_for 5 sigs_above "$ADDR_A" va 5
check status_address is "$(curl -s "http://127.0.0.1:$PA/status" |
	jq -r '.result.validator_info|.address+" "+.voting_power')" "$ADDR_A 10"
check log_prepared log_has "$T/va.log" 'Prepared block for proposing at [0-9]'
rm "$T/a.key"
wait_for 3 sh -c "curl -s http://127.0.0.1:$PA/_sim/state |
	jq -e '.validator.key_present == false' >/dev/null"
n0=$(sigs "$ADDR_A" va)
sleep 1
check no_sign_without_key is "$(sigs "$ADDR_A" va)" "$n0"
check key_gone_logged log_has "$T/va.log" 'validator key .* absent: signing disabled'
check status_not_validator_without_key is "$(curl -s \
	"http://127.0.0.1:$PA/status" | jq -r .result.validator_info.voting_power)" 0
key "$T/a.key" "$ADDR_A"
check signs_again_with_key wait_for 3 sigs_above "$ADDR_A" va "$n0"

# 2. the state file: real encodings, and it only rises
check state_height_string is "$(jq -r '.height|type' "$T/a.state")" string
check state_round_step_ints is "$(jq -c '[.round,.step]' "$T/a.state")" '[0,3]'
check state_signature_base64 sh -c "jq -r .signature '$T/a.state' |
	grep -Eq '^[A-Za-z0-9+/]{86}==$'"
check state_matches_journal is "$(jq -r .height "$T/a.state")" \
	"$(grep " va " "$J" | tail -n 1 | cut -d' ' -f1)"
# the watermark raised under a running node (atomically, as a pilot
# does): from the first refusal on, nothing at or below it is signed.  The
# node's own next write may replace an early raise, so raise until it bites.
W=$(($(tip) + 25))
raise() {
	printf '{"height":"%s","round":0,"step":3}' "$W" >"$T/raise.tmp"
	mv "$T/raise.tmp" "$T/a.state"
	sleep 0.15
	log_has "$T/va.log" "refusing to sign #[0-9]*: at or below sign state height $W"
}
check raise_refused wait_for 3 raise
R=$(grep -o "refusing to sign #[0-9]*: at or below sign state height $W" \
	"$T/va.log" | head -n 1 | sed 's/^refusing to sign #\([0-9]*\):.*/\1/')
wait_for 5 sh -c "[ \$(jq -r .height '$T/a.state') -gt $W ]"
check raised_state_respected is "$(grep " va " "$J" | cut -d' ' -f1 |
	awk -v r="$R" -v w="$W" '$1 >= r && $1 <= w' | wc -l)" 0
check signs_above_raised sh -c "[ \$(jq -r .height '$T/a.state') -gt $W ]"

# 3. never at or below the state file height at start
key "$T/b.key" "$ADDR_B"
WB=$(($(tip) + 15))
printf '{"height":"%s","round":0,"step":3,"signature":"","signbytes":""}' \
	"$WB" >"$T/b.state"
check validator_b_up start vb --validator-key "$T/b.key" --state \
	"$T/b.state" --journal "$J"
PB=$P
check b_signs_after_watermark wait_for 6 sigs_above "$ADDR_B" vb 2
check b_never_at_or_below sh -c "[ \$(grep ' $ADDR_B vb ' '$J' |
	cut -d' ' -f1 | sort -n | head -n 1) -gt $WB ]"
# an unreadable state file stops signing (prefer downtime to doubt)
garble() {
	echo 'garbage' >"$T/b.state"
	sleep 0.15
	log_has "$T/vb.log" 'refusing to sign #[0-9]*: sign state .*: not a JSON'
}
check bad_state_refused wait_for 3 garble
nb=$(sigs "$ADDR_B" vb)
sleep 0.5
check bad_state_no_sign is "$(sigs "$ADDR_B" vb)" "$nb"

# 4. the journal: one well-formed line per signature, from two nodes at
# once; heights rise per node; the commit of a height lists both addresses
check journal_both_nodes sh -c "grep -q ' va ' '$J' && grep -q ' vb ' '$J'"
check journal_lines_well_formed sh -c "! grep -Ev \
	'^[0-9]+ 0 3 [0-9A-F]{40} v[ab] [0-9]{13}$' '$J' | grep -q ."
check journal_no_double_sign is "$(cut -d' ' -f1,4 "$J" | sort | uniq -d |
	wc -l)" 0
for n in va vb; do
	grep " $n " "$J" | cut -d' ' -f1 >"$T/h.$n"
	check "journal_rising_$n" sh -c "sort -n -c '$T/h.$n' && \
		[ -z \"\$(uniq -d '$T/h.$n')\" ]"
done
printf '{"height":"0","round":0,"step":0}' >"$T/b.state"
both() {
	h=$(grep " $ADDR_A va " "$J" | cut -d' ' -f1 | sort -n >"$T/ha"
		grep " $ADDR_B vb " "$J" | cut -d' ' -f1 | sort -n >"$T/hb"
		comm -12 "$T/ha" "$T/hb" | tail -n 1)
	[ -n "$h" ]
}
check both_sign_same_height wait_for 5 both
H=$(comm -12 "$T/ha" "$T/hb" | tail -n 1)
check commit_lists_both_signers is "$(curl -s \
	"http://127.0.0.1:$PB/commit?height=$H" |
	jq -c '[.result.signed_header.commit.signatures[] |
		[.block_id_flag, .validator_address]] | sort')" \
	"[[2,\"$ADDR_A\"],[2,\"$ADDR_B\"]]"
check block_last_commit is "$(curl -s \
	"http://127.0.0.1:$PA/block?height=$((H + 1))" |
	jq '.result.block.last_commit.signatures|length')" 2

# 5. concurrency: four fast simnodes append to one journal for a while;
# every line is whole (no interleaving, no torn writes)
J2=$T/journal2
i=0
while [ $i -lt 4 ]; do
	key "$T/k$i" "$(printf 'C%039d' $i)"
	spawn "fast$i" "$SIM" --flavour cometbft --listen "127.0.0.1:0" \
		--genesis "$G" --block-ms 5 --catchup-rate 5000 --name "fast$i" \
		--validator-key "$T/k$i" --journal "$J2"
	eval "F$i=\$LASTPID"
	i=$((i + 1))
done
wait_for 10 sh -c "[ \$(wc -l <'$J2') -ge 1200 ]"
kill "$F0" "$F1" "$F2" "$F3"
check journal_concurrent_volume sh -c "[ \$(wc -l <'$J2') -ge 1200 ]"
check journal_concurrent_whole sh -c "! grep -Ev \
	'^[0-9]+ 0 3 C[0-9]{39} fast[0-3] [0-9]{13}$' '$J2' | grep -q ."
check journal_concurrent_per_node sh -c "for i in 0 1 2 3; do \
	[ \$(grep -c \" fast\$i \" '$J2') -ge 100 ] || exit 1; done"

# 6. a node in major sync or holding behind does not sign what it imports
# while catching up; signing resumes once it follows again
curl -sf -X POST "http://127.0.0.1:$PA/_sim/major-sync/enter" >/dev/null
na=$(sigs "$ADDR_A" va)
sleep 0.5
check no_sign_in_major_sync is "$(sigs "$ADDR_A" va)" "$na"
curl -sf -X POST "http://127.0.0.1:$PA/_sim/major-sync/leave" >/dev/null
check signs_after_major_sync wait_for 3 sigs_above "$ADDR_A" va "$na"

# 7. key swap with a validator set: a non-validator key signs nothing and
# reports voting power 0; putting the validator key in its place (as the
# pilot's key-swap signer does) makes it sign as the validator
ADDR_N=D4D4D4D4D4D4D4D4D4D4D4D4D4D4D4D4D4D4D4D4
key "$T/n.key" "$ADDR_N"
check set_node_up start vs --validator-key "$T/n.key" --journal "$J" \
	--validator-set "$ADDR_A,$ADDR_B"
PS=$P
check non_validator_power_0 is "$(curl -s "http://127.0.0.1:$PS/status" |
	jq -r '.result.validator_info|.address+" "+.voting_power')" "$ADDR_N 0"
sleep 0.5
check non_validator_no_sign is "$(grep -c " vs " "$J")" 0
check non_validator_logged log_has "$T/vs.log" 'not in the validator set'
key "$T/swap.tmp" "$ADDR_A"
mv "$T/swap.tmp" "$T/n.key"
check swapped_key_signs wait_for 3 sigs_above "$ADDR_A" vs 0
# the same key now signs on two nodes: the journal shows the double sign
dup() { [ -n "$(cut -d' ' -f1,4 "$J" | sort | uniq -d)" ]; }
check journal_shows_double_sign wait_for 3 dup
check swapped_power_10 is "$(curl -s "http://127.0.0.1:$PS/status" |
	jq -r .result.validator_info.voting_power)" 10

# 8. a lease file (as the pilot writes it: "epoch=E expires_mono_ms=X" on
# CLOCK_MONOTONIC): no signature without one, none after its deadline or
# once revoked; the epoch is a 7th journal field
ADDR_L=E5E5E5E5E5E5E5E5E5E5E5E5E5E5E5E5E5E5E5E5
key "$T/l.key" "$ADDR_L"
check lease_node_up start vl --validator-key "$T/l.key" --journal "$J" \
	--lease-file "$T/lease"
PL=$P
sleep 0.5
check no_lease_no_sign is "$(sigs "$ADDR_L" vl)" 0
check no_lease_logged log_has "$T/vl.log" 'lease .* absent: not signing'
lease() { # EPOCH MS_FROM_NOW (0: revoked)
	_m=$(curl -s "http://127.0.0.1:$PL/_sim/state" | jq .mono_ms)
	_x=0
	[ "$2" -gt 0 ] && _x=$((_m + $2))
	printf 'epoch=%s expires_mono_ms=%s\n' "$1" "$_x" >"$T/lease.tmp"
	mv "$T/lease.tmp" "$T/lease"
}
lease 7 1500
check lease_signs wait_for 2 sigs_above "$ADDR_L" vl 0
check lease_epoch_in_journal sh -c "grep ' $ADDR_L vl ' '$J' | tail -n 1 |
	grep -Eq ' [0-9]{13} 7\$'"
check lease_expires wait_for 3 log_has "$T/vl.log" 'lease .* epoch 7 expired: not signing'
nl=$(sigs "$ADDR_L" vl)
sleep 0.5
check no_sign_after_expiry is "$(sigs "$ADDR_L" vl)" "$nl"
check signed_before_deadline_only sh -c "[ $nl -le 17 ]"
lease 8 60000
check lease_renewed_signs wait_for 2 sigs_above "$ADDR_L" vl "$nl"
lease 8 0
check lease_revoked_logged wait_for 2 log_has "$T/vl.log" 'epoch 8 revoked: not signing'
nl=$(sigs "$ADDR_L" vl)
sleep 0.5
check no_sign_when_revoked is "$(sigs "$ADDR_L" vl)" "$nl"

finish
