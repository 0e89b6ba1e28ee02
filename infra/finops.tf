# Fin/Obs guards (exit check 7): a monthly cost budget that alerts the SNS alerts topic,
# a billing alarm on AWS's estimated charges, and a CloudWatch dashboard with the metrics
# that decide this stack's cost and health.
#
# Account-wide on purpose: a budget filtered by the `stack_id` tag would read 0 USD until the
# tag is activated as a cost allocation tag (a manual step that only works a day after the
# tag first appears in billing data). The learning stack is meant for an account of its own.

locals {
  budget_name          = "${local.name_prefix}-monthly-cost"
  dashboard_name       = "${local.name_prefix}-finops" # dashboards are account-global: the prefix keeps stacks apart
  billing_alarm_name   = "${local.name_prefix}-estimated-charges"
  billing_region       = "us-east-1" # where AWS/Billing metrics exist, see providers.tf
  billing_topic_name   = "${local.name_prefix}-billing-alerts"
  billing_topic_arn    = "arn:${local.partition}:sns:${local.billing_region}:${local.account_id}:${local.billing_topic_name}"
  budget_limit_amount  = tostring(var.monthly_cost_cap_usd)
  billing_period_s     = 21600 # AWS publishes EstimatedCharges a few times a day; 6 h periods see every update
  s3_storage_period_s  = 86400 # S3 storage metrics are daily
  athena_metric_period = 300
  # A dashboard graph's period is 1, 5, 10, 30 or a multiple of 60 s (PutDashboard refuses others): an alarm
  # period of 20 s is drawn at 10 s, each other alarm period as it is.
  pipeline_tile_period_s = var.alarm_period_s == 20 ? 10 : var.alarm_period_s
}

# ---------------------------------------------------------------- budget

resource "aws_budgets_budget" "monthly_cost" {
  name         = local.budget_name
  budget_type  = "COST"
  limit_amount = local.budget_limit_amount
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  # Early warning: real spend passed 80 % of the cap.
  notification {
    notification_type         = "ACTUAL"
    comparison_operator       = "GREATER_THAN"
    threshold                 = 80
    threshold_type            = "PERCENTAGE"
    subscriber_sns_topic_arns = [aws_sns_topic.alerts.arn]
  }

  # AWS's forecast says the month will end over the cap: act before it happens.
  notification {
    notification_type         = "FORECASTED"
    comparison_operator       = "GREATER_THAN"
    threshold                 = 100
    threshold_type            = "PERCENTAGE"
    subscriber_sns_topic_arns = [aws_sns_topic.alerts.arn]
  }

  # Budgets checks that it may publish to the topic when the notification is created.
  depends_on = [aws_sns_topic_policy.alerts]
}

# ---------------------------------------------------------------- billing alarm (us-east-1)
#
# On AWS, EstimatedCharges is only published once "Receive Billing Alerts" is enabled in the
# account's billing preferences (a console setting without an API); until then the alarm has
# no data and never fires. Missing data counts as not breaching, so such an alarm shows OK:
# exit check 7 reads ListMetrics in us-east-1 to see that the metric is published.

resource "aws_sns_topic" "billing_alerts" {
  provider = aws.use1

  name         = local.billing_topic_name
  display_name = "Lakehouse ${var.stack_id} billing alerts"
}

