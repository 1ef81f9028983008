#!/bin/sh
# supervise_podman: the docker backend against a real engine, podman's
# Docker-compatible API, with a static simnode in a busybox container on
# the host network.  Recipe and pitfalls: shared/reference/peers.md.
. tests/lib.sh

TEST=supervise_podman
. tests/podman.sh

PORT=$(free_port)
# exec: simnode is PID 1 and exits cleanly on SIGTERM (sh would ignore it)
podman create --name val1 --network host localhost/sxt-simnode:latest \
	/bin/sh -c "echo 'simnode starting' >&2; exec /simnode \
	--flavour substrate --listen 127.0.0.1:$PORT --block-ms 200 \
	--name val1" >"$T/create.log" 2>&1 ||
	{ fail "podman create" "$(cat "$T/create.log")"; finish; }
podman create --name tty1 --tty --network host localhost/sxt-simnode:latest \
	/bin/sh -c 'echo tty-line-1; echo tty-line-2; exec sleep 600' \
	>>"$T/create.log" 2>&1 ||
	{ fail "podman create tty" "$(cat "$T/create.log")"; finish; }

export DOCKER_HOST="unix://$SOCK"
SX="$B/sextant supervise -b docker"
T0=$(date +%s)

val() { sed -n "s/^$1=//p" "$2"; }

$SX -t val1 state >"$T/s0" 2>"$T/e0"
check "created container reads as created" \
	grep -qx 'status=created' "$T/s0"

$SX -t val1 start state >"$T/s1" 2>"$T/e1"
check "start: running with a pid" \
	sh -c "grep -qx 'running=1' '$T/s1' && [ \"\$(sed -n 's/^pid=//p' '$T/s1')\" -gt 0 ]"
check "host network: simnode RPC answers on 127.0.0.1" \
	wait_for 15 curl -sf -H 'Content-Type: application/json' \
	-d '{"jsonrpc":"2.0","id":1,"method":"system_health","params":[]}' \
	"http://127.0.0.1:$PORT/"

has_imports() {
	$SX -t val1 logs >"$T/logs" 2>"$T/logs.err" &&
		[ "$(grep -c 'Imported #' "$T/logs")" -ge 3 ]
}
check "logs: simnode's Imported lines arrive" wait_for 15 has_imports
check "logs: stdout lines are whole 'Imported #N (0x..)' lines" \
	grep -Eq "^stdout	.*Imported #[0-9]+ \(0x[0-9a-f]+" "$T/logs"
check "logs: stderr demultiplexed as stderr" \
	grep -qx "stderr	simnode starting" "$T/logs"
check "logs: every line is tagged stdout or stderr" \
	sh -c "! grep -qv '^std\(out\|err\)	' '$T/logs'"
check "logs: no frame header bytes in the text" \
	sh -c "! tr -d '\t\n' <'$T/logs' | LC_ALL=C grep -q '[[:cntrl:]]'"

# a cursor carried across two reads: each line exactly once, in order
$SX -t val1 -s "$T0" logs sleep=1200 logs >"$T/follow" 2>&1
grep -o 'Imported #[0-9]*' "$T/follow" | tr -dc '0-9\n' >"$T/heights"
check "logs: two reads with one cursor give no repeats and no gaps" \
	awk 'NR > 1 && $1 != prev + 1 { bad = 1 } { prev = $1 }
	     END { exit bad || NR < 8 }' "$T/heights"

S1_PID=$(val pid "$T/s1")
S1_AT=$(val started_at_ms "$T/s1")
sleep 1 # StartedAt has a resolution the restart must be able to move
$SX -t val1 -T 5000 restart state >"$T/s2" 2>"$T/e2"
check "restart: succeeds and runs again" grep -qx 'running=1' "$T/s2"
check "restart: new pid" [ "$(val pid "$T/s2")" != "$S1_PID" ]
check "restart: StartedAt moves forward" \
	[ "$(val started_at_ms "$T/s2")" -gt "$S1_AT" ]

$SX -t val1 -s "$T0" events >"$T/events" 2>"$T/events.err"
check "events: start, restart and die since the test began" \
	sh -c "grep -q '^start ' '$T/events' && grep -q '^restart ' '$T/events' && grep -q '^die .*exit_code=0' '$T/events'"

t1=$(date +%s)
$SX -t val1 -T 5000 stop state >"$T/s3" 2>"$T/e3"
check "stop: exited with status 0 (SIGTERM honoured)" \
	sh -c "grep -qx 'status=exited' '$T/s3' && grep -qx 'running=0' '$T/s3' && grep -qx 'exit_code=0' '$T/s3'"
check "stop: well before the SIGKILL timeout" [ $(($(date +%s) - t1)) -lt 4 ]
check "stop of a stopped container succeeds (304)" $SX -t val1 stop
check "start twice succeeds (304)" $SX -t val1 start start

$SX -t tty1 start >/dev/null 2>&1
tty_logs() {
	$SX -t tty1 logs >"$T/tty" 2>&1 && grep -q 'tty-line-2' "$T/tty"
}
check "tty container: raw logs, no demultiplexing" wait_for 10 tty_logs
check "tty container: lines intact, carriage returns gone" \
	sh -c "grep -qx 'stdout	tty-line-1' '$T/tty' && grep -qx 'stdout	tty-line-2' '$T/tty'"

$SX -t nosuch state >"$T/s4" 2>"$T/e4"
rc=$?
check "missing container: fails" [ $rc -eq 1 ]
check "missing container: says so" grep -q "no such container 'nosuch'" "$T/e4"

DOCKER_HOST="unix://$T/absent.sock" $SX -t val1 state >/dev/null 2>"$T/e5"
check "no engine socket: says where it looked" \
	grep -q "no container engine socket at $T/absent.sock" "$T/e5"

# The socket is root's (0600): an unprivileged pilot is told what to do.
if command -v setpriv >/dev/null 2>&1; then
	mkdir -p "$T/pub"
	cp "$B/sextant" "$T/pub/sextant"
	chmod 755 "$T/pub" "$T/pub/sextant"
	chmod 711 "$T"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		env DOCKER_HOST="unix://$SOCK" "$T/pub/sextant" supervise \
		-b docker -t val1 state >/dev/null 2>"$T/e6"
	check "socket without permission: names the fix" \
		grep -q "permission denied on $SOCK: add the pilot's user to the docker group" "$T/e6"
	chmod 700 "$T"
fi

for f in e1 e2 e3 logs.err events.err; do
	[ -s "$T/$f" ] && { echo "--- $f"; cat "$T/$f"; }
done
finish
