"""Exit check 2's tables hold the types their contracts state, as the table is stored (Iceberg's schema, or Glue's).

A Gold ``order_date`` kept as the text ``2026-03-01`` reads back as the same text: the demo's row matches, every
value expectation holds, and locally (DuckDB casts a string to a date) even a ``matches`` comparison agrees. On
AWS, Athena (Trino) refuses to compare it with a date ("Cannot apply operator: varchar = date", TYPE_MISMATCH):
the analysts' ``WHERE order_date = DATE '...'`` and the pipeline's own MERGE on it fail. So the types are read
back where Athena reads them: an Iceberg table's current schema in the metadata file Glue names (Glue's column
list is a copy Athena's reads do not use), another table's Glue columns; both are compared with the contract's
``columns.<name>.type`` (``lakehouse.contracts``), names normalised to Iceberg's.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse.checks.iceberg_files import current_metadata
from lakehouse.contracts import Contract, iceberg_type
from lakehouse.outcome import Outcome


def _type_name(kind: Any) -> str:
    """An Iceberg schema field's type: its name, or the kind of a nested one (``struct``, ``list``, ``map``)."""
    return str(kind.get("type")) if isinstance(kind, dict) else str(kind)


def iceberg_columns(metadata: dict[str, Any]) -> dict[str, str]:
    """Column -> type of the current schema of an Iceberg metadata file (format v2's ``schemas``, v1's ``schema``)."""
    current = metadata.get("current-schema-id")
    schemas = metadata.get("schemas") or [metadata.get("schema") or {}]
    schema = next((s for s in schemas if s.get("schema-id") == current), schemas[-1])
    return {str(f["name"]): _type_name(f["type"]) for f in schema.get("fields") or []}


def stored_types(glue: Any, s3: Any, table: str) -> tuple[str, dict[str, str]]:
    """``(where they were read, column -> type)`` of ``db.table`` as Athena reads it.

    Iceberg tables (Glue ``table_type=ICEBERG``): the current schema of the metadata file Glue names; others:
    Glue's ``StorageDescriptor.Columns`` and ``PartitionKeys``. botocore's errors and ``ValueError`` pass through.
    """
    db, name = table.split(".", 1)
    found = glue.get_table(DatabaseName=db, Name=name)["Table"]
    if str((found.get("Parameters") or {}).get("table_type", "")).upper() == "ICEBERG":
        location, metadata = current_metadata(glue, s3, table)
        return location, iceberg_columns(metadata)
    columns = [*(found.get("StorageDescriptor") or {}).get("Columns", []), *found.get("PartitionKeys", [])]
    return f"Glue table {table}", {str(c["Name"]): str(c.get("Type", "")) for c in columns}


def type_problems(table: str, stored: dict[str, str], contract: Contract, where: str) -> list[str]:
    """Each column of ``contract.column_types`` missing from ``stored`` or stored as another type, named."""
    problems = []
    for column, want in contract.column_types.items():
        got = stored.get(column)
        if got is None:
            problems.append(f"{table}.{column} is not a column of {where}; {contract.path.name} types it {want}")
        elif (iceberg_type(got) or got.lower()) != iceberg_type(want):
            problems.append(f"{table}.{column} is stored as {got} ({where}), {contract.path.name} says {want}")
    return problems


def check_column_types(glue: Any, s3: Any, tables: dict[str, Contract]) -> Outcome:
    """Every typed column of every table (physical ``db.table`` -> its contract) is stored as its contract says.

    Every table is read, whatever another's read did: a column stored with another type fails the check, the
    tables whose types could not be read named beside it (a shown mismatch is a verdict on the stack); only when
    none is shown and a table could not be read is it ``error``, naming each. One without typed columns is not read.
    """
    typed = {t: c for t, c in tables.items() if c.column_types}
    stored: dict[str, dict[str, str]] = {}
    unreadable: dict[str, str] = {}
    problems: list[str] = []
    for table, contract in typed.items():
        try:
            where, stored[table] = stored_types(glue, s3, table)
        except (ClientError, BotoCoreError, ValueError, KeyError, TypeError, AttributeError) as err:
            unreadable[table] = f"cannot read the column types of {table}: {err}"
            continue
        problems += type_problems(table, stored[table], contract, where)
    details = {
        "stored_types": stored,
        "contract_types": {t: c.column_types for t, c in typed.items()},
        "unreadable": unreadable,
    }
    if not typed:
        return Outcome.error("no contract states a column type: the stored types cannot be judged", [], details)
    if problems:
        reason = f"columns not stored as their contracts say: {'; '.join(problems)}"
        if unreadable:
            reason += f"; and {'; '.join(unreadable.values())}"
        return Outcome.judged(False, problems, [], reason, details)
    if unreadable:
        return Outcome.error("; ".join(unreadable.values()), [], details)
    return Outcome.judged(True, problems, [], None, details)
