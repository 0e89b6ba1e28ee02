"""@STACK-model: the model MLflow registered is the one SageMaker serves, it predicts right, and idles free.

Read back, never taken from the stack's own word: the stack's endpoints are listed through SageMaker (names
starting ``<project>-<stack_id>-``, and any endpoint tagged with its ``stack_id``) in every region its Terraform state
puts a resource in, with every endpoint the state holds (SageMaker is regional), each followed
DescribeEndpoint -> its EndpointConfig -> every variant's Model -> ``ModelDataUrl``, and the archive there is
opened: its MLmodel says which MLflow model (``model_id``, ``run_id``) is really served, and each of its files
(sha256) must be that version's artifacts as MLflow's artifact store holds them, downloaded through MLflow (a copied
MLmodel beside other weights names the champion; the files are what is loaded). That archive is what
the container serves only when nothing else picks the model: a container whose ``Environment`` sets a variable
MLflow's serving image does not read (another image may load another model by it), a multi-model container (each
request picks its archive) or a model of several ``Containers`` fails, named, every container followed to its
archive for the reason; so does a container whose image is not MLflow's pyfunc serving image of the MLflow that
logged the archive, in the model's account and region (``lakehouse.ml.serving_image``: the image decides what is
served). The registry's side comes from MLflow's API: the version the ``champion`` alias names,
and every version (to name the one an endpoint serves). The prediction is compared with a value computed again
from Gold by SQL; serverless is read from the endpoint's current configuration and from the variants as the
endpoint runs them (DescribeEndpoint's Current/DesiredServerlessConfig, which UpdateEndpointWeightsAndCapacities
changes in place), shadow variants included (hosted and billed beside the production variant). Only an
``InService`` (or AWS-maintained ``SystemUpdating``) endpoint serves its configuration steadily: any other
status fails, with its FailureReason. SageMaker loads the archive when it deploys the endpoint, so an archive
written after the endpoint's LastModifiedTime is not what it serves and fails, named, whatever it holds now; so
does a model or endpoint configuration created after it (deleted and made again under the same name: SageMaker
reads names only when it deploys, so the endpoint still runs what the name held then).
Three pure judges, one per property; the readers feed them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from math import inf
from typing import Any

from botocore.exceptions import ClientError

from lakehouse.athena import connect, run
from lakehouse.catalog.regions import resource_region, stack_regions
from lakehouse.inventory import STACK_TAG, extending_stacks, sagemaker_tags
from lakehouse.ml.artifacts import read_registered_files
from lakehouse.ml.model import REFERENCES_SQL, archive_files, file_differences, mlmodel_of, reference_sql
from lakehouse.ml.rollout import SERVING_STATUSES
from lakehouse.ml.serving_image import read_image_problem
from lakehouse.outcome import Outcome, Status
from lakehouse.ownership import endpoint_tags
from lakehouse.target import Target
from lakehouse.terraform import state_resources

#: What MLflow's SageMaker serving image reads from its environment (mlflow 3.18: ``mlflow.models.container``,
#: ``mlflow.pyfunc.scoring_server`` and the deployment config ``mlflow.sagemaker`` sets). None picks the model: it
#: loads /opt/ml/model, where SageMaker unpacks ModelDataUrl, and sets the scoring server's model path itself.
#: ``SERVING_MODEL_CONFIG`` is left out: the scoring server hands it to the loaded model as its configuration.
MLFLOW_SERVING_ENV = frozenset(
    {
        "MLFLOW_DEPLOYMENT_FLAVOR_NAME",
        "SERVING_ENVIRONMENT",
        "DISABLE_NGINX",
        "MLFLOW_MODELS_WORKERS",
        "MLFLOW_DISABLE_ENV_CREATION",
        "MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT",
        "http_proxy",
        "https_proxy",
        "no_proxy",
    }
)


SERVERLESS_RULE = (
    "An endpoint is serverless when every production variant and every shadow variant (ShadowProductionVariants: "
    "SageMaker runs it beside the production variant and sends it a copy of the traffic) of the endpoint "
    "configuration it currently uses has a ServerlessConfig and no InstanceType (instances bill every hour, idle or"
    " not; serverless bills per request, so idle costs 0) without ProvisionedConcurrency (warm capacity billed for "
    "as long as it is provisioned, used or not), within the stated MaxConcurrency and MemorySizeInMB caps (a "
    "burst's cost); and the endpoint runs it so: DescribeEndpoint's Current/DesiredServerlessConfig of every "
    "variant (shadow variants too) are judged the same way (UpdateEndpointWeightsAndCapacities changes them without"
    " a new configuration)."
)


@dataclass
class ServedModel:
    """What one endpoint serves, followed through SageMaker to the archive in S3."""

    endpoint: str
    status: str | None = None
    config: str | None = None
    variants: list[dict[str, Any]] = field(default_factory=list)
    model: str | None = None
    model_data_url: str | None = None
    mlmodel: dict[str, Any] = field(default_factory=dict)
    #: sha256 of each file the archive unpacks to, by path (None: not read); what the container loads.
    files: dict[str, str] | None = None
    #: Why the chain could not be followed to an MLflow model (a broken stack, named), or None.
    broken: str | None = None
    #: DescribeEndpoint's FailureReason (a failed creation or update), when it has one.
    failure_reason: str | None = None
    #: DescribeEndpoint's ProductionVariants: the variants as the endpoint runs them (weights, serverless config).
    live: list[dict[str, Any]] = field(default_factory=list)
    #: The configuration's ShadowProductionVariants: hosted (and billed) beside the production variant, sent a
    #: copy of its traffic; what they answer is not returned, so they judge the cost, not the version served.
    shadows: list[dict[str, Any]] = field(default_factory=list)
    #: DescribeEndpoint's ShadowProductionVariants: the shadow variants as the endpoint runs them.
    live_shadows: list[dict[str, Any]] = field(default_factory=list)
    #: PendingDeploymentSummary's EndpointConfigName: the configuration an update is deploying.
    pending_config: str | None = None
    #: DescribeEndpoint's LastModifiedTime: SageMaker loads the archive when it (re)deploys the endpoint.
    deployed_at: datetime | None = None
    #: The region it runs in when that is not the stack's (None: the stack's own); endpoint names are per region.
    region: str | None = None
    #: Its model's container image: what loads the archive and answers (judged in ``broken``).
    image: str | None = None

    @property
    def label(self) -> str:
        """Its name, with its region when that is not the stack's (the same name may serve in both)."""
        return f"{self.endpoint} in {self.region}" if self.region else self.endpoint

    @property
    def model_id(self) -> str | None:
        value = self.mlmodel.get("model_id") or self.mlmodel.get("model_uuid")
        return str(value) if value else None

    @property
    def run_id(self) -> str | None:
        value = self.mlmodel.get("run_id")
        return str(value) if value else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "region": self.region,
            "status": self.status,
            "failure_reason": self.failure_reason,
            "pending_config": self.pending_config,
            "deployed_at": self.deployed_at.isoformat() if self.deployed_at else None,
            "endpoint_config": self.config,
            "model": self.model,
            "model_data_url": self.model_data_url,
            "image": self.image,
            "model_id": self.model_id,
            "run_id": self.run_id,
            "files": self.files,
            "broken": self.broken,
        }


