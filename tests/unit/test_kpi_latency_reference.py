"""KPI p95 latency: the harness's reference queries (every row and column of each Gold table) timed beside the
stack's demo queries, each set judged on its own p95, and each reference answer counting its table's rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from lakehouse.athena import QueryRecord
from lakehouse.checks.data_loop import gold_tables_read
from lakehouse.kpi.latency import LoadConfig, LoadStats, config_for, gold_reads, judge_latency
from lakehouse.kpi.reference import reference_queries, reference_sql, required_gold_tables
from lakehouse.outcome import Status
from lakehouse.target import Target

GOLD_DB = "lakehouse_lh_x_gold"
#: Gold's tables as the pipeline builds them (pipeline/sql), one array column to show unordered types.
GOLD_SCHEMA: dict[str, list[tuple[str, str]]] = {
    "daily_revenue": [
        ("order_date", "date"),
        ("country", "string"),
        ("orders", "bigint"),
        ("revenue", "decimal(14,2)"),
    ],
    "orders_enriched": [
        ("order_id", "bigint"),
        ("order_date", "date"),
        ("user_id", "bigint"),
        ("email", "string"),
        ("status", "string"),
        ("amount", "decimal(12,2)"),
        ("order_ts", "timestamp"),
        ("tags", "array<string>"),
    ],
    "users": [
        ("user_id", "bigint"),
        ("email", "string"),
        ("full_name", "string"),
        ("ssn", "string"),
        ("country", "string"),
        ("signup_ts", "timestamp"),
        ("order_count", "bigint"),
        ("lifetime_value", "decimal(12,2)"),
        ("last_order_ts", "timestamp"),
    ],
}
#: A stack whose demo query is trivial: it reads Gold by name and returns a row, in milliseconds whatever Gold is.
TRIVIAL_DEMO = {"daily_revenue": f"SELECT order_date, country, orders, revenue FROM {GOLD_DB}.daily_revenue LIMIT 1"}
ROWS = {"daily_revenue": 12, "orders_enriched": 40, "users": 10}


@pytest.fixture
def account(moto_aws: None) -> Iterator[Target]:
    yield Target(name="aws", region="us-east-1")


def _gold(target: Target, tables: dict[str, list[tuple[str, str]]]) -> Any:
    glue = target.client("glue")
    glue.create_database(DatabaseInput={"Name": GOLD_DB})
    for name, columns in tables.items():
        glue.create_table(
            DatabaseName=GOLD_DB,
            TableInput={
                "Name": name,
                "TableType": "EXTERNAL_TABLE",
                "Parameters": {"table_type": "ICEBERG"},
                "StorageDescriptor": {
                    "Columns": [{"Name": c, "Type": t} for c, t in columns],
                    "Location": f"s3://gold/{name}/",
                },
            },
        )
    return glue


def _outputs() -> dict[str, Any]:
    layers = ("bronze", "silver", "gold")
    return {
        "athena_workgroup_name": "wg",
        "glue_database_names": {layer: f"lakehouse_lh_x_{layer}" for layer in layers},
        "bucket_names": {layer: f"lakehouse-lh-x-{layer}" for layer in layers},
    }


# -- the reference queries ---------------------------------------------------------------------------


def test_the_reference_tables_are_the_gold_tables_the_contracts_require() -> None:
    assert required_gold_tables() == ["daily_revenue", "orders_enriched", "users"]


@pytest.mark.parametrize("table", sorted(GOLD_SCHEMA))
def test_a_reference_query_reads_every_row_and_every_column_of_its_table(table: str) -> None:
    sql = reference_sql(GOLD_DB, table, GOLD_SCHEMA[table])
    tree = sqlglot.parse_one(sql, read="trino")
    assert gold_tables_read(sql, GOLD_DB) == [f"{GOLD_DB}.{table}"]
    assert tree.args.get("limit") is None and tree.args.get("where") is None and tree.args.get("group") is None
    projections = tree.expressions
    assert projections[0].alias == "rows_counted" and isinstance(projections[0].this, exp.Count)
    assert isinstance(projections[0].this.this, exp.Star)
    aggregated: dict[str, set[str]] = {}
    for projection in projections[1:]:
        assert isinstance(projection, exp.Count | exp.Min | exp.Max), projection.sql()
        column = projection.this
        assert isinstance(column, exp.Column)
        aggregated.setdefault(column.name, set()).add(type(projection).__name__)
    for name, type_ in GOLD_SCHEMA[table]:
        assert aggregated[name] == ({"Count"} if type_.startswith("array") else {"Count", "Min", "Max"}), name


def test_reference_queries_take_their_columns_from_glue_and_name_tables_it_lacks(account: Target) -> None:
    glue = _gold(account, {"users": GOLD_SCHEMA["users"], "daily_revenue": []})
    queries, problems = reference_queries(glue, GOLD_DB, ["daily_revenue", "orders_enriched", "users"])
    assert sorted(queries) == ["reference:users"]
    assert 'max("last_order_ts")' in queries["reference:users"]
    assert problems == [
        f"Glue's GetTable gives {GOLD_DB}.daily_revenue no columns: no reference query can read it",
        f"{GOLD_DB}.orders_enriched, a Gold table the contracts require, is not in the Glue catalog",
    ]
    assert reference_queries(glue, GOLD_DB, [])[1] == [
        "the contracts require no Gold table: there is no reference query to time"
    ]


def test_a_stack_with_a_trivial_demo_query_has_the_reference_queries_timed_beside_it(
    account: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``LIMIT 1`` over Gold passes gold_reads; the load configuration still times all of every Gold table."""
    _gold(account, GOLD_SCHEMA)
    monkeypatch.setattr("lakehouse.pipeline.demo.demo_queries", lambda outputs: dict(TRIVIAL_DEMO))
    config = config_for(account, _outputs())
    assert config.queries == TRIVIAL_DEMO
    assert gold_reads(config.queries, GOLD_DB)[1] == [], "the old defence: it reads Gold, nothing to say"
    assert sorted(config.timed) == [
        "daily_revenue",
        "reference:daily_revenue",
        "reference:orders_enriched",
        "reference:users",
    ]
    assert config.reference_problems == []
    assert config.reference_counts["reference:users"] == f"SELECT count(*) FROM {GOLD_DB}.users"
    for name, columns in GOLD_SCHEMA.items():
        assert config.reference[f"reference:{name}"] == reference_sql(GOLD_DB, name, columns)
    assert LoadConfig.read(config.write(tmp_path / "load-config.json")) == config  # what the locustfile reads


