"""Exit check 1 and KPI-quickstart on a deploy with parts of the plan's stack switched off.

``TF_VAR_ml_enabled=false`` (or ``catalog_enabled``, ``s3_lifecycle_rules_enabled``, or a default edited in
``infra/``) deploys a smaller stack, from scratch and whole by its own apply, and faster: both verdicts passed its
time as the plan's stack's. Both now read the state they already read at check time and fail a part whose
resources it lacks (``lakehouse.checks.stack_parts``), naming the part and its switch.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import hcl2  # type: ignore[import-untyped]
import pytest

from lakehouse.checks import stack_parts
from lakehouse.checks.deploy_time import check_deploy_time, untimed_resources
from lakehouse.checks.stack_parts import ONLY_ADDS, PARTS, Part, absent_parts
from lakehouse.config import RunOptions
from lakehouse.evidence import CheckEvidence
from lakehouse.kpi.quickstart import judge_quickstart
from lakehouse.outcome import Outcome
from lakehouse.stack import Stopwatch
from lakehouse.terraform import Terraform, without_instance_keys
from steps import deploy_steps
from tests.unit.test_exit1_attacks import BUCKET, ENDPOINT, _created, _state
from tests.unit.test_plan_thresholds import call_step

ROOT = Path(__file__).resolve().parents[2]
#: Every part's resources (the ml bucket's lifecycle is in two parts: once here).
WHOLE = tuple(dict.fromkeys(a for part in PARTS for a in part.addresses))
ML, CATALOG, LIFECYCLE = PARTS


def _without(*parts: Part) -> tuple[str, ...]:
    gone = {a for part in parts for a in part.addresses}
    return tuple(a for a in WHOLE if a not in gone)


def _verdicts(deployed: tuple[str, ...], tmp_path: Path, wall_s: float = 1712.5) -> tuple[CheckEvidence, Outcome]:
    """Exit check 1's two Then steps (as the scenario runs them) and KPI-quickstart's verdict, on a deploy whose
    timed apply created ``BUCKET`` and ``deployed`` and whose state holds just those."""
    addresses = (BUCKET, *deployed)
    apply = _created(*addresses)
    apply.wall_s = 1500.0
    watch = Stopwatch({"terraform_init": 180.0, "terraform_apply": 1500.0}, apply, wall_s=wall_s, clock_started="x")
    evidence = CheckEvidence("EXIT-1", "30-min deploy", "local")
    fixtures = {
        "deploy_time": check_deploy_time(watch, 1800),
        "evidence": evidence,
        "deployment": SimpleNamespace(stopwatch=watch, stack=SimpleNamespace(dir=tmp_path)),
        "stack": SimpleNamespace(state=lambda: _state(*addresses)),
        "run_options": RunOptions(),
    }
    try:  # the scenario's steps in order: the first that fails ends it
        call_step(deploy_steps.deploy_within_threshold, **fixtures)
        call_step(deploy_steps.every_resource_timed, **fixtures)
    except AssertionError as err:
        evidence.status, evidence.reason = "failed", str(err)  # as steps/evidence.py closes it
    state = _state(*addresses)
    quick = judge_quickstart(watch, 1800, None, untimed_resources(apply, state), absent_parts(state))
    return evidence, quick


@pytest.mark.parametrize(
    ("deployed", "named"),
    [
        (_without(ML), ["ml_enabled = false leaves them out", "the MLflow -> SageMaker part", "9 of its 9 resources"]),
        (_without(CATALOG), ["catalog_enabled = false", "aws_apprunner_service.catalog[0]"]),
        (_without(LIFECYCLE), ["s3_lifecycle_rules_enabled = false", 'aws_s3_bucket_lifecycle_configuration.this["']),
        (_without(ML, CATALOG, LIFECYCLE), ["ml_enabled = false", "catalog_enabled = false", "s3_lifecycle_rules"]),
        (tuple(a for a in WHOLE if a != "aws_iam_role.sagemaker[0]"), ["1 of its 9 resources", "sagemaker[0]"]),
    ],
    ids=["ml", "catalog", "lifecycle", "all-three", "one-resource-of-a-part"],
)
def test_a_deploy_with_a_part_switched_off_fails_both_verdicts(
    deployed: tuple[str, ...], named: list[str], tmp_path: Path
) -> None:
    """Broken: a 28-minute deploy of the stack without a part, from scratch and whole by its own apply: both
    verdicts passed its time as the plan's stack's."""
    exit1, quick = _verdicts(deployed, tmp_path)
    for status, reason in ((exit1.status, exit1.reason), (quick.status, quick.reason)):
        assert status == "failed", f"{status} on a stack with a part switched off"
        assert "deployed a smaller stack than the plan's" in str(reason), reason
        assert all(n in str(reason) for n in named), reason
    assert exit1.details["parts_absent_from_the_state"] == quick.details["parts_absent_from_the_state"] != []


def test_a_resource_two_switches_gate_is_named_under_the_part_that_is_gone() -> None:
    """``ml_enabled = false`` also leaves out the ml bucket's lifecycle: the lifecycle switch is not blamed for it;
    with only the lifecycle rules off, the ML part (whole but for its lifecycle) is not blamed either."""
    ml_off = absent_parts(_state(*_without(ML)))
    assert len(ml_off) == 1 and "ml_enabled = false" in ml_off[0], ml_off
    lifecycle_off = absent_parts(_state(*_without(LIFECYCLE)))
    assert len(lifecycle_off) == 1 and "s3_lifecycle_rules_enabled = false" in lifecycle_off[0], lifecycle_off
    assert "5 of its 5" in lifecycle_off[0]  # the ml bucket's lifecycle is named with the rest


def test_the_whole_stack_and_what_only_adds_pass_both_verdicts(tmp_path: Path) -> None:
    """Healthy twin: every part in the state passes; so does more (an e-mail subscription, the model serving)."""
    extra = ('aws_sns_topic_subscription.alerts_email["ops@example.com"]', ENDPOINT)
    for deployed in (WHOLE, (*WHOLE, *extra)):
        exit1, quick = _verdicts(deployed, tmp_path)
        assert (exit1.status, exit1.reason) == ("passed", None)
        assert quick.passed, quick.reason
        assert exit1.details["parts_absent_from_the_state"] == quick.details["parts_absent_from_the_state"] == []


def test_a_smaller_stack_over_the_threshold_is_over_it(tmp_path: Path) -> None:
    """Over the threshold with less deployed: failed either way (exit check 1 on its time, its first step)."""
    exit1, quick = _verdicts(_without(ML), tmp_path, wall_s=1900.0)
    assert exit1.status == "failed" and "over the 1800 s threshold" in str(exit1.reason)
    assert quick.status == "failed" and "ml_enabled = false" in str(quick.reason)


# -- the real Terraform: the state's addresses are as PARTS writes them (count [0], for_each ["key"]) -----------

TINY_ROOT = """
variable "part_enabled" {
  type    = bool
  default = true
}
resource "terraform_data" "always" {
  input = 1
}
resource "terraform_data" "counted" {
  count = var.part_enabled ? 1 : 0
  input = "part"
}
resource "terraform_data" "keyed" {
  for_each = var.part_enabled ? toset(["a-b"]) : toset([])
  input    = each.key
}
"""


def test_the_state_terraform_shows_is_judged_by_its_addresses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A root of Terraform's built-in resources (no provider to install), applied with its part on, then off by
    ``TF_VAR_``: the part's ``[0]`` and ``["a-b"]`` instances are in ``show -json`` of the first state only."""
    if shutil.which("terraform") is None:
        pytest.skip("needs the terraform binary")
    part = Part("part_enabled", "the tiny part", ("terraform_data.counted[0]", 'terraform_data.keyed["a-b"]'))
    monkeypatch.setattr(stack_parts, "PARTS", (part,))
    found = []
    for env in ({}, {"TF_VAR_part_enabled": "false"}):
        root = tmp_path / f"root{len(env)}"
        root.mkdir()
        (root / "main.tf").write_text(TINY_ROOT, encoding="utf-8")
        tf = Terraform(root, log_dir=root / "logs")
        tf.env = {k: v for k, v in tf.env.items() if not k.startswith(("TF_VAR_", "TF_CLI_ARGS"))}
        tf.env.update({"TF_CLI_CONFIG_FILE": os.devnull, **env})
        tf.init()
        assert tf.apply().ok
        found.append(absent_parts(tf.show_state()))
    assert found[0] == []
    assert len(found[1]) == 1 and "part_enabled = false leaves them out" in found[1][0], found
    assert 'terraform_data.counted[0], terraform_data.keyed["a-b"]' in found[1][0]


