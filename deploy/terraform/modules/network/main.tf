# The VPC that the Lambda function and the Kafka host live in.
#
# Public subnets route to an Internet gateway; nothing is placed in them by default (API Gateway
# and Lambda's front end are outside the VPC) and nothing there gets a public address unless it
# asks for one: they are where a bastion or a NAT gateway would go. Private subnets have no route
# out at all: the only way out is the S3 gateway endpoint, whose policy names the buckets that
# may be reached. The Lambda function reaches Kafka inside the VPC; the Kafka host reaches S3
# (its bucket, and Amazon Linux's package repositories) through the endpoint, for free.

data "aws_availability_zones" "available" {
  state = "available"
  # The region's own zones only: a Local Zone the account opted into (us-west-2-lax-1a) sorts
  # before them and would take, and so replace, a subnet.
  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

data "aws_region" "current" {}

data "aws_partition" "current" {}

data "aws_vpc_endpoint_service" "s3" {
  service      = "s3"
  service_type = "Gateway"
}

locals {
  azs = slice(data.aws_availability_zones.available.names, 0, var.az_count)
  # Each half of the VPC is cut into four equal subnets, whatever az_count is, so that raising
  # az_count later adds subnets without renumbering the ones that exist.
  public_half  = cidrsubnet(var.cidr_block, 1, 0)
  private_half = cidrsubnet(var.cidr_block, 1, 1)
  tags         = merge(var.tags, { module = "clicktrail/network" })
}

resource "aws_vpc" "this" {
  cidr_block = var.cidr_block
  # The gateway endpoint is reached by S3's ordinary names, resolved by the VPC's DNS.
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = merge(local.tags, { Name = var.name })
}

# Taking over the default security group with no rules: anything launched without a group of
# its own gets no traffic at all, rather than the default "all within the group".
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = "${var.name}-default-closed" })
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = var.name })
}

resource "aws_subnet" "public" {
  count                   = var.az_count
  vpc_id                  = aws_vpc.this.id
  availability_zone       = local.azs[count.index]
  cidr_block              = cidrsubnet(local.public_half, 2, count.index)
  map_public_ip_on_launch = false
  tags                    = merge(local.tags, { Name = "${var.name}-public-${local.azs[count.index]}", tier = "public" })
}

resource "aws_subnet" "private" {
  count             = var.az_count
  vpc_id            = aws_vpc.this.id
  availability_zone = local.azs[count.index]
  cidr_block        = cidrsubnet(local.private_half, 2, count.index)
  tags              = merge(local.tags, { Name = "${var.name}-private-${local.azs[count.index]}", tier = "private" })
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = "${var.name}-public" })
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  count          = var.az_count
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

# No default route: the private subnets reach the VPC and, through the endpoint, S3.
resource "aws_route_table" "private" {
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = "${var.name}-private" })
}

resource "aws_route_table_association" "private" {
  count          = var.az_count
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = data.aws_vpc_endpoint_service.s3.service_name
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.private.id]
  policy            = data.aws_iam_policy_document.s3_endpoint.json
  tags              = merge(local.tags, { Name = "${var.name}-s3" })
}

# What may pass through the endpoint at all, whoever asks; IAM decides who may do it. Without a
# policy an endpoint reaches every bucket in S3, including an attacker's, which makes it a way
# to copy data out of a VPC that has no other way out.
data "aws_iam_policy_document" "s3_endpoint" {
  statement {
    sid    = "DataBucketObjects"
    effect = "Allow"
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = [for arn in var.s3_bucket_arns : "${arn}/*"]
  }

  statement {
    sid    = "DataBucketListings"
    effect = "Allow"
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    actions   = ["s3:ListBucket", "s3:ListBucketMultipartUploads"]
    resources = var.s3_bucket_arns
  }

  dynamic "statement" {
    for_each = var.allow_amazon_linux_repositories ? [1] : []
    content {
      sid    = "AmazonLinuxRepositories"
      effect = "Allow"
      principals {
        type        = "*"
        identifiers = ["*"]
      }
      actions = ["s3:GetObject"]
      # The bucket AWS serves Amazon Linux 2023's dnf repositories from, in this region.
      resources = ["arn:${data.aws_partition.current.partition}:s3:::al2023-repos-${data.aws_region.current.name}-de612dc2/*"]
    }
  }
}

