# Alerts: one SNS topic that AWS Budgets and CloudWatch alarms publish to (finops.tf and
# later files point their notifications here). Subscriptions (e-mail, chat) are added by
# whoever operates the stack.
#
# Not encrypted on purpose: Budgets cannot publish to a topic encrypted with the
# AWS-managed SNS key, and a customer-managed KMS key costs $1/month, 5 % of the budget.

locals {
  alerts_topic_name = "${local.name_prefix}-alerts"
  # Built from the name so the policy document stays known while the topic has changes pending.
  alerts_topic_arn = "arn:${local.partition}:sns:${var.region}:${local.account_id}:${local.alerts_topic_name}"
}

resource "aws_sns_topic" "alerts" {
  name         = local.alerts_topic_name
  display_name = "Lakehouse ${var.stack_id} alerts"
}

data "aws_iam_policy_document" "alerts_topic" {
  statement {
    sid       = "OwnerManagesTopic"
    actions   = ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"]
    resources = [local.alerts_topic_arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "BudgetsPublish"
    actions   = ["SNS:Publish"]
    resources = [local.alerts_topic_arn]

    principals {
      type        = "Service"
      identifiers = ["budgets.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["SNS:Publish"]
    resources = [local.alerts_topic_arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts_topic.json
}
