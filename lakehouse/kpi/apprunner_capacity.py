"""What each planned App Runner service provisions: its instance size and how many instances it keeps.

App Runner bills the memory of every provisioned instance while the service runs (idle included) and
the vCPU of an instance in use. A service keeps the ``MinSize`` (1-25) of its auto scaling configuration
provisioned, and without an ``instance_configuration`` block it runs at App Runner's default size, 1 vCPU
and 2 GB: neither is the usage file's 0.25 vCPU / 0.5 GB single instance. The cost and CO2 KPIs price
what this module reads from the saved plan; a service whose configuration the plan cannot tell (an
auto scaling configuration outside the plan, a size known only at apply) has no capacity, only a reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakehouse.terraform import without_instance_keys

if TYPE_CHECKING:
    from lakehouse.kpi.cost import PlannedResource

SERVICE_TYPE = "aws_apprunner_service"
SCALING_TYPE = "aws_apprunner_auto_scaling_configuration_version"
#: App Runner API reference, InstanceConfiguration: Cpu "Default: 1 vCPU", Memory "Default: 2 GB".
DEFAULT_VCPU = 1.0
DEFAULT_MEMORY_GB = 2.0
#: App Runner's DefaultConfiguration auto scaling (used when a service names none): MinSize 1, MaxSize 25.
DEFAULT_MIN_SIZE = 1

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")


@dataclass(frozen=True)
class Capacity:
    """One service as planned: vCPU and GB of one instance, and the instances it keeps provisioned."""

    vcpu: float
    memory_gb: float
    instances: int
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {"vcpu": self.vcpu, "memory_gb": self.memory_gb, "instances": self.instances, "why": self.why}


def size_value(value: Any, unit: str) -> float | None:
    """App Runner's ``"256"`` / ``"0.25 vCPU"`` (cpu) or ``"512"`` / ``"0.5 GB"`` (memory) in vCPU or GB."""
    match = _SIZE.match(str(value)) if value not in (None, "") else None
    if match is None:
        return None
    number, suffix = float(match.group(1)), match.group(2).lower()
    return number if suffix == unit.lower() else number / 1024 if not suffix else None


def _size(service: PlannedResource) -> tuple[float, float, str] | str:
    """The instance's vCPU and GB as planned, or why the plan does not tell them."""
    blocks = [b for b in service.values.get("instance_configuration") or [] if b]
    if not blocks:
        return DEFAULT_VCPU, DEFAULT_MEMORY_GB, "no instance_configuration: App Runner's default 1 vCPU / 2 GB"
    cpu, memory = blocks[0].get("cpu"), blocks[0].get("memory")
    vcpu, gb = size_value(cpu, "vCPU"), size_value(memory, "GB")
    if vcpu is None or gb is None:
        return f"its instance_configuration cpu {cpu!r} / memory {memory!r} is not a size the plan states"
    return vcpu, gb, f"instance_configuration cpu {cpu} / memory {memory}"


def _instances(service: PlannedResource, resources: list[PlannedResource]) -> tuple[int, str] | str:
    """MinSize of the auto scaling configuration the service uses, or why the plan does not tell it."""
    refs = service.attribute_references.get("auto_scaling_configuration_arn")
    arn = service.values.get("auto_scaling_configuration_arn")
    if refs is None and not arn:
        return DEFAULT_MIN_SIZE, "no auto scaling configuration: App Runner's default, MinSize 1"
    named = refs or frozenset()
    used = [
        r
        for r in resources
        if r.type == SCALING_TYPE
        and ((arn and r.values.get("arn") == arn) or r.address in named or without_instance_keys(r.address) in named)
    ]
    if not used:
        said = arn or ", ".join(sorted(named)) or "a value known only at apply"
        return (
            f"its auto_scaling_configuration_arn ({said}) is no auto scaling configuration in the plan: how many "
            "instances it keeps provisioned (MinSize, up to 25) cannot be told"
        )
    sizes = {r.address: r.values.get("min_size") for r in used}
    if any(not isinstance(v, int | float) for v in sizes.values()):
        return f"the MinSize of {', '.join(sorted(sizes))} is not known at plan time"
    address, min_size = max(sizes.items(), key=lambda kv: float(kv[1] or 0))
    return int(min_size or 0), f"{address} keeps MinSize {int(min_size or 0)} provisioned"


def capacity(service: PlannedResource, resources: list[PlannedResource]) -> Capacity | str:
    """What ``service`` provisions as the plan (``resources``) says, or why the plan cannot tell it (a reason the
    caller gives with the service's address)."""
    size, instances = _size(service), _instances(service, resources)
    if isinstance(size, str) or isinstance(instances, str):
        return "; ".join(w for w in (size, instances) if isinstance(w, str))
    vcpu, memory_gb, size_why = size
    count, count_why = instances
    return Capacity(vcpu, memory_gb, count, f"{size_why}; {count_why}")


def capacities(resources: list[PlannedResource]) -> dict[str, Capacity | str]:
    """Every planned App Runner service's capacity (or why it cannot be told), by address."""
    return {r.address: capacity(r, resources) for r in resources if r.type == SERVICE_TYPE}
