"""The vendored official documents (tests/lineage/data, sources in SOURCES.md) as validators.

- OpenLineage: an event is checked against ``OpenLineage.json#/$defs/<its type>`` and every facet
  it carries against the facet schema its own ``_schemaURL`` names (a facet whose schema is not
  vendored is a failure, so a new facet cannot slip past unvalidated).
- Marquez: a response body is checked against the schema ``spec/openapi.yml`` gives for the
  operation's 200 answer, with openapi-schema-validator's OpenAPI 3.0 validator.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DATA = Path(__file__).parent / "data"
OPENLINEAGE = DATA / "openlineage"
OPENAPI = DATA / "marquez-openapi.yml"

#: Keys openapi.yml 0.51 lists that Marquez's Java models no longer have (source of each).
OPENAPI_KEYS_BEYOND_MODEL: dict[str, set[str]] = {
    "JobData": {"context"},  # service/models/JobData.java (lineage node data)
    "Run": {"context"},  # service/models/Run.java
}
#: Keys Marquez's Java models serialise that ``openapi.yml`` 0.51 does not list (source of each).
MODEL_KEYS_BEYOND_OPENAPI: dict[str, set[str]] = {
    "Job": {"labels", "tags"},  # service/models/Job.java
    "JobData": {"currentRunUuid"},  # service/models/JobData.java (lineage node data)
    "Namespace": {"isHidden"},  # service/models/Namespace.java
    "DatasetVersion": {"lifecycleState", "currentSchemaVersion"},  # service/models/DatasetVersion.java
    "DatasetVersionList": {"totalCount"},  # api/DatasetResource.java (DatasetVersions)
}
#: Keys Marquez's Java models serialise in another shape than ``openapi.yml`` 0.51 gives them (source of each).
MODEL_SHAPES_UNLIKE_OPENAPI: dict[str, dict[str, Any]] = {
    # service/models/DatasetVersion.java: ``DatasetId id`` (namespace and name, no version; the document says
    # DatasetVersionId), ``ImmutableSet<TagName> tags`` (a list; the document says a string)
    "DatasetVersion": {
        "id": {"$ref": "#/components/schemas/DatasetId"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
}


@cache
def _openlineage_registry() -> Registry:
    resources = []
    for path in sorted(OPENLINEAGE.glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((contents["$id"], Resource.from_contents(contents, default_specification=DRAFT202012)))
    return Registry().with_resources(resources)


def _check(schema_url: str, instance: Any) -> list[str]:
    ref = schema_url.replace("/definitions/", "/$defs/")
    base = ref.split("#", 1)[0]
    if base not in _openlineage_registry():
        return [f"{schema_url}: schema not vendored under {OPENLINEAGE}"]
    validator = jsonschema.Draft202012Validator(
        {"$ref": ref}, registry=_openlineage_registry(), format_checker=jsonschema.FormatChecker()
    )
    return [f"{'/'.join(map(str, e.absolute_path)) or '(event)'}: {e.message}" for e in validator.iter_errors(instance)]


def openlineage_errors(event: dict[str, Any]) -> list[str]:
    """Every way ``event`` breaks the official OpenLineage schemas (empty when it validates)."""
    errors = _check(str(event.get("schemaURL", "")), event)
    facet_groups: list[tuple[str, Any]] = [
        ("run", (event.get("run") or {}).get("facets")),
        ("job", (event.get("job") or {}).get("facets")),
    ]
    for side in ("inputs", "outputs"):
        for i, dataset in enumerate(event.get(side) or []):
            facet_groups.append((f"{side}/{i}", dataset.get("facets")))
    for where, facets in facet_groups:
        for key, facet in (facets or {}).items():
            errors += [f"{where}/facets/{key}: {e}" for e in _check(str(facet.get("_schemaURL", "")), facet)]
    return errors


@cache
def openapi_document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    return document


def _flatten(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """An ``anyOf``/``allOf`` of object schemas as one object schema with all their properties.

    Closing each branch would make every body fail (``Run`` is IncompleteRun *or* the rest);
    merged, the union of the branches' keys is what the document allows.
    """
    branches = schema.get("anyOf") or schema.get("allOf")
    if not branches:
        return schema
    merged: dict[str, Any] = {"type": "object", "properties": {}}
    required: list[str] = []
    for branch in branches:
        if "$ref" in branch:
            branch = _flatten(schemas[branch["$ref"].rsplit("/", 1)[-1]], schemas)
        merged["properties"].update(branch.get("properties", {}))
        if branch.get("additionalProperties") is True:
            merged["additionalProperties"] = True
        if "allOf" in schema:
            required += branch.get("required", [])
    if required:
        merged["required"] = required
    return {**{k: v for k, v in schema.items() if k not in ("anyOf", "allOf")}, **merged}


def _strict(node: Any) -> Any:
    """Every object schema with ``properties`` closed (``additionalProperties: false``), so a key the
    document does not list is a difference from Marquez; every listed property may be ``null``,
    as Marquez writes an empty Java ``Optional`` (openapi.yml never says ``nullable``)."""
    if isinstance(node, dict):
        out = {k: _strict(v) for k, v in node.items()}
        if "properties" in out and isinstance(out["properties"], dict):
            out["properties"] = {k: {"anyOf": [{"enum": [None]}, v]} for k, v in out["properties"].items()}
            out.setdefault("additionalProperties", False)
        return out
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


def _messages(errors: Any, prefix: str = "") -> list[str]:
    """Readable messages: for a nullable property, the reason the non-null branch refused the value."""
    out = []
    for e in errors:
        where = prefix + ("/".join(map(str, e.absolute_path)) or "(body)")
        inner = [c for c in e.context if c.validator != "enum" or c.validator_value != [None]]
        out += _messages(inner, prefix) if e.validator == "anyOf" and inner else [f"{where}: {e.message}"]
    return out


@cache
def _components() -> dict[str, Any]:
    """openapi.yml's schemas: compositions flattened, the models' extra keys added, objects closed."""
    schemas = copy.deepcopy(openapi_document()["components"]["schemas"])
    schemas = {name: _flatten(schema, schemas) for name, schema in schemas.items()}
    for name, keys in MODEL_KEYS_BEYOND_OPENAPI.items():
        if name in schemas:
            schemas[name]["properties"].update({k: {} for k in keys})
    for name, shapes in MODEL_SHAPES_UNLIKE_OPENAPI.items():
        schemas[name]["properties"].update(copy.deepcopy(shapes))
    schemas["JobData"] = copy.deepcopy(schemas["Job"])
    schemas["JobData"]["properties"].update({k: {} for k in MODEL_KEYS_BEYOND_OPENAPI["JobData"]})
    for name, keys in OPENAPI_KEYS_BEYOND_MODEL.items():
        for key in keys:
            schemas[name]["properties"].pop(key, None)
    # GraphNode.data is oneOf Dataset/Job keyed by the *node's* type, which JSON Schema cannot say:
    # openapi_errors checks ``data`` on its own against the schema the discriminator maps it to.
    schemas["GraphNode"]["properties"]["data"] = {"type": "object"}
    return {"schemas": _strict(schemas)}


def _validator(name: str) -> OAS30Validator:
    schema = {"$ref": f"#/components/schemas/{name}", "components": _components()}
    return OAS30Validator(schema, format_checker=OAS30Validator.FORMAT_CHECKER)


def openapi_errors(schema: str, body: Any) -> list[str]:
    """Every way ``body`` breaks ``#/components/schemas/<schema>`` of Marquez's openapi.yml.

    Lineage graphs: each node's ``data`` is checked against the schema the document's own
    discriminator mapping gives for the node's ``type`` (Job for JOB, Dataset for DATASET).
    """
    cleaned = body
    found = _messages(_validator(schema).iter_errors(cleaned))
    if schema == "LineageGraph" and isinstance(cleaned, dict):
        data = openapi_document()["components"]["schemas"]["GraphNode"]["properties"]["data"]
        for i, node in enumerate(cleaned.get("graph") or []):
            target = str(data["discriminator"]["mapping"].get(node.get("type"), "")).rsplit("/", 1)[-1]
            if not target:
                found.append(f"graph/{i}: node type {node.get('type')!r} is not in the discriminator mapping")
                continue
            target = "JobData" if target == "Job" else target
            found += _messages(_validator(target).iter_errors(node.get("data")), f"graph/{i}/data/")
    return found


def response_schema(path: str, method: str = "get") -> str:
    """The component name of the 200 answer of ``path`` in openapi.yml (so tests follow the document)."""
    ref = openapi_document()["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
    return str(ref["$ref"]).rsplit("/", 1)[-1]
