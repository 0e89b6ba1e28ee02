"""Exit check 5 reads every configuration of a stack bucket from the emulator, as on AWS.

Before, an event notification set by hand on a stack bucket (every new key announced to someone
else's queue) passed: ``terraform plan`` does not show it (the root declares no
``aws_s3_bucket_notification``) and the inventory never read it.
"""

from __future__ import annotations

import json
import uuid

from lakehouse.checks.iac import judge_iac
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.inventory import OF_STACK_BUCKET, name_prefixes, stack_inventory
from lakehouse.outcome import Status
from lakehouse.target import local_target
from lakehouse.terraform import PlanResult


def test_a_notification_set_by_hand_on_a_stack_bucket_is_found_and_the_roots_own_configurations_are_not(
    emulator: EmulatorHandle,
) -> None:
    stack = f"cfg-{uuid.uuid4().hex[:6]}"
    target = local_target(emulator.endpoint)
    s3, sqs = target.client("s3"), target.client("sqs")
    bucket = f"{name_prefixes(stack)[0]}-gold-123456789012"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": target.region})
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "stack_id", "Value": stack}]})
    # What the root sets on every bucket (and state holds): its policy and lifecycle rules.
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": f"arn:aws:s3:::{bucket}/*"}
    policy = json.dumps({"Version": "2012-10-17", "Statement": [deny]})
    s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "abort",
                    "Status": "Enabled",
                    "Filter": {},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                }
            ]
        },
    )
    state = [
        {"type": "aws_s3_bucket", "values": {"bucket": bucket}},
        {"type": "aws_s3_bucket_policy", "values": {"bucket": bucket}},
        {"type": "aws_s3_bucket_lifecycle_configuration", "values": {"bucket": bucket}},
    ]
    healthy = stack_inventory(target, stack)
    assert not healthy.unreadable, healthy.unreadable  # every configuration read answers in the emulator
    assert judge_iac(PlanResult(0), state, healthy, set()).status is Status.PASSED

    queue = sqs.create_queue(QueueName=f"someone-elses-feed-{stack}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={"QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]},
    )
    s3.put_bucket_cors(
        Bucket=bucket, CORSConfiguration={"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]}
    )
    try:
        broken = stack_inventory(target, stack)
        result = judge_iac(PlanResult(0), state, broken, set())
        assert result.status is Status.FAILED
        reason = str(result.reason)
        where = f"({target.region}, found by {OF_STACK_BUCKET})"
        assert f"aws_s3_bucket_notification notification configuration of {bucket} {where}" in reason, reason
        assert f"aws_s3_bucket_cors_configuration CORS configuration of {bucket} {where}" in reason, reason
        assert "2 thing(s)" in reason, reason
    finally:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
        s3.delete_bucket_cors(Bucket=bucket)
        s3.delete_bucket_lifecycle(Bucket=bucket)
        s3.delete_bucket_policy(Bucket=bucket)
        s3.delete_bucket(Bucket=bucket)
        sqs.delete_queue(QueueUrl=queue)
