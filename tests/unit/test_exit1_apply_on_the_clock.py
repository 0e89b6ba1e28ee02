"""Exit check 1 and KPI-quickstart: the timed apply must be on the one clock, and be an apply of all of infra/.

Two ways a deploy that took longer, or deployed less, than the stopwatch says still passed both verdicts:

- ``stopwatch.json`` whose wall clock does not hold its own apply: the ``terraform_apply`` phase removed or
  shortened (the wall clock then only has to contain the rest), per-resource times longer than the apply, or a
  negative phase beside it (the sum the wall clock must hold shrinks). The wall clock was checked against the
  phases' sum only, never against the apply the stopwatch records.
- a timed apply that applied part of the configuration: ``TF_CLI_ARGS_apply=-target=...`` (Terraform reads it
  from the environment ``make up`` runs in). It creates only what it targets, so the apply is "from scratch"
  and the state holds only what it created; Terraform says so in its own warnings, which were not read.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from lakehouse.checks.deploy_time import check_deploy_time, untimed_resources
from lakehouse.kpi.quickstart import judge_quickstart
from lakehouse.stack import Stopwatch
from lakehouse.terraform import ApplyResult, ResourceTiming, Terraform

CREATE_S = 1400.0
SLOW = ResourceTiming("aws_apprunner_service.catalog", "create", CREATE_S, "complete")
APPLY = ApplyResult(1500.0, [SLOW], [], 0)
PHASES = {"target_check": 20.0, "terraform_init": 180.0, "terraform_apply": 1500.0}  # 1700 s


def _read_back(watch: Stopwatch) -> Stopwatch:
    """As ``pytest --deployed`` gets it: through ``stopwatch.json``."""
    return Stopwatch.from_dict(json.loads(json.dumps(watch.to_dict())))


@pytest.mark.parametrize(
    ("watch", "named"),
    [
        (
            Stopwatch({"target_check": 20.0, "terraform_init": 180.0}, APPLY, wall_s=210.0),
            "its phases name no terraform_apply",
        ),
        (
            Stopwatch({"terraform_init": 180.0, "terraform_apply": 5.0}, APPLY, wall_s=190.0),
            "its phases say terraform_apply took 5 s",
        ),
        (
            Stopwatch({}, APPLY, wall_s=10.0),
            "its phases name no terraform_apply",
        ),
        (
            Stopwatch({"terraform_init": 180.0, "terraform_apply": 5.0}, ApplyResult(5.0, [SLOW], [], 0), wall_s=190.0),
            "1 resource(s) took longer than the apply they were created in (5 s): aws_apprunner_service.catalog",
        ),
        (
            Stopwatch({"terraform_init": -1400.0, "terraform_apply": 1500.0}, APPLY, wall_s=110.0),
            "no clock runs backwards, yet it reads terraform_init -1400 s",
        ),
    ],
    ids=["apply-phase-removed", "apply-phase-shortened", "no-phases", "resource-longer-than-its-apply", "negative"],
)
def test_a_wall_clock_that_does_not_hold_its_own_apply_fails_both_verdicts(watch: Stopwatch, named: str) -> None:
    """Broken: a 1500 s apply (one resource 1400 s) under a wall clock of minutes; both verdicts passed it."""
    watch = _read_back(watch)
    for result in (check_deploy_time(watch, 1800), judge_quickstart(watch, 1800)):
        assert result.status == "failed", f"{result.status}: a wall clock that does not hold its own apply"
        assert "the stopwatch is not one clock" in str(result.reason) and named in str(result.reason), result.reason


def test_a_wall_clock_holding_its_apply_passes_both_verdicts() -> None:
    """Healthy twin: the apply phase is the apply's time; Terraform's whole-second elapsed_seconds of a resource
    may read up to a second over the apply (both ends rounded), which is no sign of an edit."""
    fast = ApplyResult(0.4, [ResourceTiming("aws_sns_topic.alerts", "create", 1.0, "complete")], [], 0)
    for apply, phases, wall in ((APPLY, PHASES, 1712.5), (fast, {"terraform_init": 2.0, "terraform_apply": 0.4}, 2.6)):
        watch = _read_back(Stopwatch(dict(phases), apply, wall_s=wall, clock_started="the Lifecycle.up call"))
        assert check_deploy_time(watch, 1800).passed
        assert judge_quickstart(watch, 1800).passed


def _line(kind: str, level: str = "info", **fields: object) -> str:
    return json.dumps({"@level": level, "type": kind, **fields})


def _hook(kind: str, addr: str) -> str:
    hook = {"resource": {"addr": addr}, "action": "create", "elapsed_seconds": 1}
    return _line(kind, hook=hook)


#: What Terraform 1.11.4 printed for ``TF_CLI_ARGS_apply=-target=aws_sns_topic.alerts terraform apply -json`` of a
#: root with more resources (the warnings' text verbatim; the details shortened).
TARGETED = [
    _line("version", terraform="1.11.4"),
    _line("planned_change", change={"resource": {"addr": "aws_sns_topic.alerts"}, "action": "create"}),
    _hook("apply_start", "aws_sns_topic.alerts"),
    _hook("apply_complete", "aws_sns_topic.alerts"),
    _line(
        "diagnostic",
        "warn",
        diagnostic={
            "severity": "warning",
            "summary": "Resource targeting is in effect",
            "detail": "You are creating a plan with the -target option, which means that the result of this plan "
            "may not represent all of the changes requested by the current configuration.",
        },
    ),
    _line(
        "diagnostic",
        "warn",
        diagnostic={
            "severity": "warning",
            "summary": "Applied changes may be incomplete",
            "detail": "The plan was created with the -target option in effect, so some changes requested in the "
            "configuration may have been ignored and the output values may not be fully updated.",
        },
    ),
    _line("change_summary", changes={"add": 1, "change": 0, "import": 0, "remove": 0, "operation": "apply"}),
]


def _terraform(tmp_path: Path, stream: list[str]) -> Terraform:
    """Terraform stood in by a script printing ``stream`` as ``apply -json`` does."""
    (tmp_path / "stream.jsonl").write_text("\n".join(stream) + "\n", encoding="utf-8")
    script = tmp_path / "terraform"
    script.write_text(f"#!/usr/bin/env bash\ncat {tmp_path / 'stream.jsonl'}\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return Terraform(tmp_path, binary=str(script))


STATE = {"values": {"root_module": {"resources": [{"address": "aws_sns_topic.alerts", "mode": "managed"}]}}}


def _judged(apply: ApplyResult) -> list[tuple[str, str | None]]:
    watch = _read_back(Stopwatch({"terraform_init": 2.0, "terraform_apply": apply.wall_s}, apply, wall_s=60.0))
    untimed = untimed_resources(watch.apply, STATE) if watch.apply is not None else []
    return [
        (r.status, r.reason) for r in (check_deploy_time(watch, 1800), judge_quickstart(watch, 1800, None, untimed))
    ]


def test_a_timed_apply_of_part_of_the_configuration_fails_both_verdicts(tmp_path: Path) -> None:
    """Broken: ``make up`` with ``TF_CLI_ARGS_apply=-target=...`` created one resource of the stack in a minute;
    it created all the state holds, so both verdicts passed it as the deploy."""
    apply = _terraform(tmp_path, TARGETED).apply()
    assert apply.ok and untimed_resources(apply, STATE) == []
    for status, reason in _judged(apply):
        assert status == "failed", f"{status}: an apply of part of the configuration was judged as the deploy"
        assert "applied part of the configuration (-target" in str(reason), reason
        assert "Resource targeting is in effect" in str(reason), reason


def test_a_timed_apply_of_the_whole_configuration_passes_both_verdicts(tmp_path: Path) -> None:
    """Healthy twin: the same apply without ``-target``: Terraform warns of nothing."""
    apply = _terraform(tmp_path, [line for line in TARGETED if '"warn"' not in line]).apply()
    assert [status for status, _ in _judged(apply)] == ["passed", "passed"]
