"""A paused catalog service resumed to be read is paused again, even when its pause schedule fired meanwhile."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from lakehouse.catalog.service import answering


class FakeAppRunner:
    """App Runner's state machine for one service; ``schedule_fires`` pauses it while the block reads."""

    def __init__(self, schedule_fires: bool = False, pause_error: str = "InvalidStateException") -> None:
        self.status, self.schedule_fires, self.pause_error = "PAUSED", schedule_fires, pause_error
        self.calls: list[str] = []

    def describe_service(self, ServiceArn: str) -> dict[str, Any]:  # noqa: N803 (boto3's names)
        return {"Service": {"ServiceArn": ServiceArn, "ServiceName": "catalog", "Status": self.status}}

    def resume_service(self, ServiceArn: str) -> None:  # noqa: N803
        self.calls.append("resume")
        self.status = "RUNNING"

    def pause_service(self, ServiceArn: str) -> None:  # noqa: N803
        self.calls.append("pause")
        if self.status != "RUNNING":
            error = {"Error": {"Code": self.pause_error, "Message": f"service is {self.status}"}}
            raise ClientError(error, "PauseService")  # type: ignore[arg-type]
        self.status = "PAUSED"


def test_a_paused_service_is_resumed_for_the_read_and_paused_again() -> None:
    client = FakeAppRunner()
    with answering(client, {"ServiceArn": "arn:svc", "Status": "PAUSED"}) as service:
        assert service["Status"] == "RUNNING"
    assert client.calls == ["resume", "pause"] and client.status == "PAUSED"


def test_a_pause_schedule_firing_during_the_read_leaves_it_paused_without_an_error() -> None:
    client = FakeAppRunner()
    with answering(client, {"ServiceArn": "arn:svc", "Status": "PAUSED"}):
        client.status = "PAUSED"  # the schedule's pauseService, as the emulator now fires it
    assert client.calls == ["resume", "pause"] and client.status == "PAUSED"


def test_other_pause_errors_are_raised() -> None:
    client = FakeAppRunner(pause_error="AccessDeniedException")
    paused = {"ServiceArn": "arn:svc", "Status": "PAUSED"}
    with pytest.raises(ClientError, match="AccessDenied"), answering(client, paused):
        client.status = "PAUSED"
