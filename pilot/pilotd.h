/*
 * pilotd.h: the sextant-pilot daemon's state, shared by the files of the
 * daemon (main.c, check.c, signing.c, heartbeat.c).  Everything here runs
 * on the main loop's thread, except what httpd.c serves (copies).
 */
#ifndef SEXTANT_PILOT_PILOTD_H
#define SEXTANT_PILOT_PILOTD_H

#include <stdbool.h>
#include <stdint.h>

#include "pilot/conf.h"
#include "pilot/doppel.h"
#include "pilot/expo.h"
#include "pilot/lease.h"
#include "pilot/nodelog.h"
#include "pilot/policy.h"
#include "pilot/probe.h"
#include "pilot/promote.h"
#include "pilot/restart.h"
#include "pilot/signer.h"
#include "pilot/supervise.h"
#include "proto/msg.h"

#ifndef SEXTANT_VERSION
#define SEXTANT_VERSION "0.1.0"
#endif

#define PILOT_TICK_LEASE_MS 100 /* while a lease is held or asked for */
#define PILOT_TICK_PROC_MS  250 /* process backend: notice exits soon */
#define PILOT_TICK_IDLE_MS  1000
#define PILOT_HB_GAP_MS     200 /* least gap before an early heartbeat */

struct report;
struct httpd;

struct pilot {
	struct pilot_conf *cfg;
	struct report *rep;
	struct httpd *httpd;

	/* probing */
	struct probe_target node;
	struct probe_target refs[PILOT_MAX_REFS];
	unsigned nrefs;
	bool has_rpc;

	/* supervision and logs */
	const struct supervise_ops *sops; /* NULL: backend none */
	void *sh;
	struct supervise_cursor evcur;
	bool use_logs;
	struct nodelog *log; /* heap: it holds a 16 KiB line buffer */

	/* the last observation */
	bool observed;
	uint64_t observed_ms; /* monotonic */
	struct proto_status st;
	uint64_t last_height, height_seen_ms;
	uint64_t refs_median;
	uint64_t fleet_ref;

	/* restart policy */
	struct policy_conf pc; /* dry_run forced without a backend */
	struct policy_state ps;
	struct policy_decision last;
	bool decided;
	struct restart_gate gate;
	uint64_t restart_rule_pending; /* enum policy_rule of the ask */

	/* signing */
	const struct signer_ops *signer; /* NULL: none */
	struct lease_state lease;
	struct promote prom;
	struct doppel dop;
	uint64_t next_demote_ms;

	/* commander */
	bool registered;
	bool commander_ok;
	bool commander_tried;
	uint64_t seq;
	int32_t last_refusal;
	uint32_t hb_interval_ms;

	/* schedule (monotonic ms) */
	uint64_t next_check;
	uint64_t next_hb;
	uint64_t last_hb_ms;
	bool hb_now;
	bool publish_now;

	struct expo_view view;
};

/* check.c */
int pilot_supervise_open(struct pilot *p, char *err, size_t errlen);
void pilot_supervise_close(struct pilot *p);
void pilot_watch_events(struct pilot *p, uint64_t now);
void pilot_observe(struct pilot *p, uint64_t now);
void pilot_log_status(const struct pilot *p);
void pilot_check(struct pilot *p, uint64_t now);
/* Restart the node through the supervisor (its own exit is not news). */
int pilot_supervise_restart(struct pilot *p, uint32_t timeout_ms, char *err,
                            size_t errlen);
void pilot_restart_verdict(struct pilot *p, enum restart_verdict v,
                           uint64_t now);
/* Bound a blocking step to what the lease leaves (ms; cap if no lease). */
uint32_t pilot_budget_ms(const struct pilot *p, uint32_t cap);

/* signing.c */
void pilot_sign_init(struct pilot *p);
void pilot_sign_tick(struct pilot *p, uint64_t now);
void pilot_sign_command(struct pilot *p, const struct proto_cmd *cmd,
                        uint64_t sent_ms, uint64_t now);
void pilot_sign_status(struct pilot *p, struct proto_status *st);
bool pilot_sign_busy(const struct pilot *p);
void pilot_sign_stop(struct pilot *p);

/* heartbeat.c */
void pilot_heartbeat(struct pilot *p, uint64_t now);

#endif
