"""Data contracts: one YAML file per table, checked with Great Expectations on the table's rows.

A contract names its table (``layer.table``), the expectations (Great Expectations' own
names without the ``expect_`` prefix, and their arguments), a null rule per column and
row-count relations to other tables. Great Expectations runs in an ephemeral context on a
pandas frame: nothing is written to disk. It is imported only here, lazily: the import costs
seconds per process.

Great Expectations' value expectations (range, regex, set, uniqueness, aggregates) skip NULLs,
so a column of nothing but NULLs meets them all. Hence every column an expectation judges
must have a null rule under ``columns:`` (``nullable: false`` or ``max_null_fraction: 0.1``),
which becomes a ``column_values_to_not_be_null`` expectation (with ``mostly`` for a
fraction); the loader refuses a contract that judges a column without one, and null rules
are said only there.

A Gold table's values cannot be judged by value expectations alone (revenue of completed orders
only is still positive and unique), so a contract may state the rows its table must hold as a
query over other tables (``matches:``, Athena SQL with the pipeline's ``${silver_db}`` placeholders);
``lakehouse.reconcile`` compares the two in Athena. A Gold table's contract must have one, and it
may not read the table itself (compared with itself, the table always agrees).

A contract part that no table can break (``mostly: 0``, a between without bounds, a regex every
string contains, ``at_least: 0``) is refused at load: ``lakehouse.vacuity`` says which and why.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import sqlglot
import yaml
from sqlglot import exp

from lakehouse.config import project_root
from lakehouse.reconcile import EXPECTATION, RowDiff, column_gap
from lakehouse.vacuity import matches_reads_itself, why_row_count_vacuous, why_vacuous

CONTRACTS_DIR = project_root() / "fixtures" / "contracts"
_LINE = "__line__"
#: What a ``matches`` query may name, as the pipeline's SQL files do (``runner.stack_values``).
PLACEHOLDERS = tuple(f"{layer}_{kind}" for layer in ("bronze", "silver", "gold") for kind in ("db", "bucket"))
#: The layer whose tables must state their rows as a query over other tables (``matches:``).
DERIVED_LAYER = "gold"


class ContractError(ValueError):
    """A contract file that cannot be used; the message names file, line and field."""


#: The expectation a null rule becomes; said in ``columns:``, never in ``expectations:``.
NOT_NULL = "column_values_to_not_be_null"
#: Expectations about NULLs themselves: they need no null rule.
NULL_EXPECTATIONS = (NOT_NULL, "column_values_to_be_null")


@dataclass
class Expectation:
    name: str  # e.g. column_values_to_be_between
    kwargs: dict[str, Any]
    line: int
    #: For a null rule: the rule as the contract says it (``nullable: false``), for failure texts.
    null_rule: str | None = None


@dataclass
class Contract:
    path: Path
    table: str  # layer.table
    expectations: list[Expectation]
    row_count: list[tuple[str, str | int, int]] = field(default_factory=list)  # (relation, other, line)
    #: The rows the table must hold, as a query (``matches:``), and the line it starts on.
    matches: str | None = None
    matches_line: int = 0
    #: The columns the ``matches`` query returns, by name: the table must have exactly these.
    matches_columns: list[str] = field(default_factory=list)
    #: The type each column must be stored as (``columns.<name>.type``, Athena's name): required for Gold's.
    column_types: dict[str, str] = field(default_factory=dict)

    @property
    def matches_where(self) -> str:
        return f"{self.path.name}:{self.matches_line}"


class _LineLoader(yaml.SafeLoader):
    """Remembers where each mapping starts, for error messages."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        mapping[_LINE] = node.start_mark.line + 1
        return mapping


def _class_name(name: str) -> str:
    return "Expect" + "".join(part.capitalize() for part in name.split("_"))


