"""Exit check 1 and KPI-quickstart under attack: a stopwatch that is not this deploy's one clock.

``stopwatch.json`` is a plain file next to the stack: ``pytest --deployed`` reads it back. A file
copied from another stack, or an earlier deploy's, or one whose wall clock is shorter than the
phases it contains (edited, or not the clock those phases ran under), must fail both verdicts,
naming why; its small figure says nothing about how long this ``make up`` took.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import lakehouse.stack as stack_module
from lakehouse.checks.deploy_time import check_deploy_time, untimed_resources
from lakehouse.config import RunOptions
from lakehouse.kpi.quickstart import judge_quickstart
from lakehouse.stack import STOPWATCH_FILE, Deployment, Lifecycle, StackRecord, Stopwatch, stack_dir
from lakehouse.target import Target
from lakehouse.terraform import ApplyResult, ResourceTiming, provider_sources

CREATED = ApplyResult(1500.0, [ResourceTiming("aws_sns_topic.alerts", "create", 1.0, "complete")], [], 0)
PHASES = {"target_check": 20.0, "terraform_init": 180.0, "terraform_apply": 1500.0}  # 1700 s, under 30 min
STACK = "lh-atk01"
RECORDED_AT = "2026-12-06T15:00:00+00:00"
DEPLOY = "3f2a9c0d1e4b4f6a8b7c6d5e4f3a2b1c"  # the record's deploy_id, as Lifecycle.up writes it


def test_exit1_fails_a_wall_clock_shorter_than_the_phases_it_contains() -> None:
    """Broken: 1700 s of phases under a 10 s wall clock (edited); exit check 1 passed it on the 10 s."""
    watch = Stopwatch(dict(PHASES), CREATED, wall_s=10.0, clock_started="the Lifecycle.up call")
    result = check_deploy_time(watch, 1800)
    assert not result.passed, "exit check 1 passed a wall clock shorter than its own phases"
    assert "shorter than the phases it contains (1700 s)" in str(result.reason), result.reason


def test_exit1_passes_a_wall_clock_that_contains_its_phases() -> None:
    """Healthy twin: the wall clock is the phases plus what no phase names."""
    result = check_deploy_time(Stopwatch(dict(PHASES), CREATED, wall_s=1712.5, clock_started="x"), 1800)
    assert result.passed and result.measured == 1712.5


def test_exit1_does_not_pass_a_stopwatch_without_its_wall_clock() -> None:
    """Broken: ``wall_s`` removed from a 35-minute deploy's stopwatch.json; exit check 1 passed the 1700 s sum of
    its phases, which leaves out the lock, the record, the outputs and the venv (KPI-quickstart skipped it)."""
    watch = Stopwatch(dict(PHASES), CREATED, clock_started="the Lifecycle.up call")
    result = check_deploy_time(watch, 1800)
    assert not result.passed, "exit check 1 passed the sum of the named phases as the deploy's time"
    assert result.status == "skipped" and "no whole-path wall clock" in str(result.reason), result.reason
    over = check_deploy_time(watch, 1000)  # the sum is a lower bound: over the threshold is over it
    assert over.status == "failed" and "1700.0 s, over the 1000 s threshold" in str(over.reason), over.reason


def _attached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, saved: dict[str, object]) -> Deployment:
    """``pytest --deployed`` attaching to a deployed aws stack whose folder holds ``saved`` as stopwatch.json."""
    monkeypatch.setattr(stack_module, "aws_target", lambda region, profile: Target(name="aws", region=region))
    options = RunOptions(root=tmp_path, target="aws", stack_id=STACK, deployed=True)
    home = stack_dir(options, STACK)
    home.mkdir(parents=True)
    StackRecord(STACK, "aws", "eu-west-1", "deployed", RECORDED_AT, deploy_id=DEPLOY).save(home / "stack.json")
    (home / STOPWATCH_FILE).write_text(json.dumps(saved), encoding="utf-8")
    life = Lifecycle(options)
    try:
        return life.attach()
    finally:
        life.lock.release()


def _saved(**binding: object) -> dict[str, object]:
    watch = Stopwatch(dict(PHASES), CREATED, wall_s=1712.5, clock_started="the Lifecycle.up call")
    saved = {"stack_id": STACK, "target": "aws", "deploy_id": DEPLOY, "finished_at": "2026-12-06T15:29:00+00:00"}
    return {**watch.to_dict(), **saved, **binding}


@pytest.mark.parametrize(
    ("binding", "named"),
    [
        ({"stack_id": "lh-other9"}, "stack_id 'lh-other9' (the stack record lh-atk01 says 'lh-atk01')"),
        ({"target": "local"}, "target 'local'"),
        ({"deploy_id": "0123456789abcdef0123456789abcdef"}, "another deploy's"),
    ],
    ids=["another-stack", "another-target", "an-earlier-deploy"],
)
def test_a_stopwatch_that_is_not_this_stacks_deploy_fails_both_verdicts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, binding: dict[str, object], named: str
) -> None:
    """Broken: a fast stopwatch.json copied in from another stack (or target, or an earlier deploy)."""
    dep = _attached(tmp_path, monkeypatch, _saved(**binding))
    exit1 = check_deploy_time(dep.stopwatch, 1800, dep.error)
    kpi = judge_quickstart(dep.stopwatch, 1800, dep.error)
    assert not exit1.passed, "exit check 1 passed another deploy's stopwatch"
    assert kpi.status == "failed", f"KPI-quickstart {kpi.status} on another deploy's stopwatch"
    for reason in (exit1.reason, kpi.reason):
        assert "not this stack's deploy" in str(reason) and named in str(reason), reason
        assert STOPWATCH_FILE in str(reason), reason


def test_this_stacks_own_stopwatch_passes_both_verdicts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Healthy twin: the stopwatch `make up` wrote for this stack, after its record was made."""
    dep = _attached(tmp_path, monkeypatch, _saved())
    assert check_deploy_time(dep.stopwatch, 1800).passed
    assert judge_quickstart(dep.stopwatch, 1800).passed


