#!/bin/sh
# bench_pilot: what one sextant-pilot costs its server.  Two pilots run
# side by side for BENCH_PILOT_SECONDS (default 60) at a 1 s interval (probe
# and policy check every second; /health and /metrics served on request):
#   rpc      probes a simnode (CometBFT RPC: /status and /net_info) and a
#            reference simnode; no supervisor;
#   process  supervises a simnode through the process backend too: its
#            stdout goes through the pilot's log pump into a file that the
#            log rules follow.
# After a 5 s warm-up, /proc is sampled every second: CPU is the run time
# of the pilot's threads over the window, from /proc/PID/task/*/schedstat
# (nanoseconds: utime+stime of /proc/PID/stat counts 10 ms ticks, too coarse
# for a process that runs 30 ms a minute; it is printed as a cross-check),
# memory is VmRSS (average and last), VmHWM, and the split of the last
# sample into RssAnon (the pilot's own) and RssFile (shared library pages,
# counted in full by VmRSS though other processes share them), plus Pss.
# Goal (issue 3): <= 8 MB RSS and <= 0.1 % of a core (stretch 5 MB, 0.05 %).
set -u
cd "$(dirname "$0")/../.." || exit 1
TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/sextant-bench.XXXXXX") || exit 1
export TMPDIR
. tests/lib.sh
trap 'cleanup; rmdir "$TMPDIR" 2>/dev/null' EXIT

SECS=${BENCH_PILOT_SECONDS:-60}
HZ=$(getconf CLK_TCK)

up() { wait_for 10 curl -s -m 1 -o /dev/null "http://127.0.0.1:$1/_sim/state"; }

REF=$(free_port)
spawn ref "$B/simnode" --flavour cometbft --listen "127.0.0.1:$REF" || exit 1
NODE=$(free_port)
spawn node "$B/simnode" --flavour cometbft --listen "127.0.0.1:$NODE"
NODE2=$(free_port)
up "$REF" && up "$NODE" || { echo "bench_pilot: simnode did not start"; exit 1; }

common() { # NAME HTTPPORT
	cat <<EOT
[pilot]
name = $1
chain = cometbft
interval = 1s
state_dir = $T/$1
[reference]
url = http://127.0.0.1:$REF
[policy]
check_interval = 1s
[http]
listen = 127.0.0.1:$2
EOT
}
H1=$(free_port)
H2=$(free_port)
{ common rpc "$H1"; printf '[node]\nrpc_url = http://127.0.0.1:%s\n' "$NODE"; } \
	>"$T/rpc.ini"
{
	common process "$H2"
	printf '[node]\nrpc_url = http://127.0.0.1:%s\n' "$NODE2"
	printf '[supervise]\nbackend = process\ncommand = %s\n' "$B/simnode"
	printf 'arg = --flavour\narg = cometbft\narg = --listen\n'
	printf 'arg = 127.0.0.1:%s\n[logrules]\ndefaults = yes\n' "$NODE2"
} >"$T/process.ini"
spawn rpc "$B/sextant-pilot" -d -f "$T/rpc.ini"
P1=$LASTPID
spawn process "$B/sextant-pilot" -d -f "$T/process.ini"
P2=$LASTPID
for h in $H1 $H2; do
	wait_for 10 sh -c "curl -s -m 1 http://127.0.0.1:$h/health | grep -q '\"checked\":true'" ||
		{ echo "bench_pilot: pilot on $h did not start"; tail -n 5 "$T"/*.log; exit 1; }
done
sleep 5

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# nanoseconds on a CPU, all threads (the bench's threads all live through)
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null |
	awk '{s += $1} END {printf "%.0f\n", s}'; }
kb() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status"; }
pss() { sed -n 's/^Pss:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/smaps_rollup"; }

t0=$(date +%s%N)
c1=$(cpu "$P1")
c2=$(cpu "$P2")
n1=$(cpu_ns "$P1")
n2=$(cpu_ns "$P2")
n=0
s1=0
s2=0
while [ $n -lt "$SECS" ]; do
	sleep 1
	kill -0 "$P1" 2>/dev/null && kill -0 "$P2" 2>/dev/null ||
		{ echo "bench_pilot: a pilot died"; tail -n 5 "$T"/*.log; exit 1; }
	s1=$((s1 + $(kb "$P1" VmRSS)))
	s2=$((s2 + $(kb "$P2" VmRSS)))
	n=$((n + 1))
done
t1=$(date +%s%N)
c1=$(($(cpu "$P1") - c1))
c2=$(($(cpu "$P2") - c2))
n1=$(($(cpu_ns "$P1") - n1))
n2=$(($(cpu_ns "$P2") - n2))
checks1=$(curl -s -m 1 "http://127.0.0.1:$H1/metrics" | sed -n 's/^sextant_pilot_checks_total //p')
checks2=$(curl -s -m 1 "http://127.0.0.1:$H2/metrics" | sed -n 's/^sextant_pilot_checks_total //p')

row() { # NAME PID CPUTICKS RSSSUM CHECKS CPUNS
	awk -v name="$1" -v ticks="$3" -v hz="$HZ" -v ns=$((t1 - t0)) \
		-v cns="$6" \
		-v sum="$4" -v n="$n" -v last="$(kb "$2" VmRSS)" \
		-v hwm="$(kb "$2" VmHWM)" -v anon="$(kb "$2" RssAnon)" \
		-v file="$(kb "$2" RssFile)" -v pss="$(pss "$2")" \
		-v thr="$(sed -n 's/^Threads:\t//p' "/proc/$2/status")" \
		-v checks="$5" 'BEGIN {
		printf "%-8s %6.3f %% (ticks %5.3f %%)  %5.1f MB avg  %5.1f MB hwm  %5.1f MB anon  %5.1f MB file  %5.1f MB pss  %3d threads  %s checks\n",
		    name, cns / ns * 100, ticks / hz / (ns / 1e9) * 100,
		    sum / n / 1024, hwm / 1024, anon / 1024, file / 1024,
		    pss / 1024, thr, checks
	}'
}
echo "bench-pilot: ${SECS}s at a 1 s interval (probe and policy check each second)"
echo "pilot    CPU of a core                RSS           peak          own (anon)     shared libs    PSS"
row rpc "$P1" "$c1" "$s1" "$checks1" "$n1"
row process "$P2" "$c2" "$s2" "$checks2" "$n2"
# libcurl is loaded only for an https URL (common/http_curl.h): here,
# with plain http everywhere, neither pilot should have mapped it.
for pid in $P1 $P2; do
	grep -q 'libcurl' "/proc/$pid/maps" &&
		echo "note: pilot $pid has libcurl mapped"
done
echo "goal: <= 8 MB RSS, <= 0.1 % of a core (stretch 5 MB, 0.05 %)"
