"""Exit check 6: S3 Storage Lens prefix metrics of a lake bucket name its folders, hidden values included.

An enabled Storage Lens configuration with prefix-level storage metrics (``AccountLevel.BucketLevel.PrefixLevel``)
and a metrics export (``DataExport.S3BucketDestination``) has S3 write, daily, a CSV or Parquet file with a row per
prefix (``record_type`` PREFIX, ``record_value`` the prefix, URL-encoded) down to ``MaxDepth`` levels and holding at
least ``MinStorageBytesPercentage`` of the bucket's bytes; its expanded prefixes report
(``ExpandedPrefixesDataExport``) names every prefix. A table partitioned by ``ssn`` has a folder ``ssn=.../`` per
value: whoever may read that export reads them, with no ``s3:ListBucket`` on the lake. As with inventory reports
(``key_inventories``), a configuration matters when a folder it names shows a hidden value (``key_names``): its
export folder (``<prefix>/StorageLens/<account>/<configuration id>/``; for the expanded report, where its path is not
documented, all of ``<prefix>/``) becomes a lake location; one exporting to another account's bucket fails. Sizes are
not weighed: a prefix under the storage threshold counts (leaning to a failure, the reason says so). The
configuration's Include/Exclude buckets are honoured; its Regions are not (a lake bucket counts wherever it is).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lakehouse.checks.key_inventories import Delivery
from lakehouse.checks.key_names import BucketKeys, LeakyKey
from lakehouse.checks.s3_routes import next_token_pages, s3control
from lakehouse.target import Target

#: How deep the expanded prefixes report goes (every prefix: no documented limit is trusted).
EVERY_DEPTH = 1_000_000
KIND = "S3 Storage Lens configuration"


def read_lenses(target: Target, account: str) -> list[dict[str, Any]]:
    """Every Storage Lens configuration of the account (ListStorageLensConfigurations, every page), each read whole
    in its home region (GetStorageLensConfiguration)."""
    found: list[dict[str, Any]] = []
    listed = next_token_pages(
        s3control(target).list_storage_lens_configurations, "StorageLensConfigurationList", AccountId=account
    )
    for entry in listed:
        control = s3control(target, str(entry.get("HomeRegion") or "") or None)
        read = control.get_storage_lens_configuration(ConfigId=str(entry["Id"]), AccountId=account)
        found.append(dict(read.get("StorageLensConfiguration") or {}))
    return found


def _covers(config: Mapping[str, Any], bucket: str) -> bool:
    """Whether the configuration measures ``bucket`` (its Include list, if any, names it; its Exclude list not)."""
    named = {str(a).rsplit(":", 1)[-1] for a in ((config.get("Include") or {}).get("Buckets") or [])}
    excluded = {str(a).rsplit(":", 1)[-1] for a in ((config.get("Exclude") or {}).get("Buckets") or [])}
    return (not named or bucket in named) and bucket not in excluded


def prefix_shows(key: LeakyKey, delimiter: str, depth: int) -> bool:
    """Whether a prefix of ``key`` at most ``depth`` levels deep (split on ``delimiter``; never the whole key: the
    last piece is the object) holds (part of) the value the key shows."""
    pieces = key.key.split(delimiter or "/")
    levels = min(depth, len(pieces) - 1)
    return levels >= 1 and len((delimiter or "/").join(pieces[:levels])) + len(delimiter or "/") > key.at


def _named(config: Mapping[str, Any], keys: BucketKeys, expanded: bool) -> tuple[LeakyKey | None, str]:
    """The first key of ``keys`` the export names a folder of (None: none), and the hedge for the reason."""
    prefix = ((config.get("AccountLevel") or {}).get("BucketLevel") or {}).get("PrefixLevel") or {}
    metrics = prefix.get("StorageMetrics") or {}
    criteria = metrics.get("SelectionCriteria") or {}
    delimiter = str(criteria.get("Delimiter") or config.get("PrefixDelimiter") or "/")
    if expanded:
        depth, hedge = EVERY_DEPTH, ""
    elif metrics.get("IsEnabled"):
        depth = int(criteria.get("MaxDepth") or 10)  # at most 10 levels; unset: the deepest
        share = criteria.get("MinStorageBytesPercentage")
        hedge = f" (if it holds {share}% of the bucket's bytes or more: sizes not weighed)" if share else ""
    else:
        return None, ""
    found = next((k for k in keys.leaky if prefix_shows(k, delimiter, depth)), None)
    return found, hedge


def lens_deliveries(
    configs: Sequence[Mapping[str, Any]], listed: Mapping[str, BucketKeys], account: str
) -> list[Delivery]:
    """The enabled configurations' exports (default, expanded) naming a folder of a lake bucket that shows a value,
    one per configuration, export and lake bucket."""
    found: list[Delivery] = []
    for config in (c for c in configs if c.get("IsEnabled")):
        name = str(config.get("Id") or "")
        exports = [
            (False, (config.get("DataExport") or {}).get("S3BucketDestination")),
            (True, (config.get("ExpandedPrefixesDataExport") or {}).get("S3BucketDestination")),
        ]
        for expanded, destination in ((e, d) for e, d in exports if d):
            bucket = str(destination.get("Arn") or "").rsplit(":", 1)[-1]
            prefix = str(destination.get("Prefix") or "").strip("/")
            parts = (prefix,) if expanded else (prefix, "StorageLens", account, name)
            folder = "/".join(p for p in parts if p)
            owner = destination.get("AccountId")
            what = "expanded prefixes report" if expanded else "metrics export"
            for source, keys in sorted(listed.items()):
                if not _covers(config, source):
                    continue
                shown, hedge = _named(config, keys, expanded)
                if shown is None:
                    continue
                found.append(
                    Delivery(
                        source,
                        name,
                        bucket,
                        str(owner) if owner else None,
                        f"{folder}/" if folder else "",
                        shown.shown,
                        KIND,
                        f"its prefix metrics ({what}) naming its folders{hedge}",
                    )
                )
    return found
