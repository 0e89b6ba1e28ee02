"""NaN as Trino (Athena) treats it, where DuckDB treats it otherwise: comparisons, ``IN``, ``max``, ``greatest``,
``NULLS FIRST``.

Trino compares ``double`` and ``real`` as IEEE 754 does (``DoubleOperators``: Java's ``==``, ``<``, ...): NaN is
neither equal to, less nor greater than anything, itself included, and ``a <> b`` is ``NOT (a = b)``. DuckDB
orders NaN above every number and equal to itself: ``x > 1`` and ``x = x`` hold for a NaN there, so a query (or a
Lake Formation row filter ``x > 1``, which the emulator runs in DuckDB) keeps NaN rows Athena drops. Its ``max``
returns NaN when one value is NaN; Trino's ``max`` compares with ``COMPARISON_UNORDERED_FIRST`` (NaN smallest:
NaN only when every value is, ``MaxAggregationFunction``; its ``min`` already answers as DuckDB's). Its ordering
uses ``COMPARISON_UNORDERED_FIRST`` under ``NULLS FIRST`` (``TypeOperators.getOrderingOperator``): NaN right after
the NULLs ascending, last descending, where DuckDB puts it last ascending and first descending.

Trino's ``x IN (a, b)`` calls the ``EQUAL`` operator on each item (``InCodeGenerator``: its switch and its
``FastutilSetHelper`` hash set both match through ``EQUAL``), so a NaN ``x`` matches nothing, not even ``nan()``:
``nan() IN (nan())`` is false, NULL when an item is NULL; DuckDB's is true. Its ``greatest`` keeps the argument
that compares greater under ``COMPARISON_UNORDERED_FIRST`` (``AbstractGreatestLeast`` with ``MinMaxCompare``, read
at trinodb/trino@06ca3b7; the rule since Trino 346, PR #5851): NaN only when every argument is NaN, where DuckDB's
``greatest`` is NaN when any is. Its ``least`` (``COMPARISON_UNORDERED_LAST``: NaN largest) answers as DuckDB's.

Each such construct is rewritten only where sqlglot types an operand ``double``/``real`` (``typed.annotate``) and
that operand is not a number literal (which is never NaN): comparisons of integers or strings are untouched. The
rewrites are exact under SQL's three-valued logic: DuckDB's ``true`` for ``a op b`` is Trino's only when neither
side is NaN; its ``false`` and ``NULL`` are Trino's as they are. Arrays' ``contains``, ``array_position`` and
``=``/``<>`` are rewritten by ``arrays``. An uncorrelated ``x IN (subquery)`` is left as it is: Trino runs it as a semi
join whose set matches by IS NOT DISTINCT FROM (``ChannelSet``: ``nan() IN (SELECT nan())`` is true), as DuckDB's
does. A correlated one Trino decorrelates into a left join on ``x IS NULL OR x = y OR y IS NULL``
(``TransformCorrelatedInPredicateToJoin``: true when a joined row has both sides non-NULL, NULL when one joined with a
NULL side, else false), where ``x = y`` is ``EQUAL``: a NaN ``x`` matches no ``y``, a NaN one included; its NaN
``y`` rows are dropped for a NaN ``x`` (``_correlated_in``). Not covered: NaN inside rows or maps, comparisons
sqlglot does not type (a MERGE's ``WHEN`` conditions), a correlated ``IN`` over a set
operation, ``ORDER BY`` of a set operation (DuckDB orders those by output columns only) or by position.
"""

from __future__ import annotations

from typing import cast

from sqlglot import exp

from lakehouse.emulator.sql import arrays

#: Trino's functions of doubles that DuckDB lacks or names otherwise, made once in each of the engine's databases.
TRINO_FUNCTIONS = (
    "CREATE MACRO nan() AS CAST('NaN' AS DOUBLE)",
    "CREATE MACRO infinity() AS CAST('Infinity' AS DOUBLE)",
    "CREATE MACRO is_finite(x) AS isfinite(x)",
    "CREATE MACRO is_infinite(x) AS isinf(x)",
)
_FLOATS = frozenset({exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT})
_BINARY = (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)
_MARKED = (*_BINARY, exp.Between, exp.In, exp.Max, exp.Greatest, exp.Ordered, exp.ArrayContains, exp.ArrayPosition)
_ID = "nan_id"
_NAN_IN_VALUE = exp.to_identifier("__nan_in_value")
_SET_OPERATIONS = (exp.Union, exp.Except, exp.Intersect)


