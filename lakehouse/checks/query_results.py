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

Every workgroup's history is also read as the analyst (``shared_results``): its own workgroup's results
location is the analyst's by design, and an IAM policy allowing ``athena:GetQueryExecution``/``GetQueryResults``
on another workgroup's ARN (or ``*``) hands it that workgroup's history too (a deployer's ``SELECT * FROM
silver.users WHERE ssn = '...'`` in ``primary``). What matters is what the analyst's own calls hand it: each past
result fetched as the analyst and searched cell by cell for the hidden values (a copy under another name, or inside
JSON or a concat, is named by neither the query nor the result's columns), and every execution's own text, whatever
its state: GetQueryExecution hands the analyst each query and its error message, which can quote a value. IAM
decides Athena's query operations on the workgroup's ARN alone (``EnforceWorkGroupConfiguration`` restricts no
read), so Athena's own refusal of one execution of a workgroup is its refusal of them all: the rest are not asked.
IAM on ``arn:aws:athena:*:...`` reaches every region's workgroups, so the histories of the account's other enabled
regions are read for the analyst's and its roles' reads too (``WorkGroupHistory.region``; ``label`` names them).

Each workgroup's history is listed once (``read_history``, a ``WorkGroupHistory``) for all three readers,
``history_copies.read_statements`` included, up to ``MAX_EXECUTIONS``: past it the readers err, naming the
workgroup, since an older query may have made the copy (Athena lists up to 45 days of history).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse.checks.hidden_values import HiddenValues, LeakTally

#: Query executions read per workgroup (ListQueryExecutions pages of 50, BatchGetQueryExecution calls of 50:
#: 800 calls at most). Athena lists 45 days of history; past this many the check cannot vouch for the rest
#: (an older query may have copied the column) and errs naming the workgroup rather than pass on part of it.
MAX_EXECUTIONS = 20_000
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


@dataclass(frozen=True)
class WorkGroupHistory:
    """One workgroup's query executions, listed and read once (ListQueryExecutions, BatchGetQueryExecution),
    newest first as Athena lists them: every reader of exit check 6 (result folders, the analyst's shared
    results, copies) judges the same evidence, and the history is not fetched once per reader."""

    work_group: str
    executions: tuple[dict[str, Any], ...]
    #: ``(query id, "ErrorCode ErrorMessage")`` of each execution listed but not returned by Athena.
    unread: tuple[tuple[str, str], ...] = ()
    #: More than ``limit`` executions were listed: those past it (the oldest) were not read.
    cut: bool = False
    limit: int = MAX_EXECUTIONS
    #: The region the workgroup lies in, ``""`` for the stack's: a workgroup name is unique only per region
    #: (every region has its ``primary``), and IAM decides on the region's ARN.
    region: str = ""

    @property
    def label(self) -> str:
        """The workgroup as reasons name it and readers key it: its name, with its region when not the stack's."""
        return f"{self.work_group} of region {self.region}" if self.region else self.work_group

    def errors(self, unread: str, cut: str) -> list[str]:
        """Why a reader cannot vouch for the history: ``unread`` (its ``<query>`` replaced by the id) for each
        execution Athena did not return, and ``cut`` (what the reader did not follow) when the listing was cut."""
        found = [f"{unread.replace('<query>', query_id)}: {why}".rstrip(": ") for query_id, why in self.unread]
        if self.cut:
            found.append(
                f"workgroup {self.label} lists more than {self.limit:,} query executions (its {self.limit:,} "
                f"newest read): {cut} by an older one cannot be judged"
            )
        return found


def read_history(athena: Any, work_group: str, limit: int = MAX_EXECUTIONS, region: str = "") -> WorkGroupHistory:
    """The workgroup's executions, up to ``limit`` (one page past it is listed to know whether more exist);
    ``region``: the client's region when it is not the stack's."""
    ids: list[str] = []
    params: dict[str, Any] = {"WorkGroup": work_group, "MaxResults": BATCH}
    while len(ids) <= limit:
        page = athena.list_query_executions(**params)
        ids += page.get("QueryExecutionIds") or []
        if not page.get("NextToken"):
            break
        params["NextToken"] = page["NextToken"]
    cut = len(ids) > limit
    executions: list[dict[str, Any]] = []
    unread: list[tuple[str, str]] = []
    for start in range(0, min(len(ids), limit), BATCH):
        answer = athena.batch_get_query_execution(QueryExecutionIds=ids[start : min(start + BATCH, limit)])
        unread += [
            (str(u.get("QueryExecutionId")), f"{u.get('ErrorCode') or ''} {u.get('ErrorMessage') or ''}".strip())
            for u in answer.get("UnprocessedQueryExecutionIds") or []
        ]
        executions += answer.get("QueryExecutions") or []
    return WorkGroupHistory(work_group, tuple(executions), tuple(unread), cut, limit, region)


def execution_locations(
    histories: Iterable[WorkGroupHistory], known: Iterable[str] = (), reads: HiddenReads | None = None
) -> ExecutionLocations:
    """The result folders the workgroups' past executions wrote to, other than the ``known`` locations; with
    ``reads``, only of executions that could have read a hidden column."""
    seen = {k.rstrip("/") for k in known}
    found = ExecutionLocations()
    for history in histories:
        work_group, elsewhere = history.label, 0
        found.errors += history.errors(
            f"could not read where query <query> of workgroup {work_group} wrote its results",
            "a result written outside the workgroup's locations",
        )
        for execution in history.executions:
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
        if elsewhere:
            found.notes.append(
                f"{elsewhere} query execution(s) of workgroup {work_group} wrote results outside its locations but "
                "named no hidden column and no table of a database holding one: their folders are not lake locations"
            )
    return found


# -- what each workgroup's history hands the analyst ------------------------------------------------------------

#: Rows of one past result searched for hidden values; past it the check says it cannot vouch for the rest.
MAX_RESULT_ROWS = 100_000
#: Athena's answers to GetQueryResults that mean "not yours to read" (the analyst gets nothing).
_RESULT_DENIED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation")


@dataclass
class SharedResult:
    """A past query of a workgroup, and what the analyst's GetQueryExecution/GetQueryResults hand it of it."""

    query_id: str
    query: str
    #: The result's columns (ResultSetMetadata); empty when the analyst was refused.
    columns: list[str] = field(default_factory=list)
    #: Column -> rows carrying a hidden value, whatever the column is called.
    leaks: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    #: The analyst's GetQueryResults was refused (nothing handed over).
    denied: bool = False
    #: What of the execution itself, as the analyst's GetQueryExecution returns it, shows a hidden value:
    #: ``"query text"``, ``"error message"`` (``INVALID_CAST_ARGUMENT: Cannot cast '983-16-2186' ...``).
    shown: list[str] = field(default_factory=list)
    #: The workgroup it ran in; ``own`` when it is the analyst's.
    work_group: str = ""
    own: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "query_id": self.query_id,
            "work_group": self.work_group,
            "query": self.query[:300],
            "columns": self.columns,
            "leaks": self.leaks,
            "rows": self.rows,
            "denied": self.denied,
            "shown": self.shown,
        }


