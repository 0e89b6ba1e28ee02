"""``lakehouse chaos``: the chaos catalogue from a shell (the KPI-mttr scenario runs it: features/kpis.feature)."""

from __future__ import annotations

import argparse

from lakehouse.chaos.faults import listing


def cmd_chaos(args: argparse.Namespace) -> int:
    """Print the catalogue: each fault, the alarm it must raise, the runbook step that mends it."""
    print(listing())
    if not args.list:
        print("\nrun them on a deployed stack: .venv/bin/pytest features/kpis.feature -k mttr --deployed --stack-id ID")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    chaos = sub.add_parser("chaos", help="the KPI-mttr chaos catalogue: faults, the alarm each raises, the runbook")
    chaos.add_argument("--list", action="store_true", help="list the faults (what `chaos` prints)")
    chaos.set_defaults(func=cmd_chaos)
