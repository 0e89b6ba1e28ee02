"""Does an alert published to an SNS topic reach anyone? A pure judge of one subscription.

Exit check 7 counts a topic as heard only when one of its confirmed subscriptions really
receives the alert. SNS shows a subscription as confirmed whatever happens next, so:

- an SQS endpoint receives only if its queue exists, its policy lets ``sns.amazonaws.com``
  ``sqs:SendMessage`` for that topic (``aws:SourceArn``/``aws:SourceAccount`` conditions are
  evaluated) with no Deny that could apply, and, if the queue is encrypted with a KMS key, the
  key is enabled, customer managed (the AWS managed ``alias/aws/sqs`` key's policy cannot be
  changed and does not let SNS use it) and its policy (or a grant to ``sns.amazonaws.com`` for the topic,
  ``service_grants``) lets SNS ``kms:GenerateDataKey*`` and ``kms:Decrypt``, and lets someone of the queue's
  account ``kms:Decrypt`` too (SQS decrypts a message with the rights of whoever receives it); SSE-SQS
  (SQS-managed keys) needs nothing; the queue is an inbox, so it must keep the alert until someone reads it
  (``MIN_RETENTION_S``: the alert is sent once) and not deny every reader in its account
  ``sqs:ReceiveMessage``; and the alert as SNS sends it (wrapped in its JSON
  notification unless the subscription has RawMessageDelivery) fits in the queue's MaximumMessageSize: SQS rejects
  a larger message and SNS drops it;
- a Lambda endpoint receives only if the function exists and its resource policy (GetPolicy) lets
  ``sns.amazonaws.com`` ``lambda:InvokeFunction`` for that topic (conditions as for SQS): SNS shows a
  Lambda subscription confirmed from the start, and keeps it so after the function is deleted; and
  only if it runs when invoked (``lambda_receiver``: Active, its handler in its package, not failing
  every invocation it had);
- any endpoint receives only if its ``FilterPolicy`` matches the alert as the service sends it:
  Budgets and CloudWatch set no message attributes; a budget alert's body is plain text and a
  CloudWatch alarm's is JSON (built here from the alarm as DescribeAlarms shows it). Filter
  policies are matched with moto's ``FilterPolicyMatcher`` (a pinned dependency, the one the
  local emulator's SNS filters with).

``DELIVERY_RULE`` states this for the evidence. Readers for the queue, key and subscription
attributes live here too; they raise botocore errors for the caller to name.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import botocore.session
from botocore.exceptions import ClientError
from moto.sns.utils import FilterPolicyMatcher

from lakehouse.checks.lambda_receiver import (
    RECORD_DAYS,
    InvocationRecord,
    PackageReadback,
    concurrency_problems,
    package_problems,
    read_package,
    read_record,
    record_problems,
    state_problems,
)
from lakehouse.checks.resource_policy import (
    Context,
    action_covered,
    arn_parts,
    condition,
    principal_is,
    resource_covered,
    root_of,
    service_request,
    sid,
    statements,
    strings,
    weigh,
)
from lakehouse.checks.sms_receiver import SMS_RULE, PhoneReadback, phone_problems

SNS_PRINCIPAL = "sns.amazonaws.com"
#: The AWS managed key of SQS: its policy allows only SQS on behalf of the account's principals.
AWS_MANAGED_SQS_KEY = "alias/aws/sqs"
#: The AWS managed key of SNS: its policy lets no other AWS service publish to a topic it encrypts.
AWS_MANAGED_SNS_KEY = "alias/aws/sns"
#: What SNS must be allowed to do with a queue's KMS key to deliver to it.
KMS_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")
#: What the evidence keeps of GetFunction's Configuration (its Environment may hold secrets).
FUNCTION_FIELDS = (
    "FunctionName",
    "Runtime",
    "Handler",
    "PackageType",
    "Layers",
    "State",
    "StateReason",
    "StateReasonCode",
    "LastUpdateStatus",
    "CodeSha256",
    "LastModified",
    "Role",
    "KMSKeyArn",
)
#: The states an alarm leaves when it goes to ALARM: a receiver must get the alert from either.
PREVIOUS_STATES = ("OK", "INSUFFICIENT_DATA")
#: How long an SQS endpoint must keep an alert for someone to read it: 4 days, SQS's default retention. An alert
#: is sent once (Budgets sends a notification once per budget period; an alarm notifies when it enters ALARM, not
#: while it stays there), so one SQS deletes unread is lost until next month; 4 days holds a Friday evening's
#: alert to Tuesday morning, only a queue whose retention was shortened falls under it, and keeping a message
#: longer costs nothing (SQS bills requests, not retention).
MIN_RETENTION_S = 345_600

DELIVERY_RULE = (
    "A confirmed subscription receives an alert when: for an SQS endpoint, the queue exists; its policy "
    f"(GetQueueAttributes Policy) has an Allow of sqs:SendMessage on the queue to {SNS_PRINCIPAL} or to everyone "
    "whose conditions hold for the topic (aws:SourceArn, aws:SourceAccount, aws:SourceOwner, "
    "aws:PrincipalIsAWSService, aws:PrincipalServiceName evaluated; an ...IfExists operator holds without a value "
    "only on a key no service's request carries, such as aws:PrincipalOrgID or aws:SourceVpce; an Allow "
    "with another condition key, IfExists or not, does not count) and no Deny that could apply (a Deny with a "
    "condition key that cannot be evaluated counts); if it is encrypted with a KMS key (KmsMasterKeyId), the key "
    "is enabled, not the "
    f"AWS managed {AWS_MANAGED_SQS_KEY} key, and its key policy lets {SNS_PRINCIPAL} use kms:GenerateDataKey* and "
    "kms:Decrypt the same way (or, with no key policy Deny, a grant does: ListGrants GranteeServicePrincipal "
    f"{SNS_PRINCIPAL}, its Operations naming the action, its SourceArn constraint the topic's ARN, no encryption "
    "context constraint), and its key policy (or a grant, ListGrants) lets some principal of the queue's "
    "account kms:Decrypt (Principal *, AWS *, the account or one of its IAM ARNs; a condition that cannot be "
    "evaluated counts as holding) with no Deny of kms:Decrypt, under no condition, to the whole account: SQS "
    "decrypts a message with the rights of whoever receives it, so otherwise nobody can read the alert (SSE-SQS "
    "needs nothing); the queue keeps a message at least "
    f"{MIN_RETENTION_S} s (MessageRetentionPeriod; unset is SQS's default, 4 days: the queue is an inbox, the alert "
    "is sent once, so it must still be there when someone looks, over a weekend) and its policy has no "
    "Deny of sqs:ReceiveMessage, with no Condition, to the queue's own account (Principal *, AWS *, the account), "
    "which keeps the alert where nobody may read it; the alert as SNS delivers it fits in the queue's "
    "MaximumMessageSize (SQS rejects a larger message, a client error SNS does not retry: the alert is dropped; "
    "without RawMessageDelivery SNS wraps it in its JSON notification, counted here as at least its Type, MessageId, "
    "TopicArn, escaped Message, Timestamp, SignatureVersion, a 344-character Signature, SigningCertURL and "
    "UnsubscribeURL in compact JSON, no Subject: a lower bound of what SNS sends); for a Lambda endpoint, the "
    "function exists, its "
    f"resource policy (GetPolicy) lets {SNS_PRINCIPAL} lambda:InvokeFunction the same way, its State is Active, "
    "its reserved concurrency is not 0 (GetFunction Concurrency: 0 throttles every invocation), "
    "its deployment package (Code.Location) has the handler's module (for Python: compiling and defining the "
    f"handler's function; a layer may bring a missing module), it did not fail every invocation of the last "
    f"{RECORD_DAYS} days (AWS/Lambda Invocations and Errors), and, when a customer managed key (KMSKeyArn) "
    "encrypts its environment variables, its execution role may kms:Decrypt with it (key policy, ListGrants, the "
    f"role's IAM policies: lambda_env_key); {SMS_RULE} And for every endpoint, "
    "its FilterPolicy (scope "
    "MessageAttributes by default, or MessageBody) matches the alert as AWS sends it: no message attributes, a "
    "budget alert's body plain text, a CloudWatch alarm's body the JSON notification of its ALARM state entered "
    "from OK and from INSUFFICIENT_DATA (moto's FilterPolicyMatcher). A topic encrypted with a KMS key "
    "(KmsMasterKeyId) receives from CloudWatch or Budgets only if the key is enabled, not the AWS managed "
    f"{AWS_MANAGED_SNS_KEY} key, and its key policy lets that service principal (cloudwatch.amazonaws.com, "
    "budgets.amazonaws.com) use kms:GenerateDataKey* and kms:Decrypt for the alarm or budget (aws:SourceArn, "
    "aws:SourceAccount, aws:PrincipalIsAWSService, aws:PrincipalServiceName evaluated; an Allow whose condition "
    "cannot be evaluated does not count, a Deny's counts), "
    "or, with no key policy Deny, a grant does (ListGrants GranteeServicePrincipal that service, its Operations "
    "naming the action, its SourceArn constraint the alarm's or budget's ARN, no encryption context constraint). A "
    "topic whose MaximumMessageSize is smaller than the alert (the alert as built here, no larger than the real "
    "one) refuses the publish. A FIFO topic (GetTopicAttributes FifoTopic true; SNS "
    "names every one *.fifo) receives nothing from CloudWatch or Budgets: SNS takes a publish to it only with a "
    "MessageGroupId, and neither service sends one. A topic receives nothing from CloudWatch or Budgets when "
    "its policy has a Deny "
    "of sns:Publish that could apply to that service principal for the alarm or budget (Principal *, AWS *, the "
    "service, or a NotPrincipal leaving it out; Action or NotAction covering sns:Publish; Resource or NotResource "
    "covering the topic; aws:SourceArn, aws:SourceAccount, aws:PrincipalIsAWSService and aws:PrincipalServiceName "
    "evaluated, a condition that cannot be evaluated counts "
    "as holding): an explicit Deny wins over every Allow. Both also need an Allow of sns:Publish for that service "
    "principal: Budgets by a statement that does not rest on aws:SourceOwner (the budget rule); CloudWatch by any, "
    "SNS's default statement for the owner's account included (an alarm's action fails \"not authorized to perform: "
    "SNS:Publish\" under a policy that allows it nothing, as AWS's knowledge center shows)."
)


@dataclass(frozen=True)
class Message:
    """An alert as the publishing service sends it: what a filter policy sees."""

    what: str
    body: str
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class KmsKey:
    """A queue's KMS key: DescribeKey's metadata and its default key policy (None: not readable as JSON)."""

    metadata: dict[str, Any]
    policy: dict[str, Any] | None
    #: ListGrants' grants (None: not read; judged as none).
    grants: list[dict[str, Any]] | None = None


@dataclass
class QueueReadback:
    """One SQS queue a subscription names; ``attributes`` None when the queue does not exist."""

    arn: str
    attributes: dict[str, str] | None
    #: The KMS key its KmsMasterKeyId names (None: no such key, or no key named).
    key: KmsKey | None = None


@dataclass
class FunctionReadback:
    """One Lambda function a subscription names; ``exists`` False when GetFunction does not find it."""

    arn: str
    exists: bool
    #: Its resource policy (None: it has none, so no service may invoke it).
    policy: dict[str, Any] | None = None
    #: GetFunction's Configuration (State, Handler, Runtime, PackageType, Layers, CodeSha256, LastModified).
    configuration: dict[str, Any] = field(default_factory=dict)
    #: What its deployment package holds for the handler (None: not read).
    package: PackageReadback | None = None
    #: Its AWS/Lambda invocation record (None: not read).
    record: InvocationRecord | None = None
    #: GetFunction's Concurrency.ReservedConcurrentExecutions (None: none reserved, the account's pool).
    reserved_concurrency: int | None = None
    #: How many environment variables it has (their values are not kept: they may be secrets).
    environment_variables: int = 0
    #: Why its execution role cannot decrypt its environment variables with their KMS key (``lambda_env_key``).
    env_key_problems: list[str] = field(default_factory=list)
    #: Who outside its account may decrypt its environment variables with that key (``lambda_env_key``).
    env_key_exposure: list[str] = field(default_factory=list)
    #: Who of its account may give itself Decrypt with that key (PutKeyPolicy, CreateGrant): evidence, no verdict.
    env_key_administrators: list[str] = field(default_factory=list)


# -- the alerts ------------------------------------------------------------------------------------


def budget_alert() -> Message:
    """A Budgets notification: plain text, no message attributes."""
    body = (
        "AWS Budget Notification\nAWS Account 123456789012\n\nDear AWS Customer,\n\nYou requested that we alert "
        "you when the ACTUAL Cost associated with your budget is greater than your threshold."
    )
    return Message("a budget alert (plain text, no message attributes)", body)


@cache
def region_title(region: str) -> str:
    """The region's long name as CloudWatch writes it in notifications (botocore's endpoint data)."""
    for partition in botocore.session.get_session().get_data("endpoints")["partitions"]:
        described = partition["regions"].get(region)
        if described and described.get("description"):
            return str(described["description"])
    return region


def alarm_alerts(alarm: Mapping[str, Any], account: str, region: str) -> list[Message]:
    """The JSON CloudWatch publishes when ``alarm`` (as DescribeAlarms shows it) enters ALARM, from each state."""
    statistic = alarm.get("ExtendedStatistic") or str(alarm.get("Statistic") or "").upper()
    trigger = {
        "MetricName": alarm.get("MetricName"),
        "Namespace": alarm.get("Namespace"),
        "StatisticType": "ExtendedStatistic" if alarm.get("ExtendedStatistic") else "Statistic",
        "Statistic" if not alarm.get("ExtendedStatistic") else "ExtendedStatistic": statistic,
        "Unit": alarm.get("Unit"),
        "Dimensions": [{"value": d.get("Value"), "name": d.get("Name")} for d in alarm.get("Dimensions") or []],
        "Period": alarm.get("Period"),
        "EvaluationPeriods": alarm.get("EvaluationPeriods"),
        "DatapointsToAlarm": alarm.get("DatapointsToAlarm") or alarm.get("EvaluationPeriods"),
        "ComparisonOperator": alarm.get("ComparisonOperator"),
        "Threshold": alarm.get("Threshold"),
        "TreatMissingData": "- TreatMissingData:" + " " * 20 + str(alarm.get("TreatMissingData") or "missing"),
        "EvaluateLowSampleCountPercentile": alarm.get("EvaluateLowSampleCountPercentile") or "",
    }
    messages = []
    for old in PREVIOUS_STATES:
        body = {
            "AlarmName": alarm.get("AlarmName"),
            "AlarmDescription": alarm.get("AlarmDescription"),
            "AWSAccountId": account,
            "AlarmConfigurationUpdatedTimestamp": "2026-01-01T00:00:00.000+0000",
            "NewStateValue": "ALARM",
            "NewStateReason": "Threshold Crossed",
            "StateChangeTime": "2026-01-01T00:00:00.000+0000",
            "Region": region_title(region),
            "AlarmArn": alarm.get("AlarmArn"),
            "OldStateValue": old,
            "OKActions": list(alarm.get("OKActions") or []),
            "AlarmActions": list(alarm.get("AlarmActions") or []),
            "InsufficientDataActions": list(alarm.get("InsufficientDataActions") or []),
            "Trigger": trigger,
        }
        what = f"alarm {alarm.get('AlarmName')}'s ALARM notification from {old} (JSON, no message attributes)"
        messages.append(Message(what, json.dumps(body, default=str)))
    return messages


# -- message size ----------------------------------------------------------------------------------

#: A SignatureVersion 1 notification's Signature: base64 of a 2048-bit RSA signature (SNS's JSON formats page).
SIGNATURE_CHARS = 344


def delivered_bytes(message: Message, topic: str, subscription_arn: str, raw: bool) -> int:
    """How many bytes, at least, SQS is sent for ``message`` published to ``topic``.

    With RawMessageDelivery the alert as published; otherwise SNS's JSON notification around it (Amazon SNS
    message and JSON formats). The envelope is built compact, with no Subject and the shortest values its fields
    take, so the real message is never smaller: a queue judged too small for it is too small.
    """
    body = message.body.encode()
    if raw:
        return len(body)
    parts = arn_parts(topic)
    region = parts[3] if parts else "us-east-1"
    endpoint = f"https://sns.{region}.amazonaws.com"
    envelope = {
        "Type": "Notification",
        "MessageId": "00000000-0000-0000-0000-000000000000",
        "TopicArn": topic,
        "Message": message.body,
        "Timestamp": "2026-01-01T00:00:00.000Z",
        "SignatureVersion": "1",
        "Signature": "A" * SIGNATURE_CHARS,
        "SigningCertURL": f"{endpoint}/SimpleNotificationService-{'0' * 32}.pem",
        "UnsubscribeURL": f"{endpoint}/?Action=Unsubscribe&SubscriptionArn={subscription_arn}",
    }
    return len(json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode())


def size_problems(
    queue: QueueReadback | None, subscription: Mapping[str, Any], raw: bool, messages: list[Message]
) -> list[str]:
    """Why the queue's MaximumMessageSize rejects one of ``messages`` as SNS delivers them (empty: all fit)."""
    if queue is None or queue.attributes is None:
        return []  # ``queue_problems`` names the missing queue
    try:
        limit = int(queue.attributes.get("MaximumMessageSize") or 0)
    except ValueError:
        shown = queue.attributes.get("MaximumMessageSize")
        return [f"queue {queue.arn.rsplit(':', 1)[-1]} has a MaximumMessageSize that is not a number ({shown!r})"]
    if limit <= 0:
        return []  # not shown: SQS's default (256 KiB) holds any alert
    name, topic, arn = (
        queue.arn.rsplit(":", 1)[-1],
        str(subscription.get("TopicArn")),
        str(subscription.get("SubscriptionArn")),
    )
    how = "as published (RawMessageDelivery)" if raw else "in SNS's JSON notification"
    found = []
    for message in messages:
        size = delivered_bytes(message, topic, arn, raw)
        if size > limit:
            found.append(
                f"queue {name} accepts messages of at most {limit} bytes (MaximumMessageSize), and {message.what} "
                f"arrives {how} as at least {size} bytes: SQS rejects it and SNS drops it (a client error, not retried)"
            )
    return found


