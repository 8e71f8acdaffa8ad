terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60, < 7.0"
    }
  }

  # State holds the resources' IDs, not secrets, but keep it somewhere shared and versioned for
  # anything beyond a trial, e.g.:
  # backend "s3" {
  #   bucket       = "my-terraform-state"
  #   key          = "clicktrail/terraform.tfstate"
  #   region       = "eu-west-1"
  #   encrypt      = true
  #   use_lockfile = true
  # }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      project = "clicktrail"
      stack   = var.name
    }
  }
}
