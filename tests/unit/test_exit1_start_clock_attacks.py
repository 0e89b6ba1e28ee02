"""Exit check 1 and KPI-quickstart under attack: a ``make up`` start the wall clock makes later than it was.

``make up`` starts both clocks when make reads the Makefile (``date +%s``, before the venv is built). A wall
clock stepped back between that and the harness's ``Lifecycle.up`` call, or a start written by hand, made
the lead before the call shorter (or "in the future, not used": none), and the deploy passed on the rest.
make now reads this boot's clock with it and the harness times the lead on that (``lakehouse.startclock``);
a start it cannot time leaves the verdicts ``error``, naming the variable, unless the rest is already over.

The deploy tests run the real ``Lifecycle.up`` (Terraform stood in) on this machine's real clocks, with the
environment ``make up`` gives ``lakehouse up`` (the CLI's own ``quickstart_started`` reads it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import lakehouse.stack as stack_module
from lakehouse.checks.deploy_time import check_deploy_time
from lakehouse.cli import quickstart_started
from lakehouse.config import RunOptions
from lakehouse.kpi.quickstart import judge_quickstart
from lakehouse.outcome import Outcome
from lakehouse.stack import STOPWATCH_FILE, Lifecycle, Stack, Stopwatch
from lakehouse.target import Target
from lakehouse.terraform import ApplyResult, ResourceTiming

BOOT_ID_FILE, UPTIME_FILE = Path("/proc/sys/kernel/random/boot_id"), Path("/proc/uptime")
pytestmark = pytest.mark.skipif(
    not (BOOT_ID_FILE.exists() and UPTIME_FILE.exists()), reason="needs Linux's boot clock (/proc/uptime)"
)
CREATED = ApplyResult(0.01, [ResourceTiming("aws_sns_topic.alerts", "create", 0.01, "complete")], [], 0)
#: A threshold the venv build alone (2 min before the Lifecycle.up call) is over; the deploy after it takes < 1 s.
THRESHOLD_S = 60.0
OTHER_BOOT = "00000000-0000-4000-8000-000000000000"

Deploy = Callable[[dict[str, str]], Stopwatch]


def make_up_env(lead_s: float, boot_id: str | None = None) -> dict[str, str]:
    """What ``make up`` gives ``lakehouse up``, had make read the Makefile ``lead_s`` ago on this machine."""
    uptime = float(UPTIME_FILE.read_text(encoding="ascii").split()[0])
    return {
        "LAKEHOUSE_QUICKSTART_STARTED": str(int(time.time() - lead_s)),  # date +%s: whole seconds, rounded down
        "LAKEHOUSE_QUICKSTART_BOOT_ID": boot_id or BOOT_ID_FILE.read_text(encoding="ascii").strip(),
        "LAKEHOUSE_QUICKSTART_UPTIME_S": f"{uptime - lead_s:.2f}",
    }


@pytest.fixture
def deploy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Deploy:
    """``lakehouse up`` with that environment: the real ``Lifecycle.up``, Terraform stood in; the saved stopwatch."""
    monkeypatch.setattr(stack_module, "aws_target", lambda region, profile: Target(name="aws", region="eu-west-1"))
    monkeypatch.setattr(Stack, "prepare", lambda self: None)
    monkeypatch.setattr(Stack, "apply", lambda self: CREATED)
    monkeypatch.setattr(Stack, "outputs", lambda self: {})

    def run(env: dict[str, str]) -> Stopwatch:
        life = Lifecycle(RunOptions(root=tmp_path, target="aws", stack_id="lh-clock02"))
        try:
            dep = life.up(False, quickstart_started(env))  # positional: the start, as `lakehouse up` passes it
        finally:
            life.lock.release()
        return Stopwatch.from_dict(json.loads((dep.stack.dir / STOPWATCH_FILE).read_text(encoding="utf-8")))

    return run


def _step_wall_clock_back(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """NTP (or someone) steps this machine's wall clock back ``seconds``; the boot clock goes on."""
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - seconds)


