# clicktrail on AWS for a blog on GitHub Pages: the tracker on the pages posts to an HTTP API;
# a Lambda function in a VPC puts the events into Kafka on a private EC2 host; the sink beside
# Kafka writes them as Parquet into a private, encrypted, versioned bucket; Athena queries them.
#
#   browser ─► API Gateway (HTTP API) ─► Lambda (ECR image) ─► Kafka (EC2, private) ─► sink ─► S3
#
# README.md walks through building, pushing, applying and sending a first event.

locals {
  # The sink's output is s3://BUCKET/clicktrail; the host's software is under deploy/; Athena's
  # results under athena-results/. Three prefixes, three different permissions.
  sink_prefix      = "clicktrail"
  artifacts_prefix = "deploy"
  results_prefix   = "athena-results"

  # An Iceberg table with Athena: the sink points the Glue table (the analytics module's) at each
  # commit, through the network's Glue endpoint, with the role's Glue grant on that table alone.
  # Its name is the analytics module's: database (var.name, "-" as "_") and "events".
  analytics_database = replace(var.name, "-", "_")
  glue_table         = var.enable_analytics && var.table == "iceberg" ? "${local.analytics_database}.events" : null
  sink_settings = merge(
    { CLICKTRAIL_SINK_TABLE = var.table },
    local.glue_table == null ? {} : { CLICKTRAIL_SINK_GLUE_TABLE = local.glue_table },
  )
  # Where the events' Parquet files are, per table kind: they age into cheaper storage.
  data_prefix = var.table == "iceberg" ? "${local.sink_prefix}/data/" : "${local.sink_prefix}/events/"
}

module "bucket" {
  source      = "../../modules/bucket"
  name        = var.bucket_name
  kms_key_arn = var.kms_key_arn
  # The events and rejected input age into cheaper storage; the sink's own state does not.
  tiered_prefixes   = [local.data_prefix, "${local.sink_prefix}/bad/"]
  expiring_prefixes = var.enable_analytics ? { "${local.results_prefix}/" = 30 } : {}
}

module "network" {
  source = "../../modules/network"
  name   = var.name
  # Three zones for three brokers (three-az, msk); two keep the function running in one's outage.
  az_count       = var.kafka_cluster == "single" ? 2 : 3
  s3_bucket_arns = [module.bucket.arn]
  glue_table     = local.glue_table
  # Session Manager's endpoints with enable_ssm, CloudWatch's with alarms (for the sink's lag):
  # reached from the Kafka hosts alone (the hosts' group: with MSK, security_group_id is MSK's).
  ssm_endpoints                   = var.enable_ssm
  metrics_namespace               = local.metrics_namespace
  endpoint_client_security_groups = { kafka_hosts = module.kafka.host_security_group_id }
}

module "iam" {
  source                    = "../../modules/iam"
  name                      = var.name
  bucket_arn                = module.bucket.arn
  sink_prefix               = local.sink_prefix
  artifacts_prefix          = local.artifacts_prefix
  kms_key_arn               = var.kms_key_arn
  glue_table                = local.glue_table
  lambda_log_group_arn      = module.ingest.log_group_arn
  lambda_subnet_ids         = module.network.private_subnet_ids
  lambda_security_group_ids = [module.ingest.security_group_id]
  ssm_sessions              = var.enable_ssm
  metrics_namespace         = local.metrics_namespace
}

module "kafka" {
  source                 = "../../modules/kafka"
  name                   = var.name
  vpc_id                 = module.network.vpc_id
  cluster                = var.kafka_cluster
  subnets                = module.network.private_subnets
  client_security_groups = { lambda = module.ingest.security_group_id }
  s3_prefix_list_id      = module.network.s3_prefix_list_id
  instance_profile_name  = module.iam.sink_instance_profile_name
  instance_type          = var.kafka_instance_type
  kms_key_arn            = var.kms_key_arn
  bucket                 = module.bucket.name
  sink_prefix            = local.sink_prefix
  artifacts_prefix       = local.artifacts_prefix
  kafka_archive          = var.kafka_archive
  clicktrail_bundle      = var.clicktrail_bundle
  sink_settings          = local.sink_settings
  # Empty without a Glue table: the host then has no way to Glue at all.
  glue_endpoint_security_group_ids = module.network.glue_endpoint_security_group_ids
  # With alarms, the sink's lag into CloudWatch every minute; the way to the endpoints (empty
  # without enable_ssm and alarms).
  metrics_namespace           = local.metrics_namespace
  endpoint_security_group_ids = module.network.endpoint_security_group_ids
}

module "ingest" {
  source                  = "../../modules/ingest"
  name                    = var.name
  vpc_id                  = module.network.vpc_id
  subnet_ids              = module.network.private_subnet_ids
  kafka_brokers           = module.kafka.brokers
  kafka_port              = module.kafka.port
  kafka_security_group_id = module.kafka.security_group_id
  # TLS settings for MSK's brokers; none for brokers of our own.
  extra_environment      = module.kafka.client_settings
  sites                  = { (var.site_key) = var.site_origins }
  image_tag              = var.image_tag
  lambda_role_arn        = module.iam.lambda_role_arn
  log_retention_days     = var.log_retention_days
  throttling_rate_limit  = var.throttling_rate_limit
  throttling_burst_limit = var.throttling_burst_limit
}

module "analytics" {
  count          = var.enable_analytics ? 1 : 0
  source         = "../../modules/analytics"
  name           = local.analytics_database
  table          = var.table
  bucket         = module.bucket.name
  sink_prefix    = local.sink_prefix
  results_prefix = local.results_prefix
  kms_key_arn    = var.kms_key_arn
}

# ---- operations --------------------------------------------------------------------------------

locals {
  # The namespace the hosts put the sink's lag into, for the sink-lag alarm; null without alarms.
  metrics_namespace = var.enable_alarms ? "clicktrail" : null
}

module "alarms" {
  count             = var.enable_alarms ? 1 : 0
  source            = "../../modules/alarms"
  name              = var.name
  api_id            = module.ingest.api_id
  function_name     = module.ingest.function_name
  metrics_namespace = local.metrics_namespace
  deployment        = var.name
  email_addresses   = var.alarm_emails
  # After the hosts: the sink-lag alarm counts missing data as breaching, and the sinks start
  # reporting only once their hosts are up (with MSK, after the cluster's 20 to 40 minutes).
  sink_hosts = module.kafka.instance_ids
}
