output "node_name" {
  description = "The pilot's node name."
  value       = var.node_name
}

output "public_line" {
  description = "The pilot's public line 'sextant-ed25519 KEY NODENAME' for the commander's authorized_pilots; null with read_public_line = false. The secret key never leaves the server."
  value       = local.public_line
}

output "pilot_ini" {
  description = "The pilot.ini written to the server."
  value       = module.files.pilot_ini
}

output "systemd_unit" {
  description = "The sextant-pilot.service written to the server."
  value       = module.files.systemd_unit
}

output "paths" {
  description = "Where things are on the server."
  value       = module.files.paths
}

output "health_tunnel" {
  description = "/health and /metrics listen on the server's loopback only: reach them through SSH."
  value       = "ssh -N -L ${var.health_port}:127.0.0.1:${var.health_port} ${var.ssh_user}@${var.host} & curl -s ${module.files.health_url}"
}