@dataclass(frozen=True)
class RegisteredVersion:
    """One version of the registered model, as MLflow's registry answers it."""

    version: str
    run_id: str | None
    source: str | None
    aliases: tuple[str, ...] = ()

    @property
    def model_id(self) -> str | None:
        """MLflow 3 sources read ``models:/<model_id>``; older ones a run's artifact path."""
        if self.source and self.source.startswith("models:/") and "/" not in self.source[8:]:
            return self.source[8:]
        return None


@dataclass(frozen=True)
class Registry:
    """The registered model's versions and the one its alias names (None when the alias is unset), with the
    sha256 of each file of that version's artifacts as MLflow's artifact store holds them (None: not read)."""

    model_name: str
    alias: str
    versions: tuple[RegisteredVersion, ...]
    champion: RegisteredVersion | None
    champion_files: Mapping[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_name": self.model_name,
            "alias": self.alias,
            "champion": self.champion.version if self.champion else None,
            "champion_files": dict(self.champion_files) if self.champion_files is not None else None,
            "versions": [{"version": v.version, "run_id": v.run_id, "source": v.source} for v in self.versions],
        }


def serves(served: ServedModel, version: RegisteredVersion) -> bool:
    """Is the archive an endpoint serves this registered version? By MLflow model id when the version has one
    (an archive without it is not proven to be that model: one run may log several), else by run."""
    if version.model_id:
        return served.model_id == version.model_id
    return bool(served.run_id) and served.run_id == version.run_id


def _describe_version(served: ServedModel, registry: Registry) -> str:
    found = next((v for v in registry.versions if serves(served, v)), None)
    what = (
        f"version {found.version}" if found else f"no registered version (model {served.model_id}, run {served.run_id})"
    )
    return f"{registry.model_name} {what} ({served.model_data_url})"


def archive_problem(served: ServedModel, registry: Registry) -> str | None:
    """Why an archive whose MLmodel names the champion is not the champion's artifacts (None: it is, file by file).
    The MLmodel is a few lines of YAML anyone can copy beside other weights; the container loads the files."""
    champion = registry.champion
    assert champion is not None
    where = f"endpoint {served.label}'s archive {served.model_data_url} (model {served.model})"
    artifacts = f"{registry.model_name} version {champion.version}'s artifacts in MLflow"
    if served.files is None or registry.champion_files is None:
        unread = "the archive's files" if served.files is None else artifacts
        return f"{where} names the {registry.alias} in its MLmodel, but {unread} were not read, so not compared"
    differences = file_differences(served.files, registry.champion_files)
    if not differences:
        return None
    return (
        f"{where} names the {registry.alias}, version {champion.version}, in its MLmodel, but its files are not "
        f"{artifacts}: " + "; ".join(differences)
    )


def status_problem(served: ServedModel) -> str | None:
    """Why an endpoint does not steadily serve the configuration it names (None: it does)."""
    if served.status in SERVING_STATUSES:
        return None
    failure = f" (FailureReason: {served.failure_reason})" if served.failure_reason else ""
    pending = f", deploying configuration {served.pending_config}" if served.pending_config else ""
    return (
        f"endpoint {served.label} is {served.status}{failure}{pending}: only an InService endpoint serves its "
        f"configuration {served.config} steadily, so what it serves is not settled"
    )


