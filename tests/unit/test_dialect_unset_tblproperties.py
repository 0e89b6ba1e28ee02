"""``ALTER TABLE ... UNSET TBLPROPERTIES`` reaches the engine as its own kind, with the keys as written.

sqlglot 30 reads the statement as an opaque Command; the dialect reads it as the SET TBLPROPERTIES of the same
keys over the same text up to the table name, so the table (and where it stands, for errors) is sqlglot's own.
"""

from __future__ import annotations

import pytest
from sqlglot import exp

from lakehouse.emulator.sql import dialect


@pytest.mark.parametrize(
    ("sql", "table", "keys", "if_exists"),
    [
        ("ALTER TABLE t UNSET TBLPROPERTIES ('k')", ("", "t"), ["k"], False),
        ("alter table db.t unset tblproperties if exists ('A', 'b.c') ;", ("db", "t"), ["A", "b.c"], True),
        ("ALTER TABLE `db`.`t`\n  UNSET TBLPROPERTIES ( 'it\\'s' , 'x' )", ("db", "t"), ["it's", "x"], False),
        ('ALTER TABLE "db"."t" UNSET TBLPROPERTIES (\'k\')', ("db", "t"), ["k"], False),
    ],
)
def test_unset_is_read_with_its_table_and_keys(
    sql: str, table: tuple[str, str], keys: list[str], if_exists: bool
) -> None:
    stmt = dialect.parse(sql)
    assert stmt.kind == "UNSET_TBLPROPERTIES"
    assert stmt.sql == sql
    assert stmt.tree is not None
    target = stmt.tree.this
    assert isinstance(target, exp.Table)
    assert (target.db, target.name) == table
    change = dialect.alter_set(stmt.tree.args["actions"][0])
    assert change is not None
    assert [k for k, _ in change[1]] == keys
    assert bool(stmt.args["if_exists"]) is if_exists


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE t UNSET TBLPROPERTIES (k)",  # keys are string literals
        "ALTER TABLE t UNSET TBLPROPERTIES ()",
        "ALTER TABLE t UNSET TBLPROPERTIES ('it''s')",  # HiveQL escapes with a backslash; SET reads no more
        "ALTER TABLE t UNSET SERDEPROPERTIES ('k')",
    ],
)
def test_other_unsets_stay_unparsed_commands(sql: str) -> None:
    assert dialect.parse(sql).kind == "COMMAND_ALTER"


def test_where_points_at_the_table_in_the_statement_as_written() -> None:
    sql = "ALTER TABLE\n  db.nowhere UNSET TBLPROPERTIES ('k')"
    stmt = dialect.parse(sql)
    assert stmt.tree is not None
    assert dialect.where(sql, stmt.tree.this) == "line 2:3: "
