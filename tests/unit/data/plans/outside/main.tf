# What a plan runs beside its resources (lakehouse/kpi/cost.py outside_price_model): a free-listed IAM
# role with a local-exec provisioner, an Athena workgroup on the PySpark engine, and two schedules, one
# pausing the catalog (free) and one resuming it (its universal target runs an API the table does not price).
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

provider "aws" {
  region                      = "ap-northeast-1"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

resource "aws_iam_role" "runner" {
  name = "runner"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "scheduler.amazonaws.com" } }]
  })

  provisioner "local-exec" {
    command = "aws ec2 run-instances --count 4 --instance-type m5.large"
  }
}

resource "aws_athena_workgroup" "spark" {
  name = "spark"
  configuration {
    execution_role = aws_iam_role.runner.arn
    engine_version {
      selected_engine_version = "PySpark engine version 3"
    }
  }
}

resource "aws_athena_workgroup" "sql" {
  name = "sql"
  configuration {
    engine_version {
      selected_engine_version = "Athena engine version 3"
    }
  }
}

resource "aws_scheduler_schedule" "pause" {
  name                = "pause"
  schedule_expression = "rate(1 hour)"
  flexible_time_window {
    mode = "OFF"
  }
  target {
    arn      = "arn:aws:scheduler:::aws-sdk:apprunner:pauseService"
    role_arn = aws_iam_role.runner.arn
    input    = jsonencode({ ServiceArn = "arn:aws:apprunner:ap-northeast-1:123456789012:service/catalog/x" })
  }
}

resource "aws_scheduler_schedule" "resume" {
  name                = "resume"
  schedule_expression = "cron(30 * * * ? *)"
  flexible_time_window {
    mode = "OFF"
  }
  target {
    arn      = "arn:aws:scheduler:::aws-sdk:apprunner:resumeService"
    role_arn = aws_iam_role.runner.arn
    input    = jsonencode({ ServiceArn = "arn:aws:apprunner:ap-northeast-1:123456789012:service/catalog/x" })
  }
}