def mark(tree: exp.Expression) -> dict[int, exp.Expression]:
    """Number each comparison, ``IN``, ``max``, ``greatest`` and ``ORDER BY`` key of ``tree`` (kept by the typed
    copies made after): the numbers and nodes, empty when ``tree`` has none (then nothing here needs its types)."""
    marked: dict[int, exp.Expression] = {}
    for node in tree.find_all(*_MARKED):
        if isinstance(node, exp.Ordered) and not node.args.get("nulls_first"):
            continue  # NULLS LAST: DuckDB orders NaN as Trino does
        if isinstance(node, exp.EQ) and isinstance(node.parent, exp.Update):
            continue  # an UPDATE's or MERGE's SET assignment
        node.meta[_ID] = len(marked)
        marked[len(marked)] = cast(exp.Expression, node)
    return marked


def typed_functions(probe: exp.Expression) -> None:
    """``nan()`` and ``infinity()`` in ``probe`` (a copy to be typed) as the doubles they are: sqlglot does not
    know Trino's functions (DuckDB runs them as ``TRINO_FUNCTIONS``) and would leave their type unknown."""
    for call in list(probe.find_all(exp.Anonymous)):
        name = str(call.name).lower()
        if name in ("nan", "infinity") and not call.expressions:
            call.replace(exp.cast(exp.Literal.string("NaN" if name == "nan" else "Infinity"), "DOUBLE"))


def _may_be_nan(typed: exp.Expression | None) -> bool:
    """Whether ``typed`` (a node of the typed copy) is a ``double``/``real`` value that is not a number literal."""
    if typed is None or isinstance(typed, exp.Literal | exp.Null):
        return False
    if isinstance(typed, exp.Neg) and isinstance(typed.this, exp.Literal):
        return False
    kind = typed.type
    return kind is not None and kind.this in _FLOATS


def _any_nan(sides: list[exp.Expression]) -> exp.Expression:
    return cast(exp.Expression, exp.or_(*(exp.IsNan(this=side.copy()) for side in sides)))


def ieee(comparison: exp.Expression, nan_sides: list[exp.Expression]) -> exp.Expression:
    """``comparison`` (``a op b``) as Trino answers it when the operands ``nan_sides`` may be NaN."""
    any_nan = _any_nan(nan_sides)
    if isinstance(comparison, exp.NEQ):  # NOT (a = b): true where DuckDB's NaN = NaN holds
        equal = exp.EQ(this=comparison.this.copy(), expression=comparison.expression.copy())
        case = exp.Case(ifs=[exp.If(this=equal, true=any_nan)], default=comparison.copy())
    else:
        case = exp.Case(ifs=[exp.If(this=comparison.copy(), true=exp.not_(any_nan))], default=comparison.copy())
    return exp.Paren(this=case)


def _between(node: exp.Between, typed: exp.Between) -> exp.Expression | None:
    """``x BETWEEN lo AND hi`` as Trino's ``x >= lo AND x <= hi``, each side compared as ``ieee`` does."""
    value, low, high = node.this, node.args["low"], node.args["high"]
    nan = {
        id(n): _may_be_nan(t) for n, t in ((value, typed.this), (low, typed.args["low"]), (high, typed.args["high"]))
    }
    if not any(nan.values()):
        return None
    above = ieee(exp.GTE(this=value.copy(), expression=low.copy()), [s for s in (value, low) if nan[id(s)]])
    below = ieee(exp.LTE(this=value.copy(), expression=high.copy()), [s for s in (value, high) if nan[id(s)]])
    return exp.Paren(this=exp.and_(above, below))


