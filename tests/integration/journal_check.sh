#!/bin/sh
# journal_check, the judge of the chaos runs, on crafted journals: it must
# pass a clean handover and catch every double sign (interleaved, same node,
# case-folded address), every regression, every signature at or below a
# watermark, and every line it cannot read.
. tests/lib.sh

JC=$B/journal_check
[ -x "$JC" ] || { fail journal_check_built "$JC missing: run make"; finish; }
A=5E4B0A7B3C2D1E0F9A8B7C6D5E4F3A2B1C0D9E8F
A2=0123456789ABCDEF0123456789ABCDEF01234567

# jc NAME WANT_STATUS WANT_SUMMARY_WORDS JOURNAL [options]: run it, check the
# exit status and that each word appears in the SUMMARY line.
jc() {
	_n=$1 _want=$2 _words=$3 _j=$4
	shift 4
	"$JC" "$@" "$_j" >"$T/$_n.out" 2>&1
	_rc=$?
	_sum=$(grep '^SUMMARY ' "$T/$_n.out" | tail -n 1)
	if [ "$_rc" != "$_want" ]; then
		fail "$_n" "exit $_rc, want $_want: $(cat "$T/$_n.out")"
		return
	fi
	for _w in $_words; do
		case " $_sum " in
		*" $_w "*) ;;
		*) fail "$_n" "no '$_w' in: $_sum"; return ;;
		esac
	done
	pass "$_n"
}
out_has() { grep -q -- "$2" "$T/$1.out"; }

# seq_lines FROM TO ADDR NODE WALL0: one signature a second
seq_lines() {
	_h=$1
	while [ "$_h" -le "$2" ]; do
		echo "$_h 0 3 $3 $4 $(($5 + (_h - $1) * 1000))"
		_h=$((_h + 1))
	done
}

# 1. A clean handover: val1 signs 100..110, fails, val2 signs 113..120.
{
	seq_lines 100 110 $A val1 1700000000000
	seq_lines 113 120 $A val2 1700000014000
} >"$T/clean"
jc clean_handover 0 "result=ok signatures=19 double_signs=0 gaps=1 missing=2 failover_ms=8000" \
	"$T/clean" --failed-at 1700000006000 --primary val1
check clean_handover_first_sig out_has clean_handover \
	"node val2: 8 signatures, first #113 at 1700000014000"
check clean_handover_gap out_has clean_handover \
	"gap: #111..#112 unsigned (2 heights), #110 by val1 -> #113 by val2, 4000 ms"
check clean_primary_after out_has clean_handover "primary_after_ms=4000"
# the primary defaults to the first line's node
jc clean_default_primary 0 "failover_ms=8000" "$T/clean" --failed-at 1700000006000
jc clean_expect_ok 0 "result=ok" "$T/clean" --failed-at 1700000006000 \
	--expect-failover 8000 --expect-signing 5000
jc clean_expect_late 1 "result=fail double_signs=0" "$T/clean" \
	--failed-at 1700000006000 --expect-failover 7999
check clean_expect_late_says out_has clean_expect_late "^LATE failover"
jc clean_expect_silent 1 "result=fail max_silence_ms=4000" "$T/clean" \
	--failed-at 1700000006000 --expect-signing 3999
jc clean_until_silent 1 "max_silence_ms=10000" "$T/clean" \
	--failed-at 1700000006000 --expect-signing 5000 --until 1700000031000
jc no_failover 1 "failover_ms=none" "$T/clean" --failed-at 1700000030000 \
	--expect-failover 30000

# 2. An interleaved double sign: val2 promoted while val1 still signs.
{
	seq_lines 100 104 $A val1 1700000000000
	echo "104 0 3 $A val2 1700000004300"
	echo "105 0 3 $A val1 1700000005000"
	echo "105 0 3 $A val2 1700000005200"
	seq_lines 106 108 $A val2 1700000006000
} >"$T/interleaved"
jc interleaved_double 1 "result=fail double_signs=2" "$T/interleaved"
check interleaved_names_both out_has interleaved_double \
	"^DOUBLE #104 address $A: val1(line 5, 1700000004000) val2(line 6, 1700000004300)"
check interleaved_105 out_has interleaved_double "^DOUBLE #105 "

