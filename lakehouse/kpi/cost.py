"""KPI monthly cost <= 20 USD: Infracost's JSON when its CLI is configured, else our own estimate.

The estimate prices the resources in ``terraform show -json`` of a saved plan with a committed,
dated price table and a committed usage file (``fixtures/cost/``): flat-priced resources
(dashboards, alarms) per resource, schedules per invocation their expression makes, SNS deliveries per subscription
by its protocol (``lakehouse.kpi.sns_delivery``), usage-based ones
(Athena scans, S3, Glue, SNS, SQS) from the usage file, each section carried in full by the one resource
of its type where it costs most
(``usage_carriers``: padding the plan cannot spread it thinner or into a cheaper region), each
resource in its own region (the region its ARN names when the plan keeps an object that exists, else its
``region`` argument over its provider's). A resource type neither
priced nor listed as free (with its source and date) is *unpriced*, and an unpriced resource, or a
usage-based part Infracost left without a cost, or a planned resource its answer leaves out, makes the
KPI ``error`` naming it: never 0 USD. Athena and Glue usage is priced in the target's region when the plan has
no workgroup or database (the stack's queries run in ``primary``). No free tier is applied.
Infracost gets the same usage, translated into its usage-file format (``--usage-file``).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from lakehouse.arns import arn_region
from lakehouse.checks.finops import budget_kind_problem
from lakehouse.config import project_root
from lakehouse.kpi import billed_features, kms, sns_delivery
from lakehouse.kpi.apprunner_capacity import Capacity, capacities, size_value
from lakehouse.kpi.custom_metrics import ALARM, custom_metrics, monthly_metrics
from lakehouse.kpi.datafile import DataFile, DataFileError, load_data_file
from lakehouse.kpi.pause import HOURS_PER_MONTH, PAUSE_TARGET, RunningHours, running_hours
from lakehouse.kpi.sns_delivery import SUBSCRIPTION, SmsPrice, chunks, deliveries, load_sms_prices
from lakehouse.outcome import Outcome
from lakehouse.schedule_gap import monthly_firings
from lakehouse.terraform import config_resources, without_instance_keys

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
    "data_transfer_out_usd_per_gb",
    "glue_usd_per_100k_objects_month",
    "glue_usd_per_1m_requests",
    "cloudwatch_usd_per_dashboard_month",
    "cloudwatch_usd_per_alarm_month",
    "cloudwatch_usd_per_custom_metric_month",
    "sns_usd_per_1m_publishes",
    *sns_delivery.PRICE_KEYS,
    "sqs_standard_usd_per_1m_requests",
    "sqs_fifo_usd_per_1m_requests",
    "scheduler_usd_per_1m_invocations",
    "sagemaker_serverless_usd_per_gb_second",
    "sagemaker_usd_per_gb_processed",
    "apprunner_usd_per_vcpu_hour",
    "apprunner_usd_per_gb_hour",
    "kms_usd_per_10k_requests",
    "kms_usd_per_key_month",
)
#: Price-table keys that are no price (a minimum billed size): 0 is a rule, not a free resource.
NOT_PRICES = frozenset({"athena_min_mb_per_query"})
#: Marks an ``unpriced`` entry for a billed setting of a resource whose other parts are priced (``billed_features``).
BILLED = "billed_feature"
#: Why a price of 0 is refused: it prices what it multiplies at 0 USD however much of it the month uses.
ZERO_PRICE = (
    "a list price of 0 prices every unit it multiplies at 0 USD; AWS charges for each of these (free tiers are "
    "not applied): a resource type that costs nothing belongs in free_resource_types, with why, source and as_of"
)
#: Usage-file keys, by section.
USAGE_KEYS = {
    "athena": ("queries_per_day", "mb_scanned_per_query", "engine_seconds_per_query", "dpu_per_query"),
    "s3": ("gb_stored", "put_requests", "get_requests", "gb_transferred_out"),
    "glue": ("objects", "requests"),
    "sns": ("publishes", "request_size_kb", "sms_parts_per_notification"),
    "sqs": ("requests",),
    "sagemaker": ("inferences", "seconds_per_inference", "memory_gb", "gb_processed", "artifact_gb_stored"),
    "apprunner": ("active_hours", "resumes", "vcpu", "memory_gb"),
    "cloudwatch": ("custom_metrics",),
    "kms": ("s3_bucket_key_request_share",),
}

#: Usage-file keys that size one unit of use (a query, an inference, the running service), not count them.
#: Counts may be 0 (a month without a prediction); a size of 0 prices and emits every counted unit at 0.
USAGE_SIZES = {
    "athena": ("engine_seconds_per_query", "dpu_per_query"),
    "sns": ("request_size_kb", "sms_parts_per_notification"),
    "sagemaker": ("seconds_per_inference", "memory_gb"),
    "apprunner": ("vcpu", "memory_gb"),
    "kms": ("s3_bucket_key_request_share",),
}
ZERO_SIZE = (
    "every query, inference or running hour takes time and capacity; a size of 0 makes each one the section "
    "counts free (and emission-free) however many there are"
)


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class FreeType:
    """A resource type the price table states is free: why, where that was read, and when."""

    why: str
    source: str
    as_of: str

    def note(self) -> str:
        return f"{self.why} ({self.source}, {self.as_of})"


@dataclass
class PriceTable:
    """List prices per region, and the resource types that cost nothing by themselves."""

    path: Path
    as_of: str
    regions: dict[str, dict[str, float]]
    free_types: dict[str, FreeType]
    source: DataFile
    #: SMS prices per message part by the destination's country calling code (``sms_destinations``).
    sms: dict[str, SmsPrice] = field(default_factory=dict)

    def prices(self, region: str) -> dict[str, float]:
        if region not in self.regions:
            raise DataFileError(
                f"{self.source.where('regions')}: no prices for region {region!r} "
                f"(the table has {', '.join(sorted(self.regions))})"
            )
        return self.regions[region]


def load_prices(path: Path = PRICES_FILE) -> PriceTable:
    """The dated price table. Every price is > 0 (``ZERO_PRICE``): a 0 would make a priced resource free
    without the explicit, sourced entry a free type needs."""
    doc = load_data_file(path)
    regions: dict[str, dict[str, float]] = {}
    for region in doc.section("regions"):
        regions[region] = {}
        for key in PRICE_KEYS:
            where = f"regions.{region}.{key}"
            regions[region][key] = doc.number(where) if key in NOT_PRICES else doc.positive(where, ZERO_PRICE)
    free = doc.data.get("free_resource_types") or {}
    if not isinstance(free, dict):
        raise doc.error("free_resource_types", "must be a mapping of resource type to why, source and as_of")
    free_types: dict[str, FreeType] = {}
    for name, entry in free.items():
        where = f"free_resource_types.{name}"
        if not isinstance(entry, dict):
            raise doc.error(where, "must say explicitly why the type is free, with its source and as_of date")
        why, source, as_of = (doc.text(f"{where}.{key}") for key in ("why", "source", "as_of"))
        if not _DATE.match(as_of):
            raise doc.error(f"{where}.as_of", f"must be a date YYYY-MM-DD, got {as_of!r}")
        free_types[str(name)] = FreeType(why, source, as_of)
    return PriceTable(path, doc.text("as_of"), regions, free_types, doc, load_sms_prices(doc, ZERO_PRICE))


@dataclass
class Usage:
    """A month of the stack's use (the cost and CO2 estimates share it)."""

    path: Path
    as_of: str
    values: dict[str, dict[str, float]]

    def __getitem__(self, key: str) -> dict[str, float]:
        return self.values[key]


def load_usage(path: Path = USAGE_FILE) -> Usage:
    """The month of usage: counts >= 0, the size of one unit of use > 0 (``USAGE_SIZES``)."""
    doc = load_data_file(path)
    values = {
        sec: {
            k: doc.positive(f"{sec}.{k}", ZERO_SIZE) if k in USAGE_SIZES.get(sec, ()) else doc.number(f"{sec}.{k}")
            for k in keys
        }
        for sec, keys in USAGE_KEYS.items()
    }
    if (bucket_key_share := values["kms"]["s3_bucket_key_request_share"]) > 1:
        raise doc.error(
            "kms.s3_bucket_key_request_share", f"must be at most 1 (a share of requests), got {bucket_key_share!r}"
        )
    return Usage(path, doc.text("as_of"), values)


# -- the plan ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedResource:
    address: str
    type: str
    region: str
    values: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    #: What its configuration refers to (``aws_apprunner_service.catalog[0]``...): ties known only at apply time.
    references: frozenset[str] = field(default_factory=frozenset, compare=False, hash=False)
    #: The same per argument its configuration sets (an argument set to a constant has no references).
    attribute_references: dict[str, frozenset[str]] = field(default_factory=dict, compare=False, hash=False)
    #: Its configuration's provisioners (``local-exec``...): commands run at apply, beside what the plan shows.
    provisioners: tuple[str, ...] = field(default=(), compare=False, hash=False)
    #: Why ``region`` is not the one its configuration says (``arn_placed``); empty when it is.
    region_from: str = field(default="", compare=False, hash=False)


