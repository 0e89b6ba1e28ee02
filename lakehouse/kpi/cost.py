"""KPI monthly cost <= 20 USD: Infracost's JSON when its CLI is configured, else our own estimate.

The estimate prices the resources in ``terraform show -json`` of a saved plan with a committed,
dated price table and a committed usage file (``fixtures/cost/``): flat-priced resources
(dashboards, alarms) per resource, usage-based ones (Athena scans, S3, Glue, SNS) from the
usage file, split evenly over the resources of that type. A resource type neither priced nor
listed as free is reported as *unpriced*, never silently counted as 0.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lakehouse.config import project_root
from lakehouse.kpi.datafile import DataFile, DataFileError, load_data_file
from lakehouse.outcome import Outcome

COST_DIR = project_root() / "fixtures" / "cost"
PRICES_FILE = COST_DIR / "prices.yml"
USAGE_FILE = COST_DIR / "usage.yml"
DAYS_PER_MONTH = 30

#: Price-table keys every region must have.
PRICE_KEYS = (
    "athena_usd_per_tb_scanned",
    "athena_min_mb_per_query",
    "s3_standard_usd_per_gb_month",
    "s3_put_usd_per_1k",
    "s3_get_usd_per_1k",
    "glue_usd_per_100k_objects_month",
    "glue_usd_per_1m_requests",
    "cloudwatch_usd_per_dashboard_month",
    "cloudwatch_usd_per_alarm_month",
    "sns_usd_per_1m_publishes",
)
#: Usage-file keys, by section.
USAGE_KEYS = {
    "athena": ("queries_per_day", "mb_scanned_per_query", "engine_seconds_per_query", "dpu_per_query"),
    "s3": ("gb_stored", "put_requests", "get_requests", "gb_transferred_out"),
    "glue": ("objects", "requests"),
    "sns": ("publishes",),
}


@dataclass
class PriceTable:
    """List prices per region, and the resource types that cost nothing by themselves."""

    path: Path
    as_of: str
    regions: dict[str, dict[str, float]]
    free_types: dict[str, str]
    source: DataFile

    def prices(self, region: str) -> dict[str, float]:
        if region not in self.regions:
            raise DataFileError(
                f"{self.source.where('regions')}: no prices for region {region!r} "
                f"(the table has {', '.join(sorted(self.regions))})"
            )
        return self.regions[region]


def load_prices(path: Path = PRICES_FILE) -> PriceTable:
    doc = load_data_file(path)
    regions: dict[str, dict[str, float]] = {}
    for region in doc.section("regions"):
        regions[region] = {key: doc.number(f"regions.{region}.{key}") for key in PRICE_KEYS}
    free = doc.data.get("free_resource_types") or {}
    if not isinstance(free, dict):
        raise doc.error("free_resource_types", "must be a mapping of resource type to why it is free")
    for name, why in free.items():
        if not isinstance(why, str) or not why.strip():
            raise doc.error(f"free_resource_types.{name}", "must say why the type is free")
    return PriceTable(path, doc.text("as_of"), regions, {str(k): str(v) for k, v in free.items()}, doc)


@dataclass
class Usage:
    """A month of the stack's use (the cost and CO2 estimates share it)."""

    path: Path
    as_of: str
    values: dict[str, dict[str, float]]

    def __getitem__(self, key: str) -> dict[str, float]:
        return self.values[key]


def load_usage(path: Path = USAGE_FILE) -> Usage:
    doc = load_data_file(path)
    values = {sec: {k: doc.number(f"{sec}.{k}") for k in keys} for sec, keys in USAGE_KEYS.items()}
    return Usage(path, doc.text("as_of"), values)


# -- the plan ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedResource:
    address: str
    type: str
    region: str


def _provider_regions(plan: dict[str, Any], default_region: str) -> dict[str, str]:
    """Provider config key (``aws``, ``aws.use1``) -> its region, when the config states a constant."""
    regions: dict[str, str] = {}
    for key, conf in (plan.get("configuration", {}).get("provider_config") or {}).items():
        region = ((conf.get("expressions") or {}).get("region") or {}).get("constant_value")
        regions[key] = str(region) if region else default_region
    return regions


