"""A local stand-in for GitHub's Actions API: ``GET /repos/{owner}/{repo}/actions/workflows/{id}/runs``,
the jobs of a run (``actions/runs/{run_id}/jobs``, paginated), a run's attempts
(``actions/runs/{run_id}/attempts/{n}``), and for the repository settings the two-person review check
reads (the head of main, rules of a branch, rulesets, classic branch protection, contents, CODEOWNERS
errors, the git tree; see ``FakeGitHub.answer_repo``), the files of a commit (``contents/{path}?ref=<sha>``) from
which exit check 3 reads the workflow a run ran, and the comparison of two commits
(``compare/{base}...{head}``) by which it binds a run to the commit under test.

It answers in the recorded shape (reference section 5): runs newest first, ``branch``, ``event`` and
``status`` filters (a status or a conclusion), ``total_count``, and GitHub's error bodies and rate-limit
headers. The guard workflow (``actions/workflows/guard.yml``) is in ``workflow_state``, ``active`` by default. A
run's jobs default to the guard's two jobs with the run's conclusion (each with the steps the guard at the run's
commit shows) and its earlier
attempts to ``success`` (a healthy repository); ``jobs`` and ``attempts`` override them per run id. Every
commit holds this repository's own guard workflow and composite action (``WORKFLOW_FILES``) unless
``commits`` says otherwise. Its history is one line of commits: every run's ``head_sha``, the
checkout's ``git HEAD`` (``CHECKOUT_HEAD``, and that of ``project_root()`` should it be another
checkout), the head of main (``branches/main``: ``main_head``, else the checkout's HEAD, so the review
check binds main's settings to the code under test), ``GITHUB_SHA`` when set and any sha in ``related``;
comparing two of them answers 200 (``diverged`` for a sha in ``off_main`` and one not), comparing a sha
in ``unrelated`` (or any, with ``unrelated_history``) answers GitHub's 404 "No common ancestor", and a sha it
does not hold its 404 "No commit found".
``honour_event_filter = False`` stands for a server that lets other events through, so the check's own
filter is what is tested. It listens on 127.0.0.1 on a port the kernel picks and keeps every request it
received for assertions.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from ruamel.yaml.error import YAMLError

from lakehouse.config import project_root
from lakehouse.evidence import git_commit
from lakehouse.workflows import displayed_run_steps, load_yaml, shown_step_name

REPO = "lakehouse-org/lakehouse-code"  # the repository catalog-info.yaml names (@STACK-catalog in the full run)
TOKEN = "ghp_exampletokenthatmustneverleak000000"
RUNS_PATH = f"/repos/{REPO}/actions/workflows/guard.yml/runs"
#: The jobs of .github/workflows/guard.yml, by the names GitHub shows.
GUARD_JOBS = (
    "lint (ruff, mypy, terraform fmt/validate, policies, workflows, README table)",
    "the harness's tests (unit, emulator, integration with broken stacks)",
)


ROOT = Path(__file__).resolve().parents[1]
GUARD_PATH = ".github/workflows/guard.yml"
COMMON_ACTION = ".github/actions/common/action.yml"
#: What every commit holds unless ``FakeGitHub.commits`` says otherwise: this repository's guard, the
#: composite action it uses and the Makefile whose targets it runs, as checked out (the healthy ones).
#: What guard reads at a commit: the workflow, the composite action, the Makefile and the script `make test` runs.
GUARD_FILES = (GUARD_PATH, COMMON_ACTION, "Makefile", "scripts/ensure-chromium")
WORKFLOW_FILES = {path: (ROOT / path).read_text(encoding="utf-8") for path in GUARD_FILES}
#: The checkout's own commit: in the fake's history, as it is in the real repository's.
CHECKOUT_HEAD = git_commit(ROOT)
COMPARE_DOCS = "https://docs.github.com/rest/commits/commits#compare-two-commits"
#: The head of main should neither this checkout nor the checks' have a git HEAD (an unpacked source tree).
MAIN_WITHOUT_GIT = "c0ffee" * 6 + "c0ff"


def sha(number: int) -> str:
    """The commit ``run(number)`` tested unless told otherwise."""
    return f"{number:040x}"


def run(
    number: int,
    conclusion: str | None,
    status: str = "completed",
    branch: str = "main",
    event: str = "push",
    head_repo: str = REPO,
    head_sha: str | None = None,
    run_attempt: int = 1,
) -> dict[str, Any]:
    """One workflow run in the shape the API returns (fields the check reads, and some it does not)."""
    run_id = 9_000_000 + number
    return {
        "id": run_id,
        "name": "guard",
        "display_title": f"commit {number}",
        "head_branch": branch,
        "head_sha": head_sha or sha(number),
        "path": ".github/workflows/guard.yml",
        "run_number": number,
        "run_attempt": run_attempt,
        "event": event,
        "status": status,
        "conclusion": conclusion,
        "workflow_id": 4242,
        "created_at": f"2026-11-{number:02d}T10:00:00Z",
        "updated_at": f"2026-11-{number:02d}T10:05:00Z",
        "run_started_at": f"2026-11-{number:02d}T10:00:05Z",
        "html_url": f"https://github.com/{REPO}/actions/runs/{9_000_000 + number}",
        "jobs_url": f"https://api.github.com/repos/{REPO}/actions/runs/{9_000_000 + number}/jobs",
        "actor": {"login": "dev", "id": 1, "type": "User"},
        "repository": {"full_name": REPO},
        "head_repository": {"full_name": head_repo},
        "previous_attempt_url": (
            f"https://api.github.com/repos/{REPO}/actions/runs/{run_id}/attempts/{run_attempt - 1}"
            if run_attempt > 1
            else None
        ),
    }


def _shown_steps(workflow: str = WORKFLOW_FILES[GUARD_PATH]) -> dict[str, list[str]]:
    """Each job's steps as GitHub lists them: set-up, each step (``Run`` and its action or command), end; none
    for a workflow that is not YAML."""
    shown: dict[str, list[str]] = {}
    try:
        document = load_yaml(workflow)
    except YAMLError:
        return shown
    jobs = document.get("jobs") if isinstance(document, dict) else None
    for job_id, spec in (jobs if isinstance(jobs, dict) else {}).items():
        if not isinstance(spec, dict):
            continue
        steps = [shown_step_name(s) for s in spec.get("steps") or []]
        shown[str(spec.get("name") or job_id)] = ["Set up job", *steps, "Complete job"]
    return shown


#: The steps of each guard job by the names GitHub shows (the last command step carries the job's conclusion).
GUARD_STEPS = _shown_steps()


def _matrix_cells(matrix: Any) -> list[list[str]]:
    """The values each cell of a literal ``strategy.matrix`` shows after a job's name, as GitHub builds them: its
    lists' product less what ``exclude`` matches, an ``include`` entry extending the cells it matches (its other
    values, which the name does not show) or else adding a cell of its own; an expression: one cell
    ``from-the-run``. Values compare as text (GitHub ignores case and a number's type, which these tests avoid)."""
    if not isinstance(matrix, dict):
        return [["from-the-run"]]
    lists = {key: values for key, values in matrix.items() if key not in ("include", "exclude")}
    cells: list[dict[str, Any]] = [{}] if lists else []
    for key, values in lists.items():
        cells = [{**cell, key: value} for cell in cells for value in values]

    def matches(cell: dict[str, Any], entry: dict[str, Any]) -> bool:
        return all(key in cell and str(cell[key]) == str(value) for key, value in entry.items())

    cells = [cell for cell in cells if not any(matches(cell, entry) for entry in matrix.get("exclude") or [])]

    def text(value: Any) -> str:
        return str(value).lower() if isinstance(value, bool) else str(value)

    shown = [[text(v) for v in cell.values()] for cell in cells]
    for entry in matrix.get("include") or []:
        if not any(matches(cell, {k: v for k, v in entry.items() if k in lists}) for cell in cells):
            shown.append([text(v) for v in entry.values()])
    return shown


def github_jobs(workflow: str, files: dict[str, str] | None = None, prefix: str = "") -> dict[str, list[str]]:
    """The jobs GitHub lists for a run of ``workflow``, by the names it gives them, each with the names of its steps
    that run this repository's code (``lakehouse.workflows.displayed_run_steps``' order): a matrix job once per cell,
    ``test (3.11)``, unless its name holds an expression; a job calling a local reusable workflow of ``files`` as
    ``call / <its job>``."""
    document = load_yaml(workflow)
    shown: dict[str, list[str]] = {}
    for job_id, spec in (document.get("jobs") or {}).items():
        name = str(spec.get("name") or job_id)
        matrix = (spec.get("strategy") or {}).get("matrix")
        names = (
            [name] if matrix is None or "${{" in name else [f"{name} ({', '.join(c)})" for c in _matrix_cells(matrix)]
        )
        for each in names:
            uses = str(spec.get("uses") or "")
            if uses.startswith("./"):
                shown.update(github_jobs((files or {})[uses.removeprefix("./")], files, f"{prefix}{each} / "))
                continue
            steps = displayed_run_steps({"jobs": {job_id: {**spec, "name": each}}}).get(each, [])
            shown[f"{prefix}{each}"] = steps
    return shown


def job(
    run: dict[str, Any], name: str, conclusion: str | None, index: int = 0, shown: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """One job of ``run`` as "List jobs for a workflow run" returns it, with the steps ``shown`` lists for it (by
    default the repository's guard's); a skipped job ran no step."""
    run_id = int(run["id"])
    ran = conclusion not in ("skipped", None)
    default = ["Set up job", "Run actions/checkout", "Run make", "Complete job"]
    names = (shown or {}).get(name) or GUARD_STEPS.get(name) or default
    last = len(names) - 2  # the command, just before "Complete job"
    steps = [
        {"name": step, "status": "completed", "conclusion": conclusion if i == last else "success", "number": i + 1}
        for i, step in enumerate(names)
    ]
    return {
        "id": run_id * 100 + index,
        "run_id": run_id,
        "workflow_name": "guard",
        "head_branch": run["head_branch"],
        "run_url": f"https://api.github.com/repos/{REPO}/actions/runs/{run_id}",
        "run_attempt": run["run_attempt"],
        "head_sha": run["head_sha"],
        "url": f"https://api.github.com/repos/{REPO}/actions/jobs/{run_id * 100 + index}",
        "html_url": f"https://github.com/{REPO}/actions/runs/{run_id}/job/{run_id * 100 + index}",
        "status": "completed" if conclusion else "in_progress",
        "conclusion": conclusion,
        "created_at": run["created_at"],
        "started_at": run["run_started_at"],
        "completed_at": run["updated_at"] if conclusion else None,
        "name": name,
        "steps": steps if ran else [],
        "labels": ["ubuntu-24.04"],
        "runner_name": "GitHub Actions 7" if ran else None,
    }


@dataclass
class FakeGitHub:
    """The Actions API on 127.0.0.1, one thread; what it received is kept for assertions."""

    runs: list[dict[str, Any]] = field(default_factory=list)  # newest first, as GitHub stores them
    honour_status_filter: bool = True
    honour_event_filter: bool = True
    error: tuple[int, dict[str, str], str] | None = None  # status, headers, body
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    # The repository settings (two-person review); the defaults are a repository with nothing set up.
    rulesets: list[dict[str, Any]] = field(default_factory=list)  # every enforcement, as configured
    show_bypass_actors: bool = True  # False: a token that may not edit rulesets (GitHub omits the field)
    classic: dict[str, Any] | None = None  # None: 404 "Branch not protected"
    files: dict[str, str] = field(default_factory=dict)  # path -> text on main
    codeowners_errors: list[dict[str, Any]] = field(default_factory=list)
    #: Runs of workflows other than guard.yml (e.g. ``e2e.yml``), newest first; others answer 404.
    other_workflows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: Answers for one path that win over everything but ``error`` (e.g. a 403 for a weaker token).
    overrides: dict[str, tuple[int, dict[str, str], str]] = field(default_factory=dict)
    #: The jobs of a run (latest attempt) by run id; a run not here has GUARD_JOBS with its conclusion.
    jobs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    #: Conclusions of a run's earlier attempts by run id and attempt number; missing ones concluded success.
    attempts: dict[int, dict[int, str | None]] = field(default_factory=dict)
    #: The files of a commit (a ref other than main) by sha; a commit not here holds WORKFLOW_FILES.
    commits: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Shas in the repository's history besides its runs' commits, the checkout's HEAD and GITHUB_SHA.
    related: set[str] = field(default_factory=set)
    #: Shas of a history of their own: comparing one with any other commit answers 404 "No common ancestor".
    unrelated: set[str] = field(default_factory=set)
    #: Shas of a line main was force-pushed past: they share the repository's root with main's line, but comparing
    #: one with a commit of main's line answers ``diverged`` (neither is an ancestor of the other).
    off_main: set[str] = field(default_factory=set)
    #: True: every comparison answers 404 "No common ancestor" (a repository of other code entirely).
    unrelated_history: bool = False
    #: The commit main points at (``branches/main``); None: the checkout's HEAD. Always in the history.
    main_head: str | None = None
    #: True: the git tree answers ``truncated`` (a repository over GitHub's limit of tree entries).
    tree_truncated: bool = False
    #: Symbolic links on main, path -> target path: the tree lists them with mode 120000 and the contents API
    #: answers with the target's text, as GitHub does for a link to a normal file.
    symlinks: dict[str, str] = field(default_factory=dict)
    #: Git submodules on main, path -> the commit of the other repository it points at: the tree lists each as
    #: one entry of type ``commit`` (mode 160000) and none of the files inside it, as GitHub does.
    submodules: dict[str, str] = field(default_factory=dict)
    #: ``GET /repos/{repo}/actions/permissions/workflow``: GitHub's default for a new repository, Actions may not
    #: approve pull requests.
    workflow_permissions: dict[str, Any] = field(
        default_factory=lambda: {"default_workflow_permissions": "read", "can_approve_pull_request_reviews": False}
    )
    #: main renamed to this branch: GitHub answers ``branches/main`` (and its ``/protection``) with a 301 to the
    #: new name, which holds main's head and classic protection; ``~DEFAULT_BRANCH`` rulesets no longer cover main.
    main_renamed_to: str | None = None
    #: Deployment environments by name (``GET /repos/{repo}/environments/{name}``); others answer 404.
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: An environment's deployment branch policies (``.../environments/{name}/deployment-branch-policies``).
    branch_policies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: Repository variables (``GET /repos/{repo}/actions/variables/{name}``) and environment ones
    #: (``.../environments/{env}/variables/{name}``, environment -> name -> value); others answer 404.
    variables: dict[str, str] = field(default_factory=dict)
    environment_variables: dict[str, dict[str, str]] = field(default_factory=dict)
    #: The names of each environment's secrets (``.../environments/{env}/secrets``; an environment of
    #: ``environments`` without an entry has none).
    environment_secrets: dict[str, list[str]] = field(default_factory=dict)
    #: Organization variables shared with the repository (``GET /repos/{repo}/actions/organization-variables``,
    #: at most 30 a page as GitHub answers, whatever ``per_page`` asks).
    organization_variables: dict[str, str] = field(default_factory=dict)

    #: The guard workflow's ``state`` (``GET .../actions/workflows/guard.yml``): ``active``, ``disabled_manually``...
    workflow_state: str = "active"

    def main_sha(self) -> str:
        """The head of main: ``main_head``, else the checkout's HEAD (the commit under test outside Actions)."""
        return self.main_head or CHECKOUT_HEAD or git_commit(project_root()) or MAIN_WITHOUT_GIT

    def history(self) -> list[str]:
        """The repository's commits, newest first: the checkout's HEAD, main's head, GITHUB_SHA, those declared,
        then the runs'."""
        every_run = [*self.runs, *(r for runs in self.other_workflows.values() for r in runs)]
        by_age = sorted(every_run, key=lambda r: (str(r.get("created_at") or ""), int(r["id"])), reverse=True)
        # The checks' own checkout is this one unless LAKEHOUSE_ROOT or an install elsewhere says otherwise.
        checkouts = [CHECKOUT_HEAD, git_commit(project_root()), self.main_sha()]
        newest = [*checkouts, os.environ.get("GITHUB_SHA", "").strip().lower(), *sorted(self.related)]
        return list(dict.fromkeys(s for s in [*newest, *(str(r["head_sha"]) for r in by_age)] if s))

    def files_at(self, ref: str) -> dict[str, str]:
        """The files of a ref: ``commits`` first; main (by name: ``files``; by its head's sha: ``files`` over
        WORKFLOW_FILES); any other commit holds WORKFLOW_FILES."""
        if ref in self.commits:
            return self.commits[ref]
        if ref == "main":
            return self.files
        if ref == self.main_sha():
            return {**WORKFLOW_FILES, **self.files}
        return WORKFLOW_FILES

    def compare(self, basehead: str) -> tuple[int, dict[str, str], str]:
        """``compare/{base}...{head}`` as GitHub answers it, on one line of history (see the module doc)."""
        base, dots, head = basehead.partition("...")
        if not dots:
            return _not_found()
        if self.unrelated_history or {base, head} & self.unrelated:
            return 404, {}, json.dumps({"message": f"No common ancestor between {base} and {head}.", "status": "404"})
        history = self.history()
        if missing := next((s for s in (base, head) if s not in history), None):
            return 404, {}, json.dumps({"message": f"No commit found for SHA: {missing}", "status": "404"})
        older, newer = history.index(base), history.index(head)  # a greater index is an older commit
        status = "identical" if base == head else "ahead" if older > newer else "behind"
        merge_base = base if older >= newer else head
        if (base in self.off_main) != (head in self.off_main):  # two lines: their merge base is main's oldest
            status, merge_base = "diverged", next(s for s in reversed(history) if s not in self.off_main)
        url = f"https://api.github.com/repos/{REPO}/compare/{basehead}"
        return _ok(
            {
                "url": url,
                "html_url": f"https://github.com/{REPO}/compare/{basehead}",
                "status": status,
                "ahead_by": max(older - newer, 0),
                "behind_by": max(newer - older, 0),
                "total_commits": max(older - newer, 0),
                "base_commit": {"sha": base},
                "merge_base_commit": {"sha": merge_base},
                "commits": [],
                "files": [],
            }
        )

    def branch(self, name: str = "main") -> dict[str, Any]:
        """``GET /repos/{repo}/branches/main`` as GitHub answers it (the fields the review check reads, and some)."""
        head = self.main_sha()
        api = f"https://api.github.com/repos/{REPO}"
        return {
            "name": name,
            "commit": {
                "sha": head,
                "url": f"{api}/commits/{head}",
                "commit": {"message": "the head of main", "tree": {"sha": sha(0)}},
                "parents": [],
            },
            "_links": {"self": f"{api}/branches/{name}", "html": f"https://github.com/{REPO}/tree/{name}"},
            "protected": self.classic is not None or bool(self.rulesets),
            "protection_url": f"{api}/branches/{name}/protection",
        }

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str], str]:
        if self.error:
            return self.error
        if path in self.overrides:
            return self.overrides[path]
        if path == RUNS_PATH:
            all_runs = self.runs
        elif (workflow := _other_workflow(path)) in self.other_workflows:
            all_runs = self.other_workflows[workflow]
        elif path.startswith(f"/repos/{REPO}/actions/runs/"):
            return self.answer_run(path.removeprefix(f"/repos/{REPO}/actions/runs/"), query)
        else:
            return self.answer_repo(path, query)
        runs = [r for r in all_runs if r["head_branch"] == query.get("branch", [r["head_branch"]])[0]]
        if self.honour_event_filter and "event" in query:
            runs = [r for r in runs if r["event"] == query["event"][0]]
        if self.honour_status_filter and "status" in query:
            wanted = query["status"][0]  # GitHub matches a status or a conclusion
            runs = [r for r in runs if wanted in (r["status"], r["conclusion"])]
        per_page = int(query.get("per_page", ["30"])[0])
        page = int(query.get("page", ["1"])[0])
        shown = runs[(page - 1) * per_page : page * per_page]
        return 200, {}, json.dumps({"total_count": len(runs), "workflow_runs": shown})

    def answer_run(self, rest: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str], str]:
        """``{run_id}/jobs`` (``per_page``, ``page``) and ``{run_id}/attempts/{n}``; an unknown run is a 404."""
        parts = rest.split("/")
        every_run = [*self.runs, *(r for runs in self.other_workflows.values() for r in runs)]
        found = next((r for r in every_run if str(r["id"]) == parts[0]), None)
        if found is None:
            return _not_found()
        run_id = int(found["id"])
        if parts[1:] == ["jobs"]:
            jobs = self.jobs.get(run_id)
            if jobs is None:  # the steps of the guard the run's commit holds
                shown = _shown_steps(self.files_at(str(found["head_sha"])).get(GUARD_PATH, ""))
                jobs = [job(found, name, found["conclusion"], i, shown) for i, name in enumerate(GUARD_JOBS)]
            per_page = int(query.get("per_page", ["30"])[0])
            page = int(query.get("page", ["1"])[0])
            shown = jobs[(page - 1) * per_page : page * per_page]
            return _ok({"total_count": len(jobs), "jobs": shown})
        if len(parts) == 3 and parts[1] == "attempts" and parts[2].isdigit():
            number = int(parts[2])
            if not 1 <= number <= int(found["run_attempt"]):
                return _not_found()
            if number == found["run_attempt"]:
                return _ok(found)
            conclusion = self.attempts.get(run_id, {}).get(number, "success")
            previous = f"https://api.github.com/repos/{REPO}/actions/runs/{run_id}/attempts/{number - 1}"
            earlier = {**found, "run_attempt": number, "conclusion": conclusion}
            earlier["previous_attempt_url"] = previous if number > 1 else None
            return _ok(earlier)
        return _not_found()

    def answer_repo(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str], str]:
        """The review settings, answered the way GitHub documents them (only ``main`` exists)."""
        base = f"/repos/{REPO}/"
        rest = path.removeprefix(base) if path.startswith(base) else None
        if (renamed := self.answer_renamed(rest)) is not None:
            return renamed
        if rest == "rules/branches/main":  # active rulesets only: evaluate and disabled are not returned
            rules = [
                {**rule, "ruleset_source_type": "Repository", "ruleset_source": REPO, "ruleset_id": rs["id"]}
                for rs in self.rulesets
                if rs["enforcement"] == "active" and applies_to_main(rs, default=self.main_renamed_to is None)
                for rule in rs["rules"]
            ]
            return _ok(rules)
        if rest is not None and rest.startswith("rulesets/"):
            found = next((rs for rs in self.rulesets if str(rs["id"]) == rest.removeprefix("rulesets/")), None)
            if found is None:
                return _not_found()
            shown = dict(found) if self.show_bypass_actors else {k: v for k, v in found.items() if k != "bypass_actors"}
            return _ok(shown)
        if rest == "branches/main":
            return _ok(self.branch())
        if rest == "branches/main/protection":
            if self.classic is None:
                return 404, {}, json.dumps({"message": "Branch not protected", "status": "404"})
            return _ok(self.classic)
        if rest is not None and rest.startswith("contents/") and query.get("ref"):
            path = rest.removeprefix("contents/")
            text = self.files_at(query["ref"][0]).get(self.symlinks.get(path, path))
            if text is None:
                return _not_found()
            content = base64.b64encode(text.encode()).decode()
            return _ok({"type": "file", "encoding": "base64", "content": content, "path": rest})
        if rest == "actions/workflows/guard.yml":
            return _ok(guard_workflow(self.workflow_state))
        if rest == "actions/permissions/workflow":
            return _ok(self.workflow_permissions)
        if rest is not None and rest.startswith("compare/"):
            return self.compare(rest.removeprefix("compare/"))
        if rest == "codeowners/errors" and query.get("ref"):
            if not any(p in self.files_at(query["ref"][0]) or p in self.symlinks for p in CODEOWNERS_PLACES):
                return _not_found()
            return _ok({"errors": self.codeowners_errors})
        if rest == "actions/organization-variables":
            return self.answer_organization_variables(query)
        if rest is not None and rest.startswith("actions/variables/"):
            return self.answer_variable(self.variables, rest.removeprefix("actions/variables/"))
        if rest is not None and rest.startswith("environments/"):
            return self.answer_environment(rest.removeprefix("environments/"), query)
        if rest is not None and rest.startswith("git/trees/"):
            files = [*self.files_at(rest.removeprefix("git/trees/")), *self.symlinks]
            tree = [
                {"path": p, "mode": "120000" if p in self.symlinks else "100644", "type": "blob", "sha": sha(i)}
                for i, p in enumerate(files)
            ]
            tree += [{"path": p, "mode": "160000", "type": "commit", "sha": c} for p, c in self.submodules.items()]
            return _ok({"sha": sha(0), "tree": tree, "truncated": self.tree_truncated})
        return _not_found()

    def answer_environment(self, rest: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str], str]:
        """``{name}`` and ``{name}/deployment-branch-policies`` (``per_page``, ``page``), as GitHub documents them."""
        name, _, sub = unquote(rest).partition("/")
        if sub.startswith("variables/"):  # an environment's variables: GitHub answers for one it does not have too
            return self.answer_variable(self.environment_variables.get(name, {}), sub.removeprefix("variables/"))
        if name not in self.environments:
            return _not_found()
        if not sub:
            return _ok(self.environments[name])
        if sub == "secrets":  # names only, as GitHub lists them (upper case, never a value), 100 a page at most
            names = [n.upper() for n in self.environment_secrets.get(name, [])]
            per_page = min(int(query.get("per_page", ["30"])[0]), 100)
            page = int(query.get("page", ["1"])[0])
            stamp = "2026-11-01T10:00:00Z"
            listed = [{"name": n, "created_at": stamp, "updated_at": stamp} for n in names]
            return _ok({"total_count": len(listed), "secrets": listed[(page - 1) * per_page : page * per_page]})
        if sub == "deployment-branch-policies":
            policies = self.branch_policies.get(name, [])
            per_page = int(query.get("per_page", ["30"])[0])
            page = int(query.get("page", ["1"])[0])
            shown = policies[(page - 1) * per_page : page * per_page]
            return _ok({"total_count": len(policies), "branch_policies": shown})
        return _not_found()

    def answer_organization_variables(self, query: dict[str, list[str]]) -> tuple[int, dict[str, str], str]:
        """One page of the organization variables shared with the repository: GitHub gives at most 30 a page."""
        per_page = min(int(query.get("per_page", ["30"])[0]), 30)
        page = int(query.get("page", ["1"])[0])
        stamp = "2026-11-01T10:00:00Z"
        listed = [
            {"name": k.upper(), "value": v, "created_at": stamp, "updated_at": stamp}
            for k, v in sorted(self.organization_variables.items())
        ]
        return _ok({"total_count": len(listed), "variables": listed[(page - 1) * per_page : page * per_page]})

    def answer_variable(self, variables: dict[str, str], name: str) -> tuple[int, dict[str, str], str]:
        """One variable as GitHub answers it (names are case-insensitive, GitHub stores them upper case)."""
        value = {k.upper(): v for k, v in variables.items()}.get(unquote(name).upper())
        if value is None:
            return _not_found()
        stamp = "2026-11-01T10:00:00Z"
        return _ok({"name": unquote(name).upper(), "value": value, "created_at": stamp, "updated_at": stamp})

    def answer_renamed(self, rest: str | None) -> tuple[int, dict[str, str], str] | None:
        """With main renamed: its old name's branch and protection answer 301 to the new name's (as GitHub does,
        go-github#1895), the new name answers with main's head and classic protection. None: not such a path."""
        new = self.main_renamed_to
        if new is None or rest is None:
            return None
        if rest in ("branches/main", "branches/main/protection"):
            return _moved(f"{self.url}/repos/{REPO}/{rest.replace('main', new, 1)}")
        if rest == f"branches/{new}":
            return _ok(self.branch(new))
        if rest == f"branches/{new}/protection":
            if self.classic is None:
                return 404, {}, json.dumps({"message": "Branch not protected", "status": "404"})
            return _ok(self.classic)
        return None


