"""KPI SBOM under attack: a sigstore identity of this repository's main, from a run that does not build main's code.

A ``pull_request_target``, ``workflow_run`` or ``issue_comment`` run executes this repository's workflow file
on ``refs/heads/main`` with an id-token, so Fulcio certifies it as a run of main (SAN, Source Repository URI
and Ref all main's), while the workflow may check out and run a fork's pull request or another run's artifacts.
Fulcio records the event in the Build Trigger (1.3.6.1.4.1.57264.1.20; formerly GitHub Workflow Trigger, .2)
and the commit in the Source Repository Digest (.13; formerly GitHub Workflow SHA, .3). The policy read
neither: such a signature, or one of another commit of main, counted as sigstore-identity trust.

Certificates are built here with the extensions Fulcio writes (``certificate`` of test_kpi_trust_source); the
commit check also runs through sigstore's real verifier on the recorded production bundle.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sigstore.errors import VerificationError

from lakehouse.kpi.signing import EcdsaSigner, KeylessSigner, ambient_oidc, make_signer
from lakehouse.kpi.trust import (
    SIGSTORE_IDENTITY,
    TrustContext,
    TrustOptions,
    WorkflowIdentity,
    check_artifact,
    required_trust,
    trust_options,
)
from tests.unit.test_kpi_trust_source import REPO, SHA, certificate

MAIN_RUN = f"https://github.com/{REPO}"
OTHER_SHA = "0123456789abcdef0123456789abcdef01234567"


def identity(commit: str | None = SHA) -> WorkflowIdentity:
    """The policy the KPI applies: this repository's main, at the commit under test."""
    return WorkflowIdentity(REPO, commit, commit_source="GITHUB_SHA")


def refused(commit: str | None = SHA, **cert: Any) -> str:
    """Why the policy refuses a run of main whose certificate has ``cert``'s extensions (must refuse)."""
    with pytest.raises(VerificationError) as raised:
        identity(commit).verify(certificate(MAIN_RUN, "refs/heads/main", **cert))
    return str(raised.value)


@pytest.mark.parametrize("event", ["pull_request_target", "workflow_run", "issue_comment"])
def test_a_run_of_main_started_by_an_event_that_can_run_a_forks_code_is_not_mains_provenance(event: str) -> None:
    why = refused(trigger=event)
    assert f"started by {event} (Fulcio's Build Trigger)" in why
    assert "not provenance of refs/heads/main" in why and "only push, workflow_dispatch, schedule" in why


def test_the_older_github_workflow_trigger_extension_is_read_too() -> None:
    why = refused(trigger=None, digest=None, legacy_run=("pull_request_target", SHA))
    assert "started by pull_request_target" in why


def test_a_certificate_that_does_not_say_which_event_started_the_run_is_not_trusted() -> None:
    # Fulcio has written the trigger (.2, and .20 since 2023) into every GitHub Actions certificate: one
    # without it was not issued to this run, so nothing says the run built main's code.
    why = refused(trigger=None)
    assert "does not say which event started it (no Build Trigger, nor GitHub Workflow Trigger)" in why


def test_a_run_of_another_commit_of_main_is_another_build() -> None:
    why = refused(digest=OTHER_SHA)
    assert f"at commit {OTHER_SHA} (Fulcio's Source Repository Digest)" in why
    assert f"not at the commit under test {SHA} (GITHUB_SHA)" in why


def test_the_older_github_workflow_sha_extension_is_read_too() -> None:
    assert f"at commit {OTHER_SHA}" in refused(trigger=None, digest=None, legacy_run=("push", OTHER_SHA))


def test_a_certificate_that_does_not_say_which_commit_is_not_trusted() -> None:
    assert "does not say at which commit (no Source Repository Digest, nor GitHub Workflow SHA)" in refused(digest=None)


def test_without_a_commit_under_test_no_run_of_main_counts() -> None:
    why = refused(commit=None)
    assert f"at commit {SHA}, but the commit under test is unknown (GITHUB_SHA)" in why


