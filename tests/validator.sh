# validator.sh: CometBFT validator pilots of one identity ($VALADDR), each
# supervising its own simnode validator (keyswap signer, the lease deadline
# file, the sign state), all signing into one journal.  Sourced by the
# failover tests (after tests/lib.sh), the chaos harness and make demo
# (scripts/demo.sh), which use validator_conf alone.
#
# validator_conf NAME NETWORK "URL..." NODEPORT [SIMNODE-ARG...]: in
# $VAL_DIR/NAME, the consensus key in secret/ (0700, pilot-only), node/ for
# the simnode (where promote puts the key, the sign state, the lease file)
# and pilot.ini: a pilot of $VAL_GROUP with the key $VAL_DIR/keys/NAME.key,
# reporting to every commander URL (its public key in
# $VAL_DIR/keys/commander.key.pub), that runs simnode on 127.0.0.1:NODEPORT
# from $GENESIS with the SIMNODE-ARGs, signing into $VAL_DIR/journal.
# Settings from variables; where a default is given, an empty value sets
# nothing (sextant's own default):
#   VAL_DIR           the directory of the run (required)
#   VAL_GROUP         the failover group (g)
#   VAL_HTTP          [http]: a port on 127.0.0.1, or off; unset: none
#   VAL_LEASE         no: no lease file (a fence of the doppelganger
#                     check alone)
#   VAL_SIGNER        more [signer] lines
#   VAL_INTERVAL      the pilot's interval (1s)
#   VAL_COMMANDER     [commander] timing lines (timeout 2s, redial 200ms
#                     to 2s)
#   VAL_NODE_TIMEOUT  the node's RPC timeout (1s)
#   VAL_STOP_TIMEOUT  the node's graceful stop (3s)
#   BLOCK_MS          simnode's block time (1000)
validator_conf() {
	_v=$1 _net=$2 _urls=$3 _np=$4 _d="$VAL_DIR/$1"
	shift 4
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
	_lease="$_d/node/lease"
	[ "${VAL_LEASE:-yes}" = no ] && _lease=
	_vc=${VAL_COMMANDER-"timeout = 2s
reconnect_min = 200ms
reconnect_max = 2s"}
	{
		cat <<EOF
[pilot]
name = $_v
chain = cometbft
role = validator
network = $_net
group = ${VAL_GROUP:-g}
state_dir = $_d/state
key = $VAL_DIR/keys/$_v.key
EOF
		val_set interval "${VAL_INTERVAL-1s}"
		printf '\n[commander]\n'
		for _u in $_urls; do echo "url = $_u"; done
		echo "key = $VAL_DIR/keys/commander.key.pub"
		[ -z "$_vc" ] || printf '%s\n' "$_vc"
		printf '\n[node]\nrpc_url = http://127.0.0.1:%s\n' "$_np"
		val_set timeout "${VAL_NODE_TIMEOUT-1s}"
		cat <<EOF

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
arg = ${BLOCK_MS:-1000}
arg = --name
arg = $_v
arg = --network
arg = $_net
arg = --validator-key
arg = $_d/node/config/priv_validator_key.json
arg = --state
arg = $_d/node/data/priv_validator_state.json
arg = --journal
arg = $VAL_DIR/journal
arg = --pidfile
arg = $_d/node.pid
EOF
		[ -z "$_lease" ] || printf 'arg = --lease-file\narg = %s\n' "$_lease"
		for _a in "$@"; do echo "arg = $_a"; done
		echo "log_file = $_d/node.log"
		val_set stop_timeout "${VAL_STOP_TIMEOUT-3s}"
		cat <<EOF

[signer]
backend = keyswap
mode = lease
key_source = $_d/secret/priv_validator_key.json
key_target = $_d/node/config/priv_validator_key.json
state_file = $_d/node/data/priv_validator_state.json
EOF
		val_set lease_file "$_lease"
		[ -z "${VAL_SIGNER:-}" ] || printf '%s\n' "$VAL_SIGNER"
		case "${VAL_HTTP:-}" in
		'') ;;
		off) printf '\n[http]\nlisten = off\n' ;;
		*) printf '\n[http]\nlisten = http://127.0.0.1:%s\n' "$VAL_HTTP" ;;
		esac
	} >"$_d/pilot.ini"
}

# val_set KEY VALUE: the line "KEY = VALUE", none for an empty VALUE
val_set() { [ -z "$2" ] || echo "$1 = $2"; }

# validator NAME NETWORK "URL..." [http]: validator_conf in $T on a new port
# (in NODEPORT_NAME), the keys of tests/commander.sh; with http, /health
# and /metrics on HTTPPORT_NAME.  The config is checked (-n): a pass or a
# fail.
validator() {
	_np=$(port)
	eval "NODEPORT_$1=$_np"
	VAL_DIR=$T VAL_HTTP=
	if [ "${4:-}" = http ]; then
		VAL_HTTP=$(port)
		eval "HTTPPORT_$1=$VAL_HTTP"
	fi
	validator_conf "$1" "$2" "$3" "$_np"
	if "$B/sextant-pilot" -n -f "$T/$1/pilot.ini" >"$T/$1/check.out" 2>&1; then
		pass "${1}_pilot_config"
	else
		fail "${1}_pilot_config" "$(cat "$T/$1/check.out")"
	fi
}
