# The bucket the sink writes to. Private whatever happens to an object's ACL or a future policy
# (Block Public Access, ACLs disabled), reachable only over TLS, encrypted at rest, versioned so
# that an overwrite or delete can be undone, with lifecycle rules that keep the bill in step.

locals {
  tags = merge(var.tags, { module = "clicktrail/bucket" })
}

resource "aws_s3_bucket" "this" {
  bucket        = var.name
  force_destroy = var.force_destroy
  tags          = merge(local.tags, { Name = var.name })

  lifecycle {
    precondition {
      condition     = var.archive_after_days == null || try(var.archive_after_days >= var.infrequent_access_after_days + 30, false)
      error_message = "archive_after_days must be at least infrequent_access_after_days + 30: S3 bills Standard-IA objects for 30 days at least."
    }
  }
}

# All four settings: no ACL or policy can make this bucket or an object in it public, and any
# that would is refused or ignored.
resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# ACLs off: the bucket owner owns every object and only policies grant access.
resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    # One data key per bucket rather than per object: without it every part the sink uploads
    # is a KMS request, billed and rate-limited.
    bucket_key_enabled = var.kms_key_arn != null
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.bucket.json
  # S3 refuses a policy while a Block Public Access change is in flight.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

data "aws_iam_policy_document" "bucket" {
  # Deny, not allow: whoever the caller and whatever their own permissions, a request over plain
  # HTTP is refused, so credentials and data never cross a network unencrypted.
  statement {
    sid    = "DenyInsecureTransport"
    effect = "Deny"
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  # TLS 1.0 and 1.1 are broken enough that no current client needs them.
  statement {
    sid    = "DenyOutdatedTls"
    effect = "Deny"
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  # Parts of an upload that is never completed are billed, and invisible in listings.
  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_upload_days
    }
  }

  # Versioning keeps every overwritten object: the sink rewrites its intent objects at each
  # commit and deletes the leftovers of a crash, so old versions pile up unless they expire.
  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }
    # A delete marker whose versions have all expired is clutter in every versioned listing.
    expiration {
      expired_object_delete_marker = true
    }
  }

  # Only the data prefixes age into cheaper classes. The sink's intent objects
  # (<prefix>/_clicktrail/) are read at every start and must stay in Standard; Athena's results
  # are short-lived. Objects under 128 KiB are not moved (S3's default), as moving them costs
  # more than it saves.
  dynamic "rule" {
    for_each = toset(var.tiered_prefixes)
    content {
      id     = "tier-${trimsuffix(replace(rule.value, "/", "-"), "-")}"
      status = "Enabled"
      filter {
        prefix = rule.value
      }
      transition {
        days          = var.infrequent_access_after_days
        storage_class = "STANDARD_IA"
      }
      dynamic "transition" {
        for_each = var.archive_after_days == null ? [] : [var.archive_after_days]
        content {
          days          = transition.value
          storage_class = "GLACIER_IR"
        }
      }
    }
  }

  dynamic "rule" {
    for_each = var.expiring_prefixes
    content {
      id     = "expire-${trimsuffix(replace(rule.key, "/", "-"), "-")}"
      status = "Enabled"
      filter {
        prefix = rule.key
      }
      expiration {
        days = rule.value
      }
    }
  }

  # S3 asks for versioning to be set before lifecycle rules that act on versions.
  depends_on = [aws_s3_bucket_versioning.this]
}
