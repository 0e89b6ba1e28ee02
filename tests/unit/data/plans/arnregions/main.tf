# Where each planned resource is priced when the saved plan keeps an object that exists (lakehouse/kpi/cost.py
# arn_placed): the stack was applied with its keys, queue and schedule in eu-west-1 and ap-northeast-1
# (applied-state.json); the configuration now puts them all in var.region (us-east-1) and the plan is
# -refresh=false (exit check 5's fallback), so the state's objects are kept as they are, in the regions their
# ARNs name. aws_kms_key.fresh is not in the state (created in us-east-1); aws_kms_key.home is, in us-east-1.
# The multi-Region primary, its replica (alias tokyo) and an external key are planned fresh.
# Planned with: terraform plan -refresh=false -state=applied-state.json -out=p.tfplan
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

variable "region" {
  type    = string
  default = "us-east-1"
}

provider "aws" {
  region                      = var.region
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

provider "aws" {
  alias                       = "tokyo"
  region                      = "ap-northeast-1"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

resource "aws_kms_key" "lake" {}

resource "aws_kms_key" "moved" {}

resource "aws_kms_key" "home" {}

resource "aws_kms_key" "fresh" {}

resource "aws_sqs_queue" "inbox" {
  name = "inbox"
}

resource "aws_scheduler_schedule" "catalog_pause" {
  name                = "catalog-pause"
  schedule_expression = "rate(1 hour)"
  flexible_time_window {
    mode = "OFF"
  }
  target {
    arn      = "arn:aws:scheduler:::aws-sdk:apprunner:pauseService"
    role_arn = "arn:aws:iam::123456789012:role/pause"
  }
}

resource "aws_kms_key" "multi" {
  multi_region        = true
  enable_key_rotation = true
}

resource "aws_kms_replica_key" "dr" {
  provider        = aws.tokyo
  primary_key_arn = aws_kms_key.multi.arn
}

resource "aws_kms_external_key" "byok" {}
