"""The guard ledger (``make guard``) and exit check 3 judged from it: the real suite, on a clean tree, at HEAD.

The end-to-end tests run GNU make in a throwaway git checkout whose Makefile has the real
``guard`` recipe, with ``lint`` and ``test`` targets that take a moment, so ``make -i guard``,
a dirty tree and a new commit are the real thing, not a hand-made line.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lakehouse.checks.ci import check_ci_green, commit_under_test, judge_ledger
from lakehouse.guard import main, make_dry_run, run_guard
from lakehouse.ledger import (
    GUARD_SUITE,
    RECORDED_ENVIRONMENT,
    LedgerEntry,
    append_entry,
    environment_problems,
    read_ledger,
    suite_of,
    why_not_counted,
)
from lakehouse.outcome import Status

ROOT = Path(__file__).resolve().parents[2]
HEAD = "a" * 40
OTHER = "b" * 40
SUITE = ["make", "--no-print-directory", "lint", "test"]


@pytest.fixture(autouse=True)
def _no_github_sha(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside GitHub Actions GITHUB_SHA would become the commit under test: these tests pick their own."""
    monkeypatch.delenv("GITHUB_SHA", raising=False)


def entry(n: int, exit_code: int = 0, **changes: Any) -> LedgerEntry:
    """A guard-suite run at HEAD on a clean tree, as ``make guard`` records it; ``changes`` break it."""
    made = LedgerEntry(
        started_at=f"2026-11-24T10:{n:02d}:00+00:00",
        finished_at=f"2026-11-24T10:{n:02d}:30+00:00",
        exit_code=exit_code,
        passed=exit_code == 0,
        duration_s=30.0,
        commit=HEAD,
        dirty=False,
        command=SUITE,
        suite=GUARD_SUITE,
        environment={"MAKEFLAGS": " --no-print-directory"},
    )
    return replace(made, **changes)


def ledger_with(path: Path, *entries: LedgerEntry) -> Path:
    for e in entries:
        append_entry(path, e)
    return path


def judge(path: Path) -> tuple[Status, str]:
    outcome = judge_ledger(read_ledger(path), HEAD, "test")
    return outcome.status, str(outcome.reason)


# -- a checkout to run make guard in ----------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def _real_guard_recipe() -> str:
    """The Makefile's guard recipe, as written (``$(BIN)/python -m lakehouse.guard run -- ...``)."""
    text = (ROOT / "Makefile").read_text()
    match = re.search(r"^guard:.*\n\t(.+)$", text, re.M)
    assert match, "the Makefile has no guard target"
    return match.group(1)


