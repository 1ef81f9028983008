/*
 * core.h: the running commander, put together.  It owns the durable store
 * (<state_dir>/events.db), the fleet model, the restart budget, the
 * failover groups and the alerts, plugs them into the ingest (struct
 * ingest_handler) and the HTTP API, and runs their periodic steps.
 *
 * A heartbeat, on an nng thread:
 *   fleet_heartbeat -> reply status, fleet reference, interval
 *   budget_heartbeat -> restart grant or deny in the reply
 *   the events are committed (group commit, evlog.h) before going on
 *   groups_heartbeat, with a fresh clock -> lease grant/renew/revoke
 *   (its own events committed too) -> the reply is sealed and sent.
 * The tick (main loop, about every 250 ms): failover groups every 500 ms
 * (epochs written to the store's kv with fsync before any grant), fleet
 * and budget timeouts every second, retention every minute, a fleet log
 * line per node when due.  Alerts run on a thread of their own, every
 * second or, when one evaluation of a big fleet takes long, at most a
 * quarter of the time: they never delay a failover step.
 * Every event is logged by the daemon as it is committed.
 *
 * With [ha] endpoints (ha.h), commanders sharing one etcd elect a leader.
 * Only the leader listens for pilots, answers them, runs the failover tick
 * and the alerts; its lease records go to etcd (a txn fenced by its leader
 * key) instead of the local store.  A commander that becomes leader reads
 * the records back and restarts the groups from them, as after a restart;
 * one that stops leading closes the ingest.  The event history stays per
 * commander.  GET /api/v1/ha and the sextant_ha_leader gauge say who leads.
 */
#ifndef SEXTANT_COMMANDER_CORE_H
#define SEXTANT_COMMANDER_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "commander/conf.h"

struct core;

/*
 * Open the store, build the models from cfg, restore the failover groups
 * from the store, start alerts, the ingest and the API.  0 with *out
 * (stop with core_stop), or -1 with err saying what failed.  cfg must
 * outlive the core.  Logs what it starts.
 */
int core_start(struct commander_conf *cfg, const char *version,
               struct core **out, char *err, size_t errlen);

/* Periodic work; call every ~250 ms with the clocks read just before. */
void core_tick(struct core *, uint64_t now_mono, uint64_t now_wall);

/*
 * SIGHUP, on the thread that calls core_tick, with a config fresh that
 * loaded (borrowed; the caller frees it after).  What reload.h says may
 * change is applied: new alerting replaces the running one (its state
 * carries over in the store: no firing alert is sent again), the API is
 * served again with the new [api] tokens and limits.  The rest is named
 * in msg as waiting for a restart.  msg gets one line for the log.
 * 0 all applied, 1 applied but some change waits for a restart, -1 a
 * change could not be applied (logged; the running part stays).
 */
int core_reload(struct core *, const struct commander_conf *fresh, char *msg,
                size_t msglen);

/* Stop the API and the ingest, alerts, record "stopped", close the store;
 * accepts NULL. */
void core_stop(struct core *);

/* Bound ports, for logs and tests (-1 when not listening). */
int core_ingest_port(struct core *);
int core_api_port(struct core *);

#endif
