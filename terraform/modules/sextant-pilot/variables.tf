# --- where and how to reach the server ---------------------------------------

variable "host" {
  description = "Address Terraform (and the public-line read-back) reaches the node server at over SSH."
  type        = string
}

variable "ssh_user" {
  description = "SSH user: root, or a user with passwordless sudo (commands run through `sudo -n`)."
  type        = string
  default     = "root"
}

variable "ssh_port" {
  description = "SSH port."
  type        = number
  default     = 22
}

variable "ssh_private_key_file" {
  description = "Path of the SSH private key on the machine running Terraform. null: use ssh-agent."
  type        = string
  default     = null
}

variable "ssh_host_key" {
  description = "The server's SSH host public key ('ssh-ed25519 AAAA...'), pinned. null: Terraform's provisioners do not check the host key and the read-back trusts it on first use. Set it."
  type        = string
  default     = null
}

variable "read_public_line" {
  description = "Read the pilot's public line back over SSH (the system ssh client on the machine running Terraform) into the public_line output. false: public_line is null; read it yourself with `ssh HOST cat /etc/sextant/pilot.key.pub`."
  type        = bool
  default     = true
}

# --- binaries ------------------------------------------------------------------

variable "install_from" {
  description = "upload (copy local_bin_dir's sextant-pilot and sextant: built on Debian 12 like the server), source (git clone and make on the server) or preinstalled."
  type        = string
  default     = "upload"
}

variable "local_bin_dir" {
  description = "install_from = upload: directory on the machine running Terraform holding sextant-pilot and sextant (a `make` build dir)."
  type        = string
  default     = null
}

variable "source_url" {
  description = "install_from = source: the git repository to build."
  type        = string
  default     = ""
}

variable "source_ref" {
  description = "install_from = source: tag, branch or commit (pin one)."
  type        = string
  default     = "main"
}

variable "prefix" {
  description = "Install prefix: PREFIX/bin/sextant-pilot."
  type        = string
  default     = "/usr/local"
}

# --- the pilot's configuration (see sextant-pilot-files for the details) ----

variable "node_name" {
  description = "This node's name: [pilot] name and the comment of its public line."
  type        = string
}

variable "chain" {
  description = "cometbft, substrate, ethereum, beacon, bitcoin or command."
  type        = string
  default     = "cometbft"
}

variable "role" {
  description = "validator, sentry or rpc."
  type        = string
  default     = "rpc"
}

variable "network" {
  description = "Chain id; required with a commander."
  type        = string
  default     = ""
}

variable "group" {
  description = "Validator identity this node serves (required for a validator)."
  type        = string
  default     = ""
}

variable "interval" {
  description = "Probe and report interval."
  type        = string
  default     = "10s"
}

variable "rpc_url" {
  description = "The node's RPC base URL as seen from the server."
  type        = string
  default     = ""
}

variable "rpc_timeout" {
  description = "Bound on one probe request."
  type        = string
  default     = "3s"
}

variable "node_command" {
  description = "chain = command: program printing the node's height."
  type        = string
  default     = ""
}

variable "rpc_user" {
  description = "bitcoin: RPC user."
  type        = string
  default     = ""
}

variable "rpc_password" {
  description = "bitcoin: RPC password; goes to the 0600 environment file only."
  type        = string
  default     = null
  sensitive   = true
}

variable "cookie_file" {
  description = "bitcoin: the node's .cookie file."
  type        = string
  default     = ""
}

variable "references" {
  description = "Reference RPC endpoints of the same chain."
  type        = list(string)
  default     = []
}

variable "reference_timeout" {
  description = "Bound on one reference request."
  type        = string
  default     = "3s"
}

variable "commander_url" {
  description = "tcp://HOST:PORT of the commander; null: standalone."
  type        = string
  default     = null
}

variable "commander_public_key" {
  description = "The commander's public line, pinned in pilot.ini."
  type        = string
  default     = null
}

variable "commander_timeout" {
  description = "Bound on one request to the commander."
  type        = string
  default     = "5s"
}

variable "supervise_backend" {
  description = "docker, systemd, process or none (watch only)."
  type        = string
  default     = "systemd"
}

variable "supervise_target" {
  description = "Container name or systemd unit (process: a label)."
  type        = string
  default     = ""
}

variable "supervise_command" {
  description = "process backend: the node program (absolute path)."
  type        = string
  default     = ""
}

variable "supervise_args" {
  description = "process backend: the node's arguments."
  type        = list(string)
  default     = []
}

variable "supervise_env" {
  description = "process backend: NAME=VALUE for the node (no secrets)."
  type        = list(string)
  default     = []
}

variable "supervise_options" {
  description = "More [supervise] keys."
  type        = map(string)
  default     = {}
}

variable "health_port" {
  description = "Port of /health and /metrics on 127.0.0.1."
  type        = number
  default     = 9618
}

variable "extra_sections" {
  description = "More pilot.ini sections: { section = { key = value } }."
  type        = map(map(string))
  default     = {}
}

variable "environment" {
  description = "More environment variables for the pilot (0600 environment file)."
  type        = map(string)
  default     = {}
  sensitive   = true
}

variable "config_dir" {
  description = "Directory of pilot.ini, the environment file and the key."
  type        = string
  default     = "/etc/sextant"
}

variable "state_dir" {
  description = "The pilot's state directory."
  type        = string
  default     = "/var/lib/sextant-pilot"
}

variable "run_as_user" {
  description = "User the pilot runs as; null: root for the systemd backend, else 'sextant'."
  type        = string
  default     = null
}

variable "supplementary_groups" {
  description = "Extra groups; null: docker with the docker backend."
  type        = list(string)
  default     = null
}

variable "read_write_paths" {
  description = "Writable paths besides the state dir (node home, key files)."
  type        = list(string)
  default     = []
}

variable "service_extra" {
  description = "More [Service] lines for the unit."
  type        = list(string)
  default     = []
}
