"""Roles the analyst can act as, and ways it can raise its own permissions (exit check 6).

Lake Formation and the lake buckets can be shut to the analyst role and still be open to it: the
analyst may become another role of the account that reads the lake, or rewrite permissions.
This module finds those paths with the same IAM reading as ``iam_access`` (moto has no policy
simulator, and AWS's would not see the trust policies together):

- **assume**: role R's trust policy lets the principal call ``sts:AssumeRole``. A trust statement
  naming the principal (the role, its sessions, ``*``) is enough on its own within the account; one
  naming the account (``arn:aws:iam::<account>:root``) delegates, so the principal's identity
  policies (and boundary) must allow ``sts:AssumeRole`` on R too. Any explicit Deny wins;
- **retrust**: the principal may ``iam:UpdateAssumeRolePolicy`` on R, so it can make R trust it;
- **pass**: the principal may ``iam:PassRole`` R, and R trusts a service: a job or function of
  that service the principal starts runs as R. Exit check 6 counts PassRole alone; with
  ``launch`` (exit check 7) the principal must also be allowed an action that makes the service
  run something as a passed role (``LAUNCHES``: ``lambda:CreateFunction``, ``glue:CreateJob``, ...;
  a service not listed there counts on PassRole alone, named so).
- **runs**: the principal may ``lambda:UpdateFunctionCode`` an existing function whose execution
  role is R: its code runs as R at the next invocation, and replacing code needs no ``iam:PassRole``
  (Rhino Security Labs' "updating the code of an existing Lambda function"); or
  ``lambda:UpdateFunctionConfiguration`` it, which sets its layers and handler (code from a layer
  of any account that shares it) and its ``AWS_LAMBDA_EXEC_WRAPPER``. Functions of the
  stack's region are read (ListFunctions); a function in another region is not seen.

Paths chain (analyst -> R1 -> R2), found breadth-first. Escalation in place: a principal on a
path may ``iam:PutRolePolicy``/``AttachRolePolicy`` on a role of the path (itself included), replace or
drop its permissions boundary, or ``iam:CreatePolicyVersion``/``SetDefaultPolicyVersion`` of a
customer managed policy attached to one (or its boundary): that role then may do anything. ``iam:DeleteRolePolicy``/
``DetachRolePolicy`` on a role with a Deny in such a policy lifts that Deny (``rewrites``: every such way, for a
user too: its own policies, its groups' and joining a group, ``iam:AddUserToGroup``). Or it may
``lakeformation:PutDataLakeSettings`` and make itself a data lake admin. Identity policies' conditions are not
evaluated (an Allow with one counts), as in ``iam_access``; a trust policy's are, on the keys certain for the
principal's request (``iam_access.condition_for``), as for bucket policies.

Escalation by a principal of its own making or taking: it may ``iam:CreateRole`` (trusting itself,
set at creation) and give that role permissions (``PutRolePolicy``/``AttachRolePolicy`` on it); or
``iam:CreateUser``, give it permissions and ``iam:CreateAccessKey`` for it; or mint credentials of
an existing user (``CreateAccessKey``, ``CreateLoginProfile``, ``UpdateLoginProfile``): acting as any user is
named, whatever it may do. ``users_reached`` also makes such a user a node of the path (``mints``) so that exit
check 6 can name what its permissions (inline, attached, its groups', boundary) open: Athena histories, S3, Lake
Formation grants; the user's own edges (roles it assumes) are not followed. The new role or user's ARN is tried as
each Resource pattern the principal's Allow statements name (wildcards filled in) and as a plain
name, so a grant limited to ``role/scratch-*`` is found too.

``reachable`` and ``escalations`` are pure over the roles read; ``read_roles`` and
``read_role_policies`` talk to IAM.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse.checks.iam_access import (
    Decision,
    Policy,
    Principal,
    action_matches,
    bucket_policy_statements,
    condition_for,
    decide,
    principal_reach,
)
from lakehouse.target import Target

ASSUME = "sts:AssumeRole"
#: What puts session tags on a role session (the assumer asks for them; the role's trust policy must allow it).
TAG_SESSION = "sts:TagSession"
#: What rewrites a role's own permissions (on the role's ARN).
ROLE_REWRITES = ("iam:PutRolePolicy", "iam:AttachRolePolicy")
#: What removes one of a role's policies (on the role's ARN), by the source prefix of the policies it removes:
#: it raises the role's permissions when such a policy holds a Deny.
DENY_REMOVALS = {"iam:DeleteRolePolicy": "inline policy ", "iam:DetachRolePolicy": "attached policy "}
#: What replaces or drops a role's permissions boundary (matters only when it has one).
BOUNDARY_REWRITES = ("iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary")
#: What rewrites a customer managed policy attached to a role (on the policy's ARN).
POLICY_REWRITES = ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion")
#: What replaces a Lambda function's code (on the function's ARN); it keeps running as its role.
UPDATE_CODE = "lambda:UpdateFunctionCode"
#: What runs code of the caller's choosing as an existing function's role (on the function's ARN): new code, or
#: new layers, handler and exec wrapper (UpdateFunctionConfiguration).
RUN_AS_FUNCTION = (UPDATE_CODE, "lambda:UpdateFunctionConfiguration")
#: What makes a service run something of the caller's choosing as a role passed to it (iam:PassRole alone runs
#: nothing), by service principal: creating, or re-roling, its function, job, instance, task, build, stack,
#: state machine or schedule (Rhino Security Labs, "AWS IAM privilege escalation methods").
LAUNCHES: Mapping[str, tuple[str, ...]] = {
    "lambda.amazonaws.com": ("lambda:CreateFunction", "lambda:UpdateFunctionConfiguration"),
    "glue.amazonaws.com": ("glue:CreateJob", "glue:UpdateJob", "glue:CreateDevEndpoint", "glue:CreateSession"),
    "ec2.amazonaws.com": (
        "ec2:RunInstances",
        "ec2:AssociateIamInstanceProfile",
        "ec2:ReplaceIamInstanceProfileAssociation",
    ),
    "ecs-tasks.amazonaws.com": ("ecs:RunTask", "ecs:StartTask", "ecs:RegisterTaskDefinition"),
    "codebuild.amazonaws.com": ("codebuild:CreateProject", "codebuild:UpdateProject", "codebuild:StartBuild"),
    "cloudformation.amazonaws.com": (
        "cloudformation:CreateStack",
        "cloudformation:UpdateStack",
        "cloudformation:CreateChangeSet",
    ),
    "states.amazonaws.com": ("states:CreateStateMachine", "states:UpdateStateMachine"),
    "sagemaker.amazonaws.com": (
        "sagemaker:CreateNotebookInstance",
        "sagemaker:CreateTrainingJob",
        "sagemaker:CreateProcessingJob",
    ),
    "scheduler.amazonaws.com": ("scheduler:CreateSchedule", "scheduler:UpdateSchedule"),
    "events.amazonaws.com": ("events:PutTargets",),
}
#: What makes the caller a data lake admin (Lake Formation checks IAM alone for it).
LF_ADMIN = "lakeformation:PutDataLakeSettings"
#: What gives a user permissions (on the user's ARN).
USER_REWRITES = ("iam:PutUserPolicy", "iam:AttachUserPolicy")
#: What gives a group's members permissions (on the group's ARN).
GROUP_REWRITES = ("iam:PutGroupPolicy", "iam:AttachGroupPolicy")
#: What removes a group's policies from one member (RemoveUserFromGroup) or from all (on the group's ARN), by the
#: source prefix of the policies it removes (None: all of the group's).
GROUP_REMOVALS: Mapping[str, str | None] = {
    "iam:RemoveUserFromGroup": None,
    "iam:DeleteGroupPolicy": "inline policy ",
    "iam:DetachGroupPolicy": "attached policy ",
}
#: What puts a user into a group (on the group's ARN): the group's policies become the user's.
JOIN_GROUP = "iam:AddUserToGroup"
#: Every action by which a principal may raise a role's or user's permissions in place (``rewrites``), or make or
#: take a principal of its own (``_made_or_taken``): a principal allowed none of them, on any resource, escalates
#: nothing.
RAISING = (
    *ROLE_REWRITES,
    *DENY_REMOVALS,
    *BOUNDARY_REWRITES,
    *POLICY_REWRITES,
    *USER_REWRITES,
    "iam:DeleteUserPolicy",
    "iam:DetachUserPolicy",
    "iam:PutUserPermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
    *GROUP_REWRITES,
    *GROUP_REMOVALS,
    JOIN_GROUP,
    "iam:CreateRole",
    "iam:CreateUser",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
)
#: What mints credentials to act as a user (on the user's ARN).
USER_CREDENTIALS = ("iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile")
#: Name of the role or user a principal would make, where its policies name no pattern.
PROBE_NAME = "lakehouse-escalation-probe"


@dataclass
class RoleInfo:
    """One role of the account: its trust policy, and its permissions once read (None: not read)."""

    #: What evidence and reasons call it.
    kind: ClassVar[str] = "role"

    arn: str
    trust: Mapping[str, Any]
    identity: list[Policy] | None = None
    boundary: Policy | None = None
    #: ARNs of the Lambda functions running as this role (their code, once replaced, runs as it).
    functions: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    def managed_policies(self) -> list[str]:
        """Customer managed policies attached to the role (AWS managed ones cannot be rewritten)."""
        return [a for p in self.identity or [] if _customer_managed(a := _policy_arn(p.source))]

    def service_principals(self) -> list[str]:
        """Services the trust policy lets assume the role (what a passed role can run under)."""
        found: list[str] = []
        for s in bucket_policy_statements(self.trust):
            principal = s.get("Principal")
            if s.get("Effect") == "Allow" and isinstance(principal, Mapping):
                value = principal.get("Service")
                found += [value] if isinstance(value, str) else [str(v) for v in value or []]
        return found


@dataclass
class UserInfo:
    """An IAM user a principal on a path may mint credentials of: its permissions, as ``read_user_policies`` reads
    them (its own, its groups', its boundary); ``[]`` when they could not be read (an error says so)."""

    kind: ClassVar[str] = "user"

    arn: str
    identity: list[Policy] | None = None
    boundary: Policy | None = None

    @property
    def name(self) -> str:
        return self.arn.rsplit("/", 1)[-1]


#: A principal the analyst can act as: a role it becomes, or a user whose credentials it mints.
Holder = RoleInfo | UserInfo


@dataclass(frozen=True)
class Edge:
    """One step of a path: ``source`` becomes ``target`` (``kind``: assumes, retrusts, passes, runs, mints: the
    target is a user whose credentials the source makes), and why."""

    source: str
    target: str
    kind: str
    via: tuple[str, ...]

    def describe(self) -> str:
        verb = {
            "assumes": "assumes it",
            "retrusts": "may rewrite its trust policy to trust itself",
            "passes": "may pass it to a service that runs as it",
            "runs": "may replace the code of a function that runs as it",
            "mints": "may make credentials of it",
        }[self.kind]
        return f"{verb}: {'; '.join(self.via)}"


@dataclass
class Actor:
    """A principal on a path: the analyst role or a role it reaches, with its identity policies."""

    arn: str
    identity: Sequence[Policy]
    boundary: Policy | None


def _short(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def path_text(analyst: str, path: Sequence[Edge], who: str = "analyst") -> str:
    """``analyst -> role X (assumes it: ...) -> user Y (...)`` (``who``: what the first principal is called)."""
    steps = [f"{'user' if e.kind == 'mints' else 'role'} {_short(e.target)} ({e.describe()})" for e in path]
    return " -> ".join([f"{who} {_short(analyst)}", *steps])


def trust_reach(role: RoleInfo, who: Principal) -> tuple[list[str], list[str], bool]:
    """(statements letting ``who`` in directly, statements delegating to the account, an explicit Deny)."""
    direct: list[str] = []
    account: list[str] = []
    denied = False
    for index, s in enumerate(bucket_policy_statements(role.trust)):
        effect = s.get("Effect")
        actions = s.get("Action") or []
        if "NotAction" in s or not action_matches([actions] if isinstance(actions, str) else actions, ASSUME):
            continue
        reach, principal = principal_reach(s, who)
        holds, unevaluated = condition_for(s, who, role.arn)
        if reach is None or holds is False:
            continue
        sid = str(s.get("Sid") or f"#{index + 1}")
        hedge = f" (counted as matching: {unevaluated})" if unevaluated else ""
        where = f"statement {sid} of the trust policy of {role.name} ({principal}){hedge}"
        if effect == "Deny":
            # A Deny naming the account applies to every principal of it, as one naming the principal does.
            denied = denied or (holds is True and "NotPrincipal" not in s)
        elif effect == "Allow":
            (direct if reach == "direct" else account).append(where)
    return direct, account, denied


def tagging_statements(role: RoleInfo, source: Actor | None = None, account_id: str = "") -> list[str]:
    """Statements of the role's trust policy letting ``source`` tag the sessions it opens of the role
    (``sts:TagSession``): naming it, or the account with its identity policies allowing it. Without ``source``:
    those letting anyone who assumes the role tag its sessions. A Condition is evaluated for ``source``'s request as for
    AssumeRole (``iam_access.condition_for``); without ``source`` it is not."""
    who = Principal(source.arn, account_id) if source is not None else None
    found: list[str] = []
    for index, s in enumerate(bucket_policy_statements(role.trust)):
        actions = s.get("Action") or []
        if s.get("Effect") != "Allow" or "NotAction" in s:
            continue
        if not action_matches([actions] if isinstance(actions, str) else actions, TAG_SESSION):
            continue
        principal = str(s.get("Principal"))
        hedge = " (counted as matching: Condition not evaluated)" if s.get("Condition") else ""
        if who is not None and source is not None:
            reach, principal = principal_reach(s, who)
            allowed = decide(source.identity, source.boundary, TAG_SESSION, role.arn).allowed
            holds, unevaluated = condition_for(s, who, role.arn)
            if reach is None or (reach == "account" and not allowed) or holds is False:
                continue
            hedge = f" (counted as matching: {unevaluated})" if unevaluated else ""
        found.append(
            f"statement {s.get('Sid') or f'#{index + 1}'} of the trust policy of {role.name} ({principal}){hedge}"
        )
    return found


def _because(decision: Decision) -> tuple[str, ...]:
    return tuple(f"{m.describe()} allows {decision.action} on {decision.resource}" for m in decision.allows)


def _resources_to_try(actor: Actor, action: str) -> list[str]:
    """Resources to ask ``action`` on where it makes something new (a function, a job): each Resource pattern the
    actor's Allows of it name, wildcards filled in, and a probe name (a grant limited to ``function:scratch-*``
    counts, a Deny of every name wins)."""
    found = {PROBE_NAME}
    for policy in actor.identity:
        for statement in policy.statements():
            actions = statement.get("Action") or []
            if statement.get("Effect") != "Allow" or not action_matches(
                [actions] if isinstance(actions, str) else actions, action
            ):
                continue
            resources = statement.get("Resource") or []
            for pattern in [resources] if isinstance(resources, str) else resources:
                found.add(str(pattern).replace("*", PROBE_NAME).replace("?", "x"))
    return sorted(found)


def launching(source: Actor, services: Sequence[str]) -> tuple[str, ...] | None:
    """Why ``source`` may make one of ``services`` run something as a role it passes (``LAUNCHES``), or None: it
    may not. A service ``LAUNCHES`` does not know counts (PassRole to it is not shown harmless)."""
    for service in services:
        actions = LAUNCHES.get(service)
        if actions is None:
            return (f"no action of {service} is known to the check: PassRole to it counted on its own",)
        for action in actions:
            for resource in _resources_to_try(source, action):
                decision = decide(source.identity, source.boundary, action, resource)
                if decision.allowed:
                    return _because(decision)
    return None


def edges_from(source: Actor, account_id: str, roles: Mapping[str, RoleInfo], launch: bool = False) -> list[Edge]:
    """Every role ``source`` can become in one step (itself left out), in ARN order (``launch``: passing a role
    needs an action that makes its service run something, ``launching``)."""
    who = Principal(source.arn, account_id)
    edges: list[Edge] = []
    for arn in sorted(roles):
        if arn == source.arn:
            continue
        role = roles[arn]
        assume = decide(source.identity, source.boundary, ASSUME, arn)
        explicit = bool(assume.denies or assume.boundary_denies)
        direct, through_account, trust_denied = trust_reach(role, who)
        if not explicit and not trust_denied and (direct or (through_account and assume.allowed)):
            via = tuple(direct) or (*through_account, *_because(assume))
            edges.append(Edge(source.arn, arn, "assumes", via))
            continue
        retrust = decide(source.identity, source.boundary, "iam:UpdateAssumeRolePolicy", arn)
        if retrust.allowed:
            edges.append(Edge(source.arn, arn, "retrusts", _because(retrust)))
            continue
        services = role.service_principals()
        passing = decide(source.identity, source.boundary, "iam:PassRole", arn)
        started = (launching(source, services) if launch else ()) if services and passing.allowed else None
        if started is not None:
            via = (*_because(passing), f"it trusts {', '.join(services)}", *started)
            edges.append(Edge(source.arn, arn, "passes", via))
            continue
        runs = next(
            (
                (function, update)
                for function in role.functions
                for action in RUN_AS_FUNCTION
                if (update := decide(source.identity, source.boundary, action, function)).allowed
            ),
            None,
        )
        if runs is not None:
            edges.append(Edge(source.arn, arn, "runs", (*_because(runs[1]), f"function {runs[0]} runs as it")))
    return edges


def reachable(
    analyst: Actor, account_id: str, roles: Mapping[str, RoleInfo], launch: bool = False
) -> dict[str, list[Edge]]:
    """Role -> the shortest path (breadth-first, ARN order) by which the analyst becomes it (``launch``: as for
    ``edges_from``).

    A role whose policies are not read yet is a dead end here (its own edges are unknown).
    """
    paths: dict[str, list[Edge]] = {}
    frontier = [analyst]
    while frontier:
        following: list[Actor] = []
        for source in frontier:
            base = paths.get(source.arn, [])
            for edge in edges_from(source, account_id, roles, launch):
                if edge.target in paths or edge.target == analyst.arn:
                    continue
                paths[edge.target] = [*base, edge]
                role = roles[edge.target]
                if role.identity is not None:
                    following.append(Actor(role.arn, role.identity, role.boundary))
        frontier = following
    return paths


def users_reached(
    analyst: Actor, roles: Mapping[str, RoleInfo], paths: Mapping[str, Sequence[Edge]], users: Iterable[str]
) -> dict[str, list[Edge]]:
    """User -> the shortest path by which the analyst acts as it: the analyst, or a role it reaches (``paths``,
    shortest first), may make the user's credentials (``USER_CREDENTIALS`` on its ARN), the last edge ``mints``.
    A user is a path's end here: roles it could assume are not followed (``made_or_taken`` names acting as it)."""
    actors = [(analyst, list[Edge]())] + [
        (Actor(arn, roles[arn].identity or [], roles[arn].boundary), list(path))
        for arn, path in sorted(paths.items(), key=lambda item: (len(item[1]), item[0]))
        if roles[arn].identity
    ]
    found: dict[str, list[Edge]] = {}
    for user in sorted(set(users)):
        for actor, path in actors:
            mint = _first_allowed(actor, USER_CREDENTIALS, user)
            if mint is not None:
                found[user] = [*path, Edge(actor.arn, user, "mints", _because(mint))]
                break
    return found


#: How many roles deep ``reaching`` follows a chain of roles (each role of the account is a hop at most once).
MAX_HOPS = 5


def reaching(
    targets: Collection[str],
    actors: Sequence[Actor],
    account_id: str,
    roles: Mapping[str, RoleInfo],
    kinds: Collection[str] = ("assumes",),
    max_hops: int = MAX_HOPS,
    launch: bool = False,
) -> dict[str, list[Edge]]:
    """Actor -> the shortest path (edges of ``kinds`` from ``edges_from``, at most ``max_hops``) by which it becomes
    one of the roles ``targets``: ``reachable`` run backwards, from the roles to whoever reaches them, so one search
    answers for every actor. An actor that is a role (in ``roles``) is a target of the next hop; ``targets``
    themselves are left out (``launch``: as for ``edges_from``)."""
    paths: dict[str, list[Edge]] = {}
    frontier = {arn: list[Edge]() for arn in sorted(targets) if arn in roles}
    for _ in range(max_hops):
        step = {arn: roles[arn] for arn in frontier}
        following: dict[str, list[Edge]] = {}
        for actor in actors:
            if actor.arn in paths or actor.arn in targets:
                continue
            edge = next((e for e in edges_from(actor, account_id, step, launch) if e.kind in kinds), None)
            if edge is not None:
                paths[actor.arn] = [edge, *frontier[edge.target]]
                if actor.arn in roles:
                    following[actor.arn] = paths[actor.arn]
        if not following:
            break
        frontier = following
    return paths


@dataclass
class Escalation:
    """A principal on a path that may rewrite a role of the path, make itself a data lake admin, or
    make or take a principal with permissions of its choosing (``gains``: what that gives it)."""

    actor: str
    action: str
    resource: str
    via: list[str] = field(default_factory=list)
    gains: str = ""


@dataclass(frozen=True)
class Rewrite:
    """One way to raise a role's or user's permissions in place: ``action`` on ``resource`` gives it ``adds`` (None:
    any policy of the caller's choosing), takes away the policies whose sources are ``removes`` (their Denies and
    Allows with them), or drops its permissions boundary (``unbounds``); ``gains``: why it raises them, where not
    plain."""

    action: str
    resource: str
    adds: tuple[Policy, ...] | None = ()
    removes: tuple[str, ...] = ()
    unbounds: bool = False
    gains: str = ""
    #: The ARN of the group a user joins by it (``""``: none): a group it may rewrite from then on, empty ones too.
    joins: str = ""
    #: The ARN of the group a user leaves by it (``""``: none): all of that group's policies go with it.
    leaves: str = ""


def _policy_arn(source: str) -> str:
    """The ARN of an attached policy (``attached policy <arn>[ of group <name>]``), or ``""``."""
    rest = source.removeprefix("attached policy ")
    return "" if rest == source else rest.split(" of group ", 1)[0]


def _customer_managed(arn: str) -> bool:
    """Whether ``arn`` is a customer managed policy (an AWS managed one, account ``aws``, cannot be rewritten)."""
    return arn.startswith("arn:") and arn.split(":")[4:5] not in (["aws"], [""])


def rewrites(
    arn: str,
    kind: str,
    identity: Sequence[Policy],
    boundary: Policy | None,
    groups: Mapping[str, Sequence[Policy]] | None = None,
    member_of: Sequence[str] = (),
) -> list[Rewrite]:
    """Every way to raise the permissions of the ``kind`` (role, user) ``arn``: rewrite its policies (a customer
    managed one by a new default version) or boundary, remove a policy holding a Deny, and for a user those of the
    groups it is in (``member_of``: their ARNs as IAM returns them, empty groups too) and joining another of
    ``groups`` (group ARN -> its policies)."""
    verb = kind.capitalize()
    own = [p for p in identity if " of group " not in p.source]
    inline = [p for p in own if p.source.startswith("inline policy ")]
    found = [
        Rewrite(f"iam:Put{verb}Policy", arn, None, _holding_denies(inline)),  # a Put of a held name replaces it
        Rewrite(f"iam:Attach{verb}Policy", arn, None),
    ]
    if boundary is not None:
        found += [Rewrite(f"iam:{a}{verb}PermissionsBoundary", arn, unbounds=True) for a in ("Put", "Delete")]
        if _customer_managed(held := boundary.source.removeprefix("permissions boundary ")):
            found += [Rewrite(a, held, unbounds=True) for a in POLICY_REWRITES]
    for policy in identity:
        if _customer_managed(held := _policy_arn(policy.source)):
            found += [Rewrite(a, held, None, (policy.source,)) for a in POLICY_REWRITES]
    for action, prefix in (
        (f"iam:Delete{verb}Policy", "inline policy "),
        (f"iam:Detach{verb}Policy", "attached policy "),
    ):
        found += _removals(action, arn, [p for p in own if p.source.startswith(prefix)])
    if kind == "user":
        found += _group_rewrites(arn, identity, groups or {}, member_of)
    return found


def _removals(action: str, resource: str, policies: Iterable[Policy]) -> list[Rewrite]:
    """One ``action`` on ``resource`` a policy: each of ``policies`` that holds a Deny removed whole (its Allows with
    it; one call removes one policy)."""
    return [
        Rewrite(
            action, resource, removes=(p.source,), gains=f"it can remove {'; '.join(denies)}, and what it denies opens"
        )
        for p in policies
        if (denies := _denies([p]))
    ]


def _holding_denies(policies: Iterable[Policy]) -> tuple[str, ...]:
    """The sources of ``policies`` that hold a Deny (what removing or replacing them lifts)."""
    return tuple(p.source for p in policies if _denies([p]))


def _group_rewrites(
    user: str, identity: Sequence[Policy], groups: Mapping[str, Sequence[Policy]], member_of: Sequence[str]
) -> list[Rewrite]:
    """A user's ways in place through groups: rewriting or leaving one it is in (on the ARN IAM returns, under its
    path: a group with no policy yet counts, a policy may be put on it), joining another. A group policy (source
    ``... of group <name>``) of a group not in ``member_of`` is a readback that contradicts itself: ValueError."""
    by_name = {group.rsplit("/", 1)[-1]: group for group in member_of}  # group names are unique in an account
    held: dict[str, list[Policy]] = {group: [] for group in member_of}
    for policy in identity:
        if " of group " in policy.source:
            name = policy.source.rsplit(" of group ", 1)[1]
            if name not in by_name:
                raise ValueError(
                    f"user {user}: policy {policy.source!r} names group {name}, which is not one of its groups "
                    f"({', '.join(member_of) or 'none'})"
                )
            held[by_name[name]].append(policy)
    found: list[Rewrite] = []
    for group, its in sorted(held.items()):
        found += [Rewrite(a, group, None) for a in GROUP_REWRITES]
        for action, prefix in GROUP_REMOVALS.items():
            if prefix is not None:
                found += _removals(action, group, [p for p in its if p.source.startswith(prefix)])
            elif denies := _denies(its):  # leaving drops every policy of the group, its Allows too
                gains = f"it can leave the group, and what {'; '.join(denies)} denies opens"
                found.append(Rewrite(action, group, removes=tuple(p.source for p in its), gains=gains, leaves=group))
    for group, policies in sorted(groups.items()):
        if group not in held:
            found.append(Rewrite(JOIN_GROUP, group, tuple(policies), gains=f"it can join group {group}", joins=group))
    return found


def escalations(
    analyst: Actor,
    roles: Mapping[str, RoleInfo],
    paths: Mapping[str, Sequence[Edge]],
    users: Sequence[str] = (),
) -> list[Escalation]:
    """What each principal the analyst is or becomes may do to raise permissions (``users``: the account's)."""
    on_path = [analyst] + [
        Actor(arn, roles[arn].identity or [], roles[arn].boundary)
        for arn in sorted(paths)
        if roles[arn].identity is not None
    ]
    found: list[Escalation] = []
    for actor in on_path:
        tries = [(LF_ADMIN, "*", "")]
        for target in on_path:
            tries += [
                (r.action, r.resource, r.gains) for r in rewrites(target.arn, "role", target.identity, target.boundary)
            ]
        for action, resource, gains in tries:
            decision = decide(actor.identity, actor.boundary, action, resource)
            if decision.allowed:
                found.append(Escalation(actor.arn, action, resource, [m.describe() for m in decision.allows], gains))
        found += made_or_taken(actor, users)
    return found


def _denies(policies: Iterable[Policy]) -> list[str]:
    """The Deny statements of ``policies``, named as in a reason."""
    return [
        f"statement {st.get('Sid') or f'#{i + 1}'} of {p.source}"
        for p in policies
        for i, st in enumerate(p.statements())
        if st.get("Effect") == "Deny"
    ]


def _first_allowed(actor: Actor, actions: Sequence[str], resource: str) -> Decision | None:
    for action in actions:
        decision = decide(actor.identity, actor.boundary, action, resource)
        if decision.allowed:
            return decision
    return None


def _new_principal_arns(actor: Actor, kind: str) -> list[str]:
    """ARNs of a ``kind`` (role, user) the actor could make: each Resource pattern its Allows name, filled in."""
    account, partition = actor.arn.split(":")[4], actor.arn.split(":")[1]
    found = {f"arn:{partition}:iam::{account}:{kind}/{PROBE_NAME}"}
    for policy in actor.identity:
        for statement in policy.statements():
            resources = statement.get("Resource") or []
            for pattern in [resources] if isinstance(resources, str) else resources:
                filled = str(pattern).replace("*", "x").replace("?", "x")
                if statement.get("Effect") == "Allow" and f":{kind}/" in filled:
                    found.add(filled)
    return sorted(found)


def made_or_taken(actor: Actor, users: Sequence[str]) -> list[Escalation]:
    """A role or user the actor may create and empower (and act as), or an existing user it may act as."""
    found: list[Escalation] = []
    for arn in _new_principal_arns(actor, "role"):
        create = decide(actor.identity, actor.boundary, "iam:CreateRole", arn)
        empower = _first_allowed(actor, ROLE_REWRITES, arn) if create.allowed else None
        if empower is not None:
            via = [*_because(create), *_because(empower)]
            gains = "it can make a role trusting itself with any permission and act as it"
            found.append(Escalation(actor.arn, f"iam:CreateRole + {empower.action}", arn, via, gains))
            break
    for arn in _new_principal_arns(actor, "user"):
        create = decide(actor.identity, actor.boundary, "iam:CreateUser", arn)
        empower = _first_allowed(actor, USER_REWRITES, arn) if create.allowed else None
        keys = decide(actor.identity, actor.boundary, "iam:CreateAccessKey", arn) if empower else None
        if empower is not None and keys is not None and keys.allowed:
            via = [*_because(create), *_because(empower), *_because(keys)]
            gains = "it can make a user with any permission and act as it with the user's access key"
            action = f"iam:CreateUser + {empower.action} + iam:CreateAccessKey"
            found.append(Escalation(actor.arn, action, arn, via, gains))
            break
    for user in sorted(users):
        mint = _first_allowed(actor, USER_CREDENTIALS, user)
        if mint is not None:
            gains = "it can act as that user with credentials it makes (the user's permissions are not followed)"
            found.append(Escalation(actor.arn, mint.action, user, list(_because(mint)), gains))
    return found


# -- reading ---------------------------------------------------------------------------------------


def _policy_document(iam: Any, arn: str) -> Any:
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]


def _boundary(iam: Any, entity: Mapping[str, Any]) -> Policy | None:
    """The permissions boundary GetRole or GetUser shows (None: none)."""
    arn = (entity.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    return Policy.parse(f"permissions boundary {arn}", _policy_document(iam, arn)) if arn else None


def _policies_of(iam: Any, kind: str, name: str, of: str = "") -> list[Policy]:
    """The inline and attached policies (default versions) of the IAM ``kind`` (``role``, ``user``, ``group``)
    ``name``; ``of`` is added to each policy's source (``" of group admins"``)."""
    key = {f"{kind.capitalize()}Name": name}
    policies: list[Policy] = []
    for page in iam.get_paginator(f"list_{kind}_policies").paginate(**key):
        for policy_name in page.get("PolicyNames") or []:
            document = getattr(iam, f"get_{kind}_policy")(**key, PolicyName=policy_name)["PolicyDocument"]
            policies.append(Policy.parse(f"inline policy {policy_name}{of}", document))
    for page in iam.get_paginator(f"list_attached_{kind}_policies").paginate(**key):
        for attached in page.get("AttachedPolicies") or []:
            arn = attached["PolicyArn"]
            policies.append(Policy.parse(f"attached policy {arn}{of}", _policy_document(iam, arn)))
    return policies


def read_role_policies(target: Target, role_arn: str) -> tuple[list[Policy], Policy | None]:
    """The role's inline and attached policies (default versions) and its permissions boundary."""
    iam = target.client("iam")
    name = role_arn.rsplit("/", 1)[-1]
    role = iam.get_role(RoleName=name)["Role"]
    return _policies_of(iam, "role", name), _boundary(iam, role)


def read_user_policies(target: Target, user_name: str) -> tuple[list[Policy], Policy | None, list[str]]:
    """The user's inline and attached policies, those of each group it is in (IAM applies a group's policies to
    its members), its permissions boundary, and the ARNs of its groups (ListGroupsForUser's, under their paths),
    those with no policy too: a member may put one on them."""
    iam = target.client("iam")
    user = iam.get_user(UserName=user_name)["User"]
    policies = _policies_of(iam, "user", user_name)
    groups: list[str] = []
    for page in iam.get_paginator("list_groups_for_user").paginate(UserName=user_name):
        for group in page.get("Groups") or []:
            policies += _policies_of(iam, "group", group["GroupName"], f" of group {group['GroupName']}")
            groups.append(str(group["Arn"]))
    return policies, _boundary(iam, user), groups


def read_groups(target: Target) -> dict[str, list[Policy]]:
    """Every IAM group of the account (ListGroups, all pages) with its policies, as a member holds them (sources
    ``... of group <name>``): whom a user may join."""
    iam = target.client("iam")
    return {
        str(group["Arn"]): _policies_of(iam, "group", group["GroupName"], f" of group {group['GroupName']}")
        for page in iam.get_paginator("list_groups").paginate()
        for group in page.get("Groups") or []
    }


def read_roles(target: Target) -> dict[str, RoleInfo]:
    """Every role of the account (ListRoles, all pages) with its trust policy; permissions not read yet."""
    iam = target.client("iam")
    roles: dict[str, RoleInfo] = {}
    for page in iam.get_paginator("list_roles").paginate():
        for role in page.get("Roles") or []:
            trust = Policy.parse("trust policy", role.get("AssumeRolePolicyDocument") or {})
            roles[str(role["Arn"])] = RoleInfo(str(role["Arn"]), trust.document)
    return roles


def functions_by_role(target: Target) -> dict[str, list[str]]:
    """Execution role ARN -> the Lambda functions of the region that run as it (ListFunctions, all pages)."""
    found: dict[str, list[str]] = {}
    for page in target.client("lambda").get_paginator("list_functions").paginate():
        for function in page.get("Functions") or []:
            if function.get("Role") and function.get("FunctionArn"):
                found.setdefault(str(function["Role"]), []).append(str(function["FunctionArn"]))
    return found


def read_functions(target: Target, roles: Mapping[str, RoleInfo]) -> None:
    """Attach to each role the Lambda functions of the region that run as it (ListFunctions, all pages)."""
    for arn, functions in functions_by_role(target).items():
        if arn in roles:
            roles[arn].functions.extend(functions)


def read_users(target: Target) -> list[str]:
    """ARNs of every IAM user of the account (ListUsers, all pages): whose credentials a principal may mint."""
    iam = target.client("iam")
    return [str(u["Arn"]) for page in iam.get_paginator("list_users").paginate() for u in page.get("Users") or []]


def read_reached_users(target: Target, users: Iterable[str], errors: list[str]) -> dict[str, UserInfo]:
    """The permissions of each user in ``users`` (those the analyst can act as, ``users_reached``); a user whose
    policies cannot be read gets none and an error naming it (the check cannot pass without them)."""
    found: dict[str, UserInfo] = {}
    for arn in sorted(users):
        info = found[arn] = UserInfo(arn, [])
        try:
            info.identity, info.boundary, _groups = read_user_policies(target, info.name)
        except (ClientError, BotoCoreError, ValueError, KeyError) as err:
            errors.append(f"could not read the IAM policies of user {arn}, which the analyst can act as: {err}")
    return found


def read_reachable(
    target: Target, analyst: Actor, account_id: str, roles: dict[str, RoleInfo], errors: list[str]
) -> dict[str, list[Edge]]:
    """Read the permissions of every role the analyst reaches, hop by hop, until no new role is reached."""
    while True:
        paths = reachable(analyst, account_id, roles)
        unread = [arn for arn in sorted(paths) if roles[arn].identity is None]
        if not unread:
            return paths
        for arn in unread:
            try:
                roles[arn].identity, roles[arn].boundary = read_role_policies(target, arn)
            except (ClientError, BotoCoreError, ValueError, KeyError) as err:  # its edges stay unknown: noted
                roles[arn].identity = []
                errors.append(f"could not read the IAM policies of role {arn}, which the analyst reaches: {err}")
