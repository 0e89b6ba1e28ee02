# Lake Formation governance (exit check 6): the analyst reads Gold users without `ssn`.
#
# Order matters (reference: aws-semantics 1.4): the data lake settings make the deployer a data
# lake admin and clear the default IAMAllowedPrincipals permissions *before* the Glue databases
# and tables exist (catalog.tf depends on them); a database or table born under the defaults keeps
# an IAMAllowedPrincipals grant that hands every column to IAM and defeats the exclusion below.
#
# Column wildcard with exclusion, not a data cells filter: both give Athena the same result for
# the analyst, but the grant keeps it in one resource that ListPermissions returns as granted
# (the check reads it back), adds no filter object to keep in step with the table, avoids the
# provider's data-cells-filter drift bugs (#36574, #48208), and a newly added column is granted
# to the analyst unless it is added to the exclusion (trade-off: new PII columns must be listed here).
#
# The settings are account-wide (one per account and region): two stacks in one account share
# them, and destroying one stack clears the admins of the other.

locals {
  # Columns of Gold users the analyst must never read; ssn is the plan's exit check 6.
  gold_users_hidden_columns = ["ssn"]

  # Gold users is created here (not by the pipeline's CREATE TABLE IF NOT EXISTS) because a Lake
  # Formation grant can only name a table that exists; the pipeline fills it with MERGE. The columns
  # must match pipeline/sql/30_gold.sql (a unit test compares them).
  gold_users_columns = [
    { name = "user_id", type = "bigint" },
    { name = "email", type = "string" },
    { name = "full_name", type = "string" },
    { name = "ssn", type = "string" },
    { name = "country", type = "string" },
    { name = "signup_ts", type = "timestamp" },
    { name = "order_count", type = "bigint" },
    { name = "lifetime_value", type = "decimal(12,2)" },
    { name = "last_order_ts", type = "timestamp" },
  ]

  analyst_workgroup_name   = "${local.name_prefix}-analyst"
  analyst_results_location = "s3://${local.bucket_names["athena-results"]}/analyst/"

  # The pipeline role writes every layer: it creates and changes tables in each database.
  pipeline_database_permissions = ["ALTER", "CREATE_TABLE", "DESCRIBE", "DROP"]
}

# The identity running Terraform, as an IAM ARN (a role session's issuer, not the session ARN).
data "aws_iam_session_context" "deployer" {
  arn = data.aws_caller_identity.current.arn
}

resource "aws_lakeformation_data_lake_settings" "this" {
  admins = [data.aws_iam_session_context.deployer.issuer_arn]

  # create_database_default_permissions and create_table_default_permissions are left out on
  # purpose: omitted, they are cleared, so new databases and tables get no IAMAllowedPrincipals grant.
}

# Lake Formation vends credentials for the Gold bucket (where the PII lives) to Athena.
resource "aws_lakeformation_resource" "gold" {
  arn                     = aws_s3_bucket.this["gold"].arn
  use_service_linked_role = true
  hybrid_access_enabled   = false

  depends_on = [aws_lakeformation_data_lake_settings.this]
}

resource "aws_glue_catalog_table" "gold_users" {
  name          = "users"
  database_name = aws_glue_catalog_database.this["gold"].name
  table_type    = "EXTERNAL_TABLE"

  open_table_format_input {
    iceberg_input {
      metadata_operation = "CREATE"
      version            = "2"
    }
  }

  storage_descriptor {
    location = "s3://${aws_s3_bucket.this["gold"].id}/users/"

    dynamic "columns" {
      for_each = local.gold_users_columns

      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }

  # Every Iceberg commit of the pipeline rewrites metadata_location and the column parameters;
  # Terraform owns the table's existence, name and first schema, Iceberg owns what follows.
  lifecycle {
    ignore_changes = [parameters, storage_descriptor]
  }

  depends_on = [aws_lakeformation_data_lake_settings.this]
}

# ---------------------------------------------------------------- analyst

resource "aws_lakeformation_permissions" "analyst_describe_gold" {
  principal   = aws_iam_role.analyst.arn
  permissions = ["DESCRIBE"]

  database {
    name = aws_glue_catalog_database.this["gold"].name
  }
}

# Athena describes `default` for every Lake Formation governed principal, whatever it queries.
# (The account must have the `default` database; Athena and Glue crawlers create it on first use.)
resource "aws_lakeformation_permissions" "analyst_describe_default" {
  principal   = aws_iam_role.analyst.arn
  permissions = ["DESCRIBE"]

  database {
    name = "default"
  }
}

resource "aws_lakeformation_permissions" "analyst_gold_users" {
  principal   = aws_iam_role.analyst.arn
  permissions = ["SELECT"]

  table_with_columns {
    database_name         = aws_glue_catalog_table.gold_users.database_name
    name                  = aws_glue_catalog_table.gold_users.name
    wildcard              = true
    excluded_column_names = local.gold_users_hidden_columns
  }
}

# Its own workgroup: users of one workgroup see each other's query history and result files.
resource "aws_athena_workgroup" "analyst" {
  name          = local.analyst_workgroup_name
  description   = "Analyst queries of lakehouse stack ${var.stack_id} (Lake Formation decides the columns)."
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
      output_location = local.analyst_results_location

      encryption_configuration {
        encryption_option = "SSE_S3"
      }
    }
  }

  depends_on = [aws_s3_bucket.this]
}

# ---------------------------------------------------------------- pipeline

resource "aws_lakeformation_permissions" "pipeline_databases" {
  for_each = local.data_layers

  principal   = aws_iam_role.pipeline.arn
  permissions = local.pipeline_database_permissions

  database {
    name = aws_glue_catalog_database.this[each.key].name
  }
}

resource "aws_lakeformation_permissions" "pipeline_gold_location" {
  principal   = aws_iam_role.pipeline.arn
  permissions = ["DATA_LOCATION_ACCESS"]

  data_location {
    arn = aws_lakeformation_resource.gold.arn
  }
}

resource "aws_lakeformation_permissions" "pipeline_gold_users" {
  principal   = aws_iam_role.pipeline.arn
  permissions = ["ALTER", "DELETE", "DESCRIBE", "DROP", "INSERT", "SELECT"]

  table {
    database_name = aws_glue_catalog_table.gold_users.database_name
    name          = aws_glue_catalog_table.gold_users.name
  }
}
