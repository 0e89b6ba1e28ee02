"""What an ARN says about its resource: ``service:type`` as the tagging API names types, and its name.

The reaper and exit check 5 both meet resources only as ARNs (Resource Groups Tagging API), and must
say what each one is in words a person recognises.
"""

from __future__ import annotations


def _parts(arn: str) -> tuple[str, str]:
    """(service, the resource part after ``arn:partition:service:region:account:``); ("?", arn) if not an ARN."""
    if arn.count(":") < 5:
        return "?", arn
    fields = arn.split(":", 5)
    return fields[2], fields[5]


def arn_region(arn: str) -> str | None:
    """The region field of an ARN (``arn:partition:service:region:account:resource``); "" for a global one."""
    parts = arn.split(":", 5)
    return parts[3] if len(parts) == 6 and parts[0] == "arn" else None


def arn_service(arn: str) -> str:
    return _parts(arn)[0]


def arn_kind(arn: str) -> str:
    """``service:type`` as the tagging API names resource types (``s3:bucket``, ``glue:database``)."""
    service, rest = _parts(arn)
    if service == "s3":
        return "s3:bucket" if "/" not in rest else "s3:object"
    if service == "sns":
        return "sns:topic"
    if service == "sqs":
        return "sqs:queue"
    head = rest.split("/", 1)[0].split(":", 1)[0]
    return f"{service}:{head}"


def arn_name(arn: str) -> str:
    """The resource's own name (a bucket, a queue, the part after ``alarm:`` or the first ``/``)."""
    service, rest = _parts(arn)
    if service in ("s3", "sns", "sqs", "?"):
        return rest
    if arn_kind(arn) == "cloudwatch:alarm":
        return rest.split(":", 1)[1]
    return rest.split("/", 1)[1] if "/" in rest else rest
