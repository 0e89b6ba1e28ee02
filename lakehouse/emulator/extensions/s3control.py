"""S3 Access Grants and Object Lambda Access Points (S3 Control) as far as exit check 6 reads them, and a test
makes them.

moto 5.2 has no Access Grants: S3 Control answers 404 to every such request, so a run on the
``aws`` target against the emulator could not tell "no grant" from "cannot read". Here: one
instance per account and region (Create/Get/Delete/ListAccessGrantsInstances), its locations
(Create/Delete/ListAccessGrantsLocations) and grants (Create/Get/Delete/ListAccessGrants, the
list filterable by grantee, permission and scope as in AWS). A grant's ``GrantScope`` is its
location's scope plus the grant's sub-prefix (``AccessGrantsLocationConfiguration.S3SubPrefix``).
The emulator does not vend credentials (``GetDataAccess``): nothing here opens an object.
Without an instance, every call but the instance's create and list fails with AWS's
``AccessGrantsInstanceNotExistsError``.

moto has no Object Lambda Access Points either (404 again): here they are kept per account and region
(Create/Get/Delete/ListAccessPointsForObjectLambda, Get/PutAccessPointConfigurationForObjectLambda,
Put/Get/DeleteAccessPointPolicyForObjectLambda), named by ``arn:...:s3-object-lambda:<region>:<account>:
accesspoint/<name>``; an unknown name is AWS's ``NoSuchAccessPoint``, a point without a policy
``NoSuchAccessPointPolicy``. Nothing invokes the functions: the check reads configurations and policies only.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.s3control import urls as s3control_urls
from moto.s3control.exceptions import S3ControlError
from moto.s3control.models import S3ControlBackend
from moto.s3control.responses import S3ControlResponse

from lakehouse.emulator.extensions._graft import graft

_MARK = "_lakehouse_access_grants"
#: What moto's S3 Control routes lack (botocore's request URIs; ``{0}`` is the host pattern).
URL_PATHS = {
    r"{0}/v20180820/accessgrantsinstance$": S3ControlResponse.dispatch,
    r"{0}/v20180820/accessgrantsinstances$": S3ControlResponse.dispatch,
    r"{0}/v20180820/accessgrantsinstance/location$": S3ControlResponse.dispatch,
    r"{0}/v20180820/accessgrantsinstance/locations$": S3ControlResponse.dispatch,
    r"{0}/v20180820/accessgrantsinstance/location/(?P<id>[^/]+)$": S3ControlResponse.dispatch,
    r"{0}/v20180820/accessgrantsinstance/grant$": S3ControlResponse.dispatch,
    r"{0}/v20180820/accessgrantsinstance/grants$": S3ControlResponse.dispatch,
    r"{0}/v20180820/accessgrantsinstance/grant/(?P<id>[^/]+)$": S3ControlResponse.dispatch,
    r"{0}/v20180820/accesspointforobjectlambda$": S3ControlResponse.dispatch,
    r"{0}/v20180820/accesspointforobjectlambda/(?P<name>[^/]+)$": S3ControlResponse.dispatch,
    r"{0}/v20180820/accesspointforobjectlambda/(?P<name>[^/]+)/configuration$": S3ControlResponse.dispatch,
    r"{0}/v20180820/accesspointforobjectlambda/(?P<name>[^/]+)/policy$": S3ControlResponse.dispatch,
}
_LAMBDA_MARK = "_lakehouse_object_lambda_points"
#: Object Lambda Access Points a ListAccessPointsForObjectLambda page holds when the request names no MaxResults.
LIST_PAGE = 1000


class NoSuchObjectLambdaPoint(S3ControlError):
    code = "NoSuchAccessPoint"

    def __init__(self) -> None:
        super().__init__("The specified accesspoint does not exist")


class NoSuchObjectLambdaPolicy(S3ControlError):
    code = "NoSuchAccessPointPolicy"

    def __init__(self) -> None:
        super().__init__("The specified accesspoint policy does not exist")


class ObjectLambdaPointExists(S3ControlError):
    code = "AccessPointAlreadyOwnedByYou"

    def __init__(self) -> None:
        super().__init__("Your previous request to create the named accesspoint succeeded and you already own it.")


class InstanceNotFound(S3ControlError):
    code = "AccessGrantsInstanceNotExistsError"

    def __init__(self) -> None:
        super().__init__("Access Grants Instance does not exist")


class GrantsNotFound(S3ControlError):
    code = "AccessGrantsLocationNotExistsError"

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} does not exist")


@dataclass
class Instance:
    """One account's Access Grants instance in one region, with its locations and grants."""

    account: str
    region: str
    partition: str
    created: datetime.datetime = field(default_factory=lambda: datetime.datetime.now(datetime.UTC))
    locations: dict[str, dict[str, Any]] = field(default_factory=dict)
    grants: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return f"arn:{self.partition}:s3:{self.region}:{self.account}:access-grants/default"

    def summary(self) -> dict[str, Any]:
        return {"AccessGrantsInstanceId": "default", "AccessGrantsInstanceArn": self.arn, "CreatedAt": self.created}


