"""Which row filter expressions Lake Formation accepts, so the emulator refuses a filter AWS would never store.

Lake Formation developer guide, "PartiQL support in row filter expressions" (partiql-support.html):

- "Lake Formation does not allow any user defined or standard partiQL functions in the filter expression."
- "You can use comparison operators to compare columns with constants ..., but you can't compare columns with
  other columns."
- A simple expression is ``<column name> <comparison operator> <value>``; the column is "a top level data column,
  a partition column, or a nested column present in the table schema and must belong to the Supported data types";
  the operators are ``=, >, <, >=, <=, <>, !=, BETWEEN, IN, LIKE, NOT, IS [NOT] NULL``, and "You can't use IS [NOT]
  NULL operator on partition columns".
- "Supported data types": ``STRING, CHAR, VARCHAR``; ``INT, LONG, BIGINT, FLOAT, DECIMAL, DOUBLE``; ``BOOLEAN``;
  ``STRUCT``. DATE, TIMESTAMP, BINARY, ARRAY and MAP are not among them ("Data filtering limitations",
  row-filtering-intro.html: "The array, and map data types aren't supported in row filter expressions. The struct
  data type is supported.").
- A composite expression is simple expressions joined by ``AND``/``OR``; "Total length of the expression must be
  less than 2048 characters" (the API's RowFilter.FilterExpression: at most 2048).
- "Notes and restrictions for column-level filtering": for all rows, "enter true for the row filter expression in
  the console" (a bare ``TRUE``; AWS also reads ``AllRowsWildcard`` back as ``TRUE``).

What CreateDataCellsFilter answers for a column of another type is reported in aws/aws-cli#10397 (2026, labelled
service-api): a filter naming a Glue ``timestamp`` column of an Iceberg table fails with ``InvalidInputException:
TIMESTAMP data type not supported for row level filter predicate.``, whatever else the expression holds (``"timestamp"
> '2026-05-01 00:00:00'``, ``timestamp > date_sub(current_date(), 30)``, a CAST, an INTERVAL: the type is judged
first), while ``servicename <> 'foo'`` on a string column of the same table is accepted: the guide's "a table that
contains an unsupported data types will result in an error" is about the columns the filter names, not the table.
The emulator refuses every column (or struct field) of a type outside the list in those words, the type's name in
capitals (only TIMESTAMP's are attested; DATE's, BINARY's, ARRAY's and MAP's follow their pattern). ``tinyint`` and
``smallint`` are read as the list's integers (the list names families, not Glue's spellings: Glue has no LONG;
[unverified]). A column whose Glue type cannot be read is not refused on a guess.

So ``CASE``, ``IF``, ``coalesce(...)``, ``CAST`` and typed literals (``DATE '...'``), arithmetic, ``||``,
subqueries, ``ILIKE``, ``IS TRUE``, ``x = y`` between two columns, and comparisons of two constants (``1 = 1``:
no column) are refused. Constants are number, string, boolean and NULL literals (a minus sign allowed). Which
literal type suits which column ("The Column value must match the data type of the column name") is not judged:
the guide does not say whether CreateDataCellsFilter or the query engine reports it; the emulator's Athena fails
the query, as Trino fails a WHERE comparing a column with a constant of no common type
(``restrict.refuse_mismatched_filters``). AWS's message for a refused expression other than a type's is not
documented; the emulator's says what was refused and why (``invalid_input_message``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from lakehouse.emulator.sql.dialect import READ

#: RowFilter.FilterExpression's length constraint (Lake Formation API reference, RowFilter).
MAX_LENGTH = 2048
#: The documented comparison operators that take one constant.
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)
_T = exp.DType
#: The types (as sqlglot reads Glue's: ``string`` is TEXT) of the columns a row filter may name: the guide's
#: "Supported data types", ``tinyint`` and ``smallint`` read as its integers.
_FILTERABLE = frozenset(
    {_T.TEXT, _T.CHAR, _T.VARCHAR, _T.TINYINT, _T.SMALLINT, _T.INT, _T.BIGINT, _T.FLOAT, _T.DOUBLE, _T.DECIMAL}
    | {_T.BOOLEAN, _T.STRUCT}
)


class Refused(Exception):
    """Why Lake Formation would not accept the expression."""


class UnsupportedType(Refused):
    """The expression names a column of a type Lake Formation does not filter on; the message is AWS's own."""

    def __init__(self, kind: exp.DType) -> None:
        super().__init__(f"{kind.value} data type not supported for row level filter predicate.")


def _glue_type(glue_type: str) -> exp.DataType | None:
    """A Glue (Hive) type as sqlglot reads it; None when it cannot (never refused on a guess)."""
    try:
        return exp.DataType.build(glue_type, dialect="hive")
    except (SqlglotError, ValueError):
        return None


def _field_type(kind: exp.DataType, path: Sequence[str]) -> exp.DataType:
    """The type of the struct field ``path`` names inside ``kind`` (``customer.id``: ``id``'s), as far as it goes."""
    for name in path:
        fields = {f.name.lower(): f.args.get("kind") for f in kind.expressions if isinstance(f, exp.ColumnDef)}
        inner = fields.get(name.lower()) if kind.this == _T.STRUCT else None
        if not isinstance(inner, exp.DataType):
            return kind
        kind = inner
    return kind


def _snippet(node: exp.Expr) -> str:
    return node.sql()


def _what(node: exp.Expr) -> str:
    """``node`` named as the construct it is, for the refusal."""
    if isinstance(node, exp.Case):
        return f"CASE ({_snippet(node)})"
    if isinstance(node, (exp.Cast, exp.TryCast)):
        return f"a CAST or typed literal ({_snippet(node)})"
    if isinstance(node, exp.Func):
        return f"the function {node.sql_name().lower()}() ({_snippet(node)}): functions are not allowed"
    if isinstance(node, (exp.Subquery, exp.Select)):
        return f"a subquery ({_snippet(node)})"
    return f"{_snippet(node)!r} (not a column, a constant or one of =, <>, !=, <, <=, >, >=, BETWEEN, IN, LIKE)"


