"""The run's verdict for a CI job page: a Markdown table for ``$GITHUB_STEP_SUMMARY`` and annotations.

A reviewer sees which checks failed or did not run without downloading the evidence artifact.
"""

from __future__ import annotations

from collections.abc import Iterable

from lakehouse.evidence import CheckEvidence

_ICON = {"passed": "✅", "failed": "❌", "error": "⛔", "skipped": "⚠️"}


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")[:300]


def step_summary(verdict: str, entries: Iterable[CheckEvidence], evidence_path: str) -> str:
    """Markdown: the verdict, then one row per check with its status and reason."""
    lines = [
        f"## Lakehouse verification: {verdict.upper()}",
        "",
        "| check | status | why |",
        "|---|---|---|",
    ]
    for e in entries:
        lines.append(f"| {e.id} {_cell(e.title)} | {_ICON.get(e.status, '')} {e.status} | {_cell(e.reason)} |")
    lines += ["", f"Evidence: `{evidence_path}` (in the job's artifact)", ""]
    return "\n".join(lines)


def workflow_annotations(entries: Iterable[CheckEvidence]) -> list[str]:
    """GitHub workflow commands: an error per failed check, a warning per check that did not run."""
    found = []
    for e in entries:
        level = {"failed": "error", "error": "error", "skipped": "warning"}.get(e.status)
        if level:
            message = _cell(e.reason).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            found.append(f"::{level} title={e.id} {e.status}::{message}")
    return found
