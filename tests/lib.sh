# tests/lib.sh: shared helpers for integration tests (POSIX sh).
# Source it first: it makes $T (a temp dir), tracks every PID started with
# spawn(), and on exit kills them and removes $T.  Results are "PASS name" /
# "FAIL name" lines, which tests/run.sh counts.
#
# A test that sets OWN_TMPDIR=NAME before sourcing runs with TMPDIR a
# directory of its own (exported: what it starts makes its temp files
# there too), removed at exit: other tools sweep stale /tmp/sxt.* dirs.
set -u
B=${B:-build}
case "$B" in /*) ;; *) B="$(pwd)/$B" ;; esac
if [ -n "${OWN_TMPDIR:-}" ]; then
	TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/sextant-$OWN_TMPDIR.XXXXXX") || exit 1
	export TMPDIR
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/sextant-it.XXXXXX")
PIDS=""
NFAIL=0

cleanup() {
	for p in $PIDS; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
	for p in $PIDS; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 30 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -9 "$p" 2>/dev/null
	done
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$T"
	[ -z "${OWN_TMPDIR:-}" ] || rmdir "$TMPDIR" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# spawn LOGNAME cmd...: start cmd in the background, output to $T/LOGNAME.log;
# its PID is in $LASTPID and is killed at exit.
spawn() {
	_log=$1
	shift
	"$@" >"$T/$_log.log" 2>&1 &
	LASTPID=$!
	PIDS="$PIDS $LASTPID"
}

pass() { echo "PASS $1"; }
fail() {
	echo "FAIL $1${2:+: $2}"
	NFAIL=$((NFAIL + 1))
}
# check NAME cmd...: PASS if cmd succeeds.
check() {
	_n=$1
	shift
	if "$@"; then pass "$_n"; else fail "$_n"; fi
}

# wait_for SECONDS cmd...: poll cmd every 0.1 s until it succeeds or the
# deadline passes; returns cmd's last status.
wait_for() {
	_deadline=$(($(date +%s) + $1))
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(date +%s)" -ge "$_deadline" ] && return 1
		sleep 0.1
	done
}

# free_port: a TCP port on 127.0.0.1 that nothing uses now.  Chosen below
# the kernel's ephemeral range (32768+), where outgoing connections would
# otherwise take it between this check and the bind.
free_port() {
	while :; do
		_p=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 12000))
		ss -Htan "( sport = :$_p )" 2>/dev/null | grep -q . ||
			{ echo "$_p"; return; }
	done
}

# port: a free port that no earlier call in this test handed out, so that
# two daemons never get one port before either listens.  Remembered in a
# file: port runs in command substitutions, whose variables do not come
# back.
port() {
	while :; do
		_p=$(free_port)
		grep -qx "$_p" "$T/.ports" 2>/dev/null && continue
		echo "$_p" >>"$T/.ports"
		echo "$_p"
		return
	done
}

# need_built PROG...: end the test with a FAIL unless each $B/PROG is built.
need_built() {
	for _prog in "$@"; do
		[ -x "$B/$_prog" ] || { fail "built_$_prog"; finish; }
	done
}

# hj PORT JQ-EXPR: the pilot's /health on PORT holds JQ-EXPR.  (jq 1.6 -e
# exits 0 on empty input, so an unanswered request must fail here first.)
hj() {
	_b=$(curl -s -m 2 "http://127.0.0.1:$1/health") && [ -n "$_b" ] &&
		printf '%s\n' "$_b" | jq -e "$2" >/dev/null
}

# log_has FILE PATTERN: grep -q on a log (for wait_for).
log_has() { grep -q -- "$2" "$1" 2>/dev/null; }

finish() { exit $((NFAIL > 0)); }
