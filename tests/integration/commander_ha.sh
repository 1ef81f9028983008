#!/bin/sh
# commander_ha: commander HA on a real etcd (FAILOVER.md: "with commander
# HA (etcd) it keeps signing").  One etcd member on loopback; two
# commanders, c1 and c2, sharing one key pair and one [ha] cluster; two
# simnode validators of one identity with their pilots (keyswap signers,
# one shared signing journal), each pilot listing both commanders.  One
# commander leads and grants the primary epoch 1.  The leader is killed
# with SIGKILL: the standby takes over, renews the same primary in the
# same epoch (no failover, no new epoch), and the primary's node keeps
# signing: the journal shows no gap as long as the lease ttl and
# journal_check finds no double sign.  The killed commander comes back as
# the standby; the API, the metrics (sextant_ha_leader) and the events
# say who leads.  Then the new leader is cut off from etcd (a relay that
# blackholes) while pilots still reach it: it stops leading before the
# standby may start, and the primary still keeps signing in epoch 1.
# A leader stopped gracefully hands over at once (lease revoked); a frozen
# one (SIGSTOP) is replaced, and thawed it stands by.
. tests/lib.sh
. tests/commander.sh

need_built sextant sextant-commander sextant-pilot simnode journal_check relay
if ! command -v etcd >/dev/null 2>&1; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y etcd-server etcd-client >"$T/apt.log" 2>&1 ||
		{ apt-get update >>"$T/apt.log" 2>&1 &&
			apt-get install -y etcd-server etcd-client \
				>>"$T/apt.log" 2>&1; }
	if ! command -v etcd >/dev/null 2>&1; then
		echo "SKIP commander_ha: etcd cannot be installed"
		tail -n 3 "$T/apt.log"
		exit 0
	fi
fi

ms_now() { echo $(($(date +%s%N) / 1000000)); }

TTL_MS=8000 # the group's lease
HA_TTL=3s   # the commanders' etcd lease
EPORT=$(port)
EPEER=$(port)
RPORT=$(port) # c2 reaches etcd through a relay that can cut it off
RCTL=$(port)
ETCD=http://127.0.0.1:$EPORT
PREFIX=/sextant-test-$$
VALADDR=A1B2C3D4E5F60718293A4B5C6D7E8F9012345678
GENESIS=$(($(date +%s) * 1000 - 300000))

# etcd, one member (peers.md)
spawn etcd etcd --name t1 --data-dir "$T/etcd" \
	--listen-client-urls "$ETCD" --advertise-client-urls "$ETCD" \
	--listen-peer-urls "http://127.0.0.1:$EPEER" \
	--initial-advertise-peer-urls "http://127.0.0.1:$EPEER" \
	--initial-cluster "t1=http://127.0.0.1:$EPEER" \
	--initial-cluster-state new
etcd_ok() { curl -sf -m 1 "$ETCD/health" | grep -q '"health":"true"'; }
wait_for 20 etcd_ok || { fail etcd_starts "$(tail -n 5 "$T/etcd.log")"; finish; }
pass etcd_starts
spawn relay "$B/relay" --listen "127.0.0.1:$RPORT" --to "127.0.0.1:$EPORT" \
	--control "127.0.0.1:$RCTL"
relay() { curl -sf -m 2 "http://127.0.0.1:$RCTL/$1" >/dev/null; }
wait_for 10 relay state || { fail relay_starts; finish; }
# what etcd holds under KEY (decoded), or nothing
etcd_get() {
	_k=$(printf '%s' "$1" | base64 -w0)
	curl -s -m 2 -X POST "$ETCD/v3/kv/range" -d "{\"key\":\"$_k\"}" |
		jq -r '.kvs[0].value // empty' | base64 -d 2>/dev/null
}

# one logical commander: c1 and c2 share this key pair
keys val1 val2

# ha_commander ID ENDPOINTS: its config, ports in CPORT_ID / APORT_ID
ha_commander() {
	_c=$1
	_cp=$(port)
	_ap=$(port)
	_ep=$2
	eval "CPORT_$_c=$_cp APORT_$_c=$_ap"
	{
		commander_conf "$_cp" "$T/$_c-state"
		cat <<EOF

[api]
listen = http://127.0.0.1:$_ap

[ha]
endpoint = $_ep
prefix = $PREFIX
id = $_c
ttl = $HA_TTL
margin = 1s
timeout = 500ms

[node val1]
group = g
network = ha-1
role = validator
priority = 10

[node val2]
group = g
network = ha-1
role = validator
priority = 5

[group g]
mode = lease
ttl = ${TTL_MS}ms
margin = 2s
failover_after = 6s
max_lag = 5
EOF
	} >"$T/$_c.ini"
	if "$B/sextant-commander" -n -f "$T/$_c.ini" >"$T/$_c.check" 2>&1; then
		pass "${_c}_config"
	else
		fail "${_c}_config" "$(cat "$T/$_c.check")"
	fi
}
# c1 lists a dead member first: every call moves on to the next
DEAD=$(port)
ha_commander c1 "http://127.0.0.1:$DEAD
endpoint = $ETCD"
ha_commander c2 "http://127.0.0.1:$RPORT"

