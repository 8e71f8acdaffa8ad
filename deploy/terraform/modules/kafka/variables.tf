variable "name" {
  description = "Name prefix of the host, its volume and its security group."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.name))
    error_message = "name must be lower-case letters, digits and '-', starting with a letter, at most 31 characters."
  }
}

variable "vpc_id" {
  description = "VPC of the host."
  type        = string
}

variable "cluster" {
  description = "The brokers: \"single\", one host running Kafka and the sink (the cheap default; an acknowledged event is on one volume); \"three-az\", three such hosts in three availability zones (three replicas, two in sync); \"msk\", Amazon MSK's brokers in three zones, and one host running the sink. See README.md for what a 2xx guarantees with each."
  type        = string
  default     = "single"

  validation {
    condition     = contains(["single", "three-az", "msk"], var.cluster)
    error_message = "cluster must be \"single\", \"three-az\" or \"msk\"."
  }
}

variable "subnets" {
  description = "The private subnets, one per availability zone (the network module's private_subnets): the hosts go in the first one, or the first three; MSK's brokers in the first three."
  type = list(object({
    id                = string
    cidr_block        = string
    availability_zone = string
  }))

  validation {
    condition     = length(var.subnets) >= 1
    error_message = "subnets must hold at least one private subnet."
  }
}

variable "host_number" {
  description = "Each host's address within its subnet (cidrhost), fixed so that the brokers' addresses, which the Lambda function is configured with, survive a replacement of a host."
  type        = number
  default     = 10

  validation {
    condition     = var.host_number >= 4 && floor(var.host_number) == var.host_number
    error_message = "host_number must be a whole number of at least 4 (AWS reserves the first four addresses of a subnet)."
  }
}

variable "client_security_groups" {
  description = "Security groups allowed to reach Kafka on its client port, by a name of your choosing, e.g. { lambda = module.ingest.security_group_id }. No one else is."
  type        = map(string)

  validation {
    condition     = length(var.client_security_groups) > 0 && alltrue([for id in values(var.client_security_groups) : can(regex("^sg-[0-9a-f]+$", id))])
    error_message = "client_security_groups must map names to security group IDs (sg-…)."
  }
}

variable "s3_prefix_list_id" {
  description = "S3's prefix list (the network module's s3_prefix_list_id): the host's only egress is HTTPS to it, through the gateway endpoint."
  type        = string
}

variable "instance_profile_name" {
  description = "Instance profile of the host (the iam module's sink_instance_profile_name)."
  type        = string
}

variable "instance_type" {
  description = "EC2 instance type; x86-64, like the clicktrail bundle. t3.small (2 GiB) carries a blog's traffic."
  type        = string
  default     = "t3.small"

  validation {
    # Graviton families have a 'g' after the generation digit (t4g, m7g, c7gn); the bundle is x86-64.
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type)) && !can(regex("^[a-z]+[0-9]+[a-z]*g[a-z]*\\.", var.instance_type))
    error_message = "instance_type must be an x86-64 type such as t3.small or m7i.large: the clicktrail bundle is built for x86-64, not Graviton."
  }
}

variable "ami_id" {
  description = "AMI of the host. null: the newest Amazon Linux 2023 x86-64 at creation (later releases do not replace a running host)."
  type        = string
  default     = null
}

variable "root_volume_gb" {
  description = "Size of the root volume (system, Kafka and clicktrail software)."
  type        = number
  default     = 16

  validation {
    condition     = var.root_volume_gb >= 8 && var.root_volume_gb <= 1024
    error_message = "root_volume_gb must be from 8 to 1024."
  }
}

variable "data_volume_gb" {
  description = "Size of the volume holding Kafka's log (kept across replacements of the host). Kafka keeps retention_hours of events; the sink's copy in S3 is what lasts."
  type        = number
  default     = 20

  validation {
    condition     = var.data_volume_gb >= 1 && var.data_volume_gb <= 16384
    error_message = "data_volume_gb must be from 1 to 16384."
  }
}

variable "kms_key_arn" {
  description = "KMS key for the volumes. null: the account's default EBS key; they are encrypted either way."
  type        = string
  default     = null
}

variable "kafka_port" {
  description = "Port of Kafka's client listener."
  type        = number
  default     = 9092

  validation {
    condition     = var.kafka_port >= 1024 && var.kafka_port <= 65535 && var.kafka_port != 9093
    error_message = "kafka_port must be from 1024 to 65535, and not 9093 (the KRaft controllers')."
  }
}

variable "kafka_heap" {
  description = "Kafka's JVM heap (-Xms and -Xmx), e.g. \"512m\". Keep heap plus the sink's memory under the instance's."
  type        = string
  default     = "512m"

  validation {
    condition     = can(regex("^[0-9]+[mg]$", var.kafka_heap))
    error_message = "kafka_heap must be a JVM size such as \"512m\" or \"2g\"."
  }
}

variable "partitions" {
  description = "Partitions of the events topic: the most sinks that can share the work (one per host)."
  type        = number
  default     = 3

  validation {
    condition     = var.partitions >= 1 && var.partitions <= 1000 && floor(var.partitions) == var.partitions
    error_message = "partitions must be a whole number from 1 to 1000."
  }
}

variable "retention_hours" {
  description = "Hours Kafka keeps events, whether or not the sink has written them: how long the sink may be down without losing any."
  type        = number
  default     = 168

  validation {
    condition     = var.retention_hours >= 1 && floor(var.retention_hours) == var.retention_hours
    error_message = "retention_hours must be a whole number of at least 1."
  }
}