def planned_resources(plan: dict[str, Any], default_region: str) -> list[PlannedResource]:
    """Managed resources the plan leaves in place or creates (``planned_values``), with their region."""
    if "planned_values" not in plan:
        raise ValueError("not a saved plan's `terraform show -json` document (no planned_values)")
    regions = _provider_regions(plan, default_region)
    config_provider: dict[str, str] = {}

    def walk_config(module: dict[str, Any], prefix: str) -> None:
        for res in module.get("resources") or []:
            config_provider[prefix + res["address"]] = res.get("provider_config_key", "aws")
        for name, call in (module.get("module_calls") or {}).items():
            walk_config(call.get("module") or {}, f"{prefix}module.{name}.")

    walk_config(plan.get("configuration", {}).get("root_module") or {}, "")
    found: list[PlannedResource] = []

    def walk(module: dict[str, Any]) -> None:
        for res in module.get("resources") or []:
            if res.get("mode") != "managed":
                continue
            address = str(res["address"])
            base = address.split("[", 1)[0]
            provider = config_provider.get(base, "aws")
            found.append(PlannedResource(address, str(res["type"]), regions.get(provider, default_region)))
        for child in module.get("child_modules") or []:
            walk(child)

    walk(plan["planned_values"].get("root_module") or {})
    return found


# -- estimate ----------------------------------------------------------------------------------------


@dataclass
class CostComponent:
    name: str
    quantity: float
    unit: str
    unit_price_usd: float
    monthly_usd: float


@dataclass
class CostLine:
    address: str
    type: str
    region: str
    monthly_usd: float
    components: list[CostComponent] = field(default_factory=list)


@dataclass
class CostEstimate:
    """Monthly cost per resource, what is free, and what could not be priced."""

    source: str
    total_usd: float
    lines: list[CostLine]
    free: list[dict[str, str]] = field(default_factory=list)
    unpriced: list[dict[str, str]] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["total_usd"] = round(self.total_usd, 4)
        for line in data["lines"]:
            line["monthly_usd"] = round(line["monthly_usd"], 4)
            for comp in line["components"]:
                comp["monthly_usd"] = round(comp["monthly_usd"], 6)
        return data


def _components(rtype: str, share: float, p: dict[str, float], u: Usage) -> list[CostComponent] | None:
    """The cost components of one resource of ``rtype`` carrying ``share`` of its type's usage."""

    def comp(name: str, qty: float, unit: str, price: float, per: float = 1.0) -> CostComponent:
        return CostComponent(name, qty, unit, price, qty / per * price)

    if rtype == "aws_athena_workgroup":
        a = u["athena"]
        queries = a["queries_per_day"] * DAYS_PER_MONTH * share
        billed_mb = max(a["mb_scanned_per_query"], p["athena_min_mb_per_query"])
        tb = queries * billed_mb / 1_000_000
        return [comp("data scanned", tb, "TB", p["athena_usd_per_tb_scanned"])]
    if rtype == "aws_s3_bucket":
        s = u["s3"]
        return [
            comp("standard storage", s["gb_stored"] * share, "GB-month", p["s3_standard_usd_per_gb_month"]),
            comp("PUT/LIST requests", s["put_requests"] * share, "requests", p["s3_put_usd_per_1k"], 1000),
            comp("GET requests", s["get_requests"] * share, "requests", p["s3_get_usd_per_1k"], 1000),
        ]
    if rtype == "aws_glue_catalog_database":
        g = u["glue"]
        return [
            comp("catalog objects", g["objects"] * share, "objects", p["glue_usd_per_100k_objects_month"], 100_000),
            comp("catalog requests", g["requests"] * share, "requests", p["glue_usd_per_1m_requests"], 1_000_000),
        ]
    if rtype == "aws_cloudwatch_dashboard":
        return [comp("dashboard", 1, "dashboard-month", p["cloudwatch_usd_per_dashboard_month"])]
    if rtype == "aws_cloudwatch_metric_alarm":
        return [comp("standard alarm metric", 1, "alarm-month", p["cloudwatch_usd_per_alarm_month"])]
    if rtype == "aws_sns_topic":
        n = u["sns"]["publishes"] * share
        return [comp("publishes", n, "requests", p["sns_usd_per_1m_publishes"], 1_000_000)]
    return None


