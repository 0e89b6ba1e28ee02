"""KPI p95 query latency < 200 ms: Locust users run the demo queries through pyathena.

Locust is never imported here: its gevent monkey-patching breaks pytest, moto and pyiceberg
threads in the same process. ``run_load`` starts ``python -m lakehouse.kpi.loadrun`` (which
loads ``fixtures/load/locustfile.py``, the same file ``locust -f`` runs by hand) and reads
the JSON it writes: Locust's own statistics plus every request as a raw sample. Percentiles
are computed from the raw samples (nearest rank), Locust's bucketed ones are kept beside them.
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

from lakehouse.config import project_root
from lakehouse.outcome import Outcome
from lakehouse.target import Target

LOCUSTFILE = project_root() / "fixtures" / "load" / "locustfile.py"
CONFIG_ENV = "LAKEHOUSE_LOAD_CONFIG"
AWS_NOTE = (
    "On aws, Athena's own queueing, planning and pyathena's polling (0.5 s) dominate: a small query "
    "takes 1-5 s end to end, so this KPI measures Athena's service latency more than the lakehouse."
)
LOCAL_NOTE = (
    "Local target: the emulator's Athena runs the SQL with DuckDB over the Iceberg tables; pyathena polls every 50 ms."
)


@dataclass
class LoadConfig:
    """What a Locust user needs to reach the stack's Athena: target, workgroup, the queries."""

    target: dict[str, Any]
    work_group: str
    queries: dict[str, str]

    def make_target(self) -> Target:
        return Target(**self.target)

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def read(cls, path: Path) -> LoadConfig:
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def config_for(target: Target, outputs: dict[str, Any]) -> LoadConfig:
    """The load configuration of a deployed stack: its demo queries, rendered for it."""
    from lakehouse.pipeline.demo import demo_queries

    return LoadConfig(
        target={
            "name": target.name,
            "region": target.region,
            "endpoint_url": target.endpoint_url,
            "profile": target.profile,
        },
        work_group=str(outputs["athena_workgroup_name"]),
        queries=demo_queries(outputs),
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
    users: int
    seconds: float
    spawn_rate: float | None = None

    def __post_init__(self) -> None:
        if self.users < 1:
            raise ValueError(f"load test users must be >= 1, got {self.users}")
        if self.seconds <= 0:
            raise ValueError(f"load test seconds must be > 0, got {self.seconds}")


@dataclass
class LoadStats:
    """What one Locust run measured."""

    users: int
    seconds: float
    samples: list[dict[str, Any]]
    locust: dict[str, Any] = field(default_factory=dict)
    wall_s: float = 0.0

    @property
    def times_ms(self) -> list[float]:
        return [float(s["ms"]) for s in self.samples]

    @property
    def failures(self) -> list[dict[str, Any]]:
        return [s for s in self.samples if s.get("error")]

    def percentile(self, p: float) -> float | None:
        return percentile(self.times_ms, p)

    def summary(self) -> dict[str, Any]:
        times = self.times_ms
        return {
            "users": self.users,
            "seconds": self.seconds,
            "requests": len(times),
            "failures": len(self.failures),
            "requests_per_s": round(len(times) / self.seconds, 2) if self.seconds else None,
            "percentiles_ms": {str(int(p * 100)): _round(self.percentile(p)) for p in (0.5, 0.95, 0.99)},
            "min_ms": _round(min(times)) if times else None,
            "max_ms": _round(max(times)) if times else None,
            "by_query": {
                name: {
                    "requests": len(ts),
                    "p50_ms": _round(percentile(ts, 0.5)),
                    "p95_ms": _round(percentile(ts, 0.95)),
                }
                for name, ts in _by_name(self.samples).items()
            },
            "locust_percentiles_ms": self.locust.get("percentiles_ms"),
        }


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 1)


def _by_name(samples: list[dict[str, Any]]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for s in samples:
        out.setdefault(str(s["name"]), []).append(float(s["ms"]))
    return out


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..1); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p * len(ordered)))
    return ordered[rank - 1]


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
        "--out",
        str(out),
    ]
    env = {**os.environ, CONFIG_ENV: str(cfg)}
    started = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=spec.seconds + 120)
    wall = time.monotonic() - started
    if proc.returncode != 0 or not out.exists():
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-8:])
        raise LoadRunError(f"the Locust run exited with {proc.returncode}: {tail}")
    data = json.loads(out.read_text(encoding="utf-8"))
    return LoadStats(spec.users, float(data["seconds"]), data["samples"], data.get("locust", {}), wall)


def judge_latency(stats: LoadStats, threshold_ms: float, target_is_local: bool) -> Outcome:
    """Pass when the p95 of every request is under the threshold and no request failed."""
    summary = stats.summary()
    details: dict[str, Any] = {"unit": "ms", **summary, "note": LOCAL_NOTE if target_is_local else AWS_NOTE}
    p95 = stats.percentile(0.95)
    if p95 is None:
        return Outcome.judged(False, None, threshold_ms, f"no query completed in {stats.seconds:g} s of load", details)
    measured = round(p95, 1)
    if stats.failures:
        first = stats.failures[0]
        return Outcome.judged(
            False,
            measured,
            threshold_ms,
            f"{len(stats.failures)} of {len(stats.samples)} queries failed (first: {first['name']}: {first['error']})",
            details,
        )
    if p95 >= threshold_ms:
        return Outcome.judged(
            False,
            measured,
            threshold_ms,
            f"p95 latency {measured:g} ms is not under {threshold_ms:g} ms "
            f"({summary['requests']} queries, {stats.users} users, p50 {summary['percentiles_ms']['50']} ms)",
            details,
        )
    return Outcome.judged(True, measured, threshold_ms, None, details)
