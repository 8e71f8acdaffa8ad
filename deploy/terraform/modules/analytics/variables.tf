variable "name" {
  description = "Name of the Glue database and prefix of the Athena workgroup (lower case, digits, '_')."
  type        = string
  default     = "clicktrail"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,63}$", var.name))
    error_message = "name must be lower-case letters, digits and '_', starting with a letter, at most 64 (Athena's identifier rules)."
  }
}

variable "bucket" {
  description = "Name of the data bucket."
  type        = string
}

variable "sink_prefix" {
  description = "Key prefix the sink writes under (sink.output = s3://BUCKET/PREFIX): the table reads PREFIX/events/."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9._=-]+(/[A-Za-z0-9._=-]+)*$", var.sink_prefix))
    error_message = "sink_prefix must be a non-empty key prefix without leading or trailing '/'."
  }
}

variable "table" {
  description = "What the sink writes, as its sink.table: \"files\" (Hive-partitioned Parquet under PREFIX/events/) or \"iceberg\" (an Iceberg table at PREFIX, which the sink points the Glue table at; set its sink.glue_table to this module's glue_table output)."
  type        = string
  default     = "files"

  validation {
    condition     = contains(["files", "iceberg"], var.table)
    error_message = "table must be \"files\" or \"iceberg\", the sink's sink.table."
  }
}

variable "results_prefix" {
  description = "Key prefix of Athena's query results in the bucket; give the bucket module an expiry for it."
  type        = string
  default     = "athena-results"

  validation {
    condition     = can(regex("^[A-Za-z0-9._=-]+(/[A-Za-z0-9._=-]+)*$", var.results_prefix))
    error_message = "results_prefix must be a non-empty key prefix without leading or trailing '/'."
  }
}

variable "first_year" {
  description = "First year of the events' partitions (partition projection enumerates the years first_year … first_year + 10)."
  type        = number
  default     = 2025

  validation {
    condition     = var.first_year >= 2000 && var.first_year <= 2200 && floor(var.first_year) == var.first_year
    error_message = "first_year must be a whole year from 2000 to 2200."
  }
}

variable "kms_key_arn" {
  description = "KMS key of the bucket (null for S3-managed keys): Athena encrypts its results with it too."
  type        = string
  default     = null
}

variable "bytes_scanned_cutoff" {
  description = "Bytes one query may scan before Athena cancels it: a ceiling on the cost of a mistaken query (Athena bills per byte scanned)."
  type        = number
  default     = 10737418240

  validation {
    condition     = var.bytes_scanned_cutoff >= 10485760
    error_message = "bytes_scanned_cutoff must be at least 10 MiB (10485760), Athena's minimum."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
