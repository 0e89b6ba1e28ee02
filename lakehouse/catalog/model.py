"""catalog-info.yaml read and validated against Backstage's own entity schemas, with the entities Backstage serves.

The schemas are Backstage's (``@backstage/catalog-model``, vendored under ``schemas/``), so a file this
accepts is one Backstage's catalog accepts: every document against the envelope, then against its kind's
schema, then the formats its FieldFormatEntityPolicy enforces beyond them (``field_format``). A bad document
is named by file, line, document index and field, and every problem is reported at once (nothing is served
from a catalog with any).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from lakehouse.catalog.field_format import format_problems

SCHEMA_DIR = Path(__file__).parent / "schemas"
#: The kinds this catalog may use, each with its schema file (Backstage's ``v1alpha1`` kinds).
KIND_SCHEMAS = {
    "API": "API.v1alpha1.schema.json",
    "Component": "Component.v1alpha1.schema.json",
    "Group": "Group.v1alpha1.schema.json",
    "Resource": "Resource.v1alpha1.schema.json",
    "System": "System.v1alpha1.schema.json",
}
DEFAULT_NAMESPACE = "default"
#: Where the catalog's entities live in the repository (Backstage's convention).
CATALOG_FILE = "catalog-info.yaml"
#: Backstage's rule for metadata.name (its FieldFormatEntityPolicy; the JSON schema only asks for a string).
NAME_RULE = re.compile(r"^[a-zA-Z0-9]([-_.a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$")


class CatalogError(ValueError):
    """catalog-info.yaml is not a valid Backstage catalog; the message names file, line, document and field."""


@dataclass(frozen=True)
class Entity:
    """One entity as written, with where it was written."""

    data: dict[str, Any]
    line: int  # 1-based line of the document's first key
    index: int  # 0-based document index in the file

    @property
    def kind(self) -> str:
        return str(self.data["kind"])

    @property
    def name(self) -> str:
        return str(self.data["metadata"]["name"])

    @property
    def namespace(self) -> str:
        return str(self.data["metadata"].get("namespace") or DEFAULT_NAMESPACE)

    @property
    def ref(self) -> str:
        """Backstage's entity reference, ``kind:namespace/name`` in lower case."""
        return entity_ref(self.kind, self.namespace, self.name)

    @property
    def spec(self) -> dict[str, Any]:
        return dict(self.data.get("spec") or {})

    @property
    def annotations(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in (self.data["metadata"].get("annotations") or {}).items()}


def entity_ref(kind: str, namespace: str, name: str) -> str:
    return f"{kind}:{namespace}/{name}".lower()


def parse_ref(ref: str, default_kind: str, default_namespace: str = DEFAULT_NAMESPACE) -> str:
    """A full reference from Backstage's short forms ``[kind:][namespace/]name``."""
    kind, _, rest = ref.rpartition(":") if ":" in ref else (default_kind, ":", ref)
    namespace, _, name = rest.rpartition("/") if "/" in rest else (default_namespace, "/", rest)
    return entity_ref(kind or default_kind, namespace or default_namespace, name)


def reference(entity: Entity, ref: str, default_kind: str | None) -> str | None:
    """``ref`` written in ``entity``'s spec as Backstage resolves it: a missing namespace is the entity's own (its
    BuiltinKindsEntityProcessor passes ``defaultNamespace: selfRef.namespace``), a missing kind the field's default;
    None when it has no kind and the field has none (``dependsOn``, ``dependencyOf``): ``parseEntityRef`` throws, the
    entity fails processing and is never served."""
    if default_kind is None and ":" not in ref:
        return None
    return parse_ref(ref, default_kind or "", entity.namespace)


@cache
def _schemas() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in SCHEMA_DIR.glob("*.schema.json")}


@cache
def _validators() -> tuple[Draft7Validator, dict[str, Draft7Validator]]:
    """The envelope's validator and one per kind; schemas refer to each other by ``$id`` (Entity, common...)."""
    schemas = _schemas()
    registry: Registry[Any] = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT7)) for schema in schemas.values()
    )
    envelope = Draft7Validator(schemas["EntityEnvelope.schema.json"], registry=registry)
    kinds = {kind: Draft7Validator(schemas[file], registry=registry) for kind, file in KIND_SCHEMAS.items()}
    return envelope, kinds


def _field_line(node: yaml.Node, path: Iterable[Any]) -> int:
    """The 1-based line of the field at ``path`` in a composed document (its key's line; as deep as it exists)."""
    line = node.start_mark.line
    for key in path:
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if k.value == key), None)
            if found is None:
                break
            line, node = found[0].start_mark.line, found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line
        else:
            break
    return line + 1


