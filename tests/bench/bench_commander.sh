#!/bin/sh
# bench_commander: a real sextant-commander on loopback under N simulated
# pilots (tests/bench/loadgen.c: real keys, sealed hello + heartbeats, every
# reply opened and decoded).  For each N a fresh commander is started with
# exactly N authorized pilots, then loadgen drives it:
#   - throughput: BENCH_OUTSTANDING requests in flight, as fast as the
#     commander answers, for N = BENCH_PILOTS (100 1000 10000), one TCP
#     connection per pilot as in a real fleet;
#   - rate: each PILOTS:HZ of BENCH_RATE ("1000:1 10000:auto": the issue's
#     1,000 pilots at 1 Hz, and 10,000 at the interval the commander asks
#     pilots for in its replies, as real pilots do), the heartbeats spread
#     evenly, for BENCH_RATE_SECONDS.
# The commander's CPU (utime+stime deltas of /proc/PID/stat) and RSS
# (VmRSS, VmHWM of /proc/PID/status) are sampled by loadgen over exactly the
# measured window.  Prints a table and the verdict on the issue's goals:
# >= 10,000 heartbeats/s with p99 < 20 ms; 1,000 pilots at 1 Hz under 10 %
# of one core.  Exits 1 if a request failed in a measured window or a run
# could not be set up.
#
# loadgen speaks nng's SP-over-TCP framing itself on one epoll thread
# (BENCH_TRANSPORT=raw, the default), so the generator takes a fraction of
# the CPU an nng client would and leaves the two cores to the commander;
# BENCH_TRANSPORT=nng uses nng req0 contexts as the pilot does.
#
# The commander serves tcp:// with its own epoll endpoint
# (commander/ingest_tcp.c); BENCH_INGEST=nng runs it with nng's REP socket
# instead (SEXTANT_INGEST=nng), the reference the endpoint replaced, for
# before/after figures from one build.
#
# Environment: B (build dir), BENCH_PILOTS, BENCH_SECONDS (10),
# BENCH_OUTSTANDING (32), BENCH_CONNS (default: one per pilot),
# BENCH_CONTEXTS (the commander's `contexts`, default 16 as shipped: the
# endpoint's threads, i.e. how many requests may wait on an fsync at once;
# more only adds idle threads, fewer slows 10,000 pilots registering at
# once), BENCH_INGEST (epoll or nng), BENCH_RATE, BENCH_RATE_SECONDS (30),
# KEEP_TMP=1 keeps the temp dir (logs, keys).
set -u
cd "$(dirname "$0")/../.." || exit 1
# a directory of our own: other tools sweep stale /tmp/sxt.* test dirs
TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/sextant-bench.XXXXXX") || exit 1
export TMPDIR
. tests/lib.sh
trap 'cleanup; rmdir "$TMPDIR" 2>/dev/null' EXIT

PILOTS=${BENCH_PILOTS:-"100 1000 10000"}
SECS=${BENCH_SECONDS:-10}
OUTSTANDING=${BENCH_OUTSTANDING:-32}
CONTEXTS=${BENCH_CONTEXTS:-16}
TRANSPORT=${BENCH_TRANSPORT:-raw}
RATES=${BENCH_RATE:-"1000:1 10000:auto"}
RATE_SECS=${BENCH_RATE_SECONDS:-30}
INGEST=${BENCH_INGEST:-epoll}
case $INGEST in
epoll) unset SEXTANT_INGEST ;;
nng) SEXTANT_INGEST=nng; export SEXTANT_INGEST ;;
*) echo "bench_commander: BENCH_INGEST is epoll or nng, not '$INGEST'"; exit 1 ;;
esac
FAILED=0

# Copies, so that a rebuild in the tree during the run swaps nothing.
for f in sextant-commander sextant bench/loadgen; do
	[ -x "$B/$f" ] || { echo "bench_commander: $B/$f missing (make)"; exit 1; }
	cp "$B/$f" "$T/" || exit 1
done

# One descriptor per pilot connection on each side, plus nng's own.
max=1
for n in $PILOTS ${RATES:+$(echo "$RATES" | sed 's/:[^ ]*//g')}; do
	[ "$n" -gt "$max" ] && max=$n
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((max + 256)) ]; then
	echo "bench_commander: need $((max + 256)) file descriptors," \
		"ulimit -n is $(ulimit -n)"
	exit 1
fi

"$T/sextant" keygen -o "$T/commander.key" -C commander >/dev/null 2>&1 ||
	{ echo "bench_commander: keygen failed"; exit 1; }
"$T/loadgen" gen -n "$max" -d "$T" ||
	{ echo "bench_commander: loadgen gen failed"; exit 1; }

# start_commander N: a fresh commander with the first N pilots authorized;
# sets CPID and CURL.
start_commander() {
	head -n "$1" "$T/authorized_pilots" >"$T/auth.$1"
	port=$(free_port)
	CURL=tcp://127.0.0.1:$port
	rm -rf "$T/state"
	cat >"$T/c.$1.ini" <<EOF
[commander]
listen = $CURL
key = $T/commander.key
authorized_pilots = $T/auth.$1
state_dir = $T/state
contexts = $CONTEXTS

[api]
listen = http://127.0.0.1:$(free_port)
EOF
	spawn "commander.$1" "$T/sextant-commander" -d -f "$T/c.$1.ini"
	CPID=$LASTPID
	# 10,000 shared keys take a few seconds to precompute
	wait_for 120 listening "$T/commander.$1.log"
	if ! log_has "$T/commander.$1.log" "listening on $CURL"; then
		echo "bench_commander: commander for $1 pilots did not start:"
		tail -5 "$T/commander.$1.log"
		return 1
	fi
}

