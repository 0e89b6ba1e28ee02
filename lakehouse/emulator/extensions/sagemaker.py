"""SageMaker operations moto 5.2.5 lacks or fakes, for the stack's MLflow model on a serverless endpoint.

moto stores models, endpoint configurations and endpoints (created ``InService`` at once, so the AWS
provider's wait for InService ends at its first read), but:

- ``CreateModel`` drops ``EnableNetworkIsolation`` (every model reads back ``false``) and answers an
  empty ``VpcConfig`` for a model made without one: either makes the AWS provider plan to replace the
  model on every plan. Here the model keeps what it was created with;
- ``CreateEndpointConfig`` answers an empty ``DataCaptureConfig`` for a configuration made without one
  (AWS answers none), which makes the provider plan to replace the configuration on every plan; and it
  keeps the configuration's ARN as a one-element tuple (a stray comma), so the Resource Groups Tagging
  API answered ``...:endpoint-config/('name',)``, an ARN no other API knows; and it drops
  ``ShadowProductionVariants`` (a stack's shadow variant, hosted and billed beside the production variant, read
  as absent). Here the configuration keeps them, and an endpoint deployed from it answers them in
  DescribeEndpoint as it hosts them (instance counts, serverless configs); only described: InvokeEndpoint answers
  the production variant, as on AWS, and a shadow's archive is not loaded;
- ``UpdateEndpoint`` is not implemented: the AWS provider calls it when an endpoint moves to a new
  endpoint configuration (a new model version), and so does a person switching configs by hand.
  Here it switches the endpoint to the named configuration (its production variants, serverless or
  instance-based, as that configuration states) and the endpoint stays ``InService``, as on AWS
  once the update has finished;
- ``UpdateEndpointWeightsAndCapacities`` drops a variant's ``ServerlessUpdateConfig`` (AWS changes the
  running MaxConcurrency / ProvisionedConcurrency by it, with no new configuration, and DescribeEndpoint's
  Current/DesiredServerlessConfig say so); moto's endpoint variants also share the configuration's
  ServerlessConfig object, so changing one changed the other. Here each endpoint keeps its own copy and the
  update reaches it; UpdateEndpoint and this update move the endpoint's LastModifiedTime, as on AWS;
- ``CreateEndpoint`` and ``UpdateEndpoint`` deploy a serverless variant whose model has network isolation
  or a VPC configuration, and ``CreateEndpointConfig`` makes a serverless configuration with a
  ``DataCaptureConfig`` or with several production variants: the "Feature exclusions" of AWS's
  Serverless Inference guide (serverless-endpoints.html) list GPUs, AWS Marketplace model packages, private
  Docker registries, multi-model endpoints, VPC configuration, network isolation, data capture, multiple
  production variants, Model Monitor and inference pipelines as real-time features serverless endpoints do
  not support, so a root setting them applies here and fails on AWS. Here each is a ``ValidationException``
  naming what is excluded (AWS's code for a request it refuses; its wording and which call refuses are not
  documented: the model's settings are refused at the endpoint, where the serverless compute is
  provisioned; data capture and a second variant at the configuration, which states both itself). A
  DataCaptureConfig with EnableCapture false is refused too (assumed: the exclusion names the feature);
- ``CreateEndpointConfig`` with ``ShadowProductionVariants`` and a serverless variant (production or shadow) is a
  ``ValidationException`` too: the "Exclusions" of AWS's shadow tests guide (shadow-tests-exclusions.html) list
  serverless inference among the features with which "your request to setup shadow tests will lead to validation
  errors"; and CreateEndpointConfig's reference says that with ShadowProductionVariants "you can only specify one
  variant for ProductionVariants and one variant for ShadowProductionVariants", refused the same way (documented:
  both rules and that a validation error refuses them; assumed: the wording, and that CreateEndpointConfig, where
  the variants are stated, is the call that refuses). moto took both, so a serverless endpoint with a shadow
  variant, which AWS cannot host, deployed here;
- the runtime's ``InvokeEndpoint`` answers canned data for any endpoint name, existing or not.
  Here it serves what the endpoint serves on AWS: endpoint -> its endpoint configuration -> the
  model of its (first) production variant -> that model's ``ModelDataUrl``, a ``model.tar.gz`` of an
  MLflow model as it was in the emulator's S3 when the endpoint deployed (see below), loaded with
  MLflow's pyfunc loader and scored with
  MLflow's own scoring-server code (the code of the inference image MLflow builds for SageMaker),
  so a request body is read exactly as that image reads it. A missing endpoint is a
  ``ValidationError``; a model that cannot load or score is a ``ModelError`` (HTTP 424) naming it.
  That stands in for one image only: MLflow's pyfunc serving image of the MLflow installed here
  (``.../mlflow-pyfunc:<version>``, as ``mlflow sagemaker build-and-push-container`` names and tags it).
  A model of any other image (another repository, another MLflow version, a digest) is a ``ModelError``
  saying the emulator cannot run it: on AWS that image, not MLflow's code, decides what is served,
  and answering for it would pass a stack whose endpoint would serve something else or fail its ping.

- moto's endpoints read nothing at deploy time. On AWS, CreateEndpoint and UpdateEndpoint copy each variant's
  model archive (``ModelDataUrl``) to the serving containers when they deploy: replacing or deleting the S3
  object later does not change what a running endpoint serves. Here :func:`deploy` does the same: the archive is
  read and unpacked into a folder of the endpoint's own (as SageMaker unpacks it into ``/opt/ml/model``), and a
  model of MLflow's image is loaded from it (the container starts and answers its ping); InvokeEndpoint serves
  that, never what S3 holds now. A deploy that cannot (no object, no tar.gz, a model that does not load) leaves
  CreateEndpoint's endpoint ``Failed`` with a FailureReason naming the object; both calls still answer normally,
  as on AWS, where the failure shows only in DescribeEndpoint. An UpdateEndpoint that cannot deploy leaves the
  endpoint ``InService`` on its previous configuration and archive, with the FailureReason (AWS documents
  FailureReason "if the status is InService but update operation fails"; the roll back to the previous
  configuration is what terraform-provider-aws issues #39099, #46663 and #48997 report). A ``Failed`` endpoint
  takes no UpdateEndpoint (AWS: DeleteEndpoint is the only operation on a failed endpoint) and no invocation.

- moto's endpoints pull no image: one whose model names an image nobody pushed deployed ``InService``. On AWS the
  serving containers pull each variant's image from ECR when the endpoint deploys; one it cannot pull (no such
  repository, tag or digest) fails the endpoint with ``Please make sure all images included in the model for the
  production variant <variant> exist, and that the execution role used to create the model has permissions to
  access them.`` (the FailureReason quoted in aws/amazon-sagemaker-examples#275 and aws/sagemaker-python-sdk#1835,
  the latter for an image named outside ECR). Here :func:`deploy` asks the emulator's ECR
  (``ecr.unpullable``) for every image of this account's registry, and fails the same way, naming what ECR lacks;
  an image of another account's registry (AWS's framework images) is not judged, the emulator does not hold it.
  Images are judged when the endpoint deploys, as the archive is: deleting the image later does not stop a
  running endpoint. Not modelled: CreateModel's own refusal of some missing images (``Requested image <uri> not
  found``, aws-samples/easy-amazon-sagemaker-deployments#4), which AWS does not document.

Confirmed (public reports of the wording): ``Failed to download model data for container "container_1" from URL:
"<url>". Please ensure that there is an object located at the URL and that the role passed to CreateModel has
permissions to download the object.`` and ``Failed to extract model data archive for container "container_1" from
URL "<url>". Please ensure that the object located at the URL is a valid tar.gz archive.``. Assumed: the ping
failure's wording (as reports give it, with the emulator's container log appended, since the endpoint has no
CloudWatch logs here), that a container that fails to load its model fails its ping, that a failed update keeps
the endpoint's LastModifiedTime, and that a successful one clears FailureReason.

Memory stays bounded: archives are unpacked to disk (a temporary folder per deployed variant, removed when the
endpoint moves to another deployment or is deleted); an archive is read whole once, at deploy, and may be at most
``MAX_ARCHIVE_BYTES`` (the stack's archives are an MLflow scikit-learn model of a few kilobytes); in memory stays
one loaded MLflow model per variant of a live endpoint.
"""

