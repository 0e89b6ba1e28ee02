"""Does a Lambda alert receiver run when SNS invokes it? Its state, its package, its record.

SNS may invoke a function (exit check 7's ``alert_delivery`` judges its resource policy) that then
fails every time: nobody is paged, and SNS still shows the subscription confirmed. Without
invoking it (an alert receiver's side effect is a page), four readbacks show such a function:

- ``GetFunction``'s ``State``: only an ``Active`` function runs (``Failed``: it cannot; ``Inactive``:
  the next invocation fails while Lambda restores it; ``Pending``: not yet);
- its deployment package (``Code.Location``, a presigned URL to the zip): for a Python runtime, the
  handler's module must be in the zip (or a layer may bring it), must compile, and must define the
  handler's function at top level; for Node.js, the handler's file must be there;
- ``GetFunction``'s ``Concurrency``: reserved concurrency 0 throttles every invocation (the function never runs);
- its record in CloudWatch (``AWS/Lambda`` ``Invocations`` and ``Errors``, daily sums over
  :data:`RECORD_DAYS`): invoked and every invocation failed.

A package that cannot be read (container image, download refused) is said so and not judged.
"""

from __future__ import annotations

import ast
import io
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

#: How far back the function's invocation record is read (CloudWatch keeps daily sums for 455 days).
RECORD_DAYS = 14
#: Largest package downloaded (Lambda's unzipped limit is 250 MB; a receiver is small).
MAX_PACKAGE_BYTES = 64 * 1024 * 1024
DOWNLOAD_TIMEOUT_S = 30.0


@dataclass
class PackageReadback:
    """What the deployment package holds for the handler (``unread``: why it was not looked at)."""

    handler: str
    runtime: str
    files: int = 0
    #: The files of the zip the handler's module could be (``a/b.py``, ``a/b/__init__.py``, ``index.js`` ...).
    module_files: list[str] = field(default_factory=list)
    #: Top-level names the Python module defines (None: not read as Python).
    defines: list[str] | None = None
    #: The module does not compile: Python's message and line.
    syntax_error: str | None = None
    #: The module defines names in ways that cannot be listed (``from x import *``, ``globals()``).
    dynamic: bool = False
    layers: int = 0
    unread: str | None = None


@dataclass
class InvocationRecord:
    """``AWS/Lambda`` Invocations and Errors summed over the last :data:`RECORD_DAYS` days."""

    days: int
    invocations: float
    errors: float


def _python_candidates(handler: str) -> tuple[list[str], str]:
    module, _, function = handler.rpartition(".")
    path = module.replace(".", "/")
    return [f"{path}.py", f"{path}/__init__.py"], function


def _node_candidates(handler: str) -> list[str]:
    module = handler.rpartition(".")[0]
    return [f"{module}{ext}" for ext in (".js", ".mjs", ".cjs")]


def _top_level_names(tree: ast.Module) -> tuple[list[str], bool]:
    """Names the module binds when imported; generous inside ``if``/``try`` (a miss would be a false red)."""
    names: list[str] = []
    dynamic = False
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            dynamic = dynamic or any(alias.name == "*" for alias in node.names)
            names += [alias.asname or alias.name.split(".")[0] for alias in node.names]
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.append(inner.name)
            elif isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store):
                names.append(inner.id)
            elif isinstance(inner, ast.Name) and inner.id in ("globals", "exec", "setattr"):
                dynamic = True
    return names, dynamic or "__getattr__" in names


def inspect_package(zipped: bytes, handler: str, runtime: str, layers: int) -> PackageReadback:
    """Look in the zip for the handler's module (and, for Python, its function)."""
    out = PackageReadback(handler, runtime, layers=layers)
    try:
        archive = zipfile.ZipFile(io.BytesIO(zipped))
    except zipfile.BadZipFile as err:
        out.unread = f"the package is not a zip file ({err})"
        return out
    with archive:
        present = set(archive.namelist())
        out.files = len(present)
        if runtime.startswith("python"):
            candidates, _ = _python_candidates(handler)
            out.module_files = [c for c in candidates if c in present]
            compiled = [n for n in present if n.startswith(candidates[0][:-2]) and n.endswith((".pyc", ".so"))]
            if not out.module_files and compiled:
                out.unread = f"the handler's module is compiled ({sorted(compiled)[0]}): not inspected"
            elif out.module_files:
                source = archive.read(out.module_files[0])
                try:
                    out.defines, out.dynamic = _top_level_names(ast.parse(source, out.module_files[0]))
                except (SyntaxError, ValueError) as err:
                    line = getattr(err, "lineno", None)
                    out.syntax_error = f"{type(err).__name__}: {getattr(err, 'msg', err)}" + (
                        f" (line {line})" if line else ""
                    )
        elif runtime.startswith("nodejs"):
            out.module_files = [c for c in _node_candidates(handler) if c in present]
        else:
            out.unread = f"runtime {runtime} is not inspected"
    return out


