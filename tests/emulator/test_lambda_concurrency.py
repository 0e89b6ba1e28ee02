"""GetFunction's ``Concurrency`` as AWS answers it: the reserved concurrency whenever one is set, 0 included.

moto left ``Concurrency`` out when PutFunctionConcurrency had reserved 0 (a falsy test), the value that throttles
every invocation: exit check 7 reads it to judge an alert receiver that never runs, and locally saw no reservation.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile

from lakehouse.checks.alert_delivery import read_function
from lakehouse.checks.lambda_receiver import concurrency_problems
from tests.emulator.conftest import AwsClientFactory


def _function(aws_client: AwsClientFactory) -> str:
    iam, awslambda = aws_client("iam"), aws_client("lambda")
    name = f"pager-{uuid.uuid4().hex[:8]}"
    trust = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    awslambda.create_function(
        FunctionName=name, Runtime="python3.11", Role=role, Handler="index.handler", Code={"ZipFile": buffer.getvalue()}
    )
    return name


def test_reserved_concurrency_zero_is_in_get_function_and_exit_7_sees_it(aws_client: AwsClientFactory) -> None:
    awslambda = aws_client("lambda")
    name = _function(aws_client)
    awslambda.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    # main: no Concurrency key at all, as if nothing were reserved
    assert awslambda.get_function(FunctionName=name).get("Concurrency") == {"ReservedConcurrentExecutions": 0}
    read = read_function(awslambda, name)
    assert read.reserved_concurrency == 0
    [problem] = concurrency_problems(name, read.reserved_concurrency)
    assert f"Lambda function {name} has reserved concurrency 0" in problem
    awslambda.delete_function(FunctionName=name)


def test_healthy_twins_none_reserved_or_some_reserved(aws_client: AwsClientFactory) -> None:
    awslambda = aws_client("lambda")
    name = _function(aws_client)
    assert "Concurrency" not in awslambda.get_function(FunctionName=name)  # the account's pool: AWS omits it
    assert read_function(awslambda, name).reserved_concurrency is None
    awslambda.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=5)
    assert awslambda.get_function(FunctionName=name)["Concurrency"] == {"ReservedConcurrentExecutions": 5}
    read = read_function(awslambda, name)
    assert read.reserved_concurrency == 5 and concurrency_problems(name, read.reserved_concurrency) == []
    assert read.package is not None and read.package.unread is None  # Code.Location still serves the package
    awslambda.delete_function_concurrency(FunctionName=name)
    assert "Concurrency" not in awslambda.get_function(FunctionName=name)
    awslambda.delete_function(FunctionName=name)
