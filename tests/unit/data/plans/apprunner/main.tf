# App Runner capacity the plan provisions (lakehouse/kpi/apprunner_capacity.py): a service at
# infra/catalog_service.tf's size and one instance; one with no instance_configuration (App Runner's
# 1 vCPU / 2 GB) keeping 25 instances provisioned; one whose auto scaling configuration is not in the plan.
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

variable "region" {
  type    = string
  default = "ap-northeast-1"
}

provider "aws" {
  region                      = var.region
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

locals {
  image = "public.ecr.aws/lakehouse/backstage-catalog:latest"
}

resource "aws_apprunner_auto_scaling_configuration_version" "catalog" {
  auto_scaling_configuration_name = "catalog"
  min_size                        = 1
  max_size                        = 1
}

resource "aws_apprunner_service" "catalog" {
  service_name                   = "catalog"
  auto_scaling_configuration_arn = aws_apprunner_auto_scaling_configuration_version.catalog.arn
  source_configuration {
    auto_deployments_enabled = false
    image_repository {
      image_identifier      = local.image
      image_repository_type = "ECR_PUBLIC"
    }
  }
  instance_configuration {
    cpu    = "256"
    memory = "512"
  }
}

resource "aws_apprunner_auto_scaling_configuration_version" "crowd" {
  auto_scaling_configuration_name = "crowd"
  min_size                        = 25
  max_size                        = 25
}

resource "aws_apprunner_service" "crowd" {
  service_name                   = "crowd"
  auto_scaling_configuration_arn = aws_apprunner_auto_scaling_configuration_version.crowd.arn
  source_configuration {
    auto_deployments_enabled = false
    image_repository {
      image_identifier      = local.image
      image_repository_type = "ECR_PUBLIC"
    }
  }
}

resource "aws_apprunner_service" "outside" {
  service_name                   = "outside"
  auto_scaling_configuration_arn = "arn:aws:apprunner:ap-northeast-1:123456789012:autoscalingconfiguration/made-by-hand/1/0123456789abcdef"
  source_configuration {
    auto_deployments_enabled = false
    image_repository {
      image_identifier      = local.image
      image_repository_type = "ECR_PUBLIC"
    }
  }
  instance_configuration {
    cpu    = "256"
    memory = "512"
  }
}