# 3. One node signing a height twice (restarted without its state file).
{
	seq_lines 200 203 $A val1 1700000000000
	seq_lines 203 205 $A val1 1700000010000
} >"$T/samenode"
jc same_node_double 1 "double_signs=1 regressions=0" "$T/samenode"
check same_node_lines out_has same_node_double "^DOUBLE #203 .*val1(line 4,.*val1(line 5,"

# 4. The address in lower case is the same validator.
{
	echo "300 0 3 $A val1 1700000000000"
	echo "300 0 3 $(echo $A | tr 'A-F' 'a-f') val2 1700000000500"
} >"$T/case"
jc address_case_double 1 "double_signs=1 addresses=1" "$T/case"

# 5. Two validators signing the same height is no double sign.
{
	seq_lines 400 405 $A val1 1700000000000
	seq_lines 400 405 $A2 other 1700000000100
} >"$T/twoval"
jc two_validators_ok 0 "result=ok addresses=2 double_signs=0 regressions=0" \
	"$T/twoval"

# 6. A regression without a double: signing below what was signed.
{
	echo "500 0 3 $A val1 1700000000000"
	echo "502 0 3 $A val1 1700000001000"
	echo "505 0 3 $A val1 1700000002000"
	echo "501 0 3 $A val2 1700000003000"
	echo "506 0 3 $A val2 1700000004000"
} >"$T/regress"
jc regression 1 "double_signs=0 regressions=1" "$T/regress"
check regression_says out_has regression \
	"^REGRESSION #501 by val2 (line 4, 1700000003000): address $A had signed #505 (line 3, 1700000002000)"
# A node frozen between deciding and appending: #503 was decided at 1.5 s,
# before #505 was, and lands after it.  Late, not a regression.
{
	echo "500 0 3 $A val1 1700000000000"
	echo "502 0 3 $A val1 1700000001000"
	echo "505 0 3 $A val2 1700000002000"
	echo "503 0 3 $A val1 1700000001500"
	echo "506 0 3 $A val2 1700000004000"
} >"$T/late"
jc late_append_ok 0 "result=ok double_signs=0 regressions=0 late=1" "$T/late"
# ...but a late line that repeats a height is still a double
echo "505 0 3 $A val1 1700000001600" >>"$T/late"
jc late_append_double 1 "double_signs=1 regressions=0 late=2" "$T/late"

# 7. Watermarks: a height, a file with node and time rules.
seq_lines 600 610 $A val1 1700000000000 >"$T/wm"
jc watermark_height_ok 0 "below_watermark=0" "$T/wm" --watermark-height 599
jc watermark_height_at 1 "below_watermark=1" "$T/wm" --watermark-height 600
cat >"$T/rules" <<EOF
# initial sign state of both nodes
550
# val2 was promoted with watermark 605 at ...5000: nothing at or below
605 val2 1700000005000
608 * 1700000009500   # anyone after 9.5 s
EOF
jc watermark_file_ok 0 "below_watermark=0" "$T/wm" --watermark "$T/rules"
{
	cat "$T/wm"
	echo "604 0 3 $A2 val2 1700000012000"
} >"$T/wm2"
jc watermark_file_node 1 "below_watermark=1" "$T/wm2" --watermark "$T/rules"
check watermark_names_rule out_has watermark_file_node \
	"^BELOW #604 by val2 (line 12, 1700000012000): watermark 605 ($T/rules:4)"
{
	cat "$T/wm"
	echo "608 0 3 $A2 val3 1700000012000"
} >"$T/wm3"
jc watermark_file_star 1 "below_watermark=1" "$T/wm3" --watermark "$T/rules"
printf '605 val2 soon\n' >"$T/badrules"
jc watermark_file_bad 2 "" "$T/wm" --watermark "$T/badrules"
check watermark_bad_quotes out_has watermark_file_bad "badrules:1: since: expected wall ms, got \"soon\""
printf 'x\n' >"$T/badrules2"
jc watermark_file_bad_height 2 "" "$T/wm" --watermark "$T/badrules2"
printf '1 a 2 extra\n' >"$T/badrules3"
jc watermark_file_extra 2 "" "$T/wm" --watermark "$T/badrules3"
jc watermark_file_missing 2 "" "$T/wm" --watermark "$T/nope"

