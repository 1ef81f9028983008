#!/bin/sh
# simnode_flavours: each RPC flavour answers with the real field names and
# encodings of protocols.md (strings for CometBFT's int64s, hex numbers for
# Substrate and Ethereum, decimal strings for the beacon API, bitcoind's
# 1.0 envelope), its height is the shared timeline's, and errors come in
# each family's own shape.
. tests/lib.sh

SIM=$B/simnode
BMS=200
G=$(($(date +%s%3N) - 60000)) # genesis a minute ago: tip ~300

now_ms() { date +%s%3N; }
tip_at() { echo $((($1 - G) / BMS)); }

# start NAME FLAVOUR [args]: a simnode on a free port; sets PORT_<NAME>.
start() {
	_n=$1
	_f=$2
	shift 2
	_p=$(free_port)
	spawn "$_n" "$SIM" --flavour "$_f" --listen "127.0.0.1:$_p" \
		--genesis "$G" --block-ms "$BMS" --name "$_n" "$@"
	eval "PORT_$_n=$_p"
	eval "PID_$_n=$LASTPID"
	wait_for 5 curl -sf -m 1 "http://127.0.0.1:$_p/_sim/state"
}
rpc() { # PORT METHOD PARAMS: JSON-RPC 2.0 POST, body on stdout
	curl -s -m 3 -H 'Content-Type: application/json' \
		-d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":$3}" \
		"http://127.0.0.1:$1/"
}
ctl() { curl -sf -m 3 -X POST "http://127.0.0.1:$1/_sim/$2" >/dev/null; }
# in_window H T0 T1: H is the timeline's height between T0 and T1 (one
# block of slack before T0: the node imports just after the boundary).
in_window() {
	[ "$1" -ge $(($(tip_at "$2") - 1)) ] && [ "$1" -le "$(tip_at "$3")" ]
}
is() { [ "$1" = "$2" ] || { echo "  got '$1', want '$2'"; return 1; }; }
matches() { echo "$1" | grep -Eq "$2" || { echo "  '$1' !~ $2"; return 1; }; }

# ---- CometBFT ------------------------------------------------------------
check cometbft_up start cmt cometbft --network sim-9 --peers 5
P=$PORT_cmt
t0=$(now_ms)
curl -s -m 3 "http://127.0.0.1:$P/status" >"$T/st.json"
t1=$(now_ms)
check cmt_status_envelope is "$(jq -c '[.jsonrpc,.id]' "$T/st.json")" \
	'["2.0",-1]'
check cmt_height_is_string is "$(jq -r \
	'.result.sync_info.latest_block_height|type' "$T/st.json")" string
H=$(jq -r .result.sync_info.latest_block_height "$T/st.json")
check cmt_height_on_timeline in_window "$H" "$t0" "$t1"
check cmt_hash_upper_hex matches "$(jq -r \
	.result.sync_info.latest_block_hash "$T/st.json")" '^[0-9A-F]{64}$'
check cmt_catching_up_false is "$(jq -r .result.sync_info.catching_up \
	"$T/st.json")" false
check cmt_network is "$(jq -r .result.node_info.network "$T/st.json")" sim-9
check cmt_validator_address matches "$(jq -r \
	.result.validator_info.address "$T/st.json")" '^[0-9A-F]{40}$'
check cmt_voting_power_string is "$(jq -r \
	'.result.validator_info.voting_power|type+":"+.' "$T/st.json")" \
	string:0
check cmt_net_info_n_peers_string is "$(curl -s "http://127.0.0.1:$P/net_info" |
	jq -c '[.result.n_peers, (.result.peers|length)]')" '["5",5]'
check cmt_health is "$(curl -s -w ' %{http_code}' \
	"http://127.0.0.1:$P/health")" \
	'{"jsonrpc":"2.0","id":-1,"result":{}} 200'
# the hash at a height is the same through /block and /status
HH=$(jq -r .result.sync_info.latest_block_hash "$T/st.json")
curl -s -D "$T/hdr" "http://127.0.0.1:$P/block?height=$H" >"$T/blk.json"
check cmt_block_height is "$(jq -r .result.block.header.height \
	"$T/blk.json")" "$H"
check cmt_block_hash_matches_status is "$(jq -r .result.block_id.hash \
	"$T/blk.json")" "$HH"
