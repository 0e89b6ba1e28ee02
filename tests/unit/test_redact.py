"""Secrets are redacted by shape and by key name, in text, data and files; readable things stay readable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakehouse.evidence import ArtifactStore, CheckEvidence, write_evidence
from lakehouse.outcome import Outcome
from lakehouse.redact import REDACTED, copy_redacted, is_secret_key, redact, redact_file, redact_text

AK = "AKIAIOSFODNN7EXAMPLE"
SK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ST = "IQoJb3JpZ2luX2VjEXAMPLEplantedSessionToken0123456789abcdef=="
GH = "ghp_EXAMPLEplantedGitHubToken0123456789ab"
PW = "hunter2-planted-password"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"aws_access_key_id = {AK}", AK),
        ("temporary key ASIAEXAMPLE000000001 in use", "ASIAEXAMPLE000000001"),
        (f"aws_secret_access_key={SK}", SK),
        (f"AWS_SECRET_ACCESS_KEY: {SK}", SK),
        (f'{{"SecretAccessKey": "{SK}"}}', SK),
        (f"x-amz-security-token: {ST}", ST),
        (f"session {ST} expired", ST),
        (f"remote https://x-access-token:{GH}@github.com/o/r", GH),
        (f"GITHUB_TOKEN={GH}", GH),
        ("token github_pat_11EXAMPLE0planted_GitHubFineGrained0123456789", "github_pat_11EXAMPLE0planted"),
        ("gho_EXAMPLEoauthTokenValue0123456789abcdef", "gho_EXAMPLE"),
        (f"password={PW}", PW),
        (f'{{"Password": "{PW}"}}', PW),
        (f'{{"@message":"db password=\\"{PW}\\""}}', PW),
        (f'<failure message="password=&quot;{PW}&quot;">', PW),
        ("postgres://marquez:s3cr3t-EXAMPLE@127.0.0.1:5432/marquez", "s3cr3t-EXAMPLE"),
        ("Authorization: Bearer plantedBearerTokenValue0123456789", "plantedBearerTokenValue0123456789"),
        ('"Authorization": "Basic dXNlcjpwYXNzd29yZA=="', "dXNlcjpwYXNzd29yZA=="),
        ("api_key=planted-api-key-value-42&x=1", "planted-api-key-value-42"),
        ("https://b.s3.amazonaws.com/k?X-Amz-Signature=" + "ab" * 32, "ab" * 32),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "MIIEpAIBAAKCAQEA"),
    ],
)
def test_secret_in_text_is_redacted(text: str, secret: str) -> None:
    out = redact_text(text)
    assert secret not in out
    assert REDACTED in out


@pytest.mark.parametrize(
    "text",
    [
        "aws_secretsmanager_secret.db: Creating... [id=arn:aws:secretsmanager:eu-west-1:123:secret:db]",
        "the token expired; token validation failed",
        "role id AROAEXAMPLEID123456789 and account 123456789012",
        "secret: true, password: null, token = false",
        "secret_string = (sensitive value)",
        "SELECT user_id, ssn FROM gold.users",
        'aws_s3_bucket_lifecycle_configuration.this["gold"]: Creation complete after 55s',
        "http://127.0.0.1:4566/ and s3://bucket/key",
    ],
)
def test_readable_text_is_left_alone(text: str) -> None:
    assert redact_text(text) == text


def test_key_names_decide_in_data_and_structure_stays() -> None:
    data = {
        "credentials": {"AccessKeyId": "test", "SecretAccessKey": "test", "Expiration": 3600, "Nested": [{"a": "b"}]},
        "phases_s": {"credential_check": 1.25},
        "api_key": "",
        "Password": None,
        "GitHubToken": "abc",
        "reason": f"terraform failed: password={PW}",
        "rows": [[1, AK], ["x", {"token": "t"}]],
        "count": 3,
    }
    assert redact(data) == {
        "credentials": {
            "AccessKeyId": REDACTED,
            "SecretAccessKey": REDACTED,
            "Expiration": 3600,
            "Nested": [{"a": REDACTED}],
        },
        "phases_s": {"credential_check": 1.25},
        "api_key": "",
        "Password": None,
        "GitHubToken": REDACTED,
        "reason": f"terraform failed: password={REDACTED}",
        "rows": [[1, REDACTED], ["x", {"token": REDACTED}]],
        "count": 3,
    }
    assert data["GitHubToken"] == "abc", "redact returns a copy"


@pytest.mark.parametrize(
    "key", ["secret", "client_secret", "SessionToken", "DB_PASSWORD", "Authorization", "apiKey", "x-api-key"]
)
def test_secret_key_names(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["stack_id", "region", "query_execution_id", "resources_without_time", "principal"])
def test_ordinary_key_names(key: str) -> None:
    assert not is_secret_key(key)


def test_files_are_redacted_text_json_and_binary(tmp_path: Path) -> None:
    log = tmp_path / "tf.log"
    log.write_text(f'{{"@message":"env AWS_ACCESS_KEY_ID={AK}"}}\nplain line\nAWS_SECRET_ACCESS_KEY={SK}\n')
    copy_redacted(log, tmp_path / "out.log")
    out = (tmp_path / "out.log").read_text()
    assert AK not in out and SK not in out and "plain line\n" in out and out.count("\n") == 3

    doc = tmp_path / "a.json"
    doc.write_text(json.dumps({"SessionToken": ST, "note": f"key {AK}"}))
    copy_redacted(doc, tmp_path / "b.json")
    assert json.loads((tmp_path / "b.json").read_text()) == {"SessionToken": REDACTED, "note": f"key {REDACTED}"}

    png = tmp_path / "x.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\0\0" + AK.encode())
    copy_redacted(png, tmp_path / "y.png")
    assert (tmp_path / "y.png").read_bytes() == png.read_bytes()
    redact_file(png)  # in place, binary: unchanged, no error
    assert png.read_bytes().endswith(AK.encode())

    pem = tmp_path / "key.log"
    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\nQ2hhbmdlTWU=\n-----END RSA PRIVATE KEY-----\n"
    pem.write_text(f"before\n{key}after\n")
    copy_redacted(pem, tmp_path / "key-out.log")
    out = (tmp_path / "key-out.log").read_text()
    assert "MIIEpAIBAAKCAQEA" not in out and "Q2hhbmdlTWU=" not in out
    assert out.startswith("before\n") and out.endswith("after\n")

    junit = tmp_path / "junit.xml"
    junit.write_text(
        f'<testcase><failure message="AssertionError: token={GH}">GITHUB_TOKEN={GH}</failure></testcase>\n'
    )
    redact_file(junit)
    assert GH not in junit.read_text() and "<failure message=" in junit.read_text()


def test_evidence_and_artifacts_are_written_redacted(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    entry = CheckEvidence(id="EXIT-1", title="30-min deploy", target="local", status="failed")
    entry.record(
        Outcome.judged(
            False,
            measured=1,
            threshold=0,
            reason=f"apply failed with {AK}",
            details={"env": {"AWS_SECRET_ACCESS_KEY": SK}, "log": f"token {GH}", "path": tmp_path},
        )
    )
    source = tmp_path / "terraform.log"
    source.write_text(f"Error: password={PW}\n")
    entry.artifacts = [
        store.write_json("details.json", {"SessionToken": ST}),
        store.write_text("notes.txt", f"Authorization: Bearer {GH}\n"),
        store.copy(source, "terraform-apply.log"),
    ]
    path = write_evidence(
        tmp_path / "evidence.json", {"target": "local", "teardown": [{"message": f"url https://u:{PW}@h"}]}, [entry]
    )
    everything = "".join(p.read_text() for p in tmp_path.iterdir() if p.name != "terraform.log")
    for secret in (AK, SK, GH, PW, ST):
        assert secret not in everything, secret
    doc = json.loads(path.read_text())
    assert doc["checks"][0]["details"]["env"] == {"AWS_SECRET_ACCESS_KEY": REDACTED}
    assert doc["checks"][0]["details"]["path"] == str(tmp_path)
    assert doc["checks"][0]["reason"] == f"apply failed with {REDACTED}"
