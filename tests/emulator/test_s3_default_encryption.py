"""GetBucketEncryption answers as S3 has since January 2023: every bucket has SSE-S3 unless it has its own.

moto answered ``ServerSideEncryptionConfigurationNotFoundError`` for a new bucket, so Terraform saved every
``aws_s3_bucket`` without encryption and the first refresh after ``make up`` reported drift on all of them
(``lakehouse.first_refresh``) that a deploy on AWS does not show.
"""

from __future__ import annotations

import uuid

from tests.emulator.conftest import REGION, AwsClientFactory

SSE_S3 = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}


def _new_bucket(aws_client: AwsClientFactory) -> str:
    name = f"default-sse-{uuid.uuid4().hex[:8]}"
    aws_client("s3").create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


def test_a_new_bucket_reads_the_sse_s3_default(aws_client: AwsClientFactory) -> None:
    bucket = _new_bucket(aws_client)
    rules = aws_client("s3").get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules == [SSE_S3]


def test_a_bucket_reads_its_own_encryption_and_the_default_again_once_it_is_deleted(
    aws_client: AwsClientFactory,
) -> None:
    s3 = aws_client("s3")
    bucket = _new_bucket(aws_client)
    kms = {
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/aws/s3"},
        "BucketKeyEnabled": True,
    }
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [kms]})
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"] == [kms]
    # DeleteBucketEncryption "resets the default encryption for the bucket as SSE-S3" (S3 API reference).
    s3.delete_bucket_encryption(Bucket=bucket)
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"] == [SSE_S3]
