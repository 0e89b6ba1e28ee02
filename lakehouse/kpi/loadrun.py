"""``python -m lakehouse.kpi.loadrun``: one headless, bounded Locust run, stats as JSON.

Only ever run as a subprocess (see ``lakehouse.kpi.latency``): importing locust
monkey-patches the process with gevent. Users come from the locustfile, as with
``locust -f``; every request is also kept as a raw sample, and so is every exception a
user raised (in ``on_start`` or a task): a query that failed some other way than the
locustfile reports must still reach the judge. A sample the locustfile marks ``unfinished`` (a query
still running when the load stopped) is kept but is not a measured query. With ``--min-per-query`` the load also
runs on until each ``--query`` (else each query seen) has that many measured samples: each query's own p95 is
judged. ``--nice`` lowers its own CPU priority (``os.nice``) so a heavy load generator does not starve the server
it measures (the KPI passes 0: see ``lakehouse.kpi.settings``).
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

from lakehouse import cpuwait


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


def _describe(exception: BaseException) -> str:
    """``Type: message`` (the message alone can be empty or ambiguous)."""
    text = str(exception).strip().splitlines()
    return f"{type(exception).__name__}: {text[0]}" if text else type(exception).__name__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a locustfile headless, bounded in time; write JSON stats")
    parser.add_argument("--locustfile", type=Path, required=True)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True, help="run at least this long")
    parser.add_argument("--spawn-rate", type=float, default=None)
    parser.add_argument("--warmup", type=int, default=0, help="first requests of each user marked as warm-up")
    parser.add_argument("--min-samples", type=int, default=0, help="run on, past --seconds, until this many measured")
    parser.add_argument("--min-per-query", type=int, default=0, help="run on until each query has this many measured")
    parser.add_argument("--query", action="append", default=[], help="a query the load runs (repeat): each needs them")
    parser.add_argument("--max-seconds", type=float, default=None, help="never run longer (default --seconds)")
    parser.add_argument("--nice", type=int, default=10, help="lower this process's CPU priority by this much")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    max_seconds = max(args.max_seconds or args.seconds, args.seconds)
    if args.nice:
        os.nice(args.nice)

    import gevent
    from locust import User, events
    from locust.env import Environment

    users = _user_classes(args.locustfile)
    env = Environment(user_classes=users, events=events)
    samples: list[dict[str, Any]] = []
    not_started: list[dict[str, Any]] = []
    user_ids: dict[int, int] = {}
    per_user: Counter[int] = Counter()
    measured = 0
    per_query: Counter[str] = Counter()
    failed = 0
    stop: dict[str, str] = {}
    started = time.monotonic()
    runner = env.create_local_runner()

    def elapsed() -> float:
        return round(time.monotonic() - started, 3)

    def current_user() -> int:
        """Users run in their own greenlets; number them in the order they first report."""
        return user_ids.setdefault(id(gevent.getcurrent()), len(user_ids) + 1)

    def quit_once(why: str) -> None:
        if not stop:
            stop["by"] = why
            gevent.spawn(runner.quit)  # never from a user's greenlet: quit kills the users

    def each_query_sampled() -> bool:
        """Every query of the load (``--query``, else every one seen) has ``--min-per-query`` measured samples, or a
        query failed (that fails the KPI: no query's p95 needs more samples, and one failing every time has none)."""
        if failed:
            return True
        names = args.query or list(per_query)
        return bool(names) and all(per_query[n] >= args.min_per_query for n in names)

    def maybe_done() -> None:
        if args.min_per_query and not each_query_sampled():
            return
        if elapsed() >= args.seconds and measured >= args.min_samples:
            quit_once("time and samples" if args.min_samples or args.min_per_query else "time")

    def at_seconds() -> None:
        """The least seconds are over: stop if the samples are in. gevent's timers run on the loop's cached clock and
        can fire before ``elapsed()`` says so; with every user inside a slow query no sample calls ``maybe_done``
        again, so an early timer is set again for the rest."""
        if (left := args.seconds - elapsed()) > 0:
            gevent.spawn_later(left, at_seconds)
        else:
            maybe_done()

    def at_cap() -> None:
        maybe_done()  # the minimum time and samples may be met at the cap itself
        quit_once("time cap")

    def sample(name: str, ms: float | None, error: str | None, **extra: Any) -> None:
        nonlocal measured, failed
        user = current_user()
        seq = per_user[user]
        per_user[user] += 1
        warmup = seq < args.warmup
        samples.append(
            {"t_s": elapsed(), "user": user, "seq": seq, "warmup": warmup, "name": name, "ms": ms, "error": error}
            | extra
        )
        if not warmup and error is None and ms is not None and not extra.get("unfinished"):
            measured += 1
            per_query[name] += 1
        failed += error is not None
        maybe_done()

    def on_request(request_type: str, name: str, response_time: float, exception: Any = None, **kw: Any) -> None:
        window.saw((kw.get("context") or {}).get("emulator_cpu_us"))
        sample(
            name,
            round(float(response_time), 3),
            _describe(exception) if exception else None,
            rows=kw.get("response_length"),
            **{k: v for k, v in (kw.get("context") or {}).items() if isinstance(v, str | int | float | None)},
        )

    def on_user_error(user_instance: Any, exception: BaseException, tb: Any = None, **kw: Any) -> None:
        """An exception the locustfile did not report: in ``on_start`` the user never starts."""
        if isinstance(user_instance, User):
            not_started.append(
                {"user": current_user(), "class": type(user_instance).__name__, "error": _describe(exception)}
            )
            if len(not_started) >= args.users:
                quit_once("no user started")
        else:
            sample(f"{type(user_instance.user).__name__} task", None, _describe(exception), uncaught=True)

    window = cpuwait.ShareWindow()
    env.events.request.add_listener(on_request)
    env.events.user_error.add_listener(on_user_error)
    runner.start(args.users, spawn_rate=args.spawn_rate or args.users)
    gevent.spawn_later(args.seconds, at_seconds)
    gevent.spawn_later(max_seconds, at_cap)
    runner.greenlet.join()
    shares = window.figures()
    cpuwait.scale_waits(samples, shares["foreign_share"])
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
    result = {
        "seconds": elapsed(),
        "users": args.users,
        "run": {
            "min_seconds": args.seconds,
            "max_seconds": max_seconds,
            "warmup_per_user": args.warmup,
            "min_samples": args.min_samples,
            "min_per_query": args.min_per_query,
            "measured_per_query": dict(sorted(per_query.items())),
            "stopped_by": stop.get("by", "runner ended"),
            "nice": args.nice,
            "cpu_wait_share": shares,
        },
        "not_started": not_started,
        "locust": locust_stats,
        "samples": samples,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result) + "\n", encoding="utf-8")
    print(json.dumps({"requests": total.num_requests, "failures": total.num_failures, "out": str(args.out)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
