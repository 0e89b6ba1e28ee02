"""From evidence.json to what the page shows: plain view objects, no markup.

Evidence ``details`` are rendered by convention, and robustly when producers leave keys out:

- ``queries``: ``[{sql, query_execution_id, columns, rows, data_scanned_bytes,
  engine_execution_ms, principal?, error?, snapshot_id?}]`` -> SQL, result table, error;
- ``contracts``: ``[{table, suite, success, status?, expectations: [{expectation, column?, success, status?,
  unexpected_count?, details?}]}]`` -> a pass/fail table per contract (``status: error``: not judged);
- a deploy stopwatch (``phases_s`` and/or ``apply.resources``, exit check 1) -> timing bars;
- ``unit`` (optional) -> printed after measured and threshold;
- every other key -> a short value inline, anything bigger as collapsible JSON.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lakehouse.criteria import Criterion
from lakehouse.report.artifacts import ArtifactReader, ArtifactView, human_bytes, pretty_json

#: Result rows shown per query, and characters per cell.
MAX_ROWS = 50
MAX_CELL = 300
#: Resources drawn in the timing chart (the slowest; the rest are counted).
MAX_BARS = 60
#: A details value shorter than this (as text) is shown inline rather than as JSON.
INLINE_CHARS = 120

STOPWATCH_KEYS = ("total_s", "phases_s", "apply")
NOT_PASSED = ("failed", "error")


# -- view objects -----------------------------------------------------------------------------------


@dataclass
class QueryView:
    sql: str
    query_execution_id: str | None = None
    principal: str | None = None
    snapshot_id: str | None = None
    scanned: str | None = None
    engine_ms: str | None = None
    error: str | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)
    row_count: int = 0
    extra: str | None = None


@dataclass
class ExpectationView:
    expectation: str
    column: str | None
    success: bool | None
    unexpected_count: str | None
    details: str | None
    #: Not judged (``status: error``): shown as such, neither passed nor failed.
    error: bool = False


@dataclass
class ContractView:
    table: str
    suite: str | None
    success: bool | None
    expectations: list[ExpectationView]
    passed: int
    failed: int
    errors: int = 0
    error: bool = False


@dataclass
class Bar:
    label: str
    seconds: float
    percent: float
    note: str = ""
    failed: bool = False


@dataclass
class StopwatchView:
    total_s: float
    phases: list[Bar]
    resources: list[Bar]
    hidden: int
    hidden_max_s: float
    apply_wall_s: float | None
    returncode: int | None
    diagnostics: list[str]
    #: The one clock over the whole deploy (what exit check 1 and KPI-quickstart measure), when recorded.
    wall_s: float | None = None


@dataclass
class DetailBlock:
    key: str
    summary: str
    json: str


@dataclass
class CheckView:
    id: str
    anchor: str
    title: str
    status: str
    reason: str | None
    measured: str
    threshold: str
    #: Measured and threshold side by side, one row per key, when either is a dict.
    comparison: list[tuple[str, str, str]]
    duration: str
    started_at: str | None
    target: str | None
    pass_condition: str | None
    verifier: str | None
    queries: list[QueryView]
    contracts: list[ContractView]
    stopwatch: StopwatchView | None
    facts: list[tuple[str, str]]
    blocks: list[DetailBlock]
    artifacts: list[ArtifactView]

    @property
    def is_kpi(self) -> bool:
        return self.id.startswith("KPI-")

    @property
    def is_guard(self) -> bool:
        """A guard rail of the plan (``GUARD-review``): a setting around the stack, not an exit criterion."""
        return self.id.startswith("GUARD-")

    @property
    def is_component(self) -> bool:
        """A component of the v0.9 stack beyond Bronze -> Gold (``STACK-model``): verified like an exit check."""
        return self.id.startswith("STACK-")


@dataclass
class Row:
    """A row of the exit-criteria (or KPI) table."""

    number: str
    id: str
    anchor: str
    title: str
    pass_condition: str
    verifier: str
    status: str
    note: str | None


@dataclass
class TeardownView:
    stack_id: str
    outcome: str
    message: str | None

    @property
    def ok(self) -> bool:
        return self.outcome != "destroy_failed"


@dataclass
class ReportView:
    verdict: str
    target: str
    region: str | None
    commit: str | None
    started_at: str | None
    finished_at: str | None
    run_time: str | None
    mode: str | None
    stack_ids: list[str]
    teardown: list[TeardownView]
    pytest_exit_status: Any
    schema_version: Any
    exit_rows: list[Row]
    kpi_rows: list[Row]
    checks: list[CheckView]
    kpis: list[CheckView]
    #: Guard rails (``GUARD-...``): their own table and section, after the exit criteria.
    guard_rows: list[Row]
    guards: list[CheckView]
    #: Stack components (``STACK-...``): MLflow -> SageMaker, the Backstage catalog.
    component_rows: list[Row]
    components: list[CheckView]
    counts: dict[str, int]
    problems: list[CheckView]
    #: Checks that did not run (skipped, deselected, missing): why the verdict is not ``passed``.
    not_run: list[Row]
    warnings: list[str]
    generated_at: str
    source: str


# -- formatting -------------------------------------------------------------------------------------------


def _num(value: float) -> str:
    return f"{value:,.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"


def fmt_value(value: Any, unit: str | None = None) -> str:
    """A measured value or threshold in one line (dicts as ``key: value`` pairs)."""
    suffix = f" {unit}" if unit else ""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return _num(value) + suffix
    if isinstance(value, dict):
        return ", ".join(f"{k}: {fmt_value(v)}" for k, v in value.items()) or "-"
    if isinstance(value, list):
        return ", ".join(fmt_value(v) for v in value) or "[]"
    return str(value) + suffix


def compare(measured: Any, threshold: Any, unit: str | None) -> list[tuple[str, str, str]]:
    """Rows of (key, measured, threshold) when the values are dicts keyed alike; empty for scalars."""
    if not isinstance(measured, dict) and not isinstance(threshold, dict):
        return []
    m = measured if isinstance(measured, dict) else {}
    t = threshold if isinstance(threshold, dict) else {}
    keys = list(m) + [k for k in t if k not in m]
    return [(str(k), fmt_value(m.get(k), unit), fmt_value(t.get(k), unit)) for k in keys]


def _seconds(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def fmt_duration(seconds: float) -> str:
    if seconds >= 90:
        minutes, rest = divmod(seconds, 60)
        return f"{int(minutes)} min {rest:.0f} s"
    return f"{seconds:.1f} s"


def anchor(check_id: str) -> str:
    return "check-" + re.sub(r"[^A-Za-z0-9_-]", "-", check_id)


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict | list):
        return _compact(value, MAX_CELL)
    text = str(value)
    return text if len(text) <= MAX_CELL else text[:MAX_CELL] + "..."


def _run_time(started: Any, finished: Any) -> str | None:
    try:
        delta = datetime.fromisoformat(str(finished)) - datetime.fromisoformat(str(started))
    except (TypeError, ValueError):
        return None
    return fmt_duration(delta.total_seconds())


# -- details conventions -----------------------------------------------------------------------------------


def _query(raw: Any) -> QueryView:
    if not isinstance(raw, dict):
        return QueryView(sql=str(raw))
    columns_raw = raw.get("columns") or []
    columns = [str(c.get("name", c)) if isinstance(c, dict) else str(c) for c in columns_raw if c is not None]
    rows_raw = raw.get("rows") or []
    if not isinstance(rows_raw, list):
        rows_raw = [rows_raw]
    if not columns and rows_raw and isinstance(rows_raw[0], dict):
        columns = [str(k) for k in rows_raw[0]]
    rows: list[list[str | None]] = []
    for r in rows_raw[:MAX_ROWS]:
        if isinstance(r, dict):
            rows.append([_cell(r.get(c)) for c in columns])
        elif isinstance(r, list | tuple):
            rows.append([_cell(v) for v in r])
        else:
            rows.append([_cell(r)])
    scanned = raw.get("data_scanned_bytes")
    engine = raw.get("engine_execution_ms")
    known = {
        "sql",
        "query_execution_id",
        "columns",
        "rows",
        "row_count",
        "data_scanned_bytes",
        "engine_execution_ms",
        "principal",
        "error",
        "snapshot_id",
    }
    extra = {k: v for k, v in raw.items() if k not in known}
    row_count = raw.get("row_count")
    return QueryView(
        sql=str(raw.get("sql") or "(no SQL recorded)"),
        query_execution_id=_text(raw.get("query_execution_id")),
        principal=_text(raw.get("principal")),
        snapshot_id=_text(raw.get("snapshot_id")),
        scanned=human_bytes(scanned) if isinstance(scanned, int | float) else _text(scanned),
        engine_ms=f"{_num(engine)} ms" if isinstance(engine, int | float) else _text(engine),
        error=_text(raw.get("error")),
        columns=columns,
        rows=rows,
        row_count=row_count if isinstance(row_count, int) else len(rows_raw),
        extra=pretty_json(extra) if extra else None,
    )


def _compact(value: Any, limit: int = 2000) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + "..."


def _success(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _contract(raw: Any) -> ContractView:
    if not isinstance(raw, dict):
        return ContractView(str(raw), None, None, [], 0, 0)
    expectations = []
    for e in raw.get("expectations") or []:
        if not isinstance(e, dict):
            expectations.append(ExpectationView(str(e), None, None, None, None))
            continue
        name = e.get("expectation") or e.get("expectation_type") or e.get("type") or "(unnamed expectation)"
        known = {"expectation", "expectation_type", "type", "column", "success", "status", "unexpected_count"}
        rest = {k: v for k, v in e.items() if k not in known}
        details = rest.get("details") if list(rest) == ["details"] else rest
        error = e.get("status") == "error"
        expectations.append(
            ExpectationView(
                expectation=str(name),
                column=_text(e.get("column")),
                success=None if error else _success(e.get("success")),
                unexpected_count=_text(e.get("unexpected_count")),
                details=(details if isinstance(details, str) else _compact(details)) if details else None,
                error=error,
            )
        )
    passed = sum(e.success is True for e in expectations)
    failed = sum(e.success is False for e in expectations)
    errors = sum(e.error for e in expectations)
    error = raw.get("status") == "error"
    success = None if error else _success(raw.get("success"))
    if success is None and expectations:
        success = failed == 0 and passed == len(expectations)
    return ContractView(
        table=str(raw.get("table") or "(table not named)"),
        suite=_text(raw.get("suite")),
        success=success,
        expectations=expectations,
        passed=passed,
        failed=failed,
        errors=errors,
        error=error,
    )


def _dict(value: Any) -> dict[str, Any]:
    """``value`` when evidence holds an object there; a hand-edited file may hold anything."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def is_stopwatch(details: dict[str, Any]) -> bool:
    return isinstance(details.get("phases_s"), dict) or (
        isinstance(details.get("apply"), dict) and isinstance(details["apply"].get("resources"), list)
    )


