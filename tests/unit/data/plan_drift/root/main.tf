
variable "stack_id" { type = string }
variable "region" { type = string }
variable "owner" { type = string }
provider "aws" {
  region = var.region
  default_tags { tags = { stack_id = var.stack_id } }
}
locals {
  rules = { raw = 30 }
}
resource "aws_s3_bucket" "data" {
  bucket        = "${var.stack_id}-dyn"
  force_destroy = true
}
resource "aws_s3_bucket_lifecycle_configuration" "expiry" {
  bucket = aws_s3_bucket.data.id
  dynamic "rule" {
    for_each = local.rules
    content {
      id     = "expire-${rule.key}"
      status = "Enabled"
      filter { prefix = "${rule.key}/" }
      expiration { days = rule.value }
    }
  }
  lifecycle {
    ignore_changes = [rule]
  }
}
