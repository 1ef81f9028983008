# Only the public line comes back, read with the ssh client of the machine
# running Terraform once the key exists.
data "external" "public_line" {
  count      = var.read_public_line ? 1 : 0
  depends_on = [terraform_data.base]

  program = [
    "sh", "${path.module}/scripts/read-public-line.sh",
    var.host, tostring(var.ssh_port), var.ssh_user,
    module.files.paths.public_key,
    var.ssh_private_key_file == null ? "" : pathexpand(var.ssh_private_key_file),
    var.ssh_host_key == null ? "" : var.ssh_host_key,
  ]
}

locals {
  public_line = var.read_public_line ? data.external.public_line[0].result.public_line : null
}
