"""SNS delivery to HTTP/HTTPS subscribers as SNS does it; SQS delivery kept from moto.

Against moto 5.2.5 (the version this module was written against), in the emulator's server:

- SQS subscribers already receive what SNS sends them (the JSON envelope: Type, MessageId,
  TopicArn, Subject, Message, Timestamp, Signature...; the bare message with RawMessageDelivery);
  moto delivers in-process, at publish time. Kept as is, except that RawMessageDelivery given
  as a Subscribe attribute stays the string moto received, so ``"false"`` meant raw delivery:
  it is read as the boolean AWS reads;
- an HTTP/HTTPS subscription was confirmed at once and a publish POSTed the envelope
  synchronously, inside the publisher's request, without SNS's headers, ignoring
  RawMessageDelivery, and a subscriber that was down failed the publisher's request (500).

Here an HTTP/HTTPS (or e-mail) subscription starts ``PendingConfirmation``, listed with the SubscriptionArn
``PendingConfirmation`` as AWS lists it, and for HTTP/HTTPS SNS's handshake runs: a
``SubscriptionConfirmation`` POST carries a ``Token``; ``ConfirmSubscription(TopicArn, Token)``
confirms it (the ``SubscribeURL`` in the message is AWS's address; the emulator does not serve
it, so a local subscriber confirms through the API, which AWS accepts too). Subscribe answers
``pending confirmation`` unless ``ReturnSubscriptionArn``. Nothing is delivered to a pending
subscription. Deliveries are POSTed on background threads with SNS's headers
(``x-amz-sns-message-type``, ``x-amz-sns-message-id``, ``x-amz-sns-topic-arn``,
``x-amz-sns-subscription-arn``, ``x-amz-sns-rawdelivery``, ``Content-Type: text/plain;
charset=UTF-8``), retried on a connection error, 429 or 5xx (:data:`RETRY_DELAYS_S`: AWS's
default HTTP policy retries 3 times, 20 s apart; locally shorter so a run stays short).
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from moto.core.responses import ActionResult
from moto.core.utils import iso_8601_datetime_with_milliseconds
from moto.moto_api._internal import mock_random
from moto.sns.exceptions import SNSInvalidParameter, SNSNotFoundError
from moto.sns.models import SNSBackend, Subscription
from moto.sns.responses import SNSResponse

LOG = logging.getLogger(__name__)

_INSTALLED_MARK = "_lakehouse_sns_extension"
HTTP_PROTOCOLS = ("http", "https")
#: Protocols whose subscriptions wait for the endpoint's owner to confirm (AWS mails a link to e-mail ones).
CONFIRMED_BY_OWNER = (*HTTP_PROTOCOLS, "email", "email-json")
#: What ListSubscriptions(ByTopic) shows as the SubscriptionArn of an unconfirmed subscription.
LISTED_PENDING = "PendingConfirmation"
#: Waits before each retry of an HTTP delivery that failed transiently.
RETRY_DELAYS_S = (0.5, 1.0, 2.0)
#: Seconds an HTTP subscriber has to answer one delivery.
POST_TIMEOUT_S = 5.0
USER_AGENT = "Amazon Simple Notification Service Agent"
PENDING_ARN = "pending confirmation"

_deliveries = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sns-http")
_lock = threading.Lock()


def is_true(value: Any) -> bool:
    """A subscription attribute read as AWS reads it (``"true"``, any case, or a boolean)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def pending(subscription: Subscription) -> bool:
    return is_true(subscription.attributes.get("PendingConfirmation"))


def headers_for(kind: str, message_id: str, topic_arn: str, subscription_arn: str | None, raw: bool) -> dict[str, str]:
    """The headers SNS sends with an HTTP/HTTPS delivery."""
    headers = {
        "Content-Type": "text/plain; charset=UTF-8",
        "User-Agent": USER_AGENT,
        "x-amz-sns-message-type": kind,
        "x-amz-sns-message-id": message_id,
        "x-amz-sns-topic-arn": topic_arn,
    }
    if subscription_arn is not None:
        headers["x-amz-sns-subscription-arn"] = subscription_arn
    if raw:
        headers["x-amz-sns-rawdelivery"] = "true"
    return headers