def _references(expressions: Any, prefix: str) -> set[str]:
    """Every ``references`` entry under a resource's configuration expressions, module-prefixed."""
    found: set[str] = set()
    if isinstance(expressions, dict):
        for key, value in expressions.items():
            if key == "references" and isinstance(value, list):
                found |= {prefix + str(v) for v in value}
            else:
                found |= _references(value, prefix)
    elif isinstance(expressions, list):
        for item in expressions:
            found |= _references(item, prefix)
    return found


#: ``PlannedResource.region`` of a resource whose provider's region the plan does not tell.
UNKNOWN_REGION = ""


def _variable_region(expression: dict[str, Any], variables: dict[str, Any], default_region: str) -> str:
    """A region argument set to one root variable: its value in the plan (``var.region`` absent from them is the
    target's, as the harness sets it); ``UNKNOWN_REGION`` for any other expression."""
    refs = expression.get("references") or []
    if len(refs) != 1 or not refs[0].startswith("var."):
        return UNKNOWN_REGION
    name = refs[0].removeprefix("var.")
    value = (variables.get(name) or {}).get("value", default_region if name == "region" else None)
    return str(value) if isinstance(value, str) and value else UNKNOWN_REGION


def _provider_regions(plan: dict[str, Any], default_region: str) -> dict[str, str]:
    """Provider config key (``aws``, ``aws.use1``) -> its region: a constant, or the value of the one variable
    it is set to (the plan's ``variables``; ``var.region`` absent from them is the target's, as the harness
    sets it); ``UNKNOWN_REGION`` when it is any other expression. A provider without a region argument is the
    target's (``default_region``)."""
    regions: dict[str, str] = {}
    variables = plan.get("variables") or {}
    for key, conf in (plan.get("configuration", {}).get("provider_config") or {}).items():
        expression = (conf.get("expressions") or {}).get("region")
        if not expression:
            regions[key] = default_region
        elif expression.get("constant_value"):
            regions[key] = str(expression["constant_value"])
        elif ":" not in key:  # (a provider a module declares, ``module.m:aws``, reads the module's variables)
            regions[key] = _variable_region(expression, variables, default_region)
        else:
            regions[key] = UNKNOWN_REGION
    return regions


def _own_region(
    values: dict[str, Any], expression: dict[str, Any] | None, in_module: bool, variables: dict[str, Any], default: str
) -> str | None:
    """The region a resource's own ``region`` argument puts it in (None: it has none, its provider's decides).

    AWS provider 6.x gives every resource a ``region`` argument that overrides its provider's: a bucket the root
    sets ``region = "us-east-1"`` is there, whatever the provider's region, and pricing it at the provider's would
    price another region (5.x, pinned here, refuses the argument; its S3 bucket reports its region the same way).
    The plan's value when it knows it, else a constant or one root variable; any other expression: unknown.
    """
    planned = values.get("region")
    if isinstance(planned, str) and planned:
        return planned
    if not expression:
        return None
    if expression.get("constant_value"):
        return str(expression["constant_value"])
    return UNKNOWN_REGION if in_module else _variable_region(expression, variables, default)


def arn_placed(rtype: str, values: dict[str, Any], configured: str) -> tuple[str, str]:
    """(region, why) of an object the plan keeps: the region its own ARN names, over ``configured``.

    A saved plan keeps an object that exists (no-op, update in place) with its ARN; it is billed where that ARN
    says, whatever the configuration says now: a stack applied in eu-west-1 then planned ``-refresh=false`` with
    ``region = "us-east-1"`` keeps its eu-west-1 key (and prices it at us-east-1's prices if the configuration is
    believed). Read for the priced types only (``PRICED_TYPES``: their ``arn`` is their own, computed, never an
    argument naming another resource); a global ARN (``arn:aws:s3:::bucket``, region "") says nothing.
    """
    arn = values.get("arn")
    found = arn_region(arn) if rtype in PRICED_TYPES and isinstance(arn, str) else None
    if not found or found == configured:
        return configured, ""
    said = f"its configuration says {configured}" if configured else "its configuration's region is not known"
    return found, f"its ARN in the plan ({arn}) names {found}, where the object the plan keeps is billed; {said}"


def planned_resources(plan: dict[str, Any], default_region: str) -> list[PlannedResource]:
    """Managed resources the plan leaves in place or creates (``planned_values``), with their region."""
    if "planned_values" not in plan:
        raise ValueError("not a saved plan's `terraform show -json` document (no planned_values)")
    regions = _provider_regions(plan, default_region)
    variables = plan.get("variables") or {}
    config_provider: dict[str, str] = {}
    config_region: dict[str, tuple[dict[str, Any] | None, bool]] = {}
    config_refs: dict[str, frozenset[str]] = {}
    config_attribute_refs: dict[str, dict[str, frozenset[str]]] = {}
    config_provisioners: dict[str, tuple[str, ...]] = {}

    for config_address, res in config_resources(plan):
        prefix = config_address.removesuffix(str(res["address"]))  # the module's, for its references
        config_provider[config_address] = res.get("provider_config_key", "aws")
        config_region[config_address] = ((res.get("expressions") or {}).get("region"), bool(prefix))
        config_refs[config_address] = frozenset(_references(res.get("expressions"), prefix))
        config_attribute_refs[config_address] = {
            str(k): frozenset(_references(v, prefix)) for k, v in (res.get("expressions") or {}).items()
        }
        config_provisioners[config_address] = tuple(str(p.get("type", "?")) for p in res.get("provisioners") or [])
    found: list[PlannedResource] = []

    def walk(module: dict[str, Any]) -> None:
        for res in module.get("resources") or []:
            if res.get("mode") != "managed":
                continue
            address = str(res["address"])
            base = without_instance_keys(address)  # module.m[0].aws_x.y["a"] is module.m.aws_x.y in configuration
            provider = config_provider.get(base, "aws")
            values = dict(res.get("values") or {})
            expression, in_module = config_region.get(base, (None, base.startswith("module.")))
            own = _own_region(values, expression, in_module, variables, default_region)
            configured = regions.get(provider, default_region) if own is None else own
            region, region_from = arn_placed(str(res["type"]), values, configured)
            refs, by_attribute = config_refs.get(base, frozenset()), config_attribute_refs.get(base, {})
            provisioners = config_provisioners.get(base, ())
            found.append(
                PlannedResource(
                    address, str(res["type"]), region, values, refs, by_attribute, provisioners, region_from
                )
            )
        for child in module.get("child_modules") or []:
            walk(child)

    walk(plan["planned_values"].get("root_module") or {})
    return found


# -- what the plan says the usage file cannot --------------------------------------------------------


@dataclass(frozen=True)
class PlanSizes:
    """Capacity the plan provisions, priced over the usage file's copy of it (None: the plan does not say)."""

    sagemaker_memory_gb: float | None = None
    apprunner_vcpu: float | None = None
    apprunner_memory_gb: float | None = None


