"""Evidence: each check's entry, filled by its steps and closed by the test outcome; evidence.json at the end.

The run's verdict is ``passed`` only when every check stated in features/ ran and passed,
``incomplete`` when none failed but some were skipped or deselected, ``failed`` otherwise.
With ``--require-all`` an incomplete run exits non-zero.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from lakehouse.config import RunOptions
from lakehouse.criteria import Criterion, catalogue
from lakehouse.evidence import (
    CheckEvidence,
    git_commit,
    not_run,
    set_aside_previous_run,
    utc_now,
    verdict,
    write_evidence,
)
from lakehouse.redact import redact_file
from lakehouse.report import render_report
from lakehouse.report.ci_summary import step_summary, workflow_annotations
from steps.collection import not_implemented, runs_features
from steps.options import OPTIONS_KEY

EVIDENCE_PROPERTY = "lakehouse_evidence"
_evidence_key = pytest.StashKey[CheckEvidence]()
_started_key = pytest.StashKey[float]()


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # xdist workers send their reports to the controller
        config.pluginmanager.register(EvidenceCollector(config, config.stash[OPTIONS_KEY]), "lakehouse-evidence")


@pytest.fixture
def evidence(request: pytest.FixtureRequest, run_options: RunOptions) -> CheckEvidence:
    """This check's evidence entry; steps fill it, the test outcome closes it."""
    entry = request.node.stash.get(_evidence_key, None)
    if entry is None:
        raise pytest.UsageError(f"{request.node.nodeid}: the evidence fixture needs a scenario tagged with a check id")
    return entry


def _check_id(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("check")
    return str(marker.args[0]) if marker else None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    check_id = _check_id(item)
    if check_id:
        options = item.config.stash[OPTIONS_KEY]
        item.stash[_evidence_key] = CheckEvidence(id=check_id, title=item.name, target=options.target)
        item.stash[_started_key] = time.monotonic()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    check_id = _check_id(item)
    if not check_id:
        return report
    entry = item.stash.get(_evidence_key, None)
    if entry is None:  # skipped before setup (e.g. @pending)
        entry = CheckEvidence(id=check_id, title=item.name, target=item.config.stash[OPTIONS_KEY].target)
    decisive = report.when == "call" or (report.when == "setup" and not report.passed)
    if not decisive:
        return report
    entry.duration_s = round(time.monotonic() - item.stash.get(_started_key, time.monotonic()), 3)
    if report.skipped:
        entry.status = "skipped"
        entry.reason = _skip_reason(report)
    elif report.passed:
        entry.status, entry.reason = "passed", None
    elif call.excinfo is not None and call.excinfo.errisinstance(AssertionError) and report.when == "call":
        entry.status = "failed"
        entry.reason = entry.reason or _first_line(call.excinfo.value)
    else:
        entry.status = "error"
        entry.reason = _first_line(call.excinfo.value) if call.excinfo else "unknown error"
    report.user_properties.append((EVIDENCE_PROPERTY, json.dumps(entry.to_dict(), default=str)))
    return report


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0].removeprefix("AssertionError: ")


def exit_status(outcome: str, require_all: bool, pytest_status: int) -> int:
    """pytest's own status, unless the verdict says worse: failed, or incomplete under ``--require-all``."""
    if pytest_status:
        return pytest_status
    if outcome == "failed" or (outcome == "incomplete" and require_all):
        return int(pytest.ExitCode.TESTS_FAILED)
    return 0


