"""Exit check 3: CI green. The guard workflow succeeded three times in a row.

Two sources, in this order:

- GitHub, when a token (``GITHUB_TOKEN``) and a repository (``--github-repo`` or
  ``GITHUB_REPOSITORY``) are known: the newest three *completed* runs of ``guard.yml`` that
  were ``push`` events to ``main`` of that repository must all have concluded ``success``.
  Runs are asked for with ``status=completed``, never ``status=success``, which would hide the
  failures between successes. ``workflow_dispatch`` runs (of any ref), pull requests (a fork's
  branch may be called ``main`` too) and runs whose commit came from another repository do not
  count; they are listed with why. The guard workflow must be ``active`` (``GET .../actions/workflows/guard.yml``):
  a guard ``disabled_manually``, ``disabled_inactivity``, ``disabled_fork`` or ``deleted`` runs on no push, so its
  green runs are of before and every commit pushed since went unguarded; the check fails naming the state.

  A run that concluded ``success`` is green only if its jobs show the guard ran: each judged run
  (the newest three counted, and the commit under test's own) must have at least one job, and
  every job of its latest attempt must have concluded ``success`` (``GET .../actions/runs/{id}/jobs``).
  A run concludes success with every job skipped (``if: false``) or failing under
  ``continue-on-error: true``; such a run is red, and the reason names the run and the job with
  its conclusion; so is a run where a ``run:`` step, or a step using a local action (``uses: ./...``, whose steps
  are judged below), is not listed as concluded ``success`` (skipped by an ``if:`` false on main), but for a step
  whose ``if:`` is false in any green run (``if: failure()``, ``if: cancelled()``: ``lakehouse.conditions``); so may a
  job whose ``if:`` is (a caller of a reusable workflow with what it calls), or whose matrix ``exclude`` empties, and
  neither its steps nor what it alone calls ran: their tests do not count; but at least one job must have concluded
  success. Jobs are found by the names GitHub gives them: each matrix cell as GitHub builds the cells
  (``lakehouse.matrices``: ``exclude`` removes, ``include`` extends or adds; a literal ``${{ fromJSON('...') }}``
  read as written out, one of another job's outputs only the run knows) ``test (3.11)``, each step's ``if:`` read
  with each cell's ``matrix`` (false in every cell: it did not run) and its name with ``${{ matrix.x }}`` as the cell
  has it (``Test 3.11``); a step whose ``if:`` only the run knows and whose name the jobs API cannot be asked by (an
  expression of the run's) may not have run: its tests do not count, and a run whose only tests they are is
  ``error``, not red nor green; in a cell of a matrix only the run knows, a step listed skipped whose ``if:`` reads
  the matrix is judged with what the cell's jobs API entry shows of it (``lakehouse.cellreadback``: a step named
  ``Setup ${{ matrix.os }}`` listed ``Setup windows``; the job's name shows values without keys): shown false there,
  meant; not false, red; not shown, ``error``, naming the step, the cell and the value unread; a called reusable
  workflow's jobs ``call / unit`` (its inputs a caller leaves unset, with no ``default:``, their type's: ``false``,
  ``''``, ``0``), each listed job of that name judged.
  And the run list shows each run's latest attempt: a judged run with
  ``run_attempt`` > 1 is green only if every earlier attempt concluded ``success`` too
  (``GET .../actions/runs/{id}/attempts/{n}``); a flaky guard re-run to green is not three
  consecutive greens, and the reason names the run and the attempt that was red.

  Nor does a green job show that no guard step failed: a step under ``continue-on-error`` fails
  while its job concludes success, and the jobs API cannot tell (the runner reports such a step's
  result as success too). So the workflow each judged run ran is read at the run's commit
  (its ``path``, ``GET .../contents/{path}?ref={head_sha}``), with the local composite actions
  and reusable workflows it uses (``./...``, the same commit): a job or step whose
  ``continue-on-error`` is not literally ``false`` (``true``, or an expression, which may be true),
  or a ``run:`` line ending ``|| true`` or ``; exit 0``, makes the run red, and the reason names
  the file, the job and the step. So do the shell scripts and Makefiles of the repository that a step, a script or a
  recipe runs (``./scripts/test.sh``, ``bash ci/x``, ``source x``, ``timeout 600 ./x``, ``make test`` from a step or
  from ``.ci/run``, ``cd ci && make``, ``make -C ci``, a local action's ``"$GITHUB_ACTION_PATH/test.sh"``, each file
  of ``for f in tests/*.sh; do bash "$f"; done`` with the glob expanded as bash does over the commit's git tree, read
  once (``GET .../git/trees/{head_sha}?recursive=1``) and only for a glob; ``lakehouse.shellscripts``,
  ``lakehouse.makefiles``), read at the same commit from the folder they run in: a script whose body is ``pytest ||
  true``, or ``pytest`` then ``exit 0`` without ``-e``, or a recipe line ``-pytest``, or tests whose status a command
  substitution loses (``echo "$(pytest)"``, ``export OUT=$(pytest)``; ``out=$(pytest)`` alone keeps it), makes the run
  red, the reason naming the file and line. A recipe is judged as make hands it to the shell (``lakehouse.makevars``:
  ``$(BIN)`` replaced by its value, ``$$`` by ``$``, so ``echo "$$(pytest)"`` is red), from the lines make reads (not
  a branch not taken nor a ``define`` body; an ``$(eval ...)``'s text in its place) and under the values of the targets
  make reached it through (``test: OR_TRUE = || true`` holds in its prerequisites'); a ``SHELL`` that runs nothing
  (``SHELL = $(TRUE)``, ``/bin/true``) is red. A script the commit does not
  hold is noted, not judged (the step fails where it runs it); a file that cannot be read is an ``error``, never a
  pass. So is a run whose guard runs make or a script where only the run can tell (``cd "$DIR"``, ``"$DIR/test.sh"``,
  ``bash "$DIR/t.sh"``, ``source "$X/env.sh"`` with DIR a value of the run, a recipe's ``$(DIR)/t.sh`` with DIR from
  ``$(shell ...)``, rules an ``$(eval $(shell ...))`` makes, ``MAKEFLAGS: ${{ inputs.flags }}``,
  ``"$GITHUB_ACTION_PATH/x"`` in a workflow's own step, which names no action's folder, a ``for`` glob with a
  variable in it or over a tree GitHub lists truncated; the workflow's, job's and step's ``env:`` and the script's own
  assignments are followed, ``lakehouse.shellscripts``' ``unfollowed``): not proven red, not green; a red run among
  the judged wins.

  Nor is a guard green that runs no test: it has no failure to lose. What the reader above follows of each judged
  run (its workflow, the local actions and reusable workflows it uses, the scripts and Makefile recipes its steps
  reach, as make reads them: not a branch not taken, under the target's values) must reach at least one test command
  (``lakehouse.testcommands``: ``pytest``, ``python -m pytest``, ``tox -e py``, ``ruff``, ``npm test``, ``terraform
  validate``..., a recipe's ``$(BIN)/pytest`` as make hands it over; ``ScriptFollower.tests``, kept as evidence), or
  the run is red, the reason naming the workflow file and what its steps run instead (``echo ok``; ``make test`` whose
  recipe is ``@echo skipped``, or ``true tests`` under ``test: PYTEST = true``). An action or reusable workflow of
  another repository (``uses: owner/action@v1``) is not read, so runs no test that counts. Nor does a test in a step
  that did not run: under an ``if:`` shown false for the run (its event and ref), or inside a local composite action
  (one step in the jobs API) under an ``if:`` not shown true (``if: inputs.x``: only the run knows), or in an action
  only such a step uses; the reason names each step and why (``lakehouse.conditions``). A test in an ``if``
  condition counts (the script decided what its failure means; the check above judges that); one whose status is
  lost (``echo "$(pytest)"``, ``pytest || true``) makes the run red anyway. When the reader stopped at something
  only the run knows (``unfollowed``) and found no test, the tests may be there: the run stays ``error``, not red.
  ``npm test``, ``yarn test``, ``npm run test:unit`` and ``tox``/``tox -e X`` count only for what the commit's
  ``package.json`` script (``lakehouse.packagescripts``, judged as npm's ``sh -c``) or tox env
  (``lakehouse.toxconfig``: ``- pytest``, ``ignore_outcome = true`` lose the failure) runs: npm's default ``echo
  "Error: no test specified"``, a missing script or configuration run no test; one that cannot be parsed is ``error``
  naming file and line. A ``pre``/``post`` script counts only where the tool runs it (npm unless ``ignore-scripts``,
  yarn 1 not yarn 2+, pnpm with ``enable-pre-post-scripts=true``: ``packagescripts.runs_hooks``; where only the run
  can tell, judged but not counted). A tox env that asks for an interpreter (``py312``, ``basepython``) counts only
  where an ``actions/setup-python`` step of the job sets it up, unless missing interpreters fail tox (tox 4 skips
  them by default and exits 0); a job whose Pythons only the run knows is ``error``. ``nox``/``nox -s X`` count for
  what the commit's ``noxfile.py`` sessions run (``lakehouse.noxconfig``, read with ``ast``, never run: a session
  that only installs, ``session.skip()``s first or has ``success_codes=[0, 1]`` runs no test or loses its failure).

  And the repository is only a name the user gives: its runs say something of the code under test only
  when they ran on its history. So each judged run's commit (``head_sha``) must share history with the
  commit under test (have a merge base), or the check fails, the reason naming the repository, the run,
  its commit and the commit under test: that repository's guard runs are not of this code
  (``lakehouse.checks.history``, which GUARD-review uses too). The checkout's git is asked first
  (``git merge-base <run sha> <commit under test>``: exit 0 related, exit 1 unrelated, except in a
  shallow clone whose cut history cannot tell; 128, no git, not a repository: cannot tell); when it
  cannot tell, GitHub is (``GET .../compare/{run sha}...{commit under
  test}``: 200, whatever its ``status`` (``ahead``, ``behind``, ``identical``, ``diverged``), related;
  404 "No common ancestor", unrelated; 404 for a commit the repository does not hold (one never pushed),
  nobody can tell: ``error``, naming what to push or fetch; anything else ``error``).
  A run of the commit under test itself is related without asking. Sharing history is not being on ``main``: a
  main force-pushed to a rewrite shares its root with the commits it dropped. So each judged run's commit must
  also be an ancestor of main's head (``GET .../branches/main``; bound the same way, the merge base being the run's
  commit), or the check fails naming the run, its commit, main's head and GitHub's ``diverged``/``behind``.
  The evidence records how each
  judged run was bound (``same commit``, ``local git`` or ``github compare``) with the merge base. A run
  not of this code is not read further. Without a commit under test nothing can be bound: ``error``.
- Otherwise the local guard ledger that ``make guard`` appends to (``lakehouse.ledger``): the
  newest three runs *of the guard suite at the commit under test, on a clean tree* must all have
  passed. Runs of another command, under ``make -i``, on a dirty tree or at another commit do
  not count; they are listed with why. The ledger is a local convenience (a line can be
  written by hand); GitHub is the source of record.

The commit under test is ``GITHUB_SHA`` when set, else the checkout's ``git HEAD``. The
evidence (and the measured value) says which commit the newest green run tested and whether it
is the commit under test. On GitHub a newest green run of an earlier commit still passes (it shares
history with the commit under test, as does main's for a feature branch that diverged from it): the
claim is about the workflow's history on ``main``, and where the check runs in CI the guard run
of the very commit under test is usually still in progress. But a completed run of the commit
under test that was red fails the check, however green the runs after it.

Statuses, and why:

- ``passed``: three counted runs, all green.
- ``failed``: the guard workflow is not ``active``; a judged run on GitHub shares no history with the commit
  under test (the runs are of other code) or is not on main's history (main force-pushed past it); a counted
  run among the newest three is red (any conclusion but ``success``,
  including ``cancelled`` and ``timed_out``, a job of it that did not conclude ``success``, or an
  earlier attempt of it that did not, a masked failure in what it ran, or a guard that runs no test), or the
  commit under test's own newest run is red.
  A red run wins over missing history: it is already evidence against the claim.
- ``skipped``: no red run, but fewer than three counted runs (or no source at all). Nothing
  was measured against the claim; the reason says how many runs are missing and names the
  runs that did not count. Never ``passed``.
- ``error``: the source was configured but could not be read: GitHub answered 401, 403
  (permissions or rate limit, with the reset time), 404, 5xx or not at all (for the runs or
  for a judged run's jobs, earlier attempts or workflow files; for its comparison with the commit under
  test any of these but a 404 "No common ancestor", which says unrelated; a 404 for a commit under test
  GitHub does not hold is ``error`` too), a workflow file is not YAML, a ledger line among the
  newest runs is unreadable, or the commit under test is unknown (to either source: no run can be
  matched or bound to it; on GitHub also a ``GITHUB_SHA`` that is not a commit sha). An outage is no
  evidence of a red CI, so not ``failed``; but it must not end green.
"""

