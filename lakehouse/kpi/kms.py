"""KMS billed on the stack's behalf: requests S3, SQS and SNS make for encrypted data, and the keys the plan creates.

Why a module: SSE-KMS looks free in a plan (a bucket's encryption configuration is a free configuration resource),
yet without an S3 Bucket Key S3 calls KMS for every object PUT and GET (GenerateDataKey, Decrypt), each billed per
request; a queue or topic with ``kms_master_key_id`` calls KMS for its messages; a customer managed key bills a
month, and so does each multi-Region replica key and each key with imported key material (``key_months``).
The cost KPI prices those requests on the resource that makes them (``request_components``), in both of its paths.
What it cannot price, DSSE-KMS's per-GB charges, is named (``why_unpriced``), never 0 USD.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakehouse.terraform import without_instance_keys

if TYPE_CHECKING:  # (cost.py imports this module)
    from lakehouse.kpi.cost import PlannedResource

KEY = "aws_kms_key"
#: A multi-Region replica key: a KMS key of its own, in its provider's region, billed a month like any other.
REPLICA_KEY = "aws_kms_replica_key"
#: A key with imported key material (no automatic rotation): billed a month like any other.
EXTERNAL_KEY = "aws_kms_external_key"
#: Every key type priced per key-month (fixtures/cost/prices.yml ``kms_usd_per_key_month``, cited there).
KEY_TYPES = (KEY, REPLICA_KEY, EXTERNAL_KEY)
BUCKET = "aws_s3_bucket"
SSE_CONFIG = "aws_s3_bucket_server_side_encryption_configuration"
QUEUE = "aws_sqs_queue"
TOPIC = "aws_sns_topic"
SSE_S3 = "AES256"
SSE_KMS = "aws:kms"
DSSE_KMS = "aws:kms:dsse"
#: An algorithm the plan does not know yet (set from another resource's attribute): priced as SSE-KMS.
UNKNOWN = "unknown at plan time"
#: KMS requests SNS may make per 64 KB chunk published to an encrypted topic: a GenerateDataKey to encrypt it and a
#: Decrypt to deliver it (an upper bound: SNS may reuse a data key).
SNS_KMS_REQUESTS_PER_CHUNK = 2


@dataclass(frozen=True)
class BucketEncryption:
    """How the plan says a bucket's new objects are encrypted, and which resource says so."""

    algorithm: str
    bucket_key: bool
    said_by: str

    @property
    def calls_kms(self) -> bool:
        return self.algorithm != SSE_S3

    def rank(self) -> int:
        """Dearer first: DSSE-KMS (unpriced), SSE-KMS without a Bucket Key, with one, SSE-S3."""
        if not self.calls_kms:
            return 0
        if self.algorithm == DSSE_KMS:
            return 3
        return 1 if self.bucket_key else 2

    def request_share(self, bucket_key_share: float) -> float:
        """The share of the bucket's requests that call KMS (usage.yml ``kms.s3_bucket_key_request_share``)."""
        if not self.calls_kms:
            return 0.0
        return bucket_key_share if self.bucket_key else 1.0

    def what(self) -> str:
        key = "with an S3 Bucket Key" if self.bucket_key else "without an S3 Bucket Key: every PUT and GET"
        return f"{self.algorithm} {key}, per {self.said_by}"


NONE = BucketEncryption(SSE_S3, False, "")


def _rules(values: dict[str, Any], said_by: str) -> list[BucketEncryption]:
    """The encryption each rule of a configuration (or a bucket's inline block) sets."""
    found = []
    for rule in values.get("rule") or []:
        defaults = [d for d in (rule or {}).get("apply_server_side_encryption_by_default") or [] if d]
        algorithm = str(defaults[0].get("sse_algorithm") or UNKNOWN) if defaults else UNKNOWN
        found.append(BucketEncryption(algorithm, (rule or {}).get("bucket_key_enabled") is True, said_by))
    return found


def _linked(config: PlannedResource, buckets: Sequence[PlannedResource]) -> list[PlannedResource]:
    """The planned buckets a configuration encrypts: by its planned ``bucket`` name, else by what its argument
    refers to (``aws_s3_bucket.lake.id``; ``aws_s3_bucket.this[each.key].id``: every instance); none found
    (``each.value.id``, a name unknown or not planned): all of them, so a bucket it may encrypt is never priced as
    unencrypted."""
    name = config.values.get("bucket")
    if isinstance(name, str) and name:
        named = [b for b in buckets if b.values.get("bucket") == name]
        if named:
            return named
    refs = config.attribute_references.get("bucket", frozenset())
    for by_type in (False, True):  # one instance by its literal key (``aws_s3_bucket.this["gold"].id``), else all
        bases = {re.sub(r"\[[^\]]*\]", "", ref) for ref in refs} if by_type else set(refs)
        named_as = {b.address: without_instance_keys(b.address) if by_type else b.address for b in buckets}
        referred = [
            b
            for b in buckets
            if any(r == named_as[b.address] or r.startswith(named_as[b.address] + ".") for r in bases)
        ]
        if referred:
            return referred
    return list(buckets)


