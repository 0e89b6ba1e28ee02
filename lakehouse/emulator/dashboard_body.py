"""What CloudWatch's PutDashboard refuses in a dashboard body, which moto 5.2.5 stores unread.

moto checks only that the body is JSON; CloudWatch validates it against the body's syntax and refuses it
(``DashboardInvalidInputError``, code ``InvalidParameterInput``) with one validation message per problem.
Exit check 7 judges the body it reads back, so a body AWS would never store (a widget 0 wide, a ``period``
of 7 s, ``"visible": 0``) must not reach the check locally either.

Documented (CloudWatch API reference, "Dashboard Body Structure and Syntax"): the body is a JSON object with
a ``widgets`` array of 0-500 widgets, optional ``start``/``end`` (``end`` needs ``start``), ``periodOverride``
``auto``/``inherit`` and ``variables``; a widget has a ``type`` (metric, text, log, alarm, explorer; custom
widgets and charts are documented types too), ``x`` 0-23, ``y`` >= 0, ``width`` 1-24, ``height`` 1-1000
(integers) and its ``properties``; a metric widget needs a ``region``, holds up to 500 rows in ``metrics``,
its ``period`` is 1, 5, 10, 30, 60 or a multiple of 60, its ``view`` one of timeSeries, singleValue, gauge,
bar, pie, table, its switches (``stacked``, ``liveData``, ``sparkline``, ...) booleans; a metric row is
strings (namespace, name, dimension pairs) with one rendering-properties object last, whose ``visible`` is a
boolean, ``yAxis`` left/right and ``period`` as above; a text widget needs ``markdown``; an alarm widget
needs 1-100 ``alarms``; a log widget needs ``query`` and ``region``; a variable has a ``type``
(property/pattern, naming its ``property`` or ``pattern``), an ``inputType`` (input/select/radio) and an ``id``.

Inferred from PutDashboard's answers quoted in public bug reports, not documented: the error message
(``The dashboard body is invalid, there are N validation errors:`` and the messages as an indented JSON list
of ``dataPath``/``message``), the JSON-pointer data paths, the JSON-schema (ajv) wording of the messages
("Should have required property 'region'", "Should NOT have more than 2 items"), the message for a
non-string before a row's last item ("Invalid metric field type, only \"String\" type is allowed"), a metric
widget needing metrics or an alarm annotation, and a select/radio variable needing ``values`` or a
``search`` with ``populateFrom``. The wording for a bad ``period`` is ours.

Not refused (AWS documents them as plain strings, or does not say): a row's or widget's ``stat`` (exit check 7
counts a statistic CloudWatch does not compute as a blank tile, ``lakehouse.checks.metric_statistics``),
properties the syntax does not name (AWS answers a warning and stores the body), a widget overlapping another.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

#: Widgets in a body, and rows (metrics and expressions) in one metric widget.
MAX_WIDGETS = 500
MAX_METRIC_ROWS = 500
#: Alarms in one alarm status widget.
MAX_ALARMS = 100

#: The message key our schema uses where the JSON-schema wording would say nothing useful.
_MESSAGE = "x-message"
_STRING = {"type": "string"}
_BOOLEAN = {"type": "boolean"}
_PERIOD = {
    "anyOf": [{"enum": [1, 5, 10, 30]}, {"type": "integer", "minimum": 60, "multipleOf": 60}],
    _MESSAGE: "Should be 1, 5, 10, 30, 60 or a multiple of 60",
}
_RENDERING = {  # a metric row's last item, when it is an object
    "accountId": _STRING,
    "color": _STRING,
    "expression": _STRING,
    "id": _STRING,
    "label": _STRING,
    "period": _PERIOD,
    "region": _STRING,
    "stat": _STRING,
    "visible": _BOOLEAN,
    "yAxis": {"enum": ["left", "right"]},
}
_METRIC_PROPERTIES = {
    "type": "object",
    "required": ["region"],
    "dependencies": {"end": ["start"]},
    "properties": {
        "metrics": {
            "type": "array",
            "maxItems": MAX_METRIC_ROWS,
            "items": {"type": "array", "minItems": 1, "items": {"properties": _RENDERING}},
        },
        "accountId": _STRING,
        "annotations": {
            "type": "object",
            "properties": {
                "alarms": {"type": "array", "items": _STRING},
                "horizontal": {"type": "array", "items": {"type": "object"}},
                "vertical": {"type": "array", "items": {"type": "object"}},
            },
        },
        "end": _STRING,
        "legend": {"type": "object", "properties": {"position": {"enum": ["bottom", "right", "hidden"]}}},
        "liveData": _BOOLEAN,
        "period": _PERIOD,
        "region": _STRING,
        "setPeriodToTimeRange": _BOOLEAN,
        "singleValueFullPrecision": _BOOLEAN,
        "sparkline": _BOOLEAN,
        "stacked": _BOOLEAN,
        "start": _STRING,
        "stat": _STRING,
        "timezone": _STRING,
        "title": _STRING,
        "trend": _BOOLEAN,
        "view": {"enum": ["timeSeries", "singleValue", "gauge", "bar", "pie", "table"]},
        "yAxis": {"type": "object"},
    },
}
_TEXT_PROPERTIES = {
    "type": "object",
    "required": ["markdown"],
    "properties": {"markdown": _STRING, "background": {"enum": ["transparent", "solid"]}},
}
_ALARM_PROPERTIES = {
    "type": "object",
    "required": ["alarms"],
    "properties": {
        "alarms": {"type": "array", "minItems": 1, "maxItems": MAX_ALARMS, "items": _STRING},
        "sortBy": {"enum": ["default", "stateUpdatedTimestamp", "timestamp"]},
        "states": {"type": "array", "items": {"enum": ["ALARM", "INSUFFICIENT_DATA", "OK"]}},
        "title": _STRING,
    },
}
_LOG_PROPERTIES = {
    "type": "object",
    "required": ["query", "region"],
    "properties": {"query": _STRING, "region": _STRING, "title": _STRING, "stacked": _BOOLEAN},
}
WIDGET_TYPES = ("metric", "text", "log", "alarm", "explorer", "custom", "chart")


def _when(field: str, value: str, then: dict[str, Any]) -> dict[str, Any]:
    return {"if": {"properties": {field: {"const": value}}, "required": [field]}, "then": then}


_WIDGET = {
    "type": "object",
    "required": ["type", "properties"],
    "properties": {
        "type": {"enum": list(WIDGET_TYPES)},
        "x": {"type": "integer", "minimum": 0, "maximum": 23},
        "y": {"type": "integer", "minimum": 0},
        "width": {"type": "integer", "minimum": 1, "maximum": 24},
        "height": {"type": "integer", "minimum": 1, "maximum": 1000},
        "properties": {"type": "object"},
    },
    "allOf": [
        _when("type", "metric", {"properties": {"properties": _METRIC_PROPERTIES}}),
        _when("type", "text", {"properties": {"properties": _TEXT_PROPERTIES}}),
        _when("type", "alarm", {"properties": {"properties": _ALARM_PROPERTIES}}),
        _when("type", "log", {"properties": {"properties": _LOG_PROPERTIES}}),
    ],
}
_VARIABLE = {
    "type": "object",
    "required": ["type", "inputType", "id"],
    "properties": {
        "type": {"enum": ["property", "pattern"]},
        "inputType": {"enum": ["input", "select", "radio"]},
        "id": _STRING,
        "property": _STRING,
        "pattern": _STRING,
        "label": _STRING,
        "defaultValue": _STRING,
        "visible": _BOOLEAN,
        "search": _STRING,
        "populateFrom": _STRING,
        "values": {
            "type": "array",
            "items": {"type": "object", "required": ["value"], "properties": {"value": _STRING, "label": _STRING}},
        },
    },
    "allOf": [
        _when("type", "property", {"required": ["property"]}),
        _when("type", "pattern", {"required": ["pattern"]}),
        {
            "if": {"properties": {"inputType": {"enum": ["select", "radio"]}}, "required": ["inputType"]},
            "then": {
                "anyOf": [{"required": ["values"]}, {"required": ["search", "populateFrom"]}],
                _MESSAGE: "Should have required property 'values' (or 'search' and 'populateFrom')",
            },
        },
    ],
}
#: The body's syntax as a JSON schema (draft 7), the documented part of it (module docstring).
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["widgets"],
    "dependencies": {"end": ["start"]},
    "properties": {
        "widgets": {"type": "array", "maxItems": MAX_WIDGETS, "items": _WIDGET},
        "start": _STRING,
        "end": _STRING,
        "periodOverride": {"enum": ["auto", "inherit"]},
        "variables": {"type": "array", "items": _VARIABLE},
    },
}
_VALIDATOR = Draft7Validator(SCHEMA)

#: PutDashboard's message for a non-string item before a metric row's last (quoted from its answers).
NOT_A_STRING = 'Invalid metric field type, only "String" type is allowed'
#: PutDashboard's message for a metric widget with neither metrics nor an alarm annotation.
NO_DATA_SOURCE = "The metric widget should have specified a region and a data source or an alarm annotation."


@dataclass(frozen=True)
class ValidationMessage:
    """One of PutDashboard's ``DashboardValidationMessages``: where in the body (a JSON pointer) and what."""

    data_path: str
    message: str

    def wire(self) -> dict[str, str]:
        """As the API's ``DashboardValidationMessage`` shape."""
        return {"DataPath": self.data_path, "Message": self.message}