def _variants(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [v for key in ("production_variants", "shadow_production_variants") for v in values.get(key) or [] if v]


def plan_sizes(resources: list[PlannedResource]) -> PlanSizes:
    """The largest serverless endpoint memory and App Runner instance the plan provisions."""
    sm = [
        float(c["memory_size_in_mb"]) / 1024
        for r in resources
        if r.type == "aws_sagemaker_endpoint_configuration"
        for v in _variants(r.values)
        for c in v.get("serverless_config") or []
        if c.get("memory_size_in_mb")
    ]
    cpus, mems = [], []
    for r in resources:
        if r.type != "aws_apprunner_service":
            continue
        for conf in r.values.get("instance_configuration") or []:
            if (cpu := size_value(conf.get("cpu"), "vCPU")) is not None:
                cpus.append(cpu)
            if (mem := size_value(conf.get("memory"), "GB")) is not None:
                mems.append(mem)
    return PlanSizes(max(sm, default=None), max(cpus, default=None), max(mems, default=None))


def outside_price_model(r: PlannedResource, plan: Sequence[PlannedResource]) -> str | None:
    """Why the table cannot price ``r`` as planned (None when it can); ``plan``: every planned resource.

    The table prices SageMaker inference as serverless, 0 when idle: an endpoint configuration with
    a variant on instances, or serverless with provisioned concurrency, bills every hour of the month,
    and pricing it as serverless (or its configuration as free) would hide that; so would an endpoint
    running a configuration the plan does not create (``_endpoint_config_unplanned``). A schedule is priced
    per invocation only as the catalog's pause (``_schedule_outside_model``), an Athena workgroup priced only on the
    SQL engine, and nothing is priced that runs a provisioner (its commands create what no plan shows).
    """
    if r.provisioners:
        return (
            f"its configuration runs {', '.join(r.provisioners)} provisioner(s) at apply: what they create is "
            "billed outside the plan and priced nowhere"
        )
    if r.type == "aws_scheduler_schedule":
        return _schedule_outside_model(r)
    if r.type == ALARM:
        return _metrics_insights_alarm(r)
    if r.type == "aws_athena_workgroup":
        return _spark_workgroup(r)
    if r.type == "aws_sagemaker_endpoint":
        return _endpoint_config_unplanned(r, plan)
    if r.type != "aws_sagemaker_endpoint_configuration":
        return None
    for v in _variants(r.values):
        name = v.get("variant_name") or "?"
        serverless = [c for c in v.get("serverless_config") or [] if c]
        if v.get("instance_type") or not serverless:
            kind = v.get("instance_type") or "instance type not known at plan time"
            return (
                f"variant {name} runs on instances ({kind} x {v.get('initial_instance_count')}), billed every hour "
                "they run: fixtures/cost/prices.yml prices serverless inference only (0 when idle)"
            )
        if provisioned := sum(int(c.get("provisioned_concurrency") or 0) for c in serverless):
            return (
                f"variant {name} keeps {provisioned} provisioned concurrency, billed every hour of the month: "
                "fixtures/cost/prices.yml prices on-demand serverless inference only (0 when idle)"
            )
    return None


def _config_base(reference: str) -> str:
    """A reference without its instance keys, literal or not (``aws_x.this[each.key].name`` -> ``aws_x.this.name``)."""
    return re.sub(r"\[[^\]]*\]", "", reference)


def _endpoint_config_unplanned(r: PlannedResource, plan: Sequence[PlannedResource]) -> str | None:
    """Why a SageMaker endpoint's configuration is not one the plan creates (None: it is).

    The endpoint is priced as serverless, 0 when idle, because the planned configurations say so (each one's
    variants judged above). An endpoint set to run a configuration no planned resource creates (made by hand, by
    another stack) may run on instances, billed every hour: pricing it as serverless would hide that. Its
    configuration is the plan's when its planned ``endpoint_config_name`` is a planned configuration's name, or
    its argument refers to a planned configuration (or to the module that holds one).
    """
    configs = [c for c in plan if c.type == "aws_sagemaker_endpoint_configuration"]
    name = r.values.get("endpoint_config_name")
    if isinstance(name, str) and name and any(c.values.get("name") == name for c in configs):
        return None
    bases = {without_instance_keys(c.address) for c in configs}
    for ref in map(_config_base, r.attribute_references.get("endpoint_config_name", frozenset())):
        if any(ref == b or ref.startswith(b + ".") or b.startswith(ref + ".") for b in bases):
            return None
    shown = repr(name) if isinstance(name, str) and name else "(not known at plan time)"
    return (
        f"its endpoint configuration {shown} is not one the plan creates: whether it runs on instances, billed "
        "every hour, or serverless, 0 when idle, cannot be told: fixtures/cost/prices.yml prices serverless "
        "inference only"
    )


#: A metric query in CloudWatch Metrics Insights' SQL (``SELECT ... FROM SCHEMA(...)``), not metric math.
_METRICS_INSIGHTS = re.compile(r"^\s*SELECT\b", re.IGNORECASE)


def _metrics_insights_alarm(r: PlannedResource) -> str | None:
    """Why an alarm on a Metrics Insights query is not priced per metric of its queries (None: it is not one).

    CloudWatch bills such an alarm per metric its query analyzes (meteredUnitMaps cloudwatch "Metrics Insights
    Alarms Standard"): every metric of the namespace the ``SELECT`` matches, known only when it runs. Priced as one
    metric, a query over a whole namespace of custom metrics cost 0.10 USD.
    """
    for query in r.values.get("metric_query") or []:
        expression = str((query or {}).get("expression") or "")
        if _METRICS_INSIGHTS.match(expression):
            return (
                f"its metric query {(query or {}).get('id') or '?'} is a Metrics Insights query ({expression[:60]}): "
                "CloudWatch bills it per metric the query analyzes, which the plan cannot tell"
            )
    return None


def _spark_workgroup(r: PlannedResource) -> str | None:
    """Why an Athena workgroup is not the SQL engine the table prices per TB scanned (None: it is, or AUTO)."""
    for conf in r.values.get("configuration") or []:
        for engine in (conf or {}).get("engine_version") or []:
            selected = str((engine or {}).get("selected_engine_version") or "")
            if "spark" in selected.lower():
                return (
                    f"it runs {selected}: Spark sessions bill per DPU-hour while they run, fixtures/cost/prices.yml "
                    "prices Athena SQL per TB scanned only"
                )
    return None


def _schedule_outside_model(r: PlannedResource) -> str | None:
    """Why a schedule is not the App Runner pause prices.yml prices per invocation (None: every target pauses it).

    Its invocations are priced, but a universal target runs any AWS API on the stack's behalf: ``resumeService``
    keeps the catalog running however often the pause fires (the idle hours the estimate prices assume the
    usage file's ``resumes``), ``sagemaker:createEndpoint`` or ``ec2:runInstances`` bill resources no plan
    shows. What it starts is not priced anywhere, so pricing only its invocations would price that at 0.
    """
    for target in r.values.get("target") or [{}]:
        arn = str((target or {}).get("arn") or "")
        if not arn:
            return "its target is not known at plan time: what it calls, and what that costs, cannot be told"
        if not arn.endswith(PAUSE_TARGET):
            return (
                f"its target {arn} is not the App Runner pause fixtures/cost/prices.yml prices schedules as "
                f"(…{PAUSE_TARGET}): what it runs or creates is billed outside the plan and priced nowhere"
            )
    return None


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
    #: What the plan decided about its usage (an App Runner service's idle hours: which pause, or none).
    note: str = ""
    #: How much of usage.yml's section it carries, and why (``usage_carriers``); empty for a flat-priced type.
    carries: str = ""
    #: Why its region is not the one its configuration says (``arn_placed``); empty when it is.
    region_from: str = ""


@dataclass
class InfracostAnswer:
    """The planned resources an Infracost JSON accounts for: by address, or only counted by type.

    Both generations name every resource they price (``breakdown.resources[].name`` / ``resources[].name``, the
    Terraform address). The classic CLI names the free and unsupported ones only with tag policies on
    (``freeResources``); otherwise its summary just counts them per type (``unsupportedResourceCounts``,
    ``noPriceResourceCounts``: infracost/infracost internal/output/output.go ``outputBreakdown``, ``BuildSummary``).
    """

    named: tuple[str, ...] = ()
    #: Type -> how many resources of it the summary counts without naming them (unsupported or no price).
    counted: dict[str, int] = field(default_factory=dict)
    #: Types Infracost says cost nothing (no price, or ``is_free``).
    free_types: tuple[str, ...] = ()


@dataclass
class CostEstimate:
    """Monthly cost per resource, what is free, and what could not be priced.

    ``unpriced``: resources nobody priced; ``unpriced_components``: usage-based parts whose cost
    Infracost left null. Either makes the total a lower bound, so the KPI cannot pass on it.
    """

    source: str
    total_usd: float
    lines: list[CostLine]
    free: list[dict[str, str]] = field(default_factory=list)
    unpriced: list[dict[str, str]] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)
    unpriced_components: list[dict[str, str]] = field(default_factory=list)
    #: What Infracost's JSON accounts for (None: our own estimate); planned resources it leaves out are named.
    answered: InfracostAnswer | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["total_usd"] = round(self.total_usd, 4)
        for line in data["lines"]:
            line["monthly_usd"] = round(line["monthly_usd"], 4)
            for comp in line["components"]:
                comp["monthly_usd"] = round(comp["monthly_usd"], 6)
        return data


#: An alarm's period below a minute makes it high resolution (CloudWatch: 10, 20 or 30 s).
HIGH_RESOLUTION_S = 60


def alarm_metric_units(values: dict[str, Any]) -> tuple[float, str]:
    """How many standard alarm metrics an alarm bills as, and what it is.

    CloudWatch bills alarms per metric they evaluate: a metric-math alarm each metric in its queries, an
    anomaly-detection alarm three (the metric and its band's two bounds), a high-resolution one (period under
    a minute) three times a standard one (aws.amazon.com/cloudwatch/pricing: 0.10, 0.30 anomaly detection,
    0.30 high resolution, 0.90 both, per alarm metric; infra/variables.tf alarm_period_s says the same).
    """
    queries = [q for q in values.get("metric_query") or [] if q]
    metrics = [m for q in queries for m in q.get("metric") or [] if m]
    periods = [int(m.get("period") or 0) for m in metrics] or [int(values.get("period") or 0)]
    high = any(0 < period < HIGH_RESOLUTION_S for period in periods)
    anomaly = bool(values.get("threshold_metric_id"))
    units = max(len(metrics), 1) * (3 if high else 1) * (3 if anomaly else 1)
    kind = (
        f"{max(len(metrics), 1)} alarm metric(s)"
        + (", high resolution" if high else ", standard resolution")
        + (", anomaly detection" if anomaly else "")
    )
    return float(units), kind


def kms_requests(
    rtype: str,
    share: float,
    p: dict[str, float],
    u: Usage,
    encryption: kms.BucketEncryption | None,
    keyed: bool,
) -> list[CostComponent]:
    """The KMS requests a bucket, queue or topic carrying ``share`` of its usage makes (``lakehouse.kpi.kms``).

    A bucket under SSE-KMS: each PUT and GET calls KMS, with an S3 Bucket Key only usage.yml's
    ``kms.s3_bucket_key_request_share`` of them; a queue with a KMS key: at most one call per request (the data key
    reuse period cuts it: not counted, the estimate errs high); a topic: ``kms.SNS_KMS_REQUESTS_PER_CHUNK`` per chunk.
    """
    price = p["kms_usd_per_10k_requests"]
    if rtype == kms.BUCKET and encryption is not None and encryption.calls_kms:
        s3 = u["s3"]
        n = (s3["put_requests"] + s3["get_requests"]) * share
        n *= encryption.request_share(u["kms"]["s3_bucket_key_request_share"])
        return [CostComponent(f"KMS requests ({encryption.what()})", n, "requests", price, n / 10_000 * price)]
    if rtype == kms.QUEUE and keyed:
        n = u["sqs"]["requests"] * share
        name = "KMS requests (kms_master_key_id: at most one per queue request)"
        return [CostComponent(name, n, "requests", price, n / 10_000 * price)]
    if rtype == kms.TOPIC and keyed:
        n = u["sns"]["publishes"] * chunks(u["sns"]["request_size_kb"]) * kms.SNS_KMS_REQUESTS_PER_CHUNK * share
        name = f"KMS requests (kms_master_key_id: {kms.SNS_KMS_REQUESTS_PER_CHUNK} per 64 KB chunk published)"
        return [CostComponent(name, n, "requests", price, n / 10_000 * price)]
    return []