from __future__ import annotations

import copy
import io
import tarfile
import tempfile
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moto.core.common_types import TYPE_RESPONSE
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.s3.models import s3_backends
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import FakeEndpoint, FakeEndpointConfig, SageMakerModelBackend, sagemaker_backends
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse
from moto.utilities.utils import get_partition

from lakehouse.emulator.extensions._graft import graft
from lakehouse.emulator.extensions.ecr import unpullable

_MARK = "_lakehouse_sagemaker_extension"


class RuntimeValidationError(JsonRESTError):
    """SageMaker runtime's ``ValidationError`` (an unknown endpoint, a bad request)."""

    code = 400

    def __init__(self, message: str):
        super().__init__("ValidationError", message)


class ModelError(JsonRESTError):
    """SageMaker runtime's ``ModelError``: the model container answered with an error (HTTP 424)."""

    code = 424

    def __init__(self, message: str):
        super().__init__("ModelError", message)


def split_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> (bucket, key); anything else is a ValueError naming the URL."""
    if not url.startswith("s3://") or "/" not in url[5:]:
        raise ValueError(f"ModelDataUrl {url!r} is not an s3://bucket/key URL")
    bucket, _, key = url[5:].partition("/")
    return bucket, key


#: The largest archive the emulator reads at deploy (it is read whole, once): far above the stack's few kilobytes.
MAX_ARCHIVE_BYTES = 256 * 1024 * 1024


@dataclass
class DeployedVariant:
    """One production variant as its endpoint deployed it: the model's container, its archive unpacked into a
    folder of its own (None: no ModelDataUrl, the image carries its model) and, for MLflow's image, the model
    loaded from that folder. Later changes to the model, its configuration or the S3 object do not reach it."""

    variant: str
    model_name: str
    image: str
    url: str | None
    folder: tempfile.TemporaryDirectory[str] | None = None
    loaded: Any = None

    def close(self) -> None:
        if self.folder is not None:
            self.folder.cleanup()


class DeployFailed(Exception):
    """A deploy that cannot finish: the message is the endpoint's FailureReason."""


