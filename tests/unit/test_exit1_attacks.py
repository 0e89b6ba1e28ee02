"""Exit check 1 under attack: a deploy whose timed apply leaves part of the stack for a later apply.

The model release (``lakehouse.ml.deploy``) applies the whole root again once Gold has data; exit
check 1 credits what that apply created as timed, by the release's own stopwatch. A stack that gates
anything besides the model serving resources on ``model_version`` would get that part created by
the release's apply, outside the deploy's 30-minute clock: only SageMaker's model, endpoint
configuration and endpoint may be created there.
"""

from __future__ import annotations

from typing import Any

from lakehouse.checks.deploy_time import (
    check_deploy_time,
    deferred_to_model_release,
    resource_type,
    untimed_resources,
)
from lakehouse.stack import Stopwatch
from lakehouse.terraform import ApplyResult, ResourceTiming

BUCKET = 'aws_s3_bucket.this["gold"]'
JOB = 'aws_glue_job.this["bronze_to_silver"]'
MODEL = 'aws_sagemaker_model.this["daily-revenue"]'
CONFIG = 'aws_sagemaker_endpoint_configuration.this["daily-revenue"]'
ENDPOINT = 'aws_sagemaker_endpoint.this["daily-revenue"]'


def _created(*addresses: str) -> ApplyResult:
    return ApplyResult(5.0, [ResourceTiming(a, "create", 1.0, "complete") for a in addresses])


def _state(*addresses: str) -> dict[str, Any]:
    resources = [{"address": a, "mode": "managed", "type": resource_type(a)} for a in addresses]
    return {"values": {"root_module": {"resources": resources}}}


def test_a_model_release_apply_that_created_a_pipeline_job_leaves_it_untimed() -> None:
    """Broken: the deploy's timed apply made the bucket only; the Glue job came with the model release."""
    deploy = _created(BUCKET)
    release = _created(JOB, MODEL, CONFIG, ENDPOINT)
    state = _state(BUCKET, JOB, MODEL, CONFIG, ENDPOINT)
    assert check_deploy_time(Stopwatch(phases={"terraform_apply": 5.0}, apply=deploy, wall_s=6.0), 1800).passed
    assert untimed_resources(deploy, state, release) == [JOB]
    assert deferred_to_model_release(deploy, release) == [JOB]


def test_the_model_release_creating_its_endpoint_is_timed_by_it() -> None:
    """Healthy twin: the deploy made the lake; release 1 made the model serving, release 2 replaced the model."""
    deploy = _created(BUCKET, JOB)
    first = _created(MODEL, CONFIG, ENDPOINT)
    second = ApplyResult(
        4.0,
        [
            ResourceTiming(MODEL, "create", 1.0, "complete"),
            ResourceTiming(CONFIG, "create", 1.0, "complete"),
            ResourceTiming(ENDPOINT, "update", 1.0, "complete"),
            ResourceTiming(JOB, "update", 1.0, "complete"),  # a release may update the lake; it made none of it
        ],
    )
    state = _state(BUCKET, JOB, MODEL, CONFIG, ENDPOINT)
    assert untimed_resources(deploy, state, first, second) == []
    assert deferred_to_model_release(deploy, first, second) == []


def test_a_second_untimed_apply_adding_resources_is_caught_without_a_model_release() -> None:
    """Pinned: the deploy timed a `-target` apply of the bucket; an untimed apply made the rest."""
    assert untimed_resources(_created(BUCKET), _state(BUCKET, JOB)) == [JOB]


def test_resource_types_come_from_the_address_with_modules_and_dotted_keys() -> None:
    assert resource_type('module.lake.aws_s3_bucket.this["a.b.c"]') == "aws_s3_bucket"
    assert resource_type('module.m["x.y"].aws_sagemaker_endpoint.this') == "aws_sagemaker_endpoint"
    assert resource_type("aws_sns_topic.alerts") == "aws_sns_topic"
    assert resource_type("aws_glue_job.this[0]") == "aws_glue_job"
    # a key holding "]" or "." (a trailing-bracket regex took "a]b.c" apart)
    assert resource_type('aws_sagemaker_model.this["a]b.c"]') == "aws_sagemaker_model"


def test_a_resource_the_timed_apply_imported_rather_than_created_is_not_timed() -> None:
    """Pinned: an ``import`` block adopting a bucket that existed before the clock, whichever way Terraform's
    hooks report it (an ``import`` action the check refuses, or no ``create`` hook for it at all)."""
    job_created = ResourceTiming(JOB, "create", 1.0, "complete")
    reported = ApplyResult(5.0, [job_created, ResourceTiming(BUCKET, "import", 0.2, "complete")])
    result = check_deploy_time(Stopwatch(phases={"terraform_apply": 5.0}, apply=reported, wall_s=6.0), 1800)
    assert not result.passed and f"{BUCKET} import" in str(result.reason), result.reason
    assert untimed_resources(reported, _state(BUCKET, JOB)) == [BUCKET]
    silent = ApplyResult(5.0, [job_created])
    assert untimed_resources(silent, _state(BUCKET, JOB)) == [BUCKET]
