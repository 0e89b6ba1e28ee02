"""Bronze landing: every data line of a CSV is looked at once and goes to exactly one place.

A line that fits the file's header (as many fields as the header, readable CSV, UTF-8) lands
in the Bronze table's folder with its line number appended (``source_line``), so every later
row names the line it came from. A line that does not fit is quarantined here, in the landing
report (file, line, reason): it never reaches a table with fields dropped or shifted. A bad
byte quarantines its line, not the file. The file as it arrived is kept byte for byte under
``arrived/`` next to the table folders (not read by any table).

The Bronze tables read their columns by position, so a file whose header is not the columns
its table declares (renamed, reordered, added or dropped) is refused whole, naming the file,
line 1 and the first column that differs, before anything of this run is written.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp

from lakehouse.target import Target

#: Which table folder each sample file lands in (the bronze tables' LOCATIONs).
LANDING = {"users.csv": "raw/users/", "orders.csv": "raw/orders/"}
#: Where the files land as they arrived (outside every table's LOCATION).
ARRIVED = "arrived/"
#: The column landing appends: the 1-based line of the arrived file the row starts on.
LINE_COLUMN = "source_line"
#: What ``surrogateescape`` makes of a byte that is not UTF-8.
_UNDECODED = re.compile("[\udc80-\udcff]")
#: What makes a line more than its text split at the commas (for the CSV reader or writer).
_SPECIAL_LINE = re.compile('["\\\\\x00\udc80-\udcff]|\r(?!\n)')
#: The characters of ``_SPECIAL_LINE`` left once a file has no undecodable byte and no lone ``\r``.
_PLAIN_BREAKERS = ('"', "\\", "\x00")
#: One physical line as ``io.StringIO(newline="")`` reads it (the CSV reader is fed these).
_PHYSICAL_LINE = re.compile("[^\r\n]*(?:\r\n|\r|\n)?")


@dataclass(frozen=True)
class MalformedLine:
    """A line of a landed file that does not fit the file's header: quarantined at landing."""

    file: str
    line: int
    problem: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.problem}"


@dataclass
class Inspected:
    """One file, looked at line by line: the header, the lines that fit, the ones that don't.

    The lines that fit are kept as the Bronze CSV records they become (``source_line`` appended),
    not as lists of fields: a million-line file is one list of strings, joined once.
    """

    header: list[str]
    good_lines: list[int] = field(default_factory=list)
    rows: list[str] = field(default_factory=list, repr=False)  # the Bronze record of each good line
    malformed: list[MalformedLine] = field(default_factory=list)

    @property
    def good(self) -> list[tuple[int, list[str]]]:
        """(line, fields) of every line that fits, read back from its Bronze record."""
        records = csv.reader(self.rows, doublequote=False, escapechar="\\", strict=True)
        return [(line, fields[:-1]) for line, fields in zip(self.good_lines, records, strict=True)]

    @property
    def data_lines(self) -> int:
        return len(self.good_lines) + len(self.malformed)

    @property
    def lines(self) -> list[int]:
        """Every data line (the line each record starts on), good or quarantined."""
        return sorted(self.good_lines + [m.line for m in self.malformed])

    def bronze_csv(self) -> bytes:
        """What lands in the table folder: header and good lines, ``source_line`` appended."""
        return "".join([_record([*self.header, LINE_COLUMN]), *self.rows]).encode("utf-8")


@dataclass
class Landed:
    file: str
    uri: str
    bytes: int
    data_lines: int
    #: Lines that went to the Bronze table / to the landing report.
    loaded_lines: int = 0
    quarantined_lines: int = 0
    #: Every data line number (the accounting's "lines in"); not in ``to_dict``.
    lines: list[int] = field(default_factory=list, repr=False)
    #: SHA-256 of the file as it arrived: what tells a restored file from one cut short.
    sha256: str = ""
    #: The file's last line when no line break ends it (cut mid-line, or written without one), else None.
    unterminated_line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "lines"}


class LandingError(ValueError):
    """A file that cannot be landed at all (its header is unreadable): names file and line."""


def unterminated_line(raw: bytes) -> int | None:
    """The number of a file's last line when no line break ends it, else None.

    A cut upload usually ends mid-line; its last line may still have every field (a value cut
    short), so only the missing line break, and the bytes, tell it from the file as sent.
    """
    if not raw or raw.endswith((b"\n", b"\r")):
        return None
    return raw.count(b"\n") + 1


