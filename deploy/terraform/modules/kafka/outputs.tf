output "brokers" {
  description = "Kafka bootstrap servers (host:port), for the Lambda function's CLICKTRAIL_KAFKA_BROKERS."
  value       = local.brokers
}

output "port" {
  description = "The port clients reach the brokers on: kafka_port, or MSK's TLS port."
  value       = local.client_port
}

output "security_group_id" {
  description = "Security group of the brokers, which admits the client security groups: the hosts', or MSK's."
  value       = local.runs_kafka ? aws_security_group.kafka.id : aws_security_group.msk[0].id
}

output "client_settings" {
  description = "What a client such as the Lambda function needs besides the brokers, as CLICKTRAIL_* environment variables: TLS for MSK, nothing otherwise."
  value       = local.producer_settings
}

output "host_security_group_id" {
  description = "Security group of the hosts (Kafka and the sink, or the sink alone)."
  value       = aws_security_group.kafka.id
}

output "private_ips" {
  description = "The hosts' fixed private addresses."
  value       = local.host_ips
}

output "instance_ids" {
  description = "IDs of the hosts, e.g. for aws ec2 get-console-output (the bootstrap's log)."
  value       = aws_instance.host[*].id
}

output "data_volume_ids" {
  description = "The EBS volumes holding Kafka's log, one per broker host (none with MSK)."
  value       = aws_ebs_volume.data[*].id
}

output "msk_cluster_arn" {
  description = "ARN of the MSK cluster (cluster = \"msk\"), or null."
  value       = local.msk ? aws_msk_cluster.this[0].arn : null
}

output "artifact_keys" {
  description = "Keys of the uploaded Kafka release and clicktrail bundle in the bucket."
  value       = { kafka = local.kafka_key, clicktrail = local.bundle_key }
}
