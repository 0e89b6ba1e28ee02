"""KPI-mttr's parts that need no stack: the pipeline's metrics, alarm messages, the catalogue, the judge."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lakehouse.chaos.alerts import parse_message, queue_policy
from lakehouse.chaos.faults import (
    CATALOGUE,
    TABLE_INPUT_FIELDS,
    ChaosContext,
    Injection,
    by_name,
    change_schema,
    listing,
    missing_metadata,
    table_input,
    truncate,
)
from lakehouse.chaos.mttr import Timeline, judge_mttr, missing_alarms
from lakehouse.chaos.runbook import (
    RunbookError,
    ScheduledRun,
    check_full_data,
    not_green,
    restore_object,
    source_file,
)
from lakehouse.config import project_root
from lakehouse.lineage.emitter import EmissionStats
from lakehouse.outcome import Outcome, Status
from lakehouse.pipeline import metrics
from lakehouse.pipeline.landing import Landed, inspect, unterminated_line
from lakehouse.pipeline.runner import DATA_DIR, PipelineResult

ALARMS_TF = (project_root() / "infra" / "alarms.tf").read_text(encoding="utf-8")

# -- the pipeline's metrics ------------------------------------------------------------------------


def _result(ok: bool = True, lineage: dict[str, Any] | None = None, empty: bool = False) -> PipelineResult:
    result = PipelineResult(ok=ok, error=None if ok else "30_gold.sql:3: boom")
    result.quarantined = {"silver.orders_rejected": {"status unknown": 3}}
    result.landed = [Landed("orders.csv", "s3://b/raw/orders/orders.csv", 10, 0 if empty else 5)]
    result.lineage = lineage
    return result


def test_a_failed_run_publishes_one_failure_and_its_refused_rows() -> None:
    values = metrics.metric_values(_result(ok=False), freshness_s=42.0)
    assert values == {
        "Runs": 1.0,
        "Failures": 1.0,
        "RowsRefused": 3.0,
        "EmptyInputFiles": 0.0,
        "GoldFreshnessSeconds": 42.0,
    }


def test_lineage_not_delivered_and_an_empty_input_are_counted() -> None:
    values = metrics.metric_values(_result(lineage={"events_failed": 2, "events_not_sent": 1}, empty=True), None)
    assert values["LineageEventsUndelivered"] == 3.0
    assert values["EmptyInputFiles"] == 1.0
    assert "GoldFreshnessSeconds" not in values  # unknown freshness is missing data, never 0


def test_metric_data_is_high_resolution_with_the_stack_dimension() -> None:
    data = metrics.metric_data({"Failures": 1.0, "GoldFreshnessSeconds": 5.0}, "lh-abc123", 1.0)
    assert all(d["Dimensions"] == [{"Name": "StackId", "Value": "lh-abc123"}] for d in data)
    assert all(d["StorageResolution"] == 1 for d in data)
    assert {d["MetricName"]: d["Unit"] for d in data} == {"Failures": "Count", "GoldFreshnessSeconds": "Seconds"}


class _FailingCloudWatch:
    def put_metric_data(self, **_kwargs: Any) -> None:
        raise ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "PutMetricData")


class _Target:
    def client(self, _service: str, **_kwargs: Any) -> Any:
        return _FailingCloudWatch()


def test_a_metrics_failure_never_fails_the_run_and_is_counted() -> None:
    result = _result()

    def unreadable(*_args: Any) -> metrics.GoldState:
        return metrics.GoldState(None, ["g.daily_revenue: FileNotFoundError: 99999-x.metadata.json"])

    stats = metrics.publish_run(_Target(), {"stack_id": "lh-1"}, result, gold=unreadable)  # type: ignore[arg-type]
    assert result.ok
    assert stats.values["GoldUnreadableTables"] == 1.0 and "GoldFreshnessSeconds" not in stats.values
    assert stats.sent == 0 and stats.failed == len(stats.values)
    assert any("Throttling" in e for e in stats.errors)
    assert any("99999-x.metadata.json" in e for e in stats.errors)
    assert result.metrics == stats.to_dict()


def test_infra_alarms_watch_the_metrics_the_pipeline_publishes() -> None:
    assert f'"{metrics.NAMESPACE}"' in ALARMS_TF
    watched = set(re.findall(r'metric\s*=\s*"(\w+)"', ALARMS_TF))
    published = {metrics.FAILURES, metrics.ROWS_REFUSED, metrics.EMPTY_INPUTS, metrics.LINEAGE_UNDELIVERED}
    published |= {metrics.GOLD_UNREADABLE}
    assert published | {metrics.GOLD_FRESHNESS} == watched


def test_every_fault_names_an_alarm_infra_defines() -> None:
    defined = set(re.findall(r'^\s*"([a-z-]+)"\s*=\s*\{', ALARMS_TF, re.MULTILINE))
    for fault in CATALOGUE:
        assert set(fault.alarms) <= defined, fault.name


# -- alarm messages --------------------------------------------------------------------------------

ALARM = {"AlarmName": "lakehouse-lh-1-pipeline-failures", "NewStateValue": "ALARM", "NewStateReason": "1 >= 1"}


def test_an_sns_envelope_from_sqs_is_read_as_the_alarm_it_carries() -> None:
    body = json.dumps({"Type": "Notification", "TopicArn": "arn:t", "Message": json.dumps(ALARM)})
    msg = parse_message(body, 10.0)
    assert msg is not None and msg.alarm == ALARM["AlarmName"] and msg.state == "ALARM" and msg.topic == "arn:t"
    assert msg.received_at == 10.0


def test_raw_delivery_is_read_too_and_other_bodies_are_not_alarms() -> None:
    raw = parse_message(json.dumps(ALARM), 1.0)
    assert raw is not None and raw.alarm == ALARM["AlarmName"]
    assert parse_message("not json", 1.0) is None
    assert parse_message(json.dumps({"Type": "Notification", "Message": "budget exceeded"}), 1.0) is None
    assert parse_message(json.dumps([1, 2]), 1.0) is None


def test_the_queue_accepts_only_the_alarms_topics() -> None:
    policy = json.loads(queue_policy("arn:q", ["arn:t1"]))["Statement"][0]
    assert policy["Principal"] == {"Service": "sns.amazonaws.com"}
    assert policy["Condition"] == {"ArnEquals": {"aws:SourceArn": ["arn:t1"]}}


# -- the catalogue ---------------------------------------------------------------------------------


def test_the_catalogue_has_at_least_five_faults_each_with_alarm_and_runbook() -> None:
    assert len(CATALOGUE) >= 5
    assert len({f.name for f in CATALOGUE}) == len(CATALOGUE)
    text = listing()
    for fault in CATALOGUE:
        assert fault.alarms and fault.name in text and fault.runbook.value in text


def test_unknown_fault_names_are_refused_naming_them() -> None:
    with pytest.raises(KeyError, match="no-such"):
        by_name(["no-such"])
    assert [f.name for f in by_name(["lineage-stopped"])] == ["lineage-stopped"]


def test_a_truncated_upload_lands_no_data_line() -> None:
    body = (DATA_DIR / "orders.csv").read_bytes()
    cut = truncate(body)
    assert cut == body[: body.index(b"\n") + 1], "the header, whole (a cut header is a schema change)"
    assert inspect("orders.csv", cut).data_lines == 0


def test_a_changed_schema_keeps_every_line_but_shifts_the_columns() -> None:
    body = (DATA_DIR / "orders.csv").read_bytes()
    changed = change_schema(body)
    rows = list(csv.reader(io.StringIO(changed.decode(), newline="")))
    assert rows[0] == ["order_id", "user_id", "order_ts", "amount_usd", "currency", "status"]
    assert rows[1][4] == "USD"
    assert len(rows) == len(list(csv.reader(io.StringIO(body.decode(), newline=""))))


def test_the_gold_pointer_moves_next_to_the_old_one_and_update_table_gets_only_its_fields() -> None:
    old = "s3://gold/daily_revenue/metadata/00003-abc.metadata.json"
    moved = missing_metadata(old)
    assert moved.startswith("s3://gold/daily_revenue/metadata/") and moved != old
    table = {"Name": "t", "Parameters": {"metadata_location": old, "a": "1"}, "CreateTime": 1, "DatabaseName": "d"}
    out = table_input(table, {"metadata_location": moved})
    assert set(out) <= set(TABLE_INPUT_FIELDS)
    assert out["Parameters"] == {"metadata_location": moved, "a": "1"}


# -- the judge -------------------------------------------------------------------------------------


def _timeline(fault: str, detect: float, recover: float) -> Timeline:
    t = Timeline(fault, "what", [f"lakehouse-lh-1-{fault}"], "runbook")
    t.injected_at, t.detected_at, t.recovered_at = 100.0, 100.0 + detect, 100.0 + detect + recover
    return t


def test_mttr_is_the_mean_of_detect_plus_recover_with_the_worst_beside_it() -> None:
    outcome = judge_mttr([_timeline("a", 10, 50), _timeline("b", 20, 100)], 1800)
    assert outcome.passed
    assert outcome.measured == {"faults": 2, "recovered": 2, "mean_s": 90.0, "worst_s": 120.0, "worst_fault": "b"}
    assert outcome.details["faults"][1]["timeline"]["detect_s"] == 20.0


def test_a_mean_at_the_threshold_fails() -> None:
    outcome = judge_mttr([_timeline("a", 900, 900)], 1800)
    assert outcome.status is Status.FAILED and "1800" in str(outcome.reason)


def test_a_fault_whose_alarm_is_missing_fails_the_kpi_naming_fault_and_alarm() -> None:
    expected = {"gold-metadata-missing": ["lakehouse-lh-1-pipeline-failures"], "x": ["lakehouse-lh-1-x"]}
    described = {
        "lakehouse-lh-1-x": {
            "AlarmActions": ["arn:aws:sns:r:1:alerts"],
            "Namespace": metrics.NAMESPACE,
            "MetricName": metrics.FAILURES,
            "Dimensions": [{"Name": metrics.DIMENSION, "Value": "lh-1"}],
        }
    }
    problems = missing_alarms(expected, described, "lh-1")
    assert list(problems) == ["gold-metadata-missing"]
    assert "lakehouse-lh-1-pipeline-failures is not in CloudWatch" in problems["gold-metadata-missing"]
    broken = Timeline("gold-metadata-missing", "what", expected["gold-metadata-missing"], "runbook")
    broken.problem = problems["gold-metadata-missing"]
    outcome = judge_mttr([broken, _timeline("x", 1, 1)], 1800)
    assert outcome.status is Status.FAILED
    assert "gold-metadata-missing" in str(outcome.reason) and "pipeline-failures" in str(outcome.reason)


def test_an_alarm_that_notifies_nobody_is_no_detection() -> None:
    problems = missing_alarms({"f": ["a"]}, {"a": {"AlarmActions": []}}, "lh-1")
    assert "has no AlarmActions" in problems["f"]


def test_an_undetected_fault_fails_and_nothing_injected_is_an_error() -> None:
    t = Timeline("f", "what", ["a"], "runbook")
    t.injected_at = 1.0
    assert "fault f" in str(judge_mttr([t], 1800).reason)
    skipped = Timeline("g", "what", ["a"], "runbook", skipped="not on aws")
    assert judge_mttr([skipped], 1800).status is Status.ERROR


def test_not_green_names_each_check_that_did_not_pass() -> None:
    checks = {"EXIT-2": Outcome.judged(True, 1, 1), "EXIT-6": Outcome.error("LF unreadable")}
    assert not_green(checks) == ["EXIT-6 (error): LF unreadable"]


def test_the_sample_data_refuses_fewer_rows_than_the_alarm_threshold() -> None:
    """The sample refuses a handful of lines on purpose; a healthy run must not raise rows-refused."""
    default = re.search(r'variable "rows_refused_alarm_threshold".*?default\s*=\s*(\d+)', _variables(), re.DOTALL)
    assert default is not None
    lines = sum(len((DATA_DIR / f).read_text().splitlines()) - 1 for f in ("users.csv", "orders.csv"))
    assert 12 < int(default.group(1)) < lines  # 12: what a healthy run refuses (landing 2 + silver 10)


def _variables() -> str:
    return Path(project_root() / "infra" / "variables.tf").read_text(encoding="utf-8")


class _Versions:
    """An S3 client holding one key's versions: what ``restore_object`` lists and copies."""

    def __init__(self, stamps: dict[str, str]):
        self.versions = [
            {"Key": "arrived/orders/orders.csv", "VersionId": v, "LastModified": datetime.fromisoformat(t)}
            for v, t in stamps.items()
        ]
        self.copied: list[dict[str, Any]] = []

    def get_paginator(self, _name: str) -> Any:
        versions = self.versions

        class _Pages:
            def paginate(self, **_kwargs: Any) -> list[dict[str, Any]]:
                return [{"Versions": versions}]

        return _Pages()

    def copy_object(self, **kwargs: Any) -> None:
        self.copied.append(kwargs)