@pytest.mark.parametrize("event", ["push", "workflow_dispatch", "schedule"])
def test_healthy_twin_a_run_of_main_by_push_by_hand_or_on_schedule_at_the_commit_is_trusted(event: str) -> None:
    identity().verify(certificate(MAIN_RUN, "refs/heads/main", trigger=event))
    identity(SHA.upper()).verify(certificate(MAIN_RUN, "refs/heads/main", trigger=event))  # hex case is no matter
    legacy = certificate(
        None, None, legacy=(REPO, "refs/heads/main"), trigger=None, digest=None, legacy_run=(event, SHA)
    )
    identity().verify(legacy)


# -- the same through sigstore's real verifier: the recorded bundle's run is at d8b4a64 -----------------------

DATA = Path(__file__).parent / "data" / "sigstore"
WHEEL = "rfc8785-0.1.2-py3-none-any.whl"
SIGNER = ("trailofbits/rfc8785.py", "refs/tags/v0.1.2", "d8b4a6445f38c48b9137a8099706d9b8073146e4")


@pytest.fixture
def signed_wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for name in (WHEEL, WHEEL + ".sigstore.json"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path / WHEEL


def context(commit: str | None) -> TrustContext:
    repo, ref, _ = SIGNER
    return TrustContext(datetime.now(UTC), repo=repo, ref=ref, commit=commit, commit_source="git HEAD of /checkout")


def test_a_verified_bundle_signed_at_another_commit_is_not_sigstore_identity(signed_wheel: Path) -> None:
    check = check_artifact(signed_wheel, signed_wheel.parent, context(OTHER_SHA))
    assert not check.trusted and check.trust is None
    assert (
        f"at commit {SIGNER[2]} (Fulcio's Source Repository Digest), not at the commit under test {OTHER_SHA}"
        in str(check.why_not)
    )


def test_healthy_twin_the_recorded_bundle_at_its_own_commit_is_sigstore_identity(signed_wheel: Path) -> None:
    check = check_artifact(signed_wheel, signed_wheel.parent, context(SIGNER[2]))  # a release run: at a tag
    assert check.valid and check.trust == SIGSTORE_IDENTITY, check.why_not


# -- which runs sign keylessly, what they are asked, which commit is under test ---------------------------------

ON_MAIN = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_REF": "refs/heads/main",
    "ACTIONS_ID_TOKEN_REQUEST_URL": "https://x",
    "GITHUB_EVENT_NAME": "push",
}


def test_a_pull_request_target_run_on_main_signs_with_a_run_made_key_and_is_asked_for_integrity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    foreign = {**ON_MAIN, "GITHUB_EVENT_NAME": "pull_request_target"}
    assert not ambient_oidc(foreign) and not ambient_oidc({**ON_MAIN, "GITHUB_EVENT_NAME": ""})
    level, why = required_trust(foreign)
    assert level == "integrity" and "started by pull_request_target (GITHUB_EVENT_NAME)" in why
    for name, value in foreign.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert isinstance(make_signer(tmp_path), EcdsaSigner)


def test_healthy_twin_a_push_to_main_signs_keylessly_and_is_asked_for_sigstore_identity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ambient_oidc(ON_MAIN) and required_trust(ON_MAIN)[0] == SIGSTORE_IDENTITY
    for name, value in ON_MAIN.items():
        monkeypatch.setenv(name, value)
    assert isinstance(make_signer(tmp_path), KeylessSigner)


def test_the_commit_under_test_is_github_sha_else_the_checkouts_head_and_reaches_the_classification(
    tmp_path: Path,
) -> None:
    options = trust_options({"GITHUB_SHA": SHA.upper()}, REPO, datetime.now(UTC), checkout=tmp_path)
    assert (options.commit, options.commit_source) == (SHA, "GITHUB_SHA")
    ctx = options.context(None, "a key made by this run", lambda: pytest.fail("not verified here"))
    assert (ctx.repo, ctx.commit, ctx.commit_source) == (REPO, SHA, "GITHUB_SHA")
    local = trust_options({}, REPO, datetime.now(UTC), checkout=tmp_path)  # not a git checkout
    assert local.commit is None and local.commit_source == f"git HEAD of {tmp_path}"
    assert TrustOptions().commit is None
