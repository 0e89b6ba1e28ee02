"""The model release's read-back (lakehouse.ml.rollout): an endpoint update SageMaker rolled back is named."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from lakehouse.ml.rollout import read_rollouts, rollout_problem, stated_endpoints

HOME = "ap-northeast-1"
STATE: dict[str, Any] = {
    "values": {
        "root_module": {
            "resources": [
                {
                    "mode": "managed",
                    "type": "aws_sagemaker_endpoint",
                    "values": {"name": "lh-s-daily-revenue", "endpoint_config_name": "lh-s-daily-revenue-v2"},
                },
                {"mode": "managed", "type": "aws_sagemaker_model", "values": {"name": "lh-s-daily-revenue-v2"}},
            ]
        }
    }
}


def test_the_state_names_each_endpoint_and_its_configuration() -> None:
    assert stated_endpoints(STATE, HOME) == {(HOME, "lh-s-daily-revenue"): "lh-s-daily-revenue-v2"}
    assert stated_endpoints({}, HOME) == {}


def _resource(kind: str, index: Any, values: dict[str, Any], module: str = "") -> dict[str, Any]:
    key = f'["{index}"]' if isinstance(index, str) else ""
    return {"mode": "managed", "type": kind, "address": f"{module}{kind}.this{key}", "index": index, "values": values}


def _root(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"values": {"root_module": {"resources": list(resources)}}}


def test_the_configuration_applied_is_the_endpoints_paired_configuration_not_what_the_provider_read_back() -> None:
    """After an update SageMaker rolled back, provider 5.100.0 reads the endpoint back: the state's endpoint names
    the configuration still running (v1), its configuration resource the one applied (v2)."""
    state = _root(
        _resource("aws_sagemaker_endpoint", "daily-revenue", {"name": "ep", "endpoint_config_name": "ep-v1"}),
        _resource("aws_sagemaker_endpoint_configuration", "daily-revenue", {"name": "ep-v2"}),
    )
    assert stated_endpoints(state, HOME) == {(HOME, "ep"): "ep-v2"}
    running = _SageMaker({"ep": {"EndpointStatus": "InService", "EndpointConfigName": "ep-v1"}})
    [rolled] = read_rollouts(running, {name: cfg for (_, name), cfg in stated_endpoints(state, HOME).items()})
    assert rolled.problem is not None and "still runs configuration ep-v1, not ep-v2 as Terraform applied" in str(
        rolled.problem
    )


def test_an_endpoint_with_no_one_paired_configuration_is_judged_on_its_own_attribute() -> None:
    endpoint = _resource("aws_sagemaker_endpoint", "a", {"name": "ep", "endpoint_config_name": "ep-v1"})
    other_key = _resource("aws_sagemaker_endpoint_configuration", "b", {"name": "other-v9"})
    other_module = _resource("aws_sagemaker_endpoint_configuration", "a", {"name": "mod-v9"}, module="module.m.")
    assert stated_endpoints(_root(endpoint, other_key, other_module), HOME) == {(HOME, "ep"): "ep-v1"}
    deposed = {**_resource("aws_sagemaker_endpoint_configuration", "a", {"name": "ep-v0"}), "deposed_key": "00ab"}
    paired = _resource("aws_sagemaker_endpoint_configuration", "a", {"name": "ep-v2"})
    assert stated_endpoints(_root(endpoint, deposed, paired), HOME) == {
        (HOME, "ep"): "ep-v2"
    }  # deposed: on its way out


def test_an_endpoint_on_the_stated_configuration_in_service_is_fine() -> None:
    described = {"EndpointStatus": "InService", "EndpointConfigName": "cfg-v2"}
    assert rollout_problem("ep", "cfg-v2", described) is None


def test_a_rolled_back_update_is_named_with_its_reason() -> None:
    reason = 'Failed to download model data for container "container_1" from URL: "s3://b/v2/model.tar.gz".'
    described = {"EndpointStatus": "InService", "EndpointConfigName": "cfg-v1", "FailureReason": reason}
    problem = rollout_problem("ep", "cfg-v2", described)
    assert problem is not None
    assert problem.startswith("endpoint ep still runs configuration cfg-v1, not cfg-v2 as Terraform applied")
    assert "s3://b/v2/model.tar.gz" in problem
    gone = rollout_problem("ep", "cfg-v2", {"EndpointStatus": "InService", "EndpointConfigName": "cfg-v1"})
    assert gone is not None and "no FailureReason given" in gone


def test_an_endpoint_in_aws_maintenance_on_the_stated_configuration_is_fine() -> None:
    """SystemUpdating is AWS's own maintenance: the endpoint serves its configuration (the check accepts it too)."""
    assert rollout_problem("ep", "cfg-v2", {"EndpointStatus": "SystemUpdating", "EndpointConfigName": "cfg-v2"}) is None
    rolled_back = {"EndpointStatus": "SystemUpdating", "EndpointConfigName": "cfg-v1"}
    assert "still runs configuration cfg-v1" in str(rollout_problem("ep", "cfg-v2", rolled_back))


