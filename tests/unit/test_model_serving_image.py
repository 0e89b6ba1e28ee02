"""@STACK-model judges the image a model's container runs, not only the archive it is given.

The archive at ModelDataUrl is what MLflow's pyfunc serving image loads; another image decides otherwise (a
framework image runs its own script, any image may load any model). The check followed the chain to the archive and
passed the version whatever the Image was. The broken stacks serve the champion's archive in: a SageMaker framework
image, MLflow's image of another account, of another region, of another MLflow version, a private registry's image
named like MLflow's, and a digest ECR tags as another version. The healthy twins: the model account's and region's
``mlflow-pyfunc`` image tagged with the MLflow that logged the archive, by tag and by a digest ECR tags so.
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.checks.model_serving import judge_version, read_served
from lakehouse.ml.local_image import image_config, mlflow_dockerfile, push_image
from lakehouse.outcome import Status
from tests.unit.test_model_serving import CHAMPION, REGISTRY, _endpoint, account

__all__ = ["account"]  # the fixture, used by name

ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com"  # moto's account, the models' region
EXPECTED = f"{ECR}/mlflow-pyfunc:3.18.0"
WHY = (
    f", not MLflow's pyfunc serving image {EXPECTED} (the model's account and region; tagged with the MLflow 3.18.0 "
    "that logged the model it loads): the image, not the archive, decides what the endpoint serves"
)


def _pushed(target: Any, tag: str) -> str:
    """MLflow ``tag``'s serving image (its config, as ``build-and-push-container`` of that MLflow builds it) pushed
    to the account's ``mlflow-pyfunc`` repository under ``tag``; its digest."""
    dockerfile = mlflow_dockerfile().replace("mlflow==3.18.0", f"mlflow=={tag}")
    return push_image(target.client("ecr"), tag, image_config(dockerfile))


@pytest.mark.parametrize(
    ("image", "ecr_says"),
    [
        ("763104351884.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3", ""),
        ("111111111111.dkr.ecr.us-east-1.amazonaws.com/mlflow-pyfunc:3.18.0", ""),
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlflow-pyfunc:3.18.0", ""),
        (f"{ECR}/mlflow-pyfunc:2.9.2", ""),
        (f"{ECR}/mlflow-pyfunc", ""),  # no tag: Docker's latest
        ("registry.example.com/mlflow-pyfunc:3.18.0", ""),
        (f"{ECR}/mlflow-pyfunc@sha256:" + "a" * 64, " (ECR holds no such image)"),
        ("2.9.2", " (ECR tags it 2.9.2)"),
    ],
    ids=[
        "framework-image",
        "other-account",
        "other-region",
        "other-mlflow",
        "untagged",
        "private-registry",
        "unknown-digest",
        "digest-of-other-mlflow",
    ],
)
def test_the_champions_archive_in_another_image_fails_naming_the_image(account: Any, image: str, ecr_says: str) -> None:
    if "/" not in image:  # a tag: the digest ECR holds under it
        image = f"{ECR}/mlflow-pyfunc@{_pushed(account, image)}"
    served = read_served(account, _endpoint(account, "other", PrimaryContainer={**CHAMPION, "Image": image}))
    assert (served.model_id, served.run_id) == ("m-two", "run-two")  # the champion's archive, all the same
    assert served.broken == f"model other's container runs image {image!r}{ecr_says}{WHY}"
    outcome = judge_version([served], REGISTRY, "s1")
    assert outcome.status is Status.FAILED
    assert outcome.reason == f"endpoint other serves no readable MLflow model: {served.broken}"
    assert outcome.measured == {"other": None}


@pytest.mark.parametrize("how", ["tag", "digest"])
def test_mlflows_image_of_the_models_account_region_and_mlflow_serves_the_champion(account: Any, how: str) -> None:
    """The healthy twins: MLflow 3.18.0's image by tag, or by the digest ECR tags 3.18.0 (another tag beside it)."""
    image = EXPECTED
    if how == "digest":
        _pushed(account, "2.9.2")
        image = f"{ECR}/mlflow-pyfunc@{_pushed(account, '3.18.0')}"
    served = read_served(account, _endpoint(account, "mlflow", PrimaryContainer={**CHAMPION, "Image": image}))
    assert served.broken is None
    outcome = judge_version([served], REGISTRY, "s1")
    assert outcome.status is Status.PASSED, outcome.reason
    assert [e["image"] for e in outcome.details["endpoints"]] == [image]  # the evidence names the image judged
