"""Contract parts that cannot fail: a data contract of them passes whatever the table holds.

A contract is a claim about a table; one that no table can break is no claim, and "data-contract pass
100 % of tables" over it says nothing. Great Expectations accepts each of these without a word:

- ``mostly: 0`` (or less): the expectation holds when every row breaks it;
- a ``*_to_be_between`` with neither ``min_value`` nor ``max_value``: every value is between;
- a regex that every string contains: Great Expectations' pandas engine asks
  ``column.astype(str).str.contains(regex)`` (a search, not a full match), so ``.*``, ``\\d*``, ``^`` or
  ``$`` match every value. Told by trying ``PROBES``, strings no value rule should accept all of;
- ``column_values_to_not_be_in_set`` of an empty set, ``not_match_regex_list`` of none;
- a ``matches:`` query that reads the contract's own table: the table is compared with itself
  (``matches_reads_itself``, parsed with sqlglot as Athena's Trino dialect).

Each ``why_*`` function says why, or None; ``lakehouse.contracts`` refuses the contract naming file and line.
"""

from __future__ import annotations

import re
from typing import Any

import sqlglot
from sqlglot import exp

#: Strings that share nothing (empty, blank, control, digits, letters, symbols, non-ASCII, long): a regex
#: found in every one of them is found in every value.
PROBES = ("", " ", "\n", "\x00", "0", "-1", "a", "Z", "~", "@", "\u2603", "x" * 300)


def regex_matches_everything(regex: str) -> bool:
    """True when ``regex`` is found (``re.search``, as GX's pandas engine searches) in every probe."""
    try:
        compiled = re.compile(regex)
    except re.error:
        return False  # GX reports a bad pattern itself
    return all(compiled.search(probe) is not None for probe in PROBES)


def why_vacuous(name: str, kwargs: dict[str, Any], built: Any) -> str | None:
    """Why expectation ``name`` (its contract ``kwargs``; ``built``, the GX object) holds for any table."""
    mostly = kwargs.get("mostly")
    if isinstance(mostly, int | float) and not isinstance(mostly, bool) and mostly <= 0:
        return f"`mostly: {mostly}` lets every row break it"
    missing = object()  # an expectation without bounds at all is no `*_to_be_between`
    if getattr(built, "min_value", missing) is None and getattr(built, "max_value", missing) is None:
        return "neither `min_value` nor `max_value`: every value is between"
    if name == "column_values_to_match_regex" and regex_matches_everything(str(kwargs.get("regex", ""))):
        return f"regex {kwargs.get('regex')!r} is found in every string (GX searches, it does not full-match)"
    if name == "column_values_to_match_regex_list":
        regexes = [str(r) for r in kwargs.get("regex_list") or []]
        everything = [r for r in regexes if regex_matches_everything(r)]
        any_of = kwargs.get("match_on", "any") == "any"
        if everything and (any_of or len(everything) == len(regexes)):
            return f"regex {everything[0]!r} is found in every string (GX searches, it does not full-match)"
    if name in ("column_values_to_not_be_in_set", "column_values_to_not_match_regex_list"):
        listed = kwargs.get("value_set") if name.endswith("in_set") else kwargs.get("regex_list")
        if not listed:
            return "an empty list excludes nothing"
    return None


def why_row_count_vacuous(relation: str, other: Any) -> str | None:
    """``at_least`` a number <= 0 holds for an empty table."""
    if relation == "at_least" and isinstance(other, int | float) and not isinstance(other, bool) and other <= 0:
        return f"`at_least: {other}` holds for an empty table"
    return None


def matches_reads_itself(table: str, query: str, databases: dict[str, str]) -> bool:
    """Whether the rendered ``matches`` query reads ``table`` (``layer.table``) itself, anywhere in it.

    ``databases`` maps each rendered database name (lower case) to its layer. A name a CTE defines is
    not a table. An unparsable query is left to Athena (it fails when compared).
    """
    try:
        parsed = sqlglot.parse(query, read="trino")
    except sqlglot.errors.ParseError:
        return False
    for tree in parsed:
        if tree is None:
            continue
        ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
        for node in tree.find_all(exp.Table):
            name, db = node.name.lower(), node.db.lower()
            if not db and name in ctes:
                continue
            if f"{databases.get(db, db)}.{name}" == table.lower():
                return True
    return False