def _components(
    rtype: str,
    share: float,
    p: dict[str, float],
    u: Usage,
    sizes: PlanSizes | None = None,
    hours: RunningHours | None = None,
    capacity: Capacity | None = None,
    values: dict[str, Any] | None = None,
    sms: dict[str, SmsPrice] | None = None,
    encryption: kms.BucketEncryption | None = None,
    keyed: bool = False,
    months_of_key: tuple[float, str] | None = None,
) -> list[CostComponent] | None:
    """The cost components of one resource of ``rtype`` carrying ``share`` of its type's usage.

    Sizes the plan states (``sizes``) are priced over the usage file's: the plan is what is deployed.
    ``hours``: an App Runner service's month as the plan's pause schedule decides it (``lakehouse.kpi.pause``);
    ``capacity``: its instance size and provisioned instances as planned (``lakehouse.kpi.apprunner_capacity``).
    ``encryption``: a bucket's, ``keyed``: a queue or topic with a KMS key (their KMS requests: ``kms_requests``).
    ``months_of_key``: a KMS key's key-months and what it is (``kms.key_months``).
    """
    sizes = sizes or PlanSizes()
    requests_to_kms = kms_requests(rtype, share, p, u, encryption, keyed)

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
            # usage.yml's results downloaded (the CO2 estimate counts their network energy too)
            comp(
                "data transfer out to the internet",
                s["gb_transferred_out"] * share,
                "GB",
                p["data_transfer_out_usd_per_gb"],
            ),
            *requests_to_kms,
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
        units, kind = alarm_metric_units(values or {})
        return [comp(kind, units, "standard alarm metric-months", p["cloudwatch_usd_per_alarm_month"])]
    if rtype == "aws_sns_topic":  # each 64 KB chunk of a message is a request
        n = u["sns"]["publishes"] * chunks(u["sns"]["request_size_kb"]) * share
        return [comp("publishes", n, "requests", p["sns_usd_per_1m_publishes"], 1_000_000), *requests_to_kms]
    if rtype == SUBSCRIPTION:  # every subscription receives every publish (lakehouse.kpi.sns_delivery)
        month = deliveries(values or {}, p, u["sns"], sms or {})
        return None if month is None else [comp(d.name, d.quantity, d.unit, d.unit_price_usd, d.per) for d in month]
    if rtype == "aws_sqs_queue":  # every request (send, receive, delete, empty receive), free tier not applied
        fifo = bool((values or {}).get("fifo_queue"))
        key = "sqs_fifo_usd_per_1m_requests" if fifo else "sqs_standard_usd_per_1m_requests"
        n = u["sqs"]["requests"] * share
        return [
            comp(f"{'FIFO' if fifo else 'standard'} queue requests", n, "requests", p[key], 1_000_000),
            *requests_to_kms,
        ]
    if rtype in kms.KEY_TYPES:
        if months_of_key is None:  # (``_Pricing.components`` reads it from the plan)
            return None
        months, what = months_of_key
        return [comp(what, months, "key-months", p["kms_usd_per_key_month"])]
    if rtype == "aws_scheduler_schedule":  # every invocation, free tier not applied
        firings, how = monthly_firings(str((values or {}).get("schedule_expression") or ""))
        return [comp(f"invocations ({how})", firings, "invocations", p["scheduler_usd_per_1m_invocations"], 1_000_000)]
    if rtype == "aws_sagemaker_endpoint":
        # Serverless inference: billed only while a request runs (idle: 0), plus the data in and out.
        m = u["sagemaker"]
        memory_gb = m["memory_gb"] if sizes.sagemaker_memory_gb is None else sizes.sagemaker_memory_gb
        gb_s = m["inferences"] * m["seconds_per_inference"] * memory_gb * share
        return [
            comp("serverless compute (0 when idle)", gb_s, "GB-seconds", p["sagemaker_serverless_usd_per_gb_second"]),
            comp("data processed in and out", m["gb_processed"] * share, "GB", p["sagemaker_usd_per_gb_processed"]),
            comp("model archives (S3)", m["artifact_gb_stored"] * share, "GB-month", p["s3_standard_usd_per_gb_month"]),
        ]
    if rtype == "aws_apprunner_service":
        # Active (answering): vCPU and memory per hour. Running but idle: the provisioned instance's memory
        # only, until the plan's pause schedule fires (none: all month). Paused: nothing.
        r = u["apprunner"]
        if hours is None:  # no plan to read: nothing is known to pause it
            hours = RunningHours(
                "?", r["active_hours"] * share, HOURS_PER_MONTH - r["active_hours"] * share, None, None, ""
            )
        active, idle = hours.active, hours.idle
        if capacity is None:  # no plan to read: the usage file's size, one instance
            capacity = Capacity(r["vcpu"], r["memory_gb"], 1, "usage file")
        vcpu, memory_gb, more = capacity.vcpu, capacity.memory_gb, capacity.instances - 1
        parts = [
            comp("active vCPU (in use)", active * vcpu, "vCPU-hours", p["apprunner_usd_per_vcpu_hour"]),
            comp("active memory (in use)", active * memory_gb, "GB-hours", p["apprunner_usd_per_gb_hour"]),
            comp(
                "provisioned memory while running idle",
                idle * memory_gb,
                "GB-hours",
                p["apprunner_usd_per_gb_hour"],
            ),
        ]
        if more > 0:  # MinSize > 1: the other provisioned instances' memory, in use or idle
            parts.append(
                comp(
                    f"provisioned memory of {more} more instance(s) (MinSize {capacity.instances}) while running",
                    (active + idle) * memory_gb * more,
                    "GB-hours",
                    p["apprunner_usd_per_gb_hour"],
                )
            )
        return parts
    return None


#: Types ``_components`` prices, flat or from usage.yml (a type Infracost calls free is priced by the table).
PRICED_TYPES = frozenset(
    {
        "aws_athena_workgroup",
        "aws_s3_bucket",
        "aws_glue_catalog_database",
        "aws_cloudwatch_dashboard",
        "aws_cloudwatch_metric_alarm",
        "aws_sns_topic",
        SUBSCRIPTION,
        "aws_sqs_queue",
        "aws_scheduler_schedule",
        "aws_sagemaker_endpoint",
        "aws_apprunner_service",
        *kms.KEY_TYPES,
    }
)
#: Usage-priced types -> the section of fixtures/cost/usage.yml a resource of the type carries.
USAGE_SECTIONS = {
    "aws_athena_workgroup": "athena",
    "aws_s3_bucket": "s3",
    "aws_glue_catalog_database": "glue",
    "aws_sns_topic": "sns",
    "aws_sqs_queue": "sqs",
    "aws_sagemaker_endpoint": "sagemaker",
    "aws_apprunner_service": "apprunner",
}
#: How usage.yml's stack-wide month is put on the planned resources (the evidence says it).
USAGE_RULE = (
    "usage.yml is the whole stack's month: each section is carried in full by one planned resource of its type, "
    "the one where it costs most (its region's prices; an App Runner service's size and pause; the first address "
    "of those costing the same), the others carry none: a resource added to the plan can only carry it at a "
    "higher price, never take a share of it"
)


#: Usage-priced types whose usage.yml month the stack makes with none of them planned -> where it then runs.
UNPLANNED_USAGE = {
    "aws_athena_workgroup": "the account's primary workgroup",
    "aws_glue_catalog_database": "databases the plan does not create",
}


def unplanned_usage(plan: list[PlannedResource], prices: PriceTable, usage: Usage, region: str) -> list[CostLine]:
    """usage.yml's Athena and Glue months when the plan has no workgroup or no database: priced in ``region``.

    The stack's queries are billed per TB scanned whatever workgroup runs them (the account's ``primary`` when
    the plan creates none), and its catalog requests whatever database they ask; the CO2 KPI counts that usage
    in the target's region then (``lakehouse.kpi.carbon._shares``), and so does the cost, never 0 USD.
    """
    lines: list[CostLine] = []
    for rtype, where in UNPLANNED_USAGE.items():
        if any(r.type == rtype for r in plan):
            continue
        section = USAGE_SECTIONS[rtype]
        comps = _components(rtype, 1.0, prices.prices(region), usage) or []
        carries = f"carries all of usage.yml's {section}: no {rtype} is planned, the stack uses {where}"
        address = f"usage.yml {section} in {where}"
        lines.append(CostLine(address, rtype, region, sum(c.monthly_usd for c in comps), comps, carries=carries))
    return lines