def judged_columns(expectation: Any) -> list[str]:
    """The columns whose values a GX expectation judges while skipping their NULLs (none for table-level ones)."""
    from great_expectations.expectations.expectation import (
        ColumnAggregateExpectation,
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )

    if isinstance(expectation, ColumnMapExpectation | ColumnAggregateExpectation):
        return [str(expectation.column)]
    if isinstance(expectation, ColumnPairMapExpectation):
        return [str(expectation.column_A), str(expectation.column_B)]
    if isinstance(expectation, MulticolumnMapExpectation):
        return [str(c) for c in expectation.column_list]
    return []


def _null_rules(path: Path, doc: dict[Any, Any]) -> dict[str, Expectation]:
    """``columns:`` -> one not-null expectation per column; a rule either forbids NULLs or bounds their share.

    A rule may also say the column's type (``type: date``): ``_column_types`` reads it."""
    section = doc.get("columns") or {}
    if not isinstance(section, dict):
        raise ContractError(f"{path}:{doc[_LINE]}: field `columns` maps column names to null rules")
    line = section.get(_LINE, doc[_LINE])
    rules = {}
    for column, rule in section.items():
        if column == _LINE:
            continue
        at = rule.get(_LINE, line) if isinstance(rule, dict) else line
        where = f"{path}:{at}: field `columns.{column}`"
        keys = {k: v for k, v in rule.items() if k not in (_LINE, "type")} if isinstance(rule, dict) else {}
        if not keys and isinstance(rule, dict) and "type" in rule:
            continue  # a type alone: no null rule (an expectation on the column still needs one)
        if keys == {"nullable": False}:
            rules[str(column)] = Expectation(NOT_NULL, {"column": str(column)}, at, "nullable: false")
            continue
        fraction = keys.get("max_null_fraction")
        if set(keys) == {"max_null_fraction"} and isinstance(fraction, int | float) and not isinstance(fraction, bool):
            if not 0 <= fraction < 1:
                raise ContractError(f"{where}: max_null_fraction must be >= 0 and < 1 (1 allows a column of NULLs)")
            kwargs: dict[str, Any] = {"column": str(column)}
            if fraction:
                kwargs["mostly"] = round(1 - float(fraction), 9)
            rules[str(column)] = Expectation(NOT_NULL, kwargs, at, f"max_null_fraction: {fraction}")
            continue
        raise ContractError(
            f"{where}: a null rule is `nullable: false` or `max_null_fraction: <0 to <1>`, got {keys or rule!r}"
        )
    return rules


#: Athena DDL type names (as ``CREATE TABLE`` and Glue say them) -> Iceberg's (as the table's schema says them).
_ICEBERG_NAMES = {
    "string": "string",
    "varchar": "string",
    "bigint": "long",
    "int": "int",
    "integer": "int",
    "double": "double",
    "float": "float",
    "real": "float",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "timestamptz": "timestamptz",
    "binary": "binary",
}
_DECIMAL = re.compile(r"decimal\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)")


def iceberg_type(name: str) -> str | None:
    """A scalar type as Iceberg's schema names it (``bigint`` -> ``long``, ``decimal(12,2)`` -> ``decimal(12, 2)``),
    from Athena's DDL, Glue's or Iceberg's own name; None for a name none of them has (or a nested type)."""
    text = name.strip().lower()
    if m := _DECIMAL.fullmatch(text):
        return f"decimal({int(m.group(1))}, {int(m.group(2))})"
    if text in _ICEBERG_NAMES.values():
        return text
    return _ICEBERG_NAMES.get(text)


def _column_types(path: Path, doc: dict[Any, Any]) -> dict[str, str]:
    """``columns.<name>.type``: the type each column must have where the table is stored, Athena's name."""
    section = doc.get("columns") or {}
    types = {}
    for column, rule in section.items() if isinstance(section, dict) else []:
        if column == _LINE or not isinstance(rule, dict) or "type" not in rule:
            continue
        if not isinstance(rule["type"], str) or iceberg_type(rule["type"]) is None:
            raise ContractError(
                f"{path}:{rule.get(_LINE, doc[_LINE])}: field `columns.{column}.type`: {rule['type']!r} is not an "
                f"Athena type of an Iceberg column ({', '.join(sorted(_ICEBERG_NAMES))} or decimal(p, s))"
            )
        types[str(column)] = rule["type"]
    return types


