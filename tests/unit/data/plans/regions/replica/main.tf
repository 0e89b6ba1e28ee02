terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

resource "aws_sns_topic" "this" {
  name_prefix = "copy"
}
