# Every string that lands in pilot.ini is one line: a newline in a value
# would let it add keys or sections of its own.

variable "node_name" {
  description = "This node's name: [pilot] name, the comment of its public key line, and its name in the commander's authorized_pilots and inventory."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,63}$", var.node_name))
    error_message = "node_name: 1 to 63 letters, digits, '.', '_' or '-'."
  }
}

variable "chain" {
  description = "Chain family of the node; selects the probe."
  type        = string
  default     = "cometbft"
  validation {
    condition     = contains(["cometbft", "substrate", "ethereum", "beacon", "bitcoin", "command"], var.chain)
    error_message = "chain: one of cometbft, substrate, ethereum, beacon, bitcoin, command."
  }
}

variable "role" {
  description = "validator, sentry or rpc."
  type        = string
  default     = "rpc"
  validation {
    condition     = contains(["validator", "sentry", "rpc"], var.role)
    error_message = "role: one of validator, sentry, rpc."
  }
}

variable "network" {
  description = "Chain id (e.g. cosmoshub-4); the commander compares the nodes of one network. Required with a commander."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^[^\\s]*$", var.network))
    error_message = "network: no spaces or newlines."
  }
}

variable "group" {
  description = "The validator identity this node serves (required for role = validator), or empty."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^[A-Za-z0-9._-]*$", var.group))
    error_message = "group: letters, digits, '.', '_' or '-'."
  }
}

variable "interval" {
  description = "How often the pilot probes the node and reports (a sextant duration: 250ms, 5s, 2m)."
  type        = string
  default     = "10s"
  validation {
    condition     = can(regex("^[0-9]+(ms|s|m|h)?$", var.interval))
    error_message = "interval: a duration such as 10s."
  }
}

variable "rpc_url" {
  description = "The node's RPC base URL, as seen from the node server (usually loopback)."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^[^\\s]*$", var.rpc_url))
    error_message = "rpc_url: no spaces or newlines."
  }
}

variable "rpc_timeout" {
  description = "Bound on one probe request."
  type        = string
  default     = "3s"
  validation {
    condition     = can(regex("^[0-9]+(ms|s|m|h)?$", var.rpc_timeout))
    error_message = "rpc_timeout: a duration such as 3s."
  }
}

variable "node_command" {
  description = "chain = command only: the program that prints the node's height."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^[^\\r\\n]*$", var.node_command))
    error_message = "node_command: one line."
  }
}

variable "rpc_user" {
  description = "bitcoin only: RPC user (the password goes in rpc_password, which is written to the 0600 environment file, never to pilot.ini)."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^[^\\s]*$", var.rpc_user))
    error_message = "rpc_user: no spaces or newlines."
  }
}

variable "rpc_password" {
  description = "bitcoin only: RPC password, written as SEXTANT_NODE_PASSWORD to the environment file (mode 0600), never to pilot.ini."
  type        = string
  default     = null
  sensitive   = true
  validation {
    condition     = var.rpc_password == null || can(regex("^[^'\\r\\n]+$", var.rpc_password))
    error_message = "rpc_password: no single quotes or newlines."
  }
}

variable "cookie_file" {
  description = "bitcoin only: the node's .cookie file (re-read after a 401)."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^[^\\s]*$", var.cookie_file))
    error_message = "cookie_file: no spaces or newlines."
  }
}

variable "references" {
  description = "RPC endpoints of the same chain to measure lag against; the median of those that answer is the reference height."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for u in var.references : can(regex("^[^\\s]+$", u))])
    error_message = "references: URLs without spaces or newlines."
  }
}

variable "reference_timeout" {
  description = "Bound on one reference request."
  type        = string
  default     = "3s"
  validation {
    condition     = can(regex("^[0-9]+(ms|s|m|h)?$", var.reference_timeout))
    error_message = "reference_timeout: a duration such as 3s."
  }
}

