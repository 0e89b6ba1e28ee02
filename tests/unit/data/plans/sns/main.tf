# SNS subscriptions as the cost KPI reads them (lakehouse/kpi/sns_delivery.py): a queue (free; its ARN known only
# at apply), a mailbox, a Japanese phone, an HTTPS hook, and a phone number given as a sensitive variable.
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

provider "aws" {
  region                      = "ap-northeast-1"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

variable "pager_number" {
  type      = string
  default   = "+819011112222"
  sensitive = true
}

resource "aws_sns_topic" "alerts" {
  name = "alerts"
}

resource "aws_sqs_queue" "inbox" {
  name = "inbox"
}

resource "aws_sns_topic_subscription" "inbox" {
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.inbox.arn
}

resource "aws_sns_topic_subscription" "mailbox" {
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = "ops@example.com"
}

resource "aws_sns_topic_subscription" "phone" {
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "sms"
  endpoint  = "+819012345678"
}

resource "aws_sns_topic_subscription" "hook" {
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "https"
  endpoint  = "https://example.com/hook"
}

resource "aws_sns_topic_subscription" "pager" {
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "sms"
  endpoint  = var.pager_number
}
