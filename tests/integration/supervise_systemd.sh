#!/bin/sh
# supervise_systemd: the systemd backend through fake systemctl and
# journalctl first on PATH (these machines have no systemd as PID 1).
# The fakes record every argument and answer from a unit file in $T, so
# the test checks both what the backend runs and how it reads the answers.
. tests/lib.sh

FAKE="$T/bin"
mkdir -p "$FAKE" "$T/units"
export FAKE_DIR="$T"

cat >"$FAKE/systemctl" <<'EOF'
#!/bin/sh
D=$FAKE_DIR
{ printf 'systemctl'; for a in "$@"; do printf '|%s' "$a"; done; echo; } \
	>>"$D/calls"
verb=$1
for u in "$@"; do :; done
f="$D/units/$u"
now_us() { echo $(($(awk '{ print int($1 * 100) }' /proc/uptime) * 10000)); }
kv() { sed -i "s/^$1=.*/$1=$2/" "$f"; }
newpid() {
	n=$(($(cat "$D/pid" 2>/dev/null || echo 5000) + 1))
	echo "$n" >"$D/pid"
	kv MainPID "$n"
}
running() {
	kv ActiveState active; kv SubState running; newpid
	kv ExecMainCode 0; kv ExecMainStatus 0; kv Result success
	kv ExecMainStartTimestampMonotonic "$(now_us)"
	kv ExecMainExitTimestampMonotonic 0
}
if [ ! -f "$f" ]; then
	case $verb in
	show) printf 'LoadState=not-found\nActiveState=inactive\nSubState=dead\nMainPID=0\n' ;;
	is-active) echo inactive; exit 3 ;;
	*) echo "Failed to $verb $u: Unit $u not found." >&2; exit 5 ;;
	esac
	exit 0
fi
case $verb in
show)
	[ -f "$D/big-show" ] && head -c 200000 /dev/zero | tr '\0' x
	cat "$f" ;;
is-active)
	a=$(sed -n 's/^ActiveState=//p' "$f")
	echo "$a"
	[ "$a" = active ]
	exit ;;
start)
	if [ -f "$D/fail-start" ]; then
		kv ActiveState failed; kv SubState failed; kv MainPID 0
		kv ExecMainCode 1; kv ExecMainStatus 1; kv Result exit-code
		kv ExecMainExitTimestampMonotonic "$(now_us)"
	else
		running
	fi ;;
restart) running ;;
stop)
	[ -f "$D/hang-stop" ] && exec sleep 30
	kv ActiveState inactive; kv SubState dead; kv MainPID 0
	kv ExecMainCode 2; kv ExecMainStatus 15
	kv ExecMainExitTimestampMonotonic "$(now_us)" ;;
kill)
	kv ActiveState failed; kv SubState failed; kv MainPID 0
	kv ExecMainCode 2; kv ExecMainStatus 9; kv Result signal ;;
*) echo "Unknown command verb $verb." >&2; exit 1 ;;
esac
exit 0
EOF

# journalctl: the cursor is the line number; each call adds a new line,
# so a second read must bring exactly that one.
cat >"$FAKE/journalctl" <<'EOF'
#!/bin/sh
D=$FAKE_DIR
{ printf 'journalctl'; for a in "$@"; do printf '|%s' "$a"; done; echo; } \
	>>"$D/calls"
