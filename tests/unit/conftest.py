"""Fixtures shared by the unit tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from tests.fake_github import github

__all__ = ["github"]  # the fake GitHub's fixture (tests/fake_github.py), for every unit test that asks for it


@pytest.fixture
def moto_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's in-process AWS for one test: dummy credentials, and no ``AWS_ENDPOINT_URL`` left over from a shell
    pointed at the emulator (boto3 would send the calls there instead of to moto)."""
    from moto import mock_aws

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def ecr_blobs(moto_aws: None) -> Iterator[None]:
    """moto's ECR as the emulator extends it (``lakehouse.emulator.extensions.ecr``): uploaded blobs kept and
    GetDownloadUrlForLayer answered, its download URLs served for this test by a WSGI server of its own on a
    loopback port (the emulator's own serves them in a stack)."""
    from werkzeug.serving import make_server

    from lakehouse.emulator.extensions import ecr

    ecr.install()
    server = make_server("127.0.0.1", 0, ecr.serve_layer, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="ecr-blobs", daemon=True)
    thread.start()
    ecr.set_endpoint(f"http://127.0.0.1:{server.server_port}")
    try:
        yield
    finally:
        server.shutdown()
        thread.join()


@pytest.fixture
def no_github_sha(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``GITHUB_SHA``: inside GitHub Actions it would become exit check 3's commit under test, whichever a test
    picks (``tests.unit.ci_client.ask``)."""
    monkeypatch.delenv("GITHUB_SHA", raising=False)


@pytest.fixture
def cloudwatch_history(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's CloudWatch with the emulator's alarm history, for this test only: SetAlarmState records its StateUpdate
    item and runs the new state's actions (publishing CloudWatch's notification, recording each Action item), as
    CloudWatch does, and DescribeAlarmHistory answers (moto 5.2.5 has none of it). No evaluation on its own: a test
    evaluates the alarm where CloudWatch would (``tests.unit.alarm_evaluation``)."""
    from moto.cloudwatch.models import CloudWatchBackend
    from moto.cloudwatch.responses import CloudWatchResponse

    from lakehouse.emulator.extensions import cloudwatch as extension

    if getattr(CloudWatchBackend, extension._INSTALLED_MARK, False):
        return  # the whole extension is in: it records the history already
    set_state = CloudWatchBackend.set_alarm_state

    def set_alarm_state(self: CloudWatchBackend, alarm_name: str, reason: str, reason_data: str, state: str) -> None:
        alarm = self.alarms.get(alarm_name)
        old_state, old_reason = (alarm.state_value, alarm.state_reason) if alarm is not None else ("", "")
        set_state(self, alarm_name, reason, reason_data, state)
        if alarm is not None and old_state != state:
            extension.after_transition(self, alarm, old_state, old_reason)

    monkeypatch.setattr(CloudWatchBackend, "set_alarm_state", set_alarm_state)
    answer = extension.CloudWatchResponseExtension.describe_alarm_history
    monkeypatch.setattr(CloudWatchResponse, "describe_alarm_history", answer, raising=False)


@pytest.fixture
def sqs_senders(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's SQS with the emulator's SenderId, for this test only: a message sent with SendMessage records its
    sender's id (GetCallerIdentity's UserId), one SNS delivers keeps SNS's (moto 5.2.5 stamps SNS's on every one)."""
    from moto.sqs.models import Queue

    from lakehouse.emulator.extensions import sqs as extension

    if getattr(Queue, extension._MARK, False):
        return  # the whole extension is in
    for owner, name, replacement in extension.sender_patches():
        monkeypatch.setattr(owner, name, replacement)
