"""KPI CO2 <= 50 kg / month: operational emissions of the same usage the cost KPI prices.

Method of Cloud Carbon Footprint: energy per kind of usage (compute, memory, storage,
network) x PUE x the grid's emission factor of the region the energy is drawn in: each resource's own
provider region, read from the plan as the cost KPI reads it (``PlannedResource.region``), so a heavy
resource in a dirtier region than the target's counts at that region's grid. Every coefficient comes
from ``fixtures/cost/carbon.yml``, which names its source; a coefficient without a source, or a region
without a grid factor, is an error. The stack is the saved plan's: App Runner and the SageMaker endpoint
at the sizes (and, for App Runner, the running hours) the plan gives them, usage.yml's App Runner month carried
in full by the one service where it emits most (a service padded into the plan cannot take a share of it).
What the plan has and the estimate leaves out is listed in ``not_estimated``: catalog, alarm and SNS energy
as negligible; a resource that keeps capacity provisioned every hour (a SageMaker variant on instances, a database, a
cluster), or a modelled one whose region the plan cannot tell, as significant, which makes the figure a
lower bound that cannot pass.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakehouse.kpi.apprunner_capacity import Capacity, capacities
from lakehouse.kpi.cost import (
    COST_DIR,
    DAYS_PER_MONTH,
    UNKNOWN_REGION,
    PlannedResource,
    Usage,
    outside_price_model,
    plan_sizes,
)
from lakehouse.kpi.datafile import DataFile, DataFileError, load_data_file
from lakehouse.kpi.pause import RunningHours, running_hours
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
    #: The parsed file, for ``file:line: field`` in errors (None: built in code).
    source: DataFile | None = None

    def grid(self, region: str) -> float:
        if region not in self.grid_tco2e_per_kwh:
            known = ", ".join(sorted(self.grid_tco2e_per_kwh))
            field = "grid_tco2e_per_kwh"
            where = self.source.where(field) if self.source else f"{self.path}: {field}"
            raise DataFileError(f"{where}: has no region {region!r} (has {known})")
        return self.grid_tco2e_per_kwh[region]


#: Coefficients that may be 0 (the rest multiply energy or CO2: at 0, all they multiply is emission-free).
MAY_BE_ZERO = frozenset({"avg_cpu_utilization"})
ZERO_COEFFICIENT = "the energy or CO2 it multiplies would be 0 however much the stack is used"
#: Ratios that are at least 1 by what they are.
AT_LEAST_ONE = {
    "pue": "PUE is a data centre's total energy over its IT equipment's (The Green Grid): 1 at best",
    "s3_replication_factor": "each stored byte is kept at least once",
}
ZERO_GRID = "a grid factor of 0 makes all the energy drawn in the region emission-free"


def load_coefficients(path: Path = COEFFICIENTS_FILE) -> Coefficients:
    """The coefficients and grid factors, each with its source; none may zero out what it multiplies, a ratio
    that is at least 1 by definition (PUE) must be, and a vCPU's peak draw is not below its idle draw."""
    doc = load_data_file(path)
    values: dict[str, float] = {}
    sources: dict[str, str] = {}
    for key in COEFFICIENT_KEYS:
        where = f"coefficients.{key}.value"
        values[key] = doc.number(where) if key in MAY_BE_ZERO else doc.positive(where, ZERO_COEFFICIENT)
        if key in AT_LEAST_ONE and values[key] < 1:
            raise doc.error(where, f"must be >= 1, got {values[key]!r}: {AT_LEAST_ONE[key]}")
        sources[key] = doc.text(f"coefficients.{key}.source")
    grid: dict[str, float] = {}
    for region in doc.section("grid_tco2e_per_kwh"):
        grid[region] = doc.positive(f"grid_tco2e_per_kwh.{region}.value", ZERO_GRID)
        sources[f"grid {region}"] = doc.text(f"grid_tco2e_per_kwh.{region}.source")
    if values["avg_cpu_utilization"] > 1:
        raise doc.error("coefficients.avg_cpu_utilization.value", "is a fraction between 0 and 1")
    if values["max_watts_per_vcpu"] < values["min_watts_per_vcpu"]:
        raise doc.error(
            "coefficients.max_watts_per_vcpu.value",
            f"must be >= min_watts_per_vcpu ({values['min_watts_per_vcpu']:g}): a vCPU draws more busy than idle",
        )
    return Coefficients(path, doc.text("as_of"), values, grid, sources, doc)


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

