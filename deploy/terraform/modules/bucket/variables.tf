variable "name" {
  description = "Name of the bucket (globally unique in S3)."
  type        = string

  validation {
    # S3's naming rules, less the dotted names: virtual-hosted TLS does not cover them.
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.name)) && !strcontains(var.name, "--")
    error_message = "name must be 3 to 63 lower-case letters, digits and single '-', starting and ending with a letter or digit (no dots: TLS to dotted bucket names fails)."
  }
}

variable "kms_key_arn" {
  description = "ARN of a KMS key to encrypt objects with (SSE-KMS, with an S3 bucket key to keep KMS requests few). null: S3-managed keys (SSE-S3), which cost nothing."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]{36}$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/UUID), not an alias."
  }
}

variable "tiered_prefixes" {
  description = "Key prefixes (ending in '/') whose objects move to cheaper storage classes as they age: the sink's data, e.g. [\"clicktrail/events/\", \"clicktrail/bad/\"]. Other keys stay in S3 Standard."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for p in var.tiered_prefixes : can(regex("^[A-Za-z0-9._=-]+(/[A-Za-z0-9._=-]+)*/$", p))])
    error_message = "Every tiered prefix must be a key prefix ending in '/', such as \"clicktrail/events/\", without wildcards."
  }
}

variable "infrequent_access_after_days" {
  description = "Days after which tiered objects move to S3 Standard-IA (S3 requires at least 30)."
  type        = number
  default     = 30

  validation {
    condition     = var.infrequent_access_after_days >= 30
    error_message = "infrequent_access_after_days must be at least 30: S3 refuses an earlier move to Standard-IA."
  }
}

variable "archive_after_days" {
  description = "Days after which tiered objects move to S3 Glacier Instant Retrieval, which Athena and DuckDB still read directly (unlike Glacier Flexible Retrieval). null: never."
  type        = number
  default     = 180

  validation {
    condition     = var.archive_after_days == null || try(var.archive_after_days >= 60, false)
    error_message = "archive_after_days must be null or at least 60 (and more than infrequent_access_after_days + 30, which the bucket checks)."
  }
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted object's old version is kept before it expires. Versioning protects against mistakes and a compromised writer; this keeps its cost bounded."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_days >= 1 && var.noncurrent_version_days <= 3650
    error_message = "noncurrent_version_days must be from 1 to 3650."
  }
}

variable "abort_incomplete_upload_days" {
  description = "Days after which S3 aborts a multipart upload that was never completed, so its parts stop being billed. The sink aborts its own on recovery; this catches what a lost host leaves. Keep it above sink.max_age."
  type        = number
  default     = 7

  validation {
    condition     = var.abort_incomplete_upload_days >= 2 && var.abort_incomplete_upload_days <= 365
    error_message = "abort_incomplete_upload_days must be from 2 to 365 (1 could cut off a file the sink keeps open for sink.max_age up to 24h)."
  }
}

variable "expiring_prefixes" {
  description = "Key prefixes (ending in '/') whose objects are deleted after the given number of days, e.g. { \"athena-results/\" = 30 }."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for p, days in var.expiring_prefixes : can(regex("^[A-Za-z0-9._=-]+(/[A-Za-z0-9._=-]+)*/$", p)) && days >= 1])
    error_message = "expiring_prefixes maps key prefixes ending in '/' to a number of days of at least 1."
  }
}

variable "force_destroy" {
  description = "Let `destroy` delete the bucket with objects in it. Off: deleting the collected data should take a deliberate step."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
