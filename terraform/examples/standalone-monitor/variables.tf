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
  description = "[CHECK_INTERVAL] Time between checks (the monitor's 60 seconds)."
  type        = string
  default     = "60s"
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
  description = "Restart policy overrides as a [policy] section, { key = value }; the keys are those `sextant-pilot -nv` prints. Empty: the pilot's defaults, which are the monitor's (lag 20 [BLOCK_LAG_20] and 100 [BLOCK_LAG_100] blocks, cooldown 300 s, stall 180 s, trend window 300 s)."
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
