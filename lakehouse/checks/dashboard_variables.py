"""A dashboard body as it opens: its ``variables`` with a default rewrite the tiles before anyone looks.

CloudWatch dashboard variables (the body's ``variables``; CloudWatch's "Dashboard Body Structure and
Syntax", the CDK's ``DashboardVariable``) change what the widgets show: a ``property`` variable sets every
instance of a property (a dimension name such as ``WorkGroup``, or ``region``) in the widgets, a ``pattern``
variable replaces a regular expression across the widgets' JSON. With a ``defaultValue`` the dashboard opens
on it (``__FIRST``: the first of its ``values``, or the first result of its ``search``). A tile written on
the stack's workgroup under a variable whose default names another one shows the other one: exit check 7
counts the tiles as they open, not as they are written.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

#: The default that means "the first value": of ``values``, or of the ``search`` result.
FIRST = "__FIRST"
#: Marks a value the body cannot tell (the first result of a search when the dashboard opens).
UNKNOWN_PREFIX = "(first search result of variable "

VARIABLES_RULE = (
    "Rows are counted as the dashboard opens: each of the body's `variables` with a `defaultValue` first sets "
    "what it names (a `property` variable: every instance of that property in the widgets, a dimension value or "
    "a widget's `region`; a `pattern` variable: every match of its regular expression in the widgets' strings), "
    "`__FIRST` being the first of its `values`. A row whose dimension a variable sets to the first result of a "
    "metric search shows a resource the body does not name: it is listed, not counted."
)


def _default(variable: Mapping[str, Any]) -> str | None:
    """The value the variable opens at; None when it has no default (the widgets open as written)."""
    default = variable.get("defaultValue")
    if default is None or default == "":
        return None
    if default != FIRST:
        return str(default)
    values = variable.get("values")
    if isinstance(values, list) and values and isinstance(values[0], dict) and "value" in values[0]:
        return str(values[0]["value"])
    return f"{UNKNOWN_PREFIX}{variable.get('id', '?')}: {variable.get('search', '?')})"


def _set_property(widgets: list[Any], name: str, value: str) -> int:
    """Set every instance of property ``name`` in the widgets (dimension values, widget and row options)."""
    changed = 0
    for widget in widgets:
        props = widget.get("properties") if isinstance(widget, dict) else None
        if not isinstance(props, dict):
            continue
        if name in props and props[name] != value:
            props[name], changed = value, changed + 1
        rows = props.get("metrics")
        for row in rows if isinstance(rows, list) else []:
            if not isinstance(row, list):
                continue
            for i, item in enumerate(row):
                if isinstance(item, dict) and name in item and item[name] != value:
                    item[name], changed = value, changed + 1
                elif (
                    item == name
                    and 2 <= i < len(row) - 1
                    and i % 2 == 0
                    and isinstance(row[i + 1], str)
                    and row[i + 1] != value
                ):
                    row[i + 1], changed = value, changed + 1
    return changed


def _replace_pattern(node: Any, pattern: re.Pattern[str], value: str) -> tuple[Any, int]:
    """Every string under ``node`` with the pattern's matches replaced by ``value``, and how many strings changed."""
    if isinstance(node, str):
        new = pattern.sub(lambda _: value, node)
        return new, int(new != node)
    if isinstance(node, list):
        pairs = [_replace_pattern(item, pattern, value) for item in node]
        return [p[0] for p in pairs], sum(p[1] for p in pairs)
    if isinstance(node, dict):
        done = {k: _replace_pattern(v, pattern, value) for k, v in node.items()}
        return {k: v[0] for k, v in done.items()}, sum(v[1] for v in done.values())
    return node, 0


def opened_body(body: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The body with its variables' defaults applied, and one note per variable that changed a widget."""
    opened = copy.deepcopy(dict(body))
    variables = opened.get("variables")
    notes: list[str] = []
    for variable in variables if isinstance(variables, list) else []:
        if not isinstance(variable, dict) or (value := _default(variable)) is None:
            continue
        found = opened.get("widgets")
        widgets: list[Any] = found if isinstance(found, list) else []
        kind = variable.get("type")
        target = str(variable.get(str(kind), ""))
        if kind == "property" and target:
            changed = _set_property(widgets, target, value)
        elif kind == "pattern" and target:
            try:
                pattern = re.compile(target)
            except re.error:
                pattern = re.compile(re.escape(target))
            opened["widgets"], changed = _replace_pattern(widgets, pattern, value)
        else:
            continue
        if changed:
            notes.append(
                f"variable {variable.get('id', '?')} ({kind} {target!r}) opens the dashboard at {value!r}: "
                f"{changed} value(s) in the widgets read so, not as written"
            )
    return opened, notes
