"""The training step, as a process: Gold -> model -> MLflow run -> registered version -> SageMaker archive.

Run by the harness (``lakehouse.ml.deploy``) with the stack's AWS environment; MLflow's S3 artifact
store reads ``MLFLOW_S3_ENDPOINT_URL`` and the AWS variables from the environment, so a process of
its own keeps them out of the harness's. Gold is read through Athena as the pipeline reads it. The
run logs params, metrics and the model; the version is registered, given the ``champion`` alias,
and packed as ``model.tar.gz`` in the stack's model bucket for SageMaker. The last stdout line is
``RESULT_PREFIX`` + JSON of what was registered.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from lakehouse.athena import connect, run
from lakehouse.ml.artifacts import version_uri
from lakehouse.ml.model import CHAMPION, FEATURE, MODEL_NAME, TRAINING_SQL, fit, pack
from lakehouse.ml.server import QUIET_ENV
from lakehouse.target import Target, aws_target, local_target

RESULT_PREFIX = "LAKEHOUSE_MODEL "
EXPERIMENT = "daily-revenue"


def archive_key(version: str) -> str:
    """Where a version's SageMaker archive lives in the model bucket."""
    return f"sagemaker/{MODEL_NAME}/v{version}/model.tar.gz"


def _target(on_emulator: bool) -> Target:
    """The stack's target: the local emulator (its fixed keys), else the account the credential chain names.

    Told, not guessed from ``AWS_ENDPOINT_URL``: an aws run may name its endpoint that way too, and then
    the account's own keys, not the emulator's local ones, must sign.
    """
    region = os.environ["AWS_REGION"]
    if on_emulator:
        return local_target(os.environ["AWS_ENDPOINT_URL"], region)
    return aws_target(region, os.environ.get("AWS_PROFILE"))


def train(tracking_uri: str, workgroup: str, gold_db: str, bucket: str, on_emulator: bool = False) -> dict[str, Any]:
    """Train on Gold, log and register in MLflow, pack the version for SageMaker; what was registered."""
    import mlflow
    import pandas as pd
    from mlflow import MlflowClient

    target = _target(on_emulator)
    conn = connect(target, workgroup)
    try:
        record, rows = run(conn, TRAINING_SQL.format(gold_db=gold_db), label="training data")
    finally:
        conn.close()
    if not record.ok:
        raise RuntimeError(f"reading Gold failed: {record.error} ({record.sql})")
    fitted = fit([(str(c), r) for c, r in rows])
    mlflow.set_tracking_uri(tracking_uri)
    client = MlflowClient()
    experiment = client.get_experiment_by_name(EXPERIMENT)
    experiment_id = (
        experiment.experiment_id
        if experiment is not None
        else client.create_experiment(EXPERIMENT, artifact_location=f"s3://{bucket}/mlflow")
    )
    with mlflow.start_run(experiment_id=experiment_id) as active:
        mlflow.log_params(fitted.params)
        mlflow.log_metrics(fitted.metrics)
        info = mlflow.sklearn.log_model(
            fitted.model,
            name="model",
            registered_model_name=MODEL_NAME,
            serialization_format="cloudpickle",  # skops is not installed; the model is our own code
            pip_requirements=["scikit-learn==1.9.1", "mlflow-skinny==3.18.0"],
            input_example=pd.DataFrame({FEATURE: [str(rows[0][0])]}),
        )
    version = str(info.registered_model_version)
    client.set_registered_model_alias(MODEL_NAME, CHAMPION, version)
    s3 = target.client("s3")
    with tempfile.TemporaryDirectory() as tmp:
        # What the check downloads again to compare the served archive with (lakehouse.ml.artifacts).
        local = mlflow.artifacts.download_artifacts(artifact_uri=version_uri(MODEL_NAME, version), dst_path=tmp)
        s3.put_object(Bucket=bucket, Key=archive_key(version), Body=pack(Path(local)))
    return {
        "model_name": MODEL_NAME,
        "version": version,
        "run_id": active.info.run_id,
        "model_id": info.model_id,
        "model_data_url": f"s3://{bucket}/{archive_key(version)}",
        "params": fitted.params,
        "metrics": fitted.metrics,
        "training_query": record.to_dict(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--local", action="store_true", help="the stack is on the local target (the emulator)")
    parser.add_argument("--tracking-uri", required=True)
    parser.add_argument("--workgroup", required=True)
    parser.add_argument("--gold-db", required=True)
    parser.add_argument("--bucket", required=True, help="the stack's model bucket (MLflow artifacts, archives)")
    args = parser.parse_args(argv)
    os.environ.update(QUIET_ENV)
    result = train(args.tracking_uri, args.workgroup, args.gold_db, args.bucket, args.local)
    sys.stdout.write(RESULT_PREFIX + json.dumps(result, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