check cmt_block_chain_id is "$(jq -r .result.block.header.chain_id \
	"$T/blk.json")" sim-9
check cmt_block_explicit_height_cached grep -qi \
	'^Cache-Control: public, max-age=86400' "$T/hdr"
check cmt_block_quoted_height is "$(curl -s \
	"http://127.0.0.1:$P/block?height=%22$H%22" |
	jq -r .result.block.header.height)" "$H"
check cmt_commit_shape is "$(curl -s "http://127.0.0.1:$P/commit?height=3" |
	jq -c '[.result.signed_header.commit.height,
		.result.signed_header.commit.round,
		(.result.signed_header.commit.signatures|type),
		.result.canonical]')" '["3",0,"array",true]'
# height errors as rpc/core/env.go words them, HTTP 500 for URI calls
curl -s -w '\n%{http_code}' "http://127.0.0.1:$P/block?height=99999999" \
	>"$T/err"
check cmt_future_height_500 is "$(tail -n 1 "$T/err")" 500
check cmt_future_height_error matches "$(head -n 1 "$T/err" | jq -r \
	'[.id, .error.code, .error.data]|@tsv')" \
	'^-1	-32603	height 99999999 must be less than or equal to the current blockchain height [0-9]+$'
check cmt_zero_height_error is "$(curl -s \
	"http://127.0.0.1:$P/commit?height=0" | jq -r .error.data)" \
	'height must be greater than 0, but got 0'
# JSON-RPC over POST: id echoed, params by name, batches
check cmt_jsonrpc_status is "$(curl -s -d \
	'{"jsonrpc":"2.0","id":"a1","method":"status","params":{}}' \
	"http://127.0.0.1:$P/" | jq -r '.id+":"+(.result.sync_info.latest_block_height|type)')" \
	a1:string
check cmt_jsonrpc_block_params is "$(curl -s -d \
	'{"jsonrpc":"2.0","id":2,"method":"block","params":{"height":"7"}}' \
	"http://127.0.0.1:$P/" | jq -r .result.block.header.height)" 7
check cmt_jsonrpc_batch is "$(curl -s -d \
	'[{"jsonrpc":"2.0","id":1,"method":"health"},{"jsonrpc":"2.0","id":2,"method":"nope"}]' \
	"http://127.0.0.1:$P/" | jq -c '[.[0].result, .[1].error.code]')" \
	'[{},-32601]'
check cmt_parse_error is "$(curl -s -d '{"jsonrpc":' \
	"http://127.0.0.1:$P/" | jq -c '[.id,.error.code]')" '[null,-32700]'
check cmt_unknown_path_404 is "$(curl -s -o /dev/null -w '%{http_code}' \
	"http://127.0.0.1:$P/no_such_method")" 404
check cmt_v1_prefix is "$(curl -s "http://127.0.0.1:$P/v1/health" |
	jq -c .result)" '{}'
check cmt_log_committed_state wait_for 3 log_has "$T/cmt.log" \
	'committed state.*module=state height=[0-9]'
check cmt_log_imported wait_for 3 log_has "$T/cmt.log" \
	'Imported #[0-9]* (0x[0-9a-f]\{4\}'

# ---- Substrate -----------------------------------------------------------
check substrate_up start sub substrate --network Testnet --peers 3
P=$PORT_sub
check sub_health is "$(rpc "$P" system_health '[]' | jq -c .result)" \
	'{"peers":3,"isSyncing":false,"shouldHavePeers":true}'
rpc "$P" system_syncState '[]' >"$T/ss.json"
check sub_syncstate_numbers is "$(jq -c '[.result[]|type]|unique' \
	"$T/ss.json")" '["number"]'
t0=$(now_ms)
rpc "$P" chain_getHeader '[]' >"$T/hd.json"
t1=$(now_ms)
NUM=$(jq -r .result.number "$T/hd.json")
check sub_number_hex matches "$NUM" '^0x[0-9a-f]+$'
check sub_number_on_timeline in_window "$(printf '%d' "$NUM")" "$t0" "$t1"
check sub_parent_hash_0x matches "$(jq -r .result.parentHash "$T/hd.json")" \
	'^0x[0-9a-f]{64}$'
