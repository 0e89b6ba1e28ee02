"""A small GitHub Actions REST client: the calls exit check 3 needs, with errors that say why.

``GET /repos/{repo}/actions/workflows/{workflow}/runs`` (reference section 5) for exit check 3, the workflow's
``state`` (``GET /repos/{repo}/actions/workflows/{workflow}``), with the
jobs of a run (``GET /repos/{repo}/actions/runs/{run_id}/jobs``, paginated), its earlier attempts
(``GET /repos/{repo}/actions/runs/{run_id}/attempts/{attempt_number}``) and a file at a commit (the
workflow a run ran, ``GET /repos/{repo}/contents/{path}?ref=``), whether a run's commit shares history
with the commit under test (``GET /repos/{repo}/compare/{base}...{head}``), and
the read-only calls the two-person review check needs (``GitHubRepo``: the head commit of a branch,
branch rules, classic branch protection, rulesets, whether Actions may approve pull requests, CODEOWNERS
and its errors, the tree of a ref, a deployment environment and its deployment branch policies). The
token is sent as a header and never kept anywhere else, so it cannot reach the evidence.
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
REPO_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


#: What to check when GitHub answers 404 for a repository path.
REPO_MISSING = "check the repository name and that the token can see a private repository"


class GitHubApiError(RuntimeError):
    """GitHub did not answer the question; ``kind`` says what went wrong, the message what to do.

    Kinds: ``auth`` (401), ``forbidden`` (403 without rate limit), ``rate_limit`` (403/429 with
    the limit used up; ``reset_at`` says when it resets), ``not_found`` (404), ``server`` (5xx),
    ``network`` (no answer), ``bad_response`` (an answer of the wrong shape), ``moved`` (an answer for
    another branch: ``BranchMoved``).
    """

    def __init__(self, kind: str, message: str, status: int | None = None, reset_at: str | None = None):
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.reset_at = reset_at


class BranchMoved(GitHubApiError):
    """GitHub answered for a branch with another one: it redirects the old name of a renamed branch (301)."""

    def __init__(self, branch: str, to: str, asked: str, answered: str):
        super().__init__(
            "moved",
            f"GitHub answers for branch {branch} ({asked}) with branch {to!r} ({answered}): {branch} was renamed, "
            "or GitHub redirects its name to another branch",
        )
        self.branch = branch
        self.to = to
        #: The request, and the URL that answered it (where the redirect led).
        self.asked = asked
        self.answered = answered


@dataclass(frozen=True)
class RunsPage:
    """The workflow runs GitHub returned (newest first) and the request that asked for them."""

    url: str
    params: dict[str, str]
    total_count: int
    runs: list[dict[str, Any]]


def api_url_from_env() -> str:
    """``GITHUB_API_URL`` (set by Actions, also for GitHub Enterprise), else the public API."""
    return (os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")


def _reset_time(headers: Any) -> str | None:
    raw = headers.get("X-RateLimit-Reset")
    try:
        return datetime.fromtimestamp(int(raw), UTC).isoformat(timespec="seconds") if raw else None
    except (TypeError, ValueError, OverflowError):
        return None


def _github_message(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200].strip()
    return str(data.get("message", "")) if isinstance(data, dict) else ""


#: What a 403 and a 404 of the Actions runs call most likely mean (other calls pass their own).
ACTIONS_NEEDS = "read access to Actions (`actions: read`)"
ACTIONS_MISSING = (
    "check the repository name, that the workflow file exists on the default branch, and that the token can "
    "see a private repository"
)
#: What a 404 for one run's jobs or attempts most likely means.
RUN_MISSING = "the run may have been deleted, or the token cannot see a private repository"


def _raise_for(
    response: requests.Response, what: str, needs: str = ACTIONS_NEEDS, missing: str = ACTIONS_MISSING
) -> None:
    """Turn a non-2xx answer into a GitHubApiError that names the cause and the fix."""
    status = response.status_code
    message = _github_message(response)
    said = f" (GitHub: {message})" if message else ""
    if status == 401:
        raise GitHubApiError("auth", f"GitHub rejected the token with 401 for {what}{said}; check GITHUB_TOKEN", status)
    remaining = response.headers.get("X-RateLimit-Remaining")
    if status == 429 or (status == 403 and (remaining == "0" or "rate limit" in message.lower())):
        reset_at = _reset_time(response.headers)
        when = f"; it resets at {reset_at}" if reset_at else ""
        retry = response.headers.get("Retry-After")
        after = f" (Retry-After {retry} s)" if retry else ""
        raise GitHubApiError(
            "rate_limit", f"GitHub API rate limit exceeded ({status}) for {what}{when}{after}{said}", status, reset_at
        )
    if status == 403:
        raise GitHubApiError(
            "forbidden",
            f"GitHub refused {what} with 403{said}; the token needs {needs}",
            status,
        )
    if status == 404:
        raise GitHubApiError(
            "not_found",
            f"GitHub has no {what} (404){said}: {missing}",
            status,
        )
    if status >= 500:
        raise GitHubApiError("server", f"GitHub answered {status} for {what}{said}: a GitHub-side failure", status)
    raise GitHubApiError("bad_response", f"GitHub answered {status} for {what}{said}", status)


#: Most results a paginated call asks for per page (GitHub's maximum).
PER_PAGE = 100
#: Pages read at most from a paginated call: far more rules than any branch has, or jobs than a run.
MAX_PAGES = 10


#: The ``status`` values GitHub's "Compare two commits" answers with.
COMPARE_STATUSES = ("ahead", "behind", "identical", "diverged")


@dataclass(frozen=True)
class Comparison:
    """What ``GET /repos/{repo}/compare/{base}...{head}`` said about two commits.

    ``related``: GitHub compared them (200), so they share history, with ``status`` and the
    ``merge_base`` GitHub gave; else GitHub answered 404 (no common ancestor, or a commit the
    repository does not hold) and ``said`` is its message.
    """

    url: str
    related: bool
    status: str | None = None
    merge_base: str | None = None
    said: str = ""


@dataclass(frozen=True)
class Answer:
    """A GitHub answer's JSON and the request that asked for it (for the evidence)."""

    url: str
    data: Any


