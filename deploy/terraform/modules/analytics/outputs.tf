output "database" {
  description = "Glue database holding the events table."
  value       = aws_glue_catalog_database.this.name
}

output "events_table" {
  description = "The events table: SELECT … FROM \"<database>\".events WHERE year = … AND month = …"
  value       = aws_glue_catalog_table.events.name
}

output "workgroup" {
  description = "Athena workgroup to run queries in (it fixes where results go, and their encryption)."
  value       = aws_athena_workgroup.this.name
}
