# Kafka (KRaft, one node) and `clicktrail sink` beside it, on one EC2 instance in a private
# subnet, set up by cloud-init as systemd services.
#
# The host has no route to the Internet: it reaches S3 only, through the gateway endpoint. So
# its software comes from the data bucket: Terraform uploads Kafka's release and the clicktrail
# bundle under artifacts_prefix, content-addressed, and the host checks their SHA-256 at boot.
# A new bundle or Kafka release, or any change to the setup, replaces the host
# (user_data_replace_on_change): Kafka's log lives on its own volume, which the new host mounts
# again, so a replacement costs a few minutes of 503s from the Lambda function, not events.
#
# Reach: port kafka_port from the client security groups only (the Lambda function's); out,
# HTTPS to S3 only. No SSH, no public address. The instance metadata service answers IMDSv2
# only, one hop, so the sink gets its role's credentials and nothing else on the host can be
# made to fetch them for someone else through a forwarded request.

data "aws_region" "current" {}

data "aws_ssm_parameter" "al2023" {
  count = var.ami_id == null ? 1 : 0
  name  = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

locals {
  tags       = merge(var.tags, { module = "clicktrail/kafka" })
  region     = data.aws_region.current.name
  ami        = var.ami_id != null ? var.ami_id : data.aws_ssm_parameter.al2023[0].insecure_value
  private_ip = cidrhost(var.subnet.cidr_block, var.host_number)
  brokers    = "${local.private_ip}:${var.kafka_port}"

  kafka_sha256  = filesha256(var.kafka_archive)
  bundle_sha256 = filesha256(var.clicktrail_bundle)
  kafka_key     = "${var.artifacts_prefix}/kafka/${local.kafka_sha256}.tgz"
  bundle_key    = "${var.artifacts_prefix}/clicktrail/${local.bundle_sha256}.tar.gz"

  sink_config = <<-TOML
    # /etc/clicktrail/clicktrail.toml on the Kafka host, written by cloud-init from
    # deploy/terraform/modules/kafka. Every key: docs/configuration.md.
    [kafka]
    brokers = "${local.brokers}"
    topic = "${var.kafka_topic}"
    bad_topic = "${var.kafka_bad_topic}"

    [sink]
    output = "s3://${var.bucket}/${var.sink_prefix}"
    listen = "127.0.0.1:8081"

    [s3]
    region = "${local.region}"
  TOML

  # clicktrail's OpenSSL looks for CA certificates where Debian keeps them; Amazon Linux keeps
  # them here. Credentials come from the instance role, through IMDSv2.
  sink_environment = merge(var.sink_settings, {
    AWS_CA_BUNDLE = "/etc/pki/tls/certs/ca-bundle.crt"
  })

  bootstrap = templatefile("${path.module}/files/bootstrap.sh.tftpl", {
    region            = local.region
    bucket            = var.bucket
    brokers           = local.brokers
    sink_prefix       = var.sink_prefix
    volume_id         = aws_ebs_volume.data.id
    volume_id_no_dash = replace(aws_ebs_volume.data.id, "-", "")
    kafka_key         = local.kafka_key
    kafka_sha256      = local.kafka_sha256
    bundle_key        = local.bundle_key
    bundle_sha256     = local.bundle_sha256
    topic             = var.kafka_topic
    bad_topic         = var.kafka_bad_topic
    partitions        = var.partitions
  })

  # The files cloud-init writes before running the bootstrap (0600 unless said otherwise; the
  # bootstrap opens the configs to their service's group once the users exist). The sink's unit
  # is deploy/systemd's, the one the end-to-end tests start under systemd.
  files = [
    {
      path = "/etc/kafka/server.properties"
      content = templatefile("${path.module}/files/server.properties.tftpl", {
        address         = local.private_ip
        port            = var.kafka_port
        partitions      = var.partitions
        retention_hours = var.retention_hours
      })
    },
    { path = "/etc/kafka/kafka.env", content = "KAFKA_HEAP_OPTS=-Xms${var.kafka_heap} -Xmx${var.kafka_heap}\nLOG_DIR=/var/log/kafka\n" },
    { path = "/etc/systemd/system/kafka.service", permissions = "0644", content = file("${path.module}/files/kafka.service") },
    { path = "/etc/sysusers.d/kafka.conf", permissions = "0644", content = "u kafka - \"Apache Kafka\" /var/lib/kafka /usr/sbin/nologin\n" },
    { path = "/etc/systemd/system/clicktrail-sink.service", permissions = "0644", content = file("${path.module}/../../../systemd/clicktrail-sink.service") },
    { path = "/etc/sysusers.d/clicktrail.conf", permissions = "0644", content = file("${path.module}/../../../systemd/clicktrail.sysusers") },
    { path = "/etc/clicktrail/clicktrail.toml", content = local.sink_config },
    { path = "/etc/clicktrail/clicktrail.env", content = join("", [for k, v in local.sink_environment : "${k}=${v}\n"]) },
    {
      # The bundle carries its own C library and loader (deploy/lambda/assemble.sh), so the
      # Debian-built binary runs on Amazon Linux unchanged.
      path        = "/usr/local/bin/clicktrail"
      permissions = "0755"
      content     = "#!/bin/sh\nexec /opt/clicktrail/lib/ld-linux-x86-64.so.2 --library-path /opt/clicktrail/lib /opt/clicktrail/bin/clicktrail \"$@\"\n"
    },
    { path = "/usr/local/sbin/clicktrail-bootstrap", permissions = "0755", content = local.bootstrap },
  ]

  cloud_config = "#cloud-config\n${yamlencode({
    write_files = [for f in local.files : {
      path        = f.path
      content     = f.content
      owner       = "root:root"
      permissions = lookup(f, "permissions", "0600")
    }]
    runcmd = [["/usr/local/sbin/clicktrail-bootstrap"]]
  })}"
}

