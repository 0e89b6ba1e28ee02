# Glue Data Catalog: one database per medallion layer, located in that layer's bucket.
# Glue/Athena names allow no hyphens, hence underscores.

locals {
  glue_database_names = {
    for layer in local.data_layers : layer => "${local.glue_prefix}_${layer}"
  }
}

resource "aws_glue_catalog_database" "this" {
  for_each = local.data_layers

  name         = local.glue_database_names[each.key]
  description  = "${title(each.key)} layer of lakehouse stack ${var.stack_id}."
  location_uri = "s3://${aws_s3_bucket.this[each.key].id}/"

  tags = {
    layer = each.key
  }

  # Born after the Lake Formation settings cleared the IAMAllowedPrincipals defaults (governance.tf).
  depends_on = [aws_lakeformation_data_lake_settings.this]
}
