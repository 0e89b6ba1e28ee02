"""Auto-destroy: ttl and expiry parsing, the judges of recorded and orphan stacks, and the sweep's rules."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock

import pytest

from lakehouse import cli, reap
from lakehouse.config import RunOptions
from lakehouse.lifetime import (
    DEFAULT_TTL,
    DEFAULT_TTL_TEXT,
    Lifetime,
    LifetimeError,
    default_ttl,
    judge,
    parse_expiry,
    parse_ttl,
)
from lakehouse.stack import Stack, StackRecord, list_records, stack_dir
from lakehouse.stacklock import LOCK_FILE
from lakehouse.target import Target, local_target

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)
TTL_SAMPLES = ("12h", "7d", "1h", "36h", "0h", "12", "1.5h", "12m", "h", "-1d", " 12h", "012h", "", "12H")


@pytest.mark.parametrize(("text", "hours"), [("12h", 12), ("1h", 1), ("7d", 168), ("36h", 36)])
def test_ttl_parses_hours_and_days(text: str, hours: int) -> None:
    assert parse_ttl(text) == timedelta(hours=hours)


@pytest.mark.parametrize("text", ["0h", "12", "1.5h", "12m", "h", "-1d", "012h", "", "12H", "99999d"])
def test_a_bad_ttl_is_refused_with_the_grammar(text: str) -> None:
    with pytest.raises(LifetimeError, match="12h or 7d|more than"):
        parse_ttl(text)


def test_ttl_grammar_is_the_roots() -> None:
    """What the harness accepts, infra/variables.tf's validation accepts too (and the other way round)."""
    text = (ROOT / "infra" / "variables.tf").read_text()
    block = text[text.index('variable "ttl"') :]
    pattern = re.search(r'regex\("([^"]+)", var\.ttl\)', block)
    assert pattern is not None
    root = re.compile(pattern.group(1))
    for sample in TTL_SAMPLES:
        try:
            parse_ttl(sample)
            ours = sample == sample.strip()
        except LifetimeError:
            ours = False
        assert ours == bool(root.search(sample)), sample


def test_the_default_is_the_plans_twelve_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAKEHOUSE_TTL", raising=False)
    assert parse_ttl(DEFAULT_TTL_TEXT) == DEFAULT_TTL == timedelta(hours=12)
    assert default_ttl() == "12h"
    monkeypatch.setenv("LAKEHOUSE_TTL", "2d")
    assert default_ttl() == "2d"
    monkeypatch.setenv("LAKEHOUSE_TTL", "2 days")
    with pytest.raises(LifetimeError, match="LAKEHOUSE_TTL"):
        default_ttl()


def test_expiry_is_computed_from_the_ttl_in_rfc3339_utc() -> None:
    life = Lifetime.starting(NOW, "7d")
    assert life.expires_at == "2026-06-08T12:00:00Z"
    assert life.variables() == {"ttl": "7d", "expires_at": "2026-06-08T12:00:00Z"}
    assert parse_expiry(life.expires_at) == NOW + timedelta(days=7)


@pytest.mark.parametrize(
    "text", ["2026-06-01 12:00:00", "2026-06-01T12:00:00+00:00", "tomorrow", "2026-13-01T00:00:00Z"]
)
def test_a_bad_expiry_is_refused(text: str) -> None:
    with pytest.raises(LifetimeError, match="RFC 3339"):
        parse_expiry(text)


def test_judge_expired_live_missing_and_unreadable() -> None:
    assert judge("2026-06-01T10:30:00Z", NOW).expired
    assert "1 h 30 min ago" in judge("2026-06-01T10:30:00Z", NOW).reason
    assert judge("2026-06-01T12:00:00Z", NOW).expired  # at the expiry exactly: due
    live = judge("2026-06-01T17:00:00Z", NOW)
    assert not live.expired and "in 5 h 00 min" in live.reason
    assert not judge(None, NOW).expired and "no expires_at" in judge(None, NOW).reason
    unreadable = judge("soon", NOW)
    assert not unreadable.expired and "'soon'" in unreadable.reason


# -- the stack carries it -------------------------------------------------------------------------------


def _stack(root: Path, stack_id: str = "lh-unit01", lifetime: Lifetime | None = None) -> Stack:
    return Stack(RunOptions(root=root, stack_id=stack_id), local_target("http://127.0.0.1:1"), lifetime)


def test_stack_variables_carry_ttl_and_expires_at(tmp_path: Path) -> None:
    stack = _stack(tmp_path, lifetime=Lifetime.starting(NOW, "1h"))
    assert stack.variables()["ttl"] == "1h"
    assert stack.variables()["expires_at"] == "2026-06-01T13:00:00Z"
    assert stack.variables()["owner"] == "lakehouse-harness/local"


