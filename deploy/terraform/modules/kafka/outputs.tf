output "brokers" {
  description = "Kafka bootstrap servers (host:port), for the Lambda function's CLICKTRAIL_KAFKA_BROKERS."
  value       = [local.brokers]
}

output "private_ip" {
  description = "The host's fixed private address."
  value       = local.private_ip
}

output "port" {
  description = "Kafka's client port."
  value       = var.kafka_port
}

output "security_group_id" {
  description = "Security group of the Kafka host."
  value       = aws_security_group.kafka.id
}

output "instance_id" {
  description = "ID of the Kafka host, e.g. for aws ec2 get-console-output (the bootstrap's log)."
  value       = aws_instance.this.id
}

output "data_volume_id" {
  description = "The EBS volume holding Kafka's log."
  value       = aws_ebs_volume.data.id
}

output "artifact_keys" {
  description = "Keys of the uploaded Kafka release and clicktrail bundle in the bucket."
  value       = { kafka = local.kafka_key, clicktrail = local.bundle_key }
}
