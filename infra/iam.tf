# IAM: two personas.
# - pipeline: writes the lake (S3 data buckets, Glue tables) and runs Athena SQL.
# - analyst: queries through Athena only; which columns it sees is decided by Lake
#   Formation grants (governance.tf, a later file), so it gets no direct S3 access to the
#   data buckets.
# Both roles trust the deploying account: any principal there that IAM lets call
# sts:AssumeRole on them (the harness, a person) can act as the persona.

locals {
  glue_catalog_arn   = "arn:${local.partition}:glue:${var.region}:${local.account_id}:catalog"
  athena_catalog_arn = "arn:${local.partition}:athena:${var.region}:${local.account_id}:datacatalog/AwsDataCatalog"

  # Athena needs to describe the `default` database even for queries on other databases.
  glue_database_arns = concat(
    [for name in values(local.glue_database_names) : "arn:${local.partition}:glue:${var.region}:${local.account_id}:database/${name}"],
    ["arn:${local.partition}:glue:${var.region}:${local.account_id}:database/default"],
  )
  glue_table_arns = [
    for name in values(local.glue_database_names) : "arn:${local.partition}:glue:${var.region}:${local.account_id}:table/${name}/*"
  ]

  data_bucket_arns   = [for layer in local.data_layers : local.bucket_arns[layer]]
  results_bucket_arn = local.bucket_arns["athena-results"]

  athena_query_actions = [
    "athena:BatchGetQueryExecution",
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:GetQueryRuntimeStatistics",
    "athena:GetWorkGroup",
    "athena:ListQueryExecutions",
    "athena:StartQueryExecution",
    "athena:StopQueryExecution",
  ]
  # What SQL clients (JDBC/ODBC drivers, the console) call to browse the catalog through Athena.
  athena_browse_actions = [
    "athena:GetDataCatalog",
    "athena:GetDatabase",
    "athena:GetTableMetadata",
    "athena:ListDatabases",
    "athena:ListTableMetadata",
  ]
  glue_read_actions = [
    "glue:GetDatabase",
    "glue:GetDatabases",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:BatchGetPartition",
    "glue:GetTable",
    "glue:GetTables",
    "glue:GetTableVersion",
    "glue:GetTableVersions",
  ]
  glue_write_actions = [
    "glue:BatchCreatePartition",
    "glue:BatchDeletePartition",
    "glue:CreatePartition",
    "glue:CreateTable",
    "glue:DeletePartition",
    "glue:DeleteTable",
    "glue:UpdatePartition",
    "glue:UpdateTable",
  ]
  s3_object_rw_actions = [
    "s3:AbortMultipartUpload",
    "s3:DeleteObject",
    "s3:GetObject",
    "s3:ListMultipartUploadParts",
    "s3:PutObject",
  ]
}

data "aws_iam_policy_document" "trust_account" {
  statement {
    sid     = "TrustDeployingAccount"
    actions = ["sts:AssumeRole", "sts:TagSession"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }
}

# ---------------------------------------------------------------- pipeline

resource "aws_iam_role" "pipeline" {
  name                 = "${local.name_prefix}-pipeline"
  description          = "Bronze -> Gold pipeline of lakehouse stack ${var.stack_id}."
  assume_role_policy   = data.aws_iam_policy_document.trust_account.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "pipeline" {
  statement {
    sid       = "ListLakeBuckets"
    actions   = ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"]
    resources = concat(local.data_bucket_arns, [local.results_bucket_arn])
  }

  statement {
    sid       = "ReadWriteLakeObjects"
    actions   = local.s3_object_rw_actions
    resources = [for arn in concat(local.data_bucket_arns, [local.results_bucket_arn]) : "${arn}/*"]
  }

  statement {
    sid       = "ReadWriteCatalog"
    actions   = concat(local.glue_read_actions, local.glue_write_actions)
    resources = concat([local.glue_catalog_arn], local.glue_database_arns, local.glue_table_arns)
  }

  statement {
    sid       = "RunQueriesInWorkgroup"
    actions   = local.athena_query_actions
    resources = [local.athena_workgroup_arn]
  }

  statement {
    sid       = "BrowseCatalogThroughAthena"
    actions   = local.athena_browse_actions
    resources = [local.athena_catalog_arn]
  }

  statement {
    sid       = "LakeFormationCredentialVending"
    actions   = ["lakeformation:GetDataAccess"]
    resources = ["*"] # GetDataAccess supports no resource-level restriction
  }
}

resource "aws_iam_role_policy" "pipeline" {
  name   = "lakehouse-pipeline"
  role   = aws_iam_role.pipeline.id
  policy = data.aws_iam_policy_document.pipeline.json
}

# ---------------------------------------------------------------- analyst

resource "aws_iam_role" "analyst" {
  name                 = "${local.name_prefix}-analyst"
  description          = "Read-only analyst of lakehouse stack ${var.stack_id}; columns governed by Lake Formation."
  assume_role_policy   = data.aws_iam_policy_document.trust_account.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "analyst" {
  # Its own workgroup only (governance.tf): the pipeline's query history and results stay out of reach.
  statement {
    sid     = "RunQueriesInWorkgroup"
    actions = local.athena_query_actions
    # Built from the name (like the pipeline's): the document stays known at plan time, where
    # lakehouse.policies judges it.
    resources = ["arn:${local.partition}:athena:${var.region}:${local.account_id}:workgroup/${local.analyst_workgroup_name}"]
  }

  statement {
    sid       = "BrowseCatalogThroughAthena"
    actions   = local.athena_browse_actions
    resources = [local.athena_catalog_arn]
  }

  statement {
    sid       = "ReadCatalog"
    actions   = local.glue_read_actions
    resources = concat([local.glue_catalog_arn], local.glue_database_arns, local.glue_table_arns)
  }

  # Lake Formation does not govern the results bucket: plain IAM decides there.
  statement {
    sid       = "ListResultsBucket"
    actions   = ["s3:GetBucketLocation", "s3:ListBucket"]
    resources = [local.results_bucket_arn]
  }

  statement {
    sid       = "ReadWriteQueryResults"
    actions   = local.s3_object_rw_actions
    resources = ["${local.results_bucket_arn}/analyst/*"] # its workgroup's results, not the pipeline's
  }

  statement {
    sid       = "LakeFormationCredentialVending"
    actions   = ["lakeformation:GetDataAccess"]
    resources = ["*"] # GetDataAccess supports no resource-level restriction
  }
}

resource "aws_iam_role_policy" "analyst" {
  name   = "lakehouse-analyst"
  role   = aws_iam_role.analyst.id
  policy = data.aws_iam_policy_document.analyst.json
}
