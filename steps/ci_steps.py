"""Steps of exit check 3 (CI green): the guard workflow's newest completed runs, on GitHub or in the ledger.

The number of runs comes from the step text ("three" or "3"), so editing the feature edits the check.
"""

from __future__ import annotations

import os

from parse import with_pattern
from pytest_bdd import parsers, then, when

from lakehouse.checks.ci import check_ci_green
from lakehouse.config import RunOptions
from lakehouse.evidence import ArtifactStore, CheckEvidence
from lakehouse.github import api_url_from_env
from lakehouse.outcome import Outcome
from steps.outcomes import conclude

_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}


@with_pattern(r"\d+|" + "|".join(_NUMBER_WORDS))
def count(text: str) -> int:
    """A run count written as digits or as a word ("three")."""
    return int(text) if text.isdigit() else _NUMBER_WORDS[text]


_TYPES = {"Count": count}


@when(
    parsers.parse("the newest {required:Count} completed guard runs are read", extra_types=_TYPES),
    target_fixture="ci_runs",
)
def read_guard_runs(
    required: int, run_options: RunOptions, evidence: CheckEvidence, artifacts: ArtifactStore
) -> Outcome:
    # The token goes from the environment straight to the request header, never into the evidence.
    outcome = check_ci_green(
        run_options.github_repo,
        os.environ.get("GITHUB_TOKEN"),
        api_url_from_env(),
        run_options.ledger,
        required=required,
    )
    evidence.artifacts.append(artifacts.write_json("ci-guard-runs.json", outcome.details))
    return outcome


@then(parsers.parse("all {required:Count} concluded successfully", extra_types=_TYPES))
def all_green(required: int, ci_runs: Outcome, evidence: CheckEvidence) -> None:
    if required != ci_runs.threshold:
        reason = f"the feature reads the newest {ci_runs.threshold} runs but asks for {required} to be green"
        conclude(Outcome.error(reason, threshold=required, details=ci_runs.details), evidence)
    conclude(ci_runs, evidence)