# -- filter policies -------------------------------------------------------------------------------


def filter_problem(attributes: Mapping[str, Any], message: Message) -> str | None:
    """Why the subscription's FilterPolicy drops ``message`` (None: no policy, or it matches)."""
    text = attributes.get("FilterPolicy")
    if not text:
        return None
    scope = str(attributes.get("FilterPolicyScope") or "MessageAttributes")
    shown = f"its filter policy {text} (scope {scope})"
    try:
        policy = json.loads(str(text))
        if not isinstance(policy, dict):
            return f"{shown} is not a JSON object, so it matches nothing"
        matched = FilterPolicyMatcher(policy, scope).matches(message.attributes or None, message.body)
    except Exception as err:  # noqa: BLE001 - a policy the matcher cannot evaluate is not shown to deliver
        return (
            f"{shown} cannot be evaluated ({type(err).__name__}: {err}), so it is not shown to receive {message.what}"
        )
    return None if matched else f"{shown} drops {message.what}"


# -- resource policies (evaluated by ``resource_policy``) ----------------------------------------


def service_denied(
    policy: Mapping[str, Any] | None,
    action: str,
    resource: str,
    context: Context,
    principal: str = SNS_PRINCIPAL,
) -> list[str]:
    """Why an explicit Deny of ``policy`` keeps the service ``principal`` from ``action`` on ``resource`` (empty:
    none applies); for services that need no Allow in the policy, only a Deny stops them."""
    _, denies, _ = weigh(policy, action, resource, context, principal)
    return [f"{', '.join(denies)} denies {principal} {action}"] if denies else []


