"""Exit check 7: Fin/Obs guards. A budget and a billing alarm that can fire, a dashboard with >= 3 metrics.

Everything is read back through the service APIs (Budgets, CloudWatch, SNS), never from
Terraform state: the check must see what AWS would act on, including changes made
outside Terraform. Terraform outputs only name the budget, dashboard and alarm to read;
the alarm is judged where AWS publishes billing metrics, and every alarm on those metrics
in us-east-1 is listed in the evidence, so a healthy stray alarm cannot hide a broken one;
and it can fire only if the account publishes its metric (ListMetrics in us-east-1: AWS publishes
EstimatedCharges only once "Receive Billing Alerts" is enabled, a Billing preference with no API) and
still does (its newest datapoint, ``billing_freshness``: ListMetrics lists two weeks of the past).
An alert counts only if the service may publish it (the topic policy: an explicit Deny wins) and
someone receives it (``alert_delivery``: queue policy, KMS key, filter policy; a Lambda receiver's role able to
decrypt its environment variables, ``lambda_env_key``, whose key lets nobody outside the account decrypt them:
``alert_receivers``), and a dashboard
series only if CloudWatch has the metric (ListMetrics), CloudWatch computes its statistic
(``metric_statistics``) and it watches the stack (``of_the_stack``: a dimension naming one of its
resources, or the account's estimated charges, split at most to a service its resources are billed
under: ``billing_services``).

Split in two so each half can be tested on its own: ``read_finops`` talks to the
target (boto3), ``judge_finops`` is a pure function over what was read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse.checks.alert_delivery import (
    AWS_MANAGED_SNS_KEY,
    DELIVERY_RULE,
    FunctionReadback,
    KmsKey,
    Message,
    QueueReadback,
    alarm_alerts,
    budget_alert,
    fifo_topic_problem,
    is_fifo_topic,
    read_function,
    read_key,
    read_queue,
    read_subscription_attributes,
    service_allowed,
    service_denied,
    subscription_problems,
    topic_key_problems,
)
from lakehouse.checks.billing_alarm import (
    BILLING_ALARM_RULE,
    BILLING_DIMENSIONS,
    BILLING_METRIC,
    BILLING_NAMESPACE,
    BILLING_REGION,
    amount,
    arn_region,
    billing_alarm_summary,
    dimension_label,
    is_account_total,
    is_sns_topic,
    judge_billing_alarm,
    state_note,
)
from lakehouse.checks.billing_freshness import NewestCharge, freshness_evidence, read_newest_charge
from lakehouse.checks.billing_services import SERVICE_DIMENSION, foreign_service, stack_services
from lakehouse.checks.budget_limit import LIMIT_RULE, limit_problems
from lakehouse.checks.dashboard_metrics import COUNTING_RULE, MetricCount, SeriesKey, count_metric_series
from lakehouse.checks.lambda_env_key import ENV_KEY_RULE, judge_env_key
from lakehouse.checks.resource_policy import service_request
from lakehouse.checks.sms_receiver import PhoneReadback, read_phone
from lakehouse.config import DEFAULT_MONTHLY_COST_CAP_USD
from lakehouse.inventory import DEFAULT_PROJECT, name_prefixes
from lakehouse.lifetime import STACK_TAG
from lakehouse.outcome import Outcome
from lakehouse.ownership import named
from lakehouse.target import Target

__all__ = ["BILLING_REGION", "COUNTING_RULE", "MetricCount", "count_metric_series"]  # re-exported for callers

#: The plan's pass condition: a CloudWatch dashboard with >= 3 metrics (the feature's step text can change it).
MIN_METRIC_SERIES = 3
#: Terraform output names the check reads the resources' names from.
OUTPUT_KEYS = ("budget_name", "dashboard_name", "billing_alarm_name")
#: Budgets reads a notification without ThresholdType as a percentage of the limit.
DEFAULT_THRESHOLD_TYPE = "PERCENTAGE"

BUDGET_RULE = (
    "The budget can fire when: it is a MONTHLY COST budget whose USD limit is within the cap (" + LIMIT_RULE + "); "
    "it covers all "
    "of the account's cost (no CostFilters, no FilterExpression: a budget filtered to one service never sees "
    "the rest of the bill; no charge type left out by CostTypes: IncludeTax, IncludeSupport, IncludeSubscription, "
    "IncludeOtherSubscription, IncludeRecurring or IncludeUpfront false leaves that part of the bill unseen, so "
    "a bill over the cap reads under it; no BillingViewArn but the account's own primary billing view: a custom "
    "view is filtered and a billing group's is pro forma); its TimePeriod holds the moment of reading "
    "(Start <= now < End: a budget that ended, or starts later, tracks no spend this month and never alerts); "
    "and at least one notification compares GREATER_THAN at a threshold above 0 (one at 0 fires at the month's "
    "first charge, once, and says nothing when the cap is crossed) and <= 100 % of the limit (PERCENTAGE "
    "thresholds as they are, ABSOLUTE_VALUE thresholds in USD against the limit; a FORECASTED one only once AWS "
    "forecasts the budget, i.e. DescribeBudget shows CalculatedSpend.ForecastedSpend: AWS needs about five weeks "
    "of usage data to forecast and sends no forecasted notification before, so on a new account only ACTUAL ones "
    "can fire) and "
    "has an SNS subscriber whose topic exists (checked with GetTopicAttributes), is a standard topic (not FIFO: "
    "SNS refuses Budgets' publish, which has no MessageGroupId), has at least one confirmed "
    "subscription (ListSubscriptionsByTopic; PendingConfirmation does not count) and whose topic policy lets "
    "budgets.amazonaws.com publish (an Allow of sns:Publish on the topic to that service principal, or to everyone, "
    "whose conditions hold for the budget: aws:SourceAccount and aws:SourceArn evaluated, an Allow under another "
    "condition key does not count, so SNS's default policy, conditioned on aws:SourceOwner, does not; and no Deny "
    "of sns:Publish that could apply to Budgets: an explicit Deny wins over every Allow, and one under a condition "
    "that cannot be evaluated counts), and one of whose confirmed "
    "subscriptions receives a budget alert (see the delivery rule: queue policy, KMS key, filter policy): an alert "
    "nobody receives is no alert."
)
#: CostTypes that add charges to the bill (each defaults to true): false leaves those charges out of the budget.
#: Credits, refunds and discounts lower the bill, and blended or amortized rates restate it: not judged.
CHARGE_TYPES = (
    "IncludeTax",
    "IncludeSupport",
    "IncludeSubscription",
    "IncludeOtherSubscription",
    "IncludeRecurring",
    "IncludeUpfront",
)
#: The billing view that is the account's own bill (DescribeBudget names it for a budget made without one). Other
#: views are custom ones (filtered by account or tag) or a billing group's (pro forma prices).
PRIMARY_BILLING_VIEW = re.compile(r"arn:aws[a-z-]*:billing::(?P<account>[0-9]{12}):billingview/primary")
#: What ListSubscriptionsByTopic shows for a subscription that is not confirmed (or is being deleted).
UNCONFIRMED = frozenset({"PendingConfirmation", "pending confirmation", "Deleted"})
BUDGETS_PRINCIPAL = "budgets.amazonaws.com"
CLOUDWATCH_PRINCIPAL = "cloudwatch.amazonaws.com"
#: What SNS authorizes when a service publishes to a topic.
PUBLISH = "sns:Publish"
#: Publishers that need an Allow in the topic policy, not only no Deny. AWS Budgets documents the statement a
#: topic policy must carry for it (docs.aws.amazon.com/cost-management/latest/userguide/budgets-sns-policy.html);
#: for CloudWatch, AWS's knowledge center shows an alarm's action failing with "is not authorized to perform:
#: SNS:Publish" under a topic policy that allows it nothing, fixed by an Allow for cloudwatch.amazonaws.com
#: (repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger). SNS's default policy grants AWS
#: services access on behalf of the owner's resources
#: (docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html), so its aws:SourceOwner statement
#: counts for a same-account alarm (``OWNER_KEYED``), not for Budgets.
NEEDS_ALLOW = frozenset({BUDGETS_PRINCIPAL, CLOUDWATCH_PRINCIPAL})
#: Publishers whose publish also carries aws:SourceOwner (the topic owner's account), as SNS's default policy expects.
OWNER_KEYED = frozenset({CLOUDWATCH_PRINCIPAL})


class FinopsReadError(RuntimeError):
    """Something the check needs could not be read: no verdict on the stack (``error``)."""


@dataclass
class NotificationReadback:
    """One budget notification and the subscribers AWS has for it."""

    notification: dict[str, Any]
    subscribers: list[dict[str, Any]]


@dataclass
class FinopsReadback:
    """What the APIs returned; ``None`` means the resource was not found."""

    account_id: str
    budget_name: str
    budget: dict[str, Any] | None
    notifications: list[NotificationReadback]
    dashboard_name: str
    dashboard_body: str | None
    alarm_name: str
    alarm_region: str
    alarm: dict[str, Any] | None
    #: Every metric alarm on AWS/Billing EstimatedCharges in us-east-1, whatever its name.
    billing_alarms: list[dict[str, Any]] = field(default_factory=list)
    #: What ListMetrics in us-east-1 lists for AWS/Billing EstimatedCharges Currency=USD (all pages; series with
    #: more dimensions too): the account publishes the alarm's metric only if the total is among them (None: not
    #: read, judged as not shown).
    billing_metrics: list[dict[str, Any]] | None = None
    #: The newest datapoint of that total GetMetricStatistics in us-east-1 found over the last two weeks (None: not
    #: read, judged as not shown): ListMetrics still lists a metric whose publication stopped days ago.
    billing_newest: NewestCharge | None = None
    #: Each SNS topic ARN a subscriber or an alarm action names -> whether the topic exists.
    topics: dict[str, bool] = field(default_factory=dict)
    #: Each existing topic -> its subscriptions (ListSubscriptionsByTopic, all pages).
    subscriptions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: Each existing topic -> its access policy (the Policy attribute), None when it has none.
    topic_policies: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    #: Each existing topic encrypted with a KMS key -> (its KmsMasterKeyId, the key read back; None: no such key).
    topic_keys: dict[str, tuple[str, KmsKey | None]] = field(default_factory=dict)
    #: Each existing topic that shows a MaximumMessageSize -> that size in bytes: SNS refuses a larger publish.
    topic_max_sizes: dict[str, int] = field(default_factory=dict)
    #: Each existing topic that is a FIFO topic (FifoTopic true): CloudWatch and Budgets cannot publish to it.
    fifo_topics: set[str] = field(default_factory=set)
    #: Each confirmed subscription (SubscriptionArn) -> GetSubscriptionAttributes (None: it is gone).
    subscription_attributes: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    #: Each SQS queue a confirmed subscription delivers to (its ARN) -> what SQS and KMS say of it.
    queues: dict[str, QueueReadback] = field(default_factory=dict)
    #: Lambda endpoints of confirmed subscriptions, read back (existence, resource policy, environment key).
    functions: dict[str, FunctionReadback] = field(default_factory=dict)
    #: SMS endpoints of confirmed subscriptions, read back in their topic's region (SMS sandbox, opt-out).
    phones: dict[str, PhoneReadback] = field(default_factory=dict)
    #: Each series the dashboard draws (its label) -> whether ListMetrics lists it.
    published_series: dict[str, bool] = field(default_factory=dict)
    alerts_topic_arn: str | None = None
    #: When the budget was read: its TimePeriod must hold this moment (None: judged against the clock).
    read_at: datetime | None = None
    #: The stack judged: the budget and the billing alarm the outputs name must carry its ``stack_id`` tag
    #: (None: ownership not judged).
    stack_id: str | None = None
    budget_tags: dict[str, str] | None = None
    alarm_tags: dict[str, str] | None = None
    #: Names the outputs give the stack's resources (the outputs guard, ``lakehouse.ownership``, proved each the
    #: stack's by its tag). A dashboard dimension naming a ``<project>-`` resource must be one of them: by its
    #: name alone, stack ``lh-1``'s ``lakehouse-lh-1-`` prefix also starts stack ``lh-1-x``'s names (None: the
    #: name prefix is all there is to go by).
    own_names: frozenset[str] | None = None
    #: The region a dashboard row naming none is read in (ListMetrics there): the same series as a row naming
    #: it (None: rows naming no region are told apart from every region).
    default_region: str | None = None
    #: The AWS/Billing ServiceNames the stack's resources are billed under (``billing_services``): a tile of
    #: estimated charges split to another service holds none of its cost (None: not judged).
    stack_services: frozenset[str] | None = None


# -- reading ---------------------------------------------------------------------------------------


def _error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


@contextmanager
def _reading(what: str) -> Iterator[None]:
    """Turn an API failure into a ``FinopsReadError`` that names what could not be read."""
    try:
        yield
    except (ClientError, BotoCoreError) as err:
        raise FinopsReadError(f"could not read {what}: {err}") from err


def read_budget(budgets: Any, account: str, name: str) -> dict[str, Any] | None:
    """The budget as DescribeBudget returns it, or None when there is none by that name."""
    try:
        return dict(budgets.describe_budget(AccountId=account, BudgetName=name)["Budget"])
    except ClientError as err:
        if _error_code(err) != "NotFoundException":
            raise
    return None


def read_stack_budget(target: Target, outputs: Mapping[str, Any]) -> dict[str, Any] | None:
    """The stack's budget (output ``budget_name``) in the caller's account, or None when it is gone."""
    account = str(target.client("sts").get_caller_identity()["Account"])
    return read_budget(target.client("budgets"), account, str(outputs["budget_name"]))


def budget_notifications(budgets: Any, account: str, name: str) -> list[NotificationReadback]:
    """A budget's notifications, each with the subscribers AWS has for it."""
    found = []
    pages = budgets.get_paginator("describe_notifications_for_budget").paginate(AccountId=account, BudgetName=name)
    for page in pages:
        for notification in page.get("Notifications", []):
            subscribers = budgets.describe_subscribers_for_notification(
                AccountId=account, BudgetName=name, Notification=notification
            ).get("Subscribers", [])
            found.append(NotificationReadback(notification, list(subscribers)))
    return found


