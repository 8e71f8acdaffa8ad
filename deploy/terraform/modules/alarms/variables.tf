variable "name" {
  description = "Name prefix of the alarms, the topic and its key (NAME-api-5xx, NAME-alarms, …)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.name))
    error_message = "name must be lower-case letters, digits and '-', starting with a letter, at most 31 characters."
  }
}

variable "api_id" {
  description = "ID of the HTTP API (the ingest module's api_id): the ApiId dimension of its 5xx and Count metrics."
  type        = string
}

variable "function_name" {
  description = "Name of the Lambda function (the ingest module's function_name)."
  type        = string
}

variable "metrics_namespace" {
  description = "CloudWatch namespace the Kafka hosts put the sink's lag into (the kafka module's metrics_namespace). null: no sink-lag alarm."
  type        = string
  default     = null
}

variable "deployment" {
  description = "The Deployment dimension the hosts put the sink's lag under: the kafka module's name. Needed with metrics_namespace."
  type        = string
  default     = null
}

variable "api_5xx_rate" {
  description = "Share of the API's requests answered 5xx (0.05: 5%) above which, in two of three 5-minute periods, the api-5xx alarm fires."
  type        = number
  default     = 0.05

  validation {
    condition     = var.api_5xx_rate > 0 && var.api_5xx_rate < 1
    error_message = "api_5xx_rate must be a share between 0 and 1 (exclusive), e.g. 0.05 for 5%."
  }
}

variable "lambda_errors" {
  description = "Function errors (crashes, timeouts) in 5 minutes above which the lambda-errors alarm fires; 0: any."
  type        = number
  default     = 0

  validation {
    condition     = var.lambda_errors >= 0
    error_message = "lambda_errors must be 0 or more."
  }
}

variable "lambda_throttles" {
  description = "Throttled invocations in 5 minutes above which the lambda-throttles alarm fires; 0: any."
  type        = number
  default     = 0

  validation {
    condition     = var.lambda_throttles >= 0
    error_message = "lambda_throttles must be 0 or more."
  }
}

variable "sink_lag_records" {
  description = "Records not yet consumed (the worst host's sum over its partitions) above which, for sink_lag_minutes, the sink-lag alarm fires. The sink keeps up within seconds when it runs; a blog's traffic takes hours to pile up 10 000."
  type        = number
  default     = 10000

  validation {
    condition     = var.sink_lag_records >= 0
    error_message = "sink_lag_records must be 0 or more."
  }
}

variable "sink_lag_minutes" {
  description = "Minutes the lag must stay above sink_lag_records, or go unreported, before the sink-lag alarm fires: a multiple of 5, well under Kafka's retention. Long enough for a replaced host to boot (about 5 minutes)."
  type        = number
  default     = 15

  validation {
    condition     = var.sink_lag_minutes >= 5 && var.sink_lag_minutes <= 1440 && var.sink_lag_minutes % 5 == 0
    error_message = "sink_lag_minutes must be a multiple of 5, from 5 to 1440."
  }
}

variable "topic_arns" {
  description = "SNS topics the alarms notify, e.g. an existing on-call topic (encrypted with a key CloudWatch may use, or not at all). Empty: this module makes one, KMS-encrypted."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.topic_arns : can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", arn))])
    error_message = "topic_arns must list SNS topic ARNs (arn:aws:sns:REGION:ACCOUNT:NAME)."
  }
}

variable "topic_kms_key_arn" {
  description = "KMS key for the topic this module makes; its key policy must let cloudwatch.amazonaws.com call kms:GenerateDataKey and kms:Decrypt. null: a key of the module's own (US$1 a month), whose policy does."
  type        = string
  default     = null

  validation {
    condition     = var.topic_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]{36}$", var.topic_kms_key_arn))
    error_message = "topic_kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/UUID), not an alias: alias/aws/sns in particular cannot be used by CloudWatch."
  }
}

variable "email_addresses" {
  description = "Addresses subscribed to the module's topic (each confirms by the link SNS mails it). Ignored with topic_arns."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", a))])
    error_message = "email_addresses must be e-mail addresses."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "sink_hosts" {
  description = "IDs of the hosts whose sinks report the lag: the sink-lag alarm is made once they exist, as it counts missing data as breaching."
  type        = list(string)
  default     = []
}
