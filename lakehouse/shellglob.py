"""Bash's pathname expansion of a ``for`` word over the checkout (``for f in tests/*.sh``), against its listing.

A guard that runs ``for f in tests/*.sh; do bash "$f"; done`` runs the files the glob names at that commit: knowable,
so judged (``lakehouse.shellscripts``), not left to the run. Expanded as bash does by default: the matches sorted
(bytewise, as under the runners' ``C.UTF-8``); ``nullglob`` off, so a glob that matches nothing stays the word as
written; ``dotglob`` off, so a name starting with ``.`` is matched only by a pattern starting with a literal ``.``
(never ``.`` nor ``..``); no ``globstar``, so ``**`` is ``*``; a trailing ``/`` matches folders only and keeps the
``/``. ``*``, ``?`` and ``[...]`` (``[!...]``, ``[^...]``, ranges) are read; a backslash-escaped character is
literal (``lakehouse.shellstatus`` escapes the quoted parts of a word). Brace expansion comes first, as in bash
(``braces``: ``tests/{unit,e2e}/*.sh`` is two globs, ``x{1..3}`` three words). What cannot be told gives None: a listing
that cannot be had (a truncated tree), a path leaving the tree or starting at ``/``, a bracket class
(``[[:alpha:]]``).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable

#: The entries of a folder of the tree (a path from its root, ``""`` for the root): (name, is a folder); ``[]`` for a
#: folder that is not there; None when the tree cannot be listed (nothing can be expanded then).
ListDir = Callable[[str], list[tuple[str, bool]] | None]


def braces(pattern: str) -> list[str]:
    """Bash's brace expansion, which comes before the glob's: ``tests/{a,b}.sh`` is ``tests/a.sh tests/b.sh``,
    ``x{1..3}`` ``x1 x2 x3``, ``{a..c}`` ``a b c`` (in the order written, never sorted); ``a{b}`` and an unmatched
    ``{`` stay as written, an escaped (or quoted) one too."""
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern[i] == "{" and (found := _brace_parts(pattern, i)) is not None:
            end, parts = found
            return [word for part in parts for word in braces(pattern[:i] + part + pattern[end + 1 :])]
        i += 1
    return [pattern]


_SEQUENCE = re.compile(r"^(-?\d+|[a-zA-Z])\.\.(-?\d+|[a-zA-Z])(?:\.\.(-?\d+))?$")


def _brace_parts(text: str, start: int) -> tuple[int, list[str]] | None:
    """(the index of the closing ``}``, the alternatives) of the brace at ``start``; None when bash leaves it be."""
    depth, i, commas = 0, start, [start]
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                break
        elif c == "," and depth == 1:
            commas.append(i)
        i += 1
    else:
        return None
    if len(commas) > 1:
        bounds = [*commas, i]
        return i, [text[a + 1 : b] for a, b in zip(bounds, bounds[1:], strict=False)]
    match = _SEQUENCE.match(text[start + 1 : i])
    if match is None:
        return None
    first, last, step = match.group(1), match.group(2), abs(int(match.group(3) or 1)) or 1
    if first.lstrip("-").isdigit() != last.lstrip("-").isdigit():
        return None
    if not first.lstrip("-").isdigit():
        a, b = ord(first), ord(last)
        return i, [chr(n) for n in range(a, b + (1 if b >= a else -1), step if b >= a else -step)]
    a, b = int(first), int(last)
    padded = any(len(n.lstrip("-")) > 1 and n.lstrip("-").startswith("0") for n in (first, last))
    width = max(len(first), len(last)) if padded else 0
    numbers = range(a, b + (1 if b >= a else -1), step if b >= a else -step)
    return i, [f"{n:0{width}d}" if width else str(n) for n in numbers]


def has_glob(pattern: str) -> bool:
    """``pattern`` (quoted parts backslash-escaped) has a character bash expands: an unescaped ``*``, ``?`` or ``[``
    that opens a bracket expression."""
    return _is_pattern(pattern)


def _is_pattern(text: str) -> bool:
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c in "*?":
            return True
        if c == "[" and _bracket_end(text, i) is not None:
            return True
        i += 1
    return False


def _bracket_end(text: str, start: int) -> int | None:
    """The index of the ``]`` closing the bracket expression at ``start`` (a ``]`` first in it is literal)."""
    i = start + 1
    if i < len(text) and text[i] in "!^":
        i += 1
    if i < len(text) and text[i] == "]":
        i += 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "]":
            return i
        if text[i] == "/":
            return None
        i += 1
    return None


def _component_regex(component: str) -> re.Pattern[str] | None:
    """The regex one ``/``-free component matches a name with; None for what this reader does not read."""
    out: list[str] = []
    i = 0
    while i < len(component):
        c = component[i]
        if c == "\\":
            out.append(re.escape(component[i + 1 : i + 2]))
            i += 2
        elif c == "*":
            out.append(".*")
            i += 1
        elif c == "?":
            out.append(".")
            i += 1
        elif c == "[" and (end := _bracket_end(component, i)) is not None:
            body = component[i + 1 : end]
            if "[:" in body or "[=" in body or "[." in body:
                return None  # POSIX classes: not read
            negate = body[:1] in ("!", "^")
            out.append(f"[{'^' if negate else ''}{_bracket_chars(body[1:] if negate else body)}]")
            i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    try:
        return re.compile("".join(out), re.DOTALL)
    except re.error:
        return None


def _bracket_chars(body: str) -> str:
    """A bracket expression's characters as a regex class's: ranges kept, everything else literal."""
    chars: list[str] = []
    i = 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            chars.append(re.escape(body[i + 1]))
            i += 2
            continue
        inner = 0 < i < len(body) - 1 and body[i] == "-"
        chars.append("-" if inner else re.escape(body[i]))
        i += 1
    return "".join(chars)


def unescape(pattern: str) -> str:
    """The word bash leaves when the glob matches nothing (``nullglob`` off): its escapes removed."""
    return re.sub(r"\\(.)", r"\1", pattern, flags=re.DOTALL)


def expand(pattern: str, here: str, list_dir: ListDir) -> list[str] | None:
    """The words bash gives for ``pattern`` run in ``here`` (a folder from the tree's root), sorted; the word itself
    when nothing matches; None when it cannot be told (see the module doc)."""
    if pattern.startswith("/") or pattern.startswith("~"):
        return None
    *parts, last = pattern.split("/")
    folders_only = last == "" and bool(parts)
    components = parts if folders_only else [*parts, last]
    # each path matched so far: (its components as written, its path from the root, a folder? None: not known yet)
    found: list[tuple[tuple[str, ...], str, bool | None]] = [((), here, True)]
    globbed = False
    for component in components:
        if component in ("", "."):  # `a//b`, `./a`: the same folder
            found = [((*w, component), t, d) for w, t, d in found]
        elif not _is_pattern(component):
            literal = unescape(component)
            step: list[tuple[tuple[str, ...], str, bool | None]] = []
            for written, tree, _ in found:
                path = posixpath.normpath(posixpath.join(tree, literal))
                if path == ".." or path.startswith("../"):
                    return None  # out of the tree
                step.append(((*written, literal), "" if path == "." else path, None))
            found = step
        else:
            regex = _component_regex(component)
            if regex is None:
                return None
            globbed = True
            hidden = component.startswith((".", "\\."))  # dotglob off: only a literal `.` matches one
            step = []
            for written, tree, _ in found:
                entries = list_dir(tree)
                if entries is None:
                    return None
                for name, folder in entries:
                    if name in (".", "..") or (name.startswith(".") and not hidden) or not regex.fullmatch(name):
                        continue
                    step.append(((*written, name), posixpath.join(tree, name) if tree else name, folder))
            found = step
    if not globbed:
        return [unescape(pattern)]
    matched: list[str] = []
    for written, tree, known in found:
        kind = known if known is not None else _kind(tree, list_dir)
        if kind is None or (folders_only and not kind):
            continue  # not there (`*/Makefile` in a folder without one), or no folder for `*/`
        matched.append("/".join(written) + ("/" if folders_only else ""))
    return sorted(matched, key=lambda w: w.encode()) if matched else [unescape(pattern)]


def _kind(path: str, list_dir: ListDir) -> bool | None:
    """Whether ``path`` is a folder (True), a file (False) or not there (None)."""
    parent, name = posixpath.split(path)
    entries = list_dir(parent) or []
    return next((folder for entry, folder in entries if entry == name), None)
