"""``make bench``: where the time goes, next to the floor it cannot beat. Prints and writes bench.json.

One run, on this machine, of:

1. the full local verification (``pytest features/``), its wall time split into emulator start,
   terraform init/apply/destroy, pipeline and each check (from the run's evidence.json);
2. the floor for it: ``terraform apply`` + ``terraform destroy`` of the same root against a fresh
   emulator with nothing else, and the ratio of the two;
3. on another fresh stack: query latency p50/p95 and throughput of the demo and reference queries
   (``lakehouse.kpi.reference``; committed sample loaded) with 1, 10 and 50 concurrent Locust users
   (a subprocess each), next to the query floor (the same SQL run by bare DuckDB, in this process, over the same Iceberg
   snapshots read once: no emulator, no HTTP, no Athena client), then pipeline throughput on
   N generated orders (default 1,000,000) next to its floor, the pipeline's own SQL run by bare
   DuckDB on the same CSVs (``bench/pipeline_floor.py``), and DuckDB converting the same CSVs to
   Parquet, with the ratios; the emulator's peak memory (RSS, Linux ``VmHWM``) at the end.

``--render-readme BENCH_JSON`` rewrites the performance table in README.md (between its
``bench:begin``/``bench:end`` markers) from a bench.json, with the machine it ran on; ``--check``
only says whether the README holds that table.

Benchmarks, not tests: nothing here passes or fails on a number. Every stack it deploys is
destroyed, also when a step fails.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

if __package__ in (None, ""):  # run as a script (`python bench/run.py`): the checkout's root for `bench.`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import pipeline_floor, readme  # noqa: E402
from lakehouse.config import RunOptions, env_options, new_stack_id, project_root  # noqa: E402
from lakehouse.kpi.latency import LoadSpec, config_for, run_load  # noqa: E402
from lakehouse.pipeline.runner import run_pipeline  # noqa: E402
from lakehouse.stack import Deployment, Lifecycle  # noqa: E402

ROOT = project_root()


def log(message: str) -> None:
    print(f"[bench {datetime.now(UTC).strftime('%H:%M:%S')}] {message}", flush=True)


def features_run(work: Path) -> dict[str, Any]:
    """`pytest features/` as `make smoke` runs it, with its own reports dir; split by its evidence."""
    reports = work / "features-reports"
    argv = [sys.executable, "-m", "pytest", "features/", "-q", "-p", "no:cacheprovider", "--reports-dir", str(reports)]
    started = time.monotonic()
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    wall = time.monotonic() - started
    evidence = json.loads((reports / "evidence.json").read_text()) if (reports / "evidence.json").exists() else {}
    return {
        "command": " ".join(argv[2:]),
        "exit_code": proc.returncode,
        **split_features(evidence, wall),
        "output_tail": proc.stdout.strip().splitlines()[-3:],
    }


def split_features(evidence: dict[str, Any], wall: float) -> dict[str, Any]:
    """Where a features run's wall time went, from its evidence.json.

    A check's ``duration_s`` runs from its set-up, so the first check that ran also holds the
    session's deploy, and EXIT-2 the pipeline (both session fixtures): those are taken out of
    ``checks_net_s`` and shown as phases, so nothing is counted twice.
    """
    checks = {c["id"]: c for c in evidence.get("checks", [])}
    stopwatch = (checks.get("EXIT-1") or {}).get("details", {}).get("phases_s", {})
    pipeline = float(((checks.get("EXIT-2") or {}).get("details", {}).get("pipeline") or {}).get("seconds") or 0.0)
    destroy = sum(t.get("destroy_s") or 0 for t in evidence.get("run", {}).get("teardown", []))
    ran = sorted((c for c in checks.values() if c.get("status") != "skipped"), key=lambda c: c.get("started_at") or "")
    net = {c["id"]: float(c.get("duration_s") or 0.0) for c in ran}
    deploy = sum(stopwatch.values())
    if ran and net[ran[0]["id"]] >= deploy:
        net[ran[0]["id"]] -= deploy
    if net.get("EXIT-2", 0.0) >= pipeline:
        net["EXIT-2"] -= pipeline
    phases = {**stopwatch, "pipeline": pipeline, "terraform_destroy": round(destroy, 3)}
    return {
        "wall_s": round(wall, 2),
        "verdict": evidence.get("run", {}).get("verdict"),
        "statuses": {cid: c.get("status") for cid, c in checks.items()},
        "phases_s": {k: round(v, 3) for k, v in phases.items()},
        "checks_net_s": {k: round(v, 3) for k, v in net.items()},
        "other_s": round(wall - sum(phases.values()) - sum(net.values()), 2),
    }


def with_stack(work: Path, body: Callable[[Deployment], dict[str, Any]]) -> dict[str, Any]:
    """Deploy a fresh local stack, run ``body`` on it, destroy it (always); times every phase."""
    values = {**env_options(), "stack_id": new_stack_id(), "reports_dir": work / "reports"}
    options = RunOptions(**values)  # type: ignore[arg-type]
    life = Lifecycle(options)
    dep = life.up()
    try:
        if not dep.ok:
            raise RuntimeError(f"deploy of {options.stack_id} failed: {dep.error}")
        phases = {k: round(v, 3) for k, v in dep.stopwatch.phases.items()}
        result = body(dep)
    finally:
        down = life.down(force=True)
    result["deploy_phases_s"] = phases
    result["terraform_destroy_s"] = round(down.wall_s, 3) if down else None
    result["stack_id"] = options.stack_id
    return result


def floor_run(work: Path) -> dict[str, Any]:
    return with_stack(work, lambda dep: {})


def workload(work: Path, rows: int, load_seconds: float) -> dict[str, Any]:
    """Latency (sample data) then throughput (N orders) on one fresh stack; N orders generated meanwhile."""
    data = work / f"orders-{rows}"
    gen_started = time.monotonic()
    gen = subprocess.Popen(
        [sys.executable, "-m", "lakehouse.pipeline.datagen", "--rows", str(rows), "--out", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def body(dep: Deployment) -> dict[str, Any]:
        target, outputs = dep.stack.target, dep.record.outputs
        sample = run_pipeline(target, outputs)
        if not sample.ok:
            raise RuntimeError(f"the sample pipeline failed: {sample.error}")
        # The generator is a CPU-heavy neighbour: latency is measured only after it ends (it overlaps the deploy).
        log("waiting for the order generator before timing queries")
        waited = time.monotonic()
        out, _ = gen.communicate()
        if gen.returncode != 0:
            raise RuntimeError(f"datagen failed: {out}")
        gen_s, gen_wait_s = time.monotonic() - gen_started, time.monotonic() - waited
        latency: dict[str, Any] = {}
        config = config_for(target, outputs)
        for users in (1, 10, 50):
            log(f"query latency, {users} user(s), {load_seconds:g} s")
            load_avg = list(os.getloadavg())
            stats = run_load(config, LoadSpec(users, load_seconds), work / f"load-{users}")
            summary = {k: v for k, v in stats.summary().items() if k != "by_query"}
            latency[f"{users}_users"] = {**summary, "load_avg_at_start": [round(x, 2) for x in load_avg]}
        latency["floor_bare_duckdb"] = query_floor(target, outputs, config.timed)
        p50_1 = (latency["1_users"].get("wall_percentiles_ms") or {}).get("50")
        if p50_1 and latency["floor_bare_duckdb"]["p50_ms"]:
            latency["1_user_p50_over_floor"] = round(p50_1 / latency["floor_bare_duckdb"]["p50_ms"], 1)
        log(f"pipeline on {rows:,} orders")
        landing_s: list[float] = []
        big = run_pipeline(target, outputs, data_dir=data, landing_listeners=[lambda _d, _f, s: landing_s.append(s)])
        if not big.ok:
            raise RuntimeError(f"the pipeline failed on {rows} orders: {big.error}")
        orders = big.row_counts.get("bronze.orders_csv", rows)
        log("pipeline floor: the same SQL in bare DuckDB on the same CSVs")
        sql_floor = pipeline_floor.run(data)
        floor_s = duckdb_floor(data, work / "parquet")
        csv_mb = sum(p.stat().st_size for p in data.glob("*.csv")) / 1e6
        return {
            "query_latency_sample_data": latency,
            "emulator_peak_rss_mb": peak_rss_mb(dep.emulator.pid if dep.emulator else None),
            "emulator_peak_rss_how": "VmHWM of /proc/<emulator pid>/status (the kernel's peak RSS; psutil has none)",
            "pipeline_throughput": pipeline_figures(orders, csv_mb, gen_s, big, sum(landing_s), sql_floor, floor_s),
            "datagen_wait_s (after the deploy, before timing queries)": round(gen_wait_s, 2),
        }

    try:
        return with_stack(work, body)
    finally:
        if gen.poll() is None:
            gen.kill()
            gen.wait()


def pipeline_figures(
    orders: int,
    csv_mb: float,
    gen_s: float,
    big: Any,
    landing_s: float,
    sql_floor: pipeline_floor.FloorRun,
    csv_floor_s: float,
) -> dict[str, Any]:
    """The pipeline's run next to its floors (its SQL in bare DuckDB, with and without the accounting it runs
    after its statements; CSV -> Parquet), with the ratios, and the run split into landing, statements and
    the rest (the duplicate-key check before, counts and the accounting after)."""
    compared = {name: (big.row_counts.get(name), count) for name, count in sql_floor.row_counts.items()}
    statements_s = sum((st.get("wall_ms") or 0) for st in big.statements) / 1000
    with_accounting_s = sql_floor.seconds + sql_floor.accounting_seconds
    return {
        "orders_rows": orders,
        "csv_mb": round(csv_mb, 1),
        "datagen_s (concurrent with the deploy)": round(gen_s, 2),
        "pipeline_s": round(big.seconds, 2),
        "pipeline_rows_per_s": round(orders / big.seconds),
        "pipeline_statements": len(big.statements),
        "pipeline_statements_s": round(statements_s, 2),
        "pipeline_landing_s": round(landing_s, 2),
        "pipeline_other_s (duplicate keys before, counts and accounting after)": round(
            big.seconds - statements_s - landing_s, 2
        ),
        "pipeline_statements_over_sql_floor": round(statements_s / sql_floor.seconds, 1) if sql_floor.seconds else None,
        "pipeline_slowest_statements": [
            {"job": st.get("job"), "seconds": round((st.get("wall_ms") or 0) / 1000, 3)}
            for st in sorted(big.statements, key=lambda st: -(st.get("wall_ms") or 0))[:5]
        ],
        "floor_pipeline_sql_bare_duckdb_s": round(sql_floor.seconds, 2),
        "floor_pipeline_sql_rows_per_s": round(orders / sql_floor.seconds) if sql_floor.seconds else None,
        "pipeline_over_sql_floor": round(big.seconds / sql_floor.seconds, 1) if sql_floor.seconds else None,
        "floor_pipeline_sql_what": pipeline_floor.__doc__.splitlines()[0] if pipeline_floor.__doc__ else "",
        "floor_accounting_bare_duckdb_s": round(sql_floor.accounting_seconds, 2),
        "floor_accounting_problems": sql_floor.accounting_problems[:5],
        "floor_pipeline_sql_and_accounting_s": round(with_accounting_s, 2),
        "pipeline_over_sql_and_accounting_floor": round(big.seconds / with_accounting_s, 1)
        if with_accounting_s
        else None,
        "floor_row_counts_match": all(a == b for a, b in compared.values() if a is not None),
        "floor_row_counts": sql_floor.row_counts,
        "floor_slowest_statements": sorted(sql_floor.statements, key=lambda s: -s["seconds"])[:5],
        "duckdb_csv_to_parquet_s": round(csv_floor_s, 2),
        "duckdb_rows_per_s": round(orders / csv_floor_s),
        "pipeline_over_floor": round(big.seconds / csv_floor_s, 1),
        "row_counts": big.row_counts,
    }


def query_floor(target: Any, outputs: dict[str, Any], queries: dict[str, str], rounds: int = 30) -> dict[str, Any]:
    """The timed SQL (demo and reference queries) in bare DuckDB over the same Iceberg snapshots (read once, as
    native tables): per-query times."""
    import sqlglot

    from lakehouse.iceberg import catalog

    gold = str(outputs["glue_database_names"]["gold"])
    iceberg = catalog(target)
    con = duckdb.connect()
    con.execute(f'CREATE SCHEMA "{gold}"')
    for name in iceberg.list_tables(gold):
        con.register("__load", iceberg.load_table(name).scan().to_arrow())
        con.execute(f'CREATE TABLE "{gold}"."{name[-1]}" AS SELECT * FROM __load')
        con.unregister("__load")
    translated = {q: sqlglot.transpile(sql, read="athena", write="duckdb")[0] for q, sql in queries.items()}
    times: list[float] = []
    for _ in range(rounds):
        for sql in translated.values():
            started = time.perf_counter()
            con.execute(sql).fetchall()
            times.append((time.perf_counter() - started) * 1000)
    con.close()
    times.sort()
    return {
        "queries": len(times),
        "p50_ms": round(times[len(times) // 2], 2),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 2),
        "what": "the demo and reference SQL (sqlglot athena -> duckdb), one DuckDB connection, "
        "native copies of the gold tables",
        "method": "pyiceberg scan -> Arrow -> DuckDB table, read once (DuckDB's iceberg extension is not "
        "installable offline: it downloads from extensions.duckdb.org)",
    }


def peak_rss_mb(pid: int | None) -> float | None:
    """A process's peak resident memory (Linux VmHWM), None when it cannot be read."""
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def duckdb_floor(data: Path, out: Path) -> float:
    """DuckDB straight from the same CSVs to Parquet: what the pipeline's work costs with nothing around it."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    started = time.monotonic()
    for name in ("users", "orders"):
        con.execute(
            f"COPY (SELECT * FROM read_csv('{data / (name + '.csv')}', header=true, all_varchar=true, "
            f"null_padding=true, ignore_errors=true)) TO '{out / (name + '.parquet')}' (FORMAT parquet)"
        )
    seconds = time.monotonic() - started
    con.close()
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench.json")
    parser.add_argument("--rows", type=int, default=1_000_000, help="generated orders for the throughput run")
    parser.add_argument("--load-seconds", type=float, default=10.0, help="seconds of Locust load per user count")
    parser.add_argument("--skip-features", action="store_true", help="leave out the `pytest features/` run")
    parser.add_argument(
        "--workload-only",
        action="store_true",
        help="only the workload stack (query latency, pipeline and their floors): no features run, no Terraform floor",
    )
    parser.add_argument(
        "--render-readme", type=Path, metavar="BENCH_JSON", help="rewrite README.md's performance table from it"
    )
    parser.add_argument("--check", action="store_true", help="with --render-readme: only check, exit 1 if stale")
    args = parser.parse_args(argv)
    if args.render_readme is not None:
        held = readme.update(ROOT / "README.md", json.loads(args.render_readme.read_text()), check=args.check)
        if args.check:
            print("README.md's performance table is " + ("current" if held else f"stale: render {args.render_readme}"))
            return 0 if held else 1
        print(f"README.md's performance table rendered from {args.render_readme}")
        return 0

    started = time.monotonic()
    bench: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": readme.machine(),
        "note": "one run; other processes on the machine (load_avg_at_start) skew every number",
    }
    with tempfile.TemporaryDirectory(prefix="lakehouse-bench-") as tmp:
        work = Path(tmp)
        if not args.skip_features and not args.workload_only:
            log("pytest features/ (the full local verification)")
            bench["features_run"] = features_run(work)
        if not args.workload_only:
            log("floor: terraform apply + destroy of infra/ on a fresh emulator, nothing else")
            floor = floor_run(work)
            apply_s, destroy_s = floor["deploy_phases_s"]["terraform_apply"], floor["terraform_destroy_s"] or 0.0
            floor["floor_apply_plus_destroy_s"] = round(apply_s + destroy_s, 2)
            if "features_run" in bench:
                floor["features_over_floor"] = round(bench["features_run"]["wall_s"] / (apply_s + destroy_s), 2)
            bench["terraform_floor"] = floor
        log("workload stack: query latency (1 and 10 users), pipeline throughput")
        bench["workload"] = workload(work, args.rows, args.load_seconds)
    bench["total_s"] = round(time.monotonic() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(bench, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(bench, indent=2))
    log(f"wrote {args.out} ({bench['total_s']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