def _pointer(path: Any) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _wording(error: ValidationError) -> str:
    """The message in ajv's words (capitalised), as PutDashboard answers."""
    value = error.validator_value
    match error.validator:
        case "type":
            return f"Should be {','.join(value) if isinstance(value, list) else value}"
        case "minimum":
            return f"Should be >= {value}"
        case "maximum":
            return f"Should be <= {value}"
        case "enum" | "const":
            return "Should be equal to one of the allowed values"
        case "maxItems":
            return f"Should NOT have more than {value} items"
        case "minItems":
            return f"Should NOT have fewer than {value} items"
        case "multipleOf":
            return f"Should be multiple of {value}"
    own = error.schema.get(_MESSAGE) if isinstance(error.schema, dict) else None
    return str(own) if own else error.message[:1].upper() + error.message[1:]


def _schema_messages(body: Any) -> list[ValidationMessage]:
    found: list[ValidationMessage] = []
    for error in _VALIDATOR.iter_errors(body):
        path = _pointer(error.absolute_path)
        if error.validator == "required":
            missing = [name for name in error.validator_value if name not in error.instance]
            found += [ValidationMessage(path, f"Should have required property '{name}'") for name in missing]
        elif error.validator == "dependencies":
            for name, needed in error.validator_value.items():
                if name in error.instance:
                    found += [
                        ValidationMessage(path, f"Should have property {other} when property {name} is present")
                        for other in needed
                        if other not in error.instance
                    ]
        else:
            found.append(ValidationMessage(path, _wording(error)))
    return found