def service_allowed(
    policy: Mapping[str, Any] | None,
    action: str,
    resource: str,
    context: Context,
    principal: str = SNS_PRINCIPAL,
) -> tuple[bool, list[str]]:
    """(allowed, why not) for the service ``principal`` doing ``action`` on ``resource`` under ``policy``."""
    allows, denies, unknown = weigh(policy, action, resource, context, principal)
    if denies:
        return False, [f"{', '.join(denies)} denies {principal} {action}"]
    if allows:
        return True, []
    source = context.get("aws:sourcearn")
    why = f"no statement allows {principal} {action} for {'topic ' if principal == SNS_PRINCIPAL else ''}{source}"
    if unknown:
        why += f" ({', '.join(unknown)} only under a condition that cannot be evaluated)"
    return False, [why]


def delivery_context(topic: str) -> dict[str, str | None]:
    """What SNS's delivery request carries as condition keys (lower case): a service principal's
    (``service_request``) for the topic, and the topic owner's account as aws:SourceOwner."""
    parts = arn_parts(topic)
    account = parts[4] if parts else ""
    return service_request(SNS_PRINCIPAL, topic, account, {"aws:sourceowner": account, "aws:securetransport": "true"})


def queue_problems(queue: QueueReadback | None, topic: str) -> list[str]:
    """Why SNS cannot deliver from ``topic`` to ``queue`` (empty: it can)."""
    if queue is None:
        return ["the queue was not read"]
    name = queue.arn.rsplit(":", 1)[-1]
    if queue.attributes is None:
        return [f"queue {name} does not exist"]
    context = delivery_context(topic)
    problems = []
    text = queue.attributes.get("Policy")
    policy: dict[str, Any] | None = None
    if text:
        try:
            loaded = json.loads(text)
            policy = loaded if isinstance(loaded, dict) else None
        except json.JSONDecodeError:
            policy = None
    if policy is None:
        shown = "has no policy" if not text else "has a policy that is not a JSON object"
        problems.append(f"queue {name} {shown}, so {SNS_PRINCIPAL} may not send to it (SNS cannot deliver)")
    else:
        ok, why = service_allowed(policy, "sqs:SendMessage", queue.arn, context)
        if not ok:
            problems.append(f"queue {name}'s policy: {'; '.join(why)} (SNS cannot deliver)")
    key_id = queue.attributes.get("KmsMasterKeyId")
    if key_id:
        problems += key_problems(name, key_id, queue.key, context)
        problems += key_reader_problems(name, key_id, queue.key, queue.arn)
    return problems + retention_problems(name, queue.attributes) + unreadable(name, queue.arn, policy)


