/*
 * probe_parse_test.c: every probe family's parsers against the responses
 * protocols.md documents, then malformed, truncated, wrong-type, overflow,
 * empty and oversized input.  A failed parse must leave a reason and must
 * not touch any other field of the result.
 */
#include "pilot/probe_parse.h"

#include "tests/test.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define H64 "2512A0D21E00C0D4B1D2E3F40516273849505A6B7C8D9EAFB0C1D2E3F4C1FD00"
#define X64 "0x" H64

enum fam {
	CMT_STATUS,
	CMT_NET,
	SUB_HEALTH,
	SUB_SYNC,
	SUB_HEADER,
	SUB_FIN,
	ETH_BN,
	ETH_SYNC,
	ETH_PEERS,
	BEA_SYNC,
	BEA_PEERS,
	BTC_CHAIN,
	BTC_NET,
	BTC_COOKIE,
	CMD_OUT,
	FAM__COUNT
};

/* Run one parser; families with extra outputs store them in r. */
static int
parse(enum fam f, const char *b, size_t n, struct probe_result *r)
{
	uint64_t a = 0, c = 0;
	char u[64], p[160], h[80];
	int rc;

	switch (f) {
	case CMT_STATUS:
		return probe_parse_cometbft_status(b, n, r);
	case CMT_NET:
		return probe_parse_cometbft_net_info(b, n, r);
	case SUB_HEALTH:
		return probe_parse_substrate_health(b, n, r);
	case SUB_SYNC:
		if ((rc = probe_parse_substrate_sync_state(b, n, &a, &c, r)) ==
		    0) {
			r->height = a;
			r->highest = c;
		}
		return rc;
	case SUB_HEADER:
		if ((rc = probe_parse_substrate_header(b, n, &a, r)) == 0)
			r->height = a;
		return rc;
	case SUB_FIN:
		rc =
		    probe_parse_substrate_finalized_head(b, n, h, sizeof(h), r);
		if (rc == 0)
			memcpy(r->tip_hash, h, sizeof(h));
		return rc;
	case ETH_BN:
		return probe_parse_eth_block_number(b, n, r);
	case ETH_SYNC:
		return probe_parse_eth_syncing(b, n, r);
	case ETH_PEERS:
		return probe_parse_eth_peer_count(b, n, r);
	case BEA_SYNC:
		return probe_parse_beacon_syncing(b, n, r);
	case BEA_PEERS:
		return probe_parse_beacon_peer_count(b, n, r);
	case BTC_CHAIN:
		return probe_parse_bitcoin_blockchaininfo(b, n, r);
	case BTC_NET:
		return probe_parse_bitcoin_networkinfo(b, n, r);
	case BTC_COOKIE:
		rc =
		    probe_parse_bitcoin_cookie(b, n, u, sizeof(u), p, sizeof(p),
		                               r->error, sizeof(r->error));
		if (rc == 0) {
			snprintf(r->tip_hash, sizeof(r->tip_hash), "%s", u);
			r->height = strlen(p);
		}
		return rc;
	case CMD_OUT:
		return probe_parse_command_output(b, n, r);
	default:
		return -2;
	}
}

struct row {
	const char *name;
	enum fam fam;
	const char *body;
	int rc;
	uint64_t height;
	int syncing; /* -1: not checked */
	uint32_t peers;
	int peers_known;  /* -1: not checked */
	const char *hash; /* NULL: not checked */
	const char *err;  /* substring of r->error when rc != 0 */
	uint64_t highest;
};

#define OK(n, f, b, h, s, p, pk, hash)                                         \
	{                                                                      \
		n, f, b, 0, h, s, p, pk, hash, NULL, 0                         \
	}
#define OKH(n, f, b, h, s, hi)                                                 \
	{                                                                      \
		n, f, b, 0, h, s, 0, -1, NULL, NULL, hi                        \
	}
#define BAD(n, f, b, e)                                                        \
	{                                                                      \
		n, f, b, -1, 0, -1, 0, -1, NULL, e, 0                          \
	}

