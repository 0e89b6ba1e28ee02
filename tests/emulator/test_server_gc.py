"""The emulator process freezes its start-up objects out of the garbage collector, unless told not to."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from lakehouse.emulator.gc_tuning import GC_FREEZE_ENV, GC_PATH, GC_STATS_ENV
from lakehouse.emulator.process import start_emulator, stop_emulator


def _gc(endpoint: str) -> dict[str, Any]:
    with urllib.request.urlopen(endpoint + GC_PATH) as answer:
        return dict(json.loads(answer.read()))


@pytest.mark.parametrize(("freeze", "frozen"), [("on", True), ("off", False)])
def test_start_up_objects_frozen_unless_turned_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, freeze: str, frozen: bool
) -> None:
    monkeypatch.setenv(GC_STATS_ENV, "on")
    monkeypatch.setenv(GC_FREEZE_ENV, freeze)
    handle = start_emulator(log_path=tmp_path / "emulator.log")
    try:
        stats = _gc(handle.endpoint)
    finally:
        stop_emulator(handle)
    # moto's and botocore's modules alone are tens of thousands of objects.
    assert (stats["frozen"] > 10_000) is frozen, stats
    assert len(stats["generations"]) == 3  # one entry per generation, counted since start


def test_stats_route_absent_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(GC_STATS_ENV, raising=False)
    handle = start_emulator(log_path=tmp_path / "emulator.log")
    try:
        with pytest.raises(urllib.error.HTTPError) as refused:
            _gc(handle.endpoint)
    finally:
        stop_emulator(handle)
    assert refused.value.code == 404
