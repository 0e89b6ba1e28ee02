"""``python -m lakehouse.kpi.loadrun``: one headless, time-bounded Locust run, stats as JSON.

Only ever run as a subprocess (see ``lakehouse.kpi.latency``): importing locust
monkey-patches the process with gevent. Users come from the locustfile, as with
``locust -f``; every request is also kept as a raw sample.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import time
from pathlib import Path
from typing import Any


def _user_classes(locustfile: Path) -> list[type]:
    from locust import User

    spec = importlib.util.spec_from_file_location("lakehouse_locustfile", locustfile)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{locustfile}: cannot be loaded")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = [
        v
        for v in vars(module).values()
        if inspect.isclass(v) and issubclass(v, User) and v is not User and not getattr(v, "abstract", False)
    ]
    if not found:
        raise SystemExit(f"{locustfile}: defines no Locust User class")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a locustfile headless for a bounded time; write JSON stats")
    parser.add_argument("--locustfile", type=Path, required=True)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--spawn-rate", type=float, default=None)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    import gevent
    from locust import events
    from locust.env import Environment

    users = _user_classes(args.locustfile)
    env = Environment(user_classes=users, events=events)
    samples: list[dict[str, Any]] = []
    started = time.monotonic()

    def on_request(request_type: str, name: str, response_time: float, exception: Any = None, **kw: Any) -> None:
        samples.append(
            {
                "t_s": round(time.monotonic() - started, 3),
                "name": name,
                "ms": round(float(response_time), 3),
                "rows": kw.get("response_length"),
                "error": str(exception) if exception else None,
                "query_execution_id": (kw.get("context") or {}).get("query_execution_id"),
            }
        )

    env.events.request.add_listener(on_request)
    runner = env.create_local_runner()
    runner.start(args.users, spawn_rate=args.spawn_rate or args.users)
    gevent.spawn_later(args.seconds, runner.quit)
    runner.greenlet.join()
    total = env.stats.total
    locust_stats = {
        "requests": total.num_requests,
        "failures": total.num_failures,
        "avg_ms": round(total.avg_response_time, 1),
        "percentiles_ms": {str(int(p * 100)): total.get_response_time_percentile(p) for p in (0.5, 0.95, 0.99)},
        "errors": [
            {"name": e.name, "error": str(e.error), "occurrences": e.occurrences} for e in env.stats.errors.values()
        ],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"seconds": args.seconds, "users": args.users, "locust": locust_stats, "samples": samples}) + "\n",
        encoding="utf-8",
    )
    print(json.dumps({"requests": total.num_requests, "failures": total.num_failures, "out": str(args.out)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