#define CMT(si)                                                                \
	"{\"jsonrpc\":\"2.0\",\"id\":-1,\"result\":{\"node_info\":{\"id\":"    \
	"\"b774\",\"network\":\"mychain-1\",\"version\":\"0.38.6\"},"          \
	"\"sync_info\":{" si "},\"validator_info\":{\"address\":\"5D6A\","     \
	"\"voting_power\":\"0\"}}}"
#define CMT_SI(h, hash, cu)                                                    \
	CMT("\"latest_block_hash\":" hash ",\"latest_app_hash\":\"7F06\","     \
	    "\"latest_block_height\":" h ",\"latest_block_time\":"             \
	    "\"2024-06-11T14:07:57.12519517Z\",\"earliest_block_height\":"     \
	    "\"1\",\"catching_up\":" cu)
#define RPC2(res) "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":" res "}"
#define RPCERR(code, msg)                                                      \
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":" code              \
	",\"message\":\"" msg "\"}}"
#define BTC(res) "{\"result\":" res ",\"error\":null,\"id\":\"x\"}"
#define BTC_INFO(blocks, headers, ibd, hash)                                   \
	BTC("{\"chain\":\"main\",\"blocks\":" blocks ",\"headers\":" headers   \
	    ",\"bestblockhash\":" hash ",\"difficulty\":8.6e13,"               \
	    "\"time\":1718114877,\"mediantime\":1718112000,"                   \
	    "\"verificationprogress\":0.99999,\"initialblockdownload\":" ibd   \
	    ",\"chainwork\":\"00ab\",\"size_on_disk\":600000000000,"           \
	    "\"pruned\":false,\"warnings\":\"\"}")
#define BEACON_SYNC(slot, dist, is)                                            \
	"{\"data\":{\"head_slot\":" slot ",\"sync_distance\":" dist            \
	",\"is_syncing\":" is                                                  \
	",\"is_optimistic\":false,\"el_offline\":false}}"

