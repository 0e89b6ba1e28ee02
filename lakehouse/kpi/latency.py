"""KPI p95 query latency < 200 ms: Locust users run the demo and the reference queries through pyathena.

The demo queries are the stack's own text (a ``LIMIT 1`` over Gold is fast whatever Gold's layout costs);
the reference queries are the harness's (``lakehouse.kpi.reference``: every row and column of each Gold
table the contracts require). Both run in the same load; each query's own p95 is judged (a slow query among many
fast ones hides under a pooled p95), on at least ``min_per_query`` samples of it, and a reason names the query.

Locust is never imported here: its gevent monkey-patching breaks pytest, moto and pyiceberg
threads in the same process. ``run_load`` starts ``python -m lakehouse.kpi.loadrun`` (which
loads ``fixtures/load/locustfile.py``, the same file ``locust -f`` runs by hand) and reads
the JSON it writes: Locust's own statistics plus every request as a raw sample. Percentiles
are computed from the raw samples (nearest rank), Locust's bucketed ones are kept beside them.

Robust on a busy machine: each user's first queries are warm-up (recorded, not judged), and the
run lasts until a minimum number of measured queries is in (fewer is no verdict). On the local target each
sample is judged without the time its threads waited for a CPU behind other processes (``lakehouse.cpuwait``: the
emulator's request thread and the load generator's own), so a neighbour keeping the cores busy does not turn a
healthy stack red; what the query path itself spends (CPU, I/O, locks) stays in. The wall-clock figures are
kept beside them. The KPI's load
generator runs at the server's CPU priority (``KpiSettings.load_nice`` 0): niced, it is starved by
any neighbour at normal priority and its samples time its own waiting; ``make bench``'s heavier
loads (up to 50 users) nice it (``LoadSpec.nice``) so that it does not starve the server. Every
exception a user raised and every user that did not start fail the KPI, named. A query still running when
the load stops is reported unfinished (the locustfile's ``on_stop``): once it has run the threshold it counts
at that time, and a timed query with no measured latency at all is no verdict: a Gold table slower than the
load would otherwise be dropped unseen while the cheap queries met the minimum.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lakehouse.athena import KEEP_ROWS, QueryRecord
from lakehouse.config import project_root
from lakehouse.cpuwait import wait_figure
from lakehouse.kpi.pressure import PressureWindow
from lakehouse.kpi.reference import PREFIX as REFERENCE_PREFIX
from lakehouse.kpi.reference import query_set
from lakehouse.outcome import Outcome
from lakehouse.target import Target

LOCUSTFILE = project_root() / "fixtures" / "load" / "locustfile.py"
CONFIG_ENV = "LAKEHOUSE_LOAD_CONFIG"
AWS_NOTE = (
    "On aws, Athena's own queueing, planning and pyathena's polling (0.5 s) dominate: a small query "
    "takes 1-5 s end to end, so this KPI measures Athena's service latency more than the lakehouse."
)
LOCAL_NOTE = (
    "Local target: this measures the harness's own query path on this machine, not Athena: the emulator "
    "(moto + DuckDB over the Iceberg tables, its own process) answers pyathena, which polls every 50 ms. "
    "It guards the local loop's speed; it says nothing about Athena's latency on AWS. Each user's first "
    "queries are warm-up, not judged; each sample is judged without the time the emulator's request thread and "
    "the load generator waited for a CPU behind other processes (cpu_wait_ms: this machine's contention, not the "
    "query path's); the wall-clock percentiles are beside them (wall_percentiles_ms), with the load generator's "
    "nice and the CPU pressure."
)


def latency_ms(sample: dict[str, Any]) -> float:
    """A sample's latency as judged: its wall time less the CPU wait its threads reported (``cpu_wait_ms``, local
    target only), never below zero; a sample without one (AWS, an unfinished query) is its wall time."""
    wall = float(sample["ms"])
    wait = wait_figure(sample)
    return max(0.0, wall - wait) if wait is not None and wait > 0 else wall


@dataclass
class LoadConfig:
    """What a Locust user needs to reach the stack's Athena: target, workgroup, the queries to time.

    ``queries`` are the stack's demo queries; ``reference`` the harness's own (``lakehouse.kpi.reference``:
    every row and column of each Gold table the contracts require), timed in the same load, with
    ``reference_counts`` (each table's ``count(*)``, run untimed) and ``reference_problems`` (a required
    table with no reference query: not in Glue, no columns). ``database`` is the session's database every
    query runs in (``connect``): the demo's (``demo_database``, Gold), as ``run_demo_queries.sh`` runs them.
    """

    target: dict[str, Any]
    work_group: str
    queries: dict[str, str]
    reference: dict[str, str] = field(default_factory=dict)
    reference_counts: dict[str, str] = field(default_factory=dict)
    reference_problems: list[str] = field(default_factory=list)
    database: str = "default"

    @property
    def timed(self) -> dict[str, str]:
        """Every query the Locust users run: the demo queries and the reference queries."""
        return {**self.queries, **self.reference}

    def make_target(self) -> Target:
        return Target(**self.target)

    def connect(self) -> Any:
        """A connection to the stack's workgroup with ``database`` as the session's: the verifier's session. In
        Athena's ``default`` a table the demo names without a database was another table than the one
        ``run_demo_queries.sh`` reads (a one-row ``default.users`` timed instead of Gold's)."""
        from lakehouse.athena import connect

        return connect(self.make_target(), self.work_group, schema=self.database)

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def read(cls, path: Path) -> LoadConfig:
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def config_for(target: Target, outputs: dict[str, Any]) -> LoadConfig:
    """The load configuration of a deployed stack: its demo queries, rendered for it, and the reference
    queries over its Gold tables, their columns read back from Glue (GetTable)."""
    from lakehouse.kpi.reference import count_sql, reference_queries, required_gold_columns, required_gold_tables
    from lakehouse.pipeline.demo import demo_database, demo_queries

    gold_db = str(outputs["glue_database_names"]["gold"])
    demos = demo_queries(outputs)
    database = demo_database(outputs)
    read_by_demos: dict[str, list[str]] = {}
    for name, read in gold_reads(demos, gold_db, database)[0].items():
        for qualified in read:
            read_by_demos.setdefault(qualified.split(".", 1)[1], []).append(name)
    reference, problems = reference_queries(
        target.client("glue"), gold_db, required_gold_tables(), read_by_demos, required_gold_columns()
    )
    problems += [
        f"demo query {n} is named as the harness's reference queries are ({REFERENCE_PREFIX}...)"
        for n in demos
        if n.startswith(REFERENCE_PREFIX)
    ]
    return LoadConfig(
        target={
            "name": target.name,
            "region": target.region,
            "endpoint_url": target.endpoint_url,
            "profile": target.profile,
        },
        work_group=str(outputs["athena_workgroup_name"]),
        queries=demos,
        reference=reference,
        reference_counts={name: count_sql(gold_db, name.removeprefix(REFERENCE_PREFIX)) for name in reference},
        reference_problems=problems,
        database=database,
    )


def config_from_env() -> LoadConfig:
    """For the locustfile: ``LAKEHOUSE_LOAD_CONFIG``, else the stack ``make up`` left running."""
    if path := os.environ.get(CONFIG_ENV):
        return LoadConfig.read(Path(path))
    from lakehouse.config import RunOptions, env_options
    from lakehouse.stack import Lifecycle, list_records

    values = env_options()
    options = RunOptions(**values)  # type: ignore[arg-type]
    if "stack_id" not in values:
        records = [r for r in list_records(options) if r.status == "deployed"]
        if len(records) != 1:
            known = ", ".join(r.stack_id for r in records) or "none (run `make up` first)"
            raise SystemExit(f"set LAKEHOUSE_STACK_ID or {CONFIG_ENV}; deployed stacks: {known}")
        options = RunOptions(**{**values, "stack_id": records[0].stack_id})  # type: ignore[arg-type]
    dep = Lifecycle(options).attach()
    return config_for(dep.stack.target, dep.record.outputs)


@dataclass
class LoadSpec:
    """Users, the least seconds of load, warm-up queries per user, the least measured queries (in all and of each
    query), a time cap."""

    users: int
    seconds: float
    spawn_rate: float | None = None
    warmup: int = 0
    min_samples: int = 0
    max_seconds: float | None = None
    nice: int = 10
    min_per_query: int = 0

    def __post_init__(self) -> None:
        if self.users < 1:
            raise ValueError(f"load test users must be >= 1, got {self.users}")
        if self.seconds <= 0:
            raise ValueError(f"load test seconds must be > 0, got {self.seconds}")
        if self.warmup < 0 or self.min_samples < 0 or self.min_per_query < 0:
            raise ValueError(
                f"warm-up ({self.warmup}), minimum samples ({self.min_samples}) and minimum samples per query "
                f"({self.min_per_query}) must be >= 0"
            )
        if self.max_seconds is not None and self.max_seconds < self.seconds:
            raise ValueError(f"load test max seconds {self.max_seconds} is below its seconds {self.seconds}")

    @property
    def cap_s(self) -> float:
        return self.max_seconds or self.seconds


@dataclass
class LoadStats:
    """What one Locust run measured: every sample (warm-up flagged), and the users that did not start."""

    users: int
    seconds: float
    samples: list[dict[str, Any]]
    locust: dict[str, Any] = field(default_factory=dict)
    wall_s: float = 0.0
    not_started: list[dict[str, Any]] = field(default_factory=list)
    run: dict[str, Any] = field(default_factory=dict)
    #: Share of the run (%) in which some task of this machine waited for a CPU (None without PSI).
    cpu_pressure_pct: float | None = None

    @property
    def measured(self) -> list[dict[str, Any]]:
        """Completed queries after each user's warm-up: what the percentiles are taken over."""
        return [
            s
            for s in self.samples
            if not s.get("warmup") and not s.get("error") and s.get("ms") is not None and not s.get("unfinished")
        ]

    @property
    def unfinished(self) -> list[dict[str, Any]]:
        """Queries still running when the load stopped (the locustfile's ``on_stop``): ``ms`` is how long they had
        run, a lower bound of their latency."""
        return [s for s in self.samples if s.get("unfinished") and s.get("ms") is not None]

    def unfinished_over(self, threshold_ms: float) -> list[dict[str, Any]]:
        """Unfinished queries after the warm-up that had already run ``threshold_ms`` or more: each is a latency
        over the threshold, whatever it would have taken."""
        return [s for s in self.unfinished if not s.get("warmup") and latency_ms(s) >= threshold_ms]

    @property
    def warmup(self) -> list[dict[str, Any]]:
        return [s for s in self.samples if s.get("warmup")]

    @property
    def times_ms(self) -> list[float]:
        return [latency_ms(s) for s in self.measured]

    @property
    def wall_times_ms(self) -> list[float]:
        """The measured queries' wall-clock times, CPU wait included (evidence beside the judged figures)."""
        return [float(s["ms"]) for s in self.measured]

    @property
    def failures(self) -> list[dict[str, Any]]:
        """Every failed query or uncaught exception, warm-up included."""
        return [s for s in self.samples if s.get("error")]

    def silent_users(self) -> list[int]:
        """Users that started but never reported anything (hung or killed before a first query ended: its unfinished
        query is no report)."""
        reported = {s.get("user") for s in self.samples if not s.get("unfinished")}
        reported |= {u.get("user") for u in self.not_started}
        if any(s.get("user") is None for s in self.samples):
            return []  # samples without user ids (an old run): cannot tell
        return [u for u in range(1, self.users + 1) if u not in reported]

    def percentile(self, p: float) -> float | None:
        return percentile(self.times_ms, p)

    def times_by_set(self, threshold_ms: float | None = None) -> dict[str, list[float]]:
        """Measured times per query set (``demo``, ``reference``): each set's p95 is judged on its own. With
        ``threshold_ms``, the unfinished queries already over it count too, at the time they had run."""
        out: dict[str, list[float]] = {}
        over = [] if threshold_ms is None else self.unfinished_over(threshold_ms)
        for s in self.measured + over:
            out.setdefault(query_set(str(s["name"])), []).append(latency_ms(s))
        return dict(sorted(out.items()))

    def summary(self) -> dict[str, Any]:
        times = self.times_ms
        warm = [float(s["ms"]) for s in self.warmup if s.get("ms") is not None]
        return {
            "users": self.users,
            "seconds": self.seconds,
            "requests": len(times),
            "failures": len(self.failures),
            "users_not_started": len(self.not_started),
            "requests_per_s": round(len(times) / self.seconds, 2) if self.seconds else None,
            "percentiles_ms": {str(int(p * 100)): _round(self.percentile(p)) for p in (0.5, 0.95, 0.99)},
            "wall_percentiles_ms": {
                str(int(p * 100)): _round(percentile(self.wall_times_ms, p)) for p in (0.5, 0.95, 0.99)
            },
            "cpu_wait": self.cpu_wait_summary(),
            "min_ms": _round(min(times)) if times else None,
            "max_ms": _round(max(times)) if times else None,
            "warmup": {
                "per_user": self.run.get("warmup_per_user", 0),
                "requests": len(warm),
                "max_ms": _round(max(warm)) if warm else None,
                "p50_ms": _round(percentile(warm, 0.5)),
            },
            "run": self.run,
            "by_query": {
                name: {
                    "requests": len(ts),
                    "p50_ms": _round(percentile(ts, 0.5)),
                    "p95_ms": _round(percentile(ts, 0.95)),
                    "wall_p95_ms": _round(
                        percentile([float(s["ms"]) for s in self.measured if s["name"] == name], 0.95)
                    ),
                }
                for name, ts in _by_name(self.measured).items()
            },
            "by_set": {
                name: {
                    "requests": len(ts),
                    "p50_ms": _round(percentile(ts, 0.5)),
                    "p95_ms": _round(percentile(ts, 0.95)),
                    "queries": sorted({str(s["name"]) for s in self.measured if query_set(str(s["name"])) == name}),
                }
                for name, ts in self.times_by_set().items()
            },
            "locust_percentiles_ms": self.locust.get("percentiles_ms"),
            "cpu_pressure_pct": self.cpu_pressure_pct,
            "unfinished": [
                {k: s.get(k) for k in ("user", "seq", "name", "ms", "warmup", "t_s")} for s in self.unfinished
            ],
        }

    def cpu_wait_summary(self) -> dict[str, Any]:
        """How much of the measured queries' wall time was CPU wait taken out (``latency_ms``), and on how many."""
        waits = [w for s in self.measured if (w := wait_figure(s)) is not None]
        return {
            "samples_with_wait": len(waits),
            "samples": len(self.measured),
            "foreign_share": (self.run.get("cpu_wait_share") or {}).get("foreign_share"),
            "p50_ms": _round(percentile(waits, 0.5)),
            "p95_ms": _round(percentile(waits, 0.95)),
            "max_ms": _round(max(waits)) if waits else None,
        }


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 1)


