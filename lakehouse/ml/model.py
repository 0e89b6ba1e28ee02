"""The model the stack serves: daily revenue by country, fitted on Gold, and its SageMaker archive.

A one-hot encoding of the country into a least-squares regression: for each country it predicts
the mean daily revenue of that country's days in Gold, which anyone can compute again from Gold
with one SQL query (the scenario's independent reference). The archive is what SageMaker's
``ModelDataUrl`` points at: the MLflow model directory (MLmodel at its root), as ``model.tar.gz``.
"""

from __future__ import annotations

import io
import tarfile
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