# 8. Lines it cannot read are failures: they could hide a double sign.
mal() { # NAME CONTENT(printf format)
	{ seq_lines 700 702 $A val1 1700000000000; printf -- "$2"; } >"$T/$1.j"
	jc "$1" 1 "result=fail malformed=1 signatures=3" "$T/$1.j"
}
mal malformed_cut "703 0 3 $A val1 17000"
mal malformed_fields "703 0 3 $A val1\n"
mal malformed_height "70x3 0 3 $A val1 1700000003000\n"
mal malformed_negative "-703 0 3 $A val1 1700000003000\n"
mal malformed_overflow "99999999999999999999999 0 3 $A val1 1700000003000\n"
mal malformed_addr "703 0 3 XYZ val1 1700000003000\n"
mal malformed_round "703 zero 3 $A val1 1700000003000\n"
mal malformed_nul "703 0 3 $A val1 17\00000003000\n"
mal malformed_empty "\n"
long=$(head -c 3000 /dev/zero | tr '\0' 'a')
{ seq_lines 700 702 $A val1 1700000000000; echo "703 0 3 $A $long 1"; \
	echo "704 0 3 $A val1 1700000004000"; } >"$T/long.j"
jc malformed_long 1 "malformed=1 signatures=4" "$T/long.j"
# the 7th field is the lease epoch; later ones are for later versions
echo "703 0 3 $A val1 1700000003000 4 later" >"$T/extra.j"
jc extra_field_ok 0 "result=ok signatures=1" "$T/extra.j"
mal malformed_epoch "703 0 3 $A val1 1700000003000 four\n"

# 8b. Lease epochs: one holder per epoch, and the old lease over before
# the new one signs.
{
	echo "800 0 3 $A val1 1700000000000 1"
	echo "801 0 3 $A val1 1700000001000 1"
	echo "805 0 3 $A val2 1700000005000 2"
	echo "806 0 3 $A val2 1700000006000 2"
	echo "807 0 3 $A val1 1700000007000 3"
} >"$T/epochs"
jc epochs_ok 0 "result=ok epoch_faults=0" "$T/epochs"
echo "808 0 3 $A val2 1700000008000 3" >>"$T/epochs"
jc epoch_shared 1 "result=fail double_signs=0 epoch_faults=1" "$T/epochs"
check epoch_shared_says out_has epoch_shared \
	"^SHARED epoch 3: #808 by val2 (line 6), but val1 signed under it first (line 5)"
{
	echo "800 0 3 $A val1 1700000000000 1"
	echo "802 0 3 $A val2 1700000002000 2"
	echo "803 0 3 $A val1 1700000003000 1"
	echo "804 0 3 $A val2 1700000004000 2"
} >"$T/overlap"
jc epoch_overlap 1 "result=fail double_signs=0 regressions=0 epoch_faults=1" \
	"$T/overlap"
check epoch_overlap_says out_has epoch_overlap \
	"^OVERLAP #803 by val1 (line 3, 1700000003000) under epoch 1, after val2 signed under epoch 2 (line 2, 1700000002000)"
# decided before epoch 2 first signed, appended after: late, not overlap
{
	echo "800 0 3 $A val1 1700000000000 1"
	echo "802 0 3 $A val2 1700000002000 2"
	echo "801 0 3 $A val1 1700000001000 1"
} >"$T/overlap_late"
jc epoch_late_ok 0 "result=ok epoch_faults=0 late=1" "$T/overlap_late"

# 9. Edges: empty journal, missing journal, usage.
: >"$T/empty"
jc empty_ok 0 "result=ok signatures=0 nodes=0" "$T/empty"
jc missing_journal 2 "" "$T/nothere"
jc no_args 2 "" ""
jc unknown_option 2 "" "$T/empty" --bogus 1
jc bad_number 2 "" "$T/empty" --failed-at 12x
jc expect_needs_failed 2 "" "$T/empty" --expect-failover 10

# 10. A long journal is quick, and a double at its end is still caught.
seq_lines 1 200000 $A val1 1600000000000 >"$T/big"
echo "123456 0 3 $A val2 1600300000000" >>"$T/big"
s=$(date +%s)
jc big_double 1 "double_signs=1 regressions=1 signatures=200001" "$T/big"
check big_fast [ $(($(date +%s) - s)) -le 10 ]

finish