def _by_name(samples: list[dict[str, Any]]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for s in samples:
        out.setdefault(str(s["name"]), []).append(latency_ms(s))
    return out


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..1); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p * len(ordered)))
    return ordered[rank - 1]


def decisive_slow(n: int) -> int:
    """How many of ``n`` samples at or over a threshold put their nearest-rank p95 over it, whatever the rest took."""
    return n - math.ceil(0.95 * n) + 1


@dataclass(frozen=True)
class QueryLatency:
    """One timed query's own figures: each query's p95 is judged on its own, so a slow query among many fast
    ones (one demo query in 21 is under the 5 % above a pooled p95's rank) cannot hide in its set's figure."""

    name: str
    #: Completed samples after the warm-up, plus unfinished ones already over the threshold (at the time run).
    samples: int
    p50_ms: float | None
    p95_ms: float | None
    #: Samples at or over the threshold.
    slow: int
    unfinished_over: int
    #: The same samples' wall-clock p95 (CPU wait a busy machine added included: ``latency_ms``).
    wall_p95_ms: float | None = None

    def verdict(self, threshold_ms: float, min_samples: int) -> str:
        """``over``, ``too few samples`` (fewer than ``min_samples``: its p95 means nothing yet) or ``ok``. Fewer
        samples than ``min_samples`` are already ``over`` when enough of them are slow (``decisive_slow``)."""
        if min_samples and self.slow >= decisive_slow(min_samples):
            return "over"
        if self.samples < max(min_samples, 1) or self.p95_ms is None:
            return "too few samples"
        return "over" if self.p95_ms >= threshold_ms else "ok"

    def row(self, threshold_ms: float, min_samples: int) -> dict[str, Any]:
        """The evidence's line of the per-query table."""
        return {
            "set": query_set(self.name),
            "requests": self.samples,
            "p50_ms": _round(self.p50_ms),
            "p95_ms": _round(self.p95_ms),
            "wall_p95_ms": _round(self.wall_p95_ms),
            "unfinished_over": self.unfinished_over,
            "verdict": self.verdict(threshold_ms, min_samples),
        }


