"""Exit check 2's contracts part (``contracts_met``): a failure either half shows fails it, whatever the other
could not read.

The hole: Athena's rows broke the data contracts while Glue's column types could not be read, and the part was
``error``: the violations were dropped from the reason and the KPI's read-back counted the run as unread, not
failed. moto's Glue and Athena stand in for the stack's: moto's Athena answers every query with no rows (so each
table's contract is violated: ``row count 0``), and a workgroup that does not exist makes every query fail.
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.athena import connect
from lakehouse.checks.data_loop_parts import DataLoopRun, contracts_met
from lakehouse.outcome import Outcome, Status
from lakehouse.target import Target
from tests.unit.test_kpi_success_unread import MISMATCH, OUTPUTS, REGION, UNREADABLE, gold_tables

VIOLATED = "data contract violated: "
ROW_COUNT = "gold.daily_revenue: expect_table_row_count_to_be_between failed (row count 0"
#: Athena's refusal of a workgroup that does not exist: no table's rows can be read.
NO_WORKGROUP = "WorkGroup does not exist"


def _contracts_met(outputs: dict[str, Any]) -> Outcome:
    target = Target("aws", REGION)
    conn = connect(target, outputs["athena_workgroup_name"])
    try:
        return contracts_met(DataLoopRun(target, outputs, conn))
    finally:
        conn.close()


@pytest.mark.usefixtures("moto_aws")
def test_violations_athena_shows_fail_the_part_though_the_types_cannot_be_read() -> None:
    gold_tables(skip="daily_revenue")  # Glue's GetTable of lh_gold.daily_revenue: EntityNotFoundException
    outcome = _contracts_met(OUTPUTS)
    assert outcome.status is Status.FAILED, outcome.reason
    reason = str(outcome.reason)
    assert VIOLATED in reason and ROW_COUNT in reason, "the violations are in the reason"
    assert UNREADABLE in reason, "the table whose types could not be read is named beside them"
    assert list(outcome.details["column_types"]["unreadable"]) == ["lh_gold.daily_revenue"]


@pytest.mark.usefixtures("moto_aws")
def test_nothing_readable_is_an_error_naming_both() -> None:
    """Healthy twin: no rows read (no workgroup) and no types read, nothing shown wrong: no verdict."""
    gold_tables(skip="daily_revenue")
    outcome = _contracts_met({**OUTPUTS, "athena_workgroup_name": "lh-missing"})
    assert outcome.status is Status.ERROR, outcome.reason
    assert UNREADABLE in str(outcome.reason) and NO_WORKGROUP in str(outcome.reason)


@pytest.mark.usefixtures("moto_aws")
def test_rows_that_cannot_be_read_beside_types_stored_right_are_an_error() -> None:
    gold_tables()
    outcome = _contracts_met({**OUTPUTS, "athena_workgroup_name": "lh-missing"})
    assert outcome.status is Status.ERROR and NO_WORKGROUP in str(outcome.reason), outcome.reason
    assert outcome.details["column_types"]["unreadable"] == {}


@pytest.mark.usefixtures("moto_aws")
def test_a_type_mismatch_fails_the_part_though_the_rows_cannot_be_read() -> None:
    gold_tables(stored={"order_date": "string"})
    outcome = _contracts_met({**OUTPUTS, "athena_workgroup_name": "lh-missing"})
    assert outcome.status is Status.FAILED, outcome.reason
    assert str(outcome.reason).startswith("columns not stored as their contracts say: ")
    assert MISMATCH in str(outcome.reason) and NO_WORKGROUP in str(outcome.reason)
