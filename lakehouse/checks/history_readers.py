"""Exit check 6: a role the analyst can become (or a user it can make credentials of) that reads a workgroup's
query history holding a hidden value.

``query_results.shared_results`` proves what the analyst's own Athena calls hand it. A role the analyst can act as
(``role_paths.reachable``: assume, rewrite the trust of, pass to a service, run a function as) whose IAM allows
``athena:GetQueryExecution`` (or ``BatchGetQueryExecution``) on a workgroup's ARN reads each of its executions'
text and error message (a deployer's ``WHERE ssn = '...'``, a cast error quoting a value), and with
``athena:GetQueryResults`` (or ``GetQueryResultsStream``) each result, which Athena serves only to a caller that may
also ``s3:GetObject`` the result file (its identity policies or the bucket's policy; a result without an
``OutputLocation``, managed by Athena, needs no S3 read). IAM decides Athena's query operations on the workgroup's
ARN alone; the query ids are not secrets (the results bucket names its files after them, CloudTrail logs them), so
``ListQueryExecutions`` is not required. A user whose credentials the analyst (or a role it reaches) may make
(``role_paths.users_reached``: ``iam:CreateAccessKey``, ``CreateLoginProfile``, ``UpdateLoginProfile``) is judged
as a role is, on its own, attached and groups' policies and its boundary.

Which executions show a value is the privileged read's knowledge (``read_shown``): each execution's text and error
as the privileged history holds them, and, for a workgroup some reachable role may fetch results from, each
succeeded query's result (the analyst's fetch where it had one, else the privileged principal's), searched cell by
cell. ``history_read_problems`` is pure: for each reachable role and workgroup, the IAM decisions on the
workgroup's ARN (``iam_access.decide``), and the problem names the path, the action, the workgroup and one
execution, its query masked. What the analyst's own calls already hand it (``shared_results``, judged by
``security_queries.shared_result_problems``) is not named again for a principal it becomes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse.checks.hidden_values import HiddenValues, LeakTally
from lakehouse.checks.iam_access import (
    Decision,
    Principal,
    bucket_policy_problems,
    decide,
    object_read_problems,
)
from lakehouse.checks.query_results import (
    MAX_RESULT_ROWS,
    SharedResult,
    WorkGroupHistory,
    read_result,
    refused,
    shown_in,
)
from lakehouse.checks.role_paths import Edge, Holder, path_text

#: What hands a caller an execution's query text and error message (on the workgroup's ARN).
TEXT_READS = ("athena:GetQueryExecution", "athena:BatchGetQueryExecution")
#: What hands a caller an execution's result (on the workgroup's ARN; with ``s3:GetObject`` on the result file).
RESULT_READS = ("athena:GetQueryResults", "athena:GetQueryResultsStream")
#: ``ShownExecution.shown`` for a result holding a value.
RESULT = "result"


@dataclass(frozen=True)
class ShownExecution:
    """A past execution of a workgroup that shows a hidden value, as the privileged read found it."""

    work_group: str
    work_group_arn: str
    query_id: str
    #: The query with every value masked (``HiddenValues.redacted``): reasons and evidence quote it.
    query: str
    #: ``"query text"``, ``"error message"``, ``RESULT``.
    shown: tuple[str, ...]
    #: The result file (``ResultConfiguration.OutputLocation``); ``""`` when Athena manages the results.
    output: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "work_group": self.work_group,
            "query_id": self.query_id,
            "query": self.query[:300],
            "shown": list(self.shown),
            "output": self.output,
        }


def work_group_arn(name: str, region: str, account_id: str, partition: str = "aws") -> str:
    """The ARN IAM decides Athena's query operations on."""
    return f"arn:{partition}:athena:{region}:{account_id}:workgroup/{name}"


def _allowed(identity: Sequence[Any], boundary: Any, actions: Iterable[str], resource: str) -> Decision | None:
    """The first of ``actions`` IAM allows on ``resource`` (None: none)."""
    for action in actions:
        decision = decide(identity, boundary, action, resource)
        if decision.allowed:
            return decision
    return None


