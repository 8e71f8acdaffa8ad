output "api_id" {
  description = "ID of the HTTP API: the ApiId dimension of its CloudWatch metrics (AWS/ApiGateway), for the alarms module."
  value       = aws_apigatewayv2_api.this.id
}

output "api_endpoint" {
  description = "Base URL of the HTTP API, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "events_url" {
  description = "Where the tracker posts events: its data-endpoint."
  value       = "${aws_apigatewayv2_api.this.api_endpoint}/v1/events"
}

output "pixel_url" {
  description = "The tracking pixel, for pages without JavaScript (docs/ingest-api.md)."
  value       = "${aws_apigatewayv2_api.this.api_endpoint}/v1/p.gif"
}

output "ecr_repository_url" {
  description = "ECR repository to push the function's image to (docker push URL:TAG)."
  value       = aws_ecr_repository.this.repository_url
}

output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the Lambda function."
  value       = aws_lambda_function.this.arn
}

output "security_group_id" {
  description = "Security group of the function's network interfaces: the one Kafka admits."
  value       = aws_security_group.lambda.id
}

output "log_group_arn" {
  description = "ARN of the function's log group."
  value       = aws_cloudwatch_log_group.lambda.arn
}

output "log_group_name" {
  description = "Name of the function's log group."
  value       = aws_cloudwatch_log_group.lambda.name
}

output "access_log_group_name" {
  description = "Name of the HTTP API's access log group."
  value       = aws_cloudwatch_log_group.api.name
}
