"""Profile the two hot paths without Terraform: the demo queries under Locust, and the pipeline vs its floor.

``make bench`` measures on a deployed stack; finding *where* the time goes needs many short runs,
so this starts its own emulator, makes the bare stack the pipeline needs (buckets, Glue databases,
a workgroup: what Terraform creates for it, by plain API calls), loads the committed sample and
then either runs Locust users on the demo queries (``queries``), the pipeline on a data folder
next to its bare-DuckDB floor (``pipeline``), or a fixed number of queries through pyathena with the
emulator's garbage collections counted and timed, start-up objects frozen or not, in turn (``gc``).
``--pyspy FILE`` records the emulator (and, for the pipeline, this process: landing and the client
run here) with py-spy while it runs.

Benchmarks, not tests: numbers to read, nothing passes or fails.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: the checkout's root for `bench.` and `lakehouse.`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import pipeline_floor  # noqa: E402
from lakehouse.athena import run  # noqa: E402
from lakehouse.emulator.gc_tuning import GC_FREEZE_ENV, GC_PATH, GC_STATS_ENV  # noqa: E402
from lakehouse.emulator.process import EmulatorHandle, start_emulator, stop_emulator  # noqa: E402
from lakehouse.kpi.latency import LoadSpec, config_for, run_load  # noqa: E402
from lakehouse.pipeline.runner import run_pipeline  # noqa: E402
from lakehouse.target import Target, local_target  # noqa: E402

#: py-spy is not a dependency of the project (a profiler for this script only): ``PYSPY`` or ``py-spy`` on PATH.
PYSPY_ENV = "PYSPY"
REGION = "ap-northeast-1"


def bare_stack(emulator: EmulatorHandle, name: str = "hot") -> tuple[Target, dict[str, Any]]:
    """``(target, outputs)`` as ``run_pipeline`` takes them: buckets, Glue databases and a workgroup."""
    target = local_target(emulator.endpoint, REGION)
    buckets = {layer: f"{name}-{layer}" for layer in ("bronze", "silver", "gold", "athena-results")}
    databases = {layer: f"{name}_{layer}" for layer in ("bronze", "silver", "gold")}
    s3 = target.client("s3")
    for bucket in buckets.values():
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    for database in databases.values():
        target.client("glue").create_database(DatabaseInput={"Name": database})
    workgroup = f"{name}-wg"
    target.client("athena").create_work_group(
        Name=workgroup,
        Configuration={
            "ResultConfiguration": {"OutputLocation": f"s3://{buckets['athena-results']}/out/"},
            "EnforceWorkGroupConfiguration": True,
        },
    )
    outputs = {
        "glue_database_names": databases,
        "bucket_names": buckets,
        "athena_workgroup_name": workgroup,
        "stack_id": name,
    }
    return target, outputs


@contextmanager
def pyspy(pid: int, out: Path | None, *extra: str) -> Iterator[None]:
    """py-spy recording ``pid`` while the block runs (nothing when ``out`` is None)."""
    if out is None:
        yield
        return
    spy = os.environ.get(PYSPY_ENV) or shutil.which("py-spy")
    if not spy:
        raise SystemExit(f"--pyspy needs py-spy: `pip install py-spy`, or set {PYSPY_ENV} to its path")
    fmt = {".json": "speedscope", ".svg": "flamegraph"}.get(out.suffix, "raw")  # raw: collapsed stacks
    argv = [spy, "record", "--pid", str(pid), "-o", str(out), "-f", fmt, "-r", "200", "--nonblocking", *extra]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield
    finally:
        proc.send_signal(2)
        proc.wait(timeout=60)


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) ``pid`` has used so far, from ``/proc/<pid>/stat``: a figure that, per query,
    does not depend on what else the machine runs (wall-clock latency on a shared machine does)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime (fields 14, 15)


def children_cpu_s() -> float:
    """CPU seconds of this process's waited-for children: the Locust run is one (``run_load`` waits for it)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def uptime() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def queries(args: argparse.Namespace, emulator: EmulatorHandle, work: Path) -> dict[str, Any]:
    target, outputs = bare_stack(emulator)
    sample = run_pipeline(target, outputs)
    assert sample.ok, sample.error
    config = config_for(target, outputs)
    out: dict[str, Any] = {}
    for users in args.users:
        spy = args.pyspy.with_name(f"{args.pyspy.stem}-{users}u{args.pyspy.suffix}") if args.pyspy else None
        load = uptime()
        mode = ["--idle"] if args.idle else [] if args.on_cpu else ["--gil"]
        with pyspy(emulator.pid, spy, *mode):
            emulator_cpu, locust_cpu = process_cpu_s(emulator.pid), children_cpu_s()
            stats = run_load(config, LoadSpec(users, args.seconds, nice=args.nice), work / f"load-{users}")
            emulator_cpu, locust_cpu = process_cpu_s(emulator.pid) - emulator_cpu, children_cpu_s() - locust_cpu
        summary = stats.summary()
        done = len([s for s in stats.samples if s.get("ms") is not None and not s.get("unfinished")])
        out[f"{users}_users"] = {
            "load_avg": load,
            "requests_per_s": summary["requests_per_s"],
            "percentiles_ms": summary["wall_percentiles_ms"],
            "judged_percentiles_ms": summary["percentiles_ms"],  # KPI-p95's: other processes' CPU wait taken out
            "failures": summary["failures"],
            # Load-independent: CPU per completed query (Locust's includes its start-up, the same in every run).
            "queries": done,
            "emulator_cpu_ms_per_query": round(emulator_cpu * 1000 / done, 2) if done else None,
            "locust_cpu_ms_per_query": round(locust_cpu * 1000 / done, 2) if done else None,
        }
        print(json.dumps({f"{users}_users": out[f"{users}_users"]}), flush=True)
    return out


