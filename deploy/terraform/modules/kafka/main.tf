# Kafka and `clicktrail sink`, on EC2 instances in private subnets, set up by cloud-init as
# systemd services. var.cluster chooses the brokers:
#
# - "single": one host, Kafka (KRaft, broker and controller) and the sink. The cheap default; an
#   event is on one broker's volume within about two seconds of its 2xx, and nowhere else
#   (README.md).
# - "three-az": three such hosts in three availability zones, one KRaft cluster: each event on
#   three brokers, two of which have it before its 2xx. A sink on each host; they share the
#   partitions, and take over those of a host that is gone.
# - "msk": Amazon MSK's brokers (msk.tf) with the same durability as three-az, and one host
#   that runs only the sink.
#
# The host has no route to the Internet: it reaches S3 only, through the gateway endpoint. So
# its software comes from the data bucket: Terraform uploads Kafka's release and the clicktrail
# bundle under artifacts_prefix, content-addressed, and the host checks their SHA-256 at boot.
# A new bundle or Kafka release, or any change to the setup, replaces the hosts
# (user_data_replace_on_change): Kafka's log lives on its own volume, which the new host mounts
# again, so a replacement costs a few minutes of 503s from the Lambda function, not events.
# Three hosts are replaced together unless applied one at a time (README.md, "Upgrades").
#
# Reach: port kafka_port from the client security groups only (the Lambda function's), and the
# nodes of a three-node cluster from each other; out, HTTPS to S3, and to the network module's
# interface endpoints when given, and to the other nodes or MSK's brokers. No SSH, no public
# address. The instance metadata service answers IMDSv2
# only, one hop, so the sink gets its role's credentials and nothing else on the host can be
# made to fetch them for someone else through a forwarded request.

data "aws_region" "current" {}

