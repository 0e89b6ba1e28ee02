"""Steps of exit check 6 (security baseline): ssn hidden from the analyst in every catalog table.

The column comes from the feature text (the plan), never from the stack's outputs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_bdd import parsers, then, when

from lakehouse.checks.security import check_security
from lakehouse.evidence import ArtifactStore, CheckEvidence
from lakehouse.outcome import Outcome
from lakehouse.pipeline.runner import PipelineResult
from lakehouse.stack import Deployment
from steps.outcomes import conclude

if TYPE_CHECKING:
    from steps.lineage_steps import ColumnPage


@when(
    parsers.parse(
        'the analyst role and a privileged principal query every catalog table with a "{column}" column through Athena'
    ),
    target_fixture="security",
)
def query_as_analyst(
    column: str,
    pipeline_run: PipelineResult,
    deployment: Deployment,
    evidence: CheckEvidence,
    artifacts: ArtifactStore,
    column_flow_page: ColumnPage,
) -> Outcome:
    # The pipeline makes the Bronze, Silver and Gold tables: without them and their rows the
    # analyst's queries would prove nothing.
    assert pipeline_run.ok, f"the pipeline that fills the lake failed at {pipeline_run.error}"
    outcome = check_security(deployment.stack.target, deployment.record.outputs, hidden=[column])
    evidence.artifacts.append(artifacts.write_json(f"security-{deployment.stack.stack_id}.json", outcome.details))
    # Where the column flows, drawn on the lineage page: the picture of the tables to deny. Exit check 4
    # judges the page (a lineage UI fault is not a security one); here it is evidence only.
    page = column_flow_page(column)
    if shot := page.details.get("screenshot"):
        evidence.artifacts.append(str(shot))
    evidence.details["column_flow_page"] = {
        "status": page.status.value,
        "reason": page.reason,
        "judged_in": "exit check 4",
        **{k: page.details[k] for k in ("url", "source", "drawn") if k in page.details},
    }
    return outcome


@when("the Lake Formation grants, the analyst role's IAM policies and the lake buckets' policies are read back")
def grants_read_back(security: Outcome, evidence: CheckEvidence) -> None:
    conclude(security, evidence, security.details.get("read_errors") or [])


@then("the analyst's SELECT * on gold users returns rows, and no table returns ssn to the analyst")
def select_all_without_ssn(security: Outcome, evidence: CheckEvidence) -> None:
    conclude(security, evidence, security.details["problems"]["select_all"])


@then("the analyst's SELECT ssn fails with COLUMN_NOT_FOUND or no access on every such table")
def select_ssn_denied(security: Outcome, evidence: CheckEvidence) -> None:
    conclude(security, evidence, security.details["problems"]["denied"])


@then("ssn holds values in gold users for the privileged principal")
def ssn_readable_when_privileged(security: Outcome, evidence: CheckEvidence) -> None:
    conclude(security, evidence, security.details["problems"]["privileged"])


@then("no Lake Formation grant opens ssn to the analyst")
def no_grant_opens_ssn(security: Outcome, evidence: CheckEvidence) -> None:
    conclude(security, evidence, security.details["problems"]["grants"])


@then(
    "no role the analyst can act as opens ssn or the lake's objects, and the analyst cannot raise its own permissions"
)
def no_role_path_to_ssn(security: Outcome, evidence: CheckEvidence) -> None:
    conclude(security, evidence, security.details["problems"]["role_paths"])


@then("no IAM policy of the analyst role nor any lake bucket's policy lets the analyst read the lake's objects")
def no_iam_read_of_the_lake(security: Outcome, evidence: CheckEvidence) -> None:
    # The scenario's last step: it ends the check whole, so nothing another part missed passes.
    conclude(security, evidence)
