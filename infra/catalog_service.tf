# The Backstage catalog of the stack (catalog-info.yaml at the repository root) on AWS App Runner.
#
# Idle cost: App Runner cannot scale to zero (an auto scaling configuration's MinSize is 1-25). A
# RUNNING service keeps MinSize provisioned instances and bills their memory while idle (0.5 GB x
# 0.007 USD/GB-hour, about 2.6 USD/month at this size); a PAUSED service bills nothing. So the
# service is kept at the smallest size (0.25 vCPU / 0.5 GB, one instance, never more than one) and
# the harness pauses it when the deploy is done (lakehouse.catalog.service.pause_idle): idle, it
# costs 0; it is resumed for as long as someone asks the catalog (the @STACK-catalog scenario does).
# Locally the emulator records the service and the harness runs the catalog API itself.

variable "catalog_enabled" {
  description = "Deploy the Backstage catalog service on App Runner (false leaves it out of the stack)."
  type        = bool
  default     = true
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

output "catalog_service_name" {
  description = "Name of the App Runner service of the Backstage catalog (null when catalog_enabled is false)."
  value       = var.catalog_enabled ? aws_apprunner_service.catalog[0].service_name : null
}