after=0
while [ $# -gt 0 ]; do
	case $1 in --after-cursor) after=${2#s=fake;i=}; shift ;; esac
	shift
done
n=$(wc -l <"$D/journal")
[ "$n" -gt "$after" ] || exit 0
tail -n "+$((after + 1))" "$D/journal"
echo "-- cursor: s=fake;i=$n"
echo "Imported #$((n + 100)) (0xfeed)" >>"$D/journal"
EOF
chmod 755 "$FAKE/systemctl" "$FAKE/journalctl"
export PATH="$FAKE:$PATH"

now_us() { echo $(($(awk '{ print int($1 * 100) }' /proc/uptime) * 10000)); }
cat >"$T/units/val1.service" <<EOF
LoadState=loaded
ActiveState=active
SubState=running
MainPID=4242
ExecMainCode=0
ExecMainStatus=0
ExecMainStartTimestampMonotonic=$(($(now_us) - 5000000))
ExecMainExitTimestampMonotonic=0
NRestarts=2
Result=success
EOF
printf '%s\n' 'Imported #101 (0xaa)' '-- cursor: s=evil;i=0' \
	'Idle (8 peers), best: #101' >"$T/journal"

SX="$B/sextant supervise -b systemd"
val() { sed -n "s/^$1=//p" "$2"; }
calls() { cat "$T/calls"; : >"$T/calls"; }
PROPS="LoadState,ActiveState,SubState,MainPID,ExecMainCode,ExecMainStatus"
PROPS="$PROPS,ExecMainStartTimestampMonotonic,ExecMainExitTimestampMonotonic"
PROPS="$PROPS,NRestarts,Result"

: >"$T/calls"
$SX -t val1.service state >"$T/s1" 2>"$T/e1"
check "state: runs systemctl show with the properties" \
	[ "$(calls)" = "systemctl|show|-p|$PROPS|val1.service" ]
check "state: running, MainPID, NRestarts" \
	sh -c "grep -qx running=1 '$T/s1' && grep -qx pid=4242 '$T/s1' && grep -qx restart_count=2 '$T/s1' && grep -qx status=active/running '$T/s1'"
now_ms=$(($(date +%s) * 1000))
at=$(val started_at_ms "$T/s1")
check "state: start time from the monotonic stamp (~5 s ago)" \
	[ "$at" -gt $((now_ms - 8000)) -a "$at" -lt $((now_ms - 2000)) ]

$SX -t val1.service stop state >"$T/s2" 2>"$T/e2"
check "stop: systemctl stop, then show" \
	[ "$(calls | head -n 1)" = "systemctl|stop|val1.service" ]
check "stop: exited, killed by SIGTERM" \
	sh -c "grep -qx running=0 '$T/s2' && grep -qx exited=1 '$T/s2' && grep -qx exit_signal=15 '$T/s2' && grep -qx status=inactive/dead '$T/s2'"

$SX -t val1.service start state >"$T/s3" 2>"$T/e3"
check "start: systemctl start, then is-active" \
	[ "$(calls | head -n 2 | tr '\n' ' ')" = "systemctl|start|val1.service systemctl|is-active|val1.service " ]
check "start: running with a new pid" \
	sh -c "grep -qx running=1 '$T/s3' && grep -qx pid=5001 '$T/s3'"

$SX -t val1.service restart state >"$T/s4" 2>"$T/e4"
check "restart: systemctl restart" \
	[ "$(calls | head -n 1)" = "systemctl|restart|val1.service" ]
check "restart: new pid" grep -qx pid=5002 "$T/s4"

# A stop that hangs past our timeout: systemctl is killed, then SIGKILL.
touch "$T/hang-stop"
t0=$(date +%s)
$SX -t val1.service -T 300 -C 300 stop state >"$T/s5" 2>"$T/e5"
rc=$?
rm -f "$T/hang-stop"
check "hung stop: escalates to systemctl kill --signal=SIGKILL" \
	sh -c "[ $rc -eq 0 ] && grep -qx 'systemctl|kill|--signal=SIGKILL|val1.service' '$T/calls'"
check "hung stop: bounded" [ $(($(date +%s) - t0)) -le 3 ]
check "hung stop: reported as killed by 9" grep -qx exit_signal=9 "$T/s5"
: >"$T/calls"

touch "$T/fail-start"
$SX -t val1.service start >/dev/null 2>"$T/e6"
rc=$?
rm -f "$T/fail-start"
check "start that fails at once: exit 1" [ $rc -eq 1 ]
check "start that fails at once: says how" \
	grep -q "unit 'val1.service' is failed right after start: exit status 1" "$T/e6"

$SX -t nosuch.service state >/dev/null 2>"$T/e7"
check "missing unit: state says so" grep -q "no such unit 'nosuch.service'" "$T/e7"
$SX -t nosuch.service start >/dev/null 2>"$T/e8"
check "missing unit: start says so" grep -q "no such unit 'nosuch.service'" "$T/e8"
$SX -t '-bad' state >/dev/null 2>"$T/e9"
check "unit name that looks like an option is refused" \
	grep -q "bad unit name '-bad'" "$T/e9"
: >"$T/calls"

$SX -t val1.service -s 1700000000 logs logs >"$T/logs" 2>"$T/e10"
check "logs: journalctl -u UNIT --since @T -o cat" \
	[ "$(sed -n 1p "$T/calls")" = "journalctl|-u|val1.service|--since|@1700000000|-n|2000|-o|cat|--no-pager|-q|--show-cursor" ]
check "logs: the next read goes on after the cursor" \
	[ "$(sed -n 2p "$T/calls")" = "journalctl|-u|val1.service|--after-cursor|s=fake;i=3|-n|2000|-o|cat|--no-pager|-q|--show-cursor" ]
printf 'stdout\t%s\n' 'Imported #101 (0xaa)' '-- cursor: s=evil;i=0' \
	'Idle (8 peers), best: #101' 'Imported #103 (0xfeed)' >"$T/logs.want"
check "logs: lines once each; a node's '-- cursor:' line is just a line" \
	cmp -s "$T/logs" "$T/logs.want"
: >"$T/calls"

$SX -t val1.service start events stop events start events >"$T/ev" 2>"$T/e11"
check "events: die with the signal, then start" \
	sh -c "sed -n 1p '$T/ev' | grep -q '^die .*exit_signal=15' && sed -n 2p '$T/ev' | grep -q '^start '"

touch "$T/big-show"
$SX -t val1.service state >/dev/null 2>"$T/e13"
rc=$?
rm -f "$T/big-show"
check "endless systemctl output: refused, bounded" \
	sh -c "[ $rc -eq 1 ] && grep -q 'wrote more than 65536 bytes' '$T/e13'"

PATH=/nonexistent $SX -t val1.service state >/dev/null 2>"$T/e12"
check "no systemctl on PATH: says so" \
	grep -q "cannot run 'systemctl': No such file or directory" "$T/e12"

for f in e1 e2 e3 e4 e5 e10 e11; do
	[ -s "$T/$f" ] && { echo "--- $f"; cat "$T/$f"; }
done
finish