def _metric_widget_messages(index: int, props: dict[str, Any]) -> list[ValidationMessage]:
    """What a metric widget's rows need beyond the schema: strings first, one rendering object last."""
    where = f"/widgets/{index}/properties"
    annotations = props.get("annotations")
    alarms = annotations.get("alarms") if isinstance(annotations, dict) else None
    if "metrics" not in props and not alarms:
        return [ValidationMessage(where, NO_DATA_SOURCE)]
    rows = props.get("metrics")
    found: list[ValidationMessage] = []
    for r, row in enumerate(rows if isinstance(rows, list) else []):
        if not isinstance(row, list):
            continue  # the schema names it
        for i, item in enumerate(row):
            last = i == len(row) - 1
            if not (isinstance(item, str) or (last and isinstance(item, dict))):
                found.append(ValidationMessage(f"{where}/metrics/{r}/{i}", NOT_A_STRING))
        if row and all(isinstance(item, dict) for item in row) and "expression" not in row[0]:
            found.append(ValidationMessage(f"{where}/metrics/{r}/0", "Should have required property 'expression'"))
    return found


def validation_messages(body: Any) -> list[ValidationMessage]:
    """Every reason PutDashboard would refuse this (parsed) body; empty when it would store it."""
    found = _schema_messages(body)
    widgets = body.get("widgets") if isinstance(body, dict) else None
    for index, widget in enumerate(widgets if isinstance(widgets, list) else []):
        if isinstance(widget, dict) and widget.get("type") == "metric" and isinstance(widget.get("properties"), dict):
            found += _metric_widget_messages(index, widget["properties"])
    return list(dict.fromkeys(found))  # one message per place and reason, in the body's order of checks


def refusal(messages: list[ValidationMessage]) -> str:
    """PutDashboard's error message for these validation messages."""
    listed = json.dumps([{"dataPath": m.data_path, "message": m.message} for m in messages], indent=2)
    return f"The dashboard body is invalid, there are {len(messages)} validation errors:\n{listed}"
