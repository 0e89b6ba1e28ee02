"""The hidden column's *values*, wherever they surface: a copy under another name hides nothing.

Exit check 6 finds the tables holding ``ssn`` by their column names. A table made out of band with
``CREATE TABLE gold.users_export AS SELECT user_id, ssn AS tax_id FROM gold.users`` (or a view, or a
column that concatenates it) has no such name, so the analyst reads every value while the column
mask looks perfect. The values themselves are the property: the privileged principal reads the
hidden column's distinct values, the analyst's ``SELECT *`` of every table is searched for them
(as tokens inside longer strings and nested values too, with and without separators), and only
counts reach the evidence: a matched cell is masked in the rows the evidence keeps.

A copy can also be disguised as a digest: ``to_hex(sha256(to_utf8(ssn)))`` (or md5, sha1, sha512,
hex or base64, or Athena's varbinary as such) shows no digit of the value, yet an unsalted hash of
a 9-digit number is reversed by hashing all 10^9 of them. Each value is hashed the same ways (as
read, lower case, digits only) and the cells are searched for those digests too; a keyed or salted
hash (HMAC with a secret) matches none, so pseudonymised columns stay legitimate.

A copy can as well be merely encoded: ``to_utf8(ssn)`` (varbinary: bytes through pyathena, ``31 32 33 2d ...`` through
GetQueryResults), ``to_hex(to_utf8(ssn))`` or ``to_base64(to_utf8(ssn))`` show no digit of the value either, and
decoding shows it whole. Varbinary and hex text are decoded and searched like any text (a concatenation inside
stays found); base64 is matched against each value's own encodings (as read, lower case, digits only; standard or
URL-safe alphabet, padded or not), which costs one lookup per run of base64 letters.

A value with a separator (``983-16-2186``) is also found inside a longer token, wherever no digit
continues it: ``concat_ws('-', user_id, ssn)`` gives ``42-983-16-2186``, one token whose digits are
no value's, yet it shows the value whole. ``983-16-21867`` (or ``12983-16-2186``) stays another number.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import Any

#: What a masked cell shows in the evidence instead of the value.
MASK = "<hidden value>"
#: Word-like tokens of a cell's text: ``983-16-2186`` stays one token, ``a 983-16-2186 b`` gives three.
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-./][A-Za-z0-9]+)*")
#: Values shorter than this are not searched for (nor matched on fewer digits, ``983162186`` for
#: ``983-16-2186``): short strings and numbers would match ids, counts and codes by chance.
MIN_LENGTH = 6
#: Unkeyed hashes Athena computes (``md5``, ``sha1``, ``sha256``, ``sha512``) by their digest sizes in bytes.
DIGESTS = {16: "md5", 20: "sha1", 32: "sha256", 64: "sha512"}
#: A cell that is one base64 text (``to_base64(sha256(...))``), whose length may be a digest's.
_BASE64 = re.compile(r"[A-Za-z0-9+/]{22,86}={0,2}")
#: Runs of base64 letters (either alphabet) in a cell, looked up among the values' own encodings.
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{8,}")
#: A varbinary as GetQueryResults prints it: its bytes in hex, space-separated (``31 32 33 2d``).
_VARBINARY_TEXT = re.compile(r"[0-9a-f]{2}(?: [0-9a-f]{2})+")
#: Hex text of at least ``MIN_LENGTH`` bytes (``to_hex(to_utf8(ssn))``), in a lower-cased cell, no hex digit around.
_HEX_RUN = re.compile(r"(?<![0-9a-f])(?:[0-9a-f]{2}){6,}(?![0-9a-f])")
#: A word of a query or message, what ``redacted`` masks whole: up to a space or a quote.
_WORD = re.compile(r"[^\s'\"`]+")
#: How a cell may encode a value without hashing it: decoding shows it (a ``match`` answer besides digests).
ENCODINGS = ("varbinary", "hex", "base64")
#: Bytes of a digest kept to recognise it: 2^-64 odds of a chance match, a quarter of a sha256's memory.
_PREFIX = 8
#: Shapes (``\d{3}-\d{2}-\d{4}``) of values with a separator searched for inside longer tokens, the most common
#: first; values of rarer shapes (malformed rows) are still found as whole tokens.
MAX_SHAPES = 32


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


#: Athena's ``to_base64`` and ``to_base64url`` alphabets.
_B64_ALPHABETS = (base64.b64encode, base64.urlsafe_b64encode)


def _base64_core(text: str | bytes) -> str:
    """Base64 text without its padding, in the standard alphabet: how a value's encoding and a run are compared."""
    run = text.decode() if isinstance(text, bytes) else text
    return run.rstrip("=").replace("-", "+").replace("_", "/")


