"""Terraform's -json stream becomes 'done of planned, slowest in flight, elapsed'."""

from __future__ import annotations

import json

from lakehouse.progress import ApplyTracker


def _msg(kind: str, addr: str, key: str = "hook") -> str:
    return json.dumps({"type": kind, key: {"resource": {"addr": addr}, "action": "create"}})


def test_done_of_planned_and_the_slowest_resource_in_flight() -> None:
    now = [100.0]
    state = ApplyTracker("apply", clock=lambda: now[0], started=100.0)
    for addr in ("a.one", "a.two", "a.three"):
        state.feed(_msg("planned_change", addr, key="change"))
    state.feed(_msg("apply_start", "a.one"))
    now[0] = 110.0
    state.feed(_msg("apply_start", "a.two"))
    assert state.feed(_msg("apply_complete", "a.two"))
    now[0] = 156.0
    assert state.line() == "terraform apply: 1/3 resources, 56 s; slowest in flight: a.one (56 s)"
    state.feed(_msg("apply_errored", "a.one"))
    assert "2/3 resources" in state.line() and "1 failed" in state.line()


def test_lines_that_are_not_json_are_ignored() -> None:
    state = ApplyTracker("destroy")
    assert not state.feed("Terraform has been successfully initialized!\n")
    assert state.line().startswith("terraform destroy: 0/? resources")


def test_only_the_apply_summary_ends_the_phase() -> None:
    state = ApplyTracker("apply")
    state.feed(json.dumps({"type": "change_summary", "changes": {"add": 3, "operation": "plan"}}))
    assert not state.finished
    state.feed(json.dumps({"type": "change_summary", "changes": {"add": 3, "operation": "apply"}}))
    assert state.finished
