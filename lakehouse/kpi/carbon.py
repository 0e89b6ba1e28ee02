"""KPI CO2 <= 50 kg / month: operational emissions of the same usage the cost KPI prices.

Method of Cloud Carbon Footprint: energy per kind of usage (compute, memory, storage,
network) x PUE x the grid's emission factor of the region. Every coefficient comes from
``fixtures/cost/carbon.yml``, which names its source; a coefficient without a source is an
error. Catalog, alarm and SNS energy is negligible and not estimated (listed as such).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakehouse.kpi.cost import COST_DIR, DAYS_PER_MONTH, Usage
from lakehouse.kpi.datafile import DataFileError, load_data_file
from lakehouse.outcome import Outcome

COEFFICIENTS_FILE = COST_DIR / "carbon.yml"
HOURS_PER_MONTH = 730
COEFFICIENT_KEYS = (
    "min_watts_per_vcpu",
    "max_watts_per_vcpu",
    "avg_cpu_utilization",
    "memory_kwh_per_gb_hour",
    "hdd_wh_per_tb_hour",
    "s3_replication_factor",
    "networking_kwh_per_gb",
    "pue",
    "vcpu_per_dpu",
    "memory_gb_per_dpu",
)


@dataclass
class Coefficients:
    path: Path
    as_of: str
    values: dict[str, float]
    grid_tco2e_per_kwh: dict[str, float]
    sources: dict[str, str]

    def grid(self, region: str) -> float:
        if region not in self.grid_tco2e_per_kwh:
            known = ", ".join(sorted(self.grid_tco2e_per_kwh))
            raise DataFileError(f"{self.path}: grid_tco2e_per_kwh has no region {region!r} (has {known})")
        return self.grid_tco2e_per_kwh[region]


def load_coefficients(path: Path = COEFFICIENTS_FILE) -> Coefficients:
    doc = load_data_file(path)
    values: dict[str, float] = {}
    sources: dict[str, str] = {}
    for key in COEFFICIENT_KEYS:
        values[key] = doc.number(f"coefficients.{key}.value")
        sources[key] = doc.text(f"coefficients.{key}.source")
    grid: dict[str, float] = {}
    for region in doc.section("grid_tco2e_per_kwh"):
        grid[region] = doc.number(f"grid_tco2e_per_kwh.{region}.value")
        sources[f"grid {region}"] = doc.text(f"grid_tco2e_per_kwh.{region}.source")
    if values["avg_cpu_utilization"] > 1:
        raise doc.error("coefficients.avg_cpu_utilization.value", "is a fraction between 0 and 1")
    return Coefficients(path, doc.text("as_of"), values, grid, sources)


@dataclass
class CarbonEstimate:
    region: str
    kwh: dict[str, float]
    total_kwh: float
    kg_co2e: float
    not_estimated: list[str] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "kwh": {k: round(v, 6) for k, v in self.kwh.items()},
            "total_kwh_with_pue": round(self.total_kwh, 6),
            "kg_co2e": round(self.kg_co2e, 6),
            "not_estimated": self.not_estimated,
            "inputs": self.inputs,
        }


def estimate_carbon(usage: Usage, coeff: Coefficients, region: str) -> CarbonEstimate:
    """kg CO2e per month of the usage, in the stack's region."""
    c = coeff.values
    a, s, r = usage["athena"], usage["s3"], usage["apprunner"]
    athena_hours = a["queries_per_day"] * DAYS_PER_MONTH * a["engine_seconds_per_query"] / 3600 * a["dpu_per_query"]
    watts_per_vcpu = c["min_watts_per_vcpu"] + c["avg_cpu_utilization"] * (
        c["max_watts_per_vcpu"] - c["min_watts_per_vcpu"]
    )
    kwh = {
        "athena_compute": athena_hours * c["vcpu_per_dpu"] * watts_per_vcpu / 1000,
        "athena_memory": athena_hours * c["memory_gb_per_dpu"] * c["memory_kwh_per_gb_hour"],
        "s3_storage": s["gb_stored"]
        / 1000
        * HOURS_PER_MONTH
        * c["hdd_wh_per_tb_hour"]
        * c["s3_replication_factor"]
        / 1000,
        "network_out": s["gb_transferred_out"] * c["networking_kwh_per_gb"],
        # The catalog on App Runner: vCPU while answering, memory while running (answering or idle); paused: 0.
        "apprunner_compute": r["active_hours"] * r["vcpu"] * watts_per_vcpu / 1000,
        "apprunner_memory": (r["active_hours"] + r["idle_running_hours"])
        * r["memory_gb"]
        * c["memory_kwh_per_gb_hour"],
    }
    total = sum(kwh.values()) * c["pue"]
    kg = total * coeff.grid(region) * 1000
    return CarbonEstimate(
        region=region,
        kwh=kwh,
        total_kwh=total,
        kg_co2e=kg,
        not_estimated=["Glue catalog, CloudWatch, SNS, Budgets (no usage-based energy model; negligible)"],
        inputs={
            "coefficients": str(coeff.path),
            "coefficients_as_of": coeff.as_of,
            "usage": str(usage.path),
            "values": c,
            "grid_tco2e_per_kwh": coeff.grid(region),
            "sources": coeff.sources,
        },
    )


def judge_carbon(estimate: CarbonEstimate, threshold_kg: float) -> Outcome:
    details = {"unit": "kg CO2e/month", "estimate": estimate.to_dict()}
    measured = round(estimate.kg_co2e, 4)
    if estimate.kg_co2e > threshold_kg:
        biggest = max(estimate.kwh, key=lambda k: estimate.kwh[k])
        return Outcome.judged(
            False,
            measured,
            threshold_kg,
            f"estimated {measured:g} kg CO2e/month in {estimate.region}, over {threshold_kg:g} kg "
            f"(largest part: {biggest}, {estimate.kwh[biggest]:.3g} kWh)",
            details,
        )
    return Outcome.judged(True, measured, threshold_kg, None, details)
