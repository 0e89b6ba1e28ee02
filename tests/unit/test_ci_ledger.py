"""The guard ledger (``make guard``) and exit check 3 judged from it, in a temporary directory."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from lakehouse.checks.ci import check_ci_green, judge_ledger
from lakehouse.guard import LedgerEntry, append_entry, main, make_dry_run, read_ledger, run_guard

ROOT = Path(__file__).resolve().parents[2]


def entry(n: int, exit_code: int = 0) -> LedgerEntry:
    return LedgerEntry(
        started_at=f"2026-11-24T10:{n:02d}:00+00:00",
        finished_at=f"2026-11-24T10:{n:02d}:30+00:00",
        exit_code=exit_code,
        passed=exit_code == 0,
        duration_s=30.0,
        commit=str(n) * 40,
        dirty=False,
        command=["make", "lint", "test"],
    )


def ledger_with(path: Path, *codes: int) -> Path:
    for n, code in enumerate(codes, start=1):
        append_entry(path, entry(n, code))
    return path


def test_run_guard_appends_one_line_per_run(tmp_path: Path) -> None:
    ledger = tmp_path / "reports" / "guard-ledger.jsonl"
    ok = run_guard([sys.executable, "-c", "pass"], ledger, cwd=ROOT)
    bad = run_guard([sys.executable, "-c", "raise SystemExit(3)"], ledger, cwd=ROOT)
    assert (ok.passed, ok.exit_code) == (True, 0)
    assert (bad.passed, bad.exit_code) == (False, 3)
    lines = ledger.read_text().splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert set(first) == {
        "started_at",
        "finished_at",
        "duration_s",
        "commit",
        "dirty",
        "exit_code",
        "passed",
        "command",
    }
    assert first["command"][1:] == ["-c", "pass"]
    assert first["started_at"] <= first["finished_at"]
    read = read_ledger(ledger)
    assert [e.line for e in read.entries] == [1, 2] and not read.problems


def test_three_passed_runs_pass(tmp_path: Path) -> None:
    outcome = judge_ledger(read_ledger(ledger_with(tmp_path / "l.jsonl", 0, 0, 0)))
    assert outcome.status == "passed", outcome.reason
    assert outcome.measured == {"consecutive_green_runs": 3, "runs_known": 3, "source": "ledger"}
    assert len(outcome.details["ledger"]["newest"]) == 3


def test_only_the_newest_three_count(tmp_path: Path) -> None:
    outcome = judge_ledger(read_ledger(ledger_with(tmp_path / "l.jsonl", 2, 0, 0, 0)))
    assert outcome.status == "passed"


def test_a_failed_run_among_the_newest_three_fails_naming_it(tmp_path: Path) -> None:
    outcome = judge_ledger(read_ledger(ledger_with(tmp_path / "l.jsonl", 0, 0, 2, 0)))
    assert outcome.status == "failed"
    reason = str(outcome.reason)
    assert "1 of the newest 3 guard runs" in reason
    assert "l.jsonl:3 run of 3333333" in reason and "failed with exit code 2" in reason


def test_fewer_than_three_runs_are_skipped_saying_how_many_are_missing(tmp_path: Path) -> None:
    outcome = judge_ledger(
        read_ledger(ledger_with(tmp_path / "l.jsonl", 0)), "GitHub not asked: GITHUB_TOKEN is not set"
    )
    assert outcome.status == "skipped"
    reason = str(outcome.reason)
    assert "only 1 guard run(s)" in reason and "2 of 3 missing" in reason and "make guard" in reason
    assert reason.startswith("GitHub not asked: GITHUB_TOKEN is not set; ")


def test_no_ledger_is_skipped_never_passed(tmp_path: Path) -> None:
    outcome = check_ci_green(None, None, "http://127.0.0.1:9", tmp_path / "absent.jsonl")
    assert outcome.status == "skipped" and not outcome.passed
    assert f"no guard ledger at {tmp_path / 'absent.jsonl'}" in str(outcome.reason)


def test_a_corrupt_line_is_named_by_file_and_line_and_the_rest_still_count(tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    ledger_with(path, 0)
    with path.open("a") as handle:
        handle.write('{"started_at": "2026-11-24T11:00:00+00:00", "finished_at": \n')  # cut off
        handle.write(json.dumps({"started_at": "a", "finished_at": "b", "exit_code": "0", "passed": True}) + "\n")
        handle.write("\n")
    for n in (2, 3, 4):
        append_entry(path, entry(n))
    read = read_ledger(path)
    assert [e.line for e in read.entries] == [1, 5, 6, 7]  # line 4 is blank
    texts = read.problem_texts()
    assert texts[0].startswith(f"{path}:2: not JSON (")
    assert texts[1] == f"{path}:3: field 'exit_code' is '0', not a int"
    # Both bad lines are older than the newest three good runs: the check still passes and says so.
    outcome = judge_ledger(read)
    assert outcome.status == "passed"
    assert outcome.details["ledger"]["unreadable_lines"] == texts


def test_a_corrupt_line_among_the_newest_runs_is_an_error(tmp_path: Path) -> None:
    path = ledger_with(tmp_path / "l.jsonl", 0, 0)
    with path.open("a") as handle:
        handle.write("garbage\n")
    append_entry(path, entry(4))
    outcome = judge_ledger(read_ledger(path))
    assert outcome.status == "error"
    assert f"{path}:3: not JSON" in str(outcome.reason) and "could hide a red run" in str(outcome.reason)


def test_a_known_failure_wins_over_a_corrupt_line(tmp_path: Path) -> None:
    path = ledger_with(tmp_path / "l.jsonl", 0, 1)
    with path.open("a") as handle:
        handle.write("garbage\n")
    assert judge_ledger(read_ledger(path)).status == "failed"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("[1, 2]", "not a JSON object but list"),
        ('{"started_at": "a", "finished_at": "b", "exit_code": 0}', "field 'passed' is missing"),
        ('{"started_at": "a", "finished_at": "b", "exit_code": true, "passed": true}', "field 'exit_code' is True"),
        (
            '{"started_at": "a", "finished_at": "b", "exit_code": 1, "passed": true}',
            "'passed' is True but 'exit_code' is 1",
        ),
    ],
)
def test_malformed_entries_say_which_field(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "l.jsonl"
    path.write_text(line + "\n")
    read = read_ledger(path)
    assert not read.entries
    assert read.problem_texts()[0].startswith(f"{path}:1: ") and message in read.problem_texts()[0]


def test_append_after_a_hand_edit_without_final_newline_keeps_lines_apart(tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    path.write_text(entry(1).to_json())  # no trailing newline
    append_entry(path, entry(2))
    read = read_ledger(path)
    assert len(read.entries) == 2 and not read.problems


def test_cli_run_records_the_suite_and_returns_its_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "guard-ledger.jsonl"
    assert main(["run", "--ledger", str(path), "--", sys.executable, "-c", "raise SystemExit(4)"]) == 4
    assert main(["run", "--ledger", str(path), "--", sys.executable, "-c", "pass"]) == 0
    err = capsys.readouterr().err
    assert "exit check 3 would be failed" in err and "exit check 3 would be skipped" not in err
    assert [e.passed for e in read_ledger(path).entries] == [False, True]
    assert main(["show", "--ledger", str(path)]) == 0
    with pytest.raises(SystemExit):
        main(["run", "--ledger", str(path)])  # no command given


@pytest.mark.parametrize(
    ("makeflags", "dry"),
    [("n", True), ("nw", True), ("q", True), ("t", True), ("", False), (" -j2 --jobserver-auth=fifo:/tmp/x", False),
     ("w -- VAR=n", False), ("s", False), (None, False)],
)  # fmt: skip
def test_make_dry_runs_are_recognised(makeflags: str | None, dry: bool) -> None:
    assert make_dry_run(makeflags) is dry


def test_make_n_guard_records_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`make -n guard` runs the recipe line (it uses $(MAKE)); a dry run must not count as a green run."""
    path = tmp_path / "guard-ledger.jsonl"
    monkeypatch.setenv("MAKEFLAGS", "n")
    assert main(["run", "--ledger", str(path), "--", sys.executable, "-c", "pass"]) == 0
    assert not path.exists()
