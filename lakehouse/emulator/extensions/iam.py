"""IAM unique ids with AWS's prefixes: users ``AIDA...``, groups ``AGPA...``, instance profiles ``AIPA...``.

AWS's IAM identifiers guide ("Understanding unique ID prefixes", reference_identifiers.html) documents the four
letters each kind of unique id starts with: ``AIDA`` an IAM user, ``AGPA`` a user group, ``AROA`` a role, ``AIPA``
an instance profile; ids are 21 characters (AWS's published ids and its own examples, ``AIDAJQABLZS4A3QDU576Q``;
the length is inferred from them, not stated). moto 5.2.5 makes a role's id so (``random_role_id``: ``AROA``, the
account encoded, 21 characters) but gives users, groups and instance profiles 20 lower-case letters and digits.
What reads a user's id here depends on the form: SQS records a user's id as a message's ``SenderId``, and
KPI-mttr's rule (``lakehouse.chaos.resent``, ``lakehouse.emulator.senders.USER_ID``) tells SNS's delivery (an
``AIDA`` user id) from a principal's send by it, so an emulator user's lower-case id was unlike any AWS gives.
Here each is made as moto makes a role's id, with the kind's prefix.
"""

from __future__ import annotations

from typing import Any

from moto.iam.models import Group, InstanceProfile, User
from moto.iam.utils import generate_access_key_id_from_account_id

_MARK = "_lakehouse_iam_ids"
#: Unique-id prefixes by moto's model class (AWS's IAM identifiers guide).
PREFIXES: dict[Any, str] = {User: "AIDA", Group: "AGPA", InstanceProfile: "AIPA"}
#: The length of an IAM unique id (as a role's id in moto, and every id AWS shows).
ID_LENGTH = 21


def unique_id(account_id: str, prefix: str) -> str:
    """A new unique id of ``prefix`` for ``account_id``, made the way moto makes a role's (``AROA...``)."""
    return generate_access_key_id_from_account_id(account_id=account_id, prefix=prefix, total_length=ID_LENGTH)


def install() -> None:
    """Give moto's users, groups and instance profiles AWS's unique ids; a second call does nothing."""
    if getattr(User, _MARK, False):
        return
    for model, prefix in PREFIXES.items():
        original = model.__init__

        def __init__(self: Any, *args: Any, _original: Any = original, _prefix: str = prefix, **kwargs: Any) -> None:
            _original(self, *args, **kwargs)
            self.id = unique_id(self.account_id, _prefix)

        model.__init__ = __init__
    setattr(User, _MARK, True)
