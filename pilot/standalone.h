/*
 * standalone.h: the Aleph Zero container monitor's environment, so the
 * pilot replaces it with one changed line in a `docker run` or compose
 * file (docs/standalone.md).  With no config file and CONTAINER_NAME set,
 * the pilot builds its config from:
 *   CONTAINER_NAME  the node's container, supervised through the Docker
 *                   Engine API; its height comes from its log lines
 *                   ("Imported #N (0x...)"), as the monitor read it;
 *   RPC_URL         the reference endpoint (ws:// and wss:// are asked
 *                   over http:// and https://, Substrate serves both);
 *   CHECK_INTERVAL  seconds between checks (default 60);
 *   BLOCK_LAG_20    moderate lag: the monitor restarted at MORE than it,
 *                   so the policy's threshold is one above (default 20);
 *   BLOCK_LAG_100   severe lag, likewise (default 100);
 * and DOCKER_HOST as the docker CLI reads it.  The result is INI text that
 * goes through the same loader and checks as a file.  Pure: the lookup is
 * passed in (getenv in the daemon).
 */
#ifndef SEXTANT_PILOT_STANDALONE_H
#define SEXTANT_PILOT_STANDALONE_H

#include <stddef.h>

typedef const char *standalone_getenv_fn(const char *name);

/* Whether the monitor's environment is there (CONTAINER_NAME set). */
int standalone_env_present(standalone_getenv_fn *get);

/*
 * The config text for it into *text (caller frees), or -1 with err
 * naming the variable and quoting its value.
 */
int standalone_conf_text(standalone_getenv_fn *get, char **text, char *err,
                         size_t errlen);

#endif
