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

from lakehouse.catalog.model import CATALOG_FILE
from lakehouse.catalog.service import CatalogHandle, start_catalog_service, stop_catalog_service
from lakehouse.config import project_root
from lakehouse.emulator.process import EmulatorHandle, start_emulator, stop_emulator
from lakehouse.lineage.service.process import LineageHandle, start_lineage_service, stop_lineage_service

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


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CatalogHandle, LineageHandle]]:
    """The catalog service (serving the repo's catalog file) and a lineage service, for @STACK-catalog's tests:
    one pair a test module, stopped at its end."""
    catalog = start_catalog_service(project_root() / CATALOG_FILE)
    lineage = start_lineage_service(tmp_path_factory.mktemp("lineage") / "lineage.sqlite")
    try:
        yield catalog, lineage
    finally:
        stop_catalog_service(catalog)
        stop_lineage_service(lineage)