def result_readers(roles: Mapping[str, Holder], paths: Iterable[str], arns: Mapping[str, str]) -> dict[str, list[str]]:
    """Workgroup -> the reachable roles and users (``paths``) whose IAM allows fetching its results (``arns``:
    workgroup -> its ARN): only those workgroups' results need searching for values."""
    found: dict[str, list[str]] = {}
    for work_group, arn in arns.items():
        for role in sorted(paths):
            info = roles.get(role)
            if info is not None and info.identity and _allowed(info.identity, info.boundary, RESULT_READS, arn):
                found.setdefault(work_group, []).append(role)
    return found


def read_shown(
    athena: Any,
    histories: Iterable[WorkGroupHistory],
    values: HiddenValues,
    arns: Mapping[str, str],
    fetch: Mapping[str, Sequence[str]],
    known: Iterable[SharedResult] = (),
    own_mark: str | None = None,
    max_rows: int = MAX_RESULT_ROWS,
    athena_in: Callable[[str], Any] | None = None,
) -> tuple[list[ShownExecution], list[str]]:
    """(executions showing a value, errors): every workgroup's executions (``arns`` and ``fetch`` keyed by
    ``WorkGroupHistory.label``: a name is unique only per region) whose text or error shows one, and for the
    workgroups in ``fetch`` (workgroup -> the roles that may fetch its results) each succeeded query's result
    holding one: the analyst's fetch (``known``) where it had one, else GetQueryResults as the privileged principal
    (``athena``; ``athena_in(region)`` for another region's workgroup: a query id is known only in its region). A
    result the privileged principal cannot read is an error naming the roles: the check cannot vouch for it."""
    fetched = {(r.work_group, r.query_id): r for r in known if not r.denied}
    found: list[ShownExecution] = []
    errors: list[str] = []
    for history in histories:
        roles = fetch.get(history.label)
        client = athena_in(history.region) if history.region and athena_in is not None else athena
        for execution in history.executions:
            if own_mark and own_mark in str(execution.get("Query") or ""):
                continue
            query_id = str(execution.get("QueryExecutionId"))
            shown = list(shown_in(execution, values))
            succeeded = (execution.get("Status") or {}).get("State") == "SUCCEEDED"
            if roles and succeeded and execution.get("StatementType") == "DML":
                known_result = fetched.get((history.label, query_id))
                try:
                    leaks = known_result.leaks if known_result is not None else _result_leaks(client, query_id, values)
                except (ClientError, BotoCoreError) as err:
                    denied = " (refused)" if refused(err) else ""
                    errors.append(
                        f"could not read, as the privileged principal, the result of query {query_id} of workgroup "
                        f"{history.label}{denied}, which role(s) {', '.join(roles)} the analyst can act as may "
                        f"fetch: {err}"
                    )
                    leaks = {}
                shown += [RESULT] if leaks else []
            if shown:
                output = str((execution.get("ResultConfiguration") or {}).get("OutputLocation") or "")
                found.append(
                    ShownExecution(
                        history.label,
                        arns[history.label],
                        query_id,
                        values.redacted(str(execution.get("Query") or "")),
                        tuple(shown),
                        output,
                    )
                )
    return found, errors


def _result_leaks(athena: Any, query_id: str, values: HiddenValues) -> dict[str, int]:
    """Column -> rows of the result carrying a hidden value, as the privileged principal reads it."""
    result = SharedResult(query_id, "")
    tally = LeakTally(values)
    read_result(athena, result, tally, MAX_RESULT_ROWS)
    return tally.by_column(result.columns)


def _reads_file(role: Holder, who: Principal, output: str, policies: Mapping[str, Mapping[str, Any] | None]) -> str:
    """Why ``role`` may ``s3:GetObject`` the result file ``output`` (``""``: it may not); a result Athena manages
    (no file) needs no S3 read."""
    if not output:
        return "the result has no OutputLocation (Athena manages it): no S3 read is needed"
    bucket, _, key = output.split("://", 1)[-1].partition("/")
    objects = {bucket: [key]}
    name = f"{role.kind} {role.arn}"
    found = object_read_problems(role.identity or [], role.boundary, objects, name)[0]
    found += bucket_policy_problems(
        role.identity or [], role.boundary, who, {bucket: policies.get(bucket)}, objects, name
    )[0]
    return found[0] if found else ""


