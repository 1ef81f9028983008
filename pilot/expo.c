#include "pilot/expo.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

bool
expo_healthy(const struct expo_view *v)
{
	return v->checked && v->up && v->reachable &&
	       (!v->lag_known || v->lag < v->moderate_lag) &&
	       v->action != POLICY_CAPPED &&
	       (!v->has_commander || v->commander_connected);
}

static void
add_u64(cJSON *o, const char *k, uint64_t n)
{
	/* JSON numbers are doubles: heights stay exact far beyond 2^32 */
	cJSON_AddNumberToObject(o, k, (double)n);
}

int
expo_health_json(const struct expo_view *v, struct prom_buf *b)
{
	cJSON *o = cJSON_CreateObject(), *c, *s;
	char *text;

	if (o == NULL)
		return -ENOMEM;
	cJSON_AddStringToObject(o, "status",
	                        expo_healthy(v) ? "ok" : "degraded");
	cJSON_AddStringToObject(o, "node", v->node);
	cJSON_AddStringToObject(o, "chain", v->chain);
	cJSON_AddBoolToObject(o, "checked", v->checked);
	cJSON_AddBoolToObject(o, "up", v->up);
	cJSON_AddBoolToObject(o, "reachable", v->reachable);
	cJSON_AddBoolToObject(o, "syncing", v->syncing || v->major_sync);
	add_u64(o, "height", v->height);
	add_u64(o, "reference_height", v->ref_height);
	if (v->lag_known)
		add_u64(o, "lag", v->lag);
	else
		cJSON_AddNullToObject(o, "lag");
	if (v->peers_known)
		add_u64(o, "peers", v->peers);
	cJSON_AddStringToObject(o, "decision", v->decision);
	add_u64(o, "restarts", v->restarts);
	c = cJSON_AddObjectToObject(o, "commander");
	if (c) {
		cJSON_AddBoolToObject(c, "configured", v->has_commander);
		cJSON_AddBoolToObject(c, "connected", v->commander_connected);
	}
	s = cJSON_AddObjectToObject(o, "signer");
	if (s) {
		cJSON_AddBoolToObject(s, "configured", v->has_signer);
		cJSON_AddBoolToObject(s, "signing", v->signing);
		add_u64(s, "lease_epoch", v->lease_epoch);
		if (v->sign_known)
			add_u64(s, "sign_height", v->sign.height);
	}
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (text == NULL)
		return -ENOMEM;
	prom_buf_puts(b, text);
	prom_buf_puts(b, "\n");
	cJSON_free(text);
	return b->failed ? -ENOMEM : 0;
}

static void
gauge(struct prom_buf *b, const char *name, const char *help, uint64_t v)
{
	prom_family(b, name, PROM_GAUGE, help);
	prom_sample_u64(b, name, NULL, 0, v);
}

static void
counter(struct prom_buf *b, const char *name, const char *help, uint64_t v)
{
	prom_family(b, name, PROM_COUNTER, help);
	prom_sample_u64(b, name, NULL, 0, v);
}

