output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 range of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnets, one per availability zone (empty of resources by default)."
  value       = aws_subnet.public[*].id
}

output "private_subnets" {
  description = "Private subnets, one per availability zone, in zone order: id, cidr_block and availability_zone of each."
  value = [for s in aws_subnet.private : {
    id                = s.id
    cidr_block        = s.cidr_block
    availability_zone = s.availability_zone
  }]
}

output "private_subnet_ids" {
  description = "IDs of the private subnets."
  value       = aws_subnet.private[*].id
}

output "private_route_table_id" {
  description = "Route table of the private subnets (no default route; the S3 endpoint only)."
  value       = aws_route_table.private.id
}

output "s3_endpoint_id" {
  description = "ID of the S3 gateway endpoint."
  value       = aws_vpc_endpoint.s3.id
}

output "s3_prefix_list_id" {
  description = "Managed prefix list of S3's addresses in this region, for security group egress rules to the gateway endpoint."
  value       = aws_vpc_endpoint.s3.prefix_list_id
}

output "glue_endpoint_security_group_ids" {
  description = "Security group of the Glue endpoint, as a list of one (empty without glue_table): the Kafka host's egress to Glue goes to it. A list, so that a count over it is known when planning."
  value       = aws_security_group.glue_endpoint[*].id
}

output "endpoint_security_group_ids" {
  description = "Security group of the Session Manager and CloudWatch endpoints, as a list of one (empty without ssm_endpoints and metrics_namespace): the Kafka hosts' egress to them goes to it. A list, so that a count over it is known when planning."
  value       = aws_security_group.endpoints[*].id
}

output "flow_log_group_name" {
  description = "CloudWatch log group of the VPC's flow log."
  value       = aws_cloudwatch_log_group.flow_logs.name
}
