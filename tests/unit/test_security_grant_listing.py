"""Exit check 6 lists Lake Formation's DATA_LOCATION grants by type as well as in the unfiltered listing.

Whether ListPermissions without a ResourceType returns DATA_LOCATION grants on AWS is not documented
(/work/shared/reference/aws-semantics.md). Main read location grants from the unfiltered listing only: on an
account answering them only to ``ResourceType=DATA_LOCATION``, the analyst's DATA_LOCATION_ACCESS over the
Gold users files was never seen and the check passed. Now both listings are read and merged, one grant once.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from lakehouse.checks.security import judge_security
from lakehouse.checks.security_read import read_grants
from tests.unit.test_security import ANALYST, BUCKETS, DB, grant, healthy

LOCATION = f"arn:aws:s3:::{BUCKETS['gold']}/users"


def _location_grant(**extra: Any) -> dict[str, Any]:
    return {**grant(ANALYST, {"DataLocation": {"ResourceArn": LOCATION}}, "DATA_LOCATION_ACCESS"), **extra}


def _read(unfiltered: list[dict[str, Any]], by_type: list[dict[str, Any]]) -> tuple[Any, list[dict[str, Any]]]:
    """``read_grants`` against a Lake Formation answering ``unfiltered`` with no filter and ``by_type`` to
    ``ResourceType=DATA_LOCATION``; the judged readback and the calls made."""
    calls: list[dict[str, Any]] = []

    def list_permissions(**params: Any) -> dict[str, Any]:
        calls.append(params)
        if not params:
            return {"PrincipalResourcePermissions": unfiltered}
        return {"PrincipalResourcePermissions": by_type if params.get("ResourceType") == "DATA_LOCATION" else []}

    lf = SimpleNamespace(
        get_data_lake_settings=lambda: {"DataLakeSettings": {}},
        list_permissions=list_permissions,
        list_data_cells_filter=lambda **params: {"DataCellsFilters": []},
    )
    rb = healthy()
    kept = [g for g in rb.grants]
    read_grants(SimpleNamespace(client=lambda service: lf), [], rb)  # type: ignore[arg-type]
    rb.grants += kept
    return rb, calls


def test_a_location_grant_listed_only_by_type_fails_the_check() -> None:
    rb, calls = _read([], [_location_grant()])
    assert {"ResourceType": "DATA_LOCATION"} in calls
    outcome = judge_security(rb)
    assert not outcome.passed
    assert outcome.details["problems"]["grants"] == [
        f"the analyst holds ['DATA_LOCATION_ACCESS'] on data location {LOCATION}, which holds the files of "
        f"{DB}.users (s3://{BUCKETS['gold']}/users/): with it a table of its own over those files reads ssn"
    ]


def test_a_location_grant_in_both_listings_is_one_grant() -> None:
    first = _location_grant(LastUpdated="2026-12-01T00:00:00Z", LastUpdatedBy="arn:aws:iam::1:user/a")
    again = _location_grant(LastUpdated="2026-12-02T00:00:00Z", LastUpdatedBy="arn:aws:iam::1:user/b")
    again["Permissions"] = ["DATA_LOCATION_ACCESS"]
    rb, _ = _read([first], [again])
    located = [g for g in rb.grants if "DataLocation" in g["Resource"]]
    assert len(located) == 1, located
    assert len(judge_security(rb).details["problems"]["grants"]) == 1


def test_no_location_grant_in_either_listing_passes() -> None:
    rb, calls = _read([], [])
    assert {"ResourceType": "DATA_LOCATION"} in calls
    assert judge_security(rb).passed, judge_security(rb).reason