def test_an_endpoint_not_in_service_is_named_with_its_status() -> None:
    described = {"EndpointStatus": "Failed", "EndpointConfigName": "cfg-v2", "FailureReason": "ping failed"}
    assert (
        rollout_problem("ep", "cfg-v2", described)
        == "endpoint ep is Failed, not InService (FailureReason: ping failed)"
    )


def _client_error(code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "DescribeEndpoint")


class _SageMaker:
    """DescribeEndpoint over a few endpoints; a missing one answers SageMaker's ValidationException."""

    def __init__(self, endpoints: dict[str, dict[str, Any]], raises: Exception | None = None) -> None:
        self.endpoints, self.raises = endpoints, raises

    def describe_endpoint(self, EndpointName: str) -> dict[str, Any]:  # noqa: N803 - boto3's keyword
        if self.raises is not None:
            raise self.raises
        if EndpointName not in self.endpoints:
            raise _client_error("ValidationException", f'Could not find endpoint "{EndpointName}".')
        return self.endpoints[EndpointName]


def test_read_rollouts_reads_every_stated_and_listed_endpoint_with_what_it_runs() -> None:
    reason = "The primary container for production variant AllTraffic did not pass the ping health check."
    sagemaker = _SageMaker(
        {
            "ep": {"EndpointStatus": "InService", "EndpointConfigName": "cfg-v1", "FailureReason": reason},
            "by-hand": {"EndpointStatus": "InService", "EndpointConfigName": "anything"},
        }
    )
    by_hand, rolled = read_rollouts(sagemaker, {"ep": "cfg-v2"}, ["ep", "by-hand"])  # by name
    assert (rolled.endpoint, rolled.status, rolled.running_config, rolled.stated_config) == (
        "ep",
        "InService",
        "cfg-v1",
        "cfg-v2",
    )
    assert rolled.problem is not None and "still runs configuration cfg-v1, not cfg-v2" in rolled.problem
    assert rolled.to_dict()["failure_reason"] == reason and rolled.to_dict()["problem"] == rolled.problem
    assert by_hand.stated_config is None and by_hand.problem is None  # not stated: judged on its status only


def test_a_listed_endpoint_not_in_service_is_a_problem_though_the_state_does_not_record_it() -> None:
    sagemaker = _SageMaker({"ep": {"EndpointStatus": "Failed", "EndpointConfigName": "c", "FailureReason": "gone"}})
    [failed] = read_rollouts(sagemaker, {}, ["ep"])
    assert failed.problem == "endpoint ep is Failed, not InService (FailureReason: gone)"


def test_a_stated_endpoint_sagemaker_does_not_have_is_a_problem_and_other_errors_propagate() -> None:
    [gone] = read_rollouts(_SageMaker({}), {"ep": "cfg"})
    assert gone.status is None
    assert gone.problem == "endpoint ep, which Terraform's state records, does not exist in SageMaker"
    throttled = _client_error("ThrottlingException", "Rate exceeded")
    with pytest.raises(ClientError, match="Rate exceeded"):
        read_rollouts(_SageMaker({}, throttled), {"ep": "cfg"})