# validator NAME: its directories, secret key, sign state and pilot.ini
. tests/validator.sh
validator val1 ha-1 "tcp://127.0.0.1:$CPORT_c1 tcp://127.0.0.1:$CPORT_c2"
validator val2 ha-1 "tcp://127.0.0.1:$CPORT_c1 tcp://127.0.0.1:$CPORT_c2"
check pilot_lists_both_commanders sh -c "'$B/sextant-pilot' -nv -f '$T/val1/pilot.ini' | grep -c '^url = tcp://127.0.0.1:' | grep -qx 2"

api() { eval "echo http://127.0.0.1:\$APORT_$1"; }
ha() { curl -s -m 2 "$(api "$1")/api/v1/ha"; }
# leads ID: its API says it leads and serves pilots
leads() { ha "$1" | jq -e '.role == "leader" and .serving' >/dev/null; }
# stands_by ID LEADER: it does not lead, and it sees LEADER lead
stands_by() {
	ha "$1" | jq -e --arg l "$2" '.role != "leader" and (.serving | not) and
		.leader == $l' >/dev/null
}
gauge() { # ID: its sextant_ha_leader sample
	curl -s -m 2 "$(api "$1")/metrics" |
		awk -v id="$1" '$1 == "sextant_ha_leader{id=\"" id "\"}" { print $2 }'
}
group() { curl -s -m 2 "$(api "$1")/api/v1/groups/g"; }
held_by() { # ID NODE EPOCH: commander ID says NODE holds EPOCH
	group "$1" | jq -e --arg h "$2" --argjson e "$3" \
		'.holder == $h and .epoch == $e and .phase == "held"' >/dev/null
}
signs() { awk -v n="$1" '$5 == n { f = 1 } END { exit !f }' "$T/journal" 2>/dev/null; }
signed_since() { # NODE MS: NODE signed after wall time MS
	awk -v n="$1" -v t="$2" '$5 == n && $6 > t { f = 1 } END { exit !f }' \
		"$T/journal" 2>/dev/null
}
# the longest pause between two consecutive signatures, in ms
max_gap() {
	awk '{ if (p && $6 - p > g) g = $6 - p; p = $6 } END { print g + 0 }' \
		"$T/journal"
}
steps() { # ID: its lease events, "STEP EPOCH NODE"
	curl -s -m 2 "$(api "$1")/api/v1/events?type=lease_change&limit=1000" |
		jq -r '.events[] | "\(.details.step) \(.details.epoch) \(.node)"'
}

spawn c1 "$B/sextant-commander" -d -f "$T/c1.ini"
eval "PID_c1=$LASTPID"
if wait_for 20 leads c1; then
	pass first_commander_leads
else
	fail first_commander_leads "$(ha c1) $(tail -n 5 "$T/c1.log")"
	finish
fi
spawn c2 "$B/sextant-commander" -d -f "$T/c2.ini"
eval "PID_c2=$LASTPID"
check second_commander_stands_by wait_for 20 stands_by c2 c1
check standby_not_listening sh -c "! ss -Htln '( sport = :$CPORT_c2 )' | grep -q ."
[ "$(etcd_get "$PREFIX/leader")" = c1 ] && pass etcd_says_c1_leads ||
	fail etcd_says_c1_leads "$(etcd_get "$PREFIX/leader")"
check gauge_leader_1 wait_for 5 sh -c "[ \"\$(curl -s -m 2 '$(api c1)/metrics' | grep '^sextant_ha_leader{id=\"c1\"}')\" = 'sextant_ha_leader{id=\"c1\"} 1' ]"
check gauge_standby_0 sh -c "[ \"\$(curl -s -m 2 '$(api c2)/metrics' | grep '^sextant_ha_leader{id=\"c2\"}')\" = 'sextant_ha_leader{id=\"c2\"} 0' ]"

spawn pilot_val1 "$B/sextant-pilot" -d -f "$T/val1/pilot.ini"
spawn pilot_val2 "$B/sextant-pilot" -d -f "$T/val2/pilot.ini"

# 1. the leader grants the primary epoch 1, recorded in etcd
if wait_for 40 held_by c1 val1 1; then
	pass primary_holds_epoch_1
else
	fail primary_holds_epoch_1 "$(group c1)"
