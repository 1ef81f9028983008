# --- servers -------------------------------------------------------------------

variable "commander_host" {
  description = "SSH address of the commander host."
  type        = string
}

variable "commander_private_address" {
  description = "Address the pilots dial the commander at (private network). null: commander_host."
  type        = string
  default     = null
}

variable "validator_hosts" {
  description = "SSH addresses of the validator pair: the primary signs, the secondary stands by."
  type = object({
    primary   = string
    secondary = string
  })
}

variable "sentry_hosts" {
  description = "SSH addresses of the sentries, in order (sentry-1, sentry-2, ...)."
  type        = list(string)
  validation {
    condition     = length(var.sentry_hosts) >= 1
    error_message = "sentry_hosts: at least one sentry."
  }
}

variable "ssh_user" {
  description = "SSH user on every host: root, or a user with passwordless sudo."
  type        = string
  default     = "root"
}

variable "ssh_private_key_file" {
  description = "SSH private key on this machine; null: ssh-agent."
  type        = string
  default     = null
}

variable "ssh_host_keys" {
  description = "Pinned SSH host keys: { host = \"ssh-ed25519 AAAA...\" } (ssh-keyscan HOST, checked out of band). Hosts not listed are trusted on first use."
  type        = map(string)
  default     = {}
}

# --- sextant binaries ------------------------------------------------------------

variable "install_from" {
  description = "upload (default: local_bin_dir), source or preinstalled."
  type        = string
  default     = "upload"
}

variable "local_bin_dir" {
  description = "Where `make` put the binaries (built on Debian 12, like the servers). null: the repository's build/ directory."
  type        = string
  default     = null
}

variable "source_url" {
  description = "install_from = source: git repository of sextant."
  type        = string
  default     = ""
}

variable "source_ref" {
  description = "install_from = source: the tag or commit to build."
  type        = string
  default     = "main"
}

# --- the chain -------------------------------------------------------------------

variable "network" {
  description = "Chain id."
  type        = string
  default     = "cosmoshub-4"
}

variable "validator_group" {
  description = "Name of the validator identity the pair serves."
  type        = string
  default     = "val-a"
}

variable "rpc_url" {
  description = "CometBFT RPC of each node, as seen on its own server."
  type        = string
  default     = "http://127.0.0.1:26657"
}

variable "references" {
  description = "Public RPC endpoints of the same chain to measure lag against."
  type        = list(string)
  default     = []
}

variable "node_unit" {
  description = "systemd unit running the node on every node server (gaiad, cosmovisor, ...)."
  type        = string
  default     = "gaiad.service"
}

variable "node_home" {
  description = "The node's home on the validators (config/ and data/): the pilot manages the signing key and state files there, so it must be writable for it."
  type        = string
  default     = "/home/gaia/.gaia"
}

variable "heartbeat_interval" {
  description = "How often each pilot probes its node and reports, and the heartbeat interval the commander asks for. A lease (10 s by default, [group] ttl) must outlive two of them; failover time grows with it."
  type        = string
  default     = "2s"
}

variable "enable_signer" {
  description = "Let the pilots move the consensus key ([signer] keyswap): only once signer_key_source holds the validator's key on both validator servers, put there by you (Terraform never handles it). Until then the pilots supervise and report, and the node's own key setup stays as it is."
  type        = bool
  default     = false
}

variable "failover_mode" {
  description = "lease: the commander fails over on its own, and a primary that loses the commander stops signing at lease expiry. ack-only: the primary never stops on its own; the commander promotes only after it acknowledges (you fence by hand if it cannot)."
  type        = string
  default     = "lease"
  validation {
    condition     = contains(["lease", "ack-only"], var.failover_mode)
    error_message = "failover_mode: lease or ack-only."
  }
}

variable "signer_key_source" {
  description = "Where the validator's consensus key (priv_validator_key.json) waits on each validator server, readable by the pilot only (mode 0600, owned by root)."
  type        = string
  default     = "/etc/sextant/priv_validator_key.json"
}

variable "validator_extra_sections" {
  description = "More pilot.ini sections for the two validators ([policy], [budget], more [signer] keys), merged over the ones this example writes."
  type        = map(map(string))
  default     = {}
}

# --- the commander --------------------------------------------------------------

variable "api_token" {
  description = "Bearer token of the commander's API; null: generated (terraform output -raw api_token)."
  type        = string
  default     = null
  sensitive   = true
}

variable "alert_sections" {
  description = "[alerts] and [channel NAME] sections for commander.ini."
  type        = map(map(string))
  default     = {}
}

variable "alert_environment" {
  description = "Secrets the alert channels read as env:NAME (webhook URLs, bot tokens); written to the commander's 0600 environment file."
  type        = map(string)
  default     = {}
  sensitive   = true
}
