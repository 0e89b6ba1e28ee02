"""Check verdicts from collected facts, and the evidence.json contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakehouse.checks.deploy_time import check_deploy_time, untimed_resources
from lakehouse.evidence import CheckEvidence, not_run, set_aside_previous_run, verdict, write_evidence
from lakehouse.outcome import Outcome
from lakehouse.stack import Stopwatch
from lakehouse.terraform import ApplyResult, ResourceTiming


def _stopwatch(apply_s: float) -> Stopwatch:
    apply = ApplyResult(apply_s, [ResourceTiming('aws_s3_bucket.this["gold"]', "create", apply_s, "complete")])
    phases = {"emulator_start": 0.5, "terraform_init": 1.0, "terraform_apply": apply_s}
    return Stopwatch(phases=phases, apply=apply, wall_s=sum(phases.values()))


def test_deploy_within_threshold_passes() -> None:
    result = check_deploy_time(_stopwatch(20), threshold_s=1800)
    assert result.passed and result.measured == 21.5


def test_deploy_over_threshold_fails_naming_the_slowest_resource() -> None:
    result = check_deploy_time(_stopwatch(20), threshold_s=1)
    assert not result.passed
    assert "21.5 s, over the 1 s threshold" in str(result.reason)
    assert 'aws_s3_bucket.this["gold"]' in str(result.reason)


def test_the_deploy_is_timed_by_its_wall_clock_not_its_phases() -> None:
    """1779 s of named phases inside a 1900 s `make up` (lock, record, outputs, venv): over 30 minutes."""
    watch = _stopwatch(1777.5)
    watch.wall_s = 1900.0
    result = check_deploy_time(watch, threshold_s=1800)
    assert not result.passed and result.measured == 1900.0
    assert "1900.0 s, over the 1800 s threshold" in str(result.reason)
    assert "wall clock" in result.details["measured_as"]
    older = _stopwatch(20)
    older.wall_s = None  # a stopwatch of an older harness: its phases' sum leaves time out, never passed
    result = check_deploy_time(older, threshold_s=1800)
    assert result.status == "skipped" and "no whole-path wall clock" in str(result.reason), result.reason
    assert "lower bound" in result.details["measured_as"]
    assert not check_deploy_time(older, threshold_s=10).passed  # a sum over the threshold is over it


def test_failed_deploy_fails_the_check_with_terraform_error() -> None:
    result = check_deploy_time(_stopwatch(3), 1800, error="terraform apply failed: AccessDenied")
    assert not result.passed and "AccessDenied" in str(result.reason)


def test_missing_stopwatch_fails() -> None:
    result = check_deploy_time(Stopwatch(), 1800)
    assert not result.passed and "no deploy stopwatch" in str(result.reason)


#: Terraform state (``terraform show -json``) holding the gold bucket and the alerts topic.
GOLD_AND_ALERTS_STATE = {
    "values": {
        "root_module": {
            "resources": [
                {"address": 'aws_s3_bucket.this["gold"]', "mode": "managed"},
                {"address": "aws_sns_topic.alerts", "mode": "managed"},
            ]
        }
    }
}


def test_untimed_resources_lists_what_the_stopwatch_missed() -> None:
    state = GOLD_AND_ALERTS_STATE
    assert untimed_resources(_stopwatch(1).apply, state) == ["aws_sns_topic.alerts"]  # type: ignore[arg-type]
    # A model release apply may create only the model serving resources: a topic it created was left out of
    # the deploy's timed apply (tests/unit/test_exit1_attacks.py), so it stays untimed.
    later = ApplyResult(wall_s=3.0, resources=[ResourceTiming("aws_sns_topic.alerts", "create", 1.0, "complete")])
    assert untimed_resources(_stopwatch(1).apply, state, later) == ["aws_sns_topic.alerts"]  # type: ignore[arg-type]


def _rerun(*timings: ResourceTiming) -> Stopwatch:
    """The stopwatch of a second ``make up`` on a stack that is already deployed."""
    apply = ApplyResult(4.0, [ResourceTiming("data.aws_caller_identity.current", "read", 0, "complete"), *timings])
    return Stopwatch(phases={"target_check": 0.5, "terraform_init": 1.0, "terraform_apply": 4.0}, apply=apply)


def test_a_second_make_up_that_creates_nothing_fails_check_1() -> None:
    result = check_deploy_time(_rerun(), 1800)
    assert not result.passed
    assert "created no resource" in str(result.reason) and "already deployed" in str(result.reason)


def test_an_apply_that_updates_an_existing_stack_in_place_fails_check_1_naming_what_it_changed() -> None:
    updates = [ResourceTiming(f'aws_s3_bucket.this["{p}"]', "update", 1.0, "complete") for p in ("bronze", "gold")]
    watch = _rerun(ResourceTiming("aws_sns_topic.alerts", "create", 1.0, "complete"), *updates)
    result = check_deploy_time(watch, 1800)
    assert not result.passed
    assert "not a deploy from scratch" in str(result.reason)
    assert 'aws_s3_bucket.this["gold"] update' in str(result.reason)
    state = GOLD_AND_ALERTS_STATE
    # Updated in place is not created: its creation was never timed.
    assert untimed_resources(watch.apply, state) == ['aws_s3_bucket.this["gold"]']  # type: ignore[arg-type]


def test_a_resource_whose_create_errored_is_not_timed() -> None:
    apply = ApplyResult(2.0, [ResourceTiming("aws_sns_topic.alerts", "create", 1.0, "errored")])
    state = {"values": {"root_module": {"resources": [{"address": "aws_sns_topic.alerts", "mode": "managed"}]}}}
    assert untimed_resources(apply, state) == ["aws_sns_topic.alerts"]


def test_a_failed_check_must_say_why() -> None:
    with pytest.raises(ValueError):
        Outcome.judged(False, 1, 0)


def test_evidence_json_holds_the_contract_fields(tmp_path: Path) -> None:
    entry = CheckEvidence(id="EXIT-1", title="30-min deploy", target="local")
    entry.record(check_deploy_time(_stopwatch(2), 1))
    entry.status = "failed"
    skipped = CheckEvidence(id="EXIT-2", title="Data loop", target="local", status="skipped", reason="not yet")
    path = write_evidence(tmp_path / "evidence.json", {"target": "local"}, [entry, skipped])
    doc = json.loads(path.read_text())
    assert doc["run"]["verdict"] == "failed"
    required = {"id", "title", "status", "measured", "threshold", "target", "started_at", "duration_s", "artifacts"}
    for check in doc["checks"]:
        assert required <= check.keys()
    assert doc["checks"][0]["reason"].startswith("the deploy took")


def test_verdict_is_passed_only_when_every_check_ran_and_passed() -> None:
    skipped = CheckEvidence(id="EXIT-2", title="t", target="local", status="skipped", reason="deselected")
    passed = CheckEvidence(id="EXIT-1", title="t", target="local", status="passed")
    failed = CheckEvidence(id="EXIT-3", title="t", target="local", status="failed", reason="red")
    errored = CheckEvidence(id="EXIT-4", title="t", target="local", status="error", reason="unreadable")
    assert verdict([skipped]) == "incomplete"
    assert verdict([skipped, passed]) == "incomplete"
    assert verdict([passed, passed]) == "passed"
    assert verdict([passed, failed, skipped]) == "failed"
    assert verdict([passed, errored]) == "failed"
    assert verdict([]) == "incomplete"
    assert not_run([skipped, passed]) == [{"id": "EXIT-2", "reason": "deselected"}]


def test_unknown_status_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="status"):
        write_evidence(tmp_path / "e.json", {}, [CheckEvidence(id="X", title="t", target="l", status="ok")])


def test_stopwatch_round_trips_through_json() -> None:
    watch = _stopwatch(7)
    again = Stopwatch.from_dict(json.loads(json.dumps(watch.to_dict())))
    assert again.phases == watch.phases and again.total_s == watch.total_s
    assert again.apply is not None and again.apply.resources == watch.apply.resources  # type: ignore[union-attr]


def test_a_new_run_sets_the_previous_runs_files_aside(tmp_path: Path) -> None:
    old = CheckEvidence(id="EXIT-5", title="t", target="local", status="passed", artifacts=["iac-lh-old.json"])
    write_evidence(tmp_path / "evidence.json", {"stack_ids": ["lh-old"]}, [old])
    for name in ("iac-lh-old.json", "lineage-lh-old.png", "teardown-lh-old.json", "guard-ledger.jsonl", "junit.xml"):
        (tmp_path / name).write_text("x")
    (tmp_path / "kpi-lh-old").mkdir()
    (tmp_path / "kpi-lh-old" / "cost.json").write_text("{}")
    moved = set_aside_previous_run(tmp_path)
    assert "iac-lh-old.json" in moved and "kpi-lh-old" in moved and "evidence.json" in moved
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["guard-ledger.jsonl", "previous"]  # the ledger belongs to no run
    assert (tmp_path / "previous" / "kpi-lh-old" / "cost.json").is_file()
