"""GetFunction's ``LastModified`` as AWS moves it: on UpdateFunctionCode and UpdateFunctionConfiguration.

moto stamped it only when the function was created, so an alert receiver whose code or configuration was updated
during a chaos run showed the stamp of the start and KPI-mttr took it for the receiver it judged then
(``lakehouse.chaos.unheard``). What AWS does not count as an update of the function leaves it alone.
"""

from __future__ import annotations

import io
import zipfile

from tests.emulator.conftest import AwsClientFactory
from tests.emulator.test_lambda_concurrency import _function


def _modified(aws_client: AwsClientFactory, name: str) -> str:
    return str(aws_client("lambda").get_function(FunctionName=name)["Configuration"]["LastModified"])


def test_code_and_configuration_updates_move_last_modified(aws_client: AwsClientFactory) -> None:
    awslambda = aws_client("lambda")
    name = _function(aws_client)
    created = _modified(aws_client, name)
    awslambda.update_function_configuration(FunctionName=name, Timeout=30)
    configured = _modified(aws_client, name)
    assert configured > created  # main: the stamp of the creation still
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return 1\n")
    awslambda.update_function_code(FunctionName=name, ZipFile=buffer.getvalue())
    assert _modified(aws_client, name) > configured
    awslambda.delete_function(FunctionName=name)


def test_healthy_twin_permission_and_concurrency_leave_last_modified(aws_client: AwsClientFactory) -> None:
    awslambda = aws_client("lambda")
    name = _function(aws_client)
    created = _modified(aws_client, name)
    awslambda.add_permission(
        FunctionName=name, StatementId="sns", Action="lambda:InvokeFunction", Principal="sns.amazonaws.com"
    )
    awslambda.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=5)
    assert _modified(aws_client, name) == created
    awslambda.delete_function(FunctionName=name)
