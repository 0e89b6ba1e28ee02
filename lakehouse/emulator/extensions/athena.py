"""Athena workgroup operations that moto 5.2 lacks or answers unlike AWS.

Why each patch exists (all seen with Terraform's ``aws_athena_workgroup``):

- ``UpdateWorkGroup`` is missing, so Terraform cannot correct drift or apply an
  in-place change (scan cutoff, engine version, description); the provider gets a 500.
- ``ListTagsForResource`` answers "does not exist" for a workgroup without tags, and
  answers with stale tags for a deleted one (``DeleteWorkGroup`` leaves them behind,
  so a workgroup re-created under the same name inherits them).
- ``GetWorkGroup`` answers 200 with ``WorkGroup: null`` for an unknown name, where
  Athena raises ``InvalidRequestException`` "WorkGroup <name> is not found."
  (the message the provider keys its not-found handling on).
- ``ListPreparedStatements``, ``DeletePreparedStatement``, ``DeleteNamedQuery`` and ``BatchGetNamedQuery`` are
  missing (exit check 5 lists a stack workgroup's statements and reads named queries 50 at a time, as ``primary``
  may hold thousands; exit check 6 searches their text; a named query, Terraform's ``aws_athena_named_query`` or one
  made by hand, or a prepared statement, cannot be deleted).
- Prepared statements are keyed by name alone, where Athena keys them by (workgroup, name): the same name in two
  workgroups is two statements, and CreatePreparedStatement in one replaced the other's (exit check 6 then read a
  statement's text from the wrong workgroup, and missed what the replaced one showed). GetPreparedStatement of an
  unknown name is a 500 (Athena: ResourceNotFoundException, as for Update and Delete, botocore's model),
  ``UpdatePreparedStatement`` is missing, and ListPreparedStatements does not page (at most 50 a page on AWS).
- ``CreationTime`` changes on every read, and ``EffectiveEngineVersion`` is missing
  when a version was selected explicitly.

State stays on moto's backend model; the wire format is patched on the responses class.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from moto.athena import models as athena_models
from moto.athena.models import AthenaBackend, WorkGroup
from moto.athena.responses import AthenaResponse
from moto.core.exceptions import JsonRESTError

_MARK = "_lakehouse_ext_installed"
_AUTO_ENGINE = "AUTO"
_DEFAULT_ENGINE = "Athena engine version 3"
#: ListPreparedStatements' largest page (its MaxResults is 1-50).
_PAGE = 50


class WorkGroupNotFound(JsonRESTError):
    """Athena's answer to an operation on a workgroup that does not exist."""

    code = 400

    def __init__(self, name: str) -> None:
        super().__init__("InvalidRequestException", f"WorkGroup {name} is not found.")


class InvalidRequest(JsonRESTError):
    """Athena's InvalidRequestException (HTTP 400)."""

    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("InvalidRequestException", message)


class ResourceNotFound(JsonRESTError):
    """Athena's answer to a tag operation on an ARN that names nothing."""

    code = 400

    def __init__(self, arn: str) -> None:
        super().__init__("ResourceNotFoundException", f"Resource {arn} does not exist.")


class StatementNotFound(JsonRESTError):
    """Athena's answer to Get/Update/DeletePreparedStatement of a name its workgroup does not hold."""

    code = 400

    def __init__(self, name: str, work_group: str) -> None:
        message = f"PreparedStatement {name} was not found in WorkGroup {work_group}"
        super().__init__("ResourceNotFoundException", message)


# ---------------------------------------------------------------- model (state)


@dataclass
class PreparedStatement:
    """One prepared statement of one workgroup."""

    name: str
    work_group: str
    query: str
    description: str | None
    last_modified: float = field(default_factory=time.time)

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "StatementName": self.name,
            "QueryStatement": self.query,
            "WorkGroupName": self.work_group,
            "LastModifiedTime": self.last_modified,
        }
        if self.description is not None:
            out["Description"] = self.description
        return out


def prepared_statements(backend: AthenaBackend) -> dict[tuple[str, str], PreparedStatement]:
    """The backend's prepared statements by (workgroup, name), as Athena keys them (moto's own are by name)."""
    store: dict[tuple[str, str], PreparedStatement] | None = getattr(backend, "lakehouse_prepared", None)
    if store is None:
        store = {}
        backend.lakehouse_prepared = store  # type: ignore[attr-defined]
    return store


def prepared_statement(backend: AthenaBackend, work_group: str, name: str) -> PreparedStatement | None:
    """The statement ``name`` of ``work_group``: what a query's EXECUTE in that workgroup runs."""
    return prepared_statements(backend).get((work_group, name))


# ---------------------------------------------------------------- model (state)


def _effective_engine(selected: str | None) -> str:
    """Athena resolves AUTO to its current default engine."""
    return _DEFAULT_ENGINE if not selected or selected == _AUTO_ENGINE else selected


