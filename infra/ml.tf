# MLflow -> SageMaker: the model artifact bucket, SageMaker's execution role, and the serverless
# endpoint that serves the model version the harness registered in the stack's MLflow.
#
# Two phases (a model needs Gold data, Gold needs the deployed lake):
#   1. the first apply (`make up`, exit check 1's stopwatch) makes the bucket and the role only:
#      `model_data_url` is empty, so there is no model or endpoint yet;
#   2. after the pipeline has built Gold, the harness trains, registers, packs the version as
#      model.tar.gz in the bucket and applies again with `model_version` and `model_data_url`
#      (kept in the stack's lakehouse_model.auto.tfvars.json, so later plans read them too).
# `ml_enabled = false` leaves all of it out.

variable "ml_enabled" {
  description = "Deploy the MLflow -> SageMaker part (model bucket, SageMaker role, serverless endpoint)."
  type        = bool
  default     = true
}

variable "model_version" {
  description = "Registered MLflow model version the endpoint serves (set by the harness after training; empty: no endpoint yet)."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^[0-9]*$", var.model_version))
    error_message = "model_version must be an MLflow model version number (or empty)."
  }
}

variable "model_data_url" {
  description = "S3 URL of the registered version's model.tar.gz in the model bucket (set by the harness; empty: no endpoint yet)."
  type        = string
  default     = ""

  validation {
    condition     = var.model_data_url == "" || can(regex("^s3://.+\\.tar\\.gz$", var.model_data_url))
    error_message = "model_data_url must be an s3:// URL of a .tar.gz archive (or empty)."
  }
}

variable "model_image" {
  description = "Inference image of the model (MLflow's pyfunc serving image, as `mlflow sagemaker build-and-push-container` pushes it); empty: <account>.dkr.ecr.<region>.amazonaws.com/mlflow-pyfunc:3.18.0."
  type        = string
  default     = ""
}

variable "model_memory_mb" {
  description = "Memory of the serverless endpoint (MB): the GB-second price scales with it."
  type        = number
  default     = 2048

  validation {
    condition     = contains([1024, 2048, 3072, 4096, 5120, 6144], var.model_memory_mb)
    error_message = "model_memory_mb must be one of SageMaker serverless's sizes: 1024 to 6144 in steps of 1024."
  }
}

variable "model_max_concurrency" {
  description = "Concurrent invocations the serverless endpoint may serve (caps the cost of a burst)."
  type        = number
  default     = 2

  validation {
    condition     = var.model_max_concurrency >= 1 && var.model_max_concurrency <= 5
    error_message = "model_max_concurrency must be 1 to 5 (the stack's cost cap)."
  }
}

locals {
  ml_bucket_name   = "${local.name_prefix}-ml-artifacts-${local.account_id}"
  ml_bucket_arn    = "arn:${local.partition}:s3:::${local.ml_bucket_name}"
  ml_buckets       = var.ml_enabled ? toset(["ml-artifacts"]) : toset([])
  model_deployed   = var.ml_enabled && var.model_data_url != "" && var.model_version != ""
  model_image      = var.model_image != "" ? var.model_image : "${local.account_id}.dkr.ecr.${var.region}.amazonaws.com/mlflow-pyfunc:3.18.0"
  model_endpoint   = "${local.name_prefix}-daily-revenue"
  model_name       = "${local.name_prefix}-daily-revenue-v${var.model_version}"
  sagemaker_models = local.model_deployed ? toset(["daily-revenue"]) : toset([])
}

# ---------------------------------------------------------------- model bucket (the lake buckets' conventions)

resource "aws_s3_bucket" "ml" {
  #checkov:skip=CKV_AWS_21:false positive on for_each, judged per bucket by lakehouse.policies bucket-versioning
  #checkov:skip=CKV2_AWS_6:false positive on for_each, judged per bucket by lakehouse.policies bucket-public-access-block
  #checkov:skip=CKV2_AWS_61:false positive on for_each, judged per bucket by lakehouse.policies bucket-lifecycle
  for_each = local.ml_buckets

  bucket        = local.ml_bucket_name
  force_destroy = var.force_destroy

  tags = {
    purpose = each.key
  }
}