def query_latencies(stats: LoadStats, threshold_ms: float, names: list[str] | None = None) -> dict[str, QueryLatency]:
    """Each timed query's figures (``names`` and every query sampled), over its measured samples and its unfinished
    ones already over the threshold."""
    over = stats.unfinished_over(threshold_ms)
    timed = _by_name(stats.measured + over)
    out: dict[str, QueryLatency] = {}
    for name in sorted(set(names or []) | set(timed)):
        ts = timed.get(name, [])
        wall = [float(s["ms"]) for s in stats.measured + over if str(s["name"]) == name]
        out[name] = QueryLatency(
            name,
            len(ts),
            percentile(ts, 0.5),
            percentile(ts, 0.95),
            sum(t >= threshold_ms for t in ts),
            sum(str(s["name"]) == name for s in over),
            percentile(wall, 0.95),
        )
    return out


class LoadRunError(RuntimeError):
    """The Locust subprocess failed; the message carries its last output lines."""


def run_load(config: LoadConfig, spec: LoadSpec, work_dir: Path, locustfile: Path = LOCUSTFILE) -> LoadStats:
    """Run Locust headless in its own process, bounded in users and time; return its stats."""
    cfg = config.write(work_dir / "load-config.json")
    out = work_dir / f"locust-{spec.users}u.json"
    argv = [
        sys.executable,
        "-m",
        "lakehouse.kpi.loadrun",
        "--locustfile",
        str(locustfile),
        "--users",
        str(spec.users),
        "--seconds",
        str(spec.seconds),
        "--spawn-rate",
        str(spec.spawn_rate or spec.users),
        "--warmup",
        str(spec.warmup),
        "--min-samples",
        str(spec.min_samples),
        "--max-seconds",
        str(spec.cap_s),
        "--nice",
        str(spec.nice),
        "--min-per-query",
        str(spec.min_per_query),
        *(a for name in sorted(config.timed) for a in ("--query", name)),
        "--out",
        str(out),
    ]
    env = {**os.environ, CONFIG_ENV: str(cfg)}
    started = time.monotonic()
    pressure = PressureWindow().start()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=spec.cap_s + 120)
    wall = time.monotonic() - started
    cpu_pressure = pressure.percent()
    if proc.returncode != 0 or not out.exists():
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-8:])
        raise LoadRunError(f"the Locust run exited with {proc.returncode}: {tail}")
    data = json.loads(out.read_text(encoding="utf-8"))
    return LoadStats(
        spec.users,
        float(data["seconds"]),
        data["samples"],
        data.get("locust", {}),
        wall,
        data.get("not_started", []),
        data.get("run", {}),
        cpu_pressure,
    )


