"""The Infracost usage file for a saved plan, for the cost comment on infra pull requests (infra.yml).

fixtures/cost/usage.yml is our own format (a month of the whole stack per service, what the cost
and CO2 KPIs price), not Infracost's (usage per Terraform resource address). The translation is
KPI-cost's own (``lakehouse.kpi.cost.infracost_usage``: each section on the one resource of its type
that carries it, where the price table makes it cost most, SNS subscriptions counted from the plan), so
the pull-request comment and the KPI price the same month. Athena and data transfer are not in it:
Infracost prices neither from this file.

    python -m lakehouse.infracost PLAN_JSON OUT_FILE [--region REGION] [--usage fixtures/cost/usage.yml]
        [--prices fixtures/cost/prices.yml]

``PLAN_JSON`` is ``terraform show -json`` of a saved plan; the region defaults to ``AWS_REGION``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from lakehouse.kpi.cost import (
    PRICES_FILE,
    USAGE_FILE,
    load_prices,
    load_usage,
    planned_resources,
    write_infracost_usage,
)
from lakehouse.kpi.datafile import DataFileError


def write_usage_file(
    plan_json: Path, out: Path, region: str, usage: Path = USAGE_FILE, prices: Path = PRICES_FILE
) -> Path:
    """Infracost's usage file for the resources of ``plan_json``, from our month of usage."""
    plan = json.loads(plan_json.read_text(encoding="utf-8"))
    return write_infracost_usage(planned_resources(plan, region), load_usage(usage), out, load_prices(prices))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lakehouse.infracost", description=__doc__.splitlines()[0])
    parser.add_argument("plan_json", type=Path, help="`terraform show -json` of a saved plan")
    parser.add_argument("out", type=Path, help="where to write the Infracost usage file")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION"), help="the provider's default region")
    parser.add_argument("--usage", type=Path, default=USAGE_FILE, help="our usage file")
    parser.add_argument("--prices", type=Path, default=PRICES_FILE, help="the price table that picks each carrier")
    args = parser.parse_args(argv)
    if not args.region:
        parser.error("no region: pass --region or set AWS_REGION")
    try:
        path = write_usage_file(args.plan_json, args.out, args.region, args.usage, args.prices)
    except (OSError, ValueError, DataFileError) as err:  # JSONDecodeError and a plan without planned_values too
        print(f"lakehouse.infracost: {args.plan_json}: {err}", file=sys.stderr)
        return 1
    print(f"{path} written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
