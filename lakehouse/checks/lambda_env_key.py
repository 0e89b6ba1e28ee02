"""A Lambda alert receiver's environment variables under a customer managed KMS key: who may decrypt them.

Lambda encrypts a function's environment variables with the key GetFunction's ``KMSKeyArn`` names (without one,
its AWS managed ``aws/lambda`` key, whose grants Lambda keeps itself) and decrypts them when it starts an
execution environment, as the function's execution role: a role that may not ``kms:Decrypt`` with the key starts
nothing, every invocation fails (KMSAccessDeniedException) and the alert is lost while SNS shows the subscription
confirmed (AWS Lambda developer guide, "Securing Lambda environment variables"). So exit check 7 reads the key
(DescribeKey, GetKeyPolicy, ListGrants) and the role's IAM policies, and judges the role's path as for the
pause schedule's role (``alert_delivery.key_use_problems``): the key policy naming the role, a KMS grant to the
role, or the key policy (or a grant) naming its account with the role's IAM policies allowing too; an explicit
Deny in any of them wins. Lambda creates its grant to the role under the encryption context it decrypts with,
``aws:lambda:FunctionArn`` the function's ARN (the ``kms:EncryptionContext:aws:lambda:FunctionArn`` condition key
AWS's SAM project scopes such a role policy with, aws/serverless-application-model#1989): a grant constrained to
that context counts, one constrained to another does not.

The same readback shows who else may decrypt the receiver's secrets (a paging token, a webhook URL): an Allow of
``kms:Decrypt`` in the key policy naming a principal outside the function's account (another account, everyone,
a service not confined to the account: ``iam_access.outside_principals``) under no condition shown not to hold
for another account's caller, or a grant of Decrypt to a principal of another account that works for the
function's encryption context. Within the function's account the secrets must be readable by its execution role
alone (``key_readers``): a key policy statement or grant naming another role or user, everyone of the account, or
the account's root while some role or user of it (service-linked roles aside) has IAM policies allowing
``kms:Decrypt`` on the key fails the check, naming that principal. The account root statement AWS puts in every
default key policy lets nobody decrypt on its own. Lambda's own grant (to the role, under the function's context)
is the role's. Whoever may become a role that decrypts, the execution role included, decrypts as it: by
sts:AssumeRole, iam:UpdateAssumeRolePolicy on it, iam:PassRole of it with the power to create a function (or job) of
a service it trusts, or lambda:UpdateFunctionCode/UpdateFunctionConfiguration of a function running as it (the
receiver itself: its new code reads its variables), through a chain of roles too; it fails the check too, named
with its path (``key_readers.becoming_readers``); so does one that may raise its own permissions in place until it
decrypts (``key_escalation``). Key administrators (allowed
kms:PutKeyPolicy or kms:CreateGrant) may give themselves Decrypt, but the console's default key policy makes every
key so: they are named in the evidence (``env_key_administrators``), not failed on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from lakehouse.checks.alert_delivery import (
    FunctionReadback,
    KmsKey,
    constraint_holds,
    key_use_problems,
    read_key,
)
from lakehouse.checks.iam_access import Policy, outside_principals
from lakehouse.checks.key_escalation import KeyAccount, escalating_readers
from lakehouse.checks.key_readers import (
    AccountPrincipal,
    becoming,
    becoming_readers,
    iam_readers,
    key_policy_readers,
    read_account_principals,
    self_granters,
)
from lakehouse.checks.resource_policy import (
    Context,
    action_covered,
    arn_parts,
    condition_doubts,
    resource_covered,
    sid,
    statements,
    strings,
)
from lakehouse.checks.role_paths import functions_by_role, read_groups, read_role_policies
from lakehouse.checks.schedule_role import denied, not_allowed
from lakehouse.target import Target

ENV_KEY_RULE = (
    "A Lambda alert receiver whose environment variables a customer managed KMS key encrypts (GetFunction "
    "KMSKeyArn, with variables) runs only if its execution role may kms:Decrypt with the key: the key enabled and "
    "its key policy naming the role, or a grant (ListGrants) to the role without an encryption context constraint "
    "or one constrained to aws:lambda:FunctionArn the function's ARN, or the key policy or a grant naming the role's "
    "account with the role's IAM policies (and boundary) allowing it under no condition; a Deny of kms:Decrypt in "
    "the key policy or the role's policies, a condition or not, wins; a key of another account needs the role's "
    "IAM policies to allow too. The AWS managed aws/lambda key needs nothing. No principal outside the function's "
    "account may decrypt the receiver's variables with the key: an Allow of kms:Decrypt in the key policy naming "
    "another account, everyone or a service not confined to the account by aws:SourceAccount or aws:SourceArn, "
    "unless its condition is shown not to hold for another account's caller (kms:CallerAccount, "
    "aws:PrincipalAccount), or a grant of Decrypt to a principal of another account that works for the function's "
    "encryption context, fails the check. Nor may a principal of the function's account other than its execution "
    "role: a key policy statement or grant (under a condition that may hold for its request, direct or through "
    "Lambda) naming another of its roles or users, everyone of the account or everyone but some (NotPrincipal), or "
    "the account's root while a role or user of the account (service-linked roles aside) has IAM policies "
    "allowing kms:Decrypt on the key and no Deny shown to apply, or a role or user of the account that may become "
    "such a principal or the execution role, by sts:AssumeRole (its trust policy letting the caller in, and the "
    "caller's IAM policies where it names the account), by iam:UpdateAssumeRolePolicy on the role, by iam:PassRole "
    "of the role with an action making a service the role trusts run something as it (lambda:CreateFunction or "
    "UpdateFunctionConfiguration, glue:CreateJob, ...), or by lambda:UpdateFunctionCode or "
    "UpdateFunctionConfiguration of a function of the region running as the role (the receiver itself included), "
    "chained through up to 5 roles, fails the check, as does one that may raise its own permissions or a reachable "
    "role's in place (iam:PutRolePolicy, AttachRolePolicy, CreatePolicyVersion of an attached customer managed policy, "
    "its permissions boundary replaced or dropped, a policy holding a Deny removed, PutUserPolicy, AttachUserPolicy, "
    "AddUserToGroup, a group's policies) until it decrypts or becomes such a principal, within a boundary it cannot "
    "change. Key "
    "administrators, whom the key policy or their IAM policies allow kms:PutKeyPolicy or kms:CreateGrant, may give "
    "themselves Decrypt: the evidence names them, and the check does not fail on them (the console's default key "
    "policy gives its key administrators exactly these)."
)
DECRYPT = "kms:Decrypt"
#: The encryption context key Lambda encrypts a function's environment variables under (value: its ARN).
FUNCTION_CONTEXT_KEY = "aws:lambda:FunctionArn"


@dataclass
class EnvKeyReadback:
    """What decrypting one function's environment variables involves: its key and its execution role."""

    function_arn: str
    key_arn: str
    #: DescribeKey, key policy and ListGrants (None: no such key).
    key: KmsKey | None
    role_arn: str
    #: Why the role's policies were not read (None: they were).
    role_unread: str | None = None
    identity: list[Policy] = field(default_factory=list)
    boundary: Policy | None = None
    #: The role's trust policy (GetRole): who may assume it, and so decrypt as it.
    trust: Mapping[str, Any] | None = None
    #: The account's other roles and users with their IAM policies and trust policies (None: not read).
    account_principals: list[AccountPrincipal] | None = None
    #: Role ARN -> the Lambda functions of the region running as it, the receiver too (their code runs as it).
    functions: dict[str, list[str]] = field(default_factory=dict)
    #: The account's IAM groups with their policies (whom a user may join).
    groups: dict[str, list[Policy]] = field(default_factory=dict)


