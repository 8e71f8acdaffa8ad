variable "name" {
  description = "Name prefix of the roles: NAME-sink and NAME-lambda."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9+=,.@_-]{0,50}$", var.name))
    error_message = "name must start with a letter and use at most 51 of IAM's name characters."
  }
}

variable "bucket_arn" {
  description = "ARN of the bucket the sink writes to."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_arn))
    error_message = "bucket_arn must be a bucket ARN (arn:aws:s3:::NAME), without wildcards."
  }
}

variable "sink_prefix" {
  description = "Key prefix the sink owns (its sink.output is s3://BUCKET/PREFIX); it may write, read, list and delete nothing else."
  type        = string

  validation {
    # Not empty: an empty prefix would be the whole bucket. No wildcards: IAM would expand them.
    condition     = can(regex("^[A-Za-z0-9._=-]+(/[A-Za-z0-9._=-]+)*$", var.sink_prefix))
    error_message = "sink_prefix must be a non-empty key prefix without leading or trailing '/' and without '*' or '?', e.g. \"clicktrail\"."
  }
}

variable "artifacts_prefix" {
  description = "Key prefix the Kafka host reads its software from at boot (read-only for it)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9._=-]+(/[A-Za-z0-9._=-]+)*$", var.artifacts_prefix))
    error_message = "artifacts_prefix must be a non-empty key prefix without leading or trailing '/' and without '*' or '?'."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the bucket (null for S3-managed keys); the sink may use it only through S3."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]{36}$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/UUID), not an alias."
  }
}

variable "glue_table" {
  description = "\"database.table\" of the Glue table the sink points at its Iceberg table's commits (its sink.glue_table; the analytics module's glue_table output), or null when it has none."
  type        = string
  default     = null

  validation {
    condition     = var.glue_table == null || can(regex("^[a-z0-9_]{1,255}\\.[a-z0-9_]{1,255}$", var.glue_table))
    error_message = "glue_table must be \"database.table\", each lower-case letters, digits and '_' (Glue's names), without wildcards."
  }
}

variable "lambda_log_group_arn" {
  description = "ARN of the Lambda function's log group (created beforehand, with its retention); the function may write to it and to no other."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:logs:[a-z0-9-]+:[0-9]{12}:log-group:[^*]+$", var.lambda_log_group_arn))
    error_message = "lambda_log_group_arn must be a log group ARN without wildcards and without a trailing ':*'."
  }
}

variable "lambda_subnet_ids" {
  description = "Subnets the Lambda function's network interfaces go in."
  type        = list(string)

  validation {
    condition     = length(var.lambda_subnet_ids) > 0
    error_message = "lambda_subnet_ids must name at least one subnet."
  }
}

variable "lambda_security_group_ids" {
  description = "Security groups of the Lambda function's network interfaces."
  type        = list(string)

  validation {
    condition     = length(var.lambda_security_group_ids) > 0
    error_message = "lambda_security_group_ids must name at least one security group."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "ssm_sessions" {
  description = "Let Session Manager's agent on the Kafka hosts register and open sessions (its heartbeat and message channels; nothing of AmazonSSMManagedInstanceCore's documents, inventory or patching), so that an operator can open a shell with `aws ssm start-session` instead of SSH. The hosts reach Session Manager through the network module's ssm_endpoints."
  type        = bool
  default     = false
}

variable "metrics_namespace" {
  description = "CloudWatch namespace the Kafka hosts may put metrics into (the sink's lag; the kafka module's metrics_namespace), and no other; null: none."
  type        = string
  default     = null

  validation {
    condition     = var.metrics_namespace == null || (can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.metrics_namespace)) && !startswith(coalesce(var.metrics_namespace, "-"), "AWS/"))
    error_message = "metrics_namespace must be a CloudWatch namespace (letters, digits, '.', '_', '-', '/', '#', ':'), not one of AWS's (AWS/…)."
  }
}
