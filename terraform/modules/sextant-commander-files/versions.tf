# No providers: this module only renders text, so it also works where no
# provider can be installed (cloud-init user data, configuration management,
# and the offline test in tests/integration/terraform.sh).
terraform {
  required_version = ">= 1.3"
}