def _stopwatch(details: dict[str, Any]) -> StopwatchView:
    phases_raw = _dict(details.get("phases_s"))
    total = _seconds(details.get("total_s")) or sum(_seconds(v) for v in phases_raw.values())
    phases = [
        Bar(str(name), _seconds(s), round(100 * _seconds(s) / total, 2) if total else 0.0)
        for name, s in phases_raw.items()
    ]
    apply = _dict(details.get("apply"))
    timed = sorted(
        ((_seconds(r.get("elapsed_s")), r) for r in _list(apply.get("resources")) if isinstance(r, dict)),
        key=lambda t: -t[0],
    )
    longest = timed[0][0] if timed else 0.0
    # Terraform reports whole seconds: resources at 0 s are counted, not drawn.
    drawn = [t for t in timed if t[0] > 0][:MAX_BARS]
    bars = []
    for s, r in drawn:
        status = str(r.get("status") or "")
        bars.append(
            Bar(
                label=str(r.get("address") or "(no address)"),
                seconds=s,
                percent=round(100 * s / longest, 2) if longest else 0.0,
                note=" ".join(x for x in (str(r.get("action") or ""), status) if x),
                failed=status not in ("", "complete"),
            )
        )
    hidden = timed[len(drawn) :]
    diagnostics = apply.get("diagnostics") or []
    returncode = apply.get("returncode")
    return StopwatchView(
        total_s=total,
        phases=phases,
        resources=bars,
        hidden=len(hidden),
        hidden_max_s=hidden[0][0] if hidden else 0.0,
        apply_wall_s=_seconds(apply["wall_s"]) if "wall_s" in apply else None,
        returncode=returncode if isinstance(returncode, int) else None,
        diagnostics=[str(d) for d in diagnostics] if isinstance(diagnostics, list) else [str(diagnostics)],
        wall_s=_seconds(details["wall_s"]) if isinstance(details.get("wall_s"), int | float) else None,
    )


