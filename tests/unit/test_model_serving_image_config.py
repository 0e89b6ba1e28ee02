"""@STACK-model reads the serving image back from ECR, not only its name: a look-alike under MLflow's tag fails.

The check held a model to ``<account>.dkr.ecr.<region>.amazonaws.com/mlflow-pyfunc:<version>`` by name: any image
pushed under that tag passed. The broken stacks push, under ``mlflow-pyfunc:3.18.0``: a framework image's config
(another entrypoint, no MLflow), MLflow 2.9.2's serving image, MLflow's image with its entrypoint swapped for another
program, a multi-platform index with no linux/amd64 image, a manifest whose config ECR does not hold, and nothing at
all (an empty repository). The healthy twins: MLflow 3.18.0's image as ``build-and-push-container`` builds it (by
BuildKit, or the classic builder's history), named by tag, by digest, or behind a multi-platform index.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from lakehouse.checks.model_serving import judge_version, read_served
from lakehouse.ml.local_image import MANIFEST_TYPE, image_config, mlflow_dockerfile, push_image
from lakehouse.outcome import Status
from tests.unit.test_model_serving import CHAMPION, IMAGE, REGISTRY, _endpoint, account

__all__ = ["account"]  # the fixture, used by name

INDEX_TYPE = "application/vnd.oci.image.index.v1+json"
NOT_MLFLOWS = (
    ": an image pushed under the name of MLflow's pyfunc serving image, not the one `mlflow sagemaker "
    "build-and-push-container` builds with MLflow 3.18.0: the image, not the archive, decides what the endpoint serves"
)


def _mlflow(version: str = "3.18.0") -> dict[str, Any]:
    """MLflow ``version``'s serving image config, as ``build-and-push-container`` of that MLflow builds it."""
    return image_config(mlflow_dockerfile().replace("mlflow==3.18.0", f"mlflow=={version}"))


def _framework() -> dict[str, Any]:
    """A SageMaker framework image's config: its own serving program, no MLflow."""
    return {
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "Env": ["PATH=/usr/bin:/bin", "SAGEMAKER_SERVING_MODULE=sagemaker_sklearn_container.serving:main"],
            "Entrypoint": ["bash", "-m", "start_with_right_hostname.sh"],
        },
        "rootfs": {"type": "layers", "diff_ids": []},
        "history": [{"created_by": "RUN /bin/sh -c pip install sagemaker-scikit-learn-container==2.0 # buildkit"}],
    }


def _swapped_entrypoint() -> dict[str, Any]:
    config = _mlflow()
    config["config"]["Entrypoint"] = ["python", "-c", "import serve_another_model; serve_another_model.main()"]
    return config


def _classic_builder() -> dict[str, Any]:
    """MLflow's image built by Docker's classic builder: ``/bin/sh -c`` history, ``#(nop)`` for metadata steps."""
    config = _mlflow()
    for step in config["history"]:
        text = step["created_by"]
        step["created_by"] = (
            text.removeprefix("RUN ").removesuffix(" # buildkit")
            if text.startswith("RUN ")
            else f"/bin/sh -c #(nop)  {text}"
        )
    return config


def _verdict(target: Any) -> tuple[Any, Any]:
    served = read_served(target, _endpoint(target, "champion", PrimaryContainer=CHAMPION))
    return served, judge_version([served], REGISTRY, "s1")


def _digest(target: Any, tag: str = "3.18.0") -> str:
    found = target.client("ecr").describe_images(repositoryName="mlflow-pyfunc", imageIds=[{"imageTag": tag}])
    return str(found["imageDetails"][0]["imageDigest"])


def _index(target: Any, platforms: list[tuple[str, str]], tag: str = "3.18.0") -> str:
    """A multi-platform index under ``tag`` listing MLflow's image (pushed by digest) once per (os, architecture)."""
    ecr = target.client("ecr")
    digest = push_image(ecr, "platform-image", _mlflow())
    size = len(
        ecr.batch_get_image(repositoryName="mlflow-pyfunc", imageIds=[{"imageDigest": digest}])["images"][0][
            "imageManifest"
        ]
    )
    manifests = [
        {"mediaType": MANIFEST_TYPE, "digest": digest, "size": size, "platform": {"os": os, "architecture": arch}}
        for os, arch in platforms
    ]
    index = json.dumps({"schemaVersion": 2, "mediaType": INDEX_TYPE, "manifests": manifests})
    ecr.put_image(repositoryName="mlflow-pyfunc", imageManifest=index, imageManifestMediaType=INDEX_TYPE, imageTag=tag)
    return _digest(target, tag)


