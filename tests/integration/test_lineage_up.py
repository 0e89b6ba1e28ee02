"""The lineage service of a `make up` stack: printed, reachable, fed by `lakehouse pipeline`, stopped by destroy."""

from __future__ import annotations

import re

import pytest
import requests

from lakehouse.checks.lineage import pipeline_expectation
from lakehouse.cli import main as cli_main
from lakehouse.emulator.process import pid_alive
from lakehouse.lineage.client import ui_route
from lakehouse.lineage.jobs import default_namespace
from lakehouse.pipeline.runner import DATA_DIR, SQL_DIR, stack_values
from lakehouse.pipeline.sqlfiles import load
from lakehouse.stack import StackRecord, stack_dir
from tests.integration.conftest import UpStack, make_options, run_cli


@pytest.mark.xdist_group("data-stack")
def test_up_prints_a_reachable_lineage_ui_that_the_cli_pipeline_fills(up_stack: UpStack) -> None:
    record = up_stack.deployment.record
    match = re.search(r"^lineage UI \(Marquez API at (\S+)/api/v1\): (\S+)$", up_stack.output, re.M)
    assert match, up_stack.output
    assert match.group(1) == record.lineage_url and record.lineage_pid and pid_alive(record.lineage_pid)
    assert requests.get(match.group(2), timeout=10).status_code == 200
    stack_id = up_stack.deployment.stack.stack_id
    proc = run_cli("pipeline", "--stack-id", stack_id, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    n = 1 + len(load(SQL_DIR, stack_values(record.outputs)))  # the landing job and one per statement
    assert re.search(rf"lineage: {2 * n} events of {n} jobs sent to \S+ \(namespace lakehouse-", proc.stdout), (
        proc.stdout
    )
    ns = default_namespace(stack_id)
    jobs = requests.get(f"{record.lineage_url}/api/v1/namespaces/{ns}/jobs", timeout=10).json()
    assert jobs["totalCount"] == n
    exp = pipeline_expectation(record.outputs, up_stack.deployment.stack.target.region, DATA_DIR, ns)
    assert record.lineage_url
    page = requests.get(ui_route(record.lineage_url, "job", ns, exp.gold_job, depth=exp.depth, full=True), timeout=10)
    assert page.status_code == 200 and "raw/orders" in page.text


@pytest.mark.xdist_group("data-stack")
def test_destroy_stops_the_lineage_service(up_stack: UpStack) -> None:
    """The data-stack group's last test (this module sorts last in the group): it destroys the group's stack."""
    stack_id = up_stack.deployment.stack.stack_id
    record = StackRecord.load(stack_dir(make_options(), stack_id) / "stack.json")
    assert record.lineage_pid and pid_alive(record.lineage_pid)
    # In this process, which holds the stack's session lock (a `lakehouse destroy` elsewhere is refused).
    assert cli_main(["destroy", "--stack-id", stack_id]) == 0
    assert not pid_alive(record.lineage_pid), "lineage service left running after destroy"
