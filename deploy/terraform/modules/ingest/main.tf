# The public front: an HTTP API (API Gateway) → the clicktrail Lambda function, from its image in
# ECR, in the VPC next to Kafka.
#
# CORS is answered by the function, not by API Gateway: the function checks each request's
# Origin against its site's own list (CLICKTRAIL_SITES, the same rule as `clicktrail collect`),
# so preflights reach it through the OPTIONS route. API Gateway's cors_configuration would be one
# list for all sites, and once set it replaces the function's CORS headers with its own; keeping
# one place that decides means the two can never disagree. The cost is one short invocation per
# preflight, and the tracker avoids most preflights (sendBeacon, text/plain bodies).

locals {
  tags = merge(var.tags, { module = "clicktrail/ingest" })

  # CLICKTRAIL_SITES="key=origin origin2; key2=*" (docs/configuration.md, [[sites]]).
  sites = join("; ", [for key, origins in var.sites : "${key}=${join(" ", origins)}"])

  environment = merge(var.extra_environment, {
    CLICKTRAIL_KAFKA_BROKERS          = join(",", var.kafka_brokers)
    CLICKTRAIL_KAFKA_TOPIC            = var.kafka_topic
    CLICKTRAIL_KAFKA_BAD_TOPIC        = var.kafka_bad_topic
    CLICKTRAIL_SITES                  = local.sites
    CLICKTRAIL_INGEST_PRODUCE_TIMEOUT = "${var.produce_timeout_seconds}s"
  })

  # The routes the function serves (docs/ingest-api.md); anything else gets API Gateway's 404
  # without an invocation.
  routes = {
    events    = { method = "POST", path = "/v1/events" }
    preflight = { method = "OPTIONS", path = "/v1/events" }
    pixel     = { method = "GET", path = "/v1/p.gif" }
    # Snowplow's trackers (docs/compat-snowplow.md).
    snowplow           = { method = "POST", path = "/com.snowplowanalytics.snowplow/tp2" }
    snowplow_preflight = { method = "OPTIONS", path = "/com.snowplowanalytics.snowplow/tp2" }
    snowplow_get       = { method = "GET", path = "/com.snowplowanalytics.snowplow/tp2" }
    snowplow_pixel     = { method = "GET", path = "/i" }
    snowplow_pixel_pre = { method = "OPTIONS", path = "/i" }
    snowplow_ice       = { method = "GET", path = "/ice.png" }
    # Segment's calls, /v1/track … /v1/b (docs/compat-segment.md); /v1/events is matched first,
    # as API Gateway prefers a route without a path variable.
    segment           = { method = "POST", path = "/v1/{call}" }
    segment_preflight = { method = "OPTIONS", path = "/v1/{call}" }
  }
}

# ---- the image ---------------------------------------------------------------------------------

resource "aws_ecr_repository" "this" {
  name = var.name
  # A tag always means the same image: the function cannot be changed under it by a push.
  image_tag_mutability = "IMMUTABLE"
  # `destroy` takes the images with it (a repository that holds images cannot be deleted
  # otherwise): they are builds of this repository, which `docker build` makes again.
  force_delete = true
  image_scanning_configuration {
    scan_on_push = true
  }
  encryption_configuration {
    encryption_type = "AES256"
  }
  tags = local.tags
}

# Untagged images are what an interrupted push or a re-tag leaves behind; tagged ones may be
# what the function runs, so they are never expired.
resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Expire untagged images after 14 days"
      selection = {
        tagStatus   = "untagged"
        countType   = "sinceImagePushed"
        countUnit   = "days"
        countNumber = 14
      }
      action = { type = "expire" }
    }]
  })
}

# ---- the function ------------------------------------------------------------------------------

resource "aws_security_group" "lambda" {
  name        = "${var.name}-lambda"
  description = "clicktrail Lambda function: out to Kafka only, nothing in"
  vpc_id      = var.vpc_id
  # No inline rules: Terraform then also removes AWS's default allow-all egress rule.
  revoke_rules_on_delete = true
  tags                   = merge(local.tags, { Name = "${var.name}-lambda" })
}