def guard_workflow(state: str) -> dict[str, Any]:
    """``GET /repos/{repo}/actions/workflows/guard.yml`` as GitHub answers it."""
    return {
        "id": 4242,
        "node_id": "MDg6V29ya2Zsb3c0MjQy",
        "name": "guard",
        "path": ".github/workflows/guard.yml",
        "state": state,
        "created_at": "2026-10-01T10:00:00Z",
        "updated_at": "2026-11-20T10:00:00Z",
        "url": f"https://api.github.com/repos/{REPO}/actions/workflows/4242",
        "html_url": f"https://github.com/{REPO}/blob/main/.github/workflows/guard.yml",
        "badge_url": f"https://github.com/{REPO}/workflows/guard/badge.svg",
    }


def _moved(location: str) -> tuple[int, dict[str, str], str]:
    """GitHub's 301 for a renamed branch (its body, and the ``Location`` a client follows)."""
    return 301, {"Location": location}, json.dumps({"message": "Moved Permanently", "url": location})


def _other_workflow(path: str) -> str | None:
    """``e2e.yml`` of ``/repos/{REPO}/actions/workflows/e2e.yml/runs``, else None."""
    prefix, suffix = f"/repos/{REPO}/actions/workflows/", "/runs"
    if path.startswith(prefix) and path.endswith(suffix):
        return path.removeprefix(prefix).removesuffix(suffix)
    return None