def _bad_byte(text: str) -> int | None:
    """Index of the first undecodable byte (``surrogateescape`` turns it into U+DC80..U+DCFF)."""
    found = _UNDECODED.search(text)
    return found.start() if found else None


def _record(fields: list[str]) -> str:
    """One Bronze CSV record. Backslash escapes, not doubled quotes: OpenCSVSerde's escapeChar is
    ``\\``, so a backslash in a value must itself be escaped to arrive unchanged."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n", doublequote=False, escapechar="\\").writerow(fields)
    return out.getvalue()


def inspect(name: str, raw: bytes) -> Inspected:
    """Split a file into lines that fit its header and quarantined ones (1-based; the header is line 1).

    A UTF-8 byte order mark is not data. Records may span lines (quoted newlines): a record
    is numbered by the line it starts on.

    A line holding no quote, backslash, lone carriage return, NUL or undecodable byte is one
    record whose fields are its text split at the commas, and it lands as that same text (the
    CSV reader and writer would give exactly that): such lines are counted, not parsed, a run of
    them at a time (:func:`_plain_lines`). Every other line goes through Python's CSV reader,
    record by record (:func:`_record_at`), as the whole file once did.
    """
    return _finish(_begin(name, raw))


@dataclass
class _Begun:
    """A file decoded and its header read: where inspecting its data lines goes on from.

    Split from :func:`inspect` so :func:`land` checks every file's header before it writes
    anything, then sends a file up while it inspects the next.
    """

    name: str
    result: Inspected
    rest: str = ""  # the text after the header record
    undecodable: bool = False
    line: int = 1  # the line ``rest`` starts on
    width: int = 0


def _begin(name: str, raw: bytes) -> _Begun:
    """Decode ``raw`` and read its header record; a header that is not UTF-8 refuses the file (LandingError)."""
    try:
        text, undecodable = raw.decode("utf-8"), False
    except UnicodeDecodeError:
        text, undecodable = raw.decode("utf-8", errors="surrogateescape"), True
    text = text.removeprefix("\ufeff")
    begun = _Begun(name, Inspected(header=[]), undecodable=undecodable)
    if not text:
        return begun
    # The header record read from the text's physical lines, as io.StringIO(newline="") splits
    # them; no StringIO of the whole file (copying 50 MB into one and out again: ~0.3 s).
    physical = _PhysicalLines(text, 0)
    reader = csv.reader(physical, strict=True)  # reads no further than its record
    try:
        fields = next(reader)
    except csv.Error as err:
        begun.result.malformed.append(MalformedLine(name, 1, f"unreadable CSV: {err}"))
    else:
        if any(_bad_byte(f) is not None for f in fields):
            # Without a readable header no line can be matched to its columns: refuse the file whole.
            raise LandingError(f"{name}:1: the header is not UTF-8, so no line of {name} can be landed")
        begun.result.header, begun.width = fields, len(fields)
    begun.rest, begun.line = text[physical.pos :], 1 + reader.line_num
    return begun


def _finish(begun: _Begun) -> Inspected:
    """Judge every data line after the header (see :func:`inspect`)."""
    name, result, rest, line, width = begun.name, begun.result, begun.rest, begun.line, begun.width
    pos = 0
    specials = _Specials(rest, begun.undecodable)
    while pos < len(rest):
        special = specials.next(pos)
        plain_end = len(rest) if special is None else rest.rfind("\n", pos, special) + 1
        if plain_end > pos:
            line = _plain_lines(name, result, rest[pos:plain_end], line, width)
            pos = plain_end
        if special is not None:
            pos, line = _record_at(name, result, rest, pos, line, width)
    return result


class _PhysicalLines:
    """The physical lines of ``text`` from ``pos`` on, as ``io.StringIO(newline="")`` reads them
    (``\n``, ``\r\n`` or a lone ``\r`` ends one); ``pos`` is where the next one starts."""

    def __init__(self, text: str, pos: int) -> None:
        self.text = text
        self.pos = pos

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.text):
            raise StopIteration
        found = _PHYSICAL_LINE.match(self.text, self.pos)
        assert found is not None  # the pattern matches at every position
        self.pos = found.end()
        return found.group()


class _Specials:
    """Where the next character that makes a line not plain is (``_SPECIAL_LINE``), found fast.

    A regular expression scans ~10 ns a character (0.4 s for a 50 MB file). Most files hold no
    undecodable byte (a strict decode tells) and no lone carriage return (two counts tell); then the
    next quote, backslash or NUL is ``str.find``'s (memchr), each remembered until passed.
    """

    def __init__(self, text: str, undecodable: bool) -> None:
        self.text = text
        self.by_regex = undecodable or text.count("\r") != text.count("\r\n")
        self.found: dict[str, int] = {}

    def next(self, pos: int) -> int | None:
        """The index of the first special character at or after ``pos`` (None: none left)."""
        if self.by_regex:
            match = _SPECIAL_LINE.search(self.text, pos)
            return match.start() if match else None
        nearest = None
        for char in _PLAIN_BREAKERS:
            at = self.found.get(char)
            if at is None or -1 < at < pos:
                at = self.found[char] = self.text.find(char, pos)
            if at != -1 and (nearest is None or at < nearest):
                nearest = at
        return nearest


def _plain_lines(name: str, result: Inspected, lines_text: str, line: int, width: int) -> int:
    """Land a run of plain lines (none holds what ``_SPECIAL_LINE`` finds); the number of the next line.

    One split and one pass over the run: a line with the header's width lands as its text with its
    number, a blank line is no record, any other is quarantined. (A million lines, one at a time
    through the reader's loop, took ~1.3 s.)
    """
    lines = lines_text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the run's last line break ends a line, it starts none
    if "\r" in lines_text:
        lines = [text.removesuffix("\r") for text in lines]  # \r\n line ends (a lone \r is not plain)
    commas = width - 1
    odd = [i for i, text in enumerate(lines) if text.count(",") != commas or not text]
    done = 0
    for i in [*odd, len(lines)]:
        if i > done:
            numbers = range(line + done, line + i)
            result.good_lines.extend(numbers)
            result.rows.extend([f"{text},{n}\n" for text, n in zip(lines[done:i], numbers, strict=True)])
        if i < len(lines) and lines[i]:
            found = lines[i].count(",") + 1
            result.malformed.append(
                MalformedLine(name, line + i, f"expected {width} fields (as the header), found {found}")
            )
        done = i + 1
    return line + len(lines)


def _record_at(name: str, result: Inspected, text: str, pos: int, start: int, width: int) -> tuple[int, int]:
    """Read the record at ``pos`` of ``text`` (starting line ``start``) with the CSV reader and judge it;
    (position, line) after it. The reader is given physical lines as ``io.StringIO(newline="")``
    splits them (``\n``, ``\r\n`` or a lone ``\r``) and reads no further than its record.
    """
    physical = _PhysicalLines(text, pos)
    reader = csv.reader(physical, strict=True)
    try:
        fields = next(reader)
    except csv.Error as err:
        result.malformed.append(MalformedLine(name, start, f"unreadable CSV: {err}"))
        return physical.pos, start + reader.line_num
    except StopIteration:
        return physical.pos, start + reader.line_num
    consumed, after = physical.pos, start + reader.line_num
    if not fields:
        return consumed, after  # a blank line is no record (a reader skips it too)
    bad = next((i for i, f in enumerate(fields) if _bad_byte(f) is not None), None)
    if bad is not None:
        column = result.header[bad] if bad < len(result.header) else f"field {bad + 1}"
        result.malformed.append(MalformedLine(name, start, f"not UTF-8 (in {column})"))
    elif (broken := next((i for i, f in enumerate(fields) if "\n" in f or "\r" in f), None)) is not None:
        column = result.header[broken] if broken < len(result.header) else f"field {broken + 1}"
        result.malformed.append(
            MalformedLine(name, start, f"line break inside a value (in {column}): Athena reads one line per row")
        )
    elif len(fields) != width:
        result.malformed.append(
            MalformedLine(name, start, f"expected {width} fields (as the header), found {len(fields)}")
        )
    else:
        result.good_lines.append(start)
        result.rows.append(_record([*fields, str(start)]))
    return consumed, after


def inspect_csv(path: Path, raw: bytes | None = None) -> tuple[int, list[MalformedLine]]:
    """Count data lines and list the malformed ones (kept for callers that only need the report)."""
    found = inspect(path.name, path.read_bytes() if raw is None else raw)
    return found.data_lines, found.malformed


def declared_headers(statements: list[str]) -> dict[str, tuple[str, list[str]]]:
    """File name -> (table, columns before ``source_line``), from the CREATE EXTERNAL TABLEs whose
    LOCATION is that file's landing folder: the pipeline's SQL is the one place the columns are stated."""
    by_prefix = {prefix: name for name, prefix in LANDING.items()}
    found: dict[str, tuple[str, list[str]]] = {}
    for sql in statements:
        if "EXTERNAL" not in sql.upper():
            continue
        create = sqlglot.parse_one(sql, read="athena")
        location = create.find(exp.LocationProperty)
        if not isinstance(create, exp.Create) or not isinstance(create.this, exp.Schema) or location is None:
            continue
        folder = str(location.this.name).partition("://")[2].partition("/")[2]
        if (name := by_prefix.get(folder)) is not None:
            table = create.this.this
            columns = [c.name for c in create.this.expressions if c.name != LINE_COLUMN]
            found[name] = (table.sql(dialect="athena"), columns)
    return found


def check_header(name: str, header: list[str], table: str, columns: list[str]) -> None:
    """Refuse a file whose header is not its table's columns in order (tables read by position)."""
    got = [h.strip().lower() for h in header]
    if got == [c.lower() for c in columns]:
        return
    for i, (have, want) in enumerate(zip(got, columns, strict=False), start=1):
        if have != want.lower():
            problem = f"column {i} is `{header[i - 1]}` where {table} expects `{want}`"
            break
    else:
        extra = len(got) - len(columns)
        problem = (
            f"{extra} column(s) more than {table}'s {len(columns)} (first extra: `{header[len(columns)]}`)"
            if extra > 0
            else f"{-extra} column(s) missing: {table} expects `{'`, `'.join(columns[len(got) :])}` too"
        )
    raise LandingError(
        f"{name}:1: the header does not match the Bronze table ({problem}); expected "
        f"`{','.join(columns)}`. Nothing of this run was landed"
    )


def land(
    target: Target, bucket: str, data_dir: Path, headers: dict[str, tuple[str, list[str]]] | None = None
) -> tuple[list[Landed], list[MalformedLine]]:
    """Land every known CSV of ``data_dir``: lines that fit into their Bronze folder, the file as it arrived beside.

    ``headers`` (from :func:`declared_headers`): every file's header is checked first, so a refused
    file leaves Bronze as the last good run left it. Then the files go up while the next is
    inspected (the emulator or S3 receives one while this process reads the other): the files as
    they arrived at once, each Bronze file as soon as its lines are judged, the largest file first.
    """
    missing = [name for name in LANDING if not (data_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{data_dir}: missing {', '.join(missing)}")
    bodies: dict[str, bytes] = {}
    begun: dict[str, _Begun] = {}
    for name in LANDING:
        bodies[name] = (data_dir / name).read_bytes()
        begun[name] = _begin(name, bodies[name])
        if headers and name in headers:
            check_header(name, begun[name].result.header, *headers[name])
    s3 = target.client("s3")
    inspected: dict[str, Inspected] = {}
    # Every header was checked above; the objects are independent, so they go up side by side.
    with ThreadPoolExecutor(max_workers=3 * len(LANDING)) as pool:
        uploads = [
            pool.submit(s3.put_object, Bucket=bucket, Key=f"{ARRIVED}{prefix.removeprefix('raw/')}{name}", Body=body)
            for (name, prefix), body in zip(LANDING.items(), bodies.values(), strict=True)
        ]
        digests = {name: pool.submit(lambda b: hashlib.sha256(b).hexdigest(), body) for name, body in bodies.items()}
        for name in sorted(LANDING, key=lambda n: -len(bodies[n])):
            inspected[name] = _finish(begun.pop(name))
            body = inspected[name].bronze_csv()
            uploads.append(pool.submit(s3.put_object, Bucket=bucket, Key=LANDING[name] + name, Body=body))
        for done in uploads:
            done.result()
    landed: list[Landed] = []
    malformed: list[MalformedLine] = []
    for name, prefix in LANDING.items():
        body, found = bodies[name], inspected[name]
        malformed += found.malformed
        landed.append(
            Landed(
                name,
                f"s3://{bucket}/{prefix + name}",
                len(body),
                found.data_lines,
                len(found.good_lines),
                len(found.malformed),
                found.lines,
                digests[name].result(),
                unterminated_line(body),
            )
        )
    return landed, malformed
