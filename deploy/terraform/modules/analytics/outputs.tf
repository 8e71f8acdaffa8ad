output "database" {
  description = "Glue database holding the events table."
  value       = aws_glue_catalog_database.this.name
}

output "events_table" {
  description = "The events table: SELECT … FROM \"<database>\".events WHERE year = … AND month = …"
  value       = local.events_table
}

output "glue_table" {
  description = "\"database.table\" of the events table: with table = \"iceberg\", the sink's sink.glue_table (CLICKTRAIL_SINK_GLUE_TABLE)."
  value       = "${aws_glue_catalog_database.this.name}.${local.events_table}"
}

output "workgroup" {
  description = "Athena workgroup to run queries in (it fixes where results go, and their encryption)."
  value       = aws_athena_workgroup.this.name
}
