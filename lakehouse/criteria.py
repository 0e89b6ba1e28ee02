"""The catalogue of checks, read from the feature files (their single source of truth).

A check is a scenario tagged with its id: ``@EXIT-1`` (exit criteria), ``@GUARD-review`` (guard
rails of the plan: repository and pipeline settings that keep the stack safe), ``@STACK-...`` (the
v0.9 stack's other components: MLflow -> SageMaker, the Backstage catalog) or ``@KPI-...``. Its
description carries the table's other columns as ``Pass condition:`` and
``Verifier:`` lines. A ``@pending:<why>`` tag marks a check that is stated but
not implemented yet: it is reported as skipped with that reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gherkin.errors import CompositeParserException, ParserException
from gherkin.parser import Parser
from gherkin.token_scanner import TokenScanner

CHECK_TAG = re.compile(r"^@((?:EXIT|GUARD|STACK|KPI)-[A-Za-z0-9-]+)$")
PENDING_TAG = re.compile(r"^@pending(?::(?P<why>.+))?$")


def pending_reason(tag: str) -> str | None:
    """Why a ``@pending[:why]`` tag's check is not built yet (``issue-3`` reads "issue 3"); None for other tags."""
    m = PENDING_TAG.match(tag)
    if m is None:
        return None
    return (m.group("why") or "not implemented yet").replace("-", " ")


class CriteriaError(ValueError):
    """A feature file does not state its checks properly; names file, line and field."""


@dataclass(frozen=True)
class Criterion:
    """One row of the exit-criteria table."""

    id: str
    title: str
    pass_condition: str
    verifier: str
    pending: str | None  # why it is not implemented yet, or None
    feature_file: str
    line: int

    @property
    def number(self) -> int:
        digits = re.sub(r"\D", "", self.id)
        return int(digits) if digits else 0


def _field(description: str, name: str) -> str:
    for line in description.splitlines():
        key, _, value = line.strip().partition(":")
        if key.strip().lower() == name.lower() and value.strip():
            return value.strip()
    return ""


def read_feature(path: Path) -> list[Criterion]:
    """The checks stated in one feature file, in file order."""
    try:
        doc: dict[str, Any] = Parser().parse(TokenScanner(path.read_text(encoding="utf-8")))  # type: ignore[assignment]
    except (CompositeParserException, ParserException) as err:
        raise CriteriaError(f"{path}: {err}") from None
    found: list[Criterion] = []
    for child in doc.get("feature", {}).get("children", []):
        scenario = child.get("scenario")
        if not scenario:
            continue
        tags = [t["name"] for t in scenario.get("tags", [])]
        ids = [m.group(1) for t in tags if (m := CHECK_TAG.match(t))]
        if not ids:
            continue
        line = scenario["location"]["line"]
        if len(ids) > 1:
            raise CriteriaError(f"{path}:{line}: scenario {scenario['name']!r} has several check ids {ids}")
        pending = next((why for t in tags if (why := pending_reason(t)) is not None), None)
        description = scenario.get("description") or ""
        crit = Criterion(
            id=ids[0],
            title=scenario["name"],
            pass_condition=_field(description, "Pass condition"),
            verifier=_field(description, "Verifier"),
            pending=pending,
            feature_file=str(path),
            line=line,
        )
        for name, value in (("Pass condition", crit.pass_condition), ("Verifier", crit.verifier)):
            if not value:
                raise CriteriaError(f"{path}:{line}: scenario {crit.id} has no '{name}:' line in its description")
        found.append(crit)
    return found


def catalogue(features_dir: Path) -> list[Criterion]:
    """All checks of all feature files, exit checks first in number order, then the others in file order."""
    checks: list[Criterion] = []
    seen: dict[str, Criterion] = {}
    for path in sorted(features_dir.glob("*.feature")):
        for crit in read_feature(path):
            if crit.id in seen:
                first = seen[crit.id]
                raise CriteriaError(
                    f"{path}:{crit.line}: check id {crit.id} already used at {first.feature_file}:{first.line}"
                )
            seen[crit.id] = crit
            checks.append(crit)
    # GUARD, STACK and KPI ids are names (KPI-p95-latency): their digits are no order, so they keep the files' order.
    return sorted(checks, key=_order)


def _order(c: Criterion) -> tuple[int, int, str]:
    """Exit checks by number, then guard rails, stack components, KPIs (the order of the report's tables)."""
    if c.id.startswith("EXIT-"):
        return 0, c.number, c.id
    return (1 if c.id.startswith("GUARD-") else 2 if c.id.startswith("STACK-") else 3), 0, ""


def markdown_table(checks: list[Criterion]) -> str:
    """The exit-criteria table as README shows it."""
    rows = ["| # | Objective check | Pass condition | Verifier | Status |", "|---|---|---|---|---|"]
    for c in checks:
        if not c.id.startswith("EXIT-"):
            continue
        status = f"pending ({c.pending})" if c.pending else "implemented"
        rows.append(f"| {c.number} | {c.title} | {c.pass_condition} | {c.verifier} | {status} |")
    return "\n".join(rows) + "\n"
