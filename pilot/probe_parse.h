/*
 * probe_parse.h: the pure response parsers of every probe family.
 * Bytes in, fields of a struct probe_result out: no I/O, no clock, no
 * logging, so they are unit-tested by tables and fuzzed.
 *
 * Each returns 0 and fills only the fields it owns, or -1 with a short
 * reason in r->error ("status: latest_block_height missing").  They accept
 * only the documented encodings (protocols.md): a CometBFT height must be a
 * decimal string, an Ethereum quantity a "0x" hex string, and so on.
 * Values that overflow 64 bits are refused, never wrapped.
 */
#ifndef SEXTANT_PILOT_PROBE_PARSE_H
#define SEXTANT_PILOT_PROBE_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "pilot/probe.h"

/* Bodies larger than this are refused unparsed. */
#define PROBE_PARSE_MAX (256 * 1024)
/* /net_info carries every peer's connection status (~3 KiB each). */
#define PROBE_PARSE_MAX_NET_INFO (2 * 1024 * 1024)
/* A command probe's stdout. */
#define PROBE_PARSE_MAX_OUTPUT 4096
/* JSON numbers are doubles: above 2^53 they are no longer exact. */
#define PROBE_JSON_INT_MAX 9007199254740991ULL

/* CometBFT: GET /status -> height, tip_hash, syncing (catching_up). */
int probe_parse_cometbft_status(const char *buf, size_t len,
                                struct probe_result *r);
/* CometBFT: GET /net_info -> peers (n_peers, a string), peers_known. */
int probe_parse_cometbft_net_info(const char *buf, size_t len,
                                  struct probe_result *r);

/* Substrate system_health -> peers, peers_known, syncing (isSyncing). */
int probe_parse_substrate_health(const char *buf, size_t len,
                                 struct probe_result *r);
/* Substrate system_syncState -> *current, *highest (JSON numbers). */
int probe_parse_substrate_sync_state(const char *buf, size_t len,
                                     uint64_t *current, uint64_t *highest,
                                     struct probe_result *r);
/* Substrate chain_getHeader -> *number ("0x.." hex, or a plain number). */
int probe_parse_substrate_header(const char *buf, size_t len, uint64_t *number,
                                 struct probe_result *r);
/* Substrate chain_getFinalizedHead -> "0x<64 hex>" copied into hash. */
int probe_parse_substrate_finalized_head(const char *buf, size_t len,
                                         char *hash, size_t hashlen,
                                         struct probe_result *r);

/* Ethereum eth_blockNumber -> height. */
int probe_parse_eth_block_number(const char *buf, size_t len,
                                 struct probe_result *r);
/* Ethereum eth_syncing: false, or an object of quantities -> syncing. */
int probe_parse_eth_syncing(const char *buf, size_t len,
                            struct probe_result *r);
/* Ethereum net_peerCount -> peers; "method not found" (-32601) is not an
 * error: it leaves peers_known false (anvil lacks the method). */
int probe_parse_eth_peer_count(const char *buf, size_t len,
                               struct probe_result *r);

/* Beacon GET /eth/v1/node/syncing -> height (head_slot), syncing. */
int probe_parse_beacon_syncing(const char *buf, size_t len,
                               struct probe_result *r);
/* Beacon GET /eth/v1/node/health: the status code is the answer.
 * 200 ready, 206 syncing (sets r->syncing), anything else -1. */
int probe_parse_beacon_health(long status, struct probe_result *r);
/* Beacon GET /eth/v1/node/peer_count -> peers (data.connected). */
int probe_parse_beacon_peer_count(const char *buf, size_t len,
                                  struct probe_result *r);

/* Bitcoin getblockchaininfo -> height (blocks), tip_hash (bestblockhash),
 * syncing (initialblockdownload). */
int probe_parse_bitcoin_blockchaininfo(const char *buf, size_t len,
                                       struct probe_result *r);
/* Bitcoin getnetworkinfo -> peers (connections). */
int probe_parse_bitcoin_networkinfo(const char *buf, size_t len,
                                    struct probe_result *r);
/* A .cookie file "__cookie__:<hex>" -> user, password (a secret: the
 * caller wipes it).  0, or -1 with a reason in err. */
int probe_parse_bitcoin_cookie(const char *buf, size_t len, char *user,
                               size_t userlen, char *password, size_t passlen,
                               char *err, size_t errlen);

/* Command probe stdout: one decimal number (surrounding white space
 * allowed) -> height. */
int probe_parse_command_output(const char *buf, size_t len,
                               struct probe_result *r);

#endif