def custom_metric_lines(plan: list[PlannedResource], prices: PriceTable, usage: Usage, region: str) -> list[CostLine]:
    """The custom metrics the stack publishes, per region (``lakehouse.kpi.custom_metrics``): never left out.

    An alarm's line prices its evaluation only; each metric outside ``AWS/`` it watches is billed again for
    existing, and so is each the pipeline publishes that no alarm watches (usage.yml ``cloudwatch.custom_metrics``,
    in the target's ``region``). An alarm whose region is unknown is unpriced already (the KPI is ``error``).
    """
    watching = custom_metrics(plan)
    lines: list[CostLine] = []
    for where, count in sorted(monthly_metrics(plan, usage["cloudwatch"]["custom_metrics"], region).items()):
        if where == UNKNOWN_REGION:
            continue
        alarms = sorted({a for addresses in watching.get(where, {}).values() for a in addresses})
        try:
            price = prices.prices(where)["cloudwatch_usd_per_custom_metric_month"]
        except DataFileError as err:
            raise DataFileError(f"the custom metrics of {', '.join(alarms)} are in {where}: {err}") from None
        comp = CostComponent("custom metrics", count, "metric-months", price, count * price)
        shown = ", ".join(alarms[:3]) + (", ..." if len(alarms) > 3 else "")
        said = [f"{len(watching[where])} custom metric(s) the plan's alarms watch ({shown})"] if alarms else []
        if where == region:
            said.append(f"usage.yml cloudwatch.custom_metrics {usage['cloudwatch']['custom_metrics']:g}")
        carries = "; ".join(said)
        address = f"CloudWatch custom metrics in {where}"
        lines.append(CostLine(address, "cloudwatch_custom_metric", where, comp.monthly_usd, [comp], carries=carries))
    return lines


class _Pricing:
    """What pricing one planned resource needs from the whole plan: sizes, App Runner capacities and hours."""

    def __init__(self, whole: list[PlannedResource], prices: PriceTable, usage: Usage) -> None:
        self.prices, self.usage, self.whole = prices, usage, whole
        self.sizes = plan_sizes(whole)
        self.capacities = capacities(whole)
        self.encryption = kms.bucket_encryption(whole)
        services = [r.address for r in whole if r.type == "aws_apprunner_service"]
        self.hours_carrying = {a: running_hours(whole, usage["apprunner"], {a: 1.0})[a] for a in services}
        self.hours_idle = running_hours(whole, usage["apprunner"], {})

    def why_unpriced(self, r: PlannedResource) -> str | None:
        cap = self.capacities.get(r.address)
        delivery = sns_delivery.why_unpriced(r.values, self.prices.sms) if r.type == SUBSCRIPTION else None
        return (
            outside_price_model(r, self.whole)
            or _region_unknown(r)
            or (cap if isinstance(cap, str) else None)
            or delivery
        )

    def hours(self, r: PlannedResource, carries: bool) -> RunningHours | None:
        return (self.hours_carrying if carries else self.hours_idle).get(r.address)

    def components(self, r: PlannedResource, carries: bool) -> list[CostComponent] | None:
        """``r``'s cost components carrying all of its type's usage, or none of it."""
        cap = self.capacities.get(r.address)
        capacity = cap if isinstance(cap, Capacity) else None
        share, hours = (1.0 if carries else 0.0), self.hours(r, carries)
        return _components(
            r.type,
            share,
            _region_prices(self.prices, r),
            self.usage,
            self.sizes,
            hours,
            capacity,
            r.values,
            self.prices.sms,
            self.encryption.get(r.address),
            r.type in (kms.QUEUE, kms.TOPIC) and kms.uses_key(r),
            kms.key_months(r, self.whole) if r.type in kms.KEY_TYPES else None,
        )

    def carrying_costs(self, r: PlannedResource) -> float:
        """What carrying its type's usage adds to ``r``'s month (infinite where the table has no price for it)."""
        if self.why_unpriced(r) is not None or r.region not in self.prices.regions:
            return math.inf
        full, none = self.components(r, True) or [], self.components(r, False) or []
        return sum(c.monthly_usd for c in full) - sum(c.monthly_usd for c in none)


def usage_carriers(
    resources: list[PlannedResource], prices: PriceTable, usage: Usage, plan: list[PlannedResource] | None = None
) -> dict[str, str]:
    """Usage-priced type -> the address of the one resource of it that carries usage.yml's section (``USAGE_RULE``).

    Split evenly, a resource padded into the plan took a share: in a cheaper region, or an App Runner service of a
    smaller size, it lowered the total it carried no real use of. The dearest carrier cannot be undercut: another
    resource of the type only carries the usage if it costs more. Where the table has no price for a resource (its
    region unknown or not in it) it is taken as the dearest: the estimate then stops on it, naming it. Ties: the
    first address.
    """
    return _carriers(resources, _Pricing(resources if plan is None else plan, prices, usage))


def _carriers(resources: list[PlannedResource], pricing: _Pricing) -> dict[str, str]:
    carriers: dict[str, str] = {}
    for rtype in USAGE_SECTIONS:
        candidates = sorted((r for r in resources if r.type == rtype), key=lambda r: r.address)
        if candidates:
            carriers[rtype] = max(candidates, key=pricing.carrying_costs).address
    return carriers


def _carrier_note(r: PlannedResource, carriers: dict[str, str], planned: int) -> str:
    """What the evidence says of ``r``'s share of usage.yml (nothing for a type usage.yml does not price)."""
    section = USAGE_SECTIONS.get(r.type)
    if section is None:
        return ""
    if carriers.get(r.type) != r.address:
        return f"carries none of usage.yml's {section}: {carriers.get(r.type)} carries it (where it costs most)"
    if planned == 1:
        return f"carries all of usage.yml's {section} (the only {r.type} planned)"
    return (
        f"carries all of usage.yml's {section}: of the {planned} {r.type} planned, the one where it costs most "
        "(the first address of those costing the same)"
    )


def estimate_cost(
    resources: list[PlannedResource],
    prices: PriceTable,
    usage: Usage,
    plan: list[PlannedResource] | None = None,
    target_region: str | None = None,
) -> CostEstimate:
    """Price every planned resource; the free and the unpriced are listed, not hidden.

    A resource planned outside what the table's model prices (``outside_price_model``) is unpriced
    with the reason, even when its type is priced or listed as free. ``plan``: the whole plan's
    resources when ``resources`` is part of it (sizes and pause schedules are read from the whole).
    Each usage.yml section is carried by one resource of its type (``usage_carriers``).
    ``target_region``: the stack's, given when ``resources`` is the whole stack: usage.yml's Athena and Glue
    months are priced there when it plans no workgroup or database (``unplanned_usage``).
    """
    planned = Counter(r.type for r in resources)
    whole = resources if plan is None else plan
    pricing = _Pricing(whole, prices, usage)
    carriers = _carriers(resources, pricing)
    service = carriers.get("aws_apprunner_service")
    hours = {a: (pricing.hours_carrying if a == service else pricing.hours_idle)[a] for a in pricing.hours_idle}
    lines: list[CostLine] = []
    free: list[dict[str, str]] = []
    unpriced: list[dict[str, str]] = []
    for r in resources:
        if why := pricing.why_unpriced(r):
            unpriced.append({"address": r.address, "type": r.type, "region": r.region, "why": why})
            continue
        carries = carriers.get(r.type, r.address) == r.address
        comps = pricing.components(r, carries)
        billed = billed_features.why_unpriced(r)  # its priced part stays in the total: over the cap still fails
        if comps is not None:
            note, total = (hours[r.address].why if r.address in hours else ""), sum(c.monthly_usd for c in comps)
            carried = _carrier_note(r, carriers, planned[r.type])
            lines.append(CostLine(r.address, r.type, r.region, total, comps, note, carried, r.region_from))
        elif r.type in prices.free_types and not billed:
            free.append({"address": r.address, "type": r.type, "why": prices.free_types[r.type].note()})
        elif not billed:
            unpriced.append({"address": r.address, "type": r.type, "region": r.region})
        if billed:
            unpriced.append({"address": r.address, "type": r.type, "region": r.region, "why": billed, BILLED: "1"})
    if target_region is not None:
        for line in unplanned_usage(whole, prices, usage, target_region):
            lines.append(line)
            carriers[line.type] = line.address
        lines += custom_metric_lines(whole, prices, usage, target_region)
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
            "usage_rule": USAGE_RULE,
            "usage_carried_by": carriers,
            "sizes_from_plan": {k: v for k, v in asdict(pricing.sizes).items() if v is not None},
            "apprunner_hours_from_plan": {a: h.to_dict() for a, h in hours.items()},
            "apprunner_capacity_from_plan": {
                a: c if isinstance(c, str) else c.to_dict() for a, c in pricing.capacities.items()
            },
            "free_tiers": "not applied (per account; Infracost does the same)",
        },
    )


def _region_prices(prices: PriceTable, r: PlannedResource) -> dict[str, float]:
    """The table's prices in ``r``'s region; a region the table lacks stops the KPI naming the resource."""
    try:
        return prices.prices(r.region)
    except DataFileError as err:
        why = f" ({r.region_from})" if r.region_from else ""
        raise DataFileError(f"{r.address} ({r.type}) is planned in {r.region}{why}: {err}") from None


def _region_unknown(r: PlannedResource) -> str | None:
    """Why ``r`` cannot be priced in a region (None when its provider's region is known)."""
    if r.region != UNKNOWN_REGION:
        return None
    return (
        "the region of its provider configuration is neither a constant nor one variable in the plan: pricing it "
        "at the target region's prices could hide a dearer region"
    )


