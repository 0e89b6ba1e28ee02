variable "stack_id" {
  description = "Unique id of this stack (one per run or per person); part of every name and the `stack_id` tag."
  type        = string

  validation {
    # Same rule as the harness (lakehouse.config.STACK_ID_PATTERN); it generates "lh-" + 6 hex digits.
    condition     = can(regex("^[a-z][a-z0-9-]{2,19}$", var.stack_id))
    error_message = "stack_id must be 3-20 characters: lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "project" {
  description = "Project name: first part of every resource name and the `project` tag."
  type        = string
  default     = "lakehouse"

  validation {
    # Kept short so that bucket names (project-stack_id-purpose-account_id) stay within 63 characters.
    condition     = can(regex("^[a-z][a-z0-9]{1,11}$", var.project))
    error_message = "project must be 2-12 lower-case letters and digits, starting with a letter."
  }
}

variable "owner" {
  description = "Who answers for this stack (person or team); the `owner` tag."
  type        = string
  default     = "lakehouse-harness"

  validation {
    # Characters every AWS service accepts in a tag value.
    condition     = can(regex("^[\\p{L}\\p{Z}\\p{N}_.:/=+@-]{1,128}$", var.owner)) && length(trimspace(var.owner)) > 0
    error_message = "owner must be 1-128 characters of letters, digits, spaces and _ . : / = + - @ (allowed in AWS tag values)."
  }
}

variable "ttl" {
  description = "How long the stack may live before a sweeper may remove it, e.g. \"24h\" or \"7d\"; the `ttl` tag."
  type        = string
  default     = "24h"

  validation {
    condition     = can(regex("^[1-9][0-9]*[hd]$", var.ttl))
    error_message = "ttl must be a positive whole number of hours or days, e.g. \"24h\" or \"7d\"."
  }
}

variable "expires_at" {
  description = "When a reaper may destroy the stack, RFC 3339 UTC (e.g. \"2026-01-02T15:04:05Z\"); the `expires_at` tag. Null: no tag (set it from the run's clock, not with timestamp(), which would change every plan)."
  type        = string
  default     = null

  validation {
    condition     = var.expires_at == null ? true : can(regex("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$", var.expires_at)) && can(timeadd(var.expires_at, "0s"))
    error_message = "expires_at must be an RFC 3339 UTC time such as \"2026-01-02T15:04:05Z\", or null."
  }
}

variable "region" {
  description = "AWS region of the stack."
  type        = string
  default     = "ap-northeast-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like an AWS region name, e.g. \"ap-northeast-1\"."
  }
}

variable "athena_bytes_scanned_cutoff" {
  description = "Per-query data scan limit of the Athena workgroup, in bytes (a cost guard rail; Athena's minimum is 10 MiB)."
  type        = number
  default     = 1073741824 # 1 GiB = about $0.005 per query at $5/TB

  validation {
    condition     = var.athena_bytes_scanned_cutoff >= 10485760 && floor(var.athena_bytes_scanned_cutoff) == var.athena_bytes_scanned_cutoff
    error_message = "athena_bytes_scanned_cutoff must be a whole number of bytes, at least 10485760 (10 MiB)."
  }
}

variable "athena_results_retention_days" {
  description = "Days after which Athena query results expire from the results bucket."
  type        = number
  default     = 7

  validation {
    condition     = var.athena_results_retention_days >= 1 && floor(var.athena_results_retention_days) == var.athena_results_retention_days
    error_message = "athena_results_retention_days must be a whole number of days, at least 1."
  }
}

variable "noncurrent_version_retention_days" {
  description = "Days after which non-current object versions expire in every bucket (versioning keeps history; this bounds its cost)."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_retention_days >= 1 && floor(var.noncurrent_version_retention_days) == var.noncurrent_version_retention_days
    error_message = "noncurrent_version_retention_days must be a whole number of days, at least 1."
  }
}

variable "s3_lifecycle_rules_enabled" {
  description = "Manage lifecycle rules (expire Athena results, bound version history, abort stale uploads). Costs ~55 s of provider wait per apply that creates or changes them."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Let destroy empty buckets and workgroups that still hold data. True for the learning stack, which must be removable in one step; set false for data you keep."
  type        = bool
  default     = true
}

variable "monthly_cost_cap_usd" {
  description = "Monthly cost cap of the stack in USD: the limit of its AWS Budgets cost budget and the threshold of its billing alarm (the plan's KPI is <= 20)."
  type        = number
  default     = 20

  validation {
    condition     = var.monthly_cost_cap_usd > 0
    error_message = "monthly_cost_cap_usd must be a positive amount of USD."
  }
}

variable "alarm_period_s" {
  description = "Period of the pipeline alarms in seconds (alarms.tf): 300 on AWS by default; 10, 20 or 30 make them high-resolution alarms (0.30 USD/month each instead of 0.10), as the local harness uses for short chaos runs."
  type        = number
  default     = 300

  validation {
    condition     = contains([10, 20, 30], var.alarm_period_s) || (var.alarm_period_s >= 60 && var.alarm_period_s % 60 == 0)
    error_message = "alarm_period_s must be 10, 20, 30 or a multiple of 60 (CloudWatch's alarm periods)."
  }
}

variable "alarm_evaluation_periods" {
  description = "Periods the pipeline alarms evaluate (one breaching datapoint among them raises the alarm)."
  type        = number
  default     = 1

  validation {
    condition     = var.alarm_evaluation_periods >= 1 && floor(var.alarm_evaluation_periods) == var.alarm_evaluation_periods
    error_message = "alarm_evaluation_periods must be a whole number, at least 1."
  }
}

variable "rows_refused_alarm_threshold" {
  description = "Rows one pipeline run may refuse (quarantined at landing or in Silver) before the rows-refused alarm fires; the sample data refuses a handful on purpose."
  type        = number
  default     = 25

  validation {
    condition     = var.rows_refused_alarm_threshold >= 0
    error_message = "rows_refused_alarm_threshold must be 0 or more."
  }
}

variable "gold_freshness_alarm_s" {
  description = "Seconds since Gold's last successful commit after which the gold-freshness alarm fires (default 25 h: a daily pipeline plus an hour)."
  type        = number
  default     = 90000

  validation {
    condition     = var.gold_freshness_alarm_s > 0
    error_message = "gold_freshness_alarm_s must be a positive number of seconds."
  }
}