def retention_problems(name: str, attributes: Mapping[str, str]) -> list[str]:
    """Why the queue deletes an alert before anyone may read it (empty: it keeps one ``MIN_RETENTION_S`` or more)."""
    text = attributes.get("MessageRetentionPeriod")
    if text is None or text == "":
        return []  # not shown: SQS's default, 4 days
    try:
        kept = int(text)
    except ValueError:
        return [f"queue {name} has a MessageRetentionPeriod that is not a number of seconds ({text!r})"]
    if kept >= MIN_RETENTION_S:
        return []
    return [
        f"queue {name} keeps a message only {kept} s (MessageRetentionPeriod), less than the {MIN_RETENTION_S} s "
        "(4 days, SQS's default) an alert must wait there to be read: the alert is sent once (a budget notification "
        "once per period, an alarm's when it enters ALARM), so SQS deletes it unread and it is lost"
    ]


def unreadable(name: str, arn: str, policy: Mapping[str, Any] | None) -> list[str]:
    """Why no principal of the queue's account may receive from it: a Deny of sqs:ReceiveMessage to everyone in it,
    under no condition (empty: none). A Deny under a condition, or naming some principals only, leaves readers."""
    parts = arn_parts(arn)
    if not parts or not parts[4]:
        return []
    account = parts[4]
    root = f"arn:{parts[1]}:iam::{account}:root"
    for index, statement in enumerate(statements(policy)):
        if (
            statement.get("Effect") == "Deny"
            and "NotPrincipal" not in statement
            and principal_is(statement, root)
            and action_covered(statement, "sqs:ReceiveMessage")
            and resource_covered(statement, arn)
            and not statement.get("Condition")
        ):
            return [
                f"queue {name}'s policy: {sid(statement, index)} denies sqs:ReceiveMessage to every principal of "
                f"account {account}, under no condition: the alert is kept where nobody may read it"
            ]
    return []


