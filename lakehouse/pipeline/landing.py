"""Bronze landing: the CSV files go to the bronze bucket unchanged, after a line-by-line look.

Landing never edits or drops a line (Bronze keeps what arrived). The look finds the lines
a reader will trip over, with file and line: wrong number of fields, an unterminated quote,
bytes that are not UTF-8. Those lines still land; the SQL layer quarantines their rows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lakehouse.target import Target

#: Which table folder each sample file lands in (the bronze tables' LOCATIONs).
LANDING = {"users.csv": "raw/users/", "orders.csv": "raw/orders/"}


@dataclass(frozen=True)
class MalformedLine:
    """A line of a landed file that does not fit the file's header."""

    file: str
    line: int
    problem: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.problem}"


@dataclass
class Landed:
    file: str
    uri: str
    bytes: int
    data_lines: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def inspect_csv(path: Path, raw: bytes | None = None) -> tuple[int, list[MalformedLine]]:
    """Count data lines and list malformed ones (1-based line numbers, header is line 1).

    ``raw`` is the file's content when the caller has read it already.
    """
    problems: list[MalformedLine] = []
    if raw is None:
        raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        problems.append(MalformedLine(path.name, line, f"not UTF-8 at byte {err.start}"))
        text = raw.decode("utf-8", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    width = 0
    rows = 0
    line_start = 1
    try:
        for fields in reader:
            if reader.line_num == 1:
                width = len(fields)
                line_start = reader.line_num + 1
                continue
            rows += 1
            if len(fields) != width:
                problems.append(
                    MalformedLine(
                        path.name, line_start, f"expected {width} fields (as the header), found {len(fields)}"
                    )
                )
            line_start = reader.line_num + 1
    except csv.Error as err:
        problems.append(MalformedLine(path.name, line_start, f"unreadable CSV: {err}"))
    return rows, problems


def land(target: Target, bucket: str, data_dir: Path) -> tuple[list[Landed], list[MalformedLine]]:
    """Upload every known CSV of ``data_dir`` to its Bronze folder, byte for byte."""
    missing = [name for name in LANDING if not (data_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{data_dir}: missing {', '.join(missing)}")
    s3 = target.client("s3")
    landed: list[Landed] = []
    malformed: list[MalformedLine] = []
    for name, prefix in LANDING.items():
        path = data_dir / name
        body = path.read_bytes()
        rows, problems = inspect_csv(path, body)
        malformed += problems
        key = prefix + name
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        landed.append(Landed(name, f"s3://{bucket}/{key}", len(body), rows))
    return landed, malformed