def _instances(backend: S3ControlBackend) -> dict[str, Instance]:
    """Region -> instance, kept on moto's per-account S3 Control backend."""
    found: dict[str, Instance] | None = getattr(backend, _MARK, None)
    if found is None:
        found = {}
        setattr(backend, _MARK, found)
    return found


def grant_scope(location: dict[str, Any], configuration: dict[str, Any] | None) -> str:
    """A grant's scope: its location's plus the sub-prefix (``s3://`` + ``bucket/prefix*``)."""
    base = str(location["LocationScope"])
    sub = str((configuration or {}).get("S3SubPrefix") or "")
    if not sub:
        return base
    base = base.rstrip("*")
    return (base if base.endswith("/") else base + "/") + sub.lstrip("/")


class AccessGrantsResponse:
    """Operations grafted onto moto's ``S3ControlResponse``."""

    def _grants_instance(self: Any, create: bool = False) -> Instance:
        instances = _instances(self.backend)
        if create:
            instances.setdefault(self.region, Instance(self._get_param("AccountId"), self.region, self.partition))
        if self.region not in instances:
            raise InstanceNotFound()
        return instances[self.region]

    def create_access_grants_instance(self: Any) -> ActionResult:
        return ActionResult(AccessGrantsResponse._grants_instance(self, create=True).summary())

    def get_access_grants_instance(self: Any) -> ActionResult:
        return ActionResult(AccessGrantsResponse._grants_instance(self).summary())

    def delete_access_grants_instance(self: Any) -> EmptyResult:
        AccessGrantsResponse._grants_instance(self)
        del _instances(self.backend)[self.region]
        return EmptyResult()

    def list_access_grants_instances(self: Any) -> ActionResult:
        found = _instances(self.backend).get(self.region)
        return ActionResult({"AccessGrantsInstancesList": [found.summary()] if found else []})

    def create_access_grants_location(self: Any) -> ActionResult:
        instance = AccessGrantsResponse._grants_instance(self)
        ident = uuid.uuid4().hex[:12]
        location = {
            "AccessGrantsLocationId": ident,
            "AccessGrantsLocationArn": f"{instance.arn}/location/{ident}",
            "LocationScope": self._get_param("LocationScope"),
            "IAMRoleArn": self._get_param("IAMRoleArn"),
            "CreatedAt": datetime.datetime.now(datetime.UTC),
        }
        instance.locations[ident] = location
        return ActionResult(location)

    def delete_access_grants_location(self: Any) -> EmptyResult:
        instance = AccessGrantsResponse._grants_instance(self)
        if instance.locations.pop(self._get_param("AccessGrantsLocationId"), None) is None:
            raise GrantsNotFound("Access Grants Location")
        return EmptyResult()

    def list_access_grants_locations(self: Any) -> ActionResult:
        instance = AccessGrantsResponse._grants_instance(self)
        return ActionResult({"AccessGrantsLocationsList": list(instance.locations.values())})

    def create_access_grant(self: Any) -> ActionResult:
        instance = AccessGrantsResponse._grants_instance(self)
        location = instance.locations.get(self._get_param("AccessGrantsLocationId"))
        if location is None:
            raise GrantsNotFound("Access Grants Location")
        configuration = self._get_param("AccessGrantsLocationConfiguration")
        ident = uuid.uuid4().hex[:12]
        grant = {
            "CreatedAt": datetime.datetime.now(datetime.UTC),
            "AccessGrantId": ident,
            "AccessGrantArn": f"{instance.arn}/grant/{ident}",
            "Grantee": self._get_param("Grantee"),
            "Permission": self._get_param("Permission"),
            "AccessGrantsLocationId": location["AccessGrantsLocationId"],
            "AccessGrantsLocationConfiguration": configuration or {},
            "GrantScope": grant_scope(location, configuration),
        }
        instance.grants[ident] = grant
        return ActionResult(grant)

    def get_access_grant(self: Any) -> ActionResult:
        instance = AccessGrantsResponse._grants_instance(self)
        grant = instance.grants.get(self._get_param("AccessGrantId"))
        if grant is None:
            raise GrantsNotFound("Access Grant")
        return ActionResult(grant)

    def delete_access_grant(self: Any) -> EmptyResult:
        instance = AccessGrantsResponse._grants_instance(self)
        if instance.grants.pop(self._get_param("AccessGrantId"), None) is None:
            raise GrantsNotFound("Access Grant")
        return EmptyResult()

    def list_access_grants(self: Any) -> ActionResult:
        instance = AccessGrantsResponse._grants_instance(self)
        wanted = {
            "GranteeType": lambda g: g["Grantee"].get("GranteeType"),
            "GranteeIdentifier": lambda g: g["Grantee"].get("GranteeIdentifier"),
            "Permission": lambda g: g["Permission"],
            "GrantScope": lambda g: g["GrantScope"],
        }
        grants = [
            g
            for g in instance.grants.values()
            if all(self._get_param(k) in (None, read(g)) for k, read in wanted.items())
        ]
        return ActionResult({"AccessGrantsList": grants})


