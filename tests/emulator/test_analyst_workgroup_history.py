"""Exit check 6 reads the analyst's own workgroup history as the analyst (``query_results.shared_results``).

Athena keeps query history per workgroup, not per caller: a deployer's ``SELECT * FROM users`` run
in the analyst's workgroup is the analyst's to fetch with GetQueryResults, every ssn included, and
Lake Formation is never asked. Before this reader the check skipped that workgroup by name
(``security_read.work_group_names``), so such a result passed.
"""

from __future__ import annotations

import pyathena
import pytest

from lakehouse.checks.hidden_values import MASK, HiddenValues
from lakehouse.checks.query_results import read_history, shared_results
from lakehouse.checks.security_model import PROBE_MARK
from lakehouse.checks.security_queries import shared_result_problems
from lakehouse.checks.security_read import _searched
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


def test_a_value_in_a_query_text_or_error_message_of_the_analysts_workgroup_hands_it_over(lake: Lake) -> None:
    """The analyst's GetQueryExecution of its own workgroup returns each query's text and error message: a
    deployer's lookup by a literal ssn, or a cast Athena fails quoting the value, hands it over with no result to
    fetch (missed on main: only succeeded results were read). A failed query quoting no value stays green."""
    before = _read(lake)
    with lake.cursor() as deployer:
        deployer.execute("SELECT user_id FROM users WHERE ssn = '123-45-6789'")
        lookup = deployer.query_id
        with pytest.raises(Exception, match="123-45-6789|987-65-4321|555-12-3456"):
            deployer.execute("SELECT CAST(ssn AS integer) FROM users")
        cast = deployer.query_id
        with pytest.raises(Exception, match="COLUMN_NOT_FOUND"):
            deployer.execute("SELECT no_such_column FROM users")
    added = {p.split()[1]: p for p in _read(lake) if p not in before}  # history lists the newest first
    assert sorted(added) == sorted([lookup, cast]), added
    assert "ssn in its query text," in added[lookup] and "ssn in its error message," in added[cast]
    assert not any(v in p for p in added.values() for v in SSNS)


def test_a_result_holding_ssn_only_encoded_hands_it_over(lake: Lake) -> None:
    """``to_utf8``/``to_hex``/``to_base64`` of ssn show no digit of it, and decoding shows it (missed on main)."""
    before = _read(lake)
    with lake.cursor() as deployer:
        copies = {}
        for name, expression in (
            ("blob", "to_utf8(ssn)"),
            ("h", "to_hex(to_utf8(ssn))"),
            ("b", "to_base64(to_utf8(ssn))"),
        ):
            deployer.execute(f"SELECT user_id, {expression} AS {name} FROM users")
            copies[deployer.query_id] = name
        deployer.execute("SELECT user_id, to_base64(to_utf8(email)) AS b FROM users")  # no ssn: green
    added = {p.split()[1]: p for p in _read(lake) if p not in before}
    assert sorted(added) == sorted(copies), added
    assert all(f"holding values of ssn in {name}," in added[query_id] for query_id, name in copies.items())


def test_a_table_copying_ssn_only_encoded_is_found_by_the_analysts_select_star(lake: Lake) -> None:
    """A CTAS ``to_utf8(ssn) AS blob, to_base64(to_utf8(ssn)) AS ref`` the analyst may read: its SELECT * is
    searched as exit check 6 searches it (pyathena hands varbinary over as bytes); the email column stays green."""
    with lake.cursor() as deployer:
        deployer.execute(
            f"CREATE TABLE {DB}.users_enc WITH (table_type = 'ICEBERG', location = 's3://{lake.bucket}/users_enc/') AS "
            "SELECT user_id, to_utf8(ssn) AS blob, to_base64(to_utf8(ssn)) AS ref, to_hex(to_utf8(email)) AS mail "
            "FROM users"
        )
    lake.grant("analyst", {"Table": {"DatabaseName": DB, "Name": "users_enc"}}, ["SELECT"])
    conn = pyathena.connect(
        work_group=WORK_GROUP,
        region_name=REGION,
        schema_name=DB,
        endpoint_url=lake.emulator.endpoint,
        session=lake.session("analyst"),
        poll_interval=0.05,
    )
    with conn:
        record, leaks, forms = _searched(conn, f"SELECT * FROM {DB}.users_enc{PROBE_MARK}", HiddenValues(SSNS))
    assert record.ok and record.row_count == 3, record.error
    assert leaks == {"blob": 3, "ref": 3} and forms == {"blob": ["varbinary"], "ref": ["base64"]}
    assert all(row[1] == MASK and row[2] == MASK for row in record.rows)
