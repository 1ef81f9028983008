#!/bin/sh
# Install the Debian 12 packages sextant builds and tests with, if missing.
# Usage: scripts/deps.sh [extra-package ...]
# Runs apt only when something is missing, so it is cheap to call each time.
set -eu
pkgs="gcc make libc6-dev libnng-dev libsodium-dev libcjson-dev libinih-dev
libsqlite3-dev libcurl4-openssl-dev curl jq ca-certificates procps iproute2 $*"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root or install them)" >&2
	exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# apt's lists may be absent on a fresh machine; update once, then retry once.
apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1 || {
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends $missing >/dev/null
}
