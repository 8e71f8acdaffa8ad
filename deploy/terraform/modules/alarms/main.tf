# CloudWatch alarms on what stops events on their way to S3, each notifying an SNS topic:
#
# - api_5xx: the share of the HTTP API's requests answered 5xx. The function answers 503 when
#   Kafka does not take an event in time, so this is the alarm of a broker that is down.
# - lambda_errors, lambda_throttles: the function failing (a crash, a timeout), or refused for
#   want of concurrency (its reserved_concurrency, or the account's).
# - sink_lag: records in Kafka that no sink has consumed, as the hosts put it into CloudWatch
#   every minute (the kafka module's clicktrail-sink-lag.timer). A sink that is down or cannot
#   reach CloudWatch sends nothing, and missing data counts as breaching: the alarm fires for a
#   dead sink as for a stuck one, before Kafka's retention deletes what it missed. (Of three
#   hosts, the others' sinks take over a lost one's partitions and keep reporting.)
#
# The topic is this module's unless topic_arns names others: encrypted with a KMS key whose policy
# lets CloudWatch use it (an AWS-managed key, alias/aws/sns, cannot: CloudWatch's notifications to
# a topic encrypted with it are dropped).

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

locals {
  tags = merge(var.tags, { module = "clicktrail/alarms" })
  # A list whose length is known when planning, even when the given ARNs are not yet.
  make_topic = length(var.topic_arns) == 0
  make_key   = local.make_topic && var.topic_kms_key_arn == null
  topics     = local.make_topic ? aws_sns_topic.alarms[*].arn : var.topic_arns
  # Five-minute periods: API Gateway's and Lambda's metrics arrive by the minute, and a blog's
  # traffic is too sparse for shorter ones to mean much.
  period = 300
  # For the description; formatted outside its string, which checkov's HCL parser cannot read
  # with quotes inside an interpolation.
  api_5xx_percent = format("%.4g", var.api_5xx_rate * 100)
}

# ---- the topic ---------------------------------------------------------------------------------

resource "aws_kms_key" "alarms" {
  count               = local.make_key ? 1 : 0
  description         = "clicktrail ${var.name}: the alarms' SNS topic"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.alarms_key[0].json
  tags                = local.tags
}

# In a key policy, Resource "*" is the key itself. The account's IAM policies decide who of it may
# manage and use the key (the statement for the account's root delegates to them); CloudWatch may
# encrypt what it publishes to the topic, which the topic's own policy limits to this account.
data "aws_iam_policy_document" "alarms_key" {
  count = local.make_key ? 1 : 0
  statement {
    sid    = "TheAccountManagesAndUsesTheKey"
    effect = "Allow"
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
    actions = [
      "kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:GetKeyRotationStatus",
      "kms:EnableKeyRotation", "kms:DisableKeyRotation", "kms:ListResourceTags", "kms:TagResource",
      "kms:UntagResource", "kms:UpdateKeyDescription", "kms:EnableKey", "kms:DisableKey",
      "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
      # Publishing a test message (aws sns publish) and reading it back.
      "kms:GenerateDataKey", "kms:Decrypt",
    ]
    resources = ["*"]
  }

  statement {
    sid    = "CloudWatchPublishesAlarms"
    effect = "Allow"
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"]
  }
}

resource "aws_sns_topic" "alarms" {
  count             = local.make_topic ? 1 : 0
  name              = "${var.name}-alarms"
  kms_master_key_id = local.make_key ? aws_kms_key.alarms[0].arn : var.topic_kms_key_arn
  tags              = local.tags
}

# Each address gets a message asking to confirm; until then, it gets nothing.
resource "aws_sns_topic_subscription" "email" {
  for_each  = local.make_topic ? toset(var.email_addresses) : toset([])
  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = each.value
}

# ---- the HTTP API ------------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "api_5xx" {
  alarm_name          = "${var.name}-api-5xx"
  alarm_description   = "More than ${local.api_5xx_percent}% of the HTTP API's requests answered 5xx in two of three 5-minute periods. 503: Kafka did not take the events in time (is the broker up?); 500: the function failed (its log group)."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.api_5xx_rate
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  # No requests, no rate: a quiet hour is not an outage.
  treat_missing_data = "notBreaching"
  alarm_actions      = local.topics
  ok_actions         = local.topics
  tags               = local.tags

  metric_query {
    id          = "rate"
    label       = "Share of requests answered 5xx"
    expression  = "IF(requests > 0, FILL(errors, 0) / requests, 0)"
    return_data = true
  }

  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "5xx"
      dimensions  = { ApiId = var.api_id }
      period      = local.period
      stat        = "Sum"
    }
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "Count"
      dimensions  = { ApiId = var.api_id }
      period      = local.period
      stat        = "Sum"
    }
  }
}

# ---- the Lambda function -----------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  alarm_name          = "${var.name}-lambda-errors"
  alarm_description   = "The Lambda function ${var.function_name} failed (crashed or timed out) more than ${var.lambda_errors} times in 5 minutes: its log group says why. A 503 it answers is not an error."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = var.function_name }
  statistic           = "Sum"
  period              = local.period
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.lambda_errors
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.topics
  ok_actions          = local.topics
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "lambda_throttles" {
  alarm_name          = "${var.name}-lambda-throttles"
  alarm_description   = "Lambda refused to run ${var.function_name} more than ${var.lambda_throttles} times in 5 minutes (its reserved concurrency, or the account's): API Gateway answered those requests 5xx and the tracker retries them."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = var.function_name }
  statistic           = "Sum"
  period              = local.period
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.lambda_throttles
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.topics
  ok_actions          = local.topics
  tags                = local.tags
}

# ---- the sink ----------------------------------------------------------------------------------

# The hosts' count, not their IDs: made after them, and a replaced host changes nothing.
resource "terraform_data" "sink_hosts" {
  input = length(var.sink_hosts)
}

resource "aws_cloudwatch_metric_alarm" "sink_lag" {
  depends_on        = [terraform_data.sink_hosts]
  count             = var.metrics_namespace == null ? 0 : 1
  alarm_name        = "${var.name}-sink-lag"
  alarm_description = "The sink is more than ${var.sink_lag_records} records behind Kafka, or no host has reported its lag, for ${var.sink_lag_minutes} minutes: the sink is stuck or down (journalctl -u clicktrail-sink on the host). Kafka deletes what it has not written after its retention."
  namespace         = var.metrics_namespace
  metric_name       = "SinkLagRecords"
  dimensions        = { Deployment = var.deployment }
  # Each host puts its own sink's sum; sinks share the partitions, so the worst of them.
  statistic           = "Maximum"
  period              = local.period
  evaluation_periods  = var.sink_lag_minutes / 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.sink_lag_records
  # No report is a sink that does not answer, or its only host gone: an alarm, not a quiet hour.
  treat_missing_data = "breaching"
  alarm_actions      = local.topics
  ok_actions         = local.topics
  tags               = local.tags

  lifecycle {
    precondition {
      condition     = var.deployment != null
      error_message = "metrics_namespace needs deployment: the Deployment dimension the hosts put their lag under, the kafka module's name."
    }
  }
}