variable "kafka_topic" {
  description = "Topic of accepted events."
  type        = string
  default     = "clicktrail.events"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,249}$", var.kafka_topic))
    error_message = "kafka_topic must be a Kafka topic name: letters, digits, '.', '_' and '-'."
  }
}

variable "kafka_bad_topic" {
  description = "Topic of rejected input."
  type        = string
  default     = "clicktrail.bad"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,249}$", var.kafka_bad_topic))
    error_message = "kafka_bad_topic must be a Kafka topic name: letters, digits, '.', '_' and '-'."
  }
}

variable "bucket" {
  description = "Name of the data bucket: the sink's output and where the host's software is read from."
  type        = string
}

variable "sink_prefix" {
  description = "Key prefix the sink writes under (sink.output = s3://BUCKET/PREFIX); the iam module's sink_prefix."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9._=-]+(/[A-Za-z0-9._=-]+)*$", var.sink_prefix))
    error_message = "sink_prefix must be a non-empty key prefix without leading or trailing '/'."
  }
}

variable "glue_endpoint_security_group_ids" {
  description = "Security group of the network module's Glue endpoint (its glue_endpoint_security_group_ids: one, or none), for the sink's Iceberg commits to reach Glue (sink.glue_table); empty: no way to Glue."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.glue_endpoint_security_group_ids) <= 1
    error_message = "glue_endpoint_security_group_ids holds the one Glue endpoint's group, or nothing."
  }
}

variable "sink_settings" {
  description = "More settings for the sink as CLICKTRAIL_* environment variables, e.g. { CLICKTRAIL_SINK_MAX_AGE = \"10m\" } (docs/configuration.md)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.sink_settings) : can(regex("^CLICKTRAIL_[A-Z0-9_]+$", k))])
    error_message = "sink_settings keys must be CLICKTRAIL_<SECTION>_<KEY> variables."
  }
}

variable "artifacts_prefix" {
  description = "Key prefix, in the bucket, that this module uploads the host's software to (the iam module's artifacts_prefix, read-only for the host)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9._=-]+(/[A-Za-z0-9._=-]+)*$", var.artifacts_prefix))
    error_message = "artifacts_prefix must be a non-empty key prefix without leading or trailing '/'."
  }
}

variable "kafka_archive" {
  description = "Local path of Apache Kafka's binary release (kafka_2.13-3.9.x.tgz), uploaded to the bucket for the host: the private subnet has no way to the Internet."
  type        = string

  validation {
    condition     = can(regex("kafka_[0-9.]+-[0-9.]+\\.tgz$", var.kafka_archive))
    error_message = "kafka_archive must be the path of a Kafka binary release, kafka_<scala>-<version>.tgz."
  }
}

variable "clicktrail_bundle" {
  description = "Local path of the clicktrail bundle: a .tar.gz of bin/clicktrail and lib/ (the /var/task of the Lambda image; see the example's README)."
  type        = string

  validation {
    condition     = endswith(var.clicktrail_bundle, ".tar.gz") || endswith(var.clicktrail_bundle, ".tgz")
    error_message = "clicktrail_bundle must be the path of a .tar.gz (or .tgz) file."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "msk_kafka_version" {
  description = "Kafka version of the MSK cluster (cluster = \"msk\"); `aws kafka list-kafka-versions` lists those MSK offers."
  type        = string
  default     = "3.9.x"
}

variable "msk_instance_type" {
  description = "Broker instance type of the MSK cluster (cluster = \"msk\"), e.g. kafka.t3.small (the cheapest) or kafka.m7g.large."
  type        = string
  default     = "kafka.t3.small"

  validation {
    condition     = startswith(var.msk_instance_type, "kafka.")
    error_message = "msk_instance_type must be an MSK broker type, such as kafka.t3.small."
  }
}

variable "msk_log_retention_days" {
  description = "Days CloudWatch keeps the MSK brokers' logs (cluster = \"msk\")."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.msk_log_retention_days)
    error_message = "msk_log_retention_days must be a retention CloudWatch Logs offers: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace each host puts its sink's lag into every minute (SinkLagRecords, dimension Deployment = name), for the alarms module's sink-lag alarm; it needs the network module's monitoring endpoint (its metrics_namespace) and the iam module's grant (its metrics_namespace). null: no timer. Part of the hosts' setup: changing it replaces them."
  type        = string
  default     = null

  validation {
    condition     = var.metrics_namespace == null || (can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.metrics_namespace)) && !startswith(coalesce(var.metrics_namespace, "-"), "AWS/"))
    error_message = "metrics_namespace must be a CloudWatch namespace (letters, digits, '.', '_', '-', '/', '#', ':'), not one of AWS's (AWS/…)."
  }
}

variable "endpoint_security_group_ids" {
  description = "Security group of the network module's Session Manager and CloudWatch endpoints (its endpoint_security_group_ids: one, or none), for the sink-lag timer and Session Manager's agent to reach them; empty: no way to them."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.endpoint_security_group_ids) <= 1
    error_message = "endpoint_security_group_ids holds the one endpoints' group, or nothing."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key to encrypt the MSK brokers' log group with (cluster = \"msk\"; its key policy must let CloudWatch Logs use it). null: CloudWatch Logs' own encryption."
  type        = string
  default     = null
}
