# Pipeline alarms (KPI-mttr): the pipeline publishes its outcome as CloudWatch metrics
# (lakehouse/pipeline/metrics.py: namespace Lakehouse/Pipeline, dimension StackId, high
# resolution) and these alarms tell the alerts topic (alerts.tf) when a run goes wrong.
# Whoever operates the stack subscribes to the topic; the chaos harness subscribes its own
# SQS queue while it runs and measures fault -> message.
#
# Periods are variables: AWS's usual 300 s by default; the local harness passes 10 s
# (a high-resolution alarm) so that a chaos run ends in minutes. Missing data is not
# breaching: a stack whose pipeline does not run is not an incident by itself.

locals {
  pipeline_metrics_namespace = "Lakehouse/Pipeline"
  pipeline_metric_dimensions = { StackId = var.stack_id }

  # One alarm per fault class; the chaos catalogue (lakehouse/chaos/faults.py) names the
  # alarm each fault must raise by the suffix after "<project>-<stack_id>-".
  pipeline_alarms = {
    "pipeline-failures" = {
      description = "A pipeline run of lakehouse stack ${var.stack_id} failed (runbook: README, MTTR)."
      metric      = "Failures"
      statistic   = "Sum"
      comparison  = "GreaterThanOrEqualToThreshold"
      threshold   = 1
    }
    "rows-refused" = {
      description = "A pipeline run of lakehouse stack ${var.stack_id} refused more than ${var.rows_refused_alarm_threshold} rows: an input file is truncated or changed shape."
      metric      = "RowsRefused"
      statistic   = "Maximum"
      comparison  = "GreaterThanThreshold"
      threshold   = var.rows_refused_alarm_threshold
    }
    "input-empty" = {
      description = "A pipeline run of lakehouse stack ${var.stack_id} landed an input file with no data line: an empty or truncated upload."
      metric      = "EmptyInputFiles"
      statistic   = "Maximum"
      comparison  = "GreaterThanOrEqualToThreshold"
      threshold   = 1
    }
    "lineage-undelivered" = {
      description = "A pipeline run of lakehouse stack ${var.stack_id} could not deliver its OpenLineage events: the lineage service is down."
      metric      = "LineageEventsUndelivered"
      statistic   = "Sum"
      comparison  = "GreaterThanOrEqualToThreshold"
      threshold   = 1
    }
    "gold-unreadable" = {
      description = "A Gold table of lakehouse stack ${var.stack_id} cannot be loaded from the catalog (its Iceberg metadata is missing): readers are broken. Runbook: restore the table's previous metadata."
      metric      = "GoldUnreadableTables"
      statistic   = "Maximum"
      comparison  = "GreaterThanOrEqualToThreshold"
      threshold   = 1
    }
    "gold-freshness" = {
      description = "Gold of lakehouse stack ${var.stack_id} has had no successful commit for more than ${var.gold_freshness_alarm_s} s."
      metric      = "GoldFreshnessSeconds"
      statistic   = "Minimum"
      comparison  = "GreaterThanThreshold"
      threshold   = var.gold_freshness_alarm_s
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "pipeline" {
  for_each = local.pipeline_alarms

  alarm_name          = "${local.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = local.pipeline_metrics_namespace
  metric_name         = each.value.metric
  dimensions          = local.pipeline_metric_dimensions
  statistic           = each.value.statistic
  period              = var.alarm_period_s
  evaluation_periods  = var.alarm_evaluation_periods
  datapoints_to_alarm = 1
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]

  # CloudWatch checks that it may publish to the topic only when an alarm fires; the policy
  # must be in place before then.
  depends_on = [aws_sns_topic_policy.alerts]
}