def billing_alarms(cloudwatch: Any) -> list[dict[str, Any]]:
    """Every metric alarm on AWS/Billing EstimatedCharges that ``cloudwatch``'s region holds.

    DescribeAlarmsForMetric wants the alarm's exact dimensions on AWS, and the point is to
    find alarms with any dimensions, so all metric alarms are listed and filtered here.
    """
    found = []
    for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"]):
        for alarm in page.get("MetricAlarms", []):
            if (alarm.get("Namespace"), alarm.get("MetricName")) == (BILLING_NAMESPACE, BILLING_METRIC):
                found.append(dict(alarm))
    return found


def billing_metrics(cloudwatch: Any) -> list[dict[str, Any]]:
    """What ListMetrics lists for AWS/Billing EstimatedCharges Currency=USD in ``cloudwatch``'s region, all pages.

    AWS publishes the metric only in us-east-1 and only once "Receive Billing Alerts" is enabled (a
    Billing preference with no API): this listing is how the account's setting shows. ListMetrics
    also lists series that carry more dimensions (ServiceName, LinkedAccount); the caller picks.
    """
    found: list[dict[str, Any]] = []
    pages = cloudwatch.get_paginator("list_metrics").paginate(
        Namespace=BILLING_NAMESPACE, MetricName=BILLING_METRIC, Dimensions=BILLING_DIMENSIONS
    )
    for page in pages:
        found += [dict(m) for m in page.get("Metrics") or []]
    return found


