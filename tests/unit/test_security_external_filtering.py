"""Exit check 6 judges Lake Formation's trust in external engines: a session tagged as one gets unfiltered credentials.

With ``AllowExternalDataFiltering`` and ``AuthorizedSessionTagValueList`` in the data lake settings (the account in
``ExternalDataFilteringAllowList``), a session carrying ``LakeFormationAuthorizedCaller=<value>`` is an engine Lake
Formation trusts to filter the data itself: ``GetTemporaryGlueTableCredentials`` hands it S3 credentials for the whole
location of any table it holds SELECT on (Lake Formation "Registering a third-party query engine", "Lake Formation
workflow for application integration API operations"). Whoever may tag the session decides: the role's trust policy
must allow ``sts:TagSession``, and the stack's own ``trust_account`` (infra/iam.tf) allows it on the analyst role.

The broken stack: the healthy one (the analyst's column wildcard excluding ``ssn``) with those two settings on. Every
grant the check reads looks narrow; a session of the analyst role tagged ``LakeFormationAuthorizedCaller=engine1``
reads the Gold users Parquet, ``ssn`` included. Main never read the settings: it passed.
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.checks.role_paths import RoleInfo
from lakehouse.checks.security import judge_security
from lakehouse.checks.security_model import SecurityReadback
from tests.unit.test_security import ACCOUNT, ANALYST, BUCKETS, DB, grant, healthy

HOP = f"arn:aws:iam::{ACCOUNT}:role/lh-hop"
USERS_FILES = f"s3://{BUCKETS['gold']}/users/"


def _trust(principal: str, *actions: str) -> dict[str, Any]:
    statement = {"Sid": "Trust", "Effect": "Allow", "Principal": {"AWS": principal}, "Action": list(actions)}
    return {"Version": "2012-10-17", "Statement": [statement]}


#: infra/iam.tf's trust_account: the deploying account may assume the role and tag the session.
TRUST_ACCOUNT = _trust(f"arn:aws:iam::{ACCOUNT}:root", "sts:AssumeRole", "sts:TagSession")


def _external_filtering(**settings: Any) -> SecurityReadback:
    rb = healthy()
    rb.roles = {ANALYST: RoleInfo(ANALYST, TRUST_ACCOUNT)}
    rb.settings.update(
        {
            "AllowExternalDataFiltering": True,
            "AuthorizedSessionTagValueList": ["engine1"],
            "ExternalDataFilteringAllowList": [{"DataLakePrincipalIdentifier": ACCOUNT}],
            **settings,
        }
    )
    return rb


def test_an_analyst_session_tagged_as_a_trusted_engine_reads_the_users_files_and_fails() -> None:
    outcome = judge_security(_external_filtering())
    assert not outcome.passed, "a session of the analyst role tagged as a trusted engine, vended unfiltered, passed"
    (reason,) = [p for p in outcome.details["problems"]["grants"] if "external engines" in p]
    assert reason == (
        "the data lake settings let external engines filter data themselves (AllowExternalDataFiltering, "
        "AuthorizedSessionTagValueList ['engine1']), and the analyst role's trust policy lets whoever assumes it tag "
        f"the session (statement Trust of the trust policy of lh-analyst ({{'AWS': 'arn:aws:iam::{ACCOUNT}:root'}})): "
        "tagged LakeFormationAuthorizedCaller=engine1, the analyst holding ['SELECT'] on "
        f"{DB}.users through a grant on it ({{'TableWithColumns': {{'DatabaseName': '{DB}', 'Name': 'users', "
        "'ColumnWildcard': {'ExcludedColumnNames': ['ssn']}}}) gets unfiltered S3 credentials for its location "
        f"{USERS_FILES} from GetTemporaryGlueTableCredentials, which holds the files of {DB}.users ({USERS_FILES}) "
        "and reads ssn"
    )


def test_a_role_the_analyst_can_tag_a_session_of_fails_naming_the_path() -> None:
    rb = _external_filtering()
    rb.roles[HOP] = RoleInfo(HOP, _trust(ANALYST, "sts:AssumeRole", "sts:TagSession"), [])
    rb.roles[ANALYST] = RoleInfo(ANALYST, _trust(f"arn:aws:iam::{ACCOUNT}:root", "sts:AssumeRole"))
    spec = {"DatabaseName": DB, "Name": "users", "ColumnNames": ["user_id"]}
    rb.grants.append(grant(HOP, {"TableWithColumns": spec}, "SELECT"))
    outcome = judge_security(rb)
    assert not outcome.passed, "a role the analyst can tag a session of, vended unfiltered, passed"
    (reason,) = [p for p in outcome.details["problems"]["role_paths"] if "external engines" in p]
    assert reason.startswith("the analyst role can act as role lh-hop (analyst lh-analyst -> role lh-hop"), reason
    assert f"{ANALYST} may tag the sessions it opens of role lh-hop (statement Trust of the trust policy" in reason
    assert f"role {HOP} holding ['SELECT'] on {DB}.users through a grant on it" in reason, reason


@pytest.mark.parametrize(
    "change",
    [
        {"AllowExternalDataFiltering": False},
        {"AuthorizedSessionTagValueList": []},
        {"ExternalDataFilteringAllowList": [{"DataLakePrincipalIdentifier": "999999999999"}]},
    ],
    ids=["filtering-off", "no-trusted-tag", "other-account-allowed"],
)
def test_healthy_twins_without_trusted_engine_sessions_pass(change: dict[str, Any]) -> None:
    outcome = judge_security(_external_filtering(**change))
    assert outcome.passed, outcome.reason


def test_no_one_may_tag_the_analysts_sessions_passes() -> None:
    rb = _external_filtering()
    rb.roles[ANALYST] = RoleInfo(ANALYST, _trust(f"arn:aws:iam::{ACCOUNT}:root", "sts:AssumeRole"))
    rb.roles[HOP] = RoleInfo(HOP, _trust(ANALYST, "sts:AssumeRole"), [])  # assumed, but not tagged
    spec = {"DatabaseName": DB, "Name": "users", "ColumnNames": ["user_id"]}
    rb.grants.append(grant(HOP, {"TableWithColumns": spec}, "SELECT"))
    outcome = judge_security(rb)
    assert outcome.passed, outcome.reason