def key_use_problems(
    shown: str,
    key_id: str,
    key: KmsKey | None,
    principal: str,
    aws_managed: str | None,
    cannot: str,
    context: Context,
    actions: Sequence[str] = KMS_ACTIONS,
    identity: Callable[[str, str], list[str]] | None = None,
    identity_denies: Callable[[str, str], list[str]] | None = None,
) -> list[str]:
    """Why ``principal`` cannot use ``key`` for ``actions`` (empty: it can); ``shown`` names what the key encrypts,
    ``cannot`` what follows. An AWS managed key (``aws_managed``) has a policy that cannot be changed and lets no
    other service use it.

    ``principal`` is a service principal, or an IAM role's ARN with ``identity``: why the role's own IAM
    policies do not allow ``(action, key ARN)`` (empty: they do), and ``identity_denies``: which of them deny it.
    KMS lets a key policy statement naming the role's account (its root) hand the decision to the account's IAM
    policies, so there those must allow too; a grant to the role (ListGrants) allows on its own
    (``role_grants``); an explicit Deny in the key policy or the role's policies wins over all of them.
    """
    if key_id == aws_managed or (key and key.metadata.get("KeyManager") == "AWS"):
        return [f"{shown}, an AWS managed key whose policy does not let {principal} use it {cannot}"]
    if key is None:
        return [f"{shown}, which does not exist {cannot}"]
    if key.metadata.get("KeyState", "Enabled") != "Enabled" or key.metadata.get("Enabled") is False:
        return [f"{shown}, which is {key.metadata.get('KeyState', 'disabled')} {cannot}"]
    arn = str(key.metadata.get("Arn") or key_id)
    for action in actions:
        if identity is not None:
            denies = identity_denies(action, arn) if identity_denies else []
            problem = _role_key_problem(key, action, arn, context, principal, identity, denies)
            if problem:
                return [f"{shown}, {problem} {cannot}"]
            continue
        ok, why = service_allowed(key.policy, action, arn, context, principal=principal)
        if ok:
            continue
        if service_denied(key.policy, action, arn, context, principal):  # a key policy Deny wins over a grant too
            return [f"{shown}, whose key policy: {'; '.join(why)} {cannot}"]
        if service_grants(key.grants, principal, action, context):
            continue
        nor = f", nor does a grant (ListGrants: none to {principal} with SourceArn {context.get('aws:sourcearn')})"
        return [f"{shown}, whose key policy: {'; '.join(why)}{nor if key.grants is not None else ''} {cannot}"]
    return []


def service_grants(
    grants: Sequence[Mapping[str, Any]] | None, principal: str, action: str, context: Context
) -> list[str]:
    """The ids of the grants (ListGrants) that let the service ``principal`` do ``action`` (``kms:Decrypt``) with
    the key for the request's ``aws:SourceArn`` in ``context`` (empty: none does).

    KMS takes a service principal as grantee only in CreateGrant's GranteeServicePrincipal (ListGrants shows it
    there), and only with a SourceArn grant constraint: the grant then works only for requests made on behalf of
    that resource, "effectively the same as" an ``aws:SourceArn`` condition (KMS API reference, CreateGrant and
    GrantConstraints). Such a grant counts when its Operations name the action and its SourceArn is the request's
    source (the alarm's or budget's ARN; the topic's for SNS to a queue) exactly. Not counted, as AWS would not
    be shown to honour them for this request: a service principal in GranteePrincipal (that field takes IAM
    principals' ARNs; ListGrants shows a service there only for a grant a service made for its callers, which
    "might correspond to several different grantee principals"), and a grant with an encryption context
    constraint (the context SNS encrypts an alert under is not documented, so it cannot be told to match).
    """
    operation = action.removeprefix("kms:")
    found = []
    for grant in grants or []:
        constraints = grant.get("Constraints") or {}
        if (
            grant.get("GranteeServicePrincipal") == principal
            and operation in strings(grant.get("Operations"))
            and (source := context.get("aws:sourcearn"))
            and constraints.get("SourceArn") == source
            and not constraints.get("EncryptionContextEquals")
            and not constraints.get("EncryptionContextSubset")
        ):
            found.append(str(grant.get("GrantId") or "?"))
    return found


#: How a request's encryption context appears among its condition keys: ``kms:EncryptionContext:<key>`` (lower case).
ENCRYPTION_CONTEXT = "kms:encryptioncontext:"


def encryption_context(context: Context) -> dict[str, str] | None:
    """The whole encryption context of the request ``context`` describes, keys lower case (None: not known)."""
    pairs = {k.removeprefix(ENCRYPTION_CONTEXT): v for k, v in context.items() if k.startswith(ENCRYPTION_CONTEXT)}
    known = {k: v for k, v in pairs.items() if v is not None}
    return known or None


def constraint_holds(constraints: Mapping[str, Any], known: Mapping[str, str] | None) -> bool | None:
    """Whether a grant's encryption context constraint lets a request with the encryption context ``known`` (keys
    lower case) through: True, False, or None when there is a constraint and the request's context is not known.

    EncryptionContextEquals needs the request's context to be exactly its pairs, EncryptionContextSubset to
    include them; a constraint's keys are not case sensitive, its values are (KMS API reference, GrantConstraints).
    """
    equals, subset = constraints.get("EncryptionContextEquals"), constraints.get("EncryptionContextSubset")
    if not equals and not subset:
        return True
    if known is None:
        return None
    if equals and {str(k).lower(): str(v) for k, v in dict(equals).items()} != dict(known):
        return False
    return not subset or all(known.get(str(k).lower()) == str(v) for k, v in dict(subset).items())


