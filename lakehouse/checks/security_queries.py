"""Exit check 6's judging of what the analyst's and the privileged principal's queries returned, and of the
analyst workgroup's past results."""

from __future__ import annotations

from collections.abc import Sequence

from lakehouse.athena import QueryRecord
from lakehouse.checks.hidden_values import ENCODINGS
from lakehouse.checks.security_model import (
    INVOKER_DENIED,
    MAX_SEARCH_ROWS,
    NO_ACCESS,
    PROBE_MARK,
    CatalogTable,
    SecurityReadback,
    ValueProbe,
    column_denied,
)


def no_table_access(record: QueryRecord, table: CatalogTable | None = None) -> bool:
    """The analyst may not use the table at all; for a view also: not a column the view reads.

    A plain Athena view runs with the invoker's rights ("users with rights on the view but not on the
    underlying table or columns are not able to use the VIEW to query data"): a view over ``ssn`` the
    analyst lacks fails with COLUMN_NOT_FOUND, and nothing is read through it. On a table the same
    error means the query named a column that is not there, which proves nothing.
    """
    if record.ok:
        return False
    error = record.error or ""
    if table is not None and table.view and INVOKER_DENIED.search(error):
        return True
    return bool(NO_ACCESS.search(error)) and "COLUMN_NOT_FOUND" not in error


def invoker_refused(rb: SecurityReadback) -> list[str]:
    """Views the analyst's SELECT * could not read for lack of rights on what they read (no leak: no rows)."""
    searched = [(p.table, p.select_all) for p in rb.probes] + [(v.table, v.select_all) for v in rb.value_probes]
    return sorted(t.qualified for t, r in searched if t.view and not r.ok and INVOKER_DENIED.search(r.error or ""))


def select_all_problems(rb: SecurityReadback) -> list[str]:
    """The analyst's ``SELECT *`` of every table: no hidden column; on Gold users it must also return rows."""
    problems: list[str] = []
    if rb.analyst_caller_arn and rb.analyst_caller_arn == rb.privileged_arn:
        problems.append("the analyst queries ran as the privileged principal: the role was not assumed")
    for probe in rb.probes:
        table, record = probe.table, probe.select_all
        gold = table.qualified.lower() == rb.gold_users.lower()
        if record.ok:
            seen = [c for c in record.columns if c.lower() in {h.lower() for h in probe.hidden}]
            if seen:
                problems.append(f"the analyst's SELECT * on {table.qualified} returns {', '.join(seen)}")
            if gold and not record.row_count:
                problems.append(
                    f"the analyst's SELECT * on {table.qualified} returned no rows: nothing shows the grant works"
                )
        elif gold:
            problems.append(f"the analyst's SELECT * on {table.qualified} failed: {record.error}")
        elif not no_table_access(record, table):
            problems.append(
                f"the analyst's SELECT * on {table.qualified} failed, but not as access denied, so it proves "
                f"nothing: {record.error}"
            )
    for value_probe in rb.value_probes:
        if seen := unlisted_hidden(value_probe, rb.hidden):
            problems.append(
                f"the analyst's SELECT * on {value_probe.table.qualified} returns {', '.join(seen)} (the Glue catalog "
                "lists no such column there: Athena read it from the table's own schema or the table a link points to)"
            )
    return problems


def unlisted_hidden(probe: ValueProbe, hidden: Sequence[str]) -> list[str]:
    """Hidden columns the analyst's ``SELECT *`` returned from a table the catalog lists without them.

    Athena does not take a table's columns from Glue alone: a resource link (``TargetTable``, no columns of
    its own) returns its target's, another account's; an Iceberg table its metadata's schema. Such a table
    is only searched for Gold's values, and another table's ssn need not hold them: the name is the leak.
    """
    wanted = {h.lower() for h in hidden}
    return [c for c in probe.select_all.columns if c.lower() in wanted] if probe.select_all.ok else []


def _shown(sql: str) -> str:
    """A probe's SQL as a reason quotes it: without the mark that keeps it out of the history read."""
    return sql.removesuffix(PROBE_MARK)


def denied_problems(rb: SecurityReadback) -> list[str]:
    """The analyst naming a hidden column fails: COLUMN_NOT_FOUND, or no access to the table at all."""
    problems: list[str] = []
    for probe in rb.probes:
        for column, record in probe.denied.items():
            if record.ok:
                problems.append(
                    f"the analyst read {column} of {probe.table.qualified}: `{_shown(record.sql)}` succeeded"
                )
            elif column_denied(column).search(record.error or ""):
                continue
            elif probe.select_all.ok or not no_table_access(record, probe.table):
                problems.append(
                    f"the analyst's `{_shown(record.sql)}` on {probe.table.qualified} failed, but not with "
                    f"COLUMN_NOT_FOUND: {record.error}"
                )
    return problems