# ---- Glue, for the sink's Iceberg commits (only with glue_table) -------------------------------

# An Iceberg table's Glue entry is moved at every commit (docs/iceberg.md, "Athena"); Glue has no
# gateway endpoint, so it is an interface endpoint in the private subnets, reached by Glue's own
# name through private DNS. It costs by the hour, which is why it is made only when asked for.
data "aws_caller_identity" "current" {}

locals {
  glue_names = var.glue_table == null ? [] : split(".", var.glue_table)
  glue_arn   = "arn:${data.aws_partition.current.partition}:glue:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"
}

data "aws_vpc_endpoint_service" "glue" {
  count        = var.glue_table == null ? 0 : 1
  service      = "glue"
  service_type = "Interface"
}

resource "aws_security_group" "glue_endpoint" {
  count       = var.glue_table == null ? 0 : 1
  name        = "${var.name}-glue-endpoint"
  description = "clicktrail Glue endpoint: HTTPS from the private subnets only"
  vpc_id      = aws_vpc.this.id
  # No inline rules: Terraform then also removes AWS's default allow-all egress rule.
  revoke_rules_on_delete = true
  tags                   = merge(local.tags, { Name = "${var.name}-glue-endpoint" })
}

resource "aws_vpc_security_group_ingress_rule" "glue_endpoint" {
  count             = var.glue_table == null ? 0 : 1
  security_group_id = aws_security_group.glue_endpoint[0].id
  description       = "HTTPS to Glue from the private subnets"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = local.private_half
  tags              = local.tags
}

resource "aws_vpc_endpoint" "glue" {
  count               = var.glue_table == null ? 0 : 1
  vpc_id              = aws_vpc.this.id
  service_name        = data.aws_vpc_endpoint_service.glue[0].service_name
  vpc_endpoint_type   = "Interface"
  subnet_ids          = aws_subnet.private[*].id
  security_group_ids  = [aws_security_group.glue_endpoint[0].id]
  private_dns_enabled = true
  policy              = data.aws_iam_policy_document.glue_endpoint[0].json
  tags                = merge(local.tags, { Name = "${var.name}-glue" })
}

# Like the S3 endpoint's: only the calls the sink makes, on its one table, pass at all.
data "aws_iam_policy_document" "glue_endpoint" {
  count = var.glue_table == null ? 0 : 1
  statement {
    sid    = "PointTheGlueTable"
    effect = "Allow"
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    actions = ["glue:GetTable", "glue:UpdateTable"]
    resources = [
      "${local.glue_arn}:catalog",
      "${local.glue_arn}:database/${local.glue_names[0]}",
      "${local.glue_arn}:table/${local.glue_names[0]}/${local.glue_names[1]}",
    ]
  }
}

# ---- the way in for operators, and out for metrics (each only when asked for) ------------------

# Interface endpoints for the AWS services that the hosts' operations tools call, which private
# subnets without a route out reach no other way: with ssm_endpoints, Session Manager's three
# (ssm for the agent's registration and heartbeat, ssmmessages for the session channels,
# ec2messages for the messages agents before 3.3.40 poll), a shell on the Kafka hosts without SSH
# or an open port; with metrics_namespace, CloudWatch's metrics API (monitoring), for the sink's
# lag. Reached by the services' own names through private DNS, on 443, from the given security
# groups only. Each is billed by the hour and availability zone (about US$7 a month per zone).
locals {
  operations_services = concat(
    var.ssm_endpoints ? ["ssm", "ssmmessages", "ec2messages"] : [],
    var.metrics_namespace == null ? [] : ["monitoring"],
  )
}

data "aws_vpc_endpoint_service" "operations" {
  for_each     = toset(local.operations_services)
  service      = each.key
  service_type = "Interface"
}

resource "aws_security_group" "endpoints" {
  count       = length(local.operations_services) == 0 ? 0 : 1
  name        = "${var.name}-endpoints"
  description = "clicktrail Session Manager and CloudWatch endpoints: HTTPS from the given groups only"
  vpc_id      = aws_vpc.this.id
  # No inline rules: Terraform then also removes AWS's default allow-all egress rule.
  revoke_rules_on_delete = true
  tags                   = merge(local.tags, { Name = "${var.name}-endpoints" })

  lifecycle {
    precondition {
      condition     = length(var.endpoint_client_security_groups) > 0
      error_message = "ssm_endpoints and metrics_namespace need endpoint_client_security_groups: the groups that may reach the endpoints, e.g. { kafka_hosts = module.kafka.host_security_group_id }."
    }
  }
}

