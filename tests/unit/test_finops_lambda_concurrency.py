"""Exit check 7: a Lambda alert receiver with reserved concurrency 0 never runs.

``PutFunctionConcurrency`` with 0 is Lambda's documented way to stop a function: every invocation is throttled.
SNS invokes asynchronously, so Lambda retries the throttled alert for up to 6 h and then drops it. The function
is Active, its package is fine, SNS may invoke it and its record shows no failure (it never ran): only
GetFunction's ``Concurrency`` tells.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber

from lakehouse.checks.alert_delivery import FunctionReadback, function_problems, read_function
from lakehouse.checks.finops import judge_finops
from tests.unit.test_finops import TOPIC
from tests.unit.test_finops_delivery import FUNCTION, invoke_policy, lambda_only

SNS_MAY = invoke_policy({"ArnLike": {"AWS:SourceArn": TOPIC}})


def test_a_lambda_receiver_with_reserved_concurrency_0_hears_nothing() -> None:
    result = judge_finops(lambda_only(FunctionReadback(FUNCTION, True, SNS_MAY, reserved_concurrency=0)))
    assert not result.passed
    (problem,) = result.details["problems"]["budget"]
    assert f"topic {TOPIC} has no subscription that receives a budget alert" in problem
    assert (
        "Lambda function page-on-call has reserved concurrency 0 (Concurrency.ReservedConcurrentExecutions): Lambda "
        "throttles every invocation"
    ) in problem


@pytest.mark.parametrize("reserved", [None, 1, 100])
def test_a_lambda_receiver_with_concurrency_to_run_hears_the_budget(reserved: int | None) -> None:
    result = judge_finops(lambda_only(FunctionReadback(FUNCTION, True, SNS_MAY, reserved_concurrency=reserved)))
    assert result.details["problems"]["budget"] == [], result.reason


@pytest.mark.parametrize(("concurrency", "read"), [({"ReservedConcurrentExecutions": 0}, 0), (None, None)])
def test_the_reader_takes_the_reserved_concurrency_getfunction_answers(
    concurrency: dict[str, int] | None, read: int | None
) -> None:
    awslambda = boto3.client("lambda", region_name="ap-northeast-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(awslambda) as stub:
        answer = {
            "Configuration": {"FunctionName": "page-on-call", "State": "Active", "PackageType": "Image"},
            "Code": {"RepositoryType": "ECR", "ImageUri": "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/p:1"},
            **({"Concurrency": concurrency} if concurrency is not None else {}),
        }
        stub.add_response("get_function", answer, {"FunctionName": FUNCTION})
        stub.add_response("get_policy", {"Policy": json.dumps(SNS_MAY)}, {"FunctionName": FUNCTION})
        function = read_function(awslambda, FUNCTION)
    assert function.reserved_concurrency == read
    throttled = [p for p in function_problems(function, TOPIC) if "reserved concurrency 0" in p]
    assert len(throttled) == (1 if read == 0 else 0)
