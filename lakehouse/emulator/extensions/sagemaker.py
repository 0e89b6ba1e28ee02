"""SageMaker operations moto 5.2.5 lacks or fakes, for the stack's MLflow model on a serverless endpoint.

moto stores models, endpoint configurations and endpoints (created ``InService`` at once, so the AWS
provider's wait for InService ends at its first read), but:

- ``CreateModel`` drops ``EnableNetworkIsolation`` (every model reads back ``false``) and answers an
  empty ``VpcConfig`` for a model made without one: either makes the AWS provider plan to replace the
  model on every plan. Here the model keeps what it was created with;
- ``CreateEndpointConfig`` answers an empty ``DataCaptureConfig`` for a configuration made without one
  (AWS answers none), which makes the provider plan to replace the configuration on every plan; and it
  keeps the configuration's ARN as a one-element tuple (a stray comma), so the Resource Groups Tagging
  API answered ``...:endpoint-config/('name',)``, an ARN no other API knows;
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
  or a VPC configuration: AWS lists both among Serverless Inference's feature exclusions, so a root
  setting them applies here and fails on AWS. Here they are a ``ValidationError`` naming the model
  (which call AWS refuses it at is not documented; the endpoint, where the serverless compute is
  provisioned, is where it is refused here);
- the runtime's ``InvokeEndpoint`` answers canned data for any endpoint name, existing or not.
  Here it serves what the endpoint serves on AWS: endpoint -> its endpoint configuration -> the
  model of its (first) production variant -> that model's ``ModelDataUrl``, a ``model.tar.gz`` of an
  MLflow model in the emulator's S3, unpacked and loaded with MLflow's pyfunc loader and scored with
  MLflow's own scoring-server code (the code of the inference image MLflow builds for SageMaker),
  so a request body is read exactly as that image reads it. A missing endpoint is a
  ``ValidationError``; a model that cannot load or score is a ``ModelError`` (HTTP 424) naming it.
  That stands in for one image only: MLflow's pyfunc serving image of the MLflow installed here
  (``.../mlflow-pyfunc:<version>``, as ``mlflow sagemaker build-and-push-container`` names and tags it).
  A model of any other image (another repository, another MLflow version, a digest) is a ``ModelError``
  saying the emulator cannot run it: on AWS that image, not MLflow's code, decides what is served,
  and answering for it would pass a stack whose endpoint would serve something else or fail its ping.

Loaded models are kept per archive (S3 URL + ETag): a replaced archive is loaded again.
"""

from __future__ import annotations

import copy
import io
import tarfile
import tempfile
import threading
from pathlib import Path
from typing import Any

from moto.core.common_types import TYPE_RESPONSE
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.s3.models import s3_backends
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import FakeEndpoint, FakeEndpointConfig, SageMakerModelBackend, sagemaker_backends
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse
from moto.utilities.utils import get_partition

from lakehouse.emulator.extensions._graft import graft

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


