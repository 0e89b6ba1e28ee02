"""Steps of exit check 3 (CI green): the guard workflow's newest three completed runs, on GitHub or in the ledger."""

from __future__ import annotations

import os

from pytest_bdd import then, when

from lakehouse.checks.ci import check_ci_green
from lakehouse.config import RunOptions
from lakehouse.evidence import ArtifactStore, CheckEvidence
from lakehouse.github import api_url_from_env
from lakehouse.outcome import Outcome
from steps.outcomes import conclude


@when("the newest three completed guard runs are read", target_fixture="ci_runs")
def read_guard_runs(run_options: RunOptions, evidence: CheckEvidence, artifacts: ArtifactStore) -> Outcome:
    # The token goes from the environment straight to the request header, never into the evidence.
    outcome = check_ci_green(
        run_options.github_repo, os.environ.get("GITHUB_TOKEN"), api_url_from_env(), run_options.ledger
    )
    evidence.artifacts.append(artifacts.write_json("ci-guard-runs.json", outcome.details))
    return outcome


@then("all three concluded successfully")
def all_three_green(ci_runs: Outcome, evidence: CheckEvidence) -> None:
    conclude(ci_runs, evidence)