static const struct row rows[] = {
    /* CometBFT /status */
    OK("cmt status", CMT_STATUS, CMT_SI("\"26083\"", "\"" H64 "\"", "false"),
       26083, 0, 0, 0, H64),
    OK("cmt catching up", CMT_STATUS, CMT_SI("\"5\"", "\"\"", "true"), 5, 1, 0,
       0, ""),
    OK("cmt max int64", CMT_STATUS,
       CMT_SI("\"9223372036854775807\"", "\"AB\"", "false"),
       9223372036854775807ULL, 0, 0, 0, "AB"),
    BAD("cmt height number", CMT_STATUS, CMT_SI("26083", "\"AB\"", "false"),
        "status: latest_block_height not a string"),
    BAD("cmt height missing", CMT_STATUS,
        CMT("\"latest_block_hash\":\"AB\",\"catching_up\":false"),
        "status: latest_block_height missing"),
    BAD("cmt height null", CMT_STATUS, CMT_SI("null", "\"AB\"", "false"),
        "status: latest_block_height missing"),
    BAD("cmt height negative", CMT_STATUS, CMT_SI("\"-1\"", "\"AB\"", "false"),
        "not a decimal string"),
    BAD("cmt height empty", CMT_STATUS, CMT_SI("\"\"", "\"AB\"", "false"),
        "not a decimal string"),
    BAD("cmt height space", CMT_STATUS, CMT_SI("\" 7\"", "\"AB\"", "false"),
        "not a decimal string"),
    BAD("cmt height plus", CMT_STATUS, CMT_SI("\"+7\"", "\"AB\"", "false"),
        "not a decimal string"),
    BAD("cmt height hex", CMT_STATUS, CMT_SI("\"0x10\"", "\"AB\"", "false"),
        "not a decimal string: \"0x10\""),
    BAD("cmt height trailing", CMT_STATUS,
        CMT_SI("\"12abc\"", "\"AB\"", "false"), "not a decimal string"),
    BAD("cmt height over int64", CMT_STATUS,
        CMT_SI("\"9223372036854775808\"", "\"AB\"", "false"),
        "latest_block_height out of range"),
    BAD("cmt height over u64", CMT_STATUS,
        CMT_SI("\"18446744073709551616\"", "\"AB\"", "false"), "out of range"),
    BAD("cmt catching_up string", CMT_STATUS,
        CMT_SI("\"1\"", "\"AB\"", "\"false\""),
        "status: catching_up not a boolean"),
    BAD("cmt hash not hex", CMT_STATUS,
        CMT_SI("\"1\"", "\"ZZ\\u0001\"", "false"),
        "latest_block_hash not hex: \"ZZ?\""),
    BAD("cmt hash too long", CMT_STATUS,
        CMT_SI("\"1\"", "\"" H64 H64 "\"", "false"),
        "latest_block_hash too long"),
    BAD("cmt hash number", CMT_STATUS, CMT_SI("\"1\"", "12", "false"),
        "latest_block_hash not a string"),
    BAD("cmt rpc error", CMT_STATUS,
        "{\"jsonrpc\":\"2.0\",\"id\":-1,\"error\":{\"code\":-32603,"
        "\"message\":\"Internal error\",\"data\":\"height 999 must be "
        "less than or equal to the current blockchain height 120\"}}",
        "status: RPC error -32603: Internal error"),
    BAD("cmt result array", CMT_STATUS, RPC2("[]"),
        "status: result not an object"),
    BAD("cmt no result", CMT_STATUS, "{\"jsonrpc\":\"2.0\",\"id\":-1}",
        "status: result missing"),
    BAD("cmt sync_info missing", CMT_STATUS, RPC2("{}"),
        "status: sync_info missing"),
    BAD("cmt sync_info string", CMT_STATUS, RPC2("{\"sync_info\":\"x\"}"),
        "status: sync_info not an object"),
    BAD("cmt truncated", CMT_STATUS, "{\"jsonrpc\":\"2.0\",\"result\":{",
        "status: not JSON"),
    BAD("cmt trailing garbage", CMT_STATUS,
        CMT_SI("\"1\"", "\"AB\"", "false") "xyz", "status: not JSON"),
    BAD("cmt two objects", CMT_STATUS, RPC2("{}") RPC2("{}"),
        "status: not JSON"),
    BAD("cmt top array", CMT_STATUS, "[1,2]", "status: not a JSON object"),
    BAD("cmt top string", CMT_STATUS, "\"x\"", "status: not a JSON object"),
    BAD("cmt html", CMT_STATUS, "<html>502 Bad Gateway</html>",
        "status: not JSON"),
    BAD("cmt empty", CMT_STATUS, "", "status: empty body"),
    /* CometBFT /net_info */
    OK("cmt net_info", CMT_NET,
       RPC2("{\"listening\":true,\"listeners\":[\"Listener(@)\"],"
            "\"n_peers\":\"7\",\"peers\":[]}"),
       0, -1, 7, 1, NULL),
    OK("cmt net_info zero", CMT_NET, RPC2("{\"n_peers\":\"0\"}"), 0, -1, 0, 1,
       NULL),
    BAD("cmt n_peers number", CMT_NET, RPC2("{\"n_peers\":7}"),
        "net_info: n_peers not a string"),
    BAD("cmt n_peers over u32", CMT_NET, RPC2("{\"n_peers\":\"4294967296\"}"),
        "n_peers out of range"),
    BAD("cmt n_peers missing", CMT_NET, RPC2("{\"peers\":[]}"),
        "net_info: n_peers missing"),

    /* Substrate */
    OK("sub health", SUB_HEALTH,
       RPC2("{\"peers\":5,\"isSyncing\":false,\"shouldHavePeers\":true}"), 0, 0,
       5, 1, NULL),
    OK("sub health syncing", SUB_HEALTH,
       RPC2("{\"peers\":0,\"isSyncing\":true,\"shouldHavePeers\":true}"), 0, 1,
       0, 1, NULL),
    BAD("sub peers string", SUB_HEALTH,
        RPC2("{\"peers\":\"5\",\"isSyncing\":false}"),
        "system_health: peers not a number"),
    BAD("sub peers negative", SUB_HEALTH,
        RPC2("{\"peers\":-1,\"isSyncing\":false}"),
        "system_health: peers out of range"),
    BAD("sub peers fraction", SUB_HEALTH,
        RPC2("{\"peers\":1.5,\"isSyncing\":false}"),
        "system_health: peers not an integer"),
    BAD("sub peers huge", SUB_HEALTH,
        RPC2("{\"peers\":1e300,\"isSyncing\":false}"),
        "system_health: peers out of range"),
    BAD("sub peers over u32", SUB_HEALTH,
        RPC2("{\"peers\":4294967296,\"isSyncing\":false}"),
        "system_health: peers out of range"),
    BAD("sub isSyncing missing", SUB_HEALTH, RPC2("{\"peers\":5}"),
        "system_health: isSyncing missing"),
    BAD("sub health method missing", SUB_HEALTH,
        RPCERR("-32601", "Method not found"),
        "system_health: RPC error -32601: Method not found"),
    OKH("sub sync state", SUB_SYNC,
        RPC2("{\"startingBlock\":12,\"currentBlock\":50,"
             "\"highestBlock\":128}"),
        50, -1, 128),
    OKH("sub sync state no highest", SUB_SYNC,
        RPC2("{\"startingBlock\":0,\"currentBlock\":50,"
             "\"highestBlock\":null}"),
        50, -1, 0),
    BAD("sub sync state hex", SUB_SYNC,
        RPC2("{\"startingBlock\":0,\"currentBlock\":\"0x32\"}"),
        "system_syncState: currentBlock not a number"),
    BAD("sub sync state 2^53", SUB_SYNC,
        RPC2("{\"currentBlock\":9007199254740993}"), "out of range"),
    OK("sub header hex", SUB_HEADER,
       RPC2("{\"parentHash\":\"" X64 "\",\"number\":\"0x92a3df\","
            "\"stateRoot\":\"0x00\",\"extrinsicsRoot\":\"0x00\","
            "\"digest\":{\"logs\":[\"0x0642\"]}}"),
       9610207, -1, 0, -1, NULL),
    OK("sub header plain number", SUB_HEADER, RPC2("{\"number\":1234}"), 1234,
       -1, 0, -1, NULL),
    OK("sub header zero", SUB_HEADER, RPC2("{\"number\":\"0x0\"}"), 0, -1, 0,
       -1, NULL),
    OK("sub header leading zeros", SUB_HEADER,
       RPC2("{\"number\":\"0x00000000000000000000000001\"}"), 1, -1, 0, -1,
       NULL),
    OK("sub header max u64", SUB_HEADER,
       RPC2("{\"number\":\"0xffffffffffffffff\"}"), UINT64_MAX, -1, 0, -1,
       NULL),
    BAD("sub header overflow", SUB_HEADER,
        RPC2("{\"number\":\"0x10000000000000000\"}"),
        "chain_getHeader: number out of range"),
    BAD("sub header bare hex", SUB_HEADER, RPC2("{\"number\":\"92a3df\"}"),
        "chain_getHeader: number not a 0x hex quantity: \"92a3df\""),
    BAD("sub header 0x only", SUB_HEADER, RPC2("{\"number\":\"0x\"}"),
        "not a 0x hex quantity"),
    BAD("sub header 0x junk", SUB_HEADER, RPC2("{\"number\":\"0x12g\"}"),
        "not a 0x hex quantity"),
    BAD("sub header negative", SUB_HEADER, RPC2("{\"number\":-3}"),
        "number out of range"),
    BAD("sub header bool", SUB_HEADER, RPC2("{\"number\":true}"),
        "number not a string"),
    BAD("sub header null result", SUB_HEADER, RPC2("null"),
        "chain_getHeader: no such block"),
    BAD("sub header missing number", SUB_HEADER, RPC2("{}"),
        "chain_getHeader: number missing"),
    OK("sub finalized", SUB_FIN, RPC2("\"" X64 "\""), 0, -1, 0, -1, X64),
    BAD("sub finalized short", SUB_FIN, RPC2("\"0x1234\""),
        "chain_getFinalizedHead: not a 0x block hash: \"0x1234\""),
    BAD("sub finalized no 0x", SUB_FIN, RPC2("\"00" H64 "\""),
        "not a 0x block hash"),
    BAD("sub finalized number", SUB_FIN, RPC2("12"),
        "chain_getFinalizedHead: result not a string"),

    /* Ethereum execution */
    OK("eth block number", ETH_BN, RPC2("\"0x2377\""), 0x2377, -1, 0, -1, NULL),
    BAD("eth block number plain", ETH_BN, RPC2("9079"),
        "eth_blockNumber: result not a string"),
    BAD("eth block number bare", ETH_BN, RPC2("\"2377\""),
        "eth_blockNumber: result not a 0x hex quantity"),
    BAD("eth block number overflow", ETH_BN, RPC2("\"0x1ffffffffffffffff\""),
        "out of range"),
    BAD("eth block number error", ETH_BN, RPCERR("-32000", "header not found"),
        "eth_blockNumber: RPC error -32000: header not found"),
    BAD("eth error not object", ETH_BN,
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":\"boom\"}",
        "eth_blockNumber: RPC error: boom"),
    OK("eth not syncing", ETH_SYNC, RPC2("false"), 0, 0, 0, -1, NULL),
    OKH("eth syncing", ETH_SYNC,
        RPC2("{\"startingBlock\":\"0x0\",\"currentBlock\":\"0x1518\","
             "\"highestBlock\":\"0x9567a3\",\"pulledStates\":\"0x1\"}"),
        0, 1, 0x9567a3),
    BAD("eth syncing true", ETH_SYNC, RPC2("true"),
        "eth_syncing: result neither false nor an object"),
    BAD("eth syncing numbers", ETH_SYNC,
        RPC2("{\"currentBlock\":5,\"highestBlock\":9}"),
        "eth_syncing: currentBlock not a string"),
    BAD("eth syncing no highest", ETH_SYNC, RPC2("{\"currentBlock\":\"0x5\"}"),
        "eth_syncing: highestBlock missing"),
    OK("eth peers", ETH_PEERS, RPC2("\"0x19\""), 0, -1, 25, 1, NULL),
    OK("eth peers method missing (anvil)", ETH_PEERS,
       RPCERR("-32601", "Method not found"), 0, -1, 0, 0, NULL),
    BAD("eth peers other error", ETH_PEERS, RPCERR("-32000", "oops"),
        "net_peerCount: RPC error -32000: oops"),
    BAD("eth peers over u32", ETH_PEERS, RPC2("\"0x100000000\""),
        "net_peerCount: out of range"),

    /* Ethereum beacon */
    OKH("beacon synced", BEA_SYNC, BEACON_SYNC("\"123\"", "\"0\"", "false"),
        123, 0, 123),
    OKH("beacon syncing", BEA_SYNC, BEACON_SYNC("\"100\"", "\"4000\"", "true"),
        100, 1, 4100),
    OKH("beacon old client", BEA_SYNC,
        "{\"data\":{\"head_slot\":\"7\",\"sync_distance\":\"1\","
        "\"is_syncing\":false}}",
        7, 0, 8),
    BAD("beacon slot number", BEA_SYNC, BEACON_SYNC("123", "\"0\"", "false"),
        "syncing: head_slot not a string"),
    BAD("beacon slot overflow", BEA_SYNC,
        BEACON_SYNC("\"18446744073709551616\"", "\"0\"", "false"),
        "syncing: head_slot out of range"),
    BAD("beacon sum overflow", BEA_SYNC,
        BEACON_SYNC("\"18446744073709551615\"", "\"1\"", "false"), "overflows"),
    BAD("beacon is_syncing string", BEA_SYNC,
        BEACON_SYNC("\"1\"", "\"0\"", "\"no\""),
        "syncing: is_syncing not a boolean"),
    BAD("beacon no data", BEA_SYNC, "{\"head_slot\":\"1\"}",
        "syncing: data missing"),
    BAD("beacon error body", BEA_SYNC,
        "{\"code\":503,\"message\":\"Node is syncing\"}",
        "syncing: error: Node is syncing"),
    OK("beacon peers", BEA_PEERS,
       "{\"data\":{\"disconnected\":\"12\",\"connecting\":\"34\","
       "\"connected\":\"56\",\"disconnecting\":\"5\"}}",
       0, -1, 56, 1, NULL),
    BAD("beacon peers number", BEA_PEERS, "{\"data\":{\"connected\":56}}",
        "peer_count: connected not a string"),

    /* Bitcoin */
    OKH("btc chain info", BTC_CHAIN,
        BTC_INFO("800000", "800010", "false", "\"" H64 "\""), 800000, 0,
        800010),
    {"btc chain info hash", BTC_CHAIN,
     BTC_INFO("800000", "800010", "false", "\"" H64 "\""), 0, 800000, 0, 0, -1,
     H64, NULL, 800010},
    OKH("btc ibd", BTC_CHAIN, BTC_INFO("10", "800010", "true", "\"00ab\""), 10,
        1, 800010),
    BAD("btc warmup", BTC_CHAIN,
        "{\"result\":null,\"error\":{\"code\":-28,\"message\":\"Loading "
        "block index...\"},\"id\":\"x\"}",
        "getblockchaininfo: RPC error -28: Loading block index..."),
    BAD("btc blocks string", BTC_CHAIN,
        BTC_INFO("\"800000\"", "1", "false", "\"00\""),
        "getblockchaininfo: blocks not a number"),
    BAD("btc blocks negative", BTC_CHAIN,
        BTC_INFO("-1", "1", "false", "\"00\""), "blocks out of range"),
    BAD("btc ibd missing", BTC_CHAIN,
        BTC("{\"blocks\":1,\"headers\":1,\"bestblockhash\":\"00\"}"),
        "getblockchaininfo: initialblockdownload missing"),
    BAD("btc result null", BTC_CHAIN, BTC("null"),
        "getblockchaininfo: result not an object"),
    OK("btc network info", BTC_NET,
       BTC("{\"version\":270000,\"subversion\":\"/Satoshi:27.0.0/\","
           "\"connections\":10,\"connections_in\":2,\"connections_out\":8,"
           "\"networkactive\":true}"),
       0, -1, 10, 1, NULL),
    BAD("btc connections missing", BTC_NET, BTC("{\"version\":1}"),
        "getnetworkinfo: connections missing"),
    OK("btc cookie", BTC_COOKIE, "__cookie__:" H64, 64, -1, 0, -1,
       "__cookie__"),
    OK("btc cookie newline", BTC_COOKIE, "__cookie__:" H64 "\n", 64, -1, 0, -1,
       "__cookie__"),
    BAD("btc cookie other user", BTC_COOKIE, "alice:" H64,
        "cookie does not start with"),
    BAD("btc cookie empty secret", BTC_COOKIE,
        "__cookie__:", "cookie does not start with"),
    BAD("btc cookie base64", BTC_COOKIE,
        "__cookie__:JSYxq0KmgL+cYgA2b8uWhFJ5z3D4qI=",
        "cookie secret is not 16-128 hex digits"),
    BAD("btc cookie short", BTC_COOKIE, "__cookie__:abcd",
        "cookie secret is not"),
    BAD("btc cookie empty", BTC_COOKIE, "", "cookie does not start with"),

    /* Command */
    OK("cmd number", CMD_OUT, "12345\n", 12345, -1, 0, -1, NULL),
    OK("cmd blanks", CMD_OUT, " \t 42 \r\n", 42, -1, 0, -1, NULL),
    OK("cmd max", CMD_OUT, "18446744073709551615", UINT64_MAX, -1, 0, -1, NULL),
    BAD("cmd empty", CMD_OUT, "", "command: no output"),
    BAD("cmd blank", CMD_OUT, " \n", "command: no output"),
    BAD("cmd word", CMD_OUT, "height\n", "command: output not a number"),
    BAD("cmd two numbers", CMD_OUT, "12 13\n", "output not a number"),
    BAD("cmd negative", CMD_OUT, "-5", "output not a number"),
    BAD("cmd overflow", CMD_OUT, "18446744073709551616",
        "command: number out of range"),
    BAD("cmd long", CMD_OUT, "123456789012345678901234567890",
        "output not a number"),
};

