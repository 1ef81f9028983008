output "commander_url" {
  description = "What the pilots dial."
  value       = module.commander.commander_url
}

output "commander_public_line" {
  description = "The commander's public key, pinned by every pilot."
  value       = module.commander.public_line
}

output "pilot_public_lines" {
  description = "Each pilot's public line, as listed in authorized_pilots."
  value       = { for name, p in module.pilot : name => p.public_line }
}

output "dashboard_tunnel" {
  description = "Run this, then open dashboard_url: the API listens on the commander's loopback only."
  value       = module.commander.dashboard_tunnel
}

output "dashboard_url" {
  description = "The dashboard, through the tunnel."
  value       = module.commander.dashboard_url
}

output "status_command" {
  description = "The fleet from this machine, through the tunnel."
  value       = "SEXTANT_API=${trimsuffix(module.commander.dashboard_url, "/")} sextant status"
}

output "api_token" {
  description = "Bearer token for switchover, drain and silences: SEXTANT_TOKEN=$(terraform output -raw api_token)."
  value       = module.commander.api_token
  sensitive   = true
}

output "health_tunnels" {
  description = "Each pilot's /health and /metrics, loopback-only on its server."
  value       = { for name, p in module.pilot : name => p.health_tunnel }
}
