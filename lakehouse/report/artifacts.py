"""Artifact files as the report shows them: images inline, logs as a tail, JSON pretty, all bounded.

Each kind has a size limit so one huge log or screenshot cannot turn the page into 100 MB;
what is cut is said on the page. Paths are read only inside reports/, and every text is
redacted again before it is shown (the file may not have been written by the harness).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakehouse.redact import redact, redact_text

#: Logs: the last lines are where a failure is; at most this many lines and bytes of them.
LOG_TAIL_LINES = 200
LOG_TAIL_BYTES = 128 * 1024
#: JSON artifacts larger than this are shown as the start of their text, not parsed.
JSON_LIMIT_BYTES = 512 * 1024
#: Pretty JSON blocks are cut at this many characters.
JSON_SHOWN_CHARS = 200_000
#: One inline image at most, and all inline images of one page together.
IMAGE_LIMIT_BYTES = 3 * 1024 * 1024
IMAGES_TOTAL_BYTES = 15 * 1024 * 1024

IMAGE_TYPES = {".png": "image/png"}
LOG_SUFFIXES = {".log", ".txt"}


@dataclass
class ArtifactView:
    """One artifact: its path always, its content when it can be shown."""

    path: str
    kind: str  # image | log | json | other | missing | refused
    size_bytes: int = 0
    data_uri: str | None = None
    text: str | None = None
    note: str | None = None


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover - loop always returns


def pretty_json(data: Any, limit: int = JSON_SHOWN_CHARS) -> str:
    """Indented JSON, cut at ``limit`` characters with a note saying how much was left out."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    if len(text) > limit:
        return text[:limit] + f"\n... ({len(text) - limit} more characters not shown)"
    return text


def _tail(path: Path, size: int) -> tuple[list[str], bool]:
    """The last lines of a file, reading at most LOG_TAIL_BYTES from its end."""
    with path.open("rb") as f:
        start = max(0, size - LOG_TAIL_BYTES)
        f.seek(start)
        chunk = f.read().decode("utf-8", errors="replace")
    lines = chunk.splitlines()
    cut = start > 0
    if cut and lines:
        lines = lines[1:]  # the first line is probably partial
    return lines, cut


def _terraform_line(line: str) -> str | None:
    """``terraform -json`` log lines read as ``HH:MM:SS level message`` (with a diagnostic's detail)."""
    try:
        event = json.loads(line)
    except ValueError:
        return None
    if not isinstance(event, dict) or "@message" not in event:
        return None
    text = f"{str(event.get('@timestamp', ''))[11:19]} {str(event.get('@level', '')):5} {event['@message']}"
    diagnostic = event.get("diagnostic")
    if isinstance(diagnostic, dict) and diagnostic.get("detail"):
        text += f"\n         {diagnostic['detail']}"
    return text


def _log_text(lines: list[str]) -> tuple[str, bool]:
    """Terraform's JSON-lines logs become readable messages; other logs are shown as they are."""
    readable = [_terraform_line(line) for line in lines]
    if lines and sum(r is not None for r in readable) * 2 > len(lines):
        return "\n".join(r if r is not None else line for r, line in zip(readable, lines, strict=True)), True
    return "\n".join(lines), False


class ArtifactReader:
    """Reads a report's artifacts under one reports/ directory, keeping the page-wide image budget."""

    def __init__(self, reports_dir: Path):
        self.root = reports_dir.resolve()
        self.images_bytes = 0

    def read(self, name: str) -> ArtifactView:
        path = (self.root / name).resolve()
        if not path.is_relative_to(self.root):
            return ArtifactView(name, "refused", note="outside the reports directory; not read")
        if not path.is_file():
            return ArtifactView(name, "missing", note="file not found next to evidence.json")
        size = path.stat().st_size
        suffix = path.suffix.lower()
        if suffix in IMAGE_TYPES:
            return self._image(name, path, size, IMAGE_TYPES[suffix])
        if suffix in LOG_SUFFIXES:
            return self._log(name, path, size)
        if suffix == ".json":
            return self._json(name, path, size)
        return ArtifactView(name, "other", size, note="not shown inline; see the file in reports/")

    def _image(self, name: str, path: Path, size: int, mime: str) -> ArtifactView:
        if size > IMAGE_LIMIT_BYTES:
            note = f"not inlined: {human_bytes(size)} is over the {human_bytes(IMAGE_LIMIT_BYTES)} limit"
            return ArtifactView(name, "other", size, note=note)
        if self.images_bytes + size > IMAGES_TOTAL_BYTES:
            note = f"not inlined: the page already holds {human_bytes(self.images_bytes)} of images"
            return ArtifactView(name, "other", size, note=note)
        self.images_bytes += size
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        return ArtifactView(name, "image", size, data_uri=f"data:{mime};base64,{encoded}")

    def _log(self, name: str, path: Path, size: int) -> ArtifactView:
        lines, cut = _tail(path, size)
        shown = lines[-LOG_TAIL_LINES:]
        text, terraform = _log_text(shown)
        notes = []
        if cut or len(lines) > len(shown):
            notes.append(f"last {len(shown)} lines of {human_bytes(size)}")
        if terraform:
            notes.append("terraform -json events shown as time, level, message")
        return ArtifactView(name, "log", size, text=redact_text(text), note="; ".join(notes) or None)

    def _json(self, name: str, path: Path, size: int) -> ArtifactView:
        if size > JSON_LIMIT_BYTES:
            with path.open("rb") as f:
                head = f.read(JSON_SHOWN_CHARS).decode("utf-8", errors="replace")
            note = f"first {human_bytes(len(head))} of {human_bytes(size)}, not parsed"
            return ArtifactView(name, "json", size, text=redact_text(head), note=note)
        raw = path.read_text(encoding="utf-8", errors="replace")
        try:
            data = json.loads(raw)
        except ValueError as err:
            return ArtifactView(name, "json", size, text=redact_text(raw), note=f"not valid JSON ({err})")
        return ArtifactView(name, "json", size, text=pretty_json(redact(data)))
