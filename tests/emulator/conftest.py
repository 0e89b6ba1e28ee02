"""One emulator process for the emulator-compatibility tests, and boto3 clients pointed at it.

Requests go through boto3 so botocore validates them and parses the answers
against its service models, the way Terraform's SDK and our checks see them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from lakehouse.emulator.process import EmulatorHandle, start_emulator, stop_emulator

REGION = "ap-northeast-1"

AwsClientFactory = Callable[[str], Any]


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorHandle]:
    """The real emulator process (moto server plus our extensions), stopped at the end."""
    log_path = tmp_path_factory.mktemp("emulator") / "emulator.log"
    handle = start_emulator(log_path=log_path)
    try:
        yield handle
    finally:
        stop_emulator(handle)


@pytest.fixture(scope="session")
def aws_client(emulator: EmulatorHandle) -> AwsClientFactory:
    """Factory: ``aws_client("s3")`` is a boto3 client for the emulator.

    One attempt only, so a 500 from a missing operation fails the test at once
    instead of being retried.
    """
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION)
    config = Config(retries={"max_attempts": 1})

    def make(service: str) -> Any:
        return session.client(service, endpoint_url=emulator.endpoint, config=config)

    return make
