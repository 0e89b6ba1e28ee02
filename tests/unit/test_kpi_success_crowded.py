"""KPI pipeline success rate: main's e2e runs pushed off the page by pull requests from forks' ``main``.

e2e.yml's run list is newest first and the ``branch=main`` filter lets in pull requests from a fork whose branch
is called ``main``. The KPI read one page of 20: twenty such pull-request runs, all left out, made main's e2e
history "not measured", and the runs on the stack alone passed the KPI while main's own e2e runs, just past that
page, had failed. The runs on the stack may carry the KPI alone (it measures the data pipeline: DESIGN.md
"pipeline success rate", the feature's "the session's run and N runs on the stack, plus the e2e workflow's
runs"), but only when GitHub holds no run of main, not when others hide them.
"""

from __future__ import annotations

from lakehouse.kpi.success import E2E_PAGES, E2E_RUNS, GitHubPart, RunSample, e2e_history, judge_success
from lakehouse.outcome import Status
from tests.fake_github import (
    CHECKOUT_HEAD,
    MAIN_WITHOUT_GIT,
    REPO,
    TOKEN,
    FakeGitHub,
    e2e_runs,
    github,
    run,
    serve_e2e,
)

__all__ = ["github"]  # the fixture, imported for this module's tests

UNDER_TEST = (CHECKOUT_HEAD or MAIN_WITHOUT_GIT, "git HEAD")


def _green_on_stack() -> list[RunSample]:
    return [RunSample("local", f"run {i}", True, 1.0) for i in range(1, 4)]


def _fork_pull_requests(newest: int, count: int) -> list[dict[str, object]]:
    """``count`` green pull-request runs from a fork's ``main``, numbered down from ``newest``."""
    return [
        run(n, "success", event="pull_request", head_repo="someone/fork") for n in range(newest, newest - count, -1)
    ]


def test_main_runs_behind_a_page_of_fork_pull_requests_still_count(github: FakeGitHub) -> None:
    """Broken: main's three newest e2e runs failed; twenty pull requests from a fork's ``main`` came after them.
    Before, the page read held only the pull requests: "not measured", and the stack's runs passed the KPI."""
    main_failed = [run(n, "failure", event="schedule") for n in (3, 2, 1)]
    github.other_workflows["e2e.yml"] = e2e_runs(*_fork_pull_requests(30, E2E_RUNS), *main_failed)
    part = e2e_history(REPO, TOKEN, github.url, commit=UNDER_TEST)
    assert [s.ok for s in part.samples] == [False, False, False], part
    assert len(part.excluded) == E2E_RUNS and part.request["pages"] == 2
    outcome = judge_success(_green_on_stack(), part, 95.0)
    assert outcome.status is Status.FAILED, outcome.reason
    assert "github e2e 0 %" in str(outcome.reason) and "failure" in str(outcome.reason)


def test_main_runs_behind_fork_pull_requests_that_passed_pass(github: FakeGitHub) -> None:
    """Healthy twin: the same crowd of pull requests, main's own runs green: found on the second page, counted."""
    main_green = e2e_runs(*(run(n, "success", event="schedule") for n in (3, 2, 1)))
    serve_e2e(github, main_green)
    github.other_workflows["e2e.yml"] = [*e2e_runs(*_fork_pull_requests(30, E2E_RUNS)), *main_green]
    part = e2e_history(REPO, TOKEN, github.url, commit=UNDER_TEST)
    outcome = judge_success(_green_on_stack(), part, 95.0)
    assert outcome.status is Status.PASSED, outcome.reason
    assert outcome.details["github_e2e"]["runs"] == 3


def test_a_history_of_pull_requests_only_is_not_measured_and_says_so(github: FakeGitHub) -> None:
    """No run of main at all, only pull requests: that part is not measured (the stack's runs carry the KPI),
    and the evidence says how many runs were left out rather than "no runs"."""
    github.other_workflows["e2e.yml"] = e2e_runs(*_fork_pull_requests(30, 5))
    part = e2e_history(REPO, TOKEN, github.url, commit=UNDER_TEST)
    assert part.not_measured and "5 run(s) listed are not of it" in part.not_measured
    assert judge_success(_green_on_stack(), part, 95.0).status is Status.PASSED


def test_a_list_that_goes_on_past_the_pages_read_with_no_run_of_main_is_an_error(github: FakeGitHub) -> None:
    """Main's runs may lie further back than every page read: no verdict, never "not measured"."""
    crowd = _fork_pull_requests(10_000, E2E_RUNS * E2E_PAGES + 1)
    github.other_workflows["e2e.yml"] = e2e_runs(*crowd, run(1, "failure", event="schedule"))
    part = e2e_history(REPO, TOKEN, github.url, commit=UNDER_TEST)
    outcome = judge_success(_green_on_stack(), part, 95.0)
    assert outcome.status is Status.ERROR, outcome.reason
    assert "may lie further back" in str(outcome.reason)


def test_without_github_the_runs_on_the_stack_carry_the_kpi() -> None:
    """Healthy: no token, the e2e part not measured; the pipeline's runs on the stack are the KPI's runs."""
    outcome = judge_success(_green_on_stack(), GitHubPart(not_measured="no GITHUB_TOKEN"), 95.0)
    assert outcome.status is Status.PASSED
