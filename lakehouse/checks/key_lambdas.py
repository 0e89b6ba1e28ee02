"""Exit check 6: S3 Object Lambda Access Points whose function lists or reads the lake as its own role.

An Object Lambda Access Point with a ``ListObjects``/``ListObjectsV2`` transformation answers a listing with what its
Lambda function returns. The function gets a presigned URL for the listing as the caller (already judged: the caller
through the supporting access point, ``key_names``), but its code is free to list with its *own* execution role and
hand back whatever that role may list. The caller needs only ``s3-object-lambda:ListBucket`` on the Object Lambda
Access Point (its policy naming the caller, or the caller's IAM within the account). So a caller allowed that, over a
point whose listing function runs as a role that may list a lake bucket whose key names show hidden values
(``ssn=.../``), sees them; neither Lake Formation nor any bucket policy naming the caller is asked.

Which role may list what is ``key_names.listing_problems`` over the function's role, every route (the bucket, its
access points); the function's code is not read, so a role that may list counts as listing. A transformation of
``GetObject``/``HeadObject`` returns objects, not listings: its function may read *any* object its role may read
(not only the one asked) and answer with its bytes or headers, and the caller needs only ``s3-object-lambda:GetObject``
(HeadObject too); ``object_lambda_read_problems`` judges that with the object-read judges the caller hands it (which
lake files the role may read, as for a role the analyst can act as). Whether the caller may also
``lambda:InvokeFunction`` is not asked (leaning to a failure: the point was made to be called). A function that
cannot be read (another account's, or refused) is an unknown, so the check cannot pass while a caller may list
through it; a function that no longer exists runs nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse.checks.iam_access import (
    ANYONE,
    Policy,
    Principal,
    bucket_policy_statements,
    bucket_statement_match,
    decide,
    outside_principals,
)
from lakehouse.checks.key_names import BucketKeys, Lister, listing_problems
from lakehouse.checks.s3_routes import AccessPoint, denied_to, next_token_pages, statement_allows

#: What an Object Lambda Access Point's caller needs to list through it (ListObjects and ListObjectsV2).
OBJECT_LAMBDA_LIST = "s3-object-lambda:ListBucket"
#: What it needs to get (or head) an object through it.
OBJECT_LAMBDA_GET = "s3-object-lambda:GetObject"
#: Transformations whose function answers a listing.
LIST_TRANSFORMATIONS = frozenset({"ListObjects", "ListObjectsV2"})
#: Transformations whose function answers with an object (its bytes, or its headers).
OBJECT_TRANSFORMATIONS = frozenset({"GetObject", "HeadObject"})


@dataclass
class PointFunction:
    """A Lambda function answering an Object Lambda Access Point's listings or object reads, and its role."""

    arn: str
    #: Which requests it answers (``ListObjectsV2``, ``GetObject``...).
    actions: tuple[str, ...]
    role: str | None = None
    identity: list[Policy] | None = None
    boundary: Policy | None = None
    #: Why its role or the role's permissions could not be read (None: read, or the function is gone).
    error: str | None = None
    #: The function does not exist (ResourceNotFoundException): nothing answers, nothing lists.
    gone: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"function": self.arn, "actions": list(self.actions), "role": self.role, "error": self.error}


@dataclass
class ObjectLambdaPoint:
    """An Object Lambda Access Point with a listing or object transformation: its policy and the functions."""

    name: str
    arn: str
    supporting: str
    policy: dict[str, Any] | None = None
    functions: list[PointFunction] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "arn": self.arn,
            "supporting_access_point": self.supporting,
            "policy": self.policy,
            "functions": [f.to_dict() for f in self.functions],
        }

    def answering(self, actions: frozenset[str]) -> list[PointFunction]:
        """Its functions answering any of ``actions`` (that still exist: a gone one answers nothing)."""
        return [f for f in self.functions if actions.intersection(f.actions) and not f.gone]


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def listing_functions(configuration: Mapping[str, Any]) -> list[PointFunction]:
    """The functions of a point's configuration answering ListObjects/ListObjectsV2 (one entry per function)."""
    return point_functions(configuration, LIST_TRANSFORMATIONS)


def point_functions(
    configuration: Mapping[str, Any], kinds: frozenset[str] = LIST_TRANSFORMATIONS | OBJECT_TRANSFORMATIONS
) -> list[PointFunction]:
    """The functions of a point's configuration answering any of ``kinds`` (one entry per function, with every
    such action it answers)."""
    found: dict[str, set[str]] = {}
    for transformation in configuration.get("TransformationConfigurations") or []:
        actions = kinds.intersection(transformation.get("Actions") or [])
        arn = ((transformation.get("ContentTransformation") or {}).get("AwsLambda") or {}).get("FunctionArn")
        if actions and arn:
            found.setdefault(str(arn), set()).update(actions)
    return [PointFunction(arn, tuple(sorted(actions))) for arn, actions in sorted(found.items())]