def gold_reads(
    queries: dict[str, str], gold_db: str, database: str | None = None
) -> tuple[dict[str, list[str]], list[str]]:
    """Each demo query's Gold tables, and one problem per query that reads none (its time is not Gold's).

    The demo queries are the stack's own text: ``SELECT 1`` or a row of literals answers in a few
    milliseconds whatever Gold holds, and a p95 over them says nothing about querying Gold; nor does one over
    ``FOR VERSION AS OF`` an early snapshot, or a namesake table in another catalog (as exit check 2 refuses).
    ``database`` is the session's database the queries run in (``LoadConfig.database``; None: Gold, the demo's):
    a table named without a database is there, and a Gold table read so has its reference query too.
    """
    import sqlglot

    from lakehouse.checks.data_loop import gold_read_elsewhere, gold_tables_read

    tables: dict[str, list[str]] = {}
    problems: list[str] = []
    session = database or gold_db
    for name, sql in sorted(queries.items()):
        try:
            tables[name] = gold_tables_read(sql, gold_db, session)
        except sqlglot.errors.SqlglotError as err:
            tables[name] = []
            problems.append(f"demo query {name}: cannot tell which Gold tables it reads ({err})")
            continue
        if not tables[name]:
            problems.append(f"demo query {name} reads no table of Gold ({gold_db}): its latency is not Gold's")
        if elsewhere := gold_read_elsewhere(sql, gold_db, session):  # a past snapshot is not the Gold the pipeline left
            problems.append(
                f"demo query {name} reads Gold elsewhere than as the pipeline left it: {'; '.join(elsewhere)}"
            )
    if not queries:
        problems.append("there are no demo queries: nothing of Gold was measured")
    return tables, problems