# -- Infracost -----------------------------------------------------------------------------------------


class InfracostError(RuntimeError):
    """Infracost ran but its answer cannot be used; the message says why."""


def _money(value: Any, where: str) -> float:
    """Infracost writes money as decimal strings (both generations); callers handle null first."""
    try:
        number = float(Decimal(str(value)))
    except InvalidOperation:
        raise InfracostError(f"infracost JSON: {where} is not a decimal ({value!r})") from None
    if not math.isfinite(number):
        raise InfracostError(f"infracost JSON: {where} is not a finite decimal ({value!r})")
    return number


def _component(
    address: str, comp: dict[str, Any], keys: tuple[str, str, str], unpriced: list[dict[str, str]]
) -> CostComponent:
    """One cost component; a null cost (usage unknown) or a missing price is listed as unpriced, never 0."""
    qty_key, price_key, cost_key = keys
    name = str(comp.get("name", "?"))
    cost = comp.get(cost_key)
    if cost is None or comp.get("priceNotFound"):
        why = "price not found" if comp.get("priceNotFound") else f"{cost_key} is null (usage unknown)"
        unpriced.append({"address": address, "component": name, "why": why})
    return CostComponent(
        name,
        0.0 if comp.get(qty_key) is None else _money(comp[qty_key], f"{address} {name} {qty_key}"),
        str(comp.get("unit", "")),
        0.0 if comp.get(price_key) is None else _money(comp[price_key], f"{address} {name} {price_key}"),
        0.0 if cost is None else _money(cost, f"{address} {name} {cost_key}"),
    )


