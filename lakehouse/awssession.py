"""boto3 sessions that share botocore's parsed service models, so a client costs milliseconds.

Every new ``boto3.Session`` has a loader of its own, so its first client of a service parses that
service's JSON model, endpoint rules and partitions again: 60-250 ms per client (S3's model is the
largest), measured here. A features run makes ~340 clients from fresh sessions (a session per
client keeps the env and profile as they are at that moment, and sessions are not thread-safe);
that was ~50 s of one run's 223 s. The parsed files are read-only data, the same for every session
of the process (same search paths), so the sessions made here keep their own credentials,
configuration and events but share one loader cache: a client then costs ~10-20 ms.
"""

from __future__ import annotations

from typing import Any

import boto3
import botocore.session
from botocore.loaders import create_loader

#: botocore's ``instance_cache`` keeps a loader's parsed files in ``loader._cache`` (its documented
#: contract: "that instance *must* provide a ``self._cache`` dictionary"); one dict for all loaders.
_PARSED: dict[tuple[Any, ...], Any] = {}


def botocore_session(profile_name: str | None = None) -> botocore.session.Session:
    """A new botocore session (its own credentials and configuration) sharing the parsed models.

    For libraries that take one (pyiceberg's ``botocore_session`` catalog property). A profile that
    does not exist raises ``ProfileNotFound`` here, as boto3's own session does.
    """
    core = botocore.session.Session(profile=profile_name)
    loader = create_loader(core.get_config_variable("data_path"))
    loader._cache = _PARSED  # noqa: SLF001 - the cache instance_cache reads, shared on purpose
    core.register_component("data_loader", loader)
    return core


def new_session(profile_name: str | None = None, **kwargs: Any) -> boto3.Session:
    """``boto3.Session(profile_name=..., **kwargs)`` whose loader shares the process's parsed models."""
    return boto3.Session(botocore_session=botocore_session(profile_name), profile_name=profile_name, **kwargs)
