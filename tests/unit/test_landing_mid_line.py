"""Landing records what tells a file cut mid-line from the file as sent: its checksum and a last line without a break.

KPI-mttr compares them with the source read before a fault (``lakehouse.chaos.runbook``): a
file cut inside its last line keeps every line, so counting lines cannot see it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from lakehouse.pipeline.landing import land, unterminated_line
from lakehouse.pipeline.runner import DATA_DIR


class _S3:
    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}

    def put_object(self, Bucket: str, Key: str, Body: bytes) -> None:  # noqa: N803 (boto3's names)
        self.bodies[Key] = Body


class _Target:
    def __init__(self) -> None:
        self.s3 = _S3()

    def client(self, _service: str) -> _S3:
        return self.s3


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        (b"a,b\n1,2\n", None),
        (b"a,b\r\n1,2\r\n", None),
        (b"a,b\n1,2", 2),
        (b"a,b\n1,", 2),
        (b"a,b", 1),
        (b"", None),
    ],
)
def test_the_last_line_without_a_line_break_is_named(raw: bytes, line: int | None) -> None:
    assert unterminated_line(raw) == line


def test_landing_records_each_files_checksum_and_a_cut_last_line(tmp_path: Path) -> None:
    orders = (DATA_DIR / "orders.csv").read_bytes()
    cut = orders.rstrip(b"\n")[:-4]  # inside the last value: the line keeps its fields
    (tmp_path / "orders.csv").write_bytes(cut)
    (tmp_path / "users.csv").write_bytes((DATA_DIR / "users.csv").read_bytes())
    target = _Target()
    landed, _ = land(target, "b-bronze", tmp_path)  # type: ignore[arg-type]
    by_file = {x.file: x for x in landed}
    assert by_file["orders.csv"].sha256 == hashlib.sha256(cut).hexdigest()
    assert by_file["orders.csv"].unterminated_line == orders.count(b"\n")
    assert by_file["users.csv"].unterminated_line is None
    assert by_file["orders.csv"].to_dict()["unterminated_line"] == orders.count(b"\n")
    assert target.s3.bodies["arrived/orders/orders.csv"] == cut  # kept as it arrived, byte for byte