def _normalise_engine(configuration: dict[str, Any]) -> None:
    engine = configuration.get("EngineVersion")
    if isinstance(engine, dict):
        engine["SelectedEngineVersion"] = engine.get("SelectedEngineVersion") or _AUTO_ENGINE
        engine["EffectiveEngineVersion"] = _effective_engine(engine["SelectedEngineVersion"])


def _apply_updates(target: dict[str, Any], updates: dict[str, Any]) -> None:
    """Apply an Athena ``*Updates`` structure: ``RemoveX: true`` drops ``X``, others set it.

    Nested ``XUpdates`` structures (``ResultConfigurationUpdates``,
    ``ManagedQueryResultsConfigurationUpdates``) update the ``X`` sub-structure.
    """
    for key, value in updates.items():
        if key.startswith("Remove") and isinstance(value, bool):
            if value:
                target.pop(key[len("Remove") :], None)
        elif key.endswith("Updates") and isinstance(value, dict):
            nested = target.setdefault(key[: -len("Updates")], {})
            _apply_updates(nested, value)
        else:
            target[key] = value


def _update_work_group(
    backend: AthenaBackend,
    name: str,
    description: str | None,
    configuration_updates: dict[str, Any] | None,
    state: str | None,
) -> None:
    """UpdateWorkGroup: change description, state and configuration in place."""
    work_group = backend.work_groups.get(name)
    if work_group is None:
        raise WorkGroupNotFound(name)
    if description is not None:
        work_group.description = description
    if state is not None:
        work_group.state = state
    if configuration_updates:
        _apply_updates(work_group.configuration, configuration_updates)
        _normalise_engine(work_group.configuration)


def _resource_exists(backend: AthenaBackend, arn: str) -> bool:
    """True when the ARN names a workgroup, data catalog or capacity reservation we hold."""
    resource = arn.split(":", 5)[-1] if arn.count(":") >= 5 else ""
    kind, _, name = resource.partition("/")
    collections: dict[str, dict[str, Any]] = {
        "workgroup": backend.work_groups,
        "datacatalog": backend.data_catalogs,
        "capacity-reservation": backend.capacity_reservations,
    }
    return name in collections.get(kind, {})