def validate_documents(source: str, text: str) -> list[Entity]:
    """The entities of a multi-document catalog text; CatalogError listing every problem found."""
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise CatalogError(f"{where}: not YAML: {err}") from None
    envelope, kinds = _validators()
    problems: list[str] = []
    entities: list[Entity] = []
    seen: dict[str, Entity] = {}
    pairs = [(n, d) for n, d in zip(nodes, documents, strict=True) if n is not None]
    for index, (node, doc) in enumerate(pairs):
        line = node.start_mark.line + 1
        label = f"document {index}"
        if isinstance(doc, Mapping):
            label += f" ({doc.get('kind')} {(doc.get('metadata') or {}).get('name')!r})"
        errors = sorted(envelope.iter_errors(doc), key=lambda e: list(e.absolute_path))
        if not errors:
            kind = doc["kind"]
            validator = kinds.get(kind)
            if validator is None:
                problems.append(f"{source}:{line}: {label}: field 'kind': {kind!r} is not one of {sorted(kinds)}")
                continue
            errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        for error in errors:
            field = ".".join(str(p) for p in error.absolute_path) or "(document)"
            at = _field_line(node, error.absolute_path)
            problems.append(f"{source}:{at}: {label}: field '{field}': {error.message}")
        if errors:
            continue
        entity = Entity(dict(doc), line, index)
        if not NAME_RULE.match(entity.name):
            at = _field_line(node, ["metadata", "name"])
            problems.append(
                f"{source}:{at}: {label}: field 'metadata.name': {entity.name!r} is not 1-63 letters, digits and "
                "- _ . starting and ending with a letter or digit (Backstage's rule)"
            )
            continue
        refused = [
            f"{source}:{_field_line(node, path)}: {label}: field '{'.'.join(map(str, path))}': {why} "
            "(Backstage's FieldFormatEntityPolicy refuses the entity)"
            for path, why in format_problems(entity.data["metadata"])
        ]
        if refused:
            problems += refused
            continue
        if (first := seen.get(entity.ref)) is not None:
            problems.append(f"{source}:{line}: {label}: {entity.ref} already defined at {source}:{first.line}")
            continue
        seen[entity.ref] = entity
        entities.append(entity)
    if problems:
        raise CatalogError("; ".join(problems))
    return entities


def load_catalog(path: Path) -> list[Entity]:
    """The entities of ``path`` (catalog-info.yaml), validated."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise CatalogError(f"{path}: cannot read: {err.strerror}") from None
    return validate_documents(str(path), text)


def _relations(entity: Entity) -> list[dict[str, str]]:
    """Backstage's relations of an entity (ownedBy, partOf, dependsOn, consumesApi), as its processors add them."""
    spec = entity.spec
    named: list[tuple[str, Any, str | None]] = [
        ("ownedBy", spec.get("owner"), "group"),
        ("partOf", spec.get("system"), "system"),
    ]
    named += [("dependsOn", target, None) for target in spec.get("dependsOn") or []]
    named += [("consumesApi", api, "api") for api in spec.get("consumesApis") or []]
    return [
        {"type": relation, "targetRef": ref}
        for relation, target, kind in named
        if target and (ref := reference(entity, str(target), kind)) is not None
    ]


def served_entity(entity: Entity, location: str) -> dict[str, Any]:
    """An entity as Backstage's catalog API answers it: namespace, uid, etag, origin annotations, relations."""
    data = json.loads(json.dumps(entity.data))
    meta = data["metadata"]
    meta.setdefault("namespace", DEFAULT_NAMESPACE)
    annotations = meta.setdefault("annotations", {})
    annotations.setdefault("backstage.io/managed-by-location", f"file:{location}")
    annotations.setdefault("backstage.io/managed-by-origin-location", f"file:{location}")
    meta["uid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"backstage:{entity.ref}"))
    meta["etag"] = hashlib.sha1(json.dumps(entity.data, sort_keys=True).encode(), usedforsecurity=False).hexdigest()
    data["relations"] = _relations(entity)
    return dict(data)


def served_ref(entity: Mapping[str, Any]) -> str:
    """The reference of an entity as the catalog API served it."""
    meta = entity.get("metadata") or {}
    return entity_ref(str(entity.get("kind")), str(meta.get("namespace") or DEFAULT_NAMESPACE), str(meta.get("name")))
