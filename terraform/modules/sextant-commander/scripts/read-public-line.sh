#!/bin/sh
# Terraform external data source: read a sextant public key line over SSH
# and print it as {"public_line": "..."}.  Only the .pub file is read; the
# secret key stays on the server.
# usage: read-public-line.sh HOST PORT USER PATH [IDENTITY_FILE [HOST_KEY]]
# HOST_KEY ("ssh-ed25519 AAAA...") pins the server's key; without it the
# first connection trusts and records it (StrictHostKeyChecking=accept-new).
set -eu
cat >/dev/null # the query JSON: everything came as arguments
host=$1 port=$2 user=$3 path=$4 ident=${5:-} hostkey=${6:-}
die() {
	echo "read-public-line: $*" >&2
	exit 1
}
command -v ssh >/dev/null || die "no ssh client on this machine"
set -- -n -o BatchMode=yes -o ConnectTimeout=20 -p "$port"
[ -n "$ident" ] && set -- "$@" -i "$ident" -o IdentitiesOnly=yes
kh=""
if [ -n "$hostkey" ]; then
	kh=$(mktemp)
	trap 'rm -f "$kh"' EXIT
	if [ "$port" = 22 ]; then
		printf '%s %s\n' "$host" "$hostkey" >"$kh"
	else
		printf '[%s]:%s %s\n' "$host" "$port" "$hostkey" >"$kh"
	fi
	set -- "$@" -o UserKnownHostsFile="$kh" -o StrictHostKeyChecking=yes
else
	set -- "$@" -o StrictHostKeyChecking=accept-new
fi
line=$(ssh "$@" "$user@$host" cat "'$path'") ||
	die "ssh $user@$host cat $path failed (is the key made? is ssh-agent or IDENTITY_FILE set?)"
# Exactly one well-formed line, so nothing else can reach the JSON below.
printf '%s\n' "$line" |
	grep -Eqx 'sextant-ed25519 [A-Za-z0-9+/]{43}= [A-Za-z0-9._-]{1,63}' ||
	die "$path on $host is not one 'sextant-ed25519 KEY NAME' line"
printf '{"public_line":"%s"}\n' "$line"
