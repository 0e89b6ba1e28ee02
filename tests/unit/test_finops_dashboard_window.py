"""Exit check 7 counts a dashboard tile only if it shows the present when the dashboard opens.

A dashboard body may fix its time range (top-level ``start``/``end``), and a metric widget its own
(``properties.start``/``end``, which override the dashboard's for that widget). An absolute ``end``
before the moment of reading freezes the tile on a past window: ListMetrics still lists its series
and the row still names it, yet the tile never shows today's spend or usage again (a stale tile).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from lakehouse.checks.dashboard_metrics import count_metric_series
from lakehouse.checks.finops import judge_finops
from lakehouse.outcome import Status
from tests.unit.test_finops import HEALTHY_BODY, READ_AT, healthy

#: The whole dashboard opens on the first of January: every tile is frozen eleven months back.
LAST_JANUARY = {"start": "2026-01-01T00:00:00.000Z", "end": "2026-01-02T00:00:00.000Z"}
#: The S3 and billing widgets of HEALTHY_BODY (indexes 2 and 3).
S3_AND_BILLING = (2, 3)


def body_with(top: dict[str, Any] | None = None, **widgets: dict[str, Any]) -> dict[str, Any]:
    """HEALTHY_BODY with ``top`` merged into the body and ``widgets["w<i>"]`` into widget i's properties."""
    body = copy.deepcopy(HEALTHY_BODY)
    body.update(top or {})
    for key, props in widgets.items():
        body["widgets"][int(key[1:])]["properties"].update(props)
    return body


def judged(body: dict[str, Any]) -> Any:
    return judge_finops(healthy(dashboard_body=json.dumps(body)))


def test_a_dashboard_that_opens_on_a_past_window_counts_no_series() -> None:
    """Broken dashboard: the body's absolute start/end hold 1-2 January; read on 3 December, its four live
    series (ListMetrics lists each) are tiles frozen eleven months back."""
    result = judged(body_with(LAST_JANUARY))
    assert result.status is Status.FAILED
    assert result.measured["dashboard_metric_series"] == 0
    problem = result.details["problems"]["dashboard"][0]
    assert "has 0 published metric series" in problem
    assert (
        "widget 3 (metric) row 0: AWS/Billing EstimatedCharges Currency=USD [us-east-1] not shown now: the "
        "dashboard's time range ends at 2026-01-02T00:00:00.000Z, before the read (2026-12-03T11:00:00+00:00)"
    ) in problem


def test_widgets_frozen_on_their_own_past_window_do_not_count() -> None:
    """Broken dashboard: the S3 and billing widgets set their own absolute range (last week), the Athena one is
    live: two series shown now, fewer than three."""
    week = {"start": "2026-11-20T00:00:00Z", "end": "2026-11-27T00:00:00Z"}
    result = judged(body_with(w2=week, w3=week))
    assert result.status is Status.FAILED
    assert result.measured["dashboard_metric_series"] == 2
    assert "the widget's time range ends at 2026-11-27T00:00:00Z, before the read" in str(result.reason)


def test_a_window_that_starts_after_the_read_shows_nothing_yet() -> None:
    result = judged(body_with({"start": "2027-01-01T00:00:00Z", "end": "2027-02-01T00:00:00Z"}))
    assert result.status is Status.FAILED
    assert "the dashboard's time range starts at 2027-01-01T00:00:00Z, after the read" in str(result.reason)


def test_an_end_that_cannot_be_read_shows_nothing_known() -> None:
    result = judged(body_with({"start": "2026-12-01T00:00:00Z", "end": "yesterday"}))
    assert result.status is Status.FAILED
    assert "the dashboard's time range ends at 'yesterday', which is not an ISO 8601 time" in str(result.reason)


@pytest.mark.parametrize(
    "body",
    [
        body_with({"start": "-PT6H"}),
        body_with({"start": "-P3M", "periodOverride": "inherit"}),
        body_with({"start": "2026-12-01T00:00:00Z", "end": "2026-12-31T23:59:59Z"}),
        body_with(LAST_JANUARY, w1={"start": "-P7D"}, w2={"start": "-P7D"}, w3={"start": "-P7D"}),
    ],
    ids=["relative", "relative-months", "absolute-holding-the-read", "widgets-override-a-frozen-dashboard"],
)
def test_tiles_that_show_the_present_count(body: dict[str, Any]) -> None:
    """Healthy twins: a relative range (ends now), an absolute one holding the read, and widgets whose own
    relative range overrides the dashboard's frozen one."""
    result = judged(body)
    assert result.passed, result.reason
    assert result.measured["dashboard_metric_series"] == 4


def test_without_a_clock_the_count_judges_no_window() -> None:
    """The pure count (no ``now``) names the series as drawn; only the judge, with the read's moment, drops them."""
    assert count_metric_series(body_with(LAST_JANUARY)).count == 4
    assert count_metric_series(body_with(LAST_JANUARY), now=READ_AT).count == 0
