module "files" {
  source = "../sextant-commander-files"

  commander_name    = var.commander_name
  listen            = var.listen
  interval          = var.interval
  stale             = var.stale
  commander_options = var.commander_options
  api_listen        = var.api_listen
  api_token         = local.api_token
  api_read_token    = var.api_read_token
  inventory         = var.inventory
  groups            = var.groups
  authorized_pilots = var.authorized_pilots
  etcd_endpoints    = var.etcd_endpoints
  extra_sections    = var.extra_sections
  environment       = var.environment
  prefix            = var.prefix
  config_dir        = var.config_dir
  state_dir         = var.state_dir
  run_as_user       = var.run_as_user
  service_extra     = var.service_extra
  install_from      = var.install_from
  source_url        = var.source_url
  source_ref        = var.source_ref
}

locals {
  sudo   = var.ssh_user == "root" ? "" : "sudo -n "
  upload = var.install_from == "upload"
  # Staging dirs in /tmp, made by the SSH user: refuse one that someone else
  # made first or that is a symlink, so nobody can swap the files in it.
  stage_base   = "/tmp/sextant-commander-base"
  stage_config = "/tmp/sextant-commander-config"
  mkstage      = "d=%s; mkdir -m 0700 \"$d\" 2>/dev/null || true; [ -d \"$d\" ] && [ ! -L \"$d\" ] && [ -O \"$d\" ] && chmod 0700 \"$d\" || { echo \"stage dir $d: not ours\" >&2; exit 1; }"
  binaries     = local.upload && var.local_bin_dir != null ? { for b in ["sextant-commander", "sextant"] : b => "${var.local_bin_dir}/${b}" } : {}
  binaries_sum = join(",", [for b, p in local.binaries : "${b}=${filesha256(p)}"])

  advertise   = coalesce(var.advertise_address, var.host)
  listen_port = regex(":([0-9]+)$", var.listen)[0]
}

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
    source      = local.binaries["sextant-commander"]
    destination = "${local.stage_base}/sextant-commander"
  }
  provisioner "file" {
    source      = local.binaries["sextant"]
    destination = "${local.stage_base}/sextant"
  }

  lifecycle {
    precondition {
      condition     = var.local_bin_dir != null
      error_message = "install_from = upload needs local_bin_dir (where `make` put sextant-commander and sextant)."
    }
  }
}

# Packages, binaries, the service user, directories and the commander's
# key, made on the server by `sextant keygen`; it never leaves it.  This
# does not depend on the pilots, so their configs can pin the public line
# before authorized_pilots lists them.
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

# commander.ini, the environment file (API token), authorized_pilots and
# the unit; install.sh checks them with `sextant-commander -n` first, then
# restarts the service (it has no reload yet).
resource "terraform_data" "config" {
  depends_on = [terraform_data.base]

  triggers_replace = {
    host   = var.host
    script = sha256(module.files.install_script)
    ini    = sha256(module.files.commander_ini)
    pilots = sha256(module.files.authorized_pilots)
    unit   = sha256(module.files.systemd_unit)
    # A changed token re-runs this too.  The state keeps this hash (in
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
    content     = module.files.commander_ini
    destination = "${local.stage_config}/commander.ini"
  }
  provisioner "file" {
    content     = module.files.env_file
    destination = "${local.stage_config}/commander.env"
  }
  provisioner "file" {
    content     = module.files.authorized_pilots
    destination = "${local.stage_config}/authorized_pilots"
  }
  provisioner "file" {
    content     = module.files.systemd_unit
    destination = "${local.stage_config}/sextant-commander.service"
  }
  provisioner "file" {
    content     = module.files.install_script
    destination = "${local.stage_config}/install.sh"
  }
  provisioner "remote-exec" {
    inline = ["${local.sudo}sh ${local.stage_config}/install.sh ${local.stage_config} config"]
  }
}
