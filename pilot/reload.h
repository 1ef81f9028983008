/*
 * reload.h: what a SIGHUP may change in a running pilot.  The restart
 * thresholds ([policy]) and the reference endpoints ([reference]) take
 * effect at once; every other section holds state the pilot built at
 * start (the node's supervisor, the commander link, the signer, the key),
 * so a change there is reported and waits for a restart.  Changing them
 * under a validator that holds the lease could stop its signing.
 */
#ifndef SEXTANT_PILOT_RELOAD_H
#define SEXTANT_PILOT_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "pilot/conf.h"

struct reload_plan {
	bool policy;    /* [policy] differs: apply */
	bool reference; /* [reference] differs: apply */
	/* sections that differ and need a restart: "[node] [signer]" */
	char restart[256];
};

/*
 * Compare the running config with a freshly loaded one (both borrowed).
 * 0, or -ENOMEM.  Secrets compare by value, never printed.
 */
int reload_plan(const struct pilot_conf *running,
                const struct pilot_conf *fresh, struct reload_plan *out);

/* Copy what the plan applies from fresh into running. */
void reload_apply(struct pilot_conf *running, const struct pilot_conf *fresh,
                  const struct reload_plan *plan);

#endif
