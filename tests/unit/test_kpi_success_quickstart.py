"""KPI pipeline success rate and quick start: counting runs, GitHub's e2e history, the stopwatch."""

from __future__ import annotations

import pytest

from lakehouse.config import ConfigError
from lakehouse.kpi.quickstart import judge_quickstart
from lakehouse.kpi.settings import kpi_settings
from lakehouse.kpi.success import GitHubPart, RunSample, e2e_history, judge_success, run_pipeline_n
from lakehouse.outcome import Status, Verdict, run_verdict
from lakehouse.pipeline.runner import PipelineResult
from lakehouse.stack import Stopwatch
from tests.fake_github import (  # noqa: F401  (github is a fixture)
    CHECKOUT_HEAD,
    E2E_PATH,
    E2E_TEXT,
    MAIN_WITHOUT_GIT,
    REPO,
    TOKEN,
    WORKFLOW_FILES,
    FakeGitHub,
    e2e_runs,
    github,
    job,
    run,
    serve_e2e,
    sha,
)


def _runs(*oks: bool) -> list[RunSample]:
    return [
        RunSample("local", f"run {i}", ok, 1.0, None if ok else "30_gold.sql:3: TABLE_NOT_FOUND")
        for i, ok in enumerate(oks)
    ]


def test_every_run_is_counted_and_a_crash_is_a_failed_run() -> None:
    outcomes = iter([PipelineResult(), PipelineResult(ok=False, error="20_silver.sql:4: SYNTAX_ERROR"), None])

    def once(_: object) -> PipelineResult:
        result = next(outcomes)
        if result is None:
            raise ConnectionError("emulator went away")
        return result

    samples = run_pipeline_n(once, 3)
    assert [s.ok for s in samples] == [True, False, False]
    assert samples[1].error == "20_silver.sql:4: SYNTAX_ERROR" and "ConnectionError" in str(samples[2].error)


def test_all_runs_green_passes_and_github_not_measured_is_said() -> None:
    outcome = judge_success(_runs(True, True, True), GitHubPart(not_measured="no GITHUB_TOKEN"), 95.0)
    assert outcome.status == "passed" and outcome.measured == 100.0
    assert outcome.details["github_e2e"]["not_measured"] == "no GITHUB_TOKEN"


@pytest.mark.parametrize("runs", [1, 2])
def test_fewer_than_three_runs_never_change_a_key_twice_so_the_kpi_is_not_complete(runs: int) -> None:
    """From run 3 a batch changes again the keys the batch before it changed (``make_batches``): with fewer runs no
    key changes twice, and a pipeline that takes only a key's first change succeeds every time. Before, 1 or 2
    green runs passed the KPI and the evidence did not say the rule went unexercised."""
    outcome = judge_success(_runs(*[True] * runs), GitHubPart(not_measured="no GITHUB_TOKEN"), 95.0)
    assert outcome.status == "skipped" and outcome.measured == 100.0
    assert outcome.reason == (
        "every run succeeded, but the rule that a batch changes again the keys the batch before it changed was not "
        f"exercised: {runs} local run(s), the rule starts at run 3 "
        "(set --kpi-pipeline-runs / LAKEHOUSE_KPI_PIPELINE_RUNS to 3 or more)"
    )
    assert outcome.details["local"]["repeated_change_rule"].startswith(f"not exercised: {runs} local run(s)")
    assert run_verdict([Status(outcome.status)]) is Verdict.INCOMPLETE


def test_three_runs_exercise_the_repeated_change_and_a_red_run_fails_however_few() -> None:
    """Healthy twin: 3 green runs pass, the evidence saying the rule was exercised; a red run fails at any count."""
    outcome = judge_success(_runs(True, True, True), GitHubPart(not_measured="x"), 95.0)
    assert outcome.status == "passed"
    assert outcome.details["local"]["repeated_change_rule"].startswith("exercised: runs 3..3")
    assert judge_success(_runs(False), GitHubPart(not_measured="x"), 95.0).status == "failed"


def test_a_failing_pipeline_run_fails_the_kpi_with_the_first_failure() -> None:
    outcome = judge_success(_runs(True, False, True), GitHubPart(not_measured="x"), 95.0)
    assert outcome.status == "failed" and outcome.measured == pytest.approx(66.67)
    assert "local 66.67 %" in str(outcome.reason) and "TABLE_NOT_FOUND" in str(outcome.reason)


def test_an_unreadable_github_is_an_error_not_a_pass() -> None:
    outcome = judge_success(_runs(True), GitHubPart(error="GitHub answered 503"), 95.0)
    assert outcome.status == "error" and "503" in str(outcome.reason)


