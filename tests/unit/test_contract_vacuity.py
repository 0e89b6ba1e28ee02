"""Contracts that cannot fail are refused: each broken contract passes Great Expectations on a wrong table.

Each case first shows the harm (before the loader refused it, the shipped check passed the table),
then that the loader refuses the contract naming file, line and why.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from lakehouse.contracts import CONTRACTS_DIR, ContractError, load_contract, load_contracts
from lakehouse.vacuity import PROBES, matches_reads_itself, regex_matches_everything

HEAD = "table: silver.users\ncolumns:\n  user_id: {nullable: false}\n  ssn: {nullable: false}\nexpectations:\n"


@pytest.mark.parametrize(
    ("expectation", "why"),
    [
        (
            "  - expect: column_values_to_match_regex\n    column: ssn\n    regex: '^\\d{3}-\\d{2}-\\d{4}$'\n"
            "    mostly: 0.0\n",
            "`mostly: 0.0` lets every row break it",
        ),
        ("  - expect: column_values_to_match_regex\n    column: ssn\n    regex: '\\d*'\n", "is found in every string"),
        ("  - expect: column_values_to_match_regex\n    column: ssn\n    regex: '.*'\n", "is found in every string"),
        (
            "  - expect: column_values_to_match_regex_list\n    column: ssn\n    regex_list: ['^\\d+$', '']\n",
            "is found in every string",
        ),
        ("  - expect: column_mean_to_be_between\n    column: user_id\n", "neither `min_value` nor `max_value`"),
        (
            "  - expect: column_values_to_not_be_in_set\n    column: ssn\n    value_set: []\n",
            "an empty list excludes nothing",
        ),
    ],
    ids=["mostly-0", "regex-digits-star", "regex-dot-star", "regex-list-empty", "between-unbounded", "not-in-empty"],
)
def test_an_expectation_that_cannot_fail_is_refused(tmp_path: Path, expectation: str, why: str) -> None:
    bad = tmp_path / "silver.users.yml"
    bad.write_text(HEAD + expectation)
    with pytest.raises(ContractError) as err:
        load_contract(bad)
    assert str(err.value).startswith(f"{bad}:6: expectation ") and "cannot fail: " in str(err.value)
    assert why in str(err.value)


def test_the_vacuous_regex_really_passed_any_ssn(tmp_path: Path) -> None:
    """The harm: GX searches, so `\\d*` accepts `not a number` (the loader now refuses it; here run by hand)."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    context = gx.get_context(mode="ephemeral")
    batch = (
        context.data_sources.add_pandas("p")
        .add_dataframe_asset("users")
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": pd.DataFrame({"ssn": ["not a number", "<script>"]})})
    )
    assert batch.validate(gxe.ExpectColumnValuesToMatchRegex(column="ssn", regex=r"\d*")).success
    assert not batch.validate(gxe.ExpectColumnValuesToMatchRegex(column="ssn", regex=r"^\d{3}-\d{2}-\d{4}$")).success


def test_a_row_count_of_at_least_zero_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "silver.users.yml"
    bad.write_text("table: silver.users\nrow_count:\n  - at_least: 0\n")
    with pytest.raises(ContractError, match=r"silver\.users\.yml:3: field `row_count` cannot fail: `at_least: 0`"):
        load_contract(bad)


def _gold_copy(tmp_path: Path) -> Path:
    for path in CONTRACTS_DIR.glob("*.yml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path / "gold.daily_revenue.yml"


def test_a_gold_matches_query_over_the_gold_table_itself_is_refused(tmp_path: Path) -> None:
    """Broken contract: `matches: SELECT * FROM ${gold_db}.daily_revenue` compares Gold with itself and always
    agrees, whatever Silver says (also through a CTE or a subquery)."""
    target = _gold_copy(tmp_path)
    text = target.read_text()
    head = text[: text.index("matches:")]
    line = head.count("\n") + 1
    for query in (
        "SELECT * FROM ${gold_db}.daily_revenue",
        "WITH g AS (SELECT * FROM ${gold_db}.DAILY_REVENUE) SELECT order_date, country, orders, revenue FROM g",
        "SELECT * FROM (SELECT * FROM ${silver_db}.orders o JOIN ${gold_db}.daily_revenue d ON true)",
    ):
        target.write_text(head + f"matches: |\n  {query}\n")
        with pytest.raises(ContractError) as err:
            load_contracts(tmp_path)
        assert f"gold.daily_revenue.yml:{line}: field `matches` reads gold.daily_revenue itself" in str(err.value)


def test_a_gold_contract_without_matches_is_refused(tmp_path: Path) -> None:
    target = _gold_copy(tmp_path)
    text = target.read_text()
    target.write_text(text[: text.index("matches:")])
    with pytest.raises(ContractError, match=r"gold\.daily_revenue\.yml:\d+: field `matches` missing"):
        load_contracts(tmp_path)


def test_the_shipped_contracts_load_and_healthy_rules_are_kept() -> None:
    """No false reds: the shipped contracts, anchored regexes, a Gold matches over Silver and other Gold."""
    assert len(load_contracts()) == len(list(CONTRACTS_DIR.glob("*.yml")))
    for regex in (r"^\d{3}-\d{2}-\d{4}$", r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$", r"\S", r"^[^\x00]*$", "."):
        assert not regex_matches_everything(regex), regex
    layers = {"gold_db": "gold", "silver_db": "silver"}
    over_gold = "SELECT order_date, country, count(*) FROM gold_db.orders_enriched GROUP BY 1, 2"
    assert not matches_reads_itself("gold.daily_revenue", over_gold, layers)
    named_like_it = "WITH daily_revenue AS (SELECT 1 AS x) SELECT * FROM daily_revenue"
    assert not matches_reads_itself("gold.daily_revenue", named_like_it, layers)
    assert "" in PROBES  # a regex matching the empty string only at an anchor is told by the others


def test_a_matches_naming_the_stacks_gold_database_literally_fails_without_running() -> None:
    """The loader sees placeholders; a query naming the deployed Gold database by its name is caught where the
    names are known (exit check 2's matcher), and fails the contract instead of comparing Gold with itself."""
    from lakehouse.checks.data_loop import athena_matcher, judge_contracts

    outputs = {
        "glue_database_names": {"bronze": "lh_1_bronze", "silver": "lh_1_silver", "gold": "LH_1_GOLD"},
        "bucket_names": {"bronze": "b", "silver": "s", "gold": "g"},
    }
    contract = load_contract(CONTRACTS_DIR / "gold.daily_revenue.yml")
    contract.matches = "SELECT order_date, country, orders, revenue FROM lh_1_gold.daily_revenue"
    matcher = athena_matcher(object(), outputs)  # never asked: nothing runs
    columns = ["order_date", "country", "orders", "revenue"]
    diff = matcher(contract, columns)
    assert not diff.ok and diff.vacuous and "reads gold.daily_revenue itself" in diff.vacuous
    frame = pd.DataFrame({"order_date": ["2026-03-01"], "country": ["US"], "orders": [1], "revenue": [444.15]})
    frames = {"gold.daily_revenue": frame, "gold.orders_enriched": frame}  # its row-count relation's size
    outcome = judge_contracts(["gold.daily_revenue"], [contract], frames, 100.0, [], matcher=matcher)
    assert outcome.status == "failed"
    assert "gold.daily_revenue: table_rows_to_match_query failed" in str(outcome.reason)
    assert "reads gold.daily_revenue itself" in str(outcome.reason)