from __future__ import annotations

import contextlib
import functools
import posixpath
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import requests
from ruamel.yaml.error import YAMLError

from lakehouse.cellreadback import cell_verdict
from lakehouse.checks.history import SHA, Binding, HistoryBinder, commit_under_test, how_to_tell, unbindable
from lakehouse.conditions import ANY_GREEN_RUN, RunFacts, called_facts
from lakehouse.config import project_root
from lakehouse.github import GitHubActions, GitHubApiError, RunsPage
from lakehouse.ledger import GUARD_SUITE, Ledger, read_ledger, why_not_counted
from lakehouse.outcome import Outcome, Status
from lakehouse.shellglob import ListDir
from lakehouse.shellscripts import ScriptFollower, tree_lister
from lakehouse.workflows import (
    ShownJob,
    load_yaml,
    local_calls,
    local_uses,
    masked_failure_problems,
    remote_uses,
    shown_jobs,
    writes_runtime_environment,
)

GUARD_WORKFLOW = "guard.yml"
MAIN_BRANCH = "main"
PUSH_EVENT = "push"
#: The only workflow ``state`` in which GitHub runs the guard on a push (not ``disabled_manually``, ``deleted``...).
ACTIVE = "active"
REQUIRED_RUNS = 3
#: Runs asked for per request: three are judged, a few more give the evidence context.
RUNS_PER_PAGE = 10
#: Runs that did not count named in a reason (the evidence lists them all).
_NAMED_IN_REASON = 5
#: A run's ``path``: the workflow file, and the ``@ref`` GitHub may append (its docs' example shows
#: ``.github/workflows/build.yml@main``).
_RUN_PATH = re.compile(r"^(\.github/workflows/[^@]+\.ya?ml)(?:@.+)?$")


