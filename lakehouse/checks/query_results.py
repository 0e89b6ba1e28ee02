"""Where past Athena queries really wrote their results: a workgroup's setting is only a default.

A workgroup that does not enforce its configuration (``EnforceWorkGroupConfiguration`` false)
lets each StartQueryExecution name its own ``ResultConfiguration.OutputLocation``: a privileged
``SELECT ssn FROM gold.users`` written to a folder the analyst may read hands the analyst every
value as a CSV, around Lake Formation (Athena's GetQueryResults needs ``s3:GetObject`` on the
result file, nothing more). Exit check 6 therefore reads back the result file of every query
execution Athena still lists in each workgroup but the analyst's own (ListQueryExecutions,
BatchGetQueryExecution) and treats each folder holding one as a lake location, as it treats the
workgroups' configured result locations.

Only executions that could have read a hidden column count (``HiddenReads``): the query names the
column, or a table of a database holding a table with it (``db.table``, or ``table`` in that
database's context). An account's ``primary`` workgroup holds thousands of other teams' queries over
their own tables, whose results lie in buckets since deleted or that the checker may not read
(AccessDenied): those folders cannot hold the column, and reading their buckets would only end the
check in error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: Query executions read back per workgroup (ListQueryExecutions pages of 50): past it the check says so.
MAX_EXECUTIONS = 1000
#: BatchGetQueryExecution takes at most 50 ids.
BATCH = 50


@dataclass
class ExecutionLocations:
    """Result folders of past executions: folder URI -> the workgroup and one query that wrote there."""

    folders: dict[str, str] = field(default_factory=dict)
    #: Executions whose result location could not be read (the check cannot pass without them).
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class HiddenReads:
    """What a past query must name to have read a hidden column: the column itself, or a table (``database``,
    ``table``, lower case) of a database holding one; ``None`` for a query counts every execution."""

    columns: frozenset[str]
    tables: frozenset[tuple[str, str]]

    def __call__(self, execution: Mapping[str, Any]) -> bool:
        text = re.sub(r'["`]', "", str(execution.get("Query") or "")).lower()
        context = str((execution.get("QueryExecutionContext") or {}).get("Database") or "default").lower()
        if any(re.search(rf"(?<!\w){re.escape(c)}(?!\w)", text) for c in self.columns):
            return True
        for database, table in self.tables:
            if re.search(rf"(?<![\w]){re.escape(database)}\s*\.\s*{re.escape(table)}(?!\w)", text):
                return True
            if database == context and re.search(rf"(?<![\w.]){re.escape(table)}(?!\w)", text):
                return True
        return False


def result_folder(output_location: str) -> str:
    """``s3://b/p/<id>.csv`` -> ``s3://b/p/``: the folder the result file (and its ``.metadata``) lands in."""
    return output_location.rsplit("/", 1)[0] + "/"


def _listed(athena: Any, work_group: str) -> tuple[list[str], bool]:
    """Execution ids of the workgroup, up to ``MAX_EXECUTIONS``, and whether more were left unread."""
    ids: list[str] = []
    params: dict[str, Any] = {"WorkGroup": work_group, "MaxResults": BATCH}
    while len(ids) < MAX_EXECUTIONS:
        page = athena.list_query_executions(**params)
        ids += page.get("QueryExecutionIds") or []
        if not page.get("NextToken"):
            return ids[:MAX_EXECUTIONS], False
        params["NextToken"] = page["NextToken"]
    return ids[:MAX_EXECUTIONS], True


def execution_locations(
    athena: Any, work_groups: Iterable[str], known: Iterable[str] = (), reads: HiddenReads | None = None
) -> ExecutionLocations:
    """The result folders the workgroups' past executions wrote to, other than the ``known`` locations; with
    ``reads``, only of executions that could have read a hidden column."""
    seen = {k.rstrip("/") for k in known}
    found = ExecutionLocations()
    for work_group in work_groups:
        elsewhere = 0
        ids, more = _listed(athena, work_group)
        if more:
            found.notes.append(
                f"workgroup {work_group} lists more than {MAX_EXECUTIONS} query executions: the result locations of "
                f"the first {MAX_EXECUTIONS} were read"
            )
        for start in range(0, len(ids), BATCH):
            answer = athena.batch_get_query_execution(QueryExecutionIds=ids[start : start + BATCH])
            for execution in answer.get("QueryExecutions") or []:
                location = (execution.get("ResultConfiguration") or {}).get("OutputLocation")
                if not location:
                    continue
                if reads is not None and not reads(execution):
                    elsewhere += int(result_folder(str(location)).rstrip("/") not in seen)
                    continue
                folder = result_folder(str(location))
                if folder.rstrip("/") not in seen:
                    seen.add(folder.rstrip("/"))
                    found.folders[folder] = f"{work_group}, query {execution.get('QueryExecutionId')}"
            found.errors += [
                f"could not read where query {u.get('QueryExecutionId')} of workgroup {work_group} wrote its results: "
                f"{u.get('ErrorCode') or ''} {u.get('ErrorMessage') or ''}".rstrip()
                for u in answer.get("UnprocessedQueryExecutionIds") or []
            ]
        if elsewhere:
            found.notes.append(
                f"{elsewhere} query execution(s) of workgroup {work_group} wrote results outside its locations but "
                "named no hidden column and no table of a database holding one: their folders are not lake locations"
            )
    return found