class Checkout:
    """A git checkout with the real guard recipe; ``test`` passes or fails as ``tests_fail`` says."""

    def __init__(self, root: Path, ledger: Path):
        self.root, self.ledger = root, ledger
        root.mkdir()
        recipe = _real_guard_recipe().replace("$(BIN)/python", shlex.quote(sys.executable))
        recipe = recipe.replace("lakehouse.guard run", f"lakehouse.guard run --ledger {ledger} --checkout .")
        (root / "Makefile").write_text(
            f"guard:\n\t{recipe}\nlint:\n\ttrue\ntest:\n\ttest ! -e tests-fail\n\t@echo tests passed\n"
        )
        _git(root, "init", "-q", "-b", "main")
        _git(root, "add", "Makefile")
        self.commit("the guard suite")
        # Whatever the outer run had set would change what the inner make runs: start clean.
        self.env = {k: v for k, v in os.environ.items() if k not in (*RECORDED_ENVIRONMENT, "GITHUB_SHA")}

    def commit(self, message: str) -> str:
        _git(self.root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", message)
        return self.head

    @property
    def head(self) -> str:
        return _git(self.root, "rev-parse", "HEAD")

    def make(self, *args: str, tests_fail: bool = False) -> int:
        if tests_fail:  # an ignored file: the tree stays clean, the suite goes red
            (self.root / ".git" / "info" / "exclude").write_text("tests-fail\n")
            (self.root / "tests-fail").touch()
        else:
            (self.root / "tests-fail").unlink(missing_ok=True)
        return subprocess.run(["make", *args], cwd=self.root, env=self.env, capture_output=True).returncode

    def check(self) -> tuple[Status, str, dict[str, object]]:
        outcome = check_ci_green(None, None, "http://127.0.0.1:9", self.ledger, checkout=self.root)
        return outcome.status, str(outcome.reason), outcome.measured


@pytest.fixture
def checkout(tmp_path: Path) -> Checkout:
    return Checkout(tmp_path / "checkout", tmp_path / "guard-ledger.jsonl")


# -- the Makefile's guard target ------------------------------------------------------------------------


def test_the_makefiles_guard_recipe_runs_the_guard_suite() -> None:
    """The suite identity the check counts is the command the Makefile's guard target runs."""
    recipe = _real_guard_recipe()
    assert "-m lakehouse.guard run -- " in recipe
    command = shlex.split(recipe.split(" -- ", 1)[1].replace("$(MAKE)", "make"))
    assert suite_of(command) == GUARD_SUITE


def test_three_make_guard_runs_at_head_on_a_clean_tree_pass(checkout: Checkout) -> None:
    for _ in range(3):
        assert checkout.make("guard") == 0
    status, reason, measured = checkout.check()
    assert status is Status.PASSED, reason
    assert measured["commit_under_test"] == checkout.head and measured["newest_green_is_commit_under_test"]
    line = json.loads(checkout.ledger.read_text().splitlines()[0])
    assert line["suite"] == GUARD_SUITE and line["commit"] == checkout.head and line["dirty"] is False
    assert line["command"] == SUITE and "i" not in line["environment"].get("MAKEFLAGS", "")


def test_make_i_guard_records_a_pass_that_does_not_count(checkout: Checkout) -> None:
    """`make -i guard` exits 0 while the tests fail: the line says so and is not counted."""
    for _ in range(3):
        assert checkout.make("-i", "guard", tests_fail=True) == 0
    recorded = read_ledger(checkout.ledger).entries
    assert [e.passed for e in recorded] == [True] * 3  # make -i hid the failure from the exit code
    status, reason, measured = checkout.check()
    assert status is Status.SKIPPED and measured["runs_counted"] == 0
    assert "make ran with -i (--ignore-errors)" in reason and "guard-ledger.jsonl:3" in reason


def test_make_k_guard_with_failing_tests_stays_red(checkout: Checkout) -> None:
    """-k keeps going but still exits 2: such a run counts, and it counts as red."""
    for _ in range(2):
        checkout.make("guard")
    assert checkout.make("-k", "guard", tests_fail=True) != 0
    status, reason, _ = checkout.check()
    assert status is Status.FAILED and "guard-ledger.jsonl:3" in reason and "failed with exit code 2" in reason


def test_make_guard_on_a_dirty_tree_does_not_count(checkout: Checkout) -> None:
    (checkout.root / "Makefile").write_text((checkout.root / "Makefile").read_text() + "# changed\n")
    for _ in range(3):
        assert checkout.make("guard") == 0
    status, reason, _ = checkout.check()
    assert status is Status.SKIPPED
    assert "the tree had uncommitted changes" in reason and "guard-ledger.jsonl:1" in reason


def test_runs_at_an_older_commit_do_not_count_for_head(checkout: Checkout) -> None:
    for _ in range(3):
        checkout.make("guard")
    old = checkout.head
    (checkout.root / "Makefile").write_text((checkout.root / "Makefile").read_text() + "# new commit\n")
    _git(checkout.root, "add", "Makefile")
    new = checkout.commit("a new commit")
    status, reason, measured = checkout.check()
    assert status is Status.SKIPPED and measured["commit_under_test"] == new
    assert f"it tested commit {old[:12]}, not the commit under test {new[:12]}" in reason
    checkout.make("guard")
    status, reason, measured = checkout.check()
    assert status is Status.SKIPPED and "only 1 counted guard run(s)" in reason and "2 of 3 missing" in reason


def test_make_n_guard_records_nothing(checkout: Checkout) -> None:
    """`make -n guard` runs the recipe line (it uses $(MAKE)); a dry run must not count as a green run."""
    assert checkout.make("-n", "guard") == 0
    assert not checkout.ledger.exists()


# -- `python -m lakehouse.guard run -- <anything>` ----------------------------------------------------


def test_guard_run_of_true_three_times_does_not_pass(
    checkout: Checkout, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = str(checkout.ledger)
    for _ in range(3):
        assert main(["run", "--ledger", ledger, "--checkout", str(checkout.root), "--", "true"]) == 0
    err = capsys.readouterr().err
    assert "this run does not count for exit check 3: command `true` is not the guard suite" in err
    assert "exit check 3 would be skipped" in err
    assert [e.suite for e in read_ledger(checkout.ledger).entries] == [None] * 3
    status, reason, _ = checkout.check()
    assert status is Status.SKIPPED and "command `true` is not the guard suite" in reason


def test_cli_run_records_and_returns_the_exit_code(checkout: Checkout, capsys: pytest.CaptureFixture[str]) -> None:
    ledger = str(checkout.ledger)
    args = ["run", "--ledger", ledger, "--checkout", str(checkout.root), "--"]
    assert main([*args, sys.executable, "-c", "raise SystemExit(4)"]) == 4
    assert main([*args, sys.executable, "-c", "pass"]) == 0
    assert [e.passed for e in read_ledger(checkout.ledger).entries] == [False, True]
    assert main(["show", "--ledger", ledger, "--checkout", str(checkout.root)]) == 0
    assert "exit check 3 would be" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["run", "--ledger", ledger])  # no command given


def test_run_guard_records_what_decides_whether_it_counts(checkout: Checkout) -> None:
    env = {**checkout.env, "MAKEFLAGS": "ik", "PYTEST_ARGS": "-k nothing"}
    ok = run_guard([sys.executable, "-c", "pass"], checkout.ledger, cwd=checkout.root, environ=env)
    bad = run_guard([sys.executable, "-c", "raise SystemExit(3)"], checkout.ledger, cwd=checkout.root)
    assert (ok.passed, ok.exit_code, bad.passed, bad.exit_code) == (True, 0, False, 3)
    first = json.loads(checkout.ledger.read_text().splitlines()[0])
    assert set(first) == {
        *("started_at", "finished_at", "duration_s", "commit", "dirty", "exit_code", "passed", "command"),
        *("suite", "environment"),
    }
    assert first["commit"] == checkout.head and first["dirty"] is False and first["suite"] is None
    assert first["environment"] == {"MAKEFLAGS": "ik", "PYTEST_ARGS": "-k nothing"}


def test_a_commit_during_the_run_leaves_no_commit_recorded(checkout: Checkout) -> None:
    script = "import subprocess; subprocess.run(['git', 'commit', '-q', '--allow-empty', '-m', 'x'], check=True)"
    env = {**checkout.env, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t"}
    env["GIT_COMMITTER_EMAIL"] = "t@e"
    recorded = run_guard([sys.executable, "-c", script], checkout.ledger, cwd=checkout.root, environ=env)
    assert recorded.commit is None and "it recorded no commit" in why_not_counted(recorded, checkout.head)


# -- the judge, pure ------------------------------------------------------------------------------------


def test_three_counted_passed_runs_pass(tmp_path: Path) -> None:
    outcome = judge_ledger(read_ledger(ledger_with(tmp_path / "l.jsonl", entry(1), entry(2), entry(3))), HEAD)
    assert outcome.status is Status.PASSED, outcome.reason
    assert outcome.measured == {
        "source": "ledger",
        "consecutive_green_runs": 3,
        "runs_counted": 3,
        "runs_not_counted": 0,
        "commit_under_test": HEAD,
        "newest_green_commit": HEAD,
        "newest_green_is_commit_under_test": True,
        "commit_under_test_tested": True,
    }
    assert outcome.details["commit_under_test"]["ledger_vouches_for_it"] is True
    assert len(outcome.details["ledger"]["newest"]) == 3


def test_only_the_newest_three_count(tmp_path: Path) -> None:
    assert judge(ledger_with(tmp_path / "l.jsonl", entry(1, 2), entry(2), entry(3), entry(4)))[0] is Status.PASSED


def test_a_failed_run_among_the_newest_three_fails_naming_it(tmp_path: Path) -> None:
    status, reason = judge(ledger_with(tmp_path / "l.jsonl", entry(1), entry(2), entry(3, 2), entry(4)))
    assert status is Status.FAILED
    assert "1 of the newest 3 counted guard runs" in reason
    assert "l.jsonl:3 run of aaaaaaa" in reason and "failed with exit code 2" in reason


@pytest.mark.parametrize(
    ("broken", "culprit"),
    [
        ({"command": ["true"], "suite": None}, "command `true` is not the guard suite"),
        ({"command": ["make", "test"]}, "command `make test` is not the guard suite"),
        ({"command": ["make", "-i", "lint", "test"]}, "command `make -i lint test` is not the guard suite"),
        ({"environment": {"MAKEFLAGS": "i --no-print-directory"}}, "make ran with -i (--ignore-errors)"),
        ({"environment": {"GNUMAKEFLAGS": "i"}}, "make ran with -i (--ignore-errors)"),
        ({"environment": {"MAKEFLAGS": "e"}}, "make ran with -e"),
        ({"environment": {"MAKEFLAGS": " -- PYTEST_ARGS=-k\\ x"}}, "variable overrides 'PYTEST_ARGS=-k\\\\ x'"),
        ({"environment": {"PYTEST_ADDOPTS": "--co"}}, "PYTEST_ADDOPTS='--co' was set"),
        ({"dirty": True}, "the tree had uncommitted changes"),
        ({"dirty": None}, "did not record whether the tree was clean"),
        ({"commit": OTHER}, f"it tested commit {OTHER[:12]}, not the commit under test {HEAD[:12]}"),
        ({"commit": None}, "it recorded no commit"),
    ],
)
def test_runs_that_cannot_vouch_for_head_are_named_and_not_counted(
    tmp_path: Path, broken: dict[str, Any], culprit: str
) -> None:
    path = ledger_with(tmp_path / "l.jsonl", *(entry(n, **broken) for n in (1, 2, 3)))
    status, reason = judge(path)
    assert status is Status.SKIPPED, reason
    assert "only 0 counted guard run(s)" in reason and "3 run(s) did not count" in reason
    assert "l.jsonl:3 run of" in reason and culprit in reason


def test_non_counting_runs_do_not_break_or_make_the_streak(tmp_path: Path) -> None:
    """A red dirty run says nothing about HEAD; three green runs of HEAD around it still pass."""
    dirty_red = entry(3, 1, dirty=True)
    path = ledger_with(tmp_path / "l.jsonl", entry(1), entry(2), dirty_red, entry(4), entry(5, command=["true"]))
    outcome = judge_ledger(read_ledger(path), HEAD)
    assert outcome.status is Status.PASSED
    assert outcome.measured["runs_not_counted"] == 2 and len(outcome.details["not_counted"]) == 2


def test_k_is_harmless_and_a_k_run_counts() -> None:
    assert suite_of(["/usr/bin/make", "-k", "--no-print-directory", "test", "lint"]) == GUARD_SUITE
    assert environment_problems({"MAKEFLAGS": "k -j2 --jobserver-auth=3,4"}) == []


@pytest.mark.parametrize(
    "line",
    [
        # The old format: no suite, no environment.
        {"command": SUITE, "commit": HEAD, "dirty": False},
        # A label on a command that is not the suite.
        {"command": ["true"], "suite": GUARD_SUITE, "commit": HEAD, "dirty": False, "environment": {}},
        # The right command without the label the runner writes.
        {"command": SUITE, "commit": HEAD, "dirty": False, "environment": {}},
    ],
)
def test_hand_written_lines_that_miss_a_fact_do_not_count(tmp_path: Path, line: dict[str, object]) -> None:
    stamps = {"started_at": "2026-11-24T10:00:00+00:00", "finished_at": "2026-11-24T10:00:30+00:00"}
    text = json.dumps({**stamps, "exit_code": 0, "passed": True, **line})
    path = tmp_path / "l.jsonl"
    path.write_text((text + "\n") * 3)
    status, reason = judge(path)
    assert status is Status.SKIPPED and "l.jsonl:3" in reason
    assert re.search(r"recorded no make flags|is not the guard suite|does not label its command", reason)


def test_a_perfect_forgery_is_not_detectable(tmp_path: Path) -> None:
    """The limit, stated: a line that claims every fact passes. The ledger is a local convenience."""
    path = tmp_path / "l.jsonl"
    path.write_text("".join(entry(n).to_json() + "\n" for n in (1, 2, 3)))
    outcome = judge_ledger(read_ledger(path), HEAD)
    assert outcome.status is Status.PASSED
    assert "GitHub" in outcome.details["ledger"]["forgeable"]


def test_an_unknown_commit_under_test_is_an_error(tmp_path: Path) -> None:
    path = ledger_with(tmp_path / "l.jsonl", entry(1), entry(2), entry(3))
    outcome = judge_ledger(read_ledger(path), None, "git HEAD of /nowhere")
    assert outcome.status is Status.ERROR and "the commit under test is unknown (git HEAD of /nowhere)" in str(
        outcome.reason
    )


def test_the_commit_under_test_is_github_sha_when_set(tmp_path: Path) -> None:
    assert commit_under_test(tmp_path, {"GITHUB_SHA": OTHER.upper()}) == (OTHER, "GITHUB_SHA")
    sha, source = commit_under_test(ROOT, {})
    assert sha and re.fullmatch(r"[0-9a-f]{40}", sha) and source == f"git HEAD of {ROOT}"
    assert commit_under_test(tmp_path, {})[0] is None  # not a git checkout


def test_fewer_than_three_runs_are_skipped_saying_how_many_are_missing(tmp_path: Path) -> None:
    path = ledger_with(tmp_path / "l.jsonl", entry(1))
    outcome = judge_ledger(read_ledger(path), HEAD, "test", "GitHub not asked: GITHUB_TOKEN is not set")
    assert outcome.status is Status.SKIPPED
    reason = str(outcome.reason)
    assert "only 1 counted guard run(s)" in reason and "2 of 3 missing" in reason and "make guard" in reason
    assert reason.startswith("GitHub not asked: GITHUB_TOKEN is not set; ")


def test_the_required_count_comes_from_the_caller(tmp_path: Path) -> None:
    path = ledger_with(tmp_path / "l.jsonl", entry(1), entry(2), entry(3))
    outcome = judge_ledger(read_ledger(path), HEAD, required=4)
    assert outcome.status is Status.SKIPPED and outcome.threshold == 4 and "1 of 4 missing" in str(outcome.reason)


def test_no_ledger_is_skipped_never_passed(tmp_path: Path) -> None:
    outcome = check_ci_green(None, None, "http://127.0.0.1:9", tmp_path / "absent.jsonl")
    assert outcome.status is Status.SKIPPED and not outcome.passed
    assert f"no guard ledger at {tmp_path / 'absent.jsonl'}" in str(outcome.reason)


def test_a_corrupt_line_is_named_by_file_and_line_and_the_rest_still_count(tmp_path: Path) -> None:
    path = ledger_with(tmp_path / "l.jsonl", entry(1))
    with path.open("a") as handle:
        handle.write('{"started_at": "2026-11-24T11:00:00+00:00", "finished_at": \n')  # cut off
        handle.write(json.dumps({"started_at": "a", "finished_at": "b", "exit_code": "0", "passed": True}) + "\n")
        handle.write("\n")
    ledger_with(path, entry(2), entry(3), entry(4))
    read = read_ledger(path)
    assert [e.line for e in read.entries] == [1, 5, 6, 7]  # line 4 is blank
    texts = read.problem_texts()
    assert texts[0].startswith(f"{path}:2: not JSON (")
    assert texts[1] == f"{path}:3: field 'exit_code' is '0', not a int"
    # Both bad lines are older than the newest three good runs: the check still passes and says so.
    outcome = judge_ledger(read, HEAD)
    assert outcome.status is Status.PASSED
    assert outcome.details["ledger"]["unreadable_lines"] == texts


def test_a_corrupt_line_among_the_newest_runs_is_an_error(tmp_path: Path) -> None:
    path = ledger_with(tmp_path / "l.jsonl", entry(1), entry(2))
    with path.open("a") as handle:
        handle.write("garbage\n")
    ledger_with(path, entry(4))
    status, reason = judge(path)
    assert status is Status.ERROR
    assert f"{path}:3: not JSON" in reason and "could hide a red run" in reason


def test_a_known_failure_wins_over_a_corrupt_line(tmp_path: Path) -> None:
    path = ledger_with(tmp_path / "l.jsonl", entry(1), entry(2, 1))
    with path.open("a") as handle:
        handle.write("garbage\n")
    assert judge(path)[0] is Status.FAILED


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
        (
            '{"started_at": "a", "finished_at": "b", "exit_code": 0, "passed": true, "environment": ["i"]}',
            "field 'environment' is ['i']",
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


@pytest.mark.parametrize(
    ("makeflags", "dry"),
    [("n", True), ("nw", True), ("q", True), ("t", True), ("", False), (" -j2 --jobserver-auth=fifo:/tmp/x", False),
     ("w -- VAR=n", False), ("s", False), (None, False)],
)  # fmt: skip
def test_make_dry_runs_are_recognised(makeflags: str | None, dry: bool) -> None:
    assert make_dry_run(makeflags) is dry
