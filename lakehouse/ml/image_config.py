"""What an ECR image is, read from its config: MLflow's SageMaker serving image of one MLflow version, or a look-alike.

A tag names whatever was last pushed under it, so ``lakehouse.ml.serving_image`` holding a model to
``mlflow-pyfunc:<version>`` by name passed any image pushed under that tag. What ECR gives back of the image itself:
BatchGetImage answers its manifest, whose ``config`` names (by digest) the image config JSON, and
GetDownloadUrlForLayer a URL to download that blob; its sha256 must be the digest the manifest names. The config is
what ``docker build`` made of the Dockerfile: ``mlflow sagemaker build-and-push-container`` (mlflow 3.18:
``mlflow.sagemaker.cli``, ``mlflow.models.docker_utils``) builds one whose

- Entrypoint is ``["python", "-c", "import sys; from mlflow.models import container as C; C._init(sys.argv[1],
  '<env manager>')"]`` (``mlflow models build-docker`` images run ``C._serve(...)``: MLflow's container code too);
- Env sets ``MLFLOW_DISABLE_ENV_CREATION`` (the template's ``ENV`` line);
- build history has the step ``pip install mlflow==<version>`` (``docker build``'s ``created_by``, BuildKit's
  ``RUN /bin/sh -c pip install mlflow==3.18.0 # buildkit`` or the classic builder's ``/bin/sh -c ...``): the
  MLflow the image serves with. An image built from a local MLflow source (``--mlflow-home``) has no such step
  and is not held to be that version's.

A multi-platform index (``docker push`` of the containerd image store) is followed to its linux/amd64 image
(serverless endpoints run x86). What is not read: the file layers (a config can claim what its files are not;
the check holds the stack to MLflow's build, not to a byte-for-byte rebuild).
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

#: What BatchGetImage may answer: Docker's and OCI's image manifests and multi-platform indexes.
MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
)
#: An image config is a few kilobytes; one far larger is not read whole.
MAX_CONFIG_BYTES = 4 * 1024 * 1024
#: MLflow's container code, which every Entrypoint of MLflow's serving images runs.
MLFLOW_CONTAINER = "from mlflow.models import container as C"


@dataclass(frozen=True)
class ImageConfig:
    """An image as ECR holds it: the digest the image (or its index) has, and its config JSON (None: not read,
    ``problem`` says why)."""

    digest: str | None
    config: Mapping[str, Any] | None
    problem: str | None = None


def _get_image(ecr: Any, registry: str, repository: str, image_id: Mapping[str, str]) -> dict[str, Any] | None:
    found = ecr.batch_get_image(
        registryId=registry,
        repositoryName=repository,
        imageIds=[dict(image_id)],
        acceptedMediaTypes=list(MANIFEST_TYPES),
    )
    images = found.get("images") or []
    return dict(images[0]) if images else None


def _download(url: str) -> bytes:
    """A blob's bytes from GetDownloadUrlForLayer's URL (a presigned S3 URL on AWS; the emulator's own locally)."""
    with urllib.request.urlopen(url, timeout=60) as answer:  # noqa: S310 - the URL ECR answered
        return bytes(answer.read(MAX_CONFIG_BYTES + 1))


def read_image_config(ecr: Any, registry: str, repository: str, tag: str | None, digest: str | None) -> ImageConfig:
    """The config of the image ``repository:tag`` (or ``@digest``) of ECR ``registry`` (``ecr``: a client of its
    region), or why it cannot be read (an image, repository or config blob ECR does not hold). Failures to call
    ECR or download at all raise."""
    image_id = {"imageDigest": digest} if digest else {"imageTag": tag or "latest"}
    named = f"{repository}@{digest}" if digest else f"{repository}:{tag or 'latest'}"
    try:
        image = _get_image(ecr, registry, repository, image_id)
        if image is None:
            return ImageConfig(None, None, f"ECR registry {registry} holds no image {named}")
        found = str((image.get("imageId") or {}).get("imageDigest") or "")
        manifest = json.loads(image.get("imageManifest") or "{}")
        if manifest.get("manifests"):  # a multi-platform index: the linux/amd64 image is what SageMaker runs
            amd64 = [
                m
                for m in manifest["manifests"]
                if (m.get("platform") or {}).get("os") == "linux"
                and (m.get("platform") or {}).get("architecture") == "amd64"
            ]
            if not amd64:
                return ImageConfig(found, None, f"image {named} ({found}) has no linux/amd64 image in its index")
            image = _get_image(ecr, registry, repository, {"imageDigest": str(amd64[0].get("digest"))})
            if image is None:
                return ImageConfig(found, None, f"image {named} ({found}): ECR holds no linux/amd64 image it lists")
            manifest = json.loads(image.get("imageManifest") or "{}")
        config_digest = str((manifest.get("config") or {}).get("digest") or "")
        if not config_digest.startswith("sha256:"):
            return ImageConfig(found, None, f"image {named} ({found}): its manifest names no config blob")
        url = ecr.get_download_url_for_layer(registryId=registry, repositoryName=repository, layerDigest=config_digest)
    except ClientError as err:
        code = str(err.response.get("Error", {}).get("Code"))
        if code not in ("RepositoryNotFoundException", "ImageNotFoundException", "LayersNotFoundException"):
            raise
        return ImageConfig(None, None, f"ECR cannot give image {named} of registry {registry}: {code}")
    blob = _download(str(url["downloadUrl"]))
    if len(blob) > MAX_CONFIG_BYTES or "sha256:" + hashlib.sha256(blob).hexdigest() != config_digest:
        return ImageConfig(found, None, f"image {named} ({found}): its config blob is not the {config_digest} named")
    try:
        return ImageConfig(found, dict(json.loads(blob)))
    except ValueError:
        return ImageConfig(found, None, f"image {named} ({found}): its config blob {config_digest} is not JSON")


def _installs(created_by: str, version: str) -> bool:
    return re.search(rf"\bpip install mlflow=={re.escape(version)}(?=[\s\"']|$)", created_by) is not None


def config_problems(config: Mapping[str, Any], version: str) -> list[str]:
    """What an image config lacks of MLflow's SageMaker serving image of MLflow ``version`` (empty: nothing)."""
    run = config.get("config") or {}
    entrypoint = list(run.get("Entrypoint") or [])
    program = str(entrypoint[2]) if len(entrypoint) == 3 and entrypoint[:2] == ["python", "-c"] else ""
    lacks = []
    if MLFLOW_CONTAINER not in program or not ("C._init(sys.argv[1]" in program or "C._serve(" in program):
        lacks.append(
            f'MLflow\'s Entrypoint (python -c "{MLFLOW_CONTAINER}; C._init(sys.argv[1], ...)"; it runs '
            f"{entrypoint or run.get('Cmd')!r})"
        )
    if not any(str(e).startswith("MLFLOW_DISABLE_ENV_CREATION=") for e in run.get("Env") or []):
        lacks.append("MLflow's ENV MLFLOW_DISABLE_ENV_CREATION")
    history = [str(h.get("created_by") or "") for h in config.get("history") or []]
    if not any(_installs(h, version) for h in history):
        lacks.append(f"the build step `pip install mlflow=={version}` in its history")
    return lacks
