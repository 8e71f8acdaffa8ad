# The two roles of the deployment, each allowed exactly the calls its program makes.
#
# The sink (on the Kafka host, through its instance profile) calls, per src/store/s3_store.cc and
# s3_upload.cc: PutObject, CreateMultipartUpload, UploadPart, CompleteMultipartUpload
# (s3:PutObject); GetObject and HeadObject (s3:GetObject); DeleteObject; AbortMultipartUpload;
# ListObjectsV2 (s3:ListBucket); ListMultipartUploads (s3:ListBucketMultipartUploads). It never
# lists parts or touches ACLs, tags or versions. With glue_table (an Iceberg table that Athena
# reads, src/table/glue_catalog.cc) it also calls Glue's GetTable and UpdateTable on that table.
#
# The Lambda function talks to Kafka only: it needs nothing from AWS's APIs but to write its
# logs, and the network interfaces that put it in the VPC, which Lambda creates with its role.

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  tags      = merge(var.tags, { module = "clicktrail/iam" })
  ec2_arn   = "arn:${data.aws_partition.current.partition}:ec2:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"
  sink_keys = "${var.bucket_arn}/${var.sink_prefix}/*"
  glue_arn  = "arn:${data.aws_partition.current.partition}:glue:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"
  # "database.table" split; empty without glue_table.
  glue_names = var.glue_table == null ? [] : split(".", var.glue_table)
}

# ---- the sink, on the Kafka host ---------------------------------------------------------------

data "aws_iam_policy_document" "ec2_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "sink" {
  name               = "${var.name}-sink"
  description        = "clicktrail sink on the Kafka host: its own prefix of the data bucket, nothing else."
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
  tags               = local.tags
}