#: Types known to draw no provisioned capacity: configuration, catalog and on-demand control-plane objects (their
#: usage, if any, is in the usage file or is negligible). An allowlist: a type in none of these sets (a DocumentDB
#: instance, a load balancer, an interface VPC endpoint, a provisioned Kinesis stream...) is not assumed negligible.
NEGLIGIBLE_TYPES = frozenset(
    {
        "aws_apprunner_auto_scaling_configuration_version",
        "aws_budgets_budget",
        "aws_cloudwatch_dashboard",
        "aws_cloudwatch_log_group",
        "aws_cloudwatch_metric_alarm",
        "aws_glue_catalog_database",
        "aws_glue_catalog_table",
        "aws_iam_policy",
        "aws_iam_role",
        "aws_iam_role_policy",
        "aws_iam_role_policy_attachment",
        "aws_kms_alias",
        "aws_kms_key",  # on-demand requests, no provisioned capacity (KPI-cost prices its month and requests)
        "aws_kms_replica_key",  # the same, a replica in another region
        "aws_kms_external_key",  # the same, with imported key material
        "aws_lakeformation_data_cells_filter",
        "aws_lakeformation_data_lake_settings",
        "aws_lakeformation_lf_tag",
        "aws_lakeformation_permissions",
        "aws_lakeformation_resource",
        "aws_lakeformation_resource_lf_tags",
        "aws_s3_bucket_lifecycle_configuration",
        "aws_s3_bucket_ownership_controls",
        "aws_s3_bucket_policy",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_versioning",
        "aws_sagemaker_model",
        "aws_scheduler_schedule",
        "aws_sns_topic",
        "aws_sns_topic_policy",
        "aws_sns_topic_subscription",
        "aws_sqs_queue",
        "aws_sqs_queue_policy",
        "null_resource",  # a provisioner on it is listed above (outside_price_model)
        "random_id",
        "random_string",
        "terraform_data",
    }
)
#: ``not_estimated``'s reason for a planned type in none of the sets above.
UNKNOWN_TYPE = (
    "no energy model for this type, and it is not one known to draw no provisioned capacity "
    "(lakehouse.kpi.carbon.NEGLIGIBLE_TYPES): it may run every hour of the month"
)


#: The parts of the estimate, in kWh before PUE.
PARTS = (
    "athena_compute",
    "athena_memory",
    "s3_storage",
    "network_out",
    "apprunner_compute",
    "apprunner_memory",
    "sagemaker_memory",
)
#: ``not_estimated``'s reason for a modelled resource whose provider region the plan does not tell.
REGION_UNKNOWN = (
    "the region of its provider configuration is neither a constant nor one variable in the plan: counting its "
    "energy at another region's grid could hide a dirtier one"
)