def parse_infracost(doc: dict[str, Any]) -> CostEstimate:
    """Infracost's JSON, classic CLI (``breakdown --format json``) or the 2026 CLI (``scan --json``)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("projects"), list):
        raise InfracostError("infracost JSON has no projects list")
    classic = any("breakdown" in p for p in doc["projects"]) or "totalMonthlyCost" in doc
    lines: list[CostLine] = []
    free: list[dict[str, str]] = []
    unpriced: list[dict[str, str]] = []
    null_parts: list[dict[str, str]] = []
    if classic:
        for p in doc["projects"]:
            breakdown = p.get("breakdown") or {}
            for res in breakdown.get("resources") or []:
                name = str(res.get("name", "?"))
                keys = ("monthlyQuantity", "price", "monthlyCost")
                comps = [_component(name, c, keys, null_parts) for c in _all_components(res)]
                lines.append(CostLine(name, res.get("resourceType", "?"), "", sum(c.monthly_usd for c in comps), comps))
            for res in breakdown.get("freeResources") or []:
                free.append({"address": res.get("name", "?"), "type": res.get("resourceType", "?"), "why": "free"})
        summary = doc.get("summary") or {}
        counts = summary.get("unsupportedResourceCounts") or {}
        no_price = summary.get("noPriceResourceCounts") or {}
        unpriced = [{"address": f"{n} resource(s)", "type": t} for t, n in counts.items()]
        total = (
            sum(line.monthly_usd for line in lines)
            if doc.get("totalMonthlyCost") is None
            else _money(doc["totalMonthlyCost"], "totalMonthlyCost")
        )
        answered = InfracostAnswer(
            tuple(line.address for line in lines) + tuple(f["address"] for f in free),
            {t: int(counts.get(t) or 0) + int(no_price.get(t) or 0) for t in {*counts, *no_price}},
            tuple(sorted({*no_price, *(f["type"] for f in free)})),
        )
        return CostEstimate(
            "infracost (classic CLI)", total, lines, free, unpriced, unpriced_components=null_parts, answered=answered
        )
    for p in doc["projects"]:
        for res in p.get("resources") or []:
            name, rtype = res.get("name", "?"), res.get("type", "?")
            if res.get("is_free"):
                free.append({"address": name, "type": rtype, "why": "free"})
                continue
            if res.get("is_supported") is False:
                unpriced.append({"address": name, "type": rtype})
                continue
            keys = ("quantity", "price", "total_monthly_cost")
            comps = [_component(name, c, keys, null_parts) for c in res.get("cost_components") or []]
            lines.append(CostLine(name, rtype, "", sum(c.monthly_usd for c in comps), comps))
    summary = doc.get("summary") or {}
    total = (
        _money(summary["total_monthly_cost"], "summary.total_monthly_cost")
        if summary.get("total_monthly_cost") is not None
        else sum(line.monthly_usd for line in lines)
    )
    named = [line.address for line in lines] + [str(x["address"]) for x in free + unpriced]
    answered = InfracostAnswer(tuple(named), {}, tuple(sorted({f["type"] for f in free})))
    return CostEstimate(
        "infracost (2026 CLI)", total, lines, free, unpriced, unpriced_components=null_parts, answered=answered
    )


def _all_components(res: dict[str, Any]) -> list[dict[str, Any]]:
    comps = list(res.get("costComponents") or [])
    for sub in res.get("subresources") or []:
        comps += _all_components(sub)
    return comps


def price_the_unpriced(
    estimate: CostEstimate,
    resources: list[PlannedResource],
    prices: PriceTable,
    usage: Usage,
    target_region: str | None = None,
) -> CostEstimate:
    """Resources Infracost does not price: priced from the dated table, or free by its explicit entry.

    What neither Infracost nor the table prices stays unpriced (the KPI is then ``error``), and so
    does a resource planned outside the table's model that Infracost gave no cost (e.g. called free), and
    one Infracost's answer leaves out (``_left_out_by_infracost``). A type Infracost calls free that the
    table prices (a schedule's invocations) is priced from the table, and so is every SNS subscription's deliveries
    (``FROM_TABLE_ONLY``). ``target_region``: the stack's, where
    usage.yml's Athena and Glue months are priced when the plan has no workgroup or database (``unplanned_usage``).
    """
    _from_table_only(estimate, resources, prices, usage)
    _left_out_by_infracost(estimate, resources, prices)
    _unpriced_outside_model(estimate, resources)
    _add_transfer_out(estimate, resources, prices, usage)
    _add_kms_requests(estimate, resources, prices, usage)
    if target_region is not None:
        _add_lines(estimate, unplanned_usage(resources, prices, usage, target_region), prices)
        _add_lines(estimate, custom_metric_lines(resources, prices, usage, target_region), prices)
    _free_only_by_infracost(estimate, resources, prices)
    called_free = _called_free_but_priced(estimate)
    estimate.free = [f for f in estimate.free if f["type"] not in called_free]
    types = {u["type"] for u in estimate.unpriced if not u.get("left_out") and not u.get("called_free")}
    types = (types | called_free) - FROM_TABLE_ONLY
    if not types:
        _unpriced_billed_features(estimate, resources)
        return estimate
    by_type = [r for r in resources if r.type in types]
    from_table = estimate_cost(by_type, prices, usage, plan=resources)
    planned_types = {r.type for r in by_type}
    still = [u for u in estimate.unpriced if u["type"] not in planned_types] + from_table.unpriced
    _add_lines(estimate, from_table.lines, prices)
    estimate.free += from_table.free
    estimate.unpriced = still
    estimate.inputs.update(
        {"priced_from_table": sorted({line.type for line in from_table.lines}), "prices": str(prices.path)}
    )
    _unpriced_billed_features(estimate, resources)
    return estimate


def _unpriced_billed_features(estimate: CostEstimate, resources: list[PlannedResource]) -> None:
    """A billed setting the table cannot price (``billed_features``), in Infracost's answer too: unpriced naming the
    resource, whatever Infracost said of it (a lifecycle configuration it calls free, a service it prices by the
    hour without the automatic deployments' fee); a cost Infracost gave it stays in the total."""
    for r in resources:
        if not (why := billed_features.why_unpriced(r)):
            continue
        estimate.free = [f for f in estimate.free if f["address"] != r.address]
        estimate.unpriced = [u for u in estimate.unpriced if u["address"] != r.address or u.get(BILLED)]
        if not any(u["address"] == r.address for u in estimate.unpriced):
            estimate.unpriced.append(
                {"address": r.address, "type": r.type, "region": r.region, "why": why, BILLED: "1"}
            )


def _add_kms_requests(
    estimate: CostEstimate, resources: list[PlannedResource], prices: PriceTable, usage: Usage
) -> None:
    """The KMS requests of the bucket, queue and topic carrying usage.yml's S3, SQS and SNS months (``kms_requests``),
    priced from the table: Infracost prices none of them (its S3, SQS and SNS resources have no KMS part)."""
    pricing = _Pricing(resources, prices, usage)
    carriers = usage_carriers(resources, prices, usage)
    for rtype in (kms.BUCKET, kms.QUEUE, kms.TOPIC):
        r = next((r for r in resources if r.address == carriers.get(rtype)), None)
        if r is None:
            continue
        keyed = rtype != kms.BUCKET and kms.uses_key(r)
        encryption = pricing.encryption.get(r.address)
        if not keyed and (encryption is None or not encryption.calls_kms):
            continue
        if r.region == UNKNOWN_REGION:
            estimate.unpriced_components.append(
                {"address": r.address, "component": "KMS requests", "why": "region unknown"}
            )
            continue
        comps = kms_requests(rtype, 1.0, _region_prices(prices, r), usage, encryption, keyed)
        carried = _carrier_note(r, carriers, sum(x.type == r.type for x in resources))
        total = sum(c.monthly_usd for c in comps)
        line = CostLine(f"{r.address} (KMS requests)", r.type, r.region, total, comps, "", carried, r.region_from)
        _add_lines(estimate, [line], prices)


def _add_lines(estimate: CostEstimate, lines: list[CostLine], prices: PriceTable) -> None:
    """Lines priced from the table added to Infracost's, each component saying so."""
    for line in lines:
        line.components = [
            CostComponent(
                f"{c.name} [fixtures prices {prices.as_of}]", c.quantity, c.unit, c.unit_price_usd, c.monthly_usd
            )
            for c in line.components
        ]
    estimate.lines = sorted(estimate.lines + lines, key=lambda line: -line.monthly_usd)
    estimate.total_usd += sum(line.monthly_usd for line in lines)


def _called_free_but_priced(estimate: CostEstimate) -> set[str]:
    """Types Infracost calls free (no price) that the table prices, and of which it priced none itself.

    Infracost has no price for an EventBridge Scheduler schedule (``NoPrice``, internal/providers/terraform/aws/
    scheduler_schedule.go), yet AWS bills its invocations: the table's explicit price wins over "free".
    """
    answer = estimate.answered
    if answer is None:
        return set()
    costed = {line.type for line in estimate.lines}
    return {t for t in answer.free_types if t in PRICED_TYPES and t not in costed} - FROM_TABLE_ONLY


def _free_only_by_infracost(estimate: CostEstimate, resources: list[PlannedResource], prices: PriceTable) -> None:
    """Planned resources Infracost calls free that prices.yml does not: unpriced, naming them, never 0 USD.

    The table's rule holds in both paths: a type is free only by its ``free_resource_types`` entry (why, source,
    date). Infracost's own free list (internal/providers/terraform/aws/registry.go ``FreeResources``) holds types
    that bill, or make what bills: ``aws_cloudwatch_log_metric_filter`` publishes a custom metric (0.30 USD a month
    each), ``aws_s3_bucket_replication_configuration`` copies every object to another bucket, ``aws_s3_bucket_metric``
    is a request metric, ``aws_sagemaker_user_profile`` runs Studio apps. Taken at its word, fifty metric filters cost
    nothing in the Infracost path and were ``error`` in the estimate. Types the table prices are priced from it
    (``_called_free_but_priced``); those it lists as free stay free.
    """
    answer = estimate.answered
    if answer is None:
        return
    called = set(answer.free_types) | {f["type"] for f in estimate.free}
    suspect = {t for t in called if t not in prices.free_types and t not in PRICED_TYPES}
    costed = {line.address for line in estimate.lines if line.monthly_usd > 0}
    named = {u["address"] for u in estimate.unpriced}
    moved = [r for r in resources if r.type in suspect and r.address not in costed | named]
    addresses = {r.address for r in moved}
    estimate.free = [f for f in estimate.free if f["address"] not in addresses]
    for r in moved:
        why = (
            f"{estimate.source} calls it free, but fixtures/cost/prices.yml does not list {r.type} in "
            "free_resource_types (with why, source and as_of): a type is free only by that entry"
        )
        estimate.unpriced.append(
            {"address": r.address, "type": r.type, "region": r.region, "why": why, "called_free": "infracost"}
        )


def _left_out_by_infracost(estimate: CostEstimate, resources: list[PlannedResource], prices: PriceTable) -> None:
    """Planned resources Infracost's answer neither names (priced, free, unsupported) nor counts: never 0 USD.

    Infracost prices what it finds in the plan; a resource its answer leaves out (an answer for another plan or
    directory, a resource it failed to read) would otherwise cost nothing. Of a type its summary counts without
    names, only as many are accounted for as it counts: more planned than counted, none of them is. Such a
    resource of a type prices.yml lists as free costs nothing either way; any other is unpriced, naming it (not
    priced from the table in Infracost's place: its other resources of the type may be in Infracost's total).
    """
    answer = estimate.answered
    if answer is None:
        return
    named = set(answer.named)
    unnamed: dict[str, list[PlannedResource]] = {}
    for r in resources:
        if r.address not in named and r.type not in FROM_TABLE_ONLY:
            unnamed.setdefault(r.type, []).append(r)
    for rtype, planned in unnamed.items():
        counted = answer.counted.get(rtype, 0)
        if len(planned) <= counted:
            continue
        said = (
            f"its summary counts {counted} {rtype} without naming them, of the {len(planned)} planned it does not name"
            if counted
            else "nor counts it in its summary"
        )
        for r in planned:
            if rtype in prices.free_types:
                note = prices.free_types[rtype].note()
                estimate.free.append(
                    {"address": r.address, "type": rtype, "why": f"left out of Infracost's answer; {note}"}
                )
                continue
            why = (
                f"{estimate.source}'s answer leaves it out: it neither prices it nor names it free or unsupported "
                f"({said}), so its cost would count as 0 USD"
            )
            estimate.unpriced.append(
                {"address": r.address, "type": rtype, "region": r.region, "why": why, "left_out": "infracost"}
            )


#: Types priced from the table in the Infracost path too, whatever Infracost answers for them. Infracost prices SNS
#: deliveries from a topic's subscription counts, after per-account free tiers (100,000 HTTP/S, 1,000 e-mail, 100
#: SMS: internal/resources/aws/sns_topic.go) the estimate does not apply, at one SMS price whatever the country,
#: and leaves e-mail or SMS subscriptions out of its answer (sns_topic_subscription.go builds nothing for them).
#: It prices a KMS key's requests with no usage key to give them (internal/resources/aws/kms_key.go: null parts):
#: the table prices the key's month, and the requests on the bucket, queue or topic making them (``_add_kms_requests``);
#: replica and imported-material keys the same way, each in its own region (``kms.key_months``).
FROM_TABLE_ONLY = frozenset({SUBSCRIPTION, *kms.KEY_TYPES})


def _from_table_only(
    estimate: CostEstimate, resources: list[PlannedResource], prices: PriceTable, usage: Usage
) -> None:
    """Every planned resource of a ``FROM_TABLE_ONLY`` type priced from the table, in place of what Infracost says.

    Infracost is given no deliveries (``infracost_usage``): its lines for subscriptions are 0 USD and dropped, with
    whatever it says of them (free, unsupported, a null part), so each delivery is priced once, as in the estimate;
    a KMS key's line (its month, and request parts left null) likewise.
    """
    subscriptions = [r for r in resources if r.type in FROM_TABLE_ONLY]  # (and keys)
    if not subscriptions:
        return
    addresses = {r.address for r in subscriptions}
    estimate.total_usd -= sum(line.monthly_usd for line in estimate.lines if line.address in addresses)
    estimate.lines = [line for line in estimate.lines if line.address not in addresses]
    estimate.free = [f for f in estimate.free if f["type"] not in FROM_TABLE_ONLY]
    estimate.unpriced = [u for u in estimate.unpriced if u["type"] not in FROM_TABLE_ONLY]
    estimate.unpriced_components = [c for c in estimate.unpriced_components if c["address"] not in addresses]
    from_table = estimate_cost(subscriptions, prices, usage, plan=resources)
    _add_lines(estimate, from_table.lines, prices)
    estimate.free += from_table.free
    estimate.unpriced += from_table.unpriced


def _add_transfer_out(
    estimate: CostEstimate, resources: list[PlannedResource], prices: PriceTable, usage: Usage
) -> None:
    """usage.yml's data transferred out, priced from the table on the bucket that carries the S3 usage
    (``usage_carriers``): Infracost is not given it (``lakehouse.infracost``), so its estimate has no line for it."""
    carrier = usage_carriers(resources, prices, usage).get("aws_s3_bucket")
    r = next((r for r in resources if r.address == carrier), None)
    if r is None:
        return
    gb = usage["s3"]["gb_transferred_out"]
    if r.region == UNKNOWN_REGION:
        estimate.unpriced_components.append(
            {"address": r.address, "component": "data transfer out to the internet", "why": "region unknown"}
        )
        return
    price = _region_prices(prices, r)["data_transfer_out_usd_per_gb"]
    name = f"data transfer out to the internet [fixtures prices {prices.as_of}]"
    comp = CostComponent(name, gb, "GB", price, gb * price)
    carried = _carrier_note(r, {"aws_s3_bucket": r.address}, sum(x.type == r.type for x in resources))
    line = CostLine(
        f"{r.address} (data transfer out)", r.type, r.region, comp.monthly_usd, [comp], "", carried, r.region_from
    )
    estimate.lines.append(line)
    estimate.total_usd += comp.monthly_usd
    estimate.lines.sort(key=lambda line: -line.monthly_usd)


def _unpriced_outside_model(estimate: CostEstimate, resources: list[PlannedResource]) -> None:
    """Resources outside the table's model Infracost did not cost: unpriced with the reason, not free."""
    costed = {line.address for line in estimate.lines if line.monthly_usd > 0}
    for r in resources:
        if r.address in costed or not (why := outside_price_model(r, resources)):
            continue
        estimate.free = [f for f in estimate.free if f["address"] != r.address]
        estimate.unpriced = [u for u in estimate.unpriced if u["address"] != r.address]
        estimate.unpriced.append({"address": r.address, "type": r.type, "region": r.region, "why": why})


#: Infracost's aws_sns_topic usage keys counting its subscriptions (internal/resources/aws/sns_topic.go): stated 0,
#: the deliveries are priced from the table on each subscription (``FROM_TABLE_ONLY``).
_SNS_TOPIC_SUBSCRIPTION_KEYS = (
    "email_subscriptions",
    "http_subscriptions",
    "kinesis_subscriptions",
    "macos_subscriptions",
    "mobile_push_subscriptions",
    "sms_subscriptions",
)


def infracost_usage(resources: list[PlannedResource], usage: Usage, prices: PriceTable) -> dict[str, Any]:
    """``fixtures/cost/usage.yml`` in Infracost's usage-file format (version 0.1), per resource address.

    Each section is given in full to the resource that carries it in the committed estimate
    (``usage_carriers``), the others of its type zero: stated, so Infracost leaves no part null, and a
    resource padded into the plan takes no share. SNS deliveries are given as none (a topic's subscription
    counts and each subscription's ``monthly_requests`` 0): the table prices them on every subscription in both
    paths (``FROM_TABLE_ONLY``), so Infracost neither leaves them null nor counts them twice.
    """
    carriers = usage_carriers(resources, prices, usage)
    s3, glue, sns = usage["s3"], usage["glue"], usage["sns"]
    out: dict[str, Any] = {}
    for r in resources:
        share = 1.0 if carriers.get(r.type) == r.address else 0.0
        if r.type == "aws_s3_bucket":
            out[r.address] = {
                "standard": {
                    "storage_gb": round(s3["gb_stored"] * share, 6),
                    "monthly_tier_1_requests": math.ceil(s3["put_requests"] * share),
                    "monthly_tier_2_requests": math.ceil(s3["get_requests"] * share),
                    "monthly_select_data_scanned_gb": 0,
                    "monthly_select_data_returned_gb": 0,
                }
            }
        elif r.type == "aws_glue_catalog_database":
            out[r.address] = {
                "monthly_objects": round(glue["objects"] * share, 6),
                "monthly_requests": round(glue["requests"] * share, 6),
            }
        elif r.type == "aws_sqs_queue":  # alerts are far under 64 KB: one request each (Infracost's chunk)
            out[r.address] = {"monthly_requests": math.ceil(usage["sqs"]["requests"] * share), "request_size_kb": 64}
        elif r.type == "aws_sns_topic":
            out[r.address] = {
                "monthly_requests": math.ceil(sns["publishes"] * share),
                "request_size_kb": sns["request_size_kb"],
                **{key: 0 for key in _SNS_TOPIC_SUBSCRIPTION_KEYS},
            }
        elif r.type == SUBSCRIPTION:  # Infracost prices HTTP/S ones from these (sns_topic_subscription.go)
            out[r.address] = {"monthly_requests": 0, "request_size_kb": sns["request_size_kb"]}
    return {"version": "0.1", "resource_usage": out}


def write_infracost_usage(resources: list[PlannedResource], usage: Usage, path: Path, prices: PriceTable) -> Path:
    """Write the usage file Infracost reads with ``--usage-file`` (kept with the evidence)."""
    header = (
        f"# Generated from {usage.path} (as_of {usage.as_of}) for this plan; Infracost usage-file format.\n"
        f"# Each section on the resource that carries it in the estimate (priced with {prices.path.name} "
        f"{prices.as_of}), the others zero.\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        header + yaml.safe_dump(infracost_usage(resources, usage, prices), sort_keys=True), encoding="utf-8"
    )
    return path


def infracost_unavailable(env: dict[str, str] | None = None) -> str | None:
    """Why the Infracost CLI cannot be used here (None when it can)."""
    env = dict(os.environ) if env is None else env
    if shutil.which("infracost", path=env.get("PATH")) is None:
        return "the infracost CLI is not installed"
    if not (env.get("INFRACOST_API_KEY") or env.get("INFRACOST_CLI_AUTHENTICATION_TOKEN")):
        return "infracost is installed but not configured (INFRACOST_API_KEY / INFRACOST_CLI_AUTHENTICATION_TOKEN)"
    return None


def infracost_argv(plan_json: Path, root: Path, usage_file: Path, scan_help: str | None) -> list[str]:
    """The command for the installed CLI generation (``scan_help``: ``scan --help`` output, None if absent)."""
    if scan_help is None:  # classic: prices a plan JSON
        return ["infracost", "breakdown", "--path", str(plan_json), "--format", "json", "--usage-file", str(usage_file)]
    argv = ["infracost", "scan", str(root), "--json"]
    if "--usage-file" in scan_help:
        argv += ["--usage-file", str(usage_file)]
    return argv


def run_infracost(plan_json: Path, root: Path, usage_file: Path, timeout_s: float = 300) -> dict[str, Any]:
    """Run whichever CLI generation is installed, with the usage file, and return its JSON."""
    scan = subprocess.run(["infracost", "scan", "--help"], capture_output=True, text=True, timeout=60)
    argv = infracost_argv(plan_json, root, usage_file, scan.stdout + scan.stderr if scan.returncode == 0 else None)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s)
    if out.returncode != 0:
        raise InfracostError(f"`{' '.join(argv)}` exited with {out.returncode}: {out.stderr.strip()[:300]}")
    try:
        doc = dict(json.loads(out.stdout))
    except ValueError as err:
        raise InfracostError(f"`{' '.join(argv)}` did not print JSON ({err})") from None
    doc.setdefault("lakehouse_argv", argv)
    return doc


def monthly_cost(
    plan: dict[str, Any],
    plan_json: Path,
    root: Path,
    region: str,
    prices: Path,
    usage: Path,
    evidence_dir: Path | None = None,
) -> CostEstimate:
    """Infracost (with the usage file) when installed and configured, else the plan priced with the table.

    ``evidence_dir``: where Infracost's usage file is kept (default: beside the plan). Not the release
    directory the plan is signed in: what is there ships with the release, and KPI-sbom counts it.
    """
    resources = planned_resources(plan, region)
    price_table, usage_values = load_prices(prices), load_usage(usage)
    why_not = infracost_unavailable()
    if why_not is None:
        usage_file = write_infracost_usage(
            resources, usage_values, (evidence_dir or plan_json.parent) / "infracost-usage.yml", price_table
        )
        doc = run_infracost(plan_json, root, usage_file)
        estimate = price_the_unpriced(parse_infracost(doc), resources, price_table, usage_values, region)
        estimate.inputs.update({"usage_file": str(usage_file), "argv": doc.get("lakehouse_argv")})
        return estimate
    estimate = estimate_cost(resources, price_table, usage_values, target_region=region)
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


def _unpriced_texts(estimate: CostEstimate) -> list[str]:
    """One line per resource or usage-based part that has no price, naming it."""
    texts = [
        f"{u['address']} ({u['type']}) has no price: {u['why']}"
        if u.get("why")
        else f"{u['address']} ({u['type']}) has no price: neither {estimate.source} nor fixtures/cost/prices.yml "
        "prices it, and prices.yml does not list its type as free (with source and date)"
        for u in estimate.unpriced
    ]
    texts += [
        f"{c['address']} '{c['component']}' has no cost in {estimate.source} ({c['why']}): "
        "give it usage in fixtures/cost/usage.yml"
        for c in estimate.unpriced_components
    ]
    return texts


def judge_cost(estimate: CostEstimate, cap_usd: float, budget: dict[str, Any] | None) -> Outcome:
    """Pass when every resource is priced, the monthly total is within the cap and the budget not above it.

    Unpriced parts make the total a lower bound: over the cap is still a sure failure, within it
    is ``error`` naming what has no price (never 0 USD).
    """
    limit = budget_limit_usd(budget)
    details: dict[str, Any] = {
        "unit": "USD/month",
        "estimate": estimate.to_dict(),
        "budget": {"name": (budget or {}).get("BudgetName"), "limit_usd": limit, "cap_usd": cap_usd},
    }
    measured = round(estimate.total_usd, 2)
    unpriced = _unpriced_texts(estimate)
    problems = []
    if estimate.total_usd > cap_usd:
        top = ", ".join(
            f"{line.address} {line.monthly_usd:.2f}" + (f" [{line.note}]" if line.note else "")
            for line in estimate.lines[:3]
        )
        bound = " at least" if unpriced else ""
        problems.append(
            f"the monthly cost ({estimate.source}) is{bound} {measured:.2f} USD, over the {cap_usd:g} USD cap ({top})"
        )
    if budget is None:
        problems.append("the stack's budget was not found, so nothing stops the cost exceeding the cap")
    elif limit is None:
        problems.append(f"the budget {details['budget']['name']} has no USD limit")
    elif limit > cap_usd:
        problems.append(f"the budget's limit {limit:g} USD is above the {cap_usd:g} USD cap")
    elif why := budget_kind_problem(str(budget.get("BudgetName")), budget):
        problems.append(f"{why}: its {limit:g} USD does not bound the monthly cost")
    if unpriced:
        details["unpriced"] = unpriced
    if problems:
        return Outcome.judged(False, measured, cap_usd, "; ".join(problems + unpriced), details)
    if unpriced:
        return Outcome.error(
            f"{len(unpriced)} cost part(s) cannot be priced, so {measured:.2f} USD is only a lower bound: "
            + "; ".join(unpriced),
            cap_usd,
            details,
            measured,
        )
    return Outcome.judged(True, measured, cap_usd, None, details)
