output "commander_ini" {
  description = "commander.ini (no secrets: tokens go to the environment file)."
  value       = local.commander_ini
  precondition {
    condition     = length(var.etcd_endpoints) == 0
    error_message = "etcd_endpoints: sextant-commander has no etcd HA yet; run one commander (its state survives restarts) and leave etcd_endpoints empty."
  }
  precondition {
    condition     = var.api_token == null || var.api_read_token == null || var.api_token != var.api_read_token
    error_message = "api_read_token must differ from api_token."
  }
}

output "authorized_pilots" {
  description = "The authorized_pilots file."
  value       = local.authorized_pilots
}

output "systemd_unit" {
  description = "sextant-commander.service."
  value       = local.systemd_unit
}

output "env_file" {
  description = "The environment file (mode 0600 on the server): the API tokens and var.environment."
  value       = local.env_file
  sensitive   = true
}

output "install_script" {
  description = "install.sh: run as root with STAGE_DIR and base, config or all."
  value       = local.install_sh
  precondition {
    condition     = var.install_from != "source" || var.source_url != ""
    error_message = "install_from = source needs source_url."
  }
}

output "cloud_init" {
  description = "cloud-config user data that installs the commander at first boot (null with install_from = upload). Sensitive: it carries the API token."
  value = var.install_from == "upload" ? null : templatefile("${path.module}/templates/cloud-init.yaml.tftpl", {
    key_path = local.key_path
    stage    = local.cloud_init_stage
    files = [for name, content in {
      "install.sh"                = local.install_sh
      "commander.ini"             = local.commander_ini
      "commander.env"             = local.env_file
      "authorized_pilots"         = local.authorized_pilots
      "sextant-commander.service" = local.systemd_unit
    } : { name = name, b64 = base64encode(content) }]
  })
  sensitive = true
}

output "paths" {
  description = "Where the install puts things on the server."
  value = {
    ini               = local.ini_path
    env               = local.env_path
    key               = local.key_path
    public_key        = "${local.key_path}.pub"
    authorized_pilots = local.authorized_pilots_path
    state_dir         = var.state_dir
    systemd_unit      = "${var.unit_dir}/sextant-commander.service"
    commander         = "${var.prefix}/bin/sextant-commander"
    cli               = "${var.prefix}/bin/sextant"
  }
}

output "api_host" {
  description = "Address the HTTP API listens on (127.0.0.1 unless api_listen says otherwise)."
  value       = local.api_host == "0.0.0.0" ? "127.0.0.1" : local.api_host
}

output "api_port" {
  description = "Port of the HTTP API and dashboard."
  value       = local.api_port
}
