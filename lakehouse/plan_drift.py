"""Drift Terraform saw when it refreshed, yet will not undo: a hand edit a root's ``ignore_changes`` hides.

A refreshed plan compares the state with the account (``resource_drift`` of ``terraform show -json``: before
= state, after = the account). An attribute the root *sets* that changed there is planned back to the root's
value, unless ``lifecycle { ignore_changes = [...] }`` (or ``= all``) tells Terraform to keep the account's:
then the plan says "No changes" over a hand-edited bucket policy, grant or alarm threshold. The plan's JSON
holds no ``lifecycle`` block, so this module reads the effect instead: a set attribute (one of the resource's
``expressions`` in the plan's ``configuration``) whose value really changed (noise normalised: null, ``""``,
``[]`` and ``{}`` are one; JSON documents compare parsed) and that the planned change does not put back.

Attributes Terraform does not set (computed ones, and Optional+Computed ones the root leaves unset) are not
judged here: nothing in the root says what they should be. Blocks the root writes only with ``dynamic`` are
set too, though Terraform's JSON drops them from the ``expressions`` (``lakehouse.tfsource`` reads them from
the root's files): a hand edit to one that the plan keeps is drift like any other, and the evidence says the
block is dynamic (the plan cannot say what it should hold, only what the last apply wrote).

One exception, explicit and narrow: an ``aws_glue_catalog_table``'s ``storage_descriptor`` and ``parameters``
belong to Iceberg (every commit rewrites them; ``infra/governance.tf`` ignores them), and exit check 5's table
location checks judge them instead (``lakehouse.checks.iac``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lakehouse.terraform import config_resources, without_instance_keys

#: Attributes a root may ignore and the account may change: Iceberg's, judged by exit check 5's location checks.
ICEBERG_OWNED: Mapping[str, frozenset[str]] = {
    "aws_glue_catalog_table": frozenset({"storage_descriptor", "parameters"}),
}

#: Planned actions that change nothing of a resource.
_UNCHANGED = ("no-op", "read")
_SHOWN_CHARS = 400
#: What the evidence says of a value Terraform marks sensitive.
SENSITIVE = "(sensitive)"


@dataclass(frozen=True)
class HiddenDrift:
    """One attribute changed outside Terraform that the plan keeps as the account has it."""

    address: str
    attribute: str
    state: Any
    account: Any
    #: Written with ``dynamic``: absent from the plan's configuration, read from the root's files.
    dynamic: bool = False

    def __str__(self) -> str:
        written = " (a dynamic block of the root, which the plan's configuration does not show)" if self.dynamic else ""
        return (
            f"{self.address}: {self.attribute}{written} changed outside Terraform (state {shown_value(self.state)}, "
            f"account {shown_value(self.account)}) and the plan keeps it (the root ignores it: lifecycle "
            "ignore_changes)"
        )


def shown_value(value: Any) -> str:
    """``value`` as compact JSON, a JSON document (a policy) parsed so it reads as one, cut if long."""
    text = json.dumps(normalised(value), sort_keys=True, default=str, separators=(",", ":"))
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def normalised(value: Any) -> Any:
    """``value`` with refresh noise taken out: empty things are None, JSON documents parsed, empty keys dropped."""
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ("{", "["):
            try:
                return normalised(json.loads(text))
            except json.JSONDecodeError:
                pass
        return value if value else None
    if isinstance(value, Mapping):
        kept = {str(k): n for k, v in value.items() if (n := normalised(v)) is not None}
        return kept or None
    if isinstance(value, list | tuple):
        items = [normalised(v) for v in value]
        return items if any(i is not None for i in items) else None
    return value


def configured_attributes(plan_json: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """Address (instance keys left out) -> the attributes and blocks the root writes for that resource."""
    return {
        address: frozenset(res.get("expressions") or {})
        for address, res in config_resources(plan_json)
        if res.get("mode") == "managed"
    }


def config_address(change: Mapping[str, Any]) -> str:
    """A planned change's resource as the configuration names it: modules prefixed, instance keys left out."""
    module = without_instance_keys(str(change.get("module_address") or ""))
    return f"{module + '.' if module else ''}{change.get('type')}.{change.get('name')}"


def _put_back(attribute: str, drifted_to: Any, planned: Mapping[str, Any] | None) -> bool:
    """Whether the planned change of the resource makes ``attribute`` something else than the account holds."""
    if planned is None or not (set(planned.get("actions") or []) - set(_UNCHANGED)):
        return False
    after = planned.get("after") or {}
    unknown = planned.get("after_unknown") or {}
    if isinstance(unknown, Mapping) and unknown.get(attribute):
        return True
    value = after.get(attribute) if isinstance(after, Mapping) else None
    return bool(normalised(value) != normalised(drifted_to))


def marked(sensitive: Any, attribute: str) -> bool:
    """Whether ``before_sensitive`` / ``after_sensitive`` marks (any part of) ``attribute``."""
    return isinstance(sensitive, Mapping) and bool(normalised(sensitive.get(attribute)))


def hidden_drift(
    plan_json: Mapping[str, Any], dynamic: Mapping[str, frozenset[str]] | None = None
) -> list[HiddenDrift]:
    """Every attribute the root sets that changed outside Terraform and that the plan leaves as the account has it.

    ``plan_json``: ``terraform show -json`` of a refreshed plan (``resource_drift``, ``resource_changes``,
    ``configuration``); ``dynamic``: the blocks the root writes with ``dynamic``, by configuration address
    (``lakehouse.tfsource.dynamic_blocks``). Iceberg's table attributes (``ICEBERG_OWNED``) are left to the
    location checks.
    """
    shown = configured_attributes(plan_json)
    configured = {
        a: shown.get(a, frozenset()) | (dynamic or {}).get(a, frozenset()) for a in {*shown, *(dynamic or {})}
    }
    planned = {str(c.get("address")): c.get("change") or {} for c in plan_json.get("resource_changes") or []}
    found = []
    for drift in plan_json.get("resource_drift") or []:
        if drift.get("mode", "managed") != "managed":
            continue
        address, kind = str(drift.get("address")), str(drift.get("type"))
        change = drift.get("change") or {}
        before, after = change.get("before") or {}, change.get("after") or {}
        if not isinstance(before, Mapping) or not isinstance(after, Mapping):
            continue
        judged = configured.get(config_address(drift), frozenset()) - ICEBERG_OWNED.get(kind, frozenset())
        for attribute in sorted(judged):
            then, now = before.get(attribute), after.get(attribute)
            if normalised(then) == normalised(now) or _put_back(attribute, now, planned.get(address)):
                continue
            if marked(change.get("before_sensitive"), attribute) or marked(change.get("after_sensitive"), attribute):
                then = now = SENSITIVE  # compared, never written to the evidence
            written_dynamically = attribute not in shown.get(config_address(drift), frozenset())
            found.append(HiddenDrift(address, attribute, then, now, written_dynamically))
    return found
