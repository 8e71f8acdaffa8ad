# SQL over the sink's Parquet files with Athena: a Glue table over PREFIX/events/ and a workgroup
# that fixes where query results go.
#
# Partition projection: Athena computes the partitions (year=/month=/day=/hour=, the sink's
# default sink.layout) from the table's properties instead of reading them from the catalog, so
# no crawler or MSCK REPAIR has to run as new hours arrive. Filter on year and month (or day):
# a query without a partition filter lists every projected hour.

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
}

resource "aws_glue_catalog_database" "this" {
  name        = var.name
  description = "clicktrail: the events the sink writes to s3://${var.bucket}/${var.sink_prefix}/"
  tags        = local.tags
}

resource "aws_glue_catalog_table" "events" {
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