def _run_untimed(
    config: LoadConfig, queries: dict[str, str], label: str, keep_rows: int = KEEP_ROWS
) -> dict[str, QueryRecord]:
    """Each query run once, untimed, before the load, on one connection as the load's (``LoadConfig.connect``)."""
    from lakehouse.athena import run

    conn = config.connect()
    try:
        return {name: run(conn, sql, f"{name} ({label})", keep_rows)[0] for name, sql in queries.items()}
    finally:
        conn.close()


def untimed_answers(config: LoadConfig) -> dict[str, QueryRecord]:
    """Each timed query (demo and reference) run once, untimed, before the load, on the stack's workgroup: the
    answer every timed sample of it must give again (``answer_problems``)."""
    return _run_untimed(config, config.timed, "untimed", keep_rows=3)


def untimed_counts(config: LoadConfig) -> dict[str, QueryRecord]:
    """Each reference query's table counted on its own (``SELECT count(*)``), untimed: the rows every answer
    of the reference query must have read."""
    return _run_untimed(config, config.reference_counts, "count")


def _kind(name: str) -> str:
    return f"{query_set(name)} query"


def _first_value(record: QueryRecord) -> Any:
    return record.rows[0][0] if record.ok and record.rows and record.rows[0] else None


def _count_problems(stats: LoadStats, untimed: dict[str, QueryRecord], counts: dict[str, QueryRecord]) -> list[str]:
    """Each reference query must count its table's rows (read untimed), untimed and in every timed sample, and
    the table must have rows: an aggregate over an empty table times nothing of Gold."""
    problems: list[str] = []
    wanted: dict[str, int] = {}
    for name, record in sorted(counts.items()):
        table = name.removeprefix(REFERENCE_PREFIX)
        if not record.ok or not isinstance(_first_value(record), int):
            problems.append(f"the rows of {table} could not be counted untimed: {record.error or 'no count'}")
            continue
        want = wanted[name] = int(_first_value(record))
        if want == 0:
            problems.append(
                f"{_kind(name)} {name} reads an empty table ({table} has 0 rows, query {record.query_execution_id}): "
                "its latency is not that of reading Gold"
            )
        answer = untimed.get(name)
        if answer is not None and answer.ok and _first_value(answer) != want:
            problems.append(
                f"{_kind(name)} {name} counted {_first_value(answer)} row(s) untimed, {table} has {want} "
                f"(query {answer.query_execution_id})"
            )
    for name, want in sorted(wanted.items()):
        samples = [s for s in stats.measured if s["name"] == name]
        other = [s for s in samples if s.get("counted") != want]
        if other:
            first = other[0]
            problems.append(
                f"{len(other)} of {len(samples)} timed samples of {name} did not count the {want} row(s) of its "
                f"table (first: user {first.get('user')}, query {first.get('seq')}: counted {first.get('counted')}, "
                f"{first.get('query_execution_id', 'no query id')})"
            )
    return problems