class EvidenceCollector:
    """Gathers check entries from test reports and writes evidence.json once, at the end.

    Lives in the process that sees every report: the only process, or the xdist controller.
    """

    def __init__(self, config: pytest.Config, options: RunOptions):
        self.config = config
        self.options = options
        self.entries: dict[str, dict[str, Any]] = {}
        self.started_at = utc_now()
        self.started_epoch = time.time()
        if runs_features(config):
            set_aside_previous_run(options.reports)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in report.user_properties:
            if name == EVIDENCE_PROPERTY:
                data = json.loads(str(value))
                self.entries[data["id"]] = data
                self._finished(data)

    def _finished(self, entry: dict[str, Any]) -> None:
        """One line per check as it ends, so a long run shows its verdicts as they come."""
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return
        why = f": {entry['reason']}" if entry.get("reason") and entry["status"] != "passed" else ""
        reporter.write_line(f"{entry['id']} {entry['status']} in {entry.get('duration_s', 0):.1f} s{why}")

    @pytest.hookimpl(trylast=True)  # after session teardown, so the destroy outcome is known
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if not self.entries and not runs_features(self.config):
            return  # the harness's own tests: no evidence to write
        options = self.options
        criteria = catalogue(options.root / "features")
        entries = [self._entry_for(c) for c in criteria]
        teardowns = self._teardowns()
        # Under xdist every worker has its own stack; the controller deployed none.
        stack_ids = sorted({t["stack_id"] for t in teardowns}) or [options.stack_id]
        run = {
            "target": options.target,
            "stack_id": stack_ids[0] if len(stack_ids) == 1 else None,
            "stack_ids": stack_ids,
            "region": options.region,
            "commit": git_commit(options.root),
            "started_at": self.started_at,
            "finished_at": utc_now(),
            "mode": "deployed" if options.deployed else ("keep" if options.keep else "deploy-verify-destroy"),
            "pytest_exit_status": int(exitstatus),
            "teardown": teardowns,
        }
        path = write_evidence(options.reports / "evidence.json", run, entries)
        outcome = verdict(entries)
        session.exitstatus = exit_status(outcome, options.require_all, session.exitstatus)
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            self._verdict_lines(reporter, outcome, entries, path)
        self._to_github(outcome, entries, path)
        self._redact_other_reports()
        try:
            html = render_report(path, criteria=criteria)
        except Exception as err:  # the verdict is in evidence.json already; a broken page must still fail the run
            session.exitstatus = session.exitstatus or pytest.ExitCode.INTERNAL_ERROR
            message = f"lakehouse report: evidence.html not written: {type(err).__name__}: {err}"
        else:
            message = f"lakehouse report: {html.path} ({html.size_bytes // 1024} KiB, {html.seconds:.2f} s)"
        if reporter is not None:
            reporter.write_line(message)

    def _verdict_lines(self, reporter: Any, outcome: str, entries: list[CheckEvidence], path: Path) -> None:
        """The verdict first, then one line per check that failed or did not run, each with why."""
        reporter.ensure_newline()
        reporter.write_sep("=", f"lakehouse verdict: {outcome.upper()}", bold=True, red=outcome == "failed")
        for e in entries:
            if e.status in ("failed", "error"):
                reporter.write_line(f"{e.id} {e.status}: {e.reason}")
        for missing in not_run(entries):
            reporter.write_line(f"{missing['id']} not run: {missing['reason']}")
        if outcome == "incomplete":
            hint = (
                "exits non-zero (--require-all)" if self.options.require_all else "exits 0; --require-all makes it fail"
            )
            reporter.write_line(f"incomplete: not every stated check ran; this run {hint}")
        reporter.write_line(f"lakehouse evidence: {path} ({', '.join(f'{e.id} {e.status}' for e in entries)})")

    @staticmethod
    def _to_github(outcome: str, entries: list[CheckEvidence], path: Path) -> None:
        """In GitHub Actions: the verdict table in the job summary, failed checks as annotations."""
        if os.environ.get("GITHUB_ACTIONS") != "true":
            return
        if summary := os.environ.get("GITHUB_STEP_SUMMARY"):
            with open(summary, "a", encoding="utf-8") as out:
                out.write(step_summary(outcome, entries, str(path)))
        for line in workflow_annotations(entries):
            print(line, flush=True)

    def _redact_other_reports(self) -> None:
        """junit.xml and cucumber.json (written by pytest and pytest-bdd just before us) carry failure text too."""
        for option in ("xmlpath", "cucumber_json_path"):
            value = getattr(self.config.option, option, None)
            if value and Path(value).is_file():
                redact_file(Path(value))

    def _teardowns(self) -> list[dict[str, Any]]:
        """What happened to each stack this run deployed (one per xdist worker)."""
        found = []
        for path in sorted(self.options.reports.glob("teardown-*.json")):
            if path.stat().st_mtime >= self.started_epoch:
                found.append(json.loads(path.read_text(encoding="utf-8")))
        return found

    def _entry_for(self, crit: Criterion) -> CheckEvidence:
        if crit.id in self.entries:
            entry = CheckEvidence.from_dict(self.entries[crit.id])
            entry.title = crit.title  # the plan's words, as the feature file states them
            return entry
        reason = not_implemented(crit.pending) if crit.pending else "not run in this session (deselected)"
        return CheckEvidence(id=crit.id, title=crit.title, target=self.options.target, status="skipped", reason=reason)
