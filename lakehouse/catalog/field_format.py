"""Backstage's FieldFormatEntityPolicy on the metadata fields its JSON schemas leave free.

The entity schemas ask only for strings in ``metadata.namespace``, ``tags``, ``labels`` and ``annotations``; the
catalog backend then enforces its formats (``@backstage/catalog-model``: FieldFormatEntityPolicy with
``makeValidator``'s defaults, Kubernetes' rules for names, labels and annotations) and refuses an entity that breaks
one: it is never served. A file only the schemas judged could be served by the local stand-in and refused by
Backstage on App Runner, so a catalog passing locally would not be Backstage's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

_DNS_LABEL = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_OBJECT_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_TAG = re.compile(r"[a-z0-9:+#]+(-[a-z0-9:+#]+)*")

DNS_LABEL = "sequences of [a-z0-9] separated by -, at most 63 characters"
OBJECT_NAME = "sequences of [a-zA-Z0-9] separated by any of - _ ., at most 63 characters"
KEY = f"an optional DNS subdomain prefix and '/', then {OBJECT_NAME}"
TAG = "sequences of [a-z0-9:+#] separated by -, at most 63 characters"


def is_dns_label(value: str) -> bool:
    return 1 <= len(value) <= 63 and _DNS_LABEL.fullmatch(value) is not None


def is_object_name(value: str) -> bool:
    return 1 <= len(value) <= 63 and _OBJECT_NAME.fullmatch(value) is not None


def is_key(value: str) -> bool:
    """A label or annotation key: ``[prefix/]name``, the prefix a DNS subdomain (Kubernetes' rule)."""
    parts = value.split("/")
    if len(parts) == 1:
        return is_object_name(parts[0])
    prefix, name = parts if len(parts) == 2 else ("", "")
    subdomain = 1 <= len(prefix) <= 253 and all(is_dns_label(label) for label in prefix.split("."))
    return subdomain and is_object_name(name)


def is_tag(value: str) -> bool:
    return 1 <= len(value) <= 63 and _TAG.fullmatch(value) is not None


def format_problems(metadata: Mapping[str, Any]) -> Iterator[tuple[list[Any], str]]:
    """(path of the field, why Backstage refuses it) for each metadata field breaking its format."""
    namespace = metadata.get("namespace")
    if isinstance(namespace, str) and not is_dns_label(namespace):
        yield ["metadata", "namespace"], f"{namespace!r} is not {DNS_LABEL}"
    for index, tag in enumerate(metadata.get("tags") or []):
        if isinstance(tag, str) and not is_tag(tag):
            yield ["metadata", "tags", index], f"{tag!r} is not {TAG}"
    for key, value in (metadata.get("labels") or {}).items():
        if not is_key(str(key)):
            yield ["metadata", "labels"], f"key {str(key)!r} is not {KEY}"
        elif isinstance(value, str) and value != "" and not is_object_name(value):
            yield ["metadata", "labels", key], f"{value!r} is not empty or {OBJECT_NAME}"
    for key in metadata.get("annotations") or {}:
        if not is_key(str(key)):
            yield ["metadata", "annotations"], f"key {str(key)!r} is not {KEY}"
