"""The column-flow check: Marquez's column lineage claiming that Bronze ssn flows where the pipeline's SQL does not.

An event whose ``columnLineage`` facet says Gold ``daily_revenue.revenue`` is computed from Bronze ``users_csv.ssn``
makes Marquez's ``/column-lineage`` (and the page drawn from it) show ssn in a table the SQL never carries it into.
The check took the API's tables as more to draw, never as wrong: the page drew the claim and it passed. Now a
table or column the API reaches and the SQL does not fails the check, naming it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lakehouse.lineage.service.process import LineageHandle
from lakehouse.outcome import Status
from tests.lineage.marquez_web import marquez_web
from tests.lineage.test_column_page import ATHENA, BRONZE_USERS, FLOW, LABEL, fed_service, run_check

DAILY_REVENUE = "awsdatacatalog.lh_t_gold.daily_revenue"


def ssn_into_daily_revenue(event: dict[str, Any]) -> dict[str, Any]:
    """The broken stream: the event writing Gold daily_revenue claims its revenue is computed from Bronze ssn."""
    for out in event.get("outputs") or []:
        if out["name"] == DAILY_REVENUE and (facet := out.get("facets", {}).get("columnLineage")):
            fields = facet.setdefault("fields", {})
            claim = {"namespace": ATHENA, "name": BRONZE_USERS, "field": "ssn"}
            fields.setdefault("revenue", {"inputFields": []})["inputFields"].append(claim)
    return event


def test_a_claimed_flow_the_sql_lacks_fails_on_marquez_web_naming_it(service: LineageHandle, tmp_path: Path) -> None:
    fed_service(service, ssn_into_daily_revenue)
    with marquez_web(service.url) as web:
        outcome = run_check(service, tmp_path, web)
    assert outcome.details["flows_into_by_api"]["lh_t_gold.daily_revenue"] == ["revenue"]  # the claim is served
    assert outcome.status is Status.FAILED, outcome.reason
    assert outcome.reason == (
        f"Marquez's /column-lineage of {LABEL} says it flows into lh_t_gold.daily_revenue (revenue), which the "
        "pipeline's SQL does not carry it into: the lineage events claim column lineage the SQL does not have"
    )


def test_a_claimed_flow_the_sql_lacks_fails_on_our_page_naming_it(service: LineageHandle, tmp_path: Path) -> None:
    pytest.importorskip("playwright")
    fed_service(service, ssn_into_daily_revenue)
    outcome = run_check(service, tmp_path)
    if outcome.status is Status.ERROR and "no browser" in str(outcome.reason):
        pytest.skip(str(outcome.reason))
    assert outcome.status is Status.FAILED, outcome.reason
    assert "says it flows into lh_t_gold.daily_revenue (revenue), which the pipeline's SQL" in str(outcome.reason)


def test_claims_name_extra_tables_and_extra_columns_and_nothing_on_a_match() -> None:
    from lakehouse.checks.column_page import claim_problems  # new with the fix: the tests above show the hole

    assert claim_problems(LABEL, FLOW, FLOW) == []
    assert claim_problems(LABEL, FLOW, {k: v for k, v in FLOW.items() if k != "lh_t_gold.users"}) == []  # a gap
    more = {**FLOW, "lh_t_gold.users": ["email", "ssn"]}
    assert claim_problems(LABEL, FLOW, more) == [
        f"Marquez's /column-lineage of {LABEL} says it flows into lh_t_gold.users column(s) email, which the "
        "pipeline's SQL does not carry it into: the lineage events claim column lineage the SQL does not have"
    ]


def test_the_healthy_stream_on_marquez_web_claims_nothing_more(service: LineageHandle, tmp_path: Path) -> None:
    fed_service(service)
    with marquez_web(service.url) as web:
        outcome = run_check(service, tmp_path, web)
    assert outcome.status is Status.SKIPPED, outcome.reason
    assert outcome.details["flows_into_by_api"] == FLOW
