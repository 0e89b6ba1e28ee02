"""Steps of exit check 6 (security baseline): query gold users as the analyst, read the grants back."""

from __future__ import annotations

from typing import Any

from pytest_bdd import then, when

from lakehouse.checks.security import check_security
from lakehouse.evidence import ArtifactStore, CheckEvidence
from lakehouse.pipeline.runner import PipelineResult
from lakehouse.stack import Deployment


@when("the analyst role and a privileged principal query gold users through Athena")
def query_as_analyst(
    pipeline_run: PipelineResult,
    deployment: Deployment,
    evidence: CheckEvidence,
    artifacts: ArtifactStore,
    facts: dict[str, Any],
) -> None:
    # Gold users is filled by the pipeline: without rows the analyst's SELECT * would prove nothing.
    assert pipeline_run.ok, f"the pipeline that fills gold users failed at {pipeline_run.error}"
    result = check_security(deployment.stack.target, deployment.record.outputs)
    evidence.artifacts.append(artifacts.write_json(f"security-{deployment.stack.stack_id}.json", result.details))
    evidence.record(result)
    facts["security"] = result


@when("the Lake Formation grants on gold users are read back")
def grants_read_back(facts: dict[str, Any]) -> None:
    details = facts["security"].details
    assert not details.get("read_errors"), "; ".join(details["read_errors"])


def _problems(facts: dict[str, Any], kind: str) -> list[str]:
    found: list[str] = facts["security"].details["problems"][kind]
    return found


@then("the analyst's SELECT * returns rows without the ssn column")
def select_all_without_ssn(facts: dict[str, Any]) -> None:
    found = _problems(facts, "select_all")
    assert not found, "; ".join(found)


@then("the analyst's SELECT ssn fails with COLUMN_NOT_FOUND")
def select_ssn_denied(facts: dict[str, Any]) -> None:
    found = _problems(facts, "denied")
    assert not found, "; ".join(found)


@then("ssn exists and holds values for the privileged principal")
def ssn_readable_when_privileged(facts: dict[str, Any]) -> None:
    found = _problems(facts, "privileged")
    assert not found, "; ".join(found)


@then("no grant opens ssn to the analyst")
def no_grant_opens_ssn(facts: dict[str, Any]) -> None:
    found = _problems(facts, "grants")
    assert not found, "; ".join(found)
