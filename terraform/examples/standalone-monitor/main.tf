# One pilot, standalone (no [commander] section), replacing the Aleph Zero
# container monitor: it probes the node's Substrate RPC, compares its
# height with the reference, and restarts the container by the same rules,
# through the Docker Engine API.  It runs on the host as a systemd service
# (user sextant, member of the docker group), not in a container.

module "pilot" {
  source = "../../modules/sextant-pilot"

  host                 = var.host
  ssh_user             = var.ssh_user
  ssh_private_key_file = var.ssh_private_key_file
  ssh_host_key         = var.ssh_host_key
  read_public_line     = false

  install_from  = var.install_from
  local_bin_dir = coalesce(var.local_bin_dir, abspath("${path.module}/../../../build"))
  source_url    = var.source_url
  source_ref    = var.source_ref

  node_name  = var.node_name
  chain      = "substrate"
  role       = "rpc"
  network    = var.network
  interval   = var.probe_interval
  rpc_url    = var.node_rpc_url
  references = concat([var.rpc_url], var.extra_references)

  supervise_backend = "docker"
  supervise_target  = var.container_name
  supervise_options = var.docker_host == null ? {} : { docker_host = var.docker_host }

  extra_sections = {
    policy = merge({
      check_interval = var.check_interval
      moderate_lag   = tostring(var.block_lag_moderate)
      severe_lag     = tostring(var.block_lag_severe)
    }, var.policy)
  }
}
