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
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import hcl2  # type: ignore[import-untyped]
from lark import Token, Tree
from lark.exceptions import LarkError


class SourceError(ValueError):
    """A configuration file could not be read; the message names the file and line."""


def document(path: Path, with_meta: bool = False) -> Any:
    """One configuration file as data: native syntax parsed by python-hcl2 into the shape JSON syntax has (lists
    at each level), ``*.tf.json`` as JSON. ``with_meta``: each native block also carries ``__start_line__`` (JSON
    syntax has no such thing). Raises ``SourceError`` naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise SourceError(f"{path}: {err}") from None
    if path.name.endswith(".json"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            raise SourceError(f"{path}:{err.lineno}: {err.msg}") from None
    try:
        return hcl2.loads(text, with_meta=with_meta)
    except (LarkError, ValueError) as err:
        line = getattr(err, "line", None)
        where = f"{path}:{line}" if isinstance(line, int) and line > 0 else str(path)
        raise SourceError(f"{where}: not HCL Terraform can read ({str(err).splitlines()[0]})") from None


def _dynamic_in(document: Any) -> Iterator[tuple[str, str]]:
    """``{"resource": {"T": {"N": {"dynamic": {"rule": ...}}}}}``, lists allowed at each level (python-hcl2's)."""
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


def module_dirs(root: Path) -> dict[str, Path]:
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


def is_configuration(name: str) -> bool:
    """Whether Terraform loads a file of this name from a module directory: ``*.tf`` and ``*.tf.json``, override
    files included; hidden files and editor backups left out (the stack's working copy mirrors the same set)."""
    return name.endswith((".tf", ".tf.json")) and not name.startswith((".", "#")) and not name.endswith("~")


def loaded(directory: Path) -> list[Path]:
    """The configuration files Terraform loads from a module directory (editor backups left out)."""
    return sorted(p for p in directory.iterdir() if p.is_file() and is_configuration(p.name))


def dynamic_blocks(root: Path, modules: Iterable[str] = ()) -> dict[str, frozenset[str]]:
    """Resource address (modules prefixed, no instance keys) -> the block types it writes with ``dynamic``.

    ``modules``: the module prefixes (``module.a.``) the plan's configuration has resources in; each must be one
    ``terraform init`` recorded, or its blocks would go unread. Raises ``SourceError`` naming the file (and line)
    that could not be read.
    """
    dirs = module_dirs(root)
    if missing := sorted(set(modules) - set(dirs)):
        raise SourceError(
            f"{root / '.terraform' / 'modules' / 'modules.json'}: no directory recorded for {', '.join(missing)}"
        )
    found: dict[str, set[str]] = {}
    for prefix, directory in dirs.items():
        try:
            files = loaded(directory)
        except OSError as err:
            raise SourceError(f"{directory}: {err}") from None
        for path in files:
            for address, block in _dynamic_in(document(path)):
                found.setdefault(prefix + address, set()).add(block)
    return {address: frozenset(blocks) for address, blocks in found.items()}


def provider_aliases(directory: Path, provider: str = "aws") -> list[str | None]:
    """The ``provider "<provider>"`` configurations of a module directory, in file order: ``None`` for the default
    one, then each ``alias``. An override pointing a root at an emulator must repeat every one of them: one left
    out would reach the real cloud. Raises ``SourceError`` naming the file and line that cannot be read."""
    aliases: list[str | None] = []
    for path in loaded(directory):
        parsed = document(path)
        for name, configs in _objects(parsed.get("provider") if isinstance(parsed, Mapping) else None):
            for config in _as_list(configs) if name == provider else []:
                alias = config.get("alias") if isinstance(config, Mapping) else None
                if (found := str(alias) if alias else None) not in aliases:
                    aliases.append(found)
    return aliases or [None]


#: ``ignore_changes = all``: every attribute.
ALL = "all"
_ATTRIBUTE = re.compile(r"^\s*(?:\$\{)?\s*([A-Za-z_][A-Za-z0-9_-]*)")


def _ignored_names(value: Any) -> frozenset[str] | str:
    """``ignore_changes`` as python-hcl2 gives it (``'${all}'``, ``['${policy}', '${tags["x"]}']``, the legacy
    quoted ``['policy']``) -> ``ALL`` or the top-level attributes it names (a path's first step: ``tags``)."""
    names = [m.group(1) for item in _as_list(value) if (m := _ATTRIBUTE.match(str(item)))]
    if isinstance(value, str) and names == [ALL]:
        return ALL
    return frozenset(names)


def ignored_changes(root: Path) -> dict[str, frozenset[str] | str]:
    """Resource address (modules prefixed, no instance keys) -> what its ``lifecycle { ignore_changes }`` names:
    ``ALL`` or top-level attributes. Read from the root and every module ``terraform init`` recorded; a later file
    (an override) replaces an earlier file's list, as Terraform merges ``lifecycle`` argument by argument. Raises
    ``SourceError`` naming the file (and line) that could not be read."""
    found: dict[str, frozenset[str] | str] = {}
    for prefix, directory in module_dirs(root).items():
        try:
            files = loaded(directory)
        except OSError as err:
            raise SourceError(f"{directory}: {err}") from None
        # Override files (``override.tf``, ``*_override.tf``) are merged after every other file.
        files.sort(key=lambda p: p.name == "override.tf" or p.name.endswith("_override.tf"))
        for path in files:
            parsed = document(path)
            for kind, named in _objects(parsed.get("resource") if isinstance(parsed, Mapping) else None):
                for name, body in _objects(named):
                    for resource in _as_list(body):
                        for lifecycle in _as_list(resource.get("lifecycle") if isinstance(resource, Mapping) else None):
                            if isinstance(lifecycle, Mapping) and "ignore_changes" in lifecycle:
                                found[f"{prefix}{kind}.{name}"] = _ignored_names(lifecycle["ignore_changes"])
    return {address: names for address, names in found.items() if names}


def without_ignores(path: Path, kept: Callable[[str, frozenset[str] | str], Iterable[str]]) -> str | None:
    """The text of a configuration file with each resource's ``lifecycle { ignore_changes }`` replaced by the list
    ``kept(type, what it names)``; ``None`` when the file has none. Native syntax is edited in place at the spans
    python-hcl2's parse tree gives (comments and layout kept), JSON syntax re-encoded. Raises ``SourceError``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise SourceError(f"{path}: {err}") from None
    if path.name.endswith(".json"):
        parsed = document(path)
        found = False
        for kind, named in _objects(parsed.get("resource") if isinstance(parsed, Mapping) else None):
            for _name, body in _objects(named):
                for resource in _as_list(body):
                    for lifecycle in _as_list(resource.get("lifecycle") if isinstance(resource, Mapping) else None):
                        if isinstance(lifecycle, dict) and "ignore_changes" in lifecycle:
                            lifecycle["ignore_changes"] = list(kept(kind, _ignored_names(lifecycle["ignore_changes"])))
                            found = True
        return json.dumps(parsed, indent=2) if found else None
    try:
        tree = hcl2.parses(text)
    except (LarkError, ValueError) as err:
        raise SourceError(f"{path}: not HCL Terraform can read ({str(err).splitlines()[0]})") from None
    spans: list[tuple[int, int, str]] = []
    for kind, value in _ignore_values(tree):
        names = _ignored_names(hcl2.loads(f"x = {text[value.meta.start_pos : value.meta.end_pos]}\n")["x"])
        spans.append((value.meta.start_pos, value.meta.end_pos, f"[{', '.join(kept(kind, names))}]"))
    for start, end, replacement in sorted(spans, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text if spans else None


def _ignore_values(tree: Tree) -> Iterator[tuple[str, Tree]]:
    """(resource type, the value node of its ``lifecycle``'s ``ignore_changes``) in a parsed native-syntax file."""
    for resource in _blocks(tree.children[0] if tree.children else tree, "resource"):
        labels = [c for c in resource.children if isinstance(c, Tree) and c.data == "string"]
        kind = "".join(str(t) for t in labels[0].scan_values(lambda v: isinstance(v, Token))) if labels else ""
        for body in (c for c in resource.children if isinstance(c, Tree) and c.data == "body"):
            for lifecycle in _blocks(body, "lifecycle"):
                for inner in (c for c in lifecycle.children if isinstance(c, Tree) and c.data == "body"):
                    for attribute in (c for c in inner.children if isinstance(c, Tree) and c.data == "attribute"):
                        if _identifier(attribute) == "ignore_changes":
                            yield kind, attribute.children[-1]


def _blocks(body: Tree, name: str) -> Iterator[Tree]:
    """The blocks of a body whose type is ``name``."""
    for child in body.children:
        if isinstance(child, Tree) and child.data == "block" and _identifier(child) == name:
            yield child


def _identifier(node: Tree) -> str:
    first = node.children[0] if node.children else None
    return str(first.children[0]) if isinstance(first, Tree) and first.data == "identifier" and first.children else ""
