"""Fixtures shared by the unit tests."""

from __future__ import annotations

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
def no_github_sha(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``GITHUB_SHA``: inside GitHub Actions it would become exit check 3's commit under test, whichever a test
    picks (``tests.unit.ci_client.ask``)."""
    monkeypatch.delenv("GITHUB_SHA", raising=False)
