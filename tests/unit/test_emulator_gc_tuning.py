"""The emulator's GC tuning: when it freezes (and when it is told not to), and the collection counts it serves."""

from __future__ import annotations

import gc
import json
from typing import Any

import pytest

from lakehouse.emulator import gc_tuning


@pytest.fixture
def freezes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each freeze the code asks for, recorded instead of done (this test process keeps its GC as it is)."""
    calls: list[int] = []
    monkeypatch.setattr(gc_tuning, "freeze_startup", lambda: calls.append(1) or 0)
    monkeypatch.setattr(gc_tuning, "_freeze_when_warm", False)
    return calls


@pytest.mark.parametrize("value", ["", "on", "start", "ON"])
def test_freeze_is_on_unless_turned_off(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(gc_tuning.GC_FREEZE_ENV, value)
    assert gc_tuning.freeze_wanted()
    assert not gc_tuning.freeze_wanted(flag_off=True)  # --no-gc-freeze


@pytest.mark.parametrize("value", ["off", "0", "false", " Off "])
def test_freeze_turned_off_by_the_environment(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(gc_tuning.GC_FREEZE_ENV, value)
    assert not gc_tuning.freeze_wanted()


def test_freezes_at_start_and_once_more_after_the_first_query(
    monkeypatch: pytest.MonkeyPatch, freezes: list[int]
) -> None:
    monkeypatch.delenv(gc_tuning.GC_FREEZE_ENV, raising=False)
    gc_tuning.freeze_at_start()
    assert len(freezes) == 1
    gc_tuning.warmed()
    gc_tuning.warmed()  # later queries: nothing more is frozen
    assert len(freezes) == 2


def test_start_only_freezes_once(monkeypatch: pytest.MonkeyPatch, freezes: list[int]) -> None:
    monkeypatch.setenv(gc_tuning.GC_FREEZE_ENV, "start")
    gc_tuning.freeze_at_start()
    gc_tuning.warmed()
    assert len(freezes) == 1


def test_turned_off_never_freezes(monkeypatch: pytest.MonkeyPatch, freezes: list[int]) -> None:
    monkeypatch.setenv(gc_tuning.GC_FREEZE_ENV, "off")
    gc_tuning.freeze_at_start()
    gc_tuning.warmed()
    gc_tuning.freeze_at_start(flag_off=True)
    assert freezes == []


def test_stats_count_and_time_each_collection_by_generation() -> None:
    stats = gc_tuning.GcStats()
    gc.callbacks.append(stats.callback)
    try:
        for _ in range(50):  # cycles: only a collection frees them
            a: list[Any] = []
            a.append(a)
        del a
        gc.collect(2)
    finally:
        gc.callbacks.remove(stats.callback)
    full = stats.generations[2]
    assert full.collections == 1 and full.collected >= 50
    assert 0 <= full.max_cpu_ms <= full.cpu_ms and 0 < full.max_wall_ms <= full.wall_ms
    stats.reset()
    assert [g.collections for g in stats.generations] == [0, 0, 0]


def _call(method: str) -> tuple[str, dict[str, Any]]:
    answer: list[str] = []
    body = gc_tuning.serve_stats({"REQUEST_METHOD": method}, lambda status, _headers: answer.append(status))
    return answer[0], json.loads(b"".join(body))


def test_stats_route_is_404_unless_stats_are_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gc_tuning, "_stats", None)
    status, body = _call("GET")
    assert status.startswith("404") and gc_tuning.GC_STATS_ENV in body["message"]


def test_stats_route_reads_and_resets(monkeypatch: pytest.MonkeyPatch) -> None:
    stats = gc_tuning.GcStats()
    stats.generations[0].collections = 7
    monkeypatch.setattr(gc_tuning, "_stats", stats)
    status, body = _call("GET")
    assert status.startswith("200") and body["generations"][0]["collections"] == 7
    assert body["tracked"] > 0 and len(body["threshold"]) == 3
    status, body = _call("DELETE")
    assert status.startswith("200") and body["generations"][0]["collections"] == 0
    assert _call("PUT")[0].startswith("405")
