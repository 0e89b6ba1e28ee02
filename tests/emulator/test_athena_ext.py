"""Athena workgroup operations the emulator adds or fixes (lakehouse.emulator.extensions.athena).

Each test replays what Terraform's ``aws_athena_workgroup`` (provider 5.100.0) does and
asserts on botocore's parsed answer, i.e. on the shapes of botocore's Athena model.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

ACCOUNT_ID = "123456789012"
REGION = "ap-northeast-1"
V3 = "Athena engine version 3"
TAGS = [{"Key": "stack_id", "Value": "t01"}, {"Key": "project", "Value": "lakehouse"}]


@pytest.fixture
def athena(aws_client: Callable[[str], Any]) -> Any:
    return aws_client("athena")


def arn_of(name: str) -> str:
    return f"arn:aws:athena:{REGION}:{ACCOUNT_ID}:workgroup/{name}"


def new_work_group(athena: Any, *, tags: list[dict[str, str]] | None = None) -> str:
    """A workgroup configured the way infra/athena.tf configures ours."""
    name = f"wg-{uuid.uuid4().hex[:8]}"
    kwargs: dict[str, Any] = {
        "Name": name,
        "Description": "test",
        "Configuration": {
            "EnforceWorkGroupConfiguration": True,
            "PublishCloudWatchMetricsEnabled": True,
            "BytesScannedCutoffPerQuery": 1073741824,
            "EngineVersion": {"SelectedEngineVersion": V3},
            "ResultConfiguration": {
                "OutputLocation": "s3://results-bucket/results/",
                "EncryptionConfiguration": {"EncryptionOption": "SSE_S3"},
            },
        },
    }
    if tags is not None:
        kwargs["Tags"] = tags
    athena.create_work_group(**kwargs)
    return name


def error_of(info: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = info.value.response["Error"]
    return str(error["Code"]), str(error.get("Message", ""))


def test_tags_of_a_workgroup_are_listed(athena: Any) -> None:
    name = new_work_group(athena, tags=TAGS)
    tags = athena.list_tags_for_resource(ResourceARN=arn_of(name))["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("project", "lakehouse"), ("stack_id", "t01")]


def test_workgroup_without_tags_lists_an_empty_tag_set(athena: Any) -> None:
    # moto answered "Resource does not exist" here, which fails Terraform's read.
    name = new_work_group(athena)
    assert athena.list_tags_for_resource(ResourceARN=arn_of(name))["Tags"] == []
    assert athena.list_tags_for_resource(ResourceARN=arn_of("primary"))["Tags"] == []


def test_tags_of_an_unknown_workgroup_are_not_found(athena: Any) -> None:
    with pytest.raises(ClientError) as info:
        athena.list_tags_for_resource(ResourceARN=arn_of("no-such-wg"))
    assert error_of(info)[0] == "ResourceNotFoundException"


def test_delete_forgets_the_tags_so_a_new_workgroup_of_that_name_starts_clean(athena: Any) -> None:
    name = new_work_group(athena, tags=TAGS)
    athena.delete_work_group(WorkGroup=name, RecursiveDeleteOption=True)
    with pytest.raises(ClientError):
        athena.list_tags_for_resource(ResourceARN=arn_of(name))
    athena.create_work_group(Name=name)
    assert athena.list_tags_for_resource(ResourceARN=arn_of(name))["Tags"] == []


def test_tag_and_untag_round_trip(athena: Any) -> None:
    name = new_work_group(athena, tags=TAGS)
    athena.tag_resource(ResourceARN=arn_of(name), Tags=[{"Key": "ttl", "Value": "24h"}])
    athena.untag_resource(ResourceARN=arn_of(name), TagKeys=["project"])
    tags = athena.list_tags_for_resource(ResourceARN=arn_of(name))["Tags"]
    assert sorted(t["Key"] for t in tags) == ["stack_id", "ttl"]


def test_get_unknown_workgroup_raises_not_found(athena: Any) -> None:
    # The provider's not-found handling keys on this code and message.
    with pytest.raises(ClientError) as info:
        athena.get_work_group(WorkGroup="no-such-wg")
    code, message = error_of(info)
    assert code == "InvalidRequestException"
    assert "is not found" in message


def test_get_reports_the_effective_engine_and_a_stable_creation_time(athena: Any) -> None:
    name = new_work_group(athena)
    first = athena.get_work_group(WorkGroup=name)["WorkGroup"]
    second = athena.get_work_group(WorkGroup=name)["WorkGroup"]
    assert first["Configuration"]["EngineVersion"] == {
        "SelectedEngineVersion": V3,
        "EffectiveEngineVersion": V3,
    }
    assert first["CreationTime"] == second["CreationTime"]
    listed = {wg["Name"]: wg for wg in athena.list_work_groups()["WorkGroups"]}
    assert listed[name]["CreationTime"] == first["CreationTime"]
    assert listed[name]["EngineVersion"]["EffectiveEngineVersion"] == V3


def test_update_changes_configuration_in_place(athena: Any) -> None:
    name = new_work_group(athena)
    athena.update_work_group(
        WorkGroup=name,
        Description="changed",
        State="DISABLED",
        ConfigurationUpdates={
            "BytesScannedCutoffPerQuery": 10485760,
            "PublishCloudWatchMetricsEnabled": False,
            "EngineVersion": {"SelectedEngineVersion": "AUTO"},
            "ResultConfigurationUpdates": {"OutputLocation": "s3://other-bucket/q/"},
        },
    )
    wg = athena.get_work_group(WorkGroup=name)["WorkGroup"]
    config = wg["Configuration"]
    assert (wg["Description"], wg["State"]) == ("changed", "DISABLED")
    assert config["BytesScannedCutoffPerQuery"] == 10485760
    assert config["PublishCloudWatchMetricsEnabled"] is False
    assert config["EngineVersion"] == {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": V3}
    assert config["ResultConfiguration"] == {
        "OutputLocation": "s3://other-bucket/q/",
        "EncryptionConfiguration": {"EncryptionOption": "SSE_S3"},
    }


def test_update_remove_flags_drop_the_setting(athena: Any) -> None:
    name = new_work_group(athena)
    athena.update_work_group(
        WorkGroup=name,
        ConfigurationUpdates={
            "RemoveBytesScannedCutoffPerQuery": True,
            "ResultConfigurationUpdates": {"RemoveEncryptionConfiguration": True},
        },
    )
    config = athena.get_work_group(WorkGroup=name)["WorkGroup"]["Configuration"]
    assert "BytesScannedCutoffPerQuery" not in config
    assert config["ResultConfiguration"] == {"OutputLocation": "s3://results-bucket/results/"}


def test_update_unknown_workgroup_raises_not_found(athena: Any) -> None:
    with pytest.raises(ClientError) as info:
        athena.update_work_group(WorkGroup="no-such-wg", Description="x")
    assert error_of(info) == ("InvalidRequestException", "WorkGroup no-such-wg is not found.")


def test_queries_still_run_in_a_known_workgroup_and_fail_in_an_unknown_one(athena: Any) -> None:
    # The workgroup read patch must not change how StartQueryExecution finds workgroups.
    name = new_work_group(athena)
    assert athena.start_query_execution(QueryString="SELECT 1", WorkGroup=name)["QueryExecutionId"]
    with pytest.raises(ClientError):
        athena.start_query_execution(QueryString="SELECT 1", WorkGroup="no-such-wg")