def estimate_cost(resources: list[PlannedResource], prices: PriceTable, usage: Usage) -> CostEstimate:
    """Price every planned resource; the free and the unpriced are listed, not hidden."""
    per_type: dict[str, int] = defaultdict(int)
    for r in resources:
        per_type[r.type] += 1
    lines: list[CostLine] = []
    free: list[dict[str, str]] = []
    unpriced: list[dict[str, str]] = []
    for r in resources:
        comps = _components(r.type, 1 / per_type[r.type], prices.prices(r.region), usage)
        if comps is not None:
            lines.append(CostLine(r.address, r.type, r.region, sum(c.monthly_usd for c in comps), comps))
        elif r.type in prices.free_types:
            free.append({"address": r.address, "type": r.type, "why": prices.free_types[r.type]})
        else:
            unpriced.append({"address": r.address, "type": r.type, "region": r.region})
    return CostEstimate(
        source="estimate",
        total_usd=sum(line.monthly_usd for line in lines),
        lines=sorted(lines, key=lambda line: -line.monthly_usd),
        free=free,
        unpriced=unpriced,
        inputs={
            "prices": str(prices.path),
            "prices_as_of": prices.as_of,
            "usage": str(usage.path),
            "usage_as_of": usage.as_of,
            "usage_values": usage.values,
            "free_tiers": "not applied (per account; Infracost does the same)",
        },
    )


# -- Infracost -----------------------------------------------------------------------------------------


class InfracostError(RuntimeError):
    """Infracost ran but its answer cannot be used; the message says why."""


def _money(value: Any, where: str) -> float:
    """Infracost writes money as decimal strings (both generations); null means no price."""
    if value is None:
        return 0.0
    try:
        return float(Decimal(str(value)))
    except InvalidOperation:
        raise InfracostError(f"infracost JSON: {where} is not a decimal ({value!r})") from None


