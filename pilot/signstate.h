/*
 * signstate.h: the node's sign-state file (CometBFT priv_validator_state.json)
 * and the lease deadline file a lease-aware signer honours.
 *
 * The sign state is how invariant 2 (the watermark only rises) reaches the
 * node: before a node may sign, its state is raised to the highest height,
 * round and step any node of its validator signed, and CometBFT refuses to
 * sign at or below it.  Parsing is pure and bounded; the file functions
 * return 0/-errno with a reason and never log.
 */
#ifndef SEXTANT_PILOT_SIGNSTATE_H
#define SEXTANT_PILOT_SIGNSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/msg.h"

#define SIGNSTATE_MAX_FILE 4096

/* {"height":"36","round":0,"step":3,...}: height a decimal string, round and
 * step integers (step 0..3).  0, or -EBADMSG with the reason in err. */
int signstate_parse(const char *buf, size_t len, struct proto_sign_state *st,
                    char *err, size_t errlen);

/* The file CometBFT expects, with empty signature and signbytes (so it
 * never reuses an old signature for the raised height).  Returns the
 * length, or -ENOSPC. */
int signstate_format(const struct proto_sign_state *st, char *buf, size_t cap);

/* Read path.  A missing file is -ENOENT (a fresh node has none yet). */
int signstate_read(const char *path, struct proto_sign_state *st, char *err,
                   size_t errlen);

/*
 * Make path's state at least `floor`: if the file is missing or lower, write
 * floor atomically (0600).  *now gets the state in force afterwards.  An
 * unreadable or corrupt file is an error: better not to sign than to guess.
 */
int signstate_raise(const char *path, const struct proto_sign_state *floor,
                    struct proto_sign_state *now, char *err, size_t errlen);

/*
 * The lease deadline file: "epoch=N expires_mono_ms=M\n", written
 * atomically.  M is CLOCK_MONOTONIC milliseconds, shared by every process on
 * the host, so a signer that checks it stops at the deadline even if the
 * pilot is frozen or killed.
 */
int signstate_write_lease(const char *path, uint64_t epoch,
                          uint64_t expires_mono_ms, char *err, size_t errlen);
/* 0 and the values, -ENOENT, or -EBADMSG.  Pure over buf. */
int signstate_parse_lease(const char *buf, uint64_t *epoch,
                          uint64_t *expires_mono_ms);

#endif