def package_problems(name: str, package: PackageReadback | None) -> list[str]:
    """Why the function's package cannot run its handler (empty: it can, or the package was not read)."""
    if package is None or package.unread is not None:
        return []
    fails = "(every invocation fails: nobody is paged)"
    shown = f"Lambda function {name}'s handler {package.handler}"
    is_python = package.runtime.startswith("python")
    if not package.module_files:
        if package.layers:
            return []  # a layer may bring the module (/opt/python, /opt/nodejs): not judged
        wanted = _python_candidates(package.handler)[0] if is_python else _node_candidates(package.handler)
        return [f"{shown}: its package ({package.files} files) has no {' or '.join(wanted)} {fails}"]
    if not is_python:
        return []
    if package.syntax_error:
        return [f"{shown}: {package.module_files[0]} does not compile: {package.syntax_error} {fails}"]
    function = _python_candidates(package.handler)[1]
    if package.defines is not None and not package.dynamic and function not in package.defines:
        return [f"{shown}: {package.module_files[0]} defines no {function} at top level {fails}"]
    return []


def state_problems(name: str, configuration: dict[str, Any]) -> list[str]:
    """Why the function cannot run now, from GetFunction's Configuration (empty: it is Active)."""
    state = configuration.get("State")
    if state in (None, "Active"):
        return []
    reason = configuration.get("StateReason") or configuration.get("StateReasonCode") or ""
    why = {
        "Failed": "it cannot be invoked",
        "Inactive": "the next invocation fails while Lambda restores it",
        "Pending": "it cannot be invoked until it is Active",
    }.get(str(state), "it is not Active")
    return [f"Lambda function {name} is {state}{f' ({reason})' if reason else ''}: {why} (an alert is lost)"]


def concurrency_problems(name: str, reserved: int | None) -> list[str]:
    """Why Lambda never runs the function: reserved concurrency 0 (GetFunction's Concurrency), which throttles every
    invocation; SNS invokes asynchronously, Lambda retries a throttled event for up to 6 h and then drops it."""
    if reserved != 0:
        return []
    return [
        f"Lambda function {name} has reserved concurrency 0 (Concurrency.ReservedConcurrentExecutions): Lambda "
        "throttles every invocation, and drops SNS's asynchronous ones after retrying them for up to 6 h (an alert "
        "is lost)"
    ]


def record_problems(name: str, record: InvocationRecord | None) -> list[str]:
    """The function was invoked and failed every time (empty: never invoked, or some succeeded)."""
    if record is None or record.invocations <= 0 or record.errors < record.invocations:
        return []
    return [
        f"Lambda function {name} failed every one of its {record.invocations:.0f} invocations in the last "
        f"{record.days} days (AWS/Lambda Errors {record.errors:.0f}): it does not deliver"
    ]


# -- reading ---------------------------------------------------------------------------------------


def read_package(answer: dict[str, Any]) -> PackageReadback:
    """Download the zip GetFunction's ``Code.Location`` names and inspect it for the handler."""
    configuration = answer.get("Configuration") or {}
    package = PackageReadback(
        str(configuration.get("Handler") or ""),
        str(configuration.get("Runtime") or ""),
        layers=len(configuration.get("Layers") or []),
    )
    location = (answer.get("Code") or {}).get("Location")
    if configuration.get("PackageType", "Zip") != "Zip" or not location:
        package.unread = f"a {configuration.get('PackageType', 'Zip')} package without a downloadable zip"
        return package
    if not package.handler or not package.runtime:
        package.unread = "the function names no handler or runtime"
        return package
    try:
        with requests.get(str(location), timeout=DOWNLOAD_TIMEOUT_S, stream=True) as response:
            response.raise_for_status()
            zipped = response.raw.read(MAX_PACKAGE_BYTES + 1, decode_content=True)
    except requests.RequestException as err:
        package.unread = f"the package could not be downloaded: {type(err).__name__}: {err}"
        return package
    if len(zipped) > MAX_PACKAGE_BYTES:
        package.unread = f"the package is larger than {MAX_PACKAGE_BYTES // (1024 * 1024)} MiB: not inspected"
        return package
    return inspect_package(zipped, package.handler, package.runtime, package.layers)


def read_record(cloudwatch: Any, name: str, now: datetime | None = None) -> InvocationRecord:
    """Invocations and Errors of the function (``FunctionName`` dimension), daily sums over RECORD_DAYS."""
    end = now or datetime.now(UTC)
    start = end - timedelta(days=RECORD_DAYS)
    sums = {}
    for metric in ("Invocations", "Errors"):
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/Lambda",
            MetricName=metric,
            Dimensions=[{"Name": "FunctionName", "Value": name}],
            StartTime=start,
            EndTime=end,
            Period=86400,
            Statistics=["Sum"],
        ).get("Datapoints", [])
        sums[metric] = float(sum(p.get("Sum", 0.0) for p in points))
    return InvocationRecord(RECORD_DAYS, sums["Invocations"], sums["Errors"])