@dataclass
class ObjectLambdaPoint:
    """One Object Lambda Access Point: its configuration (supporting access point, transformations) and policy."""

    name: str
    arn: str
    configuration: dict[str, Any]
    alias: str
    policy: str | None = None
    created: datetime.datetime = field(default_factory=lambda: datetime.datetime.now(datetime.UTC))


def _object_lambda_points(backend: S3ControlBackend, region: str) -> dict[str, ObjectLambdaPoint]:
    """Name -> Object Lambda Access Point of the region, kept on moto's per-account S3 Control backend."""
    regions: dict[str, dict[str, ObjectLambdaPoint]] | None = getattr(backend, _LAMBDA_MARK, None)
    if regions is None:
        regions = {}
        setattr(backend, _LAMBDA_MARK, regions)
    return regions.setdefault(region, {})


class ObjectLambdaResponse:
    """Object Lambda Access Point operations grafted onto moto's ``S3ControlResponse``."""

    def _object_lambda_point(self: Any) -> ObjectLambdaPoint:
        found = _object_lambda_points(self.backend, self.region).get(self._get_param("Name"))
        if found is None:
            raise NoSuchObjectLambdaPoint()
        return found

    def create_access_point_for_object_lambda(self: Any) -> ActionResult:
        points = _object_lambda_points(self.backend, self.region)
        name = self._get_param("Name")
        if name in points:
            raise ObjectLambdaPointExists()
        account = self._get_param("AccountId")
        arn = f"arn:{self.partition}:s3-object-lambda:{self.region}:{account}:accesspoint/{name}"
        alias = f"{name[:20]}-{uuid.uuid4().hex[:24]}--ol-s3"
        points[name] = ObjectLambdaPoint(name, arn, self._get_param("Configuration") or {}, alias)
        return ActionResult({"ObjectLambdaAccessPointArn": arn, "Alias": {"Value": alias, "Status": "READY"}})

    def get_access_point_for_object_lambda(self: Any) -> ActionResult:
        point = ObjectLambdaResponse._object_lambda_point(self)
        block = {k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")}
        return ActionResult(
            {
                "Name": point.name,
                "PublicAccessBlockConfiguration": block,
                "CreationDate": point.created,
                "Alias": {"Value": point.alias, "Status": "READY"},
            }
        )

    def delete_access_point_for_object_lambda(self: Any) -> EmptyResult:
        point = ObjectLambdaResponse._object_lambda_point(self)
        del _object_lambda_points(self.backend, self.region)[point.name]
        return EmptyResult()

    def list_access_points_for_object_lambda(self: Any) -> ActionResult:
        points = sorted(_object_lambda_points(self.backend, self.region).values(), key=lambda p: p.name)
        start = int(self._get_param("NextToken") or 0)
        size = int(self._get_param("MaxResults") or LIST_PAGE)
        page = [
            {"Name": p.name, "ObjectLambdaAccessPointArn": p.arn, "Alias": {"Value": p.alias, "Status": "READY"}}
            for p in points[start : start + size]
        ]
        answer: dict[str, Any] = {"ObjectLambdaAccessPointList": page}
        if start + size < len(points):
            answer["NextToken"] = str(start + size)
        return ActionResult(answer)

    def get_access_point_configuration_for_object_lambda(self: Any) -> ActionResult:
        return ActionResult({"Configuration": ObjectLambdaResponse._object_lambda_point(self).configuration})

    def put_access_point_configuration_for_object_lambda(self: Any) -> EmptyResult:
        ObjectLambdaResponse._object_lambda_point(self).configuration = self._get_param("Configuration") or {}
        return EmptyResult()

    def put_access_point_policy_for_object_lambda(self: Any) -> EmptyResult:
        ObjectLambdaResponse._object_lambda_point(self).policy = self._get_param("Policy")
        return EmptyResult()

    def get_access_point_policy_for_object_lambda(self: Any) -> ActionResult:
        point = ObjectLambdaResponse._object_lambda_point(self)
        if point.policy is None:
            raise NoSuchObjectLambdaPolicy()
        return ActionResult({"Policy": point.policy})

    def delete_access_point_policy_for_object_lambda(self: Any) -> EmptyResult:
        ObjectLambdaResponse._object_lambda_point(self).policy = None
        return EmptyResult()


def install() -> None:
    """Add the routes to moto's S3 Control and graft the operations; once."""
    if getattr(S3ControlResponse, _MARK, False):
        return
    s3control_urls.url_paths.update(URL_PATHS)
    graft(AccessGrantsResponse, S3ControlResponse)
    graft(ObjectLambdaResponse, S3ControlResponse)
    setattr(S3ControlResponse, _MARK, True)
