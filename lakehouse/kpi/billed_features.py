"""Settings of priced or free-listed resources that bill beyond what fixtures/cost/prices.yml models.

Why: the cost KPI prices a lifecycle configuration as free (expirations cost nothing) and an App Runner service by
its instance hours. A lifecycle rule that transitions objects bills a request per object moved and the colder class's
minimum storage duration; an App Runner service deploying automatically bills a flat fee per application a month,
one built from a source repository bills build minutes too. None of those is in the table or usage.yml, so each
makes the KPI ``error`` naming the resource (``why_unpriced``), never 0 USD. Cost only: none draws capacity the CO2
estimate would count (negligible energy), so ``lakehouse.kpi.carbon`` does not list them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lakehouse.kpi import kms

if TYPE_CHECKING:  # (cost.py imports this module)
    from lakehouse.kpi.cost import PlannedResource

LIFECYCLE = "aws_s3_bucket_lifecycle_configuration"
SERVICE = "aws_apprunner_service"


def _transitions(rules: list[dict[str, Any]], enabled: str) -> list[str]:
    """The storage classes enabled rules transition objects (or noncurrent versions) to."""
    classes = []
    for rule in rules:
        if not rule or str(rule.get(enabled, "Enabled")) in ("Disabled", "False", "false"):
            continue
        for key in ("transition", "noncurrent_version_transition"):
            classes += [str((t or {}).get("storage_class") or "?") for t in rule.get(key) or []]
    return classes


def _lifecycle_transitions(r: PlannedResource) -> str | None:
    if r.type == LIFECYCLE:
        classes = _transitions(list(r.values.get("rule") or []), "status")
    elif r.type == kms.BUCKET:  # the inline lifecycle_rule of provider 3.x, still accepted by 5.x
        classes = _transitions(list(r.values.get("lifecycle_rule") or []), "enabled")
    else:
        return None
    if not classes:
        return None
    return (
        f"a lifecycle rule transitions objects to {', '.join(sorted(set(classes)))}: S3 bills each object "
        "transitioned (per 1,000 transition requests, e.g. 0.05 USD into Glacier Deep Archive in us-east-1: "
        "lamngockhuong/aws-price lib/data/pricing/s3.json 'Lifecycle Transition Requests') and the class's minimum "
        "storage duration, which fixtures/cost/usage.yml does not count"
    )


def _apprunner_deployments(r: PlannedResource) -> str | None:
    if r.type != SERVICE:
        return None
    for source in r.values.get("source_configuration") or []:
        if (source or {}).get("code_repository"):
            return (
                "it builds from a source code repository: App Runner bills build minutes and, deploying "
                "automatically, a monthly fee per application (aws.amazon.com/apprunner/pricing), which "
                "fixtures/cost/prices.yml does not price"
            )
        if (source or {}).get("auto_deployments_enabled") is not False:  # the provider's default is true
            return (
                "its source_configuration deploys automatically (auto_deployments_enabled not false): App Runner "
                "bills a flat monthly fee per application for automatic deployments "
                "(aws.amazon.com/apprunner/pricing), which fixtures/cost/prices.yml does not price"
            )
    return None


def why_unpriced(r: PlannedResource) -> str | None:
    """Why the table cannot price ``r`` as planned because of a billed setting (None: it can)."""
    return _lifecycle_transitions(r) or _apprunner_deployments(r) or kms.why_unpriced(r)
