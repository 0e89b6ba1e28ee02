"""The hidden column's *values*, wherever they surface: a copy under another name hides nothing.

Exit check 6 finds the tables holding ``ssn`` by their column names. A table made out of band with
``CREATE TABLE gold.users_export AS SELECT user_id, ssn AS tax_id FROM gold.users`` (or a view, or a
column that concatenates it) has no such name, so the analyst reads every value while the column
mask looks perfect. The values themselves are the property: the privileged principal reads the
hidden column's distinct values, the analyst's ``SELECT *`` of every table is searched for them
(as tokens inside longer strings and nested values too, with and without separators), and only
counts reach the evidence: a matched cell is masked in the rows the evidence keeps.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

#: What a masked cell shows in the evidence instead of the value.
MASK = "<hidden value>"
#: Word-like tokens of a cell's text: ``983-16-2186`` stays one token, ``a 983-16-2186 b`` gives three.
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-./][A-Za-z0-9]+)*")
#: Values shorter than this are not searched for (nor matched on fewer digits, ``983162186`` for
#: ``983-16-2186``): short strings and numbers would match ids, counts and codes by chance.
MIN_LENGTH = 6


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


class HiddenValues:
    """The privileged principal's values of the hidden columns, matched exactly or by their digits."""

    def __init__(self, values: Iterable[Any]) -> None:
        self.exact = {text for v in values if v is not None and len(text := str(v).strip().lower()) >= MIN_LENGTH}
        self.digits = {d for v in self.exact if len(d := _digits(v)) >= MIN_LENGTH}

    def __len__(self) -> int:
        return len(self.exact)

    def found_in(self, cell: Any) -> bool:
        """Whether the cell (any type; nested values by their text) carries one of the values."""
        if cell is None or not self.exact:
            return False
        text = str(cell).strip().lower()
        if text in self.exact:
            return True
        return any(t in self.exact or _digits(t) in self.digits for t in _TOKEN.findall(text))


class LeakTally:
    """Rows carrying a hidden value, per column position, counted as a result's rows stream past: a
    whole table is searched without holding it."""

    def __init__(self, values: HiddenValues) -> None:
        self.values = values
        self.by_position: dict[int, int] = {}

    def visit(self, row: Sequence[Any]) -> None:
        for position, cell in enumerate(row):
            if self.values.found_in(cell):
                self.by_position[position] = self.by_position.get(position, 0) + 1

    def by_column(self, columns: Sequence[str]) -> dict[str, int]:
        """Column -> rows carrying a hidden value in it (columns without any left out)."""
        return {columns[p]: n for p, n in sorted(self.by_position.items()) if p < len(columns)}


def leaked_columns(columns: Sequence[str], rows: Iterable[Sequence[Any]], values: HiddenValues) -> dict[str, int]:
    """Column -> how many of the rows carry a hidden value in it (columns without any left out)."""
    tally = LeakTally(values)
    for row in rows:
        tally.visit(row)
    return tally.by_column(columns)


def masked(rows: Iterable[Sequence[Any]], values: HiddenValues) -> list[list[Any]]:
    """The rows with every cell carrying a hidden value replaced: the evidence must not repeat the leak."""
    return [[MASK if values.found_in(cell) else cell for cell in row] for row in rows]