def _install_model() -> None:
    original_init = WorkGroup.__init__
    original_delete = AthenaBackend.delete_work_group

    def init(self: WorkGroup, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.creation_time = time.time()  # type: ignore[attr-defined]  # once, not on every read
        _normalise_engine(self.configuration)

    def delete_work_group(self: AthenaBackend, name: str) -> None:
        work_group = self.work_groups.get(name)
        original_delete(self, name)
        if work_group is not None:
            self.tagger.delete_all_tags_for_resource(work_group.arn)
            statements = prepared_statements(self)
            for key in [key for key in statements if key[0] == name]:
                del statements[key]  # a workgroup re-created under the name starts without them

    def describe(work_group: WorkGroup, full: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Name": work_group.name,
            "State": work_group.state,
            "Description": work_group.description,
            "CreationTime": getattr(work_group, "creation_time", time.time()),
        }
        if full:
            out["Configuration"] = work_group.configuration
        else:
            engine = work_group.configuration.get("EngineVersion")
            if engine:
                out["EngineVersion"] = engine
        return out

    def get_work_group(self: AthenaBackend, name: str) -> dict[str, Any] | None:
        work_group = self.work_groups.get(name)
        return None if work_group is None else describe(work_group, full=True)

    def list_work_groups(self: AthenaBackend) -> list[dict[str, Any]]:
        return [describe(wg, full=False) for wg in self.work_groups.values()]

    WorkGroup.__init__ = init  # type: ignore[method-assign]
    AthenaBackend.delete_work_group = delete_work_group  # type: ignore[method-assign]
    AthenaBackend.get_work_group = get_work_group  # type: ignore[method-assign]
    AthenaBackend.list_work_groups = list_work_groups  # type: ignore[method-assign]
    AthenaBackend.update_work_group = _update_work_group  # type: ignore[attr-defined]


# ---------------------------------------------------------------- responses (wire format)


def _existing_work_group(response: AthenaResponse) -> str:
    """The request's ``WorkGroup``, which must exist (InvalidRequestException, as ListPreparedStatements answers)."""
    name = str(response._get_param("WorkGroup"))
    if name not in response.athena_backend.work_groups:
        raise WorkGroupNotFound(name)
    return name


def _statement(response: AthenaResponse) -> PreparedStatement:
    """The request's (WorkGroup, StatementName) statement: another workgroup's of the same name is not it."""
    work_group, name = _existing_work_group(response), str(response._get_param("StatementName"))
    statement = prepared_statement(response.athena_backend, work_group, name)
    if statement is None:
        raise StatementNotFound(name, work_group)
    return statement


def _token(token: str | None, total: int) -> int:
    """Where a ``NextToken`` this service handed out starts (InvalidRequestException for any other)."""
    if not token:
        return 0
    if not (token.isascii() and token.isdigit()) or int(token) > total:
        raise InvalidRequest("The NextToken is not valid.")
    return int(token)


def _install_responses() -> None:
    def get_work_group(self: AthenaResponse) -> str:
        name = self._get_param("WorkGroup")
        work_group = self.athena_backend.get_work_group(name)
        if work_group is None:
            raise WorkGroupNotFound(name)
        return json.dumps({"WorkGroup": work_group})

    def update_work_group(self: AthenaResponse) -> str:
        _update_work_group(
            self.athena_backend,
            self._get_param("WorkGroup"),
            self._get_param("Description"),
            self._get_param("ConfigurationUpdates"),
            self._get_param("State"),
        )
        return "{}"

    def list_tags_for_resource(self: AthenaResponse) -> str:
        arn = self._get_param("ResourceARN")
        backend = self.athena_backend
        if not _resource_exists(backend, arn):
            raise ResourceNotFound(arn)
        return json.dumps({"Tags": backend.tagger.list_tags_for_resource(arn)["Tags"]})

    def list_prepared_statements(self: AthenaResponse) -> str:
        name = _existing_work_group(self)
        statements = [
            {"StatementName": ps.name, "LastModifiedTime": ps.last_modified}
            for (work_group, _), ps in sorted(prepared_statements(self.athena_backend).items())
            if work_group == name
        ]
        start = _token(self._get_param("NextToken"), len(statements))
        end = start + min(self._get_int_param("MaxResults") or _PAGE, _PAGE)
        page: dict[str, Any] = {"PreparedStatements": statements[start:end]}
        if end < len(statements):
            page["NextToken"] = str(end)
        return json.dumps(page)

    def create_prepared_statement(self: AthenaResponse) -> str:
        work_group, name = _existing_work_group(self), self._get_param("StatementName")
        statements = prepared_statements(self.athena_backend)
        if (work_group, name) in statements:
            raise InvalidRequest(f"Prepared statement {name} already exists in WorkGroup {work_group}")
        query, description = self._get_param("QueryStatement"), self._get_param("Description")
        statements[(work_group, name)] = PreparedStatement(name, work_group, query, description)
        return "{}"

    def get_prepared_statement(self: AthenaResponse) -> str:
        return json.dumps({"PreparedStatement": _statement(self).describe()})

    def update_prepared_statement(self: AthenaResponse) -> str:
        statement = _statement(self)
        statement.query, statement.description = self._get_param("QueryStatement"), self._get_param("Description")
        statement.last_modified = time.time()
        return "{}"

    def delete_prepared_statement(self: AthenaResponse) -> str:
        statement = _statement(self)
        del prepared_statements(self.athena_backend)[(statement.work_group, statement.name)]
        return "{}"

    def delete_named_query(self: AthenaResponse) -> str:
        query_id = self._get_param("NamedQueryId")
        if self.athena_backend.named_queries.pop(query_id, None) is None:
            raise InvalidRequest(f"NamedQuery {query_id} was not found")
        return "{}"

    def batch_get_named_query(self: AthenaResponse) -> str:
        found, unprocessed = [], []
        for query_id in self._get_param("NamedQueryIds") or []:
            nq = self.athena_backend.named_queries.get(query_id)
            if nq is None:
                unprocessed.append(
                    {"NamedQueryId": query_id, "ErrorCode": "INVALID_INPUT", "ErrorMessage": "NamedQuery not found"}
                )
                continue
            found.append(
                {
                    "Name": nq.name,
                    "Description": nq.description,
                    "Database": nq.database,
                    "QueryString": nq.query_string,
                    "NamedQueryId": nq.id,
                    "WorkGroup": nq.workgroup.name,
                }
            )
        return json.dumps({"NamedQueries": found, "UnprocessedNamedQueryIds": unprocessed})

    AthenaResponse.get_work_group = get_work_group  # type: ignore[method-assign]
    AthenaResponse.batch_get_named_query = batch_get_named_query  # type: ignore[attr-defined]
    AthenaResponse.delete_named_query = delete_named_query  # type: ignore[attr-defined]
    AthenaResponse.delete_prepared_statement = delete_prepared_statement  # type: ignore[attr-defined]
    AthenaResponse.create_prepared_statement = create_prepared_statement  # type: ignore[method-assign]
    AthenaResponse.get_prepared_statement = get_prepared_statement  # type: ignore[method-assign]
    AthenaResponse.update_prepared_statement = update_prepared_statement  # type: ignore[attr-defined]
    AthenaResponse.list_prepared_statements = list_prepared_statements  # type: ignore[attr-defined]
    AthenaResponse.update_work_group = update_work_group  # type: ignore[attr-defined]
    AthenaResponse.list_tags_for_resource = list_tags_for_resource  # type: ignore[method-assign]


def install() -> None:
    """Patch moto's Athena in place; a second call does nothing."""
    if getattr(athena_models, _MARK, False):
        return
    _install_model()
    _install_responses()
    setattr(athena_models, _MARK, True)
