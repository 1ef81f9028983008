#!/bin/sh
# tests/chaos/chaos.sh: randomized failover runs (FAILOVER.md "What the tests
# must show").  `make chaos RUNS=N [SEED=S] [PAR=P] [TIMING=default|fast]`.
#
# Each run, in a directory of its own: a commander with one [group] of two
# validators; two pilots, each supervising a cometbft simnode (process
# backend) with the keyswap signer, a lease file and one shared signing
# journal; a relay between each pilot and the commander.  Once the primary
# signs, at a moment drawn from the run's seed, one fault (or two) is
# injected: kill -9, SIGSTOP or partition (relay blackhole or drop) of the
# primary's pilot, node or link, of the secondary, or of the commander.
# Each fault is healed (restart, SIGCONT, pass) after a short or a long
# hold.  Then journal_check judges the journal: no height signed twice, no
# regression, nothing at or below the initial sign state; the failover time
# (the fault -> the secondary's first signature) is recorded when a
# failover was due; signing must go on after every fault healed.
#
# Environment:
#   RUNS      runs (20)            SEED   first seed (random); run i uses
#   PAR       runs at once (1)            SEED+i, printed for replay
#   TIMING    default: every sextant timing at its default (the failover
#             time figures); fast: ttl 4s and the rest in proportion (CI)
#   FAULTS    comma list restricting the draw: names of FAULT_NAMES, or
#             two joined by '+', each optionally :long or :short (hold)
#   FAULTS_CYCLE=1  seed S takes entry S mod n of FAULTS instead (so N
#             runs from one seed take them in turn)
#   BLOCK_MS  simnode block time (1000)
#   KEEP=1    keep every run's directory, not only failed ones
#   NO_RELAY=1  pilots dial the commander directly (to tell the relay's
#             part in a result; partitions then do nothing)
#   SABOTAGE=no-fence  the negative control: no lease file and no
#             doppelganger check, so a frozen pilot's node signs on and a
#             failover must double-sign (a harness that cannot fail
#             proves nothing)
#   CHAOS_DIR where run directories go (a new temp dir)
# Exit status: 0 when every run passed.
set -u
B=${B:-build}
case "$B" in /*) ;; *) B="$(pwd)/$B" ;; esac
RUNS=${RUNS:-20}
SEED=${SEED:-}
PAR=${PAR:-1}
TIMING=${TIMING:-default}
FAULTS=${FAULTS:-}
BLOCK_MS=${BLOCK_MS:-1000}
KEEP=${KEEP:-}

FAULT_NAMES="p-pilot-kill p-pilot-stop p-part-blackhole p-part-drop
p-node-kill p-node-stop s-pilot-kill s-pilot-stop s-node-kill s-node-stop
s-part cmd-kill cmd-stop"

for p in sextant sextant-commander sextant-pilot simnode relay journal_check; do
	if [ ! -x "$B/$p" ]; then
		echo "chaos: $B/$p is missing: run 'make' first" >&2
		exit 2
	fi
done
case "$TIMING" in
default | fast) ;;
*) echo "chaos: TIMING: default or fast, got '$TIMING'" >&2; exit 2 ;;
esac
case "$RUNS$PAR$BLOCK_MS" in
*[!0-9]*) echo "chaos: RUNS, PAR and BLOCK_MS are numbers" >&2; exit 2 ;;
esac
[ -z "$SEED" ] && SEED=$(($(od -An -N3 -tu4 /dev/urandom | tr -d ' ') % 1000000))
case "$SEED" in
'' | *[!0-9]*) echo "chaos: SEED: a number, got '$SEED'" >&2; exit 2 ;;
esac
[ "$PAR" -ge 1 ] || PAR=1
for f in $(echo "$FAULTS" | tr ',+' '  '); do
	case " $(echo $FAULT_NAMES) " in
	*" ${f%:*} "*) ;;
	*) echo "chaos: FAULTS: unknown fault '$f' (known: $(echo $FAULT_NAMES))" >&2
	   exit 2 ;;
	esac
done
if ! "$B/simnode" --help 2>&1 | grep -q -- --lease-file; then
	echo "chaos: $B/simnode has no --lease-file: the runs need it" >&2
	exit 2
fi

# Timings.  default: sextant's own defaults (no timing set in the configs:
# heartbeat 2s, ttl 10s, margin 2s, failover_after 6s, the pilots' redial
# backoff 500ms..30s); fast: each of them times 0.4.  SETTLE covers a
# pilot's longest redial after a commander restart plus a lease span and a
# promotion.  The harness's own durations, in ms:
if [ "$TIMING" = fast ]; then
	HOLD_LONG=20000      # a long fault is held this long
	HOLD_SHORT_MAX=8000  # a short one up to this
	INJECT_MAX=5000      # after the first signature, inject within this
	SETTLE=30000         # after the last heal, run on this long
	FAILOVER_BOUND=20000 # a due failover must come within this
	FIRST_SIG_S=60       # the first signature must come within this
else
	HOLD_LONG=45000
	HOLD_SHORT_MAX=20000
	INJECT_MAX=10000
	SETTLE=60000
	FAILOVER_BOUND=60000
	FIRST_SIG_S=120
fi
LIVE_TAIL=$((5000 + 3 * BLOCK_MS)) # at the end, a signature this recent

CHAOS_DIR=${CHAOS_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/sxt-chaos.XXXXXX")}
mkdir -p "$CHAOS_DIR" || exit 2
VALADDR=C4A05E2D17F3B86E9A0D6C3F1B2E4A5D7C8E9F01
# validator_conf: a validator pilot's files
. "$(dirname "$0")/../validator.sh"

now_ms() { date +%s%3N; }

# sleep_until WALL_MS
sleep_until() {
	_d=$(($1 - $(now_ms)))
	[ "$_d" -gt 0 ] && sleep "$((_d / 1000)).$(printf '%03d' $((_d % 1000)))"
	return 0
}

# ---- the run's random generator (an LCG: the same seed, the same run) ----
RS=1
# VAR N: VAR = a number in [0, N), N < 2^30.  The high bits of two steps:
# an LCG's low bits are poor.
rnd() {
	RS=$(((RS * 1103515245 + 12345) % 2147483648))
	_hi=$((RS / 65536))
	RS=$(((RS * 1103515245 + 12345) % 2147483648))
	eval "$1=$(((_hi * 32768 + RS / 65536) % $2))"
}

# ---- ports ----
USED_PORTS=""
port_in_use() { ss -Htan "( sport = :$1 )" 2>/dev/null | grep -q .; }
free_port() { # VAR
	while :; do
		_p=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 12000))
		case " $USED_PORTS " in *" $_p "*) continue ;; esac
		port_in_use "$_p" && continue
		USED_PORTS="$USED_PORTS $_p"
		eval "$1=$_p"
		return
	done
}

# ---- one run: everything below runs in a subshell per run ----

# ev TEXT: the run's timeline, wall ms first
ev() { echo "$(now_ms) $*" >>"$R/timeline"; }

start_proc() { # NAME cmd...: PID in PID_NAME, output to $R/NAME.log
	_n=$1
	shift
	"$@" >>"$R/$_n.log" 2>&1 &
	eval "PID_$_n=$!"
	ALLPIDS="$ALLPIDS $!"
	ev "start $_n pid $!"
}
pid_of() { eval "echo \${PID_$1:-}"; }
alive() { _p=$(pid_of "$1"); [ -n "$_p" ] && kill -0 "$_p" 2>/dev/null; }
node_pid() { # val1|val2: the simnode's PID from its pidfile, if ours
	_f="$R/$1/node.pid"
	[ -f "$_f" ] || return 1
	_p=$(cat "$_f" 2>/dev/null)
	case "$_p" in '' | *[!0-9]*) return 1 ;; esac
	grep -q "$R" "/proc/$_p/cmdline" 2>/dev/null || return 1
	echo "$_p"
}

write_keys() {
	mkdir -p "$R/keys"
	cp "$CHAOS_DIR/keys/"* "$R/keys/"
	chmod 600 "$R/keys/"*.key
	{
		cat "$R/keys/val1.key.pub"
		cat "$R/keys/val2.key.pub"
	} >"$R/keys/authorized_pilots"
}

write_commander_ini() {
	{
		cat <<EOF
[commander]
listen = tcp://127.0.0.1:$CPORT
key = $R/keys/commander.key
authorized_pilots = $R/keys/authorized_pilots
state_dir = $R/commander
EOF
		# default: nothing set (heartbeat 2s, ttl 10s, margin 2s,
		# failover_after 6s); fast: all of them times 0.4, and so the
		# pilots' commander timeout, redial backoff and node timeout
		[ "$TIMING" = fast ] && echo "interval = 800ms"
		cat <<EOF

[api]
listen = http://127.0.0.1:$APIPORT

[node val1]
group = chaos-val
priority = 10

[node val2]
group = chaos-val
priority = 5

[group chaos-val]
mode = lease
EOF
		if [ "$TIMING" = fast ]; then
			cat <<EOF
ttl = 4s
margin = 800ms
failover_after = 2400ms
EOF
		fi
	} >"$R/commander.ini"
}

# write_pilot_ini val1|val2 RELAYPORT NODEPORT: the validator's files and
# pilot.ini (tests/validator.sh), its node's sign state at INIT_WM.  The
# default timing sets none; no /health (one port fewer to collide on, and
# not what is tested here); SABOTAGE=no-fence: no lease file and no
# doppelganger check.
write_pilot_ini() {
	VAL_DIR=$R VAL_GROUP=chaos-val VAL_HTTP=off VAL_STOP_TIMEOUT=
	VAL_INTERVAL= VAL_COMMANDER= VAL_NODE_TIMEOUT=
	if [ "$TIMING" = fast ]; then
		VAL_INTERVAL=800ms VAL_NODE_TIMEOUT=1200ms
		VAL_COMMANDER="timeout = 2s
reconnect_min = 200ms
reconnect_max = 12s"
	fi
	VAL_LEASE=yes VAL_SIGNER=
	[ "${SABOTAGE:-}" = no-fence ] && VAL_LEASE=no VAL_SIGNER="doppelganger = no"
	validator_conf "$1" chaos-1 "tcp://127.0.0.1:$2" "$3"
	printf '{\n  "height": "%s",\n  "round": 0,\n  "step": 3\n}\n' \
		"$INIT_WM" >"$R/$1/node/data/priv_validator_state.json"
}

start_commander() { start_proc commander "$B/sextant-commander" -d -f "$R/commander.ini"; }
start_pilot() { start_proc "pilot_$1" "$B/sextant-pilot" -d -f "$R/$1/pilot.ini"; }
relay_ctl() { # val1|val2 pass|drop|blackhole
	eval "_c=\$RCTL_$1"
	curl -sf -m 2 "http://127.0.0.1:$_c/$2" >/dev/null 2>&1 ||
		ev "relay $1 $2: control failed"
}

# ---- faults: inject and heal, by role (p: primary, s: secondary) ----
who() { [ "$1" = p ] && echo "$PRIMARY" || echo "$SECONDARY"; }

inject() { # FAULT
	case "$1" in
	cmd-kill) kill -9 "$(pid_of commander)" 2>/dev/null; ev "inject kill -9 commander" ;;
	cmd-stop) kill -STOP "$(pid_of commander)" 2>/dev/null; ev "inject SIGSTOP commander" ;;
	?-pilot-kill)
		_v=$(who "${1%%-*}")
		kill -9 "$(pid_of "pilot_$_v")" 2>/dev/null
		ev "inject kill -9 pilot $_v" ;;
	?-pilot-stop)
		_v=$(who "${1%%-*}")
		kill -STOP "$(pid_of "pilot_$_v")" 2>/dev/null
		ev "inject SIGSTOP pilot $_v" ;;
	?-node-kill)
		_v=$(who "${1%%-*}")
		_p=$(node_pid "$_v") && kill -9 "$_p" 2>/dev/null
		ev "inject kill -9 node $_v (pid ${_p:-none})" ;;
	?-node-stop)
		_v=$(who "${1%%-*}")
		_p=$(node_pid "$_v") && kill -STOP "$_p" 2>/dev/null
		eval "STOPPED_$_v=${_p:-}"
		ev "inject SIGSTOP node $_v (pid ${_p:-none})" ;;
	?-part-blackhole | s-part)
		_v=$(who "${1%%-*}")
		relay_ctl "$_v" blackhole
		ev "inject blackhole $_v" ;;
	?-part-drop)
		_v=$(who "${1%%-*}")
		relay_ctl "$_v" drop
		ev "inject drop $_v" ;;
	esac
}

heal() { # FAULT
	case "$1" in
	cmd-kill) start_commander; ev "heal restart commander" ;;
	cmd-stop) kill -CONT "$(pid_of commander)" 2>/dev/null; ev "heal SIGCONT commander" ;;
	?-pilot-kill)
		_v=$(who "${1%%-*}")
		start_pilot "$_v"
		ev "heal restart pilot $_v" ;;
	?-pilot-stop)
		_v=$(who "${1%%-*}")
		kill -CONT "$(pid_of "pilot_$_v")" 2>/dev/null
		ev "heal SIGCONT pilot $_v" ;;
	?-node-kill) ev "heal (node restarts are the pilot's job)" ;;
	?-node-stop)
		_v=$(who "${1%%-*}")
		eval "_p=\${STOPPED_$_v:-}"
		[ -n "$_p" ] && kill -CONT "$_p" 2>/dev/null
		ev "heal SIGCONT node $_v" ;;
	?-part-* | s-part)
		_v=$(who "${1%%-*}")
		relay_ctl "$_v" pass
		ev "heal pass $_v" ;;
	esac
}

# The last signer in the journal, or nothing.
last_signer() { tail -n 1 "$R/journal" 2>/dev/null | awk 'NF >= 6 { print $5 }'; }
last_sig_wall() { tail -n 1 "$R/journal" 2>/dev/null | awk 'NF >= 6 { print $6 }'; }

# Draw the run's plan from its seed: FAULT (a name, or two joined by '+'),
# the inject moment and each part's hold.
plan() {
	if [ -n "$FAULTS" ]; then
		_list=$(echo "$FAULTS" | tr ',' ' ')
		_n=$(echo $_list | wc -w)
		rnd _i "$_n"
		# in turn by seed, so that a replay of one seed is that run
		[ -n "${FAULTS_CYCLE:-}" ] && _i=$((RSEED % _n))
		FAULT=$(echo $_list | cut -d' ' -f$((_i + 1)))
	else
		rnd _k 20
		if [ "$_k" -lt 10 ]; then
			set -- p-pilot-kill p-pilot-stop p-part-blackhole \
				p-part-drop p-node-kill p-node-stop
		elif [ "$_k" -lt 14 ]; then
			set -- s-pilot-kill s-pilot-stop s-node-kill \
				s-node-stop s-part
		elif [ "$_k" -lt 16 ]; then
			set -- cmd-kill cmd-stop
		else
			# two at once: the primary and someone else
			set -- p-pilot-kill+cmd-kill p-pilot-stop+cmd-kill \
				p-part-blackhole+cmd-kill p-pilot-stop+s-node-kill \
				p-part-drop+s-pilot-kill p-node-stop+p-part-drop \
				p-pilot-kill+s-pilot-stop p-part-blackhole+cmd-stop
		fi
		rnd _i $#
		eval "FAULT=\${$((_i + 1))}"
	fi
	# FAULTS may force the hold: name:long or name:short
	_force=
	case "$FAULT" in
	*:long) _force=long FAULT=${FAULT%:long} ;;
	*:short) _force=short FAULT=${FAULT%:short} ;;
	esac
	rnd INJECT_AT "$INJECT_MAX"
	FAULT1=${FAULT%%+*}
	FAULT2=
	case "$FAULT" in *+*) FAULT2=${FAULT#*+} ;; esac
	for _f in $FAULT1 $FAULT2; do
		case " $(echo $FAULT_NAMES) " in
		*" $_f "*) ;;
		*) echo "chaos: unknown fault '$_f' (known: $(echo $FAULT_NAMES))" >&2
		   exit 2 ;;
		esac
	done
	# holds: a primary fault is long half of the time (a failover is
	# then due); the others are short; p-node-kill heals by itself
	rnd _l 2
	[ "$_force" = long ] && _l=1
	[ "$_force" = short ] && _l=0
	if [ "$_l" = 1 ] && [ "${FAULT1#p-}" != "$FAULT1" ] &&
		[ "$FAULT1" != p-node-kill ]; then
		HOLD1=$HOLD_LONG
	else
		rnd HOLD1 "$HOLD_SHORT_MAX"
		HOLD1=$((HOLD1 + 500))
	fi
	OFF2=0
	HOLD2=0
	if [ -n "$FAULT2" ]; then
		rnd OFF2 $((HOLD1 < 10000 ? HOLD1 : 10000))
		rnd HOLD2 "$HOLD_SHORT_MAX"
		HOLD2=$((HOLD2 + 500))
	fi
	# A failover is due when the primary's fault is long and nothing
	# else stays broken for long.
	EXPECT=none
	if [ "$HOLD1" = "$HOLD_LONG" ]; then
		if [ -z "$FAULT2" ]; then EXPECT=failover; else EXPECT=failover-combo; fi
	fi
}

stop_all() {
	# wake the frozen first, so that a stop signal is acted on
	for _p in $ALLPIDS; do kill -CONT "$_p" 2>/dev/null; done
	for _v in val1 val2; do
		_np=$(node_pid "$_v") && kill -CONT "$_np" 2>/dev/null
	done
	for _p in $ALLPIDS; do kill -TERM "$_p" 2>/dev/null; done
	for _p in $ALLPIDS; do
		_i=0
		while kill -0 "$_p" 2>/dev/null && [ $_i -lt 100 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		kill -9 "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
	done
	# a node outlives its pilot only by mistake; end it by its PID
	for _v in val1 val2; do
		if _np=$(node_pid "$_v"); then
			echo "$(now_ms) node $_v pid $_np outlived its pilot" >>"$R/timeline"
			kill -9 "$_np" 2>/dev/null
		fi
	done
	ALLPIDS=""
}

# Ports, configs and daemons of one start of a run.
start_world() {
	USED_PORTS=""
	free_port CPORT
	free_port APIPORT
	for _v in val1 val2; do
		free_port _rp
		free_port _rc
		free_port _np
		eval "RPORT_$_v=$_rp RCTL_$_v=$_rc NPORT_$_v=$_np"
	done
	NOW=$(now_ms)
	GENESIS=$((NOW - 200 * BLOCK_MS))
	# Both nodes start with a sign state a few blocks ahead: nothing at
	# or below it may ever be signed.
	INIT_WM=$(((NOW - GENESIS) / BLOCK_MS + 3))
	write_keys
	write_commander_ini
	if [ -n "${NO_RELAY:-}" ]; then
		# pilots dial the commander itself (partitions do nothing)
		RPORT_val1=$CPORT RPORT_val2=$CPORT
	fi
	write_pilot_ini val1 "$RPORT_val1" "$NPORT_val1"
	write_pilot_ini val2 "$RPORT_val2" "$NPORT_val2"

	for _v in val1 val2; do
		[ -n "${NO_RELAY:-}" ] && break
		eval "_rp=\$RPORT_$_v _rc=\$RCTL_$_v"
		start_proc "relay_$_v" "$B/relay" --listen "127.0.0.1:$_rp" \
			--to "127.0.0.1:$CPORT" --control "127.0.0.1:$_rc"
	done
	start_commander
	start_pilot val1
	start_pilot val2
}

# Wait for the first signature; REASON says why there is none.
wait_first_signature() {
	REASON=""
	_deadline=$(($(now_ms) + FIRST_SIG_S * 1000))
	while [ -z "$(last_signer)" ]; do
		if [ "$(now_ms)" -gt "$_deadline" ]; then
			REASON="no signature within ${FIRST_SIG_S}s of the start"
			break
		fi
		for _n in commander pilot_val1 pilot_val2 relay_val1 relay_val2; do
			[ -z "$(pid_of "$_n")" ] && continue
			alive "$_n" || REASON="$_n exited at the start"
		done
		[ -n "$REASON" ] && break
		sleep 0.2
	done
}

run_one() { # SEED
	RSEED=$1
	R="$CHAOS_DIR/run-$1"
	rm -rf "$R"
	mkdir -p "$R" "$R/commander"
	ALLPIDS=""
	RS=$((RSEED + 1))
	rnd _warm 7 # spin the generator off the seed's first values
	plan
	trap 'stop_all; exit 1' INT TERM
	echo "seed=$RSEED fault=$FAULT inject_after=$INJECT_AT hold1=$HOLD1" \
		"off2=$OFF2 hold2=$HOLD2 expect=$EXPECT timing=$TIMING" >"$R/plan"

	# A port found free may be taken before it is bound (parallel runs,
	# other tests): then the start is tried again on other ports, also
	# when the first signature came (a secondary whose node could not
	# bind would leave the run without a standby).
	_try=1
	while :; do
		start_world
		wait_first_signature
		[ "$_try" -lt 3 ] &&
			grep -qi 'in use' "$R"/*.log "$R"/val*/node.log 2>/dev/null ||
			break
		ev "a port was taken: start again ($REASON)"
		stop_all
		for _f in "$R"/*.log; do mv "$_f" "$_f.try$_try"; done
		rm -rf "$R/commander" "$R/val1" "$R/val2" "$R/journal"
		mkdir -p "$R/commander"
		_try=$((_try + 1))
	done

	T_FAIL=0
	if [ -z "$REASON" ]; then
		ev "first signature by $(last_signer)"
		sleep_until $(($(now_ms) + INJECT_AT))
		PRIMARY=$(last_signer)
		if [ "$PRIMARY" = val1 ]; then SECONDARY=val2; else SECONDARY=val1; fi
		ev "primary $PRIMARY secondary $SECONDARY"
		T_FAIL=$(now_ms)
		inject "$FAULT1"
		T_HEAL1=$((T_FAIL + HOLD1))
		T_INJ2=$((T_FAIL + OFF2))
		T_HEAL2=$((T_INJ2 + HOLD2))
		if [ -n "$FAULT2" ]; then
			sleep_until "$T_INJ2"
			inject "$FAULT2"
		fi
		# heal in time order
		if [ -n "$FAULT2" ] && [ "$T_HEAL2" -lt "$T_HEAL1" ]; then
			sleep_until "$T_HEAL2"
			heal "$FAULT2"
			sleep_until "$T_HEAL1"
			heal "$FAULT1"
			T_LAST=$T_HEAL1
		elif [ -n "$FAULT2" ]; then
			sleep_until "$T_HEAL1"
			heal "$FAULT1"
			sleep_until "$T_HEAL2"
			heal "$FAULT2"
			T_LAST=$T_HEAL2
		else
			sleep_until "$T_HEAL1"
			heal "$FAULT1"
			T_LAST=$T_HEAL1
		fi
		T_END=$((T_LAST + SETTLE))
		[ "$T_END" -lt $((T_FAIL + FAILOVER_BOUND)) ] &&
			T_END=$((T_FAIL + FAILOVER_BOUND))
		sleep_until "$T_END"
		ev "end of observation"
		# a daemon that exited on its own is a bug (the killed ones
		# were restarted under the same name)
		for _n in commander pilot_val1 pilot_val2 relay_val1 relay_val2; do
			[ -z "$(pid_of "$_n")" ] && continue
			if ! alive "$_n"; then
				wait "$(pid_of "$_n")" 2>/dev/null
				REASON="${REASON:+$REASON; }$_n exited by itself (status $?)"
			fi
		done
		_lw=$(last_sig_wall)
		if [ -z "$_lw" ] || [ "$_lw" -lt $((T_END - LIVE_TAIL)) ]; then
			REASON="${REASON:+$REASON; }not signing at the end (last signature ${_lw:+$((T_END - _lw)) ms before it})"
		fi
	fi
	stop_all

	# the judge
	set -- --watermark-height "$INIT_WM"
	if [ "$T_FAIL" -gt 0 ]; then
		set -- "$@" --failed-at "$T_FAIL" --primary "$PRIMARY" \
			--until "$T_END"
		[ "$EXPECT" = failover ] &&
			set -- "$@" --expect-failover "$FAILOVER_BOUND"
	fi
	"$B/journal_check" "$@" "$R/journal" >"$R/judge.txt" 2>&1
	JRC=$?
	[ -f "$R/journal" ] || JRC=0
	SUM=$(grep '^SUMMARY ' "$R/judge.txt" | tail -n 1)
	get() { echo "$SUM" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
	DOUBLES=$(get double_signs)
	REGR=$(get regressions)
	BELOW=$(get below_watermark)
	EPOCHF=$(get epoch_faults)
	FO=$(get failover_ms)
	SILENT=$(get max_silence_ms)
	[ "$JRC" = 2 ] && REASON="${REASON:+$REASON; }journal_check: $(head -n 1 "$R/judge.txt")"
	[ "$JRC" = 1 ] && REASON="${REASON:+$REASON; }$(grep -E '^(DOUBLE|REGRESSION|BELOW|SHARED|OVERLAP|MALFORMED|LATE|SILENT)' "$R/judge.txt" | head -n 3 | tr '\n' ' ')"
	[ "$EXPECT" = none ] && FO_REC=- || FO_REC=${FO:--}
	# the commander's "double-sign risk" alarms (each a critical event):
	# with no double sign in the journal, each one was a false alarm;
	# with double signs and none, the alarm missed them
	RISK=$(cat "$R"/commander.log 2>/dev/null | grep -c 'double-sign risk')
	FALSE_ALARMS=0 MISSED_ALARM=0
	if [ "${DOUBLES:-0}" = 0 ]; then
		FALSE_ALARMS=$RISK
	elif [ "$RISK" = 0 ]; then
		MISSED_ALARM=1
	fi
	if [ -z "$REASON" ]; then RESULT=PASS; else RESULT=FAILED; fi
	echo "seed=$RSEED fault=$FAULT expect=$EXPECT result=$RESULT" \
		"failover_ms=$FO_REC double_signs=${DOUBLES:-?}" \
		"regressions=${REGR:-?} below_watermark=${BELOW:-?}" \
		"epoch_faults=${EPOCHF:-?}" \
		"max_silence_ms=${SILENT:--} risk_alarms=$RISK" \
		"false_alarms=$FALSE_ALARMS missed_alarm=$MISSED_ALARM" \
		"primary=${PRIMARY:-?}" \
		"reason=${REASON:-none}" | tr -s ' ' >"$R/result"
	if [ "$RESULT" = PASS ] && [ -z "$KEEP" ]; then
		# keep the verdict, drop the rest
		cp "$R/result" "$CHAOS_DIR/result-$RSEED"
		rm -rf "$R"
	else
		cp "$R/result" "$CHAOS_DIR/result-$RSEED"
	fi
}

# ---- the session ----
mkdir -p "$CHAOS_DIR/keys"
for k in commander val1 val2; do
	"$B/sextant" keygen -o "$CHAOS_DIR/keys/$k.key" -C "$k" >/dev/null 2>&1 || {
		echo "chaos: sextant keygen failed" >&2
		exit 2
	}
done

echo "chaos: $RUNS run(s) from seed $SEED, $PAR at once, timing=$TIMING," \
	"block ${BLOCK_MS}ms, dir $CHAOS_DIR"
RUNPIDS=""
abort() {
	for p in $RUNPIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $RUNPIDS; do wait "$p" 2>/dev/null; done
	echo "chaos: interrupted; runs kept in $CHAOS_DIR"
	exit 130
}
trap abort INT TERM

# What a replay needs besides the seed: every setting that changes a run.
REPLAY=""
[ "$TIMING" != default ] && REPLAY="$REPLAY TIMING=$TIMING"
[ "$BLOCK_MS" != 1000 ] && REPLAY="$REPLAY BLOCK_MS=$BLOCK_MS"
[ -n "$FAULTS" ] && REPLAY="$REPLAY FAULTS=$FAULTS"
[ -n "${FAULTS_CYCLE:-}" ] && REPLAY="$REPLAY FAULTS_CYCLE=1"
[ -n "${NO_RELAY:-}" ] && REPLAY="$REPLAY NO_RELAY=1"
[ -n "${SABOTAGE:-}" ] && REPLAY="$REPLAY SABOTAGE=$SABOTAGE"

report() { # SEED: print the run's line as it ends
	_f="$CHAOS_DIR/result-$1"
	if [ ! -f "$_f" ]; then
		echo "FAILED seed=$1 fault=? (the run left no result)"
		echo "  replay: make chaos RUNS=1 SEED=$1$REPLAY"
		return
	fi
	_l=$(cat "$_f")
	_res=$(echo "$_l" | sed -n 's/.* result=\([A-Z]*\).*/\1/p')
	_fault=$(echo "$_l" | sed -n 's/.* fault=\([^ ]*\).*/\1/p')
	echo "run $_l"
	if [ "$_res" != PASS ]; then
		echo "FAILED seed=$1 fault=$_fault"
		echo "  replay: make chaos RUNS=1 SEED=$1$REPLAY"
		echo "  kept: $CHAOS_DIR/run-$1 (timeline, judge.txt, *.log, journal)"
	fi
}

