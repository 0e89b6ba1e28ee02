"""Exit check 5 follows the stack's links into EventBridge Pipes and S3 Access Grants.

Each broken case passed before: no listing asked Pipes or S3 Control's Access Grants, so a pipe made by hand on a
stack stream, into a stack topic, through a stack function or as a stack role, and an Access Grants grant for a
stack role or in a stack bucket, untagged and named by a person, were never seen. The twin (in state, or linked to
nothing of the stack: a location over every bucket is the account's) stays green. moto holds the pipes; the Access
Grants are answered by a fake S3 Control (moto has none; ``tests/emulator/test_inventory_pipes_grants.py`` reads the
emulator's).
"""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock

import boto3
from botocore.exceptions import ClientError

from lakehouse.arns import arn_name
from lakehouse.checks.iac import judge_iac
from lakehouse.inventory import DEFAULT_PROJECT, NAME_PREFIX, TAG, TAGGING_API, Inventory, _Search
from lakehouse.inventory_kinds import TAGGED
from lakehouse.inventory_links import access_grants, pipes
from lakehouse.outcome import Status
from lakehouse.target import Target
from lakehouse.terraform import PlanResult
from tests.unit.test_inventory import ACCOUNT, REGION, STACK, P

TAGS = [{"Key": "stack_id", "Value": STACK}]
ROLE = f"{P}-pipeline"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:{P}-alerts"
GOLD = f"{P}-gold-{ACCOUNT}"


def _search(target: Target) -> _Search:
    """A search that already found the stack's role, topic and Gold bucket (state holds them)."""
    search = _Search(target, STACK, DEFAULT_PROJECT)
    search.inv.account, search.inv.partition = ACCOUNT, "aws"
    search.add("aws_iam_role", ROLE, ROLE, "global", (NAME_PREFIX,))
    search.add("aws_sns_topic", TOPIC, f"{P}-alerts", REGION, (NAME_PREFIX,))
    search.add("aws_s3_bucket", GOLD, GOLD, REGION, (NAME_PREFIX,))
    return search


STATE: list[dict[str, Any]] = [
    {"type": "aws_iam_role", "values": {"name": ROLE}},
    {"type": "aws_sns_topic", "values": {"arn": TOPIC}},
    {"type": "aws_s3_bucket", "values": {"bucket": GOLD}},
]


def _judged(inv: Inventory, kind: str, state: list[dict[str, Any]]) -> Any:
    assert not inv.unreadable, inv.unreadable
    return {r.name: r.found_by for r in inv.resources if r.kind == kind}, judge_iac(PlanResult(0), state, inv, set())


# -- pipes: moto -------------------------------------------------------------------------------------------


def _queue(name: str) -> str:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def _stream(name: str, tags: list[dict[str, str]]) -> str:
    return str(
        boto3.client("dynamodb", region_name=REGION).create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
            **({"Tags": tags} if tags else {}),
        )["TableDescription"]["LatestStreamArn"]
    )


def _pipes_in_moto() -> Inventory:
    """The tagging sweep (what knows a stack table by its tag, and a tagged pipe), then the pipes."""
    search = _search(Target("aws", REGION))
    search.tagged(REGION, {r.key for r in search.inv.resources})
    search.guarded("pipes ListPipes/DescribePipe", REGION, pipes, search, REGION)
    return search.inv


