"""A bare lakehouse on the running emulator for the pipeline's tests: buckets, Glue databases, a workgroup.

What Terraform would create, made with plain API calls in a region of its own, so that the
pipeline (``run_pipeline``) runs unchanged in-process against the shared emulator, many times,
without deploying anything per example.
"""

from __future__ import annotations

from typing import Any

from lakehouse.emulator.process import EmulatorHandle
from lakehouse.target import Target, local_target


def pipeline_stack(emulator: EmulatorHandle, region: str, name: str) -> tuple[Target, dict[str, Any]]:
    """``(target, outputs)`` as ``run_pipeline`` takes them; ``name`` keeps stacks of one region apart."""
    target = local_target(emulator.endpoint, region)
    buckets = {layer: f"{name}-{layer}" for layer in ("bronze", "silver", "gold", "athena-results")}
    databases = {layer: f"{name.replace('-', '_')}_{layer}" for layer in ("bronze", "silver", "gold")}
    s3 = target.client("s3")
    for bucket in buckets.values():
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    glue = target.client("glue")
    for database in databases.values():
        glue.create_database(DatabaseInput={"Name": database})
    workgroup = f"{name}-wg"
    target.client("athena").create_work_group(
        Name=workgroup,
        Configuration={
            "ResultConfiguration": {"OutputLocation": f"s3://{buckets['athena-results']}/out/"},
            "EnforceWorkGroupConfiguration": True,
        },
    )
    outputs = {"glue_database_names": databases, "bucket_names": buckets, "athena_workgroup_name": workgroup}
    return target, outputs
