#include "pilot/standalone.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define TEXT_MAX 4096

int
standalone_env_present(standalone_getenv_fn *get)
{
	const char *c = get("CONTAINER_NAME");

	return c != NULL && c[0] != '\0';
}

/* A value that would end or start an INI line is refused, not cut. */
static int
plain(const char *name, const char *v, char *err, size_t errlen)
{
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			snprintf(err, errlen,
			         "environment %s: control character in '%.64s'",
			         name, v);
			return -1;
		}
	return 0;
}

static int
number(standalone_getenv_fn *get, const char *name, uint64_t def, uint64_t min,
       uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	const char *v = get(name);

	*out = def;
	if (v == NULL || v[0] == '\0')
		return 0;
	if (util_parse_u64(v, min, max, out) != 0) {
		snprintf(err, errlen,
		         "environment %s: not a whole number in %" PRIu64
		         "..%" PRIu64 " '%.64s'",
		         name, min, max, v);
		return -1;
	}
	return 0;
}

int
standalone_conf_text(standalone_getenv_fn *get, char **text, char *err,
                     size_t errlen)
{
	const char *name = get("CONTAINER_NAME"), *rpc = get("RPC_URL");
	const char *dh = get("DOCKER_HOST");
	uint64_t interval, lag20, lag100;
	char ref[512] = "", dock[512] = "";
	char *t;
	int n;

	*text = NULL;
	if (name == NULL || name[0] == '\0') {
		snprintf(err, errlen, "environment CONTAINER_NAME: not set");
		return -1;
	}
	if (plain("CONTAINER_NAME", name, err, errlen) != 0 ||
	    (rpc && plain("RPC_URL", rpc, err, errlen) != 0) ||
	    (dh && plain("DOCKER_HOST", dh, err, errlen) != 0) ||
	    number(get, "CHECK_INTERVAL", 60, 1, 86400, &interval, err,
	           errlen) != 0 ||
	    number(get, "BLOCK_LAG_20", 20, 0, 1000000000, &lag20, err,
	           errlen) != 0 ||
	    number(get, "BLOCK_LAG_100", 100, 1, 1000000000, &lag100, err,
	           errlen) != 0)
		return -1;
	if (rpc && rpc[0]) {
		/* Substrate answers HTTP JSON-RPC on its WebSocket port */
		if (strncmp(rpc, "wss://", 6) == 0)
			snprintf(ref, sizeof(ref), "url = https://%.400s\n",
			         rpc + 6);
		else if (strncmp(rpc, "ws://", 5) == 0)
			snprintf(ref, sizeof(ref), "url = http://%.400s\n",
			         rpc + 5);
		else
			snprintf(ref, sizeof(ref), "url = %.400s\n", rpc);
	}
	/* the docker CLI's variable; the backend reads it too, but naming
	 * it here shows it in -nv */
	if (dh && strncmp(dh, "unix://", 7) == 0)
		snprintf(dock, sizeof(dock), "docker_host = %.400s\n", dh);
	if ((t = malloc(TEXT_MAX)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n = snprintf(t, TEXT_MAX,
	             "# from the environment (Aleph Zero monitor variables)\n"
	             "[pilot]\nname = %s\nchain = substrate\n"
	             "[supervise]\nbackend = docker\ntarget = %s\n%s"
	             "[reference]\n%s"
	             "[policy]\ncheck_interval = %" PRIu64 "s\n"
	             "moderate_lag = %" PRIu64 "\nsevere_lag = %" PRIu64 "\n"
	             "[logrules]\ndefaults = yes\n",
	             name, name, dock, ref, interval, lag20 + 1, lag100 + 1);
	if (n < 0 || n >= TEXT_MAX) {
		free(t);
		snprintf(err, errlen, "environment: values too long");
		return -1;
	}
	*text = t;
	return 0;
}
