"""The model the stack serves: daily revenue by country, fitted on Gold, and its SageMaker archive.

A one-hot encoding of the country into a least-squares regression: for each country it predicts
the mean daily revenue of that country's days in Gold, which anyone can compute again from Gold
with one SQL query (the scenario's independent reference). The archive is what SageMaker's
``ModelDataUrl`` points at: the MLflow model directory (MLmodel at its root), as ``model.tar.gz``;
its files' digests are what ties a served archive to the registered version's artifacts.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

#: Registered model name in the stack's MLflow.
MODEL_NAME = "daily-revenue"
#: The registry alias of the version that should be serving.
CHAMPION = "champion"
#: The model's one input column.
FEATURE = "country"

#: Training data: every Gold day and country with its revenue.
TRAINING_SQL = "SELECT country, revenue FROM {gold_db}.daily_revenue"

#: The reference, from Gold's orders (not from the training table): mean daily revenue of one country.
REFERENCE_SQL = """
SELECT avg(day_revenue) FROM (
  SELECT order_date, sum(amount) AS day_revenue
  FROM {gold_db}.orders_enriched
  WHERE status <> 'cancelled' AND country = '{country}'
  GROUP BY order_date
) AS days
"""


#: Every country's reference at once: the mean daily revenue of each country of Gold's orders.
REFERENCES_SQL = """
SELECT country, avg(day_revenue) FROM (
  SELECT order_date, country, sum(amount) AS day_revenue
  FROM {gold_db}.orders_enriched
  WHERE status <> 'cancelled'
  GROUP BY order_date, country
) AS days
GROUP BY country
"""


def reference_sql(gold_db: str, country: str) -> str:
    """The reference query for one country (the country is checked to be a plain code first)."""
    if not country.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"country {country!r} is not a plain country code")
    return REFERENCE_SQL.format(gold_db=gold_db, country=country).strip()


@dataclass(frozen=True)
class Fitted:
    """A fitted model with what MLflow logs about it."""

    model: Any
    params: dict[str, Any]
    metrics: dict[str, float]


def fit(rows: list[tuple[str, Decimal | float]]) -> Fitted:
    """Fit country -> daily revenue on Gold's rows; params and training metrics for MLflow."""
    import numpy as np
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    if not rows:
        raise ValueError("Gold's daily_revenue has no rows to train on")
    frame = pd.DataFrame({FEATURE: [str(c) for c, _ in rows]})
    target = np.array([float(r) for _, r in rows])
    model = Pipeline(
        [
            ("encode", ColumnTransformer([("onehot", OneHotEncoder(handle_unknown="ignore"), [FEATURE])])),
            ("regress", LinearRegression()),
        ]
    )
    model.fit(frame, target)
    predicted = model.predict(frame)
    rmse = float(np.sqrt(np.mean((predicted - target) ** 2)))
    params = {"features": FEATURE, "estimator": "LinearRegression", "rows": len(rows)}
    params["countries"] = frame[FEATURE].nunique()
    return Fitted(model=model, params=params, metrics={"rmse": rmse, "mean_revenue": float(target.mean())})


def pack(model_dir: Path) -> bytes:
    """``model_dir`` (an MLflow model: MLmodel at its root) as a model.tar.gz, members at the root."""
    if not (model_dir / "MLmodel").exists():
        raise ValueError(f"{model_dir} is not an MLflow model directory (no MLmodel)")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in sorted(model_dir.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(model_dir)), recursive=False)
    return buffer.getvalue()


def mlmodel_of(archive: bytes) -> dict[str, Any]:
    """The MLmodel document inside a model.tar.gz (its run_id and model_id say which model it is)."""
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        for name in ("MLmodel", "./MLmodel"):
            try:
                member = tar.extractfile(name)
            except KeyError:
                continue
            if member is not None:
                return dict(yaml.safe_load(member.read()) or {})
    raise ValueError("the archive has no MLmodel file at its root")


def directory_files(model_dir: Path) -> dict[str, str]:
    """sha256 of every file under ``model_dir`` by its path relative to it (what :func:`pack` puts in an
    archive): a model's content, whatever the archive's metadata (times, owners, modes, order)."""
    return {
        path.relative_to(model_dir).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(model_dir.rglob("*"))
        if path.is_file()
    }


def archive_files(archive: bytes) -> dict[str, str]:
    """sha256 of every file a model.tar.gz unpacks to (SageMaker unpacks it into /opt/ml/model), by its path
    (``./`` dropped, as :func:`directory_files` names them). Directories are left out (:func:`pack` adds them
    too); a link or device is no file of the model, so it is named by what it is (never equal to a digest)."""
    files: dict[str, str] = {}
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        for member in tar:
            name = member.name
            while name.startswith("./"):
                name = name[2:]
            if member.isdir():
                continue
            if not member.isfile():
                kind = "symlink" if member.issym() else "hard link" if member.islnk() else "special file"
                files[name] = f"a {kind}" + (f" to {member.linkname}" if member.linkname else "")
                continue
            content = tar.extractfile(member)
            assert content is not None  # a regular file's member always has content
            # A later member of the same name is what unpacking leaves, so it replaces this one.
            files[name] = hashlib.sha256(content.read()).hexdigest()
    return files


def _is_digest(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def file_differences(
    served: Mapping[str, str],
    registered: Mapping[str, str],
    names: tuple[str, str] = ("the archive", "MLflow's artifacts"),
) -> list[str]:
    """Each file where an archive (``served``) and the registered model's artifacts differ, named: content
    (sha256), a file only one of them has, a link where a file should be. Empty: the same files, byte for byte.
    ``names``: what the two sides are called in the text."""
    mine_is, theirs_are = names
    found = []
    for name in sorted({*served, *registered}):
        mine, theirs = served.get(name), registered.get(name)
        if mine == theirs:
            continue
        if theirs is None:
            found.append(f"{name} is in {mine_is} only, not in {theirs_are}")
        elif mine is None:
            found.append(f"{name} is missing from {mine_is}, not from {theirs_are}")
        elif not _is_digest(mine) or not _is_digest(theirs):
            found.append(f"{name} is {_what(mine)} in {mine_is}, {_what(theirs)} in {theirs_are}")
        else:
            found.append(f"{name} differs: sha256 {mine[:12]}... in {mine_is}, {theirs[:12]}... in {theirs_are}")
    return found


def _what(value: str) -> str:
    return "a file" if _is_digest(value) else value