def _download_failure(url: str) -> DeployFailed:
    return DeployFailed(
        f'Failed to download model data for container "container_1" from URL: "{url}". Please ensure that there is '
        "an object located at the URL and that the role passed to CreateModel has permissions to download the object."
    )


def _image_failure(variant: str, why: str) -> DeployFailed:
    """SageMaker's FailureReason for an image it cannot pull (see the module's doc), with what ECR lacks."""
    return DeployFailed(
        f"Please make sure all images included in the model for the production variant {variant} exist, and that "
        f"the execution role used to create the model has permissions to access them. (emulator: {why})"[:1024]
    )


def _read_archive(account: str, region: str, url: str) -> bytes:
    """The archive's bytes as S3 holds them now; a missing object or bucket is SageMaker's download failure."""
    try:
        bucket, key = split_s3_url(url)
        obj = s3_backends[account][get_partition(region)].get_object(bucket, key)
    except Exception:  # noqa: BLE001 - no bucket, no key, a bad URL: SageMaker cannot download it
        raise _download_failure(url) from None
    if obj is None:
        raise _download_failure(url)
    if obj.size > MAX_ARCHIVE_BYTES:
        raise DeployFailed(
            f'model data for container "container_1" at "{url}" is {obj.size} bytes: the emulator deploys archives '
            f"of at most {MAX_ARCHIVE_BYTES} bytes (an emulator limit, not AWS's)"
        )
    return bytes(obj.value)


def _unpack(url: str, archive: bytes) -> tempfile.TemporaryDirectory[str]:
    folder = tempfile.TemporaryDirectory(prefix="lakehouse-sagemaker-")
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            tar.extractall(folder.name, filter="data")
    except (tarfile.TarError, OSError, EOFError):
        folder.cleanup()
        raise DeployFailed(
            f'Failed to extract model data archive for container "container_1" from URL "{url}". Please ensure that '
            "the object located at the URL is a valid tar.gz archive."
        ) from None
    return folder


