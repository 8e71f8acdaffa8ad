terraform {
  # OpenTofu >= 1.6 or Terraform >= 1.6: lifecycle preconditions and optional object attributes.
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.x and 6.x: security group rules as their own resources (aws_vpc_security_group_*_rule).
      version = ">= 5.60, < 7.0"
    }
  }
}
