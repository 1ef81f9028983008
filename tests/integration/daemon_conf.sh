#!/bin/sh
# daemon_conf: the daemons' -n / -nv against tests/conf (bgpd's regress
# style).  For each tests/conf/{pilot,commander}-NAME.ini:
#   NAME.ok  -> `-nv` must print exactly that (normalized, defaults filled,
#               secrets hidden) and exit 0;
#   NAME.err -> `-n` must exit 1 with that fixed string on stderr (the
#               file, the line and the quoted value).
# Set UPDATE=1 to rewrite the .ok files from the current output.
OWN_TMPDIR=daemon_conf
. tests/lib.sh
top=$(pwd)
not_in() { ! grep -q -- "$2" "$1"; }

# keys and authorized_pilots files the configs name, relative to $T
cd "$T" || exit 1
"$B/sextant" keygen -o pilot.key -C p1 >/dev/null 2>&1 &&
	"$B/sextant" keygen -o commander.key -C commander >/dev/null 2>&1 &&
	"$B/sextant" keygen -o readable.key -C r >/dev/null 2>&1 ||
	{ fail keygen; finish; }
chmod 0644 readable.key
cp pilot.key.pub authorized_pilots
pub=$(cut -d' ' -f1-2 pilot.key.pub)
pub2=$(cut -d' ' -f1-2 commander.key.pub)
printf '# ok\n%s p1\nsextant-ed25519 AAAA!!!! p2\n' "$pub" >authorized_bad
printf '\n%s p1\n%s p1\n' "$pub" "$pub2" >authorized_dup
printf '%s\n' "$pub" >authorized_noname

for f in "$top"/tests/conf/pilot-*.ini "$top"/tests/conf/commander-*.ini; do
	[ -f "$f" ] || continue
	name=$(basename "$f" .ini)
	case $name in
	pilot-*) prog=$B/sextant-pilot ;;
	*) prog=$B/sextant-commander ;;
	esac
	cp "$f" "$name.ini"
	base=$top/tests/conf/$name
	if [ -f "$base.err" ]; then
		"$prog" -n -f "$name.ini" >"$name.out" 2>"$name.stderr"
		rc=$?
		if [ "$rc" = 1 ] && grep -qF -- "$(cat "$base.err")" \
			"$name.stderr"; then
			pass "conf_$name"
		else
			fail "conf_$name" "exit $rc, stderr: $(cat "$name.stderr")"
		fi
	else
		"$prog" -nv -f "$name.ini" >"$name.out" 2>"$name.stderr"
		rc=$?
		if [ -n "${UPDATE:-}" ] && [ "$rc" = 0 ]; then
			cp "$name.out" "$base.ok"
		fi
		if [ "$rc" = 0 ] && [ -f "$base.ok" ] &&
			diff -u "$base.ok" "$name.out"; then
			pass "conf_$name"
		else
			fail "conf_$name" "exit $rc: $(cat "$name.stderr")"
		fi
		# what -nv prints must read back as the same config
		cp "$name.out" "$name.again.ini"
		if "$prog" -nv -f "$name.again.ini" >"$name.again.out" \
			2>&1 && cmp -s "$name.out" "$name.again.out"; then
			pass "conf_${name}_reads_back"
		else
			fail "conf_${name}_reads_back" "$(cat "$name.again.out")"
		fi
	fi
done

# secrets stay out of -nv, and the environment overrides them
check conf_password_hidden not_in pilot-full.out hunter2
SEXTANT_NODE_PASSWORD=fromenv "$B/sextant-pilot" -nv -f pilot-full.ini \
	>env.out 2>&1
check conf_env_password_hidden not_in env.out fromenv
SEXTANT_PILOT_KEY=readable.key "$B/sextant-pilot" -n -f pilot-full.ini \
	>env2.out 2>&1
check conf_env_key_override grep -q "\[pilot\] key:.*'readable.key'" env2.out
check pilot_help_documents_flags sh -c \
	"'$B/sextant-pilot' --help | grep -q -- '-nv' && '$B/sextant-pilot' --help | grep -q -- '-d'"
check commander_help_documents_flags sh -c \
	"'$B/sextant-commander' --help | grep -q -- '-nv' && '$B/sextant-commander' --help | grep -q -- '-f CONFIG'"
check pilot_bad_flag_exit_2 sh -c "'$B/sextant-pilot' -x 2>/dev/null; test \$? = 2"
check pilot_missing_file_exit_1 sh -c \
	"'$B/sextant-pilot' -n -f /nonexistent 2>&1 | grep -q '/nonexistent: No such file'"
finish