def _load(variant: DeployedVariant) -> Any:
    """MLflow's serving image loads its model at start: one that does not load fails the container's ping."""
    import mlflow.pyfunc  # slow import: only once an endpoint of MLflow's image deploys

    assert variant.folder is not None
    root = Path(variant.folder.name)
    try:
        if not (root / "MLmodel").exists():
            raise ValueError("the archive has no MLmodel file at its root (not an MLflow model)")
        return mlflow.pyfunc.load_model(str(root))
    except Exception as err:  # noqa: BLE001 - any load failure fails the ping; named
        reason = (
            f"The primary container for production variant {variant.variant} did not pass the ping health check. "
            "Please check CloudWatch logs for this endpoint. "
            f"(emulator: the model at {variant.url} does not load: {err})"
        )
        raise DeployFailed(reason[:1024]) from None  # FailureReason is at most 1024 characters


def deploy(backend: SageMakerModelBackend, variants: list[dict[str, Any]]) -> list[DeployedVariant]:
    """Set up every production variant as SageMaker does when it deploys an endpoint: each model's archive copied
    and unpacked, MLflow's image loading it. A variant that cannot is :class:`DeployFailed` (the FailureReason);
    what was set up for the others is removed then."""
    deployed: list[DeployedVariant] = []
    try:
        for spec in variants:
            model = backend._models.get(spec.get("ModelName", ""))
            if model is None:  # deleted after its configuration was made; assumed to fail the deploy, not the call
                raise DeployFailed(f'Could not find model "{spec.get("ModelName")}".')
            container = model.primary_container or (model.containers or [{}])[0] or {}
            url = container.get("ModelDataUrl") or None
            variant = DeployedVariant(
                str(spec.get("VariantName")), model.model_name, str(container.get("Image") or ""), url
            )
            deployed.append(variant)
            if (why := unpullable(variant.image, backend.account_id)) is not None:
                raise _image_failure(variant.variant, why)
            if url is None or container.get("Mode") == "MultiModel" or str(url).endswith("/"):
                continue  # no one archive to copy: the image's, or one per request (multi-model)
            variant.folder = _unpack(url, _read_archive(backend.account_id, backend.region_name, url))
            if unrunnable_image(variant.image) is None:
                variant.loaded = _load(variant)
    except DeployFailed:
        for variant in deployed:
            variant.close()
        raise
    return deployed


