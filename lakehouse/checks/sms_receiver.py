"""Does an SMS alert receiver get the text SNS sends? The account's SMS sandbox and the number's opt-out.

SNS confirms an ``sms`` subscription the moment it is made, whatever the number, and keeps it so. Yet an
account starts in the SMS sandbox, per region: while it is there, SNS sends SMS messages only to destination
numbers verified in that sandbox (GetSMSSandboxAccountStatus, ListSMSSandboxPhoneNumbers: "Verified", not
"Pending"); and a number that replied STOP is opted out (CheckIfPhoneNumberIsOptedOut) and gets nothing.
Either way exit check 7's alert reaches nobody on that subscription.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The sandbox status of a verified destination number (ListSMSSandboxPhoneNumbers).
VERIFIED = "Verified"

SMS_RULE = (
    "An SMS endpoint receives only if SNS may text it from the topic's region: the account is out of the SMS "
    "sandbox there (GetSMSSandboxAccountStatus), or the number is a Verified destination of that sandbox "
    "(ListSMSSandboxPhoneNumbers; Pending does not count), and the number has not opted out "
    "(CheckIfPhoneNumberIsOptedOut)."
)


@dataclass
class PhoneReadback:
    """What SNS says of one SMS endpoint, in the region of the topic that texts it."""

    number: str
    region: str
    in_sandbox: bool
    #: Whether the number is a Verified destination of the region's SMS sandbox (only read in the sandbox).
    verified: bool
    opted_out: bool


def read_phone(sns: Any, number: str, region: str) -> PhoneReadback:
    """The account's SMS sandbox status in ``sns``'s region, the number's place in it and its opt-out.

    Failures (access, throttling, an emulator without the call) raise as the client raises them; the caller
    names the read.
    """
    in_sandbox = bool(sns.get_sms_sandbox_account_status().get("IsInSandbox"))
    verified = False
    if in_sandbox:
        for page in sns.get_paginator("list_sms_sandbox_phone_numbers").paginate():
            verified = verified or any(
                p.get("PhoneNumber") == number and p.get("Status") == VERIFIED for p in page.get("PhoneNumbers") or []
            )
    opted_out = bool(sns.check_if_phone_number_is_opted_out(phoneNumber=number).get("isOptedOut"))
    return PhoneReadback(number, region, in_sandbox, verified, opted_out)


def phone_problems(phone: PhoneReadback | None) -> list[str]:
    """Why SNS texts nothing to ``phone`` (empty: it does)."""
    if phone is None:
        return ["the phone number was not read (SMS sandbox, opt-out)"]
    problems = []
    if phone.in_sandbox and not phone.verified:
        problems.append(
            f"the account is in the SMS sandbox in {phone.region} and {phone.number} is not a verified destination "
            "there (ListSMSSandboxPhoneNumbers): SNS texts only verified numbers from the sandbox"
        )
    if phone.opted_out:
        problems.append(f"{phone.number} has opted out of SMS (CheckIfPhoneNumberIsOptedOut): SNS texts it nothing")
    return problems