FIN=$(rpc "$P" chain_getFinalizedHead '[]' | jq -r .result)
check sub_finalized_hash matches "$FIN" '^0x[0-9a-f]{64}$'
FN=$(rpc "$P" chain_getHeader "[\"$FIN\"]" | jq -r .result.number)
check sub_finalized_header_by_hash matches "$FN" '^0x[0-9a-f]+$'
check sub_block_hash_by_number is "$(rpc "$P" chain_getBlockHash \
	"[$(printf '%d' "$FN")]" | jq -r .result)" "$FIN"
check sub_unknown_hash_null is "$(rpc "$P" chain_getHeader \
	'["0x0000000000000000000000000000000000000000000000000000000000000001"]' |
	jq -c .result)" null
check sub_version_string is "$(rpc "$P" system_version '[]' |
	jq -r '.result|type')" string
check sub_method_not_found is "$(rpc "$P" nope_nope '[]' |
	jq -c '[.id,.error.code,.error.message]')" '[1,-32601,"Method not found"]'
check sub_log_imported wait_for 3 log_has "$T/sub.log" \
	'INFO substrate: ✨ Imported #[0-9]* (0x[0-9a-f]\{4\}…[0-9a-f]\{4\})'
check sub_log_session log_has "$T/sub.log" 'Running session [0-9]*\.'
check sub_log_timestamp log_has "$T/sub.log" \
	'^20[0-9][0-9]-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]\{3\} '

# ---- Ethereum execution ---------------------------------------------------
check ethereum_up start eth ethereum --network 1337 --peers 25
P=$PORT_eth
t0=$(now_ms)
BN=$(rpc "$P" eth_blockNumber '[]' | jq -r .result)
t1=$(now_ms)
check eth_block_number_hex matches "$BN" '^0x[0-9a-f]+$'
check eth_block_number_on_timeline in_window "$(printf '%d' "$BN")" "$t0" "$t1"
check eth_syncing_false is "$(rpc "$P" eth_syncing '[]' | jq -c .result)" false
check eth_peer_count_hex is "$(rpc "$P" net_peerCount '[]' | jq -r .result)" 0x19
check eth_chain_id is "$(rpc "$P" eth_chainId '[]' | jq -r .result)" 0x539
check eth_client_version matches "$(rpc "$P" web3_clientVersion '[]' |
	jq -r .result)" '^Geth/'
check eth_unknown_method is "$(rpc "$P" eth_nope '[]' |
	jq -c '[.jsonrpc,.id,.error.code]')" '["2.0",1,-32601]'
check eth_block_by_number is "$(rpc "$P" eth_getBlockByNumber '["0x5",false]' |
	jq -r .result.number)" 0x5
ctl "$P" major-sync/enter
rpc "$P" eth_syncing '[]' >"$T/sy.json"
check eth_syncing_object is "$(jq -c '[.result|keys[]]' "$T/sy.json")" \
	'["currentBlock","highestBlock","startingBlock"]'
check eth_syncing_hex matches "$(jq -r '.result.highestBlock' "$T/sy.json")" \
	'^0x[0-9a-f]+$'
ctl "$P" major-sync/leave

# ---- Beacon -------------------------------------------------------------
check beacon_up start bea beacon --peers 4
P=$PORT_bea
t0=$(now_ms)
curl -s "http://127.0.0.1:$P/eth/v1/node/syncing" >"$T/bs.json"
t1=$(now_ms)
check beacon_syncing_types is "$(jq -c '.data|[.head_slot,.sync_distance,
	.is_syncing,.is_optimistic,.el_offline]|map(type)' "$T/bs.json")" \
	'["string","string","boolean","boolean","boolean"]'
check beacon_head_slot_on_timeline in_window "$(jq -r .data.head_slot \
	"$T/bs.json")" "$t0" "$t1"
health() { curl -s -o "$T/hb" -w '%{http_code}' \
	"http://127.0.0.1:$P/eth/v1/node/health${1:-}"; }
check beacon_health_200 is "$(health)" 200
check beacon_health_no_body is "$(wc -c <"$T/hb" | tr -d ' ')" 0
ctl "$P" major-sync/enter
check beacon_health_206_syncing is "$(health)" 206
check beacon_health_syncing_status is "$(health '?syncing_status=299')" 299
check beacon_health_bad_param is "$(health '?syncing_status=abc')" 400
check beacon_syncing_true is "$(curl -s \
	"http://127.0.0.1:$P/eth/v1/node/syncing" | jq -r .data.is_syncing)" true
