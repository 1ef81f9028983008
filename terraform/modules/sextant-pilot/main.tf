module "files" {
  source = "../sextant-pilot-files"

  node_name            = var.node_name
  chain                = var.chain
  role                 = var.role
  network              = var.network
  group                = var.group
  interval             = var.interval
  rpc_url              = var.rpc_url
  rpc_timeout          = var.rpc_timeout
  node_command         = var.node_command
  rpc_user             = var.rpc_user
  rpc_password         = var.rpc_password
  cookie_file          = var.cookie_file
  references           = var.references
  reference_timeout    = var.reference_timeout
  commander_url        = var.commander_url
  commander_public_key = var.commander_public_key
  commander_timeout    = var.commander_timeout
  supervise_backend    = var.supervise_backend
  supervise_target     = var.supervise_target
  supervise_command    = var.supervise_command
  supervise_args       = var.supervise_args
  supervise_env        = var.supervise_env
  supervise_options    = var.supervise_options
  health_port          = var.health_port
  extra_sections       = var.extra_sections
  environment          = var.environment
  prefix               = var.prefix
  config_dir           = var.config_dir
  state_dir            = var.state_dir
  run_as_user          = var.run_as_user
  supplementary_groups = var.supplementary_groups
  read_write_paths     = var.read_write_paths
  service_extra        = var.service_extra
  install_from         = var.install_from
  source_url           = var.source_url
  source_ref           = var.source_ref
}

locals {
  sudo   = var.ssh_user == "root" ? "" : "sudo -n "
  upload = var.install_from == "upload"
  # Staging dirs in /tmp, made by the SSH user: refuse one that someone else
  # made first or that is a symlink, so nobody can swap the files in it.
  stage_base   = "/tmp/sextant-pilot-${var.node_name}-base"
  stage_config = "/tmp/sextant-pilot-${var.node_name}-config"
  mkstage      = "d=%s; mkdir -m 0700 \"$d\" 2>/dev/null || true; [ -d \"$d\" ] && [ ! -L \"$d\" ] && [ -O \"$d\" ] && chmod 0700 \"$d\" || { echo \"stage dir $d: not ours\" >&2; exit 1; }"
  binaries     = local.upload && var.local_bin_dir != null ? { for b in ["sextant-pilot", "sextant"] : b => "${var.local_bin_dir}/${b}" } : {}
  binaries_sum = join(",", [for b, p in local.binaries : "${b}=${filesha256(p)}"])
}

# Binaries first, into the base stage dir, only when they changed.
resource "terraform_data" "upload" {
  count = local.upload ? 1 : 0

  triggers_replace = {
    host     = var.host
    binaries = local.binaries_sum
  }

  connection {
    type        = "ssh"
    host        = var.host
    port        = var.ssh_port
    user        = var.ssh_user
    private_key = var.ssh_private_key_file == null ? null : file(pathexpand(var.ssh_private_key_file))
    agent       = var.ssh_private_key_file == null
    host_key    = var.ssh_host_key
  }

  provisioner "remote-exec" {
    inline = [format(local.mkstage, local.stage_base)]
  }
  provisioner "file" {
    source      = local.binaries["sextant-pilot"]
    destination = "${local.stage_base}/sextant-pilot"
  }
  provisioner "file" {
    source      = local.binaries["sextant"]
    destination = "${local.stage_base}/sextant"
  }

  lifecycle {
    precondition {
      condition     = var.local_bin_dir != null
      error_message = "install_from = upload needs local_bin_dir (where `make` put sextant-pilot and sextant)."
    }
  }
}

# Packages, binaries, the service user, directories and the pilot's key,
# which `sextant keygen` makes on the server and which never leaves it.
resource "terraform_data" "base" {
  depends_on = [terraform_data.upload]

  triggers_replace = {
    host     = var.host
    script   = sha256(module.files.install_script)
    binaries = local.binaries_sum
  }

  connection {
    type        = "ssh"
    host        = var.host
    port        = var.ssh_port
    user        = var.ssh_user
    private_key = var.ssh_private_key_file == null ? null : file(pathexpand(var.ssh_private_key_file))
    agent       = var.ssh_private_key_file == null
    host_key    = var.ssh_host_key
  }

  provisioner "remote-exec" {
    inline = [format(local.mkstage, local.stage_base)]
  }
  provisioner "file" {
    content     = module.files.install_script
    destination = "${local.stage_base}/install.sh"
  }
  provisioner "remote-exec" {
    inline = ["${local.sudo}sh ${local.stage_base}/install.sh ${local.stage_base} base"]
  }
}

# pilot.ini, the environment file and the unit; install.sh checks the new
# pilot.ini with `sextant-pilot -n` before it replaces the old one, then
# restarts the service.
resource "terraform_data" "config" {
  depends_on = [terraform_data.base]

  triggers_replace = {
    host   = var.host
    script = sha256(module.files.install_script)
    ini    = sha256(module.files.pilot_ini)
    unit   = sha256(module.files.systemd_unit)
    # A changed secret re-runs this too.  The state keeps this hash (in
    # plain text, like every state value): keep the state private.
    env = sha256(module.files.env_file)
  }

  connection {
    type        = "ssh"
    host        = var.host
    port        = var.ssh_port
    user        = var.ssh_user
    private_key = var.ssh_private_key_file == null ? null : file(pathexpand(var.ssh_private_key_file))
    agent       = var.ssh_private_key_file == null
    host_key    = var.ssh_host_key
  }

  provisioner "remote-exec" {
    inline = [format(local.mkstage, local.stage_config)]
  }
  provisioner "file" {
    content     = module.files.pilot_ini
    destination = "${local.stage_config}/pilot.ini"
  }
  provisioner "file" {
    content     = module.files.env_file
    destination = "${local.stage_config}/pilot.env"
  }
  provisioner "file" {
    content     = module.files.systemd_unit
    destination = "${local.stage_config}/sextant-pilot.service"
  }
  provisioner "file" {
    content     = module.files.install_script
    destination = "${local.stage_config}/install.sh"
  }
  provisioner "remote-exec" {
    inline = ["${local.sudo}sh ${local.stage_config}/install.sh ${local.stage_config} config"]
  }
}
