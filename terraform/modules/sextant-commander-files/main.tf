locals {
  key_path               = "${var.config_dir}/commander.key"
  ini_path               = "${var.config_dir}/commander.ini"
  env_path               = "${var.config_dir}/commander.env"
  authorized_pilots_path = "${var.config_dir}/authorized_pilots"

  env = merge(
    var.environment,
    var.api_token == null ? {} : { SEXTANT_API_TOKEN = var.api_token },
    var.api_read_token == null ? {} : { SEXTANT_API_READ_TOKEN = var.api_read_token },
  )
  # Single quotes read the same in systemd's EnvironmentFile and in sh (the
  # install script sources it for `sextant-commander -n`); values have none.
  env_file = join("", concat(
    ["# sextant-commander environment: written by Terraform; mode 0600\n"],
    [for k in sort(keys(local.env)) : format("%s='%s'\n", k, local.env[k])],
  ))

  commander_ini = templatefile("${path.module}/templates/commander.ini.tftpl", {
    prefix                 = var.prefix
    ini_path               = local.ini_path
    env_path               = local.env_path
    key_path               = local.key_path
    authorized_pilots_path = local.authorized_pilots_path
    listen                 = var.listen
    state_dir              = var.state_dir
    interval               = var.interval
    stale                  = var.stale
    commander_options      = var.commander_options
    api_listen             = var.api_listen
    inventory              = var.inventory
    groups                 = var.groups
    extra_sections         = var.extra_sections
  })

  authorized_pilots = templatefile("${path.module}/templates/authorized_pilots.tftpl", {
    pilots = var.authorized_pilots
  })

  systemd_unit = templatefile("${path.module}/templates/sextant-commander.service.tftpl", {
    prefix        = var.prefix
    ini_path      = local.ini_path
    env_path      = local.env_path
    user          = var.run_as_user
    state_dir     = var.state_dir
    service_extra = var.service_extra
  })

  install_sh = templatefile("${path.module}/templates/install.sh.tftpl", {
    unit_dir               = var.unit_dir
    prefix                 = var.prefix
    config_dir             = var.config_dir
    state_dir              = var.state_dir
    key_path               = local.key_path
    ini_path               = local.ini_path
    env_path               = local.env_path
    authorized_pilots_path = local.authorized_pilots_path
    commander_name         = var.commander_name
    user                   = var.run_as_user
    install_from           = var.install_from
    source_url             = var.source_url
    source_ref             = var.source_ref
  })

  cloud_init_stage = "/run/sextant-stage"
  api_host         = regex("^http://(.+):[0-9]+$", var.api_listen)[0]
  api_port         = regex(":([0-9]+)$", var.api_listen)[0]
}
