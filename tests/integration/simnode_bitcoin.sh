#!/bin/sh
# simnode_bitcoin: bitcoind's authentication as a probe meets it: 401 with
# an empty body without or with wrong credentials, a cookie file
# "__cookie__:<64 hex>" written at start (owner-only), a new cookie on every
# start (so a client must re-read it after a 401), removed at clean exit;
# --rpcuser/--rpcpassword work beside it; -28 while warming up.
. tests/lib.sh

SIM=$B/simnode
G=$(($(date +%s%3N) - 60000))
C=$T/regtest/.cookie
mkdir -p "$T/regtest"

start() { # NAME [args]: sets P and SPID; retries on a taken port
	_n=$1
	shift
	for _try in 1 2 3; do
		P=$(free_port)
		spawn "$_n" "$SIM" --flavour bitcoin --listen "127.0.0.1:$P" \
			--genesis "$G" --block-ms 200 --network regtest "$@"
		SPID=$LASTPID
		wait_for 5 sh -c "curl -s -m 1 -o /dev/null \
			http://127.0.0.1:$P/_sim/state || ! kill -0 $SPID" 2>/dev/null
		kill -0 "$SPID" 2>/dev/null && return 0
	done
	return 1
}
call() { # [curl auth args]: getblockchaininfo; "CODE BODY_BYTES" + body
	curl -s -m 3 -o "$T/body" -w '%{http_code} %{size_download}' "$@" \
		-H 'Content-Type: text/plain' \
		-d '{"jsonrpc":"1.0","id":"p","method":"getblockchaininfo","params":[]}' \
		"http://127.0.0.1:$P/"
}
is() { [ "$1" = "$2" ] || { echo "  got '$1', want '$2'"; return 1; }; }

check bitcoin_up start b1 --cookie "$C" --rpcuser alice --rpcpassword s3cret
check cookie_written test -f "$C"
check cookie_format sh -c "grep -Eqx '__cookie__:[0-9a-f]{64}' '$C'"
check cookie_owner_only is "$(stat -c %a "$C")" 600
check no_auth_401_empty is "$(call)" "401 0"
check www_authenticate sh -c "curl -s -D - -o /dev/null -d '{}' \
	http://127.0.0.1:$P/ | grep -qi '^WWW-Authenticate: Basic realm=\"jsonrpc\"'"
check wrong_password_401 is "$(call -u alice:wrong)" "401 0"
check garbage_auth_401 is "$(call -H 'Authorization: Basic !!!!')" "401 0"
check cookie_auth_200 is "$(call -u "$(cat "$C")" | cut -d' ' -f1)" 200
check cookie_auth_result is "$(jq -c '[.result.chain,.error,.id]' "$T/body")" \
	'["regtest",null,"p"]'
check user_password_200 is "$(call -u alice:s3cret | cut -d' ' -f1)" 200
check auth_log log_has "$T/b1.log" 'ThreadRPCServer incorrect password attempt'
OLD=$(cat "$C")
kill -TERM "$SPID"
wait "$SPID"
check clean_exit_0 is "$?" 0
check cookie_removed_at_exit test ! -e "$C"

# a restart writes a new cookie: the old one is refused, the new one works
check bitcoin_restart start b2 --cookie "$C"
check cookie_regenerated sh -c "[ \"\$(cat '$C')\" != '$OLD' ]"
check old_cookie_401 is "$(call -u "$OLD")" "401 0"
check new_cookie_200 is "$(call -u "$(cat "$C")" | cut -d' ' -f1)" 200

# warm-up: -28 until the block index is "loaded"
check bitcoin_warmup_up start b3 --warmup-ms 1500
check warmup_minus_28 is "$(call | cut -d' ' -f1)$(jq -c .error.code "$T/body")" \
	500-28
check warmup_ends wait_for 5 sh -c "[ \"\$(curl -s -d \
	'{\"id\":1,\"method\":\"getblockcount\"}' http://127.0.0.1:$P/ |
	jq -c .error)\" = null ]"
# no credentials configured: no auth asked (a local test node)
check open_node_200 is "$(call | cut -d' ' -f1)" 200
check get_not_allowed is "$(curl -s -o /dev/null -w '%{http_code}' \
	"http://127.0.0.1:$P/")" 405

finish