def post(url: str, body: str, headers: dict[str, str]) -> bool:
    """POST one delivery, retrying a transient failure; True when the subscriber took it (2xx)."""
    for attempt, delay in enumerate((0.0, *RETRY_DELAYS_S)):
        if delay:
            time.sleep(delay)  # SNS's retry back-off between attempts, not a synchronisation
        try:
            answer = requests.post(url, data=body.encode("utf-8"), headers=headers, timeout=POST_TIMEOUT_S)
        except requests.RequestException as exc:
            LOG.info("SNS delivery to %s failed (attempt %d): %s", url, attempt + 1, exc)
            continue
        if 200 <= answer.status_code < 300:
            return True
        if answer.status_code != 429 and answer.status_code < 500:
            LOG.warning("SNS delivery to %s refused with %d; not retried", url, answer.status_code)
            return False
    LOG.warning("SNS delivery to %s given up after %d attempts", url, len(RETRY_DELAYS_S) + 1)
    return False


def _send(url: str, body: str, headers: dict[str, str]) -> None:
    _deliveries.submit(post, url, body, headers)


def confirmation_message(subscription: Subscription, token: str) -> tuple[str, str]:
    """(message id, JSON body) of the SubscriptionConfirmation SNS POSTs to a new HTTP subscriber."""
    topic = subscription.topic
    region = topic.sns_backend.region_name
    message_id = str(mock_random.uuid4())
    body = {
        "Type": "SubscriptionConfirmation",
        "MessageId": message_id,
        "Token": token,
        "TopicArn": topic.arn,
        "Message": (
            f"You have chosen to subscribe to the topic {topic.arn}.\n"
            "To confirm the subscription, visit the SubscribeURL included in this message."
        ),
        "SubscribeURL": (
            f"https://sns.{region}.amazonaws.com/?Action=ConfirmSubscription&TopicArn={topic.arn}&Token={token}"
        ),
        "Timestamp": iso_8601_datetime_with_milliseconds(),
        "SignatureVersion": "2",
        "Signature": "",
        "SigningCertURL": f"https://sns.{region}.amazonaws.com/SimpleNotificationService-local.pem",
    }
    return message_id, json.dumps(body)


def confirm(backend: SNSBackend, topic_arn: str, token: str) -> Subscription:
    """The subscription the token was sent to, now confirmed (confirming twice is harmless)."""
    if topic_arn not in backend.topics:
        raise SNSNotFoundError("Topic does not exist")
    with _lock:
        for subscription in backend.subscriptions.values():
            if subscription.topic.arn == topic_arn and subscription.__dict__.get("lakehouse_token") == token:
                subscription.attributes["PendingConfirmation"] = "false"
                subscription.attributes["ConfirmationWasAuthenticated"] = "true"
                subscription.confirmed = True
                return subscription
    raise SNSInvalidParameter("Invalid token")


def _patch_subscription() -> None:
    original_publish = Subscription.publish

    def publish(
        self: Subscription,
        message: str,
        message_id: str,
        subject: str | None = None,
        message_attributes: dict[str, Any] | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
        message_structure: str | None = None,
    ) -> None:
        if self.protocol not in HTTP_PROTOCOLS:
            original_publish(
                self, message, message_id, subject, message_attributes, group_id, deduplication_id, message_structure
            )
            return
        if self._filter_policy_matcher is not None and not self._filter_policy_matcher.matches(
            message_attributes, message
        ):
            return
        if pending(self):
            return  # SNS delivers nothing to an unconfirmed subscription
        if message_structure == "json":
            message = self._parse_message_structure(message, self.protocol)
        raw = is_true(self.attributes.get("RawMessageDelivery"))
        body = message if raw else json.dumps(self.get_post_data(message, message_id, subject, message_attributes))
        _send(self.endpoint, body, headers_for("Notification", message_id, self.topic.arn, self.arn, raw))

    Subscription.publish = publish  # type: ignore[method-assign]


