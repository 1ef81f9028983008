#!/bin/sh
# pilot_example: examples/pilot.ini stays true: it passes `sextant-pilot -n`
# (its key paths pointed at real files), and it names every key that
# `-nv` prints, in every section, so no option goes undocumented.
. tests/lib.sh

top=$(pwd)
cd "$T" || exit 1
"$B/sextant" keygen -o pilot.key -C p >/dev/null 2>&1 &&
	"$B/sextant" keygen -o commander.key -C c >/dev/null 2>&1 ||
	{ fail keygen; finish; }
printf '{"address":"5E4B0A7B3C2D1E0F9A8B7C6D5E4F3A2B1C0D9E8F"}\n' >val.json
chmod 0600 val.json
sed -e "s#^key = /etc/sextant/pilot.key#key = $T/pilot.key#" \
	-e "s#^key = /etc/sextant/commander.key.pub#key = $T/commander.key.pub#" \
	-e "s#^key_source = .*#key_source = $T/val.json#" \
	-e "s#^state_dir = .*#state_dir = $T/state#" \
	"$top/examples/pilot.ini" >example.ini
if "$B/sextant-pilot" -nv -f example.ini >nv.out 2>nv.err; then
	pass example_accepted
else
	fail example_accepted "$(cat nv.err)"
fi
# every section and key of the normalized config is in the example
sec=""
missing=""
while IFS= read -r line; do
	case $line in
	"["*"]") sec=$line
		grep -qxF "$sec" "$top/examples/pilot.ini" ||
			missing="$missing $sec" ;;
	*" = "* | *" =")
		k=${line%% =*}
		grep -Eq "^#?$k = " "$top/examples/pilot.ini" ||
			missing="$missing $sec$k" ;;
	esac
done <nv.out
if [ -z "$missing" ] && [ -s nv.out ]; then
	pass example_documents_every_key
else
	fail example_documents_every_key "missing:$missing"
fi
finish