def _constant(node: exp.Expr) -> bool:
    if isinstance(node, exp.Neg):
        return isinstance(node.this, exp.Literal) and not node.this.is_string
    return isinstance(node, (exp.Literal, exp.Boolean, exp.Null))


class _Reader:
    """Walks a parsed expression along the documented grammar, against the table's columns."""

    def __init__(self, columns: Mapping[str, str], partitions: Collection[str]) -> None:
        self.columns = {name.lower(): kind.lower() for name, kind in columns.items()}
        self.partitions = {p.lower() for p in partitions}

    def column(self, node: exp.Expr) -> str:
        """The top-level column ``node`` names (``customer.id`` names ``customer``), checked against the table."""
        if not isinstance(node, exp.Column):
            raise Refused(f"expected a column, found {_what(node)}")
        top = node.parts[0].name.lower()
        if top not in self.columns:
            raise Refused(f"{top!r} is not a column of the table")
        return top

    def types(self, tree: exp.Expr) -> None:
        """Every column (or struct field) the expression names is of a supported type: judged before the rest, as
        AWS does (aws-cli#10397: a timestamp compared with a function is refused for its type)."""
        for node in tree.find_all(exp.Column):
            top, *path = [part.name for part in node.parts]
            kind = _glue_type(self.columns.get(top.lower()) or "")
            if kind is not None and (kind := _field_type(kind, path)).this not in _FILTERABLE:
                raise UnsupportedType(kind.this)

    def value(self, node: exp.Expr) -> None:
        if isinstance(node, exp.Column):
            raise Refused(f"{_snippet(node)!r} is a column: columns are compared with constants, not with columns")
        if not _constant(node):
            raise Refused(f"expected a constant, found {_what(node)}")

    def comparison(self, node: exp.Binary) -> None:
        """A column on one side (either), a constant on the other."""
        left, right = node.this, node.expression
        if isinstance(right, exp.Column) and not isinstance(left, exp.Column):
            left, right = right, left
        if not isinstance(left, exp.Column):
            if _constant(left) and _constant(right):
                raise Refused(f"{_snippet(node)!r} compares no column")
            raise Refused(f"expected a column, found {_what(right if _constant(left) else left)}")
        self.column(left)
        self.value(right)

    def condition(self, node: exp.Expr) -> None:
        if isinstance(node, (exp.And, exp.Or)):
            self.condition(node.this)
            self.condition(node.expression)
        elif isinstance(node, (exp.Paren, exp.Not)):
            self.condition(node.this)
        elif isinstance(node, _COMPARISONS):
            self.comparison(node)
        elif isinstance(node, exp.Like):
            self.column(node.this)
            self.value(node.expression)
        elif isinstance(node, exp.Between):
            self.column(node.this)
            self.value(node.args["low"])
            self.value(node.args["high"])
        elif isinstance(node, exp.In):
            if node.args.get("query") or node.args.get("unnest") or not node.expressions:
                raise Refused(f"IN takes a list of constants, not {_snippet(node)!r}")
            self.column(node.this)
            for listed in node.expressions:
                self.value(listed)
        elif isinstance(node, exp.Is):
            if not isinstance(node.expression, exp.Null):
                raise Refused(f"{_snippet(node)!r}: IS takes only [NOT] NULL")
            name = self.column(node.this)
            if name in self.partitions:
                raise Refused(f"IS [NOT] NULL cannot be used on partition column {name!r}")
        elif isinstance(node, exp.Boolean):
            raise Refused(f"{_snippet(node)} is not a <column> <operator> <constant> condition")
        else:
            raise Refused(f"expected a condition, found {_what(node)}")


def _refused(expression: str, columns: Mapping[str, str], partitions: Collection[str]) -> Refused | None:
    if len(expression) > MAX_LENGTH:
        return Refused(f"it is {len(expression)} characters long, more than {MAX_LENGTH}")
    if not expression.strip():
        return None
    try:
        tree = sqlglot.parse_one(expression, read=READ)
    except SqlglotError as err:
        return Refused(f"it could not be parsed ({str(err).splitlines()[0]})")
    if isinstance(tree.unnest(), exp.Boolean):
        return None
    reader = _Reader(columns, partitions)
    try:
        reader.types(tree)
        reader.condition(tree)
    except Refused as why:
        return why
    return None


def refusal(expression: str, columns: Mapping[str, str], partitions: Collection[str] = ()) -> str | None:
    """Why Lake Formation would refuse ``expression`` as a row filter on a table with ``columns`` (name -> Glue
    type, partition keys included) whose partition keys are ``partitions``; None when it accepts it.

    Empty and a bare ``TRUE`` (all rows) are accepted, as is a bare ``FALSE`` (no documented refusal).
    """
    why = _refused(expression, columns, partitions)
    return None if why is None else str(why)


def invalid_input_message(
    expression: str, columns: Mapping[str, str], partitions: Collection[str], table: str
) -> str | None:
    """The InvalidInputException message Create/UpdateDataCellsFilter answer for ``expression`` on ``table``
    (``catalog:database.table``; the rest as ``refusal``), None when accepted: AWS's own words for a column of an
    unsupported type, the emulator's (the expression, the table and why) for the rest."""
    why = _refused(expression, columns, partitions)
    if why is None or isinstance(why, UnsupportedType):
        return None if why is None else str(why)
    return f"Unsupported row filter expression {expression!r} on {table}: {why}."
