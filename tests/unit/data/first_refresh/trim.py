"""Trim a refreshed plan's ``terraform show -json`` to what ``lakehouse.first_refresh`` reads.

    python tests/unit/data/first_refresh/trim.py plan.json tests/unit/data/first_refresh/NAME.json

Kept: each drifted resource with the attributes whose value changed (null and empty differ here too) plus
``id``/``arn`` (what companions name their parent by), and the companions of ``first_refresh.COMPANIONS`` in the
refreshed state with the attribute that names their parent.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from lakehouse.first_refresh import COMPANIONS
from lakehouse.terraform import state_resources

_KEYS = {"id", "arn"}


def trimmed(plan: dict[str, Any]) -> dict[str, Any]:
    links = {c.kind: c.link for c in COMPANIONS.values()}
    drift = []
    for d in plan.get("resource_drift") or []:
        change = d["change"]
        before, after = change["before"], change["after"]
        kept = sorted(k for k in {*before, *after} if k in _KEYS or before.get(k) != after.get(k))
        drift.append(
            {
                **{k: d[k] for k in ("address", "mode", "type", "name")},
                "change": {
                    "actions": change["actions"],
                    "before": {k: before.get(k) for k in kept},
                    "after": {k: after.get(k) for k in kept},
                },
            }
        )
    companions = [
        {
            "address": r["address"],
            "mode": "managed",
            "type": r["type"],
            "values": {links[r["type"]]: r["values"].get(links[r["type"]])},
        }
        for r in state_resources(plan["prior_state"])
        if r["type"] in links
    ]
    return {
        "format_version": plan["format_version"],
        "terraform_version": plan["terraform_version"],
        "resource_drift": drift,
        "prior_state": {"values": {"root_module": {"resources": companions}}},
    }


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as source, open(sys.argv[2], "w", encoding="utf-8") as out:
        json.dump(trimmed(json.load(source)), out, indent=1, sort_keys=True)