class Deployments:
    """What each live endpoint deployed, by endpoint object (weakly: a dropped endpoint's folders go with it;
    not an attribute of the endpoint, whose every attribute moto answers in DescribeEndpoint)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_endpoint: weakref.WeakKeyDictionary[FakeEndpoint, list[DeployedVariant]] = weakref.WeakKeyDictionary()

    def put(self, endpoint: FakeEndpoint, deployed: list[DeployedVariant]) -> None:
        with self._lock:
            before = self._by_endpoint.get(endpoint) or []
            self._by_endpoint[endpoint] = deployed
        for variant in before:
            variant.close()

    def drop(self, endpoint: FakeEndpoint) -> None:
        with self._lock:
            before = self._by_endpoint.pop(endpoint, None) or []
        for variant in before:
            variant.close()

    def get(self, endpoint: FakeEndpoint) -> list[DeployedVariant] | None:
        with self._lock:
            return self._by_endpoint.get(endpoint)


DEPLOYED = Deployments()


def mlflow_image_tag() -> str:
    """The image the emulator stands in for: ``mlflow-pyfunc:<installed MLflow version>``."""
    from mlflow.version import VERSION  # the package installs as mlflow-skinny: no "mlflow" distribution

    return f"mlflow-pyfunc:{VERSION}"


def unrunnable_image(image: str) -> str | None:
    """Why the emulator cannot run ``image`` (None: MLflow's pyfunc serving image of this MLflow).

    Whether ECR holds the image is judged when the endpoint deploys (``ecr.unpullable``); here the registry host
    and account are not, the repository's last path part and the tag are: a digest names bytes the emulator
    cannot see."""
    served = mlflow_image_tag()
    if image.rsplit("/", 1)[-1] == served:
        return None
    return (
        f"the emulator runs only MLflow's pyfunc serving image ({served}, as `mlflow sagemaker "
        f"build-and-push-container` builds it with the MLflow installed here) and cannot run image {image!r}: "
        "on AWS that image decides what the endpoint serves"
    )


def served_variant(backend: SageMakerModelBackend, endpoint_name: str, account: str) -> DeployedVariant:
    """What an endpoint serves: its (first) variant as it was deployed, of an image the emulator can run."""
    endpoint = backend.endpoints.get(endpoint_name)
    if endpoint is None:
        raise RuntimeValidationError(f"Endpoint {endpoint_name} of account {account} not found.")
    deployed = DEPLOYED.get(endpoint)
    if endpoint.endpoint_status != "InService" or not deployed:
        # Assumed: AWS routes no request to an endpoint that is not in service (Failed: nothing was deployed).
        raise RuntimeValidationError(
            f"Endpoint {endpoint_name} of account {account} is {endpoint.endpoint_status}, not InService: "
            f"it serves nothing (FailureReason: {endpoint.failure_reason})"
        )
    variant = deployed[0]
    if (why := unrunnable_image(variant.image)) is not None:
        raise ModelError(f"endpoint {endpoint_name}: model {variant.model_name}: {why}")
    if variant.url is None or variant.loaded is None:
        raise ModelError(f"endpoint {endpoint_name}: model {variant.model_name} has no ModelDataUrl")
    return variant


class SageMakerRuntimeExtension(SageMakerRuntimeResponse):
    """InvokeEndpoint that loads the endpoint's MLflow model and really predicts."""

    def invoke_endpoint(self) -> TYPE_RESPONSE:
        from mlflow.pyfunc import scoring_server

        endpoint_name = self.path.split("/")[2]
        backend = sagemaker_backends[self.current_account][self.region]
        model = served_variant(backend, endpoint_name, self.current_account).loaded
        content_type = self.headers.get("Content-Type") or "application/json"
        try:
            answer = scoring_server.invocations(self.body, content_type, model, model.metadata.get_input_schema())
        except Exception as err:  # noqa: BLE001 - MLflow's scoring errors become the container's 4xx
            raise ModelError(f"Received client error (400) from primary with message: {err}") from None
        if answer.status != 200:
            raise ModelError(f"Received client error ({answer.status}) from primary with message: {answer.response}")
        body = answer.response if isinstance(answer.response, str) else str(answer.response)
        return 200, {"Content-Type": "application/json", "x-Amzn-Invoked-Production-Variant": "AllTraffic"}, body


def _host_shadows(endpoint: FakeEndpoint, config: FakeEndpointConfig) -> None:
    """DescribeEndpoint's ShadowProductionVariants, as the endpoint runs its configuration's shadow variants (their
    instance counts or serverless configs). Only described: InvokeEndpoint answers from the production variant, as
    on AWS (a shadow's answers are not returned); its archive is not loaded here."""
    shadows = getattr(config, "shadow_production_variants", None) or []
    hosted = endpoint._process_production_variants(copy.deepcopy(shadows)) if shadows else None
    endpoint.shadow_production_variants = hosted  # type: ignore[attr-defined]


def refuse_shadow_config(name: str, variants: list[dict[str, Any]], shadows: list[dict[str, Any]]) -> None:
    """Shadow variants beside a serverless variant, or more than one production or shadow variant with them, are a
    ``ValidationException``: shadow tests' documented exclusions and limits (see the module's doc)."""
    if not shadows:
        return
    serverless = [
        f"{role} {v.get('VariantName')}"
        for role, group in (("production variant", variants), ("shadow variant", shadows))
        for v in group
        if v.get("ServerlessConfig")
    ]
    if serverless:
        raise ValidationError(
            message=f"Serverless Inference does not support shadow variants: endpoint configuration {name} sets "
            f"ShadowProductionVariants with serverless {', '.join(serverless)}"
        )
    if len(variants) > 1 or len(shadows) > 1:
        raise ValidationError(
            message=f"An endpoint configuration with ShadowProductionVariants takes one production variant and one "
            f"shadow variant: endpoint configuration {name} has {len(variants)} production and {len(shadows)} shadow"
        )


def refuse_serverless_config(name: str, variants: list[dict[str, Any]], data_capture: Any) -> None:
    """A serverless endpoint configuration with data capture or several production variants is a
    ``ValidationException``: both are among Serverless Inference's feature exclusions (see the module's doc)."""
    serverless = [str(v.get("VariantName")) for v in variants if v.get("ServerlessConfig")]
    if not serverless:
        return
    if data_capture:
        raise ValidationError(
            message=f"Serverless Inference does not support data capture: endpoint configuration {name} sets "
            f"DataCaptureConfig with serverless variant {serverless[0]}"
        )
    if len(variants) > 1:
        names = ", ".join(str(v.get("VariantName")) for v in variants)
        raise ValidationError(
            message=f"Serverless Inference does not support multiple production variants: endpoint configuration "
            f"{name} has {len(variants)} ({names}), serverless {', '.join(serverless)}"
        )


class SageMakerExtension(SageMakerResponse):
    """CreateModel keeping EnableNetworkIsolation; UpdateEndpoint: the endpoint moves to another configuration;
    UpdateEndpointWeightsAndCapacities: a serverless variant's running config changes."""

    def create_model(self) -> ActionResult:
        model = self.sagemaker_backend.create_model(
            model_name=self._get_param("ModelName"),
            execution_role_arn=self._get_param("ExecutionRoleArn"),
            primary_container=self._get_param("PrimaryContainer"),
            vpc_config=self._get_param("VpcConfig"),
            containers=self._get_param("Containers"),
            tags=self._get_param("Tags"),
        )
        model.enable_network_isolation = bool(self._get_param("EnableNetworkIsolation", False))
        if not model.vpc_config:  # AWS answers no VpcConfig for a model made without one (moto: {})
            model.vpc_config = None  # type: ignore[assignment]  # moto types it as a dict
        return ActionResult(model.response_create)

    def create_endpoint_config(self) -> ActionResult:
        refuse_serverless_config(
            self._get_param("EndpointConfigName"),
            self._get_param("ProductionVariants") or [],
            self._get_param("DataCaptureConfig"),
        )
        refuse_shadow_config(
            self._get_param("EndpointConfigName"),
            self._get_param("ProductionVariants") or [],
            self._get_param("ShadowProductionVariants") or [],
        )
        config = self.sagemaker_backend.create_endpoint_config(
            endpoint_config_name=self._get_param("EndpointConfigName"),
            async_inference_config=self._get_param("AsyncInferenceConfig"),
            production_variants=self._get_param("ProductionVariants"),
            data_capture_config=self._get_param("DataCaptureConfig"),
            tags=self._get_param("Tags"),
            kms_key_id=self._get_param("KmsKeyId"),
        )
        if not config.data_capture_config:
            config.data_capture_config = None  # type: ignore[assignment]  # moto types it as a dict
        # moto drops ShadowProductionVariants; AWS keeps and answers them (and hosts them: they bill as they run).
        config.shadow_production_variants = self._get_param("ShadowProductionVariants") or None  # type: ignore[attr-defined]
        config.arn = config.endpoint_config_arn  # type: ignore[assignment]  # moto: a one-element tuple (the tagging API's answer)
        return ActionResult({"EndpointConfigArn": config.endpoint_config_arn})

    def create_endpoint(self) -> ActionResult:
        """moto's, reading the configuration object (its answer may leave DataCaptureConfig out), deploying its
        variants' archives now (:func:`deploy`): one that cannot leaves the endpoint Failed, the call answered."""
        name, config_name = self._get_param("EndpointName"), self._get_param("EndpointConfigName")
        backend = self.sagemaker_backend
        config = backend.endpoint_configs.get(config_name)
        if config is None:
            arn = FakeEndpointConfig.arn_formatter(config_name, backend.account_id, backend.region_name)
            raise ValidationError(message=f"Could not find endpoint_config '{arn}'.")
        self._refuse_serverless_exclusions(config.production_variants)
        endpoint = FakeEndpoint(  # type: ignore[abstract]  # as moto itself makes it
            account_id=backend.account_id,
            region_name=backend.region_name,
            endpoint_name=name,
            endpoint_config_name=config_name,
            production_variants=copy.deepcopy(config.production_variants),
            data_capture_config=config.data_capture_config or {},
            tags=self._get_param("Tags"),
        )
        _host_shadows(endpoint, config)
        try:
            DEPLOYED.put(endpoint, deploy(backend, config.production_variants))
        except DeployFailed as failed:  # AWS answers the call; the endpoint goes Failed, DescribeEndpoint says why
            endpoint.endpoint_status = "Failed"
            endpoint.failure_reason = str(failed)  # type: ignore[assignment]  # moto types it as None
        backend.endpoints[name] = endpoint
        return ActionResult({"EndpointArn": endpoint.arn})

    def _refuse_serverless_exclusions(self, variants: list[dict[str, Any]]) -> None:
        """Network isolation and a VPC are among Serverless Inference's feature exclusions (AWS docs)."""
        for variant in variants:
            if not variant.get("ServerlessConfig"):
                continue
            model = self.sagemaker_backend._models.get(variant.get("ModelName", ""))
            if model is None:
                continue
            if getattr(model, "enable_network_isolation", False) or model.vpc_config:
                what = "network isolation" if getattr(model, "enable_network_isolation", False) else "a VpcConfig"
                raise ValidationError(
                    message=f"Serverless Inference does not support {what}: model {model.model_name} of variant "
                    f"{variant.get('VariantName')} is deployed to a serverless endpoint"
                )

    def update_endpoint(self) -> ActionResult:
        """Deploy another configuration's archives; one that cannot is a failed update (see the module's doc)."""
        name = self._get_param("EndpointName")
        config_name = self._get_param("EndpointConfigName")
        backend = self.sagemaker_backend
        endpoint = backend.endpoints.get(name)
        if endpoint is None:
            raise ValidationError(message=f'Could not find endpoint "{name}".')
        config = backend.endpoint_configs.get(config_name)
        if config is None:
            raise ValidationError(message=f'Could not find endpoint configuration "{config_name}".')
        if endpoint.endpoint_status == "Failed":
            # AWS: "DeleteEndpoint is the only operation that can be performed on a failed endpoint" (wording assumed).
            raise ValidationError(
                message=f"Cannot update endpoint {name}: it is Failed ({endpoint.failure_reason}); delete it first."
            )
        self._refuse_serverless_exclusions(config.production_variants)
        try:
            deployed = deploy(backend, config.production_variants)
        except DeployFailed as failed:  # the update rolls back: the previous configuration and archive keep serving
            endpoint.failure_reason = str(failed)  # type: ignore[assignment]  # moto types it as None
            return ActionResult({"EndpointArn": endpoint.arn})
        DEPLOYED.put(endpoint, deployed)
        endpoint.failure_reason = None
        endpoint.endpoint_config_name = config_name
        endpoint.production_variants = endpoint._process_production_variants(copy.deepcopy(config.production_variants))
        endpoint.data_capture_config = config.data_capture_config or {}
        _host_shadows(endpoint, config)
        endpoint.endpoint_status = "InService"
        endpoint.last_modified_time = utcnow()
        return ActionResult({"EndpointArn": endpoint.arn})

    def delete_endpoint(self) -> ActionResult:
        """moto's, then what the endpoint deployed is removed (its unpacked archives, its loaded models)."""
        name = self._get_param("EndpointName")
        endpoint = self.sagemaker_backend.endpoints.get(name)
        self.sagemaker_backend.delete_endpoint(name)
        if endpoint is not None:
            DEPLOYED.drop(endpoint)
        return EmptyResult()

    def update_endpoint_weights_and_capacities(self) -> ActionResult:
        """moto's, then each variant's ServerlessUpdateConfig applied to its running serverless config."""
        name = self._get_param("EndpointName")
        desired = self._get_param("DesiredWeightsAndCapacities") or []
        arn = self.sagemaker_backend.update_endpoint_weights_and_capacities(
            endpoint_name=name, desired_weights_and_capacities=desired
        )
        endpoint = self.sagemaker_backend.endpoints[name]
        for wanted in desired:
            update = wanted.get("ServerlessUpdateConfig") or {}
            for variant in endpoint.production_variants:
                if variant.get("VariantName") != wanted.get("VariantName") or not update:
                    continue
                for key in ("CurrentServerlessConfig", "DesiredServerlessConfig"):
                    variant[key] = {**(variant.get(key) or {}), **update}
                for key in ("CurrentWeight", "DesiredWeight", "CurrentInstanceCount", "DesiredInstanceCount"):
                    if variant.get(key) is None:  # moto sets what the request left out to None
                        variant.pop(key, None)
        endpoint.last_modified_time = utcnow()
        return ActionResult({"EndpointArn": arn})


def install() -> None:
    """Graft UpdateEndpoint and the serving InvokeEndpoint onto moto (once)."""
    if getattr(SageMakerResponse, _MARK, False):
        return
    graft(SageMakerExtension, SageMakerResponse)
    graft(SageMakerRuntimeExtension, SageMakerRuntimeResponse)
    setattr(SageMakerResponse, _MARK, True)