@dataclass
class SharedResults:
    """What a workgroup's history hands the analyst, and what could not be read."""

    results: list[SharedResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: The Athena operations refused to the analyst on the whole workgroup (its IAM, on the workgroup's ARN).
    refused: set[str] = field(default_factory=set)


def shared_results(
    history: WorkGroupHistory,
    analyst_athena: Any,
    values: HiddenValues,
    max_rows: int = MAX_RESULT_ROWS,
    own_mark: str | None = None,
    own: bool = True,
) -> SharedResults:
    """GetQueryResults, as the analyst, of each succeeded query of a workgroup's ``history`` (listed by the
    privileged principal), every row searched for the hidden values (``values``, a ``HiddenValues``); ``own``: the
    workgroup is the analyst's (else only what the analyst is handed is kept, not each refusal).

    Athena keeps a workgroup's history per workgroup, not per caller: whoever may call GetQueryResults there
    (and read its results location, which the analyst needs for its own queries) reads every query's result.
    A deployer's ``SELECT * FROM gold.users`` run in the analyst's workgroup hands the analyst every ssn,
    and Lake Formation is never asked; so does one run in ``primary`` when the analyst's IAM reaches that
    workgroup. Neither the query's text nor the result's column names say whether it holds the values:
    ``SELECT * FROM scratch.users_export`` (a copy as ``tax_id``) or ``CAST(ROW(u.*) AS JSON)`` names neither the
    column nor a table holding it, so every result's cells are searched. Executions whose query carries
    ``own_mark`` are the checker's own analyst probes, judged when they ran, and left out.
    """
    found = SharedResults()
    work_group = history.label
    whose = "the analyst's workgroup" if own else "workgroup"
    found.errors += history.errors(
        f"could not read query <query> of {whose} {work_group}",
        "a result handing the analyst a hidden value",
    )
    for execution in history.executions:
        if own_mark and own_mark in str(execution.get("Query") or ""):
            continue
        state = (execution.get("Status") or {}).get("State")
        fetched = state == "SUCCEEDED" and execution.get("StatementType") == "DML"
        query = values.redacted(str(execution.get("Query") or ""))  # evidence and reasons must not repeat a value
        result = SharedResult(str(execution.get("QueryExecutionId")), query, work_group=work_group, own=own)
        if shown_in(execution, values) and not _execution_as_analyst(analyst_athena, result, values, found):
            continue
        if not fetched:
            if result.shown:
                found.results.append(result)
            continue
        tally = LeakTally(values)
        try:
            if "GetQueryResults" in found.refused:
                result.denied = True
            else:
                read_result(analyst_athena, result, tally, max_rows)
        except (ClientError, BotoCoreError) as err:
            if refused(err):
                result.denied = True
                found.refused |= {"GetQueryResults"} if _athena_refused(err, "GetQueryResults") else set()
            else:
                found.errors.append(
                    f"could not read, as the analyst, the result of query {result.query_id} of "
                    f"{'its ' if own else ''}workgroup {work_group}: {err}"
                )
                continue
        if result.rows > max_rows:
            found.notes.append(
                f"query {result.query_id} of workgroup {work_group}: only the first {max_rows:,} result rows "
                "were searched for hidden values"
            )
        result.leaks = tally.by_column(result.columns)
        if own or not result.denied or result.shown:
            found.results.append(result)
    return found


def shown_in(execution: Mapping[str, Any], values: HiddenValues) -> list[str]:
    """What of a listed execution shows a hidden value: its query text (``WHERE ssn = '983-16-2186'``, an
    ``INSERT ... VALUES``), its error message (Athena quotes the value a cast failed on)."""
    status = execution.get("Status") or {}
    errors = [status.get("StateChangeReason"), (status.get("AthenaError") or {}).get("ErrorMessage")]
    shown = ["query text"] if values.found_in(str(execution.get("Query") or "")) else []
    return shown + (["error message"] if any(e and values.found_in(str(e)) for e in errors) else [])


def _execution_as_analyst(athena: Any, result: SharedResult, values: HiddenValues, found: SharedResults) -> bool:
    """GetQueryExecution as the analyst of an execution whose text shows a hidden value: ``result.shown`` is what
    the analyst's own answer shows (none when Athena refuses it); False when it could not be asked."""
    if "GetQueryExecution" in found.refused:  # refused on this workgroup already: it is refused them all
        return True
    try:
        execution = athena.get_query_execution(QueryExecutionId=result.query_id)["QueryExecution"]
    except (ClientError, BotoCoreError) as err:
        if refused(err):  # the analyst may not read the execution: it shows the analyst nothing
            found.refused |= {"GetQueryExecution"} if _athena_refused(err, "GetQueryExecution") else set()
            return True
        found.errors.append(
            f"could not read, as the analyst, query {result.query_id} (GetQueryExecution) of workgroup "
            f"{result.work_group}, whose text shows a hidden value: {err}"
        )
        return False
    result.shown = shown_in(execution, values)
    return True


def refused(err: ClientError | BotoCoreError) -> bool:
    """The caller may not read the result: Athena's own refusal, or S3's on the result file (an
    ``InvalidRequestException`` carrying S3's ``Access Denied``)."""
    if not isinstance(err, ClientError):
        return False
    error = err.response.get("Error", {})
    return error.get("Code") in _RESULT_DENIED or bool(re.search(r"Access ?Denied", str(error.get("Message", ""))))


def _athena_refused(err: ClientError | BotoCoreError, operation: str) -> bool:
    """Athena's IAM refused ``operation`` itself (``not authorized to perform: athena:GetQueryResults``): decided
    on the workgroup's ARN, the same for each of its executions. S3's refusal of one result file is not."""
    if not isinstance(err, ClientError):
        return False
    error = err.response.get("Error", {})
    message = str(error.get("Message", ""))
    return error.get("Code") in _RESULT_DENIED and f"athena:{operation}".lower() in message.lower()


def read_result(athena: Any, result: SharedResult, tally: LeakTally, max_rows: int) -> None:
    """The result's columns, and its rows streamed past the tally, up to ``max_rows``."""
    params: dict[str, Any] = {"QueryExecutionId": result.query_id, "MaxResults": 1000}
    header_skipped = False
    while True:
        page = athena.get_query_results(**params)
        if not result.columns:
            info = (page.get("ResultSet") or {}).get("ResultSetMetadata", {}).get("ColumnInfo") or []
            result.columns = [str(c.get("Name") or c.get("Label") or "") for c in info]
        for row in (page.get("ResultSet") or {}).get("Rows") or []:
            cells = [d.get("VarCharValue") for d in row.get("Data") or []]
            if not header_skipped:  # a SELECT's first row is its header
                header_skipped = True
                if cells == result.columns:
                    continue
            result.rows += 1
            if result.rows > max_rows:
                return
            tally.visit(cells)
        if not page.get("NextToken"):
            return
        params["NextToken"] = page["NextToken"]