def release_problem(registry: Registry, trained: Mapping[str, Any], stack: str) -> str | None:
    """Why the alias does not name the version this session's release trained on the stack's Gold and registered
    (``trained``: what it registered, ``lakehouse.ml.train``), None when it does. The release sets the alias; one
    moved since (a stack sharing the registry registers the same model name, a person promotes another version)
    names a model trained on other data, which an endpoint may serve and still predict near Gold with (every
    stack loads the same fixtures)."""
    champion = registry.champion
    version, run_id = str(trained.get("version")), trained.get("run_id")
    if champion is None or (champion.version == version and (not run_id or champion.run_id == run_id)):
        return None
    return (
        f"the registry's {registry.alias} is {registry.model_name} version {champion.version} (run "
        f"{champion.run_id}), not version {version} (run {run_id}) that this release trained on stack {stack}'s Gold "
        f"and gave the alias: it moved since, so the version it names is not the model trained on this stack's Gold"
    )


def judge_version(
    served: list[ServedModel], registry: Registry, stack: str, trained: Mapping[str, Any] | None = None
) -> Outcome:
    """Every endpoint of the stack serves the version the registry's alias names, and (``trained``: what this
    session's release registered) that is the version trained on the stack's Gold (:func:`release_problem`)."""
    details: dict[str, Any] = {"endpoints": [s.to_dict() for s in served], "registry": registry.to_dict()}
    if trained is not None:
        details["trained"] = {k: trained.get(k) for k in ("version", "run_id", "model_id")}
    champion = registry.champion
    threshold = f"{registry.model_name}@{registry.alias}" + (f" = version {champion.version}" if champion else "")
    if not served:
        reason = f"stack {stack} has no SageMaker endpoint: nothing serves {registry.model_name}"
        return Outcome.judged(False, {}, threshold, reason, details)
    if champion is None:
        versions = ", ".join(v.version for v in registry.versions) or "none"
        reason = (
            f"MLflow model {registry.model_name} has no version with alias {registry.alias!r} (versions: {versions})"
        )
        return Outcome.judged(False, {}, threshold, reason, details)
    problems: list[str] = []
    if trained is not None and (moved := release_problem(registry, trained, stack)) is not None:
        problems.append(moved)
    measured: dict[str, str | None] = {}
    for s in served:
        if (unsteady := status_problem(s)) is not None:
            problems.append(unsteady)
        if s.broken:
            problems.append(f"endpoint {s.label} serves no readable MLflow model: {s.broken}")
            measured[s.label] = None
            continue
        found = next((v for v in registry.versions if serves(s, v)), None)
        measured[s.label] = found.version if found else None
        if not serves(s, champion):
            problems.append(
                f"endpoint {s.label} (config {s.config}, model {s.model}) serves {_describe_version(s, registry)}, "
                f"but the registry's {registry.alias} is version {champion.version} (run {champion.run_id})"
                # InService with a FailureReason: an update that SageMaker rolled back (AWS's FailureReason doc).
                + (f"; its last update failed: {s.failure_reason}" if s.failure_reason else "")
            )
        elif (unlike := archive_problem(s, registry)) is not None:
            measured[s.label] = None
            problems.append(unlike)
    reason = "; ".join(problems) or (
        f"{len(served)} endpoint(s) serve {registry.model_name} version {champion.version}, the {registry.alias}"
    )
    return Outcome.judged(not problems, measured, threshold, reason, details)


def judge_parts(parts: Mapping[str, Outcome]) -> Outcome:
    """The scenario's parts (version, prediction, serverless) as one outcome: ``failed`` when any part found the
    stack broken, whatever else could not be read (named in the reason too: a broken stack is a verdict, and an
    endpoint that is down makes other parts unreadable); ``error`` when parts errored and none failed."""
    details = {name: {"reason": o.reason, **o.details} for name, o in parts.items()}
    measured = {name: o.measured for name, o in parts.items()}
    threshold = {name: o.threshold for name, o in parts.items()}
    errors = [f"{n} could not be judged: {o.reason}" for n, o in parts.items() if o.status is Status.ERROR]
    failed = [f"{n}: {o.reason}" for n, o in parts.items() if not o.passed and o.status is not Status.ERROR]
    if errors and not failed:
        return Outcome.error("; ".join(errors), threshold, details, measured)
    reason = "; ".join([*failed, *errors]) or "; ".join(f"{n}: {o.reason}" for n, o in parts.items())
    return Outcome.judged(not failed, measured, threshold, reason, details)


