"""Run Terraform as a subprocess and read its machine-readable output.

Everything goes through ``-json`` streams or ``show -json``, never through
human output, because Terraform's text changes between versions.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakehouse import procgroup, tfsource

#: How long an interrupted Terraform may take to finish its in-flight operations and write state.
INTERRUPT_GRACE_S = 120.0


class TerraformError(RuntimeError):
    """A Terraform command failed; ``diagnostics`` holds Terraform's own error summaries."""

    def __init__(self, command: str, returncode: int, diagnostics: list[str], log_path: Path | None):
        self.command = command
        self.returncode = returncode
        self.diagnostics = diagnostics
        self.log_path = log_path
        summary = "; ".join(diagnostics) or f"exit code {returncode}"
        where = f" (log: {log_path})" if log_path else ""
        super().__init__(f"terraform {command} failed: {summary}{where}")


@dataclass(frozen=True)
class ResourceTiming:
    """How long Terraform spent on one resource action, from its own apply hooks."""

    address: str
    action: str
    elapsed_s: float
    status: str  # "complete" | "errored"


@dataclass
class ApplyResult:
    """The stopwatch of one apply or destroy: wall time plus per-resource times."""

    wall_s: float
    resources: list[ResourceTiming] = field(default_factory=list)
    diagnostics: list[str] = field(default_factory=list)
    returncode: int = 0
    #: Terraform's warnings (summary, address first), e.g. that ``-target`` applied part of the configuration.
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ApplyResult:
        return cls(
            wall_s=data["wall_s"],
            resources=[ResourceTiming(**r) for r in data.get("resources", [])],
            diagnostics=list(data.get("diagnostics", [])),
            returncode=data.get("returncode", 0),
            warnings=list(data.get("warnings", [])),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "wall_s": round(self.wall_s, 3),
            "returncode": self.returncode,
            "diagnostics": self.diagnostics,
            "warnings": self.warnings,
            "resources": [
                {"address": r.address, "action": r.action, "elapsed_s": r.elapsed_s, "status": r.status}
                for r in sorted(self.resources, key=lambda r: -r.elapsed_s)
            ],
        }


@dataclass(frozen=True)
class PlannedChange:
    """One resource a plan would touch, and whether it drifted outside Terraform."""

    address: str
    action: str
    drift: bool = False


@dataclass
class PlanResult:
    """``plan -detailed-exitcode``: 0 = no change, 2 = changes (listed), 1 = error."""

    exit_code: int
    changes: list[PlannedChange] = field(default_factory=list)
    diagnostics: list[str] = field(default_factory=list)
    #: The plan file ``plan(out=...)`` wrote (None when not asked for, or when the plan failed).
    saved: Path | None = None

    @property
    def clean(self) -> bool:
        return self.exit_code == 0

    @property
    def planned(self) -> list[PlannedChange]:
        """The changes Terraform would make (drift reports and no-ops left out)."""
        return [c for c in self.changes if not c.drift and c.action != "no-op"]


def cli_config_for_mirror(mirror: Path) -> str:
    """A Terraform CLI config that installs every provider from a filesystem mirror."""
    return f"provider_installation {{\n  filesystem_mirror {{\n    path = {json.dumps(str(mirror))}\n  }}\n}}\n"


#: ``terraform init``'s line for each provider it made available, and what it means for a quick start's time.
_PROVIDER_SOURCES = (
    (re.compile(r"^- Using (\S+) v\S+ from the shared cache directory"), "the shared plugin cache (no download)"),
    (re.compile(r"^- Using previously-installed (\S+) v\S+"), "the working copy's earlier init (no download)"),
    (re.compile(r"^- Installed (\S+) v\S+"), "installed by this init (downloaded, or from a mirror)"),
)


def provider_sources(lines: Iterable[str]) -> dict[str, str]:
    """Where ``terraform init`` got each provider (``hashicorp/aws`` -> its source), from its output."""
    found: dict[str, str] = {}
    for line in lines:
        for pattern, source in _PROVIDER_SOURCES:
            if match := pattern.match(line.strip()):
                found[match.group(1)] = source
    return found