def answer_problems(
    stats: LoadStats, untimed: dict[str, QueryRecord], counts: dict[str, QueryRecord] | None = None
) -> list[str]:
    """A timed query that answers no rows, and timed samples that did not return the rows the same query
    returns untimed, each named: a p95 over empty or cut-short answers times nothing of Gold. With ``counts``
    (``untimed_counts``), each reference query must also count its table's rows (``_count_problems``).

    ``SELECT * FROM gold.daily_revenue WHERE false`` (``LIMIT 0``, ``HAVING false``, a join against an
    empty CTE) reads Gold by name and answers nothing in a few milliseconds.
    """
    problems: list[str] = []
    for name, record in sorted(untimed.items()):
        if not record.ok:
            problems.append(f"{_kind(name)} {name} failed when run untimed: {record.error}")
        elif not record.row_count:
            problems.append(
                f"{_kind(name)} {name} returns no rows (run untimed, query {record.query_execution_id}): "
                "its latency is that of an empty answer, not of reading Gold"
            )
    by_name: dict[str, list[dict[str, Any]]] = {}
    for sample in stats.measured:
        by_name.setdefault(str(sample["name"]), []).append(sample)
    for name, samples in sorted(by_name.items()):
        if name not in untimed:
            problems.append(f"{len(samples)} timed sample(s) of {name}, which is not a demo or reference query")
            continue
        want = untimed[name].row_count
        other = [s for s in samples if s.get("rows") != want]
        if other and untimed[name].ok:
            first = other[0]
            problems.append(
                f"{len(other)} of {len(samples)} timed samples of {name} did not return the {want} row(s) it "
                f"returns untimed (first: user {first.get('user')}, query {first.get('seq')}: "
                f"{first.get('rows')} row(s), {first.get('query_execution_id', 'no query id')})"
            )
    if counts is not None:
        problems += _count_problems(stats, untimed, counts)
    return problems


def unmeasured(stats: LoadStats, timed: list[str], threshold_ms: float) -> list[str]:
    """One line per timed query with no measured latency: no completed sample after the warm-up and no unfinished
    one already over the threshold. A query slower than the load is still running when Locust stops the users;
    judging the others alone would pass a stack whatever that query costs."""
    known = {str(s["name"]) for s in stats.measured + stats.unfinished_over(threshold_ms)}
    lines = []
    for name in sorted(set(timed) - known):
        running = [s for s in stats.unfinished if s["name"] == name]
        when = ", ".join(f"user {s.get('user')} after {float(s['ms']):.0f} ms" for s in running)
        state = f"still running when the load stopped ({when})" if running else "never completed after the warm-up"
        lines.append(f"{_kind(name)} {name} has no measured latency: {state}")
    return lines


def _over_line(query: QueryLatency, threshold_ms: float, min_samples: int) -> str:
    """Why one query's own p95 is over the threshold, naming it."""
    head = f"{_kind(query.name)} {query.name}"
    if query.samples >= max(min_samples, 1) and query.p95_ms is not None:
        return (
            f"{head}: p95 latency {round(query.p95_ms, 1):g} ms is not under {threshold_ms:g} ms "
            f"({query.samples} samples, p50 {round(query.p50_ms or 0.0, 1):g} ms)"
        )
    return (
        f"{head}: {query.slow} of {query.samples} samples took {threshold_ms:g} ms or more: its p95 over "
        f"{min_samples} samples is not under {threshold_ms:g} ms whatever the missing "
        f"{min_samples - query.samples} take"
    )


def _over_reason(
    stats: LoadStats, over: list[QueryLatency], context: str, threshold_ms: float, min_samples: int, local: bool
) -> str:
    """Each query whose own p95 is over, named; beside them each set's pooled p95 (what they would hide in)."""
    said = "; ".join(_over_line(q, threshold_ms, min_samples) for q in over)
    pooled = ", ".join(
        f"{name} {round(percentile(ts, 0.95) or 0.0, 1):g} ms" for name, ts in stats.times_by_set(threshold_ms).items()
    )
    busy = ""
    if local and stats.cpu_pressure_pct is not None:
        waits = stats.cpu_wait_summary()
        taken = (
            f", and each sample's CPU wait caused by other processes is already taken out (p95 {waits['p95_ms']:g} ms)"
            if waits["samples_with_wait"]
            else ": the local figure times this machine as much as the query path"
        )
        busy = (
            f"; during the load some task of this machine waited for a CPU {stats.cpu_pressure_pct:g} % of the "
            f"time{taken}"
        )
    if slow_unfinished := len(stats.unfinished_over(threshold_ms)):
        busy += f"; {slow_unfinished} query(ies) still running at the end counted at the time they had run"
    return f"{said}; pooled p95 per set: {pooled} ({context}){busy}"


