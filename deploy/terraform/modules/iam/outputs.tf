output "sink_role_arn" {
  description = "ARN of the sink's role."
  value       = aws_iam_role.sink.arn
}

output "sink_instance_profile_name" {
  description = "Instance profile of the Kafka host, carrying the sink's role."
  value       = aws_iam_instance_profile.sink.name
  # A host started before its role has its policy would see its first S3 calls refused.
  depends_on = [aws_iam_role_policy.sink, aws_iam_role_policy.host_operations]
}

output "lambda_role_arn" {
  description = "ARN of the Lambda function's execution role."
  value       = aws_iam_role.lambda.arn
  # Lambda checks at creation that the role may create network interfaces: hand the role out
  # only once its policy is attached.
  depends_on = [aws_iam_role_policy.lambda]
}
