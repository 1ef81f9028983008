output "public_line" {
  description = "The commander's public line, which every pilot pins (commander_public_key); null with read_public_line = false. The secret key never leaves the server."
  value       = local.public_line
}

output "commander_url" {
  description = "What pilots dial: their commander_url."
  value       = "tcp://${local.advertise}:${local.listen_port}"
}

output "api_token" {
  description = "The bearer token for mutating API calls (switchover, drain, silences)."
  value       = local.api_token
  sensitive   = true
}

output "dashboard_tunnel" {
  description = "The API and dashboard listen on the commander's loopback: open a tunnel, then browse the local URL."
  value       = "ssh -N -L ${module.files.api_port}:${module.files.api_host}:${module.files.api_port} ${var.ssh_user}@${var.host}"
}

output "dashboard_url" {
  description = "The dashboard through the tunnel above."
  value       = "http://127.0.0.1:${module.files.api_port}/"
}

output "commander_ini" {
  description = "The commander.ini written to the server."
  value       = module.files.commander_ini
}

output "paths" {
  description = "Where things are on the server."
  value       = module.files.paths
}