def read_object_lambda_points(control: Any, account: str) -> list[ObjectLambdaPoint]:
    """The account's Object Lambda Access Points (in the client's region) with a listing or object transformation,
    their policies; functions not read yet (``read_point_functions``)."""
    found: list[ObjectLambdaPoint] = []
    listed = next_token_pages(
        control.list_access_points_for_object_lambda, "ObjectLambdaAccessPointList", AccountId=account
    )
    for entry in listed:
        name = str(entry["Name"])
        configuration = control.get_access_point_configuration_for_object_lambda(AccountId=account, Name=name)
        functions = point_functions(configuration.get("Configuration") or {})
        if not functions:
            continue  # no Lambda answers (no transformation read here): requests go through as the caller
        point = ObjectLambdaPoint(
            name,
            str(entry["ObjectLambdaAccessPointArn"]),
            str(configuration["Configuration"].get("SupportingAccessPoint")),
        )
        point.functions = functions
        try:
            text = control.get_access_point_policy_for_object_lambda(AccountId=account, Name=name)["Policy"]
            document = json.loads(text)
            if not isinstance(document, dict):
                raise ValueError(f"the policy of Object Lambda Access Point {name} is not a JSON object")
            point.policy = document
        except ClientError as err:
            if _code(err) != "NoSuchAccessPointPolicy":
                raise
        found.append(point)
    return found


#: Reads a role's identity policies and boundary (``role_paths.read_role_policies`` bound to a target).
RoleReader = Callable[[str], "tuple[list[Policy], Policy | None]"]


def read_point_functions(
    lambda_client: Any, points: Sequence[ObjectLambdaPoint], account: str, roles: RoleReader
) -> None:
    """Each point function's execution role (GetFunctionConfiguration) and that role's permissions, in place.

    A function of another account, or one whose configuration or role cannot be read, keeps an ``error``."""
    for function in (f for p in points for f in p.functions):
        owner = function.arn.split(":")[4] if function.arn.count(":") >= 6 else account
        if owner != account:
            function.error = f"it belongs to account {owner}, outside account {account}: its role is out of sight"
            continue
        try:
            function.role = str(lambda_client.get_function_configuration(FunctionName=function.arn)["Role"])
        except ClientError as err:
            if _code(err) == "ResourceNotFoundException":
                function.gone = True
            else:
                function.error = f"could not read it (GetFunctionConfiguration): {err}"
            continue
        except BotoCoreError as err:
            function.error = f"could not read it (GetFunctionConfiguration): {err}"
            continue
        if function.role.split(":")[4:5] != [account]:
            function.error = f"it runs as role {function.role} of another account: its permissions are out of sight"
            continue
        try:
            function.identity, function.boundary = roles(function.role)
        except (ClientError, BotoCoreError, ValueError) as err:
            function.error = f"could not read the permissions of its role {function.role}: {err}"


# -- judging ---------------------------------------------------------------------------------------


def _resources(point: ObjectLambdaPoint, action: str) -> tuple[str, ...]:
    """The ARNs a call of ``action`` through the point may be authorized on: the point, and for an object read its
    objects too (``<point>/object/*``), so a policy written either way counts."""
    return (point.arn,) if action == OBJECT_LAMBDA_LIST else (point.arn, f"{point.arn}/object/*")


def may_call(lister: Lister, point: ObjectLambdaPoint, action: str = OBJECT_LAMBDA_LIST) -> list[str]:
    """The statements letting ``lister`` call ``action`` through the point (empty: it may not). Within the account
    its IAM (under its boundary) or a statement of the point's policy naming it allow; one naming the account only
    delegates to IAM; any explicit Deny wins. Conditions lean as elsewhere (an Allow counts, a Deny does not)."""
    found: list[str] = []
    for resource in _resources(point, action):
        iam = decide(lister.identity, lister.boundary, action, resource)
        matches = [
            replace(m, policy_of="the policy of Object Lambda Access Point")
            for i, s in enumerate(bucket_policy_statements(point.policy or {}))
            if (m := bucket_statement_match(s, point.name, i, lister.who, action, resource)) is not None
        ]
        if any(m.effect == "Deny" for m in matches) or iam.denies or iam.boundary_denies:
            continue
        found += [m.describe() for m in matches if m.effect == "Allow" and (m.reach == "direct" or iam.allowed)]
        found += [m.describe() for m in iam.allows] if iam.allowed else []
    return list(dict.fromkeys(found))


