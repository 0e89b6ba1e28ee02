"""Set-ups shared by the GUARD-review "review before apply" tests (test_review_apply_*.py): a repository reviewed as
the plan asks, the workflows they vary, and how they ask the check."""

from __future__ import annotations

from lakehouse.checks.review import check_review
from lakehouse.outcome import Outcome
from tests.fake_github import REPO, TOKEN, FakeGitHub, environment, reviewed_repository

ACCOUNT = "123456789012"
DEPLOY_ROLE, PLAN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/lakehouse-deploy", f"arn:aws:iam::{ACCOUNT}:role/lakehouse-plan"
DEPLOY, CI, CALLED = ".github/workflows/deploy.yml", ".github/workflows/ci.yml", ".github/workflows/lint.yml"
SHA = "7474bc4690e29a8392af63c5b98e7449536d5c3a"
DEPLOY_SECRET, PLAN_SECRET = "${{ secrets.AWS_DEPLOY_ROLE }}", "${{ secrets.AWS_PLAN_ROLE }}"
DEPLOY_VARIABLE, PLAN_VARIABLE = "${{ vars.AWS_DEPLOY_ROLE_ARN }}", "${{ vars.AWS_PLAN_ROLE_ARN }}"
#: ``on:`` entries: a pull request's code, and reviewed code only.
PULL_REQUEST, PUSH_TO_MAIN = "  pull_request:\n", "  push:\n    branches: [main]\n"

#: The gated apply job, with static keys from repository secrets, on push to main.
APPLY_WITH_KEYS = f"""on:
  push:
    branches: [main]
jobs:
  deploy:
    runs-on: ubuntu-24.04
    environment: production
    steps:
      - uses: aws-actions/configure-aws-credentials@{SHA} # v4.3.1
        with:
          aws-access-key-id: ${{{{ secrets.AWS_DEPLOY_KEY_ID }}}}
          aws-secret-access-key: ${{{{ secrets.AWS_DEPLOY_SECRET_KEY }}}}
          aws-region: eu-west-1
      - run: terraform -chdir=infra apply -auto-approve
"""


def assuming(on: str, role: str, job: str = "check", environment: str = "", run: str = "plan") -> str:
    """A workflow started by ``on`` (its ``on:`` entries) whose job ``job`` assumes ``role`` by OIDC and runs
    ``terraform <run>`` (naming ``environment``, when given)."""
    named = f"    environment: {environment}\n" if environment else ""
    return f"""on:
{on}jobs:
  {job}:
    runs-on: ubuntu-24.04
{named}    permissions:
      id-token: write
    steps:
      - uses: aws-actions/configure-aws-credentials@{SHA} # v4.3.1
        with:
          role-to-assume: {role}
          aws-region: eu-west-1
      - run: terraform -chdir=infra {run}
"""


def applying(role: str) -> str:
    """The gated apply job on push to main, assuming the role ``role`` names."""
    return assuming(PUSH_TO_MAIN, role, "deploy", "production", "apply -auto-approve")


def called_assuming(role: str) -> str:
    """A reusable workflow handed secret ``role``, whose job ``check`` assumes ``role`` (in its own scope) and plans."""
    return assuming("  workflow_call:\n    secrets:\n      role:\n        required: true\n", role)


def line_of(text: str, needle: str) -> int:
    """The line of ``text`` that first holds ``needle``: the reasons name lines."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def ask(github: FakeGitHub) -> Outcome:
    return check_review(REPO, TOKEN, github.url)


def repository(github: FakeGitHub, files: dict[str, str]) -> FakeGitHub:
    """A main reviewed as the plan asks, ``production`` a gate, holding ``files``; each role variable its own."""
    reviewed_repository(github)
    github.files.update(files)
    github.environments["production"] = environment()
    github.variables.update({"AWS_DEPLOY_ROLE_ARN": DEPLOY_ROLE, "AWS_PLAN_ROLE_ARN": PLAN_ROLE})
    return github


def caller(on: str, call: str) -> str:
    """A workflow started by ``on`` whose job ``lint`` calls ``call`` (its ``uses:`` and what it hands)."""
    return f"on:\n{on}permissions:\n  contents: read\njobs:\n  lint:\n{call}"
