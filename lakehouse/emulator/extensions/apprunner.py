"""AWS App Runner, which moto 5.2.5 does not have at all, for ``aws_apprunner_service`` and its auto scaling.

The Backstage catalog of the stack runs on App Runner (infra/catalog_service.tf). Terraform's AWS
provider (5.100) creates a service with CreateService, waits with DescribeService until the status
leaves ``OPERATION_IN_PROGRESS``, reads it back (DescribeService, ListTagsForResource), updates
with UpdateService / TagResource / UntagResource and deletes with DeleteService, waiting for
``DELETED``. ``aws_apprunner_auto_scaling_configuration_version`` uses Create/Describe/Delete
AutoScalingConfiguration; exit check 5 lists services and configurations (ListServices,
ListAutoScalingConfigurations). The harness pauses the idle service (PauseService) and resumes it
(ResumeService) to ask it for its entities.

States are AWS's: an operation answers ``OPERATION_IN_PROGRESS`` and the service is in its resulting state
(``RUNNING``, ``PAUSED``, ``DELETED``) by the next read, so the provider's waiters finish at their first poll.
A service whose private ECR image cannot be pulled (no such repository or tag in the emulator's ECR) ends
``CREATE_FAILED``, as App Runner's does; it can only be deleted. ECR Public images are not checked (the
emulator has no ECR Public). Updating a paused service is refused with InvalidStateException as AWS refuses
it; pausing a paused one or resuming a running one too. Read back, a service carries AWS's defaults where the
request left them out (1 vCPU / 2 GB, the TCP health check, public ingress, IPv4, no observability, the
account's DefaultConfiguration auto scaling: min 1, max 25, concurrency 100), so a plan after apply is empty.
An auto scaling configuration's status is ``active``/``inactive`` in lower case, as AWS answers it (botocore's
model says ACTIVE; the provider waits for ``active`` and times out on anything else). The service URL is the
emulator's own host name pattern (``<id>.<region>.awsapprunner.com``); nothing answers there: locally the
catalog's content is served by the harness's catalog process (lakehouse.catalog.service).

Shape: a moto backend (state per account and region) and a JSON-protocol responses class, registered
with moto's dispatcher by ``install()`` as the ``apprunner`` service (moto finds a backend by the
request's signing name, ``apprunner``, then imports ``moto.apprunner``: the module is put there).
"""

from __future__ import annotations

import copy
import json
import re
import sys
import types
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.exceptions import JsonRESTError
from moto.core.resource_tagging import TaggableResourcesMixin, TaggedResource
from moto.core.responses import BaseResponse

_INSTALLED_MARK = "_lakehouse_apprunner_extension"

RUNNING = "RUNNING"
PAUSED = "PAUSED"
DELETED = "DELETED"
IN_PROGRESS = "OPERATION_IN_PROGRESS"
CREATE_FAILED = "CREATE_FAILED"
DEFAULT_INSTANCE = {"Cpu": "1024", "Memory": "2048"}
DEFAULT_HEALTH_CHECK = {
    "Protocol": "TCP",
    "Path": "/",
    "Interval": 5,
    "Timeout": 2,
    "HealthyThreshold": 1,
    "UnhealthyThreshold": 5,
}
DEFAULT_NETWORK: dict[str, Any] = {
    "EgressConfiguration": {"EgressType": "DEFAULT"},
    "IngressConfiguration": {"IsPubliclyAccessible": True},
    "IpAddressType": "IPV4",
}
#: AWS's account-wide default auto scaling (a service given none gets it).
DEFAULT_SCALING: dict[str, int] = {"MaxConcurrency": 100, "MinSize": 1, "MaxSize": 25}
#: App Runner's limits on a configuration: MinSize 1-25 (no scale to zero), MaxSize 1-25, concurrency 1-200.
SCALING_LIMITS = {"MinSize": (1, 25), "MaxSize": (1, 25), "MaxConcurrency": (1, 200)}
#: The fields of an AutoScalingConfigurationSummary (a service's, and ListAutoScalingConfigurations').
SCALING_SUMMARY_KEYS = (
    "AutoScalingConfigurationArn",
    "AutoScalingConfigurationName",
    "AutoScalingConfigurationRevision",
    "Status",
    "CreatedAt",
    "HasAssociatedService",
    "IsDefault",
)
_UNITS = {"1 vCPU": "1024", "2 vCPU": "2048", "0.25 vCPU": "256", "0.5 vCPU": "512", "4 vCPU": "4096"}


