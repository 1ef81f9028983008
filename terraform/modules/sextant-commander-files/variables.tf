# Every string that lands in commander.ini is one line: a newline in a value
# would let it add keys or sections of its own.

variable "commander_name" {
  description = "Comment of the commander's public line (what pilots see when they pin it)."
  type        = string
  default     = "commander"
  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,63}$", var.commander_name))
    error_message = "commander_name: 1 to 63 letters, digits, '.', '_' or '-'."
  }
}

variable "listen" {
  description = "Where pilots dial in (nng URL). Pilots always dial out, so only this port is opened, and only on the commander."
  type        = string
  default     = "tcp://0.0.0.0:7400"
  validation {
    condition     = can(regex("^(tcp|tls\\+tcp|ipc)://[^\\s]+$", var.listen))
    error_message = "listen: tcp://HOST:PORT."
  }
}

variable "interval" {
  description = "How often the commander logs the fleet; suggested to pilots."
  type        = string
  default     = "10s"
  validation {
    condition     = can(regex("^[0-9]+(ms|s|m|h)?$", var.interval))
    error_message = "interval: a duration such as 10s."
  }
}

variable "stale" {
  description = "A node silent this long leaves the fleet median (at least interval)."
  type        = string
  default     = "30s"
  validation {
    condition     = can(regex("^[0-9]+(ms|s|m|h)?$", var.stale))
    error_message = "stale: a duration such as 30s."
  }
}

variable "commander_options" {
  description = "More keys of the [commander] section (window, contexts, ...)."
  type        = map(string)
  default     = {}
  validation {
    condition     = alltrue([for k, v in var.commander_options : can(regex("^[a-z0-9_]+$", k)) && can(regex("^[^\\r\\n]*$", v))])
    error_message = "commander_options: keys of [a-z0-9_], one-line values."
  }
}

variable "api_listen" {
  description = "The HTTP API and dashboard: loopback by default, reached through an SSH tunnel. Bind it elsewhere only behind a TLS proxy."
  type        = string
  default     = "http://127.0.0.1:7401"
  validation {
    condition     = can(regex("^http://[^\\s/]+:[0-9]+$", var.api_listen))
    error_message = "api_listen: http://HOST:PORT."
  }
}

variable "api_token" {
  description = "Bearer token for mutating API calls (16+ printable characters, no spaces or quotes). Written as SEXTANT_API_TOKEN to the 0600 environment file, never to commander.ini. null: no token, mutating calls are refused."
  type        = string
  default     = null
  sensitive   = true
  validation {
    condition     = var.api_token == null || can(regex("^[!#-&(-~]{16,}$", var.api_token))
    error_message = "api_token: at least 16 printable characters, no spaces or quotes."
  }
}

variable "api_read_token" {
  description = "Bearer token for reads (SEXTANT_API_READ_TOKEN in the environment file). null: reads are open to whoever reaches api_listen."
  type        = string
  default     = null
  sensitive   = true
  validation {
    condition     = var.api_read_token == null || can(regex("^[!#-&(-~]{16,}$", var.api_read_token))
    error_message = "api_read_token: at least 16 printable characters, no spaces or quotes."
  }
}

variable "inventory" {
  description = "The fleet, rendered as [node NAME] sections: { NAME = { role, network, group, priority } }. Validators of one group fail over to each other, highest priority first."
  type = map(object({
    role     = string
    network  = string
    group    = optional(string, "")
    priority = optional(number, 0)
  }))
  default = {}
  validation {
    condition = alltrue([for name, n in var.inventory :
      can(regex("^[A-Za-z0-9._-]{1,63}$", name)) &&
      contains(["validator", "sentry", "rpc"], n.role) &&
      can(regex("^[^\\s]+$", n.network)) &&
      can(regex("^[A-Za-z0-9._-]*$", n.group)) &&
      (n.role != "validator" || n.group != "")
    ])
    error_message = "inventory: node names and groups of letters, digits, '.', '_', '-'; role validator, sentry or rpc; a network; validators need a group."
  }
}

variable "groups" {
  description = "Failover settings per validator group, rendered as [group NAME]: { NAME = { mode = \"lease\" or \"ack-only\", ttl, failover_after, ... } }. The pilots' [signer] mode must match."
  type        = map(map(string))
  default     = {}
  validation {
    condition = alltrue(flatten([for g, kv in var.groups : concat(
      [can(regex("^[A-Za-z0-9._-]{1,63}$", g))],
      [for k, v in kv : can(regex("^[a-z0-9_]+$", k)) && can(regex("^[^\\r\\n]*$", v))]
    )]))
    error_message = "groups: names of letters, digits, '.', '_', '-'; keys of [a-z0-9_]; one-line values."
  }
}