def _summary(value: Any) -> str:
    if isinstance(value, list):
        return f"list of {len(value)}"
    if isinstance(value, dict):
        return f"{len(value)} field{'s' if len(value) != 1 else ''}"
    return f"{len(str(value))} characters"


def _rest(details: dict[str, Any], used: set[str]) -> tuple[list[tuple[str, str]], list[DetailBlock]]:
    """Remaining details: short values inline, the rest as collapsible JSON."""
    facts, blocks = [], []
    for key, value in details.items():
        if key in used:
            continue
        short = value in ([], {}) or (not isinstance(value, dict | list) and len(str(value)) <= INLINE_CHARS)
        if short:
            facts.append((key, "none" if value in ([], {}) else fmt_value(value)))
        else:
            text = value if isinstance(value, str) else pretty_json(value)
            blocks.append(DetailBlock(key, _summary(value), text))
    return facts, blocks


# -- whole report -------------------------------------------------------------------------------------------


def check_view(entry: dict[str, Any], crit: Criterion | None, reader: ArtifactReader) -> CheckView:
    details = _dict(entry.get("details"))
    used: set[str] = {"unit"}
    queries = [_query(q) for q in _list(details.get("queries"))]
    contracts = [_contract(c) for c in _list(details.get("contracts"))]
    used.update(key for key in ("queries", "contracts") if isinstance(details.get(key), list))
    stopwatch = None
    if is_stopwatch(details):
        stopwatch = _stopwatch(details)
        used.update(STOPWATCH_KEYS)
    facts, blocks = _rest(details, used)
    unit = _text(details.get("unit")) or ("s" if stopwatch else None)
    check_id = str(entry.get("id") or "(no id)")
    return CheckView(
        id=check_id,
        anchor=anchor(check_id),
        title=str(entry.get("title") or (crit.title if crit else check_id)),
        status=str(entry.get("status") or "error"),
        reason=_text(entry.get("reason")),
        measured=fmt_value(entry.get("measured"), unit),
        threshold=fmt_value(entry.get("threshold"), unit),
        comparison=compare(entry.get("measured"), entry.get("threshold"), unit),
        duration=fmt_duration(_seconds(entry.get("duration_s"))),
        started_at=_text(entry.get("started_at")),
        target=_text(entry.get("target")),
        pass_condition=crit.pass_condition if crit else None,
        verifier=crit.verifier if crit else None,
        queries=queries,
        contracts=contracts,
        stopwatch=stopwatch,
        facts=facts,
        blocks=blocks,
        artifacts=[reader.read(str(a)) for a in _list(entry.get("artifacts"))],
    )