variable "commander_url" {
  description = "tcp://HOST:PORT of the commander. null: the pilot runs standalone (no [commander] section)."
  type        = string
  default     = null
  validation {
    condition     = var.commander_url == null || can(regex("^(tcp|tls\\+tcp|ipc)://[^\\s]+$", var.commander_url))
    error_message = "commander_url: tcp://HOST:PORT."
  }
}

variable "commander_public_key" {
  description = "The commander's public line 'sextant-ed25519 BASE64 COMMENT', pinned inline in pilot.ini. Required with commander_url."
  type        = string
  default     = null
  validation {
    condition     = var.commander_public_key == null || can(regex("^sextant-ed25519 [A-Za-z0-9+/=]{40,64}( [^\\r\\n]*)?$", var.commander_public_key))
    error_message = "commander_public_key: one line 'sextant-ed25519 BASE64 COMMENT' (the commander's .pub file)."
  }
}

variable "commander_timeout" {
  description = "Bound on sending a request to the commander and awaiting its reply."
  type        = string
  default     = "5s"
  validation {
    condition     = can(regex("^[0-9]+(ms|s|m|h)?$", var.commander_timeout))
    error_message = "commander_timeout: a duration such as 5s."
  }
}

variable "supervise_backend" {
  description = "How the node runs: docker (a container), systemd (a unit), process (the pilot starts it) or none (watch only)."
  type        = string
  default     = "systemd"
  validation {
    condition     = contains(["none", "process", "docker", "systemd"], var.supervise_backend)
    error_message = "supervise_backend: one of none, process, docker, systemd."
  }
}

variable "supervise_target" {
  description = "The container name or the systemd unit (required for docker and systemd); for process, a label (default: node_name)."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^[A-Za-z0-9@._:-]{0,128}$", var.supervise_target))
    error_message = "supervise_target: a container, unit or label name (letters, digits, '@', '.', '_', ':', '-')."
  }
}

variable "supervise_command" {
  description = "process backend: the node program, an absolute path (no PATH search, no shell)."
  type        = string
  default     = ""
  validation {
    condition     = var.supervise_command == "" || can(regex("^/[^\\s]*$", var.supervise_command))
    error_message = "supervise_command: an absolute path without spaces."
  }
}

variable "supervise_args" {
  description = "process backend: the node's arguments, one per item, in order."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for a in var.supervise_args : can(regex("^[^\\r\\n]*$", a))])
    error_message = "supervise_args: one line each."
  }
}

variable "supervise_env" {
  description = "process backend: NAME=VALUE added to the node's environment (in pilot.ini: no secrets)."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for e in var.supervise_env : can(regex("^[A-Za-z_][A-Za-z0-9_]*=[^\\r\\n]*$", e))])
    error_message = "supervise_env: NAME=VALUE, one line each."
  }
}

variable "supervise_options" {
  description = "More keys of the [supervise] section, for backend options this module does not name (e.g. docker_host)."
  type        = map(string)
  default     = {}
  validation {
    condition     = alltrue([for k, v in var.supervise_options : can(regex("^[a-z0-9_]+$", k)) && can(regex("^[^\\r\\n]*$", v))])
    error_message = "supervise_options: keys of [a-z0-9_], one-line values."
  }
}

variable "health_port" {
  description = "Port of the pilot's /health and /metrics; always bound to 127.0.0.1 (reach it through SSH or a local Prometheus)."
  type        = number
  default     = 9618
  validation {
    condition     = var.health_port >= 1 && var.health_port <= 65535 && floor(var.health_port) == var.health_port
    error_message = "health_port: 1 to 65535."
  }
}

variable "extra_sections" {
  description = "More INI sections, { section = { key = value } }, appended to pilot.ini: [policy], [signer], [budget], [logrules] (keys as `sextant-pilot -nv` prints them)."
  type        = map(map(string))
  default     = {}
  validation {
    condition = alltrue(flatten([for s, kv in var.extra_sections : concat(
      [can(regex("^[a-z][a-z0-9_]*( [A-Za-z0-9._-]+)?$", s))],
      [for k, v in kv : can(regex("^[a-z0-9_]+$", k)) && can(regex("^[^\\r\\n]*$", v))]
    )]))
    error_message = "extra_sections: section names like 'policy' or 'kind NAME', keys of [a-z0-9_], one-line values."
  }
}

