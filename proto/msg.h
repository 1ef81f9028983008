/*
 * msg.h: the messages pilots and the commander exchange, as C structs.
 * Pure data: no sockets, no clock.  The JSON codec (codec.h) maps them to
 * bytes and the envelope (envelope.h) seals those bytes.  PROTOCOL.md is the
 * normative description of the wire; keep the two in step.
 *
 * Every string field is a fixed array: the decoder refuses a value that does
 * not fit instead of truncating it, so a name never silently changes.
 */
#ifndef SEXTANT_PROTO_MSG_H
#define SEXTANT_PROTO_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION  1
#define PROTO_NAME_MAX 64  /* node, group, network names, incl. NUL */
#define PROTO_TEXT_MAX 160 /* error strings, decision reasons */
#define PROTO_HASH_MAX 80  /* block hashes as the node prints them */
#define PROTO_MAX_CMDS 8   /* commands in one reply */

enum proto_type {
	PROTO_HELLO = 1,     /* pilot -> commander: registration */
	PROTO_HEARTBEAT = 2, /* pilot -> commander: status snapshot */
	PROTO_REPLY = 3,     /* commander -> pilot: answer + commands */
};

enum proto_chain {
	CHAIN_COMETBFT = 0,
	CHAIN_SUBSTRATE,
	CHAIN_ETHEREUM,
	CHAIN_BEACON,
	CHAIN_BITCOIN,
	CHAIN_COMMAND,
	CHAIN__COUNT
};

enum proto_role { ROLE_VALIDATOR = 0, ROLE_SENTRY, ROLE_RPC, ROLE__COUNT };

/* A CometBFT-style sign state: height/round/step, compared in that order. */
struct proto_sign_state {
	uint64_t height;
	int32_t round;
	int32_t step; /* 0 none, 1 propose, 2 prevote, 3 precommit */
};

struct proto_hello {
	char node[PROTO_NAME_MAX];
	char version[32]; /* sextant version of the pilot */
	enum proto_chain chain;
	enum proto_role role;
	char network[PROTO_NAME_MAX]; /* chain id */
	char group[PROTO_NAME_MAX];   /* validator identity, or "" */
};

/* A snapshot of the node as the pilot sees it. */
struct proto_status {
	uint64_t time_ms;        /* pilot wall clock when taken */
	bool up;                 /* process/container running */
	bool reachable;          /* its RPC answered the last probe */
	bool syncing;            /* RPC says catching up / major sync */
	uint64_t height;         /* local best height, 0 = unknown */
	uint64_t height_seen_ms; /* wall ms the pilot first saw `height` */
	char tip_hash[PROTO_HASH_MAX]; /* hash at `height`, or "" */
	uint64_t ref_height; /* median of references that answered; 0 = none */
	uint32_t refs_ok;    /* how many references answered */
	uint32_t peers;
	bool peers_known;  /* false when the RPC cannot tell */
	uint32_t restarts; /* restarts done by this pilot since start */
	char decision[PROTO_TEXT_MAX]; /* last restart decision + reason */
	char error[PROTO_TEXT_MAX];    /* last probe error, or "" */
	/* host health, for alerts */
	uint32_t disk_used_pct;
	uint32_t mem_used_pct;
	uint32_t load1_x100;
	/* validator signing (FAILOVER.md) */
	bool signing;                 /* the node has its key and may sign */
	uint64_t lease_epoch;         /* epoch of the lease held, 0 = none */
	struct proto_sign_state sign; /* node's last signed h/r/s */
};

/* Why a pilot asks for a restart grant (restart budget). */
struct proto_heartbeat {
	uint64_t seq; /* pilot's heartbeat counter (informative) */
	struct proto_status st;
	bool restart_wanted; /* asks the budget for a grant */
	char restart_reason[PROTO_TEXT_MAX];
	uint64_t demoted_epoch; /* acknowledges a revoke: epoch given up */
};

/* The fixed set of verbs a commander can send.  Nothing else is accepted. */
enum proto_verb {
	VERB_RESTART_GRANT = 1, /* go ahead with the restart asked for */
	VERB_RESTART_DENY,      /* budget exhausted: do not restart now */
	VERB_LEASE_GRANT,       /* grant or renew the signing lease */
	VERB_LEASE_REVOKE,      /* stop signing now and acknowledge */
	VERB__COUNT
};

struct proto_cmd {
	enum proto_verb verb;
	char group[PROTO_NAME_MAX];
	uint64_t epoch;  /* LEASE_*: the lease epoch */
	uint32_t ttl_ms; /* LEASE_GRANT: lease length */
	struct proto_sign_state
	    watermark; /* LEASE_GRANT: floor to sign above */
	char reason[PROTO_TEXT_MAX];
};

struct proto_reply {
	int32_t status;            /* 0 accepted; else PROTO_ST_* */
	uint64_t fleet_ref_height; /* median of healthy peers, 0 = none */
	uint32_t interval_ms;      /* how often to send heartbeats */
	uint32_t ncmds;
	struct proto_cmd cmds[PROTO_MAX_CMDS];
};

enum proto_reply_status {
	PROTO_ST_OK = 0,
	PROTO_ST_UNKNOWN_NODE = 1, /* key listed, but name does not match */
	PROTO_ST_NEED_HELLO = 2,   /* heartbeat before hello: send hello */
	PROTO_ST_BAD_REQUEST = 3,
};

struct proto_msg {
	enum proto_type type;
	union {
		struct proto_hello hello;
		struct proto_heartbeat hb;
		struct proto_reply reply;
	} u;
};

const char *proto_chain_str(enum proto_chain);
const char *proto_role_str(enum proto_role);
const char *proto_verb_str(enum proto_verb);
const char *proto_type_str(enum proto_type);
/* Reverse lookups: 0, or -EINVAL for an unknown name. */
int proto_chain_parse(const char *, enum proto_chain *);
int proto_role_parse(const char *, enum proto_role *);
int proto_verb_parse(const char *, enum proto_verb *);
int proto_type_parse(const char *, enum proto_type *);
/* "ok", "unknown_node", ... for enum proto_reply_status; "unknown" else. */
const char *proto_status_str(int32_t);
/* Whether a raw value names a member: guards casts from the wire or from
 * configuration before they index a table. */
bool proto_chain_valid(int);
bool proto_role_valid(int);
bool proto_verb_valid(int);
bool proto_type_valid(int);
bool proto_status_valid(int32_t);

/* a > b in (height, round, step) order: <0, 0, >0 like strcmp. */
int proto_sign_cmp(const struct proto_sign_state *a,
                   const struct proto_sign_state *b);

#endif
