# A CometBFT validator with a standby: two validator nodes of one group
# (primary and secondary), the sentries that front them, and one commander.
# Every node server gets a pilot; the commander pins their keys and they pin
# its key.  Order (Terraform works it out from the references below):
#   1. commander: binaries and its key (keygen on the commander host)
#   2. pilots: binaries, their keys, pilot.ini pinning the commander's key
#   3. commander: commander.ini and authorized_pilots with the pilots' keys

locals {
  bin_dir = coalesce(var.local_bin_dir, abspath("${path.module}/../../../build"))

  # The pilot swaps the consensus key in on promotion and out on demotion,
  # raising the node's signing state (the watermark) first.
  signer = var.enable_signer ? {
    signer = {
      backend    = "keyswap"
      mode       = var.failover_mode
      key_source = var.signer_key_source
      key_target = "${var.node_home}/config/priv_validator_key.json"
      state_file = "${var.node_home}/data/priv_validator_state.json"
    }
  } : tomap({})
  validator_sections = merge(local.signer, {
    for s, kv in var.validator_extra_sections : s => merge(try(local.signer[s], {}), kv)
  })

  nodes = merge(
    {
      "${var.validator_group}-1" = {
        host     = var.validator_hosts.primary
        role     = "validator"
        group    = var.validator_group
        priority = 100
      }
      "${var.validator_group}-2" = {
        host     = var.validator_hosts.secondary
        role     = "validator"
        group    = var.validator_group
        priority = 50
      }
    },
    { for i, h in var.sentry_hosts : "sentry-${i + 1}" => {
      host = h
      role = "sentry"
      # The restart budget allows one restart per group at a time: both
      # sentries are never down together.
      group    = "${var.validator_group}-sentries"
      priority = 0
    } },
  )
}

module "commander" {
  source = "../../modules/sextant-commander"

  host                 = var.commander_host
  advertise_address    = var.commander_private_address
  ssh_user             = var.ssh_user
  ssh_private_key_file = var.ssh_private_key_file
  ssh_host_key         = lookup(var.ssh_host_keys, var.commander_host, null)

  install_from  = var.install_from
  local_bin_dir = local.bin_dir
  source_url    = var.source_url
  source_ref    = var.source_ref

  interval  = var.heartbeat_interval
  api_token = var.api_token
  inventory = { for name, n in local.nodes : name => {
    role     = n.role
    network  = var.network
    group    = n.group
    priority = n.priority
  } }
  groups            = { (var.validator_group) = { mode = var.failover_mode } }
  authorized_pilots = { for name, p in module.pilot : name => p.public_line }
  extra_sections    = var.alert_sections
  environment       = var.alert_environment
}

module "pilot" {
  source   = "../../modules/sextant-pilot"
  for_each = local.nodes

  host                 = each.value.host
  ssh_user             = var.ssh_user
  ssh_private_key_file = var.ssh_private_key_file
  ssh_host_key         = lookup(var.ssh_host_keys, each.value.host, null)

  install_from  = var.install_from
  local_bin_dir = local.bin_dir
  source_url    = var.source_url
  source_ref    = var.source_ref

  node_name  = each.key
  chain      = "cometbft"
  role       = each.value.role
  network    = var.network
  group      = each.value.group
  interval   = var.heartbeat_interval
  rpc_url    = var.rpc_url
  references = var.references

  commander_url        = module.commander.commander_url
  commander_public_key = module.commander.public_line

  supervise_backend = "systemd"
  supervise_target  = var.node_unit
  read_write_paths  = each.value.role == "validator" ? [var.node_home] : []
  extra_sections    = each.value.role == "validator" ? local.validator_sections : {}
}
