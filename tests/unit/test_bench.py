"""make bench's pure parts: the pipeline floor (bare DuckDB on the same CSVs) and README's generated table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import pipeline_floor, readme
from lakehouse.pipeline.runner import DATA_DIR

#: What the pipeline itself leaves on the committed sample (see `lakehouse pipeline`): the floor must agree.
SAMPLE_COUNTS = {
    "silver.users": 20,
    "silver.orders": 60,
    "silver.users_rejected": 4,
    "silver.orders_rejected": 6,
    "gold.users": 20,
    "gold.orders_enriched": 60,
    "gold.daily_revenue": 47,
}


def test_the_pipeline_floor_runs_the_pipelines_own_sql_and_does_the_same_work() -> None:
    run = pipeline_floor.run(DATA_DIR)
    assert {k: run.row_counts[k] for k in SAMPLE_COUNTS} == SAMPLE_COUNTS
    assert run.seconds > 0 and len(run.statements) >= 20
    assert run.statements[0]["job"] == "10_bronze.1"
    # ... and then the accounting the pipeline runs after its statements, on the same tables: it adds up.
    assert run.accounting_seconds > 0 and run.accounting_problems == []


def test_the_floors_accounting_is_the_pipelines_and_sees_a_line_missing(tmp_path: Path) -> None:
    """The floor runs the pipeline's own accounting queries: a Silver that lost a line does not add up there too."""
    import duckdb

    con = duckdb.connect()
    for layer in ("bronze", "silver", "gold"):
        con.execute(f'CREATE SCHEMA "{layer}"')
    views: set[str] = set()
    for stmt in pipeline_floor.load(pipeline_floor.SQL_DIR, pipeline_floor.VALUES):
        for sql in pipeline_floor.translate(stmt, DATA_DIR, views):
            con.execute(sql)
    con.execute('DELETE FROM "silver"."orders" WHERE order_id = (SELECT min(order_id) FROM "silver"."orders")')
    seconds, problems = pipeline_floor.account(con, DATA_DIR)
    assert seconds > 0 and any("orders.csv:" in p and "missing" in p for p in problems), problems


def test_an_external_csv_table_is_a_view_keeping_empty_fields_and_the_line(tmp_path: Path) -> None:
    (tmp_path / "users.csv").write_text("user_id,email\n1,\n")
    props = {"location": "s3://bronze/raw/users/"}
    columns = [("user_id", None), ("email", None), ("source_line", None)]
    sql = pipeline_floor.external_view('"bronze"."users_csv"', columns, props, tmp_path)  # type: ignore[arg-type]
    import duckdb

    con = duckdb.connect()
    con.execute('CREATE SCHEMA "bronze"')
    con.execute(sql)
    assert con.execute('SELECT user_id, email, source_line FROM "bronze"."users_csv"').fetchall() == [("1", "", "2")]


BENCH = {
    "started_at": "2026-12-03T12:00:00+00:00",
    "machine": {"cpus": 2, "memory_gb": 23.4, "cpu_model": "AMD EPYC", "python": "3.11.7", "load_avg_at_start": [0.5]},
    "features_run": {"wall_s": 120.0},
    "terraform_floor": {"floor_apply_plus_destroy_s": 80.0, "features_over_floor": 1.5},
    "workload": {
        "emulator_peak_rss_mb": 400.5,
        "pipeline_throughput": {
            "orders_rows": 1000008,
            "pipeline_s": 10.0,
            "pipeline_rows_per_s": 100000,
            "floor_pipeline_sql_bare_duckdb_s": 4.0,
            "pipeline_over_sql_floor": 2.5,
            "floor_pipeline_sql_and_accounting_s": 5.0,
            "pipeline_over_sql_and_accounting_floor": 2.0,
            "floor_accounting_bare_duckdb_s": 1.0,
            "duckdb_csv_to_parquet_s": 1.0,
            "pipeline_over_floor": 10.0,
        },
        "query_latency_sample_data": {
            "1_users": {"percentiles_ms": {"50": 12.0, "95": 20.0}, "requests_per_s": 70.0},
            "10_users": {
                "percentiles_ms": {"50": 60.0, "95": 90.0},
                "requests_per_s": 110.0,
                "load_avg_at_start": [1.5, 0.9, 0.4],
            },
            "floor_bare_duckdb": {"p50_ms": 1.2, "p95_ms": 2.0},
            "1_user_p50_over_floor": 10.0,
        },
    },
}


def test_the_readme_table_shows_each_figure_next_to_its_floor_and_the_machine() -> None:
    block = readme.render(BENCH)
    assert "| `pytest features/` wall | 120.0 s | terraform apply + destroy 80.0 s | 1.5x |" in block
    assert "its SQL in bare DuckDB 4.0 s | 2.5x" in block
    assert "its SQL and its line accounting in bare DuckDB 5.0 s | 2.0x" in block
    assert "p50 12.0 ms, p95 20.0 ms, 70.0 queries/s |" in block  # no load recorded: none shown
    assert "p50 60.0 ms, p95 90.0 ms, 110.0 queries/s (load 1.5)" in block
    assert "400.5 MB" in block
    assert "2 cores, 23.4 GB memory, AMD EPYC, Python 3.11.7, 2026-12-03T12:00:00+00:00" in block


def test_rendering_rewrites_only_the_marked_block_and_check_sees_a_stale_one(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_text(f"# Title\n\nbefore\n{readme.BEGIN}\nold table\n{readme.END}\nafter\n")
    assert readme.update(path, BENCH, check=True) is False
    assert "old table" in path.read_text()
    readme.update(path, BENCH)
    text = path.read_text()
    assert text.startswith("# Title\n\nbefore\n") and text.endswith(f"{readme.END}\nafter\n")
    assert "old table" not in text and readme.update(path, BENCH, check=True) is True


def test_a_readme_without_the_markers_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_text("# no block\n")
    with pytest.raises(readme.ReadmeError, match="no generated bench block"):
        readme.update(path, BENCH)


def test_the_bench_command_renders_the_readme_from_a_bench_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench import run

    target = tmp_path / "README.md"
    target.write_text(f"{readme.BEGIN}\n{readme.END}\n")
    bench_json = tmp_path / "bench.json"
    bench_json.write_text(json.dumps(BENCH))
    monkeypatch.setattr(run, "ROOT", tmp_path)
    assert run.main(["--render-readme", str(bench_json), "--check"]) == 1
    assert run.main(["--render-readme", str(bench_json)]) == 0
    assert run.main(["--render-readme", str(bench_json), "--check"]) == 0
