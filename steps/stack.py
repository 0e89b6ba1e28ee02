"""The stack under verification: deployed once per session (or attached to), destroyed at the end."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from lakehouse import progress
from lakehouse.config import RunOptions
from lakehouse.evidence import ArtifactStore
from lakehouse.ownership import foreign_outputs
from lakehouse.stack import Deployment, Lifecycle, StackError
from steps.early_work import start_before_deploy


def terminal_sink(config: pytest.Config) -> progress.Sink | None:
    """Progress through pytest's terminal, past output capture (as live logging does)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return None

    def sink(text: str, live: bool) -> None:
        if live and not reporter.isatty:
            return
        with capture.global_and_fixture_disabled():
            if reporter.isatty:
                reporter.rewrite(text, erase=True)
                if not live:
                    reporter.write("\n")
            else:
                reporter.write_line(text)

    return sink


@pytest.fixture(scope="session")
def deployment(
    run_options: RunOptions, pytestconfig: pytest.Config, request: pytest.FixtureRequest
) -> Iterator[Deployment]:
    """Deploy the stack once per session (or attach to a deployed one); destroy it at the end.

    Destroy runs when a check fails, on Ctrl-C or SIGTERM (pytest tears down session
    fixtures on interrupt), and when set-up fails half way (``Lifecycle.up`` cleans up).
    """
    progress.set_sink(terminal_sink(pytestconfig))
    life = Lifecycle(run_options, ttl=pytestconfig.getoption("--ttl"))
    start_before_deploy(request, run_options)  # work that needs no stack overlaps the deploy
    dep = life.attach() if run_options.deployed else life.up()
    teardown: dict[str, Any] = {"stack_id": dep.stack.stack_id, "outcome": "destroyed", "message": None}
    try:
        yield dep
    finally:
        result = None
        try:
            result = life.down()
        except StackError as err:
            teardown.update(outcome="destroy_failed", message=str(err))
            raise
        finally:
            if result is None and teardown["outcome"] == "destroyed":
                teardown["outcome"] = "kept" if (run_options.keep or run_options.deployed) else "nothing to destroy"
            if result is not None:  # `make bench` splits the run's wall time with it
                teardown["destroy_s"] = round(result.wall_s, 3)
            # The evidence (written later, by the process that sees all reports) picks this up.
            ArtifactStore(run_options.reports).write_json(f"teardown-{dep.stack.stack_id}.json", teardown)
        if run_options.keep and dep.ok:
            _print_kept(dep)


@pytest.fixture(scope="session")
def outputs_not_own(deployment: Deployment) -> list[str]:
    """What the stack's outputs name that is not its own (read once a session; checks find their subject there)."""
    if not deployment.ok:
        return []
    return foreign_outputs(deployment.stack.target, deployment.stack.stack_id, deployment.record.outputs)


def _print_kept(dep: Deployment) -> None:
    env = " ".join(f"{k}={v}" for k, v in dep.stack.target.env().items())
    print(
        f"\nlakehouse: stack {dep.stack.stack_id} kept. Reach it with: export {env}\n"
        f"lakehouse: remove it with: make destroy STACK_ID={dep.stack.stack_id}"
    )
