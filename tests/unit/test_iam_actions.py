"""docs/checker-policy*.json allow what the harness's AWS calls need, no less and no more (lakehouse.iam_actions)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import boto3
import pytest

from lakehouse import iam_actions
from lakehouse.config import project_root
from lakehouse.iam_actions import READ_POLICY, READ_SID, WRITE_POLICY, differences


def _repo(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def _calls(root: Path) -> set[tuple[str, str]]:
    return {(f"{u.path}:{u.line}", a) for u in iam_actions.scan(root)[0] for a in u.actions}


def test_the_checkouts_policies_allow_exactly_what_its_calls_need() -> None:
    assert differences(project_root()) == []


def test_the_reads_the_plan_named_are_in_the_read_policy() -> None:
    doc = json.loads((project_root() / READ_POLICY).read_text(encoding="utf-8"))
    assert doc["Version"] == "2012-10-17"
    allowed = {a for st in doc["Statement"] for a in st["Action"]}
    assert {"budgets:DescribeBudgetActionsForAccount", "cloudwatch:DescribeAlarmHistory", "kms:ListGrants"} <= allowed
    assert not any(a.split(":")[1].startswith(("Delete", "Put", "Update", "Create")) for a in allowed)


@pytest.mark.parametrize(
    ("service", "operation", "expected"),
    [
        ("s3", "ListObjectsV2", ("s3:ListBucket",)),
        ("s3", "GetObject", ("s3:GetObject",)),
        ("s3", "GetBucketCors", ("s3:GetBucketCORS",)),
        ("s3control", "ListAccessPoints", ("s3:ListAccessPoints",)),  # signingName s3
        ("cloudwatch", "DescribeAlarmHistory", ("cloudwatch:DescribeAlarmHistory",)),  # endpointPrefix monitoring
        ("resourcegroupstaggingapi", "GetResources", ("tag:GetResources",)),  # endpointPrefix tagging
        ("sagemaker-runtime", "InvokeEndpoint", ("sagemaker:InvokeEndpoint",)),
        ("lakeformation", "GetResourceLFTags", ("lakeformation:GetResourceLFTags",)),
        ("budgets", "DescribeBudget", ("budgets:ViewBudget",)),
    ],
)
def test_an_operation_maps_to_its_iam_action(service: str, operation: str, expected: tuple[str, ...]) -> None:
    assert iam_actions.iam_actions(service, operation) == expected


@pytest.mark.parametrize("service", ["s3", "cloudwatch", "budgets", "lakeformation", "sagemaker-runtime"])
def test_method_names_are_the_clients_own(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_PROFILE", raising=False)  # a shell's profile need not exist here
    client = boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    assert iam_actions.operations(service) == client.meta.method_to_api_mapping


MODULE = """\
from typing import Any


def history(cloudwatch: Any) -> list[Any]:
    pages = cloudwatch.get_paginator("describe_alarm_history").paginate()
    return [p for p in pages]


def _paged(client: Any, operation: str) -> list[Any]:
    return list(client.get_paginator(operation).paginate())


class Reader:
    def __init__(self, s3: Any) -> None:
        self._s3 = s3

    def read(self) -> bytes:
        return self._s3.get_object(Bucket="b", Key="k")["Body"].read()


def check(target: Any) -> None:
    history(target.client("cloudwatch"))
    _paged(target.client("kms"), "list_grants")
    Reader(target.client("s3")).read()
    budgets = target.client("budgets")
    budgets.describe_budget_actions_for_account(AccountId="1")
    for operation in ("get_bucket_cors", "get_bucket_logging"):
        getattr(target.client("s3"), operation)(Bucket="b")
    client = Tracking()
    client.create_experiment("not AWS")
"""


def test_calls_are_followed_into_helpers_classes_and_operation_tables(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"lakehouse/checks/probe.py": MODULE})
    where = "lakehouse/checks/probe.py"
    assert _calls(root) == {
        (f"{where}:5", "cloudwatch:DescribeAlarmHistory"),
        (f"{where}:23", "kms:ListGrants"),  # where the operation is named
        (f"{where}:18", "s3:GetObject"),
        (f"{where}:26", "budgets:DescribeBudgetActionsForAccount"),
        (f"{where}:27", "s3:GetBucketCORS"),
        (f"{where}:27", "s3:GetBucketLogging"),
    }


def test_a_call_the_policy_lacks_is_named_by_file_line_and_action(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"lakehouse/checks/probe.py": MODULE})
    iam_actions.write(root)
    assert differences(root) == []  # the healthy twin: written from the scan
    doc = json.loads((root / READ_POLICY).read_text(encoding="utf-8"))
    doc["Statement"][0]["Action"].remove("kms:ListGrants")
    doc["Statement"][0]["Action"].append("kms:Decrypt")
    (root / READ_POLICY).write_text(json.dumps(doc), encoding="utf-8")
    assert differences(root) == [
        f"lakehouse/checks/probe.py:23: kms.list_grants needs kms:ListGrants, missing from {READ_POLICY} "
        f"(Sid {READ_SID}); run `lakehouse docs`",
        f"{READ_POLICY} (Sid {READ_SID}): kms:Decrypt is allowed but no call in lakehouse/ or steps/ needs it",
    ]


def test_writes_go_to_their_scenarios_statement_and_an_unclaimed_write_fails(tmp_path: Path) -> None:
    root = _repo(
        tmp_path,
        {
            "lakehouse/chaos/fault.py": "def inject(t):\n    t.client('glue').update_table(DatabaseName='d')\n",
            "lakehouse/checks/sneaky.py": "def fix(t):\n    t.client('s3').delete_bucket(Bucket='b')\n",
        },
    )
    docs = iam_actions.policies(iam_actions.scan(root)[0])
    assert docs[WRITE_POLICY]["Statement"] == [
        {
            "Sid": iam_actions.WRITE_SCENARIOS["lakehouse/chaos/"],
            "Effect": "Allow",
            "Action": ["glue:UpdateTable"],
            "Resource": "*",
        }
    ]
    assert READ_POLICY not in docs
    iam_actions.write(root)
    assert differences(root) == [
        "lakehouse/checks/sneaky.py:2: s3.delete_bucket writes (s3:DeleteBucket) in no scenario of "
        "lakehouse.iam_actions.WRITE_SCENARIOS"
    ]


def test_an_operation_name_the_scan_cannot_read_fails(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"lakehouse/checks/odd.py": "def read(t, name):\n    t.client('iam').get_paginator(name)\n"})
    assert differences(root) == [
        "lakehouse/checks/odd.py:2: iam operation 'name' is no operation the scan can name "
        "(give get_paginator/getattr a constant or a name from a table of constants)"
    ]


def test_a_library_that_calls_aws_brings_its_actions(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"lakehouse/athena.py": "import pyathena\n"})
    assert ("lakehouse/athena.py:1", "lakeformation:GetDataAccess") in _calls(root)
