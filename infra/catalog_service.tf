# The Backstage catalog of the stack (catalog-info.yaml at the repository root) on AWS App Runner.
#
# Idle cost: App Runner cannot scale to zero (an auto scaling configuration's MinSize is 1-25) and
# has no auto-pause. A RUNNING service keeps MinSize provisioned instances and bills their memory
# while idle (0.5 GB x 0.007 USD/GB-hour, about 2.6 USD/month at this size); a PAUSED service bills
# nothing. So the service is kept at the smallest size (0.25 vCPU / 0.5 GB, one instance, never more
# than one) and the stack pauses it itself: an EventBridge Scheduler schedule calls App Runner's
# PauseService (a universal target) every `catalog_pause_every_hours`, so a service someone resumed
# to browse the catalog runs at most that long after. Pausing a paused service is refused by App
# Runner and not retried (no cost: the first 14 million invocations a month are free). Locally the
# emulator records the service and the schedule (it never fires) and the harness runs the catalog API.

variable "catalog_enabled" {
  description = "Deploy the Backstage catalog service on App Runner (false leaves it out of the stack)."
  type        = bool
  default     = true
}

variable "catalog_pause_every_hours" {
  description = "How often the stack pauses its catalog service (hours): the longest it runs after being resumed."
  type        = number
  default     = 1

  validation {
    condition     = var.catalog_pause_every_hours >= 1 && var.catalog_pause_every_hours <= 24 && floor(var.catalog_pause_every_hours) == var.catalog_pause_every_hours
    error_message = "catalog_pause_every_hours must be a whole number of hours from 1 to 24."
  }
}

variable "catalog_image" {
  description = "Container image of the Backstage backend serving catalog-info.yaml (ECR or ECR Public; build it from your Backstage app with `yarn build-image` and push it). Locally the image is not run: the harness serves the catalog."
  type        = string
  default     = "public.ecr.aws/lakehouse/backstage-catalog:latest"
}

locals {
  # App Runner service names are 4-40 characters.
  catalog_service_name = "${local.name_prefix}-catalog"
}

resource "aws_apprunner_auto_scaling_configuration_version" "catalog" {
  count = var.catalog_enabled ? 1 : 0

  auto_scaling_configuration_name = local.catalog_service_name
  # The fewest App Runner allows: one instance, and never a second (in-use cost stays bounded).
  min_size        = 1
  max_size        = 1
  max_concurrency = 100
}

resource "aws_apprunner_service" "catalog" {
  # Encrypted at rest with an AWS-owned key (no encryption_configuration): a customer key would add
  # 1 USD/month for a read-only catalog of public names.
  count = var.catalog_enabled ? 1 : 0

  service_name                   = local.catalog_service_name
  auto_scaling_configuration_arn = aws_apprunner_auto_scaling_configuration_version.catalog[0].arn

  source_configuration {
    auto_deployments_enabled = false

    image_repository {
      image_identifier      = var.catalog_image
      image_repository_type = startswith(var.catalog_image, "public.ecr.aws/") ? "ECR_PUBLIC" : "ECR"

      image_configuration {
        port = "7007" # Backstage's backend
      }
    }
  }

  instance_configuration {
    cpu    = "256" # 0.25 vCPU
    memory = "512" # 0.5 GB
  }

  health_check_configuration {
    protocol = "HTTP"
    path     = "/.backstage/health/v1/liveness"
  }

  tags = {
    purpose = "catalog"
  }
}

# ---------------------------------------------------------------- the idle pause (App Runner has none)

data "aws_iam_policy_document" "trust_scheduler" {
  statement {
    sid     = "TrustScheduler"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "catalog_pause" {
  count = var.catalog_enabled ? 1 : 0

  name                 = "${local.catalog_service_name}-pause"
  description          = "EventBridge Scheduler pausing the idle catalog service of lakehouse stack ${var.stack_id}."
  assume_role_policy   = data.aws_iam_policy_document.trust_scheduler.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "catalog_pause" {
  count = var.catalog_enabled ? 1 : 0

  name = "lakehouse-catalog-pause"
  role = aws_iam_role.catalog_pause[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid    = "PauseTheCatalogService"
      Effect = "Allow"
      Action = ["apprunner:PauseService"]
      # The service by its name (its ARN ends in an id App Runner picks): known when Terraform plans,
      # so the plan's policies can judge it.
      Resource = ["arn:${local.partition}:apprunner:${var.region}:${local.account_id}:service/${local.catalog_service_name}/*"]
    }]
  })
}

resource "aws_scheduler_schedule" "catalog_pause" {
  #checkov:skip=CKV_AWS_297:the schedule's input is the service's ARN, nothing secret; a CMK costs 1 USD/month (5 % of the cap)
  count = var.catalog_enabled ? 1 : 0

  name                = "${local.catalog_service_name}-pause"
  description         = "Pause the catalog's App Runner service (idle costs 0; App Runner has no auto-pause)."
  schedule_expression = "rate(${var.catalog_pause_every_hours} ${var.catalog_pause_every_hours == 1 ? "hour" : "hours"})"
  state               = "ENABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = "arn:${local.partition}:scheduler:::aws-sdk:apprunner:pauseService"
    role_arn = aws_iam_role.catalog_pause[0].arn
    input    = jsonencode({ ServiceArn = aws_apprunner_service.catalog[0].arn })

    retry_policy {
      maximum_retry_attempts = 0 # a paused service refuses the call: nothing to retry
    }
  }

  depends_on = [aws_iam_role_policy.catalog_pause]
}

output "catalog_service_name" {
  description = "Name of the App Runner service of the Backstage catalog (null when catalog_enabled is false)."
  value       = var.catalog_enabled ? aws_apprunner_service.catalog[0].service_name : null
}