def _json_messages(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The JSON objects of a ``-json`` command's output, other lines (and broken JSON) passed over."""
    for line in lines:
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            msg = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(msg, dict):
            yield msg


def parse_json_stream(lines: Iterable[str]) -> tuple[list[ResourceTiming], list[PlannedChange], list[str]]:
    """Collect resource timings, planned changes and error diagnostics from ``-json`` output."""
    timings: list[ResourceTiming] = []
    changes: list[PlannedChange] = []
    diagnostics: list[str] = []
    for msg in _json_messages(lines):
        kind = msg.get("type")
        hook = msg.get("hook") or {}
        if kind in ("apply_complete", "apply_errored"):
            timings.append(
                ResourceTiming(
                    address=hook.get("resource", {}).get("addr", "?"),
                    action=hook.get("action", "?"),
                    elapsed_s=float(hook.get("elapsed_seconds", 0)),
                    status="complete" if kind == "apply_complete" else "errored",
                )
            )
        elif kind in ("planned_change", "resource_drift"):
            change = msg.get("change") or {}
            changes.append(
                PlannedChange(
                    address=change.get("resource", {}).get("addr", "?"),
                    action=change.get("action", "?"),
                    drift=kind == "resource_drift",
                )
            )
        elif kind == "diagnostic" and msg.get("@level") == "error":
            diag = msg.get("diagnostic") or {}
            text = diag.get("summary", "")
            if diag.get("detail"):
                text += f": {diag['detail']}"
            if diag.get("address"):
                text = f"{diag['address']}: {text}"
            diagnostics.append(text.strip())
    return timings, changes, diagnostics


def parse_warnings(lines: Iterable[str]) -> list[str]:
    """The summaries (address first, when named) of the warnings a ``-json`` command printed."""
    warnings = []
    for msg in _json_messages(lines):
        if msg.get("type") == "diagnostic" and msg.get("@level") == "warn":
            diag = msg.get("diagnostic") or {}
            text = str(diag.get("summary", "")).strip()
            warnings.append(f"{diag['address']}: {text}" if diag.get("address") else text)
    return warnings


class Terraform:
    """One Terraform working directory: init, apply, plan, destroy, show, output.

    Variables are passed with ``-var-file`` so that every command of the stack's
    life (apply, plan, destroy) sees the same values.
    """

    def __init__(
        self,
        workdir: Path,
        var_file: Path | None = None,
        env: Mapping[str, str] | None = None,
        log_dir: Path | None = None,
        binary: str = "terraform",
    ):
        self.workdir = workdir
        self.var_file = var_file
        self.binary = binary
        self.log_dir = log_dir or workdir
        self.env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", **(env or {})}
        #: The last saved plan and the fingerprint of the working directory it was made from.
        self._saved_plan: tuple[Path, str] | None = None
        #: The last ``show -json`` of the state and the digest of the local state file it was read from.
        self._shown_state: tuple[str, str] | None = None

    # -- low level -------------------------------------------------------------------------------

    def log_path(self, command: str) -> Path:
        """Where the output of the last run of ``command`` is kept."""
        return self.log_dir / f"terraform-{command}.log"

    def _var_args(self) -> list[str]:
        return [f"-var-file={self.var_file}"] if self.var_file else []

    def _run(
        self,
        command: str,
        args: list[str],
        on_line: Callable[[str], None] | None = None,
        ok_codes: tuple[int, ...] | None = (0,),
    ) -> tuple[int, list[str]]:
        """Run one command, tee its output to a log file, return (exit code, stdout lines).

        Raises ``TerraformError`` when the exit code is not in ``ok_codes`` (``None``: never).
        """
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_path(command)
        argv = [self.binary, f"-chdir={self.workdir}", command, *args]
        lines: list[str] = []
        with open(log_path, "w", encoding="utf-8") as log:
            log.write("$ " + " ".join(argv) + "\n")
            # Own session: a terminal's Ctrl-C reaches only us, and we pass on exactly one
            # SIGINT. Terraform treats a second one as "exit now", which can lose state.
            with procgroup.held_interrupt() as held:  # a Ctrl-C while it starts waits until we know its pid
                try:
                    proc = subprocess.Popen(
                        argv,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                        env=self.env,
                        text=True,
                        start_new_session=True,
                    )
                except FileNotFoundError:
                    raise TerraformError(
                        command, 127, [f"{self.binary!r} not found on PATH: install Terraform >= 1.6"], None
                    ) from None
                pgid_file: Path | None = None
                try:
                    held.release()  # a Ctrl-C held while Terraform started lands here, inside the try
                    assert proc.stdout is not None
                    # Recorded while it runs: a killed harness leaves a group `make destroy` can still end.
                    pgid_file = procgroup.record(self.log_dir, proc.pid, command)
                    for line in proc.stdout:
                        log.write(line)
                        lines.append(line)
                        if on_line:
                            on_line(line)
                    proc.wait()
                except BaseException:
                    # Interrupted (Ctrl-C, SIGTERM): let Terraform stop gracefully and save its state.
                    proc.send_signal(signal.SIGINT)
                    try:
                        proc.wait(timeout=INTERRUPT_GRACE_S)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
                    log.write(f"\n# interrupted; terraform exited with {proc.returncode}\n")
                    raise
                finally:
                    if proc.returncode is not None and pgid_file is not None:
                        pgid_file.unlink(missing_ok=True)
        if ok_codes is not None and proc.returncode not in ok_codes:
            _, _, diagnostics = parse_json_stream(lines)
            if not diagnostics:  # not a -json command: keep the lines that say "Error"
                diagnostics = _error_lines(lines)
            raise TerraformError(command, proc.returncode, diagnostics, log_path)
        return proc.returncode, lines

    # -- commands --------------------------------------------------------------------------------

    def init(self) -> dict[str, str]:
        """Install providers as pinned by the committed lock file (never rewrite it); say where each came from."""
        _, lines = self._run("init", ["-input=false", "-no-color", "-lockfile=readonly"])
        return provider_sources(lines)

    def apply(self, on_line: Callable[[str], None] | None = None, refresh: bool = True) -> ApplyResult:
        """Apply and time it; a failed apply is a result (with diagnostics), not an exception.

        ``refresh=False`` (``-refresh=false``): plan against the state as recorded, reading no managed resource
        back first: for an apply whose changes rest on nothing that may have drifted (the model release's,
        ``lakehouse.ml.deploy.unsettled_endpoints``); drift stays for exit check 5's refreshed plan to name."""
        return self._apply_like("apply", on_line, [] if refresh else ["-refresh=false"])

    def destroy(self, on_line: Callable[[str], None] | None = None) -> ApplyResult:
        return self._apply_like("destroy", on_line)

    def _apply_like(
        self, command: str, on_line: Callable[[str], None] | None, extra: Iterable[str] = ()
    ) -> ApplyResult:
        start = time.monotonic()
        args = ["-input=false", "-auto-approve", "-json", *extra, *self._var_args()]
        code, lines = self._run(command, args, on_line, ok_codes=None)
        timings, _, diagnostics = parse_json_stream(lines)
        if code != 0 and not diagnostics:
            diagnostics = _error_lines(lines) or [f"exit code {code}"]
        return ApplyResult(time.monotonic() - start, timings, diagnostics, code, parse_warnings(lines))

    def fingerprint(self) -> str:
        """What a plan here is made of: every file of the working directory (configuration, variables,
        state) and the var file, by content. Equal fingerprints: a plan made then is the plan now.

        The runner's own logs and process-group record (when ``log_dir`` is the working directory)
        are not Terraform's input and are left out; providers under ``.terraform`` are pinned by the lock file.
        """
        ours = {self.log_dir / procgroup.PGID_FILE}
        digest = hashlib.sha256()
        files = [
            p
            for p in self.workdir.rglob("*")
            if p.is_file()
            and ".terraform" not in p.relative_to(self.workdir).parts
            and p not in ours
            and not (p.parent == self.log_dir and p.name.startswith("terraform-") and p.suffix == ".log")
        ]
        if self.var_file is not None and self.var_file.is_file():
            files.append(self.var_file)
        for path in sorted(files):
            digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()

    def plan(self, out: Path | None = None) -> PlanResult:
        """``plan -detailed-exitcode``: an empty plan right after apply means 100 % IaC.

        ``out``: also save the plan there; ``saved_plan_json`` shows it instead of planning again
        while the working directory (configuration, variables, state) is what it was planned from.
        """
        before = self.fingerprint() if out is not None else ""
        args = ["-input=false", "-json", "-detailed-exitcode", "-lock=false"]
        code, lines = self._run(
            "plan", [*args, *([f"-out={out}"] if out is not None else []), *self._var_args()], ok_codes=(0, 2)
        )
        _, changes, diagnostics = parse_json_stream(lines)
        saved = None
        if out is not None and out.is_file() and self.fingerprint() == before:
            saved, self._saved_plan = out, (out, before)
        return PlanResult(exit_code=code, changes=changes, diagnostics=diagnostics, saved=saved)

    def saved_plan_json(self, plan_file: Path) -> dict[str, Any]:
        """``plan -out`` then ``show -json`` of it: every planned resource, as cost estimators read it.

        The last ``plan(out=...)`` is shown instead when nothing it was made from has changed since
        (same configuration, variables and state): planning again would give the same resources.
        ``-refresh=false``: what is priced is the configuration against the state, and a refresh of
        every resource would only add time (exit check 5's plan is the one that refreshes).
        """
        if self._saved_plan is not None:
            saved, fingerprint = self._saved_plan
            if saved.is_file() and fingerprint == self.fingerprint():
                return self.show_plan(saved)
        args = ["-input=false", "-lock=false", "-refresh=false", "-no-color", f"-out={plan_file}", *self._var_args()]
        self._run("plan", args, ok_codes=(0,))
        return self.show_plan(plan_file)

    def show_plan(self, plan_file: Path) -> dict[str, Any]:
        """``show -json`` of a saved plan."""
        _, lines = self._run("show", ["-json", "-no-color", str(plan_file)])
        return self._document("show", lines)

    def _document(self, command: str, lines: list[str]) -> dict[str, Any]:
        """The JSON object a ``-json`` command printed (see ``_json_object``)."""
        return self._json_object(command, lines)[1]

    def _json_object(self, command: str, lines: list[str]) -> tuple[str, dict[str, Any]]:
        """The text and value of the JSON object a ``-json`` command printed. Its stderr shares the pipe (the log
        keeps one order), so a warning Terraform prints there (a ``TF_CLI_CONFIG_FILE`` that does not exist) may
        surround the object, which Terraform writes as one line: that line is taken. Raises ``TerraformError``
        naming the lines that are not JSON when there is no object to take."""
        text = "".join(lines)
        for candidate in (text, *(line for line in reversed(lines) if line.lstrip().startswith("{"))):
            try:
                document = json.loads(candidate)
            except json.JSONDecodeError:
                continue
            if isinstance(document, dict):
                return candidate, document
        other = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("{")][:5]
        raise TerraformError(
            command, 0, [f"printed no JSON object: {' / '.join(other) or text[:200]}"], self.log_path(command)
        )

    def validate(self) -> list[str]:
        """``terraform validate``: the error diagnostics (empty when the root is valid)."""
        code, lines = self._run("validate", ["-json", "-no-color"], ok_codes=None)
        text = "".join(lines)
        report = json.loads(text[text.index("{") :]) if "{" in text else {}
        errors = [
            f"{d.get('range', {}).get('filename', '?')}:{d.get('range', {}).get('start', {}).get('line', '?')}: "
            f"{d.get('summary', '')} {d.get('detail', '')}".strip()
            for d in report.get("diagnostics", [])
            if d.get("severity") == "error"
        ]
        return errors or ([] if code == 0 else [f"terraform validate exited with {code}"])

    def show_state(self) -> dict[str, Any]:
        """The state as ``terraform show -json`` (``{}`` when nothing is deployed).

        Several checks read the state of one stack; Terraform writes the local state file on every change, so
        a show of the same file bytes is the same document and is read once (a remote backend: every time).
        """
        digest = self._state_digest()
        if digest is not None and self._shown_state is not None and self._shown_state[0] == digest:
            text = self._shown_state[1]
        else:
            _, lines = self._run("show", ["-json", "-no-color"])
            text = self._json_object("show", lines)[0].strip() if "".join(lines).strip() else ""
            # kept only when no apply wrote the state while it was shown
            self._shown_state = (digest, text) if digest is not None and digest == self._state_digest() else None
        return json.loads(text) if text else {}

    def _state_digest(self) -> str | None:
        """sha256 of the local state file (``None``: no local state, as with a remote backend)."""
        state_file = self.workdir / "terraform.tfstate"
        try:
            return hashlib.sha256(state_file.read_bytes()).hexdigest()
        except FileNotFoundError:
            return None

    def outputs(self) -> dict[str, Any]:
        """Output values, unwrapped from Terraform's ``{"value": ...}`` envelopes."""
        _, lines = self._run("output", ["-json", "-no-color"])
        raw = self._document("output", lines) if "".join(lines).strip() else {}
        return {name: item.get("value") for name, item in raw.items()}


