"""Exit check 6's judging of the ways around Lake Formation: S3 reads by IAM and bucket policies, other accounts,
ACLs, access points, S3 Access Grants, CloudFront, and the roles (and users) the analyst can act as, each judge
handed the one ``Reach`` of the judgement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lakehouse.checks.cloudfront_routes import CloudFrontGrant, cloudfront_problems
from lakehouse.checks.history_readers import handed, history_read_problems
from lakehouse.checks.iam_access import Policy, Principal, bucket_policy_problems, object_read_problems
from lakehouse.checks.key_inventories import delivery_problems
from lakehouse.checks.key_lambdas import object_lambda_problems, object_lambda_read_problems
from lakehouse.checks.key_names import Lister, listing_problems, outsider_listing_problems
from lakehouse.checks.role_paths import (
    LF_ADMIN,
    Actor,
    Edge,
    RoleInfo,
    escalations,
    path_text,
    tagging_statements,
)
from lakehouse.checks.s3_routes import (
    access_grant_problems,
    access_point_problems,
    acl_problems,
    outsider_problems,
    replication_problems,
)
from lakehouse.checks.security_grants import principal_holders, role_grant_problems, tagged_session_problems
from lakehouse.checks.security_model import Reach, SecurityReadback, analyst_actor


def iam_problems(rb: SecurityReadback) -> tuple[list[str], list[dict[str, Any]]]:
    """The analyst reading lake objects from S3 (by its policies, or by S3's answer): Lake Formation never sees it."""
    problems, decisions = object_read_problems(rb.identity_policies, rb.boundary, rb.lake_objects)
    problems += [
        f"the analyst's HeadObject on {a['object']} (a file of {a['table']}) succeeded: "
        "S3 serves the lake's files to the analyst directly"
        for a in rb.object_probes
        if a.get("status") == "allowed"
    ]
    return problems, decisions


def bucket_problems(rb: SecurityReadback) -> tuple[list[str], list[dict[str, Any]]]:
    """A lake bucket's policy letting the analyst read objects (Lake Formation never sees the read)."""
    if not rb.account_id:
        return [], []
    who = Principal(rb.analyst_role_arn, rb.account_id)
    return bucket_policy_problems(rb.identity_policies, rb.boundary, who, rb.bucket_policies, rb.lake_objects)


def key_name_problems(rb: SecurityReadback, reach: Reach) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """(problems, unknowns, evidence): the analyst, a role it can act as, or a principal outside the account,
    listing a lake bucket (or through an access point of it) whose key names show hidden values (``key_names``: a
    partition folder ``ssn=.../`` is read without reading any file)."""
    if not rb.account_id:
        return [], [], []
    listers = callers(rb, reach)
    problems, unknowns, evidence = listing_problems(
        listers[0][0], rb.bucket_policies, rb.listed_keys, rb.routes.access_points
    )
    for (lister, _), (arn, path) in zip(listers[1:], sorted(_acting(rb, reach).items()), strict=True):
        role = rb.roles[arn]
        found, unknown, seen = listing_problems(lister, rb.bucket_policies, rb.listed_keys, rb.routes.access_points)
        route = path_text(rb.analyst_role_arn, path)
        problems += [f"the analyst role can act as role {role.name} ({route}), and {p}" for p in found]
        unknowns += [f"the analyst role can act as role {role.name} ({route}), and {u}" for u in unknown]
        evidence += seen
    found, unknown, seen = object_lambda_problems(
        rb.object_lambdas, listers, rb.bucket_policies, rb.listed_keys, rb.routes.access_points, rb.account_id
    )
    problems, unknowns, evidence = problems + found, unknowns + unknown, evidence + seen
    problems += outsider_listing_problems(
        rb.bucket_policies, rb.listed_keys, rb.account_id, rb.routes.access_points, restricted(rb)
    )
    problems += delivery_problems(rb.inventories, rb.account_id)
    return problems, unknowns, evidence


def _acting(rb: SecurityReadback, reach: Reach) -> dict[str, Any]:
    """The roles the analyst can act as whose permissions were read (arn -> path)."""
    return {arn: path for arn, path in reach.roles.items() if rb.roles[arn].identity is not None}


def callers(rb: SecurityReadback, reach: Reach) -> list[tuple[Lister, str]]:
    """Who the analyst can call as (itself, then each role it can act as whose permissions were read, by ARN), and
    how a reason introduces each."""
    account = rb.account_id or ""
    found = [(Lister(rb.identity_policies, rb.boundary, Principal(rb.analyst_role_arn, account)), "the analyst role")]
    for arn, path in sorted(_acting(rb, reach).items()):
        role = rb.roles[arn]
        route = path_text(rb.analyst_role_arn, path)
        lister = Lister(role.identity or [], role.boundary, Principal(arn, account), f"role {arn}")
        found.append((lister, f"role {role.name}, which the analyst role can act as ({route}),"))
    return found


def object_lambda_route_problems(
    rb: SecurityReadback, reach: Reach
) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """(problems, unknowns, evidence): the analyst, a role it can act as, or another account getting objects
    through an Object Lambda Access Point whose GetObject/HeadObject function's role may read lake files
    (``key_lambdas``): the function may fetch any of them with its own role and answer with the bytes."""
    if not rb.account_id:
        return [], [], []

    def reads(role: Lister) -> list[str]:
        return role_reads(rb, role.identity, role.boundary, role.who, role.name)

    return object_lambda_read_problems(rb.object_lambdas, callers(rb, reach), rb.account_id, reads)


def role_reads(
    rb: SecurityReadback, identity: Sequence[Policy], boundary: Policy | None, who: Principal, name: str
) -> list[str]:
    """How a principal of the account (not the analyst) may read lake files from S3: its IAM, a bucket policy, an
    access point (the outsiders are judged once, apart)."""
    opens = object_read_problems(identity, boundary, rb.lake_objects, name)[0]
    opens += bucket_policy_problems(identity, boundary, who, rb.bucket_policies, rb.lake_objects, name)[0]
    opens += access_point_problems(rb.routes, rb.bucket_policies, identity, boundary, who, rb.lake_objects, name, False)
    return opens


def restricted(rb: SecurityReadback) -> list[str]:
    """Lake buckets under RestrictPublicBuckets (the account's or the bucket's): S3 keeps a public policy to the
    account."""
    if (rb.routes.account_public_access_block or {}).get("RestrictPublicBuckets"):
        return list(rb.bucket_policies)
    return [b for b, a in rb.routes.acls.items() if (a.public_access_block or {}).get("RestrictPublicBuckets")]


def history_reader_problems(rb: SecurityReadback, reach: Reach) -> tuple[list[str], list[dict[str, Any]]]:
    """(problems, evidence): a role the analyst can act as, or a user whose credentials it can make, whose IAM lets
    it read a workgroup's executions (text, error, result) that show a hidden value (``history_readers``): the
    analyst's own calls are not the only way. What those calls hand the analyst is named once, as its own."""
    if not rb.account_id or not rb.shown_executions:
        return [], []
    return history_read_problems(
        rb.analyst_role_arn,
        rb.account_id,
        {**rb.roles, **rb.user_infos},
        {**reach.roles, **reach.users},
        rb.shown_executions,
        rb.bucket_policies,
        rb.hidden,
        handed(rb.shared_results, rb.hidden),
    )


def route_problems(rb: SecurityReadback) -> list[str]:
    """Who else S3 lets read the lake's objects: other accounts in bucket policies, ACLs, access points."""
    if not rb.account_id:
        return []
    who = Principal(rb.analyst_role_arn, rb.account_id)
    return (
        outsider_problems(rb.bucket_policies, rb.lake_objects, rb.account_id, restricted=restricted(rb))
        + acl_problems(rb.routes)
        + access_point_problems(rb.routes, rb.bucket_policies, rb.identity_policies, rb.boundary, who, rb.lake_objects)
        + replication_problems(rb.routes, rb.lake_objects, rb.lake_buckets, rb.account_id)
    )


def cdn_problems(rb: SecurityReadback, grants: list[CloudFrontGrant]) -> tuple[list[str], list[str]]:
    """(problems, unknowns): this account's CloudFront distributions the lake bucket policies' ``grants`` let read
    the lake, serving it without signed URLs; and those that could not be read (the check cannot pass without them)."""
    if not rb.account_id:
        return [], []
    return cloudfront_problems(grants, rb.cloudfront, rb.account_id)


def role_path_problems(rb: SecurityReadback, reach: Reach) -> tuple[list[str], dict[str, Any]]:
    """Roles the analyst can act as that read the lake or ssn, and ways it can raise its own permissions.

    The evidence: every role examined (its trust policy's principals), each role reached and by
    which path, and what each opens; so for each user whose credentials the analyst can make and whose
    permissions were read (``Reach.users``): its S3 reads of the lake and Lake Formation grants.
    """
    evidence: dict[str, Any] = {
        "roles_examined": {arn: sorted(_trusted(r)) for arn, r in sorted(rb.roles.items())},
        "reached": [],
        "users_reached": [],
        "escalations": [],
    }
    if not rb.account_id:
        return [], evidence
    analyst = analyst_actor(rb)
    paths = reach.roles
    problems: list[str] = []
    for arn, path in sorted(paths.items()):
        role = rb.roles[arn]
        name = f"role {arn}"
        who = Principal(arn, rb.account_id)
        opens: list[str] = []
        if role.identity is not None:
            opens += role_reads(rb, role.identity, role.boundary, who, name)
        opens += role_grant_problems(rb, arn, name)
        if tagging := _tagging(rb, analyst, path[-1]):
            opens += tagged_session_problems(rb, principal_holders(rb, arn, name), tagging)
        route = path_text(rb.analyst_role_arn, path)
        evidence["reached"].append({"role": arn, "path": route, "opens": opens})
        problems += [f"the analyst role can act as role {role.name} ({route}), and {p}" for p in opens]
    for arn, path in sorted(reach.users.items()):
        user = rb.user_infos[arn]
        name = f"user {arn}"
        who = Principal(arn, rb.account_id)
        opens = object_read_problems(user.identity or [], user.boundary, rb.lake_objects, name)[0]
        opens += bucket_policy_problems(
            user.identity or [], user.boundary, who, rb.bucket_policies, rb.lake_objects, name
        )[0]
        opens += role_grant_problems(rb, arn, name)
        route = path_text(rb.analyst_role_arn, path)
        evidence["users_reached"].append({"user": arn, "path": route, "opens": opens})
        problems += [f"the analyst role can act as user {user.name} ({route}), and {p}" for p in opens]
    for e in escalations(analyst, rb.roles, paths, rb.users):
        actor = (
            "the analyst role"
            if e.actor == analyst.arn
            else f"role {e.actor}, which the analyst can act as ({path_text(rb.analyst_role_arn, paths[e.actor])}),"
        )
        what = e.gains or (
            "it can make itself a data lake admin, and admins read every column"
            if e.action == LF_ADMIN
            else "it can give a role the analyst is or becomes any permission, S3 reads of the lake and "
            "Lake Formation admin included"
        )
        found = f"{actor} may call {e.action} on {e.resource} ({'; '.join(e.via)}): {what}"
        evidence["escalations"].append(found)
        problems.append(found)
    return problems, evidence


def _tagging(rb: SecurityReadback, analyst: Actor, edge: Edge) -> str:
    """How the principal before ``edge.target`` on the analyst's path can tag the sessions it opens of it
    (``sts:TagSession``), or ``""``: by its trust policy, or by rewriting it."""
    role = rb.roles[edge.target]
    if edge.kind == "retrusts":
        return f"{edge.source} may rewrite the trust policy of role {role.name} to let itself tag its sessions"
    if edge.kind != "assumes":
        return ""
    source = rb.roles.get(edge.source)
    actor = (
        analyst
        if edge.source == analyst.arn or source is None
        else Actor(source.arn, source.identity or [], source.boundary)
    )
    found = tagging_statements(role, actor, rb.account_id or "")
    return f"{edge.source} may tag the sessions it opens of role {role.name} ({'; '.join(found)})" if found else ""


def _trusted(role: RoleInfo) -> set[str]:
    """The principals a role's trust policy names (evidence: who could become it)."""
    names: set[str] = set()
    for s in role.trust.get("Statement") or []:
        if not isinstance(s, Mapping):
            continue
        for key in ("Principal", "NotPrincipal"):
            value = s.get(key)
            if isinstance(value, Mapping):
                names |= {f"{key} {k}:{v}" for k, vs in value.items() for v in ([vs] if isinstance(vs, str) else vs)}
            elif value is not None:
                names.add(f"{key} {value}")
    return names


def grant_route_problems(rb: SecurityReadback, reach: Reach) -> list[str]:
    """S3 Access Grants handing the analyst, a role it can act as, or another account the lake's objects."""
    if not rb.account_id:
        return []
    named = {rb.analyst_role_arn: "the analyst role"}
    for arn, path in reach.roles.items():
        named[arn] = f"role {arn}, which the analyst can act as ({path_text(rb.analyst_role_arn, path)}),"
    return access_grant_problems(rb.routes.access_grants, named, rb.lake_objects, rb.account_id)