def judge_prediction(
    endpoint: str,
    country: str,
    predicted: float | None,
    reference: float | None,
    tolerance_pct: float,
    refused: str | None = None,
) -> Outcome:
    """The endpoint's prediction for ``country`` is within ``tolerance_pct`` % of Gold's reference value;
    ``refused``: the endpoint's own error instead of a prediction (its container cannot serve: the stack's fault)."""
    details = {"endpoint": endpoint, "country": country, "predicted": predicted, "reference": reference}
    threshold = f"within {tolerance_pct:g} % of {reference}"
    if reference is None:
        return Outcome.error(f"Gold has no orders of country {country!r} to compute the reference from", details)
    if refused is not None:
        details["refused"] = refused
        return Outcome.judged(
            False, None, threshold, f"endpoint {endpoint} did not predict for {country}: {refused}", details
        )
    if predicted is None:
        return Outcome.judged(
            False, None, threshold, f"endpoint {endpoint} returned no prediction for {country}", details
        )
    # A relative tolerance of a reference of 0 is 0: only 0 itself is within it.
    off_pct = abs(predicted - reference) / abs(reference) * 100 if reference else (0.0 if predicted == 0 else inf)
    details["off_pct"] = round(off_pct, 6)
    ok = off_pct <= tolerance_pct
    verb = "is" if ok else "is not"
    reason = (
        f"endpoint {endpoint} predicts {predicted:.2f} for {country}; Gold's SQL gives {reference:.2f}: "
        f"{off_pct:.3g} % off, which {verb} within {tolerance_pct:g} %"
    )
    return Outcome.judged(ok, round(predicted, 6), threshold, reason, details)


def judge_answer(
    endpoint: str, country: str, answer: list[float] | str, reference: float | None, tolerance_pct: float
) -> Outcome:
    """``judge_prediction`` of what ``try_invoke`` got: the first prediction, or the endpoint's refusal."""
    if isinstance(answer, str):
        return judge_prediction(endpoint, country, None, reference, tolerance_pct, refused=answer)
    return judge_prediction(endpoint, country, answer[0] if answer else None, reference, tolerance_pct)


def asked_countries(references: Mapping[str, float], country: str) -> list[str]:
    """``country`` and the country of Gold whose reference is furthest from its: a model answering one value for every
    input (a constant, or another model packed under the champion's MLmodel) is within tolerance of one at most."""
    others = [c for c in sorted(references) if c != country and references[c] != references.get(country)]
    if country not in references or not others:
        return [country]
    return [country, max(others, key=lambda c: abs(references[c] - references[country]))]


def judge_predictions(
    endpoint: str,
    asked: list[str],
    answer: list[float] | str,
    references: Mapping[str, float],
    tolerance_pct: float,
) -> Outcome:
    """Each asked country's prediction (``answer``: one per record, in order, or the refusal) within
    ``tolerance_pct`` % of its reference; the first that is not decides (``judge_prediction``), all in details."""
    outcomes = [
        judge_answer(
            endpoint,
            country,
            answer if isinstance(answer, str) else answer[index : index + 1],
            references.get(country),
            tolerance_pct,
        )
        for index, country in enumerate(asked)
    ]
    worst = next((o for o in outcomes if not o.passed), outcomes[0])
    worst.details["asked"] = {
        c: {"predicted": o.details.get("predicted"), "reference": references.get(c)}
        for c, o in zip(asked, outcomes, strict=True)
    }
    return worst


def _cap_problems(where: str, serverless: Mapping[str, Any], max_concurrency: int, max_memory_mb: int) -> list[str]:
    """Why one serverless configuration is above the caps or bills idle (empty: it is within them)."""
    problems = []
    concurrency, memory = serverless.get("MaxConcurrency"), serverless.get("MemorySizeInMB")
    if not isinstance(concurrency, int) or concurrency > max_concurrency:
        problems.append(f"{where}: MaxConcurrency {concurrency} is above the cap {max_concurrency}")
    if not isinstance(memory, int) or memory > max_memory_mb:
        problems.append(f"{where}: MemorySizeInMB {memory} is above the cap {max_memory_mb}")
    if provisioned := serverless.get("ProvisionedConcurrency"):
        problems.append(
            f"{where}: ProvisionedConcurrency {provisioned} keeps warm capacity billed every hour, idle or not"
        )
    return problems


def _live_problems(
    served: ServedModel, max_concurrency: int, max_memory_mb: int, measured: dict[str, Any]
) -> list[str]:
    """Why the variants as the endpoint runs them (DescribeEndpoint) are not serverless within the caps, where
    they differ from what its configuration states (UpdateEndpointWeightsAndCapacities changes them in place)."""
    stated = {v.get("VariantName"): v.get("ServerlessConfig") or {} for v in [*served.variants, *served.shadows]}
    problems = []
    as_run = [("variant", v) for v in served.live] + [("shadow variant", v) for v in served.live_shadows]
    for role, live in as_run:
        name = live.get("VariantName")
        where = f"endpoint {served.label}'s {role} {name} as it runs (DescribeEndpoint"
        if name not in stated:
            problems.append(f"{where}) is no variant of its configuration {served.config}")
            continue
        if live.get("CurrentInstanceCount") or live.get("DesiredInstanceCount"):
            count = live.get("CurrentInstanceCount") or live.get("DesiredInstanceCount")
            problems.append(f"{where}) runs {count} instance(s): it bills every hour, idle or not")
        for key in ("CurrentServerlessConfig", "DesiredServerlessConfig"):
            running = {**stated[name], **(live.get(key) or {})}
            if not live.get(key) or running == stated[name]:
                continue  # what the configuration states, judged above
            measured[f"{served.label}/{name}/{key}"] = running
            problems += _cap_problems(
                f"{where} {key}, not its configuration's {stated[name]})", running, max_concurrency, max_memory_mb
            )
    return problems


