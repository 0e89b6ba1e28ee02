"""Exit check 3 on the GitHub path, against a local HTTP server that answers like the Actions API.

The server speaks the recorded shape of ``GET /repos/{owner}/{repo}/actions/workflows/{id}/runs``
(reference section 5): runs newest first, ``status`` filtering by status or conclusion,
``total_count``, and GitHub's error bodies and rate-limit headers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakehouse.checks.ci import check_ci_green, check_github
from lakehouse.github import GitHubActions, GitHubApiError
from lakehouse.outcome import Outcome, Status
from tests.fake_github import (
    CHECKOUT_HEAD,
    COMMON_ACTION,
    GUARD_JOBS,
    GUARD_PATH,
    REPO,
    RUNS_PATH,
    TOKEN,
    WORKFLOW_FILES,
    FakeGitHub,
    job,
    run,
    sha,
)
from tests.unit.ci_client import ask

pytestmark = pytest.mark.usefixtures("no_github_sha")


def test_three_newest_completed_successes_pass(github: FakeGitHub) -> None:
    github.runs = [run(7, "success"), run(6, "success"), run(5, "success"), run(4, "failure")]
    outcome = ask(github, sha(7))
    assert outcome.status == "passed", outcome.reason
    assert outcome.measured == {
        "source": "github",
        "consecutive_green_runs": 3,
        "runs_counted": 4,
        "runs_not_counted": 0,
        "commit_under_test": sha(7),
        "newest_green_commit": sha(7),
        "newest_green_is_commit_under_test": True,
        "commit_under_test_tested": True,
    }
    assert "newest green run tested the commit under test" in outcome.details["commit_under_test"]["note"]
    request = github.requests[0]
    assert request["path"] == RUNS_PATH
    assert request["query"] == {"branch": ["main"], "status": ["completed"], "per_page": ["10"], "event": ["push"]}
    assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert request["headers"]["Accept"] == "application/vnd.github+json"
    assert request["headers"]["X-GitHub-Api-Version"] == "2022-11-28"
    runs = outcome.details["github"]["runs"]
    assert [r["run_number"] for r in runs] == [7, 6, 5, 4]
    assert runs[0]["html_url"].endswith("/9000007")


def test_two_successes_and_a_failure_fail_naming_the_red_run(github: FakeGitHub) -> None:
    github.runs = [run(9, "success"), run(8, "failure"), run(7, "success"), run(6, "success"), run(5, "success")]
    outcome = ask(github)
    assert outcome.status == "failed"
    assert "1 of the newest 3 counted guard runs" in str(outcome.reason)
    assert "run #8 (" in str(outcome.reason) and "concluded failure" in str(outcome.reason)
    assert outcome.measured["consecutive_green_runs"] == 1


@pytest.mark.parametrize("conclusion", ["cancelled", "timed_out", "startup_failure", "action_required"])
def test_any_conclusion_but_success_breaks_the_streak(github: FakeGitHub, conclusion: str) -> None:
    github.runs = [run(3, "success"), run(2, conclusion), run(1, "success")]
    outcome = ask(github)
    assert outcome.status == "failed" and f"concluded {conclusion}" in str(outcome.reason)


def test_fewer_than_three_runs_is_skipped_saying_how_many_are_missing(github: FakeGitHub) -> None:
    github.runs = [run(2, "success"), run(1, "success")]
    outcome = ask(github)
    assert outcome.status == "skipped"
    assert "only 2 counted guard run(s)" in str(outcome.reason)
    assert "1 of 3 missing" in str(outcome.reason)
    assert not outcome.passed


def test_no_runs_at_all_is_skipped(github: FakeGitHub) -> None:
    outcome = ask(github)
    assert outcome.status == "skipped" and "only 0 counted guard run(s)" in str(outcome.reason)


def test_a_red_run_among_fewer_than_three_fails(github: FakeGitHub) -> None:
    github.runs = [run(2, "success"), run(1, "failure")]
    assert ask(github).status == "failed"


def test_in_progress_runs_are_filtered_out_by_the_query(github: FakeGitHub) -> None:
    github.runs = [
        run(9, None, status="in_progress"),
        run(8, None, status="queued"),
        run(7, "success"),
        run(6, "success"),
        run(5, "success"),
    ]
    outcome = ask(github)
    assert outcome.status == "passed"
    assert github.requests[0]["query"]["status"] == ["completed"]  # never status=success
    assert outcome.details["github"]["total_count"] == 3


def test_in_progress_runs_are_dropped_even_when_the_server_ignores_the_filter(github: FakeGitHub) -> None:
    github.honour_status_filter = False
    github.runs = [run(9, None, status="in_progress"), run(8, "success"), run(7, "success"), run(6, "success")]
    outcome = ask(github)
    assert outcome.status == "passed"
    assert outcome.details["github"]["not_completed_dropped"] == 1


def test_a_status_success_filter_would_have_hidden_the_failure(github: FakeGitHub) -> None:
    """Why the check asks for ``completed``: the same history filtered by ``success`` looks green."""
    github.runs = [run(4, "success"), run(3, "failure"), run(2, "success"), run(1, "success")]
    hidden = GitHubActions(REPO, TOKEN, github.url).workflow_runs("guard.yml", "main", status="success")
    assert [r["conclusion"] for r in hidden.runs[:3]] == ["success"] * 3
    assert ask(github).status == "failed"


def test_runs_of_other_branches_do_not_count(github: FakeGitHub) -> None:
    github.runs = [run(5, "failure", branch="feature"), run(4, "success"), run(3, "success"), run(2, "success")]
    assert ask(github).status == "passed"


# -- a green run must show that the guard ran: every job of it concluded success ---------------------------


def jobs_path(number: int) -> str:
    return f"/repos/{REPO}/actions/runs/{9_000_000 + number}/jobs"


def with_jobs(github: FakeGitHub, number: int, *conclusions: str | None) -> None:
    """Give run ``number`` (already in ``github.runs``) the guard's jobs with these conclusions."""
    found = next(r for r in github.runs if r["run_number"] == number)
    named = zip(GUARD_JOBS, conclusions, strict=True)
    github.jobs[found["id"]] = [job(found, name, c, i) for i, (name, c) in enumerate(named)]


def test_the_jobs_of_each_judged_green_run_are_read_and_kept_as_evidence(github: FakeGitHub) -> None:
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success"), run(6, "success"), run(5, "failure")]
    outcome = ask(github, sha(9))
    assert outcome.status is Status.PASSED, outcome.reason
    read = [r for r in github.requests if r["path"].endswith("/jobs")]
    assert [r["path"] for r in read] == [jobs_path(9), jobs_path(8), jobs_path(7)]  # only the judged runs
    assert read[0]["query"] == {"filter": ["latest"], "per_page": ["100"], "page": ["1"]}
    assert read[0]["headers"]["Authorization"] == f"Bearer {TOKEN}"
    jobs = outcome.details["github"]["jobs"]
    assert list(jobs) == ["run #9", "run #8", "run #7"]
    assert jobs["run #9"] == [{"name": name, "status": "completed", "conclusion": "success"} for name in GUARD_JOBS]


@pytest.mark.parametrize("conclusion", ["skipped", "failure", "cancelled", "neutral", "action_required", None])
def test_a_run_that_concluded_success_with_a_job_not_successful_is_red(
    github: FakeGitHub, conclusion: str | None
) -> None:
    """``if: false`` skips a job and ``continue-on-error: true`` lets one fail, and the run still concludes success."""
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    with_jobs(github, 8, "success", conclusion)
    outcome = ask(github, sha(9))
    _not_passing_naming(outcome, "1 of the newest 3 counted guard runs", "run #8 (", f"job {GUARD_JOBS[1]!r}")
    assert outcome.status is Status.FAILED
    assert f"concluded {conclusion}" in str(outcome.reason)
    assert outcome.measured["consecutive_green_runs"] == 1


def test_a_run_whose_every_job_was_skipped_is_red(github: FakeGitHub) -> None:
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    for number in (9, 8, 7):
        with_jobs(github, number, "skipped", "skipped")
    outcome = ask(github)
    assert outcome.status is Status.FAILED
    assert "3 of the newest 3" in str(outcome.reason) and f"job {GUARD_JOBS[0]!r} concluded skipped" in str(
        outcome.reason
    )