class GitHubActions:
    """Read-only access to one repository's Actions runs."""

    def __init__(
        self,
        repo: str,
        token: str | None,
        api_url: str = DEFAULT_API_URL,
        timeout_s: float = 30.0,
        session: requests.Session | None = None,
    ):
        if not REPO_PATTERN.match(repo):
            raise ValueError(f"GitHub repository {repo!r} must look like owner/name")
        self.repo = repo
        self.api_url = api_url.rstrip("/")
        self.timeout_s = timeout_s
        self._token = token
        self._session = session or requests.Session()
        self._trees: dict[str, Tree] = {}

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def _get(
        self,
        path: str,
        what: str,
        params: dict[str, str] | None = None,
        needs: str = "read access to the repository's metadata and contents",
        missing: str = REPO_MISSING,
        tolerate: tuple[int, ...] = (),
    ) -> tuple[requests.Response, Answer]:
        """One GET; a non-2xx answer raises ``GitHubApiError`` unless its status is in ``tolerate``."""
        url = f"{self.api_url}/repos/{self.repo}/{path}"
        try:
            response = self._session.get(url, params=params, headers=self._headers(), timeout=self.timeout_s)
        except requests.RequestException as err:
            raise GitHubApiError("network", f"no answer from {self.api_url} for {what}: {err}") from None
        if not response.ok and response.status_code not in tolerate:
            _raise_for(response, what, needs, missing)
        try:
            data = response.json()
        except ValueError:
            if response.ok:
                raise GitHubApiError(
                    "bad_response", f"GitHub's answer for {what} is not JSON", response.status_code
                ) from None
            data = None
        return response, Answer(url, data)

    def workflow_runs(
        self,
        workflow: str,
        branch: str,
        status: str = "completed",
        per_page: int = 10,
        event: str | None = None,
        page: int = 1,
    ) -> RunsPage:
        """The newest runs of a workflow (file name or id) on a branch, newest first.

        ``status`` defaults to ``completed``: never ``success``, which would hide the
        failures between successes (reference section 0, item 12). ``event`` (e.g. ``push``)
        narrows the answer on GitHub's side; callers that depend on it still check each run's
        ``event``, since the branch filter alone lets in pull requests from a fork's ``main``. ``page``: which
        page of ``per_page`` runs (the first by default).
        """
        url = f"{self.api_url}/repos/{self.repo}/actions/workflows/{workflow}/runs"
        params = {"branch": branch, "status": status, "per_page": str(per_page)}
        if event:
            params["event"] = event
        if page > 1:
            params["page"] = str(page)
        what = f"the runs of workflow {workflow} in {self.repo}"
        try:
            response = self._session.get(url, params=params, headers=self._headers(), timeout=self.timeout_s)
        except requests.RequestException as err:
            raise GitHubApiError("network", f"no answer from {self.api_url} for {what}: {err}") from None
        if not response.ok:
            _raise_for(response, what)
        try:
            data = response.json()
            runs = data["workflow_runs"]
            if not isinstance(runs, list):
                raise TypeError("workflow_runs is not a list")
        except (ValueError, KeyError, TypeError) as err:
            raise GitHubApiError(
                "bad_response", f"GitHub's answer for {what} has no workflow_runs list ({err})", response.status_code
            ) from None
        return RunsPage(url=url, params=params, total_count=int(data.get("total_count", len(runs))), runs=runs)

    def workflow(self, workflow: str) -> Answer:
        """A workflow (file name or id) as ``GET /repos/{repo}/actions/workflows/{workflow}`` returns it: its
        ``state`` says whether pushes run it (``active``) or not (``disabled_manually``, ``disabled_inactivity``,
        ``disabled_fork``, ``deleted``)."""
        what = f"workflow {workflow} of {self.repo}"
        _, answer = self._get(f"actions/workflows/{workflow}", what, None, ACTIONS_NEEDS, ACTIONS_MISSING)
        if not isinstance(answer.data, dict) or not isinstance(answer.data.get("state"), str):
            raise GitHubApiError("bad_response", f"GitHub's answer for {what} has no state")
        return answer

    def branch_head(self, branch: str) -> Answer:
        """The commit ``branch`` points at (``GET /repos/{repo}/branches/{branch}`` -> ``commit.sha``), lower case.

        The review check binds the settings of ``branch`` to the code under test through it; exit check 3
        the guard runs it judges to the history of main. A 404 (no such
        branch, or a repository the token cannot see), 403 or 5xx raises like the other calls; an answer for
        another branch (GitHub's 301 from a renamed branch's old name, followed) raises ``BranchMoved``.
        """
        what = f"branch {branch} of {self.repo}"
        response, answer = self._get(
            f"branches/{branch}",
            what,
            needs="contents: read",
            missing=f"check the repository name, that it has a branch {branch}, and that the token can see it",
        )
        # A renamed branch's old name answers 301 to the new one, which requests follows: the answer is then
        # another branch's, and so would be every setting read by the old name. (A renamed repository's 301
        # leads to the same branch: its name says so.)
        name = answer.data.get("name") if isinstance(answer.data, dict) else None
        if isinstance(name, str) and name != branch:
            raise BranchMoved(branch, name, answer.url, response.url)
        commit = answer.data.get("commit") if isinstance(answer.data, dict) else None
        sha = commit.get("sha") if isinstance(commit, dict) else None
        if not isinstance(sha, str) or not sha:
            raise GitHubApiError("bad_response", f"GitHub's answer for {what} has no commit sha")
        return Answer(answer.url, sha.lower())

    def run_jobs(self, run_id: int) -> Answer:
        """Every job of a run's latest attempt, all pages: a run concludes success with its jobs skipped."""
        what = f"the jobs of run {run_id} in {self.repo}"
        path, params = f"actions/runs/{run_id}/jobs", {"filter": "latest"}
        return self._every_page(path, what, "jobs", params, ACTIONS_NEEDS, RUN_MISSING)

    def _every_page(
        self,
        path: str,
        what: str,
        key: str,
        params: dict[str, str],
        needs: str,
        missing: str = REPO_MISSING,
        per_page: int = PER_PAGE,
    ) -> Answer:
        """Every page of a list GitHub wraps in ``{key: [...]}``: a list cut short would judge part of it as all.
        ``per_page``: the most GitHub gives for that list (a shorter page is the last one)."""
        listed_all: list[dict[str, Any]] = []
        url = ""
        for page in range(1, MAX_PAGES + 1):
            paged = {**params, "per_page": str(per_page), "page": str(page)}
            _, answer = self._get(path, what, paged, needs, missing)
            url = answer.url
            listed = answer.data.get(key) if isinstance(answer.data, dict) else None
            if not isinstance(listed, list) or not all(isinstance(item, dict) for item in listed):
                raise GitHubApiError("bad_response", f"GitHub's answer for {what} has no {key} list")
            listed_all.extend(listed)
            if len(listed) < per_page:
                return Answer(url, listed_all)
        raise GitHubApiError("bad_response", f"more than {MAX_PAGES * per_page} {what}: the rest were not read")

    def run_attempt(self, run_id: int, attempt: int) -> Answer:
        """One attempt of a run (a workflow run object): the run list shows only the latest one."""
        what = f"attempt {attempt} of run {run_id} in {self.repo}"
        _, answer = self._get(f"actions/runs/{run_id}/attempts/{attempt}", what, None, ACTIONS_NEEDS, RUN_MISSING)
        if not isinstance(answer.data, dict) or "conclusion" not in answer.data:
            raise GitHubApiError("bad_response", f"GitHub's answer for {what} has no conclusion")
        return answer

    def file_text(self, path: str, ref: str) -> Answer | None:
        """A file's text at ``ref`` (a branch or a commit) through the contents API; None when there is none.

        Exit check 3 reads the workflow a run ran at its commit; the review check reads CODEOWNERS.
        """
        what = f"{path} at {ref} in {self.repo}"
        response, answer = self._get(f"contents/{path}", what, {"ref": ref}, needs="contents: read", tolerate=(404,))
        if response.status_code == 404:
            return None
        data = answer.data
        if not isinstance(data, dict) or data.get("type") != "file" or data.get("encoding") != "base64":
            raise GitHubApiError("bad_response", f"GitHub's answer for {what} is not a base64 file")
        try:
            text = base64.b64decode(str(data.get("content", ""))).decode("utf-8")
        except (ValueError, UnicodeDecodeError) as err:
            raise GitHubApiError("bad_response", f"{what} is not UTF-8 base64 text ({err})") from None
        return Answer(answer.url, text)

    def tree_paths(self, ref: str) -> Tree:
        """Every file path at ``ref``, which of them are symbolic links, and whether GitHub truncated the list.

        Read once per ref and kept: exit check 3 lists a judged commit's tree for each ``for`` glob its guard
        runs (``for f in tests/*.sh``), the review check for CODEOWNERS' patterns."""
        if ref in self._trees:
            return self._trees[ref]
        what = f"the file tree of {ref} in {self.repo}"
        _, answer = self._get(f"git/trees/{ref}", what, {"recursive": "1"}, needs="contents: read")
        entries = answer.data.get("tree") if isinstance(answer.data, dict) else None
        if not isinstance(entries, list):
            raise GitHubApiError("bad_response", f"GitHub's answer for {what} has no tree list")
        blobs = [e for e in entries if isinstance(e, dict) and e.get("type") == "blob" and e.get("path")]
        links = [str(e["path"]) for e in blobs if e.get("mode") == SYMLINK_MODE]
        gitlinks = {
            str(e["path"]): str(e.get("sha"))
            for e in entries
            if isinstance(e, dict) and e.get("type") == "commit" and e.get("path")
        }
        tree = Tree(answer.url, [str(e["path"]) for e in blobs], links, bool(answer.data.get("truncated")), gitlinks)
        self._trees[ref] = tree
        return tree

    def compare(self, base: str, head: str) -> Comparison:
        """Whether ``base`` and ``head`` share history, by GitHub's "Compare two commits".

        A 200 (status ``ahead``, ``behind``, ``identical`` or ``diverged``) means they have a merge
        base; a 404 means they have none or the repository holds one of them not. Other answers raise.
        ``per_page=1``: only the comparison's summary is wanted, not its commits.
        """
        what = f"the comparison {base[:12]}...{head[:12]} in {self.repo}"
        response, answer = self._get(
            f"compare/{base}...{head}", what, {"per_page": "1"}, needs="contents: read", tolerate=(404,)
        )
        if response.status_code == 404:
            return Comparison(answer.url, False, said=_github_message(response) or "Not Found")
        data = answer.data
        status = data.get("status") if isinstance(data, dict) else None
        if status not in COMPARE_STATUSES:
            raise GitHubApiError("bad_response", f"GitHub's answer for {what} has no comparison status ({status!r})")
        assert isinstance(data, dict)
        merge_base = data.get("merge_base_commit")
        sha = merge_base.get("sha") if isinstance(merge_base, dict) else None
        return Comparison(answer.url, True, str(status), str(sha) if sha else None)