class ResourceNotFound(JsonRESTError):
    def __init__(self, message: str):
        super().__init__("ResourceNotFoundException", message)


class InvalidRequest(JsonRESTError):
    def __init__(self, message: str):
        super().__init__("InvalidRequestException", message)


class InvalidState(JsonRESTError):
    def __init__(self, message: str):
        super().__init__("InvalidStateException", message)


def _now() -> float:
    return datetime.now(UTC).timestamp()


def _units(value: str | None, default: str) -> str:
    """CPU and memory as App Runner answers them (units of 1/1024 vCPU, MB), whatever form was sent."""
    if not value:
        return default
    if value in _UNITS:
        return _UNITS[value]
    m = re.fullmatch(r"(\d+) GB", value)
    return str(int(m.group(1)) * 1024) if m else value


class AppRunnerBackend(BaseBackend, TaggableResourcesMixin):
    """Services and auto scaling configurations of one account and region.

    As a taggable backend its services and configurations are in the Resource Groups Tagging API's
    GetResources (as on AWS), where ``lakehouse reap`` looks for a stack's orphans.
    """

    SERVICE_NAMESPACE = "apprunner"

    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        self.services: dict[str, dict[str, Any]] = {}
        self.scaling: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, dict[str, str]] = {}

    @property
    def _url_module(self) -> Any:
        """moto looks for ``<package>.urls``; this module serves its own paths."""
        return types.SimpleNamespace(url_bases=URL_BASES, url_paths=URL_PATHS)

    def _arn(self, kind: str, name: str, suffix: str) -> str:
        return f"arn:aws:apprunner:{self.region_name}:{self.account_id}:{kind}/{name}/{suffix}"

    # -- auto scaling -------------------------------------------------------------------------------

    def default_scaling(self) -> dict[str, Any]:
        arn = self._arn("autoscalingconfiguration", "DefaultConfiguration", "1/00000000000000000000000000000001")
        if arn not in self.scaling:
            self.scaling[arn] = self._scaling_record(arn, "DefaultConfiguration", 1, DEFAULT_SCALING, default=True)
        return self.scaling[arn]

    def _scaling_record(
        self, arn: str, name: str, revision: int, values: dict[str, Any], default: bool = False
    ) -> dict[str, Any]:
        return {
            "AutoScalingConfigurationArn": arn,
            "AutoScalingConfigurationName": name,
            "AutoScalingConfigurationRevision": revision,
            "Latest": True,
            "Status": "active",
            "MaxConcurrency": values["MaxConcurrency"],
            "MinSize": values["MinSize"],
            "MaxSize": values["MaxSize"],
            "CreatedAt": _now(),
            "HasAssociatedService": False,
            "IsDefault": default,
        }

    def create_auto_scaling_configuration(
        self, name: str, values: dict[str, Any], tags: list[dict[str, str]] | None
    ) -> dict[str, Any]:
        settings: dict[str, Any] = {
            k: values.get(k) if values.get(k) is not None else v for k, v in DEFAULT_SCALING.items()
        }
        for key, (low, high) in SCALING_LIMITS.items():
            if not low <= int(settings[key]) <= high:
                raise InvalidRequest(f"{key} must be between {low} and {high}; got {settings[key]}")
        if settings["MinSize"] > settings["MaxSize"]:
            raise InvalidRequest("MinSize must not exceed MaxSize")
        revisions = [r for r in self.scaling.values() if r["AutoScalingConfigurationName"] == name]
        for old in revisions:
            old["Latest"] = False
        revision = 1 + max((r["AutoScalingConfigurationRevision"] for r in revisions), default=0)
        arn = self._arn("autoscalingconfiguration", name, f"{revision}/{uuid.uuid4().hex}")
        self.scaling[arn] = self._scaling_record(arn, name, revision, settings)
        self.tags[arn] = {t["Key"]: t["Value"] for t in tags or []}
        return self.scaling[arn]

    def describe_auto_scaling_configuration(self, arn: str) -> dict[str, Any]:
        if arn not in self.scaling and arn.endswith("/DefaultConfiguration/1/00000000000000000000000000000001"):
            return self.default_scaling()
        found = self.scaling.get(arn)
        if found is None:
            raise ResourceNotFound(f"Auto scaling configuration {arn} not found")
        found["HasAssociatedService"] = any(
            s["AutoScalingConfigurationSummary"]["AutoScalingConfigurationArn"] == arn
            for s in self.services.values()
            if s["Status"] != DELETED
        )
        return found

    def delete_auto_scaling_configuration(self, arn: str) -> dict[str, Any]:
        found = self.describe_auto_scaling_configuration(arn)
        if found["HasAssociatedService"]:
            raise InvalidRequest(f"Auto scaling configuration {arn} is used by a service")
        found.update(Status="inactive", DeletedAt=_now(), Latest=False)
        self.tags.pop(arn, None)
        return found

    def list_auto_scaling_configurations(self, name: str | None, latest_only: bool) -> list[dict[str, Any]]:
        """Active configurations (AWS lists no deleted ones), the account's default among them."""
        self.default_scaling()
        found = []
        for arn in list(self.scaling):
            config = self.describe_auto_scaling_configuration(arn)
            if config["Status"] != "active" or (name and config["AutoScalingConfigurationName"] != name):
                continue
            if latest_only and not config["Latest"]:
                continue
            found.append({k: config[k] for k in SCALING_SUMMARY_KEYS})
        return found

    # -- services -----------------------------------------------------------------------------------

    def _summary(self, arn: str | None) -> dict[str, Any]:
        config = self.describe_auto_scaling_configuration(arn) if arn else self.default_scaling()
        return {k: config[k] for k in SCALING_SUMMARY_KEYS}

    def create_service(self, request: dict[str, Any]) -> dict[str, Any]:
        name = request["ServiceName"]
        if any(s["ServiceName"] == name and s["Status"] != DELETED for s in self.services.values()):
            raise InvalidRequest(f"Service with the provided name already exists: {name}")
        service_id = uuid.uuid4().hex
        arn = self._arn("service", name, service_id)
        instance = dict(request.get("InstanceConfiguration") or {})
        instance["Cpu"] = _units(instance.get("Cpu"), DEFAULT_INSTANCE["Cpu"])
        instance["Memory"] = _units(instance.get("Memory"), DEFAULT_INSTANCE["Memory"])
        service = {
            "ServiceName": name,
            "ServiceId": service_id,
            "ServiceArn": arn,
            "ServiceUrl": f"{service_id[:10]}.{self.region_name}.awsapprunner.com",
            "CreatedAt": _now(),
            "UpdatedAt": _now(),
            "Status": RUNNING,
            "SourceConfiguration": copy.deepcopy(request["SourceConfiguration"]),
            "InstanceConfiguration": instance,
            "HealthCheckConfiguration": {**DEFAULT_HEALTH_CHECK, **(request.get("HealthCheckConfiguration") or {})},
            "AutoScalingConfigurationSummary": self._summary(request.get("AutoScalingConfigurationArn")),
            "NetworkConfiguration": _network(request.get("NetworkConfiguration")),
        }
        if request.get("ObservabilityConfiguration"):  # absent unless given, as AWS answers it
            service["ObservabilityConfiguration"] = request["ObservabilityConfiguration"]
        if request.get("EncryptionConfiguration"):
            service["EncryptionConfiguration"] = request["EncryptionConfiguration"]
        if _unpullable(service["SourceConfiguration"]) is not None:
            service["Status"] = CREATE_FAILED
        self.services[arn] = service
        self.tags[arn] = {t["Key"]: t["Value"] for t in request.get("Tags") or []}
        return {**copy.deepcopy(service), "Status": IN_PROGRESS}

    def describe_service(self, arn: str) -> dict[str, Any]:
        found = self.services.get(arn)
        if found is None:
            raise ResourceNotFound(f"Service {arn} not found")
        return found

    def _live(self, arn: str) -> dict[str, Any]:
        found = self.describe_service(arn)
        if found["Status"] == DELETED:
            raise ResourceNotFound(f"Service {arn} is deleted")
        return found

    def update_service(self, request: dict[str, Any]) -> dict[str, Any]:
        service = self._live(request["ServiceArn"])
        if service["Status"] != RUNNING:
            raise InvalidState(f"Service {service['ServiceArn']} is {service['Status']}; updates need RUNNING")
        if request.get("SourceConfiguration"):
            service["SourceConfiguration"] = copy.deepcopy(request["SourceConfiguration"])
        if request.get("InstanceConfiguration"):
            instance = dict(request["InstanceConfiguration"])
            instance["Cpu"] = _units(instance.get("Cpu"), service["InstanceConfiguration"]["Cpu"])
            instance["Memory"] = _units(instance.get("Memory"), service["InstanceConfiguration"]["Memory"])
            service["InstanceConfiguration"] = instance
        if request.get("AutoScalingConfigurationArn"):
            service["AutoScalingConfigurationSummary"] = self._summary(request["AutoScalingConfigurationArn"])
        if request.get("HealthCheckConfiguration"):
            service["HealthCheckConfiguration"] = {**DEFAULT_HEALTH_CHECK, **request["HealthCheckConfiguration"]}
        if request.get("NetworkConfiguration"):
            service["NetworkConfiguration"] = _network(request["NetworkConfiguration"])
        if request.get("ObservabilityConfiguration"):
            service["ObservabilityConfiguration"] = request["ObservabilityConfiguration"]
        service["UpdatedAt"] = _now()
        return {**copy.deepcopy(service), "Status": IN_PROGRESS}

    def _transition(self, arn: str, wanted_from: str, to: str, verb: str) -> dict[str, Any]:
        service = self._live(arn)
        if service["Status"] != wanted_from:
            raise InvalidState(f"Service {arn} is {service['Status']}; it can be {verb} when {wanted_from}")
        service.update(Status=to, UpdatedAt=_now())
        return {**copy.deepcopy(service), "Status": IN_PROGRESS}

    def pause_service(self, arn: str) -> dict[str, Any]:
        return self._transition(arn, RUNNING, PAUSED, "paused")

    def resume_service(self, arn: str) -> dict[str, Any]:
        return self._transition(arn, PAUSED, RUNNING, "resumed")

    def delete_service(self, arn: str) -> dict[str, Any]:
        service = self._live(arn)
        service.update(Status=DELETED, DeletedAt=_now())
        self.tags.pop(arn, None)
        return {**copy.deepcopy(service), "Status": IN_PROGRESS}

    def list_services(self) -> list[dict[str, Any]]:
        keys = ("ServiceName", "ServiceId", "ServiceArn", "ServiceUrl", "CreatedAt", "UpdatedAt", "Status")
        return [{k: s[k] for k in keys} for s in self.services.values() if s["Status"] != DELETED]

    # -- tags ---------------------------------------------------------------------------------------

    def _tagged(self, arn: str) -> dict[str, str]:
        if arn not in self.tags:
            raise ResourceNotFound(f"Resource {arn} not found")
        return self.tags[arn]

    def tag_resource(self, arn: str, tags: dict[str, str]) -> None:
        self._tagged(arn).update(tags)

    def untag_resource(self, arn: str, tag_keys: list[str]) -> None:
        found = self._tagged(arn)
        for key in tag_keys:
            found.pop(key, None)

    def iter_tagged_resources(self) -> Iterator[TaggedResource]:
        for arn, service in self.services.items():
            if service["Status"] != DELETED:
                yield TaggedResource(arn, dict(self.tags.get(arn, {})), "apprunner:service")
        for arn, config in self.scaling.items():
            if config["Status"] == "active" and not config["IsDefault"]:
                yield TaggedResource(arn, dict(self.tags.get(arn, {})), "apprunner:autoscalingconfiguration")

    def list_tags_for_resource(self, arn: str) -> list[dict[str, str]]:
        return [{"Key": k, "Value": v} for k, v in self._tagged(arn).items()]