def _outsiders(point: ObjectLambdaPoint, account_id: str, action: str) -> list[tuple[str, str]]:
    """(principal, statement) pairs of the point's policy letting principals outside the account call ``action``
    through it."""
    statements = bucket_policy_statements(point.policy or {})
    found: dict[tuple[str, str], None] = {}
    for resource in _resources(point, action):
        for index, statement in enumerate(statements):
            if not statement_allows(statement, action, resource):
                continue
            sid = str(statement.get("Sid") or f"#{index + 1}")
            for who in outside_principals(statement, account_id):
                if not denied_to(statements, who, action, resource):
                    hedge = " (Condition not evaluated)" if statement.get("Condition") else ""
                    statement_text = f"statement {sid} of the policy of Object Lambda Access Point {point.name}{hedge}"
                    found[(who, statement_text)] = None
    return list(found)


def entrants(
    point: ObjectLambdaPoint, callers: Sequence[tuple[Lister, str]], account_id: str, action: str
) -> list[tuple[str, str]]:
    """(who, the statement allowing it) for each caller (a ``Lister`` and how a reason introduces it) or principal
    outside the account that may call ``action`` through the point."""
    found: list[tuple[str, str]] = []
    for lister, intro in callers:
        if allowed := may_call(lister, point, action):
            found.append((intro or lister.name, allowed[0]))
    for outsider, statement in _outsiders(point, account_id, action):
        name = outsider if outsider != ANYONE else "anyone (*)"
        found.append((f"{name}, outside account {account_id},", statement))
    return found


#: Judges what a function's role opens (problems, unknowns), the role given as a ``Lister`` named ``its role ...``.
RoleJudge = Callable[[Lister], "tuple[list[str], list[str]]"]


def _judged(
    points: Sequence[ObjectLambdaPoint],
    callers: Sequence[tuple[Lister, str]],
    account_id: str,
    action: str,
    kinds: frozenset[str],
    verb: str,
    judge: RoleJudge,
) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """(problems, unknowns, evidence): who may call ``action`` on a point whose function (answering ``kinds``) runs
    as a role ``judge`` finds opening hidden values; a function whose role was not read is an unknown."""
    problems: list[str] = []
    unknowns: list[str] = []
    evidence: list[dict[str, Any]] = []
    for point in points:
        functions = point.answering(kinds)
        entering = entrants(point, callers, account_id, action) if functions else []
        for function in functions if entering else []:
            evidence.append(
                {"object_lambda_access_point": point.arn, "callers": [e[0] for e in entering], **function.to_dict()}
            )
            answers = "/".join(a for a in function.actions if a in kinds)
            how = f"{answers} transformation runs function {function.arn}"
            if function.error is not None or function.identity is None:
                why = function.error or "its role's permissions were not read"
                for who, by in entering:
                    unknowns.append(
                        f"{who} may call {action} on Object Lambda Access Point {point.name} ({by} allows it), whose "
                        f"{how}, and what that function may {verb} was not judged ({why})"
                    )
                continue
            role = Lister(
                function.identity,
                function.boundary,
                Principal(str(function.role), account_id),
                f"its role {function.role}",
            )
            found, unknown = judge(role)
            for who, by in entering:
                lead = (
                    f"{who} may call {action} on Object Lambda Access Point {point.name} ({by} allows it), "
                    f"whose {how} and answers with what it {verb}s"
                )
                problems += [f"{lead}: {p}" for p in found]
                unknowns += [f"{lead}: {u}" for u in unknown]
    return problems, unknowns, evidence


def object_lambda_problems(
    points: Sequence[ObjectLambdaPoint],
    callers: Sequence[tuple[Lister, str]],
    policies: Mapping[str, Mapping[str, Any] | None],
    listed: Mapping[str, BucketKeys],
    access_points: Mapping[str, Sequence[AccessPoint]],
    account_id: str,
) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """(problems, unknowns, evidence): callers (a ``Lister`` and how a reason introduces it) or principals outside
    the account that may list through an Object Lambda Access Point whose listing function's role lists lake key
    names showing hidden values."""

    def lists(role: Lister) -> tuple[list[str], list[str]]:
        found, unknown, _ = listing_problems(role, policies, listed, access_points)
        return found, unknown

    return _judged(points, callers, account_id, OBJECT_LAMBDA_LIST, LIST_TRANSFORMATIONS, "list", lists)


def object_lambda_read_problems(
    points: Sequence[ObjectLambdaPoint],
    callers: Sequence[tuple[Lister, str]],
    account_id: str,
    reads: Callable[[Lister], list[str]],
) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """(problems, unknowns, evidence): callers or principals outside the account that may get objects through an
    Object Lambda Access Point whose GetObject/HeadObject function runs as a role that may read lake files holding
    hidden columns (``reads``: the object-read judges over a role, as for a role the analyst can act as)."""
    return _judged(
        points, callers, account_id, OBJECT_LAMBDA_GET, OBJECT_TRANSFORMATIONS, "read", lambda r: (reads(r), [])
    )
