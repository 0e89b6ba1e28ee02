"""The pipeline's ``.sql`` files: rendered for one stack, split into statements with their place.

Files hold Athena SQL with ``${name}`` placeholders (database and bucket names differ per
stack). A missing or unknown placeholder is an error naming file, line and placeholder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlglot.tokens import Tokenizer, TokenType

from lakehouse.emulator.sql.dialect import READ

_PLACEHOLDER = re.compile(r"\$\{(\w*)\}")


class SqlFileError(ValueError):
    """A .sql file that cannot be rendered or split; the message names file, line and what."""


@dataclass(frozen=True)
class SqlStatement:
    """One statement of a file: where it comes from and its rendered text."""

    path: Path
    line: int
    index: int  # 1-based position in its file
    sql: str

    @property
    def job(self) -> str:
        """A stable name for the statement (OpenLineage job names, evidence): ``file.N``."""
        return f"{self.path.stem}.{self.index}"

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def render(path: Path, text: str, values: dict[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in values:
            line = text.count("\n", 0, m.start()) + 1
            known = ", ".join(sorted(values))
            raise SqlFileError(f"{path}:{line}: unknown placeholder ${{{name}}} (known: {known})")
        return values[name]

    return _PLACEHOLDER.sub(sub, text)


def split(path: Path, text: str) -> list[tuple[int, str]]:
    """Statements of a file with their first line; semicolons inside strings or comments don't split."""
    try:
        tokens = Tokenizer(dialect=READ).tokenize(text)  # type: ignore[call-arg]
    except Exception as err:  # sqlglot's TokenError carries no line for unterminated strings
        raise SqlFileError(f"{path}: cannot tokenize: {err}") from None
    pieces: list[tuple[int, str]] = []
    start_tok = None
    for tok in tokens:
        if tok.token_type == TokenType.SEMICOLON:
            if start_tok is not None:
                pieces.append((start_tok.line, text[start_tok.start : tok.start].strip()))
            start_tok = None
        elif start_tok is None:
            start_tok = tok
    if start_tok is not None:
        pieces.append((start_tok.line, text[start_tok.start :].strip()))
    return [(line, sql) for line, sql in pieces if sql]


def load(directory: Path, values: dict[str, str]) -> list[SqlStatement]:
    """Every statement of every ``.sql`` file in ``directory``, in file-name order."""
    files = sorted(directory.glob("*.sql"))
    if not files:
        raise SqlFileError(f"{directory}: no .sql files")
    out = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        rendered = render(path, text, values)
        for index, (line, sql) in enumerate(split(path, rendered), start=1):
            out.append(SqlStatement(path, line, index, sql))
    return out
