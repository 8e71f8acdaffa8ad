variable "region" {
  description = "AWS region of the whole deployment, e.g. eu-west-1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "name" {
  description = "Name of the deployment: prefix of every resource's name."
  type        = string
  default     = "clicktrail"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,23}$", var.name))
    error_message = "name must be lower-case letters, digits and '-', starting with a letter, at most 24 characters."
  }
}

variable "bucket_name" {
  description = "Name of the S3 bucket for the events (globally unique), e.g. \"myblog-clicktrail-data\"."
  type        = string
}

variable "site_key" {
  description = "The site key the tracker sends (data-site)."
  type        = string
  default     = "blog"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,64}$", var.site_key))
    error_message = "site_key must be letters, digits, '.', '_' and '-', at most 64."
  }
}

variable "site_origins" {
  description = "Origins of the pages that carry the tracker, e.g. [\"https://me.github.io\"] for GitHub Pages (a custom domain is its own origin)."
  type        = list(string)

  validation {
    # HTTPS only, but for a local preview of the site (http://localhost:4000, Jekyll's).
    condition = length(var.site_origins) > 0 && alltrue([
      for o in var.site_origins : can(regex("^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?$", o)) || can(regex("^http://(localhost|127\\.0\\.0\\.1)(:[0-9]{1,5})?$", o))
    ])
    error_message = "site_origins must be https://host[:port] origins without a path or trailing '/' (http:// only for localhost)."
  }
}

variable "image_tag" {
  description = "Tag of the Lambda image pushed to the ECR repository (immutable: a new build gets a new tag)."
  type        = string
}

variable "kafka_archive" {
  description = "Local path of Kafka's binary release, e.g. \"downloads/kafka_2.13-3.9.1.tgz\" (see README.md)."
  type        = string
}

variable "clicktrail_bundle" {
  description = "Local path of the clicktrail bundle taken from the Lambda image, e.g. \"downloads/clicktrail-bundle.tar.gz\" (see README.md)."
  type        = string
}

variable "kafka_cluster" {
  description = "Kafka's brokers: \"single\" (one host, the cheap default), \"three-az\" (three hosts in three zones) or \"msk\" (Amazon MSK). README.md says what a 2xx guarantees with each."
  type        = string
  default     = "single"

  validation {
    condition     = contains(["single", "three-az", "msk"], var.kafka_cluster)
    error_message = "kafka_cluster must be \"single\", \"three-az\" or \"msk\" (../../modules/kafka/README.md compares them)."
  }
}

variable "kafka_instance_type" {
  description = "Instance type of the Kafka hosts (x86-64)."
  type        = string
  default     = "t3.small"
}

variable "kms_key_arn" {
  description = "KMS key for the bucket and the volumes. null: AWS-managed encryption (no key to pay for or manage)."
  type        = string
  default     = null
}

variable "enable_analytics" {
  description = "Create the Glue table and Athena workgroup for SQL over the events."
  type        = bool
  default     = true
}

variable "table" {
  description = "What the sink writes (its sink.table): \"files\", Hive-partitioned Parquet under clicktrail/events/, or \"iceberg\", an Iceberg table at clicktrail/ whose commits the sink publishes to the Glue table Athena reads (docs/iceberg.md)."
  type        = string
  default     = "files"

  validation {
    condition     = contains(["files", "iceberg"], var.table)
    error_message = "table must be \"files\" or \"iceberg\"."
  }
}

variable "log_retention_days" {
  description = "Days the Lambda function's and the API's logs are kept."
  type        = number
  default     = 30
}

variable "throttling_rate_limit" {
  description = "Requests per second the API passes on; more get 429."
  type        = number
  default     = 50
}

variable "throttling_burst_limit" {
  description = "Requests the API passes on in a burst."
  type        = number
  default     = 100
}

variable "enable_alarms" {
  description = "CloudWatch alarms on the API's 5xx rate, the function's errors and throttles, and the sink falling behind or going silent, to an encrypted SNS topic. The sink's lag reaches CloudWatch through an interface endpoint (about US$7 a month per availability zone). Turning it on or off replaces the Kafka hosts (their timer is part of their setup)."
  type        = bool
  default     = true
}

variable "alarm_emails" {
  description = "Addresses that get the alarms (each confirms the subscription by the link SNS mails it first)."
  type        = list(string)
  default     = []
}

variable "enable_ssm" {
  description = "A shell on the Kafka hosts through Session Manager (aws ssm start-session), still without SSH or any open port: three interface endpoints (about US$22 a month per availability zone) and the agent's permissions. Off by default: turn it on when you need a session; it replaces no host."
  type        = bool
  default     = false
}
