# Amazon MSK instead of brokers of our own (cluster = "msk"): three brokers in three zones with
# the durability of "three-az" (three replicas, two in sync before an acknowledgement, no
# unclean leader election), TLS between clients and brokers and among brokers, encrypted at
# rest, broker logs in CloudWatch. This module's one host then runs only the sink.
#
# The brokers do not authenticate clients: as with brokers of our own, the network is the
# boundary, and only the client security groups (the Lambda function's) and the sink's host reach
# MSK's TLS port. MSK Serverless is not offered: it admits only IAM authentication, whose
# tokens librdkafka could carry (SASL/OAUTHBEARER) but clicktrail has no signer for yet.

locals {
  msk          = var.cluster == "msk"
  msk_tls_port = 9094
}

resource "aws_msk_configuration" "this" {
  count       = local.msk ? 1 : 0
  name        = var.name
  description = "clicktrail: three replicas, two in sync, topics made by the sink's host"
  # No kafka_versions: a change of it would replace the configuration, which AWS refuses to
  # delete while the cluster uses it; these settings mean the same in every Kafka version.

  server_properties = <<-PROPERTIES
    default.replication.factor=3
    min.insync.replicas=2
    unclean.leader.election.enable=false
    auto.create.topics.enable=false
    num.partitions=${var.partitions}
    log.retention.hours=${var.retention_hours}
  PROPERTIES
}

resource "aws_security_group" "msk" {
  count       = local.msk ? 1 : 0
  name        = "${var.name}-msk"
  description = "clicktrail MSK brokers: TLS from their clients and the sink host only"
  vpc_id      = var.vpc_id
  # No inline rules: Terraform then also removes AWS's default allow-all egress rule; the
  # brokers answer their clients and replicate among themselves without one.
  revoke_rules_on_delete = true
  tags                   = merge(local.tags, { Name = "${var.name}-msk" })
}

resource "aws_vpc_security_group_ingress_rule" "msk_clients" {
  for_each                     = local.msk ? merge(var.client_security_groups, { sink-host = aws_security_group.kafka.id }) : {}
  security_group_id            = aws_security_group.msk[0].id
  description                  = "Kafka clients over TLS: ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = local.msk_tls_port
  to_port                      = local.msk_tls_port
  referenced_security_group_id = each.value
  tags                         = local.tags
}

resource "aws_vpc_security_group_egress_rule" "sink_to_msk" {
  count                        = local.msk ? 1 : 0
  security_group_id            = aws_security_group.kafka.id
  description                  = "The sink and Kafka's tools to MSK's brokers over TLS"
  ip_protocol                  = "tcp"
  from_port                    = local.msk_tls_port
  to_port                      = local.msk_tls_port
  referenced_security_group_id = aws_security_group.msk[0].id
  tags                         = local.tags
}

resource "aws_cloudwatch_log_group" "msk" {
  count             = local.msk ? 1 : 0
  name              = "/clicktrail/${var.name}/msk"
  retention_in_days = var.msk_log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = local.tags
}

resource "aws_msk_cluster" "this" {
  count                  = local.msk ? 1 : 0
  cluster_name           = var.name
  kafka_version          = var.msk_kafka_version
  number_of_broker_nodes = 3

  broker_node_group_info {
    instance_type   = var.msk_instance_type
    client_subnets  = [for s in slice(var.subnets, 0, min(3, length(var.subnets))) : s.id]
    security_groups = [aws_security_group.msk[0].id]

    storage_info {
      ebs_storage_info {
        volume_size = var.data_volume_gb
      }
    }
  }

  configuration_info {
    arn      = aws_msk_configuration.this[0].arn
    revision = aws_msk_configuration.this[0].latest_revision
  }

  client_authentication {
    unauthenticated = true
  }

  encryption_info {
    encryption_at_rest_kms_key_arn = var.kms_key_arn

    encryption_in_transit {
      client_broker = "TLS"
      in_cluster    = true
    }
  }

  logging_info {
    broker_logs {
      cloudwatch_logs {
        enabled   = true
        log_group = aws_cloudwatch_log_group.msk[0].name
      }
    }
  }

  tags = local.tags

  lifecycle {
    precondition {
      condition     = length(var.subnets) >= 3
      error_message = "cluster = \"msk\" puts a broker in each of three availability zones, and ${length(var.subnets)} private subnets were given: set the network module's az_count to 3."
    }
  }
}