# listening LOG: 0 once the commander listens; exits the wait early (with
# 0, the caller then finds no "listening" line) if it died.
listening() {
	log_has "$1" "listening on $CURL" && return 0
	kill -0 "$CPID" 2>/dev/null || return 0
	return 1
}

stop_commander() {
	kill "$CPID" 2>/dev/null
	wait_for 10 sh -c "! kill -0 $CPID 2>/dev/null" ||
		kill -9 "$CPID" 2>/dev/null
	wait "$CPID" 2>/dev/null
}

# field NAME LINE: the value of NAME=... in a loadgen summary line
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# run N MODE loadgen-args...
run() {
	n=$1
	mode=$2
	shift 2
	start_commander "$n" || { FAILED=1; return; }
	line=$("$T/loadgen" run -u "$CURL" -C "$T/commander.key.pub" \
		-k "$T/pilots.keys" -n "$n" -m "$mode" -p "$CPID" -T "$TRANSPORT" "$@" \
		2>"$T/loadgen.$n.$mode.err")
	rc=$?
	stop_commander
	echo "$line" >>"$T/results"
	if [ -z "$line" ]; then
		echo "bench_commander: loadgen ($n $mode) failed (exit $rc):"
		tail -5 "$T/loadgen.$n.$mode.err"
		FAILED=1
		return
	fi
	# failures while the fleet first reports are figures (w_err), not
	# a broken run; any in the measured window are
	[ "$rc" = 2 ] && FAILED=1
	[ "$(field win_errors "$line")" = 0 ] || FAILED=1
	[ "$mode" = rate ] && mode="rate@$(field hz "$line")Hz"
	row=$(printf '%6s  %-11s %5s %5s %9s %8s %8s %8s %6s %7s %7s %7s %6s %6s %5s' \
		"$n" "$mode" "$(field conns "$line")" \
		"$(field outstanding "$line")" "$(field hb_per_s "$line")" \
		"$(field p50_ms "$line")" "$(field p99_ms "$line")" \
		"$(field max_ms "$line")" \
		"$(($(field win_errors "$line") + $(field late "$line")))" \
		"$(field cmd_cpu_pct "$line")" "$(field cmd_rss_mb "$line")" \
		"$(field loadgen_cpu_pct "$line")" "$(field hello_s "$line")" \
		"$(field settle_s "$line")" "$(field warm_errors "$line")")
	echo "$row"
}

echo "bench-commander: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' \
	/proc/cpuinfo | head -1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "throughput: $OUTSTANDING requests in flight, ${SECS}s measured after" \
	"1s warm-up; commander contexts = $CONTEXTS, endpoint $INGEST;" \
	"loadgen transport $TRANSPORT"
HDR=$(printf '%6s  %-11s %5s %5s %9s %8s %8s %8s %6s %7s %7s %7s %6s %6s %5s' \
	pilots mode conns infl hb/s p50_ms p99_ms max_ms errors cmd_cpu \
	rss_mb lg_cpu reg_s warm_s w_err)
echo "$HDR"
for n in $PILOTS; do
	run "$n" throughput -s "$SECS" -w 1 -o "$OUTSTANDING" \
		${BENCH_CONNS:+-c "$BENCH_CONNS"}
done
for r in $RATES; do
	run "${r%%:*}" rate -r "${r#*:}" -s "$RATE_SECS" -w 2 \
		${BENCH_CONNS:+-c "$BENCH_CONNS"}
done

echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" \
	"(cmd_cpu: % of one core; lg_cpu: the load generator's own, on the" \
	"same CPUs; reg_s: seconds for all N hellos; the window opens warm_s" \
	"after the first heartbeats, once every pilot had one and timeouts" \
	"stopped; w_err: requests that failed before it, errors: in it)"
awk '
	{ delete v; for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
	v["mode"] == "throughput" { seen_tp = 1 }
	v["mode"] == "throughput" && v["hb_per_s"] + 0 >= 10000 &&
	    v["p99_ms"] + 0 < 20 && v["win_errors"] == 0 {
		tp = tp " " v["pilots"]
	}
	v["mode"] == "rate" && v["hz"] + 0 == 1 {
		rn = v["pilots"]
		rate = v["cmd_cpu_pct"]
		rok = (rate + 0 < 10 && v["win_errors"] + v["late"] == 0)
	}
	END {
		if (seen_tp)
			print "goal >= 10000 hb/s with p99 < 20 ms: " \
			    (tp == "" ? "NOT MET" : "met for N =" tp)
		if (rn != "")
			print "goal " rn " pilots at 1 Hz under 10% of a core: " \
			    (rok ? "met" : "NOT MET") " (" rate "%)"
	}' "$T/results"
[ "$FAILED" = 0 ] || echo "bench_commander: some runs failed (see above)"
exit "$FAILED"