fi
check primary_signs wait_for 30 signs val1
rec=$(etcd_get "$PREFIX/failover/g")
echo "$rec" | jq -e '.epoch == 1 and .holder == "val1"' >/dev/null &&
	pass epoch_recorded_in_etcd || fail epoch_recorded_in_etcd "'$rec'"
# let it sign for a while under c1
wait_for 20 sh -c "[ \$(awk '\$5 == \"val1\"' '$T/journal' | wc -l) -ge 5 ]"

# 2. the leader dies
eval "kill -9 \$PID_c1"
t_kill=$(ms_now)
if wait_for 20 leads c2; then
	pass standby_takes_over
else
	fail standby_takes_over "$(ha c2) $(tail -n 5 "$T/c2.log")"
fi
t_lead=$(ms_now)
echo "  takeover: c2 leads $((t_lead - t_kill)) ms after the kill of c1"
[ "$(etcd_get "$PREFIX/leader")" = c2 ] && pass etcd_says_c2_leads ||
	fail etcd_says_c2_leads "$(etcd_get "$PREFIX/leader")"
check new_leader_renews_same_epoch wait_for 20 held_by c2 val1 1
# the primary keeps signing, for longer than two lease spans after the kill
check primary_signs_after_takeover wait_for 40 signed_since val1 $((t_kill + 2 * TTL_MS))
gap=$(max_gap)
echo "  longest pause between two signatures: $gap ms (lease ttl $TTL_MS ms)"
check no_gap_as_long_as_the_lease [ "$gap" -gt 0 -a "$gap" -lt "$TTL_MS" ]
check secondary_never_signed sh -c "! awk '\$5 == \"val2\"' '$T/journal' | grep -q ."
check still_epoch_1 held_by c2 val1 1
steps c2 >"$T/steps2"
check no_failover_on_new_leader sh -c "! grep -Eq '^(started|lost|granted 2|persisted 2)' '$T/steps2'"
check primary_never_stopped_signing sh -c "! grep -q 'signing stopped' '$T/pilot_val1.log'"
"$B/journal_check" "$T/journal" >"$T/judge.txt" 2>&1
JRC=$?
tail -n 1 "$T/judge.txt"
check journal_check_no_double_sign [ "$JRC" = 0 ]

# 3. the old leader comes back: it stands by
spawn c1b "$B/sextant-commander" -d -f "$T/c1.ini"
eval "PID_c1=$LASTPID"
if wait_for 20 stands_by c1 c2; then
	pass old_leader_stands_by
else
	fail old_leader_stands_by "$(ha c1)"
fi
check leader_still_c2 leads c2
# the CLI given both commanders asks the leader (the standby's fleet has
# never heard from a pilot)
cli_sees_val1() {
	SEXTANT_API="$1" "$B/sextant" status --json 2>"$T/cli.err" |
		jq -e '.nodes[] | select(.name == "val1") | .connected and .height > 0' >/dev/null
}
check cli_asks_the_leader cli_sees_val1 "$(api c1),$(api c2)"
check cli_standby_alone_knows_nothing sh -c "! SEXTANT_API='$(api c1)' '$B/sextant' status --json 2>/dev/null |
	jq -e '.nodes[] | select(.name == \"val1\") | .connected' >/dev/null"
# ... and says why: the standby's fleet names the leader, the CLI warns
check standby_fleet_names_leader sh -c "curl -s -m 2 '$(api c1)/api/v1/fleet' |
	jq -e '.standby.leader == \"c2\"' >/dev/null"
check leader_fleet_not_standby sh -c "curl -s -m 2 '$(api c2)/api/v1/fleet' |
	jq -e 'has(\"standby\") | not' >/dev/null"
SEXTANT_API="$(api c1)" "$B/sextant" status >/dev/null 2>"$T/cli.err"
check cli_warns_standby grep -q "standby and shows no fleet; the leader is c2" "$T/cli.err"
check gauge_new_leader_1 sh -c "[ \"\$(curl -s -m 2 '$(api c2)/metrics' | grep '^sextant_ha_leader{id=\"c2\"}')\" = 'sextant_ha_leader{id=\"c2\"} 1' ]"
check gauge_back_standby_0 sh -c "[ \"\$(curl -s -m 2 '$(api c1)/metrics' | grep '^sextant_ha_leader{id=\"c1\"}')\" = 'sextant_ha_leader{id=\"c1\"} 0' ]"
curl -s -m 2 "$(api c2)/api/v1/events?type=commander&limit=100" >"$T/ev2.json"
check event_says_c2_leads sh -c "jq -e '[.events[] | select(.details.ha_id == \"c2\" and
	.details.ha_role == \"leader\")] | length == 1' '$T/ev2.json' >/dev/null"
check still_held_after_restore held_by c2 val1 1