@dataclass(frozen=True)
class GuardRun:
    """One guard run as the check sees it, whatever its source; ``why_not_counted`` empty when it counts."""

    label: str
    green: bool
    commit: str | None
    why_not_counted: tuple[str, ...] = ()
    #: The ledger line it was read from (0 for a GitHub run).
    line: int = 0

    @property
    def counted(self) -> bool:
        return not self.why_not_counted


@dataclass
class Streak:
    """The runs (newest first, counted or not) measured against ``required`` at the commit under test."""

    runs: list[GuardRun]
    commit_under_test: str | None
    required: int = REQUIRED_RUNS
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def counted(self) -> list[GuardRun]:
        return [r for r in self.runs if r.counted]

    @property
    def not_counted(self) -> list[GuardRun]:
        return [r for r in self.runs if not r.counted]

    @property
    def newest(self) -> list[GuardRun]:
        return self.counted[: self.required]

    @property
    def consecutive_green(self) -> int:
        count = 0
        for run in self.counted:
            if not run.green:
                break
            count += 1
        return count

    def newest_green(self) -> GuardRun | None:
        return next((r for r in self.counted if r.green), None)

    def own_run(self) -> GuardRun | None:
        """The newest counted run that tested the commit under test."""
        return next((r for r in self.counted if self.commit_under_test and r.commit == self.commit_under_test), None)

    def measured(self, source: str) -> dict[str, Any]:
        green = self.newest_green()
        return {
            "source": source,
            "consecutive_green_runs": self.consecutive_green,
            "runs_counted": len(self.counted),
            "runs_not_counted": len(self.not_counted),
            "commit_under_test": self.commit_under_test,
            "newest_green_commit": green.commit if green else None,
            "newest_green_is_commit_under_test": bool(green and green.commit == self.commit_under_test),
            "commit_under_test_tested": self.own_run() is not None,
        }


def _outcome(status: Status, streak: Streak, reason: str | None, source: str) -> Outcome:
    details = {
        "source": source,
        **streak.details,
        "newest_runs": [r.label for r in streak.newest],
        "not_counted": [f"{r.label}: {'; '.join(r.why_not_counted)}" for r in streak.not_counted],
    }
    return Outcome(status, streak.measured(source), streak.required, reason, details)


def _named_not_counted(streak: Streak) -> str:
    runs = streak.not_counted
    if not runs:
        return ""
    named = "; ".join(f"{r.label} ({', '.join(r.why_not_counted)})" for r in runs[:_NAMED_IN_REASON])
    more = f"; and {len(runs) - _NAMED_IN_REASON} more" if len(runs) > _NAMED_IN_REASON else ""
    return f"; {len(runs)} run(s) did not count: {named}{more}"


def judge_streak(streak: Streak, source: str, where: str, how_to_add: str) -> Outcome:
    """Passed, failed or skipped from the runs alone (see the module doc for why)."""
    red = [r for r in streak.newest if not r.green]
    if red:
        listed = "; ".join(r.label for r in red)
        return _outcome(
            Status.FAILED,
            streak,
            f"{len(red)} of the newest {len(streak.newest)} counted guard runs in {where} were not green: {listed}",
            source,
        )
    own = streak.own_run()
    if own is not None and not own.green:
        return _outcome(
            Status.FAILED,
            streak,
            f"the commit under test {str(streak.commit_under_test)[:12]} was tested by {own.label} in {where}, "
            "and the newer green runs tested other commits",
            source,
        )
    if len(streak.newest) < streak.required:
        missing = streak.required - len(streak.newest)
        return _outcome(
            Status.SKIPPED,
            streak,
            f"only {len(streak.newest)} counted guard run(s) in {where}, {missing} of {streak.required} missing "
            f"(all green so far){_named_not_counted(streak)}; {how_to_add}",
            source,
        )
    return _outcome(Status.PASSED, streak, None, source)


# -- GitHub ----------------------------------------------------------------------------------------


def _run_summary(run: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "run_number", "run_attempt", "event", "status", "conclusion", "head_branch", "head_sha")
    summary = {k: run.get(k) for k in keys}
    summary.update(
        head_repository=_head_repository(run), created_at=run.get("created_at"), html_url=run.get("html_url")
    )
    return summary


def _head_repository(run: dict[str, Any]) -> str | None:
    head = run.get("head_repository")
    name = head.get("full_name") if isinstance(head, dict) else None
    return str(name) if name else None


def why_github_run_not_counted(run: dict[str, Any], repo: str) -> list[str]:
    """Why a completed run is not a guard run of a push to ``main`` of ``repo`` (empty: it counts)."""
    why: list[str] = []
    if run.get("event") != PUSH_EVENT:
        why.append(f"event {run.get('event')}: only {PUSH_EVENT} events to {MAIN_BRANCH} count")
    if run.get("head_branch") != MAIN_BRANCH:
        why.append(f"branch {run.get('head_branch')}, not {MAIN_BRANCH}")
    head_repo = _head_repository(run)
    if head_repo is None:
        why.append("GitHub did not say which repository its commit came from")
    elif head_repo.lower() != repo.lower():
        why.append(f"its commit came from {head_repo}, not {repo}")
    return why


def _run_id(run: dict[str, Any]) -> int:
    try:
        return int(run["id"])
    except (KeyError, TypeError, ValueError):
        raise GitHubApiError("bad_response", f"GitHub's run #{run.get('run_number')} has no id") from None


