"""@STACK-model: the champion the endpoints serve must be the version this session trained on the stack's Gold.

The release trains on Gold, registers the version and gives it the ``champion`` alias; the check used to read the
alias back and hold the endpoints to whatever it named. An alias moved since (a stack sharing the MLflow registry
registers the same model name; a person promotes an older version) names a model trained on other data, and an
endpoint serving it passed: version and archive match the alias, and its predictions are near Gold's (every stack
loads the same fixtures). The broken stack: the alias names version 1 and the endpoint serves version 1, while
the release trained and registered version 2. The healthy twin: both name version 2.
"""

from __future__ import annotations

import hashlib

from lakehouse.checks.model_serving import Registry, judge_version
from lakehouse.outcome import Status
from tests.unit.test_model_serving import REGISTRY, V1, V2, _mlmodel, served

V1_FILES = {"MLmodel": hashlib.sha256(_mlmodel("m-one", "run-one")).hexdigest()}
#: What this session's release registered (``lakehouse.ml.train``'s result): version 2, trained on Gold.
TRAINED = {"model_name": "daily-revenue", "version": "2", "run_id": "run-two", "model_id": "m-two"}


def test_an_alias_moved_off_the_version_trained_on_gold_fails_naming_both() -> None:
    moved = Registry("daily-revenue", "champion", (V1, V2), V1, V1_FILES)
    old = served("m-one", "run-one", model_data_url="s3://b/sagemaker/daily-revenue/v1/model.tar.gz", files=V1_FILES)
    assert judge_version([old], moved, "s1").passed  # the alias alone: it names what is served
    outcome = judge_version([old], moved, "s1", TRAINED)
    assert outcome.status is Status.FAILED
    assert outcome.reason == (
        "the registry's champion is daily-revenue version 1 (run run-one), not version 2 (run run-two) that this "
        "release trained on stack s1's Gold and gave the alias: it moved since, so the version it names is not the "
        "model trained on this stack's Gold"
    )
    assert outcome.details["trained"] == {"version": "2", "run_id": "run-two", "model_id": "m-two"}


def test_the_same_version_number_of_another_run_is_not_the_version_trained() -> None:
    """A registry re-created (or another stack's) numbers its versions from 1 again: the run tells them apart."""
    outcome = judge_version([served()], REGISTRY, "s1", {**TRAINED, "run_id": "run-elsewhere"})
    assert outcome.status is Status.FAILED
    assert "not version 2 (run run-elsewhere) that this release trained" in str(outcome.reason)


def test_the_alias_on_the_version_trained_passes() -> None:
    """The healthy twin: the release's version is the champion and the endpoint serves it."""
    outcome = judge_version([served()], REGISTRY, "s1", TRAINED)
    assert outcome.status is Status.PASSED, outcome.reason
    assert outcome.measured == {"lakehouse-s1-daily-revenue": "2"}