def test_a_recorded_stack_keeps_its_expiry(tmp_path: Path) -> None:
    """Once per stack: every later plan or destroy of it passes the same values (exit check 5 stays empty)."""
    options = RunOptions(root=tmp_path, stack_id="lh-unit02")
    folder = stack_dir(options, "lh-unit02")
    folder.mkdir(parents=True)
    record = StackRecord("lh-unit02", "local", "ap-northeast-1", "deployed", "2026-06-01T12:00:00+00:00")
    record.ttl, record.expires_at = "7d", "2026-06-08T12:00:00Z"
    record.save(folder / "stack.json")
    assert _stack(tmp_path, "lh-unit02").variables()["expires_at"] == "2026-06-08T12:00:00Z"
    assert list_records(options)[0].expires_at == "2026-06-08T12:00:00Z"


# -- orphans ---------------------------------------------------------------------------------------------

ACCOUNT = "123456789012"


def _tags(
    stack_id: str, expires_at: str | None = "2026-06-01T10:00:00Z", owner: str = "lakehouse-harness/aws"
) -> dict[str, str]:
    tags = {"stack_id": stack_id, "project": "lakehouse", "owner": owner, "ttl": "1h"}
    if expires_at:
        tags["expires_at"] = expires_at
    return tags


def _res(arn: str, tags: dict[str, str], region: str = "ap-northeast-1") -> reap.TaggedResource:
    return reap.TaggedResource(arn, region, tags)


@pytest.mark.parametrize(
    ("arn", "kind", "name"),
    [
        ("arn:aws:s3:::lakehouse-lh-a-gold-1", "s3:bucket", "lakehouse-lh-a-gold-1"),
        (f"arn:aws:glue:ap-northeast-1:{ACCOUNT}:database/lakehouse_lh_a_gold", "glue:database", "lakehouse_lh_a_gold"),
        (f"arn:aws:athena:ap-northeast-1:{ACCOUNT}:workgroup/lakehouse-lh-a", "athena:workgroup", "lakehouse-lh-a"),
        (f"arn:aws:sns:us-east-1:{ACCOUNT}:lakehouse-lh-a-alerts", "sns:topic", "lakehouse-lh-a-alerts"),
        (f"arn:aws:sqs:ap-northeast-1:{ACCOUNT}:lakehouse-lh-a-inbox", "sqs:queue", "lakehouse-lh-a-inbox"),
        (
            f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:lakehouse-lh-a-charges",
            "cloudwatch:alarm",
            "lakehouse-lh-a-charges",
        ),
        (f"arn:aws:iam::{ACCOUNT}:role/lakehouse-lh-a-pipeline", "iam:role", "lakehouse-lh-a-pipeline"),
        (
            f"arn:aws:budgets::{ACCOUNT}:budget/lakehouse-lh-a-monthly-cost",
            "budgets:budget",
            "lakehouse-lh-a-monthly-cost",
        ),
        (
            f"arn:aws:sagemaker:ap-northeast-1:{ACCOUNT}:endpoint/lakehouse-lh-a-daily-revenue",
            "sagemaker:endpoint",
            "lakehouse-lh-a-daily-revenue",
        ),
        (
            f"arn:aws:sagemaker:ap-northeast-1:{ACCOUNT}:endpoint-config/lakehouse-lh-a-daily-revenue-v1",
            "sagemaker:endpoint-config",
            "lakehouse-lh-a-daily-revenue-v1",
        ),
        (
            f"arn:aws:sagemaker:ap-northeast-1:{ACCOUNT}:model/lakehouse-lh-a-daily-revenue-v1",
            "sagemaker:model",
            "lakehouse-lh-a-daily-revenue-v1",
        ),
        (
            f"arn:aws:apprunner:ap-northeast-1:{ACCOUNT}:service/lakehouse-lh-a-catalog/0a1b",
            "apprunner:service",
            "lakehouse-lh-a-catalog/0a1b",
        ),
        (
            f"arn:aws:apprunner:ap-northeast-1:{ACCOUNT}:autoscalingconfiguration/lakehouse-lh-a-catalog/1/0a1b",
            "apprunner:autoscalingconfiguration",
            "lakehouse-lh-a-catalog/1/0a1b",
        ),
    ],
)
def test_resource_kinds_and_names_from_arns(arn: str, kind: str, name: str) -> None:
    resource = _res(arn, {})
    assert (resource.kind, resource.name) == (kind, name)
    assert reap._deleter(Target("aws", "ap-northeast-1"), resource) is not None


