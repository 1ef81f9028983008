terraform {
  required_version = ">= 1.4"
  required_providers {
    # Declared by the sextant-pilot module; unused here (read_public_line =
    # false: a standalone pilot has no commander to authorize it).
    external = {
      source  = "hashicorp/external"
      version = "~> 2.3"
    }
  }
}
