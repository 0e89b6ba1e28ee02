"""The outputs name the stack's own resources: read back from each resource's tags through its own API."""

from __future__ import annotations

import uuid
from typing import Any

from lakehouse.emulator.process import EmulatorHandle
from lakehouse.ownership import foreign_outputs
from lakehouse.target import Target, local_target
from tests.emulator.conftest import REGION, AwsClientFactory
from tests.emulator.test_apprunner_ext import SOURCE

TRUST = '{"Version": "2012-10-17", "Statement": []}'
SAGEMAKER_ROLE = "arn:aws:iam::123456789012:role/sagemaker"
SERVERLESS = {"MaxConcurrency": 2, "MemorySizeInMB": 2048}


def _stack(aws_client: AwsClientFactory, stack_id: str) -> dict[str, Any]:
    """What a root makes for one stack (the resources its outputs name), tagged as its default_tags tag them."""
    tags = [{"Key": "stack_id", "Value": stack_id}]
    s3, glue, athena, iam = (aws_client(s) for s in ("s3", "glue", "athena", "iam"))
    buckets, databases = {}, {}
    for layer in ("bronze", "gold"):
        bucket = f"{stack_id}-{layer}"
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
        database = f"{stack_id.replace('-', '_')}_{layer}"
        glue.create_database(DatabaseInput={"Name": database}, Tags={"stack_id": stack_id})
        buckets[layer], databases[layer] = bucket, database
    athena.create_work_group(Name=f"{stack_id}-wg", Tags=tags)
    role = iam.create_role(RoleName=f"{stack_id}-analyst", AssumeRolePolicyDocument=TRUST, Tags=tags)["Role"]["Arn"]
    return {
        "bucket_names": buckets,
        "glue_database_names": databases,
        "athena_workgroup_name": f"{stack_id}-wg",
        "analyst_role_arn": role,
    }


def test_a_stacks_own_outputs_pass_and_another_stacks_resources_are_named(
    emulator: EmulatorHandle, aws_client: AwsClientFactory
) -> None:
    ours, theirs = f"own-{uuid.uuid4().hex[:6]}", f"other-{uuid.uuid4().hex[:6]}"
    outputs, other = _stack(aws_client, ours), _stack(aws_client, theirs)
    target = local_target(emulator.endpoint, REGION)
    assert foreign_outputs(target, ours, outputs) == []
    swapped = {
        **outputs,
        "glue_database_names": {**outputs["glue_database_names"], "gold": other["glue_database_names"]["gold"]},
        "athena_workgroup_name": other["athena_workgroup_name"],
        "bucket_names": {**outputs["bucket_names"], "bronze": "no-such-bucket-anywhere"},
    }
    assert foreign_outputs(target, ours, swapped) == [
        f"output athena_workgroup_name names athena-workgroup {theirs}-wg, which is not this stack's "
        f"(stack_id={theirs})",
        "output bucket_names.bronze names s3-bucket no-such-bucket-anywhere, which does not exist",
        f"output glue_database_names.gold names glue-database {theirs.replace('-', '_')}_gold, which is not this "
        f"stack's (stack_id={theirs})",
    ]
    untagged = f"{ours}-untagged"
    aws_client("s3").create_bucket(Bucket=untagged, CreateBucketConfiguration={"LocationConstraint": REGION})
    elsewhere = outputs["analyst_role_arn"].replace(":123456789012:", ":999999999999:")
    odd = {**outputs, "bucket_names": {"gold": untagged}, "analyst_role_arn": elsewhere}
    assert foreign_outputs(target, ours, odd) == [
        f"output analyst_role_arn names iam-role {elsewhere}: it is in account 999999999999, not this one "
        "(123456789012)",
        f"output bucket_names.gold names s3-bucket {untagged}, which is not this stack's (no stack_id tag)",
    ]


def _alerting(aws_client: AwsClientFactory, target: Target, stack_id: str) -> dict[str, Any]:
    """The outputs naming a stack's alert topics, model endpoint and catalog service, tagged as default_tags does."""
    tags = [{"Key": "stack_id", "Value": stack_id}]
    alerts = aws_client("sns").create_topic(Name=f"{stack_id}-alerts", Tags=tags)["TopicArn"]
    billing = target.client("sns", region="us-east-1").create_topic(Name=f"{stack_id}-billing-alerts", Tags=tags)
    sagemaker, name = aws_client("sagemaker"), f"{stack_id}-daily-revenue"
    sagemaker.create_model(ModelName=name, ExecutionRoleArn=SAGEMAKER_ROLE, PrimaryContainer={"Image": "i"})
    variant = {"VariantName": "AllTraffic", "ModelName": name, "ServerlessConfig": SERVERLESS}
    sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant])
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name, Tags=tags)
    aws_client("apprunner").create_service(ServiceName=f"{stack_id}-catalog", SourceConfiguration=SOURCE, Tags=tags)
    return {
        "alerts_topic_arn": alerts,
        "billing_alerts_topic_arn": billing["TopicArn"],
        "model_endpoint_name": name,
        "catalog_service_name": f"{stack_id}-catalog",
    }


def test_alert_topics_endpoint_and_catalog_service_must_be_the_stacks_own(
    emulator: EmulatorHandle, aws_client: AwsClientFactory
) -> None:
    """Exit check 7 judges the topic alerts_topic_arn names: another stack's healthy topic must not pass it."""
    target = local_target(emulator.endpoint, REGION)
    ours, theirs = f"own-{uuid.uuid4().hex[:6]}", f"other-{uuid.uuid4().hex[:6]}"
    outputs, other = _alerting(aws_client, target, ours), _alerting(aws_client, target, theirs)
    assert foreign_outputs(target, ours, outputs) == []
    elsewhere = outputs["billing_alerts_topic_arn"].replace(":123456789012:", ":999999999999:")
    swapped = {
        **outputs,
        "alerts_topic_arn": other["alerts_topic_arn"],
        "billing_alerts_topic_arn": elsewhere,
        "catalog_service_name": other["catalog_service_name"],
    }
    assert foreign_outputs(target, ours, swapped) == [
        f"output alerts_topic_arn names sns-topic {other['alerts_topic_arn']}, which is not this stack's "
        f"(stack_id={theirs})",
        f"output billing_alerts_topic_arn names sns-topic {elsewhere}: it is in account 999999999999, not this "
        "one (123456789012)",
        f"output catalog_service_name names apprunner-service {theirs}-catalog, which is not this stack's "
        f"(stack_id={theirs})",
    ]
    gone = aws_client("sns").create_topic(Name=f"{ours}-deleted")["TopicArn"]
    aws_client("sns").delete_topic(TopicArn=gone)
    untagged = aws_client("sns").create_topic(Name=f"{ours}-untagged")["TopicArn"]
    missing = {
        "alerts_topic_arn": gone,
        "billing_alerts_topic_arn": untagged,
        "model_endpoint_name": f"{ours}-no-such-endpoint",
        "catalog_service_name": f"{ours}-no-such-service",
    }
    assert foreign_outputs(target, ours, missing) == [
        f"output alerts_topic_arn names sns-topic {gone}, which does not exist",
        f"output billing_alerts_topic_arn names sns-topic {untagged}, which is not this stack's (no stack_id tag)",
        f"output model_endpoint_name names sagemaker-endpoint {ours}-no-such-endpoint, which does not exist",
        f"output catalog_service_name names apprunner-service {ours}-no-such-service, which does not exist",
    ]
    assert foreign_outputs(target, ours, {**outputs, "model_endpoint_name": None, "catalog_service_name": None}) == []