data "aws_ssm_parameter" "al2023" {
  count = var.ami_id == null ? 1 : 0
  name  = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

locals {
  tags   = merge(var.tags, { module = "clicktrail/kafka" })
  region = data.aws_region.current.name
  ami    = var.ami_id != null ? var.ami_id : data.aws_ssm_parameter.al2023[0].insecure_value

  # The hosts, one per subnet from the first: each runs the sink, and a Kafka node unless the
  # brokers are MSK's. min() lets the hosts' precondition, not slice(), say what is missing.
  runs_kafka     = var.cluster != "msk"
  kafka_uid      = 9092
  host_count     = var.cluster == "three-az" ? 3 : 1
  subnets_needed = var.cluster == "single" ? 1 : 3
  hosts          = slice(var.subnets, 0, min(local.host_count, length(var.subnets)))
  host_ips       = [for s in local.hosts : cidrhost(s.cidr_block, var.host_number)]
  host_role      = local.runs_kafka ? "kafka" : "sink"

  # Replicas of each partition, and how many of them must have an event before the producer
  # (acks=all) hears that it is stored.
  replication = var.cluster == "single" ? 1 : 3
  min_insync  = var.cluster == "single" ? 1 : 2

  # One node has no other copy of an event: it flushes its log to the volume every second (the
  # scheduler's check, also every second, makes that up to two), so that a crash of the host
  # loses at most those seconds of what it acknowledged. Three nodes rely on their replicas
  # instead, as Kafka recommends.
  single_node_flush = <<-PROPERTIES
    log.flush.interval.ms=1000
    log.flush.scheduler.interval.ms=1000
  PROPERTIES

  # Every node of a cluster is formatted with the same id: Kafka's form (16 bytes, base64url,
  # 22 characters), derived from the name; never starting with '-', which Kafka's tools would
  # read as an option.
  cluster_id_hash = replace(replace(substr(base64sha256("clicktrail-kafka/${var.name}"), 0, 22), "+", "-"), "/", "_")
  cluster_id      = startswith(local.cluster_id_hash, "-") ? "A${substr(local.cluster_id_hash, 1, 21)}" : local.cluster_id_hash
  voters          = join(",", [for i, ip in local.host_ips : "${i + 1}@${ip}:9093"])

  # What clients connect to: the hosts' brokers in plain text inside the VPC, or MSK's over TLS.
  client_port = local.runs_kafka ? var.kafka_port : local.msk_tls_port
  brokers = (local.runs_kafka ? [for ip in local.host_ips : "${ip}:${var.kafka_port}"]
  : split(",", aws_msk_cluster.this[0].bootstrap_brokers_tls))
  # librdkafka's settings for MSK's TLS, as CLICKTRAIL_KAFKA_<CLIENT>_* variables (underscores
  # become dots): the CA certificates are where Amazon Linux, and Lambda's provided.al2023, keep them.
  tls_settings = { for client in ["PRODUCER", "CONSUMER"] : client => {
    "CLICKTRAIL_KAFKA_${client}_SECURITY_PROTOCOL" = "SSL"
    "CLICKTRAIL_KAFKA_${client}_SSL_CA_LOCATION"   = "/etc/pki/tls/certs/ca-bundle.crt"
  } }
  producer_settings = local.runs_kafka ? {} : local.tls_settings["PRODUCER"]

  kafka_sha256  = filesha256(var.kafka_archive)
  bundle_sha256 = filesha256(var.clicktrail_bundle)
  kafka_key     = "${var.artifacts_prefix}/kafka/${local.kafka_sha256}.tgz"
  bundle_key    = "${var.artifacts_prefix}/clicktrail/${local.bundle_sha256}.tar.gz"

  sink_config = <<-TOML
    # /etc/clicktrail/clicktrail.toml on the Kafka host, written by cloud-init from
    # deploy/terraform/modules/kafka. Every key: docs/configuration.md.
    [kafka]
    brokers = "${join(",", local.brokers)}"
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
  sink_environment = merge(var.sink_settings, local.runs_kafka ? {} : merge(values(local.tls_settings)...), {
    AWS_CA_BUNDLE = "/etc/pki/tls/certs/ca-bundle.crt"
  })

  # The files cloud-init writes on every host before running the bootstrap (0600 unless said
  # otherwise; the bootstrap opens the configs to their service's group once the users exist).
  # The sink's unit is deploy/systemd's, the one the end-to-end tests start under systemd.
  files = [
    { path = "/etc/kafka/kafka.env", content = "KAFKA_HEAP_OPTS=-Xms${var.kafka_heap} -Xmx${var.kafka_heap}\n" },
    { path = "/etc/kafka/log4j.properties", content = file("${path.module}/files/log4j.properties") },
    # What Kafka's tools (the bootstrap's kafka-topics.sh) need to reach the brokers.
    { path = "/etc/kafka/client.properties", content = "security.protocol=${local.runs_kafka ? "PLAINTEXT" : "SSL"}\n" },
    { path = "/etc/systemd/system/kafka.service", permissions = "0644", content = file("${path.module}/files/kafka.service") },
    # A fixed UID (Kafka's port), outside the range that packages take theirs from, so that a
    # replacement host built from a newer image owns the data volume's files as the old one did.
    { path = "/etc/sysusers.d/kafka.conf", permissions = "0644", content = "u kafka ${local.kafka_uid} \"Apache Kafka\" /var/lib/kafka /usr/sbin/nologin\n" },
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
    # The sink's lag into CloudWatch every minute, for the alarms module's sink-lag alarm: a
    # timer that the sink's unit wants (a drop-in; nothing to enable) when metrics_namespace is
    # set. Through the network module's monitoring endpoint (endpoint_security_group_ids).
    { path = "/usr/local/sbin/clicktrail-sink-lag", permissions = "0755", content = file("${path.module}/files/sink-lag.sh") },
    { path = "/etc/systemd/system/clicktrail-sink-lag.service", permissions = "0644", content = file("${path.module}/files/clicktrail-sink-lag.service") },
    { path = "/etc/systemd/system/clicktrail-sink-lag.timer", permissions = "0644", content = file("${path.module}/files/clicktrail-sink-lag.timer") },
    { path = "/etc/clicktrail/sink-lag.env", content = format("NAMESPACE=%s\nDEPLOYMENT=%s\nAWS_REGION=%s\nMETRICS_URL=http://127.0.0.1:8081/metrics\n", var.metrics_namespace == null ? "" : var.metrics_namespace, var.name, local.region) },
    { path = "/etc/systemd/system/clicktrail-sink.service.d/sink-lag.conf", permissions = "0644", content = var.metrics_namespace == null ? "# No metrics_namespace: the sink's lag stays on the host.\n" : "[Unit]\nWants=clicktrail-sink-lag.timer\n" },
  ]

  # What differs between hosts: the node's Kafka config (a broker only) and the bootstrap.
  host_files = [for i, ip in local.host_ips : concat(
    !local.runs_kafka ? [] : [{
      path = "/etc/kafka/server.properties"
      content = templatefile("${path.module}/files/server.properties.tftpl", {
        node_id         = i + 1
        voters          = local.voters
        address         = ip
        port            = var.kafka_port
        controller_port = 9093
        partitions      = var.partitions
        retention_hours = var.retention_hours
        replication     = local.replication
        min_insync      = local.min_insync
        flush_settings  = var.cluster == "single" ? local.single_node_flush : ""
      })
    }],
    [{
      path        = "/usr/local/sbin/clicktrail-bootstrap"
      permissions = "0755"
      content = templatefile("${path.module}/files/bootstrap.sh.tftpl", {
        region            = local.region
        bucket            = var.bucket
        brokers           = join(",", local.brokers)
        runs_kafka        = local.runs_kafka ? "yes" : "no"
        cluster_id        = local.cluster_id
        replication       = local.replication
        sink_prefix       = var.sink_prefix
        volume_id         = local.runs_kafka ? aws_ebs_volume.data[i].id : ""
        volume_id_no_dash = local.runs_kafka ? replace(aws_ebs_volume.data[i].id, "-", "") : ""
        kafka_key         = local.kafka_key
        kafka_sha256      = local.kafka_sha256
        bundle_key        = local.bundle_key
        bundle_sha256     = local.bundle_sha256
        topic             = var.kafka_topic
        bad_topic         = var.kafka_bad_topic
        partitions        = var.partitions
      })
    }],
  )]

  # join(), not "#cloud-config\n${yamlencode(…)}": checkov's HCL parser cannot read quoted
  # strings inside an interpolation and would skip this whole file (tests/e2e/test_checkov.py).
  cloud_configs = [for host_files in local.host_files : join("\n", ["#cloud-config", yamlencode({
    write_files = [for f in concat(local.files, host_files) : {
      path        = f.path
      content     = f.content
      owner       = "root:root"
      permissions = lookup(f, "permissions", "0600")
    }]
    runcmd = [["/usr/local/sbin/clicktrail-bootstrap"]]
  })])]
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
  # With MSK the clients reach its brokers instead (msk.tf).
  for_each                     = local.runs_kafka ? var.client_security_groups : {}
  security_group_id            = aws_security_group.kafka.id
  description                  = "Kafka clients: ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = var.kafka_port
  to_port                      = var.kafka_port
  referenced_security_group_id = each.value
  tags                         = local.tags
}

# The nodes of a three-node cluster: each other's brokers (replication, and the sinks, which
# read from every broker) and controllers (the KRaft quorum).
resource "aws_vpc_security_group_ingress_rule" "peers" {
  for_each                     = local.runs_kafka && local.host_count > 1 ? { broker = var.kafka_port, controller = 9093 } : {}
  security_group_id            = aws_security_group.kafka.id
  description                  = "Kafka ${each.key}s of the other nodes"
  ip_protocol                  = "tcp"
  from_port                    = each.value
  to_port                      = each.value
  referenced_security_group_id = aws_security_group.kafka.id
  tags                         = local.tags
}

resource "aws_vpc_security_group_egress_rule" "peers" {
  for_each                     = aws_vpc_security_group_ingress_rule.peers
  security_group_id            = aws_security_group.kafka.id
  description                  = "Kafka ${each.key}s of the other nodes"
  ip_protocol                  = "tcp"
  from_port                    = each.value.from_port
  to_port                      = each.value.to_port
  referenced_security_group_id = aws_security_group.kafka.id
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

# ---- the hosts ---------------------------------------------------------------------------------

# The cluster kind the hosts were first made with. A KRaft quorum's voters are fixed when its
# nodes are formatted, and topics keep the replicas they were made with: a change of var.cluster
# would replace the hosts into a cluster that is not what it says. The hosts' precondition
# refuses it, with the way to move.
resource "terraform_data" "cluster" {
  input = var.cluster

  lifecycle {
    ignore_changes = [input]
  }
}

# Kafka's log, one volume per broker in its host's zone; kept when the host is replaced.
resource "aws_ebs_volume" "data" {
  count             = local.runs_kafka ? length(local.hosts) : 0
  availability_zone = local.hosts[count.index].availability_zone
  size              = var.data_volume_gb
  type              = "gp3"
  encrypted         = true
  kms_key_id        = var.kms_key_arn
  tags              = merge(local.tags, { Name = "${var.name}-kafka-data-${count.index + 1}" })
}

resource "aws_instance" "host" {
  count                       = length(local.hosts)
  ami                         = local.ami
  instance_type               = var.instance_type
  subnet_id                   = local.hosts[count.index].id
  private_ip                  = local.host_ips[count.index]
  vpc_security_group_ids      = [aws_security_group.kafka.id]
  iam_instance_profile        = var.instance_profile_name
  associate_public_ip_address = false
  # Compressed, which cloud-init undoes: EC2 takes at most 16 KB of user data, and the files the
  # hosts get are past 20 KB as text.
  user_data_base64            = base64gzip(local.cloud_configs[count.index])
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

  tags = merge(local.tags, { Name = "${var.name}-${local.host_role}-${count.index + 1}" })

  # The host downloads its software at boot.
  depends_on = [aws_s3_object.kafka, aws_s3_object.clicktrail]

  lifecycle {
    # A newer Amazon Linux image every few weeks would otherwise replace the brokers at every
    # apply; replace them deliberately (terraform apply -replace=…) to move to a new one.
    ignore_changes = [ami]

    precondition {
      condition     = terraform_data.cluster.output == var.cluster
      error_message = "cluster was \"${terraform_data.cluster.output}\" and cannot become \"${var.cluster}\" in place (a KRaft quorum's voters are fixed when formatted; topics keep their replicas). Deploy the new cluster beside this one under another name, point the function at it, and destroy this one once its sink's lag is 0 (modules/kafka/README.md)."
    }

    precondition {
      condition     = length(var.subnets) >= local.subnets_needed
      error_message = "cluster = \"${var.cluster}\" needs ${local.subnets_needed} private subnets in as many availability zones, and ${length(var.subnets)} were given: set the network module's az_count to ${local.subnets_needed}."
    }
  }
}

resource "aws_volume_attachment" "data" {
  count       = length(aws_ebs_volume.data)
  device_name = "/dev/sdf"
  volume_id   = aws_ebs_volume.data[count.index].id
  instance_id = aws_instance.host[count.index].id
  # Stop the host (Kafka flushes and shuts down cleanly) before taking its volume away.
  stop_instance_before_detaching = true
}

# Deployments from before var.cluster had one host and one volume, unnumbered.
moved {
  from = aws_instance.this
  to   = aws_instance.host[0]
}

moved {
  from = aws_ebs_volume.data
  to   = aws_ebs_volume.data[0]
}

moved {
  from = aws_volume_attachment.data
  to   = aws_volume_attachment.data[0]
}

# The hosts' operations tools (the sink-lag timer's PutMetricData, Session Manager's agent), to
# the network module's interface endpoints. Counted over a list like the Glue rule, for the same
# reason.
resource "aws_vpc_security_group_egress_rule" "endpoints" {
  count                        = length(var.endpoint_security_group_ids)
  security_group_id            = aws_security_group.kafka.id
  description                  = "HTTPS to Session Manager and CloudWatch through their interface endpoints"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = var.endpoint_security_group_ids[count.index]
  tags                         = local.tags
}