def test_what_uses_a_resource_is_deleted_before_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """An endpoint before its configuration and model, a service before its auto scaling (else AWS refuses)."""
    account = MagicMock()
    account.describe_service.return_value = {"Service": {"Status": "DELETED"}}

    class Recording(Target):
        def client(self, service: str, region: str | None = None, **config: Any) -> Any:
            return account

    monkeypatch.setattr(reap, "_untagged_parts", lambda *_: [])
    prefix = f"arn:aws:sagemaker:ap-northeast-1:{ACCOUNT}"
    runner = f"arn:aws:apprunner:ap-northeast-1:{ACCOUNT}"
    parts = [
        f"{runner}:autoscalingconfiguration/lakehouse-lh-a-catalog/1/0a1b",
        f"{prefix}:model/lakehouse-lh-a-m",
        f"{runner}:service/lakehouse-lh-a-catalog/0a1b",
        f"{prefix}:endpoint-config/lakehouse-lh-a-m",
        f"{prefix}:endpoint/lakehouse-lh-a-m",
    ]
    orphan = reap.OrphanStack("lh-a", [_res(arn, _tags("lh-a")) for arn in parts])
    results = reap.delete_orphan(Recording("aws", "ap-northeast-1"), orphan, ["ap-northeast-1"])
    assert all(r.ok for r in results), results
    deletes = [name for name, *_ in account.mock_calls if name.startswith("delete_")]
    assert deletes == [
        "delete_endpoint",
        "delete_endpoint_config",
        "delete_model",
        "delete_service",
        "delete_auto_scaling_configuration",
    ]


def test_a_type_the_root_does_not_create_is_not_deleted_but_reported() -> None:
    """No deleter: delete_orphan reports it as NOT deleted with the reason instead of pretending."""
    resource = _res(f"arn:aws:ec2:ap-northeast-1:{ACCOUNT}:instance/i-0123", _tags("lh-a"))
    assert resource.kind == "ec2:instance"
    assert reap._deleter(Target("aws", "ap-northeast-1"), resource) is None


def test_orphans_are_grouped_by_stack_and_recorded_stacks_left_to_their_state() -> None:
    resources = [
        _res("arn:aws:s3:::b1", _tags("lh-a")),
        _res("arn:aws:s3:::b1", _tags("lh-a"), region="us-east-1"),  # seen from two regions
        _res(f"arn:aws:sns:us-east-1:{ACCOUNT}:t1", _tags("lh-a")),
        _res("arn:aws:s3:::b2", _tags("lh-b")),
        _res("arn:aws:s3:::b3", _tags("lh-here")),
    ]
    orphans = reap.group_orphans(resources, recorded=["lh-here"])
    assert [(o.stack_id, len(o.resources)) for o in orphans] == [("lh-a", 2), ("lh-b", 1)]


def test_an_orphan_expires_when_its_last_part_does() -> None:
    orphan = reap.OrphanStack(
        "lh-a",
        [
            _res("arn:aws:s3:::b1", _tags("lh-a", "2026-06-01T10:00:00Z")),
            _res("arn:aws:s3:::b2", _tags("lh-a", "2026-06-01T13:00:00Z")),
        ],
    )
    assert orphan.expires_at == "2026-06-01T13:00:00Z"
    assert not reap.judge_orphan(orphan, NOW).expired
    assert reap.judge_orphan(orphan, NOW + timedelta(hours=2)).expired


def test_an_orphan_without_expiry_is_left_alone_by_reap_and_taken_by_nuke_only_if_the_harness_made_it() -> None:
    ours = reap.OrphanStack("lh-a", [_res("arn:aws:s3:::b1", _tags("lh-a", None))])
    theirs = reap.OrphanStack("lh-b", [_res("arn:aws:s3:::b2", _tags("lh-b", None, owner="team-data"))])
    assert not reap.judge_orphan(ours, NOW).expired
    assert reap.judge_orphan(ours, NOW, everything=True).expired
    refused = reap.judge_orphan(theirs, NOW, everything=True)
    assert not refused.expired and "not made by the harness" in refused.reason


# -- recorded stacks --------------------------------------------------------------------------------------


def _record(options: RunOptions, stack_id: str, expires_at: str | None, pid: int = 999_999_9) -> StackRecord:
    folder = stack_dir(options, stack_id)
    folder.mkdir(parents=True)
    # A local stack whose emulator is gone: destroying it forgets the record (no Terraform needed).
    record = StackRecord(stack_id, "local", "ap-northeast-1", "deployed", "2026-06-01T00:00:00+00:00")
    record.endpoint_url, record.emulator_pid = "http://127.0.0.1:1", pid
    record.ttl, record.expires_at = "1h", expires_at
    record.save(folder / "stack.json")
    return record