def test_pipes_linked_to_the_stack_fail_check_5_and_others_are_not_its(moto_aws: None) -> None:
    client = boto3.client("pipes", region_name=REGION)
    runner = f"arn:aws:iam::{ACCOUNT}:role/ops"
    stream = _stream("orders", TAGS)  # the stack's by its tag, under a person's name
    theirs, copy = _queue("theirs"), _queue("ops-copy")
    enricher = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{P}-enrich"  # named like the stack
    made = {
        "from-stream": client.create_pipe(Name="from-stream", Source=stream, Target=copy, RoleArn=runner),
        "into-topic": client.create_pipe(Name="into-topic", Source=theirs, Target=TOPIC, RoleArn=runner),
        "enriched": client.create_pipe(
            Name="enriched", Source=theirs, Target=copy, Enrichment=enricher, RoleArn=runner
        ),
        "as-role": client.create_pipe(Name="as-role", Source=theirs, Target=copy, RoleArn=ROLE_ARN),
        "tagged": client.create_pipe(
            Name="tagged", Source=theirs, Target=copy, RoleArn=runner, Tags={"stack_id": STACK}
        ),
    }
    client.create_pipe(Name="not-ours", Source=theirs, Target=copy, RoleArn=runner)

    found, result = _judged(_pipes_in_moto(), "aws_pipes_pipe", STATE)

    assert found == {
        f"from-stream: {arn_name(stream)} -> ops-copy": (f"uses the stack: source {stream}",),
        "into-topic: theirs -> " + f"{P}-alerts": (f"uses the stack: target {TOPIC}",),
        "enriched: theirs -> ops-copy": (f"uses the stack: enrichment {enricher}",),
        "as-role: theirs -> ops-copy": (f"uses the stack: role {ROLE}",),
        "tagged: theirs -> ops-copy": (TAG,),
    }
    assert result.status is Status.FAILED
    assert "aws_pipes_pipe into-topic: theirs" in str(result.reason)
    assert "not-ours" not in str(result.reason)  # the tagged table "orders" is named too: not in STATE
    managed = STATE + [
        {"type": "aws_dynamodb_table", "values": {"arn": stream.split("/stream/", 1)[0]}},
        *({"type": "aws_pipes_pipe", "values": {"arn": p["Arn"]}} for p in made.values()),
    ]
    assert judge_iac(PlanResult(0), managed, _pipes_in_moto(), set()).passed


def test_a_tagged_pipe_the_sweep_found_is_judged_once_as_a_pipe(moto_aws: None) -> None:
    arn = f"arn:aws:pipes:{REGION}:{ACCOUNT}:pipe/p"
    search = _search(Target("aws", REGION))
    search.add(TAGGED, arn, "pipe p", REGION, (TAGGING_API,))
    client = MagicMock()
    client.get_paginator.return_value.paginate.return_value = [{"Pipes": [{"Name": "p", "Arn": arn}]}]
    client.describe_pipe.return_value = {"Source": "smk://kafka.example.com:9092", "Tags": {}}
    search.target = MagicMock(client=MagicMock(return_value=client))
    pipes(search, REGION)
    assert [(r.kind, r.found_by) for r in search.inv.resources if r.key == arn] == [("aws_pipes_pipe", (TAGGING_API,))]


def test_a_pipe_deleted_while_read_is_gone_not_unreadable() -> None:
    search = _search(Target("aws", REGION))
    client = MagicMock()
    client.get_paginator.return_value.paginate.return_value = [{"Pipes": [{"Name": "p", "Arn": "arn:p"}]}]
    client.describe_pipe.side_effect = ClientError({"Error": {"Code": "NotFoundException"}}, "DescribePipe")
    search.target = MagicMock(client=MagicMock(return_value=client))
    search.guarded("pipes", REGION, pipes, search, REGION)
    assert not search.inv.unreadable and not search.inv.of_kind("aws_pipes_pipe")


# -- S3 Access Grants: a fake S3 Control -------------------------------------------------------------------

INSTANCE = f"arn:aws:s3:{REGION}:{ACCOUNT}:access-grants/default"


def _location(ident: str, scope: str, role: str = f"arn:aws:iam::{ACCOUNT}:role/grants") -> dict[str, str]:
    return {
        "AccessGrantsLocationId": ident,
        "AccessGrantsLocationArn": f"{INSTANCE}/location/{ident}",
        "LocationScope": scope,
        "IAMRoleArn": role,
    }


def _grant(ident: str, location: str, scope: str, grantee: str) -> dict[str, Any]:
    return {
        "AccessGrantId": ident,
        "AccessGrantArn": f"{INSTANCE}/grant/{ident}",
        "AccessGrantsLocationId": location,
        "GrantScope": scope,
        "Permission": "READ",
        "Grantee": {"GranteeType": "IAM", "GranteeIdentifier": grantee},
    }


def _control(instances: list[Any], locations: list[Any], grants: list[Any]) -> MagicMock:
    control = MagicMock()
    control.list_access_grants_instances.return_value = {"AccessGrantsInstancesList": instances}
    control.list_access_grants_locations.return_value = {"AccessGrantsLocationsList": locations}
    control.list_access_grants.return_value = {"AccessGrantsList": grants}
    return control


