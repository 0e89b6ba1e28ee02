"""Steps of exit check 4 (lineage): the pipeline's OpenLineage events, Marquez's graph, the screenshots
(the gold job's graph, and the column-flow page of where Bronze ``ssn`` flows)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytest_bdd import then, when

from lakehouse.checks.column_page import stack_column_page
from lakehouse.checks.lineage import THRESHOLD, check_lineage, pipeline_expectation, visible_names, with_column_page
from lakehouse.checks.security_model import PLAN_HIDDEN
from lakehouse.config import RunOptions
from lakehouse.evidence import ArtifactStore, CheckEvidence
from lakehouse.lineage.client import MarquezClient
from lakehouse.lineage.emitter import EmissionStats, LineageEmitter
from lakehouse.lineage.endpoint import LineageEndpoint, emitter_for, probe, resolve
from lakehouse.outcome import Outcome
from lakehouse.pipeline.runner import PipelineResult
from lakehouse.stack import Deployment
from steps.outcomes import conclude


@pytest.fixture(scope="session")
def lineage_endpoint(deployment: Deployment, run_options: RunOptions) -> LineageEndpoint:
    """Where lineage goes: ``--marquez-url``/``MARQUEZ_URL``, else the local stack's lineage service.

    Resolved before the pipeline runs (the emitter needs it), and so is the web URL's probe: a
    missing or wrong ``MARQUEZ_WEB_URL`` is known (and named) before any time is spent.
    """
    return probe(
        resolve(
            deployment.stack.stack_id,
            deployment.record.lineage_url,
            run_options.marquez_url,
            run_options.marquez_web_url,
            run_options.lineage_namespace,
        )
    )


@pytest.fixture(scope="session")
def lineage_emitter(deployment: Deployment, lineage_endpoint: LineageEndpoint) -> LineageEmitter:
    """The listener the session's pipeline run (``pipeline_run``) sends its OpenLineage events through."""
    emitter = emitter_for(deployment.stack.target, lineage_endpoint)
    if lineage_endpoint.web_problem:  # in the pipeline result at once, not only at check 4
        emitter.stats.warnings.append(lineage_endpoint.web_problem)
    return emitter


#: Draws the column-flow page of a column (the plan's hidden one) and judges it; one screenshot per column a session.
ColumnPage = Callable[[str], Outcome]


@pytest.fixture(scope="session")
def column_flow_page(
    deployment: Deployment, run_options: RunOptions, lineage_endpoint: LineageEndpoint, pipeline_run: PipelineResult
) -> ColumnPage:
    """The lineage page of where a Bronze column flows (``ssn``), screenshotted once after the pipeline ran:
    judged in exit check 4 (the lineage UI), attached to exit check 6's evidence (the tables to deny)."""
    taken: dict[str, Outcome] = {}

    def page(column: str) -> Outcome:
        if column not in taken:
            stack_id = deployment.stack.stack_id
            taken[column] = stack_column_page(
                deployment.record.outputs,
                deployment.stack.target.region,
                lineage_endpoint.api_url,
                lineage_endpoint.web_url,
                lineage_endpoint.web_problem,
                column,
                run_options.reports / f"{column}-column-flow-{stack_id}.png",
            )
        return taken[column]

    return page


@when("the pipeline has emitted its lineage", target_fixture="lineage_emission")
def emitted(pipeline_run: PipelineResult, lineage_emitter: LineageEmitter, evidence: CheckEvidence) -> EmissionStats:
    """This session's emission (run ids, undelivered events): the check ties Marquez's answers to it."""
    evidence.details["pipeline_ok"] = pipeline_run.ok
    return lineage_emitter.stats


@then("the Marquez graph of the gold job reaches back to bronze")
def graph_reaches_bronze(
    deployment: Deployment,
    run_options: RunOptions,
    lineage_endpoint: LineageEndpoint,
    lineage_emission: EmissionStats,
    evidence: CheckEvidence,
    artifacts: ArtifactStore,
    column_flow_page: ColumnPage,
) -> None:
    if not lineage_endpoint.api_url:
        conclude(Outcome.error("no Marquez to read: set MARQUEZ_URL or --marquez-url", THRESHOLD), evidence)
        return
    assert run_options.data_dir is not None
    stack_id = deployment.stack.stack_id
    exp = pipeline_expectation(
        deployment.record.outputs, deployment.stack.target.region, run_options.data_dir, lineage_endpoint.namespace
    )
    png = run_options.reports / f"lineage-{stack_id}.png"
    page = column_flow_page(PLAN_HIDDEN[0])  # the plan's hidden column: where ssn flows, drawn
    result, graph = check_lineage(
        MarquezClient(lineage_endpoint.api_url),
        exp,
        lineage_emission,
        lineage_endpoint.web_url,
        png,
        visible_names(exp),
        lineage_endpoint.web_problem,
        flow_tables=page.details.get("flows_into_by_sql") or {},
    )
    evidence.details["endpoint"] = lineage_endpoint.to_dict()
    evidence.artifacts.append(artifacts.write_json(f"marquez-lineage-{stack_id}.json", {"graph": graph}))
    if png.is_file():
        evidence.artifacts.append(png.name)
    if shot := page.details.get("screenshot"):
        evidence.artifacts.append(str(shot))
    conclude(with_column_page(result, page), evidence)