def _patch_backend() -> None:
    original_subscribe = SNSBackend.subscribe
    original_set_attribute = SNSBackend.set_subscription_attributes

    def subscribe(self: SNSBackend, topic_arn: str, endpoint: str, protocol: str) -> Subscription:
        with _lock:
            known = set(self.subscriptions)
            subscription = original_subscribe(self, topic_arn, endpoint, protocol)
            if protocol not in CONFIRMED_BY_OWNER or subscription.arn in known:
                return subscription
            token = secrets.token_hex(32)
            subscription.__dict__["lakehouse_token"] = token
            subscription.attributes["PendingConfirmation"] = "true"
            subscription.attributes["ConfirmationWasAuthenticated"] = "false"
        if protocol not in HTTP_PROTOCOLS:
            return subscription  # AWS mails the confirmation link; nobody here reads that mail
        message_id, body = confirmation_message(subscription, token)
        _send(endpoint, body, headers_for("SubscriptionConfirmation", message_id, topic_arn, None, False))
        return subscription

    def set_subscription_attributes(self: SNSBackend, arn: str, name: str, value: Any) -> None:
        if name == "RawMessageDelivery":
            value = is_true(value)
        original_set_attribute(self, arn, name, value)

    SNSBackend.subscribe = subscribe  # type: ignore[method-assign]
    SNSBackend.set_subscription_attributes = set_subscription_attributes  # type: ignore[method-assign]


def _patch_responses() -> None:
    original_subscribe = SNSResponse.subscribe

    def subscribe(self: SNSResponse) -> ActionResult:
        answer = original_subscribe(self)
        result = answer.result if isinstance(answer.result, dict) else {}
        subscription = self.backend.subscriptions.get(str(result.get("SubscriptionArn")))
        wants_arn = is_true(self._get_param("ReturnSubscriptionArn"))
        if subscription is not None and pending(subscription) and not wants_arn:
            return ActionResult({"SubscriptionArn": PENDING_ARN})
        return answer

    def confirm_subscription(self: SNSResponse) -> ActionResult:
        subscription = confirm(self.backend, self._get_param("TopicArn"), self._get_param("Token") or "")
        return ActionResult({"SubscriptionArn": subscription.arn})

    def listed(answer: ActionResult) -> ActionResult:
        """Unconfirmed subscriptions listed as AWS lists them: SubscriptionArn ``PendingConfirmation``."""
        result = answer.result if isinstance(answer.result, dict) else {}
        shown: list[Any] = []
        for sub in result.get("Subscriptions") or []:
            if isinstance(sub, Subscription) and pending(sub):
                sub = {
                    "SubscriptionArn": LISTED_PENDING,
                    "Owner": sub.owner,
                    "Protocol": sub.protocol,
                    "Endpoint": sub.endpoint,
                    "TopicArn": sub.topic.arn,
                }
            shown.append(sub)
        return ActionResult({**result, "Subscriptions": shown})

    original_list = SNSResponse.list_subscriptions
    original_list_by_topic = SNSResponse.list_subscriptions_by_topic

    def list_subscriptions(self: SNSResponse) -> ActionResult:
        return listed(original_list(self))

    def list_subscriptions_by_topic(self: SNSResponse) -> ActionResult:
        return listed(original_list_by_topic(self))

    def get_sms_sandbox_account_status(self: SNSResponse) -> ActionResult:
        """Every account starts in the SMS sandbox, per region; leaving it is a support case, never an API call."""
        return ActionResult({"IsInSandbox": True})

    def list_sms_sandbox_phone_numbers(self: SNSResponse) -> ActionResult:
        """No destination number is verified: verifying one needs the code AWS texts to it, which nothing sends here."""
        return ActionResult({"PhoneNumbers": []})

    SNSResponse.get_sms_sandbox_account_status = get_sms_sandbox_account_status  # type: ignore[attr-defined]
    SNSResponse.list_sms_sandbox_phone_numbers = list_sms_sandbox_phone_numbers  # type: ignore[attr-defined]
    SNSResponse.subscribe = subscribe  # type: ignore[method-assign]
    SNSResponse.list_subscriptions = list_subscriptions  # type: ignore[method-assign]
    SNSResponse.list_subscriptions_by_topic = list_subscriptions_by_topic  # type: ignore[method-assign]
    SNSResponse.confirm_subscription = confirm_subscription  # type: ignore[method-assign]


def install() -> None:
    """Patch moto's SNS in place; a second call does nothing."""
    if getattr(SNSBackend, _INSTALLED_MARK, False):
        return
    _patch_subscription()
    _patch_backend()
    _patch_responses()
    setattr(SNSBackend, _INSTALLED_MARK, True)