def role_grants(
    grants: Sequence[Mapping[str, Any]] | None, grantee: str, action: str, context: Context | None = None
) -> tuple[list[str], list[str]]:
    """(usable, constrained): the ids of the grants (ListGrants) to the IAM principal ``grantee`` (a role's ARN, or
    its account's root) whose Operations name ``action``; ``constrained`` those under an encryption context
    constraint that cannot be told to hold, which work only for a request whose encryption context matches (KMS
    CreateGrant, GrantConstraints).

    A grant "allows the grantee principal to call the specified grant operations on the KMS key provided that all
    conditions specified in the grant are met", considered along with the key policy and IAM policies (KMS
    developer guide, Grants in AWS KMS): a grant to the role lets it decrypt whatever the key policy names. A
    constrained grant counts when ``context`` gives the request's encryption context (``kms:EncryptionContext:*``
    keys, as Lambda's decryption of a function's environment variables does) and the constraint holds for it; one
    that does not hold is not listed; without the context it is not shown to apply. A grant to an assumed-role
    session ARN names one session only, not every session of the role: not counted.
    """
    operation = action.removeprefix("kms:")
    known = encryption_context(context or {})
    usable: list[str] = []
    constrained: list[str] = []
    for grant in grants or []:
        if grant.get("GranteePrincipal") != grantee or operation not in strings(grant.get("Operations")):
            continue
        holds = constraint_holds(grant.get("Constraints") or {}, known)
        gid = str(grant.get("GrantId") or "?")
        if holds is None:
            constrained.append(gid)
        elif holds:
            usable.append(gid)
    return usable, constrained


def _role_key_problem(
    key: KmsKey,
    action: str,
    arn: str,
    context: Context,
    role: str,
    identity: Callable[[str, str], list[str]],
    identity_denies: Sequence[str] = (),
) -> str | None:
    """Why the IAM ``role`` may not do ``action`` on the key (None: it may): the key policy allows the role, a
    grant (ListGrants) to the role does, or the key policy (or a grant) allows its account with the role's IAM
    policies allowing too; and neither the key policy nor the role's policies (``identity_denies``) deny it. For a
    key of another account the key policy naming the role is not enough: "Neither the key policy nor the IAM policy
    alone is sufficient" across accounts (KMS developer guide, Allowing users in other accounts to use a KMS key),
    so the role's IAM policies must allow as well."""
    policy = key.policy
    root = root_of(role)
    allows, denies, unknown = weigh(policy, action, arn, context, role)
    by_account, account_denies, account_unknown = weigh(policy, action, arn, context, root) if root else ([], [], [])
    if denies or account_denies:  # a statement naming "*" names both: once
        return f"whose key policy: {', '.join(dict.fromkeys(denies + account_denies))} denies {role} {action}"
    if identity_denies:  # an explicit Deny in an IAM policy wins over the key policy's Allow and over a grant
        return f"which the role's IAM policies deny: {'; '.join(identity_denies)}"
    granted, constrained = role_grants(key.grants, role, action, context)
    key_account = (arn_parts(arn) or ("",) * 5)[4]
    role_account = (arn_parts(role) or ("",) * 5)[4]
    if granted or (allows and key_account == role_account):
        return None
    if allows:  # another account's key: its key policy says who may, the role's IAM policies must delegate too
        why_not = identity(action, arn)
        if not why_not:
            return None
        return (
            f"a key of account {key_account} whose key policy allows {role} {action} ({', '.join(allows)}), but "
            f"across accounts KMS needs the role's IAM policies to allow it too, and they do not: {'; '.join(why_not)}"
        )
    to_account, account_constrained = role_grants(key.grants, root, action, context) if root else ([], [])
    by_account += [f"grant {g}" for g in to_account]
    constrained += account_constrained
    nor = ""
    if key.grants is not None:
        nor = f", nor does a grant (ListGrants: none to {role} for {action.removeprefix('kms:')}"
        if constrained:
            nor += f" but {', '.join(constrained)} under an encryption context constraint that cannot be evaluated"
        nor += ")"
    if by_account:
        why_not = identity(action, arn)
        if not why_not:
            return None
        return (
            f"whose key policy leaves {action} to the IAM policies of its account ({', '.join(by_account)} allows "
            f"{root}), and the role's do not allow it: {'; '.join(why_not)}{nor}"
        )
    why = f"whose key policy allows neither {role} nor its account {action}"
    if unknown or account_unknown:
        doubts = ", ".join(dict.fromkeys(unknown + account_unknown))
        why += f" ({doubts} only under a condition that cannot be evaluated)"
    return why + nor


def key_problems(queue: str, key_id: str, key: KmsKey | None, context: Context) -> list[str]:
    """Why SNS cannot use the queue's KMS key to deliver (empty: it can)."""
    shown = f"queue {queue} is encrypted with KMS key {key_id}"
    return key_use_problems(shown, key_id, key, SNS_PRINCIPAL, AWS_MANAGED_SQS_KEY, "(SNS cannot deliver)", context)


def _names_account_principal(statement: Mapping[str, Any], account: str, root: str) -> bool:
    """Whether the statement's Principal covers some principal of ``account``: everyone, its root or bare id, or
    one of its IAM/STS ARNs (a NotPrincipal counts unless it leaves out the account's root)."""
    if principal_is(statement, root):
        return True
    value = statement.get("Principal")
    named = strings(value.get("AWS")) if isinstance(value, dict) else []
    return any((parts := arn_parts(p)) and parts[2] in ("iam", "sts") and parts[4] == account for p in named)