ctl "$P" major-sync/leave
ctl "$P" 'peers?n=0'
check beacon_health_503_no_peers is "$(health)" 503
check beacon_peer_count_strings is "$(curl -s \
	"http://127.0.0.1:$P/eth/v1/node/peer_count" | jq -c .data)" \
	'{"disconnected":"0","connecting":"0","connected":"0","disconnecting":"0"}'
check beacon_404_shape is "$(curl -s -w ' %{http_code}' \
	"http://127.0.0.1:$P/eth/v1/nope")" '{"code":404,"message":"NOT_FOUND"} 404'

# ---- Bitcoin (auth has its own test: simnode_bitcoin) --------------------
check bitcoin_up start btc bitcoin --network regtest --peers 9
P=$PORT_btc
btc() { curl -s -m 3 -w '\n%{http_code}' -d "$1" "http://127.0.0.1:$P/"; }
t0=$(now_ms)
btc '{"jsonrpc":"1.0","id":"t","method":"getblockchaininfo","params":[]}' \
	>"$T/bi"
t1=$(now_ms)
head -n 1 "$T/bi" >"$T/bi.json"
check btc_envelope_1_0 is "$(jq -c '[.error,.id]' "$T/bi.json")" '[null,"t"]'
check btc_blockchaininfo_types is "$(jq -c '.result|[.chain,(.blocks|type),
	(.headers|type),(.bestblockhash|test("^[0-9a-f]{64}$")),
	.initialblockdownload,(.verificationprogress|type)]' "$T/bi.json")" \
	'["regtest","number","number",true,false,"number"]'
check btc_blocks_on_timeline in_window "$(jq -r .result.blocks "$T/bi.json")" \
	"$t0" "$t1"
BB=$(jq -r .result.blocks "$T/bi.json")
check btc_getblockhash_matches_best is "$(btc \
	"{\"id\":1,\"method\":\"getblockhash\",\"params\":[$BB]}" | head -n 1 |
	jq -r .result)" "$(jq -r .result.bestblockhash "$T/bi.json")"
check btc_networkinfo is "$(btc '{"id":1,"method":"getnetworkinfo"}' |
	head -n 1 | jq -c '.result|[.connections,.connections_in+.connections_out]')" \
	'[9,9]'
btc '{"id":1,"method":"getblockhash","params":[999999999]}' >"$T/be"
check btc_rpc_error_500 is "$(tail -n 1 "$T/be")" 500
check btc_rpc_error_shape is "$(head -n 1 "$T/be" | jq -c '[.result,.error.code]')" \
	'[null,-8]'
btc '{"id":1,"method":"nope"}' >"$T/be"
check btc_unknown_method_404 is "$(tail -n 1 "$T/be" | tr -d '\n')$(head -n 1 \
	"$T/be" | jq -r .error.code)" 404-32601
btc '{"jsonrpc":"2.0","id":1,"method":"nope"}' >"$T/be"
check btc_jsonrpc_2_strict is "$(tail -n 1 "$T/be")$(head -n 1 "$T/be" |
	jq -c '[.jsonrpc,has("result")]')" '200["2.0",false]'
check btc_log_updatetip wait_for 3 log_has "$T/btc.log" \
	'UpdateTip: new best=[0-9a-f]\{64\} height=[0-9]'

# ---- the same chain everywhere -------------------------------------------
# A second CometBFT node on the same genesis agrees on tip and hashes.
check cometbft2_up start cmt2 cometbft --network sim-9
A=$(curl -s "http://127.0.0.1:$PORT_cmt/block?height=100" | jq -r .result.block_id.hash)
Bh=$(curl -s "http://127.0.0.1:$PORT_cmt2/block?height=100" | jq -r .result.block_id.hash)
check same_genesis_same_hash is "$A" "$Bh"
tips() {
	a=$(curl -s "http://127.0.0.1:$PORT_cmt/_sim/state" | jq .tip)
	b=$(curl -s "http://127.0.0.1:$PORT_cmt2/_sim/state" | jq .tip)
	[ "$a" = "$b" ]
}
check same_genesis_same_tip wait_for 3 tips

finish
