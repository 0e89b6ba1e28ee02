"""Landing's fast path (lines counted, not parsed) gives exactly what the CSV reader and writer give.

The reference is landing as it was before the fast path: Python's CSV reader over the whole file,
every good line written back by the CSV writer. Every file, clean or dirty, must come out the
same: the same good lines with the same fields, the same quarantined lines with the same reasons,
the same Bronze bytes.
"""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lakehouse.pipeline.landing import LINE_COLUMN, LandingError, inspect


def _reference(name: str, raw: bytes) -> tuple[list[str], list[tuple[int, list[str]]], list[str], bytes]:
    """Landing's inspection before the fast path: (header, good lines, quarantine reasons, Bronze bytes)."""
    text = raw.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] = []
    good: list[tuple[int, list[str]]] = []
    malformed: list[str] = []

    def bad_byte(value: str) -> bool:
        return any("\udc80" <= ch <= "\udcff" for ch in value)

    line_start = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            start, line_start = line_start, reader.line_num + 1
            malformed.append(f"{name}:{start}: unreadable CSV: {err}")
            continue
        start, line_start = line_start, reader.line_num + 1
        if start == 1:
            if any(bad_byte(f) for f in fields):
                raise LandingError("header")
            header = fields
            continue
        if not fields:
            continue
        bad = next((i for i, f in enumerate(fields) if bad_byte(f)), None)
        broken = next((i for i, f in enumerate(fields) if "\n" in f or "\r" in f), None)
        if bad is not None:
            column = header[bad] if bad < len(header) else f"field {bad + 1}"
            malformed.append(f"{name}:{start}: not UTF-8 (in {column})")
        elif broken is not None:
            column = header[broken] if broken < len(header) else f"field {broken + 1}"
            malformed.append(f"{name}:{start}: line break inside a value (in {column}): Athena reads one line per row")
        elif len(fields) != len(header):
            malformed.append(f"{name}:{start}: expected {len(header)} fields (as the header), found {len(fields)}")
        else:
            good.append((start, fields))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", doublequote=False, escapechar="\\")
    writer.writerow([*header, LINE_COLUMN])
    writer.writerows([*fields, str(line)] for line, fields in good)
    return header, good, malformed, out.getvalue().encode("utf-8")


def _same_as_reference(raw: bytes) -> None:
    try:
        expected = _reference("f.csv", raw)
    except LandingError:
        with pytest.raises(LandingError):
            inspect("f.csv", raw)
        return
    found = inspect("f.csv", raw)
    assert (found.header, found.good, [str(m) for m in found.malformed], found.bronze_csv()) == expected
    assert found.lines == sorted([n for n, _ in expected[1]] + [int(m.split(":")[1]) for m in expected[2]])


#: Characters that make CSV interesting, and plain ones.
_PIECES = ["a", "b", "1", " ", ",", ",", '"', "\\", "\n", "\r\n", "\r", "\x00", "é", "\xff", "\ufeff", "\u2028"]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=60), st.sampled_from(["\n", "\r\n", ""]))
def test_any_file_lands_as_the_csv_reader_and_writer_land_it(pieces: list[str], end: str) -> None:
    text = "id,name,amount" + end + "".join(pieces)
    _same_as_reference(text.encode("utf-8", errors="surrogateescape").replace("\xff".encode(), b"\xff"))


@pytest.mark.parametrize(
    "raw",
    [
        b'id,name,amount\r\n1,a,1.00\r\n2,b,2.00,extra\r\n3,\xff,3.00\r\n4,"two\nlines",4.00\r\n6,c\\d,6.00\r\n',
        b'\xef\xbb\xbfid,name\n1,"a,b"\n2,"unterminated\n3,x\n',
        b'id,name\n1,"a"b\n2,c\n\n\n3,d',
        b"id,name\n1,a\r2,b\r\n3,c\x00\n",
        b"",
        b"\n1,2\n",
        b'"id,x",name\n1,2\n',
        b"id,name\n1,\n,\n,,\n",
    ],
)
def test_dirty_files_land_as_before(raw: bytes) -> None:
    _same_as_reference(raw)


def test_the_committed_samples_land_as_before() -> None:
    from lakehouse.pipeline.runner import DATA_DIR

    for name in ("users.csv", "orders.csv"):
        _same_as_reference((DATA_DIR / name).read_bytes())


_FIELD = st.text(alphabet="ab1 é.-", max_size=4)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.lists(_FIELD, min_size=2, max_size=4).map(",".join), max_size=30),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)
def test_plain_files_landed_at_once_land_as_the_csv_reader_and_writer_land_them(
    lines: list[str], end: str, last_end: bool
) -> None:
    """Mostly three fields a line (the at-once path), sometimes two or four or a blank line (the loop)."""
    text = "id,name,amount" + end + end.join(lines) + (end if last_end and lines else "")
    _same_as_reference(text.encode("utf-8"))


def test_a_plain_file_is_landed_at_once_with_its_line_numbers() -> None:
    found = inspect("f.csv", b"id,name,amount\r\n1,a,2\r\n3,b,4")
    assert found.good_lines == [2, 3]
    assert found.rows == ["1,a,2,2\n", "3,b,4,3\n"]