def unqualified(function_arn: str) -> str:
    """The function's ARN without a version or alias (``...:function:name``)."""
    head, _, rest = function_arn.partition(":function:")
    return f"{head}:function:{rest.split(':', 1)[0]}" if rest else function_arn


def role_context(function_arn: str, role_arn: str) -> Context:
    """The condition keys of the role's Decrypt when Lambda starts the function: the role as principal, Lambda as
    the service it comes through, the function's ARN as encryption context."""
    parts = arn_parts(function_arn)
    account, region = (parts[4], parts[3]) if parts else ("", "")
    return {
        "aws:principalarn": role_arn,
        "aws:principalaccount": account,
        "kms:calleraccount": account,
        "kms:viaservice": f"lambda.{region}.amazonaws.com",
        f"kms:encryptioncontext:{FUNCTION_CONTEXT_KEY.lower()}": unqualified(function_arn),
        # Lambda calls KMS from its own service, through none of the account's VPC endpoints: IAM sets these keys
        # "only if the requester uses a VPC endpoint" (AWS global condition context keys).
        "aws:sourcevpce": None,
        "aws:sourcevpc": None,
    }


def reader_contexts(function_arn: str) -> list[Context]:
    """The requests another principal of the function's account would make to decrypt its variables: straight to
    KMS (no ``kms:ViaService``) or through Lambda (GetFunctionConfiguration shows the variables decrypted with the
    caller's own permissions on the key)."""
    parts = arn_parts(function_arn)
    account, region = (parts[4], parts[3]) if parts else ("", "")
    base: dict[str, str | None] = {
        "aws:principalaccount": account,
        "kms:calleraccount": account,
        "aws:principalisawsservice": "false",
        f"kms:encryptioncontext:{FUNCTION_CONTEXT_KEY.lower()}": unqualified(function_arn),
    }
    return [{**base, "kms:viaservice": None}, {**base, "kms:viaservice": f"lambda.{region}.amazonaws.com"}]


