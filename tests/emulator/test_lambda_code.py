"""GetFunction's ``Code.Location`` answers with the package the function runs, as AWS's presigned URL does.

Exit check 7 reads an alert receiver's package to see whether its handler is there; moto names an
AWS host it never serves.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile

import requests

from lakehouse.checks.alert_delivery import read_function
from tests.emulator.conftest import AwsClientFactory


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", source)
    return buffer.getvalue()


def test_code_location_returns_the_functions_zip_until_its_code_is_replaced(aws_client: AwsClientFactory) -> None:
    iam, awslambda = aws_client("iam"), aws_client("lambda")
    name = f"pager-{uuid.uuid4().hex[:8]}"
    trust = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    first = _zip("def handler(event, context):\n    return None\n")
    awslambda.create_function(
        FunctionName=name, Runtime="python3.11", Role=role, Handler="index.handler", Code={"ZipFile": first}
    )
    location = awslambda.get_function(FunctionName=name)["Code"]["Location"]
    assert requests.get(location, timeout=10).content == first

    read = read_function(awslambda, name)
    assert read.package is not None and read.package.unread is None
    assert read.package.module_files == ["index.py"] and "handler" in (read.package.defines or [])

    second = _zip("def handle(event, context):\n    return None\n")  # the handler renamed: it no longer runs
    awslambda.update_function_code(FunctionName=name, ZipFile=second)
    stale = requests.get(location, timeout=10)
    assert stale.status_code == 403  # like an expired presigned URL: the old code is not served
    assert requests.get(awslambda.get_function(FunctionName=name)["Code"]["Location"], timeout=10).content == second
    read = read_function(awslambda, name)
    assert read.package is not None and "handler" not in (read.package.defines or [])
    awslambda.delete_function(FunctionName=name)
    assert requests.get(location, timeout=10).status_code == 403