/* Every field but error, for "a failed parse touches nothing else". */
static bool
same_but_error(const struct probe_result *a, const struct probe_result *b)
{
	struct probe_result x = *a, y = *b;

	memset(x.error, 0, sizeof(x.error));
	memset(y.error, 0, sizeof(y.error));
	return memcmp(&x, &y, sizeof(x)) == 0;
}

static void
init_result(struct probe_result *r)
{
	memset(r, 0, sizeof(*r));
	r->height = 77; /* sentinels: a failed parse must leave them */
	r->highest = 88;
	r->peers = 99;
}

static void
test_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		struct probe_result r, before;
		int rc;

		init_result(&r);
		if (w->rc == 0) { /* expected fields start from zero */
			r.height = r.highest = r.peers = 0;
		}
		before = r;
		rc = parse(w->fam, w->body, strlen(w->body), &r);
		CHECKF(rc == w->rc, "%s: rc %d, error \"%s\"", w->name, rc,
		       r.error);
		if (rc != 0) {
			CHECKF(r.error[0] != '\0', "%s: no reason", w->name);
			CHECKF(w->err == NULL || strstr(r.error, w->err),
			       "%s: error \"%s\" lacks \"%s\"", w->name,
			       r.error, w->err);
			CHECKF(same_but_error(&r, &before),
			       "%s: failed parse changed the result", w->name);
			continue;
		}
		CHECKF(r.height == w->height, "%s: height %llu != %llu",
		       w->name, (unsigned long long)r.height,
		       (unsigned long long)w->height);
		CHECKF(w->syncing < 0 || r.syncing == (w->syncing == 1),
		       "%s: syncing %d", w->name, r.syncing);
		CHECKF(r.peers == w->peers, "%s: peers %u != %u", w->name,
		       r.peers, w->peers);
		CHECKF(w->peers_known < 0 ||
		           r.peers_known == (w->peers_known == 1),
		       "%s: peers_known %d", w->name, r.peers_known);
		CHECKF(w->hash == NULL || strcmp(r.tip_hash, w->hash) == 0,
		       "%s: hash \"%s\" != \"%s\"", w->name, r.tip_hash,
		       w->hash ? w->hash : "");
		CHECKF(r.highest == w->highest, "%s: highest %llu != %llu",
		       w->name, (unsigned long long)r.highest,
		       (unsigned long long)w->highest);
		CHECKF(r.error[0] == '\0' || w->fam == ETH_PEERS,
		       "%s: error set on success: \"%s\"", w->name, r.error);
	}
}