def test_without_token_or_repository_github_is_not_measured() -> None:
    part = e2e_history(None, None, "http://127.0.0.1:9")
    assert part.not_measured and "GITHUB_TOKEN" in part.not_measured and not part.samples


#: The commit under test, as the checkout's git says (FakeGitHub's history holds it and every run's commit).
UNDER_TEST = (CHECKOUT_HEAD or MAIN_WITHOUT_GIT, "git HEAD")


def test_the_e2e_history_counts_on_github(github: FakeGitHub) -> None:  # noqa: F811
    serve_e2e(github, e2e_runs(run(5, "success"), run(4, "failure")))
    part = e2e_history(REPO, TOKEN, github.url, commit=UNDER_TEST)
    assert [s.ok for s in part.samples] == [True, False], part
    assert github.requests[0]["path"].endswith("/workflows/e2e.yml/runs")
    assert github.requests[0]["query"]["status"] == ["completed"]
    assert set(part.bound) == {s.label for s in part.samples} and not part.unrelated and not part.unbound
    outcome = judge_success(_runs(True, True), part, 95.0)
    assert outcome.status == "failed" and "github e2e 50 %" in str(outcome.reason)


def test_healthy_e2e_history_of_this_code_passes(github: FakeGitHub) -> None:  # noqa: F811
    """Scheduled and dispatched runs of main, commits in this code's history: counted, bound, green."""
    serve_e2e(github, e2e_runs(run(6, "success", event="schedule"), run(5, "success", event="workflow_dispatch")))
    part = e2e_history(REPO, TOKEN, github.url, commit=UNDER_TEST)
    outcome = judge_success(_runs(True, True, True), part, 95.0)
    assert outcome.status == "passed", outcome.reason
    assert outcome.details["github_e2e"]["runs"] == 2 and outcome.details["github_e2e"]["bound_to_commit_under_test"]


def test_pull_requests_from_a_forks_main_are_not_the_repositorys_e2e_runs(github: FakeGitHub) -> None:  # noqa: F811
    """Broken history: e2e.yml's only green runs are pull requests from forks whose branch is called main
    (the branch filter lets them in); the repository's own main run failed. Counted, 19 of 20 made 95 %."""
    github.other_workflows["e2e.yml"] = e2e_runs(
        *(run(n, "success", event="pull_request", head_repo="someone/fork") for n in range(24, 5, -1)),
        run(4, "failure", event="schedule"),
    )
    part = e2e_history(REPO, TOKEN, github.url, commit=UNDER_TEST)
    assert [s.ok for s in part.samples] == [False]
    assert "event pull_request" in part.excluded["#24 " + sha(24)[:7]]
    assert "someone/fork" in part.excluded["#24 " + sha(24)[:7]]
    outcome = judge_success(_runs(True, True), part, 95.0)
    assert outcome.status == "failed" and "github e2e 0 %" in str(outcome.reason)


def test_e2e_runs_of_another_codes_history_fail_the_kpi(github: FakeGitHub) -> None:  # noqa: F811
    """Broken history: --github-repo names a repository whose green e2e runs tested commits sharing no
    history with the code under test; its rate says nothing of this pipeline."""
    github.other_workflows["e2e.yml"] = e2e_runs(run(5, "success"), run(4, "success"))
    github.unrelated = {sha(5), sha(4)}
    part = e2e_history(REPO, TOKEN, github.url, commit=UNDER_TEST)
    outcome = judge_success(_runs(True, True), part, 95.0)
    assert outcome.status == "failed"
    assert "not of this code" in str(outcome.reason) and sha(5)[:12] in str(outcome.reason)
    assert "No common ancestor" in str(outcome.reason)


def test_e2e_runs_that_cannot_be_bound_are_an_error(github: FakeGitHub) -> None:  # noqa: F811
    github.other_workflows["e2e.yml"] = e2e_runs(run(5, "success"))
    unknown = e2e_history(REPO, TOKEN, github.url, commit=(None, "no GITHUB_SHA, no git HEAD"))
    assert judge_success(_runs(True), unknown, 95.0).status == "error"
    never_pushed = e2e_history(REPO, TOKEN, github.url, commit=("ab" * 20, "GITHUB_SHA"))
    outcome = judge_success(_runs(True), never_pushed, 95.0)
    assert outcome.status == "error" and "cannot tell" in str(outcome.reason)