def test_a_run_without_any_job_is_red(github: FakeGitHub) -> None:
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    github.jobs[9_000_007] = []
    outcome = ask(github)
    _not_passing_naming(outcome, "run #7 (", "no job")
    assert outcome.status is Status.FAILED


def test_jobs_on_a_second_page_are_read(github: FakeGitHub) -> None:
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    found = github.runs[0]
    github.jobs[found["id"]] = [job(found, f"shard {i}", "success", i) for i in range(100)]
    github.jobs[found["id"]].append(job(found, "shard 100", "skipped", 100))
    outcome = ask(github)
    _not_passing_naming(outcome, "run #9 (", "job 'shard 100' concluded skipped")
    pages = [r["query"]["page"] for r in github.requests if r["path"] == jobs_path(9)]
    assert pages == [["1"], ["2"]]


def test_the_commit_under_tests_own_green_run_must_have_green_jobs(github: FakeGitHub) -> None:
    head = "e" * 40
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success"), run(6, "success", head_sha=head)]
    with_jobs(github, 6, "skipped", "skipped")
    outcome = ask(github, head)
    _not_passing_naming(outcome, f"the commit under test {head[:12]} was tested by run #6 (", "concluded skipped")
    assert outcome.status is Status.FAILED


def test_red_runs_and_runs_not_judged_are_not_asked_for_their_jobs(github: FakeGitHub) -> None:
    github.runs = [run(9, "success"), run(8, "failure"), run(7, "success"), run(6, "success")]
    github.runs.insert(0, run(10, "success", event="workflow_dispatch"))
    github.honour_event_filter = False
    assert ask(github).status is Status.FAILED
    assert [r["path"] for r in github.requests if r["path"].endswith("/jobs")] == [jobs_path(9), jobs_path(7)]


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ((500, {}, "<html>unicorn</html>"), "GitHub answered 500"),
        ((403, {}, json.dumps({"message": "Resource not accessible by integration"})), "actions: read"),
        ((404, {}, json.dumps({"message": "Not Found"})), "404"),
        ((200, {}, json.dumps({"total_count": 2})), "no jobs list"),
        ((200, {}, json.dumps({"total_count": 1, "jobs": ["lint"]})), "no jobs list"),
    ],
)
def test_jobs_that_cannot_be_read_are_an_error_never_green(
    github: FakeGitHub, answer: tuple[int, dict[str, str], str], said: str
) -> None:
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    github.overrides[jobs_path(8)] = answer
    outcome = ask(github)
    assert outcome.status is Status.ERROR, outcome.reason
    assert said in str(outcome.reason) and "jobs of run 9000008" in str(outcome.reason)


# -- a run re-run to green is green only if every attempt of it was ------------------------------------------


def attempt_path(number: int, attempt: int) -> str:
    return f"/repos/{REPO}/actions/runs/{9_000_000 + number}/attempts/{attempt}"


def attempts_read(github: FakeGitHub) -> list[str]:
    return [r["path"] for r in github.requests if "/attempts/" in r["path"]]


@pytest.mark.parametrize("conclusion", ["failure", "cancelled", "timed_out", "startup_failure"])
def test_a_run_re_run_to_green_after_a_red_attempt_is_red(github: FakeGitHub, conclusion: str) -> None:
    """The run list shows the latest attempt: a flaky guard re-run until it passed is not three greens."""
    github.runs = [run(9, "success"), run(8, "success", run_attempt=2), run(7, "success")]
    github.attempts[9_000_008] = {1: conclusion}
    outcome = ask(github, sha(9))
    _not_passing_naming(
        outcome, "1 of the newest 3 counted guard runs", "run #8 (", f"attempt 1 of 2 concluded {conclusion}"
    )
    assert outcome.status is Status.FAILED
    assert outcome.measured["consecutive_green_runs"] == 1
    assert attempts_read(github) == [attempt_path(8, 1)]


def test_every_earlier_attempt_is_read_and_any_red_one_makes_the_run_red(github: FakeGitHub) -> None:
    github.runs = [run(9, "success", run_attempt=3), run(8, "success"), run(7, "success")]
    github.attempts[9_000_009] = {2: "failure"}
    outcome = ask(github)
    _not_passing_naming(outcome, "run #9 (", "attempt 2 of 3 concluded failure")
    assert "attempt 1 of" not in str(outcome.reason)
    assert attempts_read(github) == [attempt_path(9, 1), attempt_path(9, 2)]


def test_a_re_run_whose_every_attempt_succeeded_is_green(github: FakeGitHub) -> None:
    github.runs = [run(9, "success", run_attempt=3), run(8, "success"), run(7, "success")]
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert attempts_read(github) == [attempt_path(9, 1), attempt_path(9, 2)]  # none for a first attempt
    assert outcome.details["github"]["earlier_attempts"] == {
        "run #9": [{"attempt": 1, "conclusion": "success"}, {"attempt": 2, "conclusion": "success"}]
    }


def test_the_commit_under_tests_own_run_re_run_to_green_fails(github: FakeGitHub) -> None:
    head = "f" * 40
    own = run(6, "success", head_sha=head, run_attempt=2)
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success"), own]
    github.attempts[own["id"]] = {1: "failure"}
    outcome = ask(github, head)
    _not_passing_naming(outcome, f"the commit under test {head[:12]} was tested by run #6 (", "attempt 1 of 2")
    assert outcome.status is Status.FAILED


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ((502, {}, "<html>unicorn</html>"), "GitHub answered 502"),
        ((404, {}, json.dumps({"message": "Not Found"})), "404"),
        ((200, {}, json.dumps({"id": 9_000_008, "run_attempt": 1})), "no conclusion"),
        ((200, {}, json.dumps(["success"])), "no conclusion"),
    ],
)
def test_an_attempt_that_cannot_be_read_is_an_error_never_green(
    github: FakeGitHub, answer: tuple[int, dict[str, str], str], said: str
) -> None:
    github.runs = [run(9, "success"), run(8, "success", run_attempt=2), run(7, "success")]
    github.overrides[attempt_path(8, 1)] = answer
    outcome = ask(github)
    assert outcome.status is Status.ERROR, outcome.reason
    assert said in str(outcome.reason) and "attempt 1 of run 9000008" in str(outcome.reason)


# -- a green job may hide a failed guard step: the workflow each judged run ran is read at its commit ---------

TEST_STEP = "      - run: make test\n"
TEST_JOB_NAME = "    name: the harness's tests"


def contents_read(github: FakeGitHub) -> list[tuple[str, str]]:
    """(path, ref) of every file asked for through the contents API."""
    prefix = f"/repos/{REPO}/contents/"
    return [
        (r["path"].removeprefix(prefix), r["query"]["ref"][0]) for r in github.requests if r["path"].startswith(prefix)
    ]


def with_guard(github: FakeGitHub, number: int, old: str, new: str, path: str = GUARD_PATH) -> str:
    """Commit ``sha(number)`` holds the repository's guard files with ``old`` replaced by ``new`` in ``path``."""
    text = WORKFLOW_FILES[path]
    assert old in text, (old, path)
    github.commits[sha(number)] = {**WORKFLOW_FILES, path: text.replace(old, new, 1)}
    return sha(number)


def test_the_repositorys_own_guard_is_read_at_each_judged_runs_commit_and_passes(github: FakeGitHub) -> None:
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success"), run(6, "failure")]
    outcome = ask(github, sha(9))
    assert outcome.status is Status.PASSED, outcome.reason
    # guard runs make lint and make test: make reads GNUmakefile, makefile or Makefile, the first there is, in
    # the folder it runs in (the checkout's root); make test runs scripts/ensure-chromium. The local action is read
    # before any of them: whether a step writes $GITHUB_ENV decides what the steps' variables can be
    asked = [GUARD_PATH, COMMON_ACTION, "GNUmakefile", "makefile", "Makefile", "scripts/ensure-chromium"]
    assert contents_read(github) == [(path, sha(n)) for n in (9, 8, 7) for path in asked]  # not run #6: red
    read = outcome.details["github"]["workflow_files"]
    files = [GUARD_PATH, COMMON_ACTION, "Makefile", "scripts/ensure-chromium"]
    scripts = {  # the composite action runs make venv
        "Makefile": "judged for `make lint` (recipes run in the root); judged for `make test` (recipes run in the "
        "root); judged for `make venv` (recipes run in the root)",
        "scripts/ensure-chromium": "judged as `#!/usr/bin/env bash` of scripts/ensure-chromium",
    }
    tests = read["run #9"].pop("tests")  # the test commands reached: the guard runs its tests
    # the action's steps run under `if: inputs.x == 'true'`: `venv` is left to its default 'true' by both calls, so
    # make venv ran; `chromium` is "false" in the lint job's call and 'true' in the test job's: it ran there (judged
    # and counted, each call judged on its own)
    assert read["run #9"].pop("conditional_steps") == []
    assert read["run #9"] == {"ref": sha(9), "files": files, "scripts": scripts, "problems": [], "unfollowed": []}
    assert any("step 'make test' -> Makefile, line" in t and "/pytest tests/" in t for t in tests), tests
    assert any("step 'make lint' -> Makefile, line" in t and "/ruff check" in t for t in tests), tests