data "aws_iam_policy_document" "billing_alerts_topic" {
  statement {
    sid       = "OwnerManagesTopic"
    actions   = ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"]
    resources = [local.billing_topic_arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["SNS:Publish"]
    resources = [local.billing_topic_arn]

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

resource "aws_sns_topic_policy" "billing_alerts" {
  provider = aws.use1

  arn    = aws_sns_topic.billing_alerts.arn
  policy = data.aws_iam_policy_document.billing_alerts_topic.json
}

resource "aws_cloudwatch_metric_alarm" "estimated_charges" {
  provider = aws.use1

  alarm_name          = local.billing_alarm_name
  alarm_description   = "Month-to-date estimated charges of the account passed the ${var.monthly_cost_cap_usd} USD cap of lakehouse stack ${var.stack_id}."
  namespace           = "AWS/Billing"
  metric_name         = "EstimatedCharges"
  dimensions          = { Currency = "USD" }
  statistic           = "Maximum"
  period              = local.billing_period_s
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.monthly_cost_cap_usd
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.billing_alerts.arn]
}

# ---------------------------------------------------------------- dashboard
#
# Seven metric series, each one a row of `properties.metrics` (exit check 7 counts them), and
# the pipeline alarms (alarms.tf) in an alarm widget. Athena bytes processed and query time
# for the stack's workgroup (Athena bills by bytes scanned), the gold bucket's size (storage cost), and the account's estimated charges.
# Athena publishes per-workgroup metrics with the QueryState/QueryType/WorkGroup dimensions
# because the workgroup has publish_cloudwatch_metrics_enabled (athena.tf). The pipeline's
# failures, rows refused and Gold freshness are what its alarms watch (alarms.tf).

resource "aws_cloudwatch_dashboard" "finops" {
  dashboard_name = local.dashboard_name

  dashboard_body = jsonencode({
    widgets = [
      {
        type   = "text"
        x      = 0
        y      = 0
        width  = 24
        height = 2
        properties = {
          markdown = "## Lakehouse ${var.stack_id}: cost and usage\nBudget `${local.budget_name}` (${var.monthly_cost_cap_usd} USD/month) and alarm `${local.billing_alarm_name}` notify the alerts topics."
        }
      },
      {
        type   = "metric"
        x      = 0
        y      = 2
        width  = 12
        height = 6
        properties = {
          title  = "Athena: bytes processed and query time (${local.athena_workgroup_name})"
          region = var.region
          view   = "timeSeries"
          period = local.athena_metric_period
          metrics = [
            ["AWS/Athena", "ProcessedBytes", "QueryState", "SUCCEEDED", "QueryType", "DML", "WorkGroup", local.athena_workgroup_name, { stat = "Sum", label = "bytes processed" }],
            ["AWS/Athena", "TotalExecutionTime", "QueryState", "SUCCEEDED", "QueryType", "DML", "WorkGroup", local.athena_workgroup_name, { stat = "p90", label = "query time p90 (ms)", yAxis = "right" }],
          ]
        }
      },
      {
        type   = "metric"
        x      = 12
        y      = 2
        width  = 6
        height = 6
        properties = {
          title  = "Gold bucket size"
          region = var.region
          view   = "timeSeries"
          period = local.s3_storage_period_s
          metrics = [
            ["AWS/S3", "BucketSizeBytes", "BucketName", local.bucket_names["gold"], "StorageType", "StandardStorage", { stat = "Average" }],
          ]
        }
      },
      {
        type   = "metric"
        x      = 18
        y      = 2
        width  = 6
        height = 6
        properties = {
          title  = "Estimated charges (account, USD)"
          region = local.billing_region
          view   = "timeSeries"
          period = local.billing_period_s
          metrics = [
            ["AWS/Billing", "EstimatedCharges", "Currency", "USD", { stat = "Maximum" }],
          ]
          annotations = {
            horizontal = [{ label = "monthly cap", value = var.monthly_cost_cap_usd }]
          }
        }
      },
      {
        type   = "metric"
        x      = 0
        y      = 8
        width  = 12
        height = 6
        properties = {
          title  = "Pipeline: failures, rows refused, Gold freshness (alarms.tf)"
          region = var.region
          view   = "timeSeries"
          period = local.pipeline_tile_period_s
          metrics = [
            [local.pipeline_metrics_namespace, "Failures", "StackId", var.stack_id, { stat = "Sum" }],
            [local.pipeline_metrics_namespace, "RowsRefused", "StackId", var.stack_id, { stat = "Maximum" }],
            [local.pipeline_metrics_namespace, "GoldFreshnessSeconds", "StackId", var.stack_id, { stat = "Minimum", yAxis = "right" }],
          ]
        }
      },
      {
        type   = "alarm"
        x      = 12
        y      = 8
        width  = 12
        height = 6
        properties = {
          title  = "Pipeline alarms (notify the alerts topic)"
          alarms = [for name in sort(keys(local.pipeline_alarms)) : aws_cloudwatch_metric_alarm.pipeline[name].arn]
        }
      },
    ]
  })
}
