"""The second deploy phase: train and register on Gold, then apply the root with the version to serve.

The first apply (``make up``, exit check 1's stopwatch) cannot deploy a model: Gold is empty until
the pipeline has run. Once it has, :func:`publish_model` runs the training step
(``lakehouse.ml.train``, its own process), writes the registered version's ``model_version`` and
``model_data_url`` into the stack's working copy (``MODEL_VARIABLES_FILE``: every later plan, apply
and destroy reads them, so exit check 5's plan stays empty) and applies again: Terraform creates the
SageMaker model, the serverless endpoint configuration and the endpoint. The phase's own stopwatch
(train, apply) goes to ``model_deploy.json`` beside exit check 1's ``stopwatch.json``, which it does
not touch: exit check 1 times the first deploy only.

A release that cannot be made ends the scenario one of two ways (:meth:`ModelDeployError.outcome`). ``failed``
(:class:`StackBrokenError`) when the stack lacks what the plan states and the services' APIs show it: no model
bucket, an endpoint SageMaker could not deploy (``Failed``, with its FailureReason), an update SageMaker rolled back
(the endpoint still on its previous configuration). ``error`` (:class:`ModelDeployError`) when the harness could not
release, so nothing about the stack is judged: no tracking server named (a stack's server is the harness's own on
the local target and the user's to name on ``aws``: the stack's APIs cannot say it lacks one), the training process
failing or running out of time (its log says why: Gold unreadable, MLflow unreachable, a bug of ours), an apply that
failed while every endpoint of the stack is healthy (the provider, state, the API itself), an API that cannot be read.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse import progress
from lakehouse.checks.model_serving import endpoint_places, own_endpoints
from lakehouse.inventory import name_prefixes
from lakehouse.ml.artifacts import mlflow_env
from lakehouse.ml.local_image import push_mlflow_image
from lakehouse.ml.rollout import EndpointRollout, read_rollouts, stated_endpoints
from lakehouse.ml.service import NAME_IT
from lakehouse.ml.train import RESULT_PREFIX
from lakehouse.outcome import Outcome
from lakehouse.stack import Deployment
from lakehouse.terraform import ApplyResult, TerraformError

#: Kept in the stack's working copy (Terraform loads every ``*.auto.tfvars.json``).
MODEL_VARIABLES_FILE = "lakehouse_model.auto.tfvars.json"
#: The second phase's stopwatch, beside exit check 1's ``stopwatch.json``.
MODEL_STOPWATCH_FILE = "model_deploy.json"
#: The key of ``model_deploy.json`` keeping the applies of the releases before the last one.
EARLIER_APPLIES = "earlier_applies"


#: What a model release needs of the stack (the plan's v0.9 stack; ``infra/ml.tf``).
RELEASE_THRESHOLD = (
    "the stack's model bucket exists and every endpoint of the stack is InService on the configuration "
    "Terraform applied"
)


class ModelDeployError(RuntimeError):
    """The harness could not make the release (training, registering, an apply no endpoint explains); the message
    says where. No verdict on the stack: :meth:`outcome` is ``error``."""

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.details: dict[str, Any] = dict(details or {})

    def outcome(self) -> Outcome:
        """How the scenario ends: ``error``, naming where the release stopped."""
        return Outcome.error(str(self), RELEASE_THRESHOLD, self.details)


class StackBrokenError(ModelDeployError):
    """The release failed because the stack lacks what the plan states (read back from S3 or SageMaker): a broken
    stack caught, so :meth:`outcome` is ``failed``; ``measured`` is what the APIs showed (endpoint -> its state)."""

    def __init__(self, message: str, measured: Any, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details)
        self.measured = measured

    def outcome(self) -> Outcome:
        return Outcome.judged(False, self.measured, RELEASE_THRESHOLD, str(self), self.details)


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
    bucket = model_bucket(deployment)
    if not tracking_uri:
        raise ModelDeployError(f"stack {deployment.stack.stack_id} has no MLflow tracking server ({NAME_IT})")
    env = mlflow_env(deployment.stack.target)
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
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "lakehouse.ml.train", *args],
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                env=env,
                timeout=timeout_s,
            )
        except subprocess.TimeoutExpired:
            raise ModelDeployError(
                f"training on stack {deployment.stack.stack_id} did not end within {timeout_s:g} s; see {log}"
            ) from None
    found = [line[len(RESULT_PREFIX) :] for line in proc.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if proc.returncode != 0 or not found:
        stack_id = deployment.stack.stack_id
        said = _last_line(log)
        raise ModelDeployError(
            f"training on stack {stack_id} failed (exit {proc.returncode}){f': {said}' if said else ''}; see {log}",
            {"training_log": str(log)},
        )
    return dict(json.loads(found[-1]))


def _last_line(log: Path) -> str | None:
    """The last line the training process wrote to its log (a traceback's last line names the exception)."""
    lines = [line.strip() for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    return lines[-1][:500] if lines else None


def model_bucket(deployment: Deployment) -> str:
    """The stack's model bucket, read back from S3; :class:`StackBrokenError` when the stack has none."""
    stack_id = deployment.stack.stack_id
    bucket = deployment.record.outputs.get("ml_bucket_name")
    if not bucket:
        raise StackBrokenError(
            f"stack {stack_id} has no model bucket (output ml_bucket_name is unset: ml_enabled = false?), which the "
            "plan's MLflow -> SageMaker release needs for the model's archive",
            {"ml_bucket_name": None},
            {"ml_bucket_name": None},
        )
    try:
        deployment.stack.target.client("s3").head_bucket(Bucket=str(bucket))
    except BotoCoreError as err:
        raise ModelDeployError(f"reading stack {stack_id}'s model bucket {bucket} failed: {err}") from None
    except ClientError as err:
        code = str(err.response.get("Error", {}).get("Code"))
        if code not in ("404", "NoSuchBucket"):
            raise ModelDeployError(f"reading stack {stack_id}'s model bucket {bucket} failed: {err}") from None
        raise StackBrokenError(
            f"stack {stack_id}'s model bucket {bucket} (output ml_bucket_name) does not exist in S3",
            {str(bucket): "missing"},
            {"ml_bucket_name": bucket},
        ) from None
    return str(bucket)


def _judge_rollouts(version: str, rollouts: list[EndpointRollout], diagnostics: list[str] | None = None) -> None:
    """Raise :class:`StackBrokenError` naming every endpoint that does not run what was applied (with its
    status, the configuration it still runs and its FailureReason); return when each does."""
    problems = [r.problem for r in rollouts if r.problem]
    if not problems:
        return
    details: dict[str, Any] = {"model_version": version, "endpoints": [r.to_dict() for r in rollouts]}
    if diagnostics is not None:
        details["apply_diagnostics"] = list(diagnostics)
    measured = {r.label: {"status": r.status, "endpoint_config": r.running_config} for r in rollouts}
    what = "the apply failed and" if diagnostics is not None else "the apply reported success, but"
    raise StackBrokenError(
        f"releasing model version {version}: {what} SageMaker did not deploy it: " + "; ".join(problems),
        measured,
        details,
    )


def read_back_rollouts(deployment: Deployment) -> list[EndpointRollout]:
    """The endpoints Terraform's state records and the stack's endpoints by name or tag, in every region its state
    uses (``endpoint_places``, as @STACK-model finds them), as SageMaker runs them. Endpoint names are per region:
    each is read, and paired with what the state applied, in its own region."""
    stack = deployment.stack
    prefix, _ = name_prefixes(stack.stack_id)
    home, state = stack.target.region, stack.state()
    stated = stated_endpoints(state, home)
    listed = endpoint_places(stack.target, prefix, stack.stack_id, state)
    rollouts = []
    for region in sorted({r for r, _ in [*stated, *listed]}, key=lambda r: (r != home, r)):
        rollouts += read_rollouts(
            stack.target.client("sagemaker", region=region),
            {name: config for (where, name), config in stated.items() if where == region},
            [name for where, name in listed if where == region],
            None if region == home else region,
        )
    return rollouts


def push_local_image(deployment: Deployment) -> str:
    """Push MLflow's serving image to the emulator's ECR (``lakehouse.ml.local_image``), as the user does on aws
    before a release; its digest. A push that fails is the harness's :class:`ModelDeployError`."""
    try:
        return push_mlflow_image(deployment.stack.target.client("ecr"))
    except (ClientError, BotoCoreError) as err:
        raise ModelDeployError(f"pushing MLflow's serving image to the emulator's ECR failed: {err}") from None


def write_model_variables(deployment: Deployment, version: str, model_data_url: str) -> None:
    """Pin the version to serve in the stack's working copy (read by every later plan and apply)."""
    values = {"model_version": version, "model_data_url": model_data_url}
    (deployment.stack.root / MODEL_VARIABLES_FILE).write_text(json.dumps(values, indent=2) + "\n", encoding="utf-8")


def unsettled_endpoints(deployment: Deployment) -> list[str]:
    """Why the release's apply must refresh the state first (empty: it need not): the stack's endpoints, read with
    ListEndpoints and DescribeEndpoint, beside the one its last apply recorded (output ``model_endpoint_name``).

    Terraform's refresh reads every managed resource of the stack back before planning (~75 on the local stack,
    several API calls each: 4-7 s of a 12-22 s release apply on the emulator). The release changes only
    ``model_version`` and ``model_data_url``, which only the SageMaker model, endpoint configuration and endpoint
    read (``infra/ml.tf``); the rest of the stack is as its last apply (in a session's own deploy: moments before)
    left it, or has drifted. Unrefreshed, the apply plans the configuration against the state as recorded: it
    makes what the new version changes and touches nothing else. Drift is not this apply's to judge, nor to
    repair: refreshed, it would put a hand-made change back before a later plan could see it; exit check 5's own
    plan (``Stack.plan``) refreshes and names it. What the release's changes rest on is the endpoint (an update
    needs it there and serving), so the apply refreshes, as before, when the recorded endpoint or another endpoint
    of the stack (by name or tag, ``own_endpoints``) is not serving (deleted by hand: Terraform creates it again;
    a create that ended ``Failed``: it is replaced), or when SageMaker cannot be read. Only the stack's own region
    is read here (no ``terraform show``): an endpoint of another region that is not serving is not repaired by a
    refresh, but ``read_back_rollouts`` after the apply still finds it and the release fails naming it."""
    recorded = deployment.record.outputs.get("model_endpoint_name")  # absent while null: no endpoint deployed
    stack = deployment.stack
    try:
        listed = own_endpoints(stack.target, name_prefixes(stack.stack_id)[0], stack.stack_id)
        rollouts = read_rollouts(
            stack.target.client("sagemaker"), {}, [*listed, *([str(recorded)] if recorded else [])]
        )
    except (ClientError, BotoCoreError) as err:
        return [f"the stack's endpoints could not be read: {err}"]
    return [r.problem for r in rollouts if r.problem]


def apply_model(deployment: Deployment, version: str, model_data_url: str) -> ApplyResult:
    """Apply the root with this version to serve; the apply's stopwatch. Refreshes the recorded outputs, then reads
    the endpoints back: an update SageMaker rolled back passes the apply (see ``lakehouse.ml.rollout``).

    The apply refreshes the state only when an endpoint is not as the last apply left it (``unsettled_endpoints``).
    A failed apply is the stack's (``failed``) when an endpoint is read back not running what was applied: a
    CreateEndpoint SageMaker could not deploy ends ``Failed`` with its FailureReason (which the provider's diagnostic
    repeats). With every endpoint healthy it is the harness's (``error``, the diagnostics named): the provider, the
    state or an API failed, and nothing about the stack was seen.
    """
    refresh = bool(unsettled_endpoints(deployment))
    write_model_variables(deployment, version, model_data_url)
    label = f"apply model v{version} ({deployment.stack.stack_id})"
    result = deployment.stack.tf.apply(on_line=progress.tracker(label), refresh=refresh)
    if not result.ok:
        diagnostics = list(result.diagnostics)
        _judge_rollouts(version, _read_back_or_error(deployment, version, diagnostics), diagnostics)
        raise ModelDeployError(
            f"applying model version {version} failed, every endpoint of the stack healthy: " + "; ".join(diagnostics),
            {"model_version": version, "apply_diagnostics": diagnostics},
        )
    deployment.record.outputs = deployment.stack.outputs()
    deployment.record.save(deployment.stack.record_path)
    _judge_rollouts(version, _read_back_or_error(deployment, version))
    return result


def _read_back_or_error(
    deployment: Deployment, version: str, diagnostics: list[str] | None = None
) -> list[EndpointRollout]:
    """``read_back_rollouts``; a state or an API that cannot be read is the harness's :class:`ModelDeployError`."""
    try:
        return read_back_rollouts(deployment)
    except (ClientError, BotoCoreError, TerraformError) as err:
        after = f" (the apply failed: {'; '.join(diagnostics)})" if diagnostics else ""
        raise ModelDeployError(
            f"reading the stack's endpoints back after applying model version {version} failed: {err}{after}",
            {"model_version": version, **({"apply_diagnostics": diagnostics} if diagnostics else {})},
        ) from None


def publish_model(deployment: Deployment, tracking_uri: str | None) -> ModelRelease:
    """Train + register on Gold in ``tracking_uri``, then deploy that version to the serverless endpoint; timed."""
    start = time.monotonic()
    registered = train_and_register(deployment, tracking_uri)
    release = ModelRelease(registered=registered, phases_s={"train_register": time.monotonic() - start})
    if deployment.stack.target.is_local:  # on aws the user pushes it (``mlflow sagemaker build-and-push-container``)
        push_local_image(deployment)
    try:
        applied = apply_model(deployment, release.version, release.model_data_url)
    except ModelDeployError as err:
        err.details.setdefault("registered", registered)  # the version trained and registered, not served
        raise
    release.phases_s["terraform_apply"], release.apply = applied.wall_s, applied.to_dict()
    release.apply_ok = True
    # Every release's apply is kept: the first made the endpoint, a later one only moves it to the new
    # version (an update), and exit check 1 must still find the apply that created it on a later run.
    earlier = [a.to_dict() for a in recorded_model_applies(deployment)]
    path = deployment.stack.dir / MODEL_STOPWATCH_FILE
    record = {**release.to_dict(), EARLIER_APPLIES: earlier}
    path.write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")
    return release


def release_model(deployment: Deployment, tracking_uri: str | None) -> ModelRelease | Outcome:
    """:func:`publish_model`, or how @STACK-model ends when the release could not be made: ``failed`` when the
    stack is why (:class:`StackBrokenError`), ``error`` when the harness is (:class:`ModelDeployError`)."""
    try:
        return publish_model(deployment, tracking_uri)
    except ModelDeployError as err:
        return err.outcome()


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