int
expo_metrics(const struct expo_view *v, struct prom_buf *b)
{
	struct prom_label l[4];
	const char *action;
	int i;

	l[0] = (struct prom_label){"node", v->node};
	l[1] = (struct prom_label){"chain", v->chain};
	l[2] = (struct prom_label){"role", v->role};
	l[3] = (struct prom_label){"version", v->version};
	prom_family(b, "sextant_pilot_info", PROM_GAUGE,
	            "The node this pilot watches; always 1.");
	prom_sample_u64(b, "sextant_pilot_info", l, 4, 1);

	gauge(b, "sextant_pilot_node_up",
	      "1 when the node's process, container or unit runs.", v->up);
	gauge(b, "sextant_pilot_node_reachable",
	      "1 when the node's RPC answered the last probe.", v->reachable);
	gauge(b, "sextant_pilot_node_syncing",
	      "1 when the node says it is syncing (RPC or major sync log).",
	      v->syncing || v->major_sync);
	gauge(b, "sextant_pilot_node_producing",
	      "1 when the node produced a block in the current session.",
	      v->producing);
	if (v->height)
		gauge(b, "sextant_pilot_node_height",
		      "The node's best block height.", v->height);
	if (v->ref_height)
		gauge(b, "sextant_pilot_reference_height",
		      "Reference height: the larger of the references' median "
		      "and the fleet's.",
		      v->ref_height);
	if (v->lag_known)
		gauge(b, "sextant_pilot_lag_blocks",
		      "Blocks the node is behind the reference.", v->lag);
	if (v->peers_known)
		gauge(b, "sextant_pilot_node_peers",
		      "Peers the node is connected to.", v->peers);
	gauge(b, "sextant_pilot_references_answering",
	      "Reference endpoints that answered the last probe.", v->refs_ok);
	if (v->session_known)
		gauge(b, "sextant_pilot_node_session",
		      "Session number from the node's log.", v->session);

	counter(b, "sextant_pilot_checks_total", "Restart-policy checks made.",
	        v->checks);
	prom_family(b, "sextant_pilot_restarts_total", PROM_COUNTER,
	            "Restarts of the node done by this pilot, by reason.");
	for (i = 1; i < POLICY_RULE_COUNT; i++) {
		l[0] = (struct prom_label){"reason", policy_rule_str(i)};
		prom_sample_u64(b, "sextant_pilot_restarts_total", l, 1,
		                v->restarts_by_rule[i]);
	}
	counter(b, "sextant_pilot_restart_failures_total",
	        "Restarts the supervisor could not carry out.",
	        v->restart_failures);
	counter(b, "sextant_pilot_probe_errors_total",
	        "Probes of the node that got no sensible answer.",
	        v->probe_errors);
	counter(b, "sextant_pilot_reference_errors_total",
	        "Reference probes in which no reference answered.",
	        v->reference_errors);
	counter(b, "sextant_pilot_log_lines_total",
	        "Node log lines read by the log rules.", v->log_lines);

	action = v->dry_run && v->action == POLICY_RESTART
	             ? "dry-run"
	             : policy_action_str(v->action);
	l[0] = (struct prom_label){"action", action};
	l[1] = (struct prom_label){"rule", policy_rule_str(v->rule)};
	l[2] = (struct prom_label){"hold", policy_hold_str(v->hold)};
	prom_family(b, "sextant_pilot_last_decision", PROM_GAUGE,
	            "The last restart decision (labels); always 1.");
	if (v->checked)
		prom_sample_u64(b, "sextant_pilot_last_decision", l, 3, 1);
	gauge(b, "sextant_pilot_capped",
	      "1 when the crash-loop cap stops restarts.",
	      v->action == POLICY_CAPPED);

	gauge(b, "sextant_pilot_commander_connected",
	      "1 when the last exchange with the commander got a reply "
	      "(0 standalone).",
	      v->commander_connected);
	if (v->has_commander) {
		counter(b, "sextant_pilot_heartbeats_total",
		        "Heartbeats the commander accepted.", v->heartbeats);
		counter(b, "sextant_pilot_heartbeat_failures_total",
		        "Heartbeats that got no usable reply.",
		        v->heartbeat_failures);
	}
	gauge(b, "sextant_pilot_signing",
	      "1 when the node holds its validator key and may sign.",
	      v->signing);
	gauge(b, "sextant_pilot_lease_epoch",
	      "Epoch of the signing lease held, 0 for none.", v->lease_epoch);
	if (v->sign_known)
		gauge(b, "sextant_pilot_sign_height",
		      "Height of the node's last signature (sign state file).",
		      v->sign.height);
	if (v->host.disk_known)
		gauge(b, "sextant_pilot_host_disk_used_percent",
		      "Used space of the node's data file system.",
		      v->host.disk_used_pct);
	if (v->host.mem_known)
		gauge(b, "sextant_pilot_host_memory_used_percent",
		      "Used memory of the host.", v->host.mem_used_pct);
	if (v->host.load_known) {
		prom_family(b, "sextant_pilot_host_load1", PROM_GAUGE,
		            "1-minute load average of the host.");
		prom_sample(b, "sextant_pilot_host_load1", NULL, 0,
		            (double)v->host.load1_x100 / 100.0);
	}
	prom_family(b, "sextant_pilot_start_time_seconds", PROM_GAUGE,
	            "Wall time the pilot started.");
	prom_sample(b, "sextant_pilot_start_time_seconds", NULL, 0,
	            (double)v->start_wall_ms / 1000.0);
	return b->failed ? -ENOMEM : 0;
}
