"""Exit check 3: CI green. The guard workflow succeeded three times in a row.

Two sources, in this order:

- GitHub, when a token (``GITHUB_TOKEN``) and a repository (``--github-repo`` or
  ``GITHUB_REPOSITORY``) are known: the newest three *completed* runs of ``guard.yml`` on
  ``main`` must all have concluded ``success``. Runs are asked for with ``status=completed``,
  never ``status=success``, which would hide the failures between successes.
- Otherwise the local guard ledger that ``make guard`` appends to (``lakehouse.guard``): the
  newest three runs in it must all have passed.

Statuses, and why:

- ``passed``: three known runs, all green.
- ``failed``: a run among the newest three is known to be red (any conclusion but
  ``success``, including ``cancelled`` and ``timed_out``: none of them is a green guard run).
  A red run wins over missing history: it is already evidence against the claim.
- ``skipped``: no red run, but fewer than three runs are known (or no source at all). Nothing
  was measured against the claim, so it is neither passed nor failed; the reason says how
  many runs are missing and how to get them. Never ``passed``.
- ``error``: the source was configured but could not be read: GitHub answered 401, 403
  (permissions or rate limit, with the reset time), 404, 5xx or not at all, or a ledger line
  among the newest runs is unreadable. An outage is no evidence of a red CI, so not
  ``failed``; but a run whose configured CI source could not be verified must not end green
  either, and ``error`` makes the run's verdict fail (``skipped`` would not).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import requests

from lakehouse.github import GitHubActions, GitHubApiError, RunsPage
from lakehouse.guard import Ledger, read_ledger
from lakehouse.outcome import Outcome, Status

GUARD_WORKFLOW = "guard.yml"
MAIN_BRANCH = "main"
REQUIRED_RUNS = 3
#: Runs asked for per request: three are judged, a few more give the evidence context.
RUNS_PER_PAGE = 10


@dataclass(frozen=True)
class GuardRun:
    """One guard run as the check sees it, whatever its source."""

    label: str
    green: bool


@dataclass
class Streak:
    """How the newest runs (newest first) measure up against ``REQUIRED_RUNS``."""

    runs: list[GuardRun]
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def newest(self) -> list[GuardRun]:
        return self.runs[:REQUIRED_RUNS]

    @property
    def consecutive_green(self) -> int:
        count = 0
        for run in self.runs:
            if not run.green:
                break
            count += 1
        return count


def _outcome(status: str, streak: Streak, reason: str | None, source: str) -> Outcome:
    measured = {"consecutive_green_runs": streak.consecutive_green, "runs_known": len(streak.runs), "source": source}
    details = {"source": source, **streak.details, "newest_runs": [r.label for r in streak.newest]}
    return Outcome(Status(status), measured, REQUIRED_RUNS, reason, details)


def judge_streak(streak: Streak, source: str, where: str, how_to_add: str) -> Outcome:
    """Passed, failed or skipped from the runs alone (see the module doc for why)."""
    red = [r for r in streak.newest if not r.green]
    if red:
        listed = "; ".join(r.label for r in red)
        return _outcome(
            "failed",
            streak,
            f"{len(red)} of the newest {len(streak.newest)} guard runs in {where} were not green: {listed}",
            source,
        )
    if len(streak.newest) < REQUIRED_RUNS:
        missing = REQUIRED_RUNS - len(streak.newest)
        return _outcome(
            "skipped",
            streak,
            f"only {len(streak.newest)} guard run(s) in {where}, {missing} of {REQUIRED_RUNS} missing "
            f"(all green so far); {how_to_add}",
            source,
        )
    return _outcome("passed", streak, None, source)


# -- GitHub ----------------------------------------------------------------------------------------


def _run_summary(run: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "run_number", "run_attempt", "event", "status", "conclusion", "head_branch", "head_sha")
    summary = {k: run.get(k) for k in keys}
    summary.update(created_at=run.get("created_at"), html_url=run.get("html_url"))
    return summary


def judge_github_runs(page: RunsPage, repo: str) -> Outcome:
    """Judge a page of runs as GitHub returned it (newest first)."""
    completed = [r for r in page.runs if r.get("status") == "completed"]
    # Newest first, as GitHub sorts; sorted again so a reordered answer cannot fool the check.
    completed.sort(key=lambda r: (str(r.get("created_at") or ""), int(r.get("id") or 0)), reverse=True)
    runs = [
        GuardRun(
            f"run #{r.get('run_number')} ({str(r.get('head_sha') or '')[:7]}, {r.get('event')}, "
            f"{r.get('created_at')}) concluded {r.get('conclusion')}",
            r.get("conclusion") == "success",
        )
        for r in completed
    ]
    details = {
        "github": {
            "repo": repo,
            "workflow": GUARD_WORKFLOW,
            "branch": MAIN_BRANCH,
            "request": {"url": page.url, "params": page.params},
            "total_count": page.total_count,
            "not_completed_dropped": len(page.runs) - len(completed),
            "distinct_commits_in_newest": len({r.get("head_sha") for r in completed[:REQUIRED_RUNS]}),
            "runs": [_run_summary(r) for r in completed],
        }
    }
    where = f"{repo} (workflow {GUARD_WORKFLOW}, branch {MAIN_BRANCH})"
    how = f"push to {MAIN_BRANCH} or run {GUARD_WORKFLOW} by hand (workflow_dispatch) until three completed runs exist"
    return judge_streak(Streak(runs, details), "github", where, how)


def check_github(repo: str, token: str, api_url: str, session: requests.Session | None = None) -> Outcome:
    """Ask GitHub; any API failure is an ``error`` naming the cause (and the rate-limit reset)."""
    try:
        client = GitHubActions(repo, token, api_url, session=session)
        page = client.workflow_runs(GUARD_WORKFLOW, MAIN_BRANCH, status="completed", per_page=RUNS_PER_PAGE)
    except GitHubApiError as err:
        details = {"github": {"repo": repo, "api_url": api_url, "error": err.kind, "http_status": err.status}}
        if err.reset_at:
            details["github"]["rate_limit_reset_at"] = err.reset_at
        return _outcome("error", Streak([], details), str(err), "github")
    except ValueError as err:  # a repository name GitHub cannot have
        return _outcome("error", Streak([], {"github": {"repo": repo}}), str(err), "github")
    return judge_github_runs(page, repo)


# -- the local ledger --------------------------------------------------------------------------------


def judge_ledger(ledger: Ledger, why_not_github: str | None = None) -> Outcome:
    """The newest three runs in ``make guard``'s ledger must all have passed.

    An unreadable line newer than the oldest run counted could be a red run: the check then
    reports ``error`` naming the file and line instead of trusting the runs around it.
    """
    newest_first = list(reversed(ledger.entries))
    runs = [
        GuardRun(
            f"{ledger.path.name}:{e.line} run of {e.commit[:7] if e.commit else 'unknown commit'}"
            f"{' (uncommitted changes)' if e.dirty else ''} finished {e.finished_at} "
            + ("passed" if e.passed else f"failed with exit code {e.exit_code}"),
            e.passed,
        )
        for e in newest_first
    ]
    details: dict[str, Any] = {
        "ledger": {
            "path": str(ledger.path),
            "exists": ledger.exists,
            "entries": len(ledger.entries),
            "unreadable_lines": ledger.problem_texts(),
            "newest": [asdict(e) for e in newest_first[:RUNS_PER_PAGE]],
        }
    }
    if why_not_github:
        details["github"] = {"used": False, "why": why_not_github}
    streak = Streak(runs, details)
    where = f"the guard ledger {ledger.path}"
    how = "run `make guard` (it appends each run to the ledger)"
    if not ledger.exists:
        prefix = f"{why_not_github}, and " if why_not_github else ""
        return _outcome("skipped", streak, f"{prefix}no guard ledger at {ledger.path}: {how} three times", "ledger")
    counted = newest_first[:REQUIRED_RUNS]
    # Lines newer than the oldest counted run; with fewer runs than needed, every bad line.
    oldest_line = counted[-1].line if len(counted) == REQUIRED_RUNS else 0
    in_span = ledger.problem_texts(after=oldest_line)
    verdict = judge_streak(streak, "ledger", where, how)
    if verdict.status == "skipped" and why_not_github:
        verdict.reason = f"{why_not_github}; {verdict.reason}"
    if verdict.status == "failed" or not in_span:
        return verdict
    return _outcome(
        "error",
        streak,
        f"unreadable guard ledger line(s) among the newest runs, which could hide a red run: {'; '.join(in_span)}",
        "ledger",
    )


# -- both ------------------------------------------------------------------------------------------


def github_unavailable_reason(repo: str | None, token: str | None) -> str | None:
    """Why GitHub cannot be asked (None when it can)."""
    missing = []
    if not token:
        missing.append("GITHUB_TOKEN is not set")
    if not repo:
        missing.append("no repository (--github-repo or GITHUB_REPOSITORY)")
    return "GitHub not asked: " + " and ".join(missing) if missing else None


def check_ci_green(
    repo: str | None,
    token: str | None,
    api_url: str,
    ledger_path: Path,
    session: requests.Session | None = None,
) -> Outcome:
    """Exit check 3 from GitHub when it can be asked, else from the local guard ledger."""
    why_not = github_unavailable_reason(repo, token)
    if why_not is None:
        assert repo and token
        return check_github(repo, token, api_url, session)
    return judge_ledger(read_ledger(ledger_path), why_not)
