"""A step's ``if:`` in one cell of a matrix only the run knows, read back from what the jobs API shows of that cell.

A matrix built in the run (``matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}``) has no cells before it: a step
under ``if: matrix.os == 'linux'`` that GitHub lists skipped in one cell may be meant to skip there (the cell's
``os`` is another) or be a guard that never runs its tests. Exit check 3 asks the jobs API
(``GET .../actions/runs/{id}/jobs``) what the cell was:

- the job's name (``test (3.11, linux)``) shows the cell's values without their keys, leaves out what an
  ``include`` adds to a combination, flattens nested values and is cut at 100 characters (``lakehouse.matrices``):
  no key's value can be read from it;
- its ``labels`` are ``runs-on``'s: ``runs-on: ${{ matrix.os }}`` with ``os: [ubuntu-latest]`` (a list) and with
  ``os: ubuntu-latest`` both show ``["ubuntu-latest"]``, so they cannot tell a comparison's answer either;
- the name of a step written ``name: Setup ${{ matrix.os }}`` is listed with the cell's value (``Setup linux``, as
  exit check 3 reads a written matrix's step names; a listed name still holding ``${{`` is not read): that key's
  value as text. Text does not keep
  its type (``false`` is the boolean or the string, ``3.1`` the number or the string), so each reading a text
  allows is tried.

The step's ``if:`` is read with each reading (:func:`cell_verdict`): false in every one, it was meant to skip in
this cell (as a cell of a written matrix whose ``if:`` is false); not false in any, with every key it reads shown,
it should have run (as a written matrix's cell: red when skipped); else only the run knows: ``error``, not red.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from typing import Any

from lakehouse.conditions import UNKNOWN, RunFacts, step_condition
from lakehouse.matrices import value_text

#: ``matrix.<key>`` (or ``matrix[...]``, whose key this reader does not take apart) in an ``if:``.
_MATRIX_READ = re.compile(r"(?<![A-Za-z0-9_.-])matrix\s*(?:\.\s*([A-Za-z0-9_-]+)|(\[))", re.IGNORECASE)
_MATRIX_IN_NAME = re.compile(r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}", re.IGNORECASE)
#: Readings tried for one cell (the product of each key's): more only the run knows.
_MAX_READINGS = 64


@dataclass(frozen=True)
class CellStep:
    """A step of a job whose matrix only the run knows, under an ``if:`` that reads ``matrix``: ``label`` the name
    the jobs API lists it by, ``job`` its workflow job (whose other steps' names show the cell's values), ``facts``
    the green run it is judged for (``lakehouse.conditions``)."""

    label: str
    step: dict[str, Any]
    job: dict[str, Any]
    facts: RunFacts


@dataclass(frozen=True)
class CellVerdict:
    """``value``: False meant to skip in this cell, True should have run, None only the run knows; ``why``."""

    value: bool | None
    why: str


def reads_matrix(step: dict[str, Any]) -> bool:
    """Whether a step's ``if:`` reads the ``matrix`` context."""
    return _MATRIX_READ.search(str(step.get("if") or "")) is not None


def shown_values(job: dict[str, Any], listed: dict[str, Any]) -> dict[str, str]:
    """Each ``matrix.<key>`` (lowercased) the listed job's step names show, as text: a step of ``job`` named with
    one ``${{ matrix.<key> }}`` and fixed text around it, that exactly one listed step's name matches. A key two
    steps show differently, or one step's name no listed name (or several) matches, is left out: what GitHub
    showed of it cannot be read back."""
    names = [str(s.get("name") or "") for s in listed.get("steps") or [] if isinstance(s, dict)]
    shown: dict[str, set[str | None]] = {}  # None: a name that shows no one text
    for step in job.get("steps") or []:
        template = str(step.get("name") or "") if isinstance(step, dict) else ""
        keys = _MATRIX_IN_NAME.findall(template)
        if len(keys) != 1 or template.count("${{") != 1:
            continue
        before, after = _MATRIX_IN_NAME.split(template, maxsplit=1)[::2]
        pattern = re.compile(re.escape(before) + "(.*)" + re.escape(after), re.DOTALL)
        found = [m.group(1) for m in map(pattern.fullmatch, names) if m is not None]
        readable = len(found) == 1 and "${{" not in found[0]
        shown.setdefault(keys[0].lower(), set()).add(found[0] if readable else None)
    return {key: text for key, texts in shown.items() if len(texts) == 1 for text in texts if text is not None}


def readings(text: str) -> list[Any]:
    """The values a matrix value shown as ``text`` may have been: the string itself; ``true``/``false`` the
    boolean too; a number written as GitHub writes it the number too; empty ``null`` too; ``Array``/``Object``
    (an expression's text for a list or a mapping) any value."""
    found: list[Any] = [text]
    if text in ("true", "false"):
        found.append(text == "true")
    if text == "":
        found.append(None)
    if text in ("Array", "Object"):
        found.append(UNKNOWN)
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None and value_text(number) == text:
        found.append(int(number) if number.is_integer() else number)
    return found


def cell_verdict(cell_step: CellStep, listed: dict[str, Any]) -> CellVerdict:
    """Whether the step's ``if:`` was false in the cell the listed job ran (module doc)."""
    condition = f"`if: {cell_step.step.get('if')}`"
    reads = _MATRIX_READ.findall(str(cell_step.step.get("if") or ""))
    if any(index for _, index in reads):
        return CellVerdict(None, f"{condition} indexes a matrix only the run knows (matrix[...])")
    keys = sorted({key.lower() for key, _ in reads})
    shown = shown_values(cell_step.job, listed)
    unread = [key for key in keys if key not in shown]
    options = [[(key, value) for value in readings(shown[key])] for key in keys if key in shown]
    combos = list(itertools.islice(itertools.product(*options), _MAX_READINGS + 1))
    if len(combos) > _MAX_READINGS:
        return CellVerdict(None, f"{condition}: too many readings of the values its step names show")
    values = []
    for combo in combos:
        matrix = {**{key: UNKNOWN for key in unread}, **dict(combo)}
        values.append(step_condition(cell_step.step, replace(cell_step.facts, matrix=tuple(matrix.items()))).value)
    seen = ", ".join(f"matrix.{key} shown as {shown[key]!r}" for key in keys if key in shown)
    seen = f"its step names show {seen}" if seen else "none of its step names shows a value it reads"
    hidden = f"; what {', '.join(f'matrix.{k}' for k in unread)} was, only the run knows" if unread else ""
    if all(value is False for value in values):
        return CellVerdict(False, f"{condition} is false in this cell ({seen})")
    if all(value is True for value in values) or (not unread and False not in values):
        return CellVerdict(True, f"{condition} is not false in this cell ({seen})")
    return CellVerdict(
        None,
        f"{condition} reads a matrix only the run knows ({seen}{hidden}; the job's name shows values without keys)",
    )
