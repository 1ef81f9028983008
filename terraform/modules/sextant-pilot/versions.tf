terraform {
  required_version = ">= 1.4" # terraform_data
  required_providers {
    external = {
      source  = "hashicorp/external"
      version = "~> 2.3"
    }
  }
}