def test_quick_start_is_the_whole_path_and_can_fail() -> None:
    watch = Stopwatch(phases={"emulator_start": 1.0, "terraform_init": 3.0, "terraform_apply": 60.0}, wall_s=64.5)
    assert judge_quickstart(watch, 1800).status == "failed"  # no apply result recorded: not a complete deploy
    from lakehouse.terraform import ApplyResult, ResourceTiming

    watch.apply = ApplyResult(60.0, [], [], 0)
    empty = judge_quickstart(watch, 1800)  # a second `make up` of a deployed stack: nothing created
    assert empty.status == "failed" and "created no resource" in str(empty.reason)
    watch.apply = ApplyResult(60.0, [ResourceTiming("aws_sns_topic.alerts", "create", 1.0, "complete")], [], 0)
    ok = judge_quickstart(watch, 1800)
    assert ok.status == "passed" and ok.measured == 64.5  # the wall clock, not the phases' 64.0
    slow = judge_quickstart(watch, 10)
    assert slow.status == "failed" and "over the 10 s threshold" in str(slow.reason)
    assert judge_quickstart(Stopwatch(), 1800).status == "skipped"


def test_settings_from_the_environment_and_bad_values() -> None:
    s = kpi_settings({"LAKEHOUSE_KPI_LOAD_USERS": "3", "LAKEHOUSE_KPI_P95_MS": "150"}, pipeline_runs=5)
    assert (s.load_users, s.p95_ms, s.pipeline_runs) == (3, 150.0, 5)
    with pytest.raises(ConfigError, match="LAKEHOUSE_KPI_LOAD_USERS: 'many'"):
        kpi_settings({"LAKEHOUSE_KPI_LOAD_USERS": "many"})
    with pytest.raises(ConfigError, match="SUCCESS_PCT"):
        kpi_settings({"LAKEHOUSE_KPI_SUCCESS_PCT": "120"})


def test_an_e2e_run_concluding_success_that_masked_its_failure_is_not_a_success(github: FakeGitHub) -> None:  # noqa: F811
    """Broken history: e2e.yml's `make smoke` step under `continue-on-error: true` (every run concludes success
    whatever the verification said), and one run whose only job was skipped; the third is green."""
    masked = E2E_TEXT.replace(
        "      - name: make smoke --target aws (deploy, verify, destroy)\n",
        "      - name: make smoke --target aws (deploy, verify, destroy)\n        continue-on-error: true\n",
    )
    assert masked != E2E_TEXT
    runs = e2e_runs(run(7, "success"), run(6, "success"), run(5, "success"))
    serve_e2e(github, runs[2:])  # run 5: healthy
    serve_e2e(github, runs[:1], masked)  # run 7: its verification could fail unseen
    skipped = job(runs[1], "deploy to AWS, verify the exit criteria, destroy", "skipped")
    github.commits[sha(6)] = {**WORKFLOW_FILES, E2E_PATH: E2E_TEXT}
    github.jobs[int(runs[1]["id"])] = [skipped]
    github.other_workflows["e2e.yml"] = runs
    part = e2e_history(REPO, TOKEN, github.url, commit=UNDER_TEST)
    assert [s.ok for s in part.samples] == [False, False, True]
    assert "continue-on-error" in str(part.samples[0].error) and "concluded success, yet" in str(part.samples[0].error)
    assert "concluded skipped" in str(part.samples[1].error)
    outcome = judge_success(_runs(True, True), part, 95.0)
    assert outcome.status == "failed" and "github e2e 33.33 %" in str(outcome.reason)
    assert set(outcome.details["github_e2e"]["read_to_tell_green"]) == {s.label for s in part.samples}


def test_an_e2e_run_whose_guard_runs_make_where_only_the_run_knows_makes_the_kpi_an_error(
    github: FakeGitHub,  # noqa: F811
) -> None:
    """As exit check 3: ``cd "$E2E_DIR" && make smoke`` with E2E_DIR set nowhere the workflow shows could run a
    Makefile whose recipe ignores errors; green by all that was read is no proof, and no evidence of red."""
    unknown = E2E_TEXT.replace(
        '        run: make smoke PYTEST_ARGS="--target aws --region ${E2E_REGION}"\n',
        '        run: cd "$E2E_DIR" && make smoke PYTEST_ARGS="--target aws --region ${E2E_REGION}"\n',
    )
    assert unknown != E2E_TEXT
    runs = e2e_runs(run(7, "success"), run(6, "success"))
    serve_e2e(github, runs[1:])  # run 6: healthy
    serve_e2e(github, runs[:1], unknown)
    github.other_workflows["e2e.yml"] = runs
    part = e2e_history(REPO, TOKEN, github.url, commit=UNDER_TEST)
    assert [s.ok for s in part.samples] == [True, True]
    assert list(part.unfollowed) == [part.samples[0].label]
    outcome = judge_success(_runs(True, True), part, 95.0)
    assert outcome.status == "error" and "cannot tell whether the e2e.yml runs are green" in str(outcome.reason)
    assert "E2E_DIR" in str(outcome.reason) and outcome.details["github_e2e"]["unfollowed"] == part.unfollowed
    red = judge_success(_runs(True, False), part, 95.0)  # a red run still decides
    assert red.status == "failed"


