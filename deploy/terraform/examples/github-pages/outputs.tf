output "api_url" {
  description = "Paste into the tracker's data-endpoint: where the pages post their events."
  value       = module.ingest.events_url
}

output "tracker_snippet" {
  description = "The script tag for the site's pages (with clicktrail.js copied into the site, see README.md)."
  value       = "<script src=\"/clicktrail.js\" data-site=\"${var.site_key}\" data-endpoint=\"${module.ingest.events_url}\" async></script>"
}

output "bucket" {
  description = "The bucket the events land in."
  value       = module.bucket.name
}

output "events_location" {
  description = "Where the Parquet files are: year=/month=/day=/hour= folders below (with table = \"iceberg\", the table's data/ folder, whose files are the table's only as its metadata lists them)."
  value       = "s3://${module.bucket.name}/${local.data_prefix}"
}

output "ecr_repository_url" {
  description = "Where to push the Lambda image."
  value       = module.ingest.ecr_repository_url
}

output "kafka_instance_id" {
  description = "The first Kafka host (the sink's host with MSK), for `aws ec2 get-console-output` (its bootstrap log)."
  value       = module.kafka.instance_ids[0]
}

output "kafka_instance_ids" {
  description = "Every Kafka host: one, or three with kafka_cluster = \"three-az\"."
  value       = module.kafka.instance_ids
}

output "lambda_log_group" {
  description = "CloudWatch log group of the Lambda function."
  value       = module.ingest.log_group_name
}

output "athena_workgroup" {
  description = "Athena workgroup for queries (null without analytics)."
  value       = try(module.analytics[0].workgroup, null)
}

output "athena_table" {
  description = "The events table, as database.table (null without analytics)."
  value       = try(module.analytics[0].glue_table, null)
}

output "alarm_topic_arns" {
  description = "SNS topic the alarms notify (empty without alarms): subscribe to it (aws sns subscribe) for more than alarm_emails."
  value       = try(module.alarms[0].topic_arns, [])
}

output "alarm_arns" {
  description = "The CloudWatch alarms, by what they watch (empty without alarms)."
  value       = try(module.alarms[0].alarm_arns, {})
}
