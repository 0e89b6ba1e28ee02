"""Object Lambda Access Points on the emulator (moto has none), read back as exit check 6 reads them."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from lakehouse.checks.key_lambdas import PointFunction, read_object_lambda_points
from lakehouse.checks.s3_routes import s3control
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.target import local_target
from tests.emulator.conftest import REGION

ACCOUNT = "123456789012"
SUPPORTING = f"arn:aws:s3:{REGION}:{ACCOUNT}:accesspoint/gold-share"
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:list-view"


def _configuration(*actions: str) -> dict[str, object]:
    return {
        "SupportingAccessPoint": SUPPORTING,
        "TransformationConfigurations": [
            {"Actions": list(actions), "ContentTransformation": {"AwsLambda": {"FunctionArn": FUNCTION}}}
        ],
    }


def test_object_lambda_access_points_are_made_read_listed_and_deleted(emulator: EmulatorHandle) -> None:
    control = s3control(local_target(emulator.endpoint, REGION))
    assert read_object_lambda_points(control, ACCOUNT) == []
    made = control.create_access_point_for_object_lambda(
        AccountId=ACCOUNT, Name="gold-view", Configuration=_configuration("ListObjectsV2", "GetObject")
    )
    control.create_access_point_for_object_lambda(
        AccountId=ACCOUNT, Name="gold-redact", Configuration=_configuration("GetObject")
    )
    try:
        arn = f"arn:aws:s3-object-lambda:{REGION}:{ACCOUNT}:accesspoint/gold-view"
        assert made["ObjectLambdaAccessPointArn"] == arn and made["Alias"]["Value"].endswith("--ol-s3")
        with pytest.raises(ClientError, match="AccessPointAlreadyOwnedByYou"):
            control.create_access_point_for_object_lambda(
                AccountId=ACCOUNT, Name="gold-view", Configuration=_configuration("GetObject")
            )
        assert control.get_access_point_for_object_lambda(AccountId=ACCOUNT, Name="gold-view")["Name"] == "gold-view"
        stored = control.get_access_point_configuration_for_object_lambda(AccountId=ACCOUNT, Name="gold-view")
        assert stored["Configuration"] == _configuration("ListObjectsV2", "GetObject")
        page = control.list_access_points_for_object_lambda(AccountId=ACCOUNT, MaxResults=1)
        assert [p["Name"] for p in page["ObjectLambdaAccessPointList"]] == ["gold-redact"] and page["NextToken"]
        with pytest.raises(ClientError, match="NoSuchAccessPointPolicy"):
            control.get_access_point_policy_for_object_lambda(AccountId=ACCOUNT, Name="gold-view")
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3-object-lambda:*", "Resource": arn}],
        }
        control.put_access_point_policy_for_object_lambda(
            AccountId=ACCOUNT, Name="gold-view", Policy=json.dumps(policy)
        )

        points = read_object_lambda_points(control, ACCOUNT)  # every page; GetObject-only gold-redact too
        redact = arn.replace("gold-view", "gold-redact")
        assert [(p.name, p.arn, p.supporting, p.policy) for p in points] == [
            ("gold-redact", redact, SUPPORTING, None),
            ("gold-view", arn, SUPPORTING, policy),
        ]
        assert points[0].functions == [PointFunction(FUNCTION, ("GetObject",))]
        assert points[1].functions == [PointFunction(FUNCTION, ("GetObject", "ListObjectsV2"))]

        control.delete_access_point_policy_for_object_lambda(AccountId=ACCOUNT, Name="gold-view")
        assert read_object_lambda_points(control, ACCOUNT)[1].policy is None
    finally:
        for name in ("gold-view", "gold-redact"):
            control.delete_access_point_for_object_lambda(AccountId=ACCOUNT, Name=name)
    with pytest.raises(ClientError, match="NoSuchAccessPoint"):
        control.get_access_point_configuration_for_object_lambda(AccountId=ACCOUNT, Name="gold-view")
    assert control.list_access_points_for_object_lambda(AccountId=ACCOUNT)["ObjectLambdaAccessPointList"] == []
