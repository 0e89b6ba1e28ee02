"""GUARD-review under attack: a reviewed directory that is a git submodule.

The broken repository: main's ``infra`` is a submodule (a gitlink, mode 160000, pointing at a commit of
another repository). GitHub's recursive tree lists it as one ``commit`` entry and none of the files inside,
so the check found no file under /infra/ to give an owner, probed only paths a pull request may add, found
them owned by ``/infra/ @acme/infra-owners`` and passed. Yet the Terraform under /infra/ is another
repository's, changed under that repository's rules; and here a pull request moving the pointer changes the
path ``infra``, which the directory pattern ``/infra/`` does not match, so it merges with nobody's
code-owner approval. Now a submodule at or under a reviewed directory fails, naming it and its commit.
"""

from __future__ import annotations

from lakehouse.checks.review import check_review
from lakehouse.outcome import Outcome, Status
from tests.fake_github import REPO, TOKEN, FakeGitHub, github, reviewed_repository, sha

__all__ = ["github"]  # the fixture, imported for this module's tests

POINTER = sha(77)


def ask(github: FakeGitHub) -> Outcome:
    return check_review(REPO, TOKEN, github.url)


def test_a_reviewed_directory_that_is_a_submodule_fails_naming_it(github: FakeGitHub) -> None:
    reviewed_repository(github)
    github.files = {p: t for p, t in github.files.items() if not p.startswith("infra/")}
    github.submodules = {"infra": POINTER}
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason  # main: passed
    reason = str(outcome.reason)
    assert f"infra is a git submodule (at commit {POINTER[:12]} of another repository)" in reason
    assert "no rule matches the submodule's own path infra" in reason
    assert outcome.measured["submodules_in_reviewed_dirs"] == ["infra"]
    assert outcome.details["codeowners"]["submodules"] == {"infra": POINTER}


def test_a_submodule_inside_a_reviewed_directory_fails_too(github: FakeGitHub) -> None:
    """Owned pointer or not, the files inside are reviewed (or not) by another repository's rules."""
    reviewed_repository(github)
    github.submodules = {"infra/modules/network": POINTER}
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason  # main: passed
    assert "infra/modules/network is a git submodule" in str(outcome.reason)
    assert "its pointer is owned by @acme/infra-owners (line 2)" in str(outcome.reason)


def test_healthy_twin_the_directory_committed_as_files_and_a_submodule_elsewhere_pass(github: FakeGitHub) -> None:
    reviewed_repository(github)
    github.submodules = {"docs/theme": POINTER}  # not under a reviewed directory: not this check's concern
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert outcome.measured["submodules_in_reviewed_dirs"] == []
