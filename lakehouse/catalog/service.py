"""The catalog service of a stack: the local process (started and stopped with the stack, by PID) and
the App Runner service it stands for (found by the name the plan gives it).

App Runner cannot scale to zero: a RUNNING service bills its provisioned instances' memory while idle,
a PAUSED one bills nothing. The stack pauses it itself (a schedule in infra/catalog_service.tf, judged
by @STACK-catalog); the harness only resumes a paused service for as long as it asks it, and pauses
it again after (:func:`answering`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from lakehouse.catalog.server import READY_PREFIX
from lakehouse.inventory import STACK_TAG, extending_stacks, named_like
from lakehouse.services import pid_alive, start_service, stop_pid

#: The service name infra/catalog_service.tf gives it, from the plan's project and the stack id.
SERVICE_NAME = "{project}-{stack_id}-catalog"
DEFAULT_PROJECT = "lakehouse"
#: How long a pause or resume may take (AWS: a few minutes; the emulator: the next read).
TRANSITION_TIMEOUT_S = 600.0
#: The statuses of a service that exists and can serve (a PAUSED one is resumed to be asked). CREATE_FAILED,
#: DELETE_FAILED and DELETED services run nothing; OPERATION_IN_PROGRESS is waited out (:func:`settled`).
USABLE = ("RUNNING", "PAUSED")
IN_PROGRESS = "OPERATION_IN_PROGRESS"


class CatalogServiceError(RuntimeError):
    """The catalog service did not start, or its App Runner service cannot be reached or moved."""


@dataclass(frozen=True)
class CatalogHandle:
    """A running local catalog service: its base URL and its process."""

    url: str
    pid: int

    def alive(self) -> bool:
        return pid_alive(self.pid)


#: The local stand-in's copy of catalog-info.yaml, in the stack's folder.
DEPLOYED_COPY = "catalog-info.deployed.yaml"


def deployed_copy(catalog: Path, home: Path) -> Path:
    """A copy of ``catalog`` taken as the stack is deployed, for the local catalog service to serve.

    On aws the App Runner service serves the catalog baked into its image when it was built; the local
    stand-in serves what the repository said at deploy time in the same way. Serving the repository's file
    itself would answer whatever the check compares against, so the served part could never fail locally."""
    home.mkdir(parents=True, exist_ok=True)
    copy = home / DEPLOYED_COPY
    try:
        taken = catalog.read_bytes()
    except FileNotFoundError:  # a root without a catalog: the service answers as for a missing file, as it did
        copy.unlink(missing_ok=True)
        return copy
    copy.write_bytes(taken)
    return copy


def start_catalog_service(
    catalog: Path, log_path: Path | None = None, timeout_s: float = 20.0, detach: bool = False
) -> CatalogHandle:
    """Serve ``catalog`` on a kernel-chosen loopback port; return once it listens."""
    pid, info = start_service(
        ["lakehouse.catalog.server", "--catalog", str(catalog)],
        READY_PREFIX,
        "catalog service",
        CatalogServiceError,
        log_path,
        timeout_s,
        detach,
    )
    return CatalogHandle(url=info["url"], pid=pid)


def stop_catalog_service(handle: CatalogHandle, timeout_s: float = 10.0) -> None:
    stop_pid(handle.pid, timeout_s)


def service_name(stack_id: str, project: str = DEFAULT_PROJECT) -> str:
    return SERVICE_NAME.format(project=project, stack_id=stack_id)


def find_service(client: Any, name: str) -> dict[str, Any] | None:
    """The App Runner service called ``name`` (DescribeService of the ListServices match), or None."""
    token: dict[str, str] = {}
    while True:  # botocore has no paginator for it
        page = client.list_services(**token)
        for summary in page.get("ServiceSummaryList", []):
            if summary.get("ServiceName") == name and summary.get("Status") != "DELETED":
                return dict(client.describe_service(ServiceArn=summary["ServiceArn"])["Service"])
        if not page.get("NextToken"):
            return None
        token = {"NextToken": page["NextToken"]}


def stack_services(client: Any, stack_id: str, project: str = DEFAULT_PROJECT) -> list[dict[str, Any]]:
    """Every App Runner service of the stack (DescribeService), whatever it is for: named with its prefix (less
    one tagged and named as a stack extending its id, ``lh-1-x`` for ``lh-1``) or tagged with its ``stack_id``
    whatever its name (infra/providers.tf's default_tags mark all the stack makes). Each bills while it runs."""
    found: list[dict[str, Any]] = []
    token: dict[str, str] = {}
    while True:  # botocore has no paginator for it
        page = client.list_services(**token)
        for summary in page.get("ServiceSummaryList", []):
            if summary.get("Status") == "DELETED":
                continue
            arn, name = str(summary["ServiceArn"]), str(summary["ServiceName"])
            tags = {t["Key"]: t["Value"] for t in client.list_tags_for_resource(ResourceArn=arn).get("Tags") or []}
            named = named_like(name, stack_id, project) and not extending_stacks(name, tags, stack_id, project)
            if named or tags.get(STACK_TAG) == stack_id:
                found.append(dict(client.describe_service(ServiceArn=arn)["Service"]))
        if not page.get("NextToken"):
            return sorted(found, key=lambda service: str(service["ServiceName"]))
        token = {"NextToken": page["NextToken"]}


def settled(client: Any, service: dict[str, Any], timeout_s: float = TRANSITION_TIMEOUT_S) -> dict[str, Any]:
    """The service once no operation is in progress on it (polled with a deadline: AWS takes minutes); as last
    read when it is still in progress at the deadline (stuck: the caller names that status)."""
    deadline = time.monotonic() + timeout_s
    while service.get("Status") == IN_PROGRESS and time.monotonic() < deadline:
        time.sleep(5.0)  # polling a condition with a deadline, not synchronising by sleep
        service = dict(client.describe_service(ServiceArn=service["ServiceArn"])["Service"])
    return service


def wait_status(client: Any, arn: str, wanted: str, timeout_s: float = TRANSITION_TIMEOUT_S) -> dict[str, Any]:
    """Poll DescribeService until the service is ``wanted`` (a condition with a deadline)."""
    deadline = time.monotonic() + timeout_s
    while True:
        service = dict(client.describe_service(ServiceArn=arn)["Service"])
        if service["Status"] == wanted:
            return service
        if service["Status"] != "OPERATION_IN_PROGRESS" or time.monotonic() > deadline:
            name, status = service["ServiceName"], service["Status"]
            raise CatalogServiceError(f"App Runner service {name} is {status}, not {wanted}")
        time.sleep(5.0)  # polling a condition with a deadline (AWS takes minutes), not synchronising by sleep


@contextlib.contextmanager
def answering(client: Any, service: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The service resumed while the block asks it, then paused again if it was paused (idle costs 0 again)."""
    arn = service["ServiceArn"]
    was_paused = service["Status"] == "PAUSED"
    if was_paused:
        client.resume_service(ServiceArn=arn)
        service = wait_status(client, arn, "RUNNING")
    try:
        yield service
    finally:
        if was_paused:
            try:
                client.pause_service(ServiceArn=arn)
            except ClientError as err:  # the pause schedule fired meanwhile: already paused (or pausing) is the goal
                if err.response.get("Error", {}).get("Code") != "InvalidStateException":
                    raise
            wait_status(client, arn, "PAUSED")
