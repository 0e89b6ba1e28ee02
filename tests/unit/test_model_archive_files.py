"""@STACK-model: the archive an endpoint serves is the champion's artifacts file by file, not only by its MLmodel.

The digests ignore what a tar adds (times, owners, modes, order, a ``./`` prefix, directories); any file that
differs, is missing, is extra or is a link fails, named. A second variant serving the same MLmodel beside other
files splits the traffic between two models and fails too.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lakehouse.checks.model_serving import judge_version, read_served
from lakehouse.ml.model import archive_files, directory_files, file_differences, pack
from lakehouse.outcome import Status
from tests.unit.test_model_serving import CHAMPION, REGISTRY, V2_FILES, _mlmodel, account, served

__all__ = ["account"]  # the fixture, used by name

WEIGHTS = b"the champion's weights"


def _tar(members: list[tuple[str, bytes | None]], **info: Any) -> bytes:
    """A model.tar.gz of ``members`` (content None: a directory), each member's TarInfo given ``info``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in members:
            member = tarfile.TarInfo(name)
            for key, value in info.items():
                setattr(member, key, value)
            if content is None:
                member.type = tarfile.DIRTYPE
                tar.addfile(member)
                continue
            member.size = len(content)
            tar.addfile(member, io.BytesIO(content))
    return buffer.getvalue()


def test_an_archive_packed_otherwise_has_the_same_files_as_the_model_directory(tmp_path: Path) -> None:
    """What a release packs, and the same files in another order, with other times, owners and modes, a ``./``
    prefix and directory members: the same digests as the downloaded directory (tar metadata is no content)."""
    (tmp_path / "MLmodel").write_bytes(_mlmodel("m-two", "run-two"))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "model.pkl").write_bytes(WEIGHTS)
    registered = directory_files(tmp_path)
    assert set(registered) == {"MLmodel", "data/model.pkl"}
    assert archive_files(pack(tmp_path)) == registered
    members: list[tuple[str, bytes | None]] = [
        ("./", None),
        ("./data", None),
        ("./data/model.pkl", WEIGHTS),
        ("./MLmodel", _mlmodel("m-two", "run-two")),
    ]
    other = _tar(members, mtime=1, uid=1000, uname="someone", mode=0o600)
    assert archive_files(other) == registered
    assert file_differences(archive_files(other), registered) == []


@pytest.mark.parametrize(
    ("members", "named"),
    [
        (
            [("MLmodel", _mlmodel("m-two", "run-two")), ("model.pkl", b"other weights")],
            f"model.pkl differs: sha256 {hashlib.sha256(b'other weights').hexdigest()[:12]}... in the archive, "
            f"{hashlib.sha256(WEIGHTS).hexdigest()[:12]}... in MLflow's artifacts",
        ),
        ([("MLmodel", _mlmodel("m-two", "run-two"))], "model.pkl is missing from the archive, not from MLflow's"),
        (
            [("MLmodel", _mlmodel("m-two", "run-two")), ("model.pkl", WEIGHTS), ("loader.py", b"import os")],
            "loader.py is in the archive only, not in MLflow's artifacts",
        ),
        (
            # The last member of a name is what unpacking leaves: the champion's weights first, others after.
            [("MLmodel", _mlmodel("m-two", "run-two")), ("model.pkl", WEIGHTS), ("./model.pkl", b"other")],
            "model.pkl differs: sha256 ",
        ),
    ],
    ids=["other-weights", "missing-file", "extra-file", "weights-overwritten-in-the-archive"],
)
def test_an_archive_with_the_champions_mlmodel_and_other_files_fails_naming_the_file(
    members: list[tuple[str, bytes | None]], named: str
) -> None:
    registered = {**V2_FILES, "model.pkl": hashlib.sha256(WEIGHTS).hexdigest()}
    registry = replace(REGISTRY, champion_files=registered)
    forged = served(files=archive_files(_tar(members)))
    outcome = judge_version([forged], registry, "s1")
    assert outcome.status is Status.FAILED
    assert outcome.reason is not None and named in outcome.reason, outcome.reason
    assert "names the champion, version 2, in its MLmodel, but its files are not daily-revenue version 2's" in (
        outcome.reason
    )
    assert outcome.measured == {"lakehouse-s1-daily-revenue": None}
    healthy = served(files=archive_files(_tar([("MLmodel", _mlmodel("m-two", "run-two")), ("model.pkl", WEIGHTS)])))
    assert judge_version([healthy], registry, "s1").passed


