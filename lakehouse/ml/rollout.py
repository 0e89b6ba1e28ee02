"""Did the model release's apply really move the stack's endpoints? Read back from SageMaker after Terraform.

An UpdateEndpoint that SageMaker cannot deploy (an archive missing at deploy time, a container failing its ping)
rolls back: the endpoint returns to ``InService`` on its previous configuration, with a FailureReason. The AWS
provider pinned here (5.100.0) waits for ``InService`` and reports success, recording the new configuration in the
state (terraform-provider-aws issues #46663 and #48997, open): the apply is green, the old version is served.
A failed CreateEndpoint does fail the apply: the provider's wait ends on ``Failed`` with the FailureReason as its
last error (``waitEndpointInService``), which the apply's diagnostics carry. Both seen with provider 5.100.0 against
the emulator: the create's apply ends ``waiting for SageMaker AI Endpoint (<name>) create: unexpected state 'Failed',
wanted target 'InService'. last error: Failed to download model data ...``; the update's apply completes (and, the
configuration being replaced, deletes the one the endpoint still runs), and the next plan shows the endpoint's
``endpoint_config_name`` to change again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lakehouse.terraform import state_resources


def stated_endpoints(state: Mapping[str, Any]) -> dict[str, str]:
    """Endpoint name -> the endpoint configuration Terraform's state says it runs."""
    return {
        str(r["values"]["name"]): str(r["values"].get("endpoint_config_name"))
        for r in state_resources(state)
        if r.get("type") == "aws_sagemaker_endpoint" and (r.get("values") or {}).get("name")
    }


def rollout_problem(name: str, stated_config: str, described: Mapping[str, Any]) -> str | None:
    """Why an endpoint does not run what Terraform applied (None: InService on the stated configuration)."""
    status, running = described.get("EndpointStatus"), described.get("EndpointConfigName")
    reason = described.get("FailureReason")
    because = f" (FailureReason: {reason})" if reason else " (no FailureReason given)"
    if status != "InService":
        return f"endpoint {name} is {status}, not InService{because}"
    if running != stated_config:
        return (
            f"endpoint {name} still runs configuration {running}, not {stated_config} as Terraform applied: SageMaker "
            f"rolled the update back{because}, and the provider reported success"
        )
    return None


def rollout_problems(sagemaker: Any, stated: Mapping[str, str]) -> list[str]:
    """``rollout_problem`` of every endpoint Terraform states, each read with DescribeEndpoint."""
    found = []
    for name, config in sorted(stated.items()):
        problem = rollout_problem(name, config, sagemaker.describe_endpoint(EndpointName=name))
        if problem:
            found.append(problem)
    return found
