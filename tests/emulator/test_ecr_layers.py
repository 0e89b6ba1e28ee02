"""The emulator's ECR gives a pushed image's blobs back, as AWS's does: @STACK-model reads the serving image's config.

moto kept an uploaded blob's size only and had no GetDownloadUrlForLayer, so an image's config could not be read
back and a look-alike under MLflow's tag passed by name; it also gave images of the same layers one digest.
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lakehouse.checks.model_serving import read_served
from lakehouse.ml.local_image import MANIFEST_TYPE, image_config, mlflow_dockerfile, push_image, push_mlflow_image
from lakehouse.target import local_target
from tests.unit.test_model_serving import _archive

ROLE = "arn:aws:iam::123456789012:role/sagemaker"
IMAGE = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/mlflow-pyfunc:3.18.0"  # the emulator's account


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - the emulator's URL
            return answer.status, answer.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_an_uploaded_blob_is_downloaded_from_the_url_ecr_answers(aws_client: Callable[[str], Any]) -> None:
    ecr, name = aws_client("ecr"), f"blobs-{uuid.uuid4().hex[:6]}"
    ecr.create_repository(repositoryName=name)
    blob = b'{"config": {}}'
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    upload = ecr.initiate_layer_upload(repositoryName=name)["uploadId"]
    ecr.upload_layer_part(
        repositoryName=name, uploadId=upload, partFirstByte=0, partLastByte=len(blob) - 1, layerPartBlob=blob
    )
    assert (
        ecr.complete_layer_upload(repositoryName=name, uploadId=upload, layerDigests=[digest])["layerDigest"] == digest
    )
    answer = ecr.get_download_url_for_layer(repositoryName=name, layerDigest=digest)
    assert answer["layerDigest"] == digest
    assert _get(answer["downloadUrl"]) == (200, blob)
    forged = answer["downloadUrl"].rsplit("/", 1)[0] + "/" + "0" * 64  # another token: not a URL ECR answered
    assert _get(forged)[0] == 403
    with pytest.raises(ClientError) as err:
        ecr.get_download_url_for_layer(repositoryName=name, layerDigest="sha256:" + "d" * 64)
    assert err.value.response["Error"]["Code"] == "LayersNotFoundException"
    ecr.delete_repository(repositoryName=name, force=True)
    assert _get(answer["downloadUrl"])[0] == 404  # the repository's blobs went with it


def test_an_images_digest_is_the_sha256_of_its_manifest(aws_client: Callable[[str], Any]) -> None:
    """Two images of the same (no) layers and different configs are two digests; each is read back by its own."""
    ecr, name = aws_client("ecr"), f"digests-{uuid.uuid4().hex[:6]}"
    first = push_image(ecr, "a", image_config(mlflow_dockerfile()), name)
    second = push_image(ecr, "b", image_config(mlflow_dockerfile().replace("mlflow==3.18.0", "mlflow==2.9.2")), name)
    assert first != second
    for digest in (first, second):
        [image] = ecr.batch_get_image(repositoryName=name, imageIds=[{"imageDigest": digest}])["images"]
        assert digest == "sha256:" + hashlib.sha256(image["imageManifest"].encode()).hexdigest()
        assert json.loads(image["imageManifest"])["mediaType"] == MANIFEST_TYPE


def test_the_check_reads_the_serving_images_config_through_the_emulators_ecr(
    aws_client: Callable[[str], Any], emulator: Any
) -> None:
    """MLflow's image as the local release pushes it serves the model by its image; a look-alike pushed over its tag
    is named with its digest."""
    sm, ecr, s3 = aws_client("sagemaker"), aws_client("ecr"), aws_client("s3")
    push_mlflow_image(ecr)
    name = f"img-{uuid.uuid4().hex[:6]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
    s3.put_object(Bucket=name, Key="model.tar.gz", Body=_archive("m-two", "run-two"))  # an MLmodel of MLflow 3.18.0
    container = {"Image": IMAGE, "ModelDataUrl": f"s3://{name}/model.tar.gz"}
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer=container)
    variant = {
        "VariantName": "AllTraffic",
        "ModelName": name,
        "ServerlessConfig": {"MaxConcurrency": 1, "MemorySizeInMB": 1024},
    }
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    target = local_target(emulator.endpoint, "ap-northeast-1")
    assert read_served(target, name).broken is None
    look_alike = image_config(mlflow_dockerfile())
    look_alike["config"]["Entrypoint"] = ["python", "-c", "import other_server"]
    digest = push_image(ecr, "3.18.0", look_alike)
    try:
        broken = str(read_served(target, name).broken)
        assert (
            f"runs image {IMAGE!r}, which ECR holds as {digest}, whose image config lacks MLflow's Entrypoint" in broken
        )
    finally:
        push_mlflow_image(ecr)  # the emulator is shared by the session: MLflow's image back under its tag