def _key(digest: bytes) -> tuple[int, int]:
    return len(digest), int.from_bytes(digest[:_PREFIX], "big")


def _shape(value: str) -> str:
    """A regex of the value's shape: its digit runs as ``\\d{n}``, the rest literal (``983-16-2186`` ->
    ``\\d{3}\\-\\d{2}\\-\\d{4}``)."""
    return "".join(rf"\d{{{len(p)}}}" if p.isdigit() else re.escape(p) for p in re.split(r"(\d+)", value) if p)


def _embedded(values: Iterable[str]) -> tuple[re.Pattern[str] | None, int]:
    """Where a value with a separator may sit inside a longer token, digits not continuing it (overlapping),
    and the fewest digits such a value has (a token with no more digits is judged by its digits alone)."""
    shapes: dict[str, int] = {}
    for value in values:
        if re.search(r"\d", value) and re.search(r"[^a-z0-9]", value):
            shapes[_shape(value)] = shapes.get(_shape(value), 0) + 1
    if not shapes:
        return None, 0
    common = sorted(shapes, key=lambda s: (-shapes[s], s))[:MAX_SHAPES]
    fewest = min(sum(int(n) for n in re.findall(r"\{(\d+)\}", s)) for s in common)
    return re.compile(rf"(?<!\d)(?=((?:{'|'.join(common)}))(?!\d))"), fewest


