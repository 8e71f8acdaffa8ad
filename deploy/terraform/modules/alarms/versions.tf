terraform {
  # OpenTofu >= 1.6 or Terraform >= 1.6: lifecycle preconditions and optional object attributes.
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.x and 6.x, as the other modules.
      version = ">= 5.60, < 7.0"
    }
  }
}
