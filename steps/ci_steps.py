"""Steps of exit check 3 (CI green): the guard workflow's newest three completed runs, on GitHub or in the ledger."""

from __future__ import annotations

import os
from typing import Any

import pytest
from pytest_bdd import then, when

from lakehouse.checks.ci import CiOutcome, check_ci_green
from lakehouse.config import RunOptions
from lakehouse.evidence import ArtifactStore, CheckEvidence
from lakehouse.github import api_url_from_env


class CiSourceError(RuntimeError):
    """The configured CI source could not be read: the check ends as ``error``, not ``failed``."""


@when("the newest three completed guard runs are read")
def read_guard_runs(
    run_options: RunOptions, evidence: CheckEvidence, artifacts: ArtifactStore, facts: dict[str, Any]
) -> None:
    # The token goes from the environment straight to the request header, never into the evidence.
    outcome = check_ci_green(
        run_options.github_repo, os.environ.get("GITHUB_TOKEN"), api_url_from_env(), run_options.ledger
    )
    evidence.artifacts.append(artifacts.write_json("ci-guard-runs.json", outcome.result.details))
    evidence.record(outcome.result)
    facts["ci"] = outcome


@then("all three concluded successfully")
def all_three_green(facts: dict[str, Any]) -> None:
    outcome: CiOutcome = facts["ci"]
    reason = outcome.result.reason or ""
    if outcome.status == "skipped":
        pytest.skip(reason)
    if outcome.status == "error":
        raise CiSourceError(reason)
    assert outcome.result.passed, reason