def handed(results: Iterable[SharedResult], hidden: Sequence[str] = ("ssn",)) -> dict[tuple[str, str], set[str]]:
    """(workgroup, query id) -> what of it the analyst's own calls hand it that shows a value (its ``shown``, and
    ``RESULT`` for a result it fetched holding a value or a column named like a hidden one with rows), as
    ``shared_result_problems`` judges them."""
    wanted = {h.lower() for h in hidden}
    found: dict[tuple[str, str], set[str]] = {}
    for r in results:
        what = set(r.shown)
        if not r.denied and (r.leaks or (r.rows and any(c.lower() in wanted for c in r.columns))):
            what.add(RESULT)
        found.setdefault((r.work_group, r.query_id), set()).update(what)
    return found


def history_read_problems(
    analyst_arn: str,
    account_id: str,
    roles: Mapping[str, Holder],
    paths: Mapping[str, Sequence[Edge]],
    shown: Sequence[ShownExecution],
    policies: Mapping[str, Mapping[str, Any] | None],
    hidden: Sequence[str] = ("ssn",),
    analysts: Mapping[tuple[str, str], set[str]] | None = None,
) -> tuple[list[str], list[dict[str, Any]]]:
    """(problems, evidence): each role or user the analyst can act as (``paths``) that may read an execution of
    ``shown`` (its text or error by ``TEXT_READS``, its result by ``RESULT_READS`` and the file), one problem per
    principal and workgroup naming the path, the action and one execution (``policies``: bucket -> its policy, for
    result files). What the analyst's own calls hand it already (``analysts``, from ``handed``) is left out: that
    is named once, as the analyst's."""
    by_group: dict[str, list[ShownExecution]] = {}
    for execution in shown:
        by_group.setdefault(execution.work_group, []).append(execution)
    problems: list[str] = []
    evidence: list[dict[str, Any]] = []
    for arn, path in sorted(paths.items()):
        role = roles[arn]
        if not role.identity:
            continue
        who = Principal(arn, account_id)
        for work_group, executions in sorted(by_group.items()):
            resource = executions[0].work_group_arn
            text = _allowed(role.identity, role.boundary, TEXT_READS, resource)
            result = _allowed(role.identity, role.boundary, RESULT_READS, resource)
            read: list[tuple[ShownExecution, list[str], Decision, str]] = []
            for execution in executions:
                own = (analysts or {}).get((work_group, execution.query_id), set())
                what = [s for s in execution.shown if s not in (RESULT, *own)] if text is not None else []
                file = ""
                if RESULT in execution.shown and RESULT not in own and result is not None:
                    file = _reads_file(role, who, execution.output, policies)
                    what += [RESULT] if file else []
                decision = text if text is not None and what[:1] != [RESULT] else result
                if what and decision is not None:
                    read.append((execution, what, decision, file))
            if not read:
                continue
            execution, what, decision, file = read[0]
            more = f" (and {len(read) - 1} more executions)" if len(read) > 1 else ""
            because = "; ".join(m.describe() for m in decision.allows)
            through = f" (the result file: {file})" if RESULT in what else ""
            evidence.append(
                {
                    role.kind: arn,
                    "work_group": work_group,
                    "action": decision.action,
                    "allowed_by": [m.describe() for m in decision.allows],
                    "executions": [e.query_id for e, *_ in read],
                }
            )
            problems.append(
                f"the analyst role can act as {role.kind} {role.name} ({path_text(analyst_arn, path)}), and "
                f"{role.kind} {role.name} may call {decision.action} on workgroup {work_group} ({resource}; "
                f"{because}): query {execution.query_id} of workgroup {work_group} (`{execution.query[:120]}`) shows "
                f"values of {'/'.join(hidden)} in its {' and '.join(what)}{through}{more}, around Lake Formation"
            )
    return problems, evidence