@dataclass
class CarbonEstimate:
    #: The target's region: where usage no planned resource carries is drawn (Athena without a workgroup...).
    region: str
    #: kWh by part, all regions together (before PUE).
    kwh: dict[str, float]
    total_kwh: float
    kg_co2e: float
    #: What the plan has that the figure leaves out: ``what``, ``why``, and ``significant`` (runs every
    #: hour at a size the estimate does not know: the figure is then a lower bound and cannot pass).
    not_estimated: list[dict[str, Any]] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)
    #: kWh by region the energy is drawn in, then by part (before PUE); each region at its own grid.
    kwh_by_region: dict[str, dict[str, float]] = field(default_factory=dict)
    #: kg CO2e / month by region (PUE and that region's grid factor applied).
    kg_by_region: dict[str, float] = field(default_factory=dict)

    @property
    def significant(self) -> list[dict[str, Any]]:
        return [n for n in self.not_estimated if n["significant"]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "kwh": {k: round(v, 6) for k, v in self.kwh.items()},
            "total_kwh_with_pue": round(self.total_kwh, 6),
            "kg_co2e": round(self.kg_co2e, 6),
            "regions": {
                region: {
                    "kwh": {k: round(v, 6) for k, v in parts.items()},
                    "kg_co2e": round(self.kg_by_region[region], 6),
                }
                for region, parts in self.kwh_by_region.items()
            },
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
        elif r.type in ESTIMATED_TYPES and r.region == UNKNOWN_REGION:
            found.append({"what": f"{r.address} ({r.type})", "why": REGION_UNKNOWN, "significant": True})
        elif why := outside_price_model(r, resources):  # instances behind an endpoint, a schedule calling other APIs
            if r.type.startswith("aws_sagemaker_"):
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
    listed = {n["what"] for n in found}
    for r in resources:  # an unknown type is never assumed negligible: it could be a database, a load balancer...
        what = f"{r.address} ({r.type})"
        if r.type not in modelled | NEGLIGIBLE_TYPES and what not in listed:
            found.append({"what": what, "why": UNKNOWN_TYPE, "significant": True})
    rest = Counter(r.type for r in resources if r.type in NEGLIGIBLE_TYPES)
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


@dataclass(frozen=True)
class _Share:
    """Part of a type's usage drawn in one region, by one planned resource (or by none: the target's usage)."""

    region: str
    share: float
    drawn_by: str


def _shares(plan: Sequence[PlannedResource], rtype: str, target: str | None) -> list[_Share]:
    """A type's usage split evenly over its planned resources, each in its own provider region (as the cost
    KPI splits and prices it). A resource whose region the plan cannot tell draws nothing here (listed as
    significant in ``not_estimated``). None planned: all of it in ``target`` (None: no usage then)."""
    planned = [r for r in plan if r.type == rtype]
    if not planned:
        return [] if target is None else [_Share(target, 1.0, f"the usage of {rtype} with none planned (the target's)")]
    return [_Share(r.region, 1 / len(planned), r.address) for r in planned if r.region != UNKNOWN_REGION]


def _at_dirtiest(shares: list[_Share], coeff: Coefficients, rtype: str) -> list[_Share]:
    """The shares of a type planned in several regions, all drawn at the dirtiest grid among them.

    usage.yml does not say which workgroup, bucket or endpoint carries the usage: split evenly at each one's grid,
    empty resources planned in a greener region would carry most of it there. A region without a grid factor
    keeps its shares as they are (``_Energy.grids`` stops the KPI naming it)."""
    grids = {s.region: coeff.grid_tco2e_per_kwh.get(s.region) for s in shares}
    known = {region: g for region, g in grids.items() if g is not None}
    if len(grids) < 2 or len(known) < len(grids):
        return shares
    worst = max(known, key=lambda region: known[region])
    why = f"usage.yml does not say which {rtype} carries it: counted at {worst}, the dirtiest grid of those planned"
    return [s if s.region == worst else _Share(worst, s.share, f"{s.drawn_by} in {s.region} ({why})") for s in shares]


#: How usage.yml's App Runner month (hours in use, resumes) is put on the planned services (the evidence says it).
APPRUNNER_RULE = (
    "usage.yml's apprunner section is the whole stack's month: it is carried in full by one planned App Runner "
    "service, the one where it emits most (its size, pause and region's grid; the first address of those emitting "
    "the same); the others draw only what they draw unused: a service added to the plan can only raise the figure"
)


class _AppRunner:
    """The plan's App Runner services the estimate models, and the energy each draws carrying the usage or not.

    Split evenly, a tiny service paused hourly took half the hours in use at its small size (and a pause the real
    one may not have): the figure fell for the same real use. The service where carrying the month emits most
    cannot be undercut. Not the cost KPI's carrier (``lakehouse.kpi.cost.usage_carriers``): prices and grids rank
    regions differently, and the service dearest in USD may sit on a cleaner grid.
    """

    def __init__(self, plan: list[PlannedResource], usage: Usage, coeff: Coefficients, watts_per_vcpu: float) -> None:
        self.coeff, self.watts_per_vcpu = coeff, watts_per_vcpu
        self.capacities = capacities(plan)
        # A service of unknown size or region is listed in not_estimated as significant: the figure cannot pass.
        self._sizes = {a: c for a, c in self.capacities.items() if isinstance(c, Capacity)}
        self.modelled = [r for r in plan if r.address in self._sizes and r.region != UNKNOWN_REGION]
        services = [r.address for r in plan if r.type == "aws_apprunner_service"]
        self._carrying = {a: running_hours(plan, usage["apprunner"], {a: 1.0})[a] for a in services}
        self._unused = running_hours(plan, usage["apprunner"], {})

    def drawn(self, r: PlannedResource, hours: RunningHours) -> tuple[float, float]:
        """vCPU-hours and memory GB-hours of ``r`` running ``hours``."""
        cap = self._sizes[r.address]
        # vCPU while answering, memory while running (answering or idle); paused: 0. Every provisioned
        # instance (MinSize) holds its memory while the service runs, in use or idle.
        return hours.active * cap.vcpu, (hours.active + hours.idle) * cap.memory_gb * cap.instances

    def _kg(self, r: PlannedResource, hours: RunningHours) -> float:
        c = self.coeff.values
        vcpu_hours, gb_hours = self.drawn(r, hours)
        kwh = vcpu_hours * self.watts_per_vcpu / 1000 + gb_hours * c["memory_kwh_per_gb_hour"]
        return kwh * c["pue"] * self.coeff.grid_tco2e_per_kwh[r.region] * 1000

    def carrying_emits(self, r: PlannedResource) -> float:
        """What carrying the month adds to ``r``'s kg CO2e (infinite where the table has no grid for its region:
        the estimate then stops on it, naming it)."""
        if r.region not in self.coeff.grid_tco2e_per_kwh:
            return math.inf
        return self._kg(r, self._carrying[r.address]) - self._kg(r, self._unused[r.address])

    def carrier(self) -> str | None:
        """The address of the service carrying usage.yml's App Runner month (``APPRUNNER_RULE``); None: none."""
        candidates = sorted(self.modelled, key=lambda r: r.address)
        return max(candidates, key=self.carrying_emits).address if candidates else None

    def hours(self, carrier: str | None) -> dict[str, RunningHours]:
        """Every planned service's hours: the carrier's with all of the usage, the others' with none."""
        return {a: self._carrying[a] if a == carrier else h for a, h in self._unused.items()}


class _Energy:
    """kWh by region and part, and who draws it in each region (for an error naming the resource)."""

    def __init__(self) -> None:
        self.kwh: dict[str, dict[str, float]] = {}
        self.drawn_by: dict[str, list[str]] = {}

    def add(self, region: str, part: str, kwh: float, drawn_by: str) -> None:
        parts = self.kwh.setdefault(region, dict.fromkeys(PARTS, 0.0))
        parts[part] += kwh
        who = self.drawn_by.setdefault(region, [])
        if drawn_by not in who:
            who.append(drawn_by)

    def grids(self, coeff: Coefficients) -> dict[str, float]:
        """Each region's grid factor; a region the table lacks stops the KPI naming what is drawn there."""
        found: dict[str, float] = {}
        for region, who in self.drawn_by.items():
            try:
                found[region] = coeff.grid(region)
            except DataFileError as err:
                raise DataFileError(f"energy drawn in {region} by {', '.join(who)}: {err}") from None
        return found


def estimate_carbon(
    usage: Usage, coeff: Coefficients, region: str, resources: Sequence[PlannedResource]
) -> CarbonEstimate:
    """kg CO2e per month of the usage, on the planned stack (``resources``: its saved plan).

    Each part is drawn in the provider region of the resource that carries it, at that region's grid;
    ``region`` (the target's) only for usage no planned resource carries. App Runner draws at the plan's
    size for the hours the plan's pause schedule leaves it running (``lakehouse.kpi.pause``), usage.yml's hours
    in use carried by the service where they emit most (``APPRUNNER_RULE``); the SageMaker
    endpoint's memory at the plan's size for its inferences.
    """
    c = coeff.values
    a, s, m = usage["athena"], usage["s3"], usage["sagemaker"]
    athena_hours = a["queries_per_day"] * DAYS_PER_MONTH * a["engine_seconds_per_query"] / 3600 * a["dpu_per_query"]
    watts_per_vcpu = c["min_watts_per_vcpu"] + c["avg_cpu_utilization"] * (
        c["max_watts_per_vcpu"] - c["min_watts_per_vcpu"]
    )
    plan = list(resources)
    energy = _Energy()
    for where in _at_dirtiest(_shares(plan, "aws_athena_workgroup", region), coeff, "aws_athena_workgroup"):
        compute = athena_hours * c["vcpu_per_dpu"] * watts_per_vcpu / 1000
        energy.add(where.region, "athena_compute", compute * where.share, where.drawn_by)
        memory = athena_hours * c["memory_gb_per_dpu"] * c["memory_kwh_per_gb_hour"]
        energy.add(where.region, "athena_memory", memory * where.share, where.drawn_by)
    for where in _at_dirtiest(_shares(plan, "aws_s3_bucket", region), coeff, "aws_s3_bucket"):
        tb_hours = s["gb_stored"] / 1000 * HOURS_PER_MONTH * where.share
        storage = tb_hours * c["hdd_wh_per_tb_hour"] * c["s3_replication_factor"] / 1000
        energy.add(where.region, "s3_storage", storage, where.drawn_by)
        network = s["gb_transferred_out"] * where.share * c["networking_kwh_per_gb"]
        energy.add(where.region, "network_out", network, where.drawn_by)

    services = _AppRunner(plan, usage, coeff, watts_per_vcpu)
    carrier = services.carrier()
    hours = services.hours(carrier)
    vcpu_hours = memory_gb_hours = 0.0
    for r in services.modelled:
        service_vcpu_hours, service_gb_hours = services.drawn(r, hours[r.address])
        energy.add(r.region, "apprunner_compute", service_vcpu_hours * watts_per_vcpu / 1000, r.address)
        energy.add(r.region, "apprunner_memory", service_gb_hours * c["memory_kwh_per_gb_hour"], r.address)
        vcpu_hours += service_vcpu_hours
        memory_gb_hours += service_gb_hours

    endpoint_memory = plan_sizes(plan).sagemaker_memory_gb or m["memory_gb"]
    inference_gb_hours = m["inferences"] * m["seconds_per_inference"] / 3600 * endpoint_memory
    for where in _at_dirtiest(_shares(plan, "aws_sagemaker_endpoint", None), coeff, "aws_sagemaker_endpoint"):
        memory = inference_gb_hours * where.share * c["memory_kwh_per_gb_hour"]
        energy.add(where.region, "sagemaker_memory", memory, where.drawn_by)

    grids = energy.grids(coeff)
    kg_by_region = {r: sum(parts.values()) * c["pue"] * grids[r] * 1000 for r, parts in energy.kwh.items()}
    kwh = {part: sum(parts[part] for parts in energy.kwh.values()) for part in PARTS}
    has_endpoint = any(r.type == "aws_sagemaker_endpoint" for r in plan)
    return CarbonEstimate(
        region=region,
        kwh=kwh,
        total_kwh=sum(kwh.values()) * c["pue"],
        kg_co2e=sum(kg_by_region.values()),
        not_estimated=not_estimated(plan),
        inputs={
            "coefficients": str(coeff.path),
            "coefficients_as_of": coeff.as_of,
            "usage": str(usage.path),
            "values": c,
            "grid_tco2e_per_kwh": grids,
            "drawn_by_region": energy.drawn_by,
            "sources": coeff.sources,
            "apprunner_usage_rule": APPRUNNER_RULE,
            "apprunner_usage_carried_by": carrier,
            "apprunner_hours_from_plan": {addr: h.to_dict() for addr, h in hours.items()},
            "apprunner_capacity_from_plan": {
                a: c if isinstance(c, str) else c.to_dict() for a, c in services.capacities.items()
            },
            "apprunner_vcpu_hours": vcpu_hours,
            "apprunner_memory_gb_hours": memory_gb_hours,
            "sagemaker_memory_gb": endpoint_memory if has_endpoint else None,
        },
        kwh_by_region=energy.kwh,
        kg_by_region=kg_by_region,
    )


def _where(estimate: CarbonEstimate) -> str:
    """``in eu-north-1``, or ``in ap-south-1 (68.9 kg), eu-north-1 (0.2 kg)``: the dirtiest first."""
    by_kg = sorted(estimate.kg_by_region.items(), key=lambda kv: -kv[1])
    if len(by_kg) <= 1:
        return f"in {by_kg[0][0] if by_kg else estimate.region}"
    return "in " + ", ".join(f"{region} ({kg:.3g} kg)" for region, kg in by_kg)


def _largest_part(estimate: CarbonEstimate) -> str:
    """The part and region drawing the most energy (``apprunner_memory in ap-south-1, 85.8 kWh``)."""
    drawn = [(kwh, part, region) for region, parts in estimate.kwh_by_region.items() for part, kwh in parts.items()]
    if not drawn:
        return "none"
    kwh, part, region = max(drawn)
    return f"{part} in {region}, {kwh:.3g} kWh"


def judge_carbon(estimate: CarbonEstimate, threshold_kg: float) -> Outcome:
    """Pass when the figure is within ``threshold_kg`` and nothing significant was left out of it.

    A planned resource that runs every hour at a size the estimate does not know makes the figure a
    lower bound: over the threshold is still a failure, within it is ``error`` naming the resource.
    """
    details = {"unit": "kg CO2e/month", "estimate": estimate.to_dict()}
    measured = round(estimate.kg_co2e, 4)
    left_out = [f"{n['what']} is not estimated: {n['why']}" for n in estimate.significant]
    if estimate.kg_co2e > threshold_kg:
        bound = " at least" if left_out else ""
        return Outcome.judged(
            False,
            measured,
            threshold_kg,
            "; ".join(
                [
                    f"estimated{bound} {measured:g} kg CO2e/month {_where(estimate)}, over {threshold_kg:g} kg "
                    f"(largest part: {_largest_part(estimate)})",
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