/* Each proper prefix of a good response is refused with a reason (a
 * connection cut mid-body must never read as a height). */
static void
test_truncated(void)
{
	size_t i, n;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		size_t len = strlen(w->body);
		bool bad = false;

		if (w->rc != 0 || w->fam == CMD_OUT || w->fam == BTC_COOKIE)
			continue;
		for (n = 0; n < len && !bad; n++) {
			struct probe_result r;

			init_result(&r);
			if (parse(w->fam, w->body, n, &r) == 0 ||
			    r.error[0] == '\0') {
				CHECKF(0, "%s: prefix of %zu bytes accepted",
				       w->name, n);
				bad = true;
			}
		}
	}
}

/* A body not NUL-terminated where len says it ends must be read to len
 * only: the fuzzer relies on this, and so does http.c's buffer. */
static void
test_length_is_respected(void)
{
	const char *body = RPC2("\"0x10\"") "garbage";
	struct probe_result r;

	init_result(&r);
	CHECK_EQ_INT(
	    probe_parse_eth_block_number(body, strlen(RPC2("\"0x10\"")), &r),
	    0);
	CHECK_EQ_INT(r.height, 16);
	init_result(&r);
	CHECK_EQ_INT(probe_parse_eth_block_number(body, strlen(body), &r), -1);
}