def _verdicts(watch: Stopwatch) -> tuple[Outcome, Outcome]:
    return check_deploy_time(watch, THRESHOLD_S), judge_quickstart(watch, THRESHOLD_S)


def test_a_wall_clock_stepped_back_after_make_read_the_makefile_does_not_shorten_the_deploy(
    deploy: Deploy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Broken: the venv took 2 min, then the wall clock was stepped back 10 min. The lead was the wall clock's
    (-480 s: "in the future, not used"), so a deploy of over 2 min passed a 60 s threshold on both verdicts."""
    env = make_up_env(120.0)
    _step_wall_clock_back(monkeypatch, 600.0)
    watch = deploy(env)
    for outcome in _verdicts(watch):
        assert outcome.status == "failed", outcome.reason
        assert "over the 60 s threshold" in str(outcome.reason)
    assert watch.wall_s is not None and watch.wall_s >= 120.0, watch.to_dict()
    assert "it was stepped" in str(watch.clock_started) and watch.clock_error is None


def test_a_make_up_start_timed_on_the_boot_clock_passes(deploy: Deploy) -> None:
    """Healthy twin: make read the Makefile 30 s before the call, no clock stepped: timed, under 60 s, passed."""
    watch = deploy(make_up_env(30.0))
    for outcome in _verdicts(watch):
        assert outcome.status == "passed", outcome.reason
    assert watch.wall_s is not None and 30.0 <= watch.wall_s < THRESHOLD_S, watch.to_dict()
    assert watch.clock_error is None and "stepped" not in str(watch.clock_started)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        (lambda: {"LAKEHOUSE_QUICKSTART_STARTED": str(int(time.time()))}, "without LAKEHOUSE_QUICKSTART_BOOT_ID and"),
        (
            lambda: {**make_up_env(120.0, OTHER_BOOT), "LAKEHOUSE_QUICKSTART_STARTED": str(int(time.time()))},
            f"LAKEHOUSE_QUICKSTART_BOOT_ID={OTHER_BOOT} is not this boot",
        ),
    ],
    ids=["written-by-hand", "another-boot"],
)
def test_a_start_the_boot_clock_cannot_time_is_no_pass(
    deploy: Deploy, env: Callable[[], dict[str, str]], named: str
) -> None:
    """Broken: after a long venv build by hand, ``LAKEHOUSE_QUICKSTART_STARTED=$(date +%s) lakehouse up`` (or a start
    copied from another boot) says the quick start began just now. Before, both verdicts passed it."""
    watch = deploy(env())
    for outcome in _verdicts(watch):
        assert outcome.status == "error", outcome.reason
        assert "could not be timed" in str(outcome.reason) and named in str(outcome.reason)
    assert watch.clock_error is not None and named in watch.clock_error, watch.to_dict()


def test_an_untimed_start_with_the_rest_already_over_the_threshold_fails() -> None:
    """What was timed from the Lifecycle.up call is a lower bound: over the threshold, the deploy is over it."""
    slow, fast = (ApplyResult(s, CREATED.resources) for s in (1850.0, 1650.0))  # the apply phase is the apply's
    watch = Stopwatch({"terraform_apply": 1850.0}, slow, wall_s=1900.0, clock_started="x", clock_error="no boot clock")
    under = Stopwatch({"terraform_apply": 1650.0}, fast, wall_s=1700.0, clock_started="x", clock_error="no boot clock")
    for outcome in (check_deploy_time(watch, 1800), judge_quickstart(watch, 1800)):
        assert outcome.status == "failed" and "over the 1800 s threshold" in str(outcome.reason), outcome.reason
    for outcome in (check_deploy_time(under, 1800), judge_quickstart(under, 1800)):
        assert outcome.status == "error" and "no boot clock" in str(outcome.reason), outcome.reason
        assert outcome.details["clock_error"] == "no boot clock"
