"""Exit check 6 reads the analyst's own workgroup history as the analyst (``query_results.shared_results``).

Athena keeps query history per workgroup, not per caller: a deployer's ``SELECT * FROM users`` run
in the analyst's workgroup is the analyst's to fetch with GetQueryResults, every ssn included, and
Lake Formation is never asked. Before this reader the check skipped that workgroup by name
(``security_read.work_group_names``), so such a result passed.
"""

from __future__ import annotations

import pytest

from lakehouse.checks.hidden_values import HiddenValues
from lakehouse.checks.query_results import read_history, shared_results
from lakehouse.checks.security_model import PROBE_MARK
from lakehouse.checks.security_queries import shared_result_problems
from lakehouse.emulator.process import EmulatorHandle
from tests.emulator.lf_stack import SSNS, WORK_GROUP, Lake, build_lake
from tests.unit.test_security import healthy

REGION = "ap-southeast-4"  # a region of its own: build_lake names buckets and roles by region
DB = "history_gold"


@pytest.fixture(scope="module")
def lake(emulator: EmulatorHandle) -> Lake:
    return build_lake(emulator, REGION, DB)


def _read(lake: Lake, own_mark: str | None = None) -> list[str]:
    history = read_history(lake.client("athena"), WORK_GROUP)
    found = shared_results(history, lake.client("athena", "analyst"), HiddenValues(SSNS), own_mark=own_mark)
    assert found.errors == []
    rb = healthy()
    rb.shared_results = found.results
    return shared_result_problems(rb)


def test_the_analysts_own_queries_hand_it_nothing_hidden(lake: Lake) -> None:
    with lake.cursor("analyst") as analyst:
        analyst.execute("SELECT * FROM users")
        assert "ssn" not in [d[0] for d in analyst.description]
        with pytest.raises(Exception, match="COLUMN_NOT_FOUND"):
            analyst.execute("SELECT ssn FROM users")
    assert _read(lake) == []


def test_a_privileged_query_in_the_analysts_workgroup_hands_it_ssn(lake: Lake) -> None:
    with lake.cursor() as deployer:  # the data lake admin, in the analyst's workgroup
        deployer.execute("SELECT * FROM users")
        whole = deployer.query_id
        deployer.execute("SELECT user_id, ssn AS tax_id FROM users")
        renamed = deployer.query_id
    problems = _read(lake)
    assert len(problems) == 2, problems
    assert any(p.startswith(f"query {whole} ") and "holding ssn," in p for p in problems), problems
    assert any(p.startswith(f"query {renamed} ") and "holding values of ssn in tax_id" in p for p in problems)


def test_the_checks_own_probe_that_read_ssn_on_a_broken_stack_is_left_out(lake: Lake) -> None:
    """Exit check 6's own analyst probe on a broken stack (reported then) must not fail every later run."""
    before = _read(lake, PROBE_MARK.strip())
    everything = {"TableWithColumns": {"DatabaseName": DB, "Name": "users", "ColumnWildcard": {}}}
    lake.grant("analyst", everything, ["SELECT"])
    try:
        with lake.cursor("analyst") as analyst:
            analyst.execute(f'SELECT "ssn" FROM users LIMIT 1{PROBE_MARK}')  # Athena's comments parse
            assert analyst.fetchall()[0][0] in SSNS
    finally:
        lake.revoke("analyst", everything, ["SELECT"])
    assert _read(lake, PROBE_MARK.strip()) == before
    assert len(_read(lake)) == len(before) + 1  # unmarked, it would count


def test_a_privileged_query_of_a_copy_under_another_name_hands_it_ssn(lake: Lake) -> None:
    """Neither the query (no ssn, no table holding it by name) nor the result's columns (``tax_id``) say so: the
    values do. On main the result was not even fetched; a ``count(*)`` beside it stays green."""
    before = _read(lake)
    with lake.cursor() as deployer:
        deployer.execute(f"CREATE OR REPLACE VIEW {DB}.users_ref AS SELECT user_id, ssn AS tax_id FROM users")
        deployer.execute("SELECT count(*) FROM users")
        deployer.execute(f"SELECT * FROM {DB}.users_ref")
        copy = deployer.query_id
    added = [p for p in _read(lake) if p not in before]
    assert len(added) == 1, added
    assert added[0].startswith(f"query {copy} ") and "holding values of ssn in tax_id," in added[0]