static void
test_nul_inside(void)
{
	static const char body[] =
	    "{\"jsonrpc\":\"2.0\",\"result\":\"0x1\"}\0{}";
	struct probe_result r;

	init_result(&r);
	CHECK_EQ_INT(probe_parse_eth_block_number(body, sizeof(body) - 1, &r),
	             -1);
	CHECK(strstr(r.error, "NUL byte") != NULL);
}

static void
test_oversized(void)
{
	size_t n = PROBE_PARSE_MAX + 1, i;
	char *big = malloc(PROBE_PARSE_MAX_NET_INFO + 2);
	struct probe_result r;
	int f;

	if (big == NULL) {
		CHECK(big != NULL);
		return;
	}
	/* Valid JSON, only too long: the bound alone must refuse it. */
	memset(big, ' ', PROBE_PARSE_MAX_NET_INFO + 1);
	memcpy(big, RPC2("\"0x1\""), strlen(RPC2("\"0x1\"")));
	for (f = 0; f < FAM__COUNT; f++) {
		size_t len = f == CMT_NET ? PROBE_PARSE_MAX_NET_INFO + 1 : n;

		if (f == CMD_OUT || f == BTC_COOKIE)
			len = PROBE_PARSE_MAX_OUTPUT + 1;
		init_result(&r);
		CHECKF(parse((enum fam)f, big, len, &r) == -1,
		       "family %d accepted %zu bytes", f, len);
		if (f != BTC_COOKIE)
			CHECKF(strstr(r.error, "over") != NULL,
			       "family %d: \"%s\"", f, r.error);
	}
	/* Just under the bound still parses. */
	init_result(&r);
	CHECK_EQ_INT(probe_parse_eth_block_number(big, PROBE_PARSE_MAX, &r), 0);
	CHECK_EQ_INT(r.height, 1);
	/* Deep nesting is refused by cJSON's depth limit, not the stack. */
	for (i = 0; i < 100000; i++)
		big[i] = '[';
	init_result(&r);
	CHECK_EQ_INT(probe_parse_cometbft_status(big, 100000, &r), -1);
	free(big);
}

