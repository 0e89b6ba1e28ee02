"""On the local target, push MLflow's SageMaker serving image to the emulator's ECR, as ``mlflow sagemaker
build-and-push-container`` pushes it to AWS's.

On ``aws`` the user builds and pushes ``<account>.dkr.ecr.<region>.amazonaws.com/mlflow-pyfunc:<version>`` (Docker
needed) before the release; @STACK-model reads its config back through ECR (``lakehouse.ml.image_config``). Locally
there is no Docker and the emulator runs MLflow's scoring code in its own process for that image
(``lakehouse.emulator.extensions.sagemaker``), so what is pushed is the image's config only: made from the
Dockerfile MLflow's own ``generate_dockerfile`` writes with ``build-and-push-container``'s arguments (Env,
WorkingDir, Entrypoint, and each instruction in the history as BuildKit records it), with no file layers (the
emulator has no container to unpack them into). It is pushed through ECR's own upload calls, as ``docker push``
does: the repository made when missing (as MLflow does), the config blob uploaded, the manifest put under the tag.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from pathlib import Path
from typing import Any

from lakehouse.ml.serving_image import MLFLOW_REPOSITORY

MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_TYPE = "application/vnd.docker.container.image.v1+json"
#: The base image's Env (Ubuntu's), which the Dockerfile's ENV lines extend.
BASE_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}


def mlflow_dockerfile() -> str:
    """The Dockerfile ``mlflow sagemaker build-and-push-container`` builds (its arguments, mlflow.sagemaker.cli)."""
    from mlflow.models import docker_utils

    entrypoint = "import sys; from mlflow.models import container as C; C._init(sys.argv[1], 'virtualenv')"
    setup = (
        "# Install minimal serving dependencies\n"
        'RUN python -c "from mlflow.models.container import _install_pyfunc_deps;_install_pyfunc_deps(None, False)"'
    )
    with tempfile.TemporaryDirectory() as folder:
        docker_utils.generate_dockerfile(
            base_image=docker_utils.UBUNTU_BASE_IMAGE,
            output_dir=folder,
            entrypoint=entrypoint,
            env_manager="virtualenv",  # build-and-push-container's default
            mlflow_home=None,
            model_install_steps=setup,
            disable_env_creation_at_runtime=False,
            install_java=False,
        )
        return (Path(folder) / "Dockerfile").read_text(encoding="utf-8")


def _instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments and blanks left out (Docker
    drops a comment line inside a continued instruction too)."""
    found, pending = [], ""
    for line in dockerfile.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        word, _, rest = whole.partition(" ")
        found.append((word.upper(), rest.strip()))
    return found


def _expand(value: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""), value.strip().strip('"'))


def image_config(dockerfile: str) -> dict[str, Any]:
    """The image config ``docker build`` (BuildKit) makes of ``dockerfile``, less the base image's own history."""
    env, workdir, entrypoint, history = dict(BASE_ENV), "/", [], []
    for word, rest in _instructions(dockerfile):
        if word == "FROM":
            continue
        if word == "ENV":
            key, _, value = rest.partition("=")
            env[key.strip()] = _expand(value, env)
        elif word == "WORKDIR":
            workdir = rest
        elif word == "ENTRYPOINT":
            entrypoint = json.loads(rest)
        created = f"RUN /bin/sh -c {rest} # buildkit" if word == "RUN" else f"{word} {rest}"
        history.append({"created_by": created, "comment": "buildkit.dockerfile.v0", "empty_layer": True})
    return {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": [f"{k}={v}" for k, v in env.items()], "WorkingDir": workdir, "Entrypoint": entrypoint},
        "rootfs": {"type": "layers", "diff_ids": []},
        "history": history,
    }


def push_image(ecr: Any, tag: str, config: dict[str, Any], repository: str = MLFLOW_REPOSITORY) -> str:
    """Push an image of ``config`` (no file layers) under ``repository:tag``, as ``docker push`` does through ECR's
    API; its digest. The repository is made when missing."""
    try:
        ecr.describe_repositories(repositoryNames=[repository])
    except ecr.exceptions.RepositoryNotFoundException:
        ecr.create_repository(repositoryName=repository)
    blob = json.dumps(config, separators=(",", ":")).encode()
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    upload = ecr.initiate_layer_upload(repositoryName=repository)["uploadId"]
    ecr.upload_layer_part(
        repositoryName=repository, uploadId=upload, partFirstByte=0, partLastByte=len(blob) - 1, layerPartBlob=blob
    )
    ecr.complete_layer_upload(repositoryName=repository, uploadId=upload, layerDigests=[digest])
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": CONFIG_TYPE, "size": len(blob), "digest": digest},
        "layers": [],
    }
    try:
        pushed = ecr.put_image(
            repositoryName=repository,
            imageManifest=json.dumps(manifest),
            imageManifestMediaType=MANIFEST_TYPE,
            imageTag=tag,
        )
    except ecr.exceptions.ImageAlreadyExistsException:  # the same image pushed before under this tag
        return str(
            ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])["imageDetails"][0][
                "imageDigest"
            ]
        )
    return str(pushed["image"]["imageId"]["imageDigest"])


def push_mlflow_image(ecr: Any) -> str:
    """``mlflow-pyfunc:<installed MLflow>`` as ``build-and-push-container`` would push it (config only); its digest."""
    from mlflow.version import VERSION

    return push_image(ecr, VERSION, image_config(mlflow_dockerfile()))