@pytest.mark.parametrize(("raw", "pct"), [(None, 95.0), ("95", 95.0), ("99.5", 99.5), ("100", 100.0), ("50", 50.0)])
def test_a_success_threshold_is_taken_as_set(raw: str | None, pct: float) -> None:
    """The plan's value by default. A lower one is judged as set but never passed, as every threshold a setting
    loosens (``lakehouse.thresholds.at_plan``; tests/unit/test_plan_thresholds.py)."""
    env = {} if raw is None else {"LAKEHOUSE_KPI_SUCCESS_PCT": raw}
    assert kpi_settings(env).success_pct == pct


@pytest.mark.parametrize("bad", ["0", "-5", "100.1"])
def test_a_success_threshold_outside_0_to_100_is_a_config_error(bad: str) -> None:
    with pytest.raises(ConfigError, match=r"LAKEHOUSE_KPI_SUCCESS_PCT: .* must be in \(0, 100\]"):
        kpi_settings({"LAKEHOUSE_KPI_SUCCESS_PCT": bad})


def test_skipped_e2e_runs_are_left_out_and_listed_and_a_cancelled_one_is_a_failure(github: FakeGitHub) -> None:  # noqa: F811
    """GitHub concludes a run ``skipped`` when none of its jobs ran: no run of the e2e, left out of the rate. Before,
    it was dropped without a word in the evidence; now it is listed with its id and conclusion. A cancelled run is
    no success: it counts as a failed run."""
    serve_e2e(github, e2e_runs(run(7, "skipped"), run(6, "success"), run(5, "cancelled")))
    part = e2e_history(REPO, TOKEN, github.url, commit=UNDER_TEST)
    assert [(s.label, s.ok, s.error) for s in part.samples] == [
        ("#6 " + sha(6)[:7], True, None),
        ("#5 " + sha(5)[:7], False, "cancelled"),
    ]
    outcome = judge_success(_runs(True, True, True), part, 95.0)
    assert outcome.status == "failed" and "github e2e 50 %" in str(outcome.reason)
    assert outcome.details["github_e2e"]["skipped"] == {
        "#7 " + sha(7)[:7]: "run id 9000007, concluded skipped: no job of it ran (as when every job's if: is "
        "false): not a run of the e2e"
    }


def test_an_e2e_history_whose_every_run_was_skipped_does_not_pass(github: FakeGitHub) -> None:  # noqa: F811
    """Broken history: e2e.yml's job never runs on main (its if: is false), so every run concludes skipped. Before,
    the runs were dropped, the history said "no completed runs yet" and the local runs alone passed the KPI."""
    serve_e2e(github, e2e_runs(run(7, "skipped"), run(6, "skipped")))
    part = e2e_history(REPO, TOKEN, github.url, commit=UNDER_TEST)
    outcome = judge_success(_runs(True, True, True), part, 95.0)
    assert outcome.status == "failed", outcome.reason
    assert "every run of the e2e.yml workflow on main read concluded skipped" in str(outcome.reason)
    assert "#7 " + sha(7)[:7] in str(outcome.reason) and "run id 9000006, concluded skipped" in str(outcome.reason)
    assert outcome.details["github_e2e"]["not_measured"] is None


def test_a_skipped_run_among_green_ones_passes_and_is_listed(github: FakeGitHub) -> None:  # noqa: F811
    """Healthy twin: a skipped run beside green ones leaves the rate to the runs that ran."""
    serve_e2e(github, e2e_runs(run(7, "success"), run(6, "skipped"), run(5, "success")))
    part = e2e_history(REPO, TOKEN, github.url, commit=UNDER_TEST)
    outcome = judge_success(_runs(True, True, True), part, 95.0)
    assert outcome.status == "passed", outcome.reason
    assert outcome.details["github_e2e"]["runs"] == 2 and list(outcome.details["github_e2e"]["skipped"]) == [
        "#6 " + sha(6)[:7]
    ]


def test_a_run_left_out_as_not_mains_is_listed_with_its_id_and_conclusion(github: FakeGitHub) -> None:  # noqa: F811
    """Every run left out says which run it was and how it concluded, not only why (before: only why)."""
    serve_e2e(github, e2e_runs(run(8, "success", event="pull_request", head_repo="someone/fork"), run(5, "success")))
    part = e2e_history(REPO, TOKEN, github.url, commit=UNDER_TEST)
    assert part.excluded["#8 " + sha(8)[:7]].startswith("run id 9000008, concluded success: event pull_request")