def bucket_encryption(plan: Sequence[PlannedResource]) -> dict[str, BucketEncryption]:
    """Planned bucket address -> the dearest encryption any configuration (or its inline block) sets for it."""
    buckets = [r for r in plan if r.type == BUCKET]
    found = {b.address: NONE for b in buckets}

    def apply(address: str, candidates: list[BucketEncryption]) -> None:
        found[address] = max([found[address], *candidates], key=BucketEncryption.rank)

    for b in buckets:
        for inline in b.values.get("server_side_encryption_configuration") or []:
            apply(b.address, _rules(inline or {}, b.address))
    for config in (r for r in plan if r.type == SSE_CONFIG):
        rules = _rules(config.values, config.address) or [BucketEncryption(UNKNOWN, False, config.address)]
        for b in _linked(config, buckets):
            apply(b.address, rules)
    return found


def uses_key(r: PlannedResource) -> bool:
    """A queue or topic encrypted with a KMS key (``kms_master_key_id`` set, or referring to a key the plan makes)."""
    return bool(r.values.get("kms_master_key_id")) or bool(r.attribute_references.get("kms_master_key_id"))


ROTATED = "the key and its first two rotations' backing keys"


def key_months(r: PlannedResource, plan: Sequence[PlannedResource]) -> tuple[float, str]:
    """Key-months a customer managed key bills: 1, and 1 more for each of its first two automatic rotations
    (aws.amazon.com/kms/pricing: a rotated key's backing keys bill up to the second rotation [mem]), so a rotating
    key is priced at its dearest month.

    aws.amazon.com/kms/pricing bills each primary and each replica multi-Region key, and each key with imported key
    material, the same month. A replica shares its primary's rotation (``key_rotation_enabled``, known once it
    exists): else its primary's in the plan; a primary the plan does not make: priced as rotated, never lower.
    Imported key material is never rotated automatically: one key-month.
    """
    if r.type == EXTERNAL_KEY:
        return 1.0, "customer managed key with imported key material (no automatic rotation)"
    if r.type == REPLICA_KEY:
        rotation = r.values.get("key_rotation_enabled")
        if not isinstance(rotation, bool):
            primaries = _primaries(r, plan)
            if not primaries:
                return 3.0, (
                    f"multi-Region replica key, rotated ({ROTATED}): its primary is not one the plan makes, so "
                    "whether the rotation it shares is on cannot be told"
                )
            rotation = any(p.values.get("enable_key_rotation") is True for p in primaries)
        if rotation:
            return 3.0, f"multi-Region replica key, rotated ({ROTATED})"
        return 1.0, "multi-Region replica key"
    if r.values.get("enable_key_rotation") is True:
        return 3.0, f"customer managed key, rotated ({ROTATED})"
    return 1.0, "customer managed key"


def _primaries(replica: PlannedResource, plan: Sequence[PlannedResource]) -> list[PlannedResource]:
    """The planned keys a replica's ``primary_key_arn`` names: by their planned ARN, else by what it refers to
    (``aws_kms_key.multi.arn``; ``aws_kms_key.this[0].arn``: every instance of it)."""
    keys = [k for k in plan if k.type in (KEY, EXTERNAL_KEY)]
    arn = replica.values.get("primary_key_arn")
    if isinstance(arn, str) and arn:
        return [k for k in keys if k.values.get("arn") == arn]
    refs = {re.sub(r"\[[^\]]*\]", "", ref) for ref in replica.attribute_references.get("primary_key_arn", frozenset())}
    return [
        k
        for k in keys
        if any(ref == (base := without_instance_keys(k.address)) or ref.startswith(base + ".") for ref in refs)
    ]


def why_unpriced(r: PlannedResource) -> str | None:
    """Why the table cannot price a KMS-encrypting configuration as planned (None: it can)."""
    if r.type != SSE_CONFIG:
        return None
    if any(rule.algorithm == DSSE_KMS for rule in _rules(r.values, r.address)):
        return (
            "it sets DSSE-KMS (aws:kms:dsse): S3 bills each GB it encrypts and decrypts (0.003 USD/GB, "
            "lamngockhuong/aws-price lib/data/pricing/s3.json 'Bytes Encrypted using Dual Layer Server-Side "
            "Encryption'), which usage.yml does not count, beside its KMS requests"
        )
    return None