def test_a_guard_step_under_continue_on_error_makes_its_green_run_red(github: FakeGitHub) -> None:
    """The step fails, its job and run conclude success and the jobs API shows the step as success too."""
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    commit = with_guard(github, 8, TEST_STEP, TEST_STEP + "        continue-on-error: true\n")
    outcome = ask(github, sha(9))
    _not_passing_naming(
        outcome,
        "1 of the newest 3 counted guard runs",
        "run #8 (",
        f"{GUARD_PATH} at {commit[:12]}: jobs/test/steps/2/continue-on-error: step 'make test' has "
        "continue-on-error: true: it may fail while its job concludes success",
    )
    assert outcome.status is Status.FAILED
    assert outcome.measured["consecutive_green_runs"] == 1
    assert len(outcome.details["github"]["workflow_files"]["run #8"]["problems"]) == 1


def test_a_guard_step_skipped_by_its_if_makes_its_green_run_red(github: FakeGitHub) -> None:
    """``if: false`` on ``make test``: the step is skipped, its job and run conclude success."""
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    found = github.runs[1]
    jobs = [job(found, name, "success", i) for i, name in enumerate(GUARD_JOBS)]
    for step in jobs[1]["steps"]:
        if step["name"] == "Run make test":
            step["conclusion"] = "skipped"
    github.jobs[found["id"]] = jobs
    outcome = ask(github, sha(9))
    _not_passing_naming(
        outcome,
        "run #8 (",
        f"step 'Run make test' of job {GUARD_JOBS[1]!r} concluded skipped: the guard did not run it",
    )
    assert outcome.status is Status.FAILED


def test_a_guard_job_or_step_missing_from_a_green_run_is_red(github: FakeGitHub) -> None:
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    found = github.runs[2]
    jobs = [job(found, GUARD_JOBS[0], "success", 0)]
    jobs[0]["steps"] = [s for s in jobs[0]["steps"] if s["name"] != "Run make lint"]
    github.jobs[found["id"]] = jobs
    outcome = ask(github, sha(9))
    _not_passing_naming(
        outcome,
        f"step 'Run make lint' of job {GUARD_JOBS[0]!r} is not among its steps",
        f"job {GUARD_JOBS[1]!r} of the workflow is not among the run's jobs",
    )


@pytest.mark.parametrize(
    ("old", "new", "culprit"),
    [
        (
            "\t$(BIN)/pytest tests/ -n",
            "\t-$(BIN)/pytest tests/ -n",
            "(target 'test') starts with '-': make ignores its failure",
        ),
        (
            "\t$(MAKE) --no-print-directory policy",
            "\t$(MAKE) --no-print-directory policy || true",
            "(target 'lint') `make --no-print-directory policy || true` succeeds whatever",
        ),
        (
            "\t$(BIN)/python -m lakehouse.policies",
            "\t@-$(BIN)/python -m lakehouse.policies",
            "(target 'policy') starts with '-'",  # reached through lint's $(MAKE) policy
        ),
        ("\nvenv: $(STAMP)", "\n.IGNORE: test\n\nvenv: $(STAMP)", ".IGNORE covers target 'test'"),
    ],
    ids=["dash-prefix", "or-true", "nested-make", "ignore"],
)
def test_a_makefile_recipe_that_ignores_a_failure_makes_its_green_run_red(
    github: FakeGitHub, old: str, new: str, culprit: str
) -> None:
    """The guard runs ``make lint`` and ``make test``: their recipes decide whether a failure fails the job."""
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    commit = with_guard(github, 8, old, new, "Makefile")
    outcome = ask(github, sha(9))
    _not_passing_naming(outcome, "run #8 (", culprit, f"at {commit[:12]}")
    assert outcome.status is Status.FAILED


def test_make_i_in_a_guard_step_makes_its_green_run_red(github: FakeGitHub) -> None:
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    with_guard(github, 8, "      - run: make test\n", "      - run: make -i test\n")
    outcome = ask(github, sha(9))
    _not_passing_naming(
        outcome,
        "run #8 (",
        "jobs/test/steps/2/run: step 'make -i test', line 1 `make -i test` runs `make -i test`: -i "
        "ignores every failure of its recipes",
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [("${{ github.event_name == 'push' }}", "\"${{ github.event_name == 'push' }}\""), ("'false'", "'false'")],
)
def test_a_guard_job_whose_continue_on_error_is_an_expression_or_not_literally_false_is_red(
    github: FakeGitHub, value: str, shown: str
) -> None:
    """An expression may be true when the run happens; a quoted 'false' is a string, not the boolean."""
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    commit = with_guard(github, 9, TEST_JOB_NAME, f"    continue-on-error: {value}\n{TEST_JOB_NAME}")
    outcome = ask(github, sha(9))
    _not_passing_naming(outcome, f"{GUARD_PATH} at {commit[:12]}: jobs/test/continue-on-error: job 'test'", "run #9 (")
    assert outcome.status is Status.FAILED
    problems = outcome.details["github"]["workflow_files"]["run #9"]["problems"]
    assert any("continue-on-error: " in p and "it may fail in a green run" in p for p in problems), problems


def test_continue_on_error_literally_false_and_a_later_fixed_guard_pass(github: FakeGitHub) -> None:
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    with_guard(github, 8, TEST_STEP, TEST_STEP + "        continue-on-error: false\n")
    with_guard(github, 9, TEST_JOB_NAME, f"    continue-on-error: false\n{TEST_JOB_NAME}")
    outcome = ask(github, sha(9))
    assert outcome.status is Status.PASSED, outcome.reason


def test_a_step_of_the_local_composite_action_under_continue_on_error_is_red(github: FakeGitHub) -> None:
    """``uses: ./.github/actions/common`` runs at the same commit: its steps are the guard's too."""
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    step = "    - name: make venv\n"
    commit = with_guard(github, 7, step, step + "      continue-on-error: true\n", COMMON_ACTION)
    outcome = ask(github, sha(9))
    _not_passing_naming(
        outcome, "run #7 (", f"{COMMON_ACTION} at {commit[:12]}: runs/steps/4/continue-on-error: step 'make venv'"
    )
    assert outcome.status is Status.FAILED


@pytest.mark.parametrize("tail", [" || true", " || :", " || exit 0", ' || echo "tests failed"', " || { echo x; }"])
def test_a_guard_command_whose_failure_is_swallowed_is_red(github: FakeGitHub, tail: str) -> None:
    """(``make test; exit 0`` is not among them: GitHub's ``bash -e`` stops at the failing ``make test``.)"""
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    commit = with_guard(github, 9, TEST_STEP, f"      - run: |\n          make lint\n          make test{tail}\n")
    outcome = ask(github, sha(9))
    _not_passing_naming(
        outcome,
        f"{GUARD_PATH} at {commit[:12]}: jobs/test/steps/2/run: step 'make lint', line 2 `make test{tail}` "
        "succeeds whatever its command did",
    )
    assert outcome.status is Status.FAILED


def test_a_guard_pipeline_without_pipefail_is_red_and_with_shell_bash_passes(github: FakeGitHub) -> None:
    """No ``shell:`` is GitHub's ``bash -e {0}``: ``make test | tee`` concludes with tee's status."""
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    commit = with_guard(github, 9, "      - run: make test\n", "      - run: make test | tee test.log\n")
    outcome = ask(github, sha(9))
    _not_passing_naming(
        outcome,
        f"{GUARD_PATH} at {commit[:12]}: jobs/test/steps/2/run: step 'make test | tee test.log', line 1 `make test` "
        "fails unseen: it is piped into `tee test.log` and without pipefail (no `shell:`: GitHub runs `bash -e {0}`)",
    )
    with_guard(github, 9, "      - run: make test\n", "      - run: make test | tee test.log\n        shell: bash\n")
    read = ask(github, sha(9)).details["github"]["workflow_files"]  # (red still: GitHub's step names differ)
    assert read["run #9"]["problems"] == []