def shared_result_problems(rb: SecurityReadback) -> list[str]:
    """Past executions that hand the analyst a hidden column's values through its own Athena calls: a privileged
    query run in the analyst's own workgroup (an admin's, the pipeline's) is the analyst's to read, around Lake
    Formation, and so is one of another workgroup whose ARN the analyst's IAM allows it to read.

    The values decide, wherever they sit (``leaks``); a column named like a hidden one fails too when it has
    rows (values the privileged read did not see); an empty one (``LIMIT 0``, a tool reading the schema) shows
    nothing. The execution itself counts too, whatever its state: a value in its query text or error message
    (``shown``) is the analyst's through GetQueryExecution."""
    wanted = {h.lower() for h in rb.hidden}
    problems: list[str] = []
    for result in rb.shared_results:
        where, why = (
            ("the analyst's own workgroup", "its workgroup's history is the analyst's to read, whoever ran the query")
            if result.own
            else (
                f"workgroup {result.work_group}",
                "the analyst's IAM lets it read that workgroup's history (Athena decides on the workgroup's ARN), "
                "whoever ran the query",
            )
        )
        if result.shown:
            problems.append(
                f"query {result.query_id} of {where} (`{result.query[:120]}`) shows values of "
                f"{'/'.join(rb.hidden)} in its {' and '.join(result.shown)}, and the analyst's GetQueryExecution hands "
                f"it over: {why}"
            )
        if result.denied:
            continue
        named = [c for c in result.columns if c.lower() in wanted] if result.rows else []
        if named or result.leaks:
            what = (
                ", ".join(named) if named else f"values of {'/'.join(rb.hidden)} in " + ", ".join(sorted(result.leaks))
            )
            readable = (
                "its workgroup's history and results location are the analyst's to read"
                if result.own
                else "the analyst's IAM lets it read that workgroup's history and result files"
            )
            problems.append(
                f"query {result.query_id} of {where} (`{result.query[:120]}`) has a result holding "
                f"{what}, and the analyst's GetQueryResults hands it over: {readable}, whoever ran the query"
            )
    return problems


def saved_text_problems(rb: SecurityReadback) -> list[str]:
    """Saved text that shows the analyst a hidden value through its own API calls (``saved_text``): a named query
    or prepared statement of a workgroup it may read, a Glue database, table, older table version or partition of
    the catalog (a column comment quoting an example, a parameter, a view's text, a partition value)."""
    return [
        f"{found.where} shows values of {'/'.join(rb.hidden)} in {', '.join(found.fields)}, and the analyst's "
        f"{found.call} hands it over: saved {found.source} text is the analyst's to read, whatever Lake Formation "
        "hides of the columns"
        for found in rb.saved_texts.shown
    ]


def _disguise(forms: Sequence[str]) -> str:
    """How a column's copies hid the value, as the reason says it: unsalted digests, encodings (``hidden_values``)."""
    digests = [f for f in forms if f not in ENCODINGS]
    encodings = [f for f in forms if f in ENCODINGS]
    said = [f"as unsalted {'/'.join(digests)} digests: hashing every possible value reverses them"] if digests else []
    said += [f"{'/'.join(encodings)}-encoded: decoding shows the value"] if encodings else []
    return "".join(f", {s}" for s in said)


def copied_value_problems(rb: SecurityReadback) -> list[str]:
    """The hidden values under other names: in another column of a hidden table, or in any other table."""
    if rb.hidden_values_error:
        return [
            f"the privileged principal could not read the values of {', '.join(rb.hidden)} "
            f"({rb.hidden_values_error}), so copies under other names cannot be searched for"
        ]
    names = {h.lower() for h in rb.hidden}
    problems: list[str] = []
    searched = [(p.table, p.select_all, p.leaks, p.hashed) for p in rb.probes]
    searched += [(v.table, v.select_all, v.leaks, v.hashed) for v in rb.value_probes]
    for table, record, leaks, hashed in searched:
        copies = {c: n for c, n in leaks.items() if c.lower() not in names}  # named ones: select_all_problems
        if copies:
            shown = ", ".join(
                f"{c} ({n} of {record.row_count} rows{_disguise(hashed.get(c, []))})" for c, n in sorted(copies.items())
            )
            problems.append(
                f"the analyst's SELECT * on {table.qualified} returns values of {'/'.join(rb.hidden)} of "
                f"{rb.gold_users} in column(s) {shown}: the hidden column copied under another name"
            )
    for probe in rb.value_probes:
        if (probe.select_all.row_count or 0) > MAX_SEARCH_ROWS:
            problems.append(
                f"{probe.table.qualified} has more than {MAX_SEARCH_ROWS:,} rows: the analyst's SELECT * was searched "
                f"for {'/'.join(rb.hidden)} values in the first {MAX_SEARCH_ROWS:,} only, a copy past them cannot be "
                "ruled out"
            )
        if probe.own and not probe.select_all.ok and not no_table_access(probe.select_all, probe.table):
            problems.append(
                f"the analyst's SELECT * on {probe.table.qualified} (searched for {'/'.join(rb.hidden)} values) "
                f"failed, but not as access denied, so it proves nothing: {probe.select_all.error}"
            )
    return problems


def privileged_problems(rb: SecurityReadback) -> list[str]:
    """A privileged principal must find every hidden column holding values in Gold users."""
    gold = next((p for p in rb.probes if p.table.qualified.lower() == rb.gold_users.lower()), None)
    if gold is None:
        return [
            f"{rb.gold_users} has no {', '.join(rb.hidden)} column in the Glue catalog: the analyst's denial "
            "cannot be told from a missing column"
        ]
    if not gold.privileged.ok:
        return [
            f"the privileged principal could not read {', '.join(gold.hidden)} of {rb.gold_users}: "
            f"{gold.privileged.error}"
        ]
    row = gold.privileged.rows[0] if gold.privileged.rows else []
    values = dict(zip(gold.privileged.columns, row, strict=False))
    missing = [c for c in rb.hidden if c.lower() not in {h.lower() for h in gold.hidden}]
    return [
        f"{rb.gold_users} has no {c} column in the Glue catalog: the analyst's denial proves nothing" for c in missing
    ] + [
        f"{column} holds no values in {rb.gold_users} for the privileged principal: the analyst's denial proves nothing"
        for column in gold.hidden
        if not values.get(f"{column.lower()}_values")
    ]