def key_reader_problems(queue: str, key_id: str, key: KmsKey | None, arn: str) -> list[str]:
    """Why no principal of the queue's account may read its alerts: none may ``kms:Decrypt`` with its key (empty:
    one may, or the key is not one this judges: missing, AWS managed or not enabled, ``key_problems`` names those).

    SQS decrypts each message it returns to ReceiveMessage with the rights of the caller ("If encryption is used",
    a consumer needs ``kms:Decrypt`` on the queue's key: SQS key management, Configuring AWS KMS permissions), so a
    key whose policy lets only services (``sns.amazonaws.com``) or other accounts use it keeps the alert where
    nobody may read it. A key policy statement naming the account's root, or any IAM ARN of it, may let
    someone decrypt (the root hands the decision to the account's IAM policies), as may a grant (ListGrants) to one
    of its principals; a condition that cannot be evaluated counts as holding, since the reader is not known here.
    Only a Deny of ``kms:Decrypt`` to the whole account under no condition takes every reader away.
    """
    parts = arn_parts(arn)
    if key is None or not parts or not parts[4]:
        return []
    if key.metadata.get("KeyManager") == "AWS" or key.metadata.get("KeyState", "Enabled") != "Enabled":
        return []
    account, region = parts[4], parts[3]
    root = f"arn:{parts[1]}:iam::{account}:root"
    key_arn = str(key.metadata.get("Arn") or key_id)
    context = {
        "kms:calleraccount": account,
        "aws:principalaccount": account,
        "kms:viaservice": f"sqs.{region}.amazonaws.com",
    }
    shown = f"queue {queue} is encrypted with KMS key {key_id}, whose key policy"
    readers = []
    for index, statement in enumerate(statements(key.policy)):
        if not (action_covered(statement, "kms:Decrypt") and resource_covered(statement, key_arn)):
            continue
        effect, unconditional = statement.get("Effect"), not statement.get("Condition")
        if effect == "Deny" and unconditional and "NotPrincipal" not in statement and principal_is(statement, root):
            return [
                f"{shown}: {sid(statement, index)} denies kms:Decrypt to every principal of account {account}, "
                "under no condition: SQS decrypts a message for whoever receives it, so nobody can read the alert"
            ]
        if (
            effect == "Allow"
            and _names_account_principal(statement, account, root)
            and condition(statement, context) is not False
        ):
            readers.append(sid(statement, index))
    granted = [
        g
        for g in key.grants or []
        if "Decrypt" in strings(g.get("Operations"))
        and (p := arn_parts(str(g.get("GranteePrincipal") or "")))
        and p[4] == account
    ]
    if readers or granted:
        return []
    return [
        f"{shown} lets no principal of account {account} kms:Decrypt (no statement allows its root, an IAM ARN of "
        "it or everyone, and no grant does): SQS decrypts a message for whoever receives it, so nobody can read the "
        "alert"
    ]


def is_fifo_topic(arn: str, attributes: Mapping[str, Any]) -> bool:
    """Whether GetTopicAttributes shows a FIFO topic: FifoTopic ``true``. SNS also names every FIFO topic
    ``<name>.fifo`` and allows no dot in a standard topic's name, so the ARN's suffix says the same (read as well:
    a reply that leaves the attribute out does not turn a FIFO topic into a standard one)."""
    return str(attributes.get("FifoTopic", "")).lower() == "true" or arn.endswith(".fifo")


def fifo_topic_problem(publisher: str) -> str:
    """Why the service ``publisher`` (CloudWatch, Budgets) cannot publish to a FIFO topic.

    SNS takes a publish to a FIFO topic only with a MessageGroupId ("If you do not provide a MessageGroupId, the
    action fails", SNS Publish API; the group ID "is a mandatory token", SNS FIFO message grouping), and an alarm
    action or a budget notification is a plain publish with none: SNS refuses it, and nobody hears the alert
    whatever the topic's subscriptions.
    """
    service = publisher.split(".", 1)[0]
    return (
        "is a FIFO topic (FifoTopic true): SNS takes a publish to a FIFO topic only with a MessageGroupId, and "
        f"{publisher} publishes without one, as to a standard topic, so SNS refuses it ({service} cannot publish to "
        "it)"
    )


def topic_key_problems(topic: str, key_id: str, key: KmsKey | None, publisher: str, context: Context) -> list[str]:
    """Why the service ``publisher`` (CloudWatch, Budgets) cannot publish to a topic encrypted with ``key_id``.

    SNS encrypts what a service publishes with the topic's key on the publisher's behalf: the key policy must
    let that service principal ``kms:GenerateDataKey*`` and ``kms:Decrypt``, which the AWS managed
    ``alias/aws/sns`` key's policy never does and cannot be changed to (SNS developer guide, "Enable compatibility
    between event sources from AWS services and encrypted topics": use a customer managed key whose policy
    allows the service, e.g. ``cloudwatch.amazonaws.com``, ``budgets.amazonaws.com``). A grant to the service
    principal (ListGrants GranteeServicePrincipal) for the alarm's or budget's ARN does as well (``service_grants``).
    A disabled key, or one pending deletion, serves nobody (DescribeKey KeyState). The alert is dropped otherwise.

    The publish's condition keys are ``aws:SourceArn`` (the alarm's or budget's ARN), ``aws:SourceAccount``,
    ``aws:PrincipalIsAWSService`` and ``aws:PrincipalServiceName`` (``finops.publisher_context``), so the usual
    statements, which pin one of those to the stack's own alarms or account, are evaluated. An Allow only under
    another key or operator (``aws:SourceOrgID``, a ``kms:EncryptionContext`` key, a date), ``...IfExists`` or
    not, cannot be told to hold: it does not count, and the reason names it ("only under a condition that cannot
    be evaluated") rather than passing a key that may refuse the service. A Deny under such a condition counts (it
    may apply, and an explicit Deny wins over every Allow and grant). An ``...IfExists`` operator holds without a
    value only on a key a service's request never carries (``resource_policy.NOT_SERVICE_KEYS``).
    """
    cannot = f"({publisher.split('.', 1)[0]} cannot publish to it)"
    return key_use_problems(
        f"is encrypted with KMS key {key_id}", key_id, key, publisher, AWS_MANAGED_SNS_KEY, cannot, context
    )