class ServedModels:
    """MLflow models unpacked from their archives, one per (URL, ETag), loaded on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: dict[tuple[str, str], Any] = {}
        self._dirs: list[tempfile.TemporaryDirectory[str]] = []

    def get(self, url: str, etag: str, archive: bytes) -> Any:
        with self._lock:
            key = (url, etag)
            if key not in self._models:
                self._models[key] = self._load(url, archive)
            return self._models[key]

    def _load(self, url: str, archive: bytes) -> Any:
        import mlflow.pyfunc  # slow import: only once an endpoint is invoked

        folder = tempfile.TemporaryDirectory(prefix="lakehouse-sagemaker-")
        self._dirs.append(folder)
        try:
            with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
                tar.extractall(folder.name, filter="data")
        except (tarfile.TarError, OSError) as err:
            raise ModelError(f"ModelDataUrl {url} is not a readable .tar.gz archive: {err}") from None
        root = Path(folder.name)
        if not (root / "MLmodel").exists():
            raise ModelError(f"ModelDataUrl {url}: the archive has no MLmodel file at its root (not an MLflow model)")
        try:
            return mlflow.pyfunc.load_model(str(root))
        except Exception as err:  # noqa: BLE001 - any load failure is the model's error, named
            raise ModelError(f"the model at {url} does not load: {err}") from None


SERVED = ServedModels()


def mlflow_image_tag() -> str:
    """The image the emulator stands in for: ``mlflow-pyfunc:<installed MLflow version>``."""
    from mlflow.version import VERSION  # the package installs as mlflow-skinny: no "mlflow" distribution

    return f"mlflow-pyfunc:{VERSION}"


def unrunnable_image(image: str) -> str | None:
    """Why the emulator cannot run ``image`` (None: MLflow's pyfunc serving image of this MLflow).

    The registry host and account are not judged (any ECR or a local name); the repository's last path
    part and the tag are: a digest names bytes the emulator cannot see."""
    served = mlflow_image_tag()
    if image.rsplit("/", 1)[-1] == served:
        return None
    return (
        f"the emulator runs only MLflow's pyfunc serving image ({served}, as `mlflow sagemaker "
        f"build-and-push-container` builds it with the MLflow installed here) and cannot run image {image!r}: "
        "on AWS that image decides what the endpoint serves"
    )


def served_model_data_url(backend: SageMakerModelBackend, endpoint_name: str, account: str) -> str:
    """The ModelDataUrl an endpoint serves: endpoint -> endpoint config -> first variant's model (of an image
    the emulator can run)."""
    endpoint = backend.endpoints.get(endpoint_name)
    if endpoint is None:
        raise RuntimeValidationError(f"Endpoint {endpoint_name} of account {account} not found.")
    config = backend.endpoint_configs.get(endpoint.endpoint_config_name)
    if config is None or not config.production_variants:
        raise ModelError(f"endpoint {endpoint_name}: endpoint configuration {endpoint.endpoint_config_name} is gone")
    model_name = config.production_variants[0]["ModelName"]
    model = backend._models.get(model_name)
    if model is None:
        raise ModelError(f"endpoint {endpoint_name}: its model {model_name} is gone")
    container = model.primary_container or {}
    if (why := unrunnable_image(str(container.get("Image") or ""))) is not None:
        raise ModelError(f"endpoint {endpoint_name}: model {model_name}: {why}")
    url = container.get("ModelDataUrl")
    if not url:
        raise ModelError(f"endpoint {endpoint_name}: model {model_name} has no ModelDataUrl")
    return str(url)


class SageMakerRuntimeExtension(SageMakerRuntimeResponse):
    """InvokeEndpoint that loads the endpoint's MLflow model and really predicts."""

    def invoke_endpoint(self) -> TYPE_RESPONSE:
        from mlflow.pyfunc import scoring_server

        endpoint_name = self.path.split("/")[2]
        backend = sagemaker_backends[self.current_account][self.region]
        url = served_model_data_url(backend, endpoint_name, self.current_account)
        try:
            bucket, key = split_s3_url(url)
            obj = s3_backends[self.current_account][get_partition(self.region)].get_object(bucket, key)
        except Exception as err:  # noqa: BLE001 - a missing archive is the model's error, named
            raise ModelError(f"endpoint {endpoint_name}: cannot read its model archive {url}: {err}") from None
        if obj is None:
            raise ModelError(f"endpoint {endpoint_name}: its model archive {url} does not exist")
        model = SERVED.get(url, obj.etag, obj.value)
        content_type = self.headers.get("Content-Type") or "application/json"
        try:
            answer = scoring_server.invocations(self.body, content_type, model, model.metadata.get_input_schema())
        except Exception as err:  # noqa: BLE001 - MLflow's scoring errors become the container's 4xx
            raise ModelError(f"Received client error (400) from primary with message: {err}") from None
        if answer.status != 200:
            raise ModelError(f"Received client error ({answer.status}) from primary with message: {answer.response}")
        body = answer.response if isinstance(answer.response, str) else str(answer.response)
        return 200, {"Content-Type": "application/json", "x-Amzn-Invoked-Production-Variant": "AllTraffic"}, body


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
        config.arn = config.endpoint_config_arn  # type: ignore[assignment]  # moto: a one-element tuple (the tagging API's answer)
        return ActionResult({"EndpointConfigArn": config.endpoint_config_arn})

    def create_endpoint(self) -> ActionResult:
        """moto's, reading the configuration object (its answer may leave DataCaptureConfig out)."""
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
        name = self._get_param("EndpointName")
        config_name = self._get_param("EndpointConfigName")
        backend = self.sagemaker_backend
        endpoint = backend.endpoints.get(name)
        if endpoint is None:
            raise ValidationError(message=f'Could not find endpoint "{name}".')
        config = backend.endpoint_configs.get(config_name)
        if config is None:
            raise ValidationError(message=f'Could not find endpoint configuration "{config_name}".')
        self._refuse_serverless_exclusions(config.production_variants)
        endpoint.endpoint_config_name = config_name
        endpoint.production_variants = endpoint._process_production_variants(copy.deepcopy(config.production_variants))
        endpoint.data_capture_config = config.data_capture_config or {}
        endpoint.endpoint_status = "InService"
        endpoint.last_modified_time = utcnow()
        return ActionResult({"EndpointArn": endpoint.arn})

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
