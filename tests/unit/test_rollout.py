"""The model release's read-back (lakehouse.ml.rollout): an endpoint update SageMaker rolled back is named."""

from __future__ import annotations

from typing import Any

from lakehouse.ml.rollout import rollout_problem, stated_endpoints

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
    assert stated_endpoints(STATE) == {"lh-s-daily-revenue": "lh-s-daily-revenue-v2"}
    assert stated_endpoints({}) == {}


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


def test_an_endpoint_not_in_service_is_named_with_its_status() -> None:
    described = {"EndpointStatus": "Failed", "EndpointConfigName": "cfg-v2", "FailureReason": "ping failed"}
    assert (
        rollout_problem("ep", "cfg-v2", described)
        == "endpoint ep is Failed, not InService (FailureReason: ping failed)"
    )
