#!/bin/sh
# sextant keygen: files, modes, the printed line, refusals and help.
. tests/lib.sh
S="$B/sextant"

out=$("$S" keygen -o "$T/pilot" -C val-1 2>"$T/err")
check keygen_exit_0 [ $? = 0 ]
check keygen_secret_mode_0600 [ "$(stat -c %a "$T/pilot")" = 600 ]
check keygen_pub_mode_0644 [ "$(stat -c %a "$T/pilot.pub")" = 644 ]
check keygen_prints_pub_line [ "$out" = "$(cat "$T/pilot.pub")" ]
check keygen_pub_format sh -c "grep -Eq '^sextant-ed25519 [A-Za-z0-9+/]{43}= val-1\$' '$T/pilot.pub'"
check keygen_secret_format sh -c "grep -Eq '^sextant-ed25519-secret [A-Za-z0-9+/]{43}=\$' '$T/pilot'"

# two runs give two different keys
"$S" keygen -o "$T/other" -C val-1 >/dev/null 2>&1
check keygen_keys_differ [ "$(cut -d' ' -f2 "$T/pilot.pub")" != \
	"$(cut -d' ' -f2 "$T/other.pub")" ]

# never overwrite; the error names the file; the key is unchanged
before=$(cat "$T/pilot")
"$S" keygen -o "$T/pilot" >"$T/out" 2>"$T/err"
check keygen_refuses_overwrite [ $? = 1 ]
check keygen_overwrite_names_path grep -q "$T/pilot" "$T/err"
check keygen_secret_unchanged [ "$before" = "$(cat "$T/pilot")" ]
rm -f "$T/pilot"
"$S" keygen -o "$T/pilot" >/dev/null 2>"$T/err"
check keygen_refuses_existing_pub [ $? = 1 ]
check keygen_no_secret_without_pub [ ! -e "$T/pilot" ]
check keygen_existing_pub_named grep -q "$T/pilot.pub" "$T/err"

# a directory that does not exist: exit 1 and the path in the message
"$S" keygen -o "$T/no/such/dir/key" >/dev/null 2>"$T/err"
check keygen_bad_dir_exit_1 [ $? = 1 ]
check keygen_bad_dir_named grep -q "$T/no/such/dir/key" "$T/err"

# usage errors exit 2
"$S" keygen >/dev/null 2>&1
check keygen_needs_output [ $? = 2 ]
"$S" keygen -o "$T/x" extra >/dev/null 2>&1
check keygen_extra_arg [ $? = 2 ]
"$S" nosuchcommand >/dev/null 2>&1
check cli_unknown_command [ $? = 2 ]

# the help documents every flag
"$S" keygen --help >"$T/help"
check keygen_help_exit_0 [ $? = 0 ]
check keygen_help_flags sh -c "grep -q -- '--output' '$T/help' && grep -q -- '--comment' '$T/help' && grep -q -- '--help' '$T/help'"
"$S" --help >"$T/help"
check cli_help_lists_keygen grep -q '^  keygen' "$T/help"

# default comment: this host's short name
"$S" keygen -o "$T/host" >/dev/null 2>&1
check keygen_default_comment grep -q " $(hostname | cut -d. -f1)\$" "$T/host.pub"
finish