def test_the_bronze_runbook_restores_the_newest_version_from_before_the_incident() -> None:
    """Runs after the incident landed the bad file again: the version just before the current one is bad too."""
    s3 = _Versions(
        {
            "good-1": "2026-12-03T10:00:00+00:00",
            "good-2": "2026-12-03T10:05:00+00:00",
            "bad": "2026-12-03T10:10:00+00:00",
            "bad-relanded": "2026-12-03T10:10:20+00:00",
        }
    )
    ctx = ChaosContext(_S3Target(s3), {}, "lh-1")  # type: ignore[arg-type]
    subject = {"bucket": "b", "key": "arrived/orders/orders.csv", "since": "2026-12-03T10:10:00+00:00"}
    did = restore_object(ctx, Injection("replaced", subject))
    assert s3.copied[0]["CopySource"]["VersionId"] == "good-2" and "good-2" in did
    with pytest.raises(RunbookError, match="no version from before"):
        restore_object(ctx, Injection("replaced", {**subject, "since": "2026-12-03T09:00:00+00:00"}))


class _S3Target:
    def __init__(self, s3: _Versions):
        self.s3 = s3

    def client(self, _service: str, **_kwargs: Any) -> Any:
        return self.s3


def _landed(file: str, body: bytes) -> Landed:
    """What landing records of ``body`` (the recovery run's side of the comparison)."""
    found = inspect(file, body)
    return Landed(
        file,
        f"s3://bronze/raw/{file}",
        len(body),
        found.data_lines,
        sha256=hashlib.sha256(body).hexdigest(),
        unterminated_line=unterminated_line(body),
    )


