# What the harness and its checks read (`terraform output -json`). Names are stable API:
# steps and the guard depend on them.

output "stack_id" {
  description = "Id of this stack; every taggable resource carries it as the `stack_id` tag."
  value       = var.stack_id
}

output "region" {
  description = "Region of the stack."
  value       = var.region
}

output "account_id" {
  description = "Account the stack is deployed in."
  value       = local.account_id
}

output "tags" {
  description = "Tags every taggable resource carries (provider default_tags)."
  value       = local.tags
}

output "bucket_names" {
  description = "S3 bucket names by purpose: bronze, silver, gold, athena-results."
  value       = { for purpose, bucket in aws_s3_bucket.this : purpose => bucket.id }
}

output "bucket_arns" {
  description = "S3 bucket ARNs by purpose."
  value       = { for purpose, bucket in aws_s3_bucket.this : purpose => bucket.arn }
}

output "glue_database_names" {
  description = "Glue catalog database names by layer: bronze, silver, gold."
  value       = { for layer, db in aws_glue_catalog_database.this : layer => db.name }
}

output "athena_workgroup_name" {
  description = "Athena workgroup all queries of the stack run in."
  value       = aws_athena_workgroup.this.name
}

output "athena_workgroup_arn" {
  description = "ARN of the Athena workgroup."
  value       = aws_athena_workgroup.this.arn
}

output "athena_results_location" {
  description = "S3 URI where the workgroup writes query results (enforced for every client)."
  value       = local.athena_results_location
}

output "athena_bytes_scanned_cutoff" {
  description = "Per-query scan limit of the workgroup, in bytes."
  value       = var.athena_bytes_scanned_cutoff
}

output "pipeline_role_arn" {
  description = "Role the pipeline assumes to write the lake."
  value       = aws_iam_role.pipeline.arn
}

output "analyst_role_arn" {
  description = "Role the analyst persona assumes to query (Lake Formation decides its columns)."
  value       = aws_iam_role.analyst.arn
}

output "analyst_workgroup_name" {
  description = "Athena workgroup the analyst queries in (its own results location and history)."
  value       = aws_athena_workgroup.analyst.name
}

output "analyst_results_location" {
  description = "S3 URI where the analyst workgroup writes query results."
  value       = local.analyst_results_location
}

output "data_lake_admin_arns" {
  description = "Lake Formation data lake admins set by this stack (the deployer); they see every column."
  value       = aws_lakeformation_data_lake_settings.this.admins
}

output "gold_users_table" {
  description = "Gold users table (database and name) whose hidden columns the analyst must not read."
  value = {
    database = aws_glue_catalog_table.gold_users.database_name
    name     = aws_glue_catalog_table.gold_users.name
  }
}

output "gold_users_hidden_columns" {
  description = "Columns of Gold users excluded from the analyst's Lake Formation SELECT grant."
  value       = local.gold_users_hidden_columns
}

output "role_arns" {
  description = "Role ARNs by persona."
  value = {
    pipeline = aws_iam_role.pipeline.arn
    analyst  = aws_iam_role.analyst.arn
  }
}

output "alerts_topic_arn" {
  description = "SNS topic that Budgets and CloudWatch alarms publish to."
  value       = aws_sns_topic.alerts.arn
}

output "managed_resources" {
  description = "What this root manages, for the `0 unmanaged` guard: one entry per AWS resource with its Terraform address, type and ARN (or id where AWS has no ARN)."
  value = concat(
    [for purpose, b in aws_s3_bucket.this : { address = "aws_s3_bucket.this[\"${purpose}\"]", type = "s3_bucket", arn = b.arn }],
    [for layer, db in aws_glue_catalog_database.this : { address = "aws_glue_catalog_database.this[\"${layer}\"]", type = "glue_database", arn = db.arn }],
    [
      { address = "aws_athena_workgroup.this", type = "athena_workgroup", arn = aws_athena_workgroup.this.arn },
      { address = "aws_athena_workgroup.analyst", type = "athena_workgroup", arn = aws_athena_workgroup.analyst.arn },
      { address = "aws_glue_catalog_table.gold_users", type = "glue_table", arn = aws_glue_catalog_table.gold_users.arn },
      { address = "aws_iam_role.pipeline", type = "iam_role", arn = aws_iam_role.pipeline.arn },
      { address = "aws_iam_role.analyst", type = "iam_role", arn = aws_iam_role.analyst.arn },
      { address = "aws_sns_topic.alerts", type = "sns_topic", arn = aws_sns_topic.alerts.arn },
      { address = "aws_sns_topic.billing_alerts", type = "sns_topic", arn = aws_sns_topic.billing_alerts.arn },
      { address = "aws_budgets_budget.monthly_cost", type = "budget", arn = aws_budgets_budget.monthly_cost.arn },
      { address = "aws_cloudwatch_metric_alarm.estimated_charges", type = "cloudwatch_alarm", arn = aws_cloudwatch_metric_alarm.estimated_charges.arn },
      { address = "aws_cloudwatch_dashboard.finops", type = "cloudwatch_dashboard", arn = aws_cloudwatch_dashboard.finops.dashboard_arn },
    ],
    [for name, a in aws_cloudwatch_metric_alarm.pipeline : { address = "aws_cloudwatch_metric_alarm.pipeline[\"${name}\"]", type = "cloudwatch_alarm", arn = a.arn }],
  )
}

output "monthly_cost_cap_usd" {
  description = "Monthly cost cap in USD: the budget's limit and the billing alarm's threshold."
  value       = var.monthly_cost_cap_usd
}

output "budget_name" {
  description = "AWS Budgets cost budget of the stack (Budgets is global: read it with the account id)."
  value       = aws_budgets_budget.monthly_cost.name
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the stack's cost and usage metrics (dashboards are account-global)."
  value       = aws_cloudwatch_dashboard.finops.dashboard_name
}

output "billing_alarm_name" {
  description = "CloudWatch alarm on AWS/Billing EstimatedCharges, in billing_alarm_region."
  value       = aws_cloudwatch_metric_alarm.estimated_charges.alarm_name
}

output "billing_alarm_region" {
  description = "Region of the billing alarm and its topic: us-east-1, where AWS publishes billing metrics."
  value       = local.billing_region
}

output "billing_alerts_topic_arn" {
  description = "SNS topic in us-east-1 that the billing alarm notifies."
  value       = aws_sns_topic.billing_alerts.arn
}