def judge_serverless(served: list[ServedModel], max_concurrency: int, max_memory_mb: int, stack: str) -> Outcome:
    """Every endpoint's current configuration is serverless within the caps (idle cost 0)."""
    details: dict[str, Any] = {"rule": SERVERLESS_RULE, "endpoints": [s.to_dict() for s in served]}
    threshold = f"serverless, MaxConcurrency <= {max_concurrency}, MemorySizeInMB <= {max_memory_mb}"
    if not served:
        return Outcome.judged(False, {}, threshold, f"stack {stack} has no SageMaker endpoint to judge", details)
    problems: list[str] = []
    measured: dict[str, Any] = {}
    for s in served:
        if not s.variants:
            problems.append(f"endpoint {s.label}: its endpoint configuration {s.config} has no production variant")
            continue
        for role, v in [("variant", v) for v in s.variants] + [("shadow variant", v) for v in s.shadows]:
            name = v.get("VariantName")
            serverless = v.get("ServerlessConfig")
            measured[f"{s.label}/{name}"] = serverless or {"InstanceType": v.get("InstanceType")}
            where = f"endpoint {s.label}'s configuration {s.config}, {role} {name}"
            if not serverless or v.get("InstanceType"):
                problems.append(
                    f"{where} runs on instances ({v.get('InitialInstanceCount')} x {v.get('InstanceType')}): "
                    "it bills every hour, idle or not (no ServerlessConfig)"
                )
                continue
            problems += _cap_problems(where, serverless, max_concurrency, max_memory_mb)
        problems += _live_problems(s, max_concurrency, max_memory_mb, measured)
    reason = "; ".join(problems) or f"{len(served)} endpoint(s) serverless within the caps: idle cost 0"
    return Outcome.judged(not problems, measured, threshold, reason, details)


# ---------------------------------------------------------------- readers


def stack_endpoints(client: Any, name_prefix: str) -> list[str]:
    """Names of the SageMaker endpoints of a stack (``<prefix>`` or ``<prefix>-...``), every page."""
    names: list[str] = []
    token: str | None = None
    while True:
        page = client.list_endpoints(NameContains=name_prefix, **({"NextToken": token} if token else {}))
        names += [
            str(e["EndpointName"])
            for e in page.get("Endpoints", [])
            if e["EndpointName"] == name_prefix or str(e["EndpointName"]).startswith(name_prefix + "-")
        ]
        token = page.get("NextToken")
        if not token:
            return sorted(names)


def _missing(err: ClientError) -> bool:
    return err.response.get("Error", {}).get("Code") in ("ValidationException", "NoSuchKey", "404", "NoSuchBucket")


def read_served(target: Target, endpoint: str, region: str | None = None) -> ServedModel:
    """Follow one endpoint (of ``region``; None: the target's) to its MLflow model. A link that is gone is recorded
    (``broken``), naming it; failures to call the APIs at all raise (the check ends ``error``)."""
    sm, s3, ecr = target.client("sagemaker", region=region), target.client("s3"), target.client("ecr", region=region)
    served = ServedModel(endpoint, region=region if region != target.region else None)
    described = sm.describe_endpoint(EndpointName=endpoint)
    served.status, served.config = described.get("EndpointStatus"), described.get("EndpointConfigName")
    served.failure_reason = described.get("FailureReason") or None
    served.live = list(described.get("ProductionVariants") or [])
    served.live_shadows = list(described.get("ShadowProductionVariants") or [])
    served.pending_config = (described.get("PendingDeploymentSummary") or {}).get("EndpointConfigName")
    deployed = described.get("LastModifiedTime") or described.get("CreationTime")
    served.deployed_at = deployed if isinstance(deployed, datetime) else None
    try:
        config = sm.describe_endpoint_config(EndpointConfigName=served.config)
    except ClientError as err:
        if not _missing(err):
            raise
        served.broken = f"its endpoint configuration {served.config} does not exist"
        return served
    if (
        remade := made_after_deploy(f"its endpoint configuration {served.config}", config, served.deployed_at)
    ) is not None:
        served.broken = remade
        return served
    served.variants = list(config.get("ProductionVariants") or [])
    served.shadows = list(config.get("ShadowProductionVariants") or [])
    if not served.variants:
        served.broken = f"its endpoint configuration {served.config} has no production variant"
        return served
    first = served.variants[0]
    served.model = first.get("ModelName")
    _take(served, _follow(sm, s3, ecr, str(served.model), served.deployed_at))
    for variant in served.variants[1:] if not served.broken else []:
        # A second variant takes its weight of the traffic: it must serve the same MLflow model, file for file.
        other = _take(
            ServedModel(endpoint, model=variant.get("ModelName")),
            _follow(sm, s3, ecr, str(variant.get("ModelName")), served.deployed_at),
        )
        names = (f"variant {variant.get('VariantName')}'s archive", f"variant {first.get('VariantName')}'s archive")
        differences = file_differences(other.files or {}, served.files or {}, names)
        if other.broken or (other.model_id, other.run_id) != (served.model_id, served.run_id) or differences:
            what = other.broken or f"{other.model_data_url}, model {other.model_id}, run {other.run_id}"
            unlike = f"; their archives differ: {'; '.join(differences)}" if differences and not other.broken else ""
            served.broken = (
                f"its configuration {served.config} splits traffic: variant {variant.get('VariantName')} serves model "
                f"{other.model} ({what}), variant {first.get('VariantName')} serves model {served.model} "
                f"({served.model_data_url}, model {served.model_id}, run {served.run_id}){unlike}"
            )
            break
    return served


