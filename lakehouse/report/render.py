"""Render ``reports/evidence.html`` from ``reports/evidence.json``.

One self-contained page: CSS inline, images as ``data:`` URIs, no script or font from
anywhere else, so it opens from disk, from a CI artifact and on paper alike. Jinja2
autoescapes every value; the evidence is redacted once more before rendering and the
finished page is swept for token-shaped secrets (outside its ``data:`` URIs).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from lakehouse.criteria import CriteriaError, Criterion, catalogue
from lakehouse.evidence import utc_now
from lakehouse.redact import redact, redact_tokens
from lakehouse.report.artifacts import ArtifactReader, human_bytes
from lakehouse.report.model import ReportView, build_report

TEMPLATES = Path(__file__).resolve().parent / "templates"
REPORT_NAME = "evidence.html"
_DATA_URI = re.compile(r"(data:[a-z]+/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=]+)")


class ReportError(ValueError):
    """evidence.json cannot be read as a report; the message names the file and the problem."""


@dataclass(frozen=True)
class Rendered:
    path: Path
    seconds: float
    size_bytes: int


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["bytes"] = human_bytes
    env.filters["code"] = inline_code
    return env


def inline_code(text: str | None) -> Markup:
    """Markdown-style `code` spans (as the feature files write them) as <code>; everything else escaped."""
    parts = str(text or "").split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: leave the text as it is
        return Markup(escape(str(text or "")))
    return Markup("").join(Markup("<code>{}</code>").format(p) if i % 2 else escape(p) for i, p in enumerate(parts))


def load_evidence(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{path}: no evidence.json here (run `pytest features/` or `make smoke` first)") from None
    except ValueError as err:
        raise ReportError(f"{path}: not valid JSON: {err}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("checks"), list):
        raise ReportError(f"{path}: not an evidence report (no 'checks' list)")
    return doc


def _sweep(html: str) -> str:
    """Redact token-shaped secrets in the finished page, leaving data: URIs (base64) untouched."""
    parts = _DATA_URI.split(html)
    return "".join(p if i % 2 else redact_tokens(p) for i, p in enumerate(parts))


def render_html(view: ReportView) -> str:
    return _sweep(_environment().get_template("evidence.html.j2").render(report=view))


def render_report(
    evidence_path: Path,
    out_path: Path | None = None,
    features_dir: Path | None = None,
    criteria: list[Criterion] | None = None,
) -> Rendered:
    """Write the HTML page next to evidence.json (or to ``out_path``); artifacts are read from its folder.

    ``features_dir`` supplies the exit-criteria catalogue (pass conditions, verifiers, rows
    without evidence); without it, or when it cannot be read, the page lists what the
    evidence holds and says so. A caller that has read the catalogue passes it as ``criteria``.
    """
    started = time.monotonic()
    doc = redact(load_evidence(evidence_path))
    warnings: list[str] = []
    if criteria is None and features_dir is not None:
        try:
            criteria = catalogue(features_dir)
        except (CriteriaError, OSError) as err:
            warnings.append(f"exit-criteria catalogue not read ({err}); rows come from evidence.json alone")
    view = build_report(
        doc,
        criteria,
        ArtifactReader(evidence_path.parent),
        generated_at=utc_now(),
        source=evidence_path.name,
        warnings=warnings,
    )
    html = render_html(view)
    out = out_path or evidence_path.with_name(REPORT_NAME)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)
    return Rendered(out, round(time.monotonic() - started, 3), len(html.encode("utf-8")))
