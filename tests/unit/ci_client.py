"""Exit check 3 on the GitHub path, asked of the fake GitHub (``tests.fake_github``) as the CI tests ask it.

Use with the ``github`` and ``no_github_sha`` fixtures (tests/unit/conftest.py): inside GitHub Actions
``GITHUB_SHA`` would otherwise become the commit under test, whatever commit a test picks.
"""

from __future__ import annotations

from lakehouse.checks.ci import check_github
from lakehouse.outcome import Outcome
from tests.fake_github import CHECKOUT_HEAD, REPO, TOKEN, FakeGitHub


def ask(github: FakeGitHub, commit: str | None = CHECKOUT_HEAD) -> Outcome:
    """Exit check 3 on the GitHub path for ``commit`` (by default this checkout's HEAD, in the fake's history)."""
    return check_github(REPO, TOKEN, github.url, commit=(commit, "test"))
