output "pilot_ini" {
  description = "The pilot.ini written to the server."
  value       = module.pilot.pilot_ini
}

output "health_tunnel" {
  description = "/health and /metrics (loopback only on the server)."
  value       = module.pilot.health_tunnel
}

output "logs" {
  description = "The pilot's decisions, one line per check: lag, sync rate, ETA and the reason for a restart or none."
  value       = "ssh ${var.ssh_user}@${var.host} journalctl -u sextant-pilot -f"
}

output "retire_old_monitor" {
  description = "Once the pilot's checks look right, stop the old monitor so two supervisors do not restart one node."
  value       = "ssh ${var.ssh_user}@${var.host} 'docker stop MONITOR_CONTAINER && docker rm MONITOR_CONTAINER'"
}