def why_success_is_not_green(client: GitHubActions, run: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """Why a run that concluded ``success`` is not green (empty: it is), and what was read to tell.

    A run concludes success with its jobs skipped (``if: false``) or failed under
    ``continue-on-error``: only every job of it concluding success shows the guard ran and passed, but for a job
    listed skipped that its workflow skips in every green run (``if: failure()``, a matrix ``exclude`` empties, a
    caller of a reusable workflow under such an ``if:`` and what it calls: ``lakehouse.workflows.shown_jobs``), as a
    step under ``if: failure()`` may be; and at least one job must have concluded success.
    And the run list shows a run's latest attempt: a red attempt re-run to green is a flaky guard,
    not a green run, so every earlier attempt must have concluded success too. A job concludes
    success with a step failed under ``continue-on-error``, which only the workflow file shows.
    """
    run_id = _run_id(run)
    jobs = client.run_jobs(run_id).data
    read: dict[str, Any] = {"jobs": [{k: j.get(k) for k in ("name", "status", "conclusion")} for j in jobs]}
    attempts: list[str] = []
    latest = _attempt_number(run)
    if latest > 1:
        earlier = [client.run_attempt(run_id, n).data.get("conclusion") for n in range(1, latest)]
        read["earlier_attempts"] = [{"attempt": n, "conclusion": c} for n, c in enumerate(earlier, start=1)]
        attempts += [
            f"attempt {n} of {latest} concluded {c} (re-run to green)"
            for n, c in enumerate(earlier, start=1)
            if c != "success"
        ]
    masked, read["workflow_files"], documents = masked_failures(client, run)
    excused = [s for s in shown_jobs(next(iter(documents.values()), None), ANY_GREEN_RUN, documents) if s.skipped]
    why = [
        f"job {j.get('name')!r} concluded {j.get('conclusion')}"
        for j in jobs
        if j.get("conclusion") != "success" and not _skipped_as_written(j, excused)
    ]
    if not jobs:
        why.append("it has no jobs: nothing of the guard ran")
    elif not any(j.get("conclusion") == "success" for j in jobs):
        why.append("none of its jobs concluded success: nothing of the guard ran")
    skipped = skipped_steps(documents, jobs)
    if skipped.cells:
        read["matrix_cells_read_back"] = skipped.cells
    sha = str(run.get("head_sha") or "")[:12]
    read["workflow_files"]["unfollowed"] += [f"{entry} (at {sha})" for entry in skipped.undecided]
    return why + attempts + masked + skipped.why, read


def _skipped_as_written(job: dict[str, Any], excused: list[ShownJob]) -> bool:
    """A job listed ``skipped`` that its workflow skips in every green run (``ShownJob.skipped``: ``if: failure()``,
    a matrix without a cell, a caller whose ``if:`` is so and what it calls), as a step under ``if: failure()``."""
    name = str(job.get("name") or "")
    return job.get("conclusion") == "skipped" and any(s.pattern.fullmatch(name) for s in excused)


@dataclass
class SkippedSteps:
    """What :func:`skipped_steps` found: ``why`` the steps a green run should have run and did not (red);
    ``undecided`` those listed skipped in a cell of a matrix only the run knows whose ``if:`` the cell may have made
    false (``error``, not red); ``cells`` each such skip as its cell was read back (``lakehouse.cellreadback``)."""

    why: list[str] = field(default_factory=list)
    undecided: list[str] = field(default_factory=list)
    cells: list[dict[str, Any]] = field(default_factory=list)


def skipped_steps(documents: dict[str, Any], jobs: list[dict[str, Any]]) -> SkippedSteps:
    """The workflow's own ``run:`` steps and steps using a local action that a green run's jobs did not run to
    success.

    A step under an ``if:`` that evaluated false is skipped while its job concludes success: a guard
    whose ``make test`` step (or ``uses: ./.github/actions/test`` step) never ran is green. Each job of the
    workflow (``documents``' first, the local reusable workflows it calls by path) must be among the run's jobs
    by a name GitHub gives it (``test (3.11)`` for a matrix cell, ``call / test`` for a called workflow's), each
    job of that name with each such step there, concluded ``success``, but for a step whose ``if:`` is false in any
    green run (``if: failure()``, ``if: cancelled()``: ``lakehouse.conditions.ANY_GREEN_RUN``; one false only for
    this run's event or ref, ``if: github.ref != 'refs/heads/main'``, must still have run: a guard whose tests run
    only elsewhere is no guard of main) (``lakehouse.workflows.shown_jobs``). In a cell of a matrix only the run
    knows, a step listed skipped whose ``if:`` reads the matrix is judged with the cell's values its jobs API entry
    shows (``lakehouse.cellreadback``): false there, meant; not false, red; else ``undecided``."""
    found = SkippedSteps()
    workflow = next(iter(documents.values()), None)
    for expected in shown_jobs(workflow, ANY_GREEN_RUN, documents):
        if expected.skipped:  # it runs in no green run: neither it nor its steps are expected
            continue
        ran = [j for j in jobs if expected.pattern.fullmatch(str(j.get("name") or ""))]
        if not ran:
            found.why.append(f"job {expected.name!r} of the workflow is not among the run's jobs")
        for job in ran:
            for step in expected.steps:
                listed = next((s for s in job.get("steps") or [] if s.get("name") == step), None)
                if listed is not None and listed.get("conclusion") == "success":
                    continue
                state = "is not among its steps" if listed is None else f"concluded {listed.get('conclusion')}"
                cell = next((c for c in expected.by_cell if c.label == step), None)
                verdict = cell_verdict(cell, job) if cell is not None and state == "concluded skipped" else None
                where = f"step {step!r} of job {job.get('name')!r}"
                if verdict is not None:
                    found.cells.append(
                        {"job": job.get("name"), "step": step, "ran_as_meant": verdict.value, "why": verdict.why}
                    )
                if verdict is None or verdict.value is True:
                    though = f" though {verdict.why}" if verdict is not None else ""
                    found.why.append(f"{where} {state}{though}: the guard did not run it")
                elif verdict.value is None:
                    found.undecided.append(f"whether {where}, listed skipped, was meant to skip: {verdict.why}")
    return found


def _workflow_path(run: dict[str, Any]) -> str:
    """The workflow file a run ran, without the ``@ref`` GitHub may append to its ``path``."""
    raw = str(run.get("path") or f".github/workflows/{GUARD_WORKFLOW}")
    match = _RUN_PATH.match(raw)
    if match is None:
        raise GitHubApiError(
            "bad_response", f"GitHub's run #{run.get('run_number')} ran {raw!r}, not a file under .github/workflows"
        )
    return match.group(1)


def masked_failures(client: GitHubActions, run: dict[str, Any]) -> tuple[list[str], dict[str, Any], dict[str, Any]]:
    """What in the workflow a run ran lets a failure pass (``lakehouse.workflows.masked_failure_problems``),
    read at the run's commit with the local actions and reusable workflows it uses, and the repository's
    shell scripts and Makefiles they run (``lakehouse.shellscripts``); what was read; and the workflow and the
    local reusable workflows and actions (parsed, by path from the checkout's root, the workflow first).

    Tests count only in steps the run ran: not under an ``if:`` shown false for it (``lakehouse.conditions``), and
    in a composite action, whose steps the jobs API does not list, only under none or one shown true (its
    ``inputs.<id>`` read from the literal ``with:`` or default of each call of it, ``_document_facts``: true for
    one call shown to run is enough); an action used by such a step counts for none of its steps."""
    sha = str(run.get("head_sha") or "")
    if not sha:
        raise GitHubApiError("bad_response", f"GitHub's run #{run.get('run_number')} has no head_sha to read it at")
    pending = [("workflow", _workflow_path(run))]
    seen: set[tuple[str, str]] = set()
    files: list[str] = []
    why: list[str] = []

    def script_text(path: str) -> str | None:
        answer = client.file_text(path, sha)
        return None if answer is None else str(answer.data)

    @functools.cache
    def tree_listing() -> ListDir:
        """The commit's tree, read (once) when a ``for`` glob of the guard needs it; GitHub's list cut short: none."""
        tree = client.tree_paths(sha)
        return tree_lister(None if tree.truncated else tree.paths)

    def list_dir(path: str) -> list[tuple[str, bool]] | None:
        return tree_listing()(path)

    # the scripts and Makefiles of the same commit as the workflow
    scripts = ScriptFollower(script_text, list_dir=list_dir)
    documents: list[tuple[str, str, Any]] = []
    while pending:
        kind, path = pending.pop(0)
        if (kind, path) in seen:
            continue
        seen.add((kind, path))
        file_path, text = _file_at(client, kind, path, sha)
        try:
            document = load_yaml(text)
        except YAMLError as err:
            raise GitHubApiError("bad_response", f"{file_path} at {sha[:12]} is not valid YAML ({err})") from None
        files.append(file_path)
        documents.append((kind, file_path, document))
        pending += local_uses(document)
    # A step's variables are those of the workflow's `env:` unless a step (of it or of an action it uses) writes
    # $GITHUB_ENV; an action's steps also get the calling job's, which it does not show.
    closed = not any(writes_runtime_environment(document) for _, _, document in documents)
    facts = _document_facts(documents, RunFacts.of_run(run))
    counted = _counted_actions(documents, facts)
    for kind, file_path, document in documents:
        folder = posixpath.dirname(file_path) if kind == "action" else None  # its steps' $GITHUB_ACTION_PATH
        if kind == "workflow" and not _ran_workflows(documents, facts, file_path):  # as a step under if: false
            callers = [
                f"{caller_path}: {verdict.why}"
                for _, caller_path, caller in documents
                for _, _, used, verdict in local_calls(caller, facts.get(caller_path, facts[documents[0][1]]))
                if used == file_path
            ]
            scripts.conditional.append(f"{file_path}: did not run: no job calling it ran ({'; '.join(callers)})")
            continue
        ran = kind == "workflow" or counted.get(str(folder), False)
        with contextlib.nullcontext() if ran else scripts.uncounted():
            problems = masked_failure_problems(
                Path(file_path), document, scripts, closed and kind == "workflow", folder, facts[file_path]
            )
        if not ran:
            scripts.conditional.append(f"{file_path}: only steps that may not have run use it: its tests not counted")
        why += [f"{p.path} at {sha[:12]}: {p.where}: {p.message}" for p in problems]
    files += scripts.files  # the scripts and Makefiles its steps ran, wherever they ran them
    unfollowed = [f"{u} (at {sha[:12]})" for u in scripts.unfollowed]
    if not scripts.tests and not scripts.unfollowed and scripts.undecided:  # only the run shows whether they ran
        unfollowed += [f"whether these tests ran only the run shows: {u} (at {sha[:12]})" for u in scripts.undecided]
    elif not scripts.tests and not scripts.unfollowed:  # what only the run knows may run them: `error`, not red
        notes, conditional = scripts.notes, scripts.conditional
        why.append(no_test_reason(documents[0][1], sha, scripts.commands, documents, notes, conditional))
    read = {
        "ref": sha,
        "files": files,
        "scripts": scripts.notes,
        "conditional_steps": scripts.conditional,
        "problems": why,
        "unfollowed": unfollowed,
        "tests": scripts.tests,
    }
    return why, read, {path.removesuffix("/action.yml").removesuffix("/action.yaml"): d for _, path, d in documents}


def _document_facts(documents: list[tuple[str, str, Any]], run: RunFacts) -> dict[str, RunFacts]:
    """Each document's path -> what its steps' ``if:`` are judged with: the run's facts, and for a local action or
    reusable workflow each call of it that may have run (a step using the action, a job calling the workflow, whose
    ``if:`` is not shown false, nor its job's: ``lakehouse.workflows.local_calls``; from a reusable workflow that
    may have run) with the inputs it shows (``lakehouse.conditions.called_facts``: a literal ``with:`` value, else the
    input's default, else a workflow input's type's), shown to run when the jobs API lists it (a workflow's step or
    job) or its ``if:`` is shown true in an action shown to run. A caller read later than what it calls
    (``documents`` go from the workflow down) is judged without its own inputs and not shown to run: more of it may
    have run. A reusable workflow with no call that may have run has none (:func:`_ran_workflows`)."""
    facts: dict[str, RunFacts] = {}
    ran: dict[str, bool] = {}  # a local action's folder -> whether a call shown to run uses it
    for index, (kind, file_path, document) in enumerate(documents):
        if index == 0:
            facts[file_path] = run  # the guard's own `inputs` (workflow_dispatch) are the run's
            continue
        target = posixpath.dirname(file_path) if kind == "action" else file_path
        calls: list[tuple[Any, bool]] = []
        for caller_kind, caller_path, caller in documents:
            if caller_kind == "workflow" and caller_path in facts and not _ran_workflows(documents, facts, caller_path):
                continue  # a reusable workflow no call of which ran: nothing in it ran
            shown = caller_kind == "workflow" or ran.get(posixpath.dirname(caller_path), False)
            for _, step, used, verdict in local_calls(caller, facts.get(caller_path, run)):
                if used == target and verdict.value is not False:
                    given = step.get("with") if "with" in step else {}
                    calls.append((given, shown and (verdict.value is True or caller_kind == "workflow")))
        facts[file_path] = called_facts(run, document, calls)
        if kind == "action":
            ran[target] = any(shown for _, shown in calls)
    return facts


def _ran_workflows(documents: list[tuple[str, str, Any]], facts: dict[str, RunFacts], path: str) -> bool:
    """Whether the workflow at ``path`` may have run: the guard's own, or a reusable one a call that may have run
    calls (its ``_document_facts`` has one; a job under ``if: failure()`` calling it ran in no green run)."""
    return path == documents[0][1] or bool(facts[path].calls)


def _counted_actions(documents: list[tuple[str, str, Any]], facts: dict[str, RunFacts]) -> dict[str, bool]:
    """Each local action's folder -> whether a step that ran uses it: a step of a workflow that may have run not
    shown false, nor its job (the jobs API shows the others ran), a counted action's step shown true
    (``lakehouse.workflows.local_calls``, with the facts of its document, ``_document_facts``); repeated until
    nothing changes (an action reached both ways counts)."""
    counted: dict[str, bool] = {}
    changed = True
    while changed:
        changed = False
        for kind, file_path, document in documents:
            folder = posixpath.dirname(file_path)
            if kind == "action" and not counted.get(folder, False):
                continue
            if kind == "workflow" and not _ran_workflows(documents, facts, file_path):
                continue
            for used_kind, _, used, verdict in local_calls(document, facts[file_path]):
                value = verdict.value
                shown = value is not False if kind == "workflow" else value is True
                if used_kind == "action" and shown and not counted.get(used, False):
                    counted[used] = changed = True
    return counted


#: Commands named in a reason that no step runs a test (the evidence keeps what was read).
_COMMANDS_NAMED = 8


def no_test_reason(
    workflow_path: str,
    sha: str,
    commands: list[str],
    documents: list[tuple[str, str, Any]],
    notes: dict[str, str] | None = None,
    conditional: list[str] | None = None,
) -> str:
    """Why a run whose guard runs no test is red, saying what its steps run instead (briefly), and which
    ``package.json`` script or tox configuration they named runs none (``notes``: ``no script `test```...)."""
    shown = [f"`{c if len(c) <= 60 else c[:57] + '...'}`" for c in commands[:_COMMANDS_NAMED]]
    more = f" and {len(commands) - _COMMANDS_NAMED} more" if len(commands) > _COMMANDS_NAMED else ""
    ran = f"its steps (and what they reach) run {', '.join(shown)}{more}" if commands else "its steps run no command"
    remote = list(dict.fromkeys(u for _, _, document in documents for u in remote_uses(document)))
    used = f"; it uses {', '.join(remote)}: other repositories' code, not read, so not counted" if remote else ""
    missing = [f"{path}: {note}" for path, note in (notes or {}).items() if "runs no test" in note]
    configs = f"; {'; '.join(missing)}" if missing else ""
    skipped = f"; not counted for their `if:`: {'; '.join(conditional)}" if conditional else ""
    return (
        f"{workflow_path} at {sha[:12]}: no step runs a test (none lakehouse.testcommands knows: pytest, ruff, "
        f"make, npm test or tox whose recipe, package.json script or tox env runs one...): {ran}{configs}{used}"
        f"{skipped}"
    )


def _file_at(client: GitHubActions, kind: str, path: str, sha: str) -> tuple[str, str]:
    """``(path, text)`` of a workflow, or of an action directory's ``action.yml`` (else ``action.yaml``), at ``sha``."""
    folder = f"{path}/" if path else ""  # `uses: ./`: the action at the checkout's root
    candidates = [path] if kind == "workflow" else [f"{folder}action.yml", f"{folder}action.yaml"]
    for candidate in candidates:
        if (answer := client.file_text(candidate, sha)) is not None:
            return candidate, str(answer.data)
    raise GitHubApiError(
        "not_found",
        f"GitHub has no {' or '.join(candidates)} at {sha[:12]} in {client.repo} (404), though the run used it: "
        "the token may lack `contents: read`",
        404,
    )


def _attempt_number(run: dict[str, Any]) -> int:
    """The run's latest attempt (1 when GitHub leaves ``run_attempt`` out)."""
    try:
        return int(run.get("run_attempt") or 1)
    except (TypeError, ValueError):
        raise GitHubApiError(
            "bad_response", f"GitHub's run #{run.get('run_number')} has run_attempt {run.get('run_attempt')!r}"
        ) from None


# -- is a run of this code? its commit must share history with the commit under test (lakehouse.checks.history) --


def _judged(streak: Streak, completed: list[dict[str, Any]]) -> list[tuple[int, GuardRun, dict[str, Any]]]:
    """The judged runs (the newest ``required`` counted and the commit under test's own): index, run, GitHub's run."""
    own = streak.own_run()
    judged = {id(r) for r in [*streak.newest, *([own] if own else [])]}
    pairs = zip(streak.runs, completed, strict=True)
    return [(i, run, raw) for i, (run, raw) in enumerate(pairs) if id(run) in judged]


def bind_judged_runs(
    judged: list[tuple[int, GuardRun, dict[str, Any]]], binder: HistoryBinder
) -> tuple[dict[str, dict[str, Any]], list[tuple[GuardRun, Binding]]]:
    """How each judged run was bound (by ``run #n``, for the evidence); the runs not known to be related to the
    commit under test (unrelated, or nobody could tell)."""
    bound: dict[str, dict[str, Any]] = {}
    unrelated: list[tuple[GuardRun, Binding]] = []
    for _, guard_run, raw in judged:
        run_sha = str(raw.get("head_sha") or "").lower()
        if not SHA.match(run_sha):
            raise GitHubApiError(
                "bad_response", f"GitHub's run #{raw.get('run_number')} has head_sha {run_sha!r}, not a commit sha"
            )
        binding = binder.bind(run_sha)
        bound[f"run #{raw.get('run_number')}"] = binding.evidence()
        if not binding.related:
            unrelated.append((guard_run, binding))
    return bound, unrelated


def _unrelated_reason(repo: str, commit: str, commit_source: str, unrelated: list[tuple[GuardRun, Binding]]) -> str:
    named = "; ".join(f"{run.label} tested {binding.run_sha[:12]} ({binding.said})" for run, binding in unrelated)
    if any(b.related is False for _, b in unrelated):
        return (
            f"the guard runs of {repo} are not of this code: {len(unrelated)} judged run(s) share no history with "
            f"the commit under test {commit[:12]} ({commit_source}): {named}"
        )
    return (
        f"cannot tell whether the guard runs of {repo} are of this code: {repo} holds no commit "
        f"{commit[:12]} ({commit_source}) and the checkout's git holds not the commits of {named}: "
        f"{how_to_tell(MAIN_BRANCH)}"
    )


def on_main_history(
    judged: list[tuple[int, GuardRun, dict[str, Any]]], binder: HistoryBinder
) -> tuple[dict[str, dict[str, Any]], list[tuple[GuardRun, Binding]]]:
    """How each judged run's commit was tied to main's head (``binder``'s commit), for the evidence; the runs whose
    commit is not an ancestor of it (the merge base is not the run's commit: main was force-pushed past it) or of
    which nobody could tell.

    A run listed for ``main`` tested a commit main held when it was pushed; sharing history with the commit
    under test is not enough (a force-pushed main shares its root with the line it dropped)."""
    found: dict[str, dict[str, Any]] = {}
    off: list[tuple[GuardRun, Binding]] = []
    for _, guard_run, raw in judged:
        binding = binder.bind(str(raw.get("head_sha") or "").lower())
        found[f"run #{raw.get('run_number')}"] = binding.evidence()
        if binding.related is None or (binding.merge_base or "").lower() != binding.run_sha:
            off.append((guard_run, binding))
    return found, off


def _off_main_reason(repo: str, main_head: str, off: list[tuple[GuardRun, Binding]]) -> str:
    named = "; ".join(f"{run.label} tested {b.run_sha[:12]} ({_how_off(b)})" for run, b in off[:_NAMED_IN_REASON])
    if any(b.related is not None for _, b in off):
        return (
            f"{len(off)} judged guard run(s) of {repo} tested commits that are not on the history of {MAIN_BRANCH} "
            f"(its head {main_head[:12]}): {named}; {MAIN_BRANCH} was force-pushed past them, so their runs say "
            "nothing of the code it holds"
        )
    return (
        f"cannot tell whether the judged guard runs of {repo} tested commits on the history of {MAIN_BRANCH} "
        f"(its head {main_head[:12]}): {named}"
    )


def _how_off(binding: Binding) -> str:
    """What the source said of a commit and main's head: GitHub's status and merge base, or why it could not tell."""
    if binding.related is None or binding.related is False:
        return binding.said or "nobody could tell"
    status = f"GitHub's compare: {binding.status}, " if binding.status else f"{binding.how}: "
    return f"{status}merge base {str(binding.merge_base)[:12]}"


def judge_github_runs(
    page: RunsPage,
    repo: str,
    client: GitHubActions,
    commit: str | None,
    commit_source: str = "",
    required: int = REQUIRED_RUNS,
    checkout: Path | None = None,
) -> Outcome:
    """Judge a page of runs as GitHub returned it (newest first) for the commit under test ``commit``.

    Each judged run (the newest ``required`` counted and the commit under test's own) must share history
    with ``commit``: asked of ``checkout``'s git, else of GitHub (``HistoryBinder``). The judged runs that
    concluded success are then read further through ``client``; a ``GitHubApiError`` from it propagates.
    """
    completed = [r for r in page.runs if r.get("status") == "completed"]
    # Newest first, as GitHub sorts; sorted again so a reordered answer cannot fool the check.
    completed.sort(key=lambda r: (str(r.get("created_at") or ""), int(r.get("id") or 0)), reverse=True)
    runs = [
        GuardRun(
            f"run #{r.get('run_number')} ({str(r.get('head_sha') or '')[:7]}, {r.get('event')}, "
            f"{_head_repository(r)}:{r.get('head_branch')}, {r.get('created_at')}) concluded {r.get('conclusion')}",
            r.get("conclusion") == "success",
            str(r.get("head_sha") or "").lower() or None,
            tuple(why_github_run_not_counted(r, repo)),
        )
        for r in completed
    ]
    streak = Streak(runs, commit, required)
    where = f"{repo} (workflow {GUARD_WORKFLOW}, {PUSH_EVENT} events to {MAIN_BRANCH})"
    workflow = client.workflow(GUARD_WORKFLOW)
    state = {"state": workflow.data["state"], "url": workflow.url, "updated_at": workflow.data.get("updated_at")}
    if state["state"] != ACTIVE:
        streak.details = _github_details(page, repo, completed, streak, commit_source, {"workflow_state": state})
        return _outcome(Status.FAILED, streak, _inactive_reason(repo, state), "github")
    if (unknown := unbindable(commit, commit_source)) is not None or commit is None:  # None: unknown is set too
        streak.details = _github_details(page, repo, completed, streak, commit_source, {})
        reason = (
            f"{unknown}, so no run in {where} can be bound to it: runs that share no history with this code would count"
        )
        return _outcome(Status.ERROR, streak, reason, "github")
    judged = _judged(streak, completed)
    binder = HistoryBinder(client, commit, checkout)
    bound, unrelated = bind_judged_runs(judged, binder)
    main_head: str | None = None
    on_main: dict[str, dict[str, Any]] = {}
    off_main: list[tuple[GuardRun, Binding]] = []
    if not unrelated:  # runs not of this code fail already
        main_head = str(client.branch_head(MAIN_BRANCH).data)
        # The commit under test is usually main's head: its binder has already compared each run with it.
        to_main = binder if main_head == commit else HistoryBinder(client, main_head, checkout)
        on_main, off_main = on_main_history(judged, to_main)
    # A run not of this code, or of commits main no longer holds, is not read further: its jobs say nothing of it.
    read = {} if unrelated or off_main else _read_judged_runs(streak, judged, client)
    unverified = _unverified(streak, read)
    history = {"bound_to_commit_under_test": bound, "main_head": main_head, "on_main_history": on_main}
    streak.details = _github_details(
        page, repo, completed, streak, commit_source, {**read, **history, "workflow_state": state}
    )
    if unrelated:
        status = Status.FAILED if any(b.related is False for _, b in unrelated) else Status.ERROR
        return _outcome(status, streak, _unrelated_reason(repo, commit, commit_source, unrelated), "github")
    if off_main:
        status = Status.FAILED if any(b.related is not None for _, b in off_main) else Status.ERROR
        return _outcome(status, streak, _off_main_reason(repo, str(main_head), off_main), "github")
    how = f"push to {MAIN_BRANCH} until three completed runs exist"
    verdict = judge_streak(streak, "github", where, how)
    if unverified and verdict.status is not Status.FAILED:
        # Not proven red, and not proven green: what the guard ran there could not be read (an outage's kin).
        reason = (
            f"cannot tell whether the guard's tests could fail {len(unverified)} judged run(s) in {where}: "
            f"{'; '.join(unverified)}; name the folder or value in the workflow, its env: or the script (a matrix "
            "of the run's: name a step of the job by each matrix value the step's if: reads)"
        )
        return _outcome(Status.ERROR, streak, reason, "github")
    return verdict


def _inactive_reason(repo: str, state: dict[str, Any]) -> str:
    """Why a guard workflow GitHub does not run on pushes fails the check, whatever its past runs say."""
    return (
        f"workflow {GUARD_WORKFLOW} of {repo} is {state['state']} (GitHub's state, updated {state['updated_at']}, "
        f"{state['url']}): pushes to {MAIN_BRANCH} run no guard, so its green runs say nothing of the commits "
        "pushed since; enable it and push"
    )


def _unverified(streak: Streak, read: dict[str, Any]) -> list[str]:
    """The judged runs still green whose guard runs a command the reader could not follow (``unfollowed``: make
    after ``cd "$DIR"`` to a value only the run knows...), each with what and where."""
    files = read.get("workflow_files", {})
    found: list[str] = []
    for run in streak.newest:
        number = run.label.split(" (", 1)[0]  # "run #8"
        entries = (files.get(number) or {}).get("unfollowed") or [] if run.green else []
        found += [f"{number}: {entry}" for entry in entries]
    own = streak.own_run()
    if own is not None and own not in streak.newest and own.green:
        number = own.label.split(" (", 1)[0]
        found += [f"{number}: {entry}" for entry in (files.get(number) or {}).get("unfollowed") or []]
    return found


def _github_details(
    page: RunsPage,
    repo: str,
    completed: list[dict[str, Any]],
    streak: Streak,
    commit_source: str,
    read: dict[str, Any],
) -> dict[str, Any]:
    """The GitHub path's evidence: the request, the runs, what was read of the judged ones, the commit under test."""
    commit = streak.commit_under_test
    green = streak.newest_green()
    return {
        "github": {
            "repo": repo,
            "workflow": GUARD_WORKFLOW,
            "branch": MAIN_BRANCH,
            "event": PUSH_EVENT,
            "request": {"url": page.url, "params": page.params},
            "total_count": page.total_count,
            "not_completed_dropped": len(page.runs) - len(completed),
            "distinct_commits_in_newest": len({r.commit for r in streak.newest}),
            "runs": [_run_summary(r) for r in completed],
            **read,
        },
        "commit_under_test": {
            "sha": commit,
            "from": commit_source,
            "newest_green_run": green.label if green else None,
            "newest_green_commit": green.commit if green else None,
            "newest_green_is_commit_under_test": bool(green and commit and green.commit == commit),
            "tested_by": own.label if (own := streak.own_run()) else None,
            "note": _commit_note(streak),
        },
    }


def _read_judged_runs(
    streak: Streak, judged: list[tuple[int, GuardRun, dict[str, Any]]], client: GitHubActions
) -> dict[str, Any]:
    """Turn each judged run that concluded success red when its jobs or attempts say so; what was read, by run."""
    read: dict[str, dict[str, Any]] = {}
    for i, guard_run, raw in judged:
        if not guard_run.green:
            continue
        why, evidence = why_success_is_not_green(client, raw)
        for key, value in evidence.items():
            read.setdefault(key, {})[f"run #{raw.get('run_number')}"] = value
        if why:
            streak.runs[i] = replace(guard_run, green=False, label=f"{guard_run.label}, but {'; '.join(why)}")
    return read


def _commit_note(streak: Streak) -> str:
    """What the runs say about the commit under test, in words."""
    sha = streak.commit_under_test
    green = streak.newest_green()
    if sha is None:
        return (
            "the commit under test is unknown (no GITHUB_SHA and no git HEAD): which commit was tested is not compared"
        )
    if green is not None and green.commit == sha:
        return f"the newest green run tested the commit under test {sha[:12]}"
    own = streak.own_run()
    newest = f"the newest green run tested {str(green.commit)[:12]}" if green else "no counted run is green"
    if own is None:
        return f"the commit under test {sha[:12]} was not tested by any counted run read; {newest}"
    return f"the commit under test {sha[:12]} was tested by {own.label}; {newest}"


def check_github(
    repo: str,
    token: str,
    api_url: str,
    session: requests.Session | None = None,
    commit: tuple[str | None, str] = (None, ""),
    required: int = REQUIRED_RUNS,
    checkout: Path | None = None,
) -> Outcome:
    """Ask GitHub; any API failure is an ``error`` naming the cause (and the rate-limit reset).

    ``checkout``: the git checkout asked first whether a run's commit shares history with the commit under
    test (None: only GitHub is asked)."""
    try:
        client = GitHubActions(repo, token, api_url, session=session)
        page = client.workflow_runs(
            GUARD_WORKFLOW, MAIN_BRANCH, status="completed", per_page=max(RUNS_PER_PAGE, required), event=PUSH_EVENT
        )
        return judge_github_runs(page, repo, client, commit[0], commit[1], required, checkout)
    except GitHubApiError as err:
        details = {"github": {"repo": repo, "api_url": api_url, "error": err.kind, "http_status": err.status}}
        if err.reset_at:
            details["github"]["rate_limit_reset_at"] = err.reset_at
        return _outcome(Status.ERROR, Streak([], commit[0], required, details), str(err), "github")
    except ValueError as err:  # a repository name GitHub cannot have
        return _outcome(Status.ERROR, Streak([], commit[0], required, {"github": {"repo": repo}}), str(err), "github")


# -- the local ledger --------------------------------------------------------------------------------


def judge_ledger(
    ledger: Ledger,
    commit: str | None,
    commit_source: str = "",
    why_not_github: str | None = None,
    required: int = REQUIRED_RUNS,
) -> Outcome:
    """The newest three runs of the guard suite at ``commit`` on a clean tree must all have passed.

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
            e.commit,
            tuple(why_not_counted(e, commit)) if commit else (),
            e.line,
        )
        for e in newest_first
    ]
    details: dict[str, Any] = {
        "ledger": {
            "path": str(ledger.path),
            "exists": ledger.exists,
            "entries": len(ledger.entries),
            "suite": GUARD_SUITE,
            "unreadable_lines": ledger.problem_texts(),
            "newest": [asdict(e) for e in newest_first[:RUNS_PER_PAGE]],
            "forgeable": "every line is plain JSON written on this machine: GitHub's runs are the source of record",
        },
        "commit_under_test": {"sha": commit, "from": commit_source},
    }
    if why_not_github:
        details["github"] = {"used": False, "why": why_not_github}
    streak = Streak(runs, commit, required, details)
    where = f"the guard ledger {ledger.path}"
    how = f"run `make guard` on a clean checkout of {commit[:12] if commit else 'the commit under test'}"
    prefix = f"{why_not_github}; " if why_not_github else ""
    if not ledger.exists:
        reason = f"{prefix}no guard ledger at {ledger.path}: {how} {required} times"
        return _outcome(Status.SKIPPED, streak, reason, "ledger")
    if commit is None:
        unknown = commit_source or "no GITHUB_SHA, no git HEAD"
        reason = f"{prefix}the commit under test is unknown ({unknown}), so no run in {where} can be matched to it"
        return _outcome(Status.ERROR, streak, reason, "ledger")
    counted = streak.newest
    # Lines newer than the oldest counted run; with fewer runs than needed, every bad line.
    oldest_line = counted[-1].line if len(counted) == required else 0
    in_span = ledger.problem_texts(after=oldest_line)
    verdict = judge_streak(streak, "ledger", f"{where} (the guard suite at {commit[:12]} on a clean tree)", how)
    if verdict.status is Status.SKIPPED and why_not_github:
        verdict.reason = f"{why_not_github}; {verdict.reason}"
    if verdict.status is Status.FAILED or not in_span:
        # What the ledger vouches for: the commit under test when it passed, nothing otherwise.
        verdict.details["commit_under_test"]["ledger_vouches_for_it"] = verdict.passed
        return verdict
    return _outcome(
        Status.ERROR,
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
    checkout: Path | None = None,
    required: int = REQUIRED_RUNS,
) -> Outcome:
    """Exit check 3 from GitHub when it can be asked, else from the local guard ledger, for the checkout's commit."""
    root = checkout or project_root()
    commit = commit_under_test(root)
    why_not = github_unavailable_reason(repo, token)
    if why_not is None:
        assert repo and token
        return check_github(repo, token, api_url, session, commit, required, root)
    return judge_ledger(read_ledger(ledger_path), commit[0], commit[1], why_not, required)
