variable "name" {
  description = "Name of the function, its ECR repository, HTTP API and log groups."
  type        = string

  validation {
    # ECR wants lower case; Lambda allows at most 64 characters.
    condition     = can(regex("^[a-z][a-z0-9-]{0,47}$", var.name))
    error_message = "name must be lower-case letters, digits and '-', starting with a letter, at most 48 characters."
  }
}

variable "vpc_id" {
  description = "VPC of the function's network interfaces (and of Kafka)."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the function's network interfaces; two zones or more keep it up when one fails."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "subnet_ids must name at least one subnet."
  }
}

variable "kafka_brokers" {
  description = "Kafka bootstrap servers, host:port each (CLICKTRAIL_KAFKA_BROKERS)."
  type        = list(string)

  validation {
    condition     = length(var.kafka_brokers) > 0 && alltrue([for b in var.kafka_brokers : can(regex("^[A-Za-z0-9.-]+:[0-9]{1,5}$", b))])
    error_message = "kafka_brokers must list host:port addresses, e.g. [\"10.42.128.10:9092\"]."
  }
}

variable "kafka_security_group_id" {
  description = "Security group of the Kafka brokers: the function's only egress is to it, on kafka_port."
  type        = string
}

variable "kafka_port" {
  description = "Port of Kafka's client listener."
  type        = number
  default     = 9092

  validation {
    condition     = var.kafka_port >= 1 && var.kafka_port <= 65535
    error_message = "kafka_port must be a TCP port number."
  }
}

variable "kafka_topic" {
  description = "Topic accepted events go to (CLICKTRAIL_KAFKA_TOPIC)."
  type        = string
  default     = "clicktrail.events"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,249}$", var.kafka_topic))
    error_message = "kafka_topic must be a Kafka topic name: letters, digits, '.', '_' and '-'."
  }
}

variable "kafka_bad_topic" {
  description = "Topic rejected input goes to (CLICKTRAIL_KAFKA_BAD_TOPIC)."
  type        = string
  default     = "clicktrail.bad"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,249}$", var.kafka_bad_topic))
    error_message = "kafka_bad_topic must be a Kafka topic name: letters, digits, '.', '_' and '-'."
  }
}

variable "sites" {
  description = "Site keys and the origins allowed to send events for each (CORS), e.g. { blog = [\"https://me.github.io\"] }. The function answers CORS from this list (CLICKTRAIL_SITES)."
  type        = map(list(string))

  validation {
    condition     = length(var.sites) > 0 && alltrue([for key, origins in var.sites : can(regex("^[A-Za-z0-9._-]{1,64}$", key)) && length(origins) > 0])
    error_message = "sites must have at least one key (letters, digits, '.', '_', '-', at most 64) with at least one origin each."
  }

  validation {
    # scheme://host[:port], no path and no trailing slash: browsers send Origin exactly so.
    # "*" (any origin) is allowed, but must be written out.
    condition = alltrue(flatten([for origins in values(var.sites) : [
      for o in origins : o == "*" || can(regex("^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$", o))
    ]]))
    error_message = "Every origin must be scheme://host[:port] without a path or trailing '/', e.g. \"https://me.github.io\", or \"*\"."
  }
}

variable "image_tag" {
  description = "Tag of the function's image in the ECR repository. Tags are immutable: push each build under a new tag (a version or commit) and change this to deploy it."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))
    error_message = "image_tag must be a Docker tag: letters, digits, '_', '.' and '-', at most 128."
  }
}

variable "lambda_role_arn" {
  description = "Execution role of the function (the iam module's lambda_role_arn)."
  type        = string
}

variable "memory_mb" {
  description = "Memory of the function; Lambda gives CPU in proportion to it."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_mb >= 128 && var.memory_mb <= 10240
    error_message = "memory_mb must be from 128 to 10240."
  }
}

variable "produce_timeout_seconds" {
  description = "How long a request waits for its events to be durable in Kafka before answering 503 (CLICKTRAIL_INGEST_PRODUCE_TIMEOUT). Above Kafka's failover time (about 10 s): a 503 answered while a partition has no leader makes the tracker retry records that may still land, and they are stored twice."
  type        = number
  default     = 15

  validation {
    condition     = var.produce_timeout_seconds >= 1 && var.produce_timeout_seconds <= 25 && floor(var.produce_timeout_seconds) == var.produce_timeout_seconds
    error_message = "produce_timeout_seconds must be a whole number from 1 to 25."
  }
}

variable "timeout_seconds" {
  description = "Lambda timeout. Above produce_timeout_seconds, so that the function answers 503 itself rather than being cut off; at most 29, so that API Gateway (30 s at most) never answers first."
  type        = number
  default     = 20

  validation {
    condition     = var.timeout_seconds >= 2 && var.timeout_seconds <= 29 && floor(var.timeout_seconds) == var.timeout_seconds
    error_message = "timeout_seconds must be a whole number from 2 to 29 (and more than produce_timeout_seconds, which the function checks)."
  }
}

variable "reserved_concurrency" {
  description = "Most instances of the function at once (Lambda's reserved concurrency), a ceiling on cost and on connections to Kafka. null: the account's unreserved pool."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrency == null || try(var.reserved_concurrency >= 1, false)
    error_message = "reserved_concurrency must be null or at least 1."
  }
}

variable "throttling_rate_limit" {
  description = "Requests per second the HTTP API passes on (steady rate); more get 429 from API Gateway."
  type        = number
  default     = 50

  validation {
    condition     = var.throttling_rate_limit > 0
    error_message = "throttling_rate_limit must be positive."
  }
}

variable "throttling_burst_limit" {
  description = "Requests the HTTP API passes on in a burst above the steady rate."
  type        = number
  default     = 100

  validation {
    condition     = var.throttling_burst_limit >= 1 && floor(var.throttling_burst_limit) == var.throttling_burst_limit
    error_message = "throttling_burst_limit must be a whole number of at least 1."
  }
}

variable "log_retention_days" {
  description = "Days the function's logs and the API's access logs are kept."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch Logs' values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key to encrypt the log groups with (its key policy must let CloudWatch Logs use it). null: CloudWatch Logs' own encryption."
  type        = string
  default     = null
}

variable "extra_environment" {
  description = "More CLICKTRAIL_* settings for the function, e.g. { CLICKTRAIL_LOG_LEVEL = \"warn\" } (docs/configuration.md). The ones this module sets win."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.extra_environment) : can(regex("^CLICKTRAIL_[A-Z0-9_]+$", k))])
    error_message = "extra_environment keys must be CLICKTRAIL_<SECTION>_<KEY> variables."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