def test_a_makefile_recipe_whose_failure_is_lost_to_a_later_command_is_red(github: FakeGitHub) -> None:
    """make runs each recipe line with ``/bin/sh -c``: no -e, so only the line's last command counts."""
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    old = "\t$(BIN)/pytest tests/ -n"
    commit = with_guard(github, 8, old, "\t$(BIN)/pytest tests/ ; echo done\n\t$(BIN)/pytest tests/ -n", "Makefile")
    outcome = ask(github, sha(8))
    _not_passing_naming(
        outcome,
        "(target 'test') `.venv/bin/pytest tests/` fails unseen: `;` follows it and without -e "
        "(make runs `/bin/sh -c`)",
        f"at {commit[:12]}",
    )


ENSURE_CHROMIUM = "scripts/ensure-chromium"


def test_a_script_the_guard_runs_is_read_at_the_runs_commit_and_one_that_swallows_a_failure_is_red(
    github: FakeGitHub,
) -> None:
    """``make test`` runs scripts/ensure-chromium: at run #8's commit its body loses a failure. The checkout's
    copy is healthy: what counts is the script of the commit the run ran."""
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    commit = with_guard(github, 8, "if have_chromium; then exit 0; fi\n", "have_chromium || true\n", ENSURE_CHROMIUM)
    line = WORKFLOW_FILES[ENSURE_CHROMIUM].splitlines().index("if have_chromium; then exit 0; fi") + 1
    outcome = ask(github, sha(9))
    _not_passing_naming(
        outcome,
        "run #8 (",
        f"(target 'test') `scripts/ensure-chromium --optional` runs {ENSURE_CHROMIUM}: {ENSURE_CHROMIUM}:{line} "
        "`have_chromium || true` succeeds whatever its command did",
        f"at {commit[:12]}",
    )
    assert outcome.status is Status.FAILED and outcome.measured["consecutive_green_runs"] == 1
    assert (ENSURE_CHROMIUM, commit) in contents_read(github)


def test_a_script_only_the_runs_commit_holds_is_judged_and_a_missing_one_is_noted(github: FakeGitHub) -> None:
    """Run #8's Makefile runs ./ci/test.sh, which ends ``exit 0`` after pytest without -e; run #7's runs a
    script its commit does not hold (make fails there: nothing is masked, the evidence says so)."""
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    old = "\t$(BIN)/pytest tests/ -n"
    commit = with_guard(github, 8, old, "\t./ci/test.sh\n" + old, "Makefile")
    github.commits[commit]["ci/test.sh"] = "#!/usr/bin/env bash\n$(BIN)/pytest tests/\nexit 0\n"
    with_guard(github, 7, old, "\t./ci/gone.sh\n" + old, "Makefile")
    outcome = ask(github, sha(9))
    _not_passing_naming(
        outcome,
        "1 of the newest 3 counted guard runs",
        "run #8 (",
        "`./ci/test.sh` runs ci/test.sh: ci/test.sh:2 `$(BIN)/pytest tests/` fails unseen: another line follows it "
        "and without -e (`#!/usr/bin/env bash` of ci/test.sh)",
    )
    read = outcome.details["github"]["workflow_files"]
    assert "ci/test.sh" in read["run #8"]["files"]
    assert read["run #7"]["scripts"]["ci/gone.sh"].startswith("not in the tree") and read["run #7"]["problems"] == []


def with_test_step(
    github: FakeGitHub, number: int, run_: str, files: dict[str, str], where: str = "", env: str = ""
) -> str:
    """Commit ``sha(number)``: the guard's ``make test`` step runs ``run_`` instead (in ``where``, its
    ``working-directory``; with ``env``, ``NAME: value`` lines, as its ``env:``), under the name GitHub showed for
    it (a line of ``run_`` after the first is indented as the step's: ``NEXT``); ``files`` added to or replacing
    the tree's. A ``.github/workflows/guard.yml`` in ``files`` is edited:
    its ``jobs:`` line replaced by the value of ``"jobs:"`` there (a workflow-level ``env:``)."""
    folder = f"        working-directory: {where}\n" if where else ""
    variables = "".join(f"          {line}\n" for line in env.splitlines())
    variables = f"        env:\n{variables}" if env else ""
    step = f"      - name: Run make test\n{folder}{variables}        run: |\n          {run_}\n"
    commit = with_guard(github, number, TEST_STEP, step)
    files = dict(files)
    if "jobs:" in files:
        guard = github.commits[commit][GUARD_PATH]
        github.commits[commit][GUARD_PATH] = guard.replace("\njobs:\n", f"\n{files.pop('jobs:')}jobs:\n", 1)
    github.commits[commit].update(files)
    return commit


MAKEFILE = WORKFLOW_FILES["Makefile"]
PYTEST_RECIPE = "\t$(BIN)/pytest tests/ -n"
#: The Makefile whose ``test`` recipe runs pytest under ``-``: make ignores its failure.
DASH_MAKEFILE = MAKEFILE.replace(PYTEST_RECIPE, "\t-$(BIN)/pytest tests/ -n", 1)
DASH_LINE = MAKEFILE.splitlines().index(next(x for x in MAKEFILE.splitlines() if x.startswith(PYTEST_RECIPE))) + 1
SWALLOWS = "#!/usr/bin/env bash\nset -euo pipefail\npytest tests || true\n"
CARRIES = "#!/usr/bin/env bash\nset -euo pipefail\npytest tests\n"
OR_TRUE = "succeeds whatever its command did: its `||` alternative `true` always succeeds"
IGNORED = "starts with '-': make ignores its failure"


