"""Exit check 2's Gold is the stack's: every file of every Gold table lies in the stack's Gold bucket.

The demo's row is read from Gold through Glue, and Glue's table only names the current metadata file; the data
files are wherever the metadata's manifests say (absolute paths: ``write.data.path`` pointed at another bucket,
or files added from one). A Gold whose files lie in another stack's or someone's bucket answers the demo and meets
every contract, yet the data loop's end is not in the stack: its grants, encryption, lifecycle and destroy do
not reach it, and that bucket's owner changes the answer. Every file the metadata names (``iceberg_files``:
each snapshot's manifest list, manifests and data files, and the metadata log) is located, read with the
check's own S3 client.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse.checks.iceberg_files import MAX_AVRO_FILES, S3ReadIO, current_metadata, file_folders, folder
from lakehouse.outcome import Outcome


def table_folders(glue: Any, s3: Any, table: str) -> list[str]:
    """Every folder the Iceberg files of ``db.table`` lie in (its current metadata file's included).

    Raises ``ValueError`` naming the table when Glue has no Iceberg metadata for it or the files cannot all be
    followed; botocore's errors pass through.
    """
    location, metadata = current_metadata(glue, s3, table)
    found, complete = file_folders(metadata, S3ReadIO(s3))
    if not complete:
        raise ValueError(
            f"{table} ({location}) has more than {MAX_AVRO_FILES:,} manifest lists and manifests to read, or a "
            "snapshot without a manifest list: where the rest of its files lie is unknown"
        )
    return list(dict.fromkeys([folder(location), *found]))


def judge_gold_files(folders: dict[str, list[str]], bucket: str) -> Outcome:
    """Pass when every folder of every Gold table is in ``bucket`` (the stack's Gold bucket, from its outputs)."""
    inside = (f"s3://{bucket}/", f"s3a://{bucket}/")
    outside = {t: [f for f in found if not f.startswith(inside)] for t, found in folders.items()}
    outside = {t: found for t, found in outside.items() if found}
    details = {"gold_bucket": bucket, "gold_file_folders": folders}
    if outside:
        named = "; ".join(f"{t}: {', '.join(found[:3])}" for t, found in outside.items())
        reason = f"Gold's Iceberg files lie outside the stack's Gold bucket {bucket} ({named}): Athena reads them there"
        return Outcome.judged(False, sorted(outside), [], reason, {**details, "gold_files_outside": outside})
    return Outcome.judged(True, [], [], None, details)


def check_gold_files(glue: Any, s3: Any, tables: list[str], bucket: str) -> Outcome:
    """Read each Gold table's file folders (``table_folders``) and judge them; an unreadable table is ``error``."""
    folders: dict[str, list[str]] = {}
    for table in tables:
        try:
            folders[table] = table_folders(glue, s3, table)
        except (ClientError, BotoCoreError, ValueError, KeyError, TypeError, OSError, EOFError) as err:
            return Outcome.error(f"cannot tell where the Iceberg files of {table} lie: {err}", [], {"table": table})
    return judge_gold_files(folders, bucket)
