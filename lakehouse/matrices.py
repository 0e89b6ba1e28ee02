"""A job's ``strategy.matrix`` as GitHub expands it: its cells, and the names the jobs API gives them.

Exit check 3 expects one job per cell in a green run (``test (3.11)``), and a job whose matrix has no cell runs
nowhere: its tests never ran. GitHub's workflow parser (actions/runner, ``WorkflowParser/Conversion/MatrixBuilder.cs``;
docs.github.com "Running variations of jobs in a workflow") builds the cells so:

- the cross product of the vectors (every key but ``include`` and ``exclude``), in the order they are written;
- ``exclude`` removes each combination an entry matches: every value it names equals the combination's (a partial
  match is enough; ``==`` as GitHub's expressions compare: strings ignoring case, a number and its text equal);
- then each ``include`` entry: its keys that are vectors are a filter, the others extra values; the extras are added
  to every remaining combination the filter matches (a later entry's replacing an earlier one's), and an entry that
  matches none becomes a cell of its own. So ``include`` can add back what ``exclude`` removed.

A cell's name is the job's name and, in parentheses, its values' text (``true``, ``3.1``, nested values depth first,
empty ones left out), but for the extras an ``include`` added to a combination, which the name does not show; cut to
100 characters.

A matrix (or a value of it) written ``${{ fromJSON('<JSON text>') }}`` is that JSON, known before the run: it is read
as if written out (:func:`literal_matrix`; GitHub evaluates the expression when it reads the job's ``strategy``). Any
other expression (``${{ fromJSON(needs.plan.outputs.matrix) }}``, a job output a step writes) is the run's:
:func:`matrix_cells` returns None, and what depends on the cells is not shown either way.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_MAX_NAME = 100
#: ``${{ fromJSON('...') }}`` of a string literal (GitHub's function names ignore case; ``''`` is a quote).
_LITERAL_JSON = re.compile(r"^\s*\$\{\{\s*fromjson\s*\(\s*'((?:[^']|'')*)'\s*\)\s*\}\}\s*$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Cell:
    """One job of a matrix: ``values`` its ``matrix`` context, ``shown`` the values its name shows."""

    values: dict[str, Any]
    shown: tuple[Any, ...]

    def name(self, job: str) -> str:
        """The name GitHub gives this cell's job (``JobNameBuilder``: ``job (a, b)``, at most 100 characters)."""
        segments = [text for value in self.shown for text in _texts(value) if text]
        name = f"{job} ({', '.join(segments)})" if segments else job
        return name if len(name) <= _MAX_NAME else name[: _MAX_NAME - 3] + "..."


def matrix_cells(matrix: Any) -> list[Cell] | None:
    """The cells of a ``strategy.matrix`` as GitHub builds them (module doc); None when only the run knows (an
    expression, or a shape GitHub refuses: a vector that is not a list, an include or exclude entry not a mapping)."""
    matrix = literal_matrix(matrix)
    if not isinstance(matrix, dict) or "${{" in repr(matrix):
        return None
    vectors = {str(k): v for k, v in matrix.items() if k not in ("include", "exclude")}
    include, exclude = matrix.get("include") or [], matrix.get("exclude") or []
    if not all(isinstance(v, list) and v for v in vectors.values()) or not isinstance(include, list):
        return None
    if not isinstance(exclude, list) or not all(isinstance(e, dict) for e in [*include, *exclude]):
        return None
    if not vectors and not include:  # "Matrix must define at least one vector": no run
        return None
    combinations: list[dict[str, Any]] = [{}] if vectors else []
    for key, values in vectors.items():
        combinations = [{**combination, key: value} for combination in combinations for value in values]
    kept = [c for c in combinations if not any(_matches(c, entry) for entry in exclude)]
    cells = [Cell(dict(c), tuple(c.values())) for c in kept]
    extra_cells: list[Cell] = []
    for entry in include:
        filters = {k: v for k, v in entry.items() if k in vectors}
        extras = {k: v for k, v in entry.items() if k not in vectors}
        matched = [cell for cell in cells if _matches(dict(zip(vectors, cell.shown, strict=True)), filters)]
        for cell in matched:
            cell.values.update(extras)
        if not matched:
            extra_cells.append(Cell(dict(entry), tuple(entry.values())))
    return cells + extra_cells


def literal_matrix(value: Any) -> Any:
    """``value`` with each ``${{ fromJSON('<JSON text>') }}`` in it (the whole matrix, a vector, an entry) replaced
    by the JSON it reads; one whose text is not JSON is kept (an expression: the run fails it, no cell is known)."""
    if isinstance(value, str):
        found = _LITERAL_JSON.match(value)
        if found is None:
            return value
        try:
            return json.loads(found.group(1).replace("''", "'"))
        except ValueError:
            return value
    if isinstance(value, dict):
        return {key: literal_matrix(item) for key, item in value.items()}
    if isinstance(value, list):
        return [literal_matrix(item) for item in value]
    return value


def _matches(combination: dict[str, Any], entry: dict[str, Any]) -> bool:
    """Every value ``entry`` names equals the combination's (an empty entry matches every combination)."""
    return all(key in combination and _leaf_equal(combination[key], value) for key, value in entry.items())


def _leaf_equal(value: Any, wanted: Any) -> bool:
    """``matrix[path] == literal`` for each leaf of ``wanted`` (a mapping or list is compared leaf by leaf)."""
    if isinstance(wanted, dict):
        return isinstance(value, dict) and all(k in value and _leaf_equal(value[k], v) for k, v in wanted.items())
    if isinstance(wanted, list):
        return isinstance(value, list) and len(value) >= len(wanted) and all(map(_leaf_equal, value, wanted))
    return github_equal(value, wanted)


def github_equal(left: Any, right: Any) -> bool:
    """GitHub's ``==`` on two literals: strings ignoring case, same types as they are, else both as numbers
    (``true`` 1, ``null`` 0, a string its number, ``''`` 0, text that is none NaN, equal to nothing)."""
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()
    if type(left) is type(right) or (_number(left) and _number(right)):
        return bool(left == right)
    if isinstance(left, dict | list) or isinstance(right, dict | list):
        return False
    a, b = _as_number(left), _as_number(right)
    return a == b  # NaN != NaN


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if _number(value):
        return float(value)
    text = str(value).strip()
    try:
        return float(text) if text else 0.0
    except ValueError:
        return float("nan")


def value_text(value: Any) -> str:
    """A scalar as GitHub writes it into text (``name: Test ${{ matrix.py }}``): as in a job's name, null empty."""
    return "".join(_texts(value))


def _texts(value: Any) -> list[str]:
    """A value's texts in a job's name, depth first (``ExpressionData.Traverse``): null none, a boolean
    ``true``/``false``, a number as .NET's ``G15`` writes it, a string itself."""
    if isinstance(value, dict):
        return [text for item in value.values() for text in _texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    if value is None:
        return []
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, int) and abs(value) < 10**15:
        return [str(value)]
    if _number(value):
        return [format(float(value), ".15g").upper().replace("INF", "Infinity")]
    return [str(value)]
