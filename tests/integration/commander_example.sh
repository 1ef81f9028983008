#!/bin/sh
# commander_example: examples/commander.ini is a working config that
# documents every key.  With its key paths pointed at test keys it passes
# `-n`; every "key =" that `-nv` prints (every option of every section the
# commander knows) appears in the example under the same kind of section;
# and the normalized output reads back as the same config.
. tests/lib.sh

EX=examples/commander.ini
"$B/sextant" keygen -o "$T/commander.key" -C commander >/dev/null 2>&1 ||
	{ fail example_keygen; finish; }
sed -e "s|^key = /etc/sextant/commander.key|key = $T/commander.key|" \
	-e "s|^authorized_pilots = .*|authorized_pilots =|" \
	-e "s|^state_dir = .*|state_dir = $T/state|" "$EX" >"$T/c.ini"
if "$B/sextant-commander" -n -f "$T/c.ini" >"$T/n.out" 2>&1; then
	pass example_config_ok
else
	fail example_config_ok "$(cat "$T/n.out")"
fi
"$B/sextant-commander" -nv -f "$T/c.ini" >"$T/nv.out" 2>"$T/nv.err"
check example_nv_ok test -s "$T/nv.out"

# "KIND KEY" pairs: [node val1] -> node; commented-out keys count too
pairs() {
	sed -n -e 's/^#\{0,1\}\[\([a-z]*\)[] ].*/S \1/p' \
		-e 's/^#\{0,1\}\([a-z_0-9]*\) =.*/K \1/p' "$1" |
		awk '$1 == "S" { s = $2; next } { print s, $2 }' | sort -u
}
pairs "$T/nv.out" >"$T/known"
pairs "$EX" >"$T/documented"
missing=$(comm -23 "$T/known" "$T/documented")
if [ -z "$missing" ] && [ -s "$T/known" ]; then
	pass example_documents_every_key
else
	fail example_documents_every_key "undocumented: $(echo $missing)"
fi
unknown=$(comm -13 "$T/known" "$T/documented")
check example_has_no_unknown_key [ -z "$unknown" ]
[ -n "$unknown" ] && echo "  not options: $(echo $unknown)"
# each kind of section is there
for s in commander fleet budget events api alerts channel node group; do
	check "example_has_$s" grep -q "^\[$s[] ]" "$EX"
done
cp "$T/nv.out" "$T/again.ini"
"$B/sextant-commander" -nv -f "$T/again.ini" >"$T/again.out" 2>&1
check example_reads_back cmp -s "$T/nv.out" "$T/again.out"
finish