class HiddenValues:
    """The privileged principal's values of the hidden columns, matched exactly, by their digits, or by their
    unsalted digests."""

    def __init__(self, values: Iterable[Any]) -> None:
        read = {text for v in values if v is not None and len(text := str(v).strip()) >= MIN_LENGTH}
        self.exact = {text.lower() for text in read}
        self.digits = {d for v in self.exact if len(d := _digits(v)) >= MIN_LENGTH}
        self.embedded, self.embedded_digits = _embedded(self.exact)
        forms = {f for text in read for f in (text, text.lower(), _digits(text)) if len(f) >= MIN_LENGTH}
        self.digests = {_key(hashlib.new(name, form.encode()).digest()) for form in forms for name in DIGESTS.values()}
        self.base64 = {_base64_core(enc(form.encode())) for form in forms for enc in _B64_ALPHABETS}

    def __len__(self) -> int:
        return len(self.exact)

    def _digest(self, raw: bytes) -> str | None:
        """The hash whose digest ``raw`` is, when it is one of a value's."""
        return DIGESTS[len(raw)] if len(raw) in DIGESTS and _key(raw) in self.digests else None

    def _hashed(self, token: str) -> str | None:
        if len(token) // 2 in DIGESTS and len(token) % 2 == 0:
            try:
                return self._digest(bytes.fromhex(token))
            except ValueError:
                return None
        return None

    def _plain(self, text: str, tokens: Sequence[str] | None = None) -> bool:
        """Whether lower-cased ``text`` (its ``tokens``, when already found) shows a value: whole, as a token, by its
        digits, or inside a longer token."""
        if text in self.exact:
            return True
        found = _TOKEN.findall(text) if tokens is None else tokens
        return any(t in self.exact or (d := _digits(t)) in self.digits or self._inside(t, d) for t in found)

    def _decoded(self, raw: bytes, how: str) -> str | None:
        """How bytes (a varbinary, decoded hex text) carry a value: as a digest's name, as ``how``, or None."""
        if found := self._digest(raw):
            return found
        return how if self._plain(raw.decode("utf-8", "replace").lower()) else None

    def _encoded(self, original: str, text: str) -> str | None:
        """A value hex- or base64-encoded somewhere in the cell (``original``; ``text`` lower-cased)."""
        for run in _HEX_RUN.findall(text):
            if self._plain(bytes.fromhex(run).decode("utf-8", "replace").lower()):
                return "hex"
        if any(_base64_core(run) in self.base64 for run in _BASE64_RUN.findall(original)):
            return "base64"
        return None

    def _inside(self, token: str, digits: str) -> bool:
        """A value with a separator inside a longer token (``42-983-16-2186``, its ``digits``); only a token with
        more digits than such a value is searched (the others are judged by their digits)."""
        if self.embedded is None or len(digits) <= self.embedded_digits:
            return False
        return any(m.group(1) in self.exact for m in self.embedded.finditer(token))

    def match(self, cell: Any) -> str | None:
        """How the cell (any type; nested values by their text) carries one of the values: ``"value"``, the name
        of the hash whose digest it holds (``"sha256"``), the encoding that shows it (``ENCODINGS``), or None."""
        if cell is None or not self.exact:
            return None
        if isinstance(cell, bytes | bytearray | memoryview):  # Athena's varbinary: md5(to_utf8(ssn)), to_utf8(ssn)
            return self._decoded(bytes(cell), "varbinary")
        original = str(cell).strip()
        text = original.lower()
        if text in self.exact:
            return "value"
        binary = bytes.fromhex(text.replace(" ", "")) if _VARBINARY_TEXT.fullmatch(text) else None
        if binary is not None and (found := self._decoded(binary, "varbinary")):  # GetQueryResults' varbinary
            return found
        if _BASE64.fullmatch(original):
            try:
                if found := self._digest(base64.b64decode(original, validate=True)):
                    return found
            except (binascii.Error, ValueError):
                pass
        tokens = _TOKEN.findall(text)
        if self._plain(text, tokens):
            return "value"
        return next((found for t in tokens if (found := self._hashed(t))), None) or self._encoded(original, text)

    def redacted(self, text: str) -> str:
        """``text`` (a query, an error message) with every word carrying a value masked: evidence and reasons quote
        it, and must not repeat the leak."""
        return _WORD.sub(lambda m: MASK if self.found_in(m.group(0)) else m.group(0), text)

    def found_in(self, cell: Any) -> bool:
        """Whether the cell carries one of the values (as itself, an unsalted digest or an encoding)."""
        return self.match(cell) is not None


class LeakTally:
    """Rows carrying a hidden value, per column position, counted as a result's rows stream past: a
    whole table is searched without holding it."""

    def __init__(self, values: HiddenValues) -> None:
        self.values = values
        self.by_position: dict[int, int] = {}
        #: Position -> the hashes whose digests of the values it held, and the encodings that showed them.
        self.hashes: dict[int, set[str]] = {}

    def visit(self, row: Sequence[Any]) -> None:
        for position, cell in enumerate(row):
            if (how := self.values.match(cell)) is not None:
                self.by_position[position] = self.by_position.get(position, 0) + 1
                if how != "value":
                    self.hashes.setdefault(position, set()).add(how)

    def by_column(self, columns: Sequence[str]) -> dict[str, int]:
        """Column -> rows carrying a hidden value in it (columns without any left out)."""
        return {columns[p]: n for p, n in sorted(self.by_position.items()) if p < len(columns)}

    def hashed_columns(self, columns: Sequence[str]) -> dict[str, list[str]]:
        """Column -> the unsalted hashes (and encodings) of hidden values found in it (columns without any left out)."""
        return {columns[p]: sorted(h) for p, h in sorted(self.hashes.items()) if p < len(columns)}


def leaked_columns(columns: Sequence[str], rows: Iterable[Sequence[Any]], values: HiddenValues) -> dict[str, int]:
    """Column -> how many of the rows carry a hidden value in it (columns without any left out)."""
    tally = LeakTally(values)
    for row in rows:
        tally.visit(row)
    return tally.by_column(columns)


def masked(rows: Iterable[Sequence[Any]], values: HiddenValues) -> list[list[Any]]:
    """The rows with every cell carrying a hidden value replaced: the evidence must not repeat the leak."""
    return [[MASK if values.found_in(cell) else cell for cell in row] for row in rows]
