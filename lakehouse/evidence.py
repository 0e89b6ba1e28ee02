"""``reports/evidence.json``: one entry per check, the contract CI and the HTML report read.

Entry fields (all always present): ``id``, ``title``, ``status`` (passed | failed |
skipped | error), ``measured``, ``threshold``, ``target``, ``started_at``,
``duration_s``, ``artifacts`` (paths relative to reports/), ``reason`` (one sentence
when not passed) and ``details`` (the evidence itself).

Everything written here (evidence.json, JSON artifacts, copied logs) goes through
``lakehouse.redact`` first: secrets never reach reports/.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lakehouse.outcome import Outcome, Status, run_verdict
from lakehouse.redact import copy_redacted, redact, redact_text

SCHEMA_VERSION = 1
STATUSES = tuple(s.value for s in Status)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class CheckEvidence:
    """The evidence of one check, filled in by its steps and closed by the test outcome."""

    id: str
    title: str
    target: str
    status: str = "error"
    measured: Any = None
    threshold: Any = None
    started_at: str = field(default_factory=utc_now)
    duration_s: float = 0.0
    artifacts: list[str] = field(default_factory=list)
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def record(self, outcome: Outcome) -> None:
        """Take a check's status, measurement, threshold, details and (when it did not pass) its reason.

        The test's own end (see ``steps/evidence.py``) confirms the status afterwards.
        """
        self.status = outcome.status.value
        self.measured = outcome.measured
        self.threshold = outcome.threshold
        self.details.update(outcome.details)
        self.reason = outcome.reason

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckEvidence:
        return cls(**data)


def plain(data: Any) -> Any:
    """JSON-native data (what ``json.dumps(default=str)`` would write), so redaction sees every string."""
    return json.loads(json.dumps(data, default=str))


def redacted_json(data: Any) -> str:
    """The text every JSON report file gets: plain data, secrets redacted, indented."""
    return json.dumps(redact(plain(data)), indent=2) + "\n"


class ArtifactStore:
    """Files a check attaches as evidence, kept under reports/ with relative paths, secrets redacted."""

    def __init__(self, reports_dir: Path):
        self.root = reports_dir
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, name: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def write_json(self, name: str, data: Any) -> str:
        self._path(name).write_text(redacted_json(data), encoding="utf-8")
        return name

    def write_text(self, name: str, text: str) -> str:
        self._path(name).write_text(redact_text(text), encoding="utf-8")
        return name

    def copy(self, source: Path, name: str) -> str:
        """Copy a file in; text files (logs) are redacted on the way, binary ones (PNGs) copied as they are."""
        copy_redacted(source, self._path(name))
        return name


def git_commit(root: Path) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def verdict(entries: list[CheckEvidence]) -> str:
    """``passed`` only when every stated check ran and passed; ``incomplete`` when one did not run."""
    return run_verdict([Status(e.status) for e in entries]).value


def not_run(entries: list[CheckEvidence]) -> list[dict[str, str]]:
    """The checks that make a run ``incomplete``, each with why it did not run (one line each)."""
    return [{"id": e.id, "reason": e.reason or "skipped"} for e in entries if e.status == Status.SKIPPED]


#: Files every verification run writes besides its checks' artifacts.
RUN_FILES = ("evidence.json", "evidence.html", "junit.xml", "cucumber.json")
PREVIOUS_DIR = "previous"


def set_aside_previous_run(reports: Path) -> list[str]:
    """Move what the last run wrote (its evidence.json names it) to ``reports/previous/``.

    Each run owns what it writes: a second run in the same folder would otherwise leave the first
    run's stack files beside its own, and CI would upload both. Files no run listed (the guard
    ledger, bench.json) stay where they are.
    """
    doc_path = reports / "evidence.json"
    if not doc_path.is_file():
        return []
    try:
        doc = json.loads(doc_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        doc = {}
    names = set(RUN_FILES)
    for check in doc.get("checks") or []:
        names.update(str(a) for a in (check.get("artifacts") or []) if isinstance(a, str))
    for stack_id in (doc.get("run") or {}).get("stack_ids") or []:
        names.add(f"teardown-{stack_id}.json")
        names.update(p.name for p in reports.glob(f"*-{stack_id}.*"))
        names.update(p.name for p in reports.glob(f"*-{stack_id}") if p.is_dir())
    previous = reports / PREVIOUS_DIR
    shutil.rmtree(previous, ignore_errors=True)
    moved = []
    for name in sorted(names):
        source = reports / name
        if ".." in Path(name).parts or not source.exists():
            continue
        target = previous / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(source), str(target))
        moved.append(name)
    return moved


def write_evidence(path: Path, run: dict[str, Any], entries: list[CheckEvidence]) -> Path:
    """Write the report, entries in catalogue order, with the run's verdict on top."""
    for e in entries:
        if e.status not in STATUSES:
            raise ValueError(f"evidence {e.id}: status {e.status!r} is not one of {STATUSES}")
    doc = {
        "schema_version": SCHEMA_VERSION,
        "run": {**run, "verdict": verdict(entries), "not_run": not_run(entries), "written_at": utc_now()},
        "checks": [e.to_dict() for e in entries],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(redacted_json(doc), encoding="utf-8")
    tmp.replace(path)
    return path