def load_contract(path: Path) -> Contract:
    """Parse one contract; every problem is a ``ContractError`` naming file, line and field."""
    import great_expectations.expectations as gxe

    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as err:
        line = err.problem_mark.line + 1 if err.problem_mark else 0
        raise ContractError(f"{path}:{line}: not valid YAML: {err.problem}") from None
    if not isinstance(doc, dict):
        raise ContractError(f"{path}:1: a contract is a mapping with `table` and `expectations`")
    table = doc.get("table")
    if not isinstance(table, str) or table.count(".") != 1:
        raise ContractError(f"{path}:{doc.get(_LINE, 1)}: field `table` must be `layer.table`, got {table!r}")
    unknown = set(doc) - {"table", "expectations", "columns", "row_count", "matches", "description", _LINE}
    if unknown:
        raise ContractError(f"{path}:{doc[_LINE]}: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
    null_rules = _null_rules(path, doc)
    expectations = []
    for item in doc.get("expectations") or []:
        line = item.get(_LINE, 0) if isinstance(item, dict) else 0
        if not isinstance(item, dict) or not isinstance(item.get("expect"), str):
            raise ContractError(
                f"{path}:{line}: field `expect` missing (an expectation name, e.g. column_values_to_be_unique)"
            )
        name = item["expect"].removeprefix("expect_")
        if not hasattr(gxe, _class_name(name)):
            raise ContractError(f"{path}:{line}: field `expect`: unknown expectation {item['expect']!r}")
        if name == NOT_NULL:
            column = item.get("column", "<column>")
            raise ContractError(
                f"{path}:{line}: field `expect`: say null rules under `columns:` "
                f"(`{column}: {{nullable: false}}` or `{column}: {{max_null_fraction: 0.1}}`)"
            )
        kwargs = {k: v for k, v in item.items() if k not in ("expect", _LINE)}
        try:
            built = getattr(gxe, _class_name(name))(**kwargs)
        except Exception as err:  # pydantic's ValidationError: name the field it complains about
            raise ContractError(f"{path}:{line}: expectation {name}: {str(err).splitlines()[0]}") from None
        unruled = [c for c in judged_columns(built) if c not in null_rules] if name not in NULL_EXPECTATIONS else []
        if unruled:
            raise ContractError(
                f"{path}:{line}: field `column`: expectation {name} skips NULLs, so {', '.join(unruled)} "
                f"needs a null rule under `columns:` (`nullable: false` or `max_null_fraction: <0 to <1>`)"
            )
        if (vacuous := why_vacuous(name, kwargs, built)) is not None:
            raise ContractError(f"{path}:{line}: expectation {name} cannot fail: {vacuous}")
        expectations.append(Expectation(name, kwargs, line))
    relations = []
    for item in doc.get("row_count") or []:
        line = item.get(_LINE, 0) if isinstance(item, dict) else 0
        pairs = [(k, v) for k, v in (item.items() if isinstance(item, dict) else []) if k != _LINE]
        if len(pairs) != 1 or pairs[0][0] not in ("equals", "at_most", "at_least"):
            raise ContractError(
                f"{path}:{line}: field `row_count` entries are one of equals/at_most/at_least: <table or number>"
            )
        if (vacuous := why_row_count_vacuous(*pairs[0])) is not None:
            raise ContractError(f"{path}:{line}: field `row_count` cannot fail: {vacuous}")
        relations.append((pairs[0][0], pairs[0][1], line))
    matches = doc.get("matches")
    matches_line = _key_line(path, "matches")
    if matches is not None and (not isinstance(matches, str) or not matches.strip()):
        raise ContractError(f"{path}:{matches_line}: field `matches` is a query (the rows the table must hold)")
    unknown_names = sorted(set(re.findall(r"\$\{(\w*)\}", matches or "")) - set(PLACEHOLDERS))
    if unknown_names:
        raise ContractError(
            f"{path}:{matches_line}: field `matches`: unknown placeholder(s) {', '.join(unknown_names)} "
            f"(known: {', '.join(PLACEHOLDERS)})"
        )
    if matches is None and table.split(".")[0] == DERIVED_LAYER:
        raise ContractError(
            f"{path}:{doc[_LINE]}: field `matches` missing: a {DERIVED_LAYER} table states the rows it must hold as "
            "a query over the tables it is built from (value expectations cannot tell a wrong Gold from a right one)"
        )
    types = _column_types(path, doc)
    columns: list[str] = []
    if matches is not None:
        layers = {f"{layer}_db": layer for layer in ("bronze", "silver", "gold")}
        rendered = re.sub(r"\$\{(\w+)\}", lambda m: m.group(1), matches)
        if matches_reads_itself(table, rendered, layers):
            raise ContractError(
                f"{path}:{matches_line}: field `matches` reads {table} itself: compared with itself, the table "
                "always agrees; state its rows over the tables it is built from"
            )
        columns = _query_columns(f"{path}:{matches_line}", rendered)
        if table.split(".")[0] == DERIVED_LAYER and (untyped := [c for c in columns if c not in types]):
            raise ContractError(
                f"{path}:{doc[_LINE]}: field `columns`: a {DERIVED_LAYER} table states each column's type "
                f"(`type: date`), and {', '.join(untyped)} has none: a text where a date belongs reads back the same "
                "text, yet Athena refuses to compare it with a date"
            )
    return Contract(
        path, table, list(null_rules.values()) + expectations, relations, matches, matches_line, columns, types
    )


def _query_columns(where: str, query: str) -> list[str]:
    """The names of the columns a ``matches`` query returns (sqlglot, Trino's dialect as Athena's).

    The table is compared on exactly these, so each must be named: ``*`` or an unnamed expression
    (Athena calls it ``_col1``) leaves the table's columns unstated.
    """
    try:
        tree = sqlglot.parse_one(query, read="trino")
    except sqlglot.errors.ParseError as err:
        raise ContractError(f"{where}: field `matches`: not a query sqlglot reads as Athena SQL: {err}") from None
    if not isinstance(tree, exp.Query):
        raise ContractError(f"{where}: field `matches` is a query (the rows the table must hold)")
    unnamed = [s.sql(dialect="trino") for s in tree.selects if s.is_star or s.output_name in ("", "*")]
    if unnamed:
        raise ContractError(
            f"{where}: field `matches`: name every column the table must hold (`AS <column>`), not {', '.join(unnamed)}"
        )
    return [str(s.output_name) for s in tree.selects]


def _key_line(path: Path, key: str) -> int:
    """The line a top-level key starts on (scalars carry no mark of their own in ``_LineLoader``)."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith(f"{key}:"):
            return number
    return 0


def load_contracts(directory: Path = CONTRACTS_DIR) -> list[Contract]:
    """Every contract of a directory; all files are read before any error is raised."""
    contracts, errors = [], []
    for path in sorted(directory.glob("*.yml")):
        try:
            contracts.append(load_contract(path))
        except ContractError as err:
            errors.append(str(err))
    if errors:
        raise ContractError("\n".join(errors))
    return contracts


#: An expectation's status in the evidence (``status``): judged and met, judged and not met, or not judged.
PASSED, FAILED, ERROR = "passed", "failed", "error"


class PartUnreadable(RuntimeError):
    """What one contract part needs could not be read (another table's size, the ``matches`` comparison).

    That part is ``error`` and the contract's other parts are judged all the same (``check_contract``): one
    unreadable part must not hide a violation beside it.
    """


@dataclass
class ContractResult:
    """One table's contract outcome: the evidence shape ``details.contracts`` entries use.

    Each entry of ``expectations`` has a ``status`` (``PASSED``, ``FAILED`` or ``ERROR``) and ``success``
    (true only when passed); the contract's ``status`` is failed when any is, else error when any is.
    ``rows`` is None when the table itself could not be read.
    """

    table: str
    suite: str
    success: bool
    rows: int | None
    expectations: list[dict[str, Any]]
    status: str = PASSED

    def failures(self) -> list[str]:
        """One line per failed expectation, naming ``table.column`` when it judges one column."""
        return [
            (f"{self.table}.{e['column']}: " if e.get("column") else f"{self.table}: ")
            + f"{e['expectation']} failed"
            + (f" for {e['unexpected_count']} of {self.rows} row(s)" if e.get("unexpected_count") else "")
            + (f" ({e['details']})" if e.get("details") else "")
            for e in self.expectations
            if e.get("status", FAILED if not e["success"] else PASSED) == FAILED
        ]

    def errors(self) -> list[str]:
        """Why each part that could not be judged was not (distinct, in order)."""
        return list(dict.fromkeys(str(e.get("details")) for e in self.expectations if e.get("status") == ERROR))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: Compares a table with its contract's ``matches`` query, given the table's columns.
Matcher = Callable[[Contract, list[str]], RowDiff]

#: The Great Expectations expectation each ``row_count`` relation becomes.
_ROW_COUNT = {
    "equals": "expect_table_row_count_to_equal",
    "at_most": "expect_table_row_count_to_be_between",
    "at_least": "expect_table_row_count_to_be_between",
}


def _error_entry(expectation: str, why: str, column: str | None = None) -> dict[str, Any]:
    """The evidence entry of a part that could not be judged: never a pass."""
    entry: dict[str, Any] = {"expectation": expectation, "success": False, "status": ERROR, "details": why}
    if column:
        entry["column"] = column
    return entry


def _status(entries: list[dict[str, Any]]) -> str:
    """A contract's status from its entries': any failed -> failed; else any error -> error; else passed."""
    statuses = {e["status"] for e in entries}
    return FAILED if FAILED in statuses else ERROR if ERROR in statuses else PASSED


def _with_status(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each judged entry's ``status`` from its ``success`` (an error entry says its own)."""
    for e in entries:
        e.setdefault("status", PASSED if e["success"] else FAILED)
    return entries


def _raised(result: Any) -> str | None:
    """The message of the exception Great Expectations met evaluating ``result``, or None.

    Its ``exception_info`` is flat, or keyed by metric when a metric raised (e.g. a column the frame lacks).
    """
    info = result.exception_info or {}
    found = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    messages = [str(i.get("exception_message") or "exception") for i in found if i.get("raised_exception")]
    return "; ".join(messages) or None


def check_contract(
    contract: Contract, frame: Any, counts: Callable[[str], int], matcher: Matcher | None = None
) -> ContractResult:
    """Validate ``frame`` (the table's rows) against the contract; ``counts`` gives other tables' sizes.

    ``matcher`` compares the table with its ``matches`` query (needed when the contract has one). A size or a
    comparison that cannot be read (``PartUnreadable``) makes that part ``error``; every other part is judged.
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx
    import great_expectations.expectations as gxe

    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_pandas(name=f"contract-{contract.table}")
    batch_def = source.add_dataframe_asset(name=contract.table).add_batch_definition_whole_dataframe("all")
    suite = gx.ExpectationSuite(name=contract.path.stem)
    for e in contract.expectations:
        meta = {"null_rule": e.null_rule, "line": e.line} if e.null_rule else None
        suite.add_expectation(getattr(gxe, _class_name(e.name))(**e.kwargs, meta=meta))
    not_read = []
    for relation, other, _ in contract.row_count:
        try:
            n = other if isinstance(other, int) else counts(str(other))
        except PartUnreadable as err:
            not_read.append(_error_entry(_ROW_COUNT[relation], str(err)))
            continue
        meta = {"relation": f"{relation} {other} ({n} rows)"}
        if relation == "equals":
            suite.add_expectation(gxe.ExpectTableRowCountToEqual(value=n, meta=meta))
        elif relation == "at_most":
            suite.add_expectation(gxe.ExpectTableRowCountToBeBetween(max_value=n, meta=meta))
        else:
            suite.add_expectation(gxe.ExpectTableRowCountToBeBetween(min_value=n, meta=meta))
    outcome = batch_def.get_batch(batch_parameters={"dataframe": frame}).validate(suite)
    rows = [_gx_entry(contract, r) for r in outcome.results] + not_read
    if contract.matches is not None:
        rows.append(_matches_entry(contract, frame, matcher))
    status = _status(_with_status(rows))
    return ContractResult(contract.table, suite.name, status == PASSED, len(frame), rows, status)


def _gx_entry(contract: Contract, r: Any) -> dict[str, Any]:
    """One Great Expectations result as an evidence entry; one it could not evaluate fails, saying why.

    The table's rows were read: what the expectation needs and they lack (a column) is the table's failing.
    """
    config = r.expectation_config
    assert config is not None
    kind, kwargs, meta = config.type, config.kwargs, config.meta or {}
    entry: dict[str, Any] = {"expectation": kind, "success": bool(r.success)}
    if kwargs.get("column"):
        entry["column"] = kwargs["column"]
    if "unexpected_count" in r.result:
        entry["unexpected_count"] = int(r.result["unexpected_count"] or 0)
    rule = meta.get("null_rule")
    if rule:
        entry["null_rule"] = rule
    if (raised := _raised(r)) is not None:
        entry["success"] = False
        entry["details"] = f"could not be evaluated on the table's rows: {raised}"
    elif kind.startswith("expect_table_row_count"):
        entry["details"] = f"row count {r.result.get('observed_value')}, expected {meta.get('relation', '')}"
    elif not r.success and rule:
        entry["details"] = f"null rule `{rule}`, {contract.path.name}:{meta.get('line')}"
    elif not r.success and r.result.get("partial_unexpected_list"):
        entry["details"] = f"e.g. {r.result['partial_unexpected_list'][:3]}"
    return entry


def _matches_entry(contract: Contract, frame: Any, matcher: Matcher | None) -> dict[str, Any]:
    """The table against its ``matches`` query: on the same columns only, and ``error`` when it cannot run."""
    if matcher is None:
        raise ValueError(f"{contract.table}: its contract has `matches` but nothing to compare it with")
    columns = [str(c) for c in frame.columns]
    gap = column_gap(contract.matches_columns, columns, contract.matches_where)
    if gap is not None:  # the rows can only be compared on the same columns
        return gap
    try:
        diff = matcher(contract, columns)
    except PartUnreadable as err:
        return _error_entry(EXPECTATION, str(err))
    return diff.entry(contract.matches_where)


def unjudged(contract: Contract, why: str) -> ContractResult:
    """The result of a contract whose table could not be read: every part listed, each ``error`` saying why."""
    entries = [
        _error_entry(f"expect_{e.name}", why, e.kwargs.get("column"))
        | ({"null_rule": e.null_rule} if e.null_rule else {})
        for e in contract.expectations
    ]
    entries += [_error_entry(_ROW_COUNT[relation], why) for relation, _, _ in contract.row_count]
    entries += [_error_entry(EXPECTATION, why)] if contract.matches is not None else []
    return ContractResult(contract.table, contract.path.stem, False, None, entries, ERROR)
