"""Stack working copies: per-stack folders, shared provider cache, records."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lakehouse.config import RunOptions
from lakehouse.stack import (
    Lifecycle,
    Stack,
    StackError,
    StackRecord,
    list_records,
    refuse_running_local_stack,
    stack_dir,
)
from lakehouse.target import local_target


def _stack(tmp_path: Path, stack_id: str = "lh-unit01") -> Stack:
    return Stack(RunOptions(root=tmp_path, stack_id=stack_id), local_target("http://127.0.0.1:1"))


def test_each_stack_has_its_own_folder_but_one_provider_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TF_PLUGIN_CACHE_DIR", raising=False)
    first, second = _stack(tmp_path, "lh-aaa111"), _stack(tmp_path, "lh-bbb222")
    assert first.root != second.root
    assert first.tf.env["TF_PLUGIN_CACHE_DIR"] == second.tf.env["TF_PLUGIN_CACHE_DIR"]
    assert first.tf.env["TF_PLUGIN_CACHE_DIR"] == str(tmp_path / ".lakehouse" / "plugin-cache")
    assert first.tf.env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1"


def test_a_users_own_plugin_cache_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TF_PLUGIN_CACHE_DIR", "/somewhere/else")
    assert _stack(tmp_path).tf.env["TF_PLUGIN_CACHE_DIR"] == "/somewhere/else"


def test_records_round_trip_and_list_newest_first(tmp_path: Path) -> None:
    options = RunOptions(root=tmp_path)
    for stack_id, created in (("lh-old001", "2026-01-01T00:00:00+00:00"), ("lh-new001", "2026-02-01T00:00:00+00:00")):
        folder = stack_dir(options, stack_id)
        folder.mkdir(parents=True)
        StackRecord(stack_id, "local", "ap-northeast-1", "deployed", created).save(folder / "stack.json")
    assert [r.stack_id for r in list_records(options)] == ["lh-new001", "lh-old001"]


def test_unreadable_record_names_its_file(tmp_path: Path) -> None:
    options = RunOptions(root=tmp_path)
    folder = stack_dir(options, "lh-bad001")
    folder.mkdir(parents=True)
    (folder / "stack.json").write_text("{not json")
    with pytest.raises(StackError, match=str(folder / "stack.json")):
        list_records(options)


@pytest.fixture()
def a_process() -> Iterator[subprocess.Popen[bytes]]:
    """A process of ours standing in for a recorded emulator (started and ended here, by its PID)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


def _record_running(options: RunOptions, pid: int) -> Path:
    folder = stack_dir(options, options.stack_id)
    folder.mkdir(parents=True)
    record = StackRecord(options.stack_id, "local", "ap-northeast-1", "deployed", "2026-12-05T12:00:00+00:00")
    record.emulator_pid, record.endpoint_url = pid, "http://127.0.0.1:45123"
    record.save(folder / "stack.json")
    return folder


def test_a_local_stack_whose_emulator_runs_is_not_deployed_again(
    tmp_path: Path, a_process: subprocess.Popen[bytes]
) -> None:
    """A second `make up` with the same id would start a second emulator and orphan the first."""
    options = RunOptions(root=tmp_path, stack_id="lh-twice1")
    folder = _record_running(options, a_process.pid)
    with pytest.raises(StackError) as err:
        Lifecycle(options).up(detach_emulator=True)
    assert f"emulator pid {a_process.pid}" in str(err.value)
    assert "make destroy STACK_ID=lh-twice1" in str(err.value)
    assert sorted(p.name for p in folder.iterdir()) == ["stack.json"], "nothing may be started or written"
    assert StackRecord.load(folder / "stack.json").emulator_pid == a_process.pid


def test_a_local_stack_whose_emulator_is_gone_may_be_deployed_again(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    options = RunOptions(root=tmp_path, stack_id="lh-again1")
    _record_running(options, proc.pid)
    refuse_running_local_stack(options)  # no error: nothing of it runs any more
