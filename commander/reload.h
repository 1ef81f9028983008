/*
 * reload.h: what a SIGHUP may change in a running commander.  The
 * alerting ([alerts] and the [channel NAME] sections) and the [api]
 * section apart from its listen address take effect at once: both are
 * rebuilt from the config without touching a lease.  Every other section
 * holds state the commander built at start (the pilots' listener, the
 * key, the inventory and the failover groups, the store, HA), so a change
 * there is reported and waits for a restart; restarting costs a grant
 * hold-off, which is why the often-changed parts reload.
 */
#ifndef SEXTANT_COMMANDER_RELOAD_H
#define SEXTANT_COMMANDER_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "commander/conf.h"

struct commander_reload_plan {
	bool alerts; /* [alerts] or a [channel] differs: apply */
	bool api;    /* [api] differs (not listen): apply */
	/* what applies, for the log: "[channel ops] [api]" */
	char applied[512];
	/* what differs and needs a restart: "[commander] [api] listen" */
	char restart[512];
};

/*
 * Compare the running config with a freshly loaded one (both borrowed).
 * Sections compare through the normalized dump, so two spellings of one
 * value are no change; secrets (channel url, token and secret, the API
 * tokens, the commander's key) compare by value and only their section
 * is named.  0, or -ENOMEM.  A list too long for its field ends in "...".
 */
int commander_reload_plan(const struct commander_conf *running,
                          const struct commander_conf *fresh,
                          struct commander_reload_plan *out);

#endif