# -- the guard: PARTS are infra/'s switches and the resources each one gates ------------------------------------

#: Variables the scan below finds in a count/for_each that decide no count: values inside a map, or names.
VALUES_NOT_COUNTS = {
    "stack_id": "part of names and of the alarms' dimensions, not of any key set",
    "project": "part of the bucket names (keys of a data source's for_each): names, not how many",
    "rows_refused_alarm_threshold": "a value of one alarm in local.pipeline_alarms, not one of its keys",
    "gold_freshness_alarm_s": "a value of one alarm in local.pipeline_alarms, not one of its keys",
}


class Infra:
    """The resource blocks of ``infra/*.tf`` (hcl2), and what each one's ``count``/``for_each`` refers to."""

    def __init__(self, root: Path) -> None:
        self.locals: dict[str, str] = {}
        self.blocks: dict[str, dict[str, Any]] = {}  # address (data. for data sources) -> body
        self.defaults: dict[str, Any] = {}
        for path in sorted(root.glob("*.tf")):
            doc = hcl2.loads(path.read_text(encoding="utf-8"))
            for block in doc.get("locals", []):
                self.locals.update({k: str(v) for k, v in block.items()})
            for block in doc.get("variable", []):
                self.defaults.update({name: body.get("default") for name, body in block.items()})
            for kind in ("resource", "data"):
                for typed in doc.get(kind, []):
                    for rtype, named in typed.items():
                        for name, body in named.items():
                            self.blocks[f"{'data.' if kind == 'data' else ''}{rtype}.{name}"] = body

    def repeat(self, address: str) -> str:
        body = self.blocks[address]
        return " ".join(str(body.get(k, "")) for k in ("count", "for_each"))

    def variables(self, expr: str, seen: frozenset[str] = frozenset()) -> set[str]:
        """Every variable ``expr`` refers to, through locals and the blocks whose instances it repeats."""
        found = set(re.findall(r"\bvar\.(\w+)", expr))
        for ref in self._refs(expr) - seen:
            found |= self.variables(self._expr(ref), seen | {ref})
        return found

    def keys(self, address: str) -> set[str]:
        """The instance keys a deploy with every switch on gives the block: ``[0]`` for a ``count`` of a switch,
        the string keys of the ``toset([...])`` its ``for_each`` ends in (followed through locals and blocks)."""
        body = self.blocks[address]
        if "count" in body:
            assert re.fullmatch(r"\$\{var\.\w+ \? 1 : 0\}", str(body["count"])), (address, body["count"])
            return {"[0]"}
        return {f'["{k}"]' for k in self._literals(str(body["for_each"]))}

    def _literals(self, expr: str, seen: frozenset[str] = frozenset()) -> set[str]:
        found = {k.strip().strip('"') for items in re.findall(r"toset\(\[([^\]]+)\]\)", expr) for k in items.split(",")}
        for ref in self._refs(expr) - seen:
            found |= self._literals(self._expr(ref), seen | {ref})
        return found

    def _refs(self, expr: str) -> set[str]:
        refs = {f"local.{n}" for n in re.findall(r"\blocal\.(\w+)", expr)}
        return refs | {a for a in re.findall(r"\b((?:data\.)?[a-z]+_\w+\.\w+)", expr) if a in self.blocks}

    def _expr(self, ref: str) -> str:
        return self.locals[ref.removeprefix("local.")] if ref.startswith("local.") else self.repeat(ref)


