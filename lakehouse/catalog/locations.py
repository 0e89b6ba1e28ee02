"""The Location entities a real Backstage serves beside the entities of the one catalog-info.yaml registered.

Backstage's catalog answers ``GET /api/catalog/entities`` with a ``Location`` entity for each registered location
(app-config ``catalog.locations``, ConfigLocationEntityProvider; or ``POST /api/catalog/locations``,
DefaultLocationStore; legacy ``bootstrap`` ones are filtered out and never served). Both make it with
``locationSpecToLocationEntity`` (plugins/catalog-backend/src/util/conversion.ts) and no parent entity:

- ``metadata.name`` is ``generated-`` + the SHA-1 hex of ``<type>:<target>`` (``locationSpecToMetadataName``);
- ``spec`` is ``{type, target}`` (and ``presence`` when given);
- ``backstage.io/managed-by-location`` and ``backstage.io/managed-by-origin-location`` are both ``<type>:<target>``
  (Backstage's AnnotateLocationEntityProcessor keeps them: they are set already);
- the entities it reads from its target carry ``managed-by-location: <type>:<target>``.

So a served Location is Backstage's own for this catalog when it is exactly that for the location this
catalog's entities were read from, and that location is this repository's catalog-info.yaml (:func:`location_problem`).
Any other Location (one a file wrote, one nested under another file, one pointing at another repository's
catalog, which brings that catalog's entities in) is an entity catalog-info.yaml does not define.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

from lakehouse.catalog.model import CATALOG_FILE, DEFAULT_NAMESPACE
from lakehouse.catalog.repository import Repository, tree_url

#: Backstage's annotations naming where an entity was read from, and the registered location that led there.
MANAGED_BY = "backstage.io/managed-by-location"
ORIGIN = "backstage.io/managed-by-origin-location"


class Unjudged(ValueError):
    """Whether a served Location is this repository's cannot be told (the repository is unknown)."""


def generated_name(kind: str, target: str) -> str:
    """Backstage's ``locationSpecToMetadataName``: ``generated-`` + sha1(``<type>:<target>``)."""
    return "generated-" + hashlib.sha1(f"{kind}:{target}".encode(), usedforsecurity=False).hexdigest()


def read_from(served: Sequence[Mapping[str, Any]], refs: set[str], ref_of: Any) -> set[str]:
    """The ``managed-by-location`` of every served entity whose reference is in ``refs`` (the file's)."""
    return {
        str(((e.get("metadata") or {}).get("annotations") or {}).get(MANAGED_BY)) for e in served if ref_of(e) in refs
    }


def location_problem(entity: Mapping[str, Any], sources: set[str], repository: Repository | None) -> str | None:
    """Why a served Location is not the one Backstage makes for this repository's catalog-info.yaml (None: it is).
    ``sources``: the ``managed-by-location`` values of the file's entities as served. Raises :class:`Unjudged` when
    only the repository, unknown, could tell."""
    meta = entity.get("metadata") or {}
    spec = entity.get("spec") or {}
    annotations = meta.get("annotations") or {}
    kind, target = str(spec.get("type") or ""), str(spec.get("target") or "")
    ref = f"{kind}:{target}"
    if (meta.get("namespace") or DEFAULT_NAMESPACE) != DEFAULT_NAMESPACE or meta.get("name") != generated_name(
        kind, target
    ):
        return (
            f"Backstage names the Location of a registered location {generated_name(kind, target)} in namespace "
            f"default (generated- and the SHA-1 of {ref!r}), so this one was written by a catalog file"
        )
    if annotations.get(MANAGED_BY) != ref or annotations.get(ORIGIN) != ref:
        return (
            f"it was read from {annotations.get(MANAGED_BY)!r} (origin {annotations.get(ORIGIN)!r}), so it is no "
            f"registered location (app-config catalog.locations or POST /api/catalog/locations) but one another "
            "catalog file adds"
        )
    if sources != {ref}:
        return f"it points at {ref!r}, and catalog-info.yaml's entities were read from {', '.join(sorted(sources))}"
    if kind == "file":
        if PurePosixPath(target).name != CATALOG_FILE:
            return f"it points at {ref!r}, not a {CATALOG_FILE}"
        return None
    if kind != "url":
        return f"it is a {kind!r} location, not the url or file one this catalog is registered as"
    tree = tree_url(target)
    if tree is None or tree.path != CATALOG_FILE:
        return f"it points at {target!r}, not the {CATALOG_FILE} at a repository's root"
    if repository is None:
        raise Unjudged(f"whether the Location for {target!r} is this repository's cannot be told")
    if not repository.names(tree.host, tree.slug):
        return (
            f"it points at {target!r} in repository {tree.host}/{tree.slug}, not this one, {repository} "
            f"({repository.source})"
        )
    return None