def parse_infracost(doc: dict[str, Any]) -> CostEstimate:
    """Infracost's JSON, classic CLI (``breakdown --format json``) or the 2026 CLI (``scan --json``)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("projects"), list):
        raise InfracostError("infracost JSON has no projects list")
    classic = any("breakdown" in p for p in doc["projects"]) or "totalMonthlyCost" in doc
    lines: list[CostLine] = []
    free: list[dict[str, str]] = []
    unpriced: list[dict[str, str]] = []
    if classic:
        for p in doc["projects"]:
            breakdown = p.get("breakdown") or {}
            for i, res in enumerate(breakdown.get("resources") or []):
                comps = [
                    CostComponent(
                        c.get("name", "?"),
                        _money(c.get("monthlyQuantity"), f"{res.get('name')} monthlyQuantity"),
                        c.get("unit", ""),
                        _money(c.get("price"), f"{res.get('name')} price"),
                        _money(c.get("monthlyCost"), f"{res.get('name')} monthlyCost"),
                    )
                    for c in _all_components(res)
                ]
                monthly = _money(res.get("monthlyCost"), f"projects[].breakdown.resources[{i}].monthlyCost")
                lines.append(CostLine(res.get("name", "?"), res.get("resourceType", "?"), "", monthly, comps))
            for res in breakdown.get("freeResources") or []:
                free.append({"address": res.get("name", "?"), "type": res.get("resourceType", "?"), "why": "free"})
        counts = (doc.get("summary") or {}).get("unsupportedResourceCounts") or {}
        unpriced = [{"address": f"{n} resource(s)", "type": t} for t, n in counts.items()]
        total = _money(doc.get("totalMonthlyCost"), "totalMonthlyCost")
        return CostEstimate("infracost (classic CLI)", total, lines, free, unpriced)
    for p in doc["projects"]:
        for res in p.get("resources") or []:
            name, rtype = res.get("name", "?"), res.get("type", "?")
            if res.get("is_free"):
                free.append({"address": name, "type": rtype, "why": "free"})
                continue
            if res.get("is_supported") is False:
                unpriced.append({"address": name, "type": rtype})
                continue
            comps = [
                CostComponent(
                    c.get("name", "?"),
                    _money(c.get("quantity"), f"{name} quantity"),
                    c.get("unit", ""),
                    _money(c.get("price"), f"{name} price"),
                    _money(c.get("total_monthly_cost"), f"{name} total_monthly_cost"),
                )
                for c in res.get("cost_components") or []
            ]
            lines.append(CostLine(name, rtype, "", sum(c.monthly_usd for c in comps), comps))
    summary = doc.get("summary") or {}
    total = (
        _money(summary["total_monthly_cost"], "summary.total_monthly_cost")
        if summary.get("total_monthly_cost") is not None
        else sum(line.monthly_usd for line in lines)
    )
    return CostEstimate("infracost (2026 CLI)", total, lines, free, unpriced)


def _all_components(res: dict[str, Any]) -> list[dict[str, Any]]:
    comps = list(res.get("costComponents") or [])
    for sub in res.get("subresources") or []:
        comps += _all_components(sub)
    return comps


def infracost_unavailable(env: dict[str, str] | None = None) -> str | None:
    """Why the Infracost CLI cannot be used here (None when it can)."""
    env = dict(os.environ) if env is None else env
    if shutil.which("infracost", path=env.get("PATH")) is None:
        return "the infracost CLI is not installed"
    if not (env.get("INFRACOST_API_KEY") or env.get("INFRACOST_CLI_AUTHENTICATION_TOKEN")):
        return "infracost is installed but not configured (INFRACOST_API_KEY / INFRACOST_CLI_AUTHENTICATION_TOKEN)"
    return None


def run_infracost(plan_json: Path, root: Path, timeout_s: float = 300) -> dict[str, Any]:
    """Run whichever CLI generation is installed and return its JSON."""
    scan = subprocess.run(["infracost", "scan", "--help"], capture_output=True, text=True, timeout=60)
    if scan.returncode == 0:  # the 2026 CLI: scans the Terraform directory
        argv = ["infracost", "scan", str(root), "--json"]
    else:  # classic: prices a plan JSON
        argv = ["infracost", "breakdown", "--path", str(plan_json), "--format", "json"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s)
    if out.returncode != 0:
        raise InfracostError(f"`{' '.join(argv)}` exited with {out.returncode}: {out.stderr.strip()[:300]}")
    try:
        return dict(json.loads(out.stdout))
    except ValueError as err:
        raise InfracostError(f"`{' '.join(argv)}` did not print JSON ({err})") from None


def monthly_cost(
    plan: dict[str, Any], plan_json: Path, root: Path, region: str, prices: Path, usage: Path
) -> CostEstimate:
    """Infracost when it is installed and configured, else the plan priced with the committed table."""
    why_not = infracost_unavailable()
    if why_not is None:
        return parse_infracost(run_infracost(plan_json, root))
    estimate = estimate_cost(planned_resources(plan, region), load_prices(prices), load_usage(usage))
    estimate.inputs["why_not_infracost"] = why_not
    return estimate


# -- judging -------------------------------------------------------------------------------------------


def budget_limit_usd(budget: dict[str, Any] | None) -> float | None:
    """The budget's limit (a decimal string in the API) in USD; None when absent or not in USD."""
    if not budget:
        return None
    limit = budget.get("BudgetLimit") or {}
    if limit.get("Unit") != "USD":
        return None
    try:
        return float(Decimal(str(limit.get("Amount"))))
    except InvalidOperation:
        return None


def judge_cost(estimate: CostEstimate, cap_usd: float, budget: dict[str, Any] | None) -> Outcome:
    """Pass when the monthly estimate is within the cap and the Budgets limit is not above it."""
    limit = budget_limit_usd(budget)
    details: dict[str, Any] = {
        "unit": "USD/month",
        "estimate": estimate.to_dict(),
        "budget": {"name": (budget or {}).get("BudgetName"), "limit_usd": limit, "cap_usd": cap_usd},
    }
    measured = round(estimate.total_usd, 2)
    problems = []
    if estimate.total_usd > cap_usd:
        top = ", ".join(f"{line.address} {line.monthly_usd:.2f}" for line in estimate.lines[:3])
        problems.append(
            f"the monthly cost ({estimate.source}) is {measured:.2f} USD, over the {cap_usd:g} USD cap ({top})"
        )
    if budget is None:
        problems.append("the stack's budget was not found, so nothing stops the cost exceeding the cap")
    elif limit is None:
        problems.append(f"the budget {details['budget']['name']} has no USD limit")
    elif limit > cap_usd:
        problems.append(f"the budget's limit {limit:g} USD is above the {cap_usd:g} USD cap")
    if estimate.unpriced:
        details["unpriced_note"] = (
            f"{len(estimate.unpriced)} resource(s) could not be priced and count as 0 USD: "
            + ", ".join(u["address"] for u in estimate.unpriced[:10])
        )
    return Outcome.judged(not problems, measured, cap_usd, "; ".join(problems) or None, details)