def _take(served: ServedModel, archive: Archive) -> ServedModel:
    """``served`` with what its model's archive holds (or why it is broken)."""
    served.model_data_url, served.mlmodel = archive.url, archive.mlmodel
    served.files, served.broken, served.image = archive.files, archive.broken, archive.image
    return served


def made_after_deploy(what: str, described: Mapping[str, Any], deployed_at: datetime | None) -> str | None:
    """Why a model or endpoint configuration, made after the endpoint last (re)deployed, is not what it runs (None:
    made before). SageMaker reads both by name only when it deploys; one deleted and made again under the same name
    (Terraform replacing a resource whose name stays) changes nothing the endpoint runs until an UpdateEndpoint."""
    created = described.get("CreationTime")
    if not isinstance(created, datetime) or deployed_at is None or created <= deployed_at:
        return None
    return (
        f"{what} was created at {created.isoformat()}, after the endpoint last deployed at {deployed_at.isoformat()}:"
        " the endpoint runs what that name held when it deployed, not this one, so which model it serves cannot be "
        "read back (a new name per version makes Terraform update the endpoint)"
    )


def container_problem(model_name: str, container: Mapping[str, Any]) -> str | None:
    """Why a container may serve another model than its ModelDataUrl's archive (None: it serves that one)."""
    url = container.get("ModelDataUrl")
    if container.get("Mode") == "MultiModel":
        return (
            f"model {model_name}'s container is multi-model (Mode MultiModel): each request's TargetModel picks an "
            f"archive under {url}, not the one archive the registry names"
        )
    if container.get("ModelDataSource"):
        # Which of the two SageMaker unpacks when both are set is not confirmed: counted as the other one.
        source = (container["ModelDataSource"].get("S3DataSource") or {}).get("S3Uri")
        return f"model {model_name}'s container also names ModelDataSource {source}, which SageMaker may load instead"
    foreign = sorted(k for k in container.get("Environment") or {} if k not in MLFLOW_SERVING_ENV)
    if foreign:
        return (
            f"model {model_name}'s container sets Environment {', '.join(foreign)}, which MLflow's serving image does "
            f"not read: an image that reads it may serve another model than {url} (SageMaker's framework images run "
            "the script SAGEMAKER_PROGRAM names from SAGEMAKER_SUBMIT_DIRECTORY; Hugging Face images load "
            "HF_MODEL_ID from the Hub)"
        )
    return None


@dataclass
class Archive:
    """What one container's ModelDataUrl holds: its MLmodel, each file's sha256, or why it is broken."""

    url: Any
    mlmodel: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] | None = None
    broken: str | None = None
    #: The container's Image, which loads the archive (``lakehouse.ml.serving_image``).
    image: str | None = None


def _archive(s3: Any, model_name: str, url: Any, deployed_at: datetime | None = None) -> Archive:
    """The archive at a container's ModelDataUrl. An archive written after the endpoint last (re)deployed is
    broken: SageMaker read the archive when it deployed, so what is there now is not what was loaded (and an
    instance that starts later may load the new one)."""
    if not url or not str(url).startswith("s3://"):
        return Archive(url, broken=f"model {model_name} has no s3:// ModelDataUrl ({url})")
    bucket, _, key = str(url)[5:].partition("/")
    if not key or key.endswith("/"):
        return Archive(url, broken=f"model {model_name}'s ModelDataUrl {url} names a prefix, not an archive")
    try:
        found = s3.get_object(Bucket=bucket, Key=key)
        archive = found["Body"].read()
    except ClientError as err:
        if not _missing(err):
            raise
        return Archive(url, broken=f"model {model_name}'s ModelDataUrl {url} does not exist")
    try:
        mlmodel, files = mlmodel_of(archive), archive_files(archive)
    except Exception as err:  # noqa: BLE001 - any unreadable archive is a broken model, named
        return Archive(url, broken=f"model {model_name}'s archive {url} is no MLflow model: {err}")
    written = found.get("LastModified")
    if isinstance(written, datetime) and deployed_at is not None and written > deployed_at:
        now = f"model {mlmodel.get('model_id') or mlmodel.get('model_uuid')}, run {mlmodel.get('run_id')}"
        return Archive(
            url,
            mlmodel,
            files,
            f"model {model_name}'s archive {url} was written at {written.isoformat()} (now {now}), after the endpoint "
            f"last deployed at {deployed_at.isoformat()}: SageMaker loaded the archive as it was then, not this one, "
            "so which model it serves cannot be read back (a new endpoint configuration deploys a new archive)",
        )
    return Archive(url, mlmodel, files)


