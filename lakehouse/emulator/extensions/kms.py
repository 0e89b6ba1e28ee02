"""KMS CreateGrant keeps a service principal as grantee, as AWS does.

AWS takes a service principal as a grant's grantee in CreateGrant's ``GranteeServicePrincipal`` (and as retiring
principal in ``RetiringServicePrincipal``) and lists them under those names in ListGrants (KMS API reference,
CreateGrant and GrantListEntry). It takes exactly one of ``GranteePrincipal`` and ``GranteeServicePrincipal``, at
most one of ``RetiringPrincipal`` and ``RetiringServicePrincipal``, and with ``GranteeServicePrincipal`` requires
a ``SourceArn`` grant constraint and a retiring principal of either kind. moto 5.2.5 reads neither service field:
such a grant was kept with no grantee at all, so exit check 7 read a topic key CloudWatch may use through a grant
as one it may not. The request rules above are refused with ``ValidationException`` (the error code is not in
CreateGrant's modelled errors; KMS's common one for a request that breaks an input rule is assumed).

EnableKeyRotation's ``RotationPeriodInDays`` (90 to 2560, 365 when not given: KMS API reference) is kept, and
GetKeyRotationStatus answers it with the key's ARN while rotation is on. moto 5.2.5 drops it, so a rotation period
changed by hand (Optional+Computed in hashicorp/aws 5.100.0: the plan adopts it) could not be shown to exit check 5.
A period outside the range is refused with ``ValidationException``, as the KMS reference's "Valid Range" implies.
"""

from __future__ import annotations

import json
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.kms.models import Grant
from moto.kms.responses import KmsResponse

_MARK = "_lakehouse_kms_service_grants"
#: KMS's rotation period bounds and default, in days (EnableKeyRotation).
ROTATION_DAYS = (90, 2560)
DEFAULT_ROTATION_DAYS = 365


def _refusal(params: dict[str, Any]) -> str | None:
    """Why AWS refuses CreateGrant's principals (None: it takes them)."""
    grantee, service = params.get("GranteePrincipal"), params.get("GranteeServicePrincipal")
    if bool(grantee) == bool(service):
        return "You must specify either GranteePrincipal or GranteeServicePrincipal, but not both."
    if params.get("RetiringPrincipal") and params.get("RetiringServicePrincipal"):
        return "You can specify either RetiringPrincipal or RetiringServicePrincipal, but not both."
    if service and not (params.get("Constraints") or {}).get("SourceArn"):
        return "When you specify a GranteeServicePrincipal, you must also specify a SourceArn grant constraint."
    if service and not (params.get("RetiringPrincipal") or params.get("RetiringServicePrincipal")):
        return (
            "When you specify a GranteeServicePrincipal, you must specify a RetiringPrincipal or "
            "RetiringServicePrincipal."
        )
    return None


def install() -> None:
    """Patch moto's KMS CreateGrant and grant listing in place; a second call does nothing."""
    if getattr(KmsResponse, _MARK, False):
        return
    original_create = KmsResponse.create_grant
    original_json = Grant.to_json

    def create_grant(self: KmsResponse) -> str:
        params = {
            name: self._get_param(name)
            for name in (
                "GranteePrincipal",
                "GranteeServicePrincipal",
                "RetiringPrincipal",
                "RetiringServicePrincipal",
                "Constraints",
            )
        }
        why = _refusal(params)
        if why:
            raise JsonRESTError("ValidationException", why)
        answer: str = original_create(self)
        grant_id = json.loads(answer)["GrantId"]
        key = self.kms_backend.describe_key(self._get_param("KeyId"))
        grant = key.grants[grant_id]
        grant.grantee_service_principal = params["GranteeServicePrincipal"]  # type: ignore[attr-defined]
        grant.retiring_service_principal = params["RetiringServicePrincipal"]  # type: ignore[attr-defined]
        return answer

    def to_json(self: Grant) -> dict[str, Any]:
        shown = original_json(self)
        for field, attribute in (
            ("GranteeServicePrincipal", "grantee_service_principal"),
            ("RetiringServicePrincipal", "retiring_service_principal"),
        ):
            if value := getattr(self, attribute, None):
                shown[field] = value
        for field in ("GranteePrincipal", "RetiringPrincipal"):
            if shown.get(field) is None:
                shown.pop(field, None)  # AWS leaves a field out rather than showing it null
        return shown

    KmsResponse.create_grant = create_grant  # type: ignore[method-assign]
    Grant.to_json = to_json  # type: ignore[method-assign]
    _install_rotation_period()
    setattr(KmsResponse, _MARK, True)


def _install_rotation_period() -> None:
    original_enable = KmsResponse.enable_key_rotation
    original_status = KmsResponse.get_key_rotation_status

    def enable_key_rotation(self: KmsResponse) -> str:
        days = self._get_param("RotationPeriodInDays")
        days = DEFAULT_ROTATION_DAYS if days is None else int(days)
        if not ROTATION_DAYS[0] <= days <= ROTATION_DAYS[1]:
            raise JsonRESTError(
                "ValidationException",
                f"RotationPeriodInDays must be between {ROTATION_DAYS[0]} and {ROTATION_DAYS[1]}, not {days}.",
            )
        answer: str = original_enable(self)
        key = self.kms_backend.describe_key(self._get_param("KeyId"))
        key.rotation_period_in_days = days  # type: ignore[attr-defined]
        return answer

    def get_key_rotation_status(self: KmsResponse) -> str:
        shown = json.loads(original_status(self))
        key = self.kms_backend.describe_key(self._get_param("KeyId"))
        shown["KeyId"] = key.arn
        if shown.get("KeyRotationEnabled"):
            shown["RotationPeriodInDays"] = getattr(key, "rotation_period_in_days", DEFAULT_ROTATION_DAYS)
        return json.dumps(shown)

    KmsResponse.enable_key_rotation = enable_key_rotation  # type: ignore[method-assign]
    KmsResponse.get_key_rotation_status = get_key_rotation_status  # type: ignore[method-assign]