# -- the repository settings the two-person review check reads ------------------------------------------

#: Where GitHub looks for CODEOWNERS, in its order: the first one found is the one it uses.
CODEOWNERS_PATHS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
#: The git tree mode of a symbolic link (the contents API answers with its target's text instead).
SYMLINK_MODE = "120000"


@dataclass(frozen=True)
class Tree:
    """The files of a commit as ``GET /repos/{repo}/git/trees/{ref}?recursive=1`` lists them."""

    url: str
    paths: list[str]
    #: The paths that are symbolic links (mode 120000).
    symlinks: list[str]
    #: GitHub cut the list short (over its limit of entries): files past it are not listed.
    truncated: bool
    #: Git submodules, path -> the commit of the other repository they point at: one ``commit`` entry each
    #: (mode 160000), none of the files inside.
    submodules: dict[str, str] = field(default_factory=dict)


class GitHubRepo(GitHubActions):
    """Read-only access to one repository's review settings: the same connection as the Actions runs."""

    def branch_rules(self, branch: str) -> Answer:
        """The *active* ruleset rules binding ``branch`` (rulesets in ``evaluate`` or ``disabled`` are not returned)."""
        what = f"the rules for branch {branch} of {self.repo}"
        rules: list[Any] = []
        url = ""
        for page in range(1, MAX_PAGES + 1):
            _, answer = self._get(
                f"rules/branches/{branch}", what, {"per_page": str(PER_PAGE), "page": str(page)}, needs="metadata: read"
            )
            url = answer.url
            if not isinstance(answer.data, list):
                raise GitHubApiError("bad_response", f"GitHub's answer for {what} is not a list of rules")
            rules.extend(answer.data)
            if len(answer.data) < PER_PAGE:
                break
        return Answer(url, rules)

    def branch_protection(self, branch: str) -> Answer | None:
        """The classic protection of ``branch``; None when GitHub says "Branch not protected".

        Needs admin rights: with a weaker token GitHub answers 403 or 404, raised as ``forbidden``
        or ``not_found`` so the caller can tell "cannot see" from "not protected".
        """
        what = f"the classic branch protection of {branch} in {self.repo}"
        response, answer = self._get(
            f"branches/{branch}/protection",
            what,
            needs="admin rights on the repository (`administration: read`) to read classic branch protection",
            missing="a token without admin rights cannot see classic branch protection",
            tolerate=(404,),
        )
        if response.status_code == 404:
            if _github_message(response).strip().lower() == "branch not protected":
                return None
            _raise_for(response, what, missing="a token without admin rights cannot see classic branch protection")
        if not isinstance(answer.data, dict):
            raise GitHubApiError("bad_response", f"GitHub's answer for {what} is not an object")
        return answer

    def ruleset(self, ruleset_id: int) -> Answer:
        """One ruleset with its bypass actors (GitHub shows them only to tokens that may edit it)."""
        what = f"ruleset {ruleset_id} of {self.repo}"
        _, answer = self._get(f"rulesets/{ruleset_id}", what, {"includes_parents": "true"})
        if not isinstance(answer.data, dict):
            raise GitHubApiError("bad_response", f"GitHub's answer for {what} is not an object")
        return answer

    def workflow_permissions(self) -> Answer:
        """``GET /repos/{repo}/actions/permissions/workflow``: whether GitHub Actions may approve pull requests
        (``can_approve_pull_request_reviews``). Needs ``administration: read``, like classic protection."""
        what = f"the GitHub Actions workflow permissions of {self.repo}"
        _, answer = self._get(
            "actions/permissions/workflow",
            what,
            needs="admin rights on the repository (`administration: read`) to read the Actions workflow permissions",
            missing="a token without admin rights cannot see the Actions workflow permissions",
        )
        may = answer.data.get("can_approve_pull_request_reviews") if isinstance(answer.data, dict) else None
        if not isinstance(may, bool):
            raise GitHubApiError("bad_response", f"GitHub's answer for {what} has no can_approve_pull_request_reviews")
        return answer

    def codeowners_errors(self, ref: str) -> Answer:
        """The errors GitHub finds in the CODEOWNERS file of ``ref`` (ask only when there is one: else 404)."""
        what = f"the CODEOWNERS errors of {ref} in {self.repo}"
        _, answer = self._get("codeowners/errors", what, {"ref": ref}, needs="contents: read")
        errors = answer.data.get("errors") if isinstance(answer.data, dict) else None
        if not isinstance(errors, list):
            raise GitHubApiError("bad_response", f"GitHub's answer for {what} has no errors list")
        return Answer(answer.url, errors)

    def codeowners(self, ref: str) -> tuple[str, Answer] | None:
        """The CODEOWNERS file GitHub uses at ``ref`` (the first of its three places), with its path."""
        for path in CODEOWNERS_PATHS:
            if (answer := self.file_text(path, ref)) is not None:
                return path, answer
        return None

    def environment(self, name: str) -> Answer | None:
        """``GET /repos/{repo}/environments/{name}``: its protection rules, deployment branch policy and whether
        admins may bypass them; None when GitHub has no such environment (404: a job naming it creates it,
        unprotected, on its first run). Read access to the repository suffices."""
        what = f"environment {name!r} of {self.repo}"
        response, answer = self._get(
            f"environments/{quote(name, safe='')}", what, needs="actions: read or metadata: read", tolerate=(404,)
        )
        if response.status_code == 404:
            return None
        if not isinstance(answer.data, dict):
            raise GitHubApiError("bad_response", f"GitHub's answer for {what} is not an object")
        return answer

    def variable(self, name: str, environment: str | None = None) -> Answer | None:
        """A GitHub Actions variable's value (``GET /repos/{repo}/actions/variables/{name}``, or with ``environment``
        ``GET /repos/{repo}/environments/{environment}/variables/{name}``); None when GitHub has none of that name
        there (404). A token without the variables permission gets 403, raised as ``forbidden``."""
        place = f"environment {environment!r} of {self.repo}" if environment else self.repo
        what = f"variable {name} of {place}"
        path = (
            f"environments/{quote(environment, safe='')}/variables/{quote(name, safe='')}"
            if environment
            else f"actions/variables/{quote(name, safe='')}"
        )
        response, answer = self._get(path, what, needs="the Variables repository permission (read)", tolerate=(404,))
        if response.status_code == 404:
            return None
        value = answer.data.get("value") if isinstance(answer.data, dict) else None
        if not isinstance(value, str):
            raise GitHubApiError("bad_response", f"GitHub's answer for {what} has no value")
        return Answer(answer.url, value)

    def environment_secrets(self, name: str) -> Answer | None:
        """The names (upper case: secret names are case-insensitive) of the secrets of environment ``name``
        (``GET /repos/{repo}/environments/{name}/secrets``, all pages; GitHub never shows a value); None when GitHub
        has no such environment (404). Needs collaborator access: the ``repo`` scope, or the Secrets repository
        permission (read); a workflow's ``GITHUB_TOKEN`` has neither."""
        what = f"the secrets of environment {name!r} of {self.repo}"
        path = f"environments/{quote(name, safe='')}/secrets"
        try:
            listed = self._every_page(path, what, "secrets", {}, "the Secrets repository permission (read)")
        except GitHubApiError as err:
            if err.kind == "not_found":
                return None
            raise
        return Answer(listed.url, frozenset(str(s.get("name")).upper() for s in listed.data))

    def organization_variables(self) -> Answer:
        """Every organization variable shared with the repository, name -> value (``GET /repos/{repo}/actions/
        organization-variables``, all pages of at most 30: GitHub's largest for this list)."""
        what = f"the organization variables of {self.repo}"
        needs = "the Variables repository permission (read)"
        listed = self._every_page("actions/organization-variables", what, "variables", {}, needs, per_page=30)
        values = {str(v.get("name")).upper(): v.get("value") for v in listed.data}
        if not all(isinstance(v, str) for v in values.values()):
            raise GitHubApiError("bad_response", f"GitHub's answer for {what} has a variable without a value")
        return Answer(listed.url, values)

    def deployment_branch_policies(self, name: str) -> Answer:
        """Every branch and tag name pattern environment ``name`` lets deploy (``GET /repos/{repo}/environments/
        {name}/deployment-branch-policies``, all pages): the list behind ``custom_branch_policies``."""
        what = f"the deployment branch policies of environment {name!r} of {self.repo}"
        path = f"environments/{quote(name, safe='')}/deployment-branch-policies"
        return self._every_page(path, what, "branch_policies", {}, "actions: read or metadata: read")
