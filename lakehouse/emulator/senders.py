"""Who SQS records as a message's ``SenderId``, as AWS reports it: what tells SNS's delivery from a principal's send.

ReceiveMessage's ``SenderId`` is "for a user, the user ID; for an IAM role, the IAM role ID" (SQS API reference):
an IAM user's ``AIDA...`` id, a role session's ``AROA...:session`` (a Lambda function's role, an instance
profile, any AssumeRole), a federated user's ``account:name``, the account's id for its root user: the ``UserId``
GetCallerIdentity answers for the sender's credentials. SNS delivering from a topic to an SQS subscriber sends as the
SNS service, with one id per Region that is none of the account's principals, published nowhere by AWS but the same
on every delivery there for years (Lambda SQS event samples of SNS deliveries):

- us-east-1: ``AIDAIT2UOQQY3AUEKVGXU`` (SNS -> SQS records of 2016-2023, e.g. an Auto Scaling group's SNS
  notifications on gist bkruger99/4f9ab0f5a8e3aaf4aff0e506b8c3d81e; moto's ``DEFAULT_SENDER_ID``);
- eu-west-1: ``AIDAISMY7JYY5F7RTT6AO`` (aws-powertools' SNS -> SQS sample event, topic ``arn:aws:sns:eu-west-1:...``,
  and records of 2020-2025).

Kept free of moto: the emulator's SQS stamps SNS's deliveries with these, and the chaos harness judges them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: SNS's SenderId on the messages it delivers to SQS, by Region (only where AWS's records show it).
SNS_SENDER_IDS: Mapping[str, str] = {
    "us-east-1": "AIDAIT2UOQQY3AUEKVGXU",
    "eu-west-1": "AIDAISMY7JYY5F7RTT6AO",
}
#: An IAM user's unique id (``AIDA`` and 17 more upper-case letters and digits): the shape of SNS's SenderId.
USER_ID = re.compile(r"AIDA[A-Z0-9]{17}")
#: A role's unique id (``AROA...``): a role session's SenderId is ``<role id>:<session name>``.
ROLE_ID_PREFIX = "AROA"
#: An account's id: its root user's SenderId.
ACCOUNT_ID = re.compile(r"\d{12}")