def pipeline(args: argparse.Namespace, emulator: EmulatorHandle, work: Path) -> dict[str, Any]:
    target, outputs = bare_stack(emulator)
    sample = run_pipeline(target, outputs)
    assert sample.ok, sample.error
    load = uptime()
    started = time.monotonic()
    emu_spy = args.pyspy.with_name(f"{args.pyspy.stem}-emulator{args.pyspy.suffix}") if args.pyspy else None
    self_spy = args.pyspy.with_name(f"{args.pyspy.stem}-client{args.pyspy.suffix}") if args.pyspy else None
    from lakehouse.pipeline import runner

    queried: list[tuple[str, float]] = []
    original = runner.run

    def timed(conn: Any, sql: str, *rest: Any, **kw: Any) -> Any:
        began = time.monotonic()
        try:
            return original(conn, sql, *rest, **kw)
        finally:
            queried.append((" ".join(sql.split())[:90], round(time.monotonic() - began, 3)))

    runner.run = timed  # type: ignore[assignment]
    with pyspy(emulator.pid, emu_spy), pyspy(os.getpid(), self_spy):
        big = run_pipeline(
            target,
            outputs,
            data_dir=args.data,
            landing_listeners=[lambda _d, _f, s: queried.append(("(landing)", round(s, 3)))],
        )
    runner.run = original  # type: ignore[assignment]
    wall = time.monotonic() - started
    assert big.ok, big.error
    statements_s = sum((st.get("wall_ms") or 0) for st in big.statements) / 1000
    floor = pipeline_floor.run(args.data) if not args.no_floor else None
    floor_by_job = {st["job"]: st["seconds"] for st in floor.statements} if floor else {}
    result = {
        "load_avg": load,
        "pipeline_s": round(wall, 2),
        "statements_s": round(statements_s, 2),
        "other_s (landing, checks, counts, accounting)": round(wall - statements_s, 2),
        "floor_s": round(floor.seconds, 2) if floor else None,
        "floor_accounting_s": round(floor.accounting_seconds, 2) if floor else None,
        "ratio": round(wall / floor.seconds, 2) if floor else None,
        "statements (job, s, engine s, floor s)": [
            (
                st["job"],
                (st.get("wall_ms") or 0) / 1000,
                (st.get("engine_execution_ms") or 0) / 1000,
                floor_by_job.get(st["job"]),
            )
            for st in big.statements
        ],
        "row_counts": big.row_counts,
        "queries besides the statements (sql, s)": [q for q in queried if q[1] >= 0.05],
    }
    print(json.dumps(result, indent=1), flush=True)
    return result


def gc_stats(emulator: EmulatorHandle, method: str = "GET") -> dict[str, Any]:
    """The emulator's collection totals (``/_lakehouse/gc``); DELETE starts them again."""
    with urllib.request.urlopen(urllib.request.Request(emulator.endpoint + GC_PATH, method=method)) as answer:
        return dict(json.loads(answer.read()))