@pytest.mark.parametrize(
    ("config", "lacks"),
    [
        (
            _framework,
            'MLflow\'s Entrypoint (python -c "from mlflow.models import container as C; C._init(sys.argv[1], ...)"; '
            "it runs ['bash', '-m', 'start_with_right_hostname.sh']); MLflow's ENV MLFLOW_DISABLE_ENV_CREATION; the "
            "build step `pip install mlflow==3.18.0` in its history",
        ),
        (lambda: _mlflow("2.9.2"), "the build step `pip install mlflow==3.18.0` in its history"),
        (
            _swapped_entrypoint,
            'MLflow\'s Entrypoint (python -c "from mlflow.models import container as C; C._init(sys.argv[1], ...)"; '
            "it runs ['python', '-c', 'import serve_another_model; serve_another_model.main()'])",
        ),
    ],
    ids=["framework-image", "mlflow-2.9.2", "swapped-entrypoint"],
)
def test_a_look_alike_pushed_under_mlflows_tag_fails_naming_its_digest_and_what_it_lacks(
    account: Any, config: Any, lacks: str
) -> None:
    push_image(account.client("ecr"), "3.18.0", config())  # over the healthy image: the tag moves to this one
    served, outcome = _verdict(account)
    digest = _digest(account)
    assert served.broken == (
        f"model champion's container runs image {IMAGE!r}, which ECR holds as {digest}, whose image config lacks "
        f"{lacks}{NOT_MLFLOWS}"
    )
    assert outcome.status is Status.FAILED
    assert outcome.reason == f"endpoint champion serves no readable MLflow model: {served.broken}"


def test_an_image_ecr_does_not_hold_fails_naming_what_is_missing(account: Any) -> None:
    ecr = account.client("ecr")
    ecr.batch_delete_image(repositoryName="mlflow-pyfunc", imageIds=[{"imageTag": "3.18.0"}])
    served, outcome = _verdict(account)
    assert served.broken == (
        f"model champion's container runs image {IMAGE!r}, but ECR registry 123456789012 holds no image "
        "mlflow-pyfunc:3.18.0: SageMaker pulls the image from ECR, so what it runs cannot be read back"
    )
    assert outcome.status is Status.FAILED


def test_a_manifest_whose_config_ecr_does_not_hold_fails(account: Any) -> None:
    """A manifest put by hand naming a config blob never uploaded: what the image runs cannot be read."""
    config = {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2, "digest": "sha256:" + "b" * 64}
    manifest = json.dumps({"schemaVersion": 2, "mediaType": MANIFEST_TYPE, "config": config, "layers": []})
    account.client("ecr").put_image(repositoryName="mlflow-pyfunc", imageManifest=manifest, imageTag="3.18.0")
    served, outcome = _verdict(account)
    assert "ECR cannot give image mlflow-pyfunc:3.18.0 of registry 123456789012: LayersNotFoundException" in str(
        served.broken
    )
    assert outcome.status is Status.FAILED


def test_an_index_without_a_linux_amd64_image_fails(account: Any) -> None:
    digest = _index(account, [("linux", "arm64")])
    served, outcome = _verdict(account)
    assert f"image mlflow-pyfunc:3.18.0 ({digest}) has no linux/amd64 image in its index" in str(served.broken)
    assert outcome.status is Status.FAILED


@pytest.mark.parametrize("how", ["buildkit-tag", "classic-builder", "digest", "index"])
def test_mlflows_image_read_back_from_ecr_serves_the_champion(account: Any, how: str) -> None:
    """The healthy twins: what ``build-and-push-container`` pushes, however Docker built and pushed it."""
    image = IMAGE
    if how == "classic-builder":
        push_image(account.client("ecr"), "3.18.0", _classic_builder())
    elif how == "digest":
        image = IMAGE.replace(":3.18.0", f"@{_digest(account)}")
    elif how == "index":
        _index(account, [("linux", "arm64"), ("linux", "amd64")])
    served = read_served(account, _endpoint(account, "champion", PrimaryContainer={**CHAMPION, "Image": image}))
    assert served.broken is None, served.broken
    outcome = judge_version([served], REGISTRY, "s1")
    assert outcome.status is Status.PASSED, outcome.reason


def test_the_config_read_is_the_blob_the_manifest_names(account: Any) -> None:
    """The config judged is the blob of the digest the manifest names (what SageMaker's pull verifies), not whatever
    sits beside it: the same Dockerfile, the entrypoint swapped, uploaded but unnamed, changes nothing."""
    ecr = account.client("ecr")
    other = json.dumps(copy.deepcopy(_swapped_entrypoint())).encode()
    upload = ecr.initiate_layer_upload(repositoryName="mlflow-pyfunc")["uploadId"]
    ecr.upload_layer_part(
        repositoryName="mlflow-pyfunc",
        uploadId=upload,
        partFirstByte=0,
        partLastByte=len(other) - 1,
        layerPartBlob=other,
    )
    ecr.complete_layer_upload(repositoryName="mlflow-pyfunc", uploadId=upload, layerDigests=["sha256:" + "c" * 64])
    served, outcome = _verdict(account)
    assert served.broken is None and outcome.passed, served.broken
