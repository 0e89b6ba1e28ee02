"""Sessions share botocore's parsed models, nothing else."""

from __future__ import annotations

import pytest
from botocore.exceptions import ProfileNotFound

from lakehouse.awssession import new_session
from lakehouse.target import Target


def test_sessions_share_parsed_models_but_keep_their_own_credentials_and_region() -> None:
    a = new_session(aws_access_key_id="AKIAONE", aws_secret_access_key="one", region_name="ap-northeast-1")
    b = new_session(aws_access_key_id="AKIATWO", aws_secret_access_key="two", region_name="eu-west-1")
    model_a = a._session.get_component("data_loader").load_service_model("glue", "service-2")
    model_b = b._session.get_component("data_loader").load_service_model("glue", "service-2")
    assert model_a is model_b  # parsed once for the process
    assert a.get_credentials().access_key == "AKIAONE"
    assert b.get_credentials().access_key == "AKIATWO"
    glue = b.client("glue", endpoint_url="http://127.0.0.1:9")
    assert glue.meta.region_name == "eu-west-1"
    assert glue._request_signer._credentials.access_key == "AKIATWO"


def test_a_profile_that_does_not_exist_is_refused_as_boto3_refuses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    with pytest.raises(ProfileNotFound):
        new_session(profile_name="no-such-profile")


def test_the_local_target_hands_out_clients_with_its_keys_and_endpoint() -> None:
    target = Target("local", "ap-northeast-1", "http://127.0.0.1:9")
    s3 = target.client("s3")
    assert s3.meta.endpoint_url == "http://127.0.0.1:9"
    assert s3._request_signer._credentials.access_key == "test"
    assert s3.meta.region_name == "ap-northeast-1"
