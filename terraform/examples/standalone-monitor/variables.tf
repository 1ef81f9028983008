# The Aleph Zero container monitor's settings, under its names (in
# brackets), so a running setup carries over value for value.

variable "host" {
  description = "SSH address of the server running the node container."
  type        = string
}

variable "ssh_user" {
  description = "SSH user: root, or a user with passwordless sudo."
  type        = string
  default     = "root"
}

variable "ssh_private_key_file" {
  description = "SSH private key on this machine; null: ssh-agent."
  type        = string
  default     = null
}

variable "ssh_host_key" {
  description = "The server's SSH host key ('ssh-ed25519 AAAA...'), pinned; null: not checked."
  type        = string
  default     = null
}

variable "container_name" {
  description = "[CONTAINER_NAME] The node's container, restarted through the Docker Engine API."
  type        = string
  default     = "aleph-node"
}

variable "rpc_url" {
  description = "[RPC_URL] The reference: a trusted RPC of the same chain that the node's height is compared with. Add more in extra_references; the median of those that answer is used."
  type        = string
}

variable "extra_references" {
  description = "More reference RPCs (the monitor had one)."
  type        = list(string)
  default     = []
}

variable "check_interval" {
  description = "[CHECK_INTERVAL] How often the restart policy judges the node ([policy] check_interval; the monitor's 60 seconds)."
  type        = string
  default     = "60s"
}

variable "block_lag_moderate" {
  description = "[BLOCK_LAG_20] Blocks behind the reference at which the node is restarted unless it is in major sync or producing blocks ([policy] moderate_lag)."
  type        = number
  default     = 20
}

variable "block_lag_severe" {
  description = "[BLOCK_LAG_100] Blocks behind at which the node is restarted whatever else ([policy] severe_lag)."
  type        = number
  default     = 100
}

variable "probe_interval" {
  description = "How often the pilot asks the node and the reference for their heights (more samples than checks give the sync rate and the trend)."
  type        = string
  default     = "10s"
}

variable "node_rpc_url" {
  description = "The node's own RPC on its server (the monitor read the height from the logs instead; the pilot asks the node)."
  type        = string
  default     = "http://127.0.0.1:9944"
}

variable "node_name" {
  description = "Name of this node in logs and metrics (and for a commander later)."
  type        = string
  default     = "aleph-node-1"
}

variable "network" {
  description = "Chain id label (optional standalone)."
  type        = string
  default     = "aleph-zero"
}

variable "policy" {
  description = "More [policy] keys, { key = value }, as `sextant-pilot -nv` prints them: cooldown (300 s), stall (180 s), trend_window (300 s), cap_restarts, dry_run... The defaults are the monitor's."
  type        = map(string)
  default     = {}
}

variable "docker_host" {
  description = "Docker Engine socket, unix:///path; null: the default /var/run/docker.sock."
  type        = string
  default     = null
}

variable "install_from" {
  description = "upload (local_bin_dir), source or preinstalled."
  type        = string
  default     = "upload"
}

variable "local_bin_dir" {
  description = "Where `make` put sextant-pilot and sextant; null: the repository's build/."
  type        = string
  default     = null
}

variable "source_url" {
  description = "install_from = source: git repository of sextant."
  type        = string
  default     = ""
}

variable "source_ref" {
  description = "install_from = source: tag or commit to build."
  type        = string
  default     = "main"
}
