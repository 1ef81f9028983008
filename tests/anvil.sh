# anvil.sh: anvil, a real Ethereum execution client (peers.md), for a test;
# sourced after tests/lib.sh with TEST set to the test's name.  It
# installs anvil from npm into $T (npm from apt if missing), sets $ANVIL,
# or SKIPs the test when it cannot (no network), and defines
# rpc PORT METHOD PARAMS: one JSON-RPC call to 127.0.0.1:PORT.
ANVIL_VER=1.7.1

install_anvil() {
	command -v npm >/dev/null 2>&1 || {
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -q npm >/dev/null 2>&1 || {
			apt-get update -q >/dev/null 2>&1
			apt-get install -y -q npm >/dev/null 2>&1
		}
	}
	command -v npm >/dev/null 2>&1 || return 1
	ANVIL=$T/npm/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil
	mkdir -p "$T/npm" || return 1
	for _try in 1 2 3; do
		(cd "$T/npm" && npm i --no-audit --no-fund \
			"@foundry-rs/anvil-linux-amd64@$ANVIL_VER") \
			>"$T/npm.log" 2>&1
		[ -x "$ANVIL" ] && return 0
		sleep 2
	done
	return 1
}

if ! install_anvil; then
	echo "SKIP $TEST: cannot install anvil from npm (no network?)"
	tail -n 5 "$T/npm.log" 2>/dev/null | sed 's/^/# /'
	exit 0
fi

rpc() { # PORT METHOD PARAMS
	curl -s -m 3 -H 'Content-Type: application/json' \
		-d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":$3}" \
		"http://127.0.0.1:$1/"
}