data "aws_iam_policy_document" "sink" {
  statement {
    sid       = "ObjectsUnderItsPrefix"
    effect    = "Allow"
    actions   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = [local.sink_keys]
  }

  # Listing is a bucket-level action: the prefix is limited by a condition on the request's
  # prefix parameter, which the sink always sends (PREFIX/_clicktrail/intents/…, PREFIX/events/…).
  # With the condition, S3 answers a read of a missing key with 403 instead of 404; the sink
  # tells the two apart by listing that key (src/store/s3_store.cc).
  statement {
    sid       = "ListItsPrefix"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.sink_prefix}/*"]
    }
  }

  # Recovery lists the uploads a killed sink left open, to abort them. S3 offers no prefix
  # condition for this action, so it is granted on the bucket: it shows upload ids and key
  # names of unfinished uploads, and aborting them is still limited to the prefix above.
  statement {
    sid       = "ListUnfinishedUploads"
    effect    = "Allow"
    actions   = ["s3:ListBucketMultipartUploads"]
    resources = [var.bucket_arn]
  }

  # The host's software (Kafka, the clicktrail bundle), read once at boot.
  statement {
    sid       = "ReadBootArtifacts"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${var.bucket_arn}/${var.artifacts_prefix}/*"]
  }

  # Moving the Glue table's metadata_location after each commit. Glue authorizes a table's calls
  # on the catalog, its database and the table itself. No CreateTable: the analytics module made
  # the table, and a role that may create tables could make them anywhere in the database.
  dynamic "statement" {
    for_each = var.glue_table == null ? [] : [local.glue_names]
    content {
      sid     = "PointTheGlueTable"
      effect  = "Allow"
      actions = ["glue:GetTable", "glue:UpdateTable"]
      resources = [
        "${local.glue_arn}:catalog",
        "${local.glue_arn}:database/${statement.value[0]}",
        "${local.glue_arn}:table/${statement.value[0]}/${statement.value[1]}",
      ]
    }
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid = "BucketKeyThroughS3Only"
      # GenerateDataKey to write (multipart uploads included), Decrypt to read and to complete
      # a multipart upload.
      effect    = "Allow"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${data.aws_region.current.name}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "sink" {
  name   = "sink-s3"
  role   = aws_iam_role.sink.id
  policy = data.aws_iam_policy_document.sink.json
}

# What the host's operations tools call, beside the sink: Session Manager's agent (preinstalled
# on Amazon Linux 2023), with ssm_sessions, and the timer that puts the sink's lag into
# CloudWatch, with metrics_namespace. A policy of its own, so that the sink's reads as the calls
# the sink makes.
data "aws_iam_policy_document" "host_operations" {
  # The agent's heartbeat (ssm:UpdateInstanceInformation), the session channels it opens
  # (ssmmessages) and the message polling of agents before 3.3.40 (ec2messages): what a shell
  # through `aws ssm start-session` needs, and none of what AmazonSSMManagedInstanceCore adds
  # (documents, associations, inventory, patching, parameters). IAM authorizes these calls only
  # on "*"; each acts for the calling instance alone, and the region condition keeps them here.
  dynamic "statement" {
    for_each = var.ssm_sessions ? [1] : []
    content {
      sid    = "SessionManagerAgent"
      effect = "Allow"
      actions = [
        "ssm:UpdateInstanceInformation",
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
        "ec2messages:AcknowledgeMessage",
        "ec2messages:DeleteMessage",
        "ec2messages:FailMessage",
        "ec2messages:GetEndpoint",
        "ec2messages:GetMessages",
        "ec2messages:SendReply",
      ]
      resources = ["*"]
      condition {
        test     = "StringEquals"
        variable = "aws:RequestedRegion"
        values   = [data.aws_region.current.name]
      }
    }
  }

  # PutMetricData names no resource (IAM authorizes it only on "*"): the namespace condition is
  # what keeps the host's metrics in theirs.
  dynamic "statement" {
    for_each = var.metrics_namespace == null ? [] : [var.metrics_namespace]
    content {
      sid       = "PutMetricsIntoTheNamespace"
      effect    = "Allow"
      actions   = ["cloudwatch:PutMetricData"]
      resources = ["*"]
      condition {
        test     = "StringEquals"
        variable = "cloudwatch:namespace"
        values   = [statement.value]
      }
    }
  }
}

resource "aws_iam_role_policy" "host_operations" {
  # IAM refuses a policy without statements.
  count  = var.ssm_sessions || var.metrics_namespace != null ? 1 : 0
  name   = "host-operations"
  role   = aws_iam_role.sink.id
  policy = data.aws_iam_policy_document.host_operations.json
}

resource "aws_iam_instance_profile" "sink" {
  name = "${var.name}-sink"
  role = aws_iam_role.sink.name
  tags = local.tags
}

# ---- the Lambda function -----------------------------------------------------------------------

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "lambda" {
  name               = "${var.name}-lambda"
  description        = "clicktrail Lambda function: its log group and its VPC network interfaces, nothing else."
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
  tags               = local.tags
}

data "aws_iam_policy_document" "lambda" {
  # No logs:CreateLogGroup: the group exists (Terraform made it, with a retention), and a role
  # that may create groups could create ones that keep logs forever.
  statement {
    sid       = "WriteItsLogGroup"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${var.lambda_log_group_arn}:log-stream:*"]
  }

  # Lambda creates the function's network interfaces in its subnets, with its security groups.
  statement {
    sid     = "CreateInterfacesInItsSubnets"
    effect  = "Allow"
    actions = ["ec2:CreateNetworkInterface"]
    resources = concat(
      ["${local.ec2_arn}:network-interface/*"],
      [for id in var.lambda_subnet_ids : "${local.ec2_arn}:subnet/${id}"],
      [for id in var.lambda_security_group_ids : "${local.ec2_arn}:security-group/${id}"],
    )
  }

  statement {
    sid       = "ManageInterfaces"
    effect    = "Allow"
    actions   = ["ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
    resources = ["${local.ec2_arn}:network-interface/*"]
  }

  # The one unscoped statement: EC2's Describe calls cannot be limited to resources (IAM
  # authorizes them only on "*"), and Lambda refuses a VPC function whose role lacks them. They
  # read metadata and change nothing; the region condition keeps them to this region.
  statement {
    sid       = "DescribeInterfacesReadOnly"
    effect    = "Allow"
    actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [data.aws_region.current.name]
    }
  }
}

resource "aws_iam_role_policy" "lambda" {
  name   = "lambda-logs-and-vpc"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.lambda.json
}
