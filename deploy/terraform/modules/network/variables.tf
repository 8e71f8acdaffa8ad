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

variable "ssm_endpoints" {
  description = "Make interface endpoints for Session Manager (ssm, ssmmessages, ec2messages) in the private subnets, so that an operator can open a shell on the Kafka hosts with `aws ssm start-session` without SSH (their role needs the agent's permissions too: the iam module's ssm_sessions). Three endpoints, billed by the hour and zone."
  type        = bool
  default     = false
}

variable "metrics_namespace" {
  description = "CloudWatch namespace the hosts put metrics into (the sink's lag; the kafka module's metrics_namespace), or null. When set, the private subnets get an interface endpoint to CloudWatch's metrics API (monitoring) whose policy passes PutMetricData into this namespace, by this account, and nothing else."
  type        = string
  default     = null

  validation {
    condition     = var.metrics_namespace == null || (can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.metrics_namespace)) && !startswith(coalesce(var.metrics_namespace, "-"), "AWS/"))
    error_message = "metrics_namespace must be a CloudWatch namespace (letters, digits, '.', '_', '-', '/', '#', ':'), not one of AWS's (AWS/…)."
  }
}

variable "endpoint_client_security_groups" {
  description = "Security groups allowed to reach the Session Manager and CloudWatch endpoints on 443, by a name of your choosing, e.g. { kafka_hosts = module.kafka.host_security_group_id }. No one else is. Needed when ssm_endpoints or metrics_namespace is set."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for id in values(var.endpoint_client_security_groups) : can(regex("^sg-[0-9a-f]+$", id))])
    error_message = "endpoint_client_security_groups must map names to security group IDs (sg-…)."
  }
}

variable "flow_log_traffic_type" {
  description = "What the VPC's flow log records: \"ALL\" (every connection, accepted or refused: what a host talked to), \"REJECT\" (only what security groups and network ACLs refused; less to store) or \"ACCEPT\"."
  type        = string
  default     = "ALL"

  validation {
    condition     = contains(["ALL", "REJECT", "ACCEPT"], var.flow_log_traffic_type)
    error_message = "flow_log_traffic_type must be \"ALL\", \"REJECT\" or \"ACCEPT\"."
  }
}

variable "flow_log_retention_days" {
  description = "Days the VPC's flow log records are kept in CloudWatch Logs."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be one of CloudWatch Logs' values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "flow_log_kms_key_arn" {
  description = "KMS key to encrypt the flow log's log group with (its key policy must let CloudWatch Logs use it). null: CloudWatch Logs' own encryption."
  type        = string
  default     = null

  validation {
    condition     = var.flow_log_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]{36}$", var.flow_log_kms_key_arn))
    error_message = "flow_log_kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/UUID), not an alias."
  }
}
