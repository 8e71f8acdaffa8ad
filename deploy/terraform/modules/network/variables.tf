variable "name" {
  description = "Name prefix of every resource (and their Name tag)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.name))
    error_message = "name must be lower-case letters, digits and '-', starting with a letter, at most 31 characters."
  }
}

variable "cidr_block" {
  description = "IPv4 range of the VPC, /16 to /24. Its first half holds the public subnets, its second the private ones."
  type        = string
  default     = "10.42.0.0/16"

  validation {
    condition = (
      can(cidrhost(var.cidr_block, 0)) &&
      tonumber(split("/", var.cidr_block)[1]) >= 16 &&
      tonumber(split("/", var.cidr_block)[1]) <= 24
    )
    error_message = "cidr_block must be an IPv4 CIDR range from /16 to /24, e.g. 10.42.0.0/16."
  }
}

variable "az_count" {
  description = "Availability zones to spread the subnets over. Lambda keeps running when one zone fails if it has subnets in two."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 1 && var.az_count <= 4 && floor(var.az_count) == var.az_count
    error_message = "az_count must be a whole number from 1 to 4."
  }
}

variable "s3_bucket_arns" {
  description = "ARNs of the buckets that hosts in the private subnets may reach through the S3 gateway endpoint (the data bucket). Every other bucket is out of reach."
  type        = list(string)

  validation {
    condition     = length(var.s3_bucket_arns) > 0 && alltrue([for arn in var.s3_bucket_arns : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", arn))])
    error_message = "s3_bucket_arns must list at least one bucket ARN (arn:aws:s3:::NAME), without wildcards or object paths."
  }
}

variable "allow_amazon_linux_repositories" {
  description = "Let the private subnets read Amazon Linux 2023's package repositories, which AWS serves from S3, so the Kafka host can install Java with dnf without any Internet route."
  type        = bool
  default     = true
}

variable "glue_table" {
  description = "\"database.table\" of the Glue table the sink points at its Iceberg commits (its sink.glue_table), or null. When set, the private subnets get an interface endpoint to Glue that passes GetTable and UpdateTable on that table only (an endpoint is billed by the hour)."
  type        = string
  default     = null

  validation {
    condition     = var.glue_table == null || can(regex("^[a-z0-9_]{1,255}\\.[a-z0-9_]{1,255}$", var.glue_table))
    error_message = "glue_table must be \"database.table\", each lower-case letters, digits and '_' (Glue's names), without wildcards."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
