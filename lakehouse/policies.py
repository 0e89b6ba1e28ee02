"""The plan's guard rails as code, judged on a Terraform plan (``terraform show -json`` of a saved plan).

Why a plan, not the ``.tf`` files: in a plan every ``for_each`` is expanded and every value the
configuration can know is computed, so a policy sees the resource instances that will exist
(checkov, reading the files, mislinks settings attached through ``for_each``). Each policy is a
small function from the plan to the violations it finds, each naming the resource address.

``python -m lakehouse.policies plan.json`` judges a plan made elsewhere (CI's ``terraform plan``
of a real stack). Without an argument it makes one: ``infra/`` in a scratch working copy, planned
against a throwaway local emulator (empty state, ``-refresh=false``, about 20 s), with the
variables the harness gives a stack, then removed. OPA/conftest are not installable here; these
functions stand in for the plan's Rego.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import secrets
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

#: Tags every taggable resource must carry: the harness finds a stack by the first, a reaper
#: decides by the second (an RFC 3339 UTC time).
STACK_TAG = "stack_id"
EXPIRY_TAG = "expires_at"
#: The plan's default lifetime of a disposable stack (what the policy plan passes as ``expires_at``).
DEFAULT_TTL = timedelta(hours=12)
#: AWS publishes AWS/Billing metrics in us-east-1 only: a billing alarm anywhere else never fires.
BILLING_REGION = "us-east-1"

_EXPIRY = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_BUCKET_REF = re.compile(r'^(aws_s3_bucket\.[A-Za-z0-9_-]+)(\[(?:"[^"]*"|\d+)\])?')
_SSE_ALGORITHMS = {"AES256", "aws:kms", "aws:kms:dsse"}
_PAB_FLAGS = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
#: Resources whose attribute holds an IAM policy document (the bucket policy too).
_POLICY_ATTRIBUTES = {
    "aws_iam_policy": "policy",
    "aws_iam_role_policy": "policy",
    "aws_iam_user_policy": "policy",
    "aws_iam_group_policy": "policy",
    "aws_s3_bucket_policy": "policy",
}
_LF_DEFAULTS = ("create_database_default_permissions", "create_table_default_permissions")


@dataclass(frozen=True)
class Violation:
    """One resource (its plan address) breaking one policy, and how."""

    policy: str
    address: str
    message: str

    def __str__(self) -> str:
        return f"{self.policy}: {self.address}: {self.message}"


@dataclass(frozen=True)
class Resource:
    """A planned managed resource instance: its values after apply, and which of them are unknown."""

    address: str
    type: str
    name: str
    index: str | int | None
    values: Mapping[str, Any]
    unknown: Mapping[str, Any] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)


class Plan:
    """Read access to ``terraform show -json`` output (format 1.x), root module only."""

    def __init__(self, document: Mapping[str, Any]):
        self.document = document
        root = (document.get("planned_values") or {}).get("root_module") or {}
        if not isinstance(root, Mapping) or "format_version" not in document:
            raise ValueError("not a Terraform plan: `terraform show -json <saved plan>` output expected")
        unknown = {
            rc.get("address"): (rc.get("change") or {}).get("after_unknown") or {}
            for rc in document.get("resource_changes") or []
        }
        croot = (document.get("configuration") or {}).get("root_module") or {}
        self._config = {c.get("address"): c for c in croot.get("resources") or []}
        self.providers: Mapping[str, Any] = (document.get("configuration") or {}).get("provider_config") or {}
        self.resources = [
            Resource(
                address=str(r["address"]),
                type=str(r.get("type")),
                name=str(r.get("name")),
                index=r.get("index"),
                values=r.get("values") or {},
                unknown=unknown.get(r["address"]) or {},
                config=self._config.get(f"{r.get('type')}.{r.get('name')}") or {},
            )
            for r in _module_resources(root)
            if r.get("mode") == "managed"
        ]

    def of_type(self, *types: str) -> list[Resource]:
        return [r for r in self.resources if r.type in types]

    def variable(self, name: str) -> Any:
        return ((self.document.get("variables") or {}).get(name) or {}).get("value")

    def region_of(self, resource: Resource) -> str | None:
        """The region of the provider configuration the resource uses (constant or a root variable)."""
        key = str(resource.config.get("provider_config_key") or "aws")
        expression = ((self.providers.get(key) or {}).get("expressions") or {}).get("region") or {}
        if "constant_value" in expression:
            return str(expression["constant_value"])
        for ref in expression.get("references") or []:
            if ref.startswith("var."):
                value = self.variable(ref.removeprefix("var."))
                return None if value is None else str(value)
        return None

    def bucket_of(self, setting: Resource) -> str | None:
        """Address of the ``aws_s3_bucket`` a bucket-level setting attaches to, or None.

        From the configuration's references (``aws_s3_bucket.x[each.key].id``, ``each.value.id`` with
        ``for_each = aws_s3_bucket.x``, or a literal key), else by the bucket name when it is known.
        """
        expressions = setting.config.get("expressions") or {}
        refs = list((expressions.get("bucket") or {}).get("references") or [])
        per_instance = any(r.startswith("each.") for r in refs)
        refs += list((setting.config.get("for_each_expression") or {}).get("references") or [])
        for ref in refs:
            match = _BUCKET_REF.match(ref)
            if match is None:
                continue
            base, key = match.group(1), match.group(2)
            if key:
                return base + key
            if per_instance and setting.index is not None:
                return base + _index(setting.index)
            if not per_instance and setting.index is None:
                return base
        name = setting.values.get("bucket")
        for bucket in self.of_type("aws_s3_bucket"):
            if name is not None and bucket.values.get("bucket") == name:
                return bucket.address
        return None


def _index(index: str | int) -> str:
    return f"[{json.dumps(index)}]"


def _module_resources(module: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield from module.get("resources") or []
    for child in module.get("child_modules") or []:
        yield from _module_resources(child)


def _attached(plan: Plan, setting_type: str) -> dict[str, list[Resource]]:
    """Bucket address -> the settings of one type attached to it."""
    found: dict[str, list[Resource]] = {}
    for setting in plan.of_type(setting_type):
        if (bucket := plan.bucket_of(setting)) is not None:
            found.setdefault(bucket, []).append(setting)
    return found


def _first_block(values: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    blocks = values.get(name) or []
    return blocks[0] if blocks and isinstance(blocks[0], Mapping) else {}


# -- the policies -------------------------------------------------------------------------------------


def bucket_encryption(plan: Plan) -> list[Violation]:
    """Every bucket has default encryption (SSE-S3 or KMS) configured by the stack."""
    attached = _attached(plan, "aws_s3_bucket_server_side_encryption_configuration")
    found = []
    for bucket in plan.of_type("aws_s3_bucket"):
        settings = attached.get(bucket.address)
        if not settings:
            found.append(Violation("bucket-encryption", bucket.address, "no server-side encryption configuration"))
            continue
        for setting in settings:
            rule = _first_block(setting.values, "rule")
            algorithm = _first_block(rule, "apply_server_side_encryption_by_default").get("sse_algorithm")
            if algorithm not in _SSE_ALGORITHMS:
                message = f"default encryption {algorithm!r} (set in {setting.address}) is not one of AES256, aws:kms"
                found.append(Violation("bucket-encryption", bucket.address, message))
    return found


def bucket_versioning(plan: Plan) -> list[Violation]:
    """Every bucket has versioning Enabled (a rebuilt layer can be rolled back)."""
    attached = _attached(plan, "aws_s3_bucket_versioning")
    found = []
    for bucket in plan.of_type("aws_s3_bucket"):
        settings = attached.get(bucket.address)
        if not settings:
            found.append(Violation("bucket-versioning", bucket.address, "no versioning configuration"))
            continue
        for setting in settings:
            status = _first_block(setting.values, "versioning_configuration").get("status")
            if status != "Enabled":
                message = f"versioning is {status!r} (set in {setting.address}), not 'Enabled'"
                found.append(Violation("bucket-versioning", bucket.address, message))
    return found


def bucket_public_access_block(plan: Plan) -> list[Violation]:
    """Every bucket has a public access block with all four flags on."""
    attached = _attached(plan, "aws_s3_bucket_public_access_block")
    found = []
    for bucket in plan.of_type("aws_s3_bucket"):
        settings = attached.get(bucket.address)
        if not settings:
            found.append(Violation("bucket-public-access-block", bucket.address, "no public access block"))
            continue
        for setting in settings:
            off = [flag for flag in _PAB_FLAGS if setting.values.get(flag) is not True]
            if off:
                message = f"{', '.join(off)} not true (in {setting.address})"
                found.append(Violation("bucket-public-access-block", bucket.address, message))
    return found


def bucket_lifecycle(plan: Plan) -> list[Violation]:
    """Every bucket has a lifecycle configuration (bounded version history; checkov's CKV2_AWS_61)."""
    attached = _attached(plan, "aws_s3_bucket_lifecycle_configuration")
    return [
        Violation("bucket-lifecycle", bucket.address, "no lifecycle configuration")
        for bucket in plan.of_type("aws_s3_bucket")
        if not attached.get(bucket.address)
    ]


def stack_tags(plan: Plan) -> list[Violation]:
    """Every taggable resource carries ``stack_id`` (the run's) and ``expires_at`` (an RFC 3339 UTC time)."""
    stack_id = plan.variable("stack_id")
    found = []
    for resource in plan.resources:
        if "tags_all" not in resource.values and "tags_all" not in resource.unknown:
            continue  # not taggable
        if resource.unknown.get("tags_all") is True:
            found.append(Violation("stack-tags", resource.address, "tags unknown at plan time: cannot be judged"))
            continue
        tags = resource.values.get("tags_all") or {}
        if STACK_TAG not in tags:
            found.append(Violation("stack-tags", resource.address, f"no {STACK_TAG!r} tag"))
        elif stack_id is not None and tags[STACK_TAG] != stack_id:
            message = f"{STACK_TAG!r} tag is {tags[STACK_TAG]!r}, not the stack's {stack_id!r}"
            found.append(Violation("stack-tags", resource.address, message))
        expiry = tags.get(EXPIRY_TAG)
        if expiry is None:
            found.append(Violation("stack-tags", resource.address, f"no {EXPIRY_TAG!r} tag"))
        elif not _EXPIRY.match(str(expiry)):
            message = f"{EXPIRY_TAG!r} tag {expiry!r} is not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)"
            found.append(Violation("stack-tags", resource.address, message))
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _touches(patterns: list[str], arns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(arn, pattern) for pattern in patterns for arn in arns)


def no_iam_wildcard_on_lake_buckets(plan: Plan) -> list[Violation]:
    """No Allow statement reaching a stack bucket uses a wildcard action, NotAction/NotResource, or a
    resource pattern that spans buckets (``*``, ``arn:aws:s3:::*``, ``lakehouse-*``)."""
    names = [str(b.values["bucket"]) for b in plan.of_type("aws_s3_bucket") if b.values.get("bucket")]
    arns = [arn for name in names for arn in (f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/x")]
    found = []
    for resource in plan.of_type(*_POLICY_ATTRIBUTES):
        attribute = _POLICY_ATTRIBUTES[resource.type]
        text = resource.values.get(attribute)
        if resource.unknown.get(attribute) is True or not isinstance(text, str):
            found.append(Violation("iam-wildcard", resource.address, f"{attribute} unknown at plan time"))
            continue
        try:
            statements = _as_list(json.loads(text).get("Statement") or [])
        except (ValueError, AttributeError):
            found.append(Violation("iam-wildcard", resource.address, f"{attribute} is not a JSON policy document"))
            continue
        for i, statement in enumerate(statements):
            if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
                continue
            sid = statement.get("Sid") or f"#{i}"
            resources = [str(r) for r in _as_list(statement.get("Resource", []))]
            if "NotResource" in statement or "NotAction" in statement:
                if resource.type == "aws_s3_bucket_policy" or "NotResource" in statement or _touches(resources, arns):
                    message = f"statement {sid} allows with NotAction/NotResource"
                    found.append(Violation("iam-wildcard", resource.address, message))
                continue
            actions = [str(a) for a in _as_list(statement.get("Action", []))]
            s3_actions = [a for a in actions if a == "*" or a.lower().startswith("s3:")]
            if not s3_actions or not (_touches(resources, arns) or resource.type == "aws_s3_bucket_policy"):
                continue  # e.g. lakeformation:GetDataAccess on "*": no S3 action, no bucket reached
            wild_actions = [a for a in s3_actions if "*" in a]
            wild_resources = [r for r in resources if "*" in r.split("/", 1)[0]]
            principal = statement.get("Principal")
            if wild_actions:
                message = f"statement {sid} allows {', '.join(wild_actions)} on a lake bucket"
                found.append(Violation("iam-wildcard", resource.address, message))
            if wild_resources:
                message = f"statement {sid} allows on {', '.join(wild_resources)} (spans buckets)"
                found.append(Violation("iam-wildcard", resource.address, message))
            if principal == "*" or (isinstance(principal, Mapping) and "*" in _as_list(principal.get("AWS", []))):
                found.append(Violation("iam-wildcard", resource.address, f"statement {sid} allows Principal '*'"))
    return found


def budget_within_cap(plan: Plan, cap_usd: float) -> list[Violation]:
    """The stack has a monthly USD cost budget, and its limit is at most the plan's cap."""
    budgets = plan.of_type("aws_budgets_budget")
    if not budgets:
        return [Violation("budget-cap", "aws_budgets_budget", "no cost budget in the plan")]
    found = []
    for budget in budgets:
        values = budget.values
        kind = (values.get("budget_type"), values.get("limit_unit"), values.get("time_unit"))
        if kind != ("COST", "USD", "MONTHLY"):
            message = f"budget is {'/'.join(map(str, kind))}, not a COST/USD/MONTHLY budget"
            found.append(Violation("budget-cap", budget.address, message))
            continue
        try:
            limit = float(str(values.get("limit_amount")))
        except (TypeError, ValueError):
            message = f"limit_amount {values.get('limit_amount')!r} is not a known number"
            found.append(Violation("budget-cap", budget.address, message))
            continue
        if limit > cap_usd:
            message = f"limit {limit:g} USD is over the cap of {cap_usd:g} USD"
            found.append(Violation("budget-cap", budget.address, message))
    return found


def lake_formation_defaults_cleared(plan: Plan) -> list[Violation]:
    """The stack sets the data lake settings, with no default permissions for new databases and tables
    (an IAMAllowedPrincipals default would hand every column to IAM, defeating column grants)."""
    settings = plan.of_type("aws_lakeformation_data_lake_settings")
    if not settings:
        message = "no data lake settings: new databases and tables keep the IAMAllowedPrincipals defaults"
        return [Violation("lake-formation-defaults", "aws_lakeformation_data_lake_settings", message)]
    found = []
    for setting in settings:
        expressions = setting.config.get("expressions") or {}
        for name in _LF_DEFAULTS:
            if setting.values.get(name):
                principals = sorted(str(p.get("principal")) for p in setting.values[name] if isinstance(p, Mapping))
                message = f"{name} grants {', '.join(principals) or 'permissions'}: must be empty"
                found.append(Violation("lake-formation-defaults", setting.address, message))
            elif setting.unknown.get(name) is True and name in expressions:
                # Optional and computed: omitted in the configuration, the provider writes it empty
                # (aws-semantics 1.4, the provider's data_lake_settings doc); set there, it must be known.
                message = f"{name} set in the configuration but unknown at plan time: cannot be judged"
                found.append(Violation("lake-formation-defaults", setting.address, message))
    return found


def billing_alarm_in_us_east_1(plan: Plan) -> list[Violation]:
    """A CloudWatch alarm on AWS/Billing EstimatedCharges exists, and every such alarm is in us-east-1."""
    alarms = [
        a
        for a in plan.of_type("aws_cloudwatch_metric_alarm")
        if a.values.get("namespace") == "AWS/Billing" and a.values.get("metric_name") == "EstimatedCharges"
    ]
    if not alarms:
        return [Violation("billing-alarm", "aws_cloudwatch_metric_alarm", "no alarm on AWS/Billing EstimatedCharges")]
    found = []
    for alarm in alarms:
        region = plan.region_of(alarm)
        if region != BILLING_REGION:
            message = f"in region {region!r}: AWS/Billing metrics exist only in {BILLING_REGION}"
            found.append(Violation("billing-alarm", alarm.address, message))
    return found


Policy = Callable[[Plan], list[Violation]]


def policies(cap_usd: float) -> dict[str, Policy]:
    """Every policy by name; ``cap_usd`` is the plan's monthly cost cap."""
    return {
        "bucket-encryption": bucket_encryption,
        "bucket-versioning": bucket_versioning,
        "bucket-public-access-block": bucket_public_access_block,
        "bucket-lifecycle": bucket_lifecycle,
        "stack-tags": stack_tags,
        "iam-wildcard": no_iam_wildcard_on_lake_buckets,
        "budget-cap": lambda plan: budget_within_cap(plan, cap_usd),
        "lake-formation-defaults": lake_formation_defaults_cleared,
        "billing-alarm": billing_alarm_in_us_east_1,
    }


def evaluate(document: Mapping[str, Any], cap_usd: float) -> list[Violation]:
    """Every violation of every policy in one plan."""
    plan = Plan(document)
    return [v for policy in policies(cap_usd).values() for v in policy(plan)]


# -- making a plan of infra/ --------------------------------------------------------------------------


def expiry(now: datetime, ttl: timedelta = DEFAULT_TTL) -> str:
    """The ``expires_at`` value of a stack made at ``now``."""
    return (now + ttl).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def plan_infra(edit: Callable[[Path], None] | None = None) -> dict[str, Any]:
    """Plan ``infra/`` in a scratch stack directory against a throwaway emulator; both are removed after.

    ``edit`` may change the working copy (its ``.tf`` files) before the plan: a broken root in tests.
    """
    from lakehouse.config import RunOptions, env_options
    from lakehouse.emulator.process import start_emulator, stop_emulator
    from lakehouse.stack import Stack
    from lakehouse.target import local_target

    values = {k: v for k, v in env_options().items() if k == "tf_plugin_mirror"}
    options = RunOptions(stack_id=f"policy-{secrets.token_hex(3)}", **values)  # type: ignore[arg-type]
    workdir = options.home / "stacks" / options.stack_id
    try:
        workdir.mkdir(parents=True, exist_ok=True)
        emulator = start_emulator(log_path=workdir / "emulator.log")
        try:
            stack = Stack(options, local_target(emulator.endpoint, options.region))
            stack.prepare()  # the variables every stack gets, its ttl and expires_at included
            if edit is not None:
                edit(stack.root)
            return stack.tf.saved_plan_json(workdir / "policy.tfplan")
        finally:
            stop_emulator(emulator)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lakehouse.policies",
        description="Judge a Terraform plan against the plan's guard rails (exit 1 on any violation).",
    )
    parser.add_argument(
        "plan", nargs="?", type=Path, help="`terraform show -json` of a saved plan (default: plan infra/)"
    )
    parser.add_argument("--cost-cap", type=float, default=None, help="monthly cost cap in USD (default: the harness's)")
    parser.add_argument("--save", type=Path, default=None, help="also write the plan JSON that was judged here")
    args = parser.parse_args(argv)
    from lakehouse.config import DEFAULT_MONTHLY_COST_CAP_USD

    cap = args.cost_cap if args.cost_cap is not None else DEFAULT_MONTHLY_COST_CAP_USD
    try:
        document = json.loads(args.plan.read_text(encoding="utf-8")) if args.plan else plan_infra()
        if args.save:
            args.save.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        violations = evaluate(document, cap)
    except (OSError, ValueError, RuntimeError) as err:  # RuntimeError: Terraform or the emulator failed
        print(f"policies: cannot judge the plan: {err}", file=sys.stderr)
        return 2
    source = args.plan or "infra/ (planned against a throwaway emulator)"
    for violation in violations:
        print(violation, file=sys.stderr)
    count = len(Plan(document).resources)
    print(
        f"policies: {source}: {len(policies(cap))} policies, {count} resources, "
        + ("no violations" if not violations else f"{len(violations)} violation(s)")
    )
    return 1 if violations else 0


__all__ = ["Plan", "Resource", "Violation", "evaluate", "main", "plan_infra", "policies"]

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