@pytest.mark.parametrize(
    ("run_", "files", "where", "culprit"),
    [
        (  # a script the step runs runs make: the recipe is judged from the script's make
            "./ci/run",
            {"ci/run": "#!/usr/bin/env bash\nset -euo pipefail\nmake test\n", "Makefile": DASH_MAKEFILE},
            "",
            f"`./ci/run` runs ci/run: ci/run:3 `make test` runs Makefile: Makefile, line {DASH_LINE} (target 'test') "
            + IGNORED,
        ),
        (  # .ci/run's own shape: cd to the root from the script's folder, then make
            "ci/run",
            {
                "ci/run": '#!/usr/bin/env bash\nset -euo pipefail\ncd "$(dirname "$0")/.."\nmake test\n',
                "Makefile": DASH_MAKEFILE,
            },
            "",
            f"ci/run:4 `make test` runs Makefile: Makefile, line {DASH_LINE} (target 'test') {IGNORED}",
        ),
        (  # the common ROOT="$(cd "$(dirname "$0")/.." && pwd)"; cd "$ROOT"
            "ci/run",
            {
                "ci/run": "#!/usr/bin/env bash\nset -euo pipefail\n"
                'ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"\ncd "$ROOT"\nmake test\n',
                "Makefile": DASH_MAKEFILE,
            },
            "",
            f"ci/run:5 `make test` runs Makefile: Makefile, line {DASH_LINE} (target 'test') {IGNORED}",
        ),
        (  # cd, then a script of that folder: ci/test.sh, not the root's healthy test.sh
            "cd ci && ./test.sh",
            {"ci/test.sh": SWALLOWS, "test.sh": CARRIES},
            "",
            f"`./test.sh` runs ci/test.sh: ci/test.sh:3 `pytest tests || true` {OR_TRUE}",
        ),
        (
            "make -C ci test",
            {"ci/Makefile": "test:\n\t-pytest\n"},
            "",
            f"runs ci/Makefile: ci/Makefile, line 2 (target 'test') {IGNORED}",
        ),
        (  # the step's working-directory: make reads ci/Makefile there, not the root's healthy one
            "make test",
            {"ci/Makefile": "test:\n\t-pytest\n"},
            "ci",
            f"`make test` runs ci/Makefile: ci/Makefile, line 2 (target 'test') {IGNORED}",
        ),
        (  # GNU make reads GNUmakefile before Makefile
            "make test",
            {"GNUmakefile": "test:\n\tpytest tests || true\n"},
            "",
            f"runs GNUmakefile: GNUmakefile, line 2 (target 'test') `pytest tests || true` {OR_TRUE}",
        ),
        (  # -f, no target: the default goal, and its prerequisite
            "make -f ci/tests.mk",
            {"ci/tests.mk": "all: test\ntest:\n\t-pytest\n"},
            "",
            f"runs ci/tests.mk: ci/tests.mk, line 3 (target 'test') {IGNORED}",
        ),
        (
            "make test",
            {"Makefile": "MAKEFLAGS += -i\n" + MAKEFILE},
            "",
            "runs Makefile: Makefile, line 1 sets MAKEFLAGS with -i: make ignores every failure of its recipes",
        ),
        (  # a command-line variable overrides the Makefile's .SHELLFLAGS
            "make -f ci/tests.mk .SHELLFLAGS=-c test",
            {"ci/tests.mk": ".SHELLFLAGS := -ec\ntest:\n\tpytest; echo done\n"},
            "",
            "runs ci/tests.mk: ci/tests.mk, line 3 (target 'test') `pytest` fails unseen: `;` follows it and "
            "without -e (make runs `/bin/sh -c`)",
        ),
        (
            "sudo -E bash -c 'make test || true'",
            {},
            "",
            f"`make test || true` {OR_TRUE} (in the string `bash -c` runs)",
        ),
        ("timeout 3600 ./ci/test.sh", {"ci/test.sh": SWALLOWS}, "", f"ci/test.sh:3 `pytest tests || true` {OR_TRUE}"),
        (
            "/usr/bin/env bash ci/test.sh",
            {"ci/test.sh": SWALLOWS},
            "",
            f"ci/test.sh:3 `pytest tests || true` {OR_TRUE}",
        ),
        (  # its status is read, but what it loses inside never reaches it
            "./ci/test.sh || exit 1",
            {"ci/test.sh": SWALLOWS},
            "",
            f"ci/test.sh:3 `pytest tests || true` {OR_TRUE}",
        ),
        (
            "./ci/test.sh",
            {
                "ci/test.sh": "#!/usr/bin/env bash\nset -euo pipefail\nrun_tests() {\n  pytest tests || true\n}\n"
                "run_tests\n"
            },
            "",
            f"ci/test.sh:4 `pytest tests || true` {OR_TRUE}",
        ),
        (
            "./ci/test.sh unit",
            {
                "ci/test.sh": '#!/bin/sh -e\ncase "$1" in\n  unit) pytest tests/unit || true ;;\n'
                "  *) pytest tests ;;\nesac\n"
            },
            "",
            f"ci/test.sh:3 `pytest tests/unit || true` {OR_TRUE}",
        ),
        (  # the script on standard input: a here-document (its lines counted in the step), or a file
            "bash -e <<'EOF'\n          pytest tests || true\n          EOF",
            {},
            "",
            f"line 2 `pytest tests || true` {OR_TRUE} (in the here-document `bash -e` runs)",
        ),
        ("bash -e < ci/test.sh", {"ci/test.sh": SWALLOWS}, "", f"ci/test.sh:3 `pytest tests || true` {OR_TRUE}"),
        (  # the test rule lives in a file the Makefile includes
            "make test",
            {"Makefile": "include ci/tests.mk\n", "ci/tests.mk": "# the tests\ntest:\n\t-pytest\n"},
            "",
            f"`make test` runs Makefile: ci/tests.mk, line 3 (target 'test') {IGNORED}",
        ),
        (  # the Makefile's -ec, but not for test
            "make test",
            {"Makefile": ".SHELLFLAGS := -ec\ntest: .SHELLFLAGS := -c\ntest:\n\tpytest tests; echo done\n"},
            "",
            "runs Makefile: Makefile, line 4 (target 'test') `pytest tests` fails unseen: `;` follows it and "
            "without -e (make runs `/bin/sh -c`)",
        ),
        (
            "./ci/test.sh",
            {"ci/test.sh": "#!/usr/bin/env bash\nset -euo pipefail\ntrap 'rm -rf .cache; exit 0' EXIT\npytest tests\n"},
            "",
            "ci/test.sh:3 `trap 'rm -rf .cache; exit 0' EXIT` exits 0 on EXIT: the script succeeds whatever failed "
            "before",
        ),
    ],
    ids=[
        "script-runs-make",
        "script-cds-to-root",
        "script-cds-to-a-variable",
        "cd-then-script",
        "make-C",
        "working-directory",
        "GNUmakefile",
        "make-f-default-goal",
        "MAKEFLAGS-i",
        "SHELLFLAGS-override",
        "sudo-bash-c",
        "timeout",
        "usr-bin-env-bash",
        "or-exit",
        "function",
        "case",
        "here-document",
        "stdin-file",
        "include",
        "target-specific-shellflags",
        "trap-exit-0",
    ],
)
def test_a_broken_repository_whose_tests_cannot_fail_the_guard_is_red_naming_the_file_and_line(
    github: FakeGitHub, run_: str, files: dict[str, str], where: str, culprit: str
) -> None:
    """Run #8's guard runs its tests through a script, a wrapper, a folder or a Makefile that loses their failure:
    its green run is red, the reason naming the file and line at the run's commit and why."""
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    commit = with_test_step(github, 8, run_, files, where)
    outcome = ask(github, sha(9))
    _not_passing_naming(
        outcome, "1 of the newest 3 counted guard runs", "run #8 (", f"{GUARD_PATH} at {commit[:12]}: ", culprit
    )
    assert outcome.status is Status.FAILED and "is not among its steps" not in str(outcome.reason)


@pytest.mark.parametrize(
    ("run_", "files", "where"),
    [
        ("cd ci && ./test.sh", {"ci/test.sh": CARRIES, "test.sh": SWALLOWS}, ""),  # the root's test.sh never runs
        ("ci/run", {"ci/run": '#!/usr/bin/env bash\nset -euo pipefail\ncd "$(dirname "$0")/.."\nmake test\n'}, ""),
        ('cd "$GITHUB_WORKSPACE" && timeout 3600 make test', {}, ""),
        ("make test", {"ci/Makefile": "test:\n\tpytest\n", "Makefile": DASH_MAKEFILE}, "ci"),  # not the root's
        ("make -C ci", {"ci/Makefile": "all:\n\tpytest\nlax:\n\t-pytest\n"}, ""),  # lax is not the default goal
        (
            "./ci/test.sh || exit 1",
            {
                "ci/test.sh": "#!/bin/sh -e\nrun_tests() {\n  pytest tests\n  return\n}\n"
                "unused() { x || true; }\nrun_tests\n"
            },
            "",
        ),
        ("make -n test && make test", {"GNUmakefile": "test:\n\tpytest\n", "Makefile": DASH_MAKEFILE}, ""),
        ("bash -euo pipefail <<'EOF'\n          pytest | tee log\n          EOF", {}, ""),
        (  # a trap that cleans up and keeps the status (a bare exit: the last command's before the trap)
            "./ci/test.sh",
            {"ci/test.sh": "#!/bin/sh -e\ncleanup() { rm -rf .cache; }\ntrap cleanup EXIT\ntrap 'exit' INT\npytest\n"},
            "",
        ),
        ("make test", {"Makefile": "-include local.mk\ninclude ci/tests.mk\n", "ci/tests.mk": "test:\n\tpytest\n"}, ""),
    ],
    ids=[
        "cd-then-script",
        "script-cds-to-root",
        "workspace-timeout",
        "working-directory",
        "default-goal",
        "function",
        "gnumakefile",
        "here-document",
        "trap",
        "include",
    ],
)
def test_a_healthy_repository_that_runs_its_tests_that_way_stays_green(
    github: FakeGitHub, run_: str, files: dict[str, str], where: str
) -> None:
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    with_test_step(github, 8, run_, files, where)
    outcome = ask(github, sha(9))
    assert outcome.status is Status.PASSED, outcome.reason


#: The next line of a step's multi-line ``run:`` (as ``with_test_step`` writes it).
NEXT = "\n          "
#: ci/Makefile whose test recipe make ignores the failure of, and a healthy one.
CI_DASH = {"ci/Makefile": "test:\n\t-pytest\n"}
CI_HEALTHY = {"ci/Makefile": "test:\n\tpytest\n", "Makefile": DASH_MAKEFILE}  # the root's is the broken one
CI_IGNORED = f"runs ci/Makefile: ci/Makefile, line 2 (target 'test') {IGNORED}"
ROOT_IGNORED = f"runs Makefile: Makefile, line {DASH_LINE} (target 'test') {IGNORED}"
MAKEFLAGS_I = "with MAKEFLAGS=-i in its environment: -i ignores every failure of its recipes"
WORKFLOW_ENV = {"jobs:": "env:\n  MAKEFLAGS: -i\n"}


