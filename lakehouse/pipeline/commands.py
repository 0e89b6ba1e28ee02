"""``lakehouse pipeline`` and ``lakehouse demo``: the data loop from a shell, on a deployed stack.

They attach to a stack ``make up`` recorded (``--stack-id``, ``LAKEHOUSE_STACK_ID``, or the only
one there is) and use its target, so the same command works for a local or an aws stack.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from lakehouse.athena import run
from lakehouse.config import RunOptions, env_options
from lakehouse.lineage.emitter import LineageEmitter
from lakehouse.lineage.endpoint import emitter_for, resolve
from lakehouse.pipeline.demo import demo_connection, demo_queries, query_output
from lakehouse.pipeline.metrics import publish_run
from lakehouse.pipeline.runner import DATA_DIR, PipelineResult, run_pipeline
from lakehouse.stack import Deployment, Lifecycle, StackError, list_records
from lakehouse.target import Target


def attach(stack_id: str | None) -> Deployment:
    values = env_options()
    if stack_id:
        values["stack_id"] = stack_id
    if "stack_id" not in values:
        deployed = [r.stack_id for r in list_records(RunOptions()) if r.status == "deployed"]
        if len(deployed) != 1:
            known = ", ".join(deployed) or "none (run `make up` first)"
            raise StackError(f"pass --stack-id or set LAKEHOUSE_STACK_ID; deployed stacks here: {known}")
        values["stack_id"] = deployed[0]
    values["deployed"] = True
    return Lifecycle(RunOptions(**values)).attach()  # type: ignore[arg-type]


def operated_run(target: Target, outputs: dict[str, Any], data_dir: Path, emitter: LineageEmitter) -> PipelineResult:
    """One run as the stack operates it: lineage through ``emitter``, then the outcome as CloudWatch metrics.

    A run that crashes is a failed run (its error names the exception), so the failure alarm sees it too.
    """
    try:
        result = run_pipeline(
            target, outputs, data_dir=data_dir, listeners=[emitter.statement], landing_listeners=[emitter.landing]
        )
    except Exception as err:  # noqa: BLE001 - a crash is a failed run: its metrics still go out
        result = PipelineResult(ok=False, error=f"the pipeline crashed: {type(err).__name__}: {err}")
    result.lineage = emitter.stats.to_dict()
    publish_run(target, outputs, result)
    return result


def cmd_pipeline(args: argparse.Namespace) -> int:
    """Land the CSVs and build Silver and Gold on a deployed stack; print what happened."""
    dep = attach(args.stack_id)
    options = dep.stack.options
    endpoint = resolve(
        dep.stack.stack_id,
        dep.record.lineage_url,
        options.marquez_url,
        options.marquez_web_url,
        options.lineage_namespace,
    )
    emitter = emitter_for(dep.stack.target, endpoint)
    result = operated_run(dep.stack.target, dep.record.outputs, Path(args.data_dir), emitter)
    print(result.summary())
    print(emitter.stats.summary())
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_dict(), indent=2, default=str) + "\n", encoding="utf-8")
    return 0 if result.ok else 1


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the demo queries (or the SQL given) through Athena and print their rows."""
    dep = attach(args.stack_id)
    outputs = dep.record.outputs
    queries = {"query": args.sql} if args.sql else demo_queries(outputs)
    if args.names:
        unknown = [n for n in args.names if n not in queries]
        if unknown:
            print(f"error: no demo query {', '.join(unknown)} (have: {', '.join(queries)})", file=sys.stderr)
            return 2
        queries = {n: queries[n] for n in args.names}
    conn = demo_connection(dep.stack.target, outputs)
    failed = 0
    try:
        for name, sql in queries.items():
            record, rows = run(conn, sql, label=name)
            print(query_output(name, record, rows))
            failed += not record.ok
    finally:
        conn.close()
    return 1 if failed else 0


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    pipeline = sub.add_parser("pipeline", help="load CSVs through Bronze, Silver and Gold on a deployed stack")
    pipeline.add_argument("--stack-id")
    pipeline.add_argument("--data-dir", default=str(DATA_DIR), help="folder with users.csv and orders.csv")
    pipeline.add_argument("--json", metavar="FILE", help="also write the full result as JSON")
    pipeline.set_defaults(func=cmd_pipeline)
    demo = sub.add_parser("demo", help="run the demo queries on Gold through Athena and print the rows")
    demo.add_argument("names", nargs="*", help="demo queries to run (default: all in pipeline/demo/)")
    demo.add_argument("--stack-id")
    demo.add_argument("--sql", help="run this SQL instead (default schema: the Gold database)")
    demo.set_defaults(func=cmd_demo)
