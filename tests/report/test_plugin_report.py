"""`pytest features/` writes evidence.html right after evidence.json (no stack needed: nothing selected)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from lakehouse import procgroup
from steps.evidence import exit_status
from tests.report.conftest import ROOT


def test_incomplete_fails_only_under_require_all() -> None:
    assert exit_status("passed", True, 0) == 0
    assert exit_status("incomplete", False, 0) == 0
    assert exit_status("incomplete", True, 0) == 1
    assert exit_status("failed", False, 0) == 1
    assert exit_status("incomplete", True, 5) == 5  # pytest's own "no tests ran" stays


def test_a_features_session_renders_the_report(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()  # pytest-bdd does not create the cucumber.json folder
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAKEHOUSE_STACK_ID", "PYTEST_XDIST"))}
    out = procgroup.run(  # a timeout ends the session's tree too
        [
            sys.executable,
            "-m",
            "pytest",
            "features/",
            "-k",
            "no_scenario_has_this_name",
            "-p",
            "no:cacheprovider",
            "--reports-dir",
            str(reports),
            "--junitxml",
            str(reports / "junit.xml"),
            "--cucumberjson",
            str(reports / "cucumber.json"),
            "--require-all",
        ],
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert out.returncode == 5, out.stdout + out.stderr  # every scenario deselected: nothing ran
    html = (reports / "evidence.html").read_text(encoding="utf-8")
    assert f"lakehouse report: {reports / 'evidence.html'}" in out.stdout
    assert "not run in this session (deselected)" in html
    assert "lakehouse verdict: INCOMPLETE" in out.stdout
    assert "EXIT-6 not run: not run in this session (deselected)" in out.stdout
    assert "this run exits non-zero (--require-all)" in out.stdout
    assert '<ul class="not-run">' in html
    assert (reports / "junit.xml").is_file() and (reports / "cucumber.json").is_file()


def test_no_browser_stops_the_run_before_anything_is_deployed(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAKEHOUSE_STACK_ID", "PYTEST_XDIST"))}
    env["LAKEHOUSE_CHROMIUM"] = str(tmp_path / "no-such-chromium")
    out = procgroup.run(  # a timeout ends the session's tree too
        [sys.executable, "-m", "pytest", "features/", "-k", "EXIT-4", "-p", "no:cacheprovider"]
        + ["--reports-dir", str(tmp_path / "reports"), "--stack-id", "lh-nobrowser"],
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert out.returncode == 4, out.stdout + out.stderr  # a usage error, at once
    assert "EXIT-4 need(s) a headless browser" in out.stdout + out.stderr
    assert not (ROOT / ".lakehouse" / "stacks" / "lh-nobrowser").exists()  # nothing was deployed
