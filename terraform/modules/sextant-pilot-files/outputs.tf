# The same checks as `sextant-pilot -n`, made at plan time so that a
# mistake stops the plan instead of an install half-way through a fleet.

output "pilot_ini" {
  description = "pilot.ini (no secrets: the RPC password goes to the environment file)."
  value       = local.pilot_ini
  precondition {
    condition     = var.role != "validator" || var.group != ""
    error_message = "group: required for a validator (the validator identity it serves)."
  }
  precondition {
    condition     = var.commander_url == null || (var.commander_public_key != null && var.network != "")
    error_message = "commander_url needs commander_public_key (pinned) and network."
  }
  precondition {
    condition     = var.commander_url != null || var.commander_public_key == null
    error_message = "commander_public_key is set but commander_url is not."
  }
  precondition {
    condition     = var.chain == "command" ? var.node_command != "" : var.rpc_url != ""
    error_message = "rpc_url is required (node_command with chain = command)."
  }
  precondition {
    condition     = !contains(["docker", "systemd"], var.supervise_backend) || var.supervise_target != ""
    error_message = "supervise_target: required with the docker and systemd backends (the container or the unit)."
  }
  precondition {
    condition     = var.supervise_backend == "process" ? var.supervise_command != "" : (var.supervise_command == "" && length(var.supervise_args) == 0 && length(var.supervise_env) == 0)
    error_message = "supervise_command (and args, env): required with the process backend, and only with it."
  }
}

output "systemd_unit" {
  description = "sextant-pilot.service."
  value       = local.systemd_unit
}

output "env_file" {
  description = "The environment file (mode 0600 on the server): SEXTANT_NODE_PASSWORD and var.environment."
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
  description = "cloud-config user data that installs the pilot at first boot (null with install_from = upload, which needs SSH). Sensitive: it carries the environment file."
  value = var.install_from == "upload" ? null : templatefile("${path.module}/templates/cloud-init.yaml.tftpl", {
    node_name = var.node_name
    key_path  = local.key_path
    stage     = local.cloud_init_stage
    files = [for name, content in {
      "install.sh"            = local.install_sh
      "pilot.ini"             = local.pilot_ini
      "pilot.env"             = local.env_file
      "sextant-pilot.service" = local.systemd_unit
    } : { name = name, b64 = base64encode(content) }]
  })
  sensitive = true
}

output "user" {
  description = "The user the pilot runs as."
  value       = local.user
}

output "paths" {
  description = "Where the install puts things on the server."
  value = {
    ini          = local.ini_path
    env          = local.env_path
    key          = local.key_path
    public_key   = "${local.key_path}.pub"
    state_dir    = var.state_dir
    systemd_unit = "${var.unit_dir}/sextant-pilot.service"
    pilot        = "${var.prefix}/bin/sextant-pilot"
    cli          = "${var.prefix}/bin/sextant"
  }
}

output "health_url" {
  description = "The pilot's /health, on the node server's loopback."
  value       = "http://127.0.0.1:${var.health_port}/health"
}