def _in(node: exp.In) -> exp.Expression:
    """``x IN (items)`` for a ``x`` that may be NaN: a NaN equals no item, so the answer is NULL when an item is
    NULL, else false (Trino's ``OR`` of ``x = item``); any other ``x`` is answered by DuckDB's ``IN``."""
    value = node.this
    maybe_null = [i for i in node.expressions if not _is_number_literal(i)]
    nan_answer: exp.Expression = exp.false()
    if maybe_null:
        any_null = exp.or_(*(exp.Is(this=i.copy(), expression=exp.null()) for i in maybe_null))
        nan_answer = exp.Case(ifs=[exp.If(this=any_null, true=exp.null())], default=exp.false())
    case = exp.Case(ifs=[exp.If(this=exp.IsNan(this=value.copy()), true=nan_answer)], default=node.copy())
    return exp.Paren(this=case)


def _nan_subquery(twin: exp.In) -> bool:
    """Whether ``twin``'s subquery (typed) is correlated and its one value may be NaN."""
    query = twin.args["query"]
    select = query.this if isinstance(query, exp.Subquery) else query
    if not isinstance(select, exp.Select) or len(select.selects) != 1:
        return False
    return _may_be_nan(cast(exp.Expression, select.selects[0])) and _correlated(select)


def _correlated(query: exp.Expression) -> bool:
    """Whether ``query`` (a qualified subquery of the typed copy) reads a column of a relation it does not name
    itself: Trino plans it as a correlated subquery. An unqualified column (sqlglot could not place it) is not
    taken as correlated: such an ``IN`` stays DuckDB's."""
    inner = {t.alias_or_name for t in query.find_all(exp.Table)}  # tables, aliased or not
    inner |= {a.name for a in query.find_all(exp.TableAlias)}  # derived tables, VALUES, CTEs, UNNEST
    return any(c.table and c.table not in inner for c in query.find_all(exp.Column))


def _correlated_in(node: exp.In) -> exp.Expression:
    """A correlated ``x IN (subquery)`` for a ``x`` that may be NaN: for a NaN ``x``, the same ``IN`` over the
    subquery's values without their NaN (false, or NULL when a value is NULL: Trino's join answers); any other
    ``x`` is answered by DuckDB's ``IN``, which then agrees with Trino's join."""
    query = node.args["query"]
    select = query.this if isinstance(query, exp.Subquery) else query
    values = exp.Subquery(
        this=select.copy(), alias=exp.TableAlias(this=exp.to_identifier("__nan_in"), columns=[_NAN_IN_VALUE.copy()])
    )
    nan_value = exp.IsNan(this=exp.column(_NAN_IN_VALUE.copy()))
    keep = exp.not_(exp.Coalesce(this=nan_value, expressions=[exp.false()]))
    nanless = exp.select(exp.column(_NAN_IN_VALUE.copy())).from_(values).where(keep)
    for_nan = exp.In(this=node.this.copy(), query=exp.Subquery(this=nanless))
    case = exp.Case(ifs=[exp.If(this=exp.IsNan(this=node.this.copy()), true=for_nan)], default=node.copy())
    return exp.Paren(this=case)


def _is_number_literal(node: exp.Expression) -> bool:
    return isinstance(node, exp.Literal) or (isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal))


def _greatest(node: exp.Greatest, typed: exp.Greatest) -> exp.Expression | None:
    """``greatest(a, b, ...)`` with NaN the smallest value: each argument that may be NaN is read as -Infinity
    (which then never wins over a number, and ties with a real -Infinity at the same value), and the answer is NaN
    when every argument is NaN; NULL stays NULL (sqlglot writes Trino's NULL rule around DuckDB's ``GREATEST``)."""
    args = [node.this, *node.expressions]
    nan = [_may_be_nan(t) for t in (typed.this, *typed.expressions)]
    if not any(nan):
        return None
    kind = typed.type if typed.type is not None and typed.type.this in _FLOATS else exp.DataType.build("DOUBLE")
    lowest = exp.cast(exp.Literal.string("-Infinity"), kind.copy())
    mapped = [
        exp.Case(ifs=[exp.If(this=exp.IsNan(this=a.copy()), true=lowest.copy())], default=a.copy()) if n else a.copy()
        for a, n in zip(args, nan, strict=True)
    ]
    greatest = exp.Greatest(this=mapped[0], expressions=mapped[1:], ignore_nulls=node.args.get("ignore_nulls"))
    if not all(nan):  # a number literal is never NaN: never all NaN
        return greatest
    every_nan = exp.and_(*(exp.IsNan(this=a.copy()) for a in args))
    return exp.Case(
        ifs=[exp.If(this=every_nan, true=exp.cast(exp.Literal.string("NaN"), kind.copy()))], default=greatest
    )