def test_a_gold_table_only_a_demo_query_reads_is_timed_by_a_reference_query_too(
    account: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ``LIMIT 1`` demo over a Gold table no contract requires was that table's only timing."""
    extra = [("customer_id", "bigint"), ("score", "double")]
    _gold(account, {**GOLD_SCHEMA, "top_customers": extra})
    demos = {
        **TRIVIAL_DEMO,
        "top": f"SELECT customer_id FROM {GOLD_DB}.top_customers LIMIT 1",
        "gone": f"SELECT * FROM {GOLD_DB}.vanished LIMIT 1",
    }
    monkeypatch.setattr("lakehouse.pipeline.demo.demo_queries", lambda outputs: dict(demos))
    config = config_for(account, _outputs())
    assert config.reference["reference:top_customers"] == reference_sql(GOLD_DB, "top_customers", extra)
    assert config.reference_counts["reference:top_customers"] == f"SELECT count(*) FROM {GOLD_DB}.top_customers"
    assert config.reference_problems == [
        f"{GOLD_DB}.vanished, a Gold table demo query gone reads, is not in the Glue catalog"
    ]
    assert sorted(config.reference) == [
        f"reference:{t}" for t in ("daily_revenue", "orders_enriched", "top_customers", "users")
    ]


# -- the judge: each query set's p95, and the reference answers ----------------------------------------


def _samples(times: dict[str, list[float]], counted: dict[str, int | None] | None = None) -> LoadStats:
    """Interleaved timed samples of each named query (two users); a reference sample counts its table's rows."""
    counted = counted if counted is not None else {f"reference:{t}": n for t, n in ROWS.items()}
    samples: list[dict[str, Any]] = []
    longest = max(len(ts) for ts in times.values())
    for i in range(longest):
        for name, ts in times.items():
            if i < len(ts):
                sample = {"user": 1 + len(samples) % 2, "seq": len(samples), "warmup": False, "name": name}
                sample |= {"ms": ts[i], "error": None, "rows": 1, "query_execution_id": f"q-{len(samples)}"}
                if name.startswith("reference:"):
                    sample["counted"] = counted.get(name)
                samples.append(sample)
    return LoadStats(users=2, seconds=8.0, samples=samples, run={"warmup_per_user": 3, "stopped_by": "time"})


def _untimed(names: list[str], counted: dict[str, int] | None = None) -> dict[str, QueryRecord]:
    counted = counted if counted is not None else {f"reference:{t}": n for t, n in ROWS.items()}
    return {
        n: QueryRecord(sql="...", query_execution_id=f"u-{n}", row_count=1, rows=[[counted.get(n, 7)]]) for n in names
    }


def _counts(rows: dict[str, int] | None = None) -> dict[str, QueryRecord]:
    return {
        f"reference:{t}": QueryRecord(sql="SELECT count(*)", query_execution_id=f"c-{t}", row_count=1, rows=[[n]])
        for t, n in (rows or ROWS).items()
    }


REF = [f"reference:{t}" for t in sorted(ROWS)]


def _judge(stats: LoadStats, untimed: dict[str, QueryRecord] | None = None, **kw: Any) -> Any:
    names = sorted({str(s["name"]) for s in stats.samples})
    return judge_latency(stats, 200.0, True, 100, untimed=untimed or _untimed(names), **({"counts": _counts()} | kw))


def test_a_healthy_stack_with_cheap_reference_queries_stays_green_with_the_evidence_split_per_set() -> None:
    stats = _samples({"daily_revenue": [25.0] * 40, **{r: [30.0] * 30 for r in REF}})
    outcome = _judge(stats)
    assert outcome.passed, outcome.reason
    assert outcome.measured == 30.0  # the worst query's own p95
    by_set = outcome.details["by_set"]
    assert by_set["demo"] == {"requests": 40, "p50_ms": 25.0, "p95_ms": 25.0, "queries": ["daily_revenue"]}
    assert by_set["reference"]["requests"] == 90 and by_set["reference"]["queries"] == REF
    assert outcome.details["by_query"]["reference:users"]["p95_ms"] == 30.0
    assert outcome.details["reference_counts"]["reference:users"]["rows_counted"] == 10


def test_a_slow_gold_behind_trivial_demo_queries_fails_naming_the_reference_query() -> None:
    """The broken stack: its ``LIMIT 1`` demo answers in 3 ms; reading all of ``users`` (thousands of tiny
    files, or a slow view) takes 400 ms. The p95 of the demo and reference queries together is fast."""
    stats = _samples({"daily_revenue": [3.0] * 100, "reference:users": [400.0] * 5})
    assert stats.percentile(0.95) == 3.0, "5 of 105 samples: a p95 over both sets would pass"
    outcome = _judge(stats, counts=_counts({"users": 10}))
    assert outcome.status is Status.FAILED and outcome.measured == 400.0
    assert outcome.reason is not None
    assert outcome.reason.startswith(
        "reference query reference:users: p95 latency 400 ms is not under 200 ms (5 samples, p50 400 ms); "
        "pooled p95 per set: demo 3 ms, reference 400 ms ("
    ), outcome.reason
    assert outcome.details["by_set"]["reference"]["p95_ms"] == 400.0


def test_slow_demo_queries_fail_naming_the_demo_query() -> None:
    stats = _samples({"daily_revenue": [250.0] * 60, **{r: [30.0] * 20 for r in REF}})
    outcome = _judge(stats)
    assert outcome.status is Status.FAILED
    assert str(outcome.reason).startswith(
        "demo query daily_revenue: p95 latency 250 ms is not under 200 ms (60 samples, p50 250 ms); "
        "pooled p95 per set: demo 250 ms, reference 30 ms"
    ), outcome.reason


def test_reference_answers_that_do_not_count_the_table_fail() -> None:
    """The reference query must have read every row: its count is the table's, untimed and in every sample."""
    stats = _samples(
        {"daily_revenue": [5.0] * 40, **{r: [5.0] * 30 for r in REF}},
        counted={"reference:daily_revenue": 12, "reference:orders_enriched": 40, "reference:users": 3},
    )
    outcome = _judge(stats)
    assert outcome.status is Status.FAILED
    assert "30 of 30 timed samples of reference:users did not count the 10 row(s) of its table (first: user" in str(
        outcome.reason
    )
    untimed = _untimed(["daily_revenue", *REF], {"reference:daily_revenue": 12, "reference:orders_enriched": 40})
    outcome = _judge(_samples({"daily_revenue": [5.0] * 40, **{r: [5.0] * 30 for r in REF}}), untimed)
    assert "reference query reference:users counted 7 row(s) untimed, users has 10 (query u-reference:users)" in str(
        outcome.reason
    )


def test_a_reference_query_over_an_empty_gold_table_fails() -> None:
    empty = {"daily_revenue": 0, "orders_enriched": 40, "users": 10}
    stats = _samples(
        {"daily_revenue": [5.0] * 40, **{r: [5.0] * 30 for r in REF}}, {f"reference:{t}": n for t, n in empty.items()}
    )
    untimed = _untimed(["daily_revenue", *REF], {f"reference:{t}": n for t, n in empty.items()})
    outcome = _judge(stats, untimed, counts=_counts(empty))
    assert outcome.status is Status.FAILED
    assert outcome.reason == (
        "reference query reference:daily_revenue reads an empty table (daily_revenue has 0 rows, query "
        "c-daily_revenue): its latency is not that of reading Gold"
    )


def test_reference_queries_missing_from_the_load_or_the_catalog_fail() -> None:
    demo_only = _samples({"daily_revenue": [5.0] * 120})
    outcome = judge_latency(demo_only, 200.0, True, 100, untimed=_untimed(["daily_revenue"]), counts=_counts())
    assert outcome.status is Status.FAILED
    assert "no reference query was measured (120 measured queries, all demo ones)" in str(outcome.reason)
    missing = f"{GOLD_DB}.users, a Gold table the contracts require, is not in the Glue catalog"
    stats = _samples({"daily_revenue": [5.0] * 40, **{r: [5.0] * 30 for r in REF}})
    outcome = _judge(stats, reference_problems=[missing])
    assert outcome.status is Status.FAILED and outcome.reason == missing


def test_a_demo_query_named_as_a_reference_query_fails(account: Target, monkeypatch: pytest.MonkeyPatch) -> None:
    """It would be judged (and could be overwritten) as the harness's own query."""
    _gold(account, GOLD_SCHEMA)
    fake = {"reference:users": f"SELECT user_id FROM {GOLD_DB}.users LIMIT 1"}
    monkeypatch.setattr("lakehouse.pipeline.demo.demo_queries", lambda outputs: dict(fake))
    config = config_for(account, _outputs())
    assert config.reference_problems == [
        "demo query reference:users is named as the harness's reference queries are (reference:...)"
    ]


def test_a_glue_entry_listing_fewer_columns_than_the_contract_judges_still_has_them_read(
    account: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The broken stack: Gold's Glue entry for ``users`` lists ``user_id`` only (Athena reads an Iceberg table's
    schema from its metadata, so every query still works); the reference query read ``user_id`` alone, and the
    wide columns (``ssn``, ``lifetime_value``...) were never timed. The contract's columns are read too now."""
    _gold(account, {**GOLD_SCHEMA, "users": [("user_id", "bigint")]})
    monkeypatch.setattr("lakehouse.pipeline.demo.demo_queries", lambda outputs: dict(TRIVIAL_DEMO))
    sql = config_for(account, _outputs()).reference["reference:users"]
    for column in ("country", "lifetime_value", "order_count", "ssn"):
        assert f'count("{column}")' in sql, sql  # main: only user_id's aggregates
        assert f'min("{column}")' not in sql  # its type is not known: counted, never compared
    assert 'min("user_id")' in sql and 'max("user_id")' in sql  # Glue's typed column as before
    assert gold_tables_read(sql, GOLD_DB) == [f"{GOLD_DB}.users"]
