"""Steps of the guard rails (features/guard_rails.feature): settings read from GitHub, no stack.

The branch, the directories and the number of approvals come from the step text, so editing the
feature edits the check.
"""

from __future__ import annotations

import os

from pytest_bdd import parsers, then, when

from lakehouse.checks.review import ReviewReading, try_read_review, verdict
from lakehouse.config import RunOptions
from lakehouse.evidence import ArtifactStore, CheckEvidence
from lakehouse.github import api_url_from_env
from lakehouse.outcome import Outcome
from lakehouse.target import TargetError, aws_target
from steps.outcomes import conclude


@when(
    parsers.parse('the review rules of branch "{branch}" and its CODEOWNERS for {dirs} are read from GitHub'),
    target_fixture="review_read",
)
def read_review_rules(branch: str, dirs: str, run_options: RunOptions) -> ReviewReading | Outcome:
    # The token goes from the environment straight to the request header, never into the evidence.
    # The branch's head is bound to the commit under test of project_root()'s checkout, as exit check 3's runs.
    # On the aws target the session's IAM shows the trust of the role the apply job assumes (a role of another
    # account is recorded, not judged); the local target has no account the workflows deploy to.
    wanted = tuple(d.strip() for d in dirs.split(" and "))
    aws = None
    if run_options.target == "aws":
        try:
            aws = aws_target(run_options.region, run_options.profile)
        except TargetError:  # the evidence says the trust was not read (no AWS session)
            aws = None
    token = os.environ.get("GITHUB_TOKEN")
    return try_read_review(run_options.github_repo, token, api_url_from_env(), branch, wanted, aws=aws)


@then(
    parsers.parse(
        "a merge to that branch needs at least {approvals:d} approving review by a code owner other than the "
        "last pusher, never by GitHub Actions, stale approvals dismissed, for admins too"
    ),
    target_fixture="review",
)
def review_required(
    review_read: ReviewReading | Outcome, approvals: int, evidence: CheckEvidence, artifacts: ArtifactStore
) -> Outcome:
    outcome = verdict(review_read, approvals)
    evidence.artifacts.append(artifacts.write_json("guard-review.json", outcome.details))
    problems = outcome.details.get("problems", {})
    conclude(outcome, evidence, [*problems.get("protection", []), *problems.get("actions", [])])
    return outcome


@then("CODEOWNERS on that branch has no errors and gives every file under those directories an owner")
def codeowners_own_the_directories(review: Outcome, evidence: CheckEvidence) -> None:
    conclude(review, evidence)
