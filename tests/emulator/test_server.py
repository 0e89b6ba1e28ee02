"""The emulator process itself: loopback only, kernel-chosen port, clean stop."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
import pytest
from botocore.exceptions import ClientError

from lakehouse.emulator.extensions import INSTALL_ORDER, service_modules
from lakehouse.emulator.process import pid_alive, start_emulator, stop_emulator


def test_extensions_are_discovered_per_service() -> None:
    assert {"athena", "budgets", "glue", "lakeformation", "identity"} <= set(service_modules())
    assert "_graft" not in service_modules()


def test_every_extension_has_a_place_in_the_install_order() -> None:
    assert sorted(INSTALL_ORDER) == service_modules()
    assert INSTALL_ORDER[0] == "identity"
    assert INSTALL_ORDER.index("glue") < INSTALL_ORDER.index("lakeformation")


def test_start_serves_on_loopback_and_stop_ends_the_process(tmp_path: Path) -> None:
    handle = start_emulator(log_path=tmp_path / "emulator.log")
    try:
        url = urlparse(handle.endpoint)
        assert url.hostname == "127.0.0.1" and url.port and url.port > 0
        assert handle.alive()
        sts = boto3.client(
            "sts",
            endpoint_url=handle.endpoint,
            region_name="ap-northeast-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        # Still answering after the parent stopped reading its stdout.
        request_ids = set()
        for _ in range(3):
            answer = sts.get_caller_identity()
            assert answer["Account"] == "123456789012"
            request_ids.add(answer["ResponseMetadata"]["RequestId"])
        # moto's request id, drawn in one call: 52 letters and digits, a new one each time.
        assert len(request_ids) == 3 and all(len(r) == 52 and r.isalnum() for r in request_ids)
    finally:
        stop_emulator(handle)
    assert not pid_alive(handle.pid)
    stop_emulator(handle)  # repeatable


def test_two_emulators_run_side_by_side(tmp_path: Path) -> None:
    first, second = start_emulator(), start_emulator()
    try:
        assert first.endpoint != second.endpoint
        s3 = [
            boto3.client(
                "s3",
                endpoint_url=h.endpoint,
                region_name="us-east-1",
                aws_access_key_id="test",
                aws_secret_access_key="test",
            )
            for h in (first, second)
        ]
        s3[0].create_bucket(Bucket="only-in-the-first")
        assert [b["Name"] for b in s3[1].list_buckets()["Buckets"]] == []
    finally:
        stop_emulator(first)
        stop_emulator(second)


def test_only_the_root_keys_it_was_started_with_act_as_the_account(tmp_path: Path) -> None:
    """``make up`` tells the emulator the deployer's keys; any other key it never issued is refused."""
    handle = start_emulator(log_path=tmp_path / "emulator.log", root_keys=("deployer-key",))
    try:

        def sts(key: str) -> Any:
            return boto3.client(
                "sts",
                endpoint_url=handle.endpoint,
                region_name="ap-northeast-1",
                aws_access_key_id=key,
                aws_secret_access_key="secret",
            )

        assert sts("deployer-key").get_caller_identity()["Account"] == "123456789012"
        with pytest.raises(ClientError) as refused:
            sts("test").get_caller_identity()
        assert refused.value.response["Error"]["Code"] == "InvalidClientTokenId"
    finally:
        stop_emulator(handle)