resource "aws_vpc_security_group_egress_rule" "lambda_to_kafka" {
  security_group_id            = aws_security_group.lambda.id
  description                  = "Kafka client listener"
  ip_protocol                  = "tcp"
  from_port                    = var.kafka_port
  to_port                      = var.kafka_port
  referenced_security_group_id = var.kafka_security_group_id
  tags                         = local.tags
}

# Made here, with a retention, before the function: otherwise Lambda creates it on first write,
# keeping logs forever.
resource "aws_cloudwatch_log_group" "lambda" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = local.tags
}

resource "aws_lambda_function" "this" {
  function_name = var.name
  description   = "clicktrail: API Gateway → Kafka (clicktrail lambda)"
  role          = var.lambda_role_arn
  package_type  = "Image"
  image_uri     = "${aws_ecr_repository.this.repository_url}:${var.image_tag}"
  # deploy/lambda/Dockerfile builds for x86-64.
  architectures                  = ["x86_64"]
  memory_size                    = var.memory_mb
  timeout                        = var.timeout_seconds
  reserved_concurrent_executions = var.reserved_concurrency

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = [aws_security_group.lambda.id]
  }

  environment {
    variables = local.environment
  }

  tags       = local.tags
  depends_on = [aws_cloudwatch_log_group.lambda]

  lifecycle {
    precondition {
      condition     = var.timeout_seconds > var.produce_timeout_seconds
      error_message = "timeout_seconds must be more than produce_timeout_seconds, so that the function answers 503 itself before Lambda cuts it off."
    }
  }
}

# ---- the HTTP API ------------------------------------------------------------------------------

resource "aws_apigatewayv2_api" "this" {
  name          = var.name
  description   = "clicktrail ingest: POST /v1/events, GET /v1/p.gif"
  protocol_type = "HTTP"
  # No cors_configuration: the function answers CORS per site (see the top of this file).
  tags = local.tags
}

resource "aws_apigatewayv2_integration" "lambda" {
  api_id                 = aws_apigatewayv2_api.this.id
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = aws_lambda_function.this.invoke_arn
  payload_format_version = "2.0"
  # A second above the function's own timeout: the function's answer (503 at worst) always
  # arrives before API Gateway gives up.
  timeout_milliseconds = min(30000, (var.timeout_seconds + 1) * 1000)
}

resource "aws_apigatewayv2_route" "this" {
  for_each  = local.routes
  api_id    = aws_apigatewayv2_api.this.id
  route_key = "${each.value.method} ${each.value.path}"
  target    = "integrations/${aws_apigatewayv2_integration.lambda.id}"
}

resource "aws_cloudwatch_log_group" "api" {
  name              = "/aws/apigateway/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = local.tags
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true

  # A ceiling on what the public can make the function (and the bill) do.
  default_route_settings {
    throttling_rate_limit  = var.throttling_rate_limit
    throttling_burst_limit = var.throttling_burst_limit
  }

  # No client address in the access log: events keep only an anonymized one, and a log that
  # kept the whole address would undo that.
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      requestTime        = "$context.requestTime"
      routeKey           = "$context.routeKey"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      integrationStatus  = "$context.integrationStatus"
      integrationLatency = "$context.integrationLatency"
      integrationError   = "$context.integrationErrorMessage"
    })
  }

  tags = local.tags
}

# API Gateway may invoke the function for these routes of this API, and nothing else may.
resource "aws_lambda_permission" "api" {
  for_each      = local.routes
  statement_id  = "api-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "apigateway.amazonaws.com"
  # A path variable matches any one segment in the invocation's source ARN.
  source_arn = "${aws_apigatewayv2_api.this.execution_arn}/*/${each.value.method}${replace(each.value.path, "{call}", "*")}"
}
