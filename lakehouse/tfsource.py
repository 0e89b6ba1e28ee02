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
from pathlib import Path
from typing import Any

import hcl2  # type: ignore[import-untyped]
from lark.exceptions import LarkError


class SourceError(ValueError):
    """A configuration file could not be read; the message names the file and line."""


def document(path: Path) -> Any:
    """One configuration file as data: native syntax parsed by python-hcl2 into the shape JSON syntax has (lists
    at each level), ``*.tf.json`` as JSON. Raises ``SourceError`` naming the file and line."""
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
        return hcl2.loads(text)
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


def is_configuration(name: str) -> bool:
    """Whether Terraform loads a file of this name from a module directory: ``*.tf`` and ``*.tf.json``, override
    files included; hidden files and editor backups left out (the stack's working copy mirrors the same set)."""
    return name.endswith((".tf", ".tf.json")) and not name.startswith((".", "#")) and not name.endswith("~")


def _loaded(directory: Path) -> list[Path]:
    """The configuration files Terraform loads from a module directory (editor backups left out)."""
    return sorted(p for p in directory.iterdir() if p.is_file() and is_configuration(p.name))


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
            for address, block in _dynamic_in(document(path)):
                found.setdefault(prefix + address, set()).add(block)
    return {address: frozenset(blocks) for address, blocks in found.items()}


def provider_aliases(directory: Path, provider: str = "aws") -> list[str | None]:
    """The ``provider "<provider>"`` configurations of a module directory, in file order: ``None`` for the default
    one, then each ``alias``. An override pointing a root at an emulator must repeat every one of them: one left
    out would reach the real cloud. Raises ``SourceError`` naming the file and line that cannot be read."""
    aliases: list[str | None] = []
    for path in _loaded(directory):
        parsed = document(path)
        for name, configs in _objects(parsed.get("provider") if isinstance(parsed, Mapping) else None):
            for config in _as_list(configs) if name == provider else []:
                alias = config.get("alias") if isinstance(config, Mapping) else None
                if (found := str(alias) if alias else None) not in aliases:
                    aliases.append(found)
    return aliases or [None]