INFRA = Infra(ROOT / "infra")


def test_every_switch_in_infra_is_a_judged_part_or_only_adds() -> None:
    """A new ``count = var.x ? 1 : 0`` in infra/ must be listed: else a deploy with it off passes exit check 1."""
    found = set().union(*(INFRA.variables(INFRA.repeat(a)) for a in INFRA.blocks))
    judged = {p.variable for p in PARTS} | set(ONLY_ADDS) | set(VALUES_NOT_COUNTS)
    assert found - judged == set(), (
        f"variables deciding resource counts that exit check 1 does not judge: {found - judged}"
    )
    assert {p.variable for p in PARTS} <= found, "a part's switch no longer decides a count in infra/"


@pytest.mark.parametrize("part", PARTS, ids=[p.variable for p in PARTS])
def test_a_parts_addresses_are_the_resources_its_switch_gates_in_infra(part: Part) -> None:
    """The part's addresses are exactly the managed resources whose count its switch decides (less those only the
    model variables add), each with the instance keys infra/ gives it: a resource added under the switch, or a
    key renamed, must be added to ``PARTS`` too."""
    gated = {
        a
        for a in INFRA.blocks
        if not a.startswith("data.")
        and part.variable in (used := INFRA.variables(INFRA.repeat(a)))
        and not used & set(ONLY_ADDS)
    }
    assert {without_instance_keys(a) for a in part.addresses} == gated
    expected = {f"{a}{key}" for a in gated for key in INFRA.keys(a)}
    assert set(part.addresses) == expected and len(part.addresses) == len(expected)


def test_the_plans_stack_is_the_default_deploy() -> None:
    """Every part's switch is declared in infra/ and deploys its part by default: ``make up`` passes."""
    for part in PARTS:
        assert INFRA.defaults.get(part.variable) is True, part