i=0
while [ "$i" -lt "$RUNS" ]; do
	s=$((SEED + i))
	(run_one "$s") &
	RUNPIDS="$RUNPIDS $!"
	eval "SEED_OF_$!=$s"
	i=$((i + 1))
	set -- $RUNPIDS
	if [ $# -ge "$PAR" ]; then
		wait "$1"
		eval "report \$SEED_OF_$1"
		shift
		RUNPIDS="$*"
	fi
done
for p in $RUNPIDS; do
	wait "$p"
	eval "report \$SEED_OF_$p"
done
RUNPIDS=""

# ---- summary ----
cat "$CHAOS_DIR"/result-* 2>/dev/null >"$CHAOS_DIR/results"
nruns=$(wc -l <"$CHAOS_DIR/results")
nfail=$(grep -c 'result=FAILED' "$CHAOS_DIR/results")
ndouble=$(sed -n 's/.* double_signs=\([0-9]*\).*/\1/p' "$CHAOS_DIR/results" |
	awk '{ s += $1 } END { print s + 0 }')
sed -n 's/.*expect=failover .*failover_ms=\([0-9][0-9]*\).*/\1/p' \
	"$CHAOS_DIR/results" | sort -n >"$CHAOS_DIR/failover_ms"
pct() { # P: nearest-rank percentile of failover_ms, in seconds
	awk -v p="$1" '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		k = int((p * NR + 99) / 100); if (k < 1) k = 1
		printf "%.1fs", v[k] / 1000 }' "$CHAOS_DIR/failover_ms"
}
nfo=$(wc -l <"$CHAOS_DIR/failover_ms")
nrisk=$(sed -n 's/.* risk_alarms=\([0-9]*\).*/\1/p' "$CHAOS_DIR/results" |
	awk '$1 > 0 { n++ } END { print n + 0 }')
nfalse=$(sed -n 's/.* false_alarms=\([0-9]*\).*/\1/p' "$CHAOS_DIR/results" |
	awk '{ s += $1 } END { print s + 0 }')
nmissed=$(grep -c 'missed_alarm=1' "$CHAOS_DIR/results")
echo "chaos: $nruns runs, $nfail failed, $ndouble double signs," \
	"$nrisk with a commander double-sign risk alarm" \
	"($nfalse false alarms, $nmissed runs with double signs and no alarm);" \
	"failover ($nfo runs with a long primary fault, timing=$TIMING," \
	"block ${BLOCK_MS}ms): p50 $(pct 50) p99 $(pct 99) max $(pct 100)"
if [ "$nfail" = 0 ] && [ -z "$KEEP" ]; then
	rm -rf "$CHAOS_DIR"
else
	echo "chaos: results in $CHAOS_DIR/results"
fi
[ "$nfail" = 0 ] && [ "$nruns" = "$RUNS" ]
