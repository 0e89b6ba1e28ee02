# Athena: one workgroup whose settings the clients cannot override (results location,
# encryption, scan limit), so cost and data-handling rules hold for every query.

locals {
  athena_workgroup_name    = local.name_prefix
  athena_workgroup_arn     = "arn:${local.partition}:athena:${var.region}:${local.account_id}:workgroup/${local.athena_workgroup_name}"
  athena_results_location  = "s3://${local.bucket_names["athena-results"]}/results/"
  athena_engine_version_v3 = "Athena engine version 3"
}

resource "aws_athena_workgroup" "this" {
  name          = local.athena_workgroup_name
  description   = "Queries of lakehouse stack ${var.stack_id}."
  state         = "ENABLED"
  force_destroy = var.force_destroy

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.athena_bytes_scanned_cutoff

    engine_version {
      selected_engine_version = local.athena_engine_version_v3
    }

    result_configuration {
      output_location = local.athena_results_location

      encryption_configuration {
        encryption_option = "SSE_S3"
      }
    }
  }

  # The results location is built from the bucket name; order creation (and destroy) explicitly.
  depends_on = [aws_s3_bucket.this]
}