variable "authorized_pilots" {
  description = "{ NODENAME = \"sextant-ed25519 KEY NODENAME\" }: each pilot's public line (the sextant-pilot module's public_line output)."
  type        = map(string)
  default     = {}
  validation {
    condition = alltrue([for name, line in var.authorized_pilots :
      can(regex("^sextant-ed25519 [A-Za-z0-9+/]{43}= [A-Za-z0-9._-]{1,63}$", line)) &&
      try(split(" ", line)[2] == name, false)
    ])
    error_message = "authorized_pilots: each value one 'sextant-ed25519 KEY NODENAME' line whose NODENAME is its map key."
  }
}

variable "etcd_endpoints" {
  description = "Reserved for commander HA with etcd, which sextant-commander does not implement yet: leave it empty (a non-empty list stops the plan)."
  type        = list(string)
  default     = []
}

variable "extra_sections" {
  description = "More INI sections, { section = { key = value } }: [alerts], [channel NAME], ... Put secrets in `environment` and refer to them as env:NAME where the option allows it."
  type        = map(map(string))
  default     = {}
  validation {
    condition = alltrue(flatten([for s, kv in var.extra_sections : concat(
      [can(regex("^[a-z][a-z0-9_]*( [A-Za-z0-9._-]+)?$", s))],
      [for k, v in kv : can(regex("^[a-z0-9_]+$", k)) && can(regex("^[^\\r\\n]*$", v))]
    )]))
    error_message = "extra_sections: section names like 'alerts' or 'channel NAME', keys of [a-z0-9_], one-line values."
  }
}

variable "environment" {
  description = "More environment variables for the commander (0600 environment file): webhook URLs and chat tokens referred to as env:NAME. Values without single quotes or newlines."
  type        = map(string)
  default     = {}
  sensitive   = true
  validation {
    condition     = alltrue([for k, v in var.environment : can(regex("^[A-Z_][A-Z0-9_]*$", k)) && can(regex("^[^'\\r\\n]*$", v))])
    error_message = "environment: NAMES of [A-Z0-9_], values without single quotes or newlines."
  }
}

variable "prefix" {
  description = "Where the binaries live: PREFIX/bin/sextant-commander and PREFIX/bin/sextant."
  type        = string
  default     = "/usr/local"
  validation {
    condition     = can(regex("^/[A-Za-z0-9._/-]*$", var.prefix))
    error_message = "prefix: an absolute path."
  }
}

variable "config_dir" {
  description = "Holds commander.ini, the environment file, authorized_pilots and the commander's key."
  type        = string
  default     = "/etc/sextant"
  validation {
    condition     = can(regex("^/[A-Za-z0-9._/-]*$", var.config_dir))
    error_message = "config_dir: an absolute path."
  }
}

variable "state_dir" {
  description = "The commander's state: the SQLite event store, lease epochs, counters."
  type        = string
  default     = "/var/lib/sextant-commander"
  validation {
    condition     = can(regex("^/[A-Za-z0-9._/-]*$", var.state_dir))
    error_message = "state_dir: an absolute path."
  }
}

variable "run_as_user" {
  description = "System user the commander runs as (created by the install script)."
  type        = string
  default     = "sextant"
  validation {
    condition     = can(regex("^[a-z_][a-z0-9_-]{0,31}$", var.run_as_user)) && var.run_as_user != "root"
    error_message = "run_as_user: a Unix user name other than root."
  }
}

variable "install_from" {
  description = "upload (binaries put in the stage dir by the SSH module), source (git clone and make on the server) or preinstalled."
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
  description = "install_from = source: tag, branch or commit (pin one)."
  type        = string
  default     = "main"
  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]+$", var.source_ref))
    error_message = "source_ref: a git ref."
  }
}

variable "service_extra" {
  description = "More lines for the unit's [Service] section."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for l in var.service_extra : can(regex("^[A-Za-z]+=[^\\r\\n]*$", l))])
    error_message = "service_extra: one 'Key=value' per item."
  }
}

variable "unit_dir" {
  description = "Where the install script puts sextant-commander.service."
  type        = string
  default     = "/etc/systemd/system"
  validation {
    condition     = can(regex("^/[A-Za-z0-9._/-]*$", var.unit_dir))
    error_message = "unit_dir: an absolute path."
  }
}
