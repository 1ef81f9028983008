locals {
  # systemctl needs root (or a polkit rule this module does not write).
  user   = coalesce(var.run_as_user, var.supervise_backend == "systemd" ? "root" : "sextant")
  groups = var.supplementary_groups != null ? var.supplementary_groups : (var.supervise_backend == "docker" ? ["docker"] : [])

  key_path = "${var.config_dir}/pilot.key"
  ini_path = "${var.config_dir}/pilot.ini"
  env_path = "${var.config_dir}/pilot.env"

  env = merge(
    var.environment,
    var.rpc_password == null ? {} : { SEXTANT_NODE_PASSWORD = var.rpc_password },
  )
  # Single quotes read the same in systemd's EnvironmentFile and in sh (the
  # install script sources it for `sextant-pilot -n`); values have none.
  env_file = join("", concat(
    ["# sextant-pilot environment: written by Terraform; mode 0600\n"],
    [for k in sort(keys(local.env)) : format("%s='%s'\n", k, local.env[k])],
  ))

  pilot_ini = templatefile("${path.module}/templates/pilot.ini.tftpl", {
    node_name            = var.node_name
    chain                = var.chain
    role                 = var.role
    network              = var.network
    group                = var.group
    interval             = var.interval
    state_dir            = var.state_dir
    key_path             = local.key_path
    ini_path             = local.ini_path
    env_path             = local.env_path
    prefix               = var.prefix
    commander_url        = var.commander_url
    commander_public_key = var.commander_public_key == null ? "" : var.commander_public_key
    commander_timeout    = var.commander_timeout
    rpc_url              = var.rpc_url
    rpc_timeout          = var.rpc_timeout
    node_command         = var.node_command
    rpc_user             = var.rpc_user
    cookie_file          = var.cookie_file
    has_password         = nonsensitive(var.rpc_password != null) # whether, not what
    references           = var.references
    reference_timeout    = var.reference_timeout
    supervise_backend    = var.supervise_backend
    supervise_target     = var.supervise_target
    supervise_command    = var.supervise_command
    supervise_args       = var.supervise_args
    supervise_env        = var.supervise_env
    supervise_options    = var.supervise_options
    health_port          = var.health_port
    extra_sections       = var.extra_sections
  })

  systemd_unit = templatefile("${path.module}/templates/sextant-pilot.service.tftpl", {
    node_name         = var.node_name
    supervise_backend = var.supervise_backend
    supervise_target  = var.supervise_target == "" ? var.node_name : var.supervise_target
    prefix            = var.prefix
    ini_path          = local.ini_path
    env_path          = local.env_path
    user              = local.user
    groups            = local.groups
    rw_paths          = distinct(concat([var.state_dir], var.read_write_paths))
    service_extra     = var.service_extra
  })

  install_sh = templatefile("${path.module}/templates/install.sh.tftpl", {
    unit_dir     = var.unit_dir
    node_name    = var.node_name
    prefix       = var.prefix
    config_dir   = var.config_dir
    state_dir    = var.state_dir
    key_path     = local.key_path
    ini_path     = local.ini_path
    env_path     = local.env_path
    user         = local.user
    groups       = local.groups
    install_from = var.install_from
    source_url   = var.source_url
    source_ref   = var.source_ref
  })

  cloud_init_stage = "/run/sextant-stage"
}
