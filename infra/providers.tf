# One provider configuration for the whole root. The harness finds every resource of a
# stack through the `stack_id` tag, so default_tags must reach every taggable resource.
# For the local target the harness writes `lakehouse_local_override.tf` next to this file
# at run time (endpoints, dummy credentials); it is never committed.
provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}

# us-east-1, whatever the stack's region: AWS keeps the billing metrics (AWS/Billing
# EstimatedCharges) there only, so the billing alarm and the SNS topic it notifies live
# there (an alarm's actions must be in its own region). Same tags as the default provider.
provider "aws" {
  alias  = "use1"
  region = "us-east-1"

  default_tags {
    tags = local.tags
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  # expires_at only when given (the harness passes it): a constant default keeps plans empty.
  tags = merge(
    {
      project  = var.project
      stack_id = var.stack_id
      owner    = var.owner
      ttl      = var.ttl
    },
    var.expires_at == null ? {} : { expires_at = var.expires_at },
  )

  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # "<project>-<stack_id>": the prefix of every name in the stack, so stacks run side by side.
  name_prefix = "${var.project}-${var.stack_id}"
  # Glue and Athena names allow no hyphens.
  glue_prefix = replace(local.name_prefix, "-", "_")
}