def _short_id(check_id: str) -> str:
    """A KPI or guard rail's id without its prefix (the table's heading says which kind it is)."""
    return check_id.removeprefix("KPI-").removeprefix("GUARD-").removeprefix("STACK-")


def _kind(check_id: str) -> str:
    for prefix, kind in (("KPI-", "kpi"), ("GUARD-", "guard"), ("STACK-", "component")):
        if check_id.startswith(prefix):
            return kind
    return "exit"


def _row(view: CheckView | None, crit: Criterion | None) -> Row:
    check_id = crit.id if crit else view.id if view else "?"
    number = str(crit.number) if crit and crit.id.startswith("EXIT-") else _short_id(check_id)
    return Row(
        number=number,
        id=check_id,
        anchor=anchor(check_id),
        title=view.title if view else crit.title if crit else check_id,
        pass_condition=crit.pass_condition if crit else "",
        verifier=crit.verifier if crit else "",
        status=view.status if view else "missing",
        note=view.reason if view else "no entry in evidence.json",
    )


def build_report(
    doc: dict[str, Any],
    criteria: list[Criterion] | None,
    reader: ArtifactReader,
    generated_at: str,
    source: str,
    warnings: list[str] | None = None,
) -> ReportView:
    """The whole page's content: catalogue order first, then checks the catalogue does not know."""
    run = _dict(doc.get("run"))
    entries = [e for e in doc.get("checks") or [] if isinstance(e, dict)]
    by_id = {str(e.get("id")): e for e in entries}
    known = {c.id: c for c in criteria or []}
    order = [c.id for c in criteria or []] + [i for i in by_id if i not in known]
    views = {i: check_view(by_id[i], known.get(i), reader) for i in order if i in by_id}
    rows = [_row(views.get(i), known.get(i)) for i in order]
    checks = [v for v in views.values() if _kind(v.id) == "exit"]
    kpis = [v for v in views.values() if v.is_kpi]
    counts = dict(Counter(r.status for r in rows))
    teardown = [
        TeardownView(str(t.get("stack_id")), str(t.get("outcome")), _text(t.get("message")))
        for t in run.get("teardown") or []
        if isinstance(t, dict)
    ]
    stack_ids = [str(s) for s in run.get("stack_ids") or ([run["stack_id"]] if run.get("stack_id") else [])]
    return ReportView(
        verdict=str(run.get("verdict") or "unknown"),
        target=str(run.get("target") or "unknown"),
        region=_text(run.get("region")),
        commit=_text(run.get("commit")),
        started_at=_text(run.get("started_at")),
        finished_at=_text(run.get("finished_at")),
        run_time=_run_time(run.get("started_at"), run.get("finished_at")),
        mode=_text(run.get("mode")),
        stack_ids=stack_ids,
        teardown=teardown,
        pytest_exit_status=run.get("pytest_exit_status"),
        schema_version=doc.get("schema_version"),
        exit_rows=[r for r in rows if _kind(r.id) == "exit"],
        kpi_rows=[r for r in rows if _kind(r.id) == "kpi"],
        checks=checks,
        kpis=kpis,
        guard_rows=[r for r in rows if _kind(r.id) == "guard"],
        guards=[v for v in views.values() if v.is_guard],
        component_rows=[r for r in rows if _kind(r.id) == "component"],
        components=[v for v in views.values() if v.is_component],
        counts=counts,
        problems=[v for v in views.values() if v.status in NOT_PASSED],
        not_run=[r for r in rows if r.status not in ("passed", *NOT_PASSED)],
        warnings=list(warnings or []),
        generated_at=generated_at,
        source=source,
    )