def test_a_link_where_the_champion_has_a_file_fails_naming_it() -> None:
    """SageMaker unpacks the archive: a symlink named model.pkl loads whatever it points at."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        mlmodel = _mlmodel("m-two", "run-two")
        member = tarfile.TarInfo("MLmodel")
        member.size = len(mlmodel)
        tar.addfile(member, io.BytesIO(mlmodel))
        link = tarfile.TarInfo("model.pkl")
        link.type, link.linkname = tarfile.SYMTYPE, "/opt/other/model.pkl"
        tar.addfile(link)
    registered = {**V2_FILES, "model.pkl": hashlib.sha256(WEIGHTS).hexdigest()}
    found = file_differences(archive_files(buffer.getvalue()), registered)
    assert found == ["model.pkl is a symlink to /opt/other/model.pkl in the archive, a file in MLflow's artifacts"]


def test_archive_files_not_read_fail_rather_than_pass() -> None:
    """A judge given no files cannot say the archive is the champion's: it fails, naming what was not read."""
    outcome = judge_version([served(files=None)], REGISTRY, "s1")
    assert outcome.status is Status.FAILED
    assert "but the archive's files were not read, so not compared" in str(outcome.reason)
    unread = replace(REGISTRY, champion_files=None)
    outcome = judge_version([served()], unread, "s1")
    assert outcome.status is Status.FAILED
    assert "but daily-revenue version 2's artifacts in MLflow were not read" in str(outcome.reason)


def _two_variants(target: Any, name: str, second_archive: bytes) -> str:
    """An endpoint whose configuration splits traffic between the champion's archive and ``second_archive``."""
    sm, s3 = target.client("sagemaker"), target.client("s3")
    s3.put_object(Bucket="models", Key="second/model.tar.gz", Body=second_archive)
    role = "arn:aws:iam::123456789012:role/sm"
    sm.create_model(ModelName=f"{name}-a", ExecutionRoleArn=role, PrimaryContainer=CHAMPION)
    second = {**CHAMPION, "ModelDataUrl": "s3://models/second/model.tar.gz"}
    sm.create_model(ModelName=f"{name}-b", ExecutionRoleArn=role, PrimaryContainer=second)
    serverless = {"ServerlessConfig": {"MaxConcurrency": 2, "MemorySizeInMB": 2048}}
    variants = [{"VariantName": v, "ModelName": f"{name}-{v.lower()}", **serverless} for v in ("A", "B")]
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=variants)
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    return name


def test_a_second_variant_with_the_champions_mlmodel_beside_other_files_fails_naming_the_file(account: Any) -> None:
    mlmodel = _mlmodel("m-two", "run-two")
    name = _two_variants(account, "split", _tar([("MLmodel", mlmodel), ("model.pkl", b"other weights")]))
    outcome = judge_version([read_served(account, name)], REGISTRY, "s1")
    assert outcome.status is Status.FAILED
    reason = str(outcome.reason)
    assert "its configuration split splits traffic: variant B serves model split-b" in reason, reason
    assert "their archives differ: model.pkl is in variant B's archive only, not in variant A's archive" in reason, (
        reason
    )


def test_a_second_variant_serving_the_same_archive_content_passes(account: Any) -> None:
    """The champion's archive copied to another key (its tar metadata differs): the same files, one model."""
    name = _two_variants(account, "split-same", _tar([("./MLmodel", _mlmodel("m-two", "run-two"))], mtime=7))
    served_model = read_served(account, name)
    assert served_model.broken is None
    assert judge_version([served_model], REGISTRY, "s1").passed