def _grants_found(control: MagicMock) -> _Search:
    search = _search(Target("aws", REGION))
    search.target = MagicMock(client=MagicMock(return_value=control), is_local=False)
    search.target.configured_endpoint.return_value = None
    search.guarded("s3control Access Grants", REGION, access_grants, search, REGION)
    return search


def test_access_grants_on_stack_buckets_or_for_stack_principals_fail_check_5() -> None:
    outsider = "arn:aws:iam::999999999999:role/reader"
    locations = [
        _location("everywhere", "s3://"),  # the account's default location: over every bucket
        _location("gold", f"s3://{GOLD}/"),
        _location("ops", "s3://ops-data/", role=f"arn:aws:iam::{ACCOUNT}:role/team/{ROLE}"),  # read as a stack role
    ]
    grants = [
        _grant("g-gold", "everywhere", f"s3://{GOLD}/users/*", outsider),  # a stack bucket under the default location
        _grant("g-role", "everywhere", "s3://ops-data/*", ROLE_ARN),  # to a stack role on someone else's bucket
        _grant("g-in-gold", "gold", f"s3://{GOLD}/*", outsider),
        _grant("g-all", "everywhere", "s3://*", outsider),  # every bucket: the account's
        _grant("g-none", "everywhere", "s3://ops-data/x/*", outsider),
    ]
    search = _grants_found(_control([{"AccessGrantsInstanceArn": INSTANCE}], locations, grants))

    found_locations, _ = _judged(search.inv, "aws_s3control_access_grants_location", STATE)
    found_grants, result = _judged(search.inv, "aws_s3control_access_grant", STATE)
    assert found_locations == {
        f"gold on s3://{GOLD}/": (f"uses the stack: bucket {GOLD}",),
        "ops on s3://ops-data/": (f"uses the stack: role {ROLE}",),
    }
    assert found_grants == {
        f"g-gold: READ on s3://{GOLD}/users/* to IAM {outsider}": (f"uses the stack: bucket {GOLD}",),
        f"g-role: READ on s3://ops-data/* to IAM {ROLE_ARN}": (f"uses the stack: role {ROLE}",),
        f"g-in-gold: READ on s3://{GOLD}/* to IAM {outsider}": (
            f"uses the stack: bucket {GOLD}",
            "uses the stack: location gold",
        ),
    }
    assert result.status is Status.FAILED and "aws_s3control_access_grant g-gold" in str(result.reason)
    managed = STATE + [
        {"type": "aws_s3control_access_grants_location", "values": {"access_grants_location_arn": loc}}
        for loc in (f"{INSTANCE}/location/gold", f"{INSTANCE}/location/ops")
    ]
    managed += [
        {"type": "aws_s3control_access_grant", "values": {"access_grant_arn": f"{INSTANCE}/grant/{g}"}}
        for g in ("g-gold", "g-role", "g-in-gold")
    ]
    assert judge_iac(PlanResult(0), managed, search.inv, set()).passed


def test_no_instance_or_one_deleted_while_read_is_nothing_and_other_failures_are_unreadable() -> None:
    control = _control([], [_location("gold", f"s3://{GOLD}/")], [])
    assert not _grants_found(control).inv.of_kind("aws_s3control_access_grants_location")
    assert not control.list_access_grants_locations.called  # AWS refuses it without an instance

    gone = _control([{"AccessGrantsInstanceArn": INSTANCE}], [], [])
    error = {"Error": {"Code": "AccessGrantsInstanceNotExistsError"}}
    gone.list_access_grants_locations.side_effect = ClientError(error, "ListAccessGrantsLocations")
    assert not _grants_found(gone).inv.unreadable

    denied = _control([{"AccessGrantsInstanceArn": INSTANCE}], [], [])
    denied.list_access_grants.side_effect = ClientError({"Error": {"Code": "AccessDenied"}}, "ListAccessGrants")
    [unread] = _grants_found(denied).inv.unreadable
    assert unread.startswith(f"s3control Access Grants ({REGION}): ") and "AccessDenied" in unread
