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

from lakehouse.github import REPO_PATTERN
from lakehouse.target import DEFAULT_REGION, TARGETS
from lakehouse.tfmirror import MIRROR_ENV, find_mirror
from lakehouse.thresholds import plan_value

#: Exit check 1: ``make up`` must complete within this many seconds (the plan's 30 min).
DEFAULT_DEPLOY_THRESHOLD_S = plan_value("EXIT-1")
#: Exit check 7: the budget's limit must not exceed this (the plan's KPI: monthly cost <= $20).
DEFAULT_MONTHLY_COST_CAP_USD = plan_value("EXIT-7")

#: Exit check 3 without GitHub: the file ``make guard`` appends each run to, under reports/.
LEDGER_FILE = "guard-ledger.jsonl"

STACK_ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]{2,19}$")


class ConfigError(ValueError):
    """An option has a value the harness cannot use; the message names the option."""


ROOT_ENV = "LAKEHOUSE_ROOT"


def new_stack_id() -> str:
    """A short unique stack id, so runs can exist side by side (``lh-`` + 6 hex digits)."""
    return f"lh-{secrets.token_hex(3)}"


def project_root() -> Path:
    """The checkout whose ``infra/`` and ``features/`` a run uses.

    ``LAKEHOUSE_ROOT`` when set; else the checkout this package lives in (an editable install);
    else the working directory or its nearest parent that is one (an installed wheel run inside
    a checkout); else the working directory (commands like ``lakehouse report`` need no checkout).
    """
    if configured := os.environ.get(ROOT_ENV):
        return Path(configured).resolve()
    here = Path(__file__).resolve().parent.parent
    if is_checkout(here):
        return here
    cwd = Path.cwd()
    return next((d for d in (cwd, *cwd.parents) if is_checkout(d)), cwd)


def is_checkout(path: Path) -> bool:
    return (path / "infra").is_dir() and (path / "features").is_dir()


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
    #: Exit check 2: the CSVs the pipeline lands (default fixtures/data, the committed sample).
    data_dir: Path | None = None
    #: Exit check 3: the GitHub repository (owner/name) whose guard workflow runs are read.
    github_repo: str | None = None
    #: Exit check 3 without GitHub: ``make guard``'s ledger (default ``<reports>/guard-ledger.jsonl``).
    guard_ledger: Path | None = None
    #: Exit check 7: the highest budget limit (and billing alarm threshold) accepted, in USD.
    monthly_cost_cap_usd: float = DEFAULT_MONTHLY_COST_CAP_USD
    #: Exit check 4: the Marquez API lineage goes to (default: the local stack's own lineage service).
    marquez_url: str | None = None
    #: Exit check 4: Marquez web, for the screenshot (default: ``marquez_url``; real Marquez serves it on :3000).
    marquez_web_url: str | None = None
    #: Exit check 4: the OpenLineage job namespace of the pipeline (default ``lakehouse-<stack id>``).
    lineage_namespace: str | None = None
    #: @STACK-model: the MLflow tracking server (default: the local stack's own; on aws, name it).
    mlflow_url: str | None = None
    #: A run that is ``incomplete`` (a check skipped or deselected) exits non-zero.
    require_all: bool = False

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
        if self.monthly_cost_cap_usd <= 0:
            raise ConfigError(f"--cost-cap: {self.monthly_cost_cap_usd} must be a positive amount of USD")
        if self.github_repo is not None and not REPO_PATTERN.match(self.github_repo):
            raise ConfigError(f"--github-repo: {self.github_repo!r} must look like owner/name")
        if self.reports_dir is None:
            self.reports_dir = self.root / "reports"
        if self.data_dir is None:
            self.data_dir = self.root / "fixtures" / "data"
        elif not self.data_dir.is_dir():
            raise ConfigError(f"--data-dir: {self.data_dir} is not a directory")
        if self.guard_ledger is None:
            self.guard_ledger = self.reports_dir / LEDGER_FILE

    @property
    def home(self) -> Path:
        """Where stacks keep their working copies and state (``.lakehouse/`` in the checkout)."""
        return self.root / ".lakehouse"

    @property
    def reports(self) -> Path:
        assert self.reports_dir is not None
        return self.reports_dir

    @property
    def ledger(self) -> Path:
        assert self.guard_ledger is not None
        return self.guard_ledger


def env_options() -> dict[str, object]:
    """Option values taken from the environment (``LAKEHOUSE_*``, ``AWS_REGION``)."""
    values: dict[str, object] = {}
    if target := os.environ.get("LAKEHOUSE_TARGET"):
        values["target"] = target
    if stack_id := os.environ.get("LAKEHOUSE_STACK_ID"):
        values["stack_id"] = stack_id
    if region := os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"):
        values["region"] = region
    if mirror := find_mirror(project_root() / "infra"):
        values["tf_plugin_mirror"] = mirror
    if data_dir := os.environ.get("LAKEHOUSE_DATA_DIR"):
        values["data_dir"] = Path(data_dir)
    if repo := os.environ.get("GITHUB_REPOSITORY"):  # set by GitHub Actions in every job
        values["github_repo"] = repo
    if ledger := os.environ.get("LAKEHOUSE_GUARD_LEDGER"):
        values["guard_ledger"] = Path(ledger)
    if marquez := os.environ.get("MARQUEZ_URL"):
        values["marquez_url"] = marquez
    if marquez_web := os.environ.get("MARQUEZ_WEB_URL"):
        values["marquez_web_url"] = marquez_web
    if mlflow := os.environ.get("MLFLOW_TRACKING_URI"):
        values["mlflow_url"] = mlflow
    if namespace := os.environ.get("OPENLINEAGE_NAMESPACE"):
        values["lineage_namespace"] = namespace
    if (require := os.environ.get("LAKEHOUSE_REQUIRE_ALL")) is not None:
        values["require_all"] = _flag("LAKEHOUSE_REQUIRE_ALL", require)
    if cap := os.environ.get("LAKEHOUSE_MONTHLY_COST_CAP_USD"):
        try:
            values["monthly_cost_cap_usd"] = float(cap)
        except ValueError:
            raise ConfigError(f"LAKEHOUSE_MONTHLY_COST_CAP_USD: {cap!r} is not a number") from None
    if threshold := os.environ.get("LAKEHOUSE_DEPLOY_THRESHOLD_S"):
        try:
            values["deploy_threshold_s"] = float(threshold)
        except ValueError:
            raise ConfigError(f"LAKEHOUSE_DEPLOY_THRESHOLD_S: {threshold!r} is not a number") from None
    return values


def _flag(name: str, value: str) -> bool:
    """An on/off environment variable: 1/true/yes/on or 0/false/no/off/empty, anything else is an error."""
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("", "0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}: {value!r} is not one of 1/true/yes/on or 0/false/no/off")