def test_records_are_judged_by_their_expiry_and_all_under_nuke(tmp_path: Path) -> None:
    options = RunOptions(root=tmp_path)
    expired = _record(options, "lh-old001", "2026-06-01T01:00:00Z")
    live = _record(options, "lh-new001", "2026-06-02T01:00:00Z")
    assert reap.judge_record(expired, NOW).expired
    assert not reap.judge_record(live, NOW).expired
    assert reap.judge_record(live, NOW, everything=True).expired


def test_reap_destroys_the_expired_record_only_and_a_dry_run_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LAKEHOUSE_ROOT", str(tmp_path))
    monkeypatch.delenv("LAKEHOUSE_TARGET", raising=False)
    options = RunOptions(root=tmp_path)
    _record(options, "lh-old001", "2026-06-01T01:00:00Z")
    _record(options, "lh-new001", "2026-06-02T01:00:00Z")
    assert cli.main(["reap", "--at", "2026-06-01T12:00:00Z"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "would destroy lh-old001 (local, recorded): expired at 2026-06-01T01:00:00Z (11 h 00 min ago)" in out
    assert "keep          lh-new001" in out
    assert {r.stack_id for r in list_records(options)} == {"lh-old001", "lh-new001"}
    assert cli.main(["reap", "--at", "2026-06-01T12:00:00Z", "--yes"]) == cli.EXIT_OK
    assert "destroyed lh-old001" in capsys.readouterr().out
    assert [r.stack_id for r in list_records(options)] == ["lh-new001"]


def test_a_stack_a_running_session_holds_is_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    options = RunOptions(root=tmp_path)
    _record(options, "lh-busy01", "2026-06-01T01:00:00Z")
    lock = stack_dir(options, "lh-busy01") / LOCK_FILE
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
            "fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, b'4242'); print('locked', flush=True); sys.stdin.read()",
            str(lock),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        found = reap.survey(options, NOW)
        sweep = reap.reap(options, found, None, say=lambda _: None)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=10)
    assert sweep.left_standing == 1
    assert "skipped   lh-busy01: in use by a running session (pid 4242)" in sweep.lines[0]
    assert [r.stack_id for r in list_records(options)] == ["lh-busy01"]


def test_orphans_are_not_looked_for_on_the_local_target(tmp_path: Path) -> None:
    found = reap.survey(RunOptions(root=tmp_path), NOW)
    assert found.orphans == [] and found.orphans_note and "--target aws" in found.orphans_note
    assert reap.describe(found, dry_run=True)[1] == "  no stacks found"


def test_cli_usage_errors_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKEHOUSE_ROOT", str(tmp_path))
    with pytest.raises(SystemExit) as bad_at:
        cli.main(["reap", "--at", "tomorrow"])
    with pytest.raises(SystemExit) as bad_ttl:
        cli.main(["up", "--ttl", "12m"])
    assert bad_at.value.code == bad_ttl.value.code == cli.EXIT_USAGE
    _record(RunOptions(root=tmp_path), "lh-old001", "2026-06-01T01:00:00Z")
    # --confirm with no terminal: nothing destroyed, told to pass --yes
    monkeypatch.setattr("sys.stdin", open("/dev/null"))  # noqa: SIM115 - closed with the test's process
    assert cli.main(["reap", "--confirm", "--at", "2026-06-01T12:00:00Z"]) == cli.EXIT_USAGE
    assert [r.stack_id for r in list_records(RunOptions(root=tmp_path))] == ["lh-old001"]


def test_pytest_ttl_option_is_validated_at_parse_time() -> None:
    """`pytest features/ --ttl 12m` is a usage error before anything is deployed."""
    import argparse

    from steps.options import _ttl

    assert _ttl("7d") == "7d"
    with pytest.raises(argparse.ArgumentTypeError, match="12h or 7d"):
        _ttl("12m")


@pytest.mark.parametrize(("answer", "code", "left"), [("n", cli.EXIT_USAGE, ["lh-old001"]), ("y", cli.EXIT_OK, [])])
def test_make_nuke_asks_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: str, code: int, left: list[str]
) -> None:
    """`make nuke` without YES=1: the listing, then a question; only a yes destroys."""
    monkeypatch.setenv("LAKEHOUSE_ROOT", str(tmp_path))
    monkeypatch.delenv("LAKEHOUSE_TARGET", raising=False)
    _record(RunOptions(root=tmp_path), "lh-old001", "2099-01-01T00:00:00Z")  # live: only --all takes it
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: answer)
    assert cli.main(["reap", "--all", "--confirm"]) == code
    assert [r.stack_id for r in list_records(RunOptions(root=tmp_path))] == left
