"""Committed YAML input files (price table, usage, carbon coefficients) read with line numbers.

Bad input must say which file, line and field is wrong; PyYAML's node marks give the line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class DataFileError(ValueError):
    """A data file cannot be used; the message names the file, the line and the field."""


@dataclass
class DataFile:
    """A parsed YAML mapping plus the line of every key path (``"a.b.c"`` -> line, 1-based)."""

    path: Path
    data: dict[str, Any]
    lines: dict[str, int]

    def where(self, field: str) -> str:
        """``file:line: field`` for messages (the nearest enclosing key that has a line)."""
        probe = field
        while probe and probe not in self.lines:
            probe = probe.rpartition(".")[0]
        line = self.lines.get(probe, 1)
        return f"{self.path}:{line}: {field}"

    def error(self, field: str, problem: str) -> DataFileError:
        return DataFileError(f"{self.where(field)}: {problem}")

    def section(self, field: str) -> dict[str, Any]:
        """A required mapping."""
        value = self.get(field)
        if not isinstance(value, dict):
            raise self.error(field, f"must be a mapping, got {type(value).__name__}")
        return value

    def get(self, field: str) -> Any:
        node: Any = self.data
        for part in field.split("."):
            if not isinstance(node, dict) or part not in node:
                raise self.error(field, "is missing")
            node = node[part]
        return node

    def number(self, field: str, minimum: float = 0.0) -> float:
        """A required number >= ``minimum`` (bools are not numbers here)."""
        value = self.get(field)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(field, f"must be a number, got {value!r}")
        if not math.isfinite(value):  # YAML's .nan/.inf: a NaN total compares False with any cap
            raise self.error(field, f"must be a finite number, got {value!r}")
        if value < minimum:
            raise self.error(field, f"must be >= {minimum:g}, got {value!r}")
        return float(value)

    def positive(self, field: str, why: str) -> float:
        """A required number > 0: one that, at 0, makes what it multiplies free or emission-free (``why`` says how)."""
        value = self.number(field)
        if value <= 0:
            raise self.error(field, f"must be > 0, got {value!r}: {why}")
        return value

    def text(self, field: str) -> str:
        value = self.get(field)
        if not isinstance(value, str) or not value.strip():
            raise self.error(field, f"must be a non-empty string, got {value!r}")
        return value


def _walk(node: yaml.Node, prefix: str, lines: dict[str, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = f"{prefix}.{key.value}" if prefix else str(key.value)
            lines[name] = key.start_mark.line + 1
            _walk(value, name, lines)


def load_data_file(path: Path) -> DataFile:
    """Parse a YAML mapping, keeping the line of each key; syntax errors name file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise DataFileError(f"{path}: cannot be read ({err.strerror or err})") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err)
        raise DataFileError(f"{path}{line}: not valid YAML ({problem})") from None
    if not isinstance(data, dict) or node is None:
        raise DataFileError(f"{path}:1: must be a YAML mapping at the top level")
    lines: dict[str, int] = {}
    _walk(node, "", lines)
    return DataFile(path, data, lines)