CODEOWNERS_PLACES = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
#: What a healthy repository's CODEOWNERS says (real teams, unlike the template's placeholders).
CODEOWNERS = "# owners\n/infra/    @acme/infra-owners\n/pipeline/ @acme/data-owners\n/.github/  @acme/infra-owners\n"
#: Files on main besides CODEOWNERS.
MAIN_FILES = ("infra/storage.tf", "infra/iam.tf", "pipeline/silver.sql", "README.md")


def applies_to_main(rs: dict[str, Any], default: bool = True) -> bool:
    """Whether a ruleset's ``conditions.ref_name`` covers main, as GitHub decides it (``default``: main is the
    default branch)."""
    refs = (rs.get("conditions") or {}).get("ref_name") or {}
    names = {"~ALL", "refs/heads/main", "refs/heads/*", "main"} | ({"~DEFAULT_BRANCH"} if default else set())
    return bool(names & set(refs.get("include") or [])) and not names & set(refs.get("exclude") or [])


def _ok(data: Any) -> tuple[int, dict[str, str], str]:
    return 200, {}, json.dumps(data)


def _not_found() -> tuple[int, dict[str, str], str]:
    return 404, {}, json.dumps({"message": "Not Found", "status": "404"})


def pull_request_rule(
    approvals: int = 1, code_owner: bool = True, dismiss_stale: bool = True, last_push: bool = True
) -> dict[str, Any]:
    """A ruleset's ``pull_request`` rule in the shape GitHub returns it."""
    return {
        "type": "pull_request",
        "parameters": {
            "required_approving_review_count": approvals,
            "require_code_owner_review": code_owner,
            "dismiss_stale_reviews_on_push": dismiss_stale,
            "require_last_push_approval": last_push,
            "required_review_thread_resolution": False,
            "allowed_merge_methods": ["merge", "squash", "rebase"],
        },
    }