def gc_run(n: int, freeze: str, work: Path, demo_only: bool = False) -> dict[str, Any]:
    """One emulator (``freeze``: ``LAKEHOUSE_EMULATOR_GC_FREEZE``, off, start or on): the sample loaded, then
    ``n`` queries, one after another on one pyathena connection, with the emulator's collections counted
    over those queries only. The queries are the ones Locust's users run (demo and reference,
    ``LoadConfig.timed``) unless ``demo_only``."""
    os.environ[GC_STATS_ENV] = "on"
    os.environ[GC_FREEZE_ENV] = freeze
    emulator = start_emulator(log_path=work / f"emulator-gc-{freeze}.log")
    try:
        target, outputs = bare_stack(emulator)
        sample = run_pipeline(target, outputs)
        assert sample.ok, sample.error
        config = config_for(target, outputs)
        queries = config.queries if demo_only else config.timed
        names = sorted(queries)
        conn = config.connect()  # the demo's session, as the KPI's load
        try:
            for name in names:  # warm: every query's first run (imports, caches) before counting
                assert run(conn, queries[name], name)[0].ok
            gc_stats(emulator, "DELETE")
            cpu = process_cpu_s(emulator.pid)
            for i in range(n):
                name = names[i % len(names)]
                record = run(conn, queries[name], name)[0]
                assert record.ok, record
            cpu = process_cpu_s(emulator.pid) - cpu
            stats = gc_stats(emulator)
        finally:
            conn.close()
    finally:
        stop_emulator(emulator)
    per_k = 1000 / n
    gens = stats["generations"]
    return {
        "freeze": freeze,
        "queries": n,
        "set": "demo" if demo_only else "demo+reference",
        "load_avg": uptime(),
        "emulator_cpu_ms_per_query": round(cpu * 1000 / n, 2),
        "collections": [g["collections"] for g in gens],
        "gc_cpu_ms_per_1000_queries": round(sum(g["cpu_ms"] for g in gens) * per_k, 1),
        "gc_wall_ms_per_1000_queries": round(sum(g["wall_ms"] for g in gens) * per_k, 1),
        "gc_cpu_ms_per_1000_by_generation": [round(g["cpu_ms"] * per_k, 1) for g in gens],
        "max_pause_cpu_ms": max(g["max_cpu_ms"] for g in gens),
        "max_pause_wall_ms": max(g["max_wall_ms"] for g in gens),
        "frozen": stats["frozen"],
        "tracked_at_end": stats["tracked"],
    }


def gc_compare(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    """Each freeze mode in turn (so a busier spell of the machine falls on all), ``runs`` times each."""
    results = []
    for _ in range(args.runs):
        for freeze in args.modes:
            results.append(gc_run(args.n, freeze, work, args.demo_only))
            print(json.dumps(results[-1]), flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    q = sub.add_parser("queries", help="Locust users on the demo queries (sample data)")
    q.add_argument("--users", type=int, nargs="+", default=[1, 10])
    q.add_argument("--seconds", type=float, default=10.0)
    q.add_argument("--idle", action="store_true", help="py-spy: sample idle threads too")
    q.add_argument("--nice", type=int, default=10, help="the Locust process's nice (0 on a crowded machine)")
    q.add_argument("--on-cpu", action="store_true", help="py-spy: every running thread, not only the GIL's holder")
    p = sub.add_parser("pipeline", help="the pipeline on a data folder, then its floor")
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--no-floor", action="store_true")
    g = sub.add_parser("gc", help="N demo queries, emulator GC counted, start-up objects frozen or not")
    g.add_argument("--n", type=int, default=2000)
    g.add_argument("--runs", type=int, default=3)
    g.add_argument("--demo-only", action="store_true", help="the demo queries only (default: Locust's set)")
    g.add_argument("--modes", nargs="+", default=["off", "on"], help=f"{GC_FREEZE_ENV} values: off, start, on")
    for each in (q, p):
        each.add_argument(
            "--pyspy",
            type=Path,
            help="record py-spy profiles (.svg flame graph, .json speedscope, else collapsed stacks)",
        )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lakehouse-hotpath-") as tmp:
        work = Path(tmp)
        if args.what == "gc":
            gc_compare(args, work)
            return 0
        emulator = start_emulator(log_path=work / "emulator.log")
        try:
            (queries if args.what == "queries" else pipeline)(args, emulator, work)
        finally:
            stop_emulator(emulator)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
