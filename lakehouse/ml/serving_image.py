"""Which image a SageMaker model's container runs: MLflow's pyfunc serving image, or another that decides otherwise.

The archive at ModelDataUrl is only what the image loads: another image (a framework image running its own script,
an image of any repository) may serve the champion's archive some other way, or another model. A healthy stack's
image is the one ``infra/ml.tf`` lets SageMaker pull: MLflow's pyfunc serving image in the ECR repository
``mlflow-pyfunc`` of the model's own account, in the model's own region (SageMaker pulls ECR images of the model's
region only), as ``mlflow sagemaker build-and-push-container`` pushes it, tagged with the version of the MLflow
that builds it; that version must be the one that logged the served model (its MLmodel's ``mlflow_version``), as
MLflow's own ``mlflow sagemaker deploy`` pairs them. The account and region are read from DescribeModel's ModelArn,
the version from the archive in S3; an image named by digest (``@sha256:...``) is resolved through ECR
DescribeImages, whose tags say which image it is.

A tag names bytes that whoever may push to the repository chose: an image that passes by name is then read back
from ECR (``lakehouse.ml.image_config``: its manifest and config, as ``docker build`` made them) and must be what
MLflow's ``build-and-push-container`` builds for that version (its Entrypoint, ENV and ``pip install
mlflow==<version>`` step); one ECR does not hold fails too (SageMaker could not pull it). Its file layers are not
read. Locally the emulator stands in for this image only (``lakehouse.emulator.extensions.sagemaker``: it runs
MLflow's scoring code and refuses any other image at InvokeEndpoint), and the release pushes its config to the
emulator's ECR as MLflow would (``lakehouse.ml.local_image``), so the same rule is read there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from lakehouse.ml.image_config import config_problems, read_image_config

#: The ECR repository ``mlflow sagemaker build-and-push-container`` pushes to by default, and the only one
#: ``infra/ml.tf``'s SageMaker role may pull from (PullInferenceImage).
MLFLOW_REPOSITORY = "mlflow-pyfunc"

_ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/(?P<repository>[^:@]+)"
    r"(?::(?P<tag>[^:@/]+))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)


@dataclass(frozen=True)
class EcrImage:
    """An image path of a private ECR registry, as SageMaker takes it (``registry/repository[:tag]`` or
    ``registry/repository[@digest]``)."""

    account: str
    region: str
    repository: str
    tag: str | None
    digest: str | None


def ecr_image(image: str) -> EcrImage | None:
    """The parts of an ECR image path (None: not a private ECR image, e.g. a VPC registry's)."""
    found = _ECR_IMAGE.match(image)
    if found is None:
        return None
    return EcrImage(found["account"], found["region"], found["repository"], found["tag"], found["digest"])


def model_place(model_arn: str) -> tuple[str, str] | None:
    """(account, region) of a SageMaker model, from its ARN (None: not an ARN)."""
    parts = model_arn.split(":")
    return (parts[4], parts[3]) if model_arn.startswith("arn:") and len(parts) >= 6 else None


def image_problem(
    model_name: str,
    image: str,
    model_arn: str,
    mlmodel: Mapping[str, Any],
    digest_tags: Sequence[str] | None = None,
) -> str | None:
    """Why a model's container image is not MLflow's pyfunc serving image of the MLflow that logged its archive, in
    the model's account and region (None: it is). ``digest_tags``: ECR's tags of the image an ``@sha256:`` path
    names (empty: ECR has no such image; None: not read)."""
    place, version = model_place(model_arn), mlmodel.get("mlflow_version")
    where = f"model {model_name}'s container runs image {image!r}"
    if place is None:
        return f"{where}, and its ModelArn {model_arn!r} names no account and region to hold it to"
    if not version:
        return (
            f"{where}, and its archive's MLmodel names no mlflow_version, so which MLflow serving image loads it "
            "cannot be said"
        )
    account, region = place
    expected = f"{account}.dkr.ecr.{region}.amazonaws.com/{MLFLOW_REPOSITORY}:{version}"
    why = (
        f", not MLflow's pyfunc serving image {expected} (the model's account and region; tagged with the MLflow "
        f"{version} that logged the model it loads): the image, not the archive, decides what the endpoint serves"
    )
    parts = ecr_image(image)
    if parts is None or (parts.account, parts.region, parts.repository) != (account, region, MLFLOW_REPOSITORY):
        return where + why
    if parts.digest is None:
        return None if (parts.tag or "latest") == version else where + why
    if digest_tags is None:
        return f"{where}, whose ECR tags were not read, so which MLflow it runs cannot be said"
    if str(version) in digest_tags:
        return None
    tagged = f"ECR tags it {', '.join(sorted(digest_tags))}" if digest_tags else "ECR holds no such image"
    return f"{where} ({tagged}){why}"


def read_image_problem(ecr: Any, model_name: str, model: Mapping[str, Any], mlmodel: Mapping[str, Any]) -> str | None:
    """:func:`image_problem` of a model's PrimaryContainer (DescribeModel's answer), a digest of the model's own
    ``mlflow-pyfunc`` repository resolved through ECR (``ecr``: a client of the model's region)."""
    image, arn = str((model.get("PrimaryContainer") or {}).get("Image") or ""), str(model.get("ModelArn") or "")
    parts, place = ecr_image(image), model_place(arn)
    ours = parts is not None and place == (parts.account, parts.region) and parts.repository == MLFLOW_REPOSITORY
    problem = image_problem(model_name, image, arn, mlmodel, digest_tags(ecr, image) if ours else None)
    if problem is not None or parts is None:
        return problem
    return content_problem(ecr, model_name, image, parts, str(mlmodel.get("mlflow_version")))


def content_problem(ecr: Any, model_name: str, image: str, parts: EcrImage, version: str) -> str | None:
    """Why the image ECR holds under an MLflow serving image's name is not MLflow's serving image of ``version``
    (its config read back through ECR, ``lakehouse.ml.image_config``), naming its digest and what it lacks."""
    read = read_image_config(ecr, parts.account, parts.repository, parts.tag, parts.digest)
    where = f"model {model_name}'s container runs image {image!r}"
    if read.config is None:
        return f"{where}, but {read.problem}: SageMaker pulls the image from ECR, so what it runs cannot be read back"
    lacks = config_problems(read.config, version)
    if not lacks:
        return None
    return (
        f"{where}, which ECR holds as {read.digest}, whose image config lacks {'; '.join(lacks)}: an image pushed "
        f"under the name of MLflow's pyfunc serving image, not the one `mlflow sagemaker build-and-push-container` "
        f"builds with MLflow {version}: the image, not the archive, decides what the endpoint serves"
    )


def digest_tags(ecr: Any, image: str) -> list[str] | None:
    """ECR's tags of the image an ``@sha256:`` path names (DescribeImages; [] when ECR has no such image or
    repository); None when the path names no digest of an ECR repository. Other errors propagate."""
    parts = ecr_image(image)
    if parts is None or parts.digest is None:
        return None
    try:
        found = ecr.describe_images(
            registryId=parts.account, repositoryName=parts.repository, imageIds=[{"imageDigest": parts.digest}]
        )
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("RepositoryNotFoundException", "ImageNotFoundException"):
            return []
        raise
    return [str(tag) for detail in found.get("imageDetails", []) for tag in detail.get("imageTags") or []]
