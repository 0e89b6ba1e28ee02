"""A digest of a RunEvent that survives Marquez's storage: how exit 4 tells this run's events from copies.

Marquez does not keep the posted body: it reads the event into its ``LineageEvent`` model and writes it back
(``OpenLineageService.createAsync``: ``createJsonArray``, ``Utils.newObjectMapper``) into a ``jsonb`` column,
then reads it through the model again for ``GET /events/lineage`` (``LineageEventMapper``). On the way keys are
reordered (``jsonb``, the model's property order), null fields are dropped (``Include.NON_NULL``), and the
``eventTime`` is re-printed by Jackson (``ZonedDateTime``: ``+00:00`` may come back as ``Z``, trailing zeros of
the fraction cut). Unknown fields and facets are kept (``BaseJsonModel``/``BaseFacet`` any-getters).

So the digest is the sha256 of the canonical JSON (sorted keys, no whitespace, numbers as parsed) of a stable
subset: ``eventType``, ``eventTime`` as a UTC instant (microseconds), ``producer``, ``run`` (``runId``, ``facets``),
``job`` (``namespace``, ``name``, ``facets``), and each input and output (``namespace``, ``name``, ``facets``,
``inputFacets``/``outputFacets``), in order; null values and empty objects or lists dropped throughout.
Left out: ``schemaURL`` and any other top-level field Marquez does not act on.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

#: What of each part of a RunEvent the digest covers (see module doc).
RUN_KEYS, JOB_KEYS = ("runId", "facets"), ("namespace", "name", "facets")
DATASET_KEYS = ("namespace", "name", "facets", "inputFacets", "outputFacets")


def _instant(text: Any) -> Any:
    """An ISO time with an offset as its UTC instant (microseconds); anything else as it is."""
    try:
        when = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return text
    return when.astimezone(UTC).isoformat(timespec="microseconds") if when.tzinfo is not None else text


def _pruned(value: Any) -> Any:
    """``value`` without nulls, empty objects or empty lists at any depth (Marquez omits nulls)."""
    if isinstance(value, dict):
        kept = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v is not None and v != {} and v != []}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def _pick(part: Any, keys: tuple[str, ...]) -> Any:
    return {k: part.get(k) for k in keys} if isinstance(part, dict) else part


def stable_part(event: dict[str, Any]) -> dict[str, Any]:
    """The part of ``event`` Marquez answers unchanged but for key order and nulls (see module doc)."""
    datasets = {
        key: [_pick(d, DATASET_KEYS) for d in event[key]] if isinstance(event.get(key), list) else event.get(key)
        for key in ("inputs", "outputs")
    }
    part = {
        "eventType": event.get("eventType"),
        "eventTime": _instant(event.get("eventTime")),
        "producer": event.get("producer"),
        "run": _pick(event.get("run"), RUN_KEYS),
        "job": _pick(event.get("job"), JOB_KEYS),
        **datasets,
    }
    pruned: dict[str, Any] = _pruned(part)
    return pruned


def event_digest(event: dict[str, Any]) -> str:
    """sha256 (hex) of the canonical JSON of ``event``'s :func:`stable_part`."""
    text = json.dumps(stable_part(event), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