static void
test_beacon_health(void)
{
	static const struct {
		long status;
		int rc;
		bool syncing;
	} t[] = {
	    {200, 0, false},  {206, 0, true}, {503, -1, false},
	    {400, -1, false}, {0, -1, false},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct probe_result r;

		memset(&r, 0, sizeof(r));
		CHECKF(probe_parse_beacon_health(t[i].status, &r) == t[i].rc,
		       "status %ld", t[i].status);
		CHECKF(r.syncing == t[i].syncing, "status %ld", t[i].status);
		if (t[i].rc != 0)
			CHECKF(strstr(r.error, "HTTP") != NULL, "%ld: \"%s\"",
			       t[i].status, r.error);
	}
}

static void
test_registry(void)
{
	static const char *names[] = {"cometbft", "substrate", "ethereum",
	                              "beacon",   "bitcoin",   "command"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct probe_ops *o = probe_ops_by_name(names[i]);

		CHECKF(o != NULL, "%s", names[i]);
		if (o) {
			CHECK(probe_ops_for(o->chain) == o);
			CHECK(o->probe != NULL);
		}
	}
	CHECK(probe_ops_by_name("solana") == NULL);
	CHECK(probe_ops_for(CHAIN__COUNT) == NULL);
}

int
main(void)
{
	RUN(test_table);
	RUN(test_truncated);
	RUN(test_length_is_respected);
	RUN(test_nul_inside);
	RUN(test_oversized);
	RUN(test_beacon_health);
	RUN(test_registry);
	return TEST_END();
}