def topic_attributes(sns: Any, arn: str) -> dict[str, Any] | None:
    """The topic's attributes (GetTopicAttributes), None when it does not exist; other failures raise."""
    try:
        return dict(sns.get_topic_attributes(TopicArn=arn).get("Attributes") or {})
    except ClientError as err:
        if _error_code(err) in ("NotFound", "NotFoundException", "InvalidParameter"):
            return None
        raise


def topic_exists(sns: Any, arn: str) -> bool:
    """Whether GetTopicAttributes finds the topic; other failures (access, throttling) raise."""
    return topic_attributes(sns, arn) is not None


def topic_subscriptions(sns: Any, arn: str) -> list[dict[str, Any]]:
    """Every subscription of the topic, confirmed or not (ListSubscriptionsByTopic, all pages)."""
    found: list[dict[str, Any]] = []
    for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=arn):
        found += [dict(s) for s in page.get("Subscriptions") or []]
    return found


def _topic_arns(data: FinopsReadback) -> list[str]:
    """Every SNS topic the budget's subscribers and the billing alarms' actions name."""
    arns = {
        str(s.get("Address")) for n in data.notifications for s in n.subscribers if s.get("SubscriptionType") == "SNS"
    }
    for alarm in [data.alarm or {}, *data.billing_alarms]:
        arns.update(str(a) for a in alarm.get("AlarmActions") or [])
    return sorted(a for a in arns if is_sns_topic(a))


def _tags(listing: Mapping[str, Any], key: str) -> dict[str, str]:
    return {str(t["Key"]): str(t.get("Value", "")) for t in listing.get(key) or []}


def read_finops(
    target: Target,
    outputs: Mapping[str, Any],
    stack_id: str | None = None,
    resource_types: Iterable[str] | None = None,
) -> FinopsReadback:
    """Read the budget and its subscribers, the dashboard, the billing alarms and their topics.

    ``stack_id``: the stack judged (default: the outputs' ``stack_id``); the budget's and the billing
    alarm's tags are read so the judge can tell the stack's own from ones its outputs merely name.
    ``resource_types``: the Terraform types of the stack's resources (its state), which say the services it is
    billed under; None: the kinds of resource its outputs name, and the dashboard, alarm and budget judged here.
    Raises ``FinopsReadError`` naming the read that failed.
    """
    missing = [k for k in OUTPUT_KEYS if not outputs.get(k)]
    if missing:
        raise FinopsReadError(f"the stack's Terraform outputs lack {', '.join(missing)}; redeploy it from infra/")
    with _reading("the caller's account id (STS GetCallerIdentity)"):
        identity = target.client("sts").get_caller_identity()
    account, partition = str(identity["Account"]), str(identity["Arn"]).split(":")[1]
    budgets = target.client("budgets")  # a global endpoint on AWS, whatever the region
    name = str(outputs["budget_name"])
    with _reading(f"budget {name} (Budgets DescribeBudget)"):
        budget = read_budget(budgets, account, name)
    notifications: list[NotificationReadback] = []
    budget_tags: dict[str, str] | None = None
    if budget is not None:
        with _reading(f"the notifications and subscribers of budget {name}"):
            notifications = budget_notifications(budgets, account, name)
        with _reading(f"the tags of budget {name} (Budgets ListTagsForResource)"):
            arn = f"arn:{partition}:budgets::{account}:budget/{name}"
            budget_tags = _tags(budgets.list_tags_for_resource(ResourceARN=arn), "ResourceTags")

    dashboard_name = str(outputs["dashboard_name"])
    body: str | None = None
    with _reading(f"dashboard {dashboard_name} (CloudWatch GetDashboard)"):
        try:
            body = target.client("cloudwatch").get_dashboard(DashboardName=dashboard_name)["DashboardBody"]
        except ClientError as err:
            if _error_code(err) not in ("ResourceNotFound", "ResourceNotFoundException"):
                raise

    # Where the stack says it put the alarm; judged against us-east-1, the only place it can work.
    alarm_region = str(outputs.get("billing_alarm_region") or BILLING_REGION)
    alarm_name = str(outputs["billing_alarm_name"])
    with _reading(f"billing alarm {alarm_name} in {alarm_region} (CloudWatch DescribeAlarms)"):
        cloudwatch = target.client("cloudwatch", region=alarm_region)
        alarms = cloudwatch.describe_alarms(AlarmNames=[alarm_name]).get("MetricAlarms")
    alarm_tags: dict[str, str] | None = None
    if alarms:
        with _reading(f"the tags of billing alarm {alarm_name} (CloudWatch ListTagsForResource)"):
            alarm_tags = _tags(cloudwatch.list_tags_for_resource(ResourceARN=alarms[0]["AlarmArn"]), "Tags")
    with _reading(f"the alarms on {BILLING_NAMESPACE} {BILLING_METRIC} in {BILLING_REGION}"):
        in_billing_region = billing_alarms(target.client("cloudwatch", region=BILLING_REGION))
    with _reading(
        f"whether the account publishes {BILLING_NAMESPACE} {BILLING_METRIC} Currency=USD (ListMetrics in "
        f"{BILLING_REGION})"
    ):
        published = billing_metrics(target.client("cloudwatch", region=BILLING_REGION))
    with _reading(
        f"the newest datapoint of {BILLING_NAMESPACE} {BILLING_METRIC} Currency=USD (GetMetricStatistics in "
        f"{BILLING_REGION})"
    ):
        newest = read_newest_charge(target.client("cloudwatch", region=BILLING_REGION))
    data = FinopsReadback(
        account_id=account,
        budget_name=name,
        budget=budget,
        notifications=notifications,
        dashboard_name=dashboard_name,
        dashboard_body=body,
        alarm_name=alarm_name,
        alarm_region=alarm_region,
        alarm=dict(alarms[0]) if alarms else None,
        billing_alarms=in_billing_region,
        billing_metrics=published,
        billing_newest=newest,
        alerts_topic_arn=str(outputs["alerts_topic_arn"]) if outputs.get("alerts_topic_arn") else None,
        read_at=datetime.now(UTC),
        stack_id=stack_id or (str(outputs["stack_id"]) if outputs.get("stack_id") else None),
        budget_tags=budget_tags,
        alarm_tags=alarm_tags,
        own_names=frozenset(name for _, _, name in named(outputs)),
        default_region=target.region,
        stack_services=stack_services(resource_types if resource_types is not None else _named_types(outputs)),
    )
    clients: dict[str, Any] = {}
    for arn in _topic_arns(data):
        read_topic(target, data, arn, clients)
    if body is not None:
        _read_published(target, data, account, body)
    return data


