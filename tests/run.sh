#!/bin/sh
# Run every test: unit binaries in $B/tests, then tests/integration/*.sh.
# Each prints "PASS name" / "FAIL name" lines; a program that dies without a
# FAIL line counts as one failure.  The last line is "N passed, N failed".
# Usage: tests/run.sh [filter]   (a substring of the test file name)
set -u
B=${B:-build}
export B
filter=${1:-}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
logdir=$(mktemp -d "${TMPDIR:-/tmp}/sextant-tests.XXXXXX")
pass=0
fail=0
failed_names=""

run_one() { # name timeout cmd...
	name=$1
	limit=$2
	shift 2
	log="$logdir/$(echo "$name" | tr '/' '_').log"
	start=$(date +%s)
	timeout -k 10 "$limit" "$@" >"$log" 2>&1
	rc=$?
	p=$(grep -c '^PASS ' "$log")
	f=$(grep -c '^FAIL ' "$log")
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "FAIL $name (exit $rc)" >>"$log"
		f=1
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	printf '%-44s %3d passed %3d failed  %3ss\n' "$name" "$p" "$f" \
		"$(($(date +%s) - start))"
	if [ "$f" != 0 ]; then
		failed_names="$failed_names $name"
		echo "---- $name output (last 60 lines) ----"
		tail -n 60 "$log"
		echo "----"
	fi
}

for t in "$B"/tests/*; do
	[ -x "$t" ] || continue
	case "$t" in *"$filter"*) ;; *) continue ;; esac
	run_one "unit/$(basename "$t")" 300 "$t"
done
for t in tests/integration/*.sh; do
	[ -f "$t" ] || continue
	case "$t" in *"$filter"*) ;; *) continue ;; esac
	run_one "integration/$(basename "$t" .sh)" 900 sh "$t"
done
rm -rf "$logdir"
[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
