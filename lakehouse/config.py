"""Run options shared by the pytest plugin and the CLI, in one place.

Each option can come from a command-line flag or an environment variable;
the flag wins. Defaults here are the documented ones.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from lakehouse.target import DEFAULT_REGION, TARGETS
from lakehouse.terraform import MIRROR_ENV

#: Exit check 1: ``make up`` must complete within this many seconds (the plan's 30 min).
DEFAULT_DEPLOY_THRESHOLD_S = 30 * 60

STACK_ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]{2,19}$")


class ConfigError(ValueError):
    """An option has a value the harness cannot use; the message names the option."""


def new_stack_id() -> str:
    """A short unique stack id, so runs can exist side by side (``lh-`` + 6 hex digits)."""
    return f"lh-{secrets.token_hex(3)}"


def project_root() -> Path:
    """The checkout this package lives in (``infra/`` and ``features/`` sit there)."""
    return Path(__file__).resolve().parent.parent


@dataclass
class RunOptions:
    """Everything that decides what a run deploys, verifies and keeps."""

    target: str = "local"
    stack_id: str = field(default_factory=new_stack_id)
    region: str = DEFAULT_REGION
    #: Verify a stack that is already deployed (by ``make up``): no deploy, no destroy.
    deployed: bool = False
    #: Leave the stack (and, locally, the emulator) running after the run.
    keep: bool = False
    deploy_threshold_s: float = DEFAULT_DEPLOY_THRESHOLD_S
    root: Path = field(default_factory=project_root)
    reports_dir: Path | None = None
    profile: str | None = None
    tf_plugin_mirror: Path | None = None

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise ConfigError(f"--target: {self.target!r} is not one of {', '.join(TARGETS)}")
        if not STACK_ID_PATTERN.match(self.stack_id):
            raise ConfigError(
                f"--stack-id: {self.stack_id!r} must be 3-20 characters, lower-case letters, digits or "
                "hyphens, starting with a letter (it becomes part of bucket names)"
            )
        if self.deploy_threshold_s <= 0:
            raise ConfigError(f"--deploy-threshold: {self.deploy_threshold_s} must be a positive number of seconds")
        if self.tf_plugin_mirror is not None and not self.tf_plugin_mirror.is_dir():
            raise ConfigError(f"{MIRROR_ENV}: {self.tf_plugin_mirror} is not a directory")
        if self.reports_dir is None:
            self.reports_dir = self.root / "reports"

    @property
    def home(self) -> Path:
        """Where stacks keep their working copies and state (``.lakehouse/`` in the checkout)."""
        return self.root / ".lakehouse"

    @property
    def reports(self) -> Path:
        assert self.reports_dir is not None
        return self.reports_dir


def env_options() -> dict[str, object]:
    """Option values taken from the environment (``LAKEHOUSE_*``, ``AWS_REGION``)."""
    values: dict[str, object] = {}
    if target := os.environ.get("LAKEHOUSE_TARGET"):
        values["target"] = target
    if stack_id := os.environ.get("LAKEHOUSE_STACK_ID"):
        values["stack_id"] = stack_id
    if region := os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"):
        values["region"] = region
    if mirror := os.environ.get(MIRROR_ENV):
        values["tf_plugin_mirror"] = Path(mirror)
    if threshold := os.environ.get("LAKEHOUSE_DEPLOY_THRESHOLD_S"):
        try:
            values["deploy_threshold_s"] = float(threshold)
        except ValueError:
            raise ConfigError(f"LAKEHOUSE_DEPLOY_THRESHOLD_S: {threshold!r} is not a number") from None
    return values