def _aws_managed(env: EnvKeyReadback) -> bool:
    return env.key is not None and env.key.metadata.get("KeyManager") == "AWS"


def env_key_problems(name: str, env: EnvKeyReadback) -> list[str]:
    """Why the function's execution role cannot decrypt its environment variables (empty: it can)."""
    if _aws_managed(env):
        return []  # Lambda keeps the grants of an AWS managed key for the function's role itself
    shown = f"Lambda function {name}'s environment variables are encrypted with KMS key {env.key_arn}"
    cannot = f"(Lambda cannot decrypt them as its role {env.role_arn}: every invocation fails, the alert is lost)"
    if env.role_unread is not None:
        return [f"{shown}, and its execution role {env.role_arn} {env.role_unread} {cannot}"]
    return key_use_problems(
        shown,
        env.key_arn,
        env.key,
        env.role_arn,
        None,
        cannot,
        role_context(env.function_arn, env.role_arn),
        actions=(DECRYPT,),
        identity=lambda action, arn: not_allowed(env.identity, env.boundary, action, arn),
        identity_denies=lambda action, arn: denied(env.identity, env.boundary, action, arn),
    )


def env_key_exposure(name: str, env: EnvKeyReadback) -> list[str]:
    """Who outside the function's account may decrypt its environment variables with their key (empty: nobody)."""
    parts = arn_parts(env.function_arn)
    if env.key is None or _aws_managed(env) or not parts:
        return []
    account = parts[4]
    key_arn = str(env.key.metadata.get("Arn") or env.key_arn)
    another = "000000000000" if account != "000000000000" else "000000000001"  # a caller surely not of the account
    foreign: Context = {
        "kms:calleraccount": another,
        "aws:principalaccount": another,
        f"kms:encryptioncontext:{FUNCTION_CONTEXT_KEY.lower()}": unqualified(env.function_arn),
    }
    found: list[str] = []
    for index, statement in enumerate(statements(env.key.policy)):
        if statement.get("Effect") != "Allow" or not (
            action_covered(statement, DECRYPT) and resource_covered(statement, key_arn)
        ):
            continue
        outside = outside_principals(statement, account)
        holds, doubts = condition_doubts(statement, foreign)
        if outside and holds is not False:
            hedge = f" (under a condition the check cannot evaluate: {'; '.join(doubts)})" if doubts else ""
            found.append(f"key policy {sid(statement, index)} allows {', '.join(outside)} kms:Decrypt{hedge}")
    known = {FUNCTION_CONTEXT_KEY.lower(): unqualified(env.function_arn)}
    for grant in env.key.grants or []:
        grantee = str(grant.get("GranteePrincipal") or "")
        owner = (arn_parts(grantee) or ("",) * 5)[4]
        if (
            owner
            and owner != account
            and "Decrypt" in strings(grant.get("Operations"))
            and constraint_holds(grant.get("Constraints") or {}, known)
        ):
            found.append(f"grant {grant.get('GrantId') or '?'} (ListGrants) gives {grantee} Decrypt")
    exposure = []
    if found:
        exposure.append(
            f"Lambda function {name}'s environment variables are encrypted with KMS key {env.key_arn}, which "
            f"principals outside its account {account} may decrypt: {'; '.join(found)} (its secrets are theirs to read)"
        )
    inside = account_readers(env, key_arn, account)
    if inside:
        exposure.append(
            f"Lambda function {name}'s environment variables are encrypted with KMS key {env.key_arn}, which "
            f"principals of its account {account} other than its execution role {env.role_arn} may decrypt: "
            f"{'; '.join(inside)} (its secrets are readable beyond the role that must read them)"
        )
    return exposure


