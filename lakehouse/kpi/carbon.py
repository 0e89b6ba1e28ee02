"""KPI CO2 <= 50 kg / month: operational emissions of the same usage the cost KPI prices.

Method of Cloud Carbon Footprint: energy per kind of usage (compute, memory, storage,
network) x PUE x the grid's emission factor of the region. Every coefficient comes from
``fixtures/cost/carbon.yml``, which names its source; a coefficient without a source is an
error. The stack is the saved plan's: App Runner and the SageMaker endpoint at the sizes (and, for
App Runner, the running hours) the plan gives them. What the plan has and the estimate leaves out is
listed in ``not_estimated``: catalog, alarm and SNS energy as negligible; a resource that keeps
capacity provisioned every hour (a SageMaker variant on instances, a database, a cluster) as
significant, which makes the figure a lower bound that cannot pass.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakehouse.kpi.apprunner_capacity import Capacity, capacities
from lakehouse.kpi.cost import COST_DIR, DAYS_PER_MONTH, PlannedResource, Usage, outside_price_model, plan_sizes
from lakehouse.kpi.datafile import DataFileError, load_data_file
from lakehouse.kpi.pause import running_hours
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


#: Planned resource types the estimate models (from the usage file, at the plan's sizes and hours).
ESTIMATED_TYPES = frozenset(
    {"aws_athena_workgroup", "aws_s3_bucket", "aws_apprunner_service", "aws_sagemaker_endpoint"}
)
#: Types that keep compute (or a broker, a cluster) provisioned every hour of the month. Planned and not
#: estimated, they can outweigh the rest of the stack: the figure is then only a lower bound.
ALWAYS_ON_TYPES = frozenset(
    {
        "aws_instance",
        "aws_lightsail_instance",
        "aws_autoscaling_group",
        "aws_db_instance",
        "aws_rds_cluster_instance",
        "aws_ecs_service",
        "aws_eks_node_group",
        "aws_emr_cluster",
        "aws_redshift_cluster",
        "aws_opensearch_domain",
        "aws_elasticsearch_domain",
        "aws_elasticache_cluster",
        "aws_elasticache_replication_group",
        "aws_msk_cluster",
        "aws_mwaa_environment",
        "aws_sagemaker_notebook_instance",
        "aws_nat_gateway",
    }
)


@dataclass
class CarbonEstimate:
    region: str
    kwh: dict[str, float]
    total_kwh: float
    kg_co2e: float
    #: What the plan has that the figure leaves out: ``what``, ``why``, and ``significant`` (runs every
    #: hour at a size the estimate does not know: the figure is then a lower bound and cannot pass).
    not_estimated: list[dict[str, Any]] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)

    @property
    def significant(self) -> list[dict[str, Any]]:
        return [n for n in self.not_estimated if n["significant"]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "kwh": {k: round(v, 6) for k, v in self.kwh.items()},
            "total_kwh_with_pue": round(self.total_kwh, 6),
            "kg_co2e": round(self.kg_co2e, 6),
            "not_estimated": self.not_estimated,
            "inputs": self.inputs,
        }


def not_estimated(resources: Sequence[PlannedResource]) -> list[dict[str, Any]]:
    """Every planned resource the estimate leaves out, and whether leaving it out can hide a large part."""
    found: list[dict[str, Any]] = []
    unknown = {a: c for a, c in capacities(list(resources)).items() if isinstance(c, str)}
    for r in resources:
        if r.address in unknown:
            found.append({"what": f"{r.address} ({r.type})", "why": unknown[r.address], "significant": True})
        elif why := outside_price_model(r):  # a SageMaker variant on instances or provisioned concurrency
            why = why.split(": fixtures/cost/prices.yml")[0] + "; the CO2 estimate models on-demand serverless only"
            found.append({"what": f"{r.address} ({r.type})", "why": why, "significant": True})
        elif r.type in ALWAYS_ON_TYPES:
            found.append(
                {
                    "what": f"{r.address} ({r.type})",
                    "why": "keeps capacity provisioned every hour of the month; no energy model for it here",
                    "significant": True,
                }
            )
    if any(r.type == "aws_sagemaker_endpoint" for r in resources):
        found.append(
            {
                "what": "SageMaker serverless inference compute",
                "why": "its memory is estimated; the vCPU behind a serverless memory size is not published "
                "(on demand: bounded by usage.yml's inferences x seconds_per_inference)",
                "significant": False,
            }
        )
    modelled = ESTIMATED_TYPES | ALWAYS_ON_TYPES | {"aws_sagemaker_endpoint_configuration"}
    rest = Counter(r.type for r in resources if r.type not in modelled)
    if rest:
        found.append(
            {
                "what": ", ".join(f"{t} x{n}" for t, n in sorted(rest.items())),
                "why": "configuration and on-demand control-plane resources (catalog, alarms, topics, roles, "
                "policies, schedules): no usage-based energy model; negligible",
                "significant": False,
            }
        )
    return found


def estimate_carbon(
    usage: Usage, coeff: Coefficients, region: str, resources: Sequence[PlannedResource]
) -> CarbonEstimate:
    """kg CO2e per month of the usage, on the planned stack (``resources``: its saved plan), in ``region``.

    App Runner draws at the plan's size for the hours the plan's pause schedule leaves it running
    (``lakehouse.kpi.pause``); the SageMaker endpoint's memory at the plan's size for its inferences.
    """
    c = coeff.values
    a, s, m = usage["athena"], usage["s3"], usage["sagemaker"]
    athena_hours = a["queries_per_day"] * DAYS_PER_MONTH * a["engine_seconds_per_query"] / 3600 * a["dpu_per_query"]
    watts_per_vcpu = c["min_watts_per_vcpu"] + c["avg_cpu_utilization"] * (
        c["max_watts_per_vcpu"] - c["min_watts_per_vcpu"]
    )
    plan = list(resources)
    hours = running_hours(plan, usage["apprunner"])
    apprunner = capacities(plan)
    vcpu_hours = memory_gb_hours = 0.0
    for address, cap in apprunner.items():
        if not isinstance(cap, Capacity):
            continue  # listed in not_estimated as significant: the figure cannot pass
        vcpu_hours += hours[address].active * cap.vcpu
        # Every provisioned instance (MinSize) holds its memory while the service runs, in use or idle.
        memory_gb_hours += (hours[address].active + hours[address].idle) * cap.memory_gb * cap.instances
    endpoint_memory = plan_sizes(plan).sagemaker_memory_gb or m["memory_gb"]
    inference_hours = m["inferences"] * m["seconds_per_inference"] / 3600
    has_endpoint = any(r.type == "aws_sagemaker_endpoint" for r in plan)
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
        "apprunner_compute": vcpu_hours * watts_per_vcpu / 1000,
        "apprunner_memory": memory_gb_hours * c["memory_kwh_per_gb_hour"],
        "sagemaker_memory": (inference_hours * endpoint_memory if has_endpoint else 0.0) * c["memory_kwh_per_gb_hour"],
    }
    total = sum(kwh.values()) * c["pue"]
    kg = total * coeff.grid(region) * 1000
    return CarbonEstimate(
        region=region,
        kwh=kwh,
        total_kwh=total,
        kg_co2e=kg,
        not_estimated=not_estimated(plan),
        inputs={
            "coefficients": str(coeff.path),
            "coefficients_as_of": coeff.as_of,
            "usage": str(usage.path),
            "values": c,
            "grid_tco2e_per_kwh": coeff.grid(region),
            "sources": coeff.sources,
            "apprunner_hours_from_plan": {addr: h.to_dict() for addr, h in hours.items()},
            "apprunner_capacity_from_plan": {a: c if isinstance(c, str) else c.to_dict() for a, c in apprunner.items()},
            "apprunner_vcpu_hours": vcpu_hours,
            "apprunner_memory_gb_hours": memory_gb_hours,
            "sagemaker_memory_gb": endpoint_memory if has_endpoint else None,
        },
    )


def judge_carbon(estimate: CarbonEstimate, threshold_kg: float) -> Outcome:
    """Pass when the figure is within ``threshold_kg`` and nothing significant was left out of it.

    A planned resource that runs every hour at a size the estimate does not know makes the figure a
    lower bound: over the threshold is still a failure, within it is ``error`` naming the resource.
    """
    details = {"unit": "kg CO2e/month", "estimate": estimate.to_dict()}
    measured = round(estimate.kg_co2e, 4)
    left_out = [f"{n['what']} is not estimated: {n['why']}" for n in estimate.significant]
    if estimate.kg_co2e > threshold_kg:
        biggest = max(estimate.kwh, key=lambda k: estimate.kwh[k])
        bound = " at least" if left_out else ""
        return Outcome.judged(
            False,
            measured,
            threshold_kg,
            "; ".join(
                [
                    f"estimated{bound} {measured:g} kg CO2e/month in {estimate.region}, over {threshold_kg:g} kg "
                    f"(largest part: {biggest}, {estimate.kwh[biggest]:.3g} kWh)",
                    *left_out,
                ]
            ),
            details,
        )
    if left_out:
        return Outcome.error(
            f"{measured:g} kg CO2e/month is only a lower bound: " + "; ".join(left_out),
            threshold_kg,
            details,
            measured,
        )
    return Outcome.judged(True, measured, threshold_kg, None, details)