variable "environment" {
  description = "More environment variables for the pilot, written to the 0600 environment file (never to pilot.ini)."
  type        = map(string)
  default     = {}
  sensitive   = true
  validation {
    condition     = alltrue([for k, v in var.environment : can(regex("^[A-Z_][A-Z0-9_]*$", k)) && can(regex("^[^'\\r\\n]*$", v))])
    error_message = "environment: NAMES of [A-Z0-9_], values without single quotes or newlines."
  }
}

variable "prefix" {
  description = "Where sextant's binaries live: PREFIX/bin/sextant-pilot and PREFIX/bin/sextant."
  type        = string
  default     = "/usr/local"
  validation {
    condition     = can(regex("^/[A-Za-z0-9._/-]*$", var.prefix))
    error_message = "prefix: an absolute path."
  }
}

variable "config_dir" {
  description = "Holds pilot.ini, the environment file, the pilot's key and its .pub."
  type        = string
  default     = "/etc/sextant"
  validation {
    condition     = can(regex("^/[A-Za-z0-9._/-]*$", var.config_dir))
    error_message = "config_dir: an absolute path."
  }
}

variable "state_dir" {
  description = "The pilot's state (request counter, lease); kept across restarts."
  type        = string
  default     = "/var/lib/sextant-pilot"
  validation {
    condition     = can(regex("^/[A-Za-z0-9._/-]*$", var.state_dir))
    error_message = "state_dir: an absolute path."
  }
}

variable "run_as_user" {
  description = "User the pilot runs as. null: root for the systemd backend (systemctl needs it), else a system user 'sextant' created by the install script."
  type        = string
  default     = null
  validation {
    condition     = var.run_as_user == null || can(regex("^[a-z_][a-z0-9_-]{0,31}$", var.run_as_user))
    error_message = "run_as_user: a Unix user name."
  }
}

variable "supplementary_groups" {
  description = "Extra groups for the pilot. null: [\"docker\"] with the docker backend (membership of docker is root-equivalent), else none."
  type        = list(string)
  default     = null
}

variable "read_write_paths" {
  description = "Paths the pilot (and, with the process backend, the node it starts) may write besides its state dir: the node's home, its key and state files for validator signing."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for p in var.read_write_paths : can(regex("^-?/[^\\s]*$", p))])
    error_message = "read_write_paths: absolute paths."
  }
}

variable "install_from" {
  description = "How the install script gets the binaries: upload (found in the stage directory, put there by the SSH module), source (git clone and make on the server) or preinstalled (already in PREFIX/bin)."
  type        = string
  default     = "upload"
  validation {
    condition     = contains(["upload", "source", "preinstalled"], var.install_from)
    error_message = "install_from: one of upload, source, preinstalled."
  }
}

variable "source_url" {
  description = "install_from = source: the git repository to build."
  type        = string
  default     = ""
}

variable "source_ref" {
  description = "install_from = source: the tag, branch or commit to build. Pin a tag or commit."
  type        = string
  default     = "main"
  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]+$", var.source_ref))
    error_message = "source_ref: a git ref."
  }
}

variable "service_extra" {
  description = "More lines for the unit's [Service] section, e.g. [\"MemoryMax=256M\"] or a relaxed hardening option."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for l in var.service_extra : can(regex("^[A-Za-z]+=[^\\r\\n]*$", l))])
    error_message = "service_extra: one 'Key=value' per item."
  }
}

variable "unit_dir" {
  description = "Where the install script puts sextant-pilot.service."
  type        = string
  default     = "/etc/systemd/system"
  validation {
    condition     = can(regex("^/[A-Za-z0-9._/-]*$", var.unit_dir))
    error_message = "unit_dir: an absolute path."
  }
}
