"""Emptying a bucket whose versioning is suspended, as `terraform destroy` does for a force_destroy bucket."""

from __future__ import annotations

from tests.emulator.conftest import AwsClientFactory


def test_delete_markers_are_deleted_after_versioning_is_suspended(aws_client: AwsClientFactory) -> None:
    s3 = aws_client("s3")
    bucket = "suspended-versioning-delete-markers"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="probe", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="probe")  # leaves a delete marker over the version
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    listed = s3.list_object_versions(Bucket=bucket)
    objects = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in listed["Versions"] + listed["DeleteMarkers"]]
    answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": objects})
    assert not answer.get("Errors"), answer
    s3.delete_bucket(Bucket=bucket)
