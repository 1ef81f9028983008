/*
 * expo.h: what the pilot shows on /health (JSON) and /metrics (Prometheus
 * text), rendered from a plain snapshot the main loop fills.  Pure: no
 * clock, no I/O, no locks.
 */
#ifndef SEXTANT_PILOT_EXPO_H
#define SEXTANT_PILOT_EXPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/prom.h"
#include "pilot/hostinfo.h"
#include "pilot/policy.h"
#include "proto/msg.h"

struct expo_view {
	const char *node, *chain, *role, *version, *backend;
	bool checked; /* at least one check ran */
	bool up, reachable, syncing, major_sync, producing;
	uint64_t height, ref_height;
	bool lag_known;
	uint64_t lag;
	uint64_t moderate_lag; /* lag at or above it is degraded */
	bool peers_known;
	uint32_t peers;
	uint32_t refs_ok, refs_n;
	bool session_known;
	uint64_t session;
	/* the last decision */
	enum policy_action action;
	enum policy_rule rule;
	enum policy_hold hold;
	bool dry_run;
	char decision[PROTO_TEXT_MAX]; /* "<action>: <reason>" */
	uint64_t decision_wall_ms;
	/* counters */
	uint64_t checks;
	uint64_t restarts; /* done by this pilot */
	uint64_t restarts_by_rule[POLICY_RULE_COUNT];
	uint64_t restart_failures;
	uint64_t probe_errors;
	uint64_t reference_errors;
	uint64_t log_lines;
	/* commander and signing */
	bool has_commander, commander_connected;
	uint64_t heartbeats, heartbeat_failures;
	bool has_signer, signing;
	uint64_t lease_epoch;
	bool sign_known;
	struct proto_sign_state sign;
	struct hostinfo host;
	uint64_t start_wall_ms;
};

/* "ok" when the node runs, answers, keeps up, is not crash-looping and
 * the commander (if any) is reachable; otherwise "degraded". */
bool expo_healthy(const struct expo_view *v);

/* The /health body (JSON, one line and a newline) into b. */
int expo_health_json(const struct expo_view *v, struct prom_buf *b);
/* The /metrics body into b.  0, or -ENOMEM with b->failed. */
int expo_metrics(const struct expo_view *v, struct prom_buf *b);

#endif
