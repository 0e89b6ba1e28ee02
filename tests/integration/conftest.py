"""Real stacks on the local target, shared by the integration tests of one xdist group.

These run the real Terraform against the real emulator. Each xdist group that asks for
``up_stack``/``deployed`` gets a stack of its own (so groups run side by side on the two
workers); each test that breaks it repairs it before it ends, so the next test sees a clean stack.
Stacks whose tests are not about S3 lifecycle rules deploy without them (``FAST_VARIABLES``);
the full run in test_lifecycle.py deploys the root as a user does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lakehouse import procgroup
from lakehouse.config import RunOptions, env_options, new_stack_id, project_root
from lakehouse.evidence import git_commit
from lakehouse.ledger import GUARD_SUITE, LedgerEntry, append_entry
from lakehouse.stack import Deployment, Lifecycle, destroy_recorded, stack_dir

ROOT = project_root()
#: The repository catalog-info.yaml's Components name (this template's placeholder): a run whose checkout is not
#: told otherwise (no git remote here; CI's GITHUB_REPOSITORY is wherever the template is hosted) is told it, so
#: @STACK-catalog judges the harness, not where the checkout lives.
CATALOG_REPO = ("--github-repo", "lakehouse-org/lakehouse-code")


@pytest.fixture(autouse=True)
def _group_kept_on_one_worker(request: pytest.FixtureRequest) -> None:
    """Tests of a group share one stack and repair it in order; split over workers they race.

    xdist marks a grouped test by a ``@group`` suffix on its node id; pytest 9.2 silently
    dropped that (pytest-xdist#1386), and the stack tests failed at random instead of loudly.
    """
    grouped = request.node.get_closest_marker("xdist_group") is not None
    if grouped and getattr(request.config.option, "loadgroup", False) and "@" not in request.node.nodeid:
        pytest.fail("pytest-xdist did not keep this xdist_group on one worker (see pytest-xdist#1386): check the pins")


def write_ledger(path: Path, *exit_codes: int) -> None:
    """Guard runs as `make guard` records them, at the commit under test on a clean tree (exit check 3)."""
    head = git_commit(ROOT)
    suite = ["make", "--no-print-directory", "lint", "test"]
    for n, code in enumerate(exit_codes, start=1):
        stamp = f"2026-11-24T09:{n:02d}:00+00:00"
        append_entry(path, LedgerEntry(stamp, stamp, code, code == 0, 1.0, head, False, suite, GUARD_SUITE, {}))


def make_options(**values: Any) -> RunOptions:
    """Options as a run from this shell would get them (environment first, then ``values``)."""
    return RunOptions(**{**env_options(), **values})


@dataclass
class FeatureRun:
    """A finished `pytest features/` subprocess and the evidence it wrote."""

    returncode: int
    output: str
    evidence: dict[str, Any]

    def check(self, check_id: str) -> dict[str, Any]:
        return next(c for c in self.evidence["checks"] if c["id"] == check_id)


#: The latency KPI's limit for integration runs that are not about latency. Looser than the plan's 200 ms,
#: so KPI-p95-latency is never ``passed`` in these runs: a pass there is ``skipped`` saying it was judged at
#: 5000 ms (``lakehouse.thresholds.at_plan``), and a run with every other check passed is ``incomplete``.
BUSY_MACHINE_P95_MS = 5000


#: A hang guard, not a speed goal: a whole ``--deployed`` run of every scenario ran past 600 s with two other test
#: suites beside it on 2 cores (stop 46). CI's own limit bounds the rest.
FEATURES_TIMEOUT_S = 1200


def run_features(
    reports: Path, *args: str, env: dict[str, str] | None = None, timeout: float = FEATURES_TIMEOUT_S
) -> FeatureRun:
    """Run the verification suite as a user would, in its own process.

    The latency KPI's limit is generous unless a test sets it: these runs share 2 cores with the other
    xdist worker and its stacks, and no test's verdict may depend on how busy the machine is (the
    latency judgment has its own tests, which set the limit).
    """
    if not any(a == "--kpi-p95-ms" or a.startswith("--kpi-p95-ms=") for a in args):
        args = (*args, "--kpi-p95-ms", str(BUSY_MACHINE_P95_MS))
    proc = procgroup.run(  # a timeout ends its Terraform and emulator too
        [sys.executable, "-m", "pytest", "features/", "-p", "no:cacheprovider", "--reports-dir", str(reports), *args],
        cwd=ROOT,
        timeout=timeout,
        env=env or dict(os.environ),
    )
    path = reports / "evidence.json"
    evidence = json.loads(path.read_text()) if path.exists() else {}
    return FeatureRun(proc.returncode, proc.stdout + proc.stderr, evidence)


def run_cli(*args: str, timeout: float = 900, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``lakehouse <args>`` in its own process, as a user runs it from the checkout (a timeout ends its tree)."""
    return procgroup.run(
        [sys.executable, "-m", "lakehouse.cli", *args], cwd=ROOT, timeout=timeout, env=env or dict(os.environ)
    )