def account_readers(env: EnvKeyReadback, key_arn: str, account: str) -> list[str]:
    """The principals of the function's account other than its role that may decrypt its variables: named by the
    key or their IAM policies, or able to become (``becoming_readers``) a role that decrypts, its own too."""
    if env.key is None:
        return []
    contexts = reader_contexts(env.function_arn)
    readers = key_policy_readers(env.key, key_arn, account, [env.role_arn], contexts)
    if readers.delegating and env.account_principals:
        for arn, why in iam_readers(env.key, key_arn, env.account_principals, contexts, readers.delegating):
            readers.found.append(why)
            readers.arns.append(arn)
    if env.account_principals:
        role = AccountPrincipal(env.role_arn, "role", tuple(env.identity), env.boundary, env.trust)
        decrypting = [env.role_arn, *readers.arns]
        readers.found += becoming_readers(
            decrypting, env.account_principals, account, more_roles=[role], functions=env.functions
        )
        became = becoming(decrypting, env.account_principals, account, [role], env.functions)
        judged = KeyAccount(
            env.key,
            key_arn,
            account,
            contexts,
            readers.delegating,
            decrypting,
            env.account_principals,
            [role],
            env.functions,
            env.groups,
        )
        readers.found += escalating_readers(judged, {*decrypting, *became})
    return readers.found


def env_key_administrators(name: str, env: EnvKeyReadback) -> list[str]:
    """Who of the function's account may give itself Decrypt with the key (kms:PutKeyPolicy, kms:CreateGrant):
    evidence only, as the console's default key policy gives its key administrators exactly that."""
    parts = arn_parts(env.function_arn)
    if env.key is None or _aws_managed(env) or not parts:
        return []
    key_arn = str(env.key.metadata.get("Arn") or env.key_arn)
    found = self_granters(env.key, key_arn, parts[4], [env.role_arn], env.account_principals or [])
    return [f"KMS key {env.key_arn} of Lambda function {name}'s environment variables: {who}" for who in found]


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def read_env_key(target: Target, function: FunctionReadback) -> EnvKeyReadback | None:
    """The key and execution role of a function whose environment variables a customer managed key encrypts (None:
    it has none, or no variables); AWS errors other than a missing key or role raise."""
    key_arn = str(function.configuration.get("KMSKeyArn") or "")
    role_arn = str(function.configuration.get("Role") or "")
    if not function.exists or not key_arn or not function.environment_variables:
        return None
    region = (arn_parts(key_arn) or arn_parts(function.arn) or ("",) * 4)[3] or target.region
    env = EnvKeyReadback(function.arn, key_arn, read_key(target.client("kms", region=region), key_arn, True), role_arn)
    function_account = (arn_parts(function.arn) or ("",) * 5)[4]
    if env.key is not None and not _aws_managed(env):
        # Read whether or not the key policy leaves anything to IAM: whoever may assume a role that decrypts reads.
        env.account_principals = read_account_principals(target, skip=[role_arn])
        env.functions = functions_by_role(target)
        env.groups = read_groups(target)
        receiver = unqualified(str(function.configuration.get("FunctionArn") or function.arn))
        if receiver not in env.functions.get(role_arn, []):  # the receiver, whatever region it is in
            env.functions.setdefault(role_arn, []).append(receiver)
    if (arn_parts(role_arn) or ("",) * 5)[4] != function_account:
        env.role_unread = f"is not a role of the function's account {function_account} (not read)"
        return env
    try:
        role = target.client("iam").get_role(RoleName=role_arn.rsplit("/", 1)[-1])["Role"]
    except ClientError as err:
        if _code(err) != "NoSuchEntity":
            raise
        env.role_unread = "does not exist (IAM GetRole)"
        return env
    if str(role.get("Arn") or "") != role_arn:
        env.role_unread = f"does not exist: the account's role of that name is {role.get('Arn')} (another path)"
        return env
    env.identity, env.boundary = read_role_policies(target, role_arn)
    env.trust = Policy.parse("trust policy", role.get("AssumeRolePolicyDocument") or {}).document
    return env


def judge_env_key(target: Target, function: FunctionReadback) -> None:
    """Read the function's environment key and role, and keep on ``function`` what they show."""
    env = read_env_key(target, function)
    if env is None:
        return
    name = function.arn.split(":function:", 1)[-1]
    function.env_key_problems = env_key_problems(name, env)
    function.env_key_exposure = env_key_exposure(name, env)
    function.env_key_administrators = env_key_administrators(name, env)