def _containers(s3: Any, model_name: str, model: Mapping[str, Any]) -> str:
    """Why a model of several containers serves no one archive, each container followed to its archive."""
    followed = []
    for index, container in enumerate(model.get("Containers") or [], 1):
        url = container.get("ModelDataUrl")
        archive = _archive(s3, model_name, url)
        mlmodel = archive.mlmodel
        found = (
            archive.broken
            or f"{url}: model {mlmodel.get('model_id') or mlmodel.get('model_uuid')}, run {mlmodel.get('run_id')}"
        )
        host = container.get("ContainerHostname")
        followed.append(f"container {index}{f' {host}' if host else ''} ({found})")
    mode = (model.get("InferenceExecutionConfig") or {}).get("Mode") or "no InferenceExecutionConfig"
    return (
        f"model {model_name} is a multi-container model ({len(followed)} Containers, {mode}), not one "
        f"PrimaryContainer: a request goes through or to {'; '.join(followed)}, so no one archive is what the "
        "endpoint serves"
    )


def _follow(sm: Any, s3: Any, ecr: Any, model_name: str, deployed_at: datetime | None = None) -> Archive:
    """The archive one SageMaker model serves, followed to S3, or why it serves no one archive (``deployed_at``:
    when the endpoint last deployed, which the archive must predate), or why its image may serve it otherwise
    (``lakehouse.ml.serving_image``; ``ecr``: the region's ECR, which resolves an image named by digest)."""
    try:
        model = sm.describe_model(ModelName=model_name)
    except ClientError as err:
        if not _missing(err):
            raise
        return Archive(None, broken=f"its model {model_name} does not exist")
    if (remade := made_after_deploy(f"its model {model_name}", model, deployed_at)) is not None:
        url = (model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0] or {}).get("ModelDataUrl")
        return Archive(url, broken=remade)
    if model.get("Containers"):
        first = (model["Containers"][0] or {}).get("ModelDataUrl")
        return Archive(first, broken=_containers(s3, model_name, model))
    container = model.get("PrimaryContainer") or {}
    archive = _archive(s3, model_name, container.get("ModelDataUrl"), deployed_at)
    archive.broken = (
        container_problem(model_name, container)
        or archive.broken
        or read_image_problem(ecr, model_name, model, archive.mlmodel)
    )
    archive.image = container.get("Image")
    return archive


def read_registry(tracking_uri: str, model_name: str, alias: str, target: Target) -> Registry:
    """The registered model's versions and its alias, through MLflow's client (its REST API), and the files of
    the version the alias names, downloaded from MLflow's artifact store (``target``: the stack's, which holds it)."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    found = client.search_model_versions(f"name = '{model_name}'")
    versions = tuple(
        sorted(
            (RegisteredVersion(str(v.version), v.run_id, v.source, tuple(v.aliases or ())) for v in found),
            key=lambda v: int(v.version),
        )
    )
    try:
        named = client.get_model_version_by_alias(model_name, alias)
    except MlflowException:
        return Registry(model_name, alias, versions, None)
    champion = next((v for v in versions if v.version == str(named.version)), None)
    files = read_registered_files(target, tracking_uri, model_name, champion.version) if champion else None
    return Registry(model_name, alias, versions, champion, files)


class Unanswered(ValueError):
    """The endpoint answered 200, but not one number per record as MLflow's scoring server does."""


def predictions_of(body: bytes, asked: int) -> list[float]:
    """The predictions in an MLflow scoring server's answer (``{"predictions": [...]}``), one finite number per
    record asked; anything else (another shape, a count that is not the records', NaN) is :class:`Unanswered`."""
    import json
    import math

    shown = body[:200].decode("utf-8", "replace")
    try:
        predictions = json.loads(body)["predictions"]
        values = [float(p) for p in predictions if not isinstance(p, bool)]
    except (ValueError, KeyError, TypeError) as err:
        raise Unanswered(f'it answered {shown!r}, not MLflow\'s {{"predictions": [numbers]}} ({err})') from None
    if len(values) != len(predictions) or len(values) != asked:
        raise Unanswered(f"it answered {len(predictions)} prediction(s) for {asked} record(s): {shown!r}")
    if not all(math.isfinite(v) for v in values):
        raise Unanswered(f"it answered predictions that are not finite numbers: {shown!r}")
    return values


def invoke(
    target: Target, endpoint: str, records: Iterable[Mapping[str, Any]], region: str | None = None
) -> list[float]:
    """Predictions of an endpoint (of ``region``; None: the target's) for rows, sent as MLflow's scoring servers
    read them (dataframe_records)."""
    import json

    rows = [dict(r) for r in records]
    runtime = target.client("sagemaker-runtime", region=region)
    body = json.dumps({"dataframe_records": rows})
    answer = runtime.invoke_endpoint(EndpointName=endpoint, ContentType="application/json", Body=body)
    return predictions_of(answer["Body"].read(), len(rows))