def read_topic(target: Target, data: FinopsReadback, arn: str, clients: dict[str, Any] | None = None) -> None:
    """Read SNS topic ``arn`` into ``data``: whether it exists, its subscriptions, policy, KMS key and receivers.

    ``clients``: SNS clients by region, shared between calls. Raises ``FinopsReadError`` naming the read that failed.
    """
    clients = clients if clients is not None else {}
    region = arn_region(arn) or target.region
    sns = clients.setdefault(region, target.client("sns", region=region))
    with _reading(f"SNS topic {arn} (GetTopicAttributes)"):
        attributes = topic_attributes(sns, arn)
    data.topics[arn] = attributes is not None
    if attributes is None:
        return
    with _reading(f"the subscriptions of SNS topic {arn} (ListSubscriptionsByTopic)"):
        data.subscriptions[arn] = topic_subscriptions(sns, arn)
    policy = attributes.get("Policy")
    with _reading(f"the access policy of SNS topic {arn}"):
        document = json.loads(policy) if policy else None
        if document is not None and not isinstance(document, dict):
            raise ValueError(f"the policy of {arn} is not a JSON object")
    data.topic_policies[arn] = document
    if is_fifo_topic(arn, attributes):
        data.fifo_topics.add(arn)
    if size := attributes.get("MaximumMessageSize"):
        if not str(size).isdigit():
            raise FinopsReadError(f"SNS topic {arn} has a MaximumMessageSize that is not a number of bytes ({size!r})")
        data.topic_max_sizes[arn] = int(size)
    key_id = attributes.get("KmsMasterKeyId")
    if key_id:
        with _reading(f"KMS key {key_id} of SNS topic {arn} (DescribeKey, GetKeyPolicy, ListGrants)"):
            kms = target.client("kms", region=region)
            key = None if key_id == AWS_MANAGED_SNS_KEY else read_key(kms, key_id, grants=True)
        data.topic_keys[arn] = (str(key_id), key)
    receivers = "queues, functions with their environment keys and roles, phones"
    with _reading(f"the subscriptions' attributes and receivers ({receivers}) of SNS topic {arn}"):
        _read_delivery(target, sns, data, arn)


def _named_types(outputs: Mapping[str, Any]) -> list[str]:
    """Terraform types of what the outputs name (``s3-bucket`` -> ``aws_s3_bucket``) and of what this check reads."""
    named_types = [f"aws_{kind.replace('-', '_')}" for _, kind, _ in named(outputs)]
    return [*named_types, "aws_cloudwatch_dashboard", "aws_cloudwatch_metric_alarm", "aws_budgets_budget"]


def _read_delivery(target: Target, sns: Any, data: FinopsReadback, topic: str) -> None:
    """Each confirmed subscription's attributes (FilterPolicy) and its receiver: for SQS its queue and KMS key, for
    Lambda its function, for SMS the number's sandbox and opt-out and the account's SMS spend in the topic's region."""
    for sub in confirmed(data.subscriptions.get(topic, [])):
        arn = str(sub["SubscriptionArn"])
        data.subscription_attributes[arn] = read_subscription_attributes(sns, arn)
        endpoint = str(sub.get("Endpoint"))
        if sub.get("Protocol") == "sqs" and endpoint not in data.queues:
            region = arn_region(endpoint) or target.region
            data.queues[endpoint] = read_queue(
                target.client("sqs", region=region), target.client("kms", region=region), endpoint
            )
        elif sub.get("Protocol") == "lambda" and endpoint not in data.functions:
            region = arn_region(endpoint) or target.region
            data.functions[endpoint] = read_function(
                target.client("lambda", region=region), endpoint, target.client("cloudwatch", region=region)
            )
            judge_env_key(target, data.functions[endpoint])
        elif sub.get("Protocol") == "sms" and endpoint not in data.phones:
            region = arn_region(topic) or target.region
            data.phones[endpoint] = read_phone(
                sns, endpoint, region, target.client("cloudwatch", region=region), data.read_at
            )


def metric_published(cloudwatch: Any, key: SeriesKey) -> bool:
    """Whether ListMetrics lists the series: its namespace and name with exactly its dimension set."""
    dimensions = [{"Name": k, "Value": v} for k, v in key.dimensions]
    pages = cloudwatch.get_paginator("list_metrics").paginate(
        Namespace=key.namespace, MetricName=key.metric, Dimensions=dimensions
    )
    want = sorted(key.dimensions)
    for page in pages:
        for metric in page.get("Metrics") or []:
            found = sorted((str(d.get("Name")), str(d.get("Value"))) for d in metric.get("Dimensions") or [])
            if found == want:
                return True
    return False


def _read_published(target: Target, data: FinopsReadback, account: str, body: str) -> None:
    """ListMetrics for every series the dashboard draws, in the series' region (a dead tile does not count)."""
    try:
        parsed = json.loads(body)
    except json.JSONDecodeError:
        return  # the judge names the body that is not JSON
    counted = count_metric_series(parsed if isinstance(parsed, dict) else {})
    for label, key in zip(counted.series, counted.keys, strict=True):
        if key.account and key.account != account:
            data.published_series[label] = False  # another account's metrics: not listed from this one
            continue
        region = key.region or target.region
        with _reading(f"whether CloudWatch has {label} (ListMetrics in {region})"):
            data.published_series[label] = metric_published(target.client("cloudwatch", region=region), key)


# -- who receives an alert -------------------------------------------------------------------------