def _unpullable(source: dict[str, Any]) -> str | None:
    """Why App Runner could not pull the service's private ECR image (None: it can, or it is not checked)."""
    image = source.get("ImageRepository") or {}
    if image.get("ImageRepositoryType") != "ECR":
        return None
    from lakehouse.emulator.extensions.ecr import unpullable  # moto's ECR only once a service names an image

    return unpullable(str(image.get("ImageIdentifier") or ""))


def _network(given: dict[str, Any] | None) -> dict[str, Any]:
    """The network configuration AWS answers: the request's parts over the defaults."""
    network = copy.deepcopy(DEFAULT_NETWORK)
    for key, value in (given or {}).items():
        network[key] = {**network[key], **value} if isinstance(value, dict) and key in network else value
    return network


apprunner_backends = BackendDict(AppRunnerBackend, "apprunner")


class AppRunnerResponse(BaseResponse):
    """The JSON 1.0 wire format (``X-Amz-Target: AppRunner.<Action>``)."""

    def __init__(self) -> None:
        super().__init__(service_name="apprunner")

    @property
    def backend(self) -> AppRunnerBackend:
        return apprunner_backends[self.current_account][self.region]

    def _body(self) -> dict[str, Any]:
        return dict(json.loads(self.body or "{}"))

    def create_service(self) -> str:
        service = self.backend.create_service(self._body())
        return json.dumps({"Service": service, "OperationId": uuid.uuid4().hex})

    def describe_service(self) -> str:
        return json.dumps({"Service": self.backend.describe_service(self._get_param("ServiceArn"))})

    def update_service(self) -> str:
        return json.dumps({"Service": self.backend.update_service(self._body()), "OperationId": uuid.uuid4().hex})

    def delete_service(self) -> str:
        service = self.backend.delete_service(self._get_param("ServiceArn"))
        return json.dumps({"Service": service, "OperationId": uuid.uuid4().hex})

    def pause_service(self) -> str:
        service = self.backend.pause_service(self._get_param("ServiceArn"))
        return json.dumps({"Service": service, "OperationId": uuid.uuid4().hex})

    def resume_service(self) -> str:
        service = self.backend.resume_service(self._get_param("ServiceArn"))
        return json.dumps({"Service": service, "OperationId": uuid.uuid4().hex})

    def list_services(self) -> str:
        return json.dumps({"ServiceSummaryList": self.backend.list_services()})

    def tag_resource(self) -> str:
        tags = {t["Key"]: t["Value"] for t in self._get_param("Tags") or []}
        self.backend.tag_resource(self._get_param("ResourceArn"), tags)
        return "{}"

    def untag_resource(self) -> str:
        self.backend.untag_resource(self._get_param("ResourceArn"), self._get_param("TagKeys") or [])
        return "{}"

    def list_tags_for_resource(self) -> str:
        return json.dumps({"Tags": self.backend.list_tags_for_resource(self._get_param("ResourceArn"))})

    def create_auto_scaling_configuration(self) -> str:
        body = self._body()
        config = self.backend.create_auto_scaling_configuration(
            body["AutoScalingConfigurationName"], body, body.get("Tags")
        )
        return json.dumps({"AutoScalingConfiguration": config})

    def describe_auto_scaling_configuration(self) -> str:
        arn = self._get_param("AutoScalingConfigurationArn")
        return json.dumps({"AutoScalingConfiguration": self.backend.describe_auto_scaling_configuration(arn)})

    def delete_auto_scaling_configuration(self) -> str:
        arn = self._get_param("AutoScalingConfigurationArn")
        return json.dumps({"AutoScalingConfiguration": self.backend.delete_auto_scaling_configuration(arn)})

    def list_auto_scaling_configurations(self) -> str:
        body = self._body()
        found = self.backend.list_auto_scaling_configurations(
            body.get("AutoScalingConfigurationName"), bool(body.get("LatestOnly", True))
        )
        return json.dumps({"AutoScalingConfigurationSummaryList": found})


URL_BASES = [r"https?://apprunner\.(.+)\.amazonaws\.com"]
URL_PATHS = {"{0}/$": AppRunnerResponse.dispatch}


def install() -> None:
    """Register ``apprunner`` with moto's dispatcher (host pattern and ``moto.apprunner``); once."""
    import moto
    from moto import backend_index

    if getattr(moto, _INSTALLED_MARK, False):
        return
    module = types.ModuleType("moto.apprunner")
    module.apprunner_backends = apprunner_backends  # type: ignore[attr-defined]
    sys.modules["moto.apprunner"] = module
    # The same list object the dispatcher holds: a request signed for apprunner resolves to this backend.
    backend_index.backend_url_patterns.append(("apprunner", re.compile(URL_BASES[0])))
    setattr(moto, _INSTALLED_MARK, True)