def try_invoke(
    target: Target, endpoint: str, records: Iterable[Mapping[str, Any]], region: str | None = None
) -> list[float] | str:
    """``invoke``, or why the endpoint gave no prediction per record, as text: its ``ModelError`` (the container
    answered that it cannot serve: a model that does not load, an image that cannot run it) or an answer that
    is not one number per record (:class:`Unanswered`); both judge the stack. Other errors propagate."""
    try:
        return invoke(target, endpoint, records, region)
    except Unanswered as err:
        return str(err)
    except ClientError as err:
        error = err.response.get("Error", {})
        if error.get("Code") != "ModelError":
            raise
        return f"ModelError: {error.get('Message', '')}"


def tagged_endpoints(client: Any, stack_id: str, skip: Iterable[str] = ()) -> list[str]:
    """Names of the account's endpoints tagged ``stack_id`` (infra/providers.tf's default_tags mark all the stack
    makes), whatever their names; ``skip``: names already judged (their tags are not read again)."""
    known, found = set(skip), []
    for page in client.get_paginator("list_endpoints").paginate():
        for summary in page.get("Endpoints", []):
            name = str(summary["EndpointName"])
            if name in known:
                continue
            try:
                tags = sagemaker_tags(client, str(summary["EndpointArn"]))
            except ClientError as err:
                if not _missing(err):
                    raise
                continue  # deleted since it was listed: nothing left to serve or bill
            if tags.get(STACK_TAG) == stack_id:
                found.append(name)
    return sorted(found)


def own_endpoints(
    target: Target, name_prefix: str, stack_id: str | None = None, region: str | None = None
) -> list[str]:
    """The stack's endpoints by name in ``region`` (None: the target's); with ``stack_id``, less those tagged and
    named as a stack whose id extends this one's with a hyphen (``lh-1-x`` for ``lh-1``: its names start with this
    prefix too), and with every endpoint tagged as this stack's whatever its name (a name is the stack's own word:
    an endpoint it names otherwise serves and bills all the same)."""
    client = target.client("sagemaker", region=region)
    names = stack_endpoints(client, name_prefix)
    if not stack_id:
        return names
    project = name_prefix.removesuffix(f"-{stack_id}")
    named = [n for n in names if not extending_stacks(n, endpoint_tags(target, n, region), stack_id, project)]
    return sorted({*named, *tagged_endpoints(client, stack_id, skip=names)})


def stated_endpoints_by_region(state: Mapping[str, Any] | None, home: str) -> set[tuple[str, str]]:
    """(region, name) of every SageMaker endpoint the stack's Terraform state holds, each in its ARN's region."""
    found = set()
    for resource in state_resources(state or {}):
        values = resource.get("values") or {}
        if resource.get("type") == "aws_sagemaker_endpoint" and values.get("name"):
            found.add((resource_region(values) or home, str(values["name"])))
    return found


def endpoint_places(
    target: Target, name_prefix: str, stack_id: str | None, state: Mapping[str, Any] | None
) -> list[tuple[str, str]]:
    """(region, name) of every endpoint of the stack: ``own_endpoints`` in each region its Terraform state puts a
    resource in (``lakehouse.catalog.regions``) where SageMaker is offered, its own first, and every endpoint the
    state holds, in its region, whatever its name or tags (one deleted since serves and bills nothing)."""
    places = stack_regions(state, target.region)
    found = {
        (region, name)
        for region in places.regions
        if region == target.region or places.has("sagemaker", region)
        for name in own_endpoints(target, name_prefix, stack_id, region)
    }
    for region, name in stated_endpoints_by_region(state, target.region) - found:
        try:
            target.client("sagemaker", region=region).describe_endpoint(EndpointName=name)
        except ClientError as err:
            if not _missing(err):
                raise
            continue
        found.add((region, name))
    return sorted(found, key=lambda place: (place[0] != target.region, place))


def read_all_served(
    target: Target, name_prefix: str, stack_id: str | None = None, state: Mapping[str, Any] | None = None
) -> list[ServedModel]:
    """Every endpoint of the stack (:func:`endpoint_places`: in every region of its Terraform ``state``; without
    one, the target's region only), followed to what it serves. SageMaker is regional and endpoint names are per
    region: an endpoint the stack runs in another region serves and bills as one in its own."""
    return [read_served(target, name, region) for region, name in endpoint_places(target, name_prefix, stack_id, state)]


def read_references(target: Target, workgroup: str, gold_db: str) -> dict[str, float]:
    """Mean daily revenue of every country of Gold's orders, by one SQL query through Athena."""
    conn = connect(target, workgroup)
    try:
        record, rows = run(conn, REFERENCES_SQL.format(gold_db=gold_db).strip(), label="references")
    finally:
        conn.close()
    if not record.ok:
        raise RuntimeError(f"the reference query failed: {record.error} ({record.sql})")
    return {str(country): float(value) for country, value in rows if country is not None and value is not None}


def read_reference(target: Target, workgroup: str, gold_db: str, country: str) -> float | None:
    """Mean daily revenue of ``country`` from Gold's orders, by SQL through Athena (None: no orders)."""
    conn = connect(target, workgroup)
    try:
        record, rows = run(conn, reference_sql(gold_db, country), label="reference")
    finally:
        conn.close()
    if not record.ok:
        raise RuntimeError(f"the reference query failed: {record.error} ({record.sql})")
    value = rows[0][0] if rows else None
    return float(value) if value is not None else None
