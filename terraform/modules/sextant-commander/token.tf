# The API token: given, or generated here.  Either way it is in the state
# (every Terraform value is): keep the state private and encrypted.
resource "random_password" "api_token" {
  count   = var.api_token == null && var.generate_api_token ? 1 : 0
  length  = 40
  special = false
}

locals {
  api_token = var.api_token != null ? var.api_token : (
    var.generate_api_token ? random_password.api_token[0].result : null
  )
}
