"""What a root's ``.tf`` files write that ``terraform show -json`` leaves out: blocks written with ``dynamic``.

A plan's ``configuration`` lists a resource's attributes and static nested blocks (its ``expressions``), but
Terraform's JSON encoder decodes each body with the provider's schema only, so a ``dynamic "rule" { ... }``
block is silently dropped (hashicorp/terraform ``internal/command/jsonconfig/expression.go``: "will effectively
ignore dynamic blocks"). Exit check 5 must still know that the root writes ``rule``; this module reads it
from the files Terraform read: the root module and every module ``terraform init`` installed
(``.terraform/modules/modules.json``), native syntax (``*.tf``) and JSON syntax (``*.tf.json``).

Only the top-level blocks of a resource matter: a ``dynamic`` block nested in a static block is part of that
block's value, which the plan's configuration already shows as written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class SourceError(ValueError):
    """A configuration file could not be read; the message names the file and line."""


@dataclass(frozen=True)
class _Token:
    kind: str  # "word" | "label" | "{" | "}" | "open" | "close" | "=" | "nl" | "other"
    text: str
    line: int


class _Lexer:
    """Just enough of HCL native syntax to see block structure: comments, strings (with nested templates) and
    heredocs are skipped whole, so braces inside them never count."""

    def __init__(self, text: str, path: Path):
        self.text, self.path, self.pos, self.line = text, path, 0, 1

    def error(self, what: str, line: int | None = None) -> SourceError:
        return SourceError(f"{self.path}:{line or self.line}: {what}")

    def _advance(self, to: int) -> None:
        self.line += self.text.count("\n", self.pos, to)
        self.pos = to

    def _skip_string(self) -> None:
        """From an opening ``"`` to past its closing one, templates (``${...}``, ``%{...}``) and all."""
        start, text = self.line, self.text
        i = self.pos + 1
        while i < len(text):
            c = text[i]
            if c == "\\":
                i += 2
                continue
            if c == '"':
                self._advance(i + 1)
                return
            if c in "$%" and text.startswith("{", i + 1) and not text.startswith(c, i - 1 if i else 0):
                self._advance(i + 2)
                self._skip_template()
                i = self.pos
                continue
            if c == "\n":
                break
            i += 1
        raise self.error("unterminated string", start)

    def _skip_template(self) -> None:
        """From inside ``${`` to past its matching ``}``."""
        start, depth = self.line, 1
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c == '"':
                self._skip_string()
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    self._advance(self.pos + 1)
                    return
            self._advance(self.pos + 1)
        raise self.error("unterminated template interpolation", start)

    def _skip_heredoc(self) -> bool:
        """A heredoc (``<<EOF`` / ``<<-EOF`` up to its marker line) skipped; False when this is no heredoc."""
        text, i = self.text, self.pos + 2
        if text.startswith("-", i):
            i += 1
        end = i
        while end < len(text) and (text[end].isalnum() or text[end] == "_"):
            end += 1
        marker = text[i:end]
        newline = text.find("\n", end)
        if not marker or newline < 0 or text[end:newline].strip():
            return False
        start, line_start = self.line, newline + 1
        while line_start < len(text):
            line_end = text.find("\n", line_start)
            line_end = len(text) if line_end < 0 else line_end
            if text[line_start:line_end].strip() == marker:
                self._advance(line_end)
                return True
            line_start = line_end + 1
        raise self.error(f"heredoc {marker} is never closed", start)

    def tokens(self) -> Iterator[_Token]:
        text = self.text
        while self.pos < len(text):
            c, line = text[self.pos], self.line
            if c == "\n":
                self._advance(self.pos + 1)
                yield _Token("nl", c, line)
            elif c in " \t\r":
                self._advance(self.pos + 1)
            elif c == "#" or text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self._advance(len(text) if end < 0 else end)
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise self.error("unterminated /* comment")
                self._advance(end + 2)
            elif c == '"':
                start = self.pos
                self._skip_string()
                yield _Token("label", text[start + 1 : self.pos - 1], line)
            elif text.startswith("<<", self.pos) and self._skip_heredoc():
                yield _Token("other", "<<", line)
            elif c.isalpha() or c == "_":
                end = self.pos
                while end < len(text) and (text[end].isalnum() or text[end] in "_-"):
                    end += 1
                word = text[self.pos : end]
                self._advance(end)
                yield _Token("word", word, line)
            else:
                self._advance(self.pos + 1)
                kind = c if c in "{}=" else "open" if c in "[(" else "close" if c in ")]" else "other"
                yield _Token(kind, c, line)


