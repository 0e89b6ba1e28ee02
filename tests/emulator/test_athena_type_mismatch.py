"""The emulator's Athena refuses what Athena (Trino) cannot type: TYPE_MISMATCH where DuckDB casts silently.

- comparisons of two types with no common type (``lakehouse/emulator/sql/comparisons.py``): "Cannot apply
  operator: varchar = date" for a Gold ``order_date`` kept as a string; a date against a time, a varbinary against
  a varchar, an array against a scalar; a string literal is ``varchar(n)``, as Trino names it;
- UNION, EXCEPT and INTERSECT over such columns (``setops.py``): "column 1 in EXCEPT query has incompatible types:
  varchar, date", which exit 2's ``matches`` comparison runs;
- INSERT, MERGE and UPDATE values their column's type cannot take (``assignments.py``): "Insert query has
  mismatched column types: Table: [varchar], Query: [date]", where DuckDB stored the date's text;
- VALUES rows with no common type (``values.py``): "Values rows have mismatched types: row(integer) vs
  row(varchar(1))", where DuckDB cast one row to the other's type.

Healthy twins: the same statements on types Trino coerces, and explicit casts, still run.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pyathena
import pytest
from pyathena.error import OperationalError

from lakehouse.emulator.process import EmulatorHandle
from lakehouse.reconcile import diff_sql
from tests.emulator.conftest import REGION, AwsClientFactory

WORK_GROUP = "typemismatch"
LAKE = "typemismatch-lake"
COLUMNS = "day_text string, day date, n bigint, flag boolean, raw binary"


@pytest.fixture(scope="module")
def typed_table(emulator: EmulatorHandle, aws_client: AwsClientFactory) -> Iterator[tuple[Any, str]]:
    """A cursor, and an Iceberg table with a day stored as a string next to a real date, and one row."""
    s3, glue = aws_client("s3"), aws_client("glue")
    for bucket in (LAKE, f"{LAKE}-results"):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    glue.create_database(DatabaseInput={"Name": "typemismatch"})
    aws_client("athena").create_work_group(
        Name=WORK_GROUP,
        Configuration={"ResultConfiguration": {"OutputLocation": f"s3://{LAKE}-results/out/"}},
    )
    conn = pyathena.connect(
        work_group=WORK_GROUP,
        region_name=REGION,
        schema_name="typemismatch",
        endpoint_url=emulator.endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        poll_interval=0.05,
    )
    cursor = conn.cursor()
    name = _create(cursor, "t")
    cursor.execute(f"INSERT INTO {name} VALUES ('2026-03-01', DATE '2026-03-01', 1, true, X'00')")
    yield cursor, name
    conn.close()


def _create(cursor: Any, prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    cursor.execute(
        f"CREATE TABLE {name} ({COLUMNS}) LOCATION 's3://{LAKE}/{name}/' "
        "TBLPROPERTIES ('table_type'='ICEBERG', 'format'='parquet')"
    )
    return name


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("SELECT count(*) FROM {t} WHERE day_text = DATE '2026-03-01'", "Cannot apply operator: varchar = date"),
        ("SELECT count(*) FROM {t} WHERE day_text = day", "Cannot apply operator: varchar = date"),
        ("SELECT count(*) FROM {t} WHERE n = '1'", "Cannot apply operator: bigint = varchar(1)"),
        ("SELECT count(*) FROM {t} WHERE day_text < day", "Cannot apply operator: varchar < date"),
        ("SELECT count(*) FROM {t} WHERE flag = 'true'", "Cannot apply operator: boolean = varchar(4)"),
        ("SELECT count(*) FROM {t} WHERE n = true", "Cannot apply operator: bigint = boolean"),
        ("SELECT count(*) FROM {t} WHERE day = TIME '10:00:00'", "Cannot apply operator: date = time(0)"),
        ("SELECT count(*) FROM {t} WHERE raw = '00'", "Cannot apply operator: varbinary = varchar(2)"),
        ("SELECT count(*) FROM {t} WHERE ARRAY[day_text] = day_text", "array(varchar) = varchar"),
        (
            "SELECT count(*) FROM {t} WHERE day_text BETWEEN DATE '2026-01-01' AND DATE '2026-12-31'",
            "Cannot check if varchar is BETWEEN date and date",
        ),
        (
            "SELECT count(*) FROM {t} WHERE day_text IN (SELECT day FROM {t})",
            "value and result of subquery must be of the same type for IN expression: varchar vs date",
        ),
        (
            "MERGE INTO {t} t USING (SELECT day FROM {t}) s ON t.day_text = s.day WHEN MATCHED THEN UPDATE SET n = t.n",
            "Cannot apply operator: varchar = date",
        ),
        (
            "SELECT day_text FROM {t} EXCEPT SELECT day FROM {t}",
            "column 1 in EXCEPT query has incompatible types: varchar, date",
        ),
        (
            "SELECT n, day_text FROM {t} UNION SELECT n, n FROM {t}",
            "column 2 in UNION query has incompatible types: varchar, bigint",
        ),
        (
            "SELECT flag FROM {t} INTERSECT SELECT n FROM {t}",
            "column 1 in INTERSECT query has incompatible types: boolean, bigint",
        ),
        ("SELECT day FROM {t} UNION ALL SELECT '2026-03-01'", "incompatible types: date, varchar(10)"),
        ("SELECT raw FROM {t} UNION ALL SELECT day_text FROM {t}", "incompatible types: varbinary, varchar"),
        (  # exit 2's comparison of a text day with a stated date: locally no difference, a pass
            diff_sql("{t}", ["day_text"], "SELECT DATE '2026-03-01' AS day_text"),
            "column 1 in EXCEPT query has incompatible types: date, varchar",
        ),
        (  # DuckDB stored the date's text '2026-03-01'
            "INSERT INTO {t} (day_text) SELECT day FROM {t}",
            "line 1:1: Insert query has mismatched column types: Table: [varchar], Query: [date]",
        ),
        (  # DuckDB stored 12
            "INSERT INTO {t} (n) VALUES ('12')",
            "Insert query has mismatched column types: Table: [bigint], Query: [varchar(2)]",
        ),
        (  # a value sqlglot cannot type (from_utf8) is named as DuckDB bound it
            "INSERT INTO {t} (day_text, n) SELECT from_utf8(raw), day FROM {t}",
            "Insert query has mismatched column types: Table: [varchar, bigint], Query: [varchar, date]",
        ),
        (
            "INSERT INTO {t} SELECT day, day, n, flag, raw FROM {t}",
            "Table: [varchar, date, bigint, boolean, varbinary], Query: [date, date, bigint, boolean, varbinary]",
        ),
        (
            "MERGE INTO {t} t USING (SELECT day, n FROM {t}) s ON t.n = s.n\n"
            "WHEN MATCHED THEN UPDATE SET day_text = s.day",
            "line 2:1: MERGE table column types don't match for MERGE case 0, SET expressions: "
            "Table: [varchar], Expressions: [date]",
        ),
        (
            "MERGE INTO {t} t USING (SELECT day, n + 1 AS n FROM {t}) s ON t.n = s.n WHEN MATCHED THEN DELETE\n"
            "WHEN NOT MATCHED THEN INSERT (day_text, n) VALUES (s.day, s.n)",
            "line 2:1: MERGE table column types don't match for MERGE case 1, SET expressions: "
            "Table: [varchar, bigint], Expressions: [date, bigint]",
        ),
        (
            "UPDATE {t} SET n = day_text",
            "UPDATE table column types don't match SET expressions: Table: [bigint], Expressions: [varchar]",
        ),
        (  # DuckDB stored the text '1' (values.py)
            "INSERT INTO {t} (day_text) VALUES ('2026-03-02'), (1)",
            "line 1:35: Values rows have mismatched types: row(varchar(10)) vs row(integer)",
        ),
        (  # DuckDB cast '2' to 2 and counted both rows
            "SELECT count(*) FROM (VALUES (1), ('2')) AS v(x)",
            "line 1:23: Values rows have mismatched types: row(integer) vs row(varchar(1))",
        ),
        (
            "MERGE INTO {t} t USING (VALUES (1, 'a'), (2, DATE '2026-03-01')) AS s(n, v) ON t.n = s.n "
            "WHEN MATCHED THEN DELETE",
            "Values rows have mismatched types: row(integer, varchar(1)) vs row(integer, date)",
        ),
        ("SELECT * FROM (VALUES (1, 2), (3)) AS v(x, y)", "line 1:16: Values rows have mismatched sizes: 2 vs 1"),
    ],
)
def test_a_statement_trino_cannot_type_fails_as_athena_fails_it(
    typed_table: tuple[Any, str], statement: str, message: str
) -> None:
    cursor, name = typed_table
    with pytest.raises(OperationalError) as err:
        cursor.execute(statement.format(t=name))
    assert "TYPE_MISMATCH" in str(err.value) and message in str(err.value), str(err.value)
    cursor.execute(f"SELECT count(*), min(day_text), min(n) FROM {name}")
    assert cursor.fetchone() == (1, "2026-03-01", 1)  # nothing was written


@pytest.mark.parametrize(
    ("statement", "rows"),
    [
        ("SELECT count(*) FROM {t} WHERE day = DATE '2026-03-01'", [(1,)]),
        ("SELECT count(*) FROM {t} WHERE day_text = '2026-03-01'", [(1,)]),
        ("SELECT count(*) FROM {t} WHERE CAST(day_text AS date) = day", [(1,)]),
        ("SELECT count(*) FROM {t} WHERE day_text = CAST(day AS varchar)", [(1,)]),
        ("SELECT count(*) FROM {t} WHERE n = 1 AND n < 1.5", [(1,)]),
        ("SELECT count(*) FROM {t} WHERE day < TIMESTAMP '2026-03-02 00:00:00'", [(1,)]),
        ("SELECT count(*) FROM {t} WHERE flag = true AND raw = X'00'", [(1,)]),
        ("SELECT count(*) FROM {t} WHERE day_text IN ('2026-03-01', '2026-03-02')", [(1,)]),
        ("SELECT count(*) FROM {t} WHERE ARRAY[day_text] = ARRAY['2026-03-01']", [(1,)]),
        ("SELECT day_text FROM {t} EXCEPT SELECT '2026-03-01'", []),  # varchar, varchar(10)
        ("SELECT n FROM {t} INTERSECT SELECT 1", [(1,)]),  # bigint, integer
        ("SELECT day FROM {t} EXCEPT SELECT DATE '2026-03-01'", []),  # date, date
        ("SELECT day_text, NULL FROM {t} EXCEPT SELECT NULL, day FROM {t}", [("2026-03-01", None)]),  # unknown
        ("SELECT CAST(day_text AS date) FROM {t} EXCEPT SELECT day FROM {t}", []),
        ("SELECT count(*) FROM (SELECT flag FROM {t} UNION SELECT false)", [(2,)]),
        (diff_sql("{t}", ["day", "n"], "SELECT DATE '2026-03-01' AS day, 1 AS n"), []),
        (  # integer and decimal(2,1): decimal(11,1), as Trino coerces the rows
            "SELECT x, y FROM (VALUES (1, 'a'), (2.5, 'bc')) AS v(x, y) ORDER BY x",
            [(Decimal("1.0"), "a"), (Decimal("2.5"), "bc")],
        ),
        ("SELECT count(x) FROM (VALUES (NULL), (1), (2)) AS v(x)", [(2,)]),  # NULL is unknown: coerces
    ],
)
def test_a_statement_trino_can_type_still_runs(
    typed_table: tuple[Any, str], statement: str, rows: list[tuple[Any, ...]]
) -> None:
    cursor, name = typed_table
    cursor.execute(statement.format(t=name))
    assert cursor.fetchall() == rows


@pytest.mark.parametrize(
    ("statement", "count"),
    [
        ("INSERT INTO {s} SELECT CAST(day AS varchar), day, 1, flag, raw FROM {t}", 1),  # integer into bigint
        ("INSERT INTO {s} (day_text, day, n) VALUES ('2026-03-02', TIMESTAMP '2026-03-02 10:00:00', NULL)", 1),
        ("INSERT INTO {s} (day) SELECT CAST(day AS timestamp) FROM {t}", 1),  # timestamp into date: Trino coerces
        (
            "MERGE INTO {s} t USING {t} s ON t.n = s.n WHEN MATCHED THEN UPDATE SET day_text = CAST(s.day AS varchar) "
            "WHEN NOT MATCHED THEN INSERT (day_text, n) VALUES (s.day_text, s.n)",
            1,
        ),
        ("UPDATE {s} SET n = 2, day_text = 'x' WHERE n = 1", 1),
        ("INSERT INTO {s} (day_text, n) VALUES ('a', 1), ('bc', NULL)", 2),
    ],
)
def test_a_write_trino_can_type_still_runs(typed_table: tuple[Any, str], statement: str, count: int) -> None:
    """Into a new table holding a copy of the typed table's row."""
    cursor, name = typed_table
    sink = _create(cursor, "sink")
    cursor.execute(f"INSERT INTO {sink} SELECT * FROM {name}")
    cursor.execute(statement.format(t=name, s=sink))
    assert cursor.rowcount == count
