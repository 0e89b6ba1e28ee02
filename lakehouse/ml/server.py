"""The stack's MLflow tracking server as a process: MLflow's own app under uvicorn, on loopback.

``mlflow server`` picks its port from the command line; the harness needs a kernel-chosen port
announced on a ready line (like the emulator and the lineage service), so this module binds the
socket itself and hands it to uvicorn. Runs and the model registry live in SQLite; artifacts go
where each experiment says (the stack's model bucket, written by the client through S3).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from pathlib import Path

READY_PREFIX = "LAKEHOUSE_MLFLOW_READY "
#: MLflow reports usage to its telemetry service unless told not to; the harness never calls out.
QUIET_ENV = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True, help="SQLite file of runs and the model registry")
    parser.add_argument("--artifacts", required=True, help="default artifact root (experiments may set their own)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (loopback only by default)")
    args = parser.parse_args(argv)
    os.environ.update(QUIET_ENV)
    from mlflow.server import constants

    # What `mlflow server --backend-store-uri ... --default-artifact-root ... --no-serve-artifacts` sets.
    os.environ[constants.BACKEND_STORE_URI_ENV_VAR] = f"sqlite:///{args.db.resolve()}"
    os.environ[constants.ARTIFACT_ROOT_ENV_VAR] = args.artifacts
    os.environ["_MLFLOW_SGI_NAME"] = "uvicorn"
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, 0))
    sock.listen(128)
    import uvicorn
    from mlflow.server.fastapi_app import app

    host, port = sock.getsockname()[:2]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    ready = {"url": f"http://{host}:{port}", "pid": os.getpid()}
    sys.stdout.write(READY_PREFIX + json.dumps(ready) + "\n")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # the parent stops reading stdout after the ready line
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