def _scheduled(**landed: bytes) -> ScheduledRun:
    result = PipelineResult()
    result.landed = [_landed(file, body) for file, body in landed.items()]
    return ScheduledRun(result, EmissionStats(None, "lakehouse"), DATA_DIR)


ORDERS = (DATA_DIR / "orders.csv").read_bytes()
USERS = (DATA_DIR / "users.csv").read_bytes()
SOURCE = {"orders.csv": source_file("orders.csv", ORDERS), "users.csv": source_file("users.csv", USERS)}


def test_a_recovery_that_brings_back_only_some_rows_is_not_recovered() -> None:
    """A truncated upload that still keeps whole lines: some rows land, so exit check 2 can pass, but not all."""
    lines = ORDERS.split(b"\n")
    kept = b"\n".join(lines[: len(lines) // 2]) + b"\n" + lines[len(lines) // 2][:5]  # whole lines, then a cut one
    partial, last = inspect("orders.csv", kept).data_lines, kept.count(b"\n") + 1
    assert 0 < partial < SOURCE["orders.csv"].data_lines
    outcome = check_full_data(SOURCE, _scheduled(**{"orders.csv": kept, "users.csv": USERS}))
    assert outcome.status is Status.FAILED
    assert outcome.reason == (
        f"orders.csv: the recovery run landed {partial} data lines, the source has {SOURCE['orders.csv'].data_lines}; "
        f"it ends mid-line (line {last} has no line break: the file was cut short)"
    )
    checks = {"EXIT-2": Outcome.judged(True, 1, 1), "full-data": outcome}
    assert not_green(checks) == [f"full-data (failed): {outcome.reason}"]


def cut_in_last_line(body: bytes) -> bytes:
    """The file cut inside its last value: every line is still there, the last one short of its end."""
    return body.rstrip(b"\r\n")[:-4]


def test_a_file_cut_mid_line_with_every_line_there_is_not_recovered() -> None:
    """The hole line counts leave: the last line keeps its fields (a value cut short) or loses some (quarantined)."""
    cut = cut_in_last_line(ORDERS)
    assert inspect("orders.csv", cut).data_lines == SOURCE["orders.csv"].data_lines  # counting lines sees nothing
    last = ORDERS.count(b"\n")
    outcome = check_full_data(SOURCE, _scheduled(**{"orders.csv": cut, "users.csv": USERS}))
    assert outcome.status is Status.FAILED
    assert outcome.reason is not None and outcome.reason.startswith(
        f"orders.csv: the recovery run landed {len(cut)} bytes (sha256 {hashlib.sha256(cut).hexdigest()[:12]}), "
        f"not the source's {len(ORDERS)} (sha256 {SOURCE['orders.csv'].sha256[:12]}), "
        f"though both have {SOURCE['orders.csv'].data_lines} data lines"
    )
    assert outcome.reason.endswith(f"; it ends mid-line (line {last} has no line break: the file was cut short)")
    assert outcome.details["landed_files"]["orders.csv"]["unterminated_line"] == last
    fewer_fields = ORDERS.rstrip(b"\n").rsplit(b",", 2)[0]  # the last line lost its last two fields
    assert inspect("orders.csv", fewer_fields).data_lines == SOURCE["orders.csv"].data_lines
    assert not check_full_data(SOURCE, _scheduled(**{"orders.csv": fewer_fields, "users.csv": USERS})).passed


def test_a_source_without_a_final_line_break_is_recovered_by_the_same_bytes() -> None:
    """A producer that writes no final line break is not a cut file: the same bytes back are a recovery."""
    bare = ORDERS.rstrip(b"\n")
    source = {"orders.csv": source_file("orders.csv", bare)}
    assert source["orders.csv"].unterminated_line == ORDERS.count(b"\n")
    assert check_full_data(source, _scheduled(**{"orders.csv": bare})).passed
    changed = check_full_data(source, _scheduled(**{"orders.csv": bare[:-1]}))
    assert changed.reason is not None and "not the source's" in changed.reason and "mid-line" not in changed.reason


def test_a_recovery_with_every_row_back_counts_and_a_missing_file_does_not() -> None:
    assert check_full_data(SOURCE, _scheduled(**{"orders.csv": ORDERS, "users.csv": USERS})).passed
    missing = check_full_data(SOURCE, _scheduled(**{"orders.csv": ORDERS}))
    assert missing.reason == (
        f"users.csv: the recovery run landed no such file; the source has {SOURCE['users.csv'].data_lines} data lines"
    )
    assert check_full_data(None, _scheduled(orders=ORDERS)).status is Status.ERROR
    unrecorded = _scheduled(**{"orders.csv": ORDERS, "users.csv": USERS})
    unrecorded.result.landed[0].sha256 = ""
    assert check_full_data(SOURCE, unrecorded).reason == (
        "orders.csv: the recovery run recorded no checksum of what it landed: cannot match the source"
    )
