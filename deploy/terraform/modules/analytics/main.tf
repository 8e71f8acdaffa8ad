# SQL over the sink's output with Athena: a Glue table "events" and a workgroup that fixes where
# query results go. The table is one of two kinds, as the sink's sink.table:
#
# - "files" (the default): Hive-partitioned Parquet under PREFIX/events/. Partition projection:
#   Athena computes the partitions (year=/month=/day=/hour=, the sink's default sink.layout) from
#   the table's properties instead of reading them from the catalog, so no crawler or MSCK REPAIR
#   has to run as new hours arrive. Filter on year and month (or day): a query without a
#   partition filter lists every projected hour.
# - "iceberg": the Iceberg table the sink keeps at PREFIX (docs/iceberg.md). Terraform makes the
#   Glue entry; the sink (sink.glue_table) points it at each version it commits, so Terraform
#   must not take those parameters back: it ignores changes to them. Athena reads the schema,
#   partitions and files from the table's own metadata, and answers "metadata_location not found"
#   until the sink's first commit.

locals {
  tags = merge(var.tags, { module = "clicktrail/analytics" })

  # docs/event-schema.md's fields, in file order, as docs/parquet.md stores them: text as
  # STRING, timestamps as TIMESTAMP(MILLIS, UTC), integers as INT32, props as JSON text.
  columns = [
    ["event_id", "string"], ["type", "string"], ["site", "string"],
    ["client_ts", "timestamp"], ["sent_ts", "timestamp"], ["collector_ts", "timestamp"], ["event_ts", "timestamp"],
    ["anonymous_id", "string"], ["user_id", "string"], ["session_id", "string"], ["network_id", "string"],
    ["page_url", "string"], ["page_path", "string"], ["page_title", "string"], ["referrer", "string"],
    ["utm_source", "string"], ["utm_medium", "string"], ["utm_campaign", "string"], ["utm_term", "string"],
    ["utm_content", "string"],
    ["target_tag", "string"], ["target_id", "string"], ["target_classes", "string"], ["target_text", "string"],
    ["target_href", "string"], ["target_selector", "string"],
    ["x", "int"], ["y", "int"], ["scroll_depth", "int"], ["engaged_ms", "int"],
    ["viewport_w", "int"], ["viewport_h", "int"], ["screen_w", "int"], ["screen_h", "int"],
    ["locale", "string"], ["timezone", "string"],
    ["ua", "string"], ["ip", "string"],
    ["geo_country", "string"], ["geo_region", "string"], ["geo_city", "string"], ["geo_asn", "bigint"],
    ["geo_asn_org", "string"],
    ["props", "string"], ["truncated", "boolean"], ["schema_version", "int"],
    # the sink's enrichment, last (docs/event-schema.md)
    ["ua_browser", "string"], ["ua_browser_version", "string"], ["ua_os", "string"], ["ua_os_version", "string"],
    ["ua_device", "string"], ["ua_device_brand", "string"], ["ua_device_model", "string"],
    ["is_bot", "boolean"], ["bot_name", "string"],
    ["referrer_medium", "string"], ["referrer_source", "string"], ["referrer_term", "string"],
    ["click_id_kind", "string"],
  ]

  events_location = "s3://${var.bucket}/${var.sink_prefix}/events"
  table_location  = "s3://${var.bucket}/${var.sink_prefix}"
  # Whichever of the two tables var.table made.
  events_table = one(concat(aws_glue_catalog_table.events[*].name, aws_glue_catalog_table.iceberg_events[*].name))
}

resource "aws_glue_catalog_database" "this" {
  name        = var.name
  description = "clicktrail: the events the sink writes to s3://${var.bucket}/${var.sink_prefix}/"
  tags        = local.tags
}

resource "aws_glue_catalog_table" "events" {
  count         = var.table == "files" ? 1 : 0
  database_name = aws_glue_catalog_database.this.name
  name          = "events"
  description   = "clicktrail events (docs/event-schema.md), Parquet, partitioned by the hour of collector_ts (UTC)"
  table_type    = "EXTERNAL_TABLE"

  parameters = {
    EXTERNAL             = "TRUE"
    classification       = "parquet"
    "projection.enabled" = "true"
    # Ten years ahead: enough, and few enough hours (under 100 000) for Athena to project.
    "projection.year.type"      = "integer"
    "projection.year.range"     = "${var.first_year},${var.first_year + 10}"
    "projection.month.type"     = "integer"
    "projection.month.range"    = "1,12"
    "projection.month.digits"   = "2"
    "projection.day.type"       = "integer"
    "projection.day.range"      = "1,31"
    "projection.day.digits"     = "2"
    "projection.hour.type"      = "integer"
    "projection.hour.range"     = "0,23"
    "projection.hour.digits"    = "2"
    "storage.location.template" = "${local.events_location}/year=$${year}/month=$${month}/day=$${day}/hour=$${hour}"
  }

  storage_descriptor {
    location      = "${local.events_location}/"
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

    ser_de_info {
      name                  = "parquet"
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    }

    dynamic "columns" {
      for_each = local.columns
      content {
        name = columns.value[0]
        type = columns.value[1]
      }
    }
  }

  partition_keys {
    name = "year"
    type = "int"
  }
  partition_keys {
    name = "month"
    type = "int"
  }
  partition_keys {
    name = "day"
    type = "int"
  }
  partition_keys {
    name = "hour"
    type = "int"
  }
}

# Before the choice of table kind, the files table was the only one.
moved {
  from = aws_glue_catalog_table.events
  to   = aws_glue_catalog_table.events[0]
}

resource "aws_glue_catalog_table" "iceberg_events" {
  count         = var.table == "iceberg" ? 1 : 0
  database_name = aws_glue_catalog_database.this.name
  name          = "events"
  description   = "clicktrail events (docs/event-schema.md), an Iceberg table the sink commits to; partitioned by the hour of collector_ts (UTC)"
  table_type    = "EXTERNAL_TABLE"

  # No metadata_location: the sink sets it at its first commit and moves it at every later one
  # (with previous_metadata_location), carrying this definition over.
  parameters = {
    table_type = "ICEBERG"
  }

  # For the Glue console and crawlers' eyes only: Athena takes the columns from the table's
  # metadata, where each has the field id the Parquet files carry.
  storage_descriptor {
    location = local.table_location

    dynamic "columns" {
      for_each = local.columns
      content {
        name = columns.value[0]
        type = columns.value[1]
      }
    }
  }

  lifecycle {
    # The sink owns these after its first commit; applying the module again must not point
    # Athena back at no version (or at an old one).
    ignore_changes = [parameters, storage_descriptor]
  }
}

resource "aws_athena_workgroup" "this" {
  name        = replace(var.name, "_", "-")
  description = "clicktrail: queries over the events table"
  state       = "ENABLED"

  configuration {
    # Queries cannot pick another result location or turn off encryption.
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location = "s3://${var.bucket}/${var.results_prefix}/"
      encryption_configuration {
        encryption_option = var.kms_key_arn == null ? "SSE_S3" : "SSE_KMS"
        kms_key_arn       = var.kms_key_arn
      }
    }
  }

  tags = local.tags
}
