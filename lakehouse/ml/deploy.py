"""The second deploy phase: train and register on Gold, then apply the root with the version to serve.

The first apply (``make up``, exit check 1's stopwatch) cannot deploy a model: Gold is empty until
the pipeline has run. Once it has, :func:`publish_model` runs the training step
(``lakehouse.ml.train``, its own process), writes the registered version's ``model_version`` and
``model_data_url`` into the stack's working copy (``MODEL_VARIABLES_FILE``: every later plan, apply
and destroy reads them, so exit check 5's plan stays empty) and applies again: Terraform creates the
SageMaker model, the serverless endpoint configuration and the endpoint. The phase's own stopwatch
(train, apply) goes to ``model_deploy.json`` beside exit check 1's ``stopwatch.json``, which it does
not touch: exit check 1 times the first deploy only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from lakehouse import progress
from lakehouse.ml.rollout import rollout_problems, stated_endpoints
from lakehouse.ml.server import QUIET_ENV
from lakehouse.ml.service import NAME_IT
from lakehouse.ml.train import RESULT_PREFIX
from lakehouse.stack import Deployment
from lakehouse.terraform import ApplyResult

#: Kept in the stack's working copy (Terraform loads every ``*.auto.tfvars.json``).
MODEL_VARIABLES_FILE = "lakehouse_model.auto.tfvars.json"
#: The second phase's stopwatch, beside exit check 1's ``stopwatch.json``.
MODEL_STOPWATCH_FILE = "model_deploy.json"
#: The key of ``model_deploy.json`` keeping the applies of the releases before the last one.
EARLIER_APPLIES = "earlier_applies"


class ModelDeployError(RuntimeError):
    """Training, registering or applying the model version failed; the message says where."""


@dataclass
class ModelRelease:
    """A registered version and the apply that deployed it, with the phase's times."""

    registered: dict[str, Any]
    phases_s: dict[str, float] = field(default_factory=dict)
    apply_ok: bool = False
    #: The apply's per-resource times (``ApplyResult.to_dict``): exit check 1 counts what it created as timed.
    apply: dict[str, Any] | None = None

    @property
    def version(self) -> str:
        return str(self.registered["version"])

    @property
    def model_data_url(self) -> str:
        return str(self.registered["model_data_url"])

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def train_and_register(deployment: Deployment, tracking_uri: str | None, timeout_s: float = 600) -> dict[str, Any]:
    """Run the training step against the stack, registering in ``tracking_uri``; what it registered."""
    outputs = deployment.record.outputs
    if not tracking_uri:
        raise ModelDeployError(f"stack {deployment.stack.stack_id} has no MLflow tracking server ({NAME_IT})")
    bucket = outputs.get("ml_bucket_name")
    if not bucket:
        raise ModelDeployError(f"stack {deployment.stack.stack_id} has no model bucket (ml_enabled = false?)")
    env = {**os.environ, **deployment.stack.target.env(), **QUIET_ENV}
    if s3_endpoint := deployment.stack.target.configured_endpoint("s3"):  # the emulator's, or one aws names
        env["MLFLOW_S3_ENDPOINT_URL"] = s3_endpoint
    args = [
        *(["--local"] if deployment.stack.target.is_local else []),
        *("--tracking-uri", tracking_uri),
        *("--workgroup", str(outputs["athena_workgroup_name"])),
        *("--gold-db", str(outputs["glue_database_names"]["gold"])),
        *("--bucket", str(bucket)),
    ]
    log = deployment.stack.dir / "logs" / "train.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w", encoding="utf-8") as err:
        proc = subprocess.run(
            [sys.executable, "-m", "lakehouse.ml.train", *args],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=env,
            timeout=timeout_s,
        )
    found = [line[len(RESULT_PREFIX) :] for line in proc.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if proc.returncode != 0 or not found:
        stack_id = deployment.stack.stack_id
        raise ModelDeployError(f"training on stack {stack_id} failed (exit {proc.returncode}); see {log}")
    return dict(json.loads(found[-1]))


def write_model_variables(deployment: Deployment, version: str, model_data_url: str) -> None:
    """Pin the version to serve in the stack's working copy (read by every later plan and apply)."""
    values = {"model_version": version, "model_data_url": model_data_url}
    (deployment.stack.root / MODEL_VARIABLES_FILE).write_text(json.dumps(values, indent=2) + "\n", encoding="utf-8")


def apply_model(deployment: Deployment, version: str, model_data_url: str) -> ApplyResult:
    """Apply the root with this version to serve; the apply's stopwatch. Refreshes the recorded outputs, then reads
    the endpoints back: an update SageMaker rolled back passes the apply (see ``lakehouse.ml.rollout``)."""
    write_model_variables(deployment, version, model_data_url)
    label = f"apply model v{version} ({deployment.stack.stack_id})"
    result = deployment.stack.tf.apply(on_line=progress.tracker(label))
    if not result.ok:
        # A CreateEndpoint that SageMaker could not deploy: the provider's diagnostic carries its FailureReason.
        raise ModelDeployError(f"applying model version {version}: " + "; ".join(result.diagnostics))
    deployment.record.outputs = deployment.stack.outputs()
    deployment.record.save(deployment.stack.record_path)
    stated = stated_endpoints(deployment.stack.state())
    if problems := rollout_problems(deployment.stack.target.client("sagemaker"), stated):
        raise ModelDeployError(f"applying model version {version} did not deploy it: " + "; ".join(problems))
    return result


def publish_model(deployment: Deployment, tracking_uri: str | None) -> ModelRelease:
    """Train + register on Gold in ``tracking_uri``, then deploy that version to the serverless endpoint; timed."""
    start = time.monotonic()
    registered = train_and_register(deployment, tracking_uri)
    release = ModelRelease(registered=registered, phases_s={"train_register": time.monotonic() - start})
    applied = apply_model(deployment, release.version, release.model_data_url)
    release.phases_s["terraform_apply"], release.apply = applied.wall_s, applied.to_dict()
    release.apply_ok = True
    # Every release's apply is kept: the first made the endpoint, a later one only moves it to the new
    # version (an update), and exit check 1 must still find the apply that created it on a later run.
    earlier = [a.to_dict() for a in recorded_model_applies(deployment)]
    path = deployment.stack.dir / MODEL_STOPWATCH_FILE
    record = {**release.to_dict(), EARLIER_APPLIES: earlier}
    path.write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")
    return release


def _recorded(deployment: Deployment) -> dict[str, Any]:
    path = deployment.stack.dir / MODEL_STOPWATCH_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def recorded_model_apply(deployment: Deployment) -> ApplyResult | None:
    """The stopwatch of the stack's last model release apply (``model_deploy.json``), if one was recorded."""
    applied = _recorded(deployment).get("apply")
    return ApplyResult.from_dict(applied) if applied else None


def recorded_model_applies(deployment: Deployment) -> list[ApplyResult]:
    """Every model release apply recorded on the stack, oldest first (the last one is ``recorded_model_apply``)."""
    record = _recorded(deployment)
    applies = [*record.get(EARLIER_APPLIES, []), *([record["apply"]] if record.get("apply") else [])]
    return [ApplyResult.from_dict(a) for a in applies if isinstance(a, dict)]
