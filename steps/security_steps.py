"""Steps of exit check 6 (security baseline): query gold users as the analyst, read the grants back."""

from __future__ import annotations

from pytest_bdd import then, when

from lakehouse.checks.security import check_security
from lakehouse.evidence import ArtifactStore, CheckEvidence
from lakehouse.outcome import Outcome
from lakehouse.pipeline.runner import PipelineResult
from lakehouse.stack import Deployment
from steps.outcomes import conclude


@when("the analyst role and a privileged principal query gold users through Athena", target_fixture="security")
def query_as_analyst(
    pipeline_run: PipelineResult, deployment: Deployment, evidence: CheckEvidence, artifacts: ArtifactStore
) -> Outcome:
    # Gold users is filled by the pipeline: without rows the analyst's SELECT * would prove nothing.
    assert pipeline_run.ok, f"the pipeline that fills gold users failed at {pipeline_run.error}"
    outcome = check_security(deployment.stack.target, deployment.record.outputs)
    evidence.artifacts.append(artifacts.write_json(f"security-{deployment.stack.stack_id}.json", outcome.details))
    return outcome


@when("the Lake Formation grants on gold users are read back")
def grants_read_back(security: Outcome, evidence: CheckEvidence) -> None:
    conclude(security, evidence, security.details.get("read_errors") or [])


@then("the analyst's SELECT * returns rows without the ssn column")
def select_all_without_ssn(security: Outcome, evidence: CheckEvidence) -> None:
    conclude(security, evidence, security.details["problems"]["select_all"])


@then("the analyst's SELECT ssn fails with COLUMN_NOT_FOUND")
def select_ssn_denied(security: Outcome, evidence: CheckEvidence) -> None:
    conclude(security, evidence, security.details["problems"]["denied"])


@then("ssn exists and holds values for the privileged principal")
def ssn_readable_when_privileged(security: Outcome, evidence: CheckEvidence) -> None:
    conclude(security, evidence, security.details["problems"]["privileged"])


@then("no grant opens ssn to the analyst")
def no_grant_opens_ssn(security: Outcome, evidence: CheckEvidence) -> None:
    conclude(security, evidence)
