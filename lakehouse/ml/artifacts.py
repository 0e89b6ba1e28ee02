"""A registered version's artifacts as MLflow's artifact store holds them: each file's sha256.

What ties a served archive to the registry: SageMaker serves the files of its ``ModelDataUrl``, and a healthy
release packs exactly what MLflow downloads for ``models:/<name>/<version>`` (``lakehouse.ml.train``). The
download is MLflow's own (the registry resolves the version's ``source``, the artifact store hands over its files),
run in a process of its own as training is: MLflow's S3 artifact store reads ``MLFLOW_S3_ENDPOINT_URL`` and the AWS
variables from the environment, which the harness's must not carry. The last stdout line is ``RESULT_PREFIX`` +
JSON of the digests by relative path.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from lakehouse.ml.model import directory_files
from lakehouse.ml.server import QUIET_ENV
from lakehouse.target import Target

RESULT_PREFIX = "LAKEHOUSE_ARTIFACTS "


def mlflow_env(target: Target) -> dict[str, str]:
    """The environment an MLflow client process needs to read and write the stack's S3 artifact store."""
    env = {**os.environ, **target.env(), **QUIET_ENV}
    if s3_endpoint := target.configured_endpoint("s3"):  # the emulator's, or one aws names
        env["MLFLOW_S3_ENDPOINT_URL"] = s3_endpoint
    return env


def version_uri(model_name: str, version: str) -> str:
    """The URI a release downloads a registered version by (``lakehouse.ml.train`` packs what it gives)."""
    return f"models:/{model_name}/{version}"


def read_registered_files(
    target: Target, tracking_uri: str, model_name: str, version: str, timeout_s: float = 300
) -> dict[str, str]:
    """sha256 of each file of the registered version's artifacts, by path; raises ``RuntimeError`` naming the
    version and MLflow's last word when they cannot be downloaded."""
    uri = version_uri(model_name, version)
    args = [sys.executable, "-m", "lakehouse.ml.artifacts", "--tracking-uri", tracking_uri, "--uri", uri]
    # The harness's own MLflow variables (a test's, a user's shell) must not pick another registry than this one.
    env = {**mlflow_env(target), "MLFLOW_TRACKING_URI": tracking_uri, "MLFLOW_REGISTRY_URI": tracking_uri}
    try:
        proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"downloading {uri} from {tracking_uri} did not end within {timeout_s:g} s") from None
    found = [line[len(RESULT_PREFIX) :] for line in proc.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if proc.returncode != 0 or not found:
        said = next((line.strip() for line in reversed(proc.stderr.splitlines()) if line.strip()), "")
        raise RuntimeError(f"downloading {uri} from {tracking_uri} failed (exit {proc.returncode}): {said[:500]}")
    return {str(k): str(v) for k, v in json.loads(found[-1]).items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tracking-uri", required=True, help="the MLflow tracking server (and registry)")
    parser.add_argument("--uri", required=True, help="the artifacts to download, e.g. models:/<name>/<version>")
    args = parser.parse_args(argv)
    os.environ.update(QUIET_ENV)
    import mlflow

    # Set for the whole process, not only passed: MLflow resolves a models:/ URI's version through the process's
    # registry URI (mlflow 3.18's ModelsArtifactRepository), which would otherwise be a new ./mlflow.db.
    mlflow.set_tracking_uri(args.tracking_uri)
    mlflow.set_registry_uri(args.tracking_uri)
    with tempfile.TemporaryDirectory() as tmp:
        local = mlflow.artifacts.download_artifacts(artifact_uri=args.uri, dst_path=tmp)
        files = directory_files(Path(local))
    sys.stdout.write(RESULT_PREFIX + json.dumps(files) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