resource "aws_s3_bucket_ownership_controls" "ml" {
  for_each = aws_s3_bucket.ml

  bucket = each.value.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "ml" {
  for_each = aws_s3_bucket.ml

  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "ml" {
  for_each = aws_s3_bucket.ml

  bucket = each.value.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "ml" {
  for_each = aws_s3_bucket.ml

  bucket = each.value.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
    bucket_key_enabled = false
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "ml" {
  for_each = var.s3_lifecycle_rules_enabled ? aws_s3_bucket.ml : {}

  bucket = each.value.id

  rule {
    id     = "bound-version-history"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.ml]
}

data "aws_iam_policy_document" "ml_bucket_tls_only" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [local.ml_bucket_arn, "${local.ml_bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "ml" {
  for_each = aws_s3_bucket.ml

  bucket = each.value.id
  policy = data.aws_iam_policy_document.ml_bucket_tls_only.json

  depends_on = [aws_s3_bucket_public_access_block.ml]
}

# ---------------------------------------------------------------- SageMaker's execution role

data "aws_iam_policy_document" "trust_sagemaker" {
  statement {
    sid     = "TrustSageMaker"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "sagemaker" {
  count = var.ml_enabled ? 1 : 0

  name                 = "${local.name_prefix}-sagemaker"
  description          = "SageMaker serving the MLflow model of lakehouse stack ${var.stack_id}."
  assume_role_policy   = data.aws_iam_policy_document.trust_sagemaker.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "sagemaker" {
  statement {
    sid       = "ReadModelArtifacts"
    actions   = ["s3:GetObject"]
    resources = ["${local.ml_bucket_arn}/*"]
  }

  statement {
    sid       = "ListModelBucket"
    actions   = ["s3:ListBucket"]
    resources = [local.ml_bucket_arn]
  }

  statement {
    sid       = "PullInferenceImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = ["arn:${local.partition}:ecr:${var.region}:${local.account_id}:repository/mlflow-pyfunc"]
  }

  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # GetAuthorizationToken supports no resource-level restriction
  }

  statement {
    sid       = "WriteEndpointLogs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:/aws/sagemaker/Endpoints/${local.model_endpoint}:*"]
  }
}

resource "aws_iam_role_policy" "sagemaker" {
  count = var.ml_enabled ? 1 : 0

  name   = "lakehouse-sagemaker"
  role   = aws_iam_role.sagemaker[0].id
  policy = data.aws_iam_policy_document.sagemaker.json
}

# ---------------------------------------------------------------- model, serverless endpoint

resource "aws_sagemaker_model" "this" {
  #checkov:skip=CKV_AWS_370:Serverless Inference excludes network isolation (AWS docs); the model calls out to nothing
  for_each = local.sagemaker_models

  # One name per version: an endpoint config and its endpoint then move to a new version as an
  # update (SageMaker keeps serving the old one until the new one is InService).
  # No enable_network_isolation: AWS lists network isolation (and a VPC) among Serverless Inference's
  # feature exclusions, so an isolated model cannot be deployed to the serverless endpoint below.
  name               = local.model_name
  execution_role_arn = aws_iam_role.sagemaker[0].arn

  primary_container {
    image          = local.model_image
    model_data_url = var.model_data_url
    mode           = "SingleModel"
  }

  depends_on = [aws_iam_role_policy.sagemaker]
}

resource "aws_sagemaker_endpoint_configuration" "this" {
  #checkov:skip=CKV_AWS_98:serverless endpoints keep no storage volume of ours to encrypt (KMS keys apply to instance volumes)
  for_each = local.sagemaker_models

  name = local.model_name

  production_variants {
    variant_name = "AllTraffic"
    model_name   = aws_sagemaker_model.this[each.key].name

    # Serverless: billed per GB-second of inference and per GB processed; no instances, so idle costs 0.
    serverless_config {
      memory_size_in_mb = var.model_memory_mb
      max_concurrency   = var.model_max_concurrency
    }
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_sagemaker_endpoint" "this" {
  for_each = local.sagemaker_models

  name                 = local.model_endpoint
  endpoint_config_name = aws_sagemaker_endpoint_configuration.this[each.key].name
}

output "ml_bucket_name" {
  description = "Bucket of the stack's MLflow artifacts and the SageMaker model archives (null when ml_enabled is false)."
  value       = var.ml_enabled ? aws_s3_bucket.ml["ml-artifacts"].bucket : null
}

output "model_endpoint_name" {
  description = "SageMaker endpoint serving the registered model (null until a model version is deployed)."
  value       = local.model_deployed ? aws_sagemaker_endpoint.this["daily-revenue"].name : null
}
