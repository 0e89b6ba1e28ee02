"""ECR's image blobs as AWS keeps them: an uploaded layer (or image config) can be downloaded again.

moto 5.2.5 takes a blob through InitiateLayerUpload / UploadLayerPart / CompleteLayerUpload but keeps only its
size, and ``GetDownloadUrlForLayer`` is not implemented. On AWS the call answers a presigned URL (of ECR's own
S3 storage) from which the blob, an image's config JSON included, is downloaded: that config (Entrypoint, Env,
the build history) is how @STACK-model tells MLflow's serving image from a look-alike pushed under its tag
(``lakehouse.ml.image_config``). Here CompleteLayerUpload keeps the bytes on the repository and
GetDownloadUrlForLayer answers the emulator's own URL, carrying a token bound to the blob (a stand-in for the
presigned signature); :func:`serve_layer` answers it. A digest the repository does not hold is
``LayersNotFoundException``, as on AWS ("The image layers ... do not exist": wording assumed); deleting the
repository deletes its blobs (the URL then answers 404).

moto also gives an image the digest of its layer digests joined: two images of the same layers and different
configs (an image and a look-alike) shared one digest, and BatchGetImage by that digest answered the first. On AWS
(as in every registry) an image's digest is the sha256 of its manifest as pushed; here too.

:func:`unpullable` says whether ECR holds the image a container names (its repository, and its tag or digest):
SageMaker pulls a model's image when it deploys an endpoint (``extensions.sagemaker``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, unquote

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.ecr.models import ECRBackend, Image, Repository, ecr_backends
from moto.ecr.responses import ECRResponse

from lakehouse.emulator.extensions._graft import graft

#: Where the emulator serves blobs: ``/<account>/<region>/<repository>/<digest>/<token>``.
LAYER_PATH = "/_lakehouse/ecr-layer/"
_MARK = "_lakehouse_ecr_layers_installed"
_BLOBS = "_lakehouse_blobs"
_SECRET = secrets.token_bytes(32)
_endpoint: str | None = None


class LayersNotFoundException(ServiceException):
    """ECR's answer for a layer digest the repository does not hold."""

    code = "LayersNotFoundException"


def set_endpoint(url: str) -> None:
    """The emulator's own URL, which ``downloadUrl`` names."""
    global _endpoint
    _endpoint = url


def blobs(repository: Repository) -> dict[str, bytes]:
    """The blobs a repository holds, by digest (kept on the repository: deleting it deletes them)."""
    kept: dict[str, bytes] | None = getattr(repository, _BLOBS, None)
    if kept is None:
        kept = {}
        setattr(repository, _BLOBS, kept)
    return kept


def _token(account: str, region: str, repository: str, digest: str) -> str:
    return hmac.new(_SECRET, f"{account}/{region}/{repository}/{digest}".encode(), hashlib.sha256).hexdigest()


def download_url(account: str, region: str, repository: str, digest: str) -> str:
    """The emulator's URL of one blob (``GetDownloadUrlForLayer``'s ``downloadUrl``)."""
    path = f"{account}/{region}/{quote(repository, safe='')}/{digest}/{_token(account, region, repository, digest)}"
    return f"{_endpoint}{LAYER_PATH}{path}"


def serve_layer(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The WSGI answer to a ``downloadUrl``: the blob, S3's 403 for a wrong token, 404 for a blob gone since."""
    parts = environ.get("PATH_INFO", "")[len(LAYER_PATH) :].split("/")
    body, status = b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>", "403 Forbidden"
    if len(parts) == 5:
        account, region, name, digest, token = parts[0], parts[1], unquote(parts[2]), parts[3], parts[4]
        if hmac.compare_digest(token, _token(account, region, name, digest)):
            repository = ecr_backends[account][region].repositories.get(name)
            found = blobs(repository).get(digest) if repository is not None else None
            body, status = (found, "200 OK") if found is not None else (b"<Error><Code>NoSuchKey</Code></Error>", "404")
    content_type = "application/octet-stream" if status.startswith("200") else "application/xml"
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


class ECRExtension(ECRResponse):
    """CompleteLayerUpload keeping the blob; GetDownloadUrlForLayer answering where to download it."""

    def complete_layer_upload(self) -> ActionResult:
        name, registry = self._get_param("repositoryName"), self._get_param("registryId")
        repository = self.ecr_backend._get_repository(name, registry)
        upload = repository.uploads.get(self._get_param("uploadId"))
        data = bytes(upload.layer_parts) if upload is not None else b""
        result = self.ecr_backend.complete_layer_upload(
            name, self._get_param("uploadId"), self._get_param("layerDigests"), registry_id=registry
        )
        blobs(repository)[str(result["layerDigest"])] = data
        return ActionResult(result)

    def get_download_url_for_layer(self) -> ActionResult:  # type: ignore[override]  # moto's raises
        name, registry = self._get_param("repositoryName"), self._get_param("registryId")
        digest = str(self._get_param("layerDigest"))
        backend: ECRBackend = self.ecr_backend
        repository = backend._get_repository(name, registry)
        if digest not in blobs(repository):
            raise LayersNotFoundException(
                f"The image layers with digests '[{digest}]' do not exist in the repository with name '{name}' in "
                f"the registry with id '{repository.registry_id}'"
            )
        url = download_url(backend.account_id, backend.region_name, name, digest)
        return ActionResult({"downloadUrl": url, "layerDigest": digest})


def _manifest_digest(self: Image) -> None:
    """An image's digest: the sha256 of its manifest as pushed."""
    self._image_digest = "sha256:" + hashlib.sha256(self.image_manifest.encode()).hexdigest()


#: An ECR image URI: ``<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:<tag>][@<digest>]``.
IMAGE_URI = re.compile(
    r"(?P<account>[^./]+)\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repository>[^:@]+)(?::(?P<tag>[^@]+))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?"
)


def unpullable(image: str, account: str | None = None) -> str | None:
    """Why ``image`` cannot be pulled from ECR (None: ECR holds it). ``account``: only an image in that account's
    registry is judged, another account's is None (the emulator does not hold AWS's own images, say); None: every
    account's is judged. A name that is no ECR URI is pulled from no registry here; a tag-less URI means ``latest``,
    as Docker reads it; a digest wins over a tag."""
    found = IMAGE_URI.fullmatch(image)
    if found is None:
        return f"{image!r} is no ECR image URI (<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>)"
    if account is not None and found["account"] != account:
        return None
    name, region, account = found["repository"], found["region"], found["account"]
    try:
        repository = ecr_backends[account][region].repositories.get(name)
    except KeyError:  # a Region moto does not know: no registry there
        repository = None
    if repository is None:
        return f"ECR holds no repository {name} in account {account}, {region} (image {image})"
    digest, tag = found["digest"], found["tag"] or "latest"
    for held in repository.images:
        if (held.get_image_digest() == digest) if digest else (tag in held.image_tags):
            return None
    return f"ECR repository {name} (account {account}, {region}) holds no image {'@' + digest if digest else ':' + tag}"


def install() -> None:
    """Graft the blob keeping, GetDownloadUrlForLayer and manifest digests onto moto's ECR (once)."""
    if getattr(ECRResponse, _MARK, False):
        return
    graft(ECRExtension, ECRResponse)
    Image._create_digest = _manifest_digest  # type: ignore[method-assign]
    setattr(ECRResponse, _MARK, True)