@pytest.mark.parametrize(
    ("run_", "files", "env", "culprit"),
    [
        # make in a folder a variable names: the script's own assignment, a default, the step's env:
        ('DIR=ci; cd "$DIR" && make test', CI_DASH, "", f"`make test` {CI_IGNORED}"),
        ('cd "${CI_DIR:-ci}" && make test', CI_DASH, "", f"`make test` {CI_IGNORED}"),
        ('cd "$CI_DIR" && make test', CI_DASH, "CI_DIR: ci", f"`make test` {CI_IGNORED}"),
        (  # each folder a for loop names: the second one's Makefile ignores the failure
            'for d in e2e ci; do (cd "$d" && make test); done',
            {**CI_DASH, "e2e/Makefile": "test:\n\tpytest\n"},
            "",
            f"`make test` {CI_IGNORED}",
        ),
        (  # a script the step runs inherits the step's env:
            "./ci/run",
            {**CI_DASH, "ci/run": '#!/bin/sh -e\ncd "$TESTS"\nmake test\n'},
            "TESTS: ci",
            f"ci/run:3 `make test` {CI_IGNORED}",
        ),
        # make inside a command substitution: followed; its status kept only by a bare assignment
        ("out=$(make test)", {"Makefile": DASH_MAKEFILE}, "", f"{ROOT_IGNORED} (in the command substitution"),
        (
            'echo "$(make test)"',
            {},
            "",
            "`make test` fails unseen: it runs in a command substitution, and `echo`'s status is the command's",
        ),
        (
            'export OUT="$(make test)"',
            {},
            "",
            "`make test` fails unseen: it runs in a command substitution, and `export`'s status is the command's",
        ),
        ('x="$(make test || true)"', {}, "", f"`make test || true` {OR_TRUE} (in the command substitution"),
        # wrappers and spellings that move make to another folder
        ("env -C ci make test", CI_DASH, "", CI_IGNORED),
        ("env --chdir=ci make test", CI_DASH, "", CI_IGNORED),
        ("make --directory=ci test", CI_DASH, "", CI_IGNORED),
        ("make -Cci test", CI_DASH, "", CI_IGNORED),
        # -i reaching make through its environment or its command line
        ("MAKEFLAGS=-i make test", {}, "", f"`make test` {MAKEFLAGS_I}"),
        ("env MAKEFLAGS=-i make test", {}, "", f"`make test` {MAKEFLAGS_I}"),
        ("GNUMAKEFLAGS=i make test", {}, "", "with GNUMAKEFLAGS=i in its environment"),
        (f"export MAKEFLAGS=-i{NEXT}make test", {}, "", f"line 2 `make test` runs `make test` {MAKEFLAGS_I}"),
        ("make test", {}, "MAKEFLAGS: -i", f"`make test` runs `make test` {MAKEFLAGS_I}"),
        ("make test", WORKFLOW_ENV, "", f"`make test` runs `make test` {MAKEFLAGS_I}"),
        (
            "./ci/run",
            {"ci/run": "#!/bin/sh -e\nmake test\n", **WORKFLOW_ENV},
            "",
            f"ci/run:2 `make test` runs `make test` {MAKEFLAGS_I}",
        ),
        ("make -i test", {}, "", "runs `make -i test`: -i ignores every failure of its recipes"),
        ("make --ignore-errors test", {}, "", "runs `make --ignore-errors test`: -i ignores every failure"),
    ],
    ids=[
        "cd-variable",
        "cd-default",
        "cd-step-env",
        "for-loop",
        "script-cd-step-env",
        "assigned-substitution",
        "echo-substitution",
        "export-substitution",
        "or-true-in-substitution",
        "env-C",
        "env-chdir",
        "make-directory",
        "make-Cdir",
        "MAKEFLAGS-prefix",
        "env-MAKEFLAGS",
        "GNUMAKEFLAGS",
        "export-MAKEFLAGS",
        "step-env-MAKEFLAGS",
        "workflow-env-MAKEFLAGS",
        "workflow-env-reaches-script",
        "make-i",
        "make-ignore-errors",
    ],
)
def test_make_reached_through_a_variable_a_substitution_a_wrapper_or_makeflags_is_followed_and_red(
    github: FakeGitHub, run_: str, files: dict[str, str], env: str, culprit: str
) -> None:
    """Run #8's guard runs make where a variable, ``env -C`` or ``--directory`` says, inside ``$(...)``, or with
    ``-i`` in MAKEFLAGS (the command line, ``export``, the workflow's or step's ``env:``): its green run is red,
    the reason naming the workflow at the run's commit, the step, the file and line, and why."""
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    commit = with_test_step(github, 8, run_, files, env=env)
    outcome = ask(github, sha(9))
    _not_passing_naming(
        outcome,
        "1 of the newest 3 counted guard runs",
        "run #8 (",
        f"{GUARD_PATH} at {commit[:12]}: jobs/test/steps/2/run: step 'Run make test', line ",
        culprit,
    )
    assert outcome.status is Status.FAILED and "is not among its steps" not in str(outcome.reason)
    assert outcome.details["github"]["workflow_files"]["run #8"]["unfollowed"] == []


@pytest.mark.parametrize(
    ("run_", "files", "env"),
    [
        ('DIR=ci; cd "$DIR" && make test', CI_HEALTHY, ""),  # ci/Makefile, not the root's broken one
        ('cd "${CI_DIR:-ci}" && make test', CI_HEALTHY, ""),
        ('cd "$CI_DIR" && make test', CI_HEALTHY, "CI_DIR: ci"),
        ('for d in e2e ci; do make -C "$d" test; done', {**CI_HEALTHY, "e2e/Makefile": "test:\n\tpytest\n"}, ""),
        ("./ci/run", {**CI_HEALTHY, "ci/run": '#!/bin/sh -e\ncd "$TESTS"\nmake test\n'}, "TESTS: ci"),
        ("out=$(make test)", {}, ""),  # -e stops on the assignment's status, the substitution's
        (f'echo "version $(git describe --tags || echo dev)"{NEXT}make test', {}, ""),  # a value: not judged
        ("env -C ci make test", CI_HEALTHY, ""),
        ("make --directory=ci test", CI_HEALTHY, ""),
        ("env MAKEFLAGS=-k make test", {}, ""),  # -k goes on with other targets, and make still fails
        ('MAKEFLAGS="--no-print-directory -j2" make test', {}, ""),
        (f'export MAKEFLAGS="-j$(nproc)"{NEXT}make test', {}, ""),  # a computed argument: still no -i
        ("make test", {"jobs:": "env:\n  MAKEFLAGS: -j2\n"}, ""),
    ],
    ids=[
        "cd-variable",
        "cd-default",
        "cd-step-env",
        "for-loop",
        "script-cd-step-env",
        "assigned-substitution",
        "value-substitution",
        "env-C",
        "make-directory",
        "MAKEFLAGS-k",
        "MAKEFLAGS-j",
        "MAKEFLAGS-j-computed",
        "workflow-env-MAKEFLAGS-j",
    ],
)
def test_a_healthy_repository_reaching_make_that_way_stays_green(
    github: FakeGitHub, run_: str, files: dict[str, str], env: str
) -> None:
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    with_test_step(github, 8, run_, files, env=env)
    outcome = ask(github, sha(9))
    assert outcome.status is Status.PASSED, outcome.reason


