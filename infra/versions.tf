# Pinned exactly: the provider version is part of what the harness verifies, and the
# lock file (.terraform.lock.hcl) records its checksums.
terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}