def reuse_problems(stats: LoadStats, untimed: dict[str, QueryRecord] | None = None) -> list[str]:
    """Answers that may not come from running the query, named: a reused or cached answer is fetched in
    milliseconds whatever reading Gold costs. Athena's result reuse (answered from a previous result, or started
    with reuse enabled: a per-query setting, no workgroup setting turns it on), and a query execution answering
    a second sample (a client-side cache, such as pyathena's ``cache_size``, hands back an earlier execution
    whose result Athena did not reuse). The harness never asks for either (``lakehouse.athena.connect``); this
    says so if a connection ever does."""
    problems = []
    if enabled := [s for s in stats.samples if s.get("result_reuse_enabled")]:
        first = enabled[0]
        problems.append(
            f"{len(enabled)} of {len(stats.samples)} timed samples were started with Athena's result reuse enabled "
            f"(first: {first.get('name')}, user {first.get('user')}, query {first.get('seq')}, "
            f"{first.get('query_execution_id', 'no query id')}): their answers may be a previous result, and the "
            "KPI times queries run afresh"
        )
    problems += repeated_executions(stats, untimed or {})
    if reused := [s for s in stats.samples if s.get("reused_previous_result")]:
        first = reused[0]
        problems.append(
            f"{len(reused)} of {len(stats.samples)} timed samples were answered from a previous result (Athena's "
            f"result reuse), not run (first: {first.get('name')}, user {first.get('user')}, query {first.get('seq')}, "
            f"{first.get('query_execution_id', 'no query id')})"
        )
    for name, record in sorted((untimed or {}).items()):
        if record.reused_previous_result:
            problems.append(
                f"{_kind(name)} {name} was answered untimed from a previous result ({record.query_execution_id})"
            )
        elif record.result_reuse_enabled:
            problems.append(
                f"{_kind(name)} {name} was run untimed with Athena's result reuse enabled ({record.query_execution_id})"
            )
    return problems


def repeated_executions(stats: LoadStats, untimed: dict[str, QueryRecord]) -> list[str]:
    """Samples answered by a query execution that had already answered another sample or an untimed run: that
    sample's query was not run, its time is that of fetching a result (no latency of Gold's)."""
    seen = {r.query_execution_id: f"the untimed run of {n}" for n, r in untimed.items() if r.query_execution_id}
    repeats: list[tuple[dict[str, Any], str]] = []
    for s in stats.samples:
        qid = s.get("query_execution_id")
        if not qid or s.get("error") or s.get("unfinished"):
            continue
        if qid in seen:
            repeats.append((s, seen[qid]))
        else:
            seen[qid] = f"user {s.get('user')}, query {s.get('seq')}"
    if not repeats:
        return []
    first, earlier = repeats[0]
    return [
        f"{len(repeats)} of {len(stats.samples)} timed samples were answered by a query execution that had already "
        f"answered (first: {first.get('name')}, user {first.get('user')}, query {first.get('seq')}: "
        f"{first.get('query_execution_id')}, as {earlier}): not run afresh, a cached answer"
    ]


def _failure_problems(stats: LoadStats) -> list[str]:
    """Users that did not start, silent users and failed queries, each named: any of them fails the KPI."""
    problems = []
    if stats.not_started:
        first = stats.not_started[0]
        problems.append(
            f"{len(stats.not_started)} of {stats.users} Locust users did not start "
            f"(user {first.get('user')} {first.get('class', '')}: {first['error']})"
        )
    if silent := stats.silent_users():
        problems.append(f"Locust user(s) {', '.join(map(str, silent))} started but reported no query")
    if failures := stats.failures:
        kinds = sorted({str(f["error"]).split(":", 1)[0] for f in failures})
        first = failures[0]
        problems.append(
            f"{len(failures)} of {len(stats.samples)} queries failed ({', '.join(kinds)}; "
            f"first: {first['name']}: {first['error']})"
        )
    return problems