def test_a_stopwatch_whose_apply_failed_fails_both_verdicts_without_a_deploy_error() -> None:
    """Broken: stopwatch.json read back (no deploy error) holds a failed apply: the App Runner service errored.

    Both verdicts looked only at the actions (all ``create``), so a short, failed apply passed as a deploy."""
    failed = ApplyResult(
        600.0,
        [
            ResourceTiming("aws_sns_topic.alerts", "create", 1.0, "complete"),
            ResourceTiming('aws_apprunner_service.this["api"]', "create", 590.0, "errored"),
        ],
        ["creating App Runner Service: CREATE_FAILED"],
        1,
    )
    watch = Stopwatch({"terraform_init": 100.0, "terraform_apply": 600.0}, failed, wall_s=720.0, clock_started="x")
    for result in (check_deploy_time(watch, 1800), judge_quickstart(watch, 1800)):
        assert result.status == "failed", f"{result.status}: a failed apply was judged as a deploy"
        assert "exit code 1" in str(result.reason) and 'aws_apprunner_service.this["api"] create' in str(
            result.reason
        ), result.reason
        assert "CREATE_FAILED" in str(result.reason), result.reason


def _state(*addresses: str) -> dict[str, object]:
    resources = [{"address": a, "mode": "managed", "type": a.split(".")[0]} for a in addresses]
    return {"values": {"root_module": {"resources": resources}}}


def test_kpi_quickstart_fails_a_quick_start_on_a_stack_that_was_mostly_there() -> None:
    """Broken: a failed destroy left the bucket and the Glue job in state; `make up` created only the topic.

    Terraform's apply reports nothing for what it leaves alone, so the apply looks from scratch; the
    KPI judged the stopwatch alone and passed a quick start that deployed one resource of three."""
    state = _state('aws_s3_bucket.this["gold"]', 'aws_glue_job.this["bronze_to_silver"]', "aws_sns_topic.alerts")
    watch = Stopwatch(dict(PHASES), CREATED, wall_s=1712.5, clock_started="the Lifecycle.up call")
    result = judge_quickstart(watch, 1800, None, untimed_resources(CREATED, state))
    assert result.status == "failed", "KPI-quickstart passed a quick start that deployed one resource of three"
    assert "2 resource(s) in its state were not created by a timed apply" in str(result.reason), result.reason
    assert 'aws_s3_bucket.this["gold"]' in str(result.reason), result.reason


def test_kpi_quickstart_passes_a_quick_start_that_created_everything_in_state() -> None:
    """Healthy twin: everything in state was created by the timed apply."""
    watch = Stopwatch(dict(PHASES), CREATED, wall_s=1712.5, clock_started="the Lifecycle.up call")
    assert judge_quickstart(watch, 1800, None, untimed_resources(CREATED, _state("aws_sns_topic.alerts"))).passed


def test_the_stopwatch_lifecycle_up_writes_is_bound_to_its_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Healthy twin through the real writer: ``Lifecycle.up`` (Terraform stood in) then reading it back."""
    monkeypatch.setattr(stack_module, "aws_target", lambda region, profile: Target(name="aws", region="eu-west-1"))
    monkeypatch.setattr(stack_module.Stack, "prepare", lambda self: None)
    monkeypatch.setattr(stack_module.Stack, "apply", lambda self: CREATED)
    monkeypatch.setattr(stack_module.Stack, "outputs", lambda self: {})
    life = Lifecycle(RunOptions(root=tmp_path, target="aws", stack_id=STACK))
    try:
        dep = life.up()
    finally:
        life.lock.release()
    saved = stack_module.read_stopwatch(dep.stack.dir / STOPWATCH_FILE, dep.record)
    assert dep.record.deploy_id and saved.not_this_deploy is None and saved.apply is not None


INIT_WARM = """Initializing provider plugins...
- Reusing previous version of hashicorp/aws from the dependency lock file
- Using hashicorp/aws v5.100.0 from the shared cache directory

Terraform has been successfully initialized!""".splitlines()
INIT_COLD = """Initializing provider plugins...
- Reusing previous version of hashicorp/aws from the dependency lock file
- Installing hashicorp/aws v5.100.0...
- Installed hashicorp/aws v5.100.0 (signed by HashiCorp)""".splitlines()


def test_a_quick_start_on_a_warm_plugin_cache_says_its_time_has_no_provider_download() -> None:
    """The verdict stays on the wall clock (the README's design: the provider is fetched once per machine);
    the evidence says whether that time includes the download a first quick start on a new machine has."""
    warm = Stopwatch(dict(PHASES), CREATED, wall_s=1712.5, providers=provider_sources(INIT_WARM))
    assert warm.providers == {"hashicorp/aws": "the shared plugin cache (no download)"}
    result = judge_quickstart(Stopwatch.from_dict(json.loads(json.dumps(warm.to_dict()))), 1800)
    assert result.passed and result.details["provider_download"].startswith("not included: hashicorp/aws")
    cold = Stopwatch(dict(PHASES), CREATED, wall_s=1712.5, providers=provider_sources(INIT_COLD))
    assert judge_quickstart(cold, 1800).details["provider_download"].startswith("included")
    assert (
        judge_quickstart(Stopwatch(dict(PHASES), CREATED, wall_s=1712.5), 1800)
        .details["provider_download"]
        .startswith("not recorded")
    )