def ruleset(
    ruleset_id: int = 42,
    enforcement: str = "active",
    rules: list[dict[str, Any]] | None = None,
    bypass_actors: list[dict[str, Any]] | None = None,
    name: str = "main review",
    ref_name: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """A branch ruleset on main as ``GET /repos/{repo}/rulesets/{id}`` returns it."""
    return {
        "id": ruleset_id,
        "name": name,
        "target": "branch",
        "source_type": "Repository",
        "source": REPO,
        "enforcement": enforcement,
        "conditions": {"ref_name": ref_name or {"include": ["~DEFAULT_BRANCH"], "exclude": []}},
        "rules": rules if rules is not None else [pull_request_rule(), {"type": "deletion"}],
        "bypass_actors": bypass_actors or [],
    }


def classic_protection(
    approvals: int = 1,
    code_owner: bool = True,
    dismiss_stale: bool = True,
    enforce_admins: bool = True,
    bypass_users: tuple[str, ...] = (),
    last_push: bool = True,
    bypass_apps: tuple[str, ...] = (),
) -> dict[str, Any]:
    """``GET /repos/{repo}/branches/main/protection`` of a branch that requires reviews."""
    url = f"https://api.github.com/repos/{REPO}/branches/main/protection"
    return {
        "url": url,
        "required_pull_request_reviews": {
            "url": f"{url}/required_pull_request_reviews",
            "dismiss_stale_reviews": dismiss_stale,
            "require_code_owner_reviews": code_owner,
            "required_approving_review_count": approvals,
            "require_last_push_approval": last_push,
            "bypass_pull_request_allowances": {
                "users": [{"login": u, "id": 7, "type": "User"} for u in bypass_users],
                "teams": [],
                "apps": [{"slug": a, "id": 8, "name": a} for a in bypass_apps],
            },
        },
        "enforce_admins": {"url": f"{url}/enforce_admins", "enabled": enforce_admins},
        "allow_force_pushes": {"enabled": False},
        "allow_deletions": {"enabled": False},
    }


def reviewed_repository(fake: FakeGitHub) -> FakeGitHub:
    """A main protected the way the plan asks: an active ruleset and classic protection, real owners."""
    fake.rulesets = [ruleset()]
    fake.classic = classic_protection()
    fake.files = {".github/CODEOWNERS": CODEOWNERS, **{p: "" for p in MAIN_FILES}}
    fake.codeowners_errors = []
    return fake


def codeowners_error(line: int, owner: str, source: str) -> dict[str, Any]:
    """One entry of ``GET /repos/{repo}/codeowners/errors`` for an owner GitHub does not know."""
    return {
        "line": line,
        "column": source.index(owner) + 1,
        "kind": "Unknown owner",
        "source": source + "\n",
        "suggestion": None,
        "message": f"Unknown owner on line {line}: make sure {owner} exists and has write access to the repository\n\n"
        f"  {source}\n",
        "path": ".github/CODEOWNERS",
    }


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            fake.requests.append({"path": parts.path, "query": query, "headers": dict(self.headers)})
            status, headers, body = fake.answer(parts.path, query)
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A short poll interval: shutdown() waits for the serving loop to notice it.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


#: The success-rate KPI's workflow, as this repository holds it.
E2E_PATH = ".github/workflows/e2e.yml"
E2E_TEXT = (ROOT / E2E_PATH).read_text(encoding="utf-8")


def e2e_runs(*runs: dict[str, Any]) -> list[dict[str, Any]]:
    """Runs of e2e.yml (``run(...)`` makes a guard run)."""
    return [{**r, "path": E2E_PATH, "name": "e2e"} for r in runs]


def serve_e2e(fake: FakeGitHub, runs: list[dict[str, Any]], e2e_text: str = E2E_TEXT) -> None:
    """e2e.yml's runs, each commit holding this repository's e2e.yml (and the guard's files, the Makefile),
    and each run's job with every step e2e.yml shows, as GitHub lists them (the KPI reads a run as exit
    check 3 does: a run that concluded success counts only when it is green)."""
    fake.other_workflows["e2e.yml"] = runs
    (name, steps), *_ = [(n, s) for n, s in displayed_run_steps(load_yaml(e2e_text)).items()]
    for r in runs:
        fake.commits[str(r["head_sha"])] = {**WORKFLOW_FILES, E2E_PATH: e2e_text}
        ran = job(r, name, r["conclusion"])
        ran["steps"] = [
            {"name": step, "status": "completed", "conclusion": r["conclusion"], "number": i + 1}
            for i, step in enumerate(["Set up job", *steps, "Complete job"])
        ]
        fake.jobs[int(r["id"])] = [ran]


#: The repository's own infra workflow: ``terraform apply`` through the ``production`` environment.
INFRA_PATH = ".github/workflows/infra.yml"
INFRA_TEXT = (ROOT / INFRA_PATH).read_text(encoding="utf-8")


def environment(
    name: str = "production",
    reviewers: tuple[str, ...] = ("acme/infra-owners",),
    prevent_self_review: bool = True,
    policy: dict[str, bool] | None = None,
    can_admins_bypass: bool = False,
) -> dict[str, Any]:
    """``GET /repos/{repo}/environments/{name}`` of an environment (default: a gate: a team must approve, not the
    run's starter, only protected branches deploy, admins may not bypass)."""
    api = f"https://api.github.com/repos/{REPO}/environments/{name}"
    rules: list[dict[str, Any]] = []
    if reviewers:
        rules.append(
            {
                "id": 3755,
                "node_id": "MDQ6R2F0ZTM3NTU=",
                "type": "required_reviewers",
                "prevent_self_review": prevent_self_review,
                "reviewers": [
                    {"type": "Team", "reviewer": {"id": 1, "slug": r.split("/")[-1], "name": r}} for r in reviewers
                ],
            }
        )
    branch_policy = {"protected_branches": True, "custom_branch_policies": False} if policy is None else policy
    if branch_policy:
        rules.append({"id": 3756, "node_id": "MDQ6R2F0ZTM3NTY=", "type": "branch_policy"})
    return {
        "id": 161088068,
        "node_id": "MDExOkVudmlyb25tZW50MTYxMDg4MDY4",
        "name": name,
        "url": api,
        "html_url": f"https://github.com/{REPO}/deployments/activity_log?environments_filter={name}",
        "created_at": "2026-11-01T10:00:00Z",
        "updated_at": "2026-11-01T10:00:00Z",
        "can_admins_bypass": can_admins_bypass,
        "protection_rules": rules,
        "deployment_branch_policy": branch_policy or None,
    }


def branch_policy(name: str, kind: str = "branch") -> dict[str, Any]:
    """One entry of ``GET .../environments/{name}/deployment-branch-policies``."""
    return {"id": 361471, "node_id": "MDE2OkdhdGVCcmFuY2hQb2xpY3kzNjE0NzE=", "name": name, "type": kind}
