"""StartQueryExecution's ClientRequestToken: the same token starts the same execution (an index, not a scan)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.emulator.test_athena_ext import new_work_group


@pytest.fixture
def athena(aws_client: Callable[[str], Any]) -> Any:
    return aws_client("athena")


def test_the_same_client_request_token_starts_the_same_execution(athena: Any) -> None:
    group = new_work_group(athena)
    first = athena.start_query_execution(QueryString="SELECT 1", WorkGroup=group, ClientRequestToken="t" * 32)
    again = athena.start_query_execution(QueryString="SELECT 1", WorkGroup=group, ClientRequestToken="t" * 32)
    other = athena.start_query_execution(QueryString="SELECT 1", WorkGroup=group, ClientRequestToken="u" * 32)
    assert first["QueryExecutionId"] == again["QueryExecutionId"] != other["QueryExecutionId"]


def test_botocore_gives_each_start_a_token_of_its_own(athena: Any) -> None:
    group = new_work_group(athena)
    ids = {athena.start_query_execution(QueryString="SELECT 1", WorkGroup=group)["QueryExecutionId"] for _ in range(3)}
    assert len(ids) == 3
