# The alerts' inbox: an SQS queue subscribed to both alert topics (alerts.tf, finops.tf), so a
# budget or billing alert always reaches somewhere it is kept (14 days) and can be read, even
# before anyone subscribes a mailbox or a chat. Exit check 7 counts only confirmed subscriptions
# (an alert nobody receives is no alert); an SQS subscription in the topic's own account is
# confirmed at once. More receivers (e-mail, chat) are added by whoever operates the stack:
# `alert_email_addresses` subscribes mailboxes, which count once their owner clicks the link.

resource "aws_sqs_queue" "alerts_inbox" {
  name                      = "${local.name_prefix}-alerts-inbox"
  message_retention_seconds = 1209600 # the longest SQS keeps a message
  sqs_managed_sse_enabled   = true
}

data "aws_iam_policy_document" "alerts_inbox" {
  statement {
    sid       = "AlertTopicsDeliver"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.alerts_inbox.arn]

    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.alerts_topic_arn, local.billing_topic_arn]
    }
  }
}

resource "aws_sqs_queue_policy" "alerts_inbox" {
  queue_url = aws_sqs_queue.alerts_inbox.id
  policy    = data.aws_iam_policy_document.alerts_inbox.json
}

resource "aws_sns_topic_subscription" "alerts_inbox" {
  topic_arn  = aws_sns_topic.alerts.arn
  protocol   = "sqs"
  endpoint   = aws_sqs_queue.alerts_inbox.arn
  depends_on = [aws_sqs_queue_policy.alerts_inbox]
}

resource "aws_sns_topic_subscription" "billing_alerts_inbox" {
  provider = aws.use1

  topic_arn  = aws_sns_topic.billing_alerts.arn
  protocol   = "sqs"
  endpoint   = aws_sqs_queue.alerts_inbox.arn # SNS delivers across regions to a queue of the same account
  depends_on = [aws_sqs_queue_policy.alerts_inbox]
}

resource "aws_sns_topic_subscription" "alerts_email" {
  for_each = toset(var.alert_email_addresses)

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_sns_topic_subscription" "billing_alerts_email" {
  provider = aws.use1
  for_each = toset(var.alert_email_addresses)

  topic_arn = aws_sns_topic.billing_alerts.arn
  protocol  = "email"
  endpoint  = each.value
}

variable "alert_email_addresses" {
  description = "Mailboxes subscribed to both alert topics (each must confirm AWS's e-mail before it receives anything)."
  type        = list(string)
  default     = []
}
