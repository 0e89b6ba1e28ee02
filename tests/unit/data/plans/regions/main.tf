# Where each planned resource is priced (lakehouse/kpi/cost.py planned_resources): the stack's region
# (var.region), a constant alias (us-east-1, as infra/providers.tf's use1), an alias set from a variable
# (eu-west-1, a region fixtures/cost/prices.yml has no prices for), and the same aliases passed to
# modules expanded with count (addresses module.x[0]....).
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

variable "region" {
  type    = string
  default = "ap-northeast-1"
}

variable "replica_region" {
  type    = string
  default = "eu-west-1"
}

provider "aws" {
  region                      = var.region
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

provider "aws" {
  alias                       = "use1"
  region                      = "us-east-1"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

provider "aws" {
  alias                       = "replica"
  region                      = var.replica_region
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

resource "aws_sns_topic" "alerts" {
  name = "alerts"
}

resource "aws_sns_topic" "billing" {
  provider = aws.use1
  name     = "billing"
}

resource "aws_sns_topic" "replica" {
  provider = aws.replica
  name     = "replica"
}

module "billing" {
  source    = "./replica"
  count     = 1
  providers = { aws = aws.use1 }
}

module "replica" {
  source    = "./replica"
  count     = 2
  providers = { aws = aws.replica }
}