# ---- software, uploaded for the host -----------------------------------------------------------

resource "aws_s3_object" "kafka" {
  bucket       = var.bucket
  key          = local.kafka_key
  source       = var.kafka_archive
  content_type = "application/gzip"
  tags         = local.tags
}

resource "aws_s3_object" "clicktrail" {
  bucket       = var.bucket
  key          = local.bundle_key
  source       = var.clicktrail_bundle
  content_type = "application/gzip"
  tags         = local.tags
}

# ---- network -----------------------------------------------------------------------------------

resource "aws_security_group" "kafka" {
  name        = "${var.name}-kafka"
  description = "clicktrail Kafka host: Kafka from its clients only; out to S3 only"
  vpc_id      = var.vpc_id
  # No inline rules: Terraform then also removes AWS's default allow-all egress rule.
  revoke_rules_on_delete = true
  tags                   = merge(local.tags, { Name = "${var.name}-kafka" })
}

resource "aws_vpc_security_group_ingress_rule" "clients" {
  for_each                     = var.client_security_groups
  security_group_id            = aws_security_group.kafka.id
  description                  = "Kafka clients: ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = var.kafka_port
  to_port                      = var.kafka_port
  referenced_security_group_id = each.value
  tags                         = local.tags
}

# The bucket (sink output, software) and Amazon Linux's repositories, through the endpoint.
# DNS and the instance metadata service are not subject to security groups.
resource "aws_vpc_security_group_egress_rule" "s3" {
  security_group_id = aws_security_group.kafka.id
  description       = "HTTPS to S3 through the gateway endpoint"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = var.s3_prefix_list_id
  tags              = local.tags
}

# The sink's Glue calls (an Iceberg table with sink.glue_table), to the network module's
# interface endpoint.
resource "aws_vpc_security_group_egress_rule" "glue" {
  # A list, not a nullable id: its length is known when planning, the id only once it exists.
  count                        = length(var.glue_endpoint_security_group_ids)
  security_group_id            = aws_security_group.kafka.id
  description                  = "HTTPS to Glue through its interface endpoint"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = var.glue_endpoint_security_group_ids[count.index]
  tags                         = local.tags
}

# ---- the host ----------------------------------------------------------------------------------

resource "aws_ebs_volume" "data" {
  availability_zone = var.subnet.availability_zone
  size              = var.data_volume_gb
  type              = "gp3"
  encrypted         = true
  kms_key_id        = var.kms_key_arn
  tags              = merge(local.tags, { Name = "${var.name}-kafka-data" })
}

resource "aws_instance" "this" {
  ami                         = local.ami
  instance_type               = var.instance_type
  subnet_id                   = var.subnet.id
  private_ip                  = local.private_ip
  vpc_security_group_ids      = [aws_security_group.kafka.id]
  iam_instance_profile        = var.instance_profile_name
  associate_public_ip_address = false
  user_data                   = local.cloud_config
  user_data_replace_on_change = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume_gb
    encrypted             = true
    kms_key_id            = var.kms_key_arn
    delete_on_termination = true
  }

  tags = merge(local.tags, { Name = "${var.name}-kafka" })

  # The host downloads its software at boot.
  depends_on = [aws_s3_object.kafka, aws_s3_object.clicktrail]

  lifecycle {
    # A newer Amazon Linux image every few weeks would otherwise replace the broker at every
    # apply; replace it deliberately (terraform apply -replace=…) to move to a new one.
    ignore_changes = [ami]
  }
}

resource "aws_volume_attachment" "data" {
  device_name = "/dev/sdf"
  volume_id   = aws_ebs_volume.data.id
  instance_id = aws_instance.this.id
  # Stop the host (Kafka flushes and shuts down cleanly) before taking its volume away.
  stop_instance_before_detaching = true
}
