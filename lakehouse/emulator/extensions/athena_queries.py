"""Athena query executions that really run: StartQueryExecution and the calls around it.

moto answers every query with canned results. Here a statement goes to the SQL engine
(``lakehouse.emulator.sql``) on a worker thread, and the execution moves through Athena's
states: QUEUED, RUNNING, then SUCCEEDED, FAILED (with Athena's reason text and AthenaError)
or CANCELLED. GetQueryResults pages like Athena (a header row first for SELECT, at most 1000
rows a page, NextToken), and results are also written as CSV to the output location.

A failing statement is a FAILED execution, never a server error: clients see exactly what
they would see on AWS.

Lake Formation applies as on Athena: the caller is resolved from the request's access key
when the query starts (an emulator STS role session is its role), and its grants are read when
the query runs, so the engine shows it only the tables and columns it may see.

IAM applies as on Athena: every query operation needs the action on the workgroup the query ran
in (the front door, ``extensions.identity``, evaluates it with the resources registered here), so
a principal that may not use a workgroup can neither list its executions nor read their status
or results; BatchGetQueryExecution leaves such executions unprocessed.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii as _json_string  # what json.dumps writes a str as
from typing import Any

from moto.athena import models as athena_models
from moto.athena.models import AthenaBackend
from moto.athena.responses import AthenaResponse
from moto.core.exceptions import JsonRESTError
from moto.utilities.utils import get_partition

from lakehouse.emulator import gc_tuning
from lakehouse.emulator.extensions import identity
from lakehouse.emulator.extensions._graft import graft
from lakehouse.emulator.extensions.athena import WorkGroupNotFound, prepared_statement
from lakehouse.emulator.extensions.lakeformation import access_for
from lakehouse.emulator.sql.catalog import LakeCatalog
from lakehouse.emulator.sql.engine import Engine, Outcome
from lakehouse.emulator.sql.errors import SYSTEM, AthenaError
from lakehouse.emulator.sql.prepared import resolve
from lakehouse.emulator.sql.results import to_csv

_MARK = "_lakehouse_queries_installed"
MAX_PAGE = 1000
#: How long GetQueryExecution waits for a running query to finish before answering, so a
#: client polling once a second is not held a whole second for a 30 ms query.
LONG_POLL_S = 0.5
WORKERS = 2
FINAL = ("SUCCEEDED", "FAILED", "CANCELLED")

_endpoint: str | None = None
_engines: dict[tuple[str, str], Engine] = {}
_engines_lock = threading.Lock()
_pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="athena-query")


def set_endpoint(url: str) -> None:
    """The emulator's own URL: the engine reads and writes tables through it."""
    global _endpoint
    _endpoint = url


def _engine(account_id: str, region: str) -> Engine:
    if _endpoint is None:
        raise AthenaError("GENERIC_INTERNAL_ERROR", "the local Athena engine has no endpoint", SYSTEM)
    with _engines_lock:
        key = (account_id, region)
        if key not in _engines:
            # The engine reads tables through the endpoint as the emulator itself, not as the caller.
            catalog = LakeCatalog(_endpoint, region, identity.SERVICE_KEY, identity.SERVICE_SECRET, account_id)
            _engines[key] = Engine(catalog)
        return _engines[key]


