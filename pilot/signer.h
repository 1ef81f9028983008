/*
 * signer.h: how a pilot makes its node sign or stop (FAILOVER.md).
 * One const struct signer_ops per backend:
 *   keyswap - the consensus key lives in a pilot-only path (0600); promote
 *             copies it into the node's config dir, demote removes it or
 *             puts a non-validator key there; the daemon then restarts the
 *             node through its supervisor;
 *   command - the operator's promote/demote programs (no shell), exit
 *             status and timeout checked.
 * The private key is only ever copied between two local paths; it never
 * crosses the network.  Functions return 0/-errno with a reason in err and
 * never log.
 */
#ifndef SEXTANT_PILOT_SIGNER_H
#define SEXTANT_PILOT_SIGNER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIGNER_KEY_MAX (16 * 1024)

struct signer_conf {
	char backend[16];           /* "keyswap" or "command" */
	char key_src[PATH_MAX];     /* keyswap: the consensus key */
	char key_dst[PATH_MAX];     /* keyswap: where the node reads it */
	char standby_key[PATH_MAX]; /* keyswap: put on demote, or "" */
	char state_file[PATH_MAX];  /* node's priv_validator_state.json */
	char lease_file[PATH_MAX];  /* deadline for a lease-aware signer */
	char promote_cmd[512];      /* command: program and arguments */
	char demote_cmd[512];
	uint32_t cmd_timeout_ms;
	bool restart_node; /* restart the node after a key swap */
	bool doppelganger; /* watch commits before signing */
	uint32_t doppelganger_blocks;
};

struct signer_ops {
	const char *name;
	/* Equip the node to sign / take that away.  Idempotent. */
	int (*promote)(const struct signer_conf *c, char *err, size_t errlen);
	int (*demote)(const struct signer_conf *c, char *err, size_t errlen);
	/* Is the node equipped to sign now?  -ENOTSUP if it cannot tell. */
	int (*armed)(const struct signer_conf *c, bool *armed, char *err,
	             size_t errlen);
};

extern const struct signer_ops signer_keyswap_ops;
extern const struct signer_ops signer_command_ops;

/* The backend called name, or NULL. */
const struct signer_ops *signer_ops_for(const char *name);

/* Check a signer config for use: paths set, key secrecy.  0 or -EINVAL. */
int signer_check(const struct signer_conf *c, char *err, size_t errlen);

#endif