def judge_latency(
    stats: LoadStats,
    threshold_ms: float,
    target_is_local: bool,
    min_samples: int = 0,
    gold: tuple[dict[str, list[str]], list[str]] | None = None,
    untimed: dict[str, QueryRecord] | None = None,
    counts: dict[str, QueryRecord] | None = None,
    reference_problems: list[str] | None = None,
    min_per_query: int = 0,
) -> Outcome:
    """Pass when no user failed to start, no query failed, enough queries were measured and the p95 of each
    timed query (each demo query, each reference query) is under.

    ``counts`` is ``untimed_counts``: with it, the reference queries must have been timed and must count
    their tables' rows (``answer_problems``); ``reference_problems`` (``LoadConfig.reference_problems``: a
    Gold table the contracts require with no reference query) fail the KPI. Each query is judged on its own
    p95 (``query_latencies``), and ``measured`` is the worst query's: one slow query among twenty fast ones is
    under the 5 % above the 95th rank of their pooled samples, unseen by a pooled p95 (a set's or all of them).
    A query with fewer than ``min_per_query`` samples has no verdict (``error``), unless enough of them are
    already over the threshold (``decisive_slow``).

    ``gold`` is ``gold_reads`` of the demo queries: a query that reads no Gold table fails the KPI.
    ``untimed`` is ``untimed_answers``: a demo query answering no rows, or a timed sample that did not
    return the rows its query returns untimed, fails it (``answer_problems``).

    Fewer measured queries than ``min_samples`` is no verdict (``error``), unless so many are
    already over the threshold that the p95 of ``min_samples`` queries would be over whatever
    the missing ones took.
    """
    summary = stats.summary()
    details: dict[str, Any] = {
        "unit": "ms",
        **summary,
        "min_samples": min_samples,
        "note": LOCAL_NOTE if target_is_local else AWS_NOTE,
        "failed_samples": stats.failures[:20],
        "not_started": stats.not_started,
    }
    off_gold: list[str] = []
    if gold is not None:
        details["gold_tables_read"], off_gold = gold
    times = stats.times_ms
    p95 = stats.percentile(0.95)
    measured = None if p95 is None else round(p95, 1)
    context = (
        f"{len(times)} measured queries, {stats.users} users, {stats.seconds:g} s, "
        f"p50 {summary['percentiles_ms']['50']} ms, {len(stats.warmup)} warm-up queries not judged"
    )
    if (waits := stats.cpu_wait_summary())["samples_with_wait"]:
        details["judged_without_cpu_wait"] = (
            f"each local sample is judged without the CPU wait other processes caused (share "
            f"{waits['foreign_share']} of its threads' run-queue wait, p95 {waits['p95_ms']} ms taken out): "
            f"wall-clock p95 {summary['wall_percentiles_ms']['95']} ms, judged {summary['percentiles_ms']['95']} ms; "
            "each query's wall_p95_ms is beside its p95_ms in by_query"
        )
    unanswered: list[str] = []
    if untimed is not None:
        details["untimed_answers"] = {
            n: {k: v for k, v in r.to_dict().items() if k in ("query_execution_id", "row_count", "error", "wall_ms")}
            for n, r in sorted(untimed.items())
        }
        unanswered = answer_problems(stats, untimed, counts)
    unreferenced = list(reference_problems or [])
    by_set = stats.times_by_set(threshold_ms)
    if counts is not None:
        if counts and "reference" not in by_set and len(times) >= max(min_samples, 1):
            unreferenced.append(
                f"no reference query was measured ({len(times)} measured queries, all demo ones): Gold's own "
                "cost is not in the p95"
            )
        details["reference_counts"] = {
            n: {"query_execution_id": r.query_execution_id, "rows_counted": _first_value(r), "error": r.error}
            for n, r in sorted(counts.items())
        }
    if problems := off_gold + unreferenced + unanswered + reuse_problems(stats, untimed) + _failure_problems(stats):
        return Outcome.judged(False, measured, threshold_ms, "; ".join(problems), details)
    queries = query_latencies(stats, threshold_ms, list(untimed or []))
    details["min_samples_per_query"] = min_per_query
    details["by_query"] = {name: q.row(threshold_ms, min_per_query) for name, q in queries.items()}
    verdicts = {name: q.verdict(threshold_ms, min_per_query) for name, q in queries.items()}
    worst = max((q.p95_ms for q in queries.values() if q.p95_ms is not None), default=None)
    over = [queries[name] for name, v in verdicts.items() if v == "over"]
    if len(times) < max(min_samples, 1):  # no verdict yet but for a query with enough slow samples to decide
        over = [q for q in over if min_per_query and q.slow >= decisive_slow(min_per_query)]
    if over:
        why = _over_reason(stats, over, context, threshold_ms, min_per_query, target_is_local)
        return Outcome.judged(False, None if worst is None else round(worst, 1), threshold_ms, why, details)
    if len(times) < max(min_samples, 1):
        slow = sum(t >= threshold_ms for t in times)
        if min_samples and slow >= decisive_slow(min_samples):
            return Outcome.judged(
                False,
                measured,
                threshold_ms,
                f"{slow} of {len(times)} measured queries took {threshold_ms:g} ms or more: the p95 of "
                f"{min_samples} would be over the threshold whatever the missing {min_samples - len(times)} took "
                f"({context})",
                details,
            )
        return Outcome.error(
            f"only {len(times)} measured queries in {stats.seconds:g} s (the KPI needs {max(min_samples, 1)}; "
            f"stopped by {stats.run.get('stopped_by', '?')}): no verdict, raise LAKEHOUSE_KPI_LOAD_MAX_SECONDS "
            f"or find what slowed the queries ({context})",
            threshold_ms,
            details,
            measured,
        )
    assert worst is not None  # enough measured queries: each has a p95
    measured = round(worst, 1)  # the worst query's own p95
    missing = unmeasured(stats, list(untimed), threshold_ms) if untimed is not None else []
    if missing:
        details["unmeasured"] = missing
    few = [
        f"{_kind(q.name)} {q.name} has {q.samples} measured sample(s), fewer than the {min_per_query} its own p95 needs"
        for name, q in queries.items()
        if verdicts[name] == "too few samples" and q.samples
    ]
    if missing or few:
        return Outcome.error(
            f"{'; '.join(missing + few)}: no verdict without them, raise LAKEHOUSE_KPI_LOAD_MAX_SECONDS or find "
            f"what slows them ({context})",
            threshold_ms,
            details,
            measured,
        )
    return Outcome.judged(True, measured, threshold_ms, None, details)