# event_ms ID ROLE: wall time of ID's last leadership event with ROLE
event_ms() {
	curl -s -m 2 "$(api "$1")/api/v1/events?type=commander&limit=100" |
		jq -r --arg r "$2" '[.events[] | select(.details.ha_role == $r)] |
			max_by(.id) | .time_ms // empty'
}

# 4. the leader (c2) loses etcd but not its pilots: it must stop acting
# before etcd lets c1 win, and c1 renews the same primary
relay blackhole
t_cut=$(ms_now)
check cut_leader_steps_down wait_for 10 sh -c "! ss -Htln '( sport = :$CPORT_c2 )' | grep -q ."
if wait_for 20 leads c1; then
	pass standby_takes_over_from_cut_leader
else
	fail standby_takes_over_from_cut_leader "$(ha c1)"
fi
t_lead=$(ms_now)
echo "  partition: c1 leads $((t_lead - t_cut)) ms after the cut"
down=$(event_ms c2 standby)
up=$(event_ms c1 leader)
echo "  c2 stopped leading at $down, c1 started at $up"
check cut_leader_stopped_before_new_one_started sh -c \
	"[ -n '$down' ] && [ -n '$up' ] && [ '$down' -lt '$up' ]"
check same_epoch_after_partition wait_for 20 held_by c1 val1 1
check primary_signs_after_partition wait_for 30 signed_since val1 $((t_cut + TTL_MS))
relay pass
check healed_leader_stands_by wait_for 20 stands_by c2 c1

# 5. a leader stopped gracefully revokes its lease: c2 takes over at once
eval "kill -TERM \$PID_c1"
t_stop=$(ms_now)
check graceful_handover wait_for 10 leads c2
t_lead=$(ms_now)
echo "  graceful stop: c2 leads $((t_lead - t_stop)) ms after SIGTERM to c1"
check graceful_handover_faster_than_ttl [ $((t_lead - t_stop)) -lt 3000 ]
check same_epoch_after_handover wait_for 20 held_by c2 val1 1
check primary_signs_after_handover wait_for 30 signed_since val1 $((t_stop + TTL_MS))

# 6. the leader (c2) freezes (SIGSTOP) with its connections up: c1 takes
# over, pilots leave the frozen one, and once thawed it stands by
spawn c1c "$B/sextant-commander" -d -f "$T/c1.ini"
check restarted_c1_stands_by wait_for 20 stands_by c1 c2
eval "kill -STOP \$PID_c2"
t_stop=$(ms_now)
if wait_for 20 leads c1; then
	pass standby_takes_over_from_frozen_leader
else
	fail standby_takes_over_from_frozen_leader "$(ha c1)"
fi
t_lead=$(ms_now)
echo "  freeze: c1 leads $((t_lead - t_stop)) ms after SIGSTOP to c2"
check same_epoch_after_freeze wait_for 20 held_by c1 val1 1
check primary_signs_after_freeze wait_for 30 signed_since val1 $((t_stop + TTL_MS))
eval "kill -CONT \$PID_c2"
check thawed_leader_stands_by wait_for 20 stands_by c2 c1

# 7. the leader key deleted by hand while the leader's etcd lease lives:
# the leader (c1) must notice at its next keepalive and step down, so two
# commanders never lead at once; one leads again, same primary, same epoch
_k=$(printf '%s' "$PREFIX/leader" | base64 -w0)
curl -s -m 2 -X POST "$ETCD/v3/kv/deleterange" -d "{\"key\":\"$_k\"}" >/dev/null
t_del=$(ms_now)
# (noticed by the keepalive's check or by a fenced record write, whichever
# comes first)
check deleted_key_leader_steps_down wait_for 10 log_has "$T/c1c.log" 'c1 no longer leads: the leader key'
one_leads() { { leads c1 && ! leads c2; } || { leads c2 && ! leads c1; }; }
check one_leader_after_key_deleted wait_for 20 one_leads
held_any() { held_by c1 val1 1 || held_by c2 val1 1; }
check same_epoch_after_key_deleted wait_for 20 held_any
check primary_signs_after_key_deleted wait_for 30 signed_since val1 $((t_del + TTL_MS))
gap=$(max_gap)
echo "  longest pause between two signatures over the run: $gap ms"
check no_gap_over_the_run [ "$gap" -gt 0 -a "$gap" -lt "$TTL_MS" ]
check secondary_never_signed_over_the_run sh -c "! awk '\$5 == \"val2\"' '$T/journal' | grep -q ."
"$B/journal_check" "$T/journal" >"$T/judge.txt" 2>&1
JRC=$?
tail -n 1 "$T/judge.txt"
check no_double_sign_ever [ "$JRC" = 0 ]
[ -n "${VERBOSE:-}" ] && cat "$T/steps2" "$T/c2.log"
finish