def _max(node: exp.Max) -> exp.Expression:
    """``max(x)`` (in its window or FILTER) skipping NaN, NaN only when every value is: ``coalesce(max(x without
    NaN), max(x))``; returns the node to replace."""
    outer: exp.Expression = node
    while isinstance(outer.parent, exp.Window | exp.Filter) and outer.parent.this is outer:
        outer = outer.parent
    nanless = outer.copy()
    inner = nanless if isinstance(nanless, exp.Max) else next(nanless.find_all(exp.Max))
    value = inner.this
    inner.set("this", exp.Case(ifs=[exp.If(this=exp.IsNan(this=value.copy()), true=exp.null())], default=value.copy()))
    outer.replace(exp.Coalesce(this=nanless, expressions=[outer.copy()]))
    return outer


def _ordered(node: exp.Ordered) -> None:
    """``ORDER BY x [DESC] NULLS FIRST``: NaN right after the NULLs ascending, last descending (a key before)."""
    order = node.parent
    if not isinstance(order, exp.Order) or isinstance(order.parent, _SET_OPERATIONS):
        return
    key = exp.Ordered(this=exp.IsNan(this=node.this.copy()), desc=not node.args.get("desc"), nulls_first=True)
    keys = list(order.expressions)
    keys.insert(keys.index(node), key)
    order.set("expressions", keys)


def follow_trino(marked: dict[int, exp.Expression], typed: exp.Expression) -> None:
    """Rewrite the ``mark``-ed nodes of a statement whose typed copy is ``typed`` to answer as Trino does."""
    found = [(node.meta[_ID], node) for node in typed.find_all(*_MARKED) if _ID in node.meta]
    for number, twin in reversed(found):  # inner nodes first: an outer rewrite copies its operands
        node = marked.get(number)
        if node is None:
            continue
        if isinstance(node, exp.Between) and isinstance(twin, exp.Between):
            rewritten = _between(node, twin)
            if rewritten is not None:
                node.replace(rewritten)
        elif isinstance(node, exp.EQ | exp.NEQ) and isinstance(twin, exp.EQ | exp.NEQ) and arrays.element(twin.this):
            if (rewritten := arrays.equal(node, twin)) is not None:
                node.replace(rewritten)
        elif isinstance(node, exp.ArrayContains) and isinstance(twin, exp.ArrayContains):
            if (rewritten := arrays.contains(node, twin)) is not None:
                node.replace(rewritten)
        elif isinstance(node, exp.ArrayPosition) and isinstance(twin, exp.ArrayPosition):
            if (rewritten := arrays.position(node, twin)) is not None:
                node.replace(rewritten)
        elif isinstance(node, _BINARY) and isinstance(twin, _BINARY):
            sides = [n for n, t in ((node.this, twin.this), (node.expression, twin.expression)) if _may_be_nan(t)]
            if sides:
                node.replace(ieee(node, sides))
        elif isinstance(node, exp.In) and isinstance(twin, exp.In):
            plain_list = node.expressions and not node.args.get("query") and not node.args.get("unnest")
            if plain_list and _may_be_nan(twin.this):
                node.replace(_in(node))
            elif node.args.get("query") is not None and _may_be_nan(twin.this) and _nan_subquery(twin):
                node.replace(_correlated_in(node))
        elif isinstance(node, exp.Greatest) and isinstance(twin, exp.Greatest):
            if (rewritten := _greatest(node, twin)) is not None:
                node.replace(rewritten)
        elif isinstance(node, exp.Max) and isinstance(twin, exp.Max):
            if not twin.expressions and _may_be_nan(twin.this) and not isinstance(node.this, exp.Distinct):
                _max(node)
        elif isinstance(node, exp.Ordered) and isinstance(twin, exp.Ordered) and _may_be_nan(twin.this):
            _ordered(node)
