# validator.sh: a CometBFT validator pilot for failover tests; sourced
# after tests/lib.sh.  Needs port (a free port), VALADDR (the validator
# address), GENESIS (simnode's timeline origin) and the pilot's key in
# $T/keys/NAME.key.  All validators sign into the one journal $T/journal.
#
# validator NAME NETWORK "URL..." [http]: $T/NAME/pilot.ini, a pilot that
# supervises a simnode validator (keyswap signer in lease mode, the lease
# deadline file, the sign state) and reports to every commander URL; its
# node's RPC port in NODEPORT_NAME; with http, /health and /metrics on
# HTTPPORT_NAME.  The config is checked (-n): a pass or a fail.
validator() {
	_v=$1 _d="$T/$1"
	_np=$(port)
	eval "NODEPORT_$_v=$_np"
	mkdir -p "$_d/secret" "$_d/node/config" "$_d/node/data" "$_d/state"
	chmod 700 "$_d/secret"
	cat >"$_d/secret/priv_validator_key.json" <<EOF
{
  "address": "$VALADDR",
  "pub_key": {"type": "tendermint/PubKeyEd25519", "value": "dGVzdC1vbmx5LW5vdC1hLXJlYWwta2V5LTAwMDAwMDA="},
  "priv_key": {"type": "tendermint/PrivKeyEd25519", "value": "dGVzdC1vbmx5LW5vdC1hLXJlYWwta2V5"}
}
EOF
	chmod 600 "$_d/secret/priv_validator_key.json"
	cat >"$_d/pilot.ini" <<EOF
[pilot]
name = $_v
chain = cometbft
role = validator
network = $2
group = g
interval = 1s
state_dir = $_d/state
key = $T/keys/$_v.key

[commander]
$(for _u in $3; do echo "url = $_u"; done)
key = $T/keys/commander.key.pub
timeout = 2s
reconnect_min = 200ms
reconnect_max = 2s

[node]
rpc_url = http://127.0.0.1:$_np
timeout = 1s

[supervise]
backend = process
command = $B/simnode
arg = --flavour
arg = cometbft
arg = --listen
arg = 127.0.0.1:$_np
arg = --genesis
arg = $GENESIS
arg = --block-ms
arg = 1000
arg = --name
arg = $_v
arg = --network
arg = $2
arg = --validator-key
arg = $_d/node/config/priv_validator_key.json
arg = --state
arg = $_d/node/data/priv_validator_state.json
arg = --journal
arg = $T/journal
arg = --lease-file
arg = $_d/node/lease
arg = --pidfile
arg = $_d/node.pid
log_file = $_d/node.log
stop_timeout = 3s

[signer]
backend = keyswap
mode = lease
key_source = $_d/secret/priv_validator_key.json
key_target = $_d/node/config/priv_validator_key.json
state_file = $_d/node/data/priv_validator_state.json
lease_file = $_d/node/lease
EOF
	if [ "${4:-}" = http ]; then
		_hp=$(port)
		eval "HTTPPORT_$_v=$_hp"
		printf '\n[http]\nlisten = http://127.0.0.1:%s\n' "$_hp" >>"$_d/pilot.ini"
	fi
	if "$B/sextant-pilot" -n -f "$_d/pilot.ini" >"$_d/check.out" 2>&1; then
		pass "${_v}_pilot_config"
	else
		fail "${_v}_pilot_config" "$(cat "$_d/check.out")"
	fi
}