@pytest.mark.parametrize(
    ("run_", "files", "env", "what"),
    [
        ('cd "$TESTS_DIR" && make test', CI_DASH, "", "`make test` runs in `$TESTS_DIR`, a folder only the run knows"),
        (
            'cd "$TESTS_DIR" && make test',
            CI_HEALTHY,
            "TESTS_DIR: ${{ inputs.dir }}",
            "`make test` runs in `$TESTS_DIR`, a folder only the run knows",
        ),
        (  # an earlier step may have set CI_DIR through $GITHUB_ENV: its default is not what runs
            'cat ci/env >> "$GITHUB_ENV"' + NEXT + 'cd "${CI_DIR:-ci}" && make test',
            {**CI_HEALTHY, "lax/Makefile": "test:\n\t-pytest\n", "ci/env": "CI_DIR=lax\n"},
            "",
            "`make test` runs in `${CI_DIR:-ci}`, a folder only the run knows",
        ),
        ("./ci/run", {"ci/run": '#!/bin/sh -e\ncd "$1"\n./test.sh\n'}, "", "`./test.sh` runs after `cd $1`"),
        ("make test", {}, "MAKEFLAGS: ${{ inputs.flags }}", "`make test` runs with MAKEFLAGS set to a value only"),
        ('MAKEFLAGS="-j2 $EXTRA" make test', {}, "", "`make test` runs with MAKEFLAGS set to a value only"),
    ],
    ids=["unset-variable", "expression", "github-env", "script-argument", "makeflags-expression", "makeflags-word"],
)
def test_make_or_a_script_run_where_only_the_run_knows_is_an_error_never_green(
    github: FakeGitHub, run_: str, files: dict[str, str], env: str, what: str
) -> None:
    _only_the_run_knows(github, run_, files, env, what)


def test_make_in_a_working_directory_an_expression_names_is_an_error_never_green(github: FakeGitHub) -> None:
    _only_the_run_knows(
        github, "make test", CI_DASH, "", "`make test` runs in `${{ inputs.dir }}`", "${{ inputs.dir }}"
    )


def _only_the_run_knows(
    github: FakeGitHub, run_: str, files: dict[str, str], env: str, what: str, where: str = ""
) -> None:
    """A folder or MAKEFLAGS known only at run time: the reader cannot tell what the guard's make or script loses.
    Not proven red (the run may be healthy), not green: ``error``, as for a file GitHub cannot serve, naming
    the run, the step, the command and why."""
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    commit = with_test_step(github, 8, run_, files, where, env=env)
    outcome = ask(github, sha(9))
    assert outcome.status is Status.ERROR, outcome.reason
    _not_passing_naming(
        outcome,
        "cannot tell whether the guard's tests could fail 1 judged run(s)",
        f"run #8: {GUARD_PATH}: jobs/test/steps/2/run: step 'Run make test'",
        what,
        f"(at {commit[:12]})",
    )
    assert outcome.details["github"]["workflow_files"]["run #8"]["problems"] == []


@pytest.mark.parametrize(
    ("written", "culprit"),
    [
        ('echo "MAKEFLAGS=-i" >> "$GITHUB_ENV"', f"`make test` runs `make test` {MAKEFLAGS_I}"),
        ("echo CI_DIR=ci >> $GITHUB_ENV", "`make test` runs ci/Makefile"),
    ],
    ids=["makeflags", "folder"],
)
def test_a_variable_an_earlier_step_writes_to_github_env_reaches_the_later_steps(
    github: FakeGitHub, written: str, culprit: str
) -> None:
    """GitHub gives the job's later steps what a step writes to $GITHUB_ENV (not the writing step itself)."""
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    steps = (
        f"      - name: Run make test\n        run: {written}\n"
        '      - name: Run make test\n        run: cd "${CI_DIR:-.}" && make test\n'
    )
    commit = with_guard(github, 8, TEST_STEP, steps)
    github.commits[commit].update(CI_DASH)
    github.commits[commit]["Makefile"] = github.commits[commit]["Makefile"].replace(PYTEST_RECIPE, "\t-pytest", 1)
    outcome = ask(github, sha(9))
    assert outcome.status is Status.FAILED, outcome.reason
    _not_passing_naming(outcome, "run #8 (", f"{GUARD_PATH} at {commit[:12]}: jobs/test/steps/3/run", culprit)
    assert "jobs/test/steps/2/run" not in str(outcome.reason)  # the writing step itself: not yet


def test_a_red_run_wins_over_a_run_the_reader_cannot_follow(github: FakeGitHub) -> None:
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    with_test_step(github, 8, 'cd "$TESTS_DIR" && make test', CI_DASH)
    with_test_step(github, 7, "make -i test", {})
    outcome = ask(github, sha(9))
    assert outcome.status is Status.FAILED, outcome.reason
    assert "run #7 (" in str(outcome.reason) and "-i ignores every failure" in str(outcome.reason)


def test_a_script_github_cannot_serve_is_an_error_never_green(github: FakeGitHub) -> None:
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    github.overrides[f"/repos/{REPO}/contents/{ENSURE_CHROMIUM}"] = (502, {}, "<html>unicorn</html>")
    outcome = ask(github)
    assert outcome.status is Status.ERROR, outcome.reason
    assert "GitHub answered 502" in str(outcome.reason) and ENSURE_CHROMIUM in str(outcome.reason)


def test_the_ref_github_may_append_to_a_runs_path_is_not_part_of_the_file(github: FakeGitHub) -> None:
    """GitHub's docs show ``path`` as ``.github/workflows/build.yml@main``; the file is read at the run's commit."""
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    github.runs[0]["path"] = f"{GUARD_PATH}@refs/heads/main"
    assert ask(github).status is Status.PASSED
    assert (GUARD_PATH, sha(9)) in contents_read(github)


@pytest.mark.parametrize(
    ("where", "answer", "said"),
    [
        (GUARD_PATH, (404, {}, json.dumps({"message": "Not Found"})), "GitHub has no .github/workflows/guard.yml at"),
        (GUARD_PATH, (403, {}, json.dumps({"message": "Resource not accessible"})), "contents: read"),
        (GUARD_PATH, (502, {}, "<html>unicorn</html>"), "GitHub answered 502"),
        (GUARD_PATH, (200, {}, json.dumps({"type": "dir"})), "is not a base64 file"),
        (
            COMMON_ACTION,
            (404, {}, json.dumps({"message": "Not Found"})),
            "action.yml or .github/actions/common/action.yaml",
        ),
    ],
)
def test_a_workflow_file_that_cannot_be_read_is_an_error_never_green(
    github: FakeGitHub, where: str, answer: tuple[int, dict[str, str], str], said: str
) -> None:
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    for path in {where, ".github/actions/common/action.yaml"}:
        github.overrides[f"/repos/{REPO}/contents/{path}"] = answer
    outcome = ask(github)
    assert outcome.status is Status.ERROR, outcome.reason
    assert said in str(outcome.reason), outcome.reason


def test_a_workflow_file_that_is_not_yaml_or_not_a_workflow_path_is_an_error(github: FakeGitHub) -> None:
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    github.commits[sha(8)] = {**WORKFLOW_FILES, GUARD_PATH: "jobs: [unclosed\n"}
    outcome = ask(github)
    assert outcome.status is Status.ERROR
    assert f"{GUARD_PATH} at {sha(8)[:12]} is not valid YAML" in str(outcome.reason)
    github.commits.clear()
    github.runs[1]["path"] = "dynamic/pages/pages-build-deployment"
    outcome = ask(github)
    assert outcome.status is Status.ERROR and "not a file under .github/workflows" in str(outcome.reason)


# -- which runs count: push events to main of this repository --------------------------------------------

FORK = "mallory/lakehouse-code"


def _not_passing_naming(outcome: Outcome, *culprits: str) -> None:
    assert outcome.status is not Status.PASSED, outcome.measured
    for culprit in culprits:
        assert culprit in str(outcome.reason), outcome.reason


def test_workflow_dispatch_runs_do_not_count(github: FakeGitHub) -> None:
    """Three green runs started by hand (of any ref) are not three green pushes to main."""
    github.honour_event_filter = False  # the check's own filter is under test, not GitHub's
    github.runs = [run(n, "success", event="workflow_dispatch") for n in (9, 8, 7)] + [run(6, "success")]
    outcome = ask(github, sha(9))
    _not_passing_naming(outcome, "only 1 counted guard run(s)", "run #9 (", "event workflow_dispatch")
    assert outcome.status is Status.SKIPPED and outcome.measured["runs_not_counted"] == 3


def test_a_fork_pull_request_from_a_branch_called_main_does_not_count(github: FakeGitHub) -> None:
    github.honour_event_filter = False
    forked = [run(n, "success", event="pull_request", head_repo=FORK) for n in (9, 8)]
    github.runs = [*forked, run(7, "failure"), run(6, "success"), run(5, "success")]
    outcome = ask(github)
    _not_passing_naming(outcome, "run #7 (", "concluded failure")
    assert outcome.status is Status.FAILED
    not_counted = " ".join(outcome.details["not_counted"])
    assert f"its commit came from {FORK}, not {REPO}" in not_counted and "event pull_request" in not_counted
    github.runs = forked + [run(6, "success")]
    _not_passing_naming(ask(github), "event pull_request", f"its commit came from {FORK}")


