# --- where and how to reach the server ---------------------------------------

variable "host" {
  description = "Address Terraform (and the public-line read-back) reaches the commander host at over SSH."
  type        = string
}

variable "advertise_address" {
  description = "Address pilots dial (a private IP or DNS name). null: host."
  type        = string
  default     = null
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
  description = "The server's SSH host public key ('ssh-ed25519 AAAA...'), pinned. null: provisioners do not check it and the read-back trusts it on first use. Set it."
  type        = string
  default     = null
}

variable "read_public_line" {
  description = "Read the commander's public line back over SSH (system ssh client) into public_line, which pilots pin. false: public_line is null; read it with `ssh HOST cat /etc/sextant/commander.key.pub`."
  type        = bool
  default     = true
}

# --- binaries ------------------------------------------------------------------

variable "install_from" {
  description = "upload (copy local_bin_dir's sextant-commander and sextant), source (git clone and make on the server) or preinstalled."
  type        = string
  default     = "upload"
}

variable "local_bin_dir" {
  description = "install_from = upload: directory on the machine running Terraform with sextant-commander and sextant, built on Debian 12 like the server."
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
  description = "Install prefix."
  type        = string
  default     = "/usr/local"
}

# --- the commander's configuration (see sextant-commander-files) ------------

variable "commander_name" {
  description = "Comment of the commander's public line."
  type        = string
  default     = "commander"
}

variable "listen" {
  description = "Where pilots dial in."
  type        = string
  default     = "tcp://0.0.0.0:7400"
}

variable "interval" {
  description = "Fleet log interval; suggested to pilots."
  type        = string
  default     = "10s"
}

variable "stale" {
  description = "A node silent this long leaves the fleet median."
  type        = string
  default     = "30s"
}

variable "commander_options" {
  description = "More [commander] keys."
  type        = map(string)
  default     = {}
}

variable "api_listen" {
  description = "HTTP API and dashboard; loopback by default (reach it through the SSH tunnel in the outputs)."
  type        = string
  default     = "http://127.0.0.1:7401"
}

variable "api_token" {
  description = "Bearer token for mutating API calls. null: one is generated (random_password, kept in the state) when generate_api_token is true."
  type        = string
  default     = null
  sensitive   = true
}

variable "generate_api_token" {
  description = "Generate the API token when api_token is null."
  type        = bool
  default     = true
}

variable "api_read_token" {
  description = "Bearer token for reads; null: reads are open to whoever reaches api_listen."
  type        = string
  default     = null
  sensitive   = true
}

variable "inventory" {
  description = "The fleet as [node NAME] sections: { NAME = { role, network, group, priority } }."
  type = map(object({
    role     = string
    network  = string
    group    = optional(string, "")
    priority = optional(number, 0)
  }))
  default = {}
}

variable "groups" {
  description = "Failover settings per validator group as [group NAME] sections: { NAME = { mode = \"lease\", ... } }."
  type        = map(map(string))
  default     = {}
}

variable "authorized_pilots" {
  description = "{ NODENAME = public line }: the pilots' public_line outputs."
  type        = map(string)
  default     = {}
}

variable "etcd_endpoints" {
  description = "Reserved for commander HA with etcd (not implemented by sextant-commander yet): leave empty."
  type        = list(string)
  default     = []
}

variable "extra_sections" {
  description = "More commander.ini sections ([alerts], [channel NAME], ...)."
  type        = map(map(string))
  default     = {}
}

variable "environment" {
  description = "More environment variables (0600 environment file), e.g. webhook URLs referred to as env:NAME."
  type        = map(string)
  default     = {}
  sensitive   = true
}

variable "config_dir" {
  description = "Directory of commander.ini, the environment file, authorized_pilots and the key."
  type        = string
  default     = "/etc/sextant"
}

variable "state_dir" {
  description = "The commander's state directory (event store)."
  type        = string
  default     = "/var/lib/sextant-commander"
}

variable "run_as_user" {
  description = "System user the commander runs as."
  type        = string
  default     = "sextant"
}

variable "service_extra" {
  description = "More [Service] lines for the unit."
  type        = list(string)
  default     = []
}