def _native_dynamic(text: str, path: Path) -> Iterator[tuple[str, str]]:
    """(``type.name`` of a resource, a block type it writes with ``dynamic`` at its top level) in native syntax."""
    lexer = _Lexer(text, path)
    stack: list[tuple[str, list[str]]] = []  # ("block", header words) or ("expr", []) per open bracket
    statement: list[_Token] = []
    for tok in lexer.tokens():
        in_body = not stack or stack[-1][0] == "block"
        if tok.kind == "nl":
            if in_body:
                statement = []
        elif tok.kind == "{" and in_body and _is_header(statement):
            header = [t.text for t in statement]
            stack.append(("block", header))
            blocks = [h for k, h in stack if k == "block"]
            in_resource = len(blocks) == 2 and blocks[0][:1] == ["resource"] and len(blocks[0]) == 3
            if in_resource and header[0] == "dynamic" and len(header) == 2:
                yield f"{blocks[0][1]}.{blocks[0][2]}", header[1]
            statement = []
        elif tok.kind in ("{", "open"):
            stack.append(("expr", []))
        elif tok.kind in ("}", "close"):
            if not stack:
                raise lexer.error(f"unbalanced {tok.text!r}", tok.line)
            stack.pop()
            statement = [] if not stack or stack[-1][0] == "block" else statement
        elif in_body:
            statement.append(tok)
    if stack:
        raise lexer.error("a block or bracket is never closed")


def _is_header(statement: list[_Token]) -> bool:
    """Whether the tokens before a ``{`` open a block (a type, then labels), not an object expression."""
    return bool(statement) and statement[0].kind == "word" and all(t.kind in ("word", "label") for t in statement)


def _json_dynamic(text: str, path: Path) -> Iterator[tuple[str, str]]:
    """The same for JSON syntax: ``{"resource": {"T": {"N": {"dynamic": {"rule": ...}}}}}``."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise SourceError(f"{path}:{err.lineno}: {err.msg}") from None
    for kind, named in _objects(document.get("resource") if isinstance(document, Mapping) else None):
        for name, body in _objects(named):
            for resource in body if isinstance(body, list) else [body]:
                for dynamic in _as_list(resource.get("dynamic") if isinstance(resource, Mapping) else None):
                    for block in dynamic if isinstance(dynamic, Mapping) else []:
                        yield f"{kind}.{name}", str(block)


def _objects(value: Any) -> Iterator[tuple[str, Any]]:
    for item in _as_list(value):
        if isinstance(item, Mapping):
            yield from ((str(k), v) for k, v in item.items())


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _module_dirs(root: Path) -> dict[str, Path]:
    """Module address prefix (``""``, ``module.a.``, ``module.a.module.b.``) -> its directory, as init recorded."""
    recorded = root / ".terraform" / "modules" / "modules.json"
    if not recorded.is_file():
        return {"": root}
    try:
        modules = json.loads(recorded.read_text(encoding="utf-8")).get("Modules") or []
    except (OSError, json.JSONDecodeError, AttributeError) as err:
        raise SourceError(f"{recorded}: {err}") from None
    dirs = {"": root}
    for module in modules:
        key = str(module.get("Key") or "")
        if key:
            dirs["".join(f"module.{part}." for part in key.split("."))] = root / str(module.get("Dir") or "")
    return dirs


def _loaded(directory: Path) -> list[Path]:
    """The configuration files Terraform loads from a module directory (editor backups left out)."""
    return sorted(
        p
        for p in directory.iterdir()
        if p.is_file()
        and p.name.endswith((".tf", ".tf.json"))
        and not p.name.startswith((".", "#"))
        and not p.name.endswith("~")
    )


def dynamic_blocks(root: Path, modules: Iterable[str] = ()) -> dict[str, frozenset[str]]:
    """Resource address (modules prefixed, no instance keys) -> the block types it writes with ``dynamic``.

    ``modules``: the module prefixes (``module.a.``) the plan's configuration has resources in; each must be one
    ``terraform init`` recorded, or its blocks would go unread. Raises ``SourceError`` naming the file (and line)
    that could not be read.
    """
    dirs = _module_dirs(root)
    if missing := sorted(set(modules) - set(dirs)):
        raise SourceError(
            f"{root / '.terraform' / 'modules' / 'modules.json'}: no directory recorded for {', '.join(missing)}"
        )
    found: dict[str, set[str]] = {}
    for prefix, directory in dirs.items():
        try:
            files = _loaded(directory)
        except OSError as err:
            raise SourceError(f"{directory}: {err}") from None
        for path in files:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as err:
                raise SourceError(f"{path}: {err}") from None
            reader = _json_dynamic if path.name.endswith(".json") else _native_dynamic
            for address, block in reader(text, path):
                found.setdefault(prefix + address, set()).add(block)
    return {address: frozenset(blocks) for address, blocks in found.items()}