def test_a_push_whose_commit_came_from_another_repository_does_not_count(github: FakeGitHub) -> None:
    github.runs = [run(n, "success", head_repo="acme/other") for n in (9, 8, 7)]
    _not_passing_naming(ask(github), "its commit came from acme/other, not lakehouse-org/lakehouse-code")
    github.runs = [{**run(n, "success"), "head_repository": None} for n in (9, 8, 7)]
    _not_passing_naming(ask(github), "GitHub did not say which repository its commit came from")


def test_the_repository_name_is_compared_without_case(github: FakeGitHub) -> None:
    github.runs = [run(n, "success", head_repo=REPO.upper()) for n in (9, 8, 7)]
    assert ask(github).status is Status.PASSED


def test_an_old_red_run_of_the_commit_under_test_fails_however_green_the_newer_runs(github: FakeGitHub) -> None:
    """Green runs of newer commits do not vouch for a commit whose own guard run was red."""
    head = "c" * 40
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success"), run(6, "failure", head_sha=head)]
    outcome = ask(github, head)
    _not_passing_naming(outcome, f"the commit under test {head[:12]} was tested by run #6 (", "concluded failure")
    assert outcome.status is Status.FAILED
    assert outcome.measured["newest_green_commit"] == sha(9)
    assert outcome.measured["newest_green_is_commit_under_test"] is False


def test_green_runs_of_an_earlier_commit_pass_and_say_the_commit_under_test_was_not_tested(
    github: FakeGitHub,
) -> None:
    """In CI the guard run of the very commit under test is usually still running: passed, and the evidence says so."""
    head = "d" * 40
    github.runs = [run(9, None, status="in_progress", head_sha=head), run(8, "success"), run(7, "success")]
    github.runs.append(run(6, "success"))
    outcome = ask(github, head)
    assert outcome.status is Status.PASSED
    assert outcome.measured["commit_under_test"] == head
    assert outcome.measured["newest_green_commit"] == sha(8)
    assert outcome.measured["newest_green_is_commit_under_test"] is False
    assert outcome.measured["commit_under_test_tested"] is False
    note = outcome.details["commit_under_test"]["note"]
    assert note.startswith(f"the commit under test {head[:12]} was not tested by any counted run read; ")
    assert note.endswith(f"the newest green run tested {sha(8)[:12]}")


def test_a_green_run_of_the_commit_under_test_behind_newer_runs_is_reported(github: FakeGitHub) -> None:
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    outcome = ask(github, sha(8))
    assert outcome.status is Status.PASSED and outcome.measured["commit_under_test_tested"] is True
    assert "was tested by run #8 (" in outcome.details["commit_under_test"]["note"]


def test_the_commit_under_test_is_github_sha_when_set(
    github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    monkeypatch.setenv("GITHUB_SHA", sha(9))
    outcome = check_ci_green(REPO, TOKEN, github.url, tmp_path / "none.jsonl", checkout=tmp_path)
    assert outcome.measured["commit_under_test"] == sha(9) and outcome.measured["newest_green_is_commit_under_test"]
    assert outcome.details["commit_under_test"]["from"] == "GITHUB_SHA"
    monkeypatch.delenv("GITHUB_SHA")
    outcome = check_ci_green(REPO, TOKEN, github.url, tmp_path / "none.jsonl", checkout=tmp_path)
    assert outcome.status is Status.ERROR and outcome.measured["commit_under_test"] is None  # not a checkout
    assert "the commit under test is unknown" in outcome.details["commit_under_test"]["note"]


def test_the_required_count_comes_from_the_caller(github: FakeGitHub) -> None:
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    outcome = check_github(REPO, TOKEN, github.url, commit=(CHECKOUT_HEAD, "test"), required=4)
    assert outcome.status is Status.SKIPPED and outcome.threshold == 4 and "1 of 4 missing" in str(outcome.reason)


def test_401_is_an_error_that_names_the_token(github: FakeGitHub) -> None:
    github.error = (401, {}, json.dumps({"message": "Bad credentials", "status": "401"}))
    outcome = ask(github)
    assert outcome.status == "error"
    assert "401" in str(outcome.reason) and "GITHUB_TOKEN" in str(outcome.reason)
    assert "Bad credentials" in str(outcome.reason)
    assert outcome.details["github"]["error"] == "auth"


def test_403_rate_limit_is_an_error_with_the_reset_time(github: FakeGitHub) -> None:
    headers = {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1795000000"}
    body = json.dumps({"message": "API rate limit exceeded for 203.0.113.7.", "documentation_url": "https://docs"})
    github.error = (403, headers, body)
    outcome = ask(github)
    assert outcome.status == "error"
    assert "rate limit exceeded (403)" in str(outcome.reason)
    assert "resets at 2026-11-18T11:06:40+00:00" in str(outcome.reason)
    assert outcome.details["github"]["rate_limit_reset_at"] == "2026-11-18T11:06:40+00:00"


def test_403_without_rate_limit_says_which_permission_is_missing(github: FakeGitHub) -> None:
    github.error = (403, {"X-RateLimit-Remaining": "4999"}, json.dumps({"message": "Resource not accessible"}))
    outcome = ask(github)
    assert outcome.status == "error" and "actions: read" in str(outcome.reason)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_an_error_not_a_red_ci(github: FakeGitHub, status: int) -> None:
    github.error = (status, {}, "<html>unicorn</html>")
    outcome = ask(github)
    assert outcome.status == "error"
    assert f"GitHub answered {status}" in str(outcome.reason) and "GitHub-side failure" in str(outcome.reason)


def test_404_names_what_to_check(github: FakeGitHub) -> None:
    outcome = check_github("acme/other", TOKEN, github.url)
    assert outcome.status == "error" and "404" in str(outcome.reason)
    assert "workflow file exists" in str(outcome.reason)


def test_an_answer_without_runs_is_an_error(github: FakeGitHub) -> None:
    github.error = (200, {}, json.dumps({"message": "hello"}))
    outcome = ask(github)
    assert outcome.status == "error" and "no workflow_runs list" in str(outcome.reason)


def test_no_answer_at_all_is_an_error(github: FakeGitHub) -> None:
    url = github.url
    outcome = check_github(REPO, TOKEN, url.replace(url.rsplit(":", 1)[1], "9"))  # discard port: refused
    assert outcome.status == "error" and "no answer from" in str(outcome.reason)


def test_the_token_never_reaches_the_evidence(github: FakeGitHub) -> None:
    github.runs = [run(3, "success"), run(2, "success"), run(1, "success")]
    errors: list[tuple[int, dict[str, str], str] | None] = [None, (401, {}, json.dumps({"message": "Bad credentials"}))]
    for error in errors:
        github.error = error
        outcome = ask(github)
        text = json.dumps(outcome.details) + str(outcome.reason) + json.dumps(outcome.measured)
        assert TOKEN not in text


def test_without_token_or_repo_github_is_not_asked(github: FakeGitHub, tmp_path: Path) -> None:
    for repo, token in ((REPO, None), (None, TOKEN), (None, None)):
        outcome = check_ci_green(repo, token, github.url, tmp_path / "guard-ledger.jsonl")
        assert outcome.status == "skipped"
        assert outcome.details["source"] == "ledger"
        assert str(outcome.reason).startswith("GitHub not asked: ")
    assert github.requests == []


def test_with_token_and_repo_github_is_the_source(github: FakeGitHub, tmp_path: Path) -> None:
    github.runs = [run(3, "success"), run(2, "success"), run(1, "success")]
    outcome = check_ci_green(REPO, TOKEN, github.url, tmp_path / "no-ledger.jsonl")
    assert outcome.status == "passed" and outcome.details["source"] == "github"


def test_repository_names_are_checked_before_any_request() -> None:
    with pytest.raises(ValueError, match="owner/name"):
        GitHubActions("not-a-repo", TOKEN)
    outcome = check_github("../../etc", TOKEN, "http://127.0.0.1:9")
    assert outcome.status == "error" and "owner/name" in str(outcome.reason)


def test_api_errors_carry_their_kind() -> None:
    err = GitHubApiError("server", "boom", 503)
    assert (err.kind, err.status, err.reset_at) == ("server", 503, None)