resource "aws_vpc_security_group_ingress_rule" "endpoints" {
  for_each                     = length(local.operations_services) == 0 ? {} : var.endpoint_client_security_groups
  security_group_id            = aws_security_group.endpoints[0].id
  description                  = "HTTPS to the endpoints from ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = each.value
  tags                         = local.tags
}

resource "aws_vpc_endpoint" "operations" {
  for_each            = toset(local.operations_services)
  vpc_id              = aws_vpc.this.id
  service_name        = data.aws_vpc_endpoint_service.operations[each.key].service_name
  vpc_endpoint_type   = "Interface"
  subnet_ids          = aws_subnet.private[*].id
  security_group_ids  = [aws_security_group.endpoints[0].id]
  private_dns_enabled = true
  # CloudWatch's passes one call, into one namespace, by this account alone (a way out for data
  # otherwise: anyone's credentials could put anything into any account's metrics). Session
  # Manager's keep the default: the agent's calls carry no resource or namespace to limit.
  policy = each.key == "monitoring" ? data.aws_iam_policy_document.monitoring_endpoint[0].json : null
  tags   = merge(local.tags, { Name = "${var.name}-${each.key}" })
}

data "aws_iam_policy_document" "monitoring_endpoint" {
  count = var.metrics_namespace == null ? 0 : 1
  statement {
    sid    = "PutMetricsIntoTheNamespace"
    effect = "Allow"
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    actions = ["cloudwatch:PutMetricData"]
    # PutMetricData names no resource: IAM authorizes it only on "*", limited by the namespace.
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [var.metrics_namespace]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

# ---- flow logs ---------------------------------------------------------------------------------

# Every connection accepted or refused in the VPC (traffic_type ALL): what the hosts talked to
# and what was turned away, for the questions a security group cannot answer afterwards.
resource "aws_cloudwatch_log_group" "flow_logs" {
  name              = "/aws/vpc/${var.name}/flow-logs"
  retention_in_days = var.flow_log_retention_days
  kms_key_id        = var.flow_log_kms_key_arn
  tags              = local.tags
}

resource "aws_flow_log" "this" {
  vpc_id               = aws_vpc.this.id
  traffic_type         = var.flow_log_traffic_type
  log_destination_type = "cloud-watch-logs"
  log_destination      = aws_cloudwatch_log_group.flow_logs.arn
  iam_role_arn         = aws_iam_role.flow_logs.arn
  tags                 = merge(local.tags, { Name = var.name })
  # The role must be able to write before the first records are delivered.
  depends_on = [aws_iam_role_policy.flow_logs]
}

# The flow log service's role, for this account's flow logs only (the confused deputy: another
# account's flow log cannot be pointed at it).
data "aws_iam_policy_document" "flow_logs_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:ec2:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:vpc-flow-log/*"]
    }
  }
}

resource "aws_iam_role" "flow_logs" {
  name               = "${var.name}-flow-logs"
  description        = "VPC flow logs of ${var.name}: its log group, nothing else."
  assume_role_policy = data.aws_iam_policy_document.flow_logs_assume.json
  tags               = local.tags
}

# Its streams in its group, which Terraform made (with a retention): no CreateLogGroup. AWS's
# documented role for flow logs also lists DescribeLogGroups, which reads names only: granted on
# the account's groups in the region, the narrowest IAM takes for it.
data "aws_iam_policy_document" "flow_logs" {
  statement {
    sid       = "WriteItsLogGroup"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = [aws_cloudwatch_log_group.flow_logs.arn, "${aws_cloudwatch_log_group.flow_logs.arn}:*"]
  }

  statement {
    sid       = "FindItsLogGroup"
    effect    = "Allow"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:*"]
  }
}

resource "aws_iam_role_policy" "flow_logs" {
  name   = "flow-logs"
  role   = aws_iam_role.flow_logs.id
  policy = data.aws_iam_policy_document.flow_logs.json
}
