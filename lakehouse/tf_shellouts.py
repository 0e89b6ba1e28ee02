"""Blocks of a Terraform root that run commands of their own: what "100 % IaC" cannot vouch for.

A ``provisioner "local-exec"`` (on any resource: ``null_resource``, ``terraform_data`` or a real one), a
``provisioner "remote-exec"`` and a ``data "external"`` program run whatever command they hold, with the
deployer's credentials. ``aws s3 mb`` or ``aws sns create-topic`` there makes a resource Terraform never
records: it is in no state, ``terraform plan`` cannot show it, and ``terraform destroy`` leaves it behind.

The rule exit check 5 applies: every such block fails the check, whatever its command. A command is
arbitrary code (a script, a variable, a ``bash -c`` of a heredoc); an ``echo`` cannot be told from a
script that calls the AWS CLI without running it, and a list of "harmless" commands would be a list of
disguises (``echo x && aws ...``). What the root needs done belongs in a resource of a provider, whose
result state records and destroy removes. The evidence names each block's file, line and command.

Read from the files Terraform reads (the root and every module ``terraform init`` recorded,
``lakehouse.tfsource``), as the plan's JSON gives no file or line.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakehouse.tfsource import SourceError, document, loaded, module_dirs

#: Provisioners that run a command (``file`` only copies one; it makes nothing by itself).
COMMAND_PROVISIONERS = ("local-exec", "remote-exec")
#: Data sources whose reading runs a program of the root's choosing.
COMMAND_DATA_SOURCES = ("external",)
_SHOWN = 120  # characters of a command the evidence quotes


@dataclass(frozen=True, order=True)
class ShellOut:
    """One block that runs a command: where it is written, which block, and the command (shortened)."""

    file: str
    line: int
    block: str
    command: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.block} runs {self.command!r}"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _named(value: Any) -> Iterator[tuple[str, Any]]:
    """``{"label": body}`` entries, lists allowed at each level (python-hcl2's shape and JSON syntax's)."""
    for item in _as_list(value):
        if isinstance(item, Mapping):
            yield from ((str(k), v) for k, v in item.items() if not str(k).startswith("__"))


def _bodies(value: Any) -> Iterator[Mapping[str, Any]]:
    yield from (body for body in _as_list(value) if isinstance(body, Mapping))


def _command(body: Mapping[str, Any], *fields: str) -> str:
    for name in fields:
        if body.get(name) is not None:
            value = body[name]
            text = " ".join(str(v) for v in value) if isinstance(value, list) else str(value)
            text = " ".join(text.split())
            return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."
    return "(no command written)"


def _found_in(parsed: Any) -> Iterator[tuple[str, str, str, int, str]]:
    """(what runs the command, the address of its block without module prefix, marker to find it by in JSON text,
    line or 0, command) of each block that runs a command."""
    if not isinstance(parsed, Mapping):
        return
    for kind, named in _named(parsed.get("resource")):
        for name, resource_bodies in _named(named):
            for resource in _bodies(resource_bodies):
                for provisioner, bodies in _named(resource.get("provisioner")):
                    if provisioner not in COMMAND_PROVISIONERS:
                        continue
                    for body in _bodies(bodies):
                        line = int(body.get("__start_line__") or 0)
                        command = _command(body, "command", "inline", "script", "scripts")
                        yield f'provisioner "{provisioner}" of ', f"{kind}.{name}", f'"{provisioner}"', line, command
    for kind, named in _named(parsed.get("data")):
        if kind not in COMMAND_DATA_SOURCES:
            continue
        for name, bodies in _named(named):
            for body in _bodies(bodies):
                line = int(body.get("__start_line__") or 0)
                yield "", f"data.{kind}.{name}", f'"{name}"', line, _command(body, "program")


def _json_line(text: str, marker: str, after: int) -> int:
    """The line (1-based) of the first ``marker`` at or after character ``after`` of a JSON file; 0 if none."""
    at = text.find(marker, after)
    return text.count("\n", 0, at) + 1 if at >= 0 else 0


def shell_outs(root: Path) -> list[ShellOut]:
    """Every block of the root and its installed modules that runs a command (module doc), by file and line.

    Raises ``SourceError`` naming the file (and line) that could not be read."""
    found: list[ShellOut] = []
    for prefix, directory in module_dirs(root).items():
        try:
            files = loaded(directory)
        except OSError as err:
            raise SourceError(f"{directory}: {err}") from None
        for path in files:
            is_json = path.name.endswith(".json")
            parsed = document(path, with_meta=not is_json)
            text = path.read_text(encoding="utf-8") if is_json else ""  # read once already: document() would raise
            searched: dict[str, int] = {}
            shown = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
            for what, address, marker, line, command in _found_in(parsed):
                if is_json:  # JSON syntax has no line numbers: the marker's next occurrence, in file order
                    line = _json_line(text, marker, searched.get(marker, 0))
                    searched[marker] = text.find(marker, searched.get(marker, 0)) + 1
                found.append(ShellOut(shown, line, f"{what}{prefix}{address}", command))
    return sorted(found)
