"""Is a commit of a named GitHub repository of the code under test? It is when the two share history.

A repository the user names (``--github-repo``, ``GITHUB_REPOSITORY``) is only a name: what GitHub says of
it (exit check 3's guard runs, GUARD-review's settings of ``main``) says something of this code only when
the commit it is about (a run's ``head_sha``, the head of ``main``) shares history with the commit under
test, i.e. the two have a merge base.

The commit under test is ``GITHUB_SHA`` when set, else the checkout's ``git HEAD`` (``commit_under_test``).
``HistoryBinder`` ties a commit to it, once per sha:

- the same commit is related without asking (a commit holds its whole history);
- else the checkout's git is asked (``local_binding``: ``git merge-base <sha> <commit under test>``: exit 0
  related, exit 1 unrelated, except in a shallow clone whose cut history cannot tell; 128, no git, not a
  repository: cannot tell);
- else GitHub (``GET /repos/{repo}/compare/{sha}...{commit under test}``): 200, whatever its ``status``
  (``ahead``, ``behind``, ``identical``, ``diverged``), related; 404 "No common ancestor", unrelated; a 404
  for a commit the repository does not hold (one never pushed): nobody can tell (``related`` None). Any
  other answer raises ``GitHubApiError`` for the caller to report.

The ``Binding`` says how (``same commit``, ``local git`` or ``github compare``), with the merge base.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lakehouse.evidence import git_commit
from lakehouse.github import GitHubActions

#: A full commit sha (SHA-1, or SHA-256 for repositories that use it).
SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
#: Seconds the local ``git merge-base`` may take before the checkout is taken to be unable to tell.
GIT_TIMEOUT_S = 30
#: How a commit was bound to the commit under test.
SAME_COMMIT, LOCAL_GIT, GITHUB_COMPARE = "same commit", "local git", "github compare"
#: GitHub's 404 message for two commits without a merge base (lower case).
NO_COMMON_ANCESTOR = "no common ancestor"


def commit_under_test(checkout: Path, environ: Mapping[str, str] | None = None) -> tuple[str | None, str]:
    """The commit the run verifies and where that came from: ``GITHUB_SHA`` when set, else the checkout's HEAD."""
    env = os.environ if environ is None else environ
    if sha := env.get("GITHUB_SHA", "").strip():
        return sha.lower(), "GITHUB_SHA"
    return git_commit(checkout), f"git HEAD of {checkout}"


def unbindable(commit: str | None, source: str) -> str | None:
    """Why nothing can be bound to the commit under test (unknown, or not a sha), as the start of a reason;
    None when it is a commit sha."""
    if commit is not None and SHA.match(commit):
        return None
    said = "unknown" if commit is None else f"{commit!r}, not a commit sha"
    return f"the commit under test is {said} ({source or 'no GITHUB_SHA, no git HEAD'})"


def how_to_tell(branch: str) -> str:
    """What makes a binding nobody could make possible: GitHub holds no such commit under test, the checkout
    no such commit of the repository's."""
    return f"push the commit under test, or fetch {branch} so the checkout's git can tell"


@dataclass(frozen=True)
class Binding:
    """How a commit (a judged run's, a branch's head) was tied to the commit under test: ``related`` when they
    share history."""

    #: The commit bound (for exit check 3 a judged run's ``head_sha``).
    run_sha: str
    #: None: nobody could tell (GitHub holds no such commit under test, the checkout's git no such commit).
    related: bool | None
    how: str  # SAME_COMMIT, LOCAL_GIT or GITHUB_COMPARE
    merge_base: str | None = None
    #: GitHub's comparison status (``ahead``, ``behind``, ``identical``, ``diverged``) for GITHUB_COMPARE.
    status: str | None = None
    #: What the source said when they share none (git's or GitHub's words).
    said: str = ""
    url: str | None = None

    def evidence(self) -> dict[str, Any]:
        """The binding for the evidence: ``related`` always, the other fields when they say something."""
        return {k: v for k, v in asdict(self).items() if k == "related" or v not in (None, "")}


def _git(checkout: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    """``git -C checkout args``; None when git is missing or too slow."""
    try:
        return subprocess.run(
            ["git", "-C", str(checkout), *args], capture_output=True, text=True, timeout=GIT_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def local_binding(checkout: Path | None, sha: str, commit: str) -> Binding | None:
    """What the checkout's git says of ``sha`` and ``commit`` (``git merge-base``); None when it cannot tell.

    Exit 0: a merge base, related. Exit 1: no common ancestor, unrelated; but a shallow clone's history
    is cut short, so there it cannot tell. Exit 128 (a commit it does not hold, not a repository) or no
    git: it cannot tell either.
    """
    if checkout is None or not (SHA.match(sha) and SHA.match(commit)):
        return None
    answer = _git(checkout, "merge-base", sha, commit)
    if answer is None:
        return None
    if answer.returncode == 0 and (base := answer.stdout.strip().split()):
        return Binding(sha, True, LOCAL_GIT, merge_base=base[0])
    if answer.returncode == 1:
        shallow = _git(checkout, "rev-parse", "--is-shallow-repository")
        if shallow is not None and shallow.returncode == 0 and shallow.stdout.strip() == "false":
            return Binding(sha, False, LOCAL_GIT, said=f"`git merge-base` in {checkout} found no common ancestor")
    return None


class HistoryBinder:
    """Binds commits to the commit under test: the checkout's git first, else GitHub's compare; once per sha."""

    def __init__(self, client: GitHubActions, commit: str, checkout: Path | None):
        self.client = client
        self.commit = commit
        self.checkout = checkout
        self._known: dict[str, Binding] = {}

    def bind(self, sha: str) -> Binding:
        if sha not in self._known:
            self._known[sha] = self._bind(sha)
        return self._known[sha]

    def _bind(self, sha: str) -> Binding:
        if sha == self.commit:  # a commit holds its whole history: no repository has it without this code's
            return Binding(sha, True, SAME_COMMIT, merge_base=sha)
        if (local := local_binding(self.checkout, sha, self.commit)) is not None:
            return local
        compared = self.client.compare(sha, self.commit)
        said = f"GitHub's compare answered 404: {compared.said}" if not compared.related else ""
        # GitHub's 404 says "No common ancestor" for two histories, and the same 404 (another message) for a
        # commit it does not hold: a commit under test never pushed, which proves nothing either way.
        related: bool | None = compared.related or (None if NO_COMMON_ANCESTOR not in said.lower() else False)
        return Binding(sha, related, GITHUB_COMPARE, compared.merge_base, compared.status, said, compared.url)
