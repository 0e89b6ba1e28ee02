"""Work that needs no stack, started before the deploy so it overlaps Terraform (the KPI joins it).

Only the SBOM KPI's first half (``lakehouse.kpi.release.EarlyRelease``: SBOMs, wheel, their
signatures) runs early, and only when this session deploys the stack itself and runs that KPI.
The deploy's own stopwatch (exit check 1) still times the deploy alone: the early work runs on
another thread at a lower CPU priority, and keeps a stopwatch of its own in the KPI's evidence.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from lakehouse.config import RunOptions
from lakehouse.evidence import ArtifactStore
from lakehouse.kpi.release import EarlyRelease, start_release
from lakehouse.kpi.trust import TrustConfigError, TrustOptions, trust_options

SBOM_KPI = "KPI-sbom"
_EARLY_RELEASE = pytest.StashKey[EarlyRelease]()


def release_dir(stack_id: str) -> str:
    """Where the SBOM KPI keeps its release under reports/ (also the KPI step's)."""
    return f"kpi-{stack_id}/release"


def run_started(config: pytest.Config) -> datetime:
    """When this run started: the evidence collector's clock (xdist controller), else now."""
    collector = config.pluginmanager.get_plugin("lakehouse-evidence")
    epoch = getattr(collector, "started_epoch", None)
    return datetime.fromtimestamp(epoch, UTC) if isinstance(epoch, float) else datetime.now(UTC)


def release_trust(config: pytest.Config, options: RunOptions) -> TrustOptions:
    """The SBOM KPI's trust options: its flags, else the environment (raises TrustConfigError)."""
    return trust_options(
        dict(os.environ),
        options.github_repo,
        run_started(config),
        public_key=config.getoption("--signing-public-key", None),
        required=config.getoption("--sbom-required-trust", None),
        checkout=options.root,
    )


def _selected(session: pytest.Session, check_id: str) -> bool:
    return any((m := item.get_closest_marker("check")) and m.args[0] == check_id for item in session.items)


def start_before_deploy(request: pytest.FixtureRequest, options: RunOptions) -> None:
    """Start the early work this session will need (nothing when attaching to a deployed stack)."""
    if options.deployed or not _selected(request.session, SBOM_KPI):
        return
    try:
        trust = release_trust(request.config, options)
    except TrustConfigError:
        return  # the KPI step reports it
    early = start_release(options.root, ArtifactStore(options.reports), release_dir(options.stack_id), trust)
    request.config.stash[_EARLY_RELEASE] = early
    request.config.add_cleanup(early.close)


def early_release(config: pytest.Config, stack_id: str) -> EarlyRelease | None:
    """The release started before the deploy of ``stack_id``, once (None: build it now)."""
    early = config.stash.get(_EARLY_RELEASE, None)
    if early is None or early.release_dir != release_dir(stack_id):
        return None
    del config.stash[_EARLY_RELEASE]
    return early