#: An instance key of an address: ``[0]`` or ``["a.b"]`` (a quoted key may hold dots and brackets).
_INSTANCE_KEY = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|\d+)\]')


def without_instance_keys(address: str) -> str:
    """``module.m[0].aws_x.y["a"]`` -> ``module.m.aws_x.y``: the address its configuration has."""
    return _INSTANCE_KEY.sub("", address)


def config_resources(plan: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(address, block) of every resource block of a ``show -json`` plan's ``configuration``, in modules too: the
    address a planned instance has once ``without_instance_keys`` took its keys out."""

    def walk(module: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        for res in module.get("resources") or []:
            yield prefix + str(res["address"]), res
        for name, call in (module.get("module_calls") or {}).items():
            yield from walk(call.get("module") or {}, f"{prefix}module.{name}.")

    yield from walk((plan.get("configuration") or {}).get("root_module") or {}, "")


def module_prefixes(plan: Mapping[str, Any]) -> set[str]:
    """The module prefixes (``""``, ``module.a.``) of every resource block of a plan's ``configuration``."""
    return {address.removesuffix(str(res["address"])) for address, res in config_resources(plan)}


def state_resources(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every managed resource in a ``show -json`` document (root and child modules)."""
    found: list[dict[str, Any]] = []

    def walk(module: Mapping[str, Any]) -> None:
        for res in module.get("resources", []):
            if res.get("mode") == "managed":
                found.append(res)
        for child in module.get("child_modules", []):
            walk(child)

    walk(state.get("values", {}).get("root_module", {}))
    return found


def provider_aliases(root: Path) -> list[str | None]:
    """The ``provider "aws"`` configurations in a root: ``None`` for the default one, then aliases.

    An override file must repeat each configuration to point all of them at the emulator; the root's files are read
    as Terraform reads them (python-hcl2, ``*.tf.json`` too), so none is missed.
    """
    return tfsource.provider_aliases(root, "aws")


def _error_lines(lines: list[str]) -> list[str]:
    picked = [ln.strip().lstrip("│").strip() for ln in lines if "Error" in ln]
    return picked[-3:]
