"""Exit check 5 sees the v0.9 components: App Runner, SageMaker and Scheduler things (groups too) made by hand.

Before, the inventory did not search these services, so an endpoint or a schedule made outside
Terraform passed "nothing of the stack lives outside Terraform". Here each is made in the real
emulator (through boto3, as a learner's script would); the inventory must find it by tag or by name
prefix, and the judge must name it, unless Terraform state has it.
"""

from __future__ import annotations

import uuid

from lakehouse.checks.iac import judge_iac
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.inventory import NAME_PREFIX, TAG, name_prefixes, stack_inventory
from lakehouse.outcome import Status
from lakehouse.target import local_target
from lakehouse.terraform import PlanResult
from tests.emulator.test_apprunner_ext import SOURCE

ROLE = "arn:aws:iam::123456789012:role/anything"


def test_app_runner_sagemaker_and_schedules_of_the_stack_are_found_and_named(emulator: EmulatorHandle) -> None:
    stack = f"inv-{uuid.uuid4().hex[:6]}"
    prefix, _ = name_prefixes(stack)
    target = local_target(emulator.endpoint)
    apprunner, sagemaker = target.client("apprunner"), target.client("sagemaker")
    tagged = apprunner.create_service(
        ServiceName="hand-made-catalog", SourceConfiguration=SOURCE, Tags=[{"Key": "stack_id", "Value": stack}]
    )["Service"]
    apprunner.create_service(ServiceName="someone-else", SourceConfiguration=SOURCE)
    scaling = apprunner.create_auto_scaling_configuration(
        AutoScalingConfigurationName=f"{prefix}-catalog", MinSize=1, MaxSize=1
    )["AutoScalingConfiguration"]
    container = {"Image": "1.dkr.ecr.ap-northeast-1.amazonaws.com/mlflow-pyfunc:3.18.0"}
    sagemaker.create_model(ModelName=f"{prefix}-model", ExecutionRoleArn=ROLE, PrimaryContainer=container)
    sagemaker.create_endpoint_config(
        EndpointConfigName=f"{prefix}-config",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": f"{prefix}-model",
                "InitialInstanceCount": 1,
                "InstanceType": "ml.t2.medium",
            }
        ],
    )
    schedule = f"{prefix}-wake-up"
    scheduler = target.client("scheduler")
    scheduler.create_schedule_group(Name=f"{prefix}-jobs")
    scheduler.create_schedule_group(Name="team-jobs", Tags=[{"Key": "stack_id", "Value": stack}])
    scheduler.create_schedule_group(Name="not-ours")
    scheduler.create_schedule(
        Name=schedule,
        ScheduleExpression="rate(1 hours)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": tagged["ServiceArn"], "RoleArn": ROLE},
    )

    inv = stack_inventory(target, stack)

    found = {(r.kind, r.name): r.found_by for r in inv.resources}
    assert not inv.unreadable, inv.unreadable
    assert found[("aws_apprunner_service", "hand-made-catalog")] == (TAG,)
    assert ("aws_apprunner_service", "someone-else") not in found
    assert found[("aws_apprunner_auto_scaling_configuration_version", f"{prefix}-catalog revision 1")] == (NAME_PREFIX,)
    assert found[("aws_sagemaker_model", f"{prefix}-model")] == (NAME_PREFIX,)
    assert found[("aws_sagemaker_endpoint_configuration", f"{prefix}-config")] == (NAME_PREFIX,)
    # named like the stack, and it acts on a stack service: both ways are named
    assert found[("aws_scheduler_schedule", f"default/{schedule}")][0] == NAME_PREFIX
    assert any("uses the stack: target" in how for how in found[("aws_scheduler_schedule", f"default/{schedule}")])
    assert found[("aws_scheduler_schedule_group", f"{prefix}-jobs")] == (NAME_PREFIX,)
    assert found[("aws_scheduler_schedule_group", "team-jobs")] == (TAG,)
    assert not any(kind == "aws_scheduler_schedule_group" and name in ("default", "not-ours") for kind, name in found)
    assert not any(kind.startswith("aws_apprunner") and "DefaultConfiguration" in name for kind, name in found)

    state = [
        {
            "type": "aws_apprunner_auto_scaling_configuration_version",
            "values": {"arn": scaling["AutoScalingConfigurationArn"]},
        },
    ]
    result = judge_iac(PlanResult(0), state, inv, set())
    assert result.status is Status.FAILED
    reason = str(result.reason)
    for named in (
        "aws_apprunner_service hand-made-catalog",
        f"aws_sagemaker_model {prefix}-model",
        f"aws_sagemaker_endpoint_configuration {prefix}-config",
        f"aws_scheduler_schedule default/{schedule}",
        f"aws_scheduler_schedule_group {prefix}-jobs",
        "aws_scheduler_schedule_group team-jobs",
    ):
        assert named in reason, reason
    assert "auto_scaling_configuration" not in reason  # in state: managed