class InvalidRequest(JsonRESTError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("InvalidRequestException", message)


# ---------------------------------------------------------------- model (state)


@dataclass
class QueryExecution:
    """One StartQueryExecution and what became of it."""

    id: str
    query: str
    database: str
    catalog: str
    work_group: str
    output_location: str
    scan_limit: int | None
    engine_version: str
    principal: str = ""  # the Lake Formation principal who started it
    token: str | None = None  # ClientRequestToken: the same token starts the same execution
    parameters: tuple[str, ...] = ()  # ExecutionParameters: the values of the statement's ``?`` marks
    state: str = "QUEUED"
    reason: str | None = None
    error: AthenaError | None = None
    outcome: Outcome | None = None
    submitted: float = field(default_factory=time.time)
    started: float | None = None
    completed: float | None = None
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def result_file(self) -> str:
        return f"{self.output_location.rstrip('/')}/{self.id}.csv"

    def describe(self) -> dict[str, Any]:
        outcome = self.outcome
        status: dict[str, Any] = {"State": self.state, "SubmissionDateTime": self.submitted}
        if self.completed is not None:
            status["CompletionDateTime"] = self.completed
        if self.reason:
            status["StateChangeReason"] = self.reason
        if self.error is not None:
            status["AthenaError"] = {
                "ErrorCategory": self.error.category,
                "ErrorType": self.error.error_type,
                "Retryable": False,
                "ErrorMessage": self.error.reason,
            }
        end = self.completed or time.time()
        queued_ms = int(((self.started or end) - self.submitted) * 1000)
        engine_ms = int((end - (self.started or end)) * 1000)
        stats: dict[str, Any] = {
            "EngineExecutionTimeInMillis": engine_ms,
            "DataScannedInBytes": outcome.scanned_bytes if outcome else 0,
            "TotalExecutionTimeInMillis": int((end - self.submitted) * 1000),
            "QueryQueueTimeInMillis": queued_ms,
            "QueryPlanningTimeInMillis": 0,
            "ServicePreProcessingTimeInMillis": 0,
            "ServiceProcessingTimeInMillis": 0,
            "ResultReuseInformation": {"ReusedPreviousResult": False},
        }
        out: dict[str, Any] = {
            "QueryExecutionId": self.id,
            "Query": self.query,
            "StatementType": outcome.statement_type if outcome else "DML",
            "ResultConfiguration": {"OutputLocation": self.result_file},
            "ResultReuseConfiguration": {"ResultReuseByAgeConfiguration": {"Enabled": False}},
            "QueryExecutionContext": {"Database": self.database, "Catalog": self.catalog},
            "Status": status,
            "Statistics": stats,
            "WorkGroup": self.work_group,
            "EngineVersion": {
                "SelectedEngineVersion": self.engine_version,
                "EffectiveEngineVersion": self.engine_version,
            },
        }
        if outcome is not None:
            out["SubstatementType"] = outcome.substatement_type
        return out


def _statement_text(backend: AthenaBackend, execution: QueryExecution) -> str:
    """The statement an execution runs: an EXECUTE runs the prepared statement of the execution's own workgroup
    (Athena keeps them per workgroup), with its parameters bound (``sql.prepared``)."""

    def lookup(name: str) -> str | None:
        statement = prepared_statement(backend, execution.work_group, name)
        return None if statement is None else statement.query

    return resolve(execution.query, lookup, execution.parameters)


def _run(execution: QueryExecution, backend: AthenaBackend) -> None:
    """Worker: run the statement, keep the outcome, write the result file."""
    if execution.state == "CANCELLED":
        execution.done.set()
        return
    execution.state, execution.started = "RUNNING", time.time()
    account_id, region = backend.account_id, backend.region_name
    try:
        engine = _engine(account_id, region)
        access = access_for(account_id, region, execution.principal)
        sql = _statement_text(backend, execution)
        outcome = engine.execute(sql, execution.database, execution.scan_limit, access)
        if outcome.columns:
            engine.catalog.put_text(execution.result_file, to_csv(outcome.columns, outcome.rows))
        execution.outcome, final = outcome, "SUCCEEDED"
    except AthenaError as err:
        execution.error, final = err, "FAILED"
    except Exception as err:  # a bug of ours: still a FAILED query, never a hung one
        execution.error = AthenaError("GENERIC_INTERNAL_ERROR", f"{type(err).__name__}: {err}", SYSTEM)
        final = "FAILED"
    execution.completed = time.time()
    if execution.state != "CANCELLED":
        execution.state = final
        if execution.error is not None:
            execution.reason = execution.error.reason
    execution.done.set()
    if final == "SUCCEEDED":
        gc_tuning.warmed()  # the first time: freeze what the engine loaded (``gc_tuning``), the answer sent


def _executions(backend: AthenaBackend) -> dict[str, QueryExecution]:
    store: dict[str, QueryExecution] | None = getattr(backend, "lakehouse_executions", None)
    if store is None:
        store = {}
        backend.lakehouse_executions = store  # type: ignore[attr-defined]
    return store


def _by_token(backend: AthenaBackend) -> dict[str, QueryExecution]:
    """Executions by ClientRequestToken (botocore sends one with every StartQueryExecution)."""
    index: dict[str, QueryExecution] | None = getattr(backend, "lakehouse_executions_by_token", None)
    if index is None:
        index = {}
        backend.lakehouse_executions_by_token = index  # type: ignore[attr-defined]
    return index


def _lookup(backend: AthenaBackend, query_id: str) -> QueryExecution:
    execution = _executions(backend).get(query_id)
    if execution is None:
        raise InvalidRequest(f"QueryExecution {query_id} was not found")
    return execution


def _start(backend: AthenaBackend, params: dict[str, Any], principal: str) -> QueryExecution:
    name = params.get("WorkGroup") or "primary"
    work_group = backend.work_groups.get(name)
    if work_group is None:
        raise WorkGroupNotFound(name)
    if getattr(work_group, "state", "ENABLED") == "DISABLED":
        raise InvalidRequest(f"WorkGroup {name} is disabled.")
    config = work_group.configuration or {}
    enforced = bool(config.get("EnforceWorkGroupConfiguration"))
    requested = (params.get("ResultConfiguration") or {}).get("OutputLocation")
    group_location = (config.get("ResultConfiguration") or {}).get("OutputLocation")
    location = group_location if enforced and group_location else (requested or group_location)
    if not location:
        raise InvalidRequest(
            "No output location provided. An output location is required either through the Workgroup result "
            "configuration setting or as an API input."
        )
    context = params.get("QueryExecutionContext") or {}
    engine = (config.get("EngineVersion") or {}).get("EffectiveEngineVersion") or "Athena engine version 3"
    limit = config.get("BytesScannedCutoffPerQuery")
    token = params.get("ClientRequestToken")
    store, by_token = _executions(backend), _by_token(backend)
    if token and (existing := by_token.get(token)) is not None:
        return existing  # an index, not a scan of every execution so far (it grows with each query)
    execution = QueryExecution(
        id=str(uuid.uuid4()),
        query=params["QueryString"],
        database=context.get("Database") or "default",
        catalog=context.get("Catalog") or "AwsDataCatalog",
        work_group=name,
        output_location=location,
        scan_limit=int(limit) if limit else None,
        engine_version=engine,
        principal=principal,
        token=token,
        parameters=tuple(str(p) for p in params.get("ExecutionParameters") or ()),
    )
    store[execution.id] = execution
    if token:
        by_token[token] = execution
    _pool.submit(_run, execution, backend)
    return execution


def _page(execution: QueryExecution, token: str | None, max_results: int | None) -> str:
    """GetQueryResults' answer, as JSON text: ``json.dumps`` of Athena's page, the rows encoded straight to text.

    A page's rows are most of its JSON; a dict per cell (``{"VarCharValue": v}``, ``{}`` for NULL) only to be
    encoded at once costs ~3x writing the same text directly (the reference queries return whole Gold tables).
    """
    if execution.state != "SUCCEEDED":
        if execution.state in FINAL:
            raise InvalidRequest(f"Query did not finish successfully. Final query state: {execution.state}")
        raise InvalidRequest(f"Query has not yet finished. Current state: {execution.state}")
    outcome = execution.outcome
    assert outcome is not None
    size = min(max_results or MAX_PAGE, MAX_PAGE)
    # A SELECT's first page starts with the header row, as Athena's does.
    header: list[list[str | None]] = (
        [[c.name for c in outcome.columns]] if outcome.statement_type == "DML" and outcome.columns else []
    )
    rows = header + outcome.rows
    if token and not (token.isascii() and token.isdigit()):
        raise InvalidRequest("The NextToken is not valid.")  # not one this service handed out
    start = int(token) if token else 0
    if start > len(rows):
        raise InvalidRequest("The NextToken is not valid.")
    chunk = rows[start : start + size]
    metadata = json.dumps({"ColumnInfo": [c.info() for c in outcome.columns]})
    answer = f'{{"ResultSet": {{"Rows": {_rows_json(chunk)}, "ResultSetMetadata": {metadata}}}'
    if outcome.update_count is not None:
        answer += f', "UpdateCount": {json.dumps(outcome.update_count)}'
    if start + size < len(rows):
        answer += f', "NextToken": {json.dumps(str(start + size))}'
    return answer + "}"


def _rows_json(rows: list[list[str | None]]) -> str:
    """``json.dumps`` of ``[{"Data": [{"VarCharValue": v} or {} for NULL, ...]}, ...]``, the same text."""
    cell = _json_string
    try:
        return (
            "["
            + ", ".join(
                '{"Data": [' + ", ".join("{}" if v is None else '{"VarCharValue": ' + cell(v) + "}" for v in row) + "]}"
                for row in rows
            )
            + "]"
        )
    except TypeError:  # a value that is not text (none should be): json.dumps writes it as it would
        return json.dumps([{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in rows])


# ---------------------------------------------------------------- responses (wire format)


class _QueryResponses:
    """Grafted onto moto's ``AthenaResponse``: the query-execution operations."""

    def start_query_execution(self: Any) -> str:
        keys = (
            "QueryString",
            "WorkGroup",
            "ResultConfiguration",
            "QueryExecutionContext",
            "ClientRequestToken",
            "ExecutionParameters",
        )
        backend = self.athena_backend
        principal = identity.caller(self).principal
        execution = _start(backend, {k: self._get_param(k) for k in keys}, principal)
        return json.dumps({"QueryExecutionId": execution.id})

    def get_query_execution(self: Any) -> str:
        execution = _lookup(self.athena_backend, self._get_param("QueryExecutionId"))
        execution.done.wait(LONG_POLL_S)
        return json.dumps({"QueryExecution": execution.describe()})

    def batch_get_query_execution(self: Any) -> str:
        backend = self.athena_backend
        store = _executions(backend)
        who = identity.caller(self)
        found, missing = [], []
        for query_id in self._get_param("QueryExecutionIds") or []:
            execution = store.get(query_id)
            if execution is None:
                missing.append({"QueryExecutionId": query_id, "ErrorMessage": "not found"})
                continue
            action, arn = "athena:BatchGetQueryExecution", work_group_arn(backend, execution.work_group)
            allowed, _, explicit = who.allows(action, [arn])
            if allowed:
                found.append(execution.describe())
            else:
                message = identity.denied_message(who, action, arn, explicit)
                refused = {"QueryExecutionId": query_id, "ErrorCode": "AccessDeniedException", "ErrorMessage": message}
                missing.append(refused)
        return json.dumps({"QueryExecutions": found, "UnprocessedQueryExecutionIds": missing})

    def get_query_results(self: Any) -> str:
        execution = _lookup(self.athena_backend, self._get_param("QueryExecutionId"))
        return _page(execution, self._get_param("NextToken"), self._get_int_param("MaxResults"))

    def stop_query_execution(self: Any) -> str:
        execution = _lookup(self.athena_backend, self._get_param("QueryExecutionId"))
        if execution.state not in FINAL:
            execution.state, execution.reason = "CANCELLED", "Query cancelled by user"
            execution.completed = time.time()
        return "{}"

    def list_query_executions(self: Any) -> str:
        work_group = self._get_param("WorkGroup") or "primary"
        store = _executions(self.athena_backend)
        ids = [e.id for e in sorted(store.values(), key=lambda e: -e.submitted) if e.work_group == work_group]
        # Paged as Athena pages it (MaxResults at most 50, NextToken): callers must see every execution.
        start = int(self._get_param("NextToken") or 0)
        end = start + min(self._get_int_param("MaxResults") or 50, 50)
        page: dict[str, Any] = {"QueryExecutionIds": ids[start:end]}
        if end < len(ids):
            page["NextToken"] = str(end)
        return json.dumps(page)


# ---------------------------------------------------------------- IAM resources


def work_group_arn(backend: AthenaBackend, name: str) -> str:
    region = backend.region_name
    return f"arn:{get_partition(region)}:athena:{region}:{backend.account_id}:workgroup/{name}"


#: Operations on one query execution: IAM decides on the workgroup it ran in.
_ON_EXECUTION = ("GetQueryExecution", "GetQueryResults", "StopQueryExecution", "GetQueryRuntimeStatistics")
#: Operations naming a workgroup (``primary`` when they name none).
_ON_WORK_GROUP = (
    "StartQueryExecution",
    "ListQueryExecutions",
    "GetWorkGroup",
    "UpdateWorkGroup",
    "DeleteWorkGroup",
    "ListNamedQueries",
    "CreateNamedQuery",
    "ListPreparedStatements",
    "GetPreparedStatement",
    "CreatePreparedStatement",
    "UpdatePreparedStatement",
    "DeletePreparedStatement",
)
#: Operations on saved named queries: IAM decides on the workgroup each belongs to (GetNamedQuery hands over a
#: query's text; evaluated on ``*``, a policy scoped to the workgroup would be refused where AWS allows it).
_ON_NAMED_QUERY = ("GetNamedQuery", "UpdateNamedQuery", "DeleteNamedQuery", "BatchGetNamedQuery")


def athena_resources(response: Any, action: str) -> list[str]:
    """The resources an Athena action needs IAM permission on (the workgroup, for query operations)."""
    backend = response.athena_backend
    if action in _ON_EXECUTION:
        execution = _executions(backend).get(response._get_param("QueryExecutionId"))
        return [work_group_arn(backend, execution.work_group)] if execution else []  # unknown: the op answers
    if action == "BatchGetQueryExecution":
        return []  # each execution is checked on its own workgroup by the operation
    if action in _ON_NAMED_QUERY:
        ids = response._get_param("NamedQueryIds") or [response._get_param("NamedQueryId")]
        queries = [q for q in (backend.named_queries.get(i) for i in ids) if q is not None]
        return sorted({work_group_arn(backend, q.workgroup.name) for q in queries})  # unknown: the op answers
    if action in _ON_WORK_GROUP:
        return [work_group_arn(backend, response._get_param("WorkGroup") or "primary")]
    if action == "CreateWorkGroup":
        return [work_group_arn(backend, response._get_param("Name"))]
    if arn := response._get_param("ResourceARN"):
        return [str(arn)]
    if catalog := response._get_param("CatalogName") or response._get_param("Name"):
        region = backend.region_name
        return [f"arn:{get_partition(region)}:athena:{region}:{backend.account_id}:datacatalog/{catalog}"]
    return ["*"]


def install() -> None:
    """Patch moto's Athena so queries execute; a second call does nothing."""
    if getattr(athena_models, _MARK, False):
        return
    graft(_QueryResponses, AthenaResponse)
    identity.register_resources("athena", athena_resources)
    setattr(athena_models, _MARK, True)