def confirmed(subscriptions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The subscriptions SNS delivers to: confirmed ones (a real SubscriptionArn)."""
    return [s for s in subscriptions if str(s.get("SubscriptionArn", "")).startswith("arn:")]


def deaf_topics(data: FinopsReadback) -> dict[str, str]:
    """Each existing topic nobody receives from, and why (no subscription, or none confirmed)."""
    deaf: dict[str, str] = {}
    for arn, exists in data.topics.items():
        if not exists:
            continue
        subs = data.subscriptions.get(arn, [])
        if not confirmed(subs):
            pending = [f"{s.get('Protocol')} {s.get('Endpoint')}" for s in subs]
            deaf[arn] = (
                f"has no confirmed subscription ({len(subs)} pending: {', '.join(pending)})"
                if subs
                else "has no subscription"
            )
    return deaf


def _subscription_label(sub: Mapping[str, Any]) -> str:
    return f"{sub.get('Protocol')} {sub.get('Endpoint')}"


def delivery_problems(data: FinopsReadback, topic: str, messages: list[Message]) -> dict[str, list[str]]:
    """Each confirmed subscription of ``topic`` (its label) -> why it does not receive ``messages`` (empty: it does)."""
    found: dict[str, list[str]] = {}
    for sub in confirmed(data.subscriptions.get(topic, [])):
        arn = str(sub.get("SubscriptionArn"))
        if arn not in data.subscription_attributes:
            found[_subscription_label(sub)] = ["its attributes were not read (GetSubscriptionAttributes)"]
            continue
        found[_subscription_label(sub)] = subscription_problems(
            sub, data.subscription_attributes[arn], data.queues, messages, data.functions, data.phones
        )
    return found


def nobody_receives(data: FinopsReadback, topic: str, messages: list[Message], what: str) -> str | None:
    """Why nobody receives ``messages`` published to ``topic`` (None: a confirmed subscription does)."""
    deaf = deaf_topics(data)
    if topic in deaf:
        return deaf[topic]
    problems = delivery_problems(data, topic, messages)
    if any(not why for why in problems.values()):
        return None
    shown = "; ".join(f"{label}: {', '.join(why)}" for label, why in sorted(problems.items()))
    return f"has no subscription that receives {what} ({shown})"


def publisher_context(publisher: str, account: str, source_arn: str) -> dict[str, str | None]:
    """The condition keys (lower case) the service ``publisher``'s publish carries: a service principal's request
    (``resource_policy.service_request``) for the budget's or alarm's ARN and account.

    Budgets' and CloudWatch's documented policies condition on aws:SourceAccount and aws:SourceArn. Whether
    they also set aws:SourceOwner is not documented, so it is left out: a condition on it, ``...IfExists`` or not,
    cannot be evaluated (an Allow under it does not count, a Deny under it does).
    """
    return service_request(publisher, source_arn, account)


def topic_policy_problem(data: FinopsReadback, topic: str, publisher: str, source_arn: str) -> str | None:
    """Why the topic's policy keeps the service ``publisher`` from publishing for ``source_arn`` (None: it does not).

    An explicit Deny of sns:Publish that could apply wins over every Allow (SNS's evaluation logic); a
    publisher in ``NEEDS_ALLOW`` also needs an Allow. The reason names the statement (Sid, or #index).
    """
    policy = data.topic_policies.get(topic)
    context = publisher_context(publisher, data.account_id, source_arn)
    if publisher in OWNER_KEYED:
        context["aws:sourceowner"] = data.account_id
    if publisher in NEEDS_ALLOW:
        _, why = service_allowed(policy, PUBLISH, topic, context, principal=publisher)
    else:
        why = service_denied(policy, PUBLISH, topic, context, principal=publisher)
    if not why:
        return None
    cannot = f"({publisher.split('.', 1)[0]} cannot publish to it)"
    return f"has a policy that does not let {publisher} publish: {'; '.join(why)} {cannot}"


def unpublishable(data: FinopsReadback, topic: str, publisher: str, source_arn: str) -> str | None:
    """Why the service ``publisher`` cannot publish to ``topic`` for ``source_arn``: a FIFO topic, the topic's
    policy, or the KMS key it is encrypted with (None: it can)."""
    problems = [fifo_topic_problem(publisher)] if topic in data.fifo_topics else []
    problems += [p] if (p := topic_policy_problem(data, topic, publisher, source_arn)) else []
    if topic in data.topic_keys:
        key_id, key = data.topic_keys[topic]
        context = publisher_context(publisher, data.account_id, source_arn)
        problems += topic_key_problems(topic, key_id, key, publisher, context)
    return " and ".join(problems) or None


def too_large(data: FinopsReadback, topic: str, messages: list[Message]) -> str | None:
    """Why SNS refuses to take ``messages`` on ``topic``: larger than its MaximumMessageSize (None: they fit).

    SNS checks each publish (body and message attributes) against the topic's MaximumMessageSize (1,024 bytes to
    1 MiB, 256 KiB by default) and refuses a larger one: the alarm or budget's publish fails and nobody hears it.
    """
    limit = data.topic_max_sizes.get(topic)
    if limit is None:
        return None
    found = [
        f"{m.what} is at least {size} bytes"
        for m in messages
        if (size := len(m.body.encode())) > limit  # the alert as built here: the real one is no smaller
    ]
    if not found:
        return None
    return (
        f"accepts messages of at most {limit} bytes (MaximumMessageSize), and {'; '.join(found)}: SNS refuses the "
        "publish"
    )


def alarm_deaf(data: FinopsReadback, alarm: Mapping[str, Any], region: str) -> dict[str, str]:
    """Each existing topic of the alarm's actions that nobody receives its ALARM notification from, and why."""
    messages = alarm_alerts(alarm, data.account_id, region)
    found = {}
    for arn in (str(a) for a in alarm.get("AlarmActions") or []):
        if data.topics.get(arn):
            reasons = [
                unpublishable(data, arn, CLOUDWATCH_PRINCIPAL, str(alarm.get("AlarmArn") or "")),
                too_large(data, arn, messages),
                nobody_receives(data, arn, messages, f"alarm {alarm.get('AlarmName')}'s ALARM notification"),
            ]
            if any(reasons):
                found[arn] = " and ".join(r for r in reasons if r)
    return found


# -- judging ---------------------------------------------------------------------------------------


def _num(value: Decimal) -> str:
    """A Decimal as people write it: 20000, not 2E+4 or 20000.000."""
    return f"{value.normalize():f}"


def forecasted(budget: Mapping[str, Any]) -> bool:
    """Whether AWS forecasts the budget: DescribeBudget shows a ForecastedSpend amount in CalculatedSpend.

    AWS needs about five weeks of usage data before it forecasts a budget, and sends no FORECASTED notification
    until it does (AWS Budgets best practices); the forecast's absence is how that shows in the API.
    """
    calculated = budget.get("CalculatedSpend")
    spend = calculated.get("ForecastedSpend") if isinstance(calculated, Mapping) else None
    return isinstance(spend, Mapping) and amount(spend.get("Amount")) is not None


def _notification_problems(
    n: NotificationReadback,
    limit: Decimal | None,
    topics: Mapping[str, bool],
    receivers: Mapping[str, str | None],
    forecast: bool = True,
) -> list[str]:
    """Why this notification cannot alert before the budget's limit is spent (empty: it can).

    ``receivers``: each SNS topic -> why budget alerts sent there reach nobody (None: they reach someone).
    ``forecast``: whether AWS forecasts the budget (``forecasted``); a FORECASTED notification needs it.
    """
    note = n.notification
    kind = note.get("ThresholdType") or DEFAULT_THRESHOLD_TYPE
    threshold = amount(note.get("Threshold"))
    why = []
    if note.get("NotificationType") == "FORECASTED" and not forecast:
        why.append(
            "is FORECASTED, and AWS has no forecast for the budget yet (DescribeBudget shows no "
            "CalculatedSpend.ForecastedSpend; AWS forecasts only after about five weeks of usage data, and sends "
            "no forecasted notification before): it cannot fire now, an ACTUAL notification can"
        )
    if note.get("ComparisonOperator") != "GREATER_THAN":
        why.append(f"compares {note.get('ComparisonOperator')}, not GREATER_THAN")
    if threshold is None:
        why.append(f"has no threshold ({note.get('Threshold')})")
    elif threshold <= 0 and kind in ("PERCENTAGE", "ABSOLUTE_VALUE"):
        why.append(
            "fires at the month's first charge (GREATER_THAN 0): AWS sends an ACTUAL notification once per budget "
            "period, so it has fired, and says nothing, when the cap is crossed"
        )
    elif kind == "PERCENTAGE":
        if threshold > 100:
            spent = f" = {_num(limit * threshold / 100)} USD" if limit is not None else ""
            why.append(f"fires only past {_num(threshold)} % of the limit{spent}, above 100 %")
    elif kind == "ABSOLUTE_VALUE":
        if limit is None:
            why.append("has an ABSOLUTE_VALUE threshold and the budget no USD limit to compare it with")
        elif threshold > limit:
            why.append(f"fires only past {_num(threshold)} USD, above the {_num(limit)} USD limit")
    else:
        why.append(f"has threshold type {kind}")
    sns = [str(s.get("Address")) for s in n.subscribers if s.get("SubscriptionType") == "SNS"]
    if not n.subscribers:
        why.append("has no subscriber")
    elif not any(topics.get(a) for a in sns):
        shown = ", ".join(
            f"{s.get('SubscriptionType')} {s.get('Address')}"
            + (" (topic does not exist)" if topics.get(str(s.get("Address"))) is False else "")
            for s in n.subscribers
        )
        why.append(f"has no subscriber on an SNS topic that exists ({shown})")
    elif all(receivers.get(a, "is not read") for a in sns if topics.get(a)):
        shown = "; ".join(f"topic {a} {receivers.get(a, 'is not read')}" for a in sns if topics.get(a))
        why.append(f"reaches nobody: {shown}")
    return why


def budget_receivers(data: FinopsReadback) -> dict[str, str | None]:
    """Each existing topic -> why a budget alert published there reaches nobody (None: someone gets it)."""
    found: dict[str, str | None] = {}
    for arn, exists in data.topics.items():
        if not exists:
            continue
        nobody = nobody_receives(data, arn, [budget_alert()], "a budget alert")
        reasons = [nobody] if nobody else []
        partition = arn.split(":")[1] if arn.count(":") >= 5 else "aws"
        budget = f"arn:{partition}:budgets::{data.account_id}:budget/{data.budget_name}"
        if cannot := unpublishable(data, arn, BUDGETS_PRINCIPAL, budget):
            reasons.append(cannot)
        if refused := too_large(data, arn, [budget_alert()]):
            reasons.append(refused)
        found[arn] = " and ".join(reasons) or None
    return found


def _notification_label(note: Mapping[str, Any]) -> str:
    unit = " USD" if note.get("ThresholdType") == "ABSOLUTE_VALUE" else " %"
    return f"{note.get('NotificationType')} {note.get('ComparisonOperator')} {note.get('Threshold')}{unit}"


def _instant(value: Any) -> datetime | None:
    """A TimePeriod bound as boto3 parses it (datetime), or as epoch seconds / ISO text; None if unreadable."""
    try:
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            moment = datetime.fromtimestamp(float(value), UTC)
        elif isinstance(value, str):
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        else:
            return None
    except (ValueError, OverflowError, OSError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def period_problems(name: str, period: Any, now: datetime) -> list[str]:
    """Why a budget's TimePeriod does not cover ``now`` (it then tracks nothing this month and cannot alert)."""
    if not isinstance(period, Mapping):
        return [f"budget {name} has no TimePeriod ({period}): nothing shows it tracks this month's spend"]
    start, end = _instant(period.get("Start")), _instant(period.get("End"))
    shown = f"TimePeriod {period.get('Start')} to {period.get('End')}"
    why = []
    if start is None or end is None:
        why.append(f"budget {name} has a TimePeriod that cannot be read ({shown})")
    elif start > now:
        why.append(f"budget {name} starts only on {start.isoformat()} ({shown}): it does not guard {now:%Y-%m}")
    elif end <= now:
        why.append(f"budget {name} ended on {end.isoformat()} ({shown}): it does not guard {now:%Y-%m}")
    return why


def billing_view_problems(name: str, view: Any, account: str) -> list[str]:
    """Why the budget's billing view is not the account's whole bill (empty: no view named, or its primary one).

    A custom billing view is filtered (linked accounts, tags) and a billing group's view is pro forma: a budget on
    either sees part of the bill, or other prices, as a CostFilters budget does, with no CostFilters to show it.
    """
    own = PRIMARY_BILLING_VIEW.fullmatch(str(view)) if view else None
    if not view or (own is not None and own["account"] == account):
        return []
    return [
        f"budget {name} counts only part of the account's cost (BillingViewArn {view}: not the account's primary "
        f"billing view arn:aws:billing::{account}:billingview/primary, so it tracks a filtered custom view, a "
        "billing group's pro forma costs or another account's bill)"
    ]


def budget_kind_problem(name: str, budget: Mapping[str, Any]) -> str | None:
    """Why the budget's limit is not a monthly cost limit (None: a MONTHLY COST budget). A DAILY budget of
    20 USD allows about 600 USD a month; a USAGE budget's limit is not in money spent."""
    if budget.get("BudgetType") != "COST" or budget.get("TimeUnit") != "MONTHLY":
        return (
            f"budget {name} is a {budget.get('TimeUnit')} {budget.get('BudgetType')} budget, not a MONTHLY COST budget"
        )
    return None


def _judge_budget(data: FinopsReadback, cap: Decimal, reasons: list[str]) -> tuple[Any, list[dict[str, Any]]]:
    """(limit, notification summaries): the budget covers all cost within the cap and can alert."""
    budget = data.budget
    if budget is None:
        reasons.append(f"budget {data.budget_name} does not exist (account {data.account_id})")
        return None, []
    reasons += _not_the_stacks(f"budget {data.budget_name}", data.stack_id, data.budget_tags)
    limit = budget.get("BudgetLimit") or {}
    usd = amount(limit.get("Amount")) if limit.get("Unit") == "USD" else None
    if kind := budget_kind_problem(data.budget_name, budget):
        reasons.append(kind)
    if usd is None:
        reasons.append(f"budget {data.budget_name} has no USD limit (BudgetLimit {limit})")
    elif usd > cap:
        reasons.append(f"budget {data.budget_name} limit {usd} USD is above the {cap} USD monthly cap")
    now = data.read_at or datetime.now(UTC)
    reasons += limit_problems(data.budget_name, budget, cap, now)
    reasons += period_problems(data.budget_name, budget.get("TimePeriod"), now)
    for key in ("CostFilters", "FilterExpression"):
        if budget.get(key):
            reasons.append(
                f"budget {data.budget_name} counts only part of the account's cost ({key} "
                f"{json.dumps(budget[key], sort_keys=True, default=str)})"
            )
    cost_types = budget.get("CostTypes") or {}
    left_out = [t for t in CHARGE_TYPES if cost_types.get(t) is False]
    if left_out:
        reasons.append(
            f"budget {data.budget_name} counts only part of the account's cost (CostTypes "
            f"{', '.join(f'{t}=false' for t in left_out)}: those charges are on the bill, not in the budget)"
        )
    reasons += billing_view_problems(data.budget_name, budget.get("BillingViewArn"), data.account_id)
    summaries = []
    receivers = budget_receivers(data)
    forecast = forecasted(budget)
    for n in data.notifications:
        why = _notification_problems(n, usd, data.topics, receivers, forecast)
        summaries.append({**asdict(n), "can_fire": not why, "problems": why})
    if not data.notifications:
        reasons.append(f"budget {data.budget_name} has no notifications, so it alerts nobody")
    elif not any(s["can_fire"] for s in summaries):
        found = " | ".join(f"{_notification_label(s['notification'])}: {'; '.join(s['problems'])}" for s in summaries)
        reasons.append(
            f"none of budget {data.budget_name}'s {len(summaries)} notification(s) can alert before the limit "
            f"is spent ({found})"
        )
    return (str(usd) if usd is not None else limit.get("Amount")), summaries


def _judge_alarm(data: FinopsReadback, cap: Decimal, reasons: list[str]) -> int:
    """The named billing alarm can fire (``BILLING_ALARM_RULE``); returns its live actions."""
    if data.alarm is None:
        where = "" if data.alarm_region == BILLING_REGION else f" (billing metrics exist only in {BILLING_REGION})"
        reasons.append(f"billing alarm {data.alarm_name} does not exist in {data.alarm_region}{where}")
        return 0
    deaf = alarm_deaf(data, data.alarm, data.alarm_region)
    problems, live = judge_billing_alarm(
        data.alarm,
        data.alarm_region,
        data.topics,
        cap,
        deaf,
        published=data.billing_metrics,
        newest=data.billing_newest,
    )
    if problems:
        reasons.append(f"billing alarm {data.alarm_name} " + "; ".join(problems))
    foreign = _not_the_stacks(f"billing alarm {data.alarm_name}", data.stack_id, data.alarm_tags)
    reasons += foreign
    return 0 if foreign else len(live)


def billing_metric_evidence(data: FinopsReadback) -> dict[str, Any]:
    """What ListMetrics answered about the account's EstimatedCharges, and whether the total is among it."""
    listed = data.billing_metrics
    return {
        "region": BILLING_REGION,
        "asked": {"Namespace": BILLING_NAMESPACE, "MetricName": BILLING_METRIC, "Dimensions": BILLING_DIMENSIONS},
        "listed": None if listed is None else [dimension_label(m.get("Dimensions")) for m in listed],
        "account_total_published": listed is not None and any(is_account_total(m) for m in listed),
    }


def billing_alarm_state(data: FinopsReadback) -> dict[str, Any] | None:
    """The named alarm's state as DescribeAlarms gave it, with a note when it looks stuck (recorded, not judged)."""
    alarm = data.alarm
    if alarm is None:
        return None
    since = alarm.get("StateUpdatedTimestamp")
    published = any(is_account_total(m) for m in data.billing_metrics or [])
    return {
        "StateValue": alarm.get("StateValue"),
        "StateReason": alarm.get("StateReason"),
        "StateUpdatedTimestamp": since.isoformat() if isinstance(since, datetime) else since,
        "note": state_note(alarm, published, data.read_at or datetime.now(UTC)),
    }


def _project(data: FinopsReadback) -> str:
    """The root's ``project`` (first part of every name), as the stack's own budget's ``project`` tag says."""
    return (data.budget_tags or {}).get("project") or DEFAULT_PROJECT


def _named_like(name: str, stack_id: str, project: str) -> bool:
    """A dashboard of the stack: account-global and untaggable, the root names it ``<project>-<stack_id>-...``."""
    prefix = name_prefixes(stack_id, project)[0]
    return name == prefix or name.startswith(prefix + "-")


def _other_stacks(key: SeriesKey, stack_id: str, project: str, own_names: frozenset[str] | None = None) -> str | None:
    """The dimension naming another stack's resource (a ``<project>-`` name not ours, another StackId), or None.

    ListMetrics lists another stack's workgroup or pipeline just as well: a tile on it watches nothing of this one.
    Ours are the names the outputs give (``own_names``); without them, names under the stack's prefix.
    """
    own = _own_values(own_names) if own_names is not None else None
    for prefix in name_prefixes(stack_id, project):
        sep = prefix[len(project)]
        for name, value in key.dimensions:
            under = value.startswith(prefix + sep)  # also another stack's whose id starts with ours and a "-"
            mine = value == prefix or (value in own if own is not None else under)
            if (name == "StackId" and value != stack_id) or (value.startswith(prefix[: len(project) + 1]) and not mine):
                return f"{name}={value}"
    return None


def _own_values(own_names: frozenset[str]) -> frozenset[str]:
    """The names the outputs give, and the resource names inside the ARNs among them (``TopicName`` is a name)."""
    return own_names | {n.rsplit(":", 1)[-1].rsplit("/", 1)[-1] for n in own_names if n.startswith("arn:")}


#: What makes a published series the judged stack's (written into the evidence with ``COUNTING_RULE``).
STACK_SERIES_RULE = (
    "With the stack known, a series counts only when it watches the stack: a dimension names one of its "
    "resources (StackId = its id, a name its outputs give or one inside an ARN they give, its name prefix) or "
    "it is the account's AWS/Billing EstimatedCharges (the stack's cost is in it; a LinkedAccount dimension "
    "naming another account is that account's charges, not the stack's, and a ServiceName dimension naming a "
    "service none of the stack's resources is billed under, by their Terraform types' service, holds none of its "
    "cost). An account-wide series or "
    "one on a resource of no stack is listed, not counted."
)


def other_accounts_charges(key: SeriesKey, account: str) -> str | None:
    """The LinkedAccount an EstimatedCharges series is split to when it is not ``account`` (None: it is not).

    A payer account publishes each member account's charges as EstimatedCharges LinkedAccount=<id>: another
    member's series holds none of this account's, so none of the stack's, cost.
    """
    if (key.namespace, key.metric) != (BILLING_NAMESPACE, BILLING_METRIC):
        return None
    linked = dict(key.dimensions).get("LinkedAccount")
    return linked if linked is not None and linked != account else None


def of_the_stack(key: SeriesKey, stack_id: str, project: str, own_names: frozenset[str] | None = None) -> bool:
    """Whether the series watches something of the stack: a dimension naming it (``StackId``, a name the outputs
    give, else a name under its prefix), or the account's estimated charges (the stack's cost is in them: the one
    cost metric CloudWatch has, the Fin guard the plan asks for).

    An account-wide series (no dimensions) or one on a resource of no stack is published and passes every other
    rule, yet says nothing of this stack: a dashboard of three such tiles is no guard of it.
    """
    if (key.namespace, key.metric) == (BILLING_NAMESPACE, BILLING_METRIC):
        return True
    own = _own_values(own_names) if own_names is not None else None
    prefixes = name_prefixes(stack_id, project)
    for name, value in key.dimensions:
        if name == "StackId" and value == stack_id:
            return True
        if value in prefixes:  # the stack's own prefix names its primary workgroup (as ``_other_stacks`` takes it)
            return True
        if own is not None and value in own:
            return True
        if own is None and any(value.startswith(p + p[len(project)]) for p in prefixes):
            return True
    return False


def _not_the_stacks(what: str, stack_id: str | None, tags: Mapping[str, str] | None) -> list[str]:
    """Why ``what`` is not the judged stack's own: its ``stack_id`` tag (the root's default_tags) differs.

    The outputs only name a resource; a root that makes no budget could name the account's or another
    stack's, and exit check 7 would judge that one. None: ownership is not judged (no stack given).
    """
    if stack_id is None or tags is None or tags.get(STACK_TAG) == stack_id:
        return []
    carried = f"its {STACK_TAG} tag is {tags[STACK_TAG]!r}" if STACK_TAG in tags else f"it has no {STACK_TAG} tag"
    return [f"{what} is not stack {stack_id}'s: {carried} (the outputs name it, the stack did not make it)"]


def _delivery_evidence(data: FinopsReadback) -> dict[str, dict[str, list[str]]]:
    """Each topic -> each confirmed subscription -> why it does not receive a budget alert (empty: it does)."""
    return {arn: delivery_problems(data, arn, [budget_alert()]) for arn, ok in sorted(data.topics.items()) if ok}


def _cap(cap_usd: float) -> Decimal:
    cap = Decimal(str(cap_usd)).normalize()  # 20.0 and 20 both read "20" in the evidence
    return cap.quantize(Decimal(1)) if cap == cap.to_integral_value() else cap


def judge_finops(
    data: FinopsReadback, cap_usd: float = DEFAULT_MONTHLY_COST_CAP_USD, min_series: int = MIN_METRIC_SERIES
) -> Outcome:
    """The verdict of exit check 7 from what ``read_finops`` returned."""
    cap = _cap(cap_usd)
    problems: dict[str, list[str]] = {"budget": [], "dashboard": [], "billing_alarm": []}
    # A receiver's secrets (its environment variables) readable outside the account, whether it hears or not.
    problems["alert_receivers"] = [p for _, f in sorted(data.functions.items()) for p in f.env_key_exposure]
    limit, notifications = _judge_budget(data, cap, problems["budget"])

    body: Any = None
    metrics = MetricCount()
    drawn_variables: list[str] = []
    if data.dashboard_body is None:
        problems["dashboard"].append(f"dashboard {data.dashboard_name} does not exist")
    elif data.stack_id is not None and not _named_like(data.dashboard_name, data.stack_id, _project(data)):
        prefix = name_prefixes(data.stack_id, _project(data))[0]
        problems["dashboard"].append(
            f"dashboard {data.dashboard_name} is not stack {data.stack_id}'s: dashboards take no tags, and its name "
            f"does not start with the stack's prefix {prefix}- (the outputs name it, the stack did not make it)"
        )
    else:
        try:
            body = json.loads(data.dashboard_body)
        except json.JSONDecodeError as err:
            problems["dashboard"].append(f"dashboard {data.dashboard_name} has a body that is not JSON ({err})")
        else:
            drawn = count_metric_series(body if isinstance(body, dict) else {}, data.read_at or datetime.now(UTC))
            drawn_variables = drawn.variables
            stack_id = data.stack_id
            foreign = {
                label: f"{label}: another stack's ({why})"
                for label, k in zip(drawn.series, drawn.keys, strict=True)
                if stack_id and (why := _other_stacks(k, stack_id, _project(data), data.own_names))
            }
            foreign.update(
                {
                    label: f"{label}: another account's charges (LinkedAccount={linked}, not {data.account_id}): "
                    f"none of stack {stack_id}'s cost is in them"
                    for label, k in zip(drawn.series, drawn.keys, strict=True)
                    if stack_id and label not in foreign and (linked := other_accounts_charges(k, data.account_id))
                }
            )
            services = data.stack_services
            foreign.update(
                {
                    label: f"{label}: the charges of {SERVICE_DIMENSION}={service}, a service none of stack "
                    f"{stack_id}'s resources is billed under (theirs: {', '.join(sorted(services)) or 'none'})"
                    for label, k in zip(drawn.series, drawn.keys, strict=True)
                    if stack_id
                    and services is not None
                    and label not in foreign
                    and (k.namespace, k.metric) == (BILLING_NAMESPACE, BILLING_METRIC)
                    and (service := foreign_service(k.dimensions, services))
                }
            )
            foreign.update(
                {
                    label: f"{label}: watches nothing of stack {stack_id} (no dimension names one of its resources)"
                    for label, k in zip(drawn.series, drawn.keys, strict=True)
                    if stack_id
                    and label not in foreign
                    and not of_the_stack(k, stack_id, _project(data), data.own_names)
                }
            )
            live: list[tuple[str, SeriesKey]] = []
            firsts: dict[SeriesKey, str] = {}
            for label, k in zip(drawn.series, drawn.keys, strict=True):
                if not data.published_series.get(label) or label in foreign:
                    continue
                own = replace(  # omitted = the own account, and the region the dashboard is read in
                    k,
                    account="" if k.account == data.account_id else k.account,
                    region=k.region or data.default_region or "",
                )
                if own in firsts:
                    drawn.not_counted.append(
                        f"{label}: same series as {firsts[own]} (no accountId is the dashboard's own account, "
                        f"no region the one it is read in, {own.region or '?'})"
                    )
                    continue
                firsts[own] = label
                live.append((label, k))
            metrics = MetricCount([label for label, _ in live], drawn.not_counted, [k for _, k in live])
            dead = [label for label in drawn.series if not data.published_series.get(label)]
            metrics.not_counted += [f"{label}: not published (ListMetrics does not list it)" for label in dead]
            metrics.not_counted += list(foreign.values())
            if metrics.count < min_series:
                shown = f" ({', '.join(metrics.series)})" if metrics.series else ""
                unpublished = (
                    f"; drawn but not published (ListMetrics does not list them): {', '.join(dead)}" if dead else ""
                )
                others = f"; drawn but not this stack's: {', '.join(foreign.values())}" if foreign else ""
                frozen = f"; drawn but not shown now: {'; '.join(drawn.not_shown)}" if drawn.not_shown else ""
                opened = f"; the dashboard opens elsewhere: {'; '.join(drawn.variables)}" if drawn.variables else ""
                blank = (
                    f"; drawn with a statistic CloudWatch does not compute: {'; '.join(drawn.no_statistic)}"
                    if drawn.no_statistic
                    else ""
                )
                problems["dashboard"].append(
                    f"dashboard {data.dashboard_name} has {metrics.count} published metric series{shown}, fewer "
                    f"than {min_series}{unpublished}{others}{frozen}{blank}{opened}"
                )
    actions = _judge_alarm(data, cap, problems["billing_alarm"])
    reasons = [p for part in problems.values() for p in part]
    freshness = freshness_evidence(data.billing_newest)

    measured = {
        "budget_limit_usd": limit,
        "budget_notifications_that_can_fire": sum(1 for n in notifications if n["can_fire"]),
        "dashboard_metric_series": metrics.count,
        "billing_alarm_actions": actions,
    }
    threshold = {
        "budget_limit_usd": f"<= {cap}",
        "budget_notifications_that_can_fire": ">= 1",
        "dashboard_metric_series": f">= {min_series}",
        "billing_alarm_actions": ">= 1",
    }
    details = {
        "problems": problems,
        "account_id": data.account_id,
        "monthly_cost_cap_usd": float(cap),
        "budget": data.budget,
        "budget_read_at": data.read_at.isoformat() if data.read_at else None,
        "budget_notifications": notifications,
        "budget_rule": BUDGET_RULE,
        "sns_topics_exist": data.topics,
        "sns_subscriptions": data.subscriptions,
        "sns_topic_policies": data.topic_policies,
        "sns_topic_max_message_sizes": data.topic_max_sizes,
        "sns_fifo_topics": sorted(data.fifo_topics),
        "sns_topics_nobody_receives": deaf_topics(data),
        "alerts_topic_arn": data.alerts_topic_arn,
        "dashboard_name": data.dashboard_name,
        "dashboard_body": body if body is not None else data.dashboard_body,
        "metric_series": metrics.series,
        "metric_rows_not_counted": metrics.not_counted,
        "dashboard_variables_applied": drawn_variables,
        "metric_series_not_published": [
            label for label, published in sorted(data.published_series.items()) if not published
        ],
        "metric_counting_rule": COUNTING_RULE + (f" {STACK_SERIES_RULE}" if data.stack_id else ""),
        "billing_services_of_the_stack": sorted(data.stack_services) if data.stack_services is not None else None,
        "billing_alarm_region": data.alarm_region,
        "billing_alarm": data.alarm,
        "billing_alarm_rule": BILLING_ALARM_RULE,
        "billing_alarm_state": billing_alarm_state(data),
        "billing_metric": billing_metric_evidence(data),
        "billing_metric_newest": freshness["newest"],
        "billing_metric_age_h": freshness["age_h"],
        "billing_metric_freshness": freshness,
        "billing_alarms_in_us_east_1": [
            billing_alarm_summary(
                a,
                BILLING_REGION,
                data.topics,
                cap,
                alarm_deaf(data, a, BILLING_REGION),
                published=data.billing_metrics,
                newest=data.billing_newest,
            )
            for a in data.billing_alarms
        ],
        "sns_subscription_attributes": data.subscription_attributes,
        "sqs_queues": {arn: asdict(q) for arn, q in sorted(data.queues.items())},
        "lambda_functions": {arn: asdict(f) for arn, f in sorted(data.functions.items())},
        "sms_phones": {number: asdict(p) for number, p in sorted(data.phones.items())},
        "alert_delivery": _delivery_evidence(data),
        "alert_delivery_rule": DELIVERY_RULE,
        "alert_receiver_key_rule": ENV_KEY_RULE,
    }
    return Outcome.judged(not reasons, measured, threshold, "; ".join(reasons) or None, details)


def try_read_finops(
    target: Target,
    outputs: Mapping[str, Any],
    stack_id: str | None = None,
    resource_types: Iterable[str] | None = None,
) -> FinopsReadback | Outcome:
    """The read-back, or an ``error`` outcome naming what could not be read."""
    try:
        return read_finops(target, outputs, stack_id, resource_types)
    except FinopsReadError as err:
        return Outcome.error(str(err), details={"problems": {"budget": [], "dashboard": [], "billing_alarm": []}})


def verdict(
    read: FinopsReadback | Outcome, cap_usd: float = DEFAULT_MONTHLY_COST_CAP_USD, min_series: int = MIN_METRIC_SERIES
) -> Outcome:
    """Judge a read-back; a failed read stays the ``error`` it is."""
    return read if isinstance(read, Outcome) else judge_finops(read, cap_usd, min_series)


def check_finops(
    target: Target,
    outputs: Mapping[str, Any],
    cap_usd: float = DEFAULT_MONTHLY_COST_CAP_USD,
    min_series: int = MIN_METRIC_SERIES,
    stack_id: str | None = None,
) -> Outcome:
    """Read back and judge in one call (what the integration tests use; the steps do it in two)."""
    return verdict(try_read_finops(target, outputs, stack_id), cap_usd, min_series)
