"""Exit check 7: an SMS subscription receives an alert only if SNS may text the number.

(The account's SMS spend limit: test_finops_sms_spend.py.)

SNS confirms an ``sms`` subscription at once, whatever the number. An account in the SMS sandbox (every account
starts there, per region) texts only the destination numbers verified in it, and a number that opted out gets
nothing: a billing topic whose one subscriber is such a number passed the check and alerted nobody.
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.checks.finops import judge_finops, read_topic
from lakehouse.checks.sms_receiver import PhoneReadback, SmsSpend, phone_problems, read_phone
from lakehouse.outcome import Status
from tests.unit.test_finops import ACCOUNT, ALARM_NAME, BILLING_TOPIC, StubbedTarget, healthy, subscription

NUMBER = "+15555550100"
#: An account that never set its SMS spend limit (1 USD) and texted nothing this month.
UNSPENT = SmsSpend(None, None)


def sms_subscription(topic: str) -> dict[str, Any]:
    """ListSubscriptionsByTopic's entry for an SMS subscription (confirmed as soon as it is made)."""
    return {**subscription(topic), "Protocol": "sms", "Endpoint": NUMBER}


def texted(phone: PhoneReadback | None) -> Any:
    """The healthy stack, its billing topic's only subscriber the SMS number read back as ``phone``."""
    phones = {NUMBER: phone} if phone is not None else {}
    return healthy(
        subscriptions={**healthy().subscriptions, BILLING_TOPIC: [sms_subscription(BILLING_TOPIC)]}, phones=phones
    )


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        (
            PhoneReadback(NUMBER, "us-east-1", in_sandbox=True, verified=False, opted_out=False, spend=UNSPENT),
            f"the account is in the SMS sandbox in us-east-1 and {NUMBER} is not a verified destination there",
        ),
        (
            PhoneReadback(NUMBER, "us-east-1", in_sandbox=False, verified=False, opted_out=True, spend=UNSPENT),
            f"{NUMBER} has opted out of SMS (CheckIfPhoneNumberIsOptedOut)",
        ),
        (None, "the phone number was not read (SMS sandbox, opt-out)"),
    ],
    ids=["sandbox-unverified", "opted-out", "not-read"],
)
def test_an_sms_receiver_sns_cannot_text_leaves_the_billing_alarm_unheard(
    phone: PhoneReadback | None, expected: str
) -> None:
    result = judge_finops(texted(phone), cap_usd=20)
    assert result.status is Status.FAILED
    reason = str(result.reason)
    assert f"billing alarm {ALARM_NAME} notifies nobody" in reason and f"sms {NUMBER}: {expected}" in reason, reason
    assert result.details["problems"]["budget"] == []


@pytest.mark.parametrize(
    "phone",
    [
        PhoneReadback(NUMBER, "us-east-1", in_sandbox=True, verified=True, opted_out=False, spend=UNSPENT),
        PhoneReadback(NUMBER, "us-east-1", in_sandbox=False, verified=False, opted_out=False, spend=UNSPENT),
    ],
    ids=["sandbox-verified", "out-of-sandbox"],
)
def test_an_sms_receiver_sns_may_text_hears_the_alarm(phone: PhoneReadback) -> None:
    result = judge_finops(texted(phone), cap_usd=20)
    assert result.passed, result.reason
    assert result.details["sms_phones"][NUMBER]["in_sandbox"] is phone.in_sandbox


@pytest.mark.parametrize(
    ("sandbox", "listed", "opted_out", "problems"),
    [
        (True, [{"PhoneNumber": NUMBER, "Status": "Pending"}], False, 1),
        (True, [{"PhoneNumber": "+15555550199", "Status": "Verified"}], False, 1),
        (True, [{"PhoneNumber": NUMBER, "Status": "Verified"}], False, 0),
        (False, None, True, 1),
        (False, None, False, 0),
    ],
)
def test_the_phone_is_read_from_the_sandbox_and_the_opt_out_list(
    sandbox: bool, listed: list[dict[str, str]] | None, opted_out: bool, problems: int
) -> None:
    target = StubbedTarget(name="aws", region="us-east-1")
    sns = target.stub("sns", "us-east-1")
    sns.add_response("get_sms_sandbox_account_status", {"IsInSandbox": sandbox}, {})
    if listed is not None:
        sns.add_response("list_sms_sandbox_phone_numbers", {"PhoneNumbers": listed}, {})
    sns.add_response("check_if_phone_number_is_opted_out", {"isOptedOut": opted_out}, {"phoneNumber": NUMBER})
    sns.add_response("get_sms_attributes", {"attributes": {"MonthlySpendLimit": "1"}}, None)
    target.stub("cloudwatch", "us-east-1").add_response("get_metric_statistics", {"Datapoints": []}, None)
    phone = read_phone(target.client("sns", "us-east-1"), NUMBER, "us-east-1", target.client("cloudwatch", "us-east-1"))
    assert len(phone_problems(phone)) == problems, phone
    sns.assert_no_pending_responses()


def test_the_reader_reads_each_sms_endpoint_of_a_topic_in_its_region() -> None:
    target = StubbedTarget(name="aws", region="ap-northeast-1")
    sns = target.stub("sns", "us-east-1")
    sub = sms_subscription(BILLING_TOPIC)
    sns.add_response("get_topic_attributes", {"Attributes": {"Owner": ACCOUNT}}, {"TopicArn": BILLING_TOPIC})
    sns.add_response("list_subscriptions_by_topic", {"Subscriptions": [sub]}, {"TopicArn": BILLING_TOPIC})
    sns.add_response("get_subscription_attributes", {"Attributes": {}}, {"SubscriptionArn": sub["SubscriptionArn"]})
    sns.add_response("get_sms_sandbox_account_status", {"IsInSandbox": True}, {})
    sns.add_response("list_sms_sandbox_phone_numbers", {"PhoneNumbers": []}, {})
    sns.add_response("check_if_phone_number_is_opted_out", {"isOptedOut": False}, {"phoneNumber": NUMBER})
    sns.add_response("get_sms_attributes", {"attributes": {}}, None)
    target.stub("cloudwatch", "us-east-1").add_response("get_metric_statistics", {"Datapoints": []}, None)
    data = healthy(topics={}, subscriptions={}, topic_policies={})
    read_topic(target, data, BILLING_TOPIC)
    assert data.phones == {NUMBER: PhoneReadback(NUMBER, "us-east-1", True, False, False, UNSPENT)}
