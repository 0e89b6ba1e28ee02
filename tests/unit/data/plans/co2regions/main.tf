# Where KPI-co2 counts each planned resource's energy (lakehouse/kpi/carbon.py): the grid of its provider's
# region, read as the cost KPI reads it. The target is eu-north-1 (a clean grid); the "away" catalog fleet and
# SageMaker endpoint are planned in ap-south-1 (a dirty grid) through a constant alias, their "home" twins in
# the target region. Nothing pauses either fleet: 25 instances of 4 vCPU / 12 GB run all month.
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

variable "region" {
  type    = string
  default = "eu-north-1"
}

provider "aws" {
  region                      = var.region
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

provider "aws" {
  alias                       = "mumbai"
  region                      = "ap-south-1"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

resource "aws_s3_bucket" "data" {
  bucket = "co2-regions-data"
}

resource "aws_athena_workgroup" "this" {
  name = "co2-regions"
}

# -- away: ap-south-1 -------------------------------------------------------------------------------

resource "aws_apprunner_auto_scaling_configuration_version" "away" {
  provider                        = aws.mumbai
  auto_scaling_configuration_name = "away"
  min_size                        = 25
  max_size                        = 25
}

resource "aws_apprunner_service" "away" {
  provider                       = aws.mumbai
  service_name                   = "away"
  auto_scaling_configuration_arn = aws_apprunner_auto_scaling_configuration_version.away.arn
  instance_configuration {
    cpu    = "4 vCPU"
    memory = "12 GB"
  }
  source_configuration {
    auto_deployments_enabled = false
    image_repository {
      image_identifier      = "public.ecr.aws/aws-containers/hello-app-runner:latest"
      image_repository_type = "ECR_PUBLIC"
    }
  }
}

resource "aws_sagemaker_model" "away" {
  provider           = aws.mumbai
  name               = "away"
  execution_role_arn = "arn:aws:iam::123456789012:role/co2-regions"
  primary_container {
    image = "683313688378.dkr.ecr.ap-south-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
  }
}

resource "aws_sagemaker_endpoint_configuration" "away" {
  provider = aws.mumbai
  name     = "away"
  production_variants {
    variant_name = "AllTraffic"
    model_name   = aws_sagemaker_model.away.name
    serverless_config {
      max_concurrency   = 2
      memory_size_in_mb = 6144
    }
  }
}

resource "aws_sagemaker_endpoint" "away" {
  provider             = aws.mumbai
  name                 = "away"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.away.name
}

# -- home: the target region ------------------------------------------------------------------------

resource "aws_apprunner_auto_scaling_configuration_version" "home" {
  auto_scaling_configuration_name = "home"
  min_size                        = 25
  max_size                        = 25
}

resource "aws_apprunner_service" "home" {
  service_name                   = "home"
  auto_scaling_configuration_arn = aws_apprunner_auto_scaling_configuration_version.home.arn
  instance_configuration {
    cpu    = "4 vCPU"
    memory = "12 GB"
  }
  source_configuration {
    auto_deployments_enabled = false
    image_repository {
      image_identifier      = "public.ecr.aws/aws-containers/hello-app-runner:latest"
      image_repository_type = "ECR_PUBLIC"
    }
  }
}

resource "aws_sagemaker_model" "home" {
  name               = "home"
  execution_role_arn = "arn:aws:iam::123456789012:role/co2-regions"
  primary_container {
    image = "662702820516.dkr.ecr.eu-north-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
  }
}

resource "aws_sagemaker_endpoint_configuration" "home" {
  name = "home"
  production_variants {
    variant_name = "AllTraffic"
    model_name   = aws_sagemaker_model.home.name
    serverless_config {
      max_concurrency   = 2
      memory_size_in_mb = 6144
    }
  }
}

resource "aws_sagemaker_endpoint" "home" {
  name                 = "home"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.home.name
}
