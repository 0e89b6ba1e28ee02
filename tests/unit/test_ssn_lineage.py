"""Exit check 6's evidence lists where ssn flows by the pipeline's SQL, and what the check did not find."""

from __future__ import annotations

from lakehouse.checks.ssn_lineage import lineage_evidence

OUTPUTS = {
    "glue_database_names": {"bronze": "lh_t_bronze", "silver": "lh_t_silver", "gold": "lh_t_gold"},
    "bucket_names": {"bronze": "lh-t-bronze", "silver": "lh-t-silver", "gold": "lh-t-gold"},
}


def test_ssn_flows_from_bronze_to_gold_users() -> None:
    found = lineage_evidence(OUTPUTS, "us-east-1", "ssn", checked=[])
    assert {"lh_t_bronze.users_csv", "lh_t_silver.users", "lh_t_gold.users"} <= set(found["tables_holding_it"])
    assert "ssn" in found["flows_into"]["lh_t_gold.users"]
    assert found["queried_as_the_analyst"] == []  # nothing checked: every carrier is named as not found


def test_tables_the_check_queried_are_told_from_those_it_did_not_find() -> None:
    checked = ["lh_t_bronze.users_csv", "lh_t_silver.users", "LH_T_GOLD.users"]
    found = lineage_evidence(OUTPUTS, "us-east-1", "ssn", checked=checked)
    assert set(found["queried_as_the_analyst"]) == {"lh_t_bronze.users_csv", "lh_t_silver.users", "lh_t_gold.users"}
    assert set(found["not_found_in_the_catalog"]) == set(found["tables_holding_it"]) - set(
        found["queried_as_the_analyst"]
    )


def test_a_stack_without_the_outputs_says_why() -> None:
    assert "could not be read" in lineage_evidence({}, "us-east-1", "ssn", checked=[])["error"]
