"""Operations moto lacks that our Terraform root or our checks need.

One module per AWS service, shaped like moto (state on the backend model,
wire format on the responses class). Each module exposes ``install()``,
which patches moto in place. ``install_all()`` installs them in the explicit
order of :data:`INSTALL_ORDER` (Lake Formation re-wraps what Glue wrapped; the
identity front door comes first so that every later operation sees a resolved
caller); a module missing from the list fails the server's own test.
"""

from __future__ import annotations

import importlib
import pkgutil

#: Install order: identity (who calls) first, then each service; lakeformation after glue.
INSTALL_ORDER = (
    "identity",
    "iam",  # users', groups' and instance profiles' unique ids with AWS's prefixes (AIDA, AGPA, AIPA)
    "s3",
    "s3_inventory",  # an inventory configuration's IncludedObjectVersions kept (moto answers All)
    "s3control",  # S3 Access Grants (exit check 6 reads them)
    "glue",
    "lakeformation",
    "athena",
    "athena_queries",
    "budgets",
    "apprunner",  # a whole service moto lacks (the catalog's App Runner service)
    "sagemaker",  # UpdateEndpoint; the runtime's InvokeEndpoint serving the endpoint's MLflow model
    "ecr",  # uploaded blobs kept; GetDownloadUrlForLayer (an image's config, which @STACK-model reads)
    "awslambda",  # GetFunction's Code.Location answers with the deployment package
    "sns",  # HTTP/HTTPS delivery and the confirmation handshake
    "sqs",  # SetQueueAttributes keeps the queue policy it does not name; a message records its SenderId
    "kms",  # CreateGrant keeps a service principal grantee; EnableKeyRotation keeps RotationPeriodInDays
    "billing",  # AWS/Billing EstimatedCharges published (Receive Billing Alerts on); alarms evaluate it
    "logs",  # resource policies scoped to one log group (resourceArn) kept apart from the account's
    "cloudwatch",  # metric alarms evaluated and acting; before the composite alarms that read them
    "cloudwatch_dashboards",  # PutDashboard refuses the bodies CloudWatch refuses (moto stores any JSON)
    "scheduler",  # schedules fire: universal targets (App Runner pause/resume) called as the target's role
    "cloudwatch_composite",  # last: it filters what other DescribeAlarms patches answer
)

_installed = False


def service_modules() -> list[str]:
    """Names of the extension modules found in this package (one per AWS service, plus identity)."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def install_all() -> None:
    """Patch every extension into moto once per process, in :data:`INSTALL_ORDER`."""
    global _installed
    if _installed:
        return
    for name in INSTALL_ORDER:
        importlib.import_module(f"{__name__}.{name}").install()
    _installed = True
