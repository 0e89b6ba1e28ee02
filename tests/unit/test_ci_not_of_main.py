"""Exit check 3 against repositories whose guard runs look green but say nothing of the code on main.

- a guard workflow GitHub no longer runs (``disabled_manually``, ``deleted``...): its green runs are of before,
  and every commit pushed since ran no guard;
- a main force-pushed past the commits its green runs tested: those commits share a root with main (so they
  share history with the commit under test) but are not on main's history;
- a test step that uses a local action, skipped by an ``if:`` that was false on main: the job concludes success
  and only the step's ``skipped`` in the jobs API shows it.
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.outcome import Status
from tests.fake_github import (
    CHECKOUT_HEAD,
    GUARD_JOBS,
    GUARD_PATH,
    REPO,
    WORKFLOW_FILES,
    FakeGitHub,
    job,
    run,
    sha,
)
from tests.unit.ci_client import ask

pytestmark = pytest.mark.usefixtures("no_github_sha")


def green(*numbers: int) -> list[dict[str, Any]]:
    return [run(n, "success") for n in numbers]


# -- a guard GitHub no longer runs -------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["disabled_manually", "disabled_inactivity", "deleted"])
def test_a_guard_workflow_github_no_longer_runs_fails_however_green_its_last_runs(
    github: FakeGitHub, state: str
) -> None:
    """Three green runs, then the guard disabled: the commits pushed since (the one under test) ran no guard."""
    github.runs = green(9, 8, 7)
    github.workflow_state = state
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    reason = str(outcome.reason)
    assert reason.startswith(f"workflow guard.yml of {REPO} is {state} (GitHub's state, updated 2026-11-20T10:00:00Z")
    assert "pushes to main run no guard" in reason
    assert outcome.details["github"]["workflow_state"]["state"] == state


def test_an_active_guard_workflow_with_three_green_runs_passes(github: FakeGitHub) -> None:
    github.runs = green(9, 8, 7)
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert outcome.details["github"]["workflow_state"]["state"] == "active"
    assert f"/repos/{REPO}/actions/workflows/guard.yml" in [r["path"] for r in github.requests]


# -- runs of commits main was force-pushed past ---------------------------------------------------------------------


def test_green_runs_of_commits_main_was_force_pushed_past_fail(github: FakeGitHub) -> None:
    """main held 7, 8, 9 (green), then was force-pushed to a rewrite: they share its root, not its history."""
    github.runs = green(9, 8, 7)
    github.off_main = {sha(9), sha(8), sha(7)}
    outcome = ask(github)  # the commit under test is main's head
    assert outcome.status is Status.FAILED, outcome.reason
    reason = str(outcome.reason)
    assert reason.startswith(
        f"3 judged guard run(s) of {REPO} tested commits that are not on the history of main "
        f"(its head {str(CHECKOUT_HEAD)[:12]}): run #9 ("
    )
    assert f"tested {sha(8)[:12]} (GitHub's compare: diverged, merge base " in reason
    assert "main was force-pushed past them" in reason
    assert outcome.details["github"]["on_main_history"]["run #8"]["status"] == "diverged"
    # Runs not on main are not read further.
    assert not [r for r in github.requests if r["path"].endswith("/jobs")]


def test_one_run_main_dropped_among_runs_on_main_fails_naming_it_alone(github: FakeGitHub) -> None:
    github.runs = green(9, 8, 7)
    github.off_main = {sha(8)}
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    reason = str(outcome.reason)
    assert reason.startswith(f"1 judged guard run(s) of {REPO} tested commits that are not on the history of main")
    assert "run #8 (" in reason and "run #9 (" not in reason and "run #7 (" not in reason


def test_runs_on_mains_history_pass_for_a_commit_under_test_off_main(github: FakeGitHub) -> None:
    """A feature branch's commit (not on main) is checked against main's runs: they are on main's history."""
    feature = "f" * 40
    github.runs = green(9, 8, 7)
    github.related = {feature}
    outcome = ask(github, feature)
    assert outcome.status is Status.PASSED, outcome.reason
    on_main = outcome.details["github"]["on_main_history"]
    assert {k: v["merge_base"] for k, v in on_main.items()} == {f"run #{n}": sha(n) for n in (9, 8, 7)}
    assert outcome.details["github"]["main_head"] == CHECKOUT_HEAD


def test_runs_on_mains_history_pass_with_no_extra_comparison_when_main_is_the_commit_under_test(
    github: FakeGitHub,
) -> None:
    github.runs = green(9, 8, 7)
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert len([r for r in github.requests if "/compare/" in r["path"]]) == 3  # one per run, shared


# -- a test step using a local action, skipped ------------------------------------------------------------------


TEST_STEP = "      - run: make test\n"
LOCAL_TEST = "      - uses: ./.github/actions/test\n        if: github.ref != 'refs/heads/main'\n"
TEST_ACTION = (
    "name: tests\ndescription: the harness's tests\nruns:\n  using: composite\n  steps:\n"
    "    - shell: bash\n      run: make test\n"
)


def serve_local_test_step(github: FakeGitHub, conclusion: str) -> None:
    """Runs 9, 8, 7 whose guard's test job runs ``make test`` through a local action, shown with ``conclusion``."""
    guard = WORKFLOW_FILES[GUARD_PATH].replace(TEST_STEP, LOCAL_TEST, 1)
    assert guard != WORKFLOW_FILES[GUARD_PATH]
    github.runs = green(9, 8, 7)
    for r in github.runs:
        github.commits[str(r["head_sha"])] = {
            **WORKFLOW_FILES,
            GUARD_PATH: guard,
            ".github/actions/test/action.yml": TEST_ACTION,
        }
        jobs = [job(r, name, "success", i) for i, name in enumerate(GUARD_JOBS)]
        steps = [s for s in jobs[1]["steps"] if s["name"] != "Run make test"]
        shown = {"name": "Run ./.github/actions/test", "status": "completed", "conclusion": conclusion, "number": 9}
        jobs[1]["steps"] = [*steps[:-1], shown, steps[-1]]
        github.jobs[int(r["id"])] = jobs


def test_a_test_step_using_a_local_action_skipped_by_its_if_is_red(github: FakeGitHub) -> None:
    serve_local_test_step(github, "skipped")
    outcome = ask(github, sha(9))
    assert outcome.status is Status.FAILED, outcome.reason
    reason = str(outcome.reason)
    assert reason.startswith("3 of the newest 3 counted guard runs")
    assert (
        f"run #8 (0000000, push, {REPO}:main, 2026-11-08T10:00:00Z) concluded success, but step "
        f"'Run ./.github/actions/test' of job {GUARD_JOBS[1]!r} concluded skipped: the guard did not run it"
    ) in reason


def test_a_test_step_using_a_local_action_that_ran_passes(github: FakeGitHub) -> None:
    serve_local_test_step(github, "success")
    outcome = ask(github, sha(9))
    assert outcome.status is Status.PASSED, outcome.reason
