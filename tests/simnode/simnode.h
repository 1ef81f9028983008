/*
 * simnode.h: a simulated chain node for sextant's tests, benchmarks and
 * demo.  One process is one node of one flavour.  State is global: simnode
 * is a single-threaded test tool, and every module works on the same node.
 */
#ifndef SIMNODE_H
#define SIMNODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/simnode/http.h"
#include "tests/simnode/json.h"

#define SN_VERSION "1.0.0"

enum sn_follow {
	SN_FOLLOW_TIP,   /* import new blocks; catch up when behind */
	SN_FOLLOW_HOLD,  /* stay lag_blocks behind the tip */
	SN_FOLLOW_STALL, /* import nothing */
};

/* One chain family: its RPC and its native log line. */
struct sn_flavour_ops {
	const char *name;
	uint16_t default_port;
	const char *default_network;
	void (*serve)(const struct sn_req *req, struct sn_resp *resp);
	/* Native per-block log line (after the Substrate-style ones); may
	 * be NULL. */
	void (*log_block)(uint64_t height);
	/* Called once before serving / at clean exit; may be NULL. */
	int (*init)(void);
	void (*fini)(void);
};

extern const struct sn_flavour_ops sn_cometbft_ops;
extern const struct sn_flavour_ops sn_substrate_ops;
extern const struct sn_flavour_ops sn_ethereum_ops;
extern const struct sn_flavour_ops sn_beacon_ops;
extern const struct sn_flavour_ops sn_bitcoin_ops;

struct simnode {
	/* configuration (from the command line) */
	const struct sn_flavour_ops *ops;
	const char *name;
	const char *network;
	char listen[128];
	const char *control;
	const char *log_path;
	const char *pidfile;
	const char *key_path;
	const char *state_path;
	const char *journal_path;
	const char *lease_path;
	const char *cookie_path;
	const char *rpcuser;
	const char *rpcpassword;
	uint64_t genesis_ms;
	uint64_t block_ms;
	double catchup_rate; /* blocks per second */
	uint64_t session_blocks;
	uint64_t finality_lag;
	uint64_t major_sync_above; /* 0: major sync only by command */
	uint64_t warmup_ms;

	/* node state */
	uint64_t start_wall_ms;
	uint64_t start_mono_ms;
	uint64_t height;
	enum sn_follow follow;
	uint64_t lag_blocks;  /* SN_FOLLOW_HOLD distance */
	uint64_t pending_lag; /* gradual lag: import nothing until this far */
	double credit;        /* catch-up blocks owed, fractional */
	uint64_t last_step_mono;
	bool major_sync;
	uint64_t sync_start; /* height when the current sync began */
	bool hung;
	uint32_t peers;
	uint64_t session; /* last session announced */
	bool session_known;
	uint64_t last_informant_mono;

	/* validator state */
	const char *validator_set; /* "ADDR,ADDR": who is active; NULL: all */
	bool key_present;
	bool in_set;            /* the key's address is in the active set */
	char address[41];       /* upper-case hex, "" when unknown */
	char pubkey[64];        /* base64 of the Ed25519 public key */
	uint64_t signed_height; /* highest height this process signed */
	uint64_t signatures;
	uint64_t refusals;
	uint64_t lease_epoch; /* of the last lease read */
};

extern struct simnode sn;

/* chain.c: the network timeline and this node's place on it */
uint64_t sn_wall_ms(void);
uint64_t sn_mono_ms(void);
uint64_t sn_tip(uint64_t wall_ms);
uint64_t sn_tip_now(void);
void sn_block_hash(uint64_t height, uint8_t out[32]);
/* 64 hex digits (no prefix) into out[65]. */
void sn_block_hash_hex(uint64_t height, bool upper, char *out);
uint64_t sn_block_time_ms(uint64_t height);
uint64_t sn_finalized(void);
void sn_chain_init(uint64_t lag, bool hold, bool stalled, bool major_sync);
void sn_chain_tick(uint64_t wall_ms, uint64_t mono_ms);
/* Milliseconds until the next block event (for poll). */
int sn_chain_timeout(uint64_t wall_ms, uint64_t mono_ms);
void sn_chain_lag(uint64_t blocks, bool hold, bool gradual);
void sn_chain_stall(void);
void sn_chain_resume(void);
void sn_chain_major_sync(bool on);
const char *sn_mode_str(void);

/* log.c: log lines in the real nodes' wording */
int sn_log_open(const char *path);
void sn_log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A Substrate-style line: "2024-06-11 14:07:57.125  INFO target: msg". */
void sn_log_sub(const char *level, const char *target, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "2024-06-11T14:07:57.125000000Z" into out[32]. */
void sn_fmt_rfc3339(uint64_t ms, char *out, size_t size);
/* Timestamps in UTC as each real node prints them. */
enum sn_ts {
	SN_TS_SUBSTRATE,  /* 2024-06-11 14:07:57.125 */
	SN_TS_RFC3339,    /* 2024-06-11T14:07:57.125000000Z */
	SN_TS_COMETBFT,   /* 2024-06-11|14:07:57.125 */
	SN_TS_GETH,       /* 06-11|14:07:57.125 */
	SN_TS_BITCOIN,    /* 2024-06-11T14:07:57Z */
	SN_TS_LIGHTHOUSE, /* Jun 11 14:07:57.125 */
};
void sn_fmt_time(uint64_t ms, enum sn_ts style, char *out, size_t size);

/* sign.c: the validator */
/* Re-read the key file: presence, address, membership of the set. */
void sn_sign_refresh(void);
/* Sign height h if the key file is there and h is above every sign state. */
void sn_sign_height(uint64_t h);
struct sn_sig {
	char address[41];
	uint64_t wall_ms;
	char node[64];
};
/* Signatures of height h in the shared journal (distinct addresses, at
 * most max); returns how many were stored. */
size_t sn_journal_signers(uint64_t h, struct sn_sig *out, size_t max);
/* Our node id (40 lower-case hex), stable for a name. */
void sn_node_id(const char *name, char out[41]);

/* control.c */
/* Handle a control request; path has the /_sim prefix removed. */
void sn_control(const char *path, const struct sn_req *req,
                struct sn_resp *resp);
void sn_state_json(struct sn_buf *b);

/* jsonrpc.c: JSON-RPC 2.0 envelope shared by three flavours */
struct sn_rpcerr {
	int code;
	char message[160];
	char data[200]; /* CometBFT's string "data", "" when none */
};
typedef int (*sn_rpc_method)(const char *method, struct sn_json params,
                             struct sn_buf *result, struct sn_rpcerr *err);
/* Serve a POSTed JSON-RPC 2.0 body (single or batch) with fn; a body
 * that is not JSON gets HTTP parse_status. */
void sn_jsonrpc_serve(const struct sn_req *req, struct sn_resp *resp,
                      sn_rpc_method fn, int parse_status);
void sn_rpc_seterr(struct sn_rpcerr *err, int code, const char *msg);
/* A JSON error body {"code":status,"message":msg} for REST flavours. */
void sn_rest_error(struct sn_resp *resp, int status, const char *msg);

#endif
