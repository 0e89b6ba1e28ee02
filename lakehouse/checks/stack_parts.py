"""Which parts of the plan's stack a deployed state lacks: a deploy with a part switched off.

The plan's stack is "Terraform for all resources (Bronze -> Gold, MLflow -> SageMaker, Backstage on App Runner)".
``infra/`` has variables that leave parts of it out (their ``count``/``for_each`` go to zero): a deploy with one of
them off (``TF_VAR_ml_enabled=false``, a var file, ``TF_CLI_ARGS``, or a default edited in ``infra/``) is a smaller
stack, faster to deploy, and exit check 1's time would not be the plan's stack's. Its apply is from scratch and
whole, so only the state says so: each part's resources (``PARTS``) must be in it. The state is read at check time
(the check's other step reads it too), so the deploy clock pays nothing for this.

Every variable a resource count depends on is a part's switch (``PARTS``) or one that only adds (``ONLY_ADDS``);
``tests/unit/test_stack_parts.py`` reads ``infra/*.tf`` and fails when one is in neither, or when a part's
addresses are not the resources its switch gates. A variable that changes no resource count (sizes, names) is
not judged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lakehouse.terraform import state_resources

ML_BUCKET = '["ml-artifacts"]'
LAKE_BUCKETS = ('["athena-results"]', '["bronze"]', '["gold"]', '["silver"]')


@dataclass(frozen=True)
class Part:
    """A part of the plan's stack, the variable that leaves it out when false, and the resources it deploys."""

    variable: str
    what: str
    #: Instance addresses (type.name and key) a deploy of the part puts in the state.
    addresses: tuple[str, ...]


PARTS: tuple[Part, ...] = (
    Part(
        "ml_enabled",
        "the MLflow -> SageMaker part (infra/ml.tf: the ml-artifacts bucket and its settings, the SageMaker role)",
        (
            f"aws_s3_bucket.ml{ML_BUCKET}",
            f"aws_s3_bucket_ownership_controls.ml{ML_BUCKET}",
            f"aws_s3_bucket_public_access_block.ml{ML_BUCKET}",
            f"aws_s3_bucket_versioning.ml{ML_BUCKET}",
            f"aws_s3_bucket_server_side_encryption_configuration.ml{ML_BUCKET}",
            f"aws_s3_bucket_lifecycle_configuration.ml{ML_BUCKET}",
            f"aws_s3_bucket_policy.ml{ML_BUCKET}",
            "aws_iam_role.sagemaker[0]",
            "aws_iam_role_policy.sagemaker[0]",
        ),
    ),
    Part(
        "catalog_enabled",
        "the Backstage catalog on App Runner (infra/catalog_service.tf: the service, its auto scaling, its pause "
        "schedule and role)",
        (
            "aws_apprunner_auto_scaling_configuration_version.catalog[0]",
            "aws_apprunner_service.catalog[0]",
            "aws_iam_role.catalog_pause[0]",
            "aws_iam_role_policy.catalog_pause[0]",
            "aws_scheduler_schedule.catalog_pause[0]",
        ),
    ),
    Part(
        "s3_lifecycle_rules_enabled",
        "the S3 lifecycle configuration of every bucket (infra/storage.tf, infra/ml.tf: Athena results expiry, "
        "non-current version expiry, aborting stale uploads)",
        (
            *(f"aws_s3_bucket_lifecycle_configuration.this{key}" for key in LAKE_BUCKETS),
            f"aws_s3_bucket_lifecycle_configuration.ml{ML_BUCKET}",
        ),
    ),
)

#: Variables a resource count depends on that only add to the stack when set (never leave a part out), and why.
ONLY_ADDS: dict[str, str] = {
    "alert_email_addresses": "each address adds an e-mail subscription to both alert topics; none is the default",
    "model_version": "with model_data_url, adds the model serving a model release deploys after the deploy",
    "model_data_url": "with model_version, adds the model serving a model release deploys after the deploy",
}


def absent_parts(state: Mapping[str, Any]) -> list[str]:
    """Each part of the plan's stack whose resources the state lacks, naming them and the switch that leaves them out.

    A resource two switches gate (the ml bucket's lifecycle) is named under the part that is wholly absent, not
    again under the other one."""
    present = {str(r.get("address")) for r in state_resources(state)}
    missing = {part: [a for a in part.addresses if a not in present] for part in PARTS}
    gone = {a for part, lacked in missing.items() if len(lacked) == len(part.addresses) for a in lacked}
    found: list[str] = []
    for part, lacked in missing.items():
        named = lacked if len(lacked) == len(part.addresses) else [a for a in lacked if a not in gone]
        if named:
            found.append(
                f"{part.what}: {len(named)} of its {len(part.addresses)} resources are not in the state "
                f"({', '.join(named[:5])}{' and more' if len(named) > 5 else ''}); {part.variable} = false leaves "
                f"them out (TF_VAR_{part.variable}, a var file, or its default in infra/)"
            )
    return found


def smaller_stack(absent: Sequence[str]) -> str | None:
    """Why the deploy timed is not the plan's whole stack (``absent_parts``), or None."""
    if not absent:
        return None
    return (
        "the timed apply deployed a smaller stack than the plan's, so its time is not the plan's stack's deploy: "
        + "; ".join(absent)
    )