#: Terraform variables of the stacks tests deploy when the tests are not about S3 lifecycle rules:
#: the AWS provider waits ~55 s after writing each bucket's lifecycle configuration (infra/storage.tf).
FAST_VARIABLES: dict[str, Any] = {"s3_lifecycle_rules_enabled": False}
#: Kept in a stack's working copy, so its later plans (exit check 5), re-applies (KPI-mttr's runbook)
#: and destroy read the variables its apply read (Terraform loads every ``*.auto.tfvars.json``).
FAST_VARIABLES_FILE = "tests_fast.auto.tfvars.json"


def fast_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """``env`` (default this process's) with ``FAST_VARIABLES`` as ``TF_VAR_*``, for a deploy in a subprocess."""
    values = {f"TF_VAR_{name}": json.dumps(value) for name, value in FAST_VARIABLES.items()}
    return {**(os.environ if env is None else env), **values}


def keep_fast(stack_id: str) -> None:
    """Pin ``FAST_VARIABLES`` in the working copy of a stack deployed with ``fast_env``."""
    root = stack_dir(make_options(), stack_id) / "infra"
    (root / FAST_VARIABLES_FILE).write_text(json.dumps(FAST_VARIABLES) + "\n", encoding="utf-8")


@dataclass
class UpStack:
    """A stack brought up by `lakehouse up` (what `make up` runs), and what it printed."""

    deployment: Deployment
    output: str
    #: ``terraform show -json`` of a refreshed plan made right after `lakehouse up`, before any test touched the
    #: stack (``FIRST_REFRESH_GROUP``'s stack only: the stack of a group is shared by several modules).
    first_refresh: dict[str, Any] | None = None


def xdist_group_of(item: pytest.Item) -> str | None:
    """The group xdist schedules ``item`` in: every ``xdist_group`` name on it, sorted and joined (as xdist does)."""
    names = {str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in item.iter_markers("xdist_group")}
    return "_".join(sorted(names)) or None


#: The xdist group whose stack's first refreshed plan is kept (``UpStack.first_refresh``).
FIRST_REFRESH_GROUP = "stack"


class StackPool:
    """One `lakehouse up` stack per xdist group, deployed when the group first asks for it."""

    def __init__(self) -> None:
        self.stacks: dict[str, UpStack | BaseException] = {}

    def get(self, group: str) -> UpStack:
        if group not in self.stacks:
            try:
                self.stacks[group] = self._up(refresh=group == FIRST_REFRESH_GROUP)
            except BaseException as err:  # one failed deploy per group, not one per module
                self.stacks[group] = err
                raise
        found = self.stacks[group]
        if isinstance(found, BaseException):
            raise RuntimeError(f"the stack of xdist group {group!r} did not deploy: {found}")
        return found

    def _up(self, refresh: bool = False) -> UpStack:
        stack_id = new_stack_id()
        try:
            proc = run_cli("up", "--stack-id", stack_id, env=fast_env())
            assert proc.returncode == 0, proc.stdout + proc.stderr
            keep_fast(stack_id)
            up = UpStack(Lifecycle(make_options(stack_id=stack_id, deployed=True)).attach(), proc.stdout)
            if refresh:
                plan = up.deployment.stack.plan()
                assert plan.saved is not None, plan.diagnostics
                up.first_refresh = up.deployment.stack.tf.show_plan(plan.saved)
            return up
        except BaseException:
            self._destroy(stack_id)
            raise

    @staticmethod
    def _destroy(stack_id: str) -> None:
        if stack_dir(make_options(), stack_id).exists():
            destroy_recorded(make_options(stack_id=stack_id))

    def close(self) -> None:
        """Destroy every stack a test did not destroy itself."""
        for found in self.stacks.values():
            if isinstance(found, UpStack):
                self._destroy(found.deployment.stack.stack_id)


@pytest.fixture(scope="session")
def stack_pool() -> Iterator[StackPool]:
    pool = StackPool()
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture(scope="module")
def up_stack(stack_pool: StackPool, request: pytest.FixtureRequest) -> UpStack:
    """`lakehouse up` in its own process, as a user runs it: the stack of this module's xdist group."""
    users = [
        item
        for item in request.session.items
        if isinstance(item, pytest.Function) and item.module is request.module and "up_stack" in item.fixturenames
    ]
    groups = {xdist_group_of(i) for i in users}
    if len(groups) != 1 or None in groups:
        pytest.fail(f"the tests of {request.module.__name__} that use a stack must share one xdist group: {groups}")
    group = str(groups.pop())
    found = stack_pool.get(group)
    if not found.deployment.stack.dir.exists():
        pytest.fail(f"group {group!r}: its stack was destroyed by an earlier test (a destroy test must be its last)")
    return found


@pytest.fixture(scope="module")
def deployed(up_stack: UpStack) -> Deployment:
    return up_stack.deployment