def function_problems(function: FunctionReadback | None, topic: str) -> list[str]:
    """Why SNS cannot invoke ``function`` for ``topic`` (empty: it can)."""
    if function is None:
        return ["the function was not read"]
    name, cannot = function.arn.split(":function:", 1)[-1], "(SNS cannot deliver)"
    if not function.exists:
        return [f"Lambda function {name} does not exist {cannot}"]
    if function.policy is None:
        return [f"Lambda function {name} has no resource policy, so {SNS_PRINCIPAL} may not invoke it {cannot}"]
    ok, why = service_allowed(function.policy, "lambda:InvokeFunction", function.arn, delivery_context(topic))
    problems = [] if ok else [f"Lambda function {name}'s resource policy: {'; '.join(why)} {cannot}"]
    return (
        problems
        + state_problems(name, function.configuration)
        + concurrency_problems(name, function.reserved_concurrency)
        + package_problems(name, function.package)
        + record_problems(name, function.record)
        + function.env_key_problems
    )


def subscription_problems(
    subscription: Mapping[str, Any],
    attributes: Mapping[str, Any] | None,
    queues: Mapping[str, QueueReadback | None],
    messages: list[Message],
    functions: Mapping[str, FunctionReadback | None] | None = None,
    phones: Mapping[str, PhoneReadback | None] | None = None,
) -> list[str]:
    """Why a confirmed subscription does not receive every one of ``messages`` (empty: it does)."""
    if attributes is None:
        return ["the subscription no longer exists (GetSubscriptionAttributes)"]
    problems: list[str] = []
    endpoint, topic = str(subscription.get("Endpoint")), str(subscription.get("TopicArn"))
    if str(subscription.get("Protocol")) == "sqs":
        problems += queue_problems(queues.get(endpoint), topic)
        raw = str(attributes.get("RawMessageDelivery", "false")).lower() == "true"
        problems += size_problems(queues.get(endpoint), subscription, raw, messages)
    elif str(subscription.get("Protocol")) == "lambda":
        problems += function_problems((functions or {}).get(endpoint), topic)
    elif str(subscription.get("Protocol")) == "sms":
        problems += phone_problems((phones or {}).get(endpoint))
    for message in messages:
        why = filter_problem(attributes, message)
        if why:
            problems.append(why)
    return problems


# -- reading ---------------------------------------------------------------------------------------


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def read_subscription_attributes(sns: Any, arn: str) -> dict[str, Any] | None:
    """GetSubscriptionAttributes, None when the subscription is gone; other failures raise."""
    try:
        return dict(sns.get_subscription_attributes(SubscriptionArn=arn).get("Attributes") or {})
    except ClientError as err:
        if _code(err) in ("NotFound", "NotFoundException"):
            return None
        raise


def read_queue(sqs: Any, kms: Any, arn: str) -> QueueReadback:
    """The queue's attributes (and its KMS key), read in the queue's own region and account."""
    parts = arn_parts(arn)
    name, account = (parts[5], parts[4]) if parts else (arn, "")
    try:
        url = sqs.get_queue_url(QueueName=name, **({"QueueOwnerAWSAccountId": account} if account else {}))["QueueUrl"]
        attributes = dict(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]).get("Attributes") or {})
    except ClientError as err:
        if _code(err) in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"):
            return QueueReadback(arn, None)
        raise
    queue = QueueReadback(arn, attributes)
    key_id = attributes.get("KmsMasterKeyId")
    if key_id and key_id != AWS_MANAGED_SQS_KEY:
        queue.key = read_key(kms, key_id, grants=True)
    return queue


def read_function(awslambda: Any, arn: str, cloudwatch: Any = None) -> FunctionReadback:
    """GetFunction (its package too) and GetPolicy of the subscribed function, and its invocation record
    (``cloudwatch``, in the function's region); other failures raise."""
    try:
        answer = awslambda.get_function(FunctionName=arn)
    except ClientError as err:
        if _code(err) == "ResourceNotFoundException":
            return FunctionReadback(arn, False)
        raise
    described = answer.get("Configuration") or {}
    configuration = {k: described[k] for k in FUNCTION_FIELDS if k in described}  # no Environment: secrets
    function = FunctionReadback(arn, True, configuration=configuration, package=read_package(answer))
    function.environment_variables = len((described.get("Environment") or {}).get("Variables") or {})
    reserved = (answer.get("Concurrency") or {}).get("ReservedConcurrentExecutions")
    function.reserved_concurrency = int(reserved) if reserved is not None else None
    if cloudwatch is not None:
        function.record = read_record(cloudwatch, str(configuration.get("FunctionName") or arn))
    try:
        text = awslambda.get_policy(FunctionName=arn).get("Policy")
    except ClientError as err:
        if _code(err) == "ResourceNotFoundException":  # a function without a resource policy
            return function
        raise
    try:
        loaded = json.loads(text) if text else None
    except json.JSONDecodeError:
        loaded = None
    function.policy = loaded if isinstance(loaded, dict) else None
    return function


def read_grants(kms: Any, key_id: str) -> list[dict[str, Any]]:
    """ListGrants of the key, every page: a grant may let a principal decrypt that the key policy does not name."""
    return [
        dict(g) for page in kms.get_paginator("list_grants").paginate(KeyId=key_id) for g in page.get("Grants") or []
    ]


def read_key(kms: Any, key_id: str, grants: bool = False) -> KmsKey | None:
    """DescribeKey and the default key policy (and with ``grants`` ListGrants); None when the key does not exist."""
    try:
        metadata = dict(kms.describe_key(KeyId=key_id)["KeyMetadata"])
    except ClientError as err:
        if _code(err) == "NotFoundException":
            return None
        raise
    text = kms.get_key_policy(KeyId=metadata["KeyId"], PolicyName="default").get("Policy")
    try:
        loaded = json.loads(text) if text else None
    except json.JSONDecodeError:
        loaded = None  # judged as a policy that allows nothing
    key = KmsKey(metadata, loaded if isinstance(loaded, dict) else None)
    if grants:
        key.grants = read_grants(kms, str(metadata["KeyId"]))
    return key
