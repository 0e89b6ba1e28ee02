"""Did the model release's apply really move the stack's endpoints? Read back from SageMaker after Terraform.

An UpdateEndpoint that SageMaker cannot deploy (an archive missing at deploy time, a container failing its ping)
rolls back: the endpoint returns to ``InService`` on its previous configuration, with a FailureReason. The AWS
provider pinned here (5.100.0) waits for ``InService`` and reports success (terraform-provider-aws issues #46663 and
#48997, open): the apply is green, the old version is served. Its update then reads the endpoint back, so the state
records the configuration still running as the endpoint's ``endpoint_config_name``, not the one applied; the
configuration applied is the state's ``aws_sagemaker_endpoint_configuration`` the endpoint refers to (the same
``for_each`` key in ``infra/ml.tf``), and the one the endpoint runs, being replaced, is deleted by the same apply
(``create_before_destroy``). A failed CreateEndpoint does fail the apply: the provider's wait ends on ``Failed`` with
the FailureReason as its last error (``waitEndpointInService``), which the apply's diagnostics carry, and the endpoint
stays in the state, tainted, with the configuration it was created with. Seen with provider 5.100.0 against the
emulator: the create's apply ends ``waiting for SageMaker AI Endpoint (<name>) create: unexpected state 'Failed',
wanted target 'InService'. last error: Failed to download model data ...``; after the update's apply the next plan
shows the endpoint's ``endpoint_config_name`` to change again.

Either way the endpoint is read back (:class:`EndpointRollout`): its status, the configuration it runs and its
FailureReason are what the release's ``failed`` outcome names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import ClientError

from lakehouse.catalog.regions import resource_region
from lakehouse.terraform import state_resources


def _slot(resource: Mapping[str, Any]) -> tuple[str, Any]:
    """(module path, ``for_each``/``count`` key) of a resource in a ``show -json`` document."""
    address, kind = str(resource.get("address") or ""), str(resource.get("type") or "")
    module = address[: address.find(f"{kind}.")] if f"{kind}." in address else ""
    return module, resource.get("index")


def stated_endpoints(state: Mapping[str, Any], home: str) -> dict[tuple[str, str], str]:
    """(region, endpoint name) -> the endpoint configuration Terraform applied for it (a tainted endpoint too: a
    create whose wait failed is kept in the state, tainted). Endpoint names are per region (SageMaker is regional):
    each endpoint is in its ARN's region, ``home`` (the stack's) when the state gives none, so two of one name in
    two regions stay two. The configuration is the state's one endpoint configuration of the same module and key
    (``infra/ml.tf`` gives both one ``for_each``), since after an update the provider records the configuration the
    endpoint still runs; the endpoint's own ``endpoint_config_name`` only when none pairs."""
    resources = [r for r in state_resources(state) if not r.get("deposed_key")]
    configs: dict[tuple[str, Any], list[str]] = {}
    for r in resources:
        if r.get("type") == "aws_sagemaker_endpoint_configuration" and (r.get("values") or {}).get("name"):
            configs.setdefault(_slot(r), []).append(str(r["values"]["name"]))
    stated = {}
    for r in resources:
        values = r.get("values") or {}
        if r.get("type") != "aws_sagemaker_endpoint" or not values.get("name"):
            continue
        paired = configs.get(_slot(r), [])
        place = (resource_region(values) or home, str(values["name"]))
        stated[place] = paired[0] if len(paired) == 1 else str(values.get("endpoint_config_name"))
    return stated


#: The endpoint statuses in which it serves its current configuration steadily (SystemUpdating: AWS's maintenance,
#: which changes nothing the stack states). Any other (Creating, Updating, RollingBack, OutOfService, Failed,
#: UpdateRollbackFailed, Deleting) serves nothing, or a configuration on its way in or out.
SERVING_STATUSES = frozenset({"InService", "SystemUpdating"})


def rollout_problem(name: str, stated_config: str | None, described: Mapping[str, Any]) -> str | None:
    """Why an endpoint does not run what Terraform applied (None: serving the stated configuration, InService or
    in AWS's maintenance; ``stated_config`` None: an endpoint the state does not record, judged on its status only)."""
    status, running = described.get("EndpointStatus"), described.get("EndpointConfigName")
    reason = described.get("FailureReason")
    because = f" (FailureReason: {reason})" if reason else " (no FailureReason given)"
    if status not in SERVING_STATUSES:
        return f"endpoint {name} is {status}, not InService{because}"
    if stated_config is not None and running != stated_config:
        return (
            f"endpoint {name} still runs configuration {running}, not {stated_config} as Terraform applied: SageMaker "
            f"rolled the update back{because}, and the provider reported success"
        )
    return None


@dataclass(frozen=True)
class EndpointRollout:
    """One endpoint as SageMaker runs it after a release's apply, beside what Terraform's state says it runs."""

    endpoint: str
    #: The configuration Terraform's state records (None: an endpoint of the stack the state does not record).
    stated_config: str | None
    #: DescribeEndpoint's answer (None: SageMaker has no such endpoint).
    status: str | None = None
    running_config: str | None = None
    failure_reason: str | None = None
    #: The region it was read in when that is not the stack's (None: the stack's own); endpoint names are per region.
    region: str | None = None

    @property
    def label(self) -> str:
        """Its name, with its region when that is not the stack's (the same name may be an endpoint in both)."""
        return f"{self.endpoint} in {self.region}" if self.region else self.endpoint

    @property
    def problem(self) -> str | None:
        """Why the endpoint does not run what the release applied (None: it does)."""
        if self.status is None:
            return f"endpoint {self.label}, which Terraform's state records, does not exist in SageMaker"
        described = {
            "EndpointStatus": self.status,
            "EndpointConfigName": self.running_config,
            **({"FailureReason": self.failure_reason} if self.failure_reason else {}),
        }
        return rollout_problem(self.label, self.stated_config, described)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "problem": self.problem}


def _missing(err: ClientError) -> bool:
    """SageMaker's answer for an endpoint it does not have (a ValidationException, not a 404)."""
    error = err.response.get("Error", {})
    return error.get("Code") in ("ValidationException", "ValidationError") and "Could not find" in str(
        error.get("Message", "")
    )


def read_rollouts(
    sagemaker: Any, stated: Mapping[str, str], listed: Iterable[str] = (), region: str | None = None
) -> list[EndpointRollout]:
    """Every endpoint Terraform states and every one ``listed`` (the stack's by name), of one region (``sagemaker``:
    its client; ``region``: its name when not the stack's, for the labels), read with DescribeEndpoint.

    An endpoint SageMaker does not have is read as such; any other error propagates (the harness could not read).
    """
    found = []
    for name in sorted({*stated, *listed}):
        try:
            described = sagemaker.describe_endpoint(EndpointName=name)
        except ClientError as err:
            if not _missing(err):
                raise
            found.append(EndpointRollout(name, stated.get(name), region=region))
            continue
        found.append(
            EndpointRollout(
                name,
                stated.get(name),
                described.get("EndpointStatus"),
                described.get("EndpointConfigName"),
                described.get("FailureReason"),
                region,
            )
        )
    return found


def rollout_problems(sagemaker: Any, stated: Mapping[str, str]) -> list[str]:
    """``rollout_problem`` of every endpoint Terraform states, each read with DescribeEndpoint."""
    return [r.problem for r in read_rollouts(sagemaker, stated) if r.problem]
