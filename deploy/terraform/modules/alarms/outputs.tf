output "alarm_arns" {
  description = "ARN of each alarm, by what it watches: api_5xx, lambda_errors, lambda_throttles, and sink_lag (with metrics_namespace)."
  value = merge(
    {
      api_5xx          = aws_cloudwatch_metric_alarm.api_5xx.arn
      lambda_errors    = aws_cloudwatch_metric_alarm.lambda_errors.arn
      lambda_throttles = aws_cloudwatch_metric_alarm.lambda_throttles.arn
    },
    { for a in aws_cloudwatch_metric_alarm.sink_lag : "sink_lag" => a.arn },
  )
}

output "topic_arns" {
  description = "The SNS topics the alarms notify: the module's own, or topic_arns. Subscribe to them (aws sns subscribe) for other endpoints than e-mail."
  value       = local.topics
}

output "kms_key_arn" {
  description = "The key the module made for its topic (null with topic_arns or topic_kms_key_arn)."
  value       = one(aws_kms_key.alarms[*].arn)
}
